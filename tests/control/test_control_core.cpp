// The control plane's pieces without DPDK: the SPSC queue, the audit chain and its verifier,
// the persisted state, the budget policy and evaluator, the safety controller's decisions, and
// the control section of the configuration.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "conf/config.hpp"
#include "src/control/audit.hpp"
#include "src/control/budgets.hpp"
#include "src/control/persisted_state.hpp"
#include "src/control/safety_controller.hpp"
#include "src/control/spsc_queue.hpp"

namespace sy::control {
namespace {

namespace fs = std::filesystem;

fs::path temp_dir(const std::string& name) {
  const fs::path d =
      fs::temp_directory_path() / ("sy_ctl_" + std::to_string(getpid()) + "_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::vector<std::string> lines_of(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

void write_lines(const fs::path& p, const std::vector<std::string>& lines) {
  std::ofstream out(p, std::ios::trunc);
  for (const auto& l : lines) out << l << "\n";
}

// --- SPSC queue ---------------------------------------------------------------------------

TEST(SpscQueue, FullEmptyAndOrderAcrossThreads) {
  SpscQueue<uint64_t, 8> q;
  for (uint64_t i = 0; i < 8; ++i) EXPECT_TRUE(q.try_push(i));
  EXPECT_FALSE(q.try_push(99));  // full: refused, never blocks
  for (uint64_t i = 0; i < 8; ++i) EXPECT_EQ(q.try_pop().value(), i);
  EXPECT_FALSE(q.try_pop().has_value());

  constexpr uint64_t kN = 200000;
  std::thread producer([&] {
    for (uint64_t i = 0; i < kN;)
      if (q.try_push(i)) ++i;
  });
  uint64_t expect = 0;
  while (expect < kN) {
    if (auto v = q.try_pop()) {
      ASSERT_EQ(*v, expect++);
    }
  }
  producer.join();
}

// --- audit ----------------------------------------------------------------------------------

TEST(Audit, ChainVerifiesAndEveryKindOfTamperingIsDetected) {
  const fs::path dir = temp_dir("audit");
  const fs::path log = dir / "audit.jsonl";
  {
    AuditWriter w(log.string(), "run-a");
    for (int i = 0; i < 5; ++i)
      ASSERT_TRUE(w.submit_control(
          {"perf.degrade.applied", "control", "warning", 0, {{"tier", "P2"}, {"i", i}}}));
    ASSERT_TRUE(
        w.submit_api({"control.auth.failed", "operator", "warning", 0, {{"problem", "x"}}}));
    w.stop();
    EXPECT_EQ(w.written(), 6u);
  }
  VerifyResult r = verify_audit_file(log.string());
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.records, 6u);

  const auto original = lines_of(log);
  // 1. An edited detail.
  auto edited = original;
  const auto at = edited[2].find("\"P2\"");
  ASSERT_NE(at, std::string::npos);
  edited[2].replace(at, 4, "\"P1\"");
  write_lines(log, edited);
  r = verify_audit_file(log.string());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_line, 3u);
  EXPECT_NE(r.error.find("record altered"), std::string::npos) << r.error;
  // 2. A deleted line.
  auto deleted = original;
  deleted.erase(deleted.begin() + 1);
  write_lines(log, deleted);
  r = verify_audit_file(log.string());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_line, 2u);
  // 3. Two lines swapped.
  auto swapped = original;
  std::swap(swapped[3], swapped[4]);
  write_lines(log, swapped);
  EXPECT_FALSE(verify_audit_file(log.string()).ok);
  // 4. A line rewritten with a recomputed hash: the next line's prev_hash gives it away.
  auto forged = original;
  nlohmann::json rec = nlohmann::json::parse(forged[1]);
  rec["detail"]["i"] = 42;
  rec.erase("hash");
  rec["hash"] = sha256_hex(rec.dump());
  forged[1] = rec.dump();
  write_lines(log, forged);
  r = verify_audit_file(log.string());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.bad_line, 3u);
  EXPECT_NE(r.error.find("chain broken"), std::string::npos) << r.error;
  // 5. Schema: an unknown event name.
  auto unknown = original;
  unknown[0].replace(unknown[0].find("perf.degrade.applied"), 20, "perf.degrade.whatever");
  write_lines(log, unknown);
  r = verify_audit_file(log.string());
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("unknown event"), std::string::npos) << r.error;
  fs::remove_all(dir);
}

