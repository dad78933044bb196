// Nasdaq OUCH 4.2 (order entry): one typed struct per message, a length-checked decoder and an
// encoder for every client-to-host and host-to-client type of docs protocols.md §3, and name
// tables for the reject and cancel reason codes.
//
// Direction matters: `U` and `M` exist both ways with different layouts, so there are two
// dispatchers (decode_client for what a client sends, decode_host for what a venue sends). Every
// type has a fixed length and a message of any other length is refused (Enter Order alone may
// omit its last byte, Customer Type). Integers are big-endian unsigned; alpha fields (token,
// stock, firm) are kept as raw bytes, space padded, so decode/encode round trips are byte exact.
// No allocation, no exceptions, no DPDK.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "src/proto/oe_error.hpp"

namespace sy::proto {

using OuchToken = std::array<char, 14>;  // case-sensitive, day-unique per OUCH account
using OuchStock = std::array<char, 8>;   // symbol, left-justified, space padded
using OuchFirm = std::array<char, 4>;    // MPID; blank = account default

inline constexpr uint32_t kOuchPriceScale = 10'000;       // Price(4): 4 implied decimals
inline constexpr uint32_t kOuchMaxPrice = 0x7735939C;     // $199,999.9900
inline constexpr uint32_t kOuchMarketPrice = 0x7FFFFFFF;  // market order for a cross
inline constexpr uint32_t kOuchTifIoc = 0;                // Time in Force: immediate or cancel
inline constexpr uint32_t kOuchTifMarketHours = 99'998;
inline constexpr uint32_t kOuchTifSystemHours = 99'999;
inline constexpr size_t kOuchMaxLen = 80;              // Replaced, the longest type
inline constexpr size_t kOuchEnterOrderShortLen = 48;  // Enter Order without Customer Type

// Text to a space-padded field (truncated if longer).
OuchToken make_token(std::string_view text) noexcept;
OuchStock make_stock(std::string_view text) noexcept;
OuchFirm make_firm(std::string_view text) noexcept;
// The field's bytes with trailing spaces removed (a view into the field).
template <size_t N>
std::string_view trimmed(const std::array<char, N>& field) noexcept {
  size_t n = N;
  while (n > 0 && field[n - 1] == ' ') --n;
  return std::string_view(field.data(), n);
}

// ------------------------------------------------------------------ client -> host (§3.1)

struct EnterOrder {
  OuchToken token;
  uint8_t side;  // B buy, S sell, T sell short, E sell short exempt
  uint32_t shares;
  OuchStock stock;
  uint32_t price;  // Price(4)
  uint32_t time_in_force;
  OuchFirm firm;
  uint8_t display;
  uint8_t capacity;
  uint8_t intermarket_sweep;
  uint32_t minimum_quantity;
  uint8_t cross_type;
  uint8_t customer_type;   // only on the wire when has_customer_type
  bool has_customer_type;  // 49-byte form; false: the 48-byte form
  friend bool operator==(const EnterOrder&, const EnterOrder&) = default;
};

struct ReplaceOrder {
  OuchToken existing_token;
  OuchToken replacement_token;
  uint32_t shares;  // total liability of the replace chain, executed shares included
  uint32_t price;
  uint32_t time_in_force;
  uint8_t display;
  uint8_t intermarket_sweep;
  uint32_t minimum_quantity;
  friend bool operator==(const ReplaceOrder&, const ReplaceOrder&) = default;
};

struct CancelOrder {
  OuchToken token;
  uint32_t shares;  // NEW intended size: 0 cancels all that remains
  friend bool operator==(const CancelOrder&, const CancelOrder&) = default;
};

struct ModifyOrder {
  OuchToken token;
  uint8_t side;  // only S <-> T <-> E
  uint32_t shares;
  friend bool operator==(const ModifyOrder&, const ModifyOrder&) = default;
};

// X(letter, name, Struct, length)
#define SY_OUCH42_CLIENT_TYPES(X)         \
  X('O', enter_order, EnterOrder, 49)     \
  X('U', replace_order, ReplaceOrder, 47) \
  X('X', cancel_order, CancelOrder, 19)   \
  X('M', modify_order, ModifyOrder, 20)

enum class OuchClientType : uint8_t {
#define SY_X(letter, name, Struct, length) name = letter,
  SY_OUCH42_CLIENT_TYPES(SY_X)
#undef SY_X
};

struct OuchClientMessage {
  OuchClientType type;
  union {
#define SY_X(letter, name, Struct, length) Struct name;
    SY_OUCH42_CLIENT_TYPES(SY_X)
#undef SY_X
  };
};

// ------------------------------------------------------------------ host -> client (§3.2)

struct SystemEvent {
  uint64_t timestamp_ns;  // since midnight
  uint8_t event_code;     // S start of day, E end of day
  friend bool operator==(const SystemEvent&, const SystemEvent&) = default;
};

struct Accepted {
  uint64_t timestamp_ns;
  OuchToken token;
  uint8_t side;
  uint32_t shares;
  OuchStock stock;
  uint32_t price;
  uint32_t time_in_force;
  OuchFirm firm;
  uint8_t display;
  uint64_t order_reference;
  uint8_t capacity;
  uint8_t intermarket_sweep;
  uint32_t minimum_quantity;
  uint8_t cross_type;
  uint8_t order_state;  // L live, D dead
  uint8_t bbo_weight;
  friend bool operator==(const Accepted&, const Accepted&) = default;
};

struct Replaced {
  uint64_t timestamp_ns;
  OuchToken replacement_token;
  uint8_t side;
  uint32_t shares;  // left exposed after the replace
  OuchStock stock;
  uint32_t price;
  uint32_t time_in_force;
  OuchFirm firm;
  uint8_t display;
  uint64_t order_reference;
  uint8_t capacity;
  uint8_t intermarket_sweep;
  uint32_t minimum_quantity;
  uint8_t cross_type;
  uint8_t order_state;
  OuchToken previous_token;
  uint8_t bbo_weight;
  friend bool operator==(const Replaced&, const Replaced&) = default;
};

struct Canceled {
  uint64_t timestamp_ns;
  OuchToken token;
  uint32_t decrement_shares;  // incremental
  uint8_t reason;             // kOuchCancelReasons
  friend bool operator==(const Canceled&, const Canceled&) = default;
};

struct AiqCanceled {
  uint64_t timestamp_ns;
  OuchToken token;
  uint32_t decrement_shares;
  uint8_t reason;  // always Q
  uint32_t quantity_prevented;
  uint32_t execution_price;
  uint8_t liquidity_flag;
  friend bool operator==(const AiqCanceled&, const AiqCanceled&) = default;
};

struct Executed {
  uint64_t timestamp_ns;
  OuchToken token;
  uint32_t executed_shares;  // incremental
  uint32_t execution_price;
  uint8_t liquidity_flag;
  uint64_t match_number;
  friend bool operator==(const Executed&, const Executed&) = default;
};

struct BrokenTrade {
  uint64_t timestamp_ns;
  OuchToken token;
  uint64_t match_number;
  uint8_t reason;  // E erroneous, C consent, S supervisory, X external
  friend bool operator==(const BrokenTrade&, const BrokenTrade&) = default;
};

struct Rejected {
  uint64_t timestamp_ns;
  OuchToken token;
  uint8_t reason;  // kOuchRejectReasons; unknown letters mean "other"
  friend bool operator==(const Rejected&, const Rejected&) = default;
};

struct CancelPending {
  uint64_t timestamp_ns;
  OuchToken token;
  friend bool operator==(const CancelPending&, const CancelPending&) = default;
};

struct CancelReject {
  uint64_t timestamp_ns;
  OuchToken token;
  friend bool operator==(const CancelReject&, const CancelReject&) = default;
};

struct PriorityUpdate {
  uint64_t timestamp_ns;
  OuchToken token;
  uint32_t price;
  uint8_t display;
  uint64_t order_reference;  // a NEW reference number
  friend bool operator==(const PriorityUpdate&, const PriorityUpdate&) = default;
};

struct OrderModified {
  uint64_t timestamp_ns;
  OuchToken token;
  uint8_t side;
  uint32_t shares;  // total outstanding
  friend bool operator==(const OrderModified&, const OrderModified&) = default;
};

struct ExecutedWithReference {
  uint64_t timestamp_ns;
  OuchToken token;
  uint32_t executed_shares;
  uint32_t execution_price;
  uint8_t liquidity_flag;
  uint64_t match_number;
  uint32_t reference_price;
  uint8_t reference_price_type;
  friend bool operator==(const ExecutedWithReference&, const ExecutedWithReference&) = default;
};

struct TradeCorrection {
  uint64_t timestamp_ns;
  OuchToken token;
  uint32_t executed_shares;
  uint32_t execution_price;
  uint8_t liquidity_flag;
  uint64_t match_number;
  uint8_t reason;  // N adjusted to NAV
  friend bool operator==(const TradeCorrection&, const TradeCorrection&) = default;
};

struct PriceCorrection {
  uint64_t timestamp_ns;
  OuchToken token;
  uint64_t match_number;
  uint32_t new_execution_price;
  uint8_t reason;
  friend bool operator==(const PriceCorrection&, const PriceCorrection&) = default;
};

// X(letter, name, Struct, length)
#define SY_OUCH42_HOST_TYPES(X)                              \
  X('S', system_event, SystemEvent, 10)                      \
  X('A', accepted, Accepted, 66)                             \
  X('U', replaced, Replaced, 80)                             \
  X('C', canceled, Canceled, 28)                             \
  X('D', aiq_canceled, AiqCanceled, 37)                      \
  X('E', executed, Executed, 40)                             \
  X('B', broken_trade, BrokenTrade, 32)                      \
  X('J', rejected, Rejected, 24)                             \
  X('P', cancel_pending, CancelPending, 23)                  \
  X('I', cancel_reject, CancelReject, 23)                    \
  X('T', priority_update, PriorityUpdate, 36)                \
  X('M', order_modified, OrderModified, 28)                  \
  X('G', executed_with_reference, ExecutedWithReference, 45) \
  X('F', trade_correction, TradeCorrection, 41)              \
  X('K', price_correction, PriceCorrection, 36)

enum class OuchHostType : uint8_t {
#define SY_X(letter, name, Struct, length) name = letter,
  SY_OUCH42_HOST_TYPES(SY_X)
#undef SY_X
};

struct OuchHostMessage {
  OuchHostType type;
  union {
#define SY_X(letter, name, Struct, length) Struct name;
    SY_OUCH42_HOST_TYPES(SY_X)
#undef SY_X
  };
};

inline constexpr size_t kOuchClientTypeCount = 0
#define SY_X(letter, name, Struct, length) +1
    SY_OUCH42_CLIENT_TYPES(SY_X)
#undef SY_X
    ;
inline constexpr size_t kOuchHostTypeCount = 0
#define SY_X(letter, name, Struct, length) +1
    SY_OUCH42_HOST_TYPES(SY_X)
#undef SY_X
    ;

// Wire length by type letter; 0 for a letter that is not a type in that direction. Enter Order's
// entry is the 49-byte form.
size_t ouch_client_length(uint8_t type) noexcept;
size_t ouch_host_length(uint8_t type) noexcept;
const char* ouch_client_type_name(uint8_t type) noexcept;  // "enter_order", ... or "unknown"
const char* ouch_host_type_name(uint8_t type) noexcept;    // "system_event", ... or "unknown"

// ------------------------------------------------------------------ decode / encode

// Per type: true when `p` holds exactly that type (its letter and its length). Otherwise false
// with `error` = ouch_empty, ouch_unknown_type (another letter), ouch_short or ouch_long.
#define SY_X(letter, name, Struct, length) \
  bool decode(const uint8_t* p, size_t len, Struct& out, OeError& error) noexcept;
SY_OUCH42_CLIENT_TYPES(SY_X)
SY_OUCH42_HOST_TYPES(SY_X)
#undef SY_X

// Any client-to-host / host-to-client message, by its type letter.
bool decode_client(const uint8_t* p, size_t len, OuchClientMessage& out, OeError& error) noexcept;
bool decode_host(const uint8_t* p, size_t len, OuchHostMessage& out, OeError& error) noexcept;

// Writes the message (type letter first) into `out`. Returns the bytes written, or 0 if `cap` is
// too small or the tagged message's type is unknown.
#define SY_X(letter, name, Struct, length) \
  size_t encode(const Struct& m, uint8_t* out, size_t cap) noexcept;
SY_OUCH42_CLIENT_TYPES(SY_X)
SY_OUCH42_HOST_TYPES(SY_X)
#undef SY_X
size_t encode(const OuchClientMessage& m, uint8_t* out, size_t cap) noexcept;
size_t encode(const OuchHostMessage& m, uint8_t* out, size_t cap) noexcept;

// ------------------------------------------------------------------ reason codes (§3.3)

// X(letter, name, text): Rejected reasons. Unknown letters must be treated as `other`.
#define SY_OUCH42_REJECT_REASONS(X)                                                \
  X('T', test_mode, "test mode: account only accepts test symbols")                \
  X('H', halted, "halted")                                                         \
  X('Z', shares_exceed_safety, "shares exceed the safety threshold")               \
  X('S', invalid_stock, "invalid stock")                                           \
  X('D', invalid_display, "invalid display type")                                  \
  X('C', market_closed, "Nasdaq closed")                                           \
  X('L', firm_not_authorized, "firm not authorized for the clearing type")         \
  X('M', outside_permitted_times, "outside permitted times for the clearing type") \
  X('R', not_allowed_in_cross, "order not allowed in this cross type")             \
  X('X', invalid_price, "invalid price")                                           \
  X('N', invalid_minimum_quantity, "invalid minimum quantity")                     \
  X('O', other, "other")                                                           \
  X('W', invalid_midpoint_post_only_price, "invalid midpoint post-only price")     \
  X('a', reject_all, "PRM: reject-all enabled")                                    \
  X('b', easy_to_borrow, "PRM: easy-to-borrow reject")                             \
  X('c', restricted_symbol, "PRM: restricted symbol list")                         \
  X('d', iso_restriction, "PRM: ISO restriction")                                  \
  X('e', odd_lot_restriction, "PRM: odd-lot restriction")                          \
  X('f', midpoint_restriction, "PRM: midpoint restriction")                        \
  X('g', pre_market_restriction, "PRM: pre-market restriction")                    \
  X('h', post_market_restriction, "PRM: post-market restriction")                  \
  X('i', short_sale_restriction, "PRM: short-sale restriction")                    \
  X('j', on_open_restriction, "PRM: on-open restriction")                          \
  X('k', on_close_restriction, "PRM: on-close restriction")                        \
  X('l', two_sided_quote, "PRM: two-sided quote reject")                           \
  X('m', exceeded_shares_limit, "PRM: exceeded shares limit")                      \
  X('n', exceeded_dollar_limit, "PRM: exceeded dollar-value limit")

enum class OuchRejectReason : uint8_t {
#define SY_X(letter, name, text) name = letter,
  SY_OUCH42_REJECT_REASONS(SY_X)
#undef SY_X
};

// X(letter, name, text): Canceled reasons (AIQ Canceled always carries Q).
#define SY_OUCH42_CANCEL_REASONS(X)                            \
  X('U', user_requested, "user requested (Cancel or Replace)") \
  X('I', ioc_remainder, "immediate-or-cancel remainder")       \
  X('T', time_in_force, "time in force expired")               \
  X('S', supervisory, "supervisory")                           \
  X('D', regulatory, "regulatory restriction")                 \
  X('Q', self_match_prevention, "self-match prevention")       \
  X('Z', system_cancel, "system cancel")                       \
  X('C', cross_cancel, "cross cancel")                         \
  X('E', closed, "closed")                                     \
  X('H', halted, "halted")                                     \
  X('K', market_collars, "market collars")                     \
  X('X', open_protection, "open protection")

enum class OuchCancelReason : uint8_t {
#define SY_X(letter, name, text) name = letter,
  SY_OUCH42_CANCEL_REASONS(SY_X)
#undef SY_X
};

// Name ("invalid_price") and text of a reason letter; "unknown" / "unknown reason" for a letter
// not in the list (a Rejected with an unknown letter is to be read as `other`).
const char* ouch_reject_reason_name(uint8_t letter) noexcept;
const char* ouch_reject_reason_text(uint8_t letter) noexcept;
const char* ouch_cancel_reason_name(uint8_t letter) noexcept;
const char* ouch_cancel_reason_text(uint8_t letter) noexcept;
constexpr const char* to_string(OuchRejectReason r) noexcept {
  switch (r) {
#define SY_X(letter, name, text) \
  case OuchRejectReason::name:   \
    return #name;
    SY_OUCH42_REJECT_REASONS(SY_X)
#undef SY_X
  }
  return "unknown";
}

}  // namespace sy::proto
