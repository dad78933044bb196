// execution lcore (orders). Runs the order router (lcore/execution/order_router.hpp) on the
// datagrams the rx lcores classified as order-session traffic, writes what the router sends
// straight into mbufs, and owns the tx queue for orders and responses.
//
// Per packet: parse Ethernet/IPv4/UDP (the classifier has validated them), hand the UDP payload
// to the router with its source endpoint, and count it delivered, or dropped as unauthorized
// (not the pinned peer) or session_malformed (bad UFO framing). An accepted order whose datagram
// holds just that order leaves in the client's own mbuf with rewritten headers.
#include <rte_cycles.h>

#include "lcore/consumer.hpp"
#include "lcore/execution/execution_runtime.hpp"
#include "lcore/integrity/feed_runtime.hpp"
#include "lcore/storage_capture.hpp"
#include "src/net/wire.hpp"

namespace sy {

namespace {

// The gate's market view over every feed: symbol -> (feed, locate) from the books' directory
// logs, reference prices and feed state from the integrity lcore (lock-free reads).
class FeedsMarket final : public exec::MarketDirectory {
 public:
  explicit FeedsMarket(const Runtime& rt) : rt_(rt), seen_(rt.feeds.size(), 0) {
    table_ = std::make_unique<Entry[]>(kCapacity);
  }

  // Picks up instruments announced since the last call (bounded work per call).
  uint32_t refresh() {
    uint32_t added = 0;
    for (size_t f = 0; f < rt_.feeds.size(); ++f) {
      const book::ReferencePrices& refs = rt_.feeds[f]->refs;
      const uint32_t n = refs.announced();
      for (uint32_t& i = seen_[f]; i < n && added < kRefreshBatch; ++i, ++added)
        insert(refs.announced_symbol(i), static_cast<uint8_t>(f), refs.announced_locate(i));
    }
    return added;
  }

  uint16_t locate_of(uint64_t symbol) const override {
    for (size_t i = hash(symbol);; i = (i + 1) & (kCapacity - 1)) {
      const Entry& e = table_[i];
      if (!e.used) return 0;
      if (e.symbol == symbol) {
        current_feed_ = e.feed;
        return e.locate;
      }
    }
  }

  // For the locate of the last locate_of() (one order at a time on this lcore).
  void sample(uint16_t locate, risk::MarketSample& out) const override {
    if (rt_.feeds.empty()) {
      out.feed = risk::FeedHealth::unknown;
      out.read_ok = false;
      return;
    }
    const integrity::FeedRuntime& f = *rt_.feeds[current_feed_];
    const uint8_t s = f.state_word.load(std::memory_order_acquire);
    out.feed = s <= static_cast<uint8_t>(risk::FeedHealth::ended) ? static_cast<risk::FeedHealth>(s)
                                                                  : risk::FeedHealth::unknown;
    out.read_ok = locate != 0 && f.refs.read(locate, out.value);
  }

 private:
  struct Entry {
    uint64_t symbol = 0;
    uint16_t locate = 0;
    uint8_t feed = 0;
    bool used = false;
  };
  static constexpr size_t kCapacity = size_t{1} << 18;  // > 2x every locate of 2 feeds
  static constexpr uint32_t kRefreshBatch = 256;
  static size_t hash(uint64_t s) { return (s * 0x9e3779b97f4a7c15ull) >> 46; }

  void insert(uint64_t symbol, uint8_t feed, uint16_t locate) {
    for (size_t i = hash(symbol), probes = 0; probes < kCapacity;
         i = (i + 1) & (kCapacity - 1), ++probes) {
      Entry& e = table_[i];
      if (!e.used || e.symbol == symbol) {
        e = Entry{symbol, locate, feed, true};
        return;
      }
    }
  }

  const Runtime& rt_;
  std::vector<uint32_t> seen_;
  std::unique_ptr<Entry[]> table_;
  mutable uint8_t current_feed_ = 0;
};

class ExecutionLcore {
 public:
  ExecutionLcore(Runtime& rt, LcoreRuntime& self)
      : rt_(rt),
        self_(self),
        stats_(*self.stats),
        x_(*rt.execution),
        router_(*x_.router),
        market_(rt),
        done_(rt),
        capture_out_(rt.capture_sent && rt.storage_writer ? self.storage_out : nullptr) {
    timer_tsc_ = rt.tsc_hz * rt.cfg->execution.timer_interval_us / 1'000'000;
    if (timer_tsc_ == 0) timer_tsc_ = 1;
  }