TEST(Audit, ReopeningContinuesTheChainAndCutsATornTail) {
  const fs::path dir = temp_dir("reopen");
  const fs::path log = dir / "audit.jsonl";
  {
    AuditWriter w(log.string(), "run-a");
    w.submit_control({"appliance.start", "appliance", "info", 0, {}});
  }
  {
    std::ofstream out(log, std::ios::app);
    out << "{\"schema\":\"switchyard.aud";  // a crash in the middle of a line
  }
  {
    AuditWriter w(log.string(), "run-b");
    w.submit_control({"appliance.start", "appliance", "info", 0, {}});
  }
  const VerifyResult r = verify_audit_file(log.string());
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.records, 3u);  // start, truncated_tail, start
  const auto lines = lines_of(log);
  EXPECT_NE(lines[1].find("audit.truncated_tail"), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find("run-b"), std::string::npos);
  fs::remove_all(dir);
}

TEST(Audit, NoSecretFieldsAndSortedCanonicalForm) {
  const nlohmann::json rec = seal_record(
      {"control.command", "operator", "info", 5, {{"b", 1}, {"a", 2}}}, 1, kGenesisHash, "r");
  EXPECT_EQ(check_record_schema(rec), "");
  const std::string line = rec.dump();
  EXPECT_LT(line.find("\"a\""), line.find("\"b\""));  // keys sorted: the hash is reproducible
  nlohmann::json bare = rec;
  bare.erase("hash");
  EXPECT_EQ(rec["hash"], sha256_hex(bare.dump()));
}

// --- persisted state ------------------------------------------------------------------------

