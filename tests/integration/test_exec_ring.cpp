// The in-process execution harness (switchyard-bench-exec-ring, perf/bench_exec_ring.cpp) as a
// smoke test: the appliance over net_ring ports with the order peer on an extra lcore of the
// same process, 20,000 Enter Orders at 20,000/s, 5 % of them breaking max shares. Checked by
// counts only, never by time: the run stops cleanly, and every order ends in exactly one of
// forwarded (the venue got it and answered) or rejected (the breaches, by max_shares), the
// client hears one answer per order, and the ledger equals the executions.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/integration/harness.hpp"

namespace sy::testing {
namespace {

using json = nlohmann::json;

class ExecRing : public ProcessTest {
 protected:
  ExecRing() : ProcessTest("sy_exec_ring_") {}

  void write_files(const fs::path& cfg, const fs::path& policy) {
    std::ofstream(policy)
        << "reference: { max_age_ms: 600000, source: mid_or_last }\n"
           "accounts:\n"
           "  - name: DESK1\n"
           "    id: 0\n"
           "    sessions: [client1]\n"
           "    max_shares_per_order: 10000\n"
           "    max_order_notional_usd: 1000000\n"
           "    price_collar_bps: 500\n"
           "    max_open_orders: 1000000\n"
           "    max_position_shares: 1000000000\n"
           "    max_gross_exposure_usd: 1000000000000\n"
           "    max_account_position_shares: 1000000000\n"
           "    max_account_gross_exposure_usd: 1000000000000\n"
           "    order_rate_per_s: 1000000\n"
           "    order_burst: 100000\n"
           "    instruments: [ { symbol: AAPL }, { symbol: MSFT }, { symbol: SPY } ]\n";
    // control.supervise off: this checks the harness's books, not how the control plane reacts
    // to a host that stalls an lcore (tested in the control suite).
    std::ofstream(cfg)
        << "eal: { file_prefix: sy_exec_ring_" << getpid()
        << ", hugepages: \"off\", memory_mb: 512 }\n"
           "lcores:\n"
           "  - { id: 0, cpu: 0, role: control }\n"
           "  - { id: 1, cpu: 1, role: rx, ports: [ring0] }\n"
           "  - { id: 2, cpu: 0, role: integrity }\n"
           "  - { id: 3, cpu: 1, role: execution }\n"
           "  - { id: 4, cpu: 0, role: storage }\n"
           "ports:\n"
           "  - name: ring0\n"
           "    device: net_ring_syexec\n"
           "    ipv4: 10.1.0.2\n"
           "    mac: \"02:53:59:00:00:02\"\n"
           "    next_hop_mac: \"02:53:59:00:00:09\"\n"
           "feeds:\n"
           "  - name: itch\n"
           "    lines:\n"
           "      - { name: A, port: ring0, udp_dst: 26400, ipv4_dst: 233.54.12.111 }\n"
           "      - { name: B, port: ring0, udp_dst: 26401, ipv4_dst: 233.54.12.112 }\n"
           "sessions:\n"
           "  - { name: client1, side: client, port: ring0, udp_dst: 40001, username: strat1,\n"
           "      password: pw1 }\n"
           "  - { name: venue, side: venue, port: ring0, udp_dst: 40100, username: sy01,\n"
           "      password: vpw, server_ipv4: 10.1.0.20, server_udp: 40100 }\n"
        << "execution: { policy: " << policy.string() << ", max_orders: 65536 }\n"
        << "rings: { on_full: wait }\n"
           "run: { mode: live }\n"
           "control: { supervise: false }\n";
  }
};

TEST_F(ExecRing, EveryOrderEndsForwardedOrRejected) {
  const fs::path cfg = dir / "exec.yaml", policy = dir / "risk.yaml";
  write_files(cfg, policy);
  const Result r =
      run({env("SWITCHYARD_EXEC_RING_BIN"), "--config", cfg.string(), "--summary-json",
           (dir / "summary.json").string(), "--peer-lcore", "5@0", "--pps", "20000", "--flood-ms",
           "1000", "--breach-percent", "5", "--window", "1024", "--linger-ms", "10000"},
          dir / "run.log", std::chrono::milliseconds(0), std::chrono::seconds(120));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const size_t last = r.out.rfind("\n{");
  ASSERT_NE(last, std::string::npos) << r.out;
  const json peer = json::parse(r.out.substr(last + 1));
  const json x = json::parse(slurp(dir / "summary.json"))["execution"];
  const json& flood = peer["flood"];
  const json& client = peer["client"];
  const json& venue = peer["venue"];
  const json& rc = x["router"];

  constexpr uint64_t kOrders = 20'000, kBreaching = 1'000, kClean = kOrders - kBreaching;
  EXPECT_FALSE(peer["cut_short"].get<bool>());
  EXPECT_EQ(flood["sent"], kOrders);
  EXPECT_EQ(flood["breaching"], kBreaching);
  EXPECT_EQ(client["logins_accepted"], 1);
  EXPECT_EQ(client["gaps"], 0);
  EXPECT_TRUE(venue["logged_in"].get<bool>());

  // Every order reached the router and ended forwarded or rejected, never both, never neither.
  EXPECT_EQ(rc["orders_in"], kOrders);
  EXPECT_EQ(rc["forwarded"], kClean);
  EXPECT_EQ(rc["rejected"], kBreaching);
  EXPECT_EQ(rc["ignored"], 0);
  EXPECT_EQ(x["gate"]["failed_by_check"].value("max_shares", 0u), kBreaching);
  EXPECT_EQ(x["gate"]["failed_by_check"].size(), 1u) << x["gate"].dump();

  // The venue saw exactly the forwarded ones; the client heard one answer per order.
  EXPECT_EQ(venue["enters"], kClean);
  EXPECT_EQ(venue["accepted"], kClean);
  EXPECT_EQ(venue["undecodable"], 0);
  EXPECT_EQ(client["by_type"].value("A", 0u), kClean);
  EXPECT_EQ(client["by_type"].value("J", 0u), kBreaching);
  EXPECT_EQ(client["by_type"].value("E", 0u), venue["executed"].get<uint64_t>());
  EXPECT_EQ(client["by_type"].value("C", 0u), venue["canceled"].get<uint64_t>());
  EXPECT_EQ(venue["executed"].get<uint64_t>() + venue["canceled"].get<uint64_t>(), kClean);

  // The ledger equals the executions; IOC orders leave nothing open.
  EXPECT_EQ(x["ledger"]["executed_shares"], venue["executed_shares"]);
  EXPECT_EQ(client["executed_shares"], venue["executed_shares"]);
  EXPECT_EQ(x["ledger"]["open_orders"], 0);
  EXPECT_EQ(x["ledger"]["audit"], "");

  // Each order's decision and each forwarded order's send were measured.
  EXPECT_EQ(x["latency"]["rx_to_decision"]["count"], kOrders);
  EXPECT_EQ(x["latency"]["rx_to_tx"]["count"], kClean);
}

}  // namespace
}  // namespace sy::testing
