// switchyard-gen against the real appliance over a live memif link, short and bounded: every
// frame sent arrives at the appliance (its books say so), and the ARP probes come back through
// its rx lcore and tx queue with a round-trip time.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "tests/integration/harness.hpp"

namespace {

using namespace sy::testing;
using nlohmann::json;

class GenLive : public ProcessTest {
 protected:
  GenLive() : ProcessTest("sy_gen_") {}
  void TearDown() override {
    std::error_code ec;  // EAL runtime directories (created even with --in-memory)
    for (const char* n : {"sy_gen_app_", "sy_gen_gen_"})
      fs::remove_all(fs::path("/var/run/dpdk") / (n + std::to_string(getpid())), ec);
    ProcessTest::TearDown();
  }
};

TEST_F(GenLive, MarketDataArrivesAndProbesRoundTripOverMemif) {
  const fs::path src = env("SY_SOURCE_ROOT");
  const fs::path profile_yaml = src / "conf/profiles/dev-memif.yaml";
  const fs::path sock = dir / "memif.sock";
  const std::string tag = std::to_string(getpid());
  const std::vector<std::string> sets = {
      "--set", "eal.file_prefix=sy_gen_app_" + tag,         "--set", "eal.in_memory=true",
      "--set", "ports.memif0.args.socket=" + sock.string(), "--set", "run.max_runtime_ms=60000"};
  std::vector<std::string> app = {env("SWITCHYARD_BIN"), "--config", profile_yaml.string(),
                                  "--summary-json", (dir / "summary.json").string()};
  app.insert(app.end(), sets.begin(), sets.end());
  Background appliance(app, dir / "appliance.log");
  for (int i = 0; i < 200 && !fs::exists(sock); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(fs::exists(sock)) << slurp(dir / "appliance.log");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // lcores running

  std::vector<std::string> gen = {env("SWITCHYARD_GEN_BIN"),
                                  "--config",
                                  profile_yaml.string(),
                                  "--profile",
                                  (src / "perf/profiles/steady.yaml").string(),
                                  "--rate",
                                  "5000",
                                  "--duration-ms",
                                  "1000",
                                  "--probe-interval-us",
                                  "1000",
                                  "--out",
                                  (dir / "gen.json").string()};
  gen.insert(gen.end(), sets.begin(), sets.end() - 2);  // the same socket, not the run limit
  for (const char* a : {"--", "--lcores=0@0", "--no-huge", "-m", "256", "--no-shconf", "--no-pci",
                        "--log-level=error"})
    gen.push_back(a);
  gen.push_back("--file-prefix=sy_gen_gen_" + tag);
  gen.push_back("--vdev=net_memif0,role=client,socket=" + sock.string() + ",socket-abstract=no");
  const Result g =
      run(gen, dir / "gen.log", std::chrono::milliseconds(0), std::chrono::seconds(60));
  EXPECT_EQ(g.exit_code, 0) << g.out;
  // Stop the appliance after the generator left (memif: the sender goes first).
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const Result a = appliance.stop(SIGTERM, std::chrono::seconds(60));
  EXPECT_EQ(a.exit_code, 0) << a.out;

  const json r = json::parse(slurp(dir / "gen.json"));
  const uint64_t data = r["sent"]["data_frames"], probes = r["sent"]["probes"];
  EXPECT_GE(data, 4950u);  // 5000 pps for 1 s, within the last partial burst
  // One per ms when the generator keeps its schedule; a late loop skips probes rather than
  // bunching them, and a loaded host makes loops late.
  EXPECT_GE(probes, 500u);
  const uint64_t replies = r["received"]["probe_replies"];
  EXPECT_GE(replies * 10, probes * 9) << r.dump(2);  // a loaded host may lose a few
  EXPECT_EQ(r["rtt_ns"]["count"].get<uint64_t>(), replies);
  EXPECT_GT(r["rtt_ns"]["p50"].get<uint64_t>(), 0u);
  EXPECT_LE(r["rtt_ns"]["p50"].get<uint64_t>(), r["rtt_ns"]["p99"].get<uint64_t>());
  EXPECT_FALSE(r["timeline"].empty());

  // The appliance's books: every data frame reached the feed classes, every probe class local.
  const json s = json::parse(slurp(dir / "summary.json"));
  const uint64_t md = s["classes"]["itch.A"]["received"].get<uint64_t>() +
                      s["classes"]["itch.B"]["received"].get<uint64_t>();
  EXPECT_EQ(md, data);
  EXPECT_EQ(s["classes"]["local"]["received"].get<uint64_t>(), probes);
  EXPECT_TRUE(s["identity_violations"].empty());
}

}  // namespace
