// The order path end to end over a live memif link: switchyard-venue plays a strategy client
// (the order flow of perf/traffic/order_flow.hpp), the venue (VenueSim) and the market data the
// gate prices against; the appliance runs sessions, gate, ledger and forwarding between them.
// Checked: every order ends in exactly one of forwarded / rejected, the rejected ones are exactly
// the flow's limit breaches, the venue sees exactly the clean ones, the ledger equals the sum of
// the executions, and (referee) the OUCH we sent the client decodes in tshark's own dissector.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "tests/integration/harness.hpp"

namespace sy::testing {
namespace {

using json = nlohmann::json;

// kill_then_restart(): a first run trades through `peer` (switchyard-venue with `peer_flow`,
// which stays to serve the venue session) and is killed (-9) once the flow is answered; then a
// second run starts on the same state file and its control API port is known.
struct KilledRun {
  uint64_t first_epoch = 0;
  std::unique_ptr<Background> peer;
  std::unique_ptr<Background> second;
};

class Execution : public ProcessTest {
 protected:
  Execution() : ProcessTest("sy_exec_") {}

  // The flow's default limits (perf/traffic/order_flow.hpp) as the account's policy, with room
  // for every clean order in positions, exposure, open orders and rate.
  struct Reply {
    int status = 0;
    json body;
  };
  Reply http(const std::string& method, const std::string& path, const std::string& token,
             const std::string& body = "") {
    std::vector<std::string> a = {"/usr/bin/curl", "-s", "-o",  (dir / "body").string(), "-w",
                                  "%{http_code}",  "-X", method};
    if (!token.empty()) a.insert(a.end(), {"-H", "Authorization: Bearer " + token});
    if (!body.empty()) a.insert(a.end(), {"-H", "Content-Type: application/json", "-d", body});
    a.push_back("http://127.0.0.1:" + std::to_string(port) + path);
    const Result r = run(a, dir / "curl.log");
    Reply rep;
    rep.status = std::atoi(r.out.c_str());
    try {
      rep.body = json::parse(slurp(dir / "body"));
    } catch (...) {
    }
    return rep;
  }
  int port = 0;
  static constexpr const char* kToken = "exec-test-token-0123";

  void write_policy(const fs::path& p, int max_shares = 10000) {
    std::ofstream out(p);
    out << "reference: { max_age_ms: 60000, source: mid_or_last }\n"
           "accounts:\n"
           "  - name: DESK1\n"
           "    id: 0\n"
           "    sessions: [client1]\n"
           "    max_shares_per_order: "
        << max_shares
        << "\n"
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
  }

  void write_config(const fs::path& cfg, const fs::path& sock, const fs::path& policy,
                    const fs::path& gate_log, const std::string& control_extra = "") {
    std::ofstream out(cfg);
    out << "eal: { file_prefix: sy_exec_" << getpid() << ", hugepages: \"off\" }\n"
        << "lcores:\n"
           "  - { id: 0, cpu: 0, role: control }\n"
           "  - { id: 1, cpu: 1, role: rx, ports: [memif0], idle: pause }\n"
           "  - { id: 2, cpu: 0, role: integrity, idle: pause }\n"
           "  - { id: 3, cpu: 1, role: execution, idle: pause }\n"
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
           "sessions:\n"
           "  - { name: client1, side: client, port: memif0, udp_dst: 40001, username: strat1,\n"
           "      password: pw1 }\n"
           "  - { name: venue, side: venue, port: memif0, udp_dst: 40100, username: sy01,\n"
           "      password: vpw, server_ipv4: 10.1.0.20, server_udp: 40100 }\n"
        << "execution: { policy: " << policy.string() << ", gate_log: " << gate_log.string()
        << " }\n"
        << "run: { mode: live }\n"
        // A disk busy with other suites' I/O stalls a write past 100 ms now and then; that
        // storage hazard (SAFE: every Enter Order rejected) is the storage tests' subject.
        << "storage: { dir: " << (dir / "store").string()
        << ", segment_mib: 4, slow_completion_ms: 10000 }\n"
        << "control: { integrity_report: " << (dir / "integrity.json").string()
        << ", report_interval_ms: 100, audit_log: " << (dir / "audit.jsonl").string()
        << ", api: { enabled: true, token_file: " << (dir / "token").string()
        << " }"
        // An lcore or the sampler starved on a loaded host (sanitizers) is its own hazard, not
        // these tests': silent or stale only after 5 s (else SAFE rejects every Enter Order).
        << ", heartbeat_timeout_ms: 5000, hazards: { sample_interval_ms: 1000 }" << control_extra
        << " }\n";
  }

