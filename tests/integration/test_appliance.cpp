// The real binary on generated captures: the summary must equal the generator's ground truth,
// per class and per drop reason, and the counting identity must hold everywhere.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include <sstream>
#include <string>
#include <thread>
#include <vector>
#include "tests/integration/harness.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using namespace sy::testing;

class Appliance : public ProcessTest {
 protected:
  Appliance() : ProcessTest("sy_it_") {}

  // Generates a capture for the default profile; returns its ground truth.
  json generate(uint64_t frames, const std::string& mix, uint64_t seed,
                const std::vector<std::string>& sets = {},
                const std::vector<std::string>& extra = {}) {
    pcap = dir / "traffic.pcap";
    std::vector<std::string> argv = {env("SWITCHYARD_TRAFFIC_BIN"),
                                     "--config",
                                     profile.string(),
                                     "--frames",
                                     std::to_string(frames),
                                     "--seed",
                                     std::to_string(seed),
                                     "--mix",
                                     mix,
                                     "--out",
                                     pcap.string()};
    for (const auto& s : sets) argv.insert(argv.end(), {"--set", s});
    argv.insert(argv.end(), extra.begin(), extra.end());
    const Result r = run(argv, dir / "gen.log");
    EXPECT_EQ(r.exit_code, 0) << r.out;
    return json::parse(slurp(dir / "traffic.truth.json"));
  }

  Result appliance(const std::vector<std::string>& sets,
                   std::chrono::milliseconds term_after = std::chrono::milliseconds(0)) {
    std::vector<std::string> argv = {env("SWITCHYARD_BIN"),
                                     "--config",
                                     profile.string(),
                                     "--set",
                                     "ports.wire0.args.rx_pcap=" + pcap.string(),
                                     "--set",
                                     "eal.file_prefix=sy_it_" + std::to_string(getpid()),
                                     "--summary-json",
                                     (dir / "summary.json").string()};
    for (const auto& s : sets) argv.insert(argv.end(), {"--set", s});
    return run(argv, dir / "switchyard.log", term_after);
  }

  json summary() { return json::parse(slurp(dir / "summary.json")); }

  // Validates `report` against docs/contracts/integrity_report.schema.json with Debian's
  // python3-jsonschema (an implementation independent of ours).
  void expect_valid_report(const fs::path& report) {
    const fs::path schema =
        fs::path(env("SY_SOURCE_ROOT")) / "docs/contracts/integrity_report.schema.json";
    const Result v = run({"/usr/bin/python3", "-c",
                          "import json,sys,jsonschema\n"
                          "s=json.load(open(sys.argv[1]))\n"
                          "jsonschema.Draft202012Validator.check_schema(s)\n"
                          "jsonschema.validate(json.load(open(sys.argv[2])), s)\n",
                          schema.string(), report.string()},
                         dir / "schema.log");
    EXPECT_EQ(v.exit_code, 0) << report << ": " << v.out;
  }

  // Every identity the appliance checks, re-checked here from the raw numbers.
  static void expect_identities(const json& s) {
    EXPECT_TRUE(s["identity_violations"].empty()) << s["identity_violations"].dump();
    for (const auto& [name, p] : s["ports"].items()) {
      uint64_t dropped = 0;
      for (const auto& [r, n] : p["drops"].items()) dropped += n.get<uint64_t>();
      EXPECT_EQ(p["received"].get<uint64_t>(), p["delivered"].get<uint64_t>() + dropped) << name;
    }
    for (const auto& [name, c] : s["classes"].items()) {
      uint64_t dropped = 0;
      for (const auto& [r, n] : c["drops"].items()) dropped += n.get<uint64_t>();
      EXPECT_EQ(c["received"].get<uint64_t>(), c["delivered"].get<uint64_t>() + dropped) << name;
      const std::string dest = c["destination"];
      if (dest == "integrity" || dest == "execution" || dest == "storage") {
        // What the destination refused (e.g. execution: not a logged-in session) is a drop.
        EXPECT_EQ(c["delivered"].get<uint64_t>() + c.value("refused", uint64_t{0}),
                  c["consumed"].get<uint64_t>())
            << name;
      }
    }
  }

