// Everything the lcores share, built before launch and read-only afterwards (except counters,
// the stop flag and the learned next-hop MACs, each with a single writer).
#pragma once

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "conf/config.hpp"
#include "lcore/integrity/feed_arbiter.hpp"
#include "lcore/stats.hpp"
#include "src/common/histogram.hpp"
#include "src/common/ring_msg.hpp"
#include "src/common/safety.hpp"
#include "src/net/class_table.hpp"
#include "src/net/classifier.hpp"
#include "src/ops/service_status.hpp"
#include "src/observe/latency_registry.hpp"

namespace sy {

inline constexpr uint32_t kMaxBurst = 256;

// One way for an lcore to send on a port: its own tx queue, or a handoff ring drained by the
// queue's owner when the device has fewer tx queues than roles that send on it.
struct TxPath {
  bool valid = false;
  uint16_t port_index = 0;
  uint16_t dpdk_port = 0;
  uint16_t queue = 0;
  rte_ring* handoff = nullptr;  // set: enqueue here instead of calling rte_eth_tx_burst
};

// A handoff ring this lcore drains because it owns the port's shared tx queue.
struct TxHandoff {
  rte_ring* ring = nullptr;
  uint16_t port_index = 0;
  uint16_t dpdk_port = 0;
  uint16_t queue = 0;
};

struct PortRuntime {
  const conf::PortConfig* cfg = nullptr;
  uint16_t dpdk_port = 0;
  rte_mempool* pool = nullptr;
  conf::MacAddress mac{};
  uint32_t ipv4 = 0;             // host order, 0 = none
  std::vector<uint32_t> groups;  // multicast groups of the feeds on this port
  uint16_t rx_queues = 0;
  uint16_t tx_queues = 0;
  // Learned by the rx lcore from ARP (single writer); 0 = unknown, else 0x0001'mmmm'mmmm'mmmm.
  std::atomic<uint64_t> next_hop_mac{0};
};

struct RxQueue {
  uint16_t port_index;
  uint16_t dpdk_port;
  uint16_t queue;
};

struct LcoreRuntime {
  const conf::LcoreConfig* cfg = nullptr;
  uint16_t index = 0;  // position in Runtime::lcores; the `source` of its ring messages
  LcoreStats* stats = nullptr;
  rte_ring* commands = nullptr;  // control -> this lcore

  // rx
  std::vector<RxQueue> rx_queues;
  rte_ring* md_out = nullptr;       // -> integrity
  rte_ring* order_out = nullptr;    // -> execution
  rte_ring* capture_out = nullptr;  // -> storage

  // consumers (integrity, execution, storage)
  std::vector<rte_ring*> inputs;
  rte_ring* storage_out = nullptr;  // integrity/execution -> storage

  // consumers: rx TSC to dequeue, one sample every 8th burst (the control plane's budgets); null:
  // not measured (control.supervise: false).
  Histogram* ring_dwell = nullptr;

  TxPath tx[kMaxPorts];                // by port index
  std::vector<TxHandoff> tx_handoffs;  // drained as the owner of a shared queue
};

namespace integrity {
class FeedRuntime;
}
namespace storage {
struct StorageState;
class Writer;
}  // namespace storage
namespace exec {
struct ExecutionRuntime;
}

// 128-bit products for fixed-point time conversion (a GCC/Clang extension).
__extension__ using uint128 = unsigned __int128;

struct Runtime {
  const conf::Config* cfg = nullptr;
  net::ClassTable classes;
  std::unique_ptr<net::Classifier> classifier;
  std::vector<std::unique_ptr<PortRuntime>> ports;
  std::vector<LcoreRuntime> lcores;
  std::vector<std::unique_ptr<LcoreStats>> stats;
  std::vector<rte_ring*> rings;   // every ring, for the final "left in ring" check
  rte_ring* canonical = nullptr;  // integrity -> storage, 64-byte CanonicalRecord elements

