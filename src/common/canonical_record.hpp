// The canonical market event: one fixed 64-byte, cache-line-aligned record per applied ITCH
// message, produced by the integrity lcore, persisted by the storage lcore, and read by tools.
//
// The layout is part of the on-disk format (canonical store, schema version below); change it
// only with a new version.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sy {

inline constexpr uint16_t kCanonicalSchemaVersion = 1;

enum class CanonicalKind : uint8_t {
  add = 1,            // A, F
  execute = 2,        // E
  execute_price = 3,  // C
  cancel = 4,         // X
  delete_order = 5,   // D
  replace = 6,        // U
  trade = 7,          // P
  cross = 8,          // Q
  system_event = 9,   // S
  directory = 10,     // R
  trading_action = 11,  // H
  broken_trade = 12,  // B
  other = 13,         // every other ITCH 5.0 type (Y, L, V, W, K, J, h, I, N, O): type and locate only
};

// CanonicalRecord::flags
inline constexpr uint8_t kRecRecovered = 0x01;      // applied from a re-request or the other line
                                                    // after a gap: never presented as live
inline constexpr uint8_t kRecBookUnknown = 0x02;    // its book is out of date (unrecovered loss,
                                                    // joined mid-session)
inline constexpr uint8_t kRecSharesSaturated = 0x04;  // cross volume above 2^32-1, saturated
inline constexpr uint8_t kRecLineB = 0x08;          // the copy applied came from line B (else A)

struct alignas(64) CanonicalRecord {
  uint64_t rx_ns;          // UTC ns of the packet's receipt (clock: tsc calibrated, or capture)
  uint64_t exchange_ns;    // ITCH timestamp: ns since midnight
  uint64_t sequence;       // MoldUDP64 sequence number of the message
  uint64_t order_ref;      // A F E C X D: order; U: original order
  uint64_t match_number;   // E C P Q B
  uint64_t new_order_ref;  // U
  uint32_t shares;         // A F E C X U P; Q (saturated, see flags)
  uint32_t price;          // Price(4): A F U P; C execution price; Q cross price
  uint16_t locate;         // stock locate (0 for non-instrument messages)
  CanonicalKind kind;
  uint8_t side;            // 'B', 'S', or 0
  uint8_t feed;            // feed index in the config
  uint8_t flags;           // kRec*
  uint8_t code;            // S event code, H trading state, Q cross type, C printable
  uint8_t itch_type;       // the ITCH type letter
};
static_assert(sizeof(CanonicalRecord) == 64);
static_assert(alignof(CanonicalRecord) == 64);
static_assert(offsetof(CanonicalRecord, shares) == 48);
static_assert(offsetof(CanonicalRecord, locate) == 56);
static_assert(offsetof(CanonicalRecord, itch_type) == 63);

}  // namespace sy
