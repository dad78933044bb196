// What the pre-trade risk gate decides on: one client order action, protocol-neutral.
//
// The session layer decodes OUCH Enter/Replace/Cancel/Modify into an OrderIntent; the gate never
// sees OUCH bytes. Tokens keep OUCH's 14-byte shape because the gate enforces their day-uniqueness,
// and a symbol is the ITCH/OUCH 8-byte space-padded field read as one little-endian word (so a
// lookup compares one integer).
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

namespace sy::risk {

inline constexpr size_t kTokenBytes = 14;
inline constexpr size_t kSymbolBytes = 8;
// Sessions the gate tracks (token space and order-rate bucket per session).
inline constexpr unsigned kMaxSessions = 256;

using OrderToken = std::array<char, kTokenBytes>;

enum class IntentKind : uint8_t { new_order = 0, replace = 1, cancel = 2, modify = 3 };
// OUCH B, S, T, E. Everything but buy lowers the position. `invalid`: any other letter (the
// gate fails the order on order_fields).
enum class Side : uint8_t { buy = 0, sell = 1, short_sell = 2, short_exempt = 3, invalid = 4 };

const char* to_string(IntentKind k);
const char* to_string(Side s);
inline bool is_buy(Side s) { return s == Side::buy; }

// The 8 symbol bytes (space padded) as one word; the same bytes give the same word on any host.
inline uint64_t symbol_word(std::string_view s) {
  char bytes[kSymbolBytes];
  std::memset(bytes, ' ', sizeof bytes);
  std::memcpy(bytes, s.data(), s.size() < kSymbolBytes ? s.size() : kSymbolBytes);
  uint64_t w = 0;
  std::memcpy(&w, bytes, sizeof w);
  return w;
}

// The symbol text with its padding removed.
inline std::string symbol_text(uint64_t word) {
  char bytes[kSymbolBytes];
  std::memcpy(bytes, &word, sizeof bytes);
  size_t n = kSymbolBytes;
  while (n > 0 && (bytes[n - 1] == ' ' || bytes[n - 1] == '\0')) --n;
  return std::string(bytes, n);
}

inline OrderToken make_token(std::string_view s) {
  OrderToken t;
  t.fill(' ');
  std::memcpy(t.data(), s.data(), s.size() < kTokenBytes ? s.size() : kTokenBytes);
  return t;
}

// 64 bytes: one cache line per intent on the rings.
struct OrderIntent {
  uint64_t rx_tsc = 0;    // TSC when the packet carrying it was received
  uint64_t symbol = 0;    // symbol_word() of the 8-byte stock field
  OrderToken token{};     // new/replace: the new token; cancel: the order's token
  OrderToken existing{};  // replace: the token of the live order; otherwise unused
  // new: order size; replace, modify: shares liable over the whole chain, executed included
  // (OUCH); cancel: the size to cancel down to
  uint32_t shares = 0;
  uint32_t price = 0;  // Price(4): 4 implied decimals

  uint16_t session = 0;  // client session index, < kMaxSessions
  uint16_t locate = 0;   // stock locate of the symbol (market data key), 0 = unknown
  uint8_t account = 0;   // account index (bit of the account kill mask), < 64
  IntentKind kind = IntentKind::new_order;
  Side side = Side::buy;  // modify: the new side (only S, T and E may change into each other)
  uint8_t reserved = 0;
};
static_assert(sizeof(OrderIntent) == 64);
static_assert(std::is_trivially_copyable_v<OrderIntent>);

}  // namespace sy::risk
