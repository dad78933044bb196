#include "src/observe/collect.hpp"

#include <rte_cycles.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <filesystem>

#include "drivers/ports.hpp"
#include "lcore/integrity/feed_runtime.hpp"
#include "src/observe/latency_registry.hpp"

#ifndef SWITCHYARD_VERSION
#define SWITCHYARD_VERSION "unknown"
#endif

namespace sy::observe {

uint64_t wall_clock_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec);
}

namespace {

int64_t i64(uint64_t v) { return static_cast<int64_t>(v); }

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

// The mount point holding `path`: the last directory upwards that is on the same device.
std::string mount_point(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p = fs::absolute(path, ec).lexically_normal();
  struct stat st {};
  if (ec || stat(p.c_str(), &st) != 0) return path;
  while (p.has_parent_path() && p.parent_path() != p) {
    struct stat up {};
    if (stat(p.parent_path().c_str(), &up) != 0 || up.st_dev != st.st_dev) break;
    p = p.parent_path();
  }
  return p.string();
}

void add_flow_points(Metric& packets, Metric& io, Metric& delivered, Metric& dropped,
                     const Attrs& base, uint64_t n, uint64_t bytes, uint64_t ok,
                     const uint64_t (&drops)[kDropReasonCount]) {
  add_int(packets, base, i64(n));
  add_int(io, base, i64(bytes));
  add_int(delivered, base, i64(ok));
  for (size_t r = 0; r < kDropReasonCount; ++r) {
    // Only reasons seen: a cumulative series that has appeared never goes back to zero.
    if (drops[r] == 0) continue;
    Attrs a = base;
    a.emplace_back("reason", kDropReasonNames[r]);
    add_int(dropped, std::move(a), i64(drops[r]));
  }
}

void collect_ports(const Runtime& rt, MetricSet& set) {
  Metric& packets = set.counter("switchyard.port.packets", "{packet}",
                                "Frames received (incl. those the NIC dropped) or attempted on "
                                "transmit, per port and direction.");
  Metric& io = set.counter("switchyard.port.io", "By", "Bytes received or attempted on transmit.");
  Metric& delivered = set.counter("switchyard.port.delivered", "{packet}",
                                  "Frames handed to their stage (receive) or accepted by the "
                                  "transmit queue (transmit).");
  Metric& dropped = set.counter("switchyard.port.dropped", "{packet}",
                                "Frames not processed, by drop reason; received = delivered + "
                                "dropped per port and direction.");
  const conf::Config& cfg = *rt.cfg;
  for (size_t p = 0; p < rt.ports.size(); ++p) {
    uint64_t rx = 0, rx_bytes = 0, rx_ok = 0, tx = 0, tx_bytes = 0, tx_ok = 0;
    uint64_t rx_drop[kDropReasonCount] = {}, tx_drop[kDropReasonCount] = {};
    for (const auto& lc : rt.lcores) {
      const FlowCounters& in = lc.stats->ports[p];
      rx += in.packets.get();
      rx_bytes += in.bytes.get();
      rx_ok += in.delivered.get();
      const FlowCounters& own = lc.stats->tx[p];
      const FlowCounters& relay = lc.stats->tx_relay[p];
      tx += own.packets.get();
      tx_bytes += own.bytes.get();
      // As in the exit summary: a handed-over frame is sent once, by the queue's owner.
      if (lc.tx[p].handoff == nullptr) tx_ok += own.delivered.get();
      tx_ok += relay.delivered.get();
      for (size_t r = 0; r < kDropReasonCount; ++r) {
        rx_drop[r] += in.dropped[r].get();
        tx_drop[r] += own.dropped[r].get() + relay.dropped[r].get();
      }
    }
    const drivers::NicCounters nic = drivers::read_nic_counters(rt.ports[p]->dpdk_port);
    const std::pair<DropReason, uint64_t> nic_drops[] = {{DropReason::nic_missed, nic.imissed},
                                                         {DropReason::nic_no_mbuf, nic.rx_nombuf},
                                                         {DropReason::nic_error, nic.ierrors}};
    for (const auto& [reason, n] : nic_drops) {
      rx += n;
      rx_drop[static_cast<size_t>(reason)] += n;
    }
    const std::string& name = cfg.ports[p].name;
    add_flow_points(packets, io, delivered, dropped,
                    {{"port", name}, {"network.io.direction", std::string("receive")}}, rx,
                    rx_bytes, rx_ok, rx_drop);
    add_flow_points(packets, io, delivered, dropped,
                    {{"port", name}, {"network.io.direction", std::string("transmit")}}, tx,
                    tx_bytes, tx_ok, tx_drop);
  }
}

void collect_classes(const Runtime& rt, MetricSet& set) {
  Metric& packets = set.counter("switchyard.class.packets", "{packet}",
                                "Frames classified into each traffic class.");
  Metric& io = set.counter("switchyard.class.io", "By", "Bytes classified into each class.");
  Metric& delivered = set.counter("switchyard.class.delivered", "{packet}",
                                  "Frames of the class handed to its destination.");
  Metric& dropped = set.counter("switchyard.class.dropped", "{packet}",
                                "Frames of the class not processed, by drop reason.");
  Metric& consumed = set.counter("switchyard.class.consumed", "{packet}",
                                 "Frames of the class taken off its ring by the destination.");
  for (size_t c = 0; c < rt.classes.classes.size(); ++c) {
    const net::ClassInfo& info = rt.classes.classes[c];
    uint64_t n = 0, bytes = 0, ok = 0, used = 0;
    uint64_t drops[kDropReasonCount] = {};
    for (const auto& lc : rt.lcores) {
      const FlowCounters& fc = lc.stats->classes[c];
      if (lc.cfg->role != conf::Role::rx) {
        used += fc.packets.get();
        continue;
      }
      n += fc.packets.get();
      bytes += fc.bytes.get();
      ok += fc.delivered.get();
      for (size_t r = 0; r < kDropReasonCount; ++r) drops[r] += fc.dropped[r].get();
    }
    const Attrs base = {{"class", info.name},
                        {"priority", std::string(conf::to_string(info.priority))},
                        {"destination", std::string(net::to_string(info.destination))}};
    add_flow_points(packets, io, delivered, dropped, base, n, bytes, ok, drops);
    add_int(consumed, base, i64(used));
  }
}

void collect_lcores(const Runtime& rt, MetricSet& set) {
  Metric& loops =
      set.counter("switchyard.lcore.loops", "{iteration}", "Main-loop iterations of each lcore.");
  Metric& busy = set.counter("switchyard.lcore.busy_loops", "{iteration}",
                             "Main-loop iterations that found work.");
  Metric& packets = set.counter("switchyard.lcore.packets", "{packet}",
                                "Frames an lcore took from its ports (rx), from its input rings "
                                "(ring) or sent (tx).");
  Metric& tx_dropped = set.counter("switchyard.lcore.tx_dropped", "{packet}",
                                   "Frames an lcore could not send, by drop reason.");
  Metric& heartbeat = set.gauge("switchyard.lcore.heartbeat.age", "s",
                                "Time since the lcore's last loop iteration.");
  const uint64_t now = rte_rdtsc();
  for (const auto& lc : rt.lcores) {
    const LcoreStats& s = *lc.stats;
    const Attrs base = {{"lcore.id", static_cast<int64_t>(lc.cfg->id)},
                        {"lcore.role", std::string(conf::to_string(lc.cfg->role))}};
    add_int(loops, base, i64(s.loops.get()));
    add_int(busy, base, i64(s.busy_loops.get()));
    uint64_t rx = 0, tx = 0;
    uint64_t drops[kDropReasonCount] = {};
    for (size_t p = 0; p < rt.ports.size(); ++p) {
      rx += s.ports[p].packets.get();
      tx += s.tx[p].delivered.get() + s.tx_relay[p].delivered.get();
      for (size_t r = 0; r < kDropReasonCount; ++r)
        drops[r] += s.tx[p].dropped[r].get() + s.tx_relay[p].dropped[r].get();
    }
    const std::pair<const char*, uint64_t> io[] = {
        {"rx", rx}, {"ring", s.in_packets.get()}, {"tx", tx}};
    for (const auto& [what, n] : io) {
      Attrs a = base;
      a.emplace_back("lcore.io", std::string(what));
      add_int(packets, std::move(a), i64(n));
    }
    for (size_t r = 0; r < kDropReasonCount; ++r) {
      if (drops[r] == 0) continue;
      Attrs a = base;
      a.emplace_back("reason", kDropReasonNames[r]);
      add_int(tx_dropped, std::move(a), i64(drops[r]));
    }
    const uint64_t hb = s.heartbeat_tsc.load(std::memory_order_relaxed);
    if (hb != 0 && rt.tsc_hz != 0)
      add_double(heartbeat, base,
                 now > hb ? static_cast<double>(now - hb) / static_cast<double>(rt.tsc_hz) : 0.0);
  }
}

void collect_feeds(const Runtime& rt, MetricSet& set) {
  if (rt.feeds.empty()) return;
  Metric& messages = set.counter("switchyard.feed.messages", "{message}",
                                 "Market data messages by outcome after A/B arbitration.");
  Metric& gaps = set.counter("switchyard.feed.gaps", "{gap}", "Sequence gaps detected.");
  Metric& records = set.counter("switchyard.feed.records", "{record}",
                                "Canonical records produced or dropped (canonical ring full).");
  Metric& state = set.gauge("switchyard.feed.state", "1",
                            "1 for the feed's current arbitration state, 0 for the others.");
  for (const auto& f : rt.feeds) {
    integrity::FeedSnapshot s;
    if (!f->snapshot.read(s)) continue;  // not published yet
    const Attrs base = {{"feed", f->cfg.name}};
    uint64_t received = 0;
    for (const auto& l : s.lines) received += l.messages;
    const std::pair<const char*, uint64_t> outcomes[] = {
        {"received", received},
        {"applied", s.counters.applied},
        {"recovered", s.counters.applied_recovered},
        {"duplicate", s.counters.duplicates},
        {"lost", s.counters.lost}};
    for (const auto& [what, n] : outcomes) {
      Attrs a = base;
      a.emplace_back("outcome", std::string(what));
      add_int(messages, std::move(a), i64(n));
    }
    add_int(gaps, base, i64(s.counters.gaps_detected));
    Attrs produced = base, lost = base;
    produced.emplace_back("outcome", std::string("produced"));
    lost.emplace_back("outcome", std::string("dropped"));
    add_int(records, std::move(produced), i64(s.work.records));
    add_int(records, std::move(lost), i64(s.work.records_dropped));
    Attrs st = base;
    st.emplace_back("state", std::string(integrity::to_string(s.state)));
    add_int(state, std::move(st), 1);
  }
}

void collect_gauges(const Runtime& rt, MetricSet& set, const conf::ObserveConfig& obs) {
  Metric& fill = set.gauge("switchyard.ring.fill", "{entry}", "Entries waiting in each ring.");
  Metric& cap = set.gauge("switchyard.ring.capacity", "{entry}", "Usable size of each ring.");
  for (const rte_ring* r : rt.rings) {
    if (r == nullptr) continue;
    const Attrs a = {{"ring", std::string(r->name)}};
    add_int(fill, a, rte_ring_count(r));
    add_int(cap, a, rte_ring_get_capacity(r));
  }
  Metric& free_mbufs =
      set.gauge("switchyard.mempool.free", "{mbuf}", "Free mbufs in each port's pool.");
  Metric& size_mbufs = set.gauge("switchyard.mempool.size", "{mbuf}", "Mbufs in each pool.");
  for (size_t p = 0; p < rt.ports.size(); ++p) {
    const rte_mempool* pool = rt.ports[p]->pool;
    if (pool == nullptr) continue;
    const Attrs a = {{"port", rt.cfg->ports[p].name}};
    add_int(free_mbufs, a, rte_mempool_avail_count(pool));
    add_int(size_mbufs, a, pool->size);
  }
  const uint64_t word = rt.safety.word.load(std::memory_order_acquire);
  const SafetyView view = SafetyView::of(word);
  Metric& mode = set.gauge("switchyard.safety.mode", "1",
                           "Safety mode: 0 NORMAL, 1 DEGRADED, 2 SAFE, 3 EMERGENCY_STOP.");
  add_int(mode, {{"mode", std::string(to_string(view.mode))}}, static_cast<int64_t>(view.mode));
  Metric& kill =
      set.gauge("switchyard.safety.kill_switch", "1", "1 while the global kill switch is engaged.");
  add_int(kill, {}, view.kill ? 1 : 0);
  uint32_t hazards = 0;
  for (const auto& lc : rt.lcores) hazards |= lc.stats->hazards.load(std::memory_order_relaxed);
  Metric& hz = set.gauge("switchyard.hazards", "1",
                         "Capacity hazard bits the lcores raise (src/common/safety.hpp).");
  add_int(hz, {}, hazards);

  // OTel semantic conventions: system.filesystem.usage, an UpDownCounter in bytes by state.
  Metric& usage = set.updown("system.filesystem.usage", "By",
                             "Filesystem space of observe.disk_paths by state.");
  for (const auto& path : obs.disk_paths) {
    struct statvfs vfs {};
    if (statvfs(path.c_str(), &vfs) != 0) continue;  // absent path: no series, not a zero
    const uint64_t bs = vfs.f_frsize;
    const uint64_t free_bytes = vfs.f_bavail * bs;
    const uint64_t reserved = (vfs.f_bfree - vfs.f_bavail) * bs;
    const uint64_t used = (vfs.f_blocks - vfs.f_bfree) * bs;
    const std::string mp = mount_point(path);
    const std::pair<const char*, uint64_t> states[] = {
        {"free", free_bytes}, {"reserved", reserved}, {"used", used}};
    for (const auto& [st, n] : states)
      add_int(usage,
              {{"system.filesystem.mountpoint", mp},
               {"system.filesystem.state", std::string(st)},
               {"switchyard.path", path}},
              i64(n));
  }
}

void collect_histograms(const Runtime& rt, MetricSet& set) {
  for (auto& merged : rt.latency.snapshot()) {
    Metric* m = nullptr;
    for (auto& existing : set.metrics)
      if (existing.name == merged.metric) m = &existing;
    if (m == nullptr) m = &set.histogram(merged.metric, "s", merged.description);
    m->histograms.push_back(explicit_point(merged.snapshot, merged.attrs));
  }
}

void collect_exporter(const ExportCounters& c, MetricSet& set) {
  Metric& m = set.counter("switchyard.otlp.exports", "{export}",
                          "The metrics exporter's own work by outcome.");
  const std::pair<const char*, uint64_t> outcomes[] = {
      {"queued", c.exports.load()},
      {"sent", c.sent.load()},
      {"failed_attempt", c.failed_attempts.load()},
      {"dropped_queue_full", c.dropped_queue.load()},
      {"dropped_retries", c.dropped_retries.load()},
      {"dropped_rejected", c.dropped_rejected.load()}};
  for (const auto& [what, n] : outcomes) add_int(m, {{"outcome", std::string(what)}}, i64(n));
}

}  // namespace

