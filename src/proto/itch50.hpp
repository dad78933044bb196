// Nasdaq TotalView-ITCH 5.0: the length table, a decoder and an encoder for all 23 types, and
// the mapping to the canonical record.
//
// One flat, trivially copyable ItchMessage holds the fields of every type so decoding needs no
// allocation, no virtual dispatch and no variant. Integers are big-endian unsigned on the wire;
// alpha fields are kept as raw bytes (space padded, never NUL terminated) so a decode/encode
// round trip is byte exact. No DPDK dependency. Layouts: docs protocols.md §2.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "src/common/canonical_record.hpp"
#include "src/proto/proto_error.hpp"

namespace sy::proto {

// X(letter, name, length): every ITCH 5.0 type and its total length in bytes (§2.2).
#define SY_ITCH50_TYPES(X)             \
  X('S', system_event, 12)             \
  X('R', stock_directory, 39)          \
  X('H', trading_action, 25)           \
  X('Y', reg_sho, 20)                  \
  X('L', market_participant, 26)       \
  X('V', mwcb_decline_level, 35)       \
  X('W', mwcb_status, 12)              \
  X('K', ipo_quoting_period, 28)       \
  X('J', luld_auction_collar, 35)      \
  X('h', operational_halt, 21)         \
  X('A', add_order, 36)                \
  X('F', add_order_mpid, 40)           \
  X('E', order_executed, 31)           \
  X('C', order_executed_price, 36)     \
  X('X', order_cancel, 23)             \
  X('D', order_delete, 19)             \
  X('U', order_replace, 35)            \
  X('P', trade, 44)                    \
  X('Q', cross_trade, 40)              \
  X('B', broken_trade, 19)             \
  X('I', noii, 50)                     \
  X('N', retail_price_improvement, 20) \
  X('O', direct_listing_price_discovery, 48)

enum class ItchType : uint8_t {
#define SY_X(letter, name, length) name = letter,
  SY_ITCH50_TYPES(SY_X)
#undef SY_X
};

inline constexpr size_t kItchTypeCount = 0
#define SY_X(letter, name, length) +1
    SY_ITCH50_TYPES(SY_X)
#undef SY_X
    ;

inline constexpr char kItchTypeLetters[kItchTypeCount] = {
#define SY_X(letter, name, length) letter,
    SY_ITCH50_TYPES(SY_X)
#undef SY_X
};

inline constexpr size_t kItchHeaderLen = 11;  // type, locate, tracking, 48-bit timestamp
inline constexpr size_t kItchMaxLen = 50;     // NOII

// Total length by type byte; 0 for a byte that is not an ITCH 5.0 type.
inline constexpr std::array<uint8_t, 256> kItchLength = [] {
  std::array<uint8_t, 256> t{};
#define SY_X(letter, name, length) t[static_cast<uint8_t>(letter)] = length;
  SY_ITCH50_TYPES(SY_X)
#undef SY_X
  return t;
}();

constexpr size_t itch_length(uint8_t type) noexcept { return kItchLength[type]; }
constexpr bool is_itch_type(uint8_t type) noexcept { return kItchLength[type] != 0; }

// Every field of every type. A decode zeroes it first, so fields the type does not carry are 0.
// Fields shared by several types keep one meaning; the comment lists the types that set them.
struct ItchMessage {
  uint64_t timestamp_ns;      // all: 48 bits on the wire, ns since midnight
  uint64_t order_ref;         // A F E C X D P; U original order
  uint64_t new_order_ref;     // U
  uint64_t match_number;      // E C P Q B
  uint64_t shares;            // A F U P shares; E executed; X cancelled; Q cross volume (8 bytes)
  uint64_t paired_shares;     // I
  uint64_t imbalance_shares;  // I
  uint64_t mwcb_level1;       // V, Price(8)
  uint64_t mwcb_level2;       // V, Price(8)
  uint64_t mwcb_level3;       // V, Price(8)
  uint64_t near_execution_time;      // O
  uint32_t price;                    // Price(4): A F U P; C execution price; Q cross price
  uint32_t round_lot_size;           // R
  uint32_t etp_leverage_factor;      // R
  uint32_t far_price;                // I
  uint32_t near_price;               // I
  uint32_t current_reference_price;  // I
  uint32_t ipo_release_time;         // K, seconds since midnight
  uint32_t ipo_price;                // K, Price(4)
  uint32_t collar_reference_price;   // J
  uint32_t upper_collar_price;       // J
  uint32_t lower_collar_price;       // J
  uint32_t collar_extension;         // J
  uint32_t min_allowable_price;      // O
  uint32_t max_allowable_price;      // O
  uint32_t near_execution_price;     // O
  uint32_t lower_price_collar;       // O
  uint32_t upper_price_collar;       // O
  uint16_t locate;                   // all
  uint16_t tracking;                 // all
  uint8_t type;                      // all: the type letter
  char stock[8];                     // R H Y L K J h A F P Q I N O
  char reason[4];                    // H
  char attribution[4];               // F attribution; L MPID
  char issue_subtype[2];             // R
  uint8_t side;                      // A F P
  uint8_t event_code;                // S
  uint8_t trading_state;             // H
  uint8_t reserved;                  // H
  uint8_t printable;                 // C
  uint8_t cross_type;                // Q I
  uint8_t market_category;           // R
  uint8_t financial_status;          // R
  uint8_t round_lots_only;           // R
  uint8_t issue_classification;      // R
  uint8_t authenticity;              // R
  uint8_t short_sale_threshold;      // R
  uint8_t ipo_flag;                  // R
  uint8_t luld_tier;                 // R
  uint8_t etp_flag;                  // R
  uint8_t inverse_indicator;         // R
  uint8_t imbalance_direction;       // I
  uint8_t price_variation;           // I
  uint8_t reg_sho_action;            // Y
  uint8_t primary_market_maker;      // L
  uint8_t market_maker_mode;         // L
  uint8_t market_participant_state;  // L
  uint8_t breached_level;            // W
  uint8_t ipo_release_qualifier;     // K
  uint8_t market_code;               // h
  uint8_t halt_action;               // h
  uint8_t interest_flag;             // N
  uint8_t open_eligibility;          // O

