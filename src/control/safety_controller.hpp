// The decisions of the control lcore, without DPDK: from what was sampled this tick and what
// operators asked, which safety mode, kill switches and shedding tier hold, and which audit
// events say so.
//
// The mode is the strictest of three floors: the operator's, the hazard latch (SAFE), and
// shedding (DEGRADED). A hazard latches SAFE; only an operator command or the explicit
// hazards.auto_recover policy lifts the latch. Backpressure sheds P2, then P1 after
// escalate_ms, never P0: pressure that persists at the critical watermark with both shed is P0
// pressure, a capacity hazard. Recovery needs recover_hold_ms of calm (hysteresis).
//
// Capture shedding comes first when storage falls behind (its raw backlog, the fill of the
// rings into it): the raw copies of P2, then P1 classes are not written, the packets are still
// processed; it lifts by policy after capture_shed.recover_hold_ms of calm. P0 capture is never
// shed: if it still backs up, storage's own backlog hazard moves the appliance to SAFE.
//
// Tightening is published at once. A relaxation is published only after the state carrying it
// was persisted (settle() with the persister's versions); if that write fails the floors roll
// back and the operator gets the error.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "conf/config.hpp"
#include "src/common/safety.hpp"
#include "src/control/audit.hpp"
#include "src/control/persisted_state.hpp"

namespace sy::control {

// Hazards only the control side raises (bits above the lcores' HazardBit range).
inline constexpr uint32_t kHazardMetricUnknown = 1u << 16;  // a required metric is missing
inline constexpr uint32_t kHazardSamplerStale = 1u << 17;   // resource samples stopped coming
inline constexpr uint32_t kHazardPersist = 1u << 18;        // safety state cannot be written
inline constexpr uint32_t kHazardUncleanStop = 1u << 19;    // only as a latch reason at start

const char* hazard_name(uint32_t bit);
std::string hazard_list(uint32_t bits);  // "disk_full,heartbeat"

struct Sample {
  uint64_t now_ns = 0;              // monotonic
  uint32_t hazards = 0;             // active now
  std::array<std::string, 32> why;  // per bit: what was measured
  uint32_t ring_fill_pct = 0;       // fullest data ring
  std::string ring;                 // its name
  uint32_t pool_free_pct = 100;     // emptiest mempool
  std::string pool;
  bool storage = false;                // persistence is on: the fields below mean something
  uint64_t storage_backlog_bytes = 0;  // raw stream: appended, not yet settled
  uint32_t storage_ring_fill_pct = 0;  // fullest ring into storage (raw captures)
  std::string storage_ring;
};

enum class CommandKind : uint8_t { safety_mode, kill_switch, degrade_recover, retention };
const char* to_string(CommandKind k);

struct CommandRequest {
  CommandKind kind = CommandKind::safety_mode;
  SafetyMode mode = SafetyMode::normal;     // safety_mode
  bool has_global = false, global = false;  // kill_switch
  bool has_account = false;
  uint32_t account = 0;
  bool killed = false;
  bool authorized = false;  // retention
  char reason[200] = {};
};

struct CommandVerdict {
  int http_status = 200;      // 200 applied, 202 pending persistence, 409 refused
  std::string error;          // 409: why
  uint64_t wait_version = 0;  // pending: the version that must be persisted first
};

// What the hot lcores see (SafetyState, the shed word, the retention flag).
struct Published {
  SafetyMode mode = SafetyMode::normal;
  bool kill = false;
  uint64_t accounts = 0;
  uint32_t shed = 0;          // 0 none, 1 P2 shed, 2 P1 and P2 shed
  uint32_t capture_shed = 0;  // the same tiers, for raw capture only
  bool retention = false;
  bool operator==(const Published&) const = default;
};

class SafetyController {
 public:
  // persisting: relaxations wait for the state file. drop_on_full: rings.on_full is drop, so a
  // ring full of P0 loses data (P0 pressure is a hazard); with wait it is flow control.
  SafetyController(const conf::ControlConfig& cfg, bool persisting, bool drop_on_full = true);