  // Market data feeds (integrity lcore) and which feed and line each class is.
  static constexpr uint8_t kNoFeed = 0xff;
  struct FeedClass {
    uint8_t feed = kNoFeed;
    integrity::Line line = integrity::Line::a;
  };
  FeedClass feed_of_class[net::kMaxClasses];
  std::vector<std::unique_ptr<integrity::FeedRuntime>> feeds;
  // Order sessions, risk gate and ledger (execution lcore); null without sessions.
  std::unique_ptr<exec::ExecutionRuntime> execution;
  Runtime();  // out of line: FeedRuntime is incomplete here
  ~Runtime();

  // UTC nanoseconds from the TSC: calibrated once against CLOCK_REALTIME at start.
  uint64_t tsc_base = 0;
  uint64_t utc_base_ns = 0;
  uint64_t ns_per_tsc_q32 = 0;  // ns per TSC tick, 32.32 fixed point
  uint64_t tsc_to_utc_ns(uint64_t tsc) const {
    const uint128 d = static_cast<uint128>(tsc - tsc_base) * ns_per_tsc_q32;
    return utc_base_ns + static_cast<uint64_t>(d >> 32);
  }
  int rx_tsc_offset = -1;  // mbuf dynamic field: TSC at rx
  uint64_t tsc_hz = 0;
  std::atomic<bool> force_stop{false};  // drain timeout or second signal: leave loops now
  SafetyState safety;                   // written by the control lcore, read per burst

  // Storage (lcore/storage.cpp, docs/storage.md). capture_copy: rx hands the storage lcore a
  // second reference of these classes' packets; persist: the storage lcore keeps a class's raw
  // packets; capture_sent: the frames the appliance sends are captured too. storage_state:
  // watermarks, counters and the retention authorisation the control API sets.
  bool capture_copy[net::kMaxClasses] = {};
  bool persist_class[net::kMaxClasses] = {};
  bool capture_sent = false;
  std::unique_ptr<storage::StorageState> storage_state;
  std::unique_ptr<storage::Writer> storage_writer;  // null: persistence off
  ops::ServiceStatus service;           // control lcore -> systemd notifier (src/ops)
  // Latency histograms each role registers before launch; exported by src/observe.
  observe::LatencyRegistry latency;
};

inline uint64_t* rx_tsc_field(rte_mbuf* m, int offset) {
  return RTE_MBUF_DYNFIELD(m, offset, uint64_t*);
}

inline uint64_t pack_mac(const conf::MacAddress& mac) {
  uint64_t v = 1;
  for (uint8_t b : mac) v = v << 8 | b;
  return v;
}

inline conf::MacAddress unpack_mac(uint64_t v) {
  conf::MacAddress mac;
  for (int i = 5; i >= 0; --i, v >>= 8) mac[static_cast<size_t>(i)] = static_cast<uint8_t>(v);
  return mac;
}

// Sends `n` frames on `path`; frees and counts what did not fit. Returns frames accepted.
// `relay`: the frames came from another lcore's handoff ring (counted in tx_relay).
// `upkeep`: the frames are our own ARP/IGMP; a refusal counts as upkeep_unsent, not loss.
uint16_t tx_send(const TxPath& path, rte_mbuf** pkts, uint16_t n, LcoreStats& stats,
                 uint16_t source, bool relay = false, bool upkeep = false);

// Drains this lcore's handoff rings into their tx queues. Returns frames sent.
uint32_t tx_drain_handoffs(LcoreRuntime& self);

// Enqueues an end marker, retrying while the consumer drains, unless force_stop is raised.
bool send_end(rte_ring* ring, uint16_t source, const std::atomic<bool>& force_stop);

// Lcore entry points (one file per role).
int rx_lcore_main(Runtime& rt, LcoreRuntime& self);
int integrity_lcore_main(Runtime& rt, LcoreRuntime& self);
int execution_lcore_main(Runtime& rt, LcoreRuntime& self);
int storage_lcore_main(Runtime& rt, LcoreRuntime& self);

// Storage set-up before launch (recovery, io_uring, buffers) and what the summary needs from it.
void setup_storage(Runtime& rt, const conf::Config& cfg);
uint64_t storage_loss(const Runtime& rt);  // capture copies refused + records not persisted

}  // namespace sy
