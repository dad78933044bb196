#include "src/control/http_api.hpp"

#include <httplib.h>
#include <openssl/crypto.h>
#include <rte_cycles.h>
#include <rte_ring.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <thread>

namespace sy::control {

namespace {

using nlohmann::json;

constexpr uint32_t kKnownHazards[] = {
    kHazardDiskFull,    kHazardStorageIo,     kHazardStorageBacklog,
    kHazardRingFill,    kHazardMempoolLow,    kHazardFdExhaustion,
    kHazardRss,         kHazardHeartbeat,     kHazardVenueDown,
    kHazardVenueReplay, kHazardMetricUnknown, kHazardSamplerStale,
    kHazardPersist};

json hazards_json(uint32_t bits) {
  json out = json::array();
  for (uint32_t b = bits; b; b &= b - 1) out.push_back(hazard_name(b & (~b + 1)));
  return out;
}

void reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(2) + "\n", "application/json");
}

// Prometheus label values: backslash, quote and newline escaped.
std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

json state_json(const ControlStatus& s) {
  json accounts = json::array();
  for (unsigned a = 0; a < kMaxAccounts; ++a)
    if (s.accounts >> a & 1) accounts.push_back(a);
  return {{"mode", to_string(s.mode)},
          {"operator_mode", to_string(s.operator_mode)},
          {"kill_switch", {{"global", s.kill}, {"accounts_killed", accounts}}},
          {"shed_tier", s.shed},
          {"shedding", s.shed == 0   ? "none"
                       : s.shed == 1 ? "P2"
                                     : "P1,P2"},
          {"capture_shed_tier", s.capture_shed},
          {"backpressure", s.backpressure},
          {"hazard_latched", s.latched},
          {"latch_reason", std::string(s.latch_reason)},
          {"hazards_active", hazards_json(s.hazards)},
          {"retention_authorized", s.retention},
          {"state_version", s.version},
          {"pending_persist", s.pending}};
}

