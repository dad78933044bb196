// The input side shared by the integrity, execution and storage lcores: drain every input ring
// in bursts, hand each packet to the role, count end markers, and stop once every producer has
// sent its end marker (the shutdown protocol) or a forced stop is raised.
#pragma once

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include <concepts>

#include "lcore/idle.hpp"
#include "lcore/runtime.hpp"

namespace sy {

// Handler: on_packet(const RingMsg&, rte_mbuf*) takes ownership of the mbuf;
// on_burst_end() runs after each dequeued burst (bulk frees, flushes).
template <typename Handler>
void consume_until_end(Runtime& rt, LcoreRuntime& self, Handler& handler) {
  LcoreStats& stats = *self.stats;
  IdlePolicy idle(*self.cfg);
  const uint32_t burst = rt.cfg->rings.burst;
  const uint64_t producers = self.inputs.size();
  RingMsg msgs[kMaxBurst];
  constexpr uint32_t kDwellEvery = 8;  // power of two
  uint32_t bursts = 0;
  for (;;) {
    stats.heartbeat_tsc.store(rte_rdtsc(), std::memory_order_relaxed);
    stats.loops.inc();
    uint32_t work = tx_drain_handoffs(self);
    for (rte_ring* in : self.inputs) {
      const unsigned n = rte_ring_sc_dequeue_burst_elem(in, msgs, sizeof(RingMsg), burst, nullptr);
      work += n;
      // Budget stage rx -> dequeue: one sample every kDwellEvery bursts, from the burst's first
      // packet's rx stamp (a percentile needs a fair sample, not every burst).
      if (self.ring_dwell && n && (++bursts & (kDwellEvery - 1)) == 0 &&
          msgs[0].type == MsgType::packet) {
        const uint64_t rx =
            *rx_tsc_field(reinterpret_cast<rte_mbuf*>(msgs[0].payload), rt.rx_tsc_offset);
        const uint64_t now = rte_rdtsc();
        if (now > rx)
          self.ring_dwell->record(
              static_cast<uint64_t>((static_cast<uint128>(now - rx) * rt.ns_per_tsc_q32) >> 32));
      }
      for (unsigned i = 0; i < n; ++i) {
        const RingMsg& msg = msgs[i];
        if (msg.type == MsgType::packet) [[likely]] {
          rte_mbuf* m = reinterpret_cast<rte_mbuf*>(msg.payload);
          stats.in_packets.inc();
          stats.in_bytes.add(msg.arg);
          FlowCounters& cls = stats.classes[msg.class_id];
          cls.packets.inc();
          cls.bytes.add(msg.arg);
          handler.on_packet(msg, m);
        } else if (msg.type == MsgType::end) {
          stats.in_ends.inc();
        }
      }
      handler.on_burst_end();
    }
    // Timers and side inputs (e.g. storage's canonical ring); what they did counts as work, so
    // the idle policy does not sleep on a backlog.
    if constexpr (requires { { handler.on_loop() } -> std::convertible_to<uint32_t>; })
      work += handler.on_loop();
    else if constexpr (requires { handler.on_loop(); })
      handler.on_loop();
    if (work) stats.busy_loops.inc();
    if (stats.in_ends.get() == producers) break;
    if (rt.force_stop.load(std::memory_order_relaxed)) break;
    idle.work_done(work);
  }
}

// Frees consumed packets in bulk. Packets the rx lcore marked kMsgRawFree go straight back to
// their port's mempool without their headers being read (the cache lines stay where they are);
// anything else takes the general path.
class BulkFree {
 public:
  explicit BulkFree(const Runtime& rt) : rt_(rt) {}

  void add(const RingMsg& msg, rte_mbuf* m) {
    if (!(msg.flags & kMsgRawFree)) {
      general_[n_general_++] = m;
      return;
    }
    if (n_raw_ && msg.port != raw_port_) flush_raw();
    raw_port_ = msg.port;
    raw_[n_raw_++] = m;
  }

  void flush() {
    flush_raw();
    if (n_general_) rte_pktmbuf_free_bulk(general_, n_general_);
    n_general_ = 0;
  }

 private:
  void flush_raw() {
    if (n_raw_)
      rte_mempool_put_bulk(rt_.ports[raw_port_]->pool, reinterpret_cast<void**>(raw_), n_raw_);
    n_raw_ = 0;
  }

  const Runtime& rt_;
  rte_mbuf* raw_[kMaxBurst];
  rte_mbuf* general_[kMaxBurst];
  unsigned n_raw_ = 0, n_general_ = 0;
  uint8_t raw_port_ = 0;
};

// Consumes, counts and frees: what a stage does before its real work lands.
inline void consume_count_free(Runtime& rt, LcoreRuntime& self) {
  struct CountFree {
    LcoreStats& stats;
    BulkFree free;
    void on_packet(const RingMsg& msg, rte_mbuf* m) {
      stats.classes[msg.class_id].delivered.inc();
      free.add(msg, m);
    }
    void on_burst_end() { free.flush(); }
  } handler{*self.stats, BulkFree(rt)};
  consume_until_end(rt, self, handler);
}

}  // namespace sy