TEST(PersistedState, RoundTripAndDamage) {
  const fs::path dir = temp_dir("state");
  const fs::path file = dir / "state.json";
  std::string error;
  EXPECT_FALSE(load_state(file.string(), &error).has_value());
  EXPECT_EQ(error, "");  // missing: a first start, not damage
  PersistedState s;
  s.version = 7;
  s.mode = SafetyMode::safe;
  s.operator_mode = SafetyMode::degraded;
  s.hazard_latched = true;
  std::snprintf(s.latch_reason, sizeof s.latch_reason, "disk_full: /x");
  s.kill = true;
  s.accounts_killed = 0x5;
  s.clean = true;
  s.run_epoch = 1'795'000'123;
  ASSERT_TRUE(save_state_durable(file.string(), s, &error)) << error;
  const auto back = load_state(file.string(), &error);
  ASSERT_TRUE(back.has_value()) << error;
  EXPECT_EQ(back->version, 7u);
  EXPECT_EQ(back->mode, SafetyMode::safe);
  EXPECT_EQ(back->operator_mode, SafetyMode::degraded);
  EXPECT_TRUE(back->hazard_latched);
  EXPECT_STREQ(back->latch_reason, "disk_full: /x");
  EXPECT_TRUE(back->kill);
  EXPECT_EQ(back->accounts_killed, 5u);
  EXPECT_TRUE(back->clean);
  EXPECT_EQ(back->run_epoch, 1'795'000'123u);
  std::ofstream(file) << "{ not json";
  EXPECT_FALSE(load_state(file.string(), &error).has_value());
  EXPECT_NE(error.find("unreadable safety state"), std::string::npos) << error;
  EXPECT_FALSE(save_state_durable((dir / "missing/dir/state.json").string(), s, &error));
  fs::remove_all(dir);
}

// --- budgets --------------------------------------------------------------------------------

TEST(Budgets, PolicyErrorsNameFileLineAndKey) {
  auto err = [](const std::string& text) {
    try {
      parse_budgets(text, "b.yaml");
    } catch (const BudgetPolicyError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string ok =
      "budgets:\n  - { category: control_plane, stage: e2e, percentile: 99, threshold_us: 10, "
      "window_ms: 100 }\n";
  EXPECT_EQ(parse_budgets(ok, "b.yaml").size(), 1u);
  EXPECT_EQ(parse_budgets(ok, "b.yaml")[0].threshold_ns, 10'000u);
  EXPECT_EQ(err("budgets:\n  - { category: cooking, stage: e2e, percentile: 99, threshold_us: "
                "1, window_ms: 100 }\n"),
            "b.yaml:2: budgets[0].category: 'cooking' is not a budget category (market_ingest, "
            "canonical, execution, risk_snapshot, control_plane, reporting)");
  EXPECT_EQ(err("budgets:\n  - { category: execution, stage: e2e, percentile: 101, "
                "threshold_us: 1, window_ms: 100 }\n"),
            "b.yaml:2: budgets[0].percentile: out of range 1..100");
  EXPECT_EQ(err("budgets:\n  - { category: execution, stage: e2e, percentile: 99, "
                "window_ms: 100 }\n"),
            "b.yaml:2: budgets[0]: missing required key 'threshold_us'");
  EXPECT_EQ(err("budgets:\n  - { category: execution, stage: e2e, percentile: 99, "
                "threshold_us: 1, window_ms: 100, colour: red }\n"),
            "b.yaml:2: budgets[0].colour: unknown key (expected one of: category, stage, "
            "percentile, threshold_us, window_ms, min_samples, required)");
  EXPECT_NE(err(ok + "  - { category: control_plane, stage: e2e, percentile: 50, threshold_us: "
                     "1, window_ms: 100 }\n")
                .find("duplicate budget control_plane/e2e"),
            std::string::npos);
  EXPECT_NE(err("budgets: 3\n").find("budgets: expected a list"), std::string::npos);
}

TEST(Budgets, ShippedPolicyLoads) {
  const char* root = std::getenv("SY_SOURCE_ROOT");
  ASSERT_NE(root, nullptr);
  const auto specs = load_budgets(std::string(root) + "/conf/policy/budgets.yaml");
  EXPECT_GE(specs.size(), 6u);
}

TEST(Budgets, WindowsJudgeThePercentileAndMissingMetricsAreUnknown) {
  std::vector<BudgetSpec> specs(3);
  specs[0] = {"execution", "stage_a", 99, 1000, 100, 10, true, 1};
  specs[1] = {"execution", "stage_b", 99, 1000, 100, 10, true, 2};   // nobody registers it
  specs[2] = {"risk_snapshot", "e2e", 99, 1000, 100, 10, false, 3};  // optional, absent
  Histogram a1, a2;  // two lcores record the same stage
  BudgetRegistry reg;
  reg.add("execution", "stage_a", &a1);
  reg.add("execution", "stage_a", &a2);
  BudgetEvaluator ev(specs, reg);
  EXPECT_TRUE(ev.any_required_missing());
  EXPECT_EQ(ev.state(1).status, BudgetStatus::unknown);
  EXPECT_EQ(ev.state(2).status, BudgetStatus::not_measured);
  const uint64_t ms = 1'000'000;
  ev.tick(1 * ms);  // opens the windows
  for (int i = 0; i < 50; ++i) a1.record(500), a2.record(600);
  auto closed = ev.tick(101 * ms);
  ASSERT_FALSE(closed.empty());
  EXPECT_EQ(ev.state(0).status, BudgetStatus::ok);
  EXPECT_EQ(ev.state(0).samples, 100u);
  // A slow tail: 5 of 100 samples at 5 us puts p99 over 1 us.
  for (int i = 0; i < 95; ++i) a1.record(500);
  for (int i = 0; i < 5; ++i) a2.record(5000);
  ev.tick(150 * ms);  // window not over yet: nothing closes
  EXPECT_EQ(ev.state(0).windows, 1u);
  ev.tick(201 * ms);
  EXPECT_EQ(ev.state(0).status, BudgetStatus::violated);
  EXPECT_GE(ev.state(0).observed_ns, 5000u);
  EXPECT_EQ(ev.state(0).violations, 1u);
  // Too few samples: idle, not judged.
  a1.record(9000);
  ev.tick(302 * ms);
  EXPECT_EQ(ev.state(0).status, BudgetStatus::idle);
}

// --- safety controller ----------------------------------------------------------------------

struct Harness {
  conf::ControlConfig cfg;
  std::unique_ptr<SafetyController> c;
  uint64_t persisted = 0, failed = 0;
  uint64_t t = 1'000'000'000;
  explicit Harness(bool persisting = true, bool drop = true, bool hazard_auto = false) {
    cfg.backpressure.escalate_ms = 10;
    cfg.backpressure.recover_hold_ms = 20;
    cfg.hazards.auto_recover = hazard_auto;
    c = std::make_unique<SafetyController>(cfg, persisting, drop);
    c->restore(std::nullopt, false, "first start");
  }
  // One tick: observe, settle; the "disk" persists whatever was asked at once unless told not to.
  void tick(Sample s, bool disk_ok = true) {
    s.now_ns = t;
    t += 1'000'000;
    c->observe(s);
    if (c->settle(persisted, failed, t)) {
      if (disk_ok)
        persisted = c->persist_request().version;
      else
        failed = c->persist_request().version;
      c->settle(persisted, failed, t);
    }
  }
  std::vector<std::string> events() {
    std::vector<std::string> names;
    for (const auto& e : c->take_events()) names.push_back(e.event);
    return names;
  }
};

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(SafetyController, HazardLatchesSafeUntilAnOperatorRelaxes) {
  Harness h;
  h.events();
  Sample disk;
  disk.hazards = kHazardDiskFull;
  disk.why[0] = "/data: 10 MiB free";
  h.tick(disk);
  EXPECT_EQ(h.c->published().mode, SafetyMode::safe);
  auto ev = h.events();
  EXPECT_TRUE(has(ev, "perf.capacity.hazard"));
  EXPECT_TRUE(has(ev, "safety.mode.changed"));
  EXPECT_EQ(h.c->latch_reason(), "disk_full: /data: 10 MiB free");

  CommandRequest relax;
  relax.kind = CommandKind::safety_mode;
  relax.mode = SafetyMode::normal;
  EXPECT_EQ(h.c->command(relax, h.t).http_status, 409);  // the hazard is still there
  for (int i = 0; i < 100; ++i) h.tick(Sample{});        // hazard gone: SAFE holds
  EXPECT_EQ(h.c->published().mode, SafetyMode::safe);
  EXPECT_TRUE(has(h.events(), "perf.capacity.hazard_cleared"));
  const CommandVerdict v = h.c->command(relax, h.t);
  EXPECT_EQ(v.http_status, 202);  // a relaxation: persisted first
  h.tick(Sample{});
  EXPECT_EQ(h.c->published().mode, SafetyMode::normal);
  EXPECT_GE(h.persisted, v.wait_version);
}

TEST(SafetyController, HazardPolicyMayRelaxWhenExplicitlyConfigured) {
  Harness h(true, true, /*hazard_auto=*/true);
  Sample fd;
  fd.hazards = kHazardFdExhaustion;
  h.tick(fd);
  EXPECT_EQ(h.c->published().mode, SafetyMode::safe);
  for (int i = 0; i < 30; ++i) h.tick(Sample{});
  EXPECT_EQ(h.c->published().mode, SafetyMode::normal);
  bool policy = false;
  for (const auto& e : h.c->take_events())
    if (e.event == "safety.mode.changed" && e.actor == "policy") policy = true;
  EXPECT_TRUE(policy);
}

TEST(SafetyController, RelaxationWaitsForTheDiskAndRollsBackWhenItFails) {
  Harness h;
  CommandRequest kill;
  kill.kind = CommandKind::kill_switch;
  kill.has_global = true;
  kill.global = true;
  EXPECT_EQ(h.c->command(kill, h.t).http_status, 200);  // tightening: at once
  h.tick(Sample{});
  EXPECT_TRUE(h.c->published().kill);
  kill.global = false;
  EXPECT_EQ(h.c->command(kill, h.t).http_status, 202);
  // The disk refuses: the kill switch stays engaged.
  h.tick(Sample{}, /*disk_ok=*/false);
  EXPECT_TRUE(h.c->published().kill);
  EXPECT_TRUE(h.c->relax_failed(h.failed));
  // Without the disk being asked at all, nothing relaxes either.
  EXPECT_EQ(h.c->command(kill, h.t).http_status, 202);
  h.c->settle(h.persisted, h.failed, h.t);
  EXPECT_TRUE(h.c->pending());
  EXPECT_TRUE(h.c->published().kill);
  h.persisted = h.c->persist_request().version;
  h.c->settle(h.persisted, h.failed, h.t);
  EXPECT_FALSE(h.c->published().kill);
}

TEST(SafetyController, ShedsP2ThenP1WithHysteresisAndNeverP0) {
  Harness h;
  Sample hot;
  hot.ring_fill_pct = 90;
  hot.ring = "md_1";
  h.tick(hot);
  EXPECT_EQ(h.c->published().shed, 1u);
  EXPECT_EQ(h.c->published().mode, SafetyMode::degraded);
  auto ev = h.events();
  EXPECT_TRUE(has(ev, "perf.backpressure.start"));
  EXPECT_TRUE(has(ev, "perf.degrade.applied"));
  for (int i = 0; i < 12; ++i) h.tick(hot);
  EXPECT_EQ(h.c->published().shed, 2u);  // escalate_ms of pressure: P1 too
  Sample mid;
  mid.ring_fill_pct = 60;  // between the watermarks: still not calm
  for (int i = 0; i < 40; ++i) h.tick(mid);
  EXPECT_TRUE(h.c->backpressure());
  EXPECT_EQ(h.c->published().shed, 2u);
  Sample calm;
  calm.ring_fill_pct = 10;
  for (int i = 0; i < 10; ++i) h.tick(calm);
  EXPECT_TRUE(h.c->backpressure());  // recover_hold_ms not over yet
  for (int i = 0; i < 15; ++i) h.tick(calm);
  EXPECT_FALSE(h.c->backpressure());
  EXPECT_EQ(h.c->published().shed, 0u);  // auto_recover policy (default true)
  EXPECT_EQ(h.c->published().mode, SafetyMode::normal);
  ev = h.events();
  EXPECT_TRUE(has(ev, "perf.backpressure.end"));
  EXPECT_TRUE(has(ev, "perf.degrade.recovered"));
  EXPECT_EQ(h.c->active_hazards(), 0u);
}

TEST(SafetyController, PressureThatOutlastsSheddingIsAP0HazardOnlyWhenRingsDrop) {
  for (const bool drop : {true, false}) {
    Harness h(true, drop);
    Sample full;
    full.ring_fill_pct = 100;
    full.ring = "md_1";
    for (int i = 0; i < 40; ++i) h.tick(full);
    EXPECT_EQ(h.c->published().shed, 2u);
    if (drop) {
      EXPECT_EQ(h.c->published().mode, SafetyMode::safe);
      EXPECT_TRUE(h.c->active_hazards() & kHazardRingFill);
      EXPECT_NE(h.c->latch_reason().find("P0 pressure"), std::string::npos);
    } else {
      EXPECT_EQ(h.c->published().mode, SafetyMode::degraded);  // flow control, not loss
    }
  }
}

TEST(SafetyController, OperatorRecoveryWithoutPolicy) {
  Harness h;
  h.cfg.backpressure.auto_recover = false;
  Sample hot;
  hot.ring_fill_pct = 85;
  h.tick(hot);
  CommandRequest rec;
  rec.kind = CommandKind::degrade_recover;
  EXPECT_EQ(h.c->command(rec, h.t).http_status, 409);  // pressure persists
  Sample calm;
  for (int i = 0; i < 30; ++i) h.tick(calm);
  EXPECT_EQ(h.c->published().shed, 1u);  // no policy: shedding stays until an operator lifts it
  EXPECT_EQ(h.c->command(rec, h.t).http_status, 202);
  h.tick(calm);
  EXPECT_EQ(h.c->published().shed, 0u);
  EXPECT_EQ(h.c->command(rec, h.t).http_status, 409);  // not degraded any more
}

// Storage falling behind: P2 capture first, P1 after escalate_ms, never P0; lifts after
// recover_hold_ms of calm by policy; never a hazard and never class shedding by itself.
TEST(SafetyController, StorageBacklogShedsP2CaptureFirstWithHysteresis) {
  Harness h;
  h.cfg.capture_shed.escalate_ms = 10;
  h.cfg.capture_shed.recover_hold_ms = 20;
  h.events();
  Sample idle;
  idle.storage = true;
  h.tick(idle);
  EXPECT_EQ(h.c->published().capture_shed, 0u);
  Sample behind = idle;
  behind.storage_backlog_bytes = h.cfg.capture_shed.backlog_high_kib * 1024;
  h.tick(behind);
  EXPECT_EQ(h.c->published().capture_shed, 1u);
  EXPECT_EQ(h.c->published().shed, 0u);  // the packets themselves are not shed
  EXPECT_EQ(h.c->published().mode, SafetyMode::degraded);
  auto first = h.c->take_events();
  const auto applied = std::find_if(first.begin(), first.end(), [](const AuditEvent& e) {
    return e.event == "perf.degrade.applied";
  });
  ASSERT_NE(applied, first.end());
  EXPECT_EQ(applied->detail["tier"], "P2");
  EXPECT_EQ(applied->detail["action"], "stop_capture");
  EXPECT_EQ(applied->detail["drop_reason"], "capture_shed_p2");
  for (int i = 0; i < 5; ++i) h.tick(behind);
  EXPECT_EQ(h.c->published().capture_shed, 1u);  // escalate_ms not over yet
  // The ring into storage alone keeps the pressure on.
  Sample ring = idle;
  ring.storage_ring_fill_pct = h.cfg.capture_shed.ring_high_pct;
  ring.storage_ring = "cap_1";
  for (int i = 0; i < 8; ++i) h.tick(ring);
  EXPECT_EQ(h.c->published().capture_shed, 2u);
  EXPECT_EQ(h.c->published().shed, 0u);
  // Between the marks: not calm, nothing lifts.
  Sample mid = idle;
  mid.storage_backlog_bytes = h.cfg.capture_shed.backlog_low_kib * 1024 + 1;
  for (int i = 0; i < 40; ++i) h.tick(mid);
  EXPECT_EQ(h.c->published().capture_shed, 2u);
  CommandRequest rec;
  rec.kind = CommandKind::degrade_recover;
  EXPECT_EQ(h.c->command(rec, h.t).http_status, 409);  // storage is still behind
  for (int i = 0; i < 10; ++i) h.tick(idle);
  EXPECT_EQ(h.c->published().capture_shed, 2u);  // hold not over
  for (int i = 0; i < 15; ++i) h.tick(idle);
  EXPECT_EQ(h.c->published().capture_shed, 0u);
  EXPECT_EQ(h.c->published().mode, SafetyMode::normal);
  bool recovered = false;
  for (const auto& e : h.c->take_events())
    if (e.event == "perf.degrade.recovered") {
      recovered = true;
      EXPECT_EQ(e.actor, "policy");
      EXPECT_EQ(e.detail["tiers"], "P1,P2");
      EXPECT_EQ(e.detail["action"], "resume_capture");
    }
  EXPECT_TRUE(recovered);
  EXPECT_EQ(h.c->active_hazards(), 0u);
  // Persistence off: nothing is measured, nothing is shed.
  Sample off = behind;
  off.storage = false;
  h.tick(off);
  EXPECT_EQ(h.c->published().capture_shed, 0u);
}

TEST(SafetyController, UncleanStartComesUpSafeAndRestoresKillSwitches) {
  conf::ControlConfig cfg;
  SafetyController c(cfg, true);
  PersistedState s;
  s.version = 4;
  s.kill = true;
  s.accounts_killed = 2;
  s.clean = false;
  c.restore(s, /*unclean=*/true, "the previous run did not stop cleanly");
  EXPECT_EQ(c.published().mode, SafetyMode::safe);
  EXPECT_TRUE(c.published().kill);
  EXPECT_EQ(c.published().accounts, 2u);
  EXPECT_EQ(c.version(), 4u);
  const auto ev = c.take_events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].event, "safety.state.restored");
  EXPECT_EQ(ev[0].detail["unclean_stop"], true);
}

TEST(SafetyController, UnknownIsNeverHealthy) {
  Harness h;
  Sample s;
  s.hazards = kHazardHeartbeat;
  s.why[7] = "lcore 1 (rx): no heartbeat for 400 ms";
  h.tick(s);
  EXPECT_EQ(h.c->published().mode, SafetyMode::safe);
  EXPECT_TRUE(has(h.events(), "safety.unknown"));
}

// --- configuration of the control section --------------------------------------------------

const std::string kConf =
    "lcores:\n"
    "  - { id: 0, cpu: 0, role: control }\n"
    "  - { id: 1, cpu: 0, role: rx, ports: [wire0] }\n"
    "  - { id: 2, cpu: 0, role: integrity, idle_sleep_us: 100000 }\n"
    "  - { id: 3, cpu: 0, role: execution }\n"
    "  - { id: 4, cpu: 0, role: storage }\n"
    "ports:\n"
    "  - { name: wire0, device: net_null0 }\n";

std::string conf_error(const std::vector<std::string>& sets) {
  try {
    conf::load_from_string(kConf, "c.yaml", sets);
  } catch (const conf::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(ControlConf, DefaultsAndErrors) {
  const conf::Config c = conf::load_from_string(kConf, "c.yaml");
  EXPECT_TRUE(c.control.supervise);
  EXPECT_EQ(c.control.heartbeat_timeout_ms, 1000u);
  EXPECT_EQ(c.control.backpressure.ring_high_pct, 80u);
  EXPECT_FALSE(c.control.api.enabled);
  EXPECT_NE(conf_error({"control.heartbeat_timeout_ms=150"})
                .find("150 ms does not exceed twice lcores[2].idle_sleep_us (100000 us)"),
            std::string::npos);
  EXPECT_NE(conf_error({"control.backpressure.ring_low_pct=90"})
                .find("control.backpressure.ring_low_pct: 90 must be below ring_high_pct (80)"),
            std::string::npos);
  EXPECT_NE(conf_error({"control.backpressure.ring_critical_pct=70"})
                .find("70 is below ring_high_pct (80)"),
            std::string::npos);
  EXPECT_NE(conf_error({"control.backpressure.mempool_critical_pct=30"})
                .find("30 is above mempool_low_pct (20)"),
            std::string::npos);
  EXPECT_EQ(c.control.capture_shed.backlog_high_kib, 1536u);
  EXPECT_EQ(c.control.capture_shed.ring_high_pct, 50u);
  EXPECT_NE(conf_error({"control.capture_shed.backlog_low_kib=2000"})
                .find("control.capture_shed.backlog_low_kib: 2000 must be below "
                      "backlog_high_kib (1536)"),
            std::string::npos);
  EXPECT_NE(conf_error({"control.capture_shed.ring_low_pct=60"})
                .find("control.capture_shed.ring_low_pct: 60 must be below ring_high_pct (50)"),
            std::string::npos);
  // Capture goes before the packets and before the backlog hazard, whichever side moved.
  EXPECT_NE(
      conf_error({"control.backpressure.ring_low_pct=30", "control.backpressure.ring_high_pct=45"})
          .find("control.capture_shed.ring_high_pct: 50 is not below "
                "control.backpressure.ring_high_pct (45)"),
      std::string::npos);
  EXPECT_NE(conf_error({"storage.backlog_hazard_mib=1"})
                .find("control.capture_shed.backlog_high_kib: 1536 KiB is not below "
                      "storage.backlog_hazard_mib (1 MiB)"),
            std::string::npos);
  EXPECT_NE(conf_error({"control.capture_shed.escalate_ms=0"}).find("out of range 1..600000 (ms)"),
            std::string::npos);
  EXPECT_NE(conf_error({"control.capture_shed.backlog_high_kib=0"}).find("out of range"),
            std::string::npos);
  EXPECT_NE(conf_error({"control.api.enabled=true"})
                .find("control.api: enabled without a token: set token or token_file"),
            std::string::npos);
  const std::string short_token = conf_error({"control.api.token=abc"});
  EXPECT_NE(short_token.find("must be 8..256 characters (its value is not shown)"),
            std::string::npos);
  EXPECT_EQ(short_token.find("abc"), std::string::npos);  // a secret is never echoed
  EXPECT_NE(conf_error({"control.api.token=abcdefgh", "control.api.token_file=t"})
                .find("give either token or token_file, not both"),
            std::string::npos);
  EXPECT_NE(conf_error({"control.api.port=70000"}).find("out of range 0..65535"),
            std::string::npos);
  EXPECT_NE(conf_error({"control.period_us=5"}).find("out of range 100..100000 (us)"),
            std::string::npos);
  EXPECT_NE(conf_error({"control.hazards.colour=1"}).find("unknown key"), std::string::npos);
  EXPECT_NE(conf_error({"control.test.stall_rx_ms=-1"}).find("out of range"), std::string::npos);
  EXPECT_NE(conf_error({"control.hazards.disk_paths=[a,b,c,d,e,f,g,h,i]"})
                .find("control.hazards.disk_paths[8]: too many paths: at most 8"),
            std::string::npos);
  EXPECT_NE(conf_error({"control.hazards.disk_paths=['']"}).find("empty path"), std::string::npos);
  const conf::Config d =
      conf::load_from_string(kConf, "c.yaml", {"control.api.token=hunter2hunter2"});
  const std::string dump = conf::dump_resolved(d);
  EXPECT_EQ(dump.find("hunter2"), std::string::npos) << dump;
  EXPECT_NE(dump.find("token: \"<redacted>\""), std::string::npos) << dump;
}

}  // namespace
}  // namespace sy::control