bool token_matches(const std::string& expected, const std::string& presented) {
  // Digests have one length whatever was presented, so the comparison time says nothing.
  const std::string a = sha256_hex(expected), b = sha256_hex(presented);
  return !expected.empty() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

namespace {

struct Totals {
  uint64_t received = 0, delivered = 0, dropped[kDropReasonCount] = {};
};

void add(Totals& t, const FlowCounters& c) {
  t.received += c.packets.get();
  t.delivered += c.delivered.get();
  for (size_t r = 0; r < kDropReasonCount; ++r) t.dropped[r] += c.dropped[r].get();
}

json drops_json(const Totals& t) {
  json d = json::object();
  for (size_t r = 0; r < kDropReasonCount; ++r)
    if (t.dropped[r]) d[kDropReasonNames[r]] = t.dropped[r];
  return d;
}

}  // namespace

ControlPlane::Api::Api(ControlPlane& plane)
    : cp(plane), server(std::make_unique<httplib::Server>()) {
  httplib::Server& s = *server;
  // One worker: requests are served in order and this thread is the command queue's only
  // producer (SPSC), as the control lcore expects.
  s.new_task_queue = [] { return new httplib::ThreadPool(1); };
  s.set_payload_max_length(64 * 1024);
  s.set_read_timeout(2, 0);
  s.set_write_timeout(2, 0);
  s.set_keep_alive_max_count(1);

  auto timed = [this](auto fn) {
    return [this, fn](const httplib::Request& req, httplib::Response& res) {
      const uint64_t t0 = steady_now_ns();
      fn(req, res);
      cp.request_ns_.record(steady_now_ns() - t0);
    };
  };
  auto authorized = [this](const httplib::Request& req, httplib::Response& res) {
    const std::string h = req.get_header_value("Authorization");
    const char* why = nullptr;
    if (h.empty())
      why = "missing";
    else if (h.rfind("Bearer ", 0) != 0)
      why = "malformed";
    else if (!token_matches(cp.token_, h.substr(7)))
      why = "mismatch";
    if (why == nullptr) return true;
    res.set_header("WWW-Authenticate", "Bearer");
    reply(res, 401, {{"error", std::string("unauthorized: bearer token ") + why}});
    if (cp.audit_)
      cp.audit_->submit_api({"control.auth.failed",
                             "operator",
                             "warning",
                             0,
                             {{"method", req.method},
                              {"path", req.path},
                              {"problem", why},
                              {"remote", req.remote_addr}}});
    return false;
  };

  s.Get("/health", timed([this](const httplib::Request&, httplib::Response& res) { health(res); }));
  s.Get("/stats", timed([this, authorized](const httplib::Request& req, httplib::Response& res) {
          if (authorized(req, res)) reply(res, 200, stats());
        }));
  s.Get("/metrics", timed([this, authorized](const httplib::Request& req, httplib::Response& res) {
          if (authorized(req, res))
            res.set_content(metrics(), "text/plain; version=0.0.4; charset=utf-8");
        }));
  s.Get(R"(/views/([a-z_]+))",
        timed([this, authorized](const httplib::Request& req, httplib::Response& res) {
          if (!authorized(req, res)) return;
          const std::string name = req.matches[1];
          const auto it = cp.views_.find(name);
          if (it == cp.views_.end()) {
            reply(res, 404,
                  {{"error", "view '" + name +
                                 "' is not available in this build: the path that owns it "
                                 "registers it (orders, positions, exposure, limits)"}});
            return;
          }
          reply(res, 200, it->second());
        }));
  auto post = [this, timed, authorized](const char* path, CommandKind kind) {
    server->Post(
        path, timed([this, authorized, kind](const httplib::Request& req, httplib::Response& res) {
          if (!authorized(req, res)) return;
          CommandRequest c;
          c.kind = kind;
          std::string error;
          if (!parse_command(req.body, c, error)) {
            reply(res, 400, {{"error", error}});
            if (cp.audit_)
              cp.audit_->submit_api({"control.request.rejected",
                                     "operator",
                                     "warning",
                                     0,
                                     {{"path", req.path}, {"error", error}}});
            return;
          }
          submit(c, res);
        }));
  };
  post("/control/safety-mode", CommandKind::safety_mode);
  post("/control/kill-switch", CommandKind::kill_switch);
  post("/control/degrade/recover", CommandKind::degrade_recover);
  post("/control/retention/authorize", CommandKind::retention);
  for (const auto& [name, fn] : cp.actions_) {
    const auto action = fn;
    server->Post("/control/" + name,
                 timed([authorized, action](const httplib::Request& req, httplib::Response& res) {
                   if (!authorized(req, res)) return;
                   json body;
                   try {
                     body = json::parse(req.body);
                   } catch (const std::exception&) {
                     reply(res, 400, {{"error", "body is not JSON"}});
                     return;
                   }
                   if (!body.is_object()) {
                     reply(res, 400, {{"error", "body must be a JSON object"}});
                     return;
                   }
                   const ControlPlane::ActionResult r = action(body);
                   reply(res, r.status, r.answer);
                 }));
  }
}

ControlPlane::Api::~Api() { stop(); }

uint16_t ControlPlane::Api::start(uint16_t port) {
  int bound = port;
  if (port == 0) {
    bound = server->bind_to_any_port("127.0.0.1");
  } else if (!server->bind_to_port("127.0.0.1", port)) {
    bound = -1;
  }
  if (bound <= 0)
    throw std::runtime_error("control API: cannot listen on 127.0.0.1:" + std::to_string(port));
  thread = std::thread([this] { server->listen_after_bind(); });
  return static_cast<uint16_t>(bound);
}

void ControlPlane::Api::stop() {
  if (!thread.joinable()) return;
  server->stop();
  thread.join();
}

bool ControlPlane::Api::parse_command(const std::string& body, CommandRequest& c,
                                      std::string& error) {
  json j;
  if (body.empty() && c.kind == CommandKind::degrade_recover) {
    j = json::object();
  } else {
    try {
      j = json::parse(body);
    } catch (const std::exception&) {
      error = "body is not JSON";
      return false;
    }
  }
  if (!j.is_object()) {
    error = "body must be a JSON object";
    return false;
  }
  auto allowed = [&](std::initializer_list<const char*> keys) {
    for (const auto& [k, v] : j.items()) {
      bool ok = false;
      for (const char* a : keys) ok = ok || k == a;
      if (!ok) {
        std::string list;
        for (const char* a : keys) list += std::string(list.empty() ? "" : ", ") + a;
        error = "unknown field '" + k + "' (expected: " + list + ")";
        return false;
      }
    }
    return true;
  };
  auto boolean = [&](const char* key, bool& out) {
    if (!j[key].is_boolean()) {
      error = std::string("'") + key + "' must be true or false";
      return false;
    }
    out = j[key].get<bool>();
    return true;
  };
  if (j.contains("reason")) {
    if (!j["reason"].is_string() || j["reason"].get<std::string>().size() >= sizeof c.reason) {
      error = "'reason' must be a string of at most 199 bytes";
      return false;
    }
    std::snprintf(c.reason, sizeof c.reason, "%s", j["reason"].get<std::string>().c_str());
  }
  switch (c.kind) {
    case CommandKind::safety_mode: {
      if (!allowed({"mode", "reason"})) return false;
      if (!j.contains("mode") || !j["mode"].is_string()) {
        error = "'mode' is required: NORMAL, DEGRADED, SAFE or EMERGENCY_STOP";
        return false;
      }
      const auto m = parse_mode(j["mode"].get<std::string>());
      if (!m) {
        error = "'mode' must be NORMAL, DEGRADED, SAFE or EMERGENCY_STOP";
        return false;
      }
      c.mode = *m;
      return true;
    }
    case CommandKind::kill_switch:
      if (!allowed({"global", "account", "killed", "reason"})) return false;
      if (!j.contains("global") && !j.contains("account")) {
        error = "give 'global' (true/false) or 'account' (0..63) with 'killed' (true/false)";
        return false;
      }
      if (j.contains("global")) {
        c.has_global = true;
        if (!boolean("global", c.global)) return false;
      }
      if (j.contains("account")) {
        if (!j["account"].is_number_unsigned() || j["account"].get<uint64_t>() >= kMaxAccounts) {
          error = "'account' must be an integer 0..63";
          return false;
        }
        if (!j.contains("killed")) {
          error = "'account' needs 'killed' (true/false)";
          return false;
        }
        c.has_account = true;
        c.account = j["account"].get<uint32_t>();
        if (!boolean("killed", c.killed)) return false;
      } else if (j.contains("killed")) {
        error = "'killed' applies to an 'account'";
        return false;
      }
      return true;
    case CommandKind::degrade_recover:
      return allowed({"reason"});
    case CommandKind::retention:
      if (!allowed({"authorized", "reason"})) return false;
      if (!j.contains("authorized")) {
        error = "'authorized' (true/false) is required";
        return false;
      }
      return boolean("authorized", c.authorized);
  }
  return false;
}

void ControlPlane::Api::submit(const CommandRequest& c, httplib::Response& res) {
  CommandMsg msg;
  msg.id = next_id++;
  msg.accepted_ns = steady_now_ns();
  msg.req = c;
  if (!cp.commands_.try_push(msg)) {
    reply(res, 503, {{"error", "command queue full: the control lcore is behind"}});
    return;
  }
  const uint64_t deadline =
      msg.accepted_ns + uint64_t{cp.cfg_.control.api.command_timeout_ms} * 1'000'000;
  while (steady_now_ns() < deadline) {
    while (auto out = cp.outcomes_.try_pop()) {
      if (out->id != msg.id) continue;  // an answer to a request that already timed out
      json body = {{"command", to_string(c.kind)},
                   {"result", out->http_status == 200   ? "applied"
                              : out->http_status == 409 ? "refused"
                                                        : "failed"},
                   {"state", state_json(out->state)}};
      if (out->error[0]) body["error"] = out->error;
      reply(res, out->http_status, body);
      return;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  reply(res, 503,
        {{"error", "the control lcore did not decide within " +
                       std::to_string(cp.cfg_.control.api.command_timeout_ms) +
                       " ms; the command may still apply (see the audit trail)"}});
}

void ControlPlane::Api::health(httplib::Response& res) {
  const ControlStatus s = cp.status();
  const uint64_t now = steady_now_ns();
  json unhealthy = json::array(), degraded = json::array();
  const uint64_t age_ms = (now - std::min(now, s.tick_ns)) / 1'000'000;
  if (age_ms > 2 * uint64_t{cp.cfg_.control.heartbeat_timeout_ms})
    unhealthy.push_back("UNKNOWN: the control lcore has not ticked for " + std::to_string(age_ms) +
                        " ms");
  if (s.mode >= SafetyMode::safe)
    unhealthy.push_back(std::string("mode ") + to_string(s.mode) +
                        (s.latch_reason[0] ? std::string(": ") + s.latch_reason : ""));
  for (uint32_t b = s.hazards; b; b &= b - 1)
    unhealthy.push_back(std::string("hazard: ") + hazard_name(b & (~b + 1)));
  for (uint32_t i = 0; i < s.budgets; ++i) {
    const BudgetSpec& spec = cp.budget_specs_[i];
    if (s.budget[i].status == BudgetStatus::unknown)
      unhealthy.push_back("UNKNOWN: budget " + spec.id() + " has no metric");
    if (s.budget[i].status == BudgetStatus::violated)
      degraded.push_back("budget " + spec.id() + " p" + std::to_string(spec.percentile) + " " +
                         std::to_string(s.budget[i].observed_ns) + " ns > " +
                         std::to_string(spec.threshold_ns) + " ns");
  }
  if (s.mode == SafetyMode::degraded) degraded.push_back("mode DEGRADED");
  if (s.shed) degraded.push_back(s.shed == 1 ? "shedding P2" : "shedding P1 and P2");
  if (s.capture_shed)
    degraded.push_back(s.capture_shed == 1 ? "not capturing P2 (storage behind)"
                                           : "not capturing P1 and P2 (storage behind)");
  if (s.backpressure)
    degraded.push_back("backpressure: " + std::string(s.ring) + " " +
                       std::to_string(s.ring_fill_pct) + "% full");
  if (s.kill || s.accounts) degraded.push_back("kill switch engaged");
  uint64_t lost = 0;
  for (const auto& lc : cp.rt_.lcores)
    for (size_t p = 0; p < cp.rt_.ports.size(); ++p)
      for (size_t r = 0; r < kDropReasonCount; ++r)
        if (kDropReasonIsLoss[r]) lost += lc.stats->ports[p].dropped[r].get();
  if (lost) degraded.push_back("packets lost for capacity: " + std::to_string(lost));
  if (cp.audit_ && cp.audit_->dropped())
    degraded.push_back("audit events dropped: " + std::to_string(cp.audit_->dropped()));
  const char* status = !unhealthy.empty()  ? "unhealthy"
                       : !degraded.empty() ? "degraded"
                                           : "healthy";
  json reasons = unhealthy;
  for (auto& d : degraded) reasons.push_back(d);
  reply(res, unhealthy.empty() ? 200 : 503,
        {{"status", status},
         {"reasons", reasons},
         {"timestamp_ns", utc_now_ns()},
         {"uptime_ms", (now - std::min(now, s.started_ns)) / 1'000'000},
         {"state", state_json(s)},
         {"packets_lost", lost}});
}

json ControlPlane::Api::stats() {
  const ControlStatus s = cp.status();
  const Runtime& rt = cp.rt_;
  json j;
  j["uptime_ms"] = (steady_now_ns() - std::min(steady_now_ns(), s.started_ns)) / 1'000'000;
  j["control"] = cp.report_section();
  json lcores = json::array();
  const uint64_t now_tsc = rte_rdtsc();
  for (const auto& lc : rt.lcores) {
    const uint64_t hb = lc.stats->heartbeat_tsc.load(std::memory_order_relaxed);
    lcores.push_back(
        {{"id", lc.cfg->id},
         {"role", conf::to_string(lc.cfg->role)},
         {"loops", lc.stats->loops.get()},
         {"busy_loops", lc.stats->busy_loops.get()},
         {"in_packets", lc.stats->in_packets.get()},
         {"heartbeat_age_us", hb && now_tsc > hb ? (now_tsc - hb) * 1'000'000 / rt.tsc_hz : 0},
         {"finished", lc.stats->finished.load()}});
  }
  j["lcores"] = lcores;
  json ports = json::object();
  for (size_t p = 0; p < rt.ports.size(); ++p) {
    Totals t;
    for (const auto& lc : rt.lcores) add(t, lc.stats->ports[p]);
    ports[rt.cfg->ports[p].name] = {
        {"received", t.received}, {"delivered", t.delivered}, {"drops", drops_json(t)}};
  }
  j["ports"] = ports;
  json classes = json::object();
  for (size_t c = 0; c < rt.classes.classes.size(); ++c) {
    Totals t;
    uint64_t consumed = 0;
    for (const auto& lc : rt.lcores) {
      if (lc.cfg->role == conf::Role::rx)
        add(t, lc.stats->classes[c]);
      else
        consumed += lc.stats->classes[c].packets.get();
    }
    classes[rt.classes.classes[c].name] = {
        {"priority", conf::to_string(rt.classes.classes[c].priority)},
        {"received", t.received},
        {"delivered", t.delivered},
        {"consumed", consumed},
        {"drops", drops_json(t)}};
  }
  j["classes"] = classes;
  json rings = json::object();
  for (const rte_ring* r : rt.rings)
    rings[r->name] = {{"count", rte_ring_count(r)}, {"capacity", rte_ring_get_capacity(r)}};
  j["rings"] = rings;
  json providers = json::object();
  for (const auto& [name, fn] : cp.providers_) providers[name] = fn();
  j["providers"] = providers;
  json views = json::array();
  for (const auto& [name, fn] : cp.views_) views.push_back(name);
  j["views"] = views;
  return j;
}

std::string ControlPlane::Api::metrics() {
  const ControlStatus s = cp.status();
  const Runtime& rt = cp.rt_;
  std::ostringstream o;
  auto help = [&](const char* name, const char* type, const char* text) {
    o << "# HELP " << name << " " << text << "\n# TYPE " << name << " " << type << "\n";
  };
  help("switchyard_safety_mode", "gauge", "1 for the current safety mode.");
  for (auto m :
       {SafetyMode::normal, SafetyMode::degraded, SafetyMode::safe, SafetyMode::emergency_stop})
    o << "switchyard_safety_mode{mode=\"" << to_string(m) << "\"} " << (s.mode == m ? 1 : 0)
      << "\n";
  help("switchyard_kill_switch", "gauge", "Global kill switch engaged (1) or not (0).");
  o << "switchyard_kill_switch " << (s.kill ? 1 : 0) << "\n";
  help("switchyard_accounts_killed", "gauge", "Accounts whose kill switch is engaged.");
  o << "switchyard_accounts_killed " << std::popcount(s.accounts) << "\n";
  help("switchyard_shed_tier", "gauge", "0 nothing shed, 1 P2 shed, 2 P1 and P2 shed.");
  o << "switchyard_shed_tier " << s.shed << "\n";
  help("switchyard_capture_shed_tier", "gauge",
       "Raw capture shed while storage is behind: 0 none, 1 P2, 2 P1 and P2.");
  o << "switchyard_capture_shed_tier " << s.capture_shed << "\n";
  help("switchyard_backpressure_active", "gauge", "Backpressure in progress.");
  o << "switchyard_backpressure_active " << (s.backpressure ? 1 : 0) << "\n";
  help("switchyard_backpressure_events_total", "counter", "Backpressure episodes started.");
  o << "switchyard_backpressure_events_total " << s.backpressure_events << "\n";
  help("switchyard_backpressure_seconds_total", "counter", "Time spent in ended episodes.");
  o << "switchyard_backpressure_seconds_total " << static_cast<double>(s.backpressure_ns) / 1e9
    << "\n";
  help("switchyard_degrade_events_total", "counter", "Shedding tiers applied.");
  o << "switchyard_degrade_events_total " << s.degrade_events << "\n";
  help("switchyard_hazard_active", "gauge", "Capacity hazards active now (1).");
  for (uint32_t h : kKnownHazards)
    o << "switchyard_hazard_active{hazard=\"" << hazard_name(h) << "\"} "
      << ((s.hazards & h) ? 1 : 0) << "\n";
  help("switchyard_hazard_events_total", "counter", "Capacity hazards raised.");
  o << "switchyard_hazard_events_total " << s.hazard_events << "\n";
  help("switchyard_ring_fill_ratio", "gauge", "Entries over capacity, per ring.");
  for (const rte_ring* r : rt.rings) {
    const unsigned cap = rte_ring_get_capacity(r);
    o << "switchyard_ring_fill_ratio{ring=\"" << label(r->name) << "\"} "
      << (cap ? static_cast<double>(rte_ring_count(r)) / cap : 0.0) << "\n";
  }
  help("switchyard_class_received_total", "counter", "Packets received, by class.");
  help("switchyard_class_delivered_total", "counter", "Packets delivered, by class.");
  help("switchyard_class_dropped_total", "counter", "Packets not delivered, by class and reason.");
  for (size_t c = 0; c < rt.classes.classes.size(); ++c) {
    Totals t;
    for (const auto& lc : rt.lcores)
      if (lc.cfg->role == conf::Role::rx) add(t, lc.stats->classes[c]);
    const std::string cls = label(rt.classes.classes[c].name);
    const char* prio = conf::to_string(rt.classes.classes[c].priority);
    o << "switchyard_class_received_total{class=\"" << cls << "\",priority=\"" << prio << "\"} "
      << t.received << "\n";
    o << "switchyard_class_delivered_total{class=\"" << cls << "\",priority=\"" << prio << "\"} "
      << t.delivered << "\n";
    for (size_t r = 0; r < kDropReasonCount; ++r)
      o << "switchyard_class_dropped_total{class=\"" << cls << "\",priority=\"" << prio
        << "\",reason=\"" << kDropReasonNames[r] << "\"} " << t.dropped[r] << "\n";
  }
  help("switchyard_lcore_heartbeat_age_seconds", "gauge", "Since an lcore's last loop.");
  const uint64_t now_tsc = rte_rdtsc();
  for (const auto& lc : rt.lcores) {
    if (lc.cfg->role == conf::Role::control) continue;
    const uint64_t hb = lc.stats->heartbeat_tsc.load(std::memory_order_relaxed);
    o << "switchyard_lcore_heartbeat_age_seconds{lcore=\"" << lc.cfg->id << "\",role=\""
      << conf::to_string(lc.cfg->role) << "\"} "
      << (hb && now_tsc > hb ? static_cast<double>(now_tsc - hb) / static_cast<double>(rt.tsc_hz)
                             : 0.0)
      << "\n";
  }
  help("switchyard_budget_latency_seconds", "summary",
       "Latency per budget category and stage since start.");
  std::vector<std::pair<std::string, std::string>> keys;
  for (const auto& e : cp.registry_.entries())
    if (std::find(keys.begin(), keys.end(), std::make_pair(e.category, e.stage)) == keys.end())
      keys.emplace_back(e.category, e.stage);
  for (const auto& [cat, stage] : keys) {
    HistogramSnapshot h;
    for (const Histogram* src : cp.registry_.find(cat, stage)) src->snapshot_into(h);
    const std::string l = "category=\"" + cat + "\",stage=\"" + stage + "\"";
    for (double q : {0.5, 0.9, 0.99, 0.999})
      o << "switchyard_budget_latency_seconds{" << l << ",quantile=\"" << q << "\"} "
        << static_cast<double>(h.quantile(q)) / 1e9 << "\n";
    o << "switchyard_budget_latency_seconds_sum{" << l << "} " << static_cast<double>(h.sum) / 1e9
      << "\n";
    o << "switchyard_budget_latency_seconds_count{" << l << "} " << h.count << "\n";
  }
  help("switchyard_budget_violations_total", "counter", "Windows over budget.");
  help("switchyard_budget_unknown", "gauge", "1 when a budget's metric is missing (UNKNOWN).");
  for (uint32_t i = 0; i < s.budgets; ++i) {
    const BudgetSpec& spec = cp.budget_specs_[i];
    const std::string l = "category=\"" + spec.category + "\",stage=\"" + spec.stage + "\"";
    o << "switchyard_budget_violations_total{" << l << "} " << s.budget[i].violations << "\n";
    o << "switchyard_budget_unknown{" << l << "} "
      << (s.budget[i].status == BudgetStatus::unknown ? 1 : 0) << "\n";
  }
  help("switchyard_audit_events_written_total", "counter", "Audit records written.");
  o << "switchyard_audit_events_written_total " << (cp.audit_ ? cp.audit_->written() : 0) << "\n";
  help("switchyard_audit_events_dropped_total", "counter", "Audit events lost to a full queue.");
  o << "switchyard_audit_events_dropped_total " << (cp.audit_ ? cp.audit_->dropped() : 0) << "\n";
  return o.str();
}

}  // namespace sy::control