  fs::path pcap;
};

TEST_F(Appliance, SummaryEqualsGroundTruthPerClassAndReason) {
  const json truth = generate(20000, "lines=60,sessions=20,other=10,malformed=10", 7);
  const Result r = appliance({});
  ASSERT_EQ(r.exit_code, 0) << r.out;  // malformed and unclassified are not loss
  const json s = summary();
  expect_identities(s);

  const json& port = s["ports"]["wire0"];
  EXPECT_EQ(port["received"], truth["frames"]);
  EXPECT_EQ(port["bytes"], truth["bytes"]);
  uint64_t truth_drops = 0;
  for (const auto& [reason, n] : truth["drops"].items()) {
    truth_drops += n.get<uint64_t>();
    EXPECT_EQ(port["drops"].value(reason, 0), n.get<uint64_t>()) << reason;
  }
  EXPECT_GT(truth_drops, 0u);  // the mix really contained malformed and unclassified frames
  EXPECT_EQ(port["dropped"].get<uint64_t>(), truth_drops);
  for (const auto& [name, t] : truth["classes"].items()) {
    ASSERT_TRUE(s["classes"].contains(name)) << name;
    EXPECT_EQ(s["classes"][name]["received"], t["frames"]) << name;
    EXPECT_EQ(s["classes"][name]["bytes"], t["bytes"]) << name;
  }
  EXPECT_GT(s["classes"]["itch.A"]["consumed"].get<uint64_t>(), 0u);
  EXPECT_GT(s["classes"]["client1"]["consumed"].get<uint64_t>(), 0u);
  EXPECT_EQ(s["lost"], 0);
  EXPECT_NE(r.out.find("exit 0: clean stop, nothing lost"), std::string::npos) << r.out;
}

TEST_F(Appliance, BundledCaptureIsReproducibleAndMatchesItsTruth) {
  // conf/traffic/README.md: the itch feed's lines merged with a classification mix.
  const fs::path bundled = fs::path(env("SY_SOURCE_ROOT")) / "conf/traffic";
  const fs::path itch = dir / "itch.pcap", mix = dir / "mix.pcap", merged = dir / "merged.pcap";
  Result g = run({env("SWITCHYARD_ITCH_BIN"), "--config", profile.string(), "--messages", "20000",
                  "--seed", "1", "--instruments", "8", "--faults",
                  "loss_a=3,loss_b=2,duplicate=2,reorder=1,malformed=2", "--out", itch.string()},
                 dir / "gen-itch.log");
  ASSERT_EQ(g.exit_code, 0) << g.out;
  g = run({env("SWITCHYARD_TRAFFIC_BIN"), "--config", profile.string(), "--frames", "10000",
           "--seed", "1", "--mix", "lines=0,sessions=50,other=25,malformed=20,local=5",
           "--rate-pps", "200000", "--start-ns", "1704101400000000000", "--out", mix.string()},
          dir / "gen-mix.log");
  ASSERT_EQ(g.exit_code, 0) << g.out;
  g = run(
      {"/usr/bin/mergecap", "-F", "nsecpcap", "-w", merged.string(), itch.string(), mix.string()},
      dir / "merge.log");
  ASSERT_EQ(g.exit_code, 0) << g.out;
  EXPECT_TRUE(slurp(merged) == slurp(bundled / "default.pcap"))
      << "conf/traffic/default.pcap differs from the generators' output: see its README";
  const json itch_truth = json::parse(slurp(dir / "itch.truth.json"));
  const json mix_truth = json::parse(slurp(dir / "mix.truth.json"));
  EXPECT_EQ(itch_truth, json::parse(slurp(bundled / "default.itch.truth.json")));
  EXPECT_EQ(mix_truth, json::parse(slurp(bundled / "default.mix.truth.json")));

  // The default profile as shipped (no rx_pcap override) replays the bundled capture.
  const Result r = run({env("SWITCHYARD_BIN"), "--config", profile.string(), "--set",
                        "eal.file_prefix=sy_it_" + std::to_string(getpid()), "--summary-json",
                        (dir / "summary.json").string()},
                       dir / "default.log");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json s = summary();
  expect_identities(s);
  EXPECT_EQ(s["ports"]["wire0"]["received"].get<uint64_t>(),
            itch_truth["frames"].get<uint64_t>() + mix_truth["frames"].get<uint64_t>());
  for (const auto& [name, t] : mix_truth["classes"].items())
    if (name.rfind("itch.", 0) != 0) {
      EXPECT_EQ(s["classes"][name]["received"], t["frames"]) << name;
    }
  const json& lines = itch_truth["feeds"]["itch"]["lines"];
  EXPECT_EQ(s["classes"]["itch.A"]["received"], lines["A"]["packets"]);
  EXPECT_EQ(s["classes"]["itch.B"]["received"], lines["B"]["packets"]);
  const json& feed = s["feeds"]["itch"];
  const json& ft = itch_truth["feeds"]["itch"];
  EXPECT_EQ(feed["applied"], ft["applied"]);
  EXPECT_EQ(feed["duplicates"], ft["duplicates"]);
  EXPECT_EQ(feed["lost"], 0);
  EXPECT_EQ(feed["state"], "ended");
  EXPECT_EQ(feed["records"], ft["decoded"]);
  // ARP requests for our address were answered through the shared tx queue's owner.
  EXPECT_GT(s["tx_ports"]["wire0"]["received"].get<uint64_t>(), 0u);
  EXPECT_EQ(s["tx_ports"]["wire0"]["received"], s["tx_ports"]["wire0"]["delivered"]);
}