  // At start, before the first tick: the persisted state (nullopt: none) and whether the
  // previous stop was clean. Emits safety.state.restored.
  void restore(const std::optional<PersistedState>& s, bool unclean, const std::string& why);

  // The version the start-up marker was written with; later versions follow it.
  void adopt_version(uint64_t v) { version_ = v; }

  void observe(const Sample& s);
  CommandVerdict command(const CommandRequest& c, uint64_t now_ns);
  // Publishes what is due given the persister's progress. Returns true when a persist request
  // is wanted (persist_request() has it).
  bool settle(uint64_t persisted_version, uint64_t failed_version, uint64_t now_ns);

  const Published& published() const { return published_; }
  const PersistedState& persist_request() const { return persist_request_; }
  bool pending() const { return pending_; }
  uint64_t version() const { return version_; }
  bool relax_failed(uint64_t version) const { return failed_versions_ >= version; }
  uint32_t active_hazards() const { return active_; }
  bool hazard_latched() const { return floors_.hazard_latched; }
  const std::string& latch_reason() const { return floors_.latch_reason; }
  SafetyMode operator_mode() const { return floors_.operator_mode; }
  bool backpressure() const { return bp_active_; }
  bool capture_pressure() const { return cap_active_; }
  uint64_t backpressure_events() const { return bp_events_; }
  uint64_t backpressure_ns_total() const { return bp_ns_total_; }
  uint64_t degrade_events() const { return degrade_events_; }
  uint64_t hazard_events() const { return hazard_events_; }
  const std::array<std::string, 32>& hazard_why() const { return why_; }

  // Audit events produced since the last call.
  std::vector<AuditEvent> take_events();

  // A clean-stop record of the current state.
  PersistedState snapshot(bool clean) const;
  // This run's number (ControlPlane: one more than the restored one, never below the clock's
  // seconds), carried in every version written.
  void set_run_epoch(uint64_t e) { run_epoch_ = e; }
  uint64_t run_epoch() const { return run_epoch_; }

 private:
  struct Floors {
    SafetyMode operator_mode = SafetyMode::normal;
    bool hazard_latched = false;
    std::string latch_reason;
    bool kill = false;
    uint64_t accounts = 0;
    uint32_t shed = 0;
    uint32_t capture_shed = 0;
    bool retention = false;
  };
  Published desired() const;
  void emit(const char* event, const char* actor, const char* severity, nlohmann::json detail);
  void publish(const Published& p, const std::string& actor);
  void shedding(const Sample& s, uint32_t& hazards);
  void capture_shedding(const Sample& s);

  const conf::ControlConfig& cfg_;
  bool persisting_;
  bool drop_on_full_;
  Floors floors_, committed_;
  Published published_;
  PersistedState persist_request_;
  bool pending_ = false;
  uint64_t run_epoch_ = 0;
  Published pending_target_;
  uint64_t version_ = 0, pending_version_ = 0, failed_versions_ = 0;
  std::string last_actor_ = "control";
  // hazards
  uint32_t active_ = 0;
  std::array<std::string, 32> why_;
  uint64_t hazard_clear_since_ = 0;
  uint64_t hazard_events_ = 0;
  // backpressure
  bool bp_active_ = false;
  uint64_t bp_start_ns_ = 0, tier_since_ns_ = 0, calm_since_ns_ = 0;
  uint32_t bp_peak_pct_ = 0;
  uint64_t bp_events_ = 0, bp_ns_total_ = 0, degrade_events_ = 0;
  // capture shedding
  bool cap_active_ = false;
  uint64_t cap_tier_since_ns_ = 0, cap_calm_since_ns_ = 0;
  std::vector<AuditEvent> events_;
};

}  // namespace sy::control