  void start() {
    market_.refresh();
    if (x_.has_venue) router_.connect(now_ns(), *this);
    flush_tx();
  }

  void on_packet(const RingMsg& msg, rte_mbuf* m) {
    const exec::SessionClass sc = x_.session_of_class[msg.class_id];
    FlowCounters& cls = stats_.classes[msg.class_id];
    uint8_t* frame = rte_pktmbuf_mtod(m, uint8_t*);
    const uint32_t len = rte_pktmbuf_data_len(m);
    session::Endpoint src;
    uint8_t* payload = nullptr;
    size_t payload_len = 0;
    if (sc.kind == exec::SessionClass::Kind::none ||
        !parse(frame, len, src, payload, payload_len)) {
      cls.dropped[static_cast<size_t>(DropReason::session_malformed)].inc();
      done_.add(msg, m);
      return;
    }
    const uint64_t rx_tsc = *rx_tsc_field(m, rt_.rx_tsc_offset);
    in_mbuf_ = m;
    in_port_ = msg.port;
    in_consumed_ = false;
    const session::Verdict v =
        sc.kind == exec::SessionClass::Kind::client
            ? router_.on_client(now_, sc.index, src, payload, payload_len, rx_tsc, market_, *this)
            : router_.on_venue(now_, src, payload, payload_len, rx_tsc, *this);
    in_mbuf_ = nullptr;
    switch (v) {
      case session::Verdict::ok:
        cls.delivered.inc();
        break;
      case session::Verdict::unauthorized:
        cls.dropped[static_cast<size_t>(DropReason::unauthorized)].inc();
        break;
      case session::Verdict::malformed:
        cls.dropped[static_cast<size_t>(DropReason::session_malformed)].inc();
        break;
    }
    if (!in_consumed_) done_.add(msg, m);
  }

  void on_burst_end() {
    flush_tx();
    done_.flush();
  }

  uint32_t on_loop() {
    const uint64_t tsc = rte_rdtsc();
    now_ = rt_.tsc_to_utc_ns(tsc);
    router_.begin_burst(now_, rt_.safety.word.load(std::memory_order_acquire),
                        rt_.safety.account_kill.load(std::memory_order_acquire), *this);
    uint32_t work = 0;
    if (tsc >= next_timer_tsc_) {
      next_timer_tsc_ = tsc + timer_tsc_;
      work += market_.refresh();
      router_.poll(now_, *this);
      // Views for the control API: a bounded copy per tick, a full snapshot every 100 ms.
      x_.snapshots->publish_step(router_.gate().ledger(), now_, 100'000'000, 512);
      publish_counters();
    }
    work += n_tx_total();
    flush_tx();
    return work;
  }

  void finish() {
    flush_tx();
    done_.flush();
    publish_counters();
  }

  // --- the router's sink -------------------------------------------------------------------

  uint8_t* open(const exec::Target& t, size_t cap) {
    const exec::SessionWire& w =
        t.kind == exec::Target::Kind::venue ? x_.venue_wire : x_.client_wire[t.session];
    PortRuntime& port = *rt_.ports[w.port_index];
    rte_mbuf* m = rte_pktmbuf_alloc(port.pool);
    if (m == nullptr || rte_pktmbuf_tailroom(m) < net::kUdp4HeadersLen + cap) {
      if (m) rte_pktmbuf_free(m);
      x_.no_mbuf.inc();
      return nullptr;
    }
    open_ = m;
    open_target_ = t;
    open_wire_ = &w;
    return rte_pktmbuf_mtod(m, uint8_t*) + net::kUdp4HeadersLen;
  }

  void close(size_t len, const exec::Stamp& stamp) {
    rte_mbuf* m = open_;
    open_ = nullptr;
    if (len == 0) {
      rte_pktmbuf_free(m);
      return;
    }
    if (!finish_frame(m, rte_pktmbuf_mtod(m, uint8_t*), *open_wire_, open_target_.dst, len)) {
      rte_pktmbuf_free(m);
      return;
    }
    m->data_len = static_cast<uint16_t>(net::kUdp4HeadersLen + len);
    m->pkt_len = m->data_len;
    queue_tx(open_wire_->port_index, m, stamp);
  }

