// The one list of reasons why a MoldUDP64 packet or an ITCH 5.0 message could not be used as is.
//
// The codecs never throw on malformed input: they count it here and carry on with whatever the
// framing still allows, so one bad block costs one message, not a packet or a session. Counters,
// reports and metrics iterate this list, so a new reason shows up everywhere at once.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sy::proto {

// X(name, what): `what` is the one-line explanation printed beside the counter.
#define SY_PROTO_ERRORS(X)                                                                      \
  X(mold_short_header, "MoldUDP64 packet shorter than its 20-byte header")                      \
  X(mold_block_truncated, "MoldUDP64 block length or data runs past the packet; rest unframed") \
  X(mold_trailing_bytes, "MoldUDP64 bytes left after the announced blocks")                     \
  X(mold_request_bad_length, "MoldUDP64 re-request not exactly 20 bytes")                       \
  X(itch_empty, "ITCH block of 0 bytes")                                                        \
  X(itch_unknown_type, "ITCH type letter not in the 5.0 table")                                 \
  X(itch_short, "ITCH block shorter than its type's length")

enum class ProtoError : uint8_t {
#define SY_X(name, what) name,
  SY_PROTO_ERRORS(SY_X)
#undef SY_X
};

inline constexpr size_t kProtoErrorCount = 0
#define SY_X(name, what) +1
    SY_PROTO_ERRORS(SY_X)
#undef SY_X
    ;

inline constexpr const char* kProtoErrorNames[kProtoErrorCount] = {
#define SY_X(name, what) #name,
    SY_PROTO_ERRORS(SY_X)
#undef SY_X
};

inline constexpr const char* kProtoErrorDescriptions[kProtoErrorCount] = {
#define SY_X(name, what) what,
    SY_PROTO_ERRORS(SY_X)
#undef SY_X
};

constexpr const char* to_string(ProtoError e) { return kProtoErrorNames[static_cast<size_t>(e)]; }
constexpr const char* describe(ProtoError e) {
  return kProtoErrorDescriptions[static_cast<size_t>(e)];
}

// Plain per-lcore counters (no atomics): each decoding lcore owns one and the reporter reads
// them after the lcore has stopped, or tolerates a torn read of a monotonic count.
struct ProtoErrorCounters {
  uint64_t by_reason[kProtoErrorCount] = {};
  // Messages a packet announced (Message Count) but whose blocks could not be framed because of
  // mold_block_truncated: their sequence numbers are gone from this packet and must be recovered.
  uint64_t mold_messages_lost = 0;

  void add(ProtoError e, uint64_t n = 1) noexcept { by_reason[static_cast<size_t>(e)] += n; }
  uint64_t operator[](ProtoError e) const noexcept { return by_reason[static_cast<size_t>(e)]; }
  uint64_t total() const noexcept {
    uint64_t sum = 0;
    for (uint64_t v : by_reason) sum += v;
    return sum;
  }
};

}  // namespace sy::proto