  std::vector<std::string> peer_args(const fs::path& cfg, const fs::path& sock,
                                     std::vector<std::string> flow) {
    std::vector<std::string> a = {env("SWITCHYARD_VENUE_BIN"), "--config", cfg.string()};
    a.insert(a.end(), flow.begin(), flow.end());
    for (const char* e : {"--", "--lcores=0@0", "--no-huge", "-m", "256", "--no-shconf", "--no-pci",
                          "--log-level=error"})
      a.push_back(e);
    a.push_back("--file-prefix=sy_exec_peer_" + std::to_string(getpid()));
    a.push_back("--vdev=net_memif0,role=client,socket=" + sock.string() + ",socket-abstract=no");
    return a;
  }

  static json state(const fs::path& p) { return json::parse(slurp(p)); }

  KilledRun kill_then_restart(std::vector<std::string> peer_flow);
  json wait_venue_view(const std::function<bool(const json&)>& done);
  void expect_latched_safe(const std::string& reason);
  json peer_books(KilledRun& k);
};

TEST_F(Execution, ClientThroughGateAndVenueAndBackEveryOrderAccountedFor) {
  const fs::path sock = dir / "memif.sock", cfg = dir / "exec.yaml", policy = dir / "risk.yaml";
  const fs::path gate_log = dir / "gate.jsonl", client_pcap = dir / "client.pcap";
  write_policy(policy);
  write_config(cfg, sock, policy, gate_log);
  std::ofstream(dir / "token") << kToken << "\n";

  Background sy({env("SWITCHYARD_BIN"), "--config", cfg.string(), "--summary-json",
                 (dir / "summary.json").string()},
                dir / "switchyard.log");
  // Ready: the first periodic report is written once every lcore runs.
  for (int i = 0; i < 400 && !fs::exists(dir / "integrity.json"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(fs::exists(sock) && fs::exists(dir / "integrity.json"));
  const std::regex api_re("control API on http://127.0.0.1:([0-9]+)");
  for (int i = 0; i < 200 && port == 0; ++i) {
    std::smatch m;
    const std::string log = slurp(dir / "switchyard.log");
    if (std::regex_search(log, m, api_re)) port = std::stoi(m[1]);
    if (port == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_NE(port, 0) << slurp(dir / "switchyard.log");
  std::vector<std::string> peer = {env("SWITCHYARD_VENUE_BIN"),
                                   "--config",
                                   cfg.string(),
                                   "--orders",
                                   "300",
                                   "--seed",
                                   "7",
                                   "--pps",
                                   "5000",
                                   "--client-pcap",
                                   client_pcap.string(),
                                   "--linger-ms",
                                   "3000"};
  for (const char* a : {"--", "--lcores=0@0", "--no-huge", "-m", "256", "--no-shconf", "--no-pci",
                        "--log-level=error"})
    peer.push_back(a);
  peer.push_back("--file-prefix=sy_exec_peer_" + std::to_string(getpid()));
  peer.push_back("--vdev=net_memif0,role=client,socket=" + sock.string() + ",socket-abstract=no");
  const Result p =
      run(peer, dir / "venue.log", std::chrono::milliseconds(0), std::chrono::seconds(90));
  // While the appliance runs: the read-only views and the intraday limit change.
  // The views read a snapshot the lcore republishes every 100 ms (in bounded steps): wait until
  // one taken after the last answer shows the venue's resting orders (a loaded host is slow).
  uint64_t resting = 0;
  if (const size_t at = p.out.find('{'); at != std::string::npos)
    resting = json::parse(p.out.substr(at))["venue"]["resting_orders"].get<uint64_t>();
  Reply orders;
  for (int i = 0; i < 100; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    orders = http("GET", "/views/orders", kToken);
    if (orders.status == 200 && orders.body.contains("orders") &&
        orders.body["orders"].size() == resting)
      break;
  }
  const Reply positions = http("GET", "/views/positions", kToken);
  const Reply exposure = http("GET", "/views/exposure", kToken);
  const Reply limits = http("GET", "/views/limits", kToken);
  EXPECT_EQ(http("GET", "/views/orders", "wrong-token-000000").status, 401);
  EXPECT_EQ(http("POST", "/control/limits", kToken, "{\"policy\": 3}").status, 400);
  const Reply missing =
      http("POST", "/control/limits", kToken, "{\"policy\": \"/nonexistent/risk.yaml\"}");
  EXPECT_EQ(missing.status, 400);
  const fs::path tighter = dir / "risk2.yaml";
  write_policy(tighter, 5000);
  const Reply changed =
      http("POST", "/control/limits", kToken, "{\"policy\": \"" + tighter.string() + "\"}");
  const Reply after = http("GET", "/views/limits", kToken);
  const Result r = sy.stop(SIGTERM);
  ASSERT_EQ(p.exit_code, 0) << p.out;
  ASSERT_EQ(r.exit_code, 0) << r.out;

  const json out = json::parse(p.out.substr(p.out.find('{')));
  const json& truth = out["truth"];
  const json& client = out["client"];
  const json& venue = out["venue"];
  const json x = json::parse(slurp(dir / "summary.json"))["execution"];
  const json& rc = x["router"];

  // The client logged in, the appliance logged in at the venue.
  EXPECT_EQ(client["logins_accepted"], 1);
  EXPECT_TRUE(venue["logged_in"].get<bool>());
  EXPECT_EQ(client["gaps"], 0);

  // Every Enter ends in exactly one of forwarded / rejected: the rejected ones are the breaches.
  const uint64_t enters = truth["enters"], breaching = truth["breaching"], clean = truth["clean"];
  ASSERT_GT(breaching, 0u);
  EXPECT_EQ(client["by_type"].value("J", 0u), breaching);
  EXPECT_EQ(venue["enters"], clean);
  EXPECT_EQ(venue["rejected"], 0);
  EXPECT_EQ(venue["undecodable"], 0);
  EXPECT_EQ(rc["orders_in"],
            enters + truth["cancels"].get<uint64_t>() + truth["replaces"].get<uint64_t>());
  EXPECT_EQ(rc["forwarded"].get<uint64_t>() + rc["rejected"].get<uint64_t>() +
                rc["ignored"].get<uint64_t>() + rc["modify_refused"].get<uint64_t>(),
            rc["orders_in"].get<uint64_t>());
  EXPECT_EQ(rc["rejected"], breaching);
  EXPECT_EQ(rc["venue_unknown_token"], 0);
  EXPECT_EQ(rc["orders_malformed"], 0);
  // The integrity report carries the same books (what was not forwarded, and why).
  const json report = json::parse(slurp(dir / "integrity.json"));
  ASSERT_TRUE(report["final"].get<bool>());
  EXPECT_EQ(report["execution"]["router"], rc);
  // The summary printed at exit names refused modifies, which the table's books leave out.
  const bool says_refused =
      slurp(dir / "switchyard.log").find("Modify Orders refused by the gate") != std::string::npos;
  EXPECT_EQ(says_refused, rc["modify_refused"].get<uint64_t>() != 0);
  EXPECT_EQ(report["execution"]["orphans"]["found"], 0);

  // The venue's answers reached the client, each once, under the client's own tokens.
  EXPECT_EQ(client["by_type"].value("A", 0u), venue["accepted"].get<uint64_t>());
  EXPECT_EQ(client["by_type"].value("E", 0u), venue["executed"].get<uint64_t>());
  EXPECT_EQ(venue["executed_shares"], truth["expect_executed_shares"]);
  EXPECT_EQ(client["executed_shares"], venue["executed_shares"]);

  // The ledger equals the sum of the executions, and its own audit holds.
  EXPECT_EQ(x["ledger"]["executed_shares"], venue["executed_shares"]);
  EXPECT_EQ(x["ledger"]["audit"], "");

  // Views: what the ledger holds, as the control API shows it.
  ASSERT_EQ(orders.status, 200);
  EXPECT_EQ(orders.body["orders"].size(), venue["resting_orders"].get<uint64_t>());
  ASSERT_EQ(positions.status, 200);
  uint64_t traded = 0;
  for (const auto& pos : positions.body["positions"])
    traded += pos["bought_shares"].get<uint64_t>() + pos["sold_shares"].get<uint64_t>();
  EXPECT_EQ(traded, venue["executed_shares"].get<uint64_t>());
  ASSERT_EQ(exposure.status, 200);
  EXPECT_EQ(exposure.body["accounts"][0]["executed_shares"], venue["executed_shares"]);
  ASSERT_EQ(limits.status, 200);
  EXPECT_EQ(limits.body["version"], 1);
  EXPECT_EQ(limits.body["accounts"][0]["max_shares_per_order"], 10000);
  // The limit change: validated, swapped in, answered with the new state, audited.
  ASSERT_EQ(changed.status, 200) << changed.body.dump();
  EXPECT_EQ(changed.body["version"], 2);
  EXPECT_EQ(after.body["accounts"][0]["max_shares_per_order"], 5000);
  bool diff_named = false;
  for (const auto& c : changed.body["changes"])
    diff_named |= c.get<std::string>().find("max_shares_per_order") != std::string::npos;
  EXPECT_TRUE(diff_named) << changed.body.dump();
  EXPECT_NE(missing.body.value("error", "").find("/nonexistent/risk.yaml"), std::string::npos);
  const std::string audit = slurp(dir / "audit.jsonl");
  EXPECT_NE(audit.find("\"risk.limits.changed\""), std::string::npos);
  const Result verify = run({env("SWITCHYARD_AUDIT_BIN"), "verify", (dir / "audit.jsonl").string()},
                            dir / "audit-verify.log");
  EXPECT_EQ(verify.exit_code, 0) << verify.out;

  // The raw store holds what left the box too: every frame the client received was captured
  // as sent, and tshark reads the store's pcapng.
  const Result exported = run({env("SWITCHYARD_STORE_BIN"), "export-pcap", (dir / "store").string(),
                               "-o", (dir / "store.pcapng").string()},
                              dir / "export.log");
  ASSERT_EQ(exported.exit_code, 0) << exported.out;

  // One gate_results line per decision, each naming its decision.
  const std::string log = slurp(gate_log);
  std::map<std::string, uint64_t> decisions;
  size_t lines = 0;
  for (size_t at = 0; at < log.size();) {
    const size_t nl = log.find('\n', at);
    const json rec = json::parse(log.substr(at, nl - at));
    ++decisions[rec["decision"].get<std::string>()];
    ++lines;
    at = nl + 1;
  }
  uint64_t decided = 0;
  for (const auto& [name, n] : x["gate"]["decisions"].items()) decided += n.get<uint64_t>();
  EXPECT_EQ(lines, decided);
  EXPECT_EQ(decisions["FAIL"] + decisions["UNKNOWN"], breaching);
  EXPECT_EQ(x["gate"]["results_unlogged"], 0);

  // Referee: tshark's own OUCH dissector (through ufo.lua) decodes what we sent the client.
  const char* shared = std::getenv("SY_SHARED_DIR");
  const fs::path lua = shared ? fs::path(shared) / "tools/wireshark/ufo.lua" : fs::path();
  const bool ci = std::getenv("CI") && std::string(std::getenv("CI")) == "true";
  if (!shared || !fs::exists(lua) || std::system("tshark --version > /dev/null 2>&1") != 0) {
    if (ci) FAIL() << "CI=true but tshark or SY_SHARED_DIR/tools/wireshark/ufo.lua is missing";
    GTEST_SKIP() << "referee skipped: no tshark or ../shared";
  }
  const std::string cmd = "tshark -X lua_script:'" + lua.string() + "' -r '" +
                          client_pcap.string() +
                          "' -d udp.port==50001,ufo -T fields -e ouch.packet_type "
                          "-e ouch.order_token -e _ws.malformed 2>&1";
  const Result t = run({"/bin/sh", "-c", cmd}, dir / "tshark.log");
  ASSERT_EQ(t.exit_code, 0) << t.out;
  std::map<char, uint64_t> types;
  uint64_t tokens = 0, venue_tokens = 0;
  std::istringstream in(t.out);
  for (std::string line; std::getline(in, line);) {
    std::istringstream cols(line);
    std::string type, token, malformed;
    std::getline(cols, type, '\t');
    std::getline(cols, token, '\t');
    std::getline(cols, malformed, '\t');
    EXPECT_TRUE(malformed.empty()) << line;
    for (char c : type)
      if (c != ',') ++types[c];
    std::istringstream toks(token);
    for (std::string tok; std::getline(toks, tok, ',');) {
      ++tokens;
      venue_tokens += tok.rfind("SY", 0) == 0;
    }
  }
  EXPECT_EQ(types['J'], breaching);
  EXPECT_EQ(types['A'], venue["accepted"].get<uint64_t>());
  EXPECT_EQ(types['E'], venue["executed"].get<uint64_t>());
  EXPECT_GT(tokens, 0u);
  EXPECT_EQ(venue_tokens, 0u);  // the venue's tokens never reach the client

  // In the store: the frames sent to the client (UDP destination 50001) are all there.
  const Result stored = run({"/bin/sh", "-c",
                             "tshark -r '" + (dir / "store.pcapng").string() +
                                 "' -Y 'udp.dstport == 50001' 2>&1 | wc -l"},
                            dir / "tshark-store.log");
  ASSERT_EQ(stored.exit_code, 0) << stored.out;
  // (The appliance keeps heartbeating the client until it stops, after the peer has left.)
  EXPECT_GE(std::stoull(stored.out), client["packets"].get<uint64_t>());
  const Result to_venue =
      run({"/bin/sh", "-c",
           "tshark -r '" + (dir / "store.pcapng").string() +
               "' -Y 'udp.dstport == 40100 && ip.dst == 10.1.0.20' 2>&1 | wc -l"},
          dir / "tshark-venue.log");
  EXPECT_GE(std::stoull(to_venue.out), venue["enters"].get<uint64_t>());
}

// Cancel-on-connect: the appliance is killed (-9) while orders rest at the venue; the next run
// comes up SAFE under a new run number, logs in to the same venue session, replays it, and
// cancels exactly the orders the earlier run left open. The venue ends with none resting.
KilledRun Execution::kill_then_restart(std::vector<std::string> peer_flow) {
  KilledRun k;
  const fs::path sock = dir / "memif.sock", cfg = dir / "exec.yaml", policy = dir / "risk.yaml";
  const fs::path state_file = dir / "state.json";
  write_policy(policy);
  write_config(cfg, sock, policy, dir / "gate.jsonl", ", state_file: " + state_file.string());
  std::ofstream(dir / "token") << kToken << "\n";
  const auto wait_for = [&](const fs::path& log, const std::string& what, int seconds) {
    for (int i = 0; i < seconds * 20; ++i) {
      if (slurp(log).find(what) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  };

  auto first = std::make_unique<Background>(
      std::vector<std::string>{env("SWITCHYARD_BIN"), "--config", cfg.string()},
      dir / "switchyard-1.log");
  for (int i = 0; i < 400 && !fs::exists(sock); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(fs::exists(sock)) << slurp(dir / "switchyard-1.log");
  // The run number is on disk before any lcore runs (the first report comes after).
  for (int i = 0; i < 400 && !fs::exists(dir / "integrity.json"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  k.first_epoch = state(state_file)["run_epoch"].get<uint64_t>();
  k.peer = std::make_unique<Background>(peer_args(cfg, sock, peer_flow), dir / "venue.log");
  EXPECT_TRUE(wait_for(dir / "venue.log", "flow answered", 60)) << slurp(dir / "venue.log");
  const Result killed = first->stop(SIGKILL);
  EXPECT_EQ(killed.exit_code, 128 + SIGKILL);
  EXPECT_FALSE(state(state_file)["clean"].get<bool>());

  k.second = std::make_unique<Background>(
      std::vector<std::string>{env("SWITCHYARD_BIN"), "--config", cfg.string(), "--summary-json",
                               (dir / "summary.json").string()},
      dir / "switchyard-2.log");
  const std::regex api_re("control API on http://127.0.0.1:([0-9]+)");
  for (int i = 0; i < 400 && port == 0; ++i) {
    std::smatch m;
    const std::string log = slurp(dir / "switchyard-2.log");
    if (std::regex_search(log, m, api_re)) port = std::stoi(m[1]);
    if (port == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE(port, 0) << slurp(dir / "switchyard-2.log");
  return k;
}

// Polls /views/venue until `done(view)` or 15 s; returns the last view.
json Execution::wait_venue_view(const std::function<bool(const json&)>& done) {
  json x;
  for (int i = 0; i < 300; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const Reply v = http("GET", "/views/venue", kToken);
    if (v.status != 200) continue;
    x = v.body;
    if (done(x)) break;
  }
  return x;
}

// Polls /health until SAFE is latched for `reason` or 5 s (the control lcore's next tick), then
// checks it is.
void Execution::expect_latched_safe(const std::string& reason) {
  json h;
  for (int i = 0; i < 100; ++i) {
    h = http("GET", "/health", "").body;
    if (h["state"]["latch_reason"].get<std::string>().find(reason) != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(h["state"]["mode"], "SAFE") << h.dump();
  EXPECT_NE(h["state"]["latch_reason"].get<std::string>().find(reason), std::string::npos)
      << h.dump();
}

// The venue peer's books, printed as JSON when it exits (within 60 s).
json Execution::peer_books(KilledRun& k) {
  const Result p = k.peer->wait_exit(std::chrono::seconds(60));
  const size_t at = p.out.find('{');
  EXPECT_NE(at, std::string::npos) << p.out;
  return at == std::string::npos ? json::object() : json::parse(p.out.substr(at));
}

TEST_F(Execution, AfterKillTheNextRunCancelsEveryOrderTheEarlierRunLeftAtTheVenue) {
  KilledRun k = kill_then_restart({"--orders", "300", "--seed", "7", "--pps", "5000", "--linger-ms",
                                   "3000", "--stay-ms", "60000"});
  ASSERT_NE(port, 0);
  // The second run finds the venue's orders of the first, cancels them, and the venue
  // confirms each one: wait for the venue view to say nothing is left open.
  const json x = wait_venue_view([](const json& v) {
    return v["ready"].get<bool>() && v["earlier_run_orders"]["found"].get<uint64_t>() > 0 &&
           v["earlier_run_orders"]["open"].get<uint64_t>() == 0;
  });
  EXPECT_TRUE(x["ready"].get<bool>() && x["earlier_run_orders"]["open"].get<uint64_t>() == 0)
      << x.dump() << slurp(dir / "switchyard-2.log");
  const Result r = k.second->stop(SIGTERM);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  const Result p = k.peer->wait_exit(std::chrono::seconds(60));  // its stay ends by itself
  ASSERT_NE(p.out.find('{'), std::string::npos) << p.out;
  const json out = json::parse(p.out.substr(p.out.find('{')));
  const json& stay = out["stay"];
  const json sx = json::parse(slurp(dir / "summary.json"))["execution"];

  // The unclean stop: the second run came up SAFE under the next run number.
  EXPECT_NE(r.out.find("starting SAFE"), std::string::npos) << r.out;
  EXPECT_GT(sx["token_epoch"].get<uint64_t>(), k.first_epoch % 2'176'782'336u);
  const uint64_t resting = stay["resting_after_flow"];
  ASSERT_GT(resting, 0u) << out.dump() << "\nfirst run's audit trail:\n"
                         << slurp(dir / "audit.jsonl");
  EXPECT_GE(stay["link_drops"].get<uint64_t>(), 1u);
  EXPECT_GT(stay["venue_retransmitted"].get<uint64_t>(), 0u);  // the second run replayed
  EXPECT_EQ(sx["orphans"]["replay_unavailable"], 0);
  // Exactly the orders the first run left open were cancelled, and the venue holds none.
  EXPECT_EQ(sx["orphans"]["found"], resting);
  EXPECT_EQ(sx["orphans"]["closed"], resting);
  EXPECT_EQ(sx["orphans"]["open"], 0);
  EXPECT_EQ(sx["orphans"]["untracked"], 0);
  EXPECT_EQ(sx["router"]["venue_unknown_token"], 0);
  EXPECT_EQ(out["venue"]["resting_orders"], 0) << out.dump();
  // Every execution of the first run is booked into the second run's positions (the limits
  // see the whole day), from the replay alone.
  EXPECT_GT(out["venue"]["executed"].get<uint64_t>(), 0u);
  EXPECT_EQ(sx["router"]["carried_fills"], out["venue"]["executed"]);
  EXPECT_EQ(sx["router"]["carried_unbooked"], 0);
  EXPECT_EQ(sx["ledger"]["executed_shares"], out["venue"]["executed_shares"]);
  EXPECT_EQ(sx["ledger"]["audit"], "");
}

// The venue keeps only its last 64 messages: the restarted run cannot replay the session. It
// gives the rest up, becomes ready, cancels what the held part names, and the control lcore
// latches SAFE on hazard venue_replay_incomplete (audited): the orders only the lost part
// named are still at the venue, and only an operator can check them.
TEST_F(Execution, ReplayTheVenueCannotCompleteLatchesSafeWithTheReason) {
  KilledRun k = kill_then_restart({"--orders", "300", "--seed", "7", "--pps", "5000", "--linger-ms",
                                   "3000", "--stay-ms", "8000", "--venue-retransmit", "64"});
  ASSERT_NE(port, 0);
  const json x = wait_venue_view([](const json& v) {
    return v["ready"].get<bool>() && v["replay_unavailable"].get<uint64_t>() > 0 &&
           v["earlier_run_orders"]["open"].get<uint64_t>() == 0;
  });
  EXPECT_TRUE(x["ready"].get<bool>()) << x.dump() << slurp(dir / "switchyard-2.log");
  EXPECT_GT(x["replay_unavailable"].get<uint64_t>(), 0u) << x.dump();
  expect_latched_safe("venue_replay_incomplete");
  const Result r = k.second->stop(SIGTERM);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  const json out = peer_books(k);
  const json sx = json::parse(slurp(dir / "summary.json"))["execution"];
  EXPECT_EQ(sx["orphans"]["replay_unavailable"], x["replay_unavailable"]);
  EXPECT_EQ(sx["orphans"]["open"], 0);
  // What the replay named was cancelled; what only the lost part named still rests.
  const uint64_t resting = out["stay"]["resting_after_flow"];
  EXPECT_EQ(
      out["venue"]["resting_orders"].get<uint64_t>() + sx["orphans"]["closed"].get<uint64_t>(),
      resting)
      << out.dump();
  EXPECT_GT(out["venue"]["resting_orders"].get<uint64_t>(), 0u) << out.dump();
  EXPECT_NE(slurp(dir / "audit.jsonl").find("venue_replay_incomplete"), std::string::npos);
  EXPECT_NE(r.out.find("CHECK VENUE"), std::string::npos) << r.out;
}

// The venue keeps its last 64 messages and leaves a request for older ones unanswered: the
// restarted run re-requests for sessions[].gap_give_up_ms (5 s), then gives the whole replay up,
// becomes ready and latches SAFE on venue_replay_incomplete; nothing of the earlier run was
// found, so every order that rested still rests.
TEST_F(Execution, ReplayTheVenueNeverAnswersIsGivenUpAfterFiveSecondsAndLatchesSafe) {
  KilledRun k =
      kill_then_restart({"--orders", "300", "--seed", "7", "--pps", "5000", "--linger-ms", "3000",
                         "--stay-ms", "15000", "--venue-retransmit", "64", "--venue-silent-lost"});
  ASSERT_NE(port, 0);
  const json early = wait_venue_view([](const json&) { return true; });
  ASSERT_TRUE(early.is_object()) << "no answer from /views/venue";
  EXPECT_FALSE(early["ready"].get<bool>()) << "replaying, the venue silent: " << early.dump();
  const json x = wait_venue_view([](const json& v) { return v["ready"].get<bool>(); });
  EXPECT_TRUE(x["ready"].get<bool>()) << x.dump() << slurp(dir / "switchyard-2.log");
  EXPECT_GT(x["replay_unavailable"].get<uint64_t>(), 64u) << x.dump();
  EXPECT_EQ(x["earlier_run_orders"]["found"], 0) << x.dump();
  expect_latched_safe("venue_replay_incomplete");
  const Result r = k.second->stop(SIGTERM);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  const json out = peer_books(k);
  EXPECT_GE(out["stay"]["venue_unanswered_requests"].get<uint64_t>(), 40u) << out.dump();
  EXPECT_GT(out["stay"]["resting_after_flow"].get<uint64_t>(), 0u) << out.dump();
  EXPECT_EQ(out["venue"]["resting_orders"], out["stay"]["resting_after_flow"]) << out.dump();
  EXPECT_NE(slurp(dir / "audit.jsonl").find("venue_replay_incomplete"), std::string::npos);
}

}  // namespace
}  // namespace sy::testing
