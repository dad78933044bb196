#include "src/control/safety_controller.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cstdio>

namespace sy::control {

namespace {

constexpr uint64_t kNsPerMs = 1'000'000;

bool at_least_as_strict(const Published& a, const Published& b) {
  return a.mode >= b.mode && a.kill >= b.kill && (a.accounts & b.accounts) == b.accounts &&
         a.shed >= b.shed && a.capture_shed >= b.capture_shed && a.retention <= b.retention;
}

Published strictest(const Published& a, const Published& b) {
  return {std::max(a.mode, b.mode),
          a.kill || b.kill,
          a.accounts | b.accounts,
          std::max(a.shed, b.shed),
          std::max(a.capture_shed, b.capture_shed),
          a.retention && b.retention};
}

}  // namespace

const char* hazard_name(uint32_t bit) {
  switch (bit) {
    case kHazardDiskFull:
      return "disk_full";
    case kHazardStorageIo:
      return "storage_io";
    case kHazardStorageBacklog:
      return "storage_backlog";
    case kHazardRingFill:
      return "ring_fill";
    case kHazardMempoolLow:
      return "mempool_low";
    case kHazardFdExhaustion:
      return "fd_exhaustion";
    case kHazardRss:
      return "oom_risk";
    case kHazardHeartbeat:
      return "heartbeat_missing";
    case kHazardVenueDown:
      return "venue_down";
    case kHazardVenueReplay:
      return "venue_replay_incomplete";
    case kHazardMetricUnknown:
      return "metric_unknown";
    case kHazardSamplerStale:
      return "sampler_stale";
    case kHazardPersist:
      return "state_not_persisted";
    case kHazardUncleanStop:
      return "unclean_stop";
  }
  return "hazard";
}

std::string hazard_list(uint32_t bits) {
  std::string out;
  for (uint32_t b = bits; b; b &= b - 1) {
    if (!out.empty()) out += ",";
    out += hazard_name(b & (~b + 1));
  }
  return out;
}

const char* to_string(CommandKind k) {
  switch (k) {
    case CommandKind::safety_mode:
      return "safety-mode";
    case CommandKind::kill_switch:
      return "kill-switch";
    case CommandKind::degrade_recover:
      return "degrade/recover";
    case CommandKind::retention:
      return "retention/authorize";
  }
  return "?";
}

SafetyController::SafetyController(const conf::ControlConfig& cfg, bool persisting,
                                   bool drop_on_full)
    : cfg_(cfg), persisting_(persisting), drop_on_full_(drop_on_full) {}

void SafetyController::emit(const char* event, const char* actor, const char* severity,
                            nlohmann::json detail) {
  events_.push_back({event, actor, severity, utc_now_ns(), std::move(detail)});
}

std::vector<AuditEvent> SafetyController::take_events() {
  std::vector<AuditEvent> out;
  out.swap(events_);
  return out;
}

void SafetyController::restore(const std::optional<PersistedState>& s, bool unclean,
                               const std::string& why) {
  if (s) {
    floors_.operator_mode = s->operator_mode;
    floors_.hazard_latched = s->hazard_latched;
    floors_.latch_reason = s->latch_reason;
    floors_.kill = s->kill;
    floors_.accounts = s->accounts_killed;
    version_ = s->version;
  }
  if (unclean) {
    floors_.hazard_latched = true;
    floors_.latch_reason = why;
  }
  committed_ = floors_;
  // Restoring is not a relaxation: the process starts from nothing, at the persisted floor.
  published_ = desired();
  emit("safety.state.restored", "appliance", unclean ? "critical" : "info",
       {{"found", s.has_value()},
        {"unclean_stop", unclean},
        {"why", why},
        {"mode", to_string(published_.mode)},
        {"operator_mode", to_string(floors_.operator_mode)},
        {"hazard_latched", floors_.hazard_latched},
        {"kill", floors_.kill},
        {"accounts_killed", floors_.accounts},
        {"version", version_}});
}

Published SafetyController::desired() const {
  Published p;
  p.mode = floors_.operator_mode;
  if (floors_.hazard_latched) p.mode = std::max(p.mode, SafetyMode::safe);
  if (floors_.shed > 0 || floors_.capture_shed > 0) p.mode = std::max(p.mode, SafetyMode::degraded);
  p.kill = floors_.kill;
  p.accounts = floors_.accounts;
  p.shed = floors_.shed;
  p.capture_shed = floors_.capture_shed;
  p.retention = floors_.retention;
  return p;
}

void SafetyController::shedding(const Sample& s, uint32_t& hazards) {
  const auto& bp = cfg_.backpressure;
  const bool ring_high = s.ring_fill_pct >= bp.ring_high_pct;
  const bool pool_low = s.pool_free_pct < bp.mempool_low_pct;
  const bool pressure = ring_high || pool_low;
  const bool calm = s.ring_fill_pct <= bp.ring_low_pct && !pool_low;
  const uint64_t escalate = uint64_t{bp.escalate_ms} * kNsPerMs;
  const std::string scope = ring_high ? "ring " + s.ring : "mempool " + s.pool;
  if (pressure) {
    calm_since_ns_ = 0;
    bp_peak_pct_ = std::max(bp_peak_pct_, s.ring_fill_pct);
    if (!bp_active_) {
      bp_active_ = true;
      bp_start_ns_ = s.now_ns;
      bp_peak_pct_ = s.ring_fill_pct;
      ++bp_events_;
      emit("perf.backpressure.start", "control", "warning",
           {{"scope", scope},
            {"reason", ring_high ? "ring fill at or above ring_high_pct"
                                 : "free mbufs below mempool_low_pct"},
            {"ring_fill_pct", s.ring_fill_pct},
            {"mempool_free_pct", s.pool_free_pct}});
    }
    if (floors_.shed == 0) {
      floors_.shed = 1;
      tier_since_ns_ = s.now_ns;
      ++degrade_events_;
      emit("perf.degrade.applied", "control", "warning",
           {{"tier", "P2"}, {"action", "shed"}, {"scope", scope}, {"drop_reason", "shed_p2"}});
    } else if (floors_.shed == 1 && s.now_ns - tier_since_ns_ >= escalate) {
      floors_.shed = 2;
      tier_since_ns_ = s.now_ns;
      ++degrade_events_;
      emit("perf.degrade.applied", "control", "warning",
           {{"tier", "P1"}, {"action", "shed"}, {"scope", scope}, {"drop_reason", "shed_p1"}});
    } else if (drop_on_full_ && floors_.shed == 2 && ring_high &&
               s.ring_fill_pct >= bp.ring_critical_pct && s.now_ns - tier_since_ns_ >= escalate) {
      // Nothing sheddable is left: what fills the ring now is P0, and a full ring loses it.
      // (With rings.on_full: wait a full ring only makes the source wait: flow control.)
      hazards |= kHazardRingFill;
      why_[std::countr_zero(static_cast<uint32_t>(kHazardRingFill))] =
          "P0 pressure: ring " + s.ring + " at " + std::to_string(s.ring_fill_pct) +
          "% with P1 and P2 shed";
    }
    return;
  }
  if (!bp_active_) return;
  if (!calm) {
    calm_since_ns_ = 0;
    return;
  }
  if (calm_since_ns_ == 0) calm_since_ns_ = s.now_ns;
  if (s.now_ns - calm_since_ns_ < uint64_t{bp.recover_hold_ms} * kNsPerMs) return;
  bp_active_ = false;
  bp_ns_total_ += s.now_ns - bp_start_ns_;
  emit("perf.backpressure.end", "control", "info",
       {{"duration_ms", (s.now_ns - bp_start_ns_) / kNsPerMs},
        {"peak_ring_fill_pct", bp_peak_pct_},
        {"reason", "below the low watermarks for recover_hold_ms"}});
  if (bp.auto_recover && floors_.shed > 0) {
    emit("perf.degrade.recovered", "policy", "info",
         {{"tiers", floors_.shed >= 2 ? "P1,P2" : "P2"},
          {"policy", "control.backpressure.auto_recover"}});
    floors_.shed = 0;
    last_actor_ = "policy";
  }
}

// Storage falling behind: stop writing P2 capture, then P1 (never P0), before the backlog becomes
// a hazard and before ring backpressure sheds whole classes (the thresholds are lower: conf).
void SafetyController::capture_shedding(const Sample& s) {
  if (!s.storage) return;
  const auto& cs = cfg_.capture_shed;
  const bool backlog_high = s.storage_backlog_bytes >= cs.backlog_high_kib * 1024;
  const bool ring_high = s.storage_ring_fill_pct >= cs.ring_high_pct;
  const bool calm = s.storage_backlog_bytes <= cs.backlog_low_kib * 1024 &&
                    s.storage_ring_fill_pct <= cs.ring_low_pct;
  auto measured = [&](nlohmann::json j) {
    j["backlog_bytes"] = s.storage_backlog_bytes;
    j["ring"] = s.storage_ring;
    j["ring_fill_pct"] = s.storage_ring_fill_pct;
    return j;
  };
  if (backlog_high || ring_high) {
    cap_calm_since_ns_ = 0;
    cap_active_ = true;
    const char* why = backlog_high ? "raw backlog at or above capture_shed.backlog_high_kib"
                                   : "ring into storage at or above capture_shed.ring_high_pct";
    if (floors_.capture_shed == 0) {
      floors_.capture_shed = 1;
      cap_tier_since_ns_ = s.now_ns;
      ++degrade_events_;
      emit("perf.degrade.applied", "control", "warning",
           measured({{"tier", "P2"},
                     {"action", "stop_capture"},
                     {"scope", "storage"},
                     {"reason", why},
                     {"drop_reason", "capture_shed_p2"}}));
    } else if (floors_.capture_shed == 1 &&
               s.now_ns - cap_tier_since_ns_ >= uint64_t{cs.escalate_ms} * kNsPerMs) {
      floors_.capture_shed = 2;
      cap_tier_since_ns_ = s.now_ns;
      ++degrade_events_;
      emit("perf.degrade.applied", "control", "warning",
           measured({{"tier", "P1"},
                     {"action", "stop_capture"},
                     {"scope", "storage"},
                     {"reason", why},
                     {"drop_reason", "capture_shed_p1"}}));
    }
    return;
  }
  if (!cap_active_) return;
  if (!calm) {
    cap_calm_since_ns_ = 0;
    return;
  }
  if (cap_calm_since_ns_ == 0) cap_calm_since_ns_ = s.now_ns;
  if (s.now_ns - cap_calm_since_ns_ < uint64_t{cs.recover_hold_ms} * kNsPerMs) return;
  cap_active_ = false;
  if (floors_.capture_shed > 0) {
    emit("perf.degrade.recovered", "policy", "info",
         measured({{"tiers", floors_.capture_shed >= 2 ? "P1,P2" : "P2"},
                   {"action", "resume_capture"},
                   {"scope", "storage"},
                   {"policy", "control.capture_shed.recover_hold_ms"}}));
    floors_.capture_shed = 0;
    last_actor_ = "policy";
  }
}

void SafetyController::observe(const Sample& s) {
  uint32_t hazards = s.hazards;
  for (uint32_t b = hazards; b; b &= b - 1) {
    const int i = std::countr_zero(b);
    why_[static_cast<size_t>(i)] = s.why[static_cast<size_t>(i)];
  }
  capture_shedding(s);  // first: in a tick where both apply, capture goes before packets
  shedding(s, hazards);

  const uint32_t raised = hazards & ~active_;
  const uint32_t cleared = active_ & ~hazards;
  for (uint32_t b = raised; b; b &= b - 1) {
    const uint32_t bit = b & (~b + 1);
    const std::string& why = why_[static_cast<size_t>(std::countr_zero(bit))];
    ++hazard_events_;
    emit("perf.capacity.hazard", "control", "critical",
         {{"hazard", hazard_name(bit)}, {"detail", why}, {"action", "SAFE"}});
    if (bit == kHazardHeartbeat || bit == kHazardMetricUnknown || bit == kHazardSamplerStale)
      emit("safety.unknown", "control", "critical",
           {{"what", hazard_name(bit)}, {"detail", why}, {"rule", "UNKNOWN is never healthy"}});
  }
  for (uint32_t b = cleared; b; b &= b - 1) {
    const uint32_t bit = b & (~b + 1);
    emit("perf.capacity.hazard_cleared", "control", "info",
         {{"hazard", hazard_name(bit)},
          {"latched", floors_.hazard_latched},
          {"note", cfg_.hazards.auto_recover ? "policy may relax after recover_hold_ms"
                                             : "SAFE holds until an operator relaxes it"}});
  }
  active_ = hazards;
  if (hazards) {
    if (!floors_.hazard_latched || raised) {
      const uint32_t first = (raised ? raised : hazards) & (~(raised ? raised : hazards) + 1);
      floors_.latch_reason = std::string(hazard_name(first)) + ": " +
                             why_[static_cast<size_t>(std::countr_zero(first))];
      last_actor_ = "control";
    }
    floors_.hazard_latched = true;
    hazard_clear_since_ = 0;
  } else if (floors_.hazard_latched && cfg_.hazards.auto_recover) {
    if (hazard_clear_since_ == 0) hazard_clear_since_ = s.now_ns;
    if (s.now_ns - hazard_clear_since_ >= uint64_t{cfg_.backpressure.recover_hold_ms} * kNsPerMs) {
      floors_.hazard_latched = false;
      floors_.latch_reason.clear();
      last_actor_ = "policy";
    }
  }
}

CommandVerdict SafetyController::command(const CommandRequest& c, uint64_t now_ns) {
  (void)now_ns;
  CommandVerdict v;
  if (pending_) {
    v.http_status = 409;
    v.error = "another change is waiting to be persisted; retry";
    return v;
  }
  last_actor_ = "operator";
  switch (c.kind) {
    case CommandKind::safety_mode:
      if (c.mode < floors_.operator_mode || (c.mode < SafetyMode::safe && floors_.hazard_latched)) {
        if (active_) {
          v.http_status = 409;
          v.error = "cannot relax while hazards are active: " + hazard_list(active_);
          return v;
        }
        if (c.mode < SafetyMode::safe) floors_.hazard_latched = false;
      }
      floors_.operator_mode = c.mode;
      break;
    case CommandKind::kill_switch:
      if (c.has_global) floors_.kill = c.global;
      if (c.has_account) {
        if (c.account >= kMaxAccounts) {
          v.http_status = 409;
          v.error = "account must be below " + std::to_string(kMaxAccounts);
          return v;
        }
        const uint64_t bit = uint64_t{1} << c.account;
        floors_.accounts = c.killed ? (floors_.accounts | bit) : (floors_.accounts & ~bit);
      }
      break;
    case CommandKind::degrade_recover:
      if (floors_.shed == 0 && floors_.capture_shed == 0) {
        v.http_status = 409;
        v.error = "not degraded: nothing is shed";
        return v;
      }
      if (bp_active_ || cap_active_) {
        v.http_status = 409;
        v.error = bp_active_ ? "backpressure persists; recovery needs the low watermarks first"
                             : "storage is still behind; capture recovers below its low marks";
        return v;
      }
      if (floors_.shed)
        emit("perf.degrade.recovered", "operator", "info",
             {{"tiers", floors_.shed >= 2 ? "P1,P2" : "P2"}, {"reason", std::string(c.reason)}});
      floors_.shed = 0;
      floors_.capture_shed = 0;  // only held while cap_active_, so already 0 here
      break;
    case CommandKind::retention:
      if (floors_.retention != c.authorized)
        emit("retention.authorization.changed", "operator", "warning",
             {{"authorized", c.authorized},
              {"mode", to_string(published_.mode)},
              {"reason", std::string(c.reason)}});
      floors_.retention = c.authorized;
      break;
  }
  const Published want = desired();
  if (want == published_ || at_least_as_strict(want, published_)) return v;
  v.http_status = 202;
  v.wait_version = version_ + 1;  // settle() assigns it
  return v;
}

void SafetyController::publish(const Published& p, const std::string& actor) {
  if (p.mode != published_.mode)
    emit("safety.mode.changed", actor.c_str(), p.mode > published_.mode ? "warning" : "info",
         {{"from", to_string(published_.mode)},
          {"to", to_string(p.mode)},
          {"operator_mode", to_string(floors_.operator_mode)},
          {"hazard_latched", floors_.hazard_latched},
          {"latch_reason", floors_.latch_reason},
          {"shed_tier", p.shed},
          {"relaxation", p.mode < published_.mode}});
  if (p.kill != published_.kill || p.accounts != published_.accounts)
    emit("kill_switch.changed", actor.c_str(), "warning",
         {{"global", p.kill},
          {"accounts_killed", p.accounts},
          {"relaxation", !at_least_as_strict(p, published_)}});
  published_ = p;
}

bool SafetyController::settle(uint64_t persisted_version, uint64_t failed_version,
                              uint64_t now_ns) {
  (void)now_ns;
  if (pending_) {
    if (persisted_version >= pending_version_) {
      pending_ = false;
      committed_ = floors_;
      // Anything tightened while waiting stays tightened; a further relaxation waits its turn.
      publish(strictest(pending_target_, desired()), last_actor_);
    } else if (failed_version >= pending_version_) {
      pending_ = false;
      failed_versions_ = pending_version_;
      floors_ = committed_;
      emit("safety.mode.changed", "control", "critical",
           {{"from", to_string(published_.mode)},
            {"to", to_string(published_.mode)},
            {"refused", "the relaxed state could not be persisted; nothing was relaxed"}});
    } else {
      // Waiting for the disk; a tightening meanwhile goes out at once.
      const Published want = desired();
      if (!at_least_as_strict(published_, want)) publish(strictest(published_, want), "control");
      return false;
    }
  }
  Published want = desired();
  // Leaving SAFE ends a retention authorization (it only ever meant deletes while SAFE).
  if (want.mode < SafetyMode::safe && floors_.retention && published_.mode >= SafetyMode::safe) {
    floors_.retention = false;
    emit("retention.authorization.changed", "control", "info",
         {{"authorized", false}, {"reason", "left SAFE"}});
    want = desired();
  }
  if (want == published_) return false;
  ++version_;
  persist_request_ = PersistedState{};
  persist_request_.version = version_;
  persist_request_.mode = want.mode;
  persist_request_.operator_mode = floors_.operator_mode;
  persist_request_.hazard_latched = floors_.hazard_latched;
  std::snprintf(persist_request_.latch_reason, sizeof persist_request_.latch_reason, "%s",
                floors_.latch_reason.c_str());
  persist_request_.kill = want.kill;
  persist_request_.accounts_killed = want.accounts;
  persist_request_.clean = false;
  persist_request_.run_epoch = run_epoch_;
  if (at_least_as_strict(want, published_) || !persisting_) {
    publish(want, last_actor_);
    committed_ = floors_;
  } else {
    pending_ = true;
    pending_version_ = version_;
    pending_target_ = want;
  }
  return persisting_;
}

PersistedState SafetyController::snapshot(bool clean) const {
  PersistedState s;
  s.version = version_ + 1;
  s.mode = published_.mode;
  s.operator_mode = committed_.operator_mode;
  s.hazard_latched = committed_.hazard_latched;
  std::snprintf(s.latch_reason, sizeof s.latch_reason, "%s", committed_.latch_reason.c_str());
  s.kill = published_.kill;
  s.accounts_killed = published_.accounts;
  s.clean = clean;
  s.run_epoch = run_epoch_;
  return s;
}

}  // namespace sy::control