  bool forward_in_place(uint8_t* payload, size_t len, const exec::Stamp& stamp) {
    rte_mbuf* m = in_mbuf_;
    if (m == nullptr || !x_.has_venue) return false;
    uint8_t* frame = payload - net::kUdp4HeadersLen;
    if (frame < rte_pktmbuf_mtod(m, uint8_t*)) return false;  // VLAN-tagged input: copy instead
    const session::Endpoint& dst = router_.venue().peer();
    if (!finish_frame(m, frame, x_.venue_wire, dst, len)) return false;
    const uint16_t head = static_cast<uint16_t>(frame - rte_pktmbuf_mtod(m, uint8_t*));
    rte_pktmbuf_adj(m, head);
    m->data_len = static_cast<uint16_t>(net::kUdp4HeadersLen + len);
    m->pkt_len = m->data_len;
    in_consumed_ = true;
    queue_tx(x_.venue_wire.port_index, m, stamp);
    return true;
  }

  void gate_result(const risk::GateResultRecord& r) {
    x_.latency.rx_to_decision.record(r.latency_ns);
    if (x_.gate_results == nullptr ||
        rte_ring_sp_enqueue_elem(x_.gate_results, const_cast<risk::GateResultRecord*>(&r),
                                 sizeof r) != 0)
      x_.gate_results_unlogged.inc();
  }

 private:
  static constexpr unsigned kTxBurst = 64;

  uint64_t now_ns() {
    now_ = rt_.tsc_to_utc_ns(rte_rdtsc());
    return now_;
  }

  // Source endpoint and UDP payload of a validated frame (VLAN tags allowed).
  static bool parse(uint8_t* f, uint32_t len, session::Endpoint& src, uint8_t*& payload,
                    size_t& payload_len) {
    size_t l3 = net::kEtherHeaderLen;
    uint16_t type = net::load_be16(f + 12);
    while ((type == net::kEtherTypeVlan || type == net::kEtherTypeQinq) && len >= l3 + 4) {
      type = net::load_be16(f + l3 + 2);
      l3 += net::kVlanTagLen;
    }
    if (type != net::kEtherTypeIpv4 || len < l3 + net::kIpv4MinHeaderLen) return false;
    const uint8_t* ip = f + l3;
    const size_t ihl = (ip[0] & 0x0fu) * 4u;
    if (ihl < net::kIpv4MinHeaderLen || len < l3 + ihl + net::kUdpHeaderLen) return false;
    const uint8_t* udp = ip + ihl;
    const size_t udp_len = net::load_be16(udp + 4);
    if (udp_len < net::kUdpHeaderLen || l3 + ihl + udp_len > len) return false;
    std::memcpy(src.mac.data(), f + 6, 6);
    src.ip = net::load_be32(ip + 12);
    src.port = net::load_be16(udp);
    payload = const_cast<uint8_t*>(udp) + net::kUdpHeaderLen;
    payload_len = udp_len - net::kUdpHeaderLen;
    return true;
  }

  // Headers toward `dst` from the session's port; the next hop's MAC when the peer's is not
  // known yet (the venue before its Login Accept).
  bool finish_frame(rte_mbuf* m, uint8_t* frame, const exec::SessionWire& w,
                    const session::Endpoint& dst, size_t len) {
    (void)m;
    const PortRuntime& port = *rt_.ports[w.port_index];
    uint8_t dst_mac[6];
    bool have = false;
    for (uint8_t b : dst.mac) have |= b != 0;
    if (have) {
      std::memcpy(dst_mac, dst.mac.data(), 6);
    } else {
      const uint64_t hop = port.next_hop_mac.load(std::memory_order_acquire);
      if (hop == 0) {
        x_.no_mbuf.inc();  // nowhere to send yet; counted with the unsendable
        return false;
      }
      const conf::MacAddress mac = unpack_mac(hop);
      std::memcpy(dst_mac, mac.data(), 6);
    }
    net::write_udp4_headers(frame, dst_mac, port.mac.data(), w.local_ipv4, dst.ip, w.local_udp,
                            dst.port, len);
    return true;
  }

  void queue_tx(uint16_t port, rte_mbuf* m, const exec::Stamp& stamp) {
    Pending& p = tx_[port];
    if (p.n == kTxBurst) flush_port(port);
    p.mbufs[p.n] = m;
    p.stamps[p.n] = stamp;
    ++p.n;
  }

  unsigned n_tx_total() const {
    unsigned n = 0;
    for (const Pending& p : tx_) n += p.n;
    return n;
  }

