// Recovery at start: the newest segments of each stream are scanned (pcapng block chains,
// canonical page CRCs); a torn or unwritten tail is cut off, a segment with nothing valid is
// removed, and each cut is recorded for the integrity report. Writing then continues in a new
// segment, numbered after the newest, with the sequences continuing after the last record kept.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/state.hpp"

namespace sy::storage {

struct RecoveryResult {
  uint64_t next_segment_id[kStreams] = {1, 1};
  uint64_t next_sequence[kStreams] = {0, 0};
  uint64_t scanned = 0;
  std::vector<RecoveryCut> cuts;
};

inline constexpr size_t kRecoverNewest = 3;  // open, draining, and preallocated next

// Creates `dir` when missing. Throws std::runtime_error with a clear message when the
// directory cannot be used. `dry_run`: report what would be cut, change nothing.
RecoveryResult recover_store(const std::string& dir, bool dry_run = false);

}  // namespace sy::storage
