// The real binary on generated MoldUDP64/ITCH 5.0 captures with each fault kind, replayed on
// the capture clock: the integrity report must equal the generator's ground truth exactly
// (applied, duplicates, gaps, lost ranges, sessions, decode errors, per-line health), and the
// books must equal the generator's own book model, written independently of src/book.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/integration/harness.hpp"

namespace {

using namespace sy::testing;
using nlohmann::json;

class MarketData : public ProcessTest {
 protected:
  MarketData() : ProcessTest("sy_md_") {}

  // Generates the feed capture, runs the appliance on it, returns {truth feed, report feed}.
  std::pair<json, json> replay(const std::string& faults, uint64_t messages = 20000,
                               uint64_t seed = 11, const std::vector<std::string>& sets = {}) {
    const fs::path pcap = dir / "itch.pcap";
    const Result g = run({env("SWITCHYARD_ITCH_BIN"), "--config", profile.string(), "--messages",
                          std::to_string(messages), "--seed", std::to_string(seed), "--instruments",
                          "6", "--faults", faults, "--out", pcap.string()},
                         dir / "gen.log");
    EXPECT_EQ(g.exit_code, 0) << g.out;
    const json truth = json::parse(slurp(dir / "itch.truth.json"));
    const fs::path report = dir / "integrity.json";
    std::vector<std::string> argv = {env("SWITCHYARD_BIN"),
                                     "--config",
                                     profile.string(),
                                     "--set",
                                     "ports.wire0.args.rx_pcap=" + pcap.string(),
                                     "--set",
                                     "run.clock=capture",
                                     "--set",
                                     "eal.file_prefix=sy_md_" + std::to_string(getpid()),
                                     "--set",
                                     "control.integrity_report=" + report.string(),
                                     "--summary-json",
                                     (dir / "summary.json").string()};
    for (const auto& s : sets) argv.insert(argv.end(), {"--set", s});
    const Result r = run(argv, dir / "switchyard.log");
    EXPECT_EQ(r.exit_code, 0) << r.out;
    last_out = r.out;
    const json rep = json::parse(slurp(report));
    EXPECT_EQ(rep["final"], true);
    EXPECT_TRUE(rep["packets"]["identity_violations"].empty());
    return {truth["feeds"]["itch"], rep["feeds"][0]};
  }

  static void expect_counts_equal(const json& t, const json& f) {
    EXPECT_EQ(f["messages"]["applied"], t["applied"]);
    EXPECT_EQ(f["messages"]["duplicates"], t["duplicates"]);
    EXPECT_EQ(f["messages"]["lost"], t["lost"]);
    EXPECT_EQ(f["gaps"]["detected"], t["gaps_detected"]);
    EXPECT_EQ(f["gaps"]["filled_in_window"], t["filled_in_window"]);
    EXPECT_EQ(f["sessions"], t["sessions"]);
    EXPECT_EQ(f["records"]["decoded"], t["decoded"]);
    EXPECT_EQ(f["records"]["produced"], t["decoded"]);
    EXPECT_EQ(f["records"]["consumed_by_storage"], t["decoded"]);
    EXPECT_EQ(f["records"]["dropped_ring_full"], 0);
    EXPECT_EQ(f["state"], t["end_of_session"].get<bool>() ? "ended" : "healthy");
    for (const auto& [reason, n] : t["decode_errors"].items())
      EXPECT_EQ(f["decode_errors"][reason], n) << reason;
    // Per-line health: what each line delivered, and its own gaps.
    for (const char* line : {"A", "B"}) {
      for (const char* k : {"packets", "messages", "applied", "duplicates", "heartbeats",
                            "own_gaps", "own_gap_messages"})
        EXPECT_EQ(f["lines"][line][k], t["lines"][line][k]) << line << "." << k;
    }
    // Lost ranges, in order, exactly.
    ASSERT_EQ(f["gaps"]["lost_ranges"].size(), t["lost_ranges"].size());
    for (size_t i = 0; i < t["lost_ranges"].size(); ++i) {
      EXPECT_EQ(f["gaps"]["lost_ranges"][i]["first"], t["lost_ranges"][i]["first"]) << i;
      EXPECT_EQ(f["gaps"]["lost_ranges"][i]["last"], t["lost_ranges"][i]["last"]) << i;
    }
  }

  // The appliance's books against the generator's order model, instrument by instrument.
  static void expect_books_equal(const json& t, const json& f) {
    ASSERT_FALSE(t["books_unknown"].get<bool>());
    ASSERT_TRUE(t.contains("books"));
    size_t compared = 0;
    for (const auto& [symbol, b] : t["books"].items()) {
      const json* top = nullptr;
      for (const auto& e : f["books"]["top"])
        if (e["locate"] == b["locate"]) top = &e;
      ASSERT_NE(top, nullptr) << symbol;
      EXPECT_EQ((*top)["bid_price"], b["bid_price"]) << symbol;
      EXPECT_EQ((*top)["bid_shares"], b["bid_shares"]) << symbol;
      EXPECT_EQ((*top)["ask_price"], b["ask_price"]) << symbol;
      EXPECT_EQ((*top)["ask_shares"], b["ask_shares"]) << symbol;
      EXPECT_EQ((*top)["live_orders"], b["live_orders"]) << symbol;
      EXPECT_EQ((*top)["last_price"], b["last_trade_price"]) << symbol;
      EXPECT_EQ((*top)["volume"], b["volume"]) << symbol;
      EXPECT_FALSE((*top)["book_unknown"].get<bool>()) << symbol;
      ++compared;
    }
    EXPECT_EQ(compared, 6u);
  }