  friend bool operator==(const ItchMessage&, const ItchMessage&) = default;
};

// Decodes one ITCH message (one MoldUDP64 block). A block longer than its type's length is
// decoded from its known prefix (Nasdaq may append fields within 5.0). False with `error` set to
// itch_empty, itch_unknown_type or itch_short; `out` is then unspecified.
bool decode_itch(const uint8_t* p, size_t len, ItchMessage& out, ProtoError& error) noexcept;

// Same, counting the failure.
inline bool decode_itch(const uint8_t* p, size_t len, ItchMessage& out,
                        ProtoErrorCounters& errors) noexcept {
  ProtoError e{};
  if (decode_itch(p, len, out, e)) return true;
  errors.add(e);
  return false;
}

// Writes exactly itch_length(m.type) bytes. Returns that length, or 0 if the type is unknown or
// cap is too small. The timestamp keeps its low 48 bits.
size_t encode_itch(const ItchMessage& m, uint8_t* out, size_t cap) noexcept;
inline size_t encode(const ItchMessage& m, uint8_t* out, size_t cap) noexcept {
  return encode_itch(m, out, cap);
}

// Fills the ITCH part of a canonical record (kind, itch_type, locate, exchange_ns, order_ref,
// new_order_ref, match_number, shares, price, side, code, and kRecSharesSaturated for a Q
// volume above 2^32-1); rx_ns, sequence, feed and the other flags are zeroed for the caller.
// False for a type outside the ITCH 5.0 table.
bool to_canonical(const ItchMessage& m, CanonicalRecord& r) noexcept;

// The hot path's decode: the canonical record straight from the bytes for the order-flow types
// (A F E C X D U P), through decode_itch and to_canonical for every other type, with the same
// result as those two (tested, and compared by the fuzz target). `stock` points at the 8-byte
// symbol of a Stock Directory message (nullptr for the others). False with `error` set exactly
// as decode_itch sets it.
bool decode_canonical(const uint8_t* p, size_t len, CanonicalRecord& r, const uint8_t*& stock,
                      ProtoError& error) noexcept;

}  // namespace sy::proto
