// The storage writer: appends raw packets (pcapng) and canonical records (CRC pages) into
// 4 KiB-aligned buffers and writes them with io_uring (O_DIRECT, registered buffers and files),
// tracking each stream's durable watermark.
//
// Threading: open() and the destructor run on the main thread; everything else on one thread
// (the storage lcore), which never blocks: it submits and reaps once per poll. Segment files
// are created, preallocated, finished and deleted by the Housekeeper thread.
//
// Write discipline: every byte is written once (a buffer is never rewritten, a partial one is
// padded to the next 4 KiB boundary), so a crash can tear only bytes past the watermark. After
// a failed write or sync in a segment, nothing at or after the failed offset is counted as
// persisted: the segment is finished at that offset and writing continues in a new one.
#pragma once

#include <liburing.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "storage/format.hpp"
#include "storage/housekeeper.hpp"
#include "storage/options.hpp"
#include "storage/state.hpp"

namespace sy::storage {

// Copies a packet's bytes into the buffer (the caller's packet may be a chain of segments).
using CopyFn = void (*)(const void* packet, uint8_t* dst, uint32_t len);

struct PacketIn {
  const void* packet = nullptr;  // handed to `copy`
  CopyFn copy = nullptr;
  uint32_t len = 0;   // bytes on the wire
  uint16_t port = 0;  // interface id
  uint16_t class_id = kNoClass;
  bool outbound = false;  // sent by the appliance
  uint64_t ts_ns = 0;     // timestamp written to the file (UTC)
  uint64_t start_ns = 0;  // receive time for the latency histogram (UTC); 0: unknown
};

class Writer {
 public:
  enum class Append : uint8_t {
    stored,   // in a buffer; its fate is reported through the watermark and counters
    dropped,  // no segment can be allocated (disk full): counted unpersisted already
    no_room,  // all buffers busy or the next segment not ready yet: try again later
  };

  // Recovers the directory, creates the ring, registers buffers and files, starts the
  // housekeeper. Throws std::runtime_error with a clear message.
  Writer(const Options& opts, StorageState& state);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  Append append_packet(const PacketIn& p, uint64_t now_ns);
  Append append_record(const CanonicalRecord& r, uint64_t start_ns, uint64_t now_ns);

  // Reaps completions, settles what became durable or failed, flushes partial buffers and
  // syncs by the policy, submits. One io_uring_submit at most. Returns work done.
  uint32_t poll(uint64_t now_ns);

  // Blocks until a completion arrives or `timeout_ns` passes (not for an lcore's hot loop: for
  // the benchmark and shutdown, where spinning would take the CPU from the kernel's I/O workers).
  void wait_completion(uint64_t timeout_ns);

  // Everything appended is settled (durable or counted) and nothing is in flight.
  bool idle() const;
  // Flushes every partial buffer regardless of policy (shutdown).
  void flush_all(uint64_t now_ns);
  // Blocks until idle (shutdown only), then hands the open segments to the housekeeper.
  void finish(uint64_t (*now_ns)());
  // Forced stop: buffered records that were never submitted are counted `abandoned`.
  void abandon();

  uint32_t hazards() const;  // HazardBit set
  uint64_t max_caplen() const { return max_caplen_; }

