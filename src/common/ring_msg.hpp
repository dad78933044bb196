// The fixed-size message carried by every inter-lcore ring.
//
// 16 bytes: a type tag, the class and port a packet belongs to, who sent it, a 16-bit argument
// and one 64-bit payload (an mbuf pointer for packets, a value for commands). New message kinds
// extend MsgType; the layout does not change. Rings are created with rte_ring_create_elem(esize
// 16), single-producer/single-consumer, because lcores sharing a CPU can be preempted
// mid-operation.
#pragma once

#include <cstdint>

namespace sy {

enum class MsgType : uint8_t {
  packet = 1,   // payload: rte_mbuf*, owned by the receiver after dequeue
  end = 2,      // producer `source` will send nothing more on this ring
  command = 3,  // control -> lcore; arg: Command, payload: argument
};

// RingMsg::flags
inline constexpr uint8_t kMsgRawFree = 0x01;  // packet: direct, one segment, refcnt 1, from the
                                              // port's pool: may go back with rte_mempool_put
inline constexpr uint8_t kMsgUpkeep = 0x02;   // tx handoff: an ARP/IGMP frame of our own
// Storage (docs/storage.md): a second reference to a packet another lcore also consumes, handed
// to storage for the raw store only; it is not the class's delivery and is counted apart.
inline constexpr uint8_t kMsgCapture = 0x04;
inline constexpr uint8_t kMsgSent = 0x08;  // with kMsgCapture: a frame the appliance sent

enum class Command : uint16_t {
  stop = 1,  // rx: stop polling, send end markers downstream, exit
};

// Identifies the producing lcore in `source` (its index in the lcore table).
struct RingMsg {
  MsgType type;
  uint8_t flags;
  uint8_t class_id;  // < net::kMaxClasses
  uint8_t port;      // port index in the config, < kMaxPorts
  uint16_t source;
  uint16_t arg;  // packet: pkt_len (frames are < 64 KiB); command: Command
  uint64_t payload;
};
static_assert(sizeof(RingMsg) == 16, "ring elements are 16 bytes");

}  // namespace sy
