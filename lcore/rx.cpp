// rx lcore: burst rx, TSC stamp, classify, enqueue to the consuming lcore's ring.
//
// Hot: no syscalls (except the idle back-off a dev profile asks for), no allocation (mbufs come
// from the port's mempool), no locks. Every frame ends in exactly one of: delivered (enqueued,
// or answered locally) or dropped under a reason, counted per port and per class.
#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "lcore/idle.hpp"
#include "lcore/runtime.hpp"
#include "src/net/local_responder.hpp"

namespace sy {

namespace {

constexpr uint64_t kArpRetryMs = 1000;

struct Bucket {
  rte_ring* ring = nullptr;
  uint32_t count = 0;
  RingMsg msgs[kMaxBurst];
};

net::ChecksumHint checksum_hint(const rte_mbuf* m) {
  switch (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) {
    case RTE_MBUF_F_RX_IP_CKSUM_GOOD:
      return net::ChecksumHint::good;
    case RTE_MBUF_F_RX_IP_CKSUM_BAD:
      return net::ChecksumHint::bad;
    default:
      return net::ChecksumHint::unknown;
  }
}

class RxLcore {
 public:
  RxLcore(Runtime& rt, LcoreRuntime& self)
      : rt_(rt),
        self_(self),
        stats_(*self.stats),
        idle_(*self.cfg),
        burst_(static_cast<uint16_t>(rt.cfg->rings.burst)),
        wait_on_full_(rt.cfg->rings.on_full == conf::FullPolicy::wait) {
    md_.ring = self.md_out;
    order_.ring = self.order_out;
    capture_.ring = self.capture_out;
    for (size_t c = 0; c < rt.classes.classes.size(); ++c) {
      destination_[c] = rt.classes.classes[c].destination;
      capture_copy_[c] = rt.capture_copy[c];
      // The shed word's level at which a class goes: P2 at 1, P1 at 2, P0 never.
      // Only traffic bound for a ring is shed; local and dropped frames keep their own books.
      const conf::Priority p = rt.classes.classes[c].priority;
      const bool queued = destination_[c] == net::Destination::integrity ||
                          destination_[c] == net::Destination::execution ||
                          destination_[c] == net::Destination::storage;
      shed_at_[c] = !queued                   ? kNeverShed
                    : p == conf::Priority::p2 ? 1
                    : p == conf::Priority::p1 ? 2
                                              : kNeverShed;
      // The capture shed word's level at which no raw copy of the class is taken.
      capture_shed_at_[c] = p == conf::Priority::p2 ? 1 : p == conf::Priority::p1 ? 2 : kNeverShed;
    }
    const conf::ControlTestConfig& t = rt.cfg->control.test;
    if (t.stall_rx_after_ms && first_rx(rt, self))
      stall_at_tsc_ = rte_rdtsc() + rt.tsc_hz * t.stall_rx_after_ms / 1000;
  }

  void run() {
    announce();
    for (;;) {
      const uint64_t now = rte_rdtsc();
      stats_.heartbeat_tsc.store(now, std::memory_order_relaxed);
      stats_.loops.inc();
      if (stop_requested()) break;
      uint32_t work = 0;
      if (wait_on_full_ && !room_for_burst()) {
        stats_.backpressure_loops.inc();
      } else {
        for (const RxQueue& q : self_.rx_queues) work += poll(q);
      }
      work += tx_drain_handoffs(self_);
      if (work) stats_.busy_loops.inc();
      if (now >= next_arp_tsc_) retry_arp(now);
      if (now >= stall_at_tsc_) [[unlikely]]
        test_stall();
      idle_.work_done(work);
    }
    // Shutdown protocol: nothing more comes from this lcore; say so on every downstream ring.
    send_end(self_.md_out, self_.index, rt_.force_stop);
    send_end(self_.order_out, self_.index, rt_.force_stop);
    send_end(self_.capture_out, self_.index, rt_.force_stop);
  }

 private:
  // Backpressure: poll only when every downstream ring can take a whole burst.
  bool room_for_burst() const {
    for (const rte_ring* r : {md_.ring, order_.ring, capture_.ring})
      if (rte_ring_free_count(r) < burst_) return false;
    return true;
  }

  static bool first_rx(const Runtime& rt, const LcoreRuntime& self) {
    for (const auto& lc : rt.lcores)
      if (lc.cfg->role == conf::Role::rx) return &lc == &self;
    return false;
  }

  // Test hook (control.test.stall_rx_*): stop looping, so the heartbeat goes missing for real.
  void test_stall() {
    stall_at_tsc_ = UINT64_MAX;
    rte_delay_us_sleep(rt_.cfg->control.test.stall_rx_ms * 1000);
  }

  bool stop_requested() {
    if (rt_.force_stop.load(std::memory_order_relaxed)) return true;
    RingMsg cmd;
    while (rte_ring_sc_dequeue_elem(self_.commands, &cmd, sizeof cmd) == 0)
      if (cmd.type == MsgType::command && static_cast<Command>(cmd.arg) == Command::stop)
        return true;
    return false;
  }