  std::string last_out;
};

TEST_F(MarketData, FaultFreeFeedAppliesEverythingOnceAndBuildsTheBooks) {
  const auto [t, f] = replay("loss_a=0");
  expect_counts_equal(t, f);
  expect_books_equal(t, f);
  EXPECT_EQ(f["messages"]["lost"], 0);
  EXPECT_EQ(f["mid_session"], false);
  // Every message arrived on both lines: one copy applied, the other suppressed.
  EXPECT_EQ(f["messages"]["duplicates"], f["messages"]["applied"]);
}

TEST_F(MarketData, InstrumentsFromYamlJoinTheOnesFromTheDirectory) {
  const auto [t, f] =
      replay("loss_a=0", 5000, 11, {"feeds.itch.instruments=[{locate: 99, symbol: ZZZZ}]"});
  expect_books_equal(t, f);
  EXPECT_EQ(f["books"]["instruments"], 7);  // 6 from Stock Directory messages, 1 from YAML
  bool found = false;
  for (const auto& e : f["books"]["top"]) found |= e["locate"] == 99 && e["symbol"] == "ZZZZ    ";
  EXPECT_TRUE(found);
}

TEST_F(MarketData, LossOnOneLineIsFilledByTheOther) {
  const auto [t, f] = replay("loss_a=4,loss_b=3");
  expect_counts_equal(t, f);
  expect_books_equal(t, f);
  EXPECT_EQ(f["messages"]["lost"], 0);
  EXPECT_GT(f["lines"]["A"]["own_gaps"].get<uint64_t>(), 0u);
  EXPECT_GT(f["lines"]["B"]["own_gaps"].get<uint64_t>(), 0u);
}

TEST_F(MarketData, DuplicatesAndReorderingAreAbsorbed) {
  const auto [t, f] = replay("duplicate=4,reorder=3");
  expect_counts_equal(t, f);
  expect_books_equal(t, f);
  EXPECT_GT(f["gaps"]["filled_in_window"].get<uint64_t>(), 0u);
}

TEST_F(MarketData, MalformedMessagesAreCountedAndSkipped) {
  const auto [t, f] = replay("malformed=6");
  expect_counts_equal(t, f);
  expect_books_equal(t, f);
  EXPECT_GT(f["decode_errors"]["itch_short"].get<uint64_t>() +
                f["decode_errors"]["itch_unknown_type"].get<uint64_t>(),
            0u);
}

TEST_F(MarketData, LossOnBothLinesIsReportedWithItsExactRangeAndBooksAreUnknown) {
  const auto [t, f] = replay("loss_both=3");
  expect_counts_equal(t, f);
  EXPECT_GT(f["messages"]["lost"].get<uint64_t>(), 0u);
  EXPECT_TRUE(t["books_unknown"].get<bool>());
  EXPECT_GT(f["books"]["instruments_unknown"].get<uint64_t>(), 0u);
  // The feed asked the retransmission server (nobody answers a pcap).
  EXPECT_GT(f["rerequests"]["sent"].get<uint64_t>(), 0u);
  bool saw_lost_event = false;
  for (const auto& e : f["events"]) saw_lost_event |= e["kind"] == "range_lost";
  EXPECT_TRUE(saw_lost_event);
}

TEST_F(MarketData, SessionChangeRestartsAndResetsTheBooks) {
  const auto [t, f] = replay("session_change=1,loss_a=2");
  expect_counts_equal(t, f);
  EXPECT_EQ(f["sessions"], 2);
  expect_books_equal(t, f);
}

TEST_F(MarketData, EveryFaultAtOnce) {
  const auto [t, f] =
      replay("loss_a=3,loss_b=3,loss_both=2,duplicate=3,reorder=2,malformed=3", 40000, 23);
  expect_counts_equal(t, f);
}

TEST_F(MarketData, ReplayOnTheCaptureClockIsDeterministic) {
  const auto first = replay("loss_both=2,reorder=2", 10000, 5).second;
  const auto second = replay("loss_both=2,reorder=2", 10000, 5).second;
  // Everything but the wall-clock parts (the feed's last_seen and event times are capture
  // times, so they must match too).
  EXPECT_EQ(first["messages"], second["messages"]);
  EXPECT_EQ(first["gaps"], second["gaps"]);
  EXPECT_EQ(first["lines"], second["lines"]);
  EXPECT_EQ(first["events"], second["events"]);
  EXPECT_EQ(first["books"]["top"], second["books"]["top"]);
}

TEST_F(MarketData, GapsOnBothLinesAreRecoveredByReRequestOverALiveLink) {
  // The appliance is the memif server; switchyard-retransmitter (memif client) plays the feed
  // with packets missing on both lines and answers the appliance's MoldUDP64 re-requests.
  const fs::path sock = dir / "memif.sock", report = dir / "integrity.json";
  const fs::path cfg = dir / "live.yaml";
  {
    std::ofstream out(cfg);
    out << "eal: { file_prefix: sy_md_live_" << getpid() << ", hugepages: \"off\" }\n"
        << "lcores:\n"
           "  - { id: 0, cpu: 0, role: control }\n"
           "  - { id: 1, cpu: 1, role: rx, ports: [memif0], idle: pause }\n"
           "  - { id: 2, cpu: 0, role: integrity }\n"
           "  - { id: 3, cpu: 0, role: execution }\n"
           "  - { id: 4, cpu: 0, role: storage }\n"
           "ports:\n"
           "  - name: memif0\n"
           "    device: net_memif0\n"
        << "    args: { role: server, socket: " << sock.string() << ", socket-abstract: \"no\" }\n"
        << "    ipv4: 10.1.0.2\n"
           "    mac: \"02:53:59:00:00:02\"\n"
           "    next_hop_mac: \"02:53:59:00:00:09\"\n"
           "feeds:\n"
           "  - name: itch\n"
           "    lines:\n"
           "      - { name: A, port: memif0, udp_dst: 26400, ipv4_dst: 233.54.12.111 }\n"
           "      - { name: B, port: memif0, udp_dst: 26401, ipv4_dst: 233.54.12.112 }\n"
           "    retransmit: { port: memif0, udp_dst: 26402, server_ipv4: 10.1.0.9, "
           "server_udp: 26403 }\n"
           "run: { mode: live }\n"
        << "control: { integrity_report: " << report.string() << ", report_interval_ms: 100 }\n";
  }
  const std::vector<std::string> feed_args = {
      "--messages", "20000", "--seed", "3",        "--instruments",
      "6",          "--pps", "20000",  "--faults", "loss_both=3,loss_a=2"};
  // The truth of the same feed (what the lines lose), from the generator.
  std::vector<std::string> gen = {env("SWITCHYARD_ITCH_BIN"), "--config", cfg.string(), "--out",
                                  (dir / "truth.pcap").string()};
  gen.insert(gen.end(), feed_args.begin(), feed_args.end());
  ASSERT_EQ(run(gen, dir / "gen.log").exit_code, 0);
  const json truth = json::parse(slurp(dir / "truth.truth.json"))["feeds"]["itch"];
  ASSERT_GT(truth["lost"].get<uint64_t>(), 0u);

  Background sy({env("SWITCHYARD_BIN"), "--config", cfg.string(), "--summary-json",
                 (dir / "summary.json").string()},
                dir / "switchyard.log");
  // Ready: the first periodic report is written once every lcore runs (the memif socket exists
  // earlier, at port bring-up).
  for (int i = 0; i < 200 && !fs::exists(report); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(fs::exists(sock) && fs::exists(report));
  std::vector<std::string> rt = {env("SWITCHYARD_RETRANSMITTER_BIN"), "--config", cfg.string(),
                                 "--linger-ms", "1500"};
  rt.insert(rt.end(), feed_args.begin(), feed_args.end());
  for (const char* a : {"--", "--lcores=0@0", "--no-huge", "-m", "256", "--no-shconf", "--no-pci",
                        "--log-level=error"})
    rt.push_back(a);
  rt.push_back("--file-prefix=sy_md_rt_" + std::to_string(getpid()));
  rt.push_back("--vdev=net_memif0,role=client,socket=" + sock.string() + ",socket-abstract=no");
  const Result server = run(rt, dir / "retransmitter.log");
  EXPECT_EQ(server.exit_code, 0) << server.out;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const Result r = sy.stop(SIGTERM);
  ASSERT_EQ(r.exit_code, 0) << r.out;

  const json f = json::parse(slurp(report))["feeds"][0];
  // Every message published was applied: the ones both lines lost came back by re-request.
  EXPECT_EQ(f["messages"]["applied"], truth["messages_unique"]);
  EXPECT_EQ(f["messages"]["lost"], 0);
  EXPECT_EQ(f["gaps"]["detected"], truth["gaps_detected"]);
  EXPECT_EQ(f["gaps"]["recovered_rerequest"], truth["lost"]);
  EXPECT_EQ(f["messages"]["applied_recovered"], truth["lost"]);
  EXPECT_GE(f["rerequests"]["sent"].get<uint64_t>(), truth["gaps_detected"].get<uint64_t>());
  EXPECT_EQ(f["books"]["instruments_unknown"], 0);
  bool recovered_event = false;
  for (const auto& e : f["events"]) recovered_event |= e["kind"] == "gap_recovered";
  EXPECT_TRUE(recovered_event);
}

}  // namespace
