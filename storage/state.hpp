// What the storage lcore publishes to the rest of the appliance, and the one thing it takes
// from the control side: single-writer counters and watermarks, read lock-free by producers,
// the control lcore and the reporter.
//
// Durable watermark: `durable_sequence` of a stream is one past the last record whose fate is
// settled: every record of the stream with a lower sequence is either on disk and synced, or
// counted in `unpersisted` under a reason. Producers and the control lcore read it with acquire
// loads; it only grows.
//
// Retention authorisation: deleting segments is a destructive operation, refused while the
// safety mode is SAFE or EMERGENCY_STOP (seed 000 §5.2). An operator authorises it through the
// control API, which adds the number of bytes it may delete to `retention_authorized_bytes`;
// the housekeeper subtracts what it deletes (compare-and-swap, never below zero) and records
// each deletion as an event.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "src/common/counter.hpp"
#include "src/common/histogram.hpp"
#include "storage/format.hpp"

namespace sy::storage {

// Why records were not persisted (each maps to a DropReason of the appliance's list).
enum class Unpersisted : uint8_t {
  disk_full = 0,   // ENOSPC/EDQUOT on a write, or no segment could be allocated
  storage_io = 1,  // EIO and other write or sync errors, short writes past their retries
  abandoned = 2,   // still buffered when a forced stop ended the lcore
};
inline constexpr size_t kUnpersistedReasons = 3;
const char* to_string(Unpersisted r);

struct alignas(64) StreamState {
  std::atomic<uint64_t> next_sequence{0};     // sequence the next accepted record gets
  std::atomic<uint64_t> durable_sequence{0};  // watermark (see above)
  std::atomic<uint64_t> durable_ns{0};        // UTC when the watermark last moved
  std::atomic<uint64_t> backlog_bytes{0};     // appended, not yet settled
  Counter accepted;                           // records handed to the writer
  Counter persisted;                          // records durable
  Counter persisted_bytes;                    // bytes of durable writes (with padding)
  Counter unpersisted[kUnpersistedReasons];
  Counter writes, write_bytes, syncs, short_writes, write_errors, sync_errors, slow_ops;
  Counter write_retries;  // remainders of short writes resubmitted
  Counter pad_bytes;      // padding written to end a write on a 4 KiB boundary
  Counter segments_opened;
  Counter segment_waits;        // appends that found no segment ready (backpressure)
  Counter truncated;            // raw: packets captured shorter than their length
  Counter latency_unknown;      // records whose start time is not known (capture clock)
  Histogram latency;            // receive -> durable, ns
  Histogram watermark_latency;  // receive -> the durable watermark passed it, ns
  Histogram queue_latency;      // receive -> its write was submitted (time in the writer), ns
  Histogram io_latency;         // submit -> completion of each write and fdatasync, ns
  uint64_t unpersisted_total() const {
    uint64_t n = 0;
    for (const auto& c : unpersisted) n += c.get();
    return n;
  }
};

inline constexpr uint16_t kNoClass = 0xffff;  // records not attributed to a traffic class
inline constexpr size_t kMaxClasses = 64;

// Per-class books of the raw stream (single writer: the storage lcore).
struct ClassBook {
  Counter persisted[kMaxClasses];
  Counter unpersisted[kMaxClasses];
};

// One thing recovery cut from a segment, or removed.
struct RecoveryCut {
  std::string segment;
  uint64_t file_bytes = 0;
  uint64_t kept_bytes = 0;
  bool removed = false;         // nothing valid was left: the file was deleted
  bool tail_unwritten = false;  // what was cut was never-written (zero) space only
  std::string reason;
};

// Events for the audit trail: retention deletions and refusals, recoveries, hazards.
struct StoreEvent {
  uint64_t time_ns = 0;
  std::string kind;  // "storage.retention.deleted", "storage.retention.refused", ...
  std::string detail;
};

struct StorageState {
  bool enabled = false;
  std::string dir;
  StreamState streams[kStreams];
  ClassBook classes;

  // Set by the control API (operator authorisation, audited there); consumed by retention.
  std::atomic<uint64_t> retention_authorized_bytes{0};

  // Housekeeper (a non-EAL thread) -> storage lcore: conditions the lcore raises as hazards.
  std::atomic<bool> disk_low{false};  // free space under the reserve after retention
  std::atomic<uint64_t> free_bytes{0};
  std::atomic<uint64_t> store_bytes{0};  // bytes of every segment in the directory
  Counter retention_deleted_segments, retention_deleted_bytes, retention_refused;
  Counter segment_create_errors;
  // Zero-filled spare segments (Options::spare_segments), housekeeper-written.
  std::atomic<uint64_t> spare_segments_ready{0};
  Counter spare_segments_used;     // segments that started as a spare
  Counter segments_preallocated;   // segments that started as fallocate'd (unwritten) space
  Counter spare_fill_bytes;        // zeroes written into spares
  Counter spare_segments_removed;  // spares deleted to keep free space above the reserve

  // Written once before launch.
  std::vector<RecoveryCut> recovery;
  uint64_t recovered_segments = 0;

  // Appended by the housekeeper and the lcore's cold paths; read by the reporter.
  void add_event(uint64_t time_ns, std::string kind, std::string detail);
  std::vector<StoreEvent> events_copy() const;
  uint64_t events_unlisted() const;

 private:
  mutable std::mutex events_mu_;  // never taken on an lcore's per-packet path
  std::vector<StoreEvent> events_;
  uint64_t events_unlisted_ = 0;
};

}  // namespace sy::storage