 private:
  enum class BufState : uint8_t {
    free,
    filling,
    queued,
    writing,
    written,
    syncing,
    durable,
    failed
  };
  struct Meta {
    uint64_t start_ns;
    uint16_t class_id;
  };
  // A registered, 4 KiB-aligned block of write memory. A Buffer holds one from when it starts
  // filling until its write completes (O_DIRECT: the kernel has the bytes), so a slow write or
  // a pending fdatasync holds a descriptor, not write memory.
  struct Block {
    uint8_t* data = nullptr;
    uint32_t reg_index = 0;
  };
  // A write: its records' metadata and progress; settled in offset order.
  struct Buffer {
    uint8_t* data = nullptr;  // the block's memory while it holds one
    uint64_t meta_first = 0;  // its records' entries in the stream's meta ring
    uint32_t reg_index = 0;
    int32_t block = -1;
    uint32_t used = 0;
    uint32_t len = 0;
    uint32_t done = 0;    // bytes written by earlier (short) completions, on a page boundary
    uint8_t retries = 0;  // resubmissions after short writes
    uint32_t records = 0;
    uint64_t first_sequence = 0;
    uint64_t offset = 0;
    uint64_t first_ns = 0;
    uint64_t submit_ns = 0;
    uint64_t write_ns = 0;    // when its write was submitted
    uint64_t durable_ns = 0;  // when its own write (batch) or covering sync (interval) completed
    int seg = -1;
    int err = 0;
    BufState state = BufState::free;
    bool slow_counted = false;
    // canonical: the page being filled
    uint32_t page_off = 0;
    uint32_t page_records = 0;
    bool page_open = false;
    uint64_t page_first_sequence = 0;
  };
  struct Segment {
    bool open = false;
    bool draining = false;  // takes no more appends
    bool failed = false;
    int slot = -1;
    uint64_t id = 0;
    uint64_t next_offset = 0;
    uint64_t opened_ns = 0;
    uint64_t fail_offset = UINT64_MAX;
    int fail_err = 0;
    uint32_t buffers = 0;  // buffers of this segment not yet settled
    uint64_t records = 0;
    bool close_pending = false;  // the housekeeper's queue was full: retry
    uint64_t close_length = 0;
  };
  struct StreamW {
    Stream kind = Stream::raw;
    bool enabled = false;
    StreamState* st = nullptr;
    std::vector<Buffer> bufs;
    std::vector<uint32_t> free_list;  // free descriptors
    std::vector<Block> blocks;
    std::vector<uint32_t> free_blocks;
    std::vector<uint32_t> fifo;  // submitted buffers in offset order
    // Receive time and class of every record appended and not yet settled, in append order
    // (which is settle order): a ring, so that descriptors waiting for a sync cost no memory
    // per record they could hold.
    std::vector<Meta> meta;
    uint64_t meta_head = 0, meta_tail = 0;
    size_t fifo_head = 0, fifo_count = 0;
    Buffer* cur = nullptr;
    Segment segs[2];
    int current = -1;
    uint32_t inflight_writes = 0;
    bool sync_inflight = false;
    uint64_t sync_submit_ns = 0;
    uint64_t unsynced_bytes = 0;  // written or being written, not yet covered by a sync
    uint64_t next_sequence = 0;
    uint64_t backlog_bytes = 0;
    bool dropping = false;
    bool hazard_full = false, hazard_io = false, hazard_slow = false;
  };

  bool prepare_room(StreamW& w, uint32_t need, uint64_t now);
  bool open_segment(StreamW& w, uint64_t now);
  void rotate(StreamW& w, uint64_t now);
  bool take_buffer(StreamW& w, uint64_t now);
  void finish_buffer(StreamW& w, Buffer& b, uint64_t now);
  void release_block(StreamW& w, Buffer& b);
  void close_canon_page(StreamW& w, Buffer& b);
  void queue_write(StreamW& w, Buffer& b);
  void submit_queued(StreamW& w, uint64_t now);
  void maybe_flush(StreamW& w, uint64_t now);
  void maybe_sync(StreamW& w, uint64_t now);
  uint32_t settle(StreamW& w, uint64_t now);
  void fail_segment(StreamW& w, Segment& s, uint64_t offset, int err);
  void close_segment(StreamW& w, int seg_index);
  void drop_record(StreamW& w, uint16_t class_id, Unpersisted why);
  void record_settled(StreamW& w, Buffer& b, bool ok, Unpersisted why, uint64_t now);
  void publish(StreamW& w, uint64_t now);
  uint32_t reap(uint64_t now);
  io_uring_sqe* sqe();
  bool meta_full(const StreamW& w) const { return w.meta_tail - w.meta_head == w.meta.size(); }
  static Meta& meta_at(StreamW& w, uint64_t i) { return w.meta[i & (w.meta.size() - 1)]; }
  Buffer& fifo_at(StreamW& w, size_t i) {
    return w.bufs[w.fifo[(w.fifo_head + i) % w.fifo.size()]];
  }
  static Unpersisted reason_of(int err);

  Options opts_;
  uint64_t stall_from_ns_ = 0;  // test hook window (options.hpp), set at the first poll
  uint64_t stall_until_ns_ = 0;
  uint32_t test_short_writes_left_ = 0;  // test hook (options.hpp)
  StorageState& state_;
  std::unique_ptr<Housekeeper> hk_;
  io_uring ring_{};
  bool ring_ok_ = false;
  uint32_t pending_sqes_ = 0;
  uint8_t* memory_ = nullptr;
  StreamW streams_[kStreams];
  uint64_t max_caplen_ = 0;
  bool force_sync_ = false;
};

}  // namespace sy::storage