  uint32_t poll(const RxQueue& q) {
    rte_mbuf* pkts[kMaxBurst];
    const uint16_t n = rte_eth_rx_burst(q.dpdk_port, q.queue, pkts, burst_);
    if (n == 0) return 0;
    const uint64_t tsc = rte_rdtsc();
    FlowCounters& port = stats_.ports[q.port_index];
    rte_mbuf* dropped[kMaxBurst];
    uint16_t n_dropped = 0;
    uint64_t burst_bytes = 0;
    // Priority shedding: one load per burst; the control lcore moves it with hysteresis.
    const uint32_t shed = rt_.safety.shed.load(std::memory_order_relaxed);
    const uint32_t capture_shed = rt_.safety.capture_shed.load(std::memory_order_relaxed);

    for (uint16_t i = 0; i < n; ++i) {
      rte_mbuf* m = pkts[i];
      *rx_tsc_field(m, rt_.rx_tsc_offset) = tsc;
      if (i + 2 < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 2], void*));
      const uint32_t len = rte_pktmbuf_data_len(m);
      const net::Verdict v = rt_.classifier->classify(rte_pktmbuf_mtod(m, const uint8_t*), len,
                                                      q.port_index, checksum_hint(m));
      FlowCounters& cls = stats_.classes[v.class_id];
      cls.packets.inc();
      cls.bytes.add(m->pkt_len);
      burst_bytes += m->pkt_len;
      // The consumer accounts and frees from the message alone, never touching the mbuf again
      // unless its role needs the bytes. A packet storage also captures has two references.
      const bool capture_copy = capture_copy_[v.class_id];
      const uint8_t flags =
          (!capture_copy && m->nb_segs == 1 && RTE_MBUF_DIRECT(m) && rte_mbuf_refcnt_read(m) == 1)
              ? kMsgRawFree
              : 0;
      const RingMsg msg{MsgType::packet,
                        flags,
                        static_cast<uint8_t>(v.class_id),
                        static_cast<uint8_t>(q.port_index),
                        self_.index,
                        static_cast<uint16_t>(m->pkt_len),
                        reinterpret_cast<uint64_t>(m)};
      if (shed != 0 && shed_at_[v.class_id] <= shed) [[unlikely]] {
        const auto reason = shed_at_[v.class_id] == 1 ? DropReason::shed_p2 : DropReason::shed_p1;
        cls.dropped[static_cast<size_t>(reason)].inc();
        port.dropped[static_cast<size_t>(reason)].inc();
        dropped[n_dropped++] = m;
        continue;
      }
      switch (destination_[v.class_id]) {
        case net::Destination::integrity:
          md_.msgs[md_.count++] = msg;
          break;
        case net::Destination::execution:
          order_.msgs[order_.count++] = msg;
          break;
        case net::Destination::storage:
          capture_.msgs[capture_.count++] = msg;
          break;
        case net::Destination::local:
          handle_local(q, m, v);
          cls.delivered.inc();
          port.delivered.inc();
          break;
        case net::Destination::drop:
          cls.dropped[static_cast<size_t>(v.reason)].inc();
          port.dropped[static_cast<size_t>(v.reason)].inc();
          dropped[n_dropped++] = m;
          break;
      }
      // Storage: the raw copy of a captured class (lcore/storage_capture.hpp), taken before
      // either message is enqueued so no consumer can free the packet first.
      if (capture_copy && capture_shed != 0 && capture_shed_at_[v.class_id] <= capture_shed)
          [[unlikely]] {
        // Storage is behind: the packet goes on, its raw copy is not taken (counted).
        stats_.capture.packets.inc();
        stats_.capture
            .dropped[static_cast<size_t>(capture_shed_at_[v.class_id] == 1
                                             ? DropReason::capture_shed_p2
                                             : DropReason::capture_shed_p1)]
            .inc();
      } else if (capture_copy) {
        rte_mbuf_refcnt_update(m, 1);
        RingMsg copy = msg;
        copy.flags = kMsgCapture;
        capture_.msgs[capture_.count++] = copy;
      }
    }
    port.packets.add(n);
    port.bytes.add(burst_bytes);
    if (n_dropped) rte_pktmbuf_free_bulk(dropped, n_dropped);
    flush(md_, port);
    flush(order_, port);
    flush(capture_, port);
    return n;
  }

  // Enqueues a bucket; what does not fit is dropped as ring_full, by class, never silently.
  void flush(Bucket& b, FlowCounters& port) {
    if (b.count == 0) return;
    const unsigned sent =
        rte_ring_sp_enqueue_burst_elem(b.ring, b.msgs, sizeof(RingMsg), b.count, nullptr);
    constexpr auto kFull = static_cast<size_t>(DropReason::ring_full);
    for (unsigned i = 0; i < b.count; ++i) {
      const RingMsg& msg = b.msgs[i];
      // Storage copies are books of their own, apart from the class and port identity.
      FlowCounters& books =
          (msg.flags & kMsgCapture) ? stats_.capture : stats_.classes[msg.class_id];
      if (msg.flags & kMsgCapture) {
        books.packets.inc();
        books.bytes.add(msg.arg);
      }
      if (i < sent) {
        books.delivered.inc();
        if (!(msg.flags & kMsgCapture)) port.delivered.inc();
      } else {
        books.dropped[kFull].inc();
        if (!(msg.flags & kMsgCapture)) port.dropped[kFull].inc();
        rte_pktmbuf_free(reinterpret_cast<rte_mbuf*>(msg.payload));
      }
    }
    b.count = 0;
  }

