#include "storage/writer.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/uio.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "src/common/safety.hpp"
#include "storage/recovery.hpp"

namespace sy::storage {

namespace {

constexpr uint8_t kOpWrite = 1;
constexpr uint8_t kOpSync = 2;
// A short write is resubmitted for its remainder this many times before its records (and the
// rest of its segment) are given up as not persisted.
constexpr uint8_t kMaxWriteRetries = 3;

uint64_t tag(Stream s, uint8_t op, uint32_t index) {
  return uint64_t{static_cast<uint8_t>(s)} << 40 | uint64_t{op} << 32 | index;
}

void* default_alloc(size_t bytes, size_t align) {
  return std::aligned_alloc(align, (bytes + align - 1) / align * align);
}

// Descriptors per stream: one per write block, plus those of writes that have given their
// block back and wait: for an earlier, slower write to settle (up to 3 per block, at most 256)
// or, with group commit, for the fdatasync covering them. Those are a sync window's worth of
// writes twice over, so that writing goes on at full speed while one fdatasync is in flight
// (with fewer, every sync would stall the stream once its descriptors ran out).
constexpr uint64_t kMaxSyncWindowDescriptors = 16384;
size_t descriptors(const Options& o) {
  size_t waiting = std::min<size_t>(3 * size_t{o.buffers}, 256);
  if (o.sync == SyncPolicy::interval) {
    const uint64_t window = (o.sync_bytes + o.block_bytes - 1) / o.block_bytes;
    waiting = std::max<size_t>(
        waiting, std::min<uint64_t>(2 * window + o.queue_depth, kMaxSyncWindowDescriptors));
  }
  return o.buffers + waiting;
}

uint32_t ring_entries(uint32_t queue_depth) {
  uint32_t n = 8;
  while (n < 2 * (queue_depth + 2)) n <<= 1;
  return n;
}

}  // namespace

const char* to_string(Unpersisted r) {
  switch (r) {
    case Unpersisted::disk_full:
      return "disk_full";
    case Unpersisted::storage_io:
      return "storage_io";
    case Unpersisted::abandoned:
      return "abandoned";
  }
  return "?";
}

std::string validate(const Options& o) {
  if (o.dir.empty()) return "no directory";
  if (o.block_bytes < 16 * 1024 || o.block_bytes % kPageBytes != 0)
    return "block size must be a multiple of 4 KiB, at least 16 KiB";
  if (o.queue_depth == 0 || o.buffers < o.queue_depth + 2)
    return "buffers (" + std::to_string(o.buffers) + ") must exceed queue_depth (" +
           std::to_string(o.queue_depth) + ") by at least 2";
  if (o.segment_bytes < 2ull * o.block_bytes || o.segment_bytes % kPageBytes != 0)
    return "segment size must be a multiple of 4 KiB and hold at least two blocks";
  if (o.pending_records < 1024 || (o.pending_records & (o.pending_records - 1)) != 0)
    return "pending records must be a power of two, at least 1024";
  if (o.spare_segments > 64) return "spare segments must be at most 64";
  if (o.spare_segments != 0 && o.spare_fill_bytes_per_s == 0)
    return "spare segments need a fill rate above 0";
  return "";
}

Writer::Writer(const Options& opts, StorageState& state) : opts_(opts), state_(state) {
  const std::string bad = validate(opts_);
  if (!bad.empty()) throw std::runtime_error("storage: " + bad);
  if (!opts_.alloc) {
    opts_.alloc = default_alloc;
    opts_.release = std::free;
  }
  state_.enabled = true;
  state_.dir = opts_.dir;
  test_short_writes_left_ = opts_.test_short_writes;
  const RecoveryResult rec = recover_store(opts_.dir);
  state_.recovery = rec.cuts;
  state_.recovered_segments = rec.scanned;

  // A packet of max_caplen always fits an empty buffer together with its padding.
  max_caplen_ = std::min<uint64_t>(65535, opts_.block_bytes - kEpbOverhead - kPageBytes - 16);
  const size_t nbuf = size_t{opts_.buffers} * kStreams;
  memory_ = static_cast<uint8_t*>(opts_.alloc(nbuf * opts_.block_bytes, kPageBytes));
  if (memory_ == nullptr) throw std::runtime_error("storage: cannot allocate write buffers");
  std::memset(memory_, 0, nbuf * opts_.block_bytes);
  const size_t ndesc = descriptors(opts_);

  const int rc = io_uring_queue_init(ring_entries(opts_.queue_depth) * 2, &ring_, 0);
  if (rc < 0)
    throw std::runtime_error(std::string("storage: io_uring_queue_init: ") + std::strerror(-rc));
  ring_ok_ = true;
  std::vector<iovec> iov(nbuf);
  for (size_t i = 0; i < nbuf; ++i) iov[i] = {memory_ + i * opts_.block_bytes, opts_.block_bytes};
  int r = io_uring_register_buffers(&ring_, iov.data(), static_cast<unsigned>(nbuf));
  if (r < 0)
    throw std::runtime_error(std::string("storage: register buffers: ") + std::strerror(-r));
  int files[2 * kStreams];
  std::fill(std::begin(files), std::end(files), -1);
  r = io_uring_register_files(&ring_, files, 2 * kStreams);
  if (r < 0) throw std::runtime_error(std::string("storage: register files: ") + std::strerror(-r));

  for (size_t s = 0; s < kStreams; ++s) {
    StreamW& w = streams_[s];
    w.kind = static_cast<Stream>(s);
    w.enabled = opts_.stream_enabled[s];
    w.st = &state_.streams[s];
    w.next_sequence = rec.next_sequence[s];
    w.st->next_sequence.store(w.next_sequence);
    w.st->durable_sequence.store(w.next_sequence);
    w.bufs.resize(ndesc);
    w.fifo.resize(ndesc);
    for (size_t i = 0; i < ndesc; ++i) w.free_list.push_back(static_cast<uint32_t>(ndesc - 1 - i));
    if (w.enabled) w.meta.resize(opts_.pending_records);
    w.blocks.resize(opts_.buffers);
    for (uint32_t i = 0; i < opts_.buffers; ++i) {
      const size_t g = s * opts_.buffers + i;
      w.blocks[i] = {memory_ + g * opts_.block_bytes, static_cast<uint32_t>(g)};
      w.free_blocks.push_back(opts_.buffers - 1 - i);
    }
  }
  hk_ = std::make_unique<Housekeeper>(opts_, state_, rec.next_segment_id);
  hk_->start();
}

Writer::~Writer() {
  if (ring_ok_) io_uring_queue_exit(&ring_);  // waits for what is still in flight
  if (hk_) hk_->stop();
  if (memory_) opts_.release(memory_);
}

Unpersisted Writer::reason_of(int err) {
  return (err == ENOSPC || err == EDQUOT) ? Unpersisted::disk_full : Unpersisted::storage_io;
}

io_uring_sqe* Writer::sqe() {
  io_uring_sqe* e = io_uring_get_sqe(&ring_);
  if (e == nullptr) {  // sized for every write and sync in flight: only after a burst of both
    io_uring_submit(&ring_);
    pending_sqes_ = 0;
    e = io_uring_get_sqe(&ring_);
  }
  return e;
}

// --- appending --------------------------------------------------------------------------------

Writer::Append Writer::append_packet(const PacketIn& p, uint64_t now) {
  StreamW& w = streams_[static_cast<size_t>(Stream::raw)];
  assert(w.enabled);
  const uint32_t caplen = static_cast<uint32_t>(std::min<uint64_t>(p.len, max_caplen_));
  const uint32_t need = epb_bytes(caplen);
  if (meta_full(w)) return Append::no_room;  // settles as writes become durable
  if (!prepare_room(w, need, now)) {
    if (!w.dropping) return Append::no_room;
    drop_record(w, p.class_id, reason_of(hk_->create_errno(w.kind)));
    return Append::dropped;
  }
  Buffer& b = *w.cur;
  uint8_t* block = b.data + b.used;
  uint8_t* dst = epb_begin(block, p.port, p.ts_ns, caplen, p.len);
  p.copy(p.packet, dst, caplen);
  epb_finish(block, caplen, p.outbound, w.next_sequence);
  if (b.records == 0) b.first_ns = now;
  meta_at(w, w.meta_tail++) = {p.start_ns, p.class_id};
  ++b.records;
  b.used += need;
  ++w.segs[w.current].records;
  ++w.next_sequence;
  w.backlog_bytes += need;
  w.st->accepted.inc();
  if (caplen < p.len) w.st->truncated.inc();
  return Append::stored;
}

Writer::Append Writer::append_record(const CanonicalRecord& r, uint64_t start_ns, uint64_t now) {
  StreamW& w = streams_[static_cast<size_t>(Stream::canonical)];
  assert(w.enabled);
  if (meta_full(w)) return Append::no_room;
  if (!prepare_room(w, sizeof(CanonicalRecord), now)) {
    if (!w.dropping) return Append::no_room;
    drop_record(w, kNoClass, reason_of(hk_->create_errno(w.kind)));
    return Append::dropped;
  }
  Buffer& b = *w.cur;
  assert(b.page_open && b.page_records < kRecordsPerPage);
  if (b.page_records == 0) b.page_first_sequence = w.next_sequence;
  std::memcpy(
      b.data + b.page_off + sizeof(CanonPageHeader) + b.page_records * sizeof(CanonicalRecord), &r,
      sizeof r);
  ++b.page_records;
  if (b.records == 0) b.first_ns = now;
  meta_at(w, w.meta_tail++) = {start_ns, kNoClass};
  ++b.records;
  ++w.segs[w.current].records;
  ++w.next_sequence;
  w.backlog_bytes += sizeof r;
  w.st->accepted.inc();
  return Append::stored;
}

void Writer::drop_record(StreamW& w, uint16_t class_id, Unpersisted why) {
  // A dropped record still takes a sequence: the gap in the stored sequence shows the loss.
  ++w.next_sequence;
  w.st->accepted.inc();
  w.st->unpersisted[static_cast<size_t>(why)].inc();
  if (class_id != kNoClass) state_.classes.unpersisted[class_id].inc();
  if (why == Unpersisted::disk_full)
    w.hazard_full = true;
  else
    w.hazard_io = true;
}

// Makes sure the current buffer can take `need` more bytes (raw) or one record (canonical):
// opens, rotates and finishes segments and buffers as needed.
bool Writer::prepare_room(StreamW& w, uint32_t need, uint64_t now) {
  for (int attempt = 0; attempt < 4; ++attempt) {
    if (w.current < 0) {
      if (!open_segment(w, now)) return false;
      continue;
    }
    Segment& s = w.segs[w.current];
    if (s.failed ||
        (opts_.rotate_interval_ns && s.records && now - s.opened_ns >= opts_.rotate_interval_ns)) {
      rotate(w, now);
      continue;
    }
    if (w.cur == nullptr && !take_buffer(w, now)) return false;
    Buffer& b = *w.cur;
    const uint64_t limit = std::min<uint64_t>(opts_.block_bytes, opts_.segment_bytes - b.offset);
    if (w.kind == Stream::raw) {
      const uint64_t u = uint64_t{b.used} + need;
      if (u <= limit && u + pcapng_pad_to_page(u) <= limit) return true;
    } else {
      if (b.page_open && b.page_records < kRecordsPerPage) return true;
      const uint32_t next_page = b.page_open ? b.page_off + kPageBytes : b.used;
      if (next_page + kPageBytes <= limit) {
        if (b.page_open) close_canon_page(w, b);
        b.page_off = next_page;
        b.page_open = true;
        b.page_records = 0;
        b.used = next_page + kPageBytes;
        w.backlog_bytes += sizeof(CanonPageHeader);
        return true;
      }
    }
    if (limit < opts_.block_bytes) {
      rotate(w, now);  // the segment is full
    } else {
      finish_buffer(w, b, now);
    }
  }
  return false;
}

bool Writer::open_segment(StreamW& w, uint64_t now) {
  int idx = -1;
  for (int i = 0; i < 2; ++i)
    if (!w.segs[i].open) idx = i;
  if (idx < 0 || w.free_list.empty() || w.free_blocks.empty()) {
    w.st->segment_waits.inc();
    return false;
  }
  const int err = hk_->create_errno(w.kind);
  uint64_t id = 0;
  int fd = hk_->take_ready(w.kind, &id);
  if (fd < 0) {
    w.dropping = err != 0;
    if (w.dropping) {
      if (reason_of(err) == Unpersisted::disk_full)
        w.hazard_full = true;
      else
        w.hazard_io = true;
    } else {
      w.st->segment_waits.inc();
    }
    return false;
  }
  const int slot = static_cast<int>(static_cast<size_t>(w.kind) * 2) + idx;
  // A registration is a system call, once per segment (rotation is rare by design).
  const int rc = io_uring_register_files_update(&ring_, static_cast<unsigned>(slot), &fd, 1);
  if (rc < 0) {
    hk_->request_close({w.kind, id, 0});
    w.hazard_io = true;
    w.dropping = true;
    return false;
  }
  Segment& s = w.segs[idx];
  s = Segment{};
  s.open = true;
  s.slot = slot;
  s.id = id;
  s.opened_ns = now;
  w.current = idx;
  w.dropping = false;
  w.st->segments_opened.inc();
  take_buffer(w, now);
  Buffer& b = *w.cur;
  if (w.kind == Stream::raw) {
    b.used =
        static_cast<uint32_t>(write_pcapng_head(b.data, opts_.block_bytes, id, opts_.port_names));
    assert(b.used > 0);
  } else {
    write_canon_segment_header(b.data, id, now);
    b.used = kPageBytes;
  }
  w.backlog_bytes += b.used;
  return true;
}

void Writer::rotate(StreamW& w, uint64_t now) {
  assert(w.current >= 0);
  Segment& s = w.segs[w.current];
  if (w.cur) finish_buffer(w, *w.cur, now);
  s.draining = true;
  if (s.buffers == 0) close_segment(w, w.current);
  w.current = -1;
}

bool Writer::take_buffer(StreamW& w, uint64_t now) {
  (void)now;
  if (w.free_list.empty() || w.free_blocks.empty()) return false;
  Segment& s = w.segs[w.current];
  Buffer& b = w.bufs[w.free_list.back()];
  w.free_list.pop_back();
  assert(b.block < 0);
  b.block = static_cast<int32_t>(w.free_blocks.back());
  w.free_blocks.pop_back();
  b.data = w.blocks[static_cast<size_t>(b.block)].data;
  b.reg_index = w.blocks[static_cast<size_t>(b.block)].reg_index;
  b.durable_ns = 0;
  b.used = b.len = b.records = 0;
  b.meta_first = w.meta_tail;
  b.done = 0;
  b.retries = 0;
  b.first_sequence = w.next_sequence;
  b.offset = s.next_offset;
  b.first_ns = b.submit_ns = 0;
  b.seg = w.current;
  b.err = 0;
  b.state = BufState::filling;
  b.slow_counted = false;
  b.page_off = b.page_records = 0;
  b.page_open = false;
  ++s.buffers;
  w.cur = &b;
  return true;
}

// Ends a buffer on a 4 KiB boundary and queues its write; an empty one goes back to the pool.
void Writer::finish_buffer(StreamW& w, Buffer& b, uint64_t now) {
  Segment& s = w.segs[b.seg];
  if (w.cur == &b) w.cur = nullptr;
  if (w.kind == Stream::raw) {
    const uint32_t pad = pcapng_pad_to_page(b.used);
    if (pad && b.used) {
      write_pad_block(b.data + b.used, pad);
      w.st->pad_bytes.add(pad);
      b.used += pad;
      w.backlog_bytes += pad;
    }
  } else if (b.page_open) {
    close_canon_page(w, b);
  }
  if (b.records == 0) {
    // Nothing but a segment head (or nothing at all): not worth a write. A segment that never
    // got a record is closed at length 0 and removed.
    w.backlog_bytes -= std::min<uint64_t>(w.backlog_bytes, b.used);
    --s.buffers;
    b.state = BufState::free;
    release_block(w, b);
    w.free_list.push_back(static_cast<uint32_t>(&b - w.bufs.data()));
    return;
  }
  assert(b.used % kPageBytes == 0 && b.used <= opts_.block_bytes);
  if (b.first_ns == 0) b.first_ns = now;
  b.len = b.used;
  s.next_offset = b.offset + b.len;
  b.state = BufState::queued;
  assert(w.fifo_count < w.fifo.size());
  w.fifo[(w.fifo_head + w.fifo_count) % w.fifo.size()] = static_cast<uint32_t>(&b - w.bufs.data());
  ++w.fifo_count;
}

void Writer::release_block(StreamW& w, Buffer& b) {
  if (b.block < 0) return;
  w.free_blocks.push_back(static_cast<uint32_t>(b.block));
  b.block = -1;
  b.data = nullptr;
}

void Writer::close_canon_page(StreamW& w, Buffer& b) {
  uint8_t* page = b.data + b.page_off;
  const uint32_t unused = kRecordsPerPage - b.page_records;
  std::memset(page + sizeof(CanonPageHeader) + b.page_records * sizeof(CanonicalRecord), 0,
              unused * sizeof(CanonicalRecord));
  const uint64_t page_index = (b.offset + b.page_off) / kPageBytes - 1;
  seal_canon_page(page, w.segs[b.seg].id, page_index, b.page_first_sequence,
                  static_cast<uint16_t>(b.page_records));
  w.st->pad_bytes.add(unused * sizeof(CanonicalRecord));
  w.backlog_bytes += unused * sizeof(CanonicalRecord);
  b.page_open = false;
}

// --- the I/O loop -------------------------------------------------------------------------------

void Writer::submit_queued(StreamW& w, uint64_t now) {
  for (size_t i = 0; i < w.fifo_count && w.inflight_writes < opts_.queue_depth; ++i) {
    Buffer& b = fifo_at(w, i);
    if (b.state != BufState::queued) continue;
    Segment& s = w.segs[b.seg];
    if (s.failed && b.offset >= s.fail_offset) {
      b.state = BufState::failed;  // past a failure in its segment: never written
      b.err = s.fail_err;
      release_block(w, b);
      continue;
    }
    io_uring_sqe* e = sqe();
    if (e == nullptr) return;
    // The part not yet written: all of it, or a short write's remainder (from a 4 KiB boundary).
    assert(b.done % kPageBytes == 0 && b.done < b.len);
    uint32_t len = b.len - b.done;
    if (test_short_writes_left_ > 0 && len > kPageBytes) {
      // Test hook: ask for half; the kernel's completion is then a short write, for real.
      len = std::max<uint32_t>(kPageBytes, len / 2 / kPageBytes * kPageBytes);
      --test_short_writes_left_;
    }
    io_uring_prep_write_fixed(e, s.slot, b.data + b.done, len, b.offset + b.done,
                              static_cast<int>(b.reg_index));
    e->flags |= IOSQE_FIXED_FILE;
    if (opts_.sync == SyncPolicy::batch) e->rw_flags = RWF_DSYNC;
    io_uring_sqe_set_data64(e, tag(w.kind, kOpWrite, static_cast<uint32_t>(&b - w.bufs.data())));
    b.state = BufState::writing;
    b.submit_ns = now;
    if (b.retries == 0) b.write_ns = now;  // the queue latency ends at the first submission
    ++w.inflight_writes;
    ++pending_sqes_;
    w.st->writes.inc();
    w.st->write_bytes.add(len);
  }
}

// Ends the partial buffer when the policy wants its records on their way to the disk.
void Writer::maybe_flush(StreamW& w, uint64_t now) {
  if (w.cur == nullptr || w.cur->records == 0) return;
  bool flush;
  if (opts_.sync == SyncPolicy::batch) {
    // A durable write per batch; while the device is busy, records gather into the next one.
    flush = w.inflight_writes == 0 ||
            (w.inflight_writes < opts_.queue_depth && now - w.cur->first_ns >= opts_.flush_age_ns);
  } else {
    // Idle (nothing written or syncing): at once; busy: by age and size as before.
    flush = force_sync_ || (w.inflight_writes == 0 && !w.sync_inflight) ||
            now - w.cur->first_ns >= opts_.sync_interval_ns ||
            w.unsynced_bytes + w.cur->used >= opts_.sync_bytes;
  }
  if (flush) finish_buffer(w, *w.cur, now);
}

// Group commit (interval policy): one fdatasync covers every write of a segment that has
// completed, in whatever order the writes completed.
void Writer::maybe_sync(StreamW& w, uint64_t now) {
  if (opts_.sync != SyncPolicy::interval || w.sync_inflight || w.fifo_count == 0) return;
  int seg = -1;
  uint64_t bytes = 0, oldest_ns = UINT64_MAX;
  size_t waiting = 0;  // buffers not yet written (queued or in flight)
  for (size_t i = 0; i < w.fifo_count; ++i) {
    const Buffer& b = fifo_at(w, i);
    if (b.state == BufState::queued || b.state == BufState::writing) ++waiting;
    if (b.state != BufState::written) continue;
    if (seg < 0) seg = b.seg;
    if (b.seg != seg) continue;
    bytes += b.len;
    oldest_ns = std::min(oldest_ns, b.first_ns);
  }
  if (seg < 0) return;
  const bool more_coming = waiting > 0 || (w.cur && w.cur->records);
  const bool due = force_sync_ || w.segs[seg].draining ||
                   now - oldest_ns >= opts_.sync_interval_ns || bytes >= opts_.sync_bytes ||
                   !more_coming;
  if (!due) return;
  io_uring_sqe* e = sqe();
  if (e == nullptr) return;
  io_uring_prep_fsync(e, w.segs[seg].slot, IORING_FSYNC_DATASYNC);
  e->flags |= IOSQE_FIXED_FILE;
  io_uring_sqe_set_data64(e, tag(w.kind, kOpSync, static_cast<uint32_t>(seg)));
  for (size_t i = 0; i < w.fifo_count; ++i) {
    Buffer& b = fifo_at(w, i);
    if (b.state != BufState::written || b.seg != seg) continue;
    b.state = BufState::syncing;
    b.submit_ns = now;
  }
  w.sync_inflight = true;
  w.sync_submit_ns = now;
  ++pending_sqes_;
  w.st->syncs.inc();
}

uint32_t Writer::reap(uint64_t now) {
  if (now >= stall_from_ns_ && now < stall_until_ns_) [[unlikely]]
    return 0;  // test hook: the device "stops answering"
  io_uring_cqe* cqes[64];
  const unsigned n = io_uring_peek_batch_cqe(&ring_, cqes, 64);
  for (unsigned i = 0; i < n; ++i) {
    const uint64_t ud = io_uring_cqe_get_data64(cqes[i]);
    const int res = cqes[i]->res;
    StreamW& w = streams_[ud >> 40];
    const auto op = static_cast<uint8_t>(ud >> 32);
    const auto index = static_cast<uint32_t>(ud);
    if (op == kOpWrite) {
      Buffer& b = w.bufs[index];
      assert(b.state == BufState::writing);
      --w.inflight_writes;
      w.st->io_latency.record(now - b.submit_ns);
      const uint32_t left = b.len - b.done;
      if (res >= 0 && static_cast<uint32_t>(res) < left) {
        // Short write: resubmit the remainder (bounded). O_DIRECT continues on a 4 KiB
        // boundary, so a remainder that starts mid-page rewrites that page's first bytes with
        // the same contents. The block stays with the buffer until the write is whole.
        w.st->short_writes.inc();
        if (b.retries < kMaxWriteRetries) {
          ++b.retries;
          w.st->write_retries.inc();
          b.done = (b.done + static_cast<uint32_t>(res)) / kPageBytes * kPageBytes;
          b.state = BufState::queued;
          continue;
        }
      }
      release_block(w, b);
      if (static_cast<uint32_t>(res) == left && res >= 0) {
        if (opts_.sync == SyncPolicy::batch) {
          b.state = BufState::durable;
          b.durable_ns = now;
        } else {
          b.state = BufState::written;
          w.unsynced_bytes += b.len;
        }
      } else {
        // An error, or short writes past the retries: the segment ends before this buffer.
        b.err = res < 0 ? -res : EIO;
        if (res < 0) w.st->write_errors.inc();
        b.state = BufState::failed;
        fail_segment(w, w.segs[b.seg], b.offset, b.err);
      }
    } else {
      w.sync_inflight = false;
      w.st->io_latency.record(now - w.sync_submit_ns);
      if (res < 0) w.st->sync_errors.inc();
      for (size_t k = 0; k < w.fifo_count; ++k) {
        Buffer& b = fifo_at(w, k);
        if (b.state != BufState::syncing) continue;
        w.unsynced_bytes -= std::min<uint64_t>(w.unsynced_bytes, b.len);
        if (res < 0) {
          // After a failed fdatasync the kernel may have dropped the pages: not persisted.
          b.state = BufState::failed;
          b.err = -res;
          fail_segment(w, w.segs[b.seg], b.offset, b.err);
        } else {
          b.state = BufState::durable;
          b.durable_ns = now;
        }
      }
    }
  }
  if (n) io_uring_cq_advance(&ring_, n);
  return n;
}

void Writer::fail_segment(StreamW& w, Segment& s, uint64_t offset, int err) {
  s.failed = true;
  if (offset < s.fail_offset) {
    s.fail_offset = offset;
    s.fail_err = err;
  }
  if (reason_of(err) == Unpersisted::disk_full)
    w.hazard_full = true;
  else
    w.hazard_io = true;
}

void Writer::record_settled(StreamW& w, Buffer& b, bool ok, Unpersisted why, uint64_t now) {
  assert(b.meta_first == w.meta_head && w.meta_tail - w.meta_head >= b.records);
  if (ok) {
    w.st->persisted.add(b.records);
    w.st->persisted_bytes.add(b.len);
    // Receive -> durable: to the completion that made this record durable (its own write, or
    // the fdatasync covering it), not to when the watermark passed it (an earlier, slower write
    // can hold the watermark back: that wait is `watermark_latency`).
    const uint64_t durable = b.durable_ns ? b.durable_ns : now;
    for (uint32_t i = 0; i < b.records; ++i) {
      const Meta& m = meta_at(w, b.meta_first + i);
      if (m.start_ns != 0 && durable >= m.start_ns) {
        w.st->latency.record(durable - m.start_ns);
        w.st->watermark_latency.record(now - m.start_ns);
        w.st->queue_latency.record(b.write_ns > m.start_ns ? b.write_ns - m.start_ns : 0);
      } else {
        w.st->latency_unknown.inc();
      }
      if (m.class_id != kNoClass) state_.classes.persisted[m.class_id].inc();
    }
    if (!w.dropping) w.hazard_full = w.hazard_io = false;  // writing works again
  } else {
    w.st->unpersisted[static_cast<size_t>(why)].add(b.records);
    for (uint32_t i = 0; i < b.records; ++i) {
      const Meta& m = meta_at(w, b.meta_first + i);
      if (m.class_id != kNoClass) state_.classes.unpersisted[m.class_id].inc();
    }
  }
  w.meta_head += b.records;
  w.backlog_bytes -= std::min<uint64_t>(w.backlog_bytes, b.len);
}

// Retires settled buffers from the head, in offset order, and moves the watermark.
uint32_t Writer::settle(StreamW& w, uint64_t now) {
  uint32_t n = 0;
  while (w.fifo_count) {
    Buffer& b = fifo_at(w, 0);
    Segment& s = w.segs[b.seg];
    if (b.state == BufState::writing || b.state == BufState::syncing) break;  // kernel owns it
    const bool poisoned = s.failed && b.offset >= s.fail_offset;
    if (poisoned || b.state == BufState::failed) {
      record_settled(w, b, false, reason_of(b.err ? b.err : s.fail_err), now);
    } else if (b.state == BufState::durable) {
      record_settled(w, b, true, Unpersisted::storage_io, now);
    } else {
      break;  // queued, or written and waiting for its sync
    }
    w.fifo_head = (w.fifo_head + 1) % w.fifo.size();
    --w.fifo_count;
    b.state = BufState::free;
    release_block(w, b);
    w.free_list.push_back(static_cast<uint32_t>(&b - w.bufs.data()));
    ++n;
    if (--s.buffers == 0 && s.draining) close_segment(w, b.seg);
  }
  return n;
}

void Writer::close_segment(StreamW& w, int seg_index) {
  Segment& s = w.segs[seg_index];
  assert(s.open && s.buffers == 0);
  if (!s.close_pending) {
    s.close_length = s.failed ? s.fail_offset : s.next_offset;
    int none = -1;
    io_uring_register_files_update(&ring_, static_cast<unsigned>(s.slot), &none, 1);
  }
  if (!hk_->request_close({w.kind, s.id, s.close_length})) {
    s.close_pending = true;  // retried from poll
    return;
  }
  s.open = false;
  s.close_pending = false;
}

void Writer::publish(StreamW& w, uint64_t now) {
  uint64_t durable = w.next_sequence;
  if (w.fifo_count)
    durable = fifo_at(w, 0).first_sequence;
  else if (w.cur && w.cur->records)
    durable = w.cur->first_sequence;
  if (durable != w.st->durable_sequence.load(std::memory_order_relaxed)) {
    w.st->durable_ns.store(now, std::memory_order_relaxed);
    w.st->durable_sequence.store(durable, std::memory_order_release);
  }
  w.st->next_sequence.store(w.next_sequence, std::memory_order_relaxed);
  w.st->backlog_bytes.store(w.backlog_bytes, std::memory_order_relaxed);
}

uint32_t Writer::poll(uint64_t now) {
  if (opts_.test_stall_ns != 0 && stall_until_ns_ == 0 &&
      streams_[0].st->accepted.get() + streams_[1].st->accepted.get() != 0) [[unlikely]] {
    stall_from_ns_ = now + opts_.test_stall_after_ns;
    stall_until_ns_ = stall_from_ns_ + opts_.test_stall_ns;
  }
  uint32_t work = reap(now);
  for (StreamW& w : streams_) {
    if (!w.enabled) continue;
    maybe_flush(w, now);
    submit_queued(w, now);
    maybe_sync(w, now);
    work += settle(w, now);
    for (int i = 0; i < 2; ++i)
      if (w.segs[i].close_pending) close_segment(w, i);
    // Slow completion: the oldest operation in flight has taken longer than the limit.
    w.hazard_slow = false;
    if (w.fifo_count) {
      Buffer& head = fifo_at(w, 0);
      if ((head.state == BufState::writing || head.state == BufState::syncing) &&
          now - head.submit_ns > opts_.slow_ns) {
        w.hazard_slow = true;
        if (!head.slow_counted) w.st->slow_ops.inc();
        head.slow_counted = true;
      }
    }
    publish(w, now);
  }
  if (pending_sqes_) {
    io_uring_submit(&ring_);
    pending_sqes_ = 0;
  }
  return work;
}

void Writer::wait_completion(uint64_t timeout_ns) {
  io_uring_cqe* cqe = nullptr;
  __kernel_timespec ts{static_cast<long long>(timeout_ns / 1'000'000'000),
                       static_cast<long long>(timeout_ns % 1'000'000'000)};
  io_uring_wait_cqe_timeout(&ring_, &cqe, &ts);
}

bool Writer::idle() const {
  for (const StreamW& w : streams_)
    if (w.enabled && (w.fifo_count || (w.cur && w.cur->records) || w.sync_inflight)) return false;
  return true;
}

void Writer::flush_all(uint64_t now) {
  force_sync_ = true;
  for (StreamW& w : streams_)
    if (w.enabled && w.cur && w.cur->records) finish_buffer(w, *w.cur, now);
}

void Writer::finish(uint64_t (*now_ns)()) {
  constexpr uint64_t kFinishLimitNs = 30'000'000'000;  // a device that never answers
  const uint64_t start = now_ns();
  bool rotated = false;
  for (;;) {
    const uint64_t now = now_ns();
    flush_all(now);
    poll(now);
    if (idle() && !rotated) {
      // Everything is durable: end the open segments (a buffer holding only a head is not
      // written), then wait for the housekeeper hand-offs.
      for (StreamW& w : streams_)
        if (w.enabled && w.current >= 0) rotate(w, now);
      rotated = true;
    }
    bool open = false;
    for (StreamW& w : streams_)
      for (const Segment& s : w.segs) open = open || s.open;
    if (rotated && idle() && !open) break;
    if (now - start > kFinishLimitNs) {
      abandon();
      break;
    }
    io_uring_cqe* cqe = nullptr;
    __kernel_timespec ts{0, 1'000'000};
    io_uring_wait_cqe_timeout(&ring_, &cqe, &ts);
  }
}

void Writer::abandon() {
  for (StreamW& w : streams_) {
    if (!w.enabled) continue;
    uint64_t n = w.cur ? w.cur->records : 0;
    for (size_t i = 0; i < w.fifo_count; ++i) n += fifo_at(w, i).records;
    w.st->unpersisted[static_cast<size_t>(Unpersisted::abandoned)].add(n);
  }
}

uint32_t Writer::hazards() const {
  uint32_t h = 0;
  for (const StreamW& w : streams_) {
    if (!w.enabled) continue;
    if (w.hazard_full || w.dropping) h |= kHazardDiskFull;
    if (w.hazard_io) h |= kHazardStorageIo;
    if (w.hazard_slow || w.backlog_bytes > opts_.backlog_hazard_bytes) h |= kHazardStorageBacklog;
  }
  if (state_.disk_low.load(std::memory_order_relaxed)) h |= kHazardDiskFull;
  return h;
}

}  // namespace sy::storage