  void flush_port(uint16_t port) {
    Pending& p = tx_[port];
    if (p.n == 0) return;
    const TxPath& path = self_.tx[port];
    if (!path.valid) {
      rte_pktmbuf_free_bulk(p.mbufs, p.n);
      stats_.tx[port].packets.add(p.n);
      stats_.tx[port].dropped[static_cast<size_t>(DropReason::tx_full)].add(p.n);
      p.n = 0;
      return;
    }
    // Runs of data and of session upkeep, so that a refusal is counted under its own reason.
    for (uint16_t i = 0; i < p.n;) {
      const bool upkeep = p.stamps[i].stage == exec::Stamp::Stage::upkeep;
      uint16_t j = i;
      while (j < p.n && (p.stamps[j].stage == exec::Stamp::Stage::upkeep) == upkeep) ++j;
      // Storage keeps a record of what left the box (lcore/storage_capture.hpp).
      rte_mbuf* refs[kTxBurst];
      for (uint16_t k = i; k < j; ++k)
        refs[k - i] = capture_reference_for_send(capture_out_, rt_.rx_tsc_offset, p.mbufs[k]);
      const uint16_t ok = tx_send(path, p.mbufs + i, static_cast<uint16_t>(j - i), stats_,
                                  self_.index, false, upkeep);
      for (uint16_t k = 0; k < j - i; ++k)
        capture_sent_frame(capture_out_, stats_, self_.index, port, refs[k], k < ok);
      record_latency(p.stamps + i, ok);
      i = j;
    }
    p.n = 0;
  }

  // Latency of the frames a tx queue accepted (the first `n` of a run).
  void record_latency(const exec::Stamp* stamps, uint16_t n) {
    const uint64_t tsc = rte_rdtsc();
    for (uint16_t i = 0; i < n; ++i) {
      const exec::Stamp& s = stamps[i];
      if (s.in_tsc == 0) continue;
      const uint64_t ns = (tsc - s.in_tsc) * 1'000'000'000 / rt_.tsc_hz;
      switch (s.stage) {
        case exec::Stamp::Stage::order:
          x_.latency.rx_to_tx.record(ns);
          break;
        case exec::Stamp::Stage::reject:
          x_.latency.reject_rx_to_tx.record(ns);
          break;
        case exec::Stamp::Stage::relay:
          x_.latency.relay.record(ns);
          break;
        case exec::Stamp::Stage::none:
        case exec::Stamp::Stage::upkeep:
          break;
      }
    }
  }

  void flush_tx() {
    for (uint16_t port = 0; port < kMaxPorts; ++port) flush_port(port);
  }

  void publish_counters() {
    const uint64_t* c = router_.counters();
    for (size_t i = 0; i < exec::kRouterCounterCount; ++i) x_.router_counters[i].set(c[i]);
    x_.venue_up.store(router_.venue().state() == session::ClientState::active,
                      std::memory_order_relaxed);
    x_.venue_ready.store(router_.venue_ready(), std::memory_order_relaxed);
    x_.orphans_open.store(router_.orphans_open(), std::memory_order_relaxed);
  }

  struct Pending {
    rte_mbuf* mbufs[kTxBurst];
    exec::Stamp stamps[kTxBurst];
    uint16_t n = 0;
  };

  Runtime& rt_;
  LcoreRuntime& self_;
  LcoreStats& stats_;
  exec::ExecutionRuntime& x_;
  exec::OrderRouter& router_;
  FeedsMarket market_;
  BulkFree done_;
  Pending tx_[kMaxPorts];
  uint64_t now_ = 0;
  uint64_t timer_tsc_ = 0;
  uint64_t next_timer_tsc_ = 0;
  rte_mbuf* open_ = nullptr;
  exec::Target open_target_{};
  const exec::SessionWire* open_wire_ = nullptr;
  rte_mbuf* in_mbuf_ = nullptr;
  uint8_t in_port_ = 0;
  bool in_consumed_ = false;
  rte_ring* capture_out_;  // storage's ring for sent frames; null: not captured
};

}  // namespace

int execution_lcore_main(Runtime& rt, LcoreRuntime& self) {
  if (!rt.execution || !rt.execution->router) {
    consume_count_free(rt, self);  // no order sessions configured: count and free
    send_end(self.storage_out, self.index, rt.force_stop);
    return 0;
  }
  auto lcore = std::make_unique<ExecutionLcore>(rt, self);  // large: not on the lcore stack
  lcore->start();
  consume_until_end(rt, self, *lcore);
  lcore->finish();
  send_end(self.storage_out, self.index, rt.force_stop);
  return 0;
}

}  // namespace sy
