// The writer's settings, in the units it works in (bytes, nanoseconds). The appliance fills
// them from the `storage:` section of the configuration; tests and the benchmark directly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sy {
struct SafetyState;
}

namespace sy::storage {

enum class SyncPolicy : uint8_t {
  batch,     // every write is a durable write (RWF_DSYNC): durable when it completes
  interval,  // plain writes, one fdatasync for everything written once the oldest unsynced
             // record is sync_interval_ns old or sync_bytes are unsynced (group commit)
};

struct Options {
  std::string dir;
  uint32_t block_bytes = 64 * 1024;  // write unit; a multiple of 4 KiB
  uint32_t queue_depth = 8;          // writes in flight per stream
  uint32_t buffers = 32;             // write buffers per stream, > queue_depth
  // Records per stream appended and not yet settled (their receive time and class are kept
  // until then, 16 bytes each); a power of two. Full: appends wait, as with no free buffer.
  uint32_t pending_records = 1u << 18;
  uint64_t segment_bytes = 256ull << 20;
  uint64_t rotate_interval_ns = 0;        // 0: by size only
  uint64_t retention_bytes = 0;           // 0: keep everything
  uint64_t reserve_bytes = 256ull << 20;  // free space retention keeps; under it: disk_low
  // Zero-filled segment files kept ready ("spares"). fallocate leaves unwritten extents, and
  // every durable write into one also commits the file system's journal (the extent becomes
  // written); a write into written space is a data write and a flush only. The housekeeper
  // fills spares in the background at spare_fill_bytes_per_s and takes one for each new
  // segment; with none ready a segment is preallocated as before. 0: off.
  uint32_t spare_segments = 0;
  uint64_t spare_fill_bytes_per_s = 256ull << 20;
  SyncPolicy sync = SyncPolicy::batch;
  uint64_t sync_interval_ns = 1'000'000;
  uint64_t sync_bytes = 1ull << 20;
  // Adaptive group commit: a partial buffer is written at once while the stream has no write in
  // flight (an idle device: latency), otherwise only when it is full or its oldest record is
  // flush_age_ns old (a busy device: full blocks, throughput). 0: whenever a write slot is free.
  uint64_t flush_age_ns = 1'000'000;
  uint64_t backlog_hazard_bytes = 64ull << 20;
  uint64_t slow_ns = 100'000'000;  // a write or sync slower than this is a slow completion
  bool stream_enabled[2] = {true, true};
  std::vector<std::string> port_names;  // raw segments: one interface per port, in this order
  // Write buffer memory (4 KiB aligned): hugepage memory in the appliance. Defaults to
  // std::aligned_alloc / std::free.
  void* (*alloc)(size_t bytes, size_t align) = nullptr;
  void (*release)(void* p) = nullptr;
  const SafetyState* safety = nullptr;            // read by retention; null: always NORMAL
  uint64_t housekeeping_period_ns = 100'000'000;  // retention and free-space checks
  // Test hook: completions go unreaped for test_stall_ns, test_stall_after_ns after the first
  // record was appended (a device that stops answering while written to). 0: off.
  uint64_t test_stall_after_ns = 0;
  uint64_t test_stall_ns = 0;
  // Test hook: the next test_short_writes write submissions (first writes and retries alike)
  // ask the kernel for only half of what is left, so their completions are short writes.
  uint32_t test_short_writes = 0;
};

// Checks the relations between the settings; empty when fine.
std::string validate(const Options& o);

}  // namespace sy::storage