  void handle_local(const RxQueue& q, rte_mbuf* m, const net::Verdict& v) {
    PortRuntime& port = *rt_.ports[q.port_index];
    uint8_t* frame = rte_pktmbuf_mtod(m, uint8_t*);
    const uint32_t len = rte_pktmbuf_data_len(m);
    if (v.local == net::LocalKind::arp) {
      if (port.cfg->next_hop_ipv4) {
        if (auto mac = net::arp_sender_mac(frame, len, v.l3_offset, *port.cfg->next_hop_ipv4)) {
          port.next_hop_mac.store(pack_mac(*mac), std::memory_order_release);
          stats_.arp_learned.inc();
        }
      }
      const TxPath& tx = self_.tx[q.port_index];
      if (tx.valid && net::arp_reply_in_place(frame, len, v.l3_offset, port.mac, port.ipv4)) {
        stats_.arp_replies.inc();
        tx_send(tx, &m, 1, stats_, self_.index, false, true);
        return;
      }
    } else if (v.local == net::LocalKind::igmp && net::is_igmp_query(frame, len, v.l3_offset)) {
      send_igmp_reports(q.port_index);
    }
    rte_pktmbuf_free(m);
  }

  // Frames we originate come from the port's mempool: no allocation on the heap.
  void send_frame(uint16_t port_index, const uint8_t* bytes, uint16_t len) {
    const TxPath& tx = self_.tx[port_index];
    if (!tx.valid) return;
    rte_mbuf* m = rte_pktmbuf_alloc(rt_.ports[port_index]->pool);
    if (m == nullptr) {
      FlowCounters& tx_counters = stats_.tx[port_index];
      tx_counters.packets.inc();
      tx_counters.dropped[static_cast<size_t>(DropReason::upkeep_unsent)].inc();
      return;
    }
    char* dst = rte_pktmbuf_append(m, len);
    RTE_VERIFY(dst != nullptr);
    rte_memcpy(dst, bytes, len);
    tx_send(tx, &m, 1, stats_, self_.index, false, true);
  }

  void send_igmp_reports(uint16_t port_index) {
    const PortRuntime& port = *rt_.ports[port_index];
    uint8_t frame[net::kEtherMinFrameLen];
    for (uint32_t group : port.groups) {
      const size_t len = net::build_igmp_report(frame, port.mac, port.ipv4, group);
      send_frame(port_index, frame, static_cast<uint16_t>(len));
      stats_.igmp_reports.inc();
    }
  }

  // Joins at start: IGMP reports for our groups and an ARP request for the next hop.
  void announce() {
    for (const RxQueue& q : self_.rx_queues) {
      if (q.queue != 0) continue;  // one announcer per port
      const PortRuntime& port = *rt_.ports[q.port_index];
      if (port.cfg->igmp) send_igmp_reports(q.port_index);
    }
    retry_arp(rte_rdtsc());
  }

  void retry_arp(uint64_t now) {
    next_arp_tsc_ = now + rt_.tsc_hz * kArpRetryMs / 1000;
    for (const RxQueue& q : self_.rx_queues) {
      if (q.queue != 0) continue;
      const PortRuntime& port = *rt_.ports[q.port_index];
      if (!port.cfg->next_hop_ipv4 || port.ipv4 == 0 ||
          port.next_hop_mac.load(std::memory_order_relaxed) != 0)
        continue;
      uint8_t frame[net::kEtherMinFrameLen];
      const size_t len =
          net::build_arp_request(frame, port.mac, port.ipv4, *port.cfg->next_hop_ipv4);
      send_frame(q.port_index, frame, static_cast<uint16_t>(len));
    }
  }

  Runtime& rt_;
  LcoreRuntime& self_;
  LcoreStats& stats_;
  IdlePolicy idle_;
  uint16_t burst_;
  bool wait_on_full_;
  uint64_t next_arp_tsc_ = 0;
  uint64_t stall_at_tsc_ = UINT64_MAX;
  static constexpr uint8_t kNeverShed = 0xff;
  net::Destination destination_[net::kMaxClasses]{};
  bool capture_copy_[net::kMaxClasses]{};  // storage also captures these classes' packets
  uint8_t shed_at_[net::kMaxClasses]{};
  uint8_t capture_shed_at_[net::kMaxClasses]{};
  Bucket md_, order_, capture_;
};

}  // namespace

int rx_lcore_main(Runtime& rt, LcoreRuntime& self) {
  RxLcore(rt, self).run();
  return 0;
}

}  // namespace sy
