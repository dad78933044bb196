// Per-lcore statistics: written only by the owning lcore, read by control and the summary.
#pragma once

#include <atomic>
#include <cstdint>

#include "src/common/counter.hpp"
#include "src/common/drop_reason.hpp"
#include "src/net/class_table.hpp"
#include "src/net/classifier.hpp"

namespace sy {

inline constexpr uint16_t kMaxPorts = net::Classifier::kMaxPorts;

struct FlowCounters {
  Counter packets;
  Counter bytes;
  Counter delivered;
  Counter dropped[kDropReasonCount];

  uint64_t dropped_total() const {
    uint64_t sum = 0;
    for (const auto& d : dropped) sum += d.get();
    return sum;
  }
};

struct alignas(64) LcoreStats {
  Counter loops;               // iterations of the main loop
  Counter busy_loops;          // iterations that found work
  Counter backpressure_loops;  // rx: loops that skipped polling because a ring was full
  Counter in_packets;          // consumers: packets dequeued from input rings
  Counter in_bytes;
  Counter in_ends;     // end markers received
  Counter records_in;  // storage: canonical records taken off the canonical ring
  Counter arp_replies;
  Counter arp_learned;
  Counter igmp_reports;
  FlowCounters ports[kMaxPorts];  // rx lcores: by ingress port
  // What this lcore originates, by egress port: packets = attempted, delivered = accepted by
  // its tx queue or, on a shared queue, by the handoff ring to the queue's owner;
  // dropped = tx_full / nic_no_mbuf / left_in_ring.
  FlowCounters tx[kMaxPorts];
  // What this lcore sends for others as the owner of a shared queue: packets = taken from the
  // handoff rings, delivered = accepted by the tx queue, dropped = tx_full.
  FlowCounters tx_relay[kMaxPorts];
  FlowCounters classes[net::kMaxClasses];  // rx: by class; consumers: packets in by class
  // Raw captures (docs/storage.md). Producers (rx copies of captured classes, integrity's sent
  // frames): packets = copies attempted, delivered = enqueued to storage, dropped = ring_full or
  // capture_shed_p2/p1 (no copy taken while storage is behind). Storage: packets = raw records
  // taken, delivered = persisted, dropped = disk_full / storage_io / unpersisted (abandoned at a
  // forced stop) / capture_shed_p2/p1 (taken while shed: not written).
  FlowCounters capture;
  std::atomic<uint64_t> heartbeat_tsc{0};  // TSC of the last loop iteration
  std::atomic<uint32_t> hazards{0};   // HazardBit set this lcore raises (src/common/safety.hpp)
  std::atomic<bool> finished{false};  // the lcore function has returned
};

}  // namespace sy
