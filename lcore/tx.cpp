#include <rte_ethdev.h>

#include "lcore/runtime.hpp"

namespace sy {

uint16_t tx_send(const TxPath& path, rte_mbuf** pkts, uint16_t n, LcoreStats& stats,
                 uint16_t source, bool relay, bool upkeep) {
  RTE_ASSERT(path.valid);
  FlowCounters& tx = relay ? stats.tx_relay[path.port_index] : stats.tx[path.port_index];
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < n; ++i) bytes += pkts[i]->pkt_len;  // before the NIC owns them
  tx.packets.add(n);
  tx.bytes.add(bytes);
  uint16_t sent;
  if (path.handoff == nullptr) {
    sent = rte_eth_tx_burst(path.dpdk_port, path.queue, pkts, n);
  } else {
    RingMsg msgs[kMaxBurst];
    for (uint16_t i = 0; i < n; ++i)
      msgs[i] = RingMsg{MsgType::packet,
                        0,
                        0,
                        static_cast<uint8_t>(path.port_index),
                        source,
                        0,
                        reinterpret_cast<uint64_t>(pkts[i])};
    sent = static_cast<uint16_t>(
        rte_ring_sp_enqueue_burst_elem(path.handoff, msgs, sizeof(RingMsg), n, nullptr));
  }
  tx.delivered.add(sent);
  if (sent < n) [[unlikely]] {
    const uint16_t lost = static_cast<uint16_t>(n - sent);
    const DropReason reason = upkeep ? DropReason::upkeep_unsent : DropReason::tx_full;
    tx.dropped[static_cast<size_t>(reason)].add(lost);
    rte_pktmbuf_free_bulk(pkts + sent, lost);
  }
  return sent;
}

uint32_t tx_drain_handoffs(LcoreRuntime& self) {
  uint32_t total = 0;
  for (const TxHandoff& h : self.tx_handoffs) {
    RingMsg msgs[32];
    const unsigned n = rte_ring_sc_dequeue_burst_elem(h.ring, msgs, sizeof(RingMsg), 32, nullptr);
    const TxPath direct{true, h.port_index, h.dpdk_port, h.queue, nullptr};
    // Upkeep frames and data frames are sent in runs, so a refusal is counted under its reason.
    for (unsigned i = 0; i < n;) {
      const bool upkeep = msgs[i].flags & kMsgUpkeep;
      rte_mbuf* pkts[32];
      uint16_t run = 0;
      while (i < n && bool(msgs[i].flags & kMsgUpkeep) == upkeep)
        pkts[run++] = reinterpret_cast<rte_mbuf*>(msgs[i++].payload);
      total += tx_send(direct, pkts, run, *self.stats, self.index, true, upkeep);
    }
  }
  return total;
}

bool send_end(rte_ring* ring, uint16_t source, const std::atomic<bool>& force_stop) {
  if (ring == nullptr) return true;
  const RingMsg end{MsgType::end, 0, 0, 0, source, 0, 0};
  while (rte_ring_sp_enqueue_elem(ring, const_cast<RingMsg*>(&end), sizeof(RingMsg)) != 0) {
    if (force_stop.load(std::memory_order_relaxed)) return false;
    rte_pause();
  }
  return true;
}

}  // namespace sy
