#include "src/summary.hpp"

#include "src/execution_report.hpp"

#include <cstdio>
#include <sstream>

#include "drivers/ports.hpp"
#include "lcore/integrity/feed_runtime.hpp"

namespace sy {

uint64_t FlowTotals::dropped_total() const {
  uint64_t sum = 0;
  for (uint64_t d : dropped) sum += d;
  return sum;
}

namespace {

void add_flow(FlowTotals& t, const FlowCounters& c) {
  t.received += c.packets.get();
  t.bytes += c.bytes.get();
  t.delivered += c.delivered.get();
  for (size_t r = 0; r < kDropReasonCount; ++r) t.dropped[r] += c.dropped[r].get();
}

nlohmann::json drops_json(const DropCounts& d) {
  nlohmann::json j = nlohmann::json::object();
  for (size_t r = 0; r < kDropReasonCount; ++r)
    if (d[r]) j[kDropReasonNames[r]] = d[r];
  return j;
}

nlohmann::json flow_json(const FlowTotals& t) {
  return {{"received", t.received},         {"bytes", t.bytes},
          {"delivered", t.delivered},       {"dropped", t.dropped_total()},
          {"drops", drops_json(t.dropped)}, {"identity_ok", t.identity_holds()}};
}

std::string drops_text(const DropCounts& d) {
  std::string s;
  for (size_t r = 0; r < kDropReasonCount; ++r)
    if (d[r])
      s += std::string(s.empty() ? "" : " ") + kDropReasonNames[r] + "=" + std::to_string(d[r]);
  return s.empty() ? "-" : s;
}

}  // namespace

Summary collect_summary(const Runtime& rt, const StopOutcome& stop, const std::string& eal_mode) {
  Summary s;
  s.stop = stop;
  s.eal_mode = eal_mode;
  s.execution = execution_report(rt);
  const conf::Config& cfg = *rt.cfg;

  for (size_t p = 0; p < rt.ports.size(); ++p) {
    FlowTotals rx{cfg.ports[p].name}, tx{cfg.ports[p].name};
    for (const auto& lc : rt.lcores) {
      add_flow(rx, lc.stats->ports[p]);
      // Attempted and dropped count where a frame was originated or relayed; "sent" counts
      // only what a tx queue accepted, so a handed-over frame is not counted twice.
      const FlowCounters& own = lc.stats->tx[p];
      const FlowCounters& relay = lc.stats->tx_relay[p];
      tx.received += own.packets.get();
      tx.bytes += own.bytes.get();
      if (lc.tx[p].handoff == nullptr) tx.delivered += own.delivered.get();
      tx.delivered += relay.delivered.get();
      for (size_t r = 0; r < kDropReasonCount; ++r)
        tx.dropped[r] += own.dropped[r].get() + relay.dropped[r].get();
    }
    // Frames the NIC could not hand us are part of the books: received, then dropped.
    const drivers::NicCounters nic = drivers::read_nic_counters(rt.ports[p]->dpdk_port);
    const std::pair<DropReason, uint64_t> nic_drops[] = {{DropReason::nic_missed, nic.imissed},
                                                         {DropReason::nic_no_mbuf, nic.rx_nombuf},
                                                         {DropReason::nic_error, nic.ierrors}};
    for (const auto& [reason, n] : nic_drops) {
      rx.received += n;
      rx.dropped[static_cast<size_t>(reason)] += n;
    }
    s.ports.push_back(rx);
    s.tx_ports.push_back(tx);
  }

  for (size_t c = 0; c < rt.classes.classes.size(); ++c) {
    const net::ClassInfo& info = rt.classes.classes[c];
    ClassTotals t;
    t.name = info.name;
    t.priority = conf::to_string(info.priority);
    t.destination = net::to_string(info.destination);
    for (const auto& lc : rt.lcores) {
      if (lc.cfg->role == conf::Role::rx) {
        add_flow(t, lc.stats->classes[c]);
      } else {
        // A consumer that refuses what it was handed (e.g. execution: a datagram from an
        // unauthorized source) turns a delivery into a drop under its reason.
        const FlowCounters& in = lc.stats->classes[c];
        t.consumed += in.packets.get();
        for (size_t r = 0; r < kDropReasonCount; ++r) {
          t.dropped[r] += in.dropped[r].get();
          t.delivered -= in.dropped[r].get();
          t.refused += in.dropped[r].get();
        }
      }
    }
    s.classes.push_back(t);
  }

  for (const auto& lc : rt.lcores) {
    LcoreTotals l;
    l.id = lc.cfg->id;
    l.cpu = lc.cfg->cpu;
    l.role = conf::to_string(lc.cfg->role);
    l.loops = lc.stats->loops.get();
    l.busy_loops = lc.stats->busy_loops.get();
    l.in_packets = lc.stats->in_packets.get();
    for (size_t p = 0; p < rt.ports.size(); ++p) {
      l.rx_packets += lc.stats->ports[p].packets.get();
      l.tx_packets += lc.stats->tx[p].delivered.get() + lc.stats->tx_relay[p].delivered.get();
      l.tx_dropped += lc.stats->tx[p].dropped_total() + lc.stats->tx_relay[p].dropped_total();
    }
    s.lcores.push_back(l);
  }

  // Market data: what the integrity lcore made of the feed classes (the lcore has returned).
  for (const auto& f : rt.feeds) {
    FeedTotals t;
    t.name = f->cfg.name;
    t.state = integrity::to_string(f->arbiter.state());
    const integrity::FeedCounters& c = f->arbiter.counters();
    for (size_t l = 0; l < integrity::kLines; ++l)
      t.received += f->arbiter.line(static_cast<integrity::Line>(l)).messages;
    t.applied = c.applied;
    t.recovered = c.applied_recovered;
    t.duplicates = c.duplicates;
    t.gaps = c.gaps_detected;
    t.lost = c.lost;
    t.lost_ranges = f->arbiter.lost_ranges().size() + c.lost_ranges_unlisted;
    t.decode_errors = f->errors.total();
    t.records = f->work.records;
    t.records_dropped = f->work.records_dropped;
    s.feeds.push_back(t);
    // Records the appliance itself could not hand to storage are capacity loss.
    s.lost += t.records_dropped;
    // Oversize messages (longer than a slot, behind a gap) are received but reported lost.
    if (t.received != t.applied + t.duplicates + c.oversize)
      s.identity_violations.push_back(
          "feed " + t.name + ": messages received " + std::to_string(t.received) + " != applied " +
          std::to_string(t.applied) + " + duplicates " + std::to_string(t.duplicates) +
          " + oversize " + std::to_string(c.oversize));
  }

  // The counting identity, for every port, every class and every stage.
  for (const auto& p : s.ports)
    if (!p.identity_holds())
      s.identity_violations.push_back(
          "port " + p.name + ": received " + std::to_string(p.received) + " != delivered " +
          std::to_string(p.delivered) + " + dropped " + std::to_string(p.dropped_total()));
  for (const auto& p : s.tx_ports)
    if (!p.identity_holds())
      s.identity_violations.push_back(
          "tx port " + p.name + ": attempted " + std::to_string(p.received) + " != sent " +
          std::to_string(p.delivered) + " + dropped " + std::to_string(p.dropped_total()));
  for (const auto& c : s.classes) {
    if (!c.identity_holds())
      s.identity_violations.push_back(
          "class " + c.name + ": received " + std::to_string(c.received) + " != delivered " +
          std::to_string(c.delivered) + " + dropped " + std::to_string(c.dropped_total()));
    const bool queued =
        c.destination == "integrity" || c.destination == "execution" || c.destination == "storage";
    if (queued && c.consumed != c.delivered + c.refused)
      s.identity_violations.push_back("class " + c.name + ": enqueued " +
                                      std::to_string(c.delivered + c.refused) + " != consumed by " +
                                      c.destination + " " + std::to_string(c.consumed));
  }

  for (const auto* group : {&s.ports, &s.tx_ports})
    for (const auto& p : *group)
      for (size_t r = 0; r < kDropReasonCount; ++r)
        if (kDropReasonIsLoss[r]) s.lost += p.dropped[r];

  // Storage: capture copies refused by a full ring, records the store could not persist.
  s.lost += storage_loss(rt);

  if (stop.reason == StopReason::lcore_exited || !s.identity_violations.empty())
    s.exit_code = kExitRuntimeFailure;
  else if (s.lost > 0 || stop.forced)
    s.exit_code = kExitDataLoss;
  else
    s.exit_code = kExitClean;
  return s;
}

nlohmann::json Summary::to_json() const {
  nlohmann::json j;
  j["exit_code"] = static_cast<int>(exit_code);
  j["stop"] = {{"reason", to_string(stop.reason)},
               {"forced", stop.forced},
               {"run_seconds", stop.run_seconds},
               {"drain_seconds", stop.drain_seconds},
               {"detail", stop.detail}};
  j["eal_memory"] = eal_mode;
  j["lost"] = lost;
  for (const auto& f : feeds)
    j["feeds"][f.name] = {{"state", f.state},
                          {"received", f.received},
                          {"applied", f.applied},
                          {"recovered", f.recovered},
                          {"duplicates", f.duplicates},
                          {"gaps", f.gaps},
                          {"lost", f.lost},
                          {"lost_ranges", f.lost_ranges},
                          {"decode_errors", f.decode_errors},
                          {"records", f.records},
                          {"records_dropped", f.records_dropped}};
  j["identity_violations"] = identity_violations;
  if (!control.is_null()) j["control"] = control;
  for (const auto& p : ports) j["ports"][p.name] = flow_json(p);
  for (const auto& p : tx_ports) j["tx_ports"][p.name] = flow_json(p);
  for (const auto& c : classes) {
    nlohmann::json cj = flow_json(c);
    cj["priority"] = c.priority;
    cj["destination"] = c.destination;
    cj["consumed"] = c.consumed;
    cj["refused"] = c.refused;
    j["classes"][c.name] = cj;
  }
  for (const auto& l : lcores)
    j["lcores"].push_back({{"id", l.id},
                           {"cpu", l.cpu},
                           {"role", l.role},
                           {"loops", l.loops},
                           {"busy_loops", l.busy_loops},
                           {"rx_packets", l.rx_packets},
                           {"in_packets", l.in_packets},
                           {"tx_packets", l.tx_packets},
                           {"tx_dropped", l.tx_dropped}});
  if (!execution.is_null()) j["execution"] = execution;
  return j;
}

std::string Summary::to_text() const {
  std::ostringstream o;
  char line[512];
  std::snprintf(line, sizeof line,
                "switchyard: stopped (%s%s) after %.3f s, drained in %.3f s; memory: %s\n",
                to_string(stop.reason), stop.forced ? ", forced: rings not drained" : "",
                stop.run_seconds, stop.drain_seconds, eal_mode.c_str());
  o << line;
  if (!stop.detail.empty()) o << "  " << stop.detail << "\n";

  o << "\nPORT (rx)        RECEIVED       BYTES   DELIVERED     DROPPED  IDENTITY  DROPS BY "
       "REASON\n";
  for (const auto& p : ports) {
    std::snprintf(line, sizeof line, "%-12s %12lu %11lu %11lu %11lu  %-8s  %s\n", p.name.c_str(),
                  static_cast<unsigned long>(p.received), static_cast<unsigned long>(p.bytes),
                  static_cast<unsigned long>(p.delivered),
                  static_cast<unsigned long>(p.dropped_total()),
                  p.identity_holds() ? "ok" : "BROKEN", drops_text(p.dropped).c_str());
    o << line;
  }
  o << "\nCLASS            PRIO DEST          RECEIVED       BYTES   DELIVERED     DROPPED  DROPS "
       "BY REASON\n";
  for (const auto& c : classes) {
    std::snprintf(line, sizeof line, "%-16s %-4s %-10s %11lu %11lu %11lu %11lu  %s\n",
                  c.name.c_str(), c.priority.c_str(), c.destination.c_str(),
                  static_cast<unsigned long>(c.received), static_cast<unsigned long>(c.bytes),
                  static_cast<unsigned long>(c.delivered),
                  static_cast<unsigned long>(c.dropped_total()), drops_text(c.dropped).c_str());
    o << line;
  }
  if (!feeds.empty())
    o << "\nFEED         STATE       RECEIVED     APPLIED (RECOVERED)  DUPLICATES  GAPS  LOST "
         "(RANGES)  DECODE ERR   RECORDS (DROPPED)\n";
  for (const auto& f : feeds) {
    std::snprintf(line, sizeof line,
                  "%-12s %-8s %11lu %11lu (%9lu) %11lu %5lu %5lu (%6lu) %11lu %9lu (%7lu)\n",
                  f.name.c_str(), f.state.c_str(), static_cast<unsigned long>(f.received),
                  static_cast<unsigned long>(f.applied), static_cast<unsigned long>(f.recovered),
                  static_cast<unsigned long>(f.duplicates), static_cast<unsigned long>(f.gaps),
                  static_cast<unsigned long>(f.lost), static_cast<unsigned long>(f.lost_ranges),
                  static_cast<unsigned long>(f.decode_errors),
                  static_cast<unsigned long>(f.records),
                  static_cast<unsigned long>(f.records_dropped));
    o << line;
  }
  o << "\nLCORE ROLE        CPU        RX     IN (RING)    TX SENT  TX DROP   BUSY%\n";
  for (const auto& l : lcores) {
    const double busy =
        l.loops ? 100.0 * static_cast<double>(l.busy_loops) / static_cast<double>(l.loops) : 0;
    std::snprintf(
        line, sizeof line, "%5u %-10s %4u %10lu %12lu %10lu %8lu  %6.2f\n", l.id, l.role.c_str(),
        l.cpu, static_cast<unsigned long>(l.rx_packets), static_cast<unsigned long>(l.in_packets),
        static_cast<unsigned long>(l.tx_packets), static_cast<unsigned long>(l.tx_dropped), busy);
    o << line;
  }
  for (const auto& t : tx_ports)
    if (t.received) {
      std::snprintf(line, sizeof line, "\nTX %-12s attempted %lu, sent %lu, dropped %lu (%s)\n",
                    t.name.c_str(), static_cast<unsigned long>(t.received),
                    static_cast<unsigned long>(t.delivered),
                    static_cast<unsigned long>(t.dropped_total()), drops_text(t.dropped).c_str());
      o << line;
    }
  if (!control.is_null()) {
    const nlohmann::json& sf = control["safety"];
    const nlohmann::json& bp = control["backpressure"];
    o << "\nSAFETY mode " << sf["mode"].get<std::string>() << ", shedding "
      << sf["shedding"].get<std::string>() << ", backpressure episodes "
      << bp["events"].get<uint64_t>() << " (" << bp["total_ms"].get<uint64_t>() << " ms)"
      << ", hazard events " << control["hazard_events"].get<uint64_t>();
    if (!sf["latch_reason"].get<std::string>().empty())
      o << "; held SAFE by " << sf["latch_reason"].get<std::string>();
    o << "\n";
  }
  o << execution_text(execution);
  o << "\n";
  for (const auto& v : identity_violations) o << "IDENTITY VIOLATED: " << v << "\n";
  switch (exit_code) {
    case kExitClean:
      o << "exit 0: clean stop, nothing lost\n";
      break;
    case kExitDataLoss:
      o << "exit 3: finished, but " << lost << " packet(s) were lost for lack of capacity"
        << (stop.forced ? " (forced stop: rings not drained)" : "") << "\n";
      break;
    case kExitRuntimeFailure:
      o << "exit 1: runtime failure\n";
      break;
    case kExitConfigError:
      o << "exit 2: configuration error\n";
      break;
  }
  return o.str();
}

}  // namespace sy