Attrs resource_attributes(const conf::Config& cfg) {
  const std::string host = host_name();
  const std::string instance = cfg.observe.service_instance_id.empty()
                                   ? host + "/" + cfg.eal.file_prefix
                                   : cfg.observe.service_instance_id;
  return {{"service.name", cfg.observe.service_name},
          {"service.version", std::string(SWITCHYARD_VERSION)},
          {"service.instance.id", instance},
          {"host.name", host},
          {"process.pid", static_cast<int64_t>(getpid())}};
}

MetricSet collect_metrics(const Runtime& rt, const CollectContext& ctx) {
  MetricSet set;
  set.resource = ctx.resource;
  set.scope_name = kScopeName;
  set.scope_version = SWITCHYARD_VERSION;
  set.start_ns = ctx.start_ns;
  set.time_ns = wall_clock_ns();
  if (set.time_ns < set.start_ns) set.time_ns = set.start_ns;
  collect_ports(rt, set);
  collect_classes(rt, set);
  collect_lcores(rt, set);
  collect_feeds(rt, set);
  collect_gauges(rt, set, rt.cfg->observe);
  collect_histograms(rt, set);
  if (ctx.exporter) collect_exporter(*ctx.exporter, set);
  // A metric without points is an empty envelope to a collector (e.g. no tx drops yet).
  std::erase_if(set.metrics,
                [](const Metric& m) { return m.numbers.empty() && m.histograms.empty(); });
  return set;
}

}  // namespace sy::observe
