// The control plane of one run: the safety controller on the control lcore, and the non-EAL
// threads around it (audit writer, state persister, resource sampler, HTTP API).
//
// The control lcore calls on_tick() every control.period_us: it samples heartbeats, ring fill,
// mempools and the lcores' hazard bits (memory reads only), reads the sampler's published
// resource figures, closes budget windows, takes operator commands from the HTTP thread's SPSC
// queue, decides, and publishes the safety word and the shed word. It never does file or
// network I/O and never waits: it hands audit events and state to their threads.
//
// Extension points for the other paths (wire them before the lcores launch):
//   budgets().add(category, stage, &histogram)   any lcore's Histogram under a seed-000 budget
//   add_stats_provider(name, fn)                  a JSON section of GET /stats
//   add_view(name, fn)                            GET /views/<name> (orders, positions,
//                                                 exposure, limits: read-only)
// Providers run on the HTTP thread: they must read published snapshots, never lcore state
// that is not made for concurrent readers.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lcore/control.hpp"
#include "lcore/runtime.hpp"
#include "src/common/histogram.hpp"
#include "src/common/seqlock.hpp"
#include "src/control/audit.hpp"
#include "src/control/budgets.hpp"
#include "src/control/persisted_state.hpp"
#include "src/control/resource_sampler.hpp"
#include "src/control/safety_controller.hpp"
#include "src/control/spsc_queue.hpp"

namespace sy::control {

inline constexpr size_t kMaxStatusBudgets = 16;

// What the control lcore publishes each tick for the HTTP thread and the reporter.
struct ControlStatus {
  uint64_t tick_ns = 0;     // steady clock of the last tick
  uint64_t started_ns = 0;  // steady clock at start
  SafetyMode mode = SafetyMode::normal;
  SafetyMode operator_mode = SafetyMode::normal;
  bool kill = false;
  bool retention = false;
  bool backpressure = false;
  bool latched = false;
  bool pending = false;
  uint32_t shed = 0;
  uint32_t capture_shed = 0;  // raw capture shed while storage is behind (same tiers)
  uint64_t accounts = 0;
  uint32_t hazards = 0;
  uint64_t heartbeat_missing = 0;  // bit i: lcore index i
  char latch_reason[96] = {};
  uint32_t ring_fill_pct = 0;
  char ring[32] = {};
  uint32_t pool_free_pct = 100;
  uint64_t backpressure_events = 0, backpressure_ns = 0, degrade_events = 0, hazard_events = 0;
  uint64_t budget_violations = 0;
  uint64_t version = 0;
  uint32_t budgets = 0;
  struct Budget {
    BudgetStatus status = BudgetStatus::idle;
    uint64_t observed_ns = 0, samples = 0, windows = 0, violations = 0;
  } budget[kMaxStatusBudgets];
};

// HTTP thread -> control lcore.
struct CommandMsg {
  uint64_t id = 0;
  uint64_t accepted_ns = 0;  // steady clock when the request arrived
  CommandRequest req;
};

// Control lcore -> HTTP thread.
struct OutcomeMsg {
  uint64_t id = 0;
  int http_status = 200;
  char error[200] = {};
  ControlStatus state;
};

class ControlPlane final : public ControlHooks {
 public:
  // Before launch: restores the persisted state (or comes up SAFE after an unclean stop), opens
  // the audit trail, loads the budget policy. Throws conf::ConfigError / std::runtime_error.
  ControlPlane(Runtime& rt, const conf::Config& cfg, const std::string& config_dir);
  ~ControlPlane() override;

  // Extension points (before start()).
  BudgetRegistry& budgets() { return registry_; }
  void add_stats_provider(const std::string& name, std::function<nlohmann::json()> fn);
  void add_view(const std::string& name, std::function<nlohmann::json()> fn);
  // POST /control/<name>: an operator action another path owns (e.g. the execution path's
  // intraday limit change). `fn` gets the JSON body and returns {http status, answer}; the
  // request is authorised like every command, and the action audits its own outcome.
  struct ActionResult {
    int status = 200;
    nlohmann::json answer;
  };
  void add_action(const std::string& name, std::function<ActionResult(const nlohmann::json&)> fn);
  AuditWriter* audit() { return audit_.get(); }
  // This run's number, persisted before anything runs (PersistedState::run_epoch).
  uint64_t run_epoch() const { return controller_.run_epoch(); }

  // Registers the built-in histograms, starts the threads and the API. After build_pipeline.
  void start();
  void on_tick(uint64_t now_tsc) override;
  // After every lcore returned: the last events, the clean-stop marker, the threads stopped.
  void finish(const StopOutcome& stop, bool integrity_report_written,
              const std::string& report_path, const std::string& report_sha256);

  ControlStatus status() const;
  nlohmann::json report_section() const;  // the integrity report's "control" part
  uint16_t api_port() const { return api_port_; }
  bool supervising() const { return cfg_.control.supervise; }

  // Used by the HTTP thread (src/control/http_api.cpp).
  struct Api;
  friend struct Api;

 private:
  Sample measure(uint64_t now_tsc, uint64_t now_ns);
  void handle_commands(uint64_t now_ns);
  void complete_pending(uint64_t now_ns, uint64_t persisted);
  void publish_word();
  void forward_events();
  void publish_status(uint64_t now_ns, const Sample& s);

  Runtime& rt_;
  const conf::Config& cfg_;
  std::string run_id_;
  std::unique_ptr<AuditWriter> audit_;
  std::unique_ptr<StatePersister> persister_;
  std::unique_ptr<ResourceSampler> sampler_;
  SafetyController controller_;
  BudgetRegistry registry_;
  std::vector<BudgetSpec> budget_specs_;
  std::unique_ptr<BudgetEvaluator> evaluator_;
  std::vector<std::unique_ptr<Histogram>> dwell_;  // per consumer lcore: rx -> dequeue
  Histogram command_queue_ns_, command_e2e_ns_;    // control lcore writes
  Histogram request_ns_;                           // HTTP thread writes
  uint64_t started_ns_ = 0;
  uint64_t launch_tsc_ = 0;
  uint64_t heartbeat_missing_ = 0;
  uint64_t replay_unavailable_seen_ = 0;  // venue messages not replayable, already raised
  uint64_t budget_violations_ = 0;
  uint64_t last_persist_failures_ = 0;
  Published last_word_;
  bool word_written_ = false;
  // Operator commands: one in flight (the HTTP thread serves one request at a time).
  SpscQueue<CommandMsg, 16> commands_;
  SpscQueue<OutcomeMsg, 16> outcomes_;
  struct Parked {
    bool active = false;
    CommandMsg msg;
    uint64_t wait_version = 0;
  } parked_;
  Seqlock<ControlStatus> status_;
  std::map<std::string, std::function<nlohmann::json()>> providers_, views_;
  std::map<std::string, std::function<ActionResult(const nlohmann::json&)>> actions_;
  std::string token_;
  uint16_t api_port_ = 0;
  std::unique_ptr<Api> api_;
};

}  // namespace sy::control
