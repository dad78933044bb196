// The one list of reasons why a packet or record was not delivered.
//
// Counters, the exit summary, the integrity report and metrics all iterate this list, so a
// new reason shows up everywhere at once. `loss` marks reasons that mean capacity ran out
// (exit code 3); malformed and unclassified input is counted and reported but is not loss, and
// neither are the appliance's own network upkeep frames (ARP, IGMP) that a full or unconnected
// tx queue refused (`upkeep_unsent`): they are retried, and no data was in them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sy {

// X(name, loss)
#define SY_DROP_REASONS(X)    \
  X(runt, false)              \
  X(ipv4_bad_header, false)   \
  X(ipv4_bad_checksum, false) \
  X(ipv4_fragment, false)     \
  X(udp_truncated, false)     \
  X(unclassified, false)      \
  X(ring_full, true)          \
  X(nic_no_mbuf, true)        \
  X(nic_missed, true)         \
  X(nic_error, true)          \
  X(tx_full, true)            \
  X(upkeep_unsent, false)     \
  X(shed_p1, true)            \
  X(shed_p2, true)            \
  X(capture_shed_p1, true)    \
  X(capture_shed_p2, true)    \
  X(left_in_ring, true)       \
  X(unpersisted, true)        \
  X(disk_full, true)          \
  X(storage_io, true)         \
  X(unauthorized, false)      \
  X(session_malformed, false)

enum class DropReason : uint8_t {
#define SY_X(name, loss) name,
  SY_DROP_REASONS(SY_X)
#undef SY_X
};

inline constexpr size_t kDropReasonCount = 0
#define SY_X(name, loss) +1
    SY_DROP_REASONS(SY_X)
#undef SY_X
    ;

inline constexpr const char* kDropReasonNames[kDropReasonCount] = {
#define SY_X(name, loss) #name,
    SY_DROP_REASONS(SY_X)
#undef SY_X
};

inline constexpr bool kDropReasonIsLoss[kDropReasonCount] = {
#define SY_X(name, loss) loss,
    SY_DROP_REASONS(SY_X)
#undef SY_X
};

constexpr const char* to_string(DropReason r) { return kDropReasonNames[static_cast<size_t>(r)]; }
constexpr bool is_loss(DropReason r) { return kDropReasonIsLoss[static_cast<size_t>(r)]; }

}  // namespace sy