TEST_F(Appliance, CapturedUnclassifiedGoesToStorage) {
  const json truth = generate(5000, "lines=50,sessions=0,other=50,malformed=0", 11,
                              {"classify.capture_unclassified=true"});
  const Result r = appliance({"classify.capture_unclassified=true"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json s = summary();
  expect_identities(s);
  EXPECT_EQ(s["classes"]["other"]["destination"], "storage");
  EXPECT_EQ(s["classes"]["other"]["received"], truth["classes"]["other"]["frames"]);
  EXPECT_EQ(s["classes"]["other"]["consumed"], truth["classes"]["other"]["frames"]);
  EXPECT_EQ(s["ports"]["wire0"]["drops"].value("unclassified", 0), 0);
}

TEST_F(Appliance, RingOverflowIsCountedAndExitsWithDataLossCode) {
  // A 64-entry ring and a consumer that sleeps up to 100 ms on the rx lcore's CPU: the ring must
  // overflow, and every overflowing packet must be counted, never silently lost.
  generate(200000, "lines=100,sessions=0,other=0,malformed=0", 3);
  const Result r = appliance({"rings.on_full=drop", "rings.md_size=64", "lcores.2.idle_spins=0",
                              "lcores.2.idle_sleep_us=100000", "lcores.1.idle=spin"});
  ASSERT_EQ(r.exit_code, 3) << r.out;
  const json s = summary();
  expect_identities(s);
  const uint64_t ring_full = s["ports"]["wire0"]["drops"].value("ring_full", 0);
  EXPECT_GT(ring_full, 0u);
  EXPECT_EQ(s["lost"].get<uint64_t>(), ring_full);
  EXPECT_EQ(s["ports"]["wire0"]["received"], 200000);
  EXPECT_NE(r.out.find("exit 3: finished, but"), std::string::npos) << r.out;
}

TEST_F(Appliance, BackpressureWaitsInsteadOfDropping) {
  // The same overload with on_full: wait loses nothing: rx stops polling until there is room.
  generate(200000, "lines=100,sessions=0,other=0,malformed=0", 3);
  const Result r = appliance({"rings.on_full=wait", "rings.md_size=64", "lcores.2.idle_spins=0",
                              "lcores.2.idle_sleep_us=100000", "lcores.1.idle=spin"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json s = summary();
  expect_identities(s);
  EXPECT_EQ(s["ports"]["wire0"]["delivered"], 200000);
  EXPECT_EQ(s["classes"]["itch.A"]["consumed"].get<uint64_t>() +
                s["classes"]["itch.B"]["consumed"].get<uint64_t>() +
                s["classes"]["itch.retransmit"]["consumed"].get<uint64_t>(),
            200000u);
}

// Until the periodic report at `report` shows the feed's and the sessions' counts unchanged for
// 2 s after they moved (at most 60 s): the capture is read. A fixed wait would stop a slow run (a
// loaded CI machine) before it read its capture. (The live report has no per-port counts; the
// final one, checked by the tests, has.)
void wait_capture_read(const fs::path& report) {
  std::string last;
  int same = 0;
  for (int i = 0; i < 1200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    json j = json::parse(fs::exists(report) ? slurp(report) : "", nullptr, false);
    if (j.is_discarded() || j["feeds"].empty()) continue;  // not yet, or half-written
    const std::string now = j["feeds"].dump() + j["execution"]["clients"].dump();
    same = now == last ? same + 1 : 0;
    last = now;
    if (same >= 40 && j["feeds"][0]["packets"].get<uint64_t>() > 0) return;
  }
  ADD_FAILURE() << "the capture was not read within 60 s";
}

TEST_F(Appliance, LiveModeStopsCleanlyOnSigterm) {
  generate(3000, "lines=50,sessions=50,other=0,malformed=0", 5);
  const fs::path report = dir / "integrity.json";
  Background sy(
      {env("SWITCHYARD_BIN"), "--config", profile.string(), "--set",
       "ports.wire0.args.rx_pcap=" + pcap.string(), "--set", "run.mode=live", "--set",
       "eal.file_prefix=sy_it_" + std::to_string(getpid()), "--set",
       "control.integrity_report=" + report.string(), "--set", "control.report_interval_ms=100",
       "--summary-json", (dir / "summary.json").string()},
      dir / "switchyard.log");
  wait_capture_read(report);
  const Result r = sy.stop(SIGTERM);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json s = summary();
  expect_identities(s);
  EXPECT_EQ(s["stop"]["reason"], "signal");
  EXPECT_EQ(s["stop"]["forced"], false);
  EXPECT_EQ(s["ports"]["wire0"]["received"], 3000);
}

TEST_F(Appliance, LiveMemifLinkCountsExactlyWhatThePeerSent) {
  // dev-memif.yaml as shipped, with its socket moved into the test's directory; dpdk-testpmd is
  // the peer (memif client, txonly), driven interactively: it stops sending, the appliance
  // drains the shared ring, and only then does the peer disconnect (frames still in a memif
  // ring vanish with the connection, and the 22.11 memif PMD can crash when a peer leaves
  // mid-traffic).
  const fs::path sock = dir / "memif.sock";
  const fs::path memif_profile = fs::path(env("SY_SOURCE_ROOT")) / "conf/profiles/dev-memif.yaml";
  const std::string file_prefix = "sy_it_memif_" + std::to_string(getpid());
  HugepagesReleasedAtExit release{file_prefix};  // before the appliance: runs after it stops
  Background sy(
      {env("SWITCHYARD_BIN"), "--config", memif_profile.string(), "--set",
       "ports.memif0.args.socket=" + sock.string(), "--set", "eal.file_prefix=" + file_prefix,
       "--summary-json", (dir / "summary.json").string()},
      dir / "switchyard.log");
  for (int i = 0; i < 200 && !fs::exists(sock); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(fs::exists(sock)) << "the appliance did not create its memif socket";
  Background peer(
      {"dpdk-testpmd", "--lcores=0@0,1@0", "--file-prefix=sy_it_peer_" + std::to_string(getpid()),
       "--no-huge", "-m", "512", "--no-shconf", "--no-pci",
       "--vdev=net_memif0,role=client,socket=" + sock.string() + ",socket-abstract=no", "--", "-i",
       "--forward-mode=txonly", "--txpkts=128", "--total-num-mbufs=8192"},
      dir / "testpmd.log", true);
  std::this_thread::sleep_for(std::chrono::seconds(2));  // EAL up, memif connected
  peer.send("start\n");
  std::this_thread::sleep_for(std::chrono::seconds(3));
  peer.send("stop\n");
  std::this_thread::sleep_for(std::chrono::seconds(1));  // the appliance drains the ring
  peer.send("quit\n");
  const Result p = peer.wait_exit();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const Result r = sy.stop(SIGTERM);
  ASSERT_EQ(r.exit_code, 0) << r.out;

  // testpmd prints its port totals at exit: "TX-packets: N ...".
  const auto at = p.out.rfind("TX-packets:");
  ASSERT_NE(at, std::string::npos) << p.out;
  const uint64_t sent = std::stoull(p.out.substr(at + 11));
  ASSERT_GT(sent, 0u) << p.out;
  const json s = summary();
  expect_identities(s);
  EXPECT_EQ(s["stop"]["reason"], "signal");
  EXPECT_EQ(s["ports"]["memif0"]["received"].get<uint64_t>(), sent);
  // testpmd's txonly frames go to UDP port 9: unclassified, counted, not loss.
  EXPECT_EQ(s["ports"]["memif0"]["drops"].value("unclassified", 0), sent);
}

TEST_F(Appliance, TwoPortsTwoRxLcoresEachMatchTheirTruth) {
  // Two rx lcores feed the same integrity lcore: it must wait for both end markers.
  const fs::path two = dir / "two-ports.yaml";
  {
    std::ofstream out(two);
    out << "eal: { file_prefix: sy_it_two_" << getpid() << " }\n"
        << "lcores:\n"
           "  - { id: 0, cpu: 0, role: control }\n"
           "  - { id: 1, cpu: 1, role: rx, ports: [wire0] }\n"
           "  - { id: 2, cpu: 0, role: rx, ports: [wire1] }\n"
           "  - { id: 3, cpu: 1, role: integrity }\n"
           "  - { id: 4, cpu: 0, role: execution }\n"
           "  - { id: 5, cpu: 0, role: storage }\n"
           "ports:\n"
           "  - { name: wire0, device: net_pcap0, args: { rx_pcap: a.pcap } }\n"
           "  - { name: wire1, device: net_pcap1, args: { rx_pcap: b.pcap } }\n"
           "feeds:\n"
           "  - name: itch\n"
           "    lines:\n"
           "      - { name: A, port: wire0, udp_dst: 26400, ipv4_dst: 233.54.12.111 }\n"
           "      - { name: B, port: wire1, udp_dst: 26400, ipv4_dst: 233.54.12.111 }\n"
           "sessions:\n"
           "  - { name: client1, port: wire0, udp_dst: 40001, username: strat1, password: pw1 }\n"
        << "execution: { policy: " << env("SY_SOURCE_ROOT") << "/conf/policy/risk.yaml }\n"
        << "rings: { on_full: wait }\n"
           "run: { mode: batch }\n";
  }
  json truth[2];
  const char* port_names[2] = {"wire0", "wire1"};
  const char* files[2] = {"a.pcap", "b.pcap"};
  for (int p = 0; p < 2; ++p) {
    const Result g =
        run({env("SWITCHYARD_TRAFFIC_BIN"), "--config", two.string(), "--port", port_names[p],
             "--frames", "6000", "--seed", std::to_string(20 + p), "--mix",
             p == 0 ? "lines=50,sessions=40,other=5,malformed=5" : "lines=90,other=5,malformed=5",
             "--out", (dir / files[p]).string()},
            dir / "gen.log");
    ASSERT_EQ(g.exit_code, 0) << g.out;
    truth[p] = json::parse(slurp(dir / (std::string(files[p], 1) + ".truth.json")));
  }
  const Result r = run({env("SWITCHYARD_BIN"), "--config", two.string(), "--summary-json",
                        (dir / "summary.json").string()},
                       dir / "switchyard.log");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json s = summary();
  expect_identities(s);
  for (int p = 0; p < 2; ++p) {
    const json& port = s["ports"][port_names[p]];
    EXPECT_EQ(port["received"], truth[p]["frames"]) << port_names[p];
    EXPECT_EQ(port["bytes"], truth[p]["bytes"]) << port_names[p];
    for (const auto& [reason, n] : truth[p]["drops"].items())
      EXPECT_EQ(port["drops"].value(reason, 0), n.get<uint64_t>()) << port_names[p] << reason;
  }
  EXPECT_EQ(s["classes"]["itch.A"]["received"], truth[0]["classes"]["itch.A"]["frames"]);
  EXPECT_EQ(s["classes"]["itch.B"]["received"], truth[1]["classes"]["itch.B"]["frames"]);
  EXPECT_EQ(s["classes"]["client1"]["consumed"], truth[0]["classes"]["client1"]["frames"]);
}

TEST_F(Appliance, IntegrityReportIsWrittenLiveAndAtExitAndMatchesItsSchema) {
  generate(3000, "lines=80,sessions=20,other=0,malformed=0", 5);
  const fs::path report = dir / "integrity.json";
  Background sy(
      {env("SWITCHYARD_BIN"), "--config", profile.string(), "--set",
       "ports.wire0.args.rx_pcap=" + pcap.string(), "--set", "run.mode=live", "--set",
       "eal.file_prefix=sy_it_rep_" + std::to_string(getpid()), "--set",
       "control.integrity_report=" + report.string(), "--set", "control.report_interval_ms=100",
       "--summary-json", (dir / "summary.json").string()},
      dir / "switchyard.log");
  for (int i = 0; i < 100 && !fs::exists(report); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(fs::exists(report)) << "no periodic report";
  wait_capture_read(report);
  const json live = json::parse(slurp(report));
  EXPECT_EQ(live["final"], false);
  expect_valid_report(report);

  const Result r = sy.stop(SIGTERM);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json fin = json::parse(slurp(report));
  EXPECT_EQ(fin["final"], true);
  expect_valid_report(report);
  ASSERT_EQ(fin["feeds"].size(), 1u);
  const json& feed = fin["feeds"][0];
  EXPECT_EQ(feed["name"], "itch");
  // These payloads are random bytes, not MoldUDP64: counted by reason, never applied silently.
  uint64_t packets = 0;
  for (const char* c : {"itch.A", "itch.B", "itch.retransmit"})
    packets += fin["packets"]["classes"][c]["consumed"].get<uint64_t>();
  EXPECT_EQ(feed["packets"].get<uint64_t>(), packets);
  EXPECT_EQ(
      feed["messages"]["received"].get<uint64_t>(),
      feed["messages"]["applied"].get<uint64_t>() + feed["messages"]["duplicates"].get<uint64_t>());
  EXPECT_EQ(fin["packets"]["ports"]["wire0"]["received"], 3000);
}

TEST_F(Appliance, ExpectFramesEndsTheBatch) {
  generate(4000, "lines=50,sessions=50,other=0,malformed=0", 9);
  const Result r = appliance({"run.expect_frames=4000", "run.idle_stop_ms=3600000"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(summary()["stop"]["reason"], "batch: expected frames arrived");
}

TEST_F(Appliance, ConfigErrorExitsTwoWithLocation) {
  generate(10, "lines=100,sessions=0,other=0,malformed=0", 1);
  const Result r = appliance({"rings.burst=1000"});
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("--set: rings.burst: 1000 is out of range 1..256"), std::string::npos)
      << r.out;
}

TEST_F(Appliance, CheckConfigPrintsResolvedDefaults) {
  const Result r =
      run({env("SWITCHYARD_BIN"), "--check-config", profile.string()}, dir / "check.log");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("rx_descriptors: 1024"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("idle_spins: 64"), std::string::npos) << r.out;
}

TEST_F(Appliance, UnknownArgumentIsAUsageError) {
  const Result r = run({env("SWITCHYARD_BIN"), "--confg", "x"}, dir / "usage.log");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("unknown argument '--confg'"), std::string::npos) << r.out;
}

}  // namespace
