// Raw captures handed to the storage lcore by the lcores that own the packets (docs/storage.md).
//
// A captured packet another lcore also consumes travels as a second reference (refcnt + 1) with
// kMsgCapture set: the owner and storage each free their reference, and neither uses the
// kMsgRawFree fast path. Copies are counted in LcoreStats::capture, apart from the class books,
// so the per-class identity (received = delivered + dropped) is unchanged.
#pragma once

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "lcore/runtime.hpp"

namespace sy {

// Takes a second reference for storage and stamps the send time into the rx TSC field (frames
// the appliance originates have no receive time). Null when sent frames are not captured.
inline rte_mbuf* capture_reference_for_send(rte_ring* capture_out, int tsc_offset, rte_mbuf* m) {
  if (capture_out == nullptr) return nullptr;
  *rx_tsc_field(m, tsc_offset) = rte_rdtsc();
  rte_mbuf_refcnt_update(m, 1);
  return m;
}

// Hands a sent frame's second reference to storage; `sent` false: the frame never left, so it is
// not a record of what left the box (the reference is dropped).
inline void capture_sent_frame(rte_ring* capture_out, LcoreStats& stats, uint16_t source,
                               uint16_t port, rte_mbuf* ref, bool sent) {
  if (ref == nullptr) return;
  if (!sent) {
    rte_pktmbuf_free(ref);
    return;
  }
  stats.capture.packets.inc();
  stats.capture.bytes.add(ref->pkt_len);
  const RingMsg msg{MsgType::packet,
                    static_cast<uint8_t>(kMsgCapture | kMsgSent),
                    0,
                    static_cast<uint8_t>(port),
                    source,
                    static_cast<uint16_t>(ref->pkt_len),
                    reinterpret_cast<uint64_t>(ref)};
  if (rte_ring_sp_enqueue_elem(capture_out, const_cast<RingMsg*>(&msg), sizeof msg) == 0) {
    stats.capture.delivered.inc();
  } else {
    stats.capture.dropped[static_cast<size_t>(DropReason::ring_full)].inc();
    rte_pktmbuf_free(ref);
  }
}

}  // namespace sy
