#include "lcore/pipeline.hpp"

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf_dyn.h>

#include <time.h>

#include <algorithm>
#include <cstdio>

#include <stdexcept>
#include <string>

#include "drivers/ports.hpp"
#include "lcore/execution/execution_runtime.hpp"
#include "lcore/integrity/feed_runtime.hpp"
#include "src/risk/policy.hpp"
#include "storage/state.hpp"
#include "storage/writer.hpp"

namespace sy {

namespace {

rte_ring* make_ring(Runtime& rt, const std::string& name, uint32_t size) {
  // Single producer, single consumer: lcores sharing a CPU can be preempted mid-operation, and
  // the multi-producer head/tail protocol then spins on the preempted peer.
  rte_ring* r = rte_ring_create_elem(name.c_str(), sizeof(RingMsg), size, SOCKET_ID_ANY,
                                     RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (r == nullptr)
    throw std::runtime_error("ring " + name + " (" + std::to_string(size) +
                             " entries): " + rte_strerror(rte_errno));
  rt.rings.push_back(r);
  return r;
}

LcoreRuntime* find_role(Runtime& rt, conf::Role role) {
  for (auto& lc : rt.lcores)
    if (lc.cfg->role == role) return &lc;
  return nullptr;
}

// Who sends on each port, in order of precedence for owning a shared queue.
std::vector<LcoreRuntime*> senders_of(Runtime& rt, uint16_t port_index) {
  const conf::Config& cfg = *rt.cfg;
  const std::string& name = cfg.ports[port_index].name;
  std::vector<LcoreRuntime*> senders;
  for (const auto& s : cfg.sessions)
    if (s.match.port == name) {
      senders.push_back(find_role(rt, conf::Role::execution));
      break;
    }
  for (const auto& f : cfg.feeds)
    if (f.retransmit && f.retransmit->reply.port == name) {
      senders.push_back(find_role(rt, conf::Role::integrity));
      break;
    }
  const PortRuntime& port = *rt.ports[port_index];
  if (port.ipv4 != 0 || port.cfg->igmp)
    for (auto& lc : rt.lcores)
      for (const RxQueue& q : lc.rx_queues)
        if (q.port_index == port_index) senders.push_back(&lc);
  return senders;
}

int lcore_entry(void* arg) {
  auto* pair = static_cast<std::pair<Runtime*, LcoreRuntime*>*>(arg);
  Runtime& rt = *pair->first;
  LcoreRuntime& self = *pair->second;
  int rc = 0;
  switch (self.cfg->role) {
    case conf::Role::rx:
      rc = rx_lcore_main(rt, self);
      break;
    case conf::Role::integrity:
      rc = integrity_lcore_main(rt, self);
      break;
    case conf::Role::execution:
      rc = execution_lcore_main(rt, self);
      break;
    case conf::Role::storage:
      rc = storage_lcore_main(rt, self);
      break;
    case conf::Role::control:
      break;  // runs on the main lcore, not launched
  }
  self.stats->finished.store(true, std::memory_order_release);
  return rc;
}

std::vector<std::pair<Runtime*, LcoreRuntime*>> g_launch_args;

}  // namespace

Runtime::Runtime() = default;
Runtime::~Runtime() = default;

namespace {

// UTC = realtime at start + TSC ticks since, converted with the EAL's TSC frequency. PTP or NIC
// hardware timestamps replace this on bare metal (docs/architecture.md, Time).
void calibrate_clock(Runtime& rt) {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  rt.tsc_base = rte_rdtsc();
  rt.utc_base_ns =
      static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec);
  rt.ns_per_tsc_q32 =
      static_cast<uint64_t>((static_cast<uint128>(1'000'000'000) << 32) / rt.tsc_hz);
}

// Feeds, their classes and the canonical ring, after the class table and the tx plan exist.
void build_feeds(Runtime& rt, const conf::Config& cfg, LcoreRuntime& integrity) {
  rt.canonical =
      rte_ring_create_elem("canonical", sizeof(CanonicalRecord), cfg.rings.canonical_size,
                           SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (rt.canonical == nullptr)
    throw std::runtime_error(std::string("ring canonical: ") + rte_strerror(rte_errno));
  rt.rings.push_back(rt.canonical);
  for (size_t i = 0; i < cfg.feeds.size(); ++i) {
    const conf::FeedConfig& fc = cfg.feeds[i];
    integrity::BookCapacityConfig cap{fc.book.max_instruments, fc.book.max_orders,
                                      fc.book.max_levels};
    auto feed =
        std::make_unique<integrity::FeedRuntime>(fc, static_cast<uint8_t>(i), rt.canonical, cap);
    for (size_t l = 0; l < fc.lines.size(); ++l) {
      const uint16_t c = rt.classes.find(fc.name + "." + fc.lines[l].name);
      rt.feed_of_class[c] = {static_cast<uint8_t>(i),
                             l == 0 ? integrity::Line::a : integrity::Line::b};
    }
    for (const conf::InstrumentConfig& in : fc.instruments)
      feed->book.add_instrument(in.locate, book::make_symbol(in.symbol));
    feed->stats = integrity.stats;
    feed->source = integrity.index;
    if (fc.retransmit) {
      const uint16_t c = rt.classes.find(fc.name + ".retransmit");
      rt.feed_of_class[c] = {static_cast<uint8_t>(i), integrity::Line::retransmit};
      for (uint16_t p = 0; p < cfg.ports.size(); ++p) {
        if (cfg.ports[p].name != fc.retransmit->reply.port) continue;
        PortRuntime& port = *rt.ports[p];
        feed->request_path = &integrity.tx[p];
        feed->request_pool = port.pool;
        feed->src_mac = port.mac;
        feed->next_hop_mac = &port.next_hop_mac;
        feed->src_ipv4 = port.ipv4;
        feed->src_udp = fc.retransmit->reply.udp_dst;
      }
    }
    rt.feeds.push_back(std::move(feed));
  }
}

uint64_t tsc_now() { return rte_rdtsc(); }

// "SY" + the UTC date: the UFO session id the appliance announces to its clients today.
proto::UfoSession todays_session() {
  const time_t t = time(nullptr);
  tm utc{};
  gmtime_r(&t, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "SY%04d%02d%02d", (utc.tm_year + 1900) % 10000,
                (utc.tm_mon + 1) % 100, utc.tm_mday % 100);
  return proto::make_ufo_session(text);
}

// Sessions, policy, gate and ledger for the execution lcore (main thread, before launch: the
// policy is read and validated here, and every table is allocated here).
void build_execution(Runtime& rt, const conf::Config& cfg) {
  if (cfg.sessions.empty()) return;
  auto x = std::make_unique<exec::ExecutionRuntime>();
  exec::RouterConfig rc;
  std::unique_ptr<risk::Policy> policy;
  bool has_clients = false;
  for (const conf::SessionConfig& s : cfg.sessions)
    has_clients |= s.side == conf::SessionSide::client;
  if (has_clients || !cfg.execution.policy.empty()) {
    policy = risk::load_policy(cfg.execution.policy);
  } else {
    policy = risk::load_policy_from_string("accounts: [ { name: NONE, id: 0 } ]\n", "(none)");
  }
  const uint64_t ms = 1'000'000;
  for (const conf::SessionConfig& s : cfg.sessions) {
    uint16_t port_index = 0;
    for (uint16_t p = 0; p < cfg.ports.size(); ++p)
      if (cfg.ports[p].name == s.match.port) port_index = p;
    const exec::SessionWire wire{port_index, rt.ports[port_index]->ipv4, s.match.udp_dst};
    const uint16_t cls = rt.classes.find(s.name);
    if (s.side == conf::SessionSide::client) {
      const auto account = policy->account_of_session(s.name);
      if (!account)
        throw conf::ConfigError(s.mark, "sessions[" + s.name + "]",
                                "client session '" + s.name +
                                    "' has no account in the risk policy " + cfg.execution.policy +
                                    " (accounts[].sessions)");
      exec::ClientSessionSpec spec;
      spec.name = s.name;
      spec.ufo.session = todays_session();
      spec.ufo.username = proto::make_ufo_username(s.username);
      spec.ufo.password = proto::make_ufo_password(s.password);
      spec.ufo.heartbeat_interval_ns = s.heartbeat_ms * ms;
      spec.ufo.peer_timeout_ns = s.timeout_ms * ms;
      spec.ufo.retransmit_capacity = s.retransmit_buffer;
      spec.account = *account;
      x->session_of_class[cls] = {exec::SessionClass::Kind::client,
                                  static_cast<uint16_t>(rc.clients.size())};
      rc.clients.push_back(spec);
      x->client_wire.push_back(wire);
    } else {
      if (x->has_venue)
        throw conf::ConfigError(s.mark, "sessions[" + s.name + "]",
                                "only one venue session is supported per appliance");
      x->has_venue = true;
      x->venue_wire = wire;
      x->session_of_class[cls] = {exec::SessionClass::Kind::venue, 0};
      rc.venue.username = proto::make_ufo_username(s.username);
      rc.venue.password = proto::make_ufo_password(s.password);
      rc.venue.server.ip = s.server_ipv4;
      rc.venue.server.port = s.server_udp;
      rc.venue.heartbeat_interval_ns = s.heartbeat_ms * ms;
      rc.venue.peer_timeout_ns = s.timeout_ms * ms;
      rc.venue.gap_give_up_ns = s.gap_give_up_ms * ms;
    }
  }
  rc.gate.capacity.orders = cfg.execution.max_orders;
  // Orders of earlier runs the venue may still hold: as many as a run can have.
  rc.orphan_capacity = cfg.execution.max_orders;
  // The control plane replaces it with the persisted run number (wire_execution_control);
  // without one, the clock's seconds still differ from run to run.
  rc.token_epoch = static_cast<uint64_t>(time(nullptr));
  rc.gate.capacity.positions = cfg.execution.max_positions;
  rc.gate.capacity.fills = cfg.execution.max_fills;
  rc.gate.tsc_hz = rt.tsc_hz;
  rc.gate.read_tsc = &tsc_now;
  x->policies = std::make_unique<risk::PolicyExchange>(std::move(policy));
  x->router = std::make_unique<exec::OrderRouter>(rc, *x->policies);
  x->snapshots = std::make_unique<risk::LedgerSnapshots>(
      std::min<size_t>(cfg.execution.max_orders, 65536), cfg.execution.max_positions);
  // The execution budget's stages (seed 000: intent -> gate decision -> sent -> result).
  rt.latency.add("switchyard.execution.duration", "Order path latency by stage.",
                 {{"stage", std::string("rx_to_decision")}}, &x->latency.rx_to_decision);
  rt.latency.add("switchyard.execution.duration", "Order path latency by stage.",
                 {{"stage", std::string("rx_to_tx")}}, &x->latency.rx_to_tx);
  rt.latency.add("switchyard.execution.duration", "Order path latency by stage.",
                 {{"stage", std::string("reject_rx_to_tx")}}, &x->latency.reject_rx_to_tx);
  rt.latency.add("switchyard.execution.duration", "Order path latency by stage.",
                 {{"stage", std::string("relay")}}, &x->latency.relay);
  x->gate_results = rte_ring_create_elem("gate_results", sizeof(risk::GateResultRecord),
                                         cfg.execution.gate_results_size, SOCKET_ID_ANY,
                                         RING_F_SP_ENQ | RING_F_SC_DEQ);
  if (x->gate_results == nullptr)
    throw std::runtime_error(std::string("ring gate_results: ") + rte_strerror(rte_errno));
  rt.rings.push_back(x->gate_results);
  rt.execution = std::move(x);
}

// With rings.on_full: wait, the rx lcore relies on ring backpressure; if the rings a port's
// packets can sit in hold more mbufs than its pool has, the pool runs dry first and the PMD drops
// what it read (nic_no_mbuf). That configuration cannot do what it says: refuse it.
void check_mbuf_budget(const conf::Config& cfg, const std::vector<uint16_t>& rx_queues) {
  if (cfg.rings.on_full != conf::FullPolicy::wait) return;
  for (size_t p = 0; p < cfg.ports.size(); ++p) {
    const conf::PortConfig& port = cfg.ports[p];
    const uint64_t lcores = cfg.lcores.size();
    const uint64_t need =
        uint64_t{rx_queues[p]} * (uint64_t{port.rx_descriptors} + cfg.rings.md_size +
                                  cfg.rings.order_size + cfg.rings.capture_size) +
        lcores * (uint64_t{port.mbuf_cache} * 3 / 2) + cfg.rings.burst;
    if (port.mbufs < need)
      throw conf::ConfigError(
          port.mark, "ports[" + std::to_string(p) + "].mbufs",
          std::to_string(port.mbufs) + " mbufs cannot back rings.on_full: wait: the rx " +
              "descriptors, the md/order/capture rings and the lcore caches can hold " +
              std::to_string(need) + "; raise mbufs or lower the ring sizes");
  }
}

}  // namespace

void build_pipeline(Runtime& rt, const conf::Config& cfg) {
  rt.cfg = &cfg;
  rt.tsc_hz = rte_get_tsc_hz();
  calibrate_clock(rt);
  rt.classes = net::build_class_table(cfg);

  static const rte_mbuf_dynfield tsc_field = {"switchyard_rx_tsc", sizeof(uint64_t),
                                              alignof(uint64_t), 0};
  rt.rx_tsc_offset = rte_mbuf_dynfield_register(&tsc_field);
  if (rt.rx_tsc_offset < 0)
    throw std::runtime_error(std::string("mbuf dynamic field: ") + rte_strerror(rte_errno));

  std::vector<uint32_t> own_ipv4;
  std::vector<bool> igmp;
  for (size_t p = 0; p < cfg.ports.size(); ++p) {
    auto port = std::make_unique<PortRuntime>();
    port->cfg = &cfg.ports[p];
    port->dpdk_port = drivers::find_ethdev(cfg.ports[p]);
    port->ipv4 = cfg.ports[p].ipv4.value_or(0);
    if (cfg.ports[p].next_hop_mac) port->next_hop_mac.store(pack_mac(*cfg.ports[p].next_hop_mac));
    for (const auto& feed : cfg.feeds)
      for (const auto& line : feed.lines)
        if (line.match.port == cfg.ports[p].name && line.match.ipv4_dst &&
            net::is_multicast_ipv4(*line.match.ipv4_dst))
          port->groups.push_back(*line.match.ipv4_dst);
    own_ipv4.push_back(port->ipv4);
    igmp.push_back(cfg.ports[p].igmp);
    rt.ports.push_back(std::move(port));
  }
  rt.classifier = std::make_unique<net::Classifier>(rt.classes, own_ipv4, igmp);

  rt.lcores.resize(cfg.lcores.size());
  std::vector<uint16_t> next_rx_queue(cfg.ports.size(), 0);
  for (size_t i = 0; i < cfg.lcores.size(); ++i) {
    LcoreRuntime& lc = rt.lcores[i];
    lc.cfg = &cfg.lcores[i];
    lc.index = static_cast<uint16_t>(i);
    rt.stats.push_back(std::make_unique<LcoreStats>());
    lc.stats = rt.stats.back().get();
    lc.commands = make_ring(rt, "cmd_" + std::to_string(lc.cfg->id), cfg.rings.command_size);
    for (const std::string& name : lc.cfg->ports) {
      for (uint16_t p = 0; p < cfg.ports.size(); ++p)
        if (cfg.ports[p].name == name)
          lc.rx_queues.push_back({p, rt.ports[p]->dpdk_port, next_rx_queue[p]++});
    }
  }

  // Tx plan: each sender owns a queue when the device has enough; otherwise they share queue 0
  // and the first sender owns it, the others reaching it through SPSC handoff rings.
  std::vector<std::vector<LcoreRuntime*>> senders(cfg.ports.size());
  std::vector<uint16_t> tx_queues(cfg.ports.size(), 1);
  for (uint16_t p = 0; p < cfg.ports.size(); ++p) {
    senders[p] = senders_of(rt, p);
    const uint16_t avail = drivers::max_tx_queues(rt.ports[p]->dpdk_port);
    const bool dedicated = senders[p].size() <= avail;
    if (dedicated && !senders[p].empty()) tx_queues[p] = static_cast<uint16_t>(senders[p].size());
    for (size_t s = 0; s < senders[p].size(); ++s) {
      LcoreRuntime& lc = *senders[p][s];
      TxPath& path = lc.tx[p];
      path = TxPath{true, p, rt.ports[p]->dpdk_port, static_cast<uint16_t>(dedicated ? s : 0),
                    nullptr};
      if (!dedicated && s > 0) {
        path.handoff = make_ring(rt, "txh_" + std::to_string(p) + "_" + std::to_string(lc.cfg->id),
                                 cfg.rings.command_size);
        senders[p][0]->tx_handoffs.push_back({path.handoff, p, path.dpdk_port, 0});
      }
    }
  }

  check_mbuf_budget(cfg, next_rx_queue);
  for (uint16_t p = 0; p < cfg.ports.size(); ++p)
    drivers::bring_up_port(*rt.ports[p], next_rx_queue[p], tx_queues[p], p);

  LcoreRuntime* integrity = find_role(rt, conf::Role::integrity);
  LcoreRuntime* execution = find_role(rt, conf::Role::execution);
  LcoreRuntime* storage = find_role(rt, conf::Role::storage);
  for (auto& lc : rt.lcores) {
    if (lc.cfg->role != conf::Role::rx) continue;
    const std::string id = std::to_string(lc.cfg->id);
    lc.md_out = make_ring(rt, "md_" + id, cfg.rings.md_size);
    lc.order_out = make_ring(rt, "ord_" + id, cfg.rings.order_size);
    lc.capture_out = make_ring(rt, "cap_" + id, cfg.rings.capture_size);
    integrity->inputs.push_back(lc.md_out);
    execution->inputs.push_back(lc.order_out);
    storage->inputs.push_back(lc.capture_out);
  }
  integrity->storage_out = make_ring(rt, "int_sto", cfg.rings.capture_size);
  execution->storage_out = make_ring(rt, "exe_sto", cfg.rings.capture_size);
  storage->inputs.push_back(integrity->storage_out);
  storage->inputs.push_back(execution->storage_out);
  build_feeds(rt, cfg, *integrity);
  setup_storage(rt, cfg);  // lcore/storage.cpp: recovery, io_uring, capture plan
  build_execution(rt, cfg);
}

void launch_workers(Runtime& rt) {
  g_launch_args.clear();
  g_launch_args.reserve(rt.lcores.size());
  for (auto& lc : rt.lcores) {
    if (lc.cfg->role == conf::Role::control) continue;
    g_launch_args.emplace_back(&rt, &lc);
    const int rc = rte_eal_remote_launch(lcore_entry, &g_launch_args.back(), lc.cfg->id);
    if (rc != 0)
      throw std::runtime_error("launch lcore " + std::to_string(lc.cfg->id) + ": " +
                               rte_strerror(-rc));
  }
}

void drain_leftovers(Runtime& rt) {
  // Attribute leftovers to the producer's statistics, which the summary reads.
  for (auto& lc : rt.lcores) {
    for (rte_ring* r : {lc.md_out, lc.order_out, lc.capture_out}) {
      if (r == nullptr) continue;
      RingMsg msg;
      while (rte_ring_sc_dequeue_elem(r, &msg, sizeof msg) == 0) {
        if (msg.type != MsgType::packet) continue;
        constexpr auto kLeft = static_cast<size_t>(DropReason::left_in_ring);
        FlowCounters& cls = lc.stats->classes[msg.class_id];
        FlowCounters& port = lc.stats->ports[msg.port];
        cls.delivered.set(cls.delivered.get() - 1);
        cls.dropped[kLeft].inc();
        port.delivered.set(port.delivered.get() - 1);
        port.dropped[kLeft].inc();
        rte_pktmbuf_free(reinterpret_cast<rte_mbuf*>(msg.payload));
      }
    }
    for (const TxHandoff& h : lc.tx_handoffs) {
      RingMsg msg;
      while (rte_ring_sc_dequeue_elem(h.ring, &msg, sizeof msg) == 0) {
        LcoreStats& producer = *rt.lcores[msg.source].stats;
        FlowCounters& tx = producer.tx[h.port_index];
        tx.delivered.set(tx.delivered.get() - 1);
        tx.dropped[static_cast<size_t>(DropReason::left_in_ring)].inc();
        rte_pktmbuf_free(reinterpret_cast<rte_mbuf*>(msg.payload));
      }
    }
  }
}

void teardown_pipeline(Runtime& rt) {
  rt.storage_writer.reset();  // its buffers are hugepage memory: before the EAL goes
  for (auto& port : rt.ports) drivers::stop_port(port->dpdk_port);
  for (rte_ring* r : rt.rings) rte_ring_free(r);
  rt.rings.clear();
  for (auto& port : rt.ports)
    if (port->pool) rte_mempool_free(port->pool);
}

}  // namespace sy
