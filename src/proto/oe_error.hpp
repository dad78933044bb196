// The one list of reasons why a UFO packet or an OUCH 4.2 message could not be used as is.
//
// Kept apart from ProtoError (market data) so the feed reports and their committed ground truth
// do not grow order-entry rows. Same shape: an X-macro list, names for counters and reports,
// plain per-lcore counters. The codecs never throw: they return one of these.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sy::proto {

// X(name, what): `what` is the one-line explanation printed beside the counter.
#define SY_OE_ERRORS(X)                                                                    \
  X(ouch_empty, "OUCH message of 0 bytes")                                                 \
  X(ouch_unknown_type, "OUCH type letter not in the 4.2 table for this direction")         \
  X(ouch_short, "OUCH message shorter than its type's length")                             \
  X(ouch_long, "OUCH message longer than its type's length")                               \
  X(ufo_empty, "UFO datagram of 0 bytes")                                                  \
  X(ufo_unknown_type, "UFO downstream packet type not A, J, S or E")                       \
  X(ufo_bad_length, "UFO login accept/reject or end of session not exactly its length")    \
  X(ufo_short_header, "UFO sequenced data packet shorter than its 7-byte header")          \
  X(ufo_block_truncated, "UFO block length or data runs past the datagram; rest unframed") \
  X(ufo_trailing_bytes, "UFO bytes left after the announced sequenced blocks")             \
  X(ufo_block_empty, "UFO upstream block of length 0")                                     \
  X(ufo_block_too_long, "UFO block longer than the protocol allows")                       \
  X(ufo_unknown_message, "UFO upstream message type not L, T, U, R or O")                  \
  X(ufo_bad_message_length,                                                                \
    "UFO upstream login, retransmission, heartbeat or logoff of wrong length")

enum class OeError : uint8_t {
#define SY_X(name, what) name,
  SY_OE_ERRORS(SY_X)
#undef SY_X
};

inline constexpr size_t kOeErrorCount = 0
#define SY_X(name, what) +1
    SY_OE_ERRORS(SY_X)
#undef SY_X
    ;

inline constexpr const char* kOeErrorNames[kOeErrorCount] = {
#define SY_X(name, what) #name,
    SY_OE_ERRORS(SY_X)
#undef SY_X
};

inline constexpr const char* kOeErrorDescriptions[kOeErrorCount] = {
#define SY_X(name, what) what,
    SY_OE_ERRORS(SY_X)
#undef SY_X
};

constexpr const char* to_string(OeError e) { return kOeErrorNames[static_cast<size_t>(e)]; }
constexpr const char* describe(OeError e) { return kOeErrorDescriptions[static_cast<size_t>(e)]; }

// Plain per-lcore counters (no atomics), one per owning lcore, like ProtoErrorCounters.
struct OeErrorCounters {
  uint64_t by_reason[kOeErrorCount] = {};

  void add(OeError e, uint64_t n = 1) noexcept { by_reason[static_cast<size_t>(e)] += n; }
  uint64_t operator[](OeError e) const noexcept { return by_reason[static_cast<size_t>(e)]; }
  uint64_t total() const noexcept {
    uint64_t sum = 0;
    for (uint64_t v : by_reason) sum += v;
    return sum;
  }
};

}  // namespace sy::proto
