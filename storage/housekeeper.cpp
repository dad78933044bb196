#include "storage/housekeeper.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "src/common/safety.hpp"
#include "storage/scan.hpp"

namespace sy::storage {

namespace {

uint64_t wall_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec);
}

constexpr uint64_t kCreateRetryNs = 200'000'000;  // after a failed allocation
constexpr uint64_t kLoopSleepNs = 1'000'000;

}  // namespace

Housekeeper::Housekeeper(const Options& opts, StorageState& state, const uint64_t next_id[kStreams])
    : opts_(opts), state_(state) {
  for (size_t s = 0; s < kStreams; ++s) {
    ready_fd_[s].store(-1);
    ready_id_[s].store(0);
    create_errno_[s].store(0);
    next_id_[s] = next_id[s];
  }
  dir_fd_ = ::open(opts.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  // Retention candidates: what is already there, oldest first (modification time, then id).
  struct Aged {
    ClosedFile f;
    int64_t mtime_ns;
    uint64_t id;
  };
  std::vector<Aged> aged;
  for (const SegmentFile& f : list_segments(opts.dir, nullptr)) {
    struct stat st {};
    if (stat(f.path.c_str(), &st) != 0) continue;
    aged.push_back(
        {{f.path, f.bytes}, int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec, f.id});
  }
  std::sort(aged.begin(), aged.end(), [](const Aged& a, const Aged& b) {
    return a.mtime_ns != b.mtime_ns ? a.mtime_ns < b.mtime_ns : a.id < b.id;
  });
  uint64_t bytes = 0;
  for (auto& a : aged) {
    bytes += a.f.bytes;
    closed_.push_back(std::move(a.f));
  }
  state_.store_bytes.store(bytes, std::memory_order_relaxed);
}

Housekeeper::~Housekeeper() {
  stop();
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

void Housekeeper::start() {
  // Prepare the first segments before the lcore starts, so the first packet never waits.
  for (size_t s = 0; s < kStreams; ++s)
    if (opts_.stream_enabled[s]) prepare(s);
  thread_ = std::thread([this] { loop(); });
}

void Housekeeper::stop() {
  if (thread_.joinable()) {
    stopping_.store(true, std::memory_order_release);
    thread_.join();
  }
  drain_closes();
  // A preallocated segment the lcore never took holds no data: remove it.
  for (size_t s = 0; s < kStreams; ++s) {
    const int fd = ready_fd_[s].exchange(-1);
    if (fd < 0) continue;
    const uint64_t id = ready_id_[s].load();
    finish_segment({static_cast<Stream>(s), id, 0});
  }
}

std::string Housekeeper::path_of(Stream s, uint64_t id) const {
  return opts_.dir + "/" + segment_file_name(s, id);
}

int Housekeeper::take_ready(Stream s, uint64_t* id) {
  const size_t i = static_cast<size_t>(s);
  const int fd = ready_fd_[i].exchange(-1, std::memory_order_acq_rel);
  if (fd >= 0) *id = ready_id_[i].load(std::memory_order_relaxed);
  return fd;
}

bool Housekeeper::request_close(const CloseRequest& r) {
  const uint64_t head = close_head_.load(std::memory_order_relaxed);
  if (head - close_tail_.load(std::memory_order_acquire) >= kCloseSlots) return false;
  closes_[head % kCloseSlots] = r;
  close_head_.store(head + 1, std::memory_order_release);
  return true;
}

void Housekeeper::loop() {
  while (!stopping_.load(std::memory_order_acquire)) {
    const uint64_t now = wall_ns();
    for (size_t s = 0; s < kStreams; ++s)
      if (opts_.stream_enabled[s] && ready_fd_[s].load(std::memory_order_acquire) < 0 &&
          now >= retry_at_ns_[s])
        prepare(s);
    drain_closes();
    if (now >= next_housekeep_ns_) {
      next_housekeep_ns_ = now + opts_.housekeeping_period_ns;
      housekeep(now);
    }
    const timespec ts{0, static_cast<long>(kLoopSleepNs)};
    nanosleep(&ts, nullptr);
  }
}

// Creates and preallocates the next segment of stream `s`, then publishes it.
void Housekeeper::prepare(size_t s) {
  const auto stream = static_cast<Stream>(s);
  const uint64_t id = next_id_[s];
  const std::string path = path_of(stream, id);
  int err = 0;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_DIRECT | O_CLOEXEC, 0644);
  if (fd < 0) {
    err = errno;
  } else if (::fallocate(fd, 0, 0, static_cast<off_t>(opts_.segment_bytes)) != 0) {
    err = errno;
    ::close(fd);
    ::unlink(path.c_str());
  }
  const uint64_t now = wall_ns();
  if (err != 0) {
    // ENOSPC here is how a full disk usually shows (writes into preallocated space cannot
    // run out): the lcore drops and counts while this is set, and retention may free space.
    if (create_errno_[s].exchange(err) != err) {
      state_.add_event(now, "storage.segment.create_failed", path + ": " + std::strerror(err));
    }
    state_.segment_create_errors.inc();
    if (err == EEXIST) ++next_id_[s];
    retry_at_ns_[s] = now + kCreateRetryNs;
    return;
  }
  if (dir_fd_ >= 0) ::fsync(dir_fd_);  // the new name survives a crash
  ++next_id_[s];
  open_.push_back({stream, id, fd});
  state_.store_bytes.store(state_.store_bytes.load(std::memory_order_relaxed) + opts_.segment_bytes,
                           std::memory_order_relaxed);
  if (create_errno_[s].exchange(0) != 0)
    state_.add_event(now, "storage.segment.create_recovered", path);
  ready_id_[s].store(id, std::memory_order_relaxed);
  ready_fd_[s].store(fd, std::memory_order_release);
}

void Housekeeper::drain_closes() {
  uint64_t tail = close_tail_.load(std::memory_order_relaxed);
  while (tail != close_head_.load(std::memory_order_acquire)) {
    const CloseRequest r = closes_[tail % kCloseSlots];
    close_tail_.store(++tail, std::memory_order_release);
    finish_segment(r);
  }
}

// Cuts the preallocated tail (so every closed segment is a valid file to the end), syncs the
// size change, closes; a segment with nothing valid in it is removed.
void Housekeeper::finish_segment(const CloseRequest& r) {
  const auto it = std::find_if(open_.begin(), open_.end(), [&](const OpenFile& f) {
    return f.stream == r.stream && f.id == r.id;
  });
  if (it == open_.end()) return;
  const std::string path = path_of(r.stream, r.id);
  uint64_t store = state_.store_bytes.load(std::memory_order_relaxed) - opts_.segment_bytes;
  if (r.length == 0) {
    ::close(it->fd);
    ::unlink(path.c_str());
  } else {
    if (::ftruncate(it->fd, static_cast<off_t>(r.length)) != 0 || ::fsync(it->fd) != 0)
      state_.add_event(wall_ns(), "storage.segment.finish_failed",
                       path + ": " + std::strerror(errno));
    ::close(it->fd);
    closed_.push_back({path, r.length});
    store += r.length;
  }
  state_.store_bytes.store(store, std::memory_order_relaxed);
  open_.erase(it);
}

// Retention (oldest first) while the store is over its limit or free space is under the
// reserve; deleting is refused while SAFE or EMERGENCY_STOP unless authorised.
void Housekeeper::housekeep(uint64_t now) {
  note_counters(now);
  struct statvfs vfs {};
  auto free_bytes = [&]() -> uint64_t {
    if (statvfs(opts_.dir.c_str(), &vfs) != 0) return UINT64_MAX;
    return uint64_t{vfs.f_bavail} * vfs.f_frsize;
  };
  uint64_t free_now = free_bytes();
  for (;;) {
    const uint64_t store = state_.store_bytes.load(std::memory_order_relaxed);
    const bool over = opts_.retention_bytes != 0 && store > opts_.retention_bytes;
    // Headroom: act while a new segment could still be allocated above the reserve.
    const bool low =
        opts_.retention_bytes != 0 && free_now < opts_.reserve_bytes + opts_.segment_bytes;
    if ((!over && !low) || closed_.empty()) break;
    const ClosedFile victim = closed_.front();
    const SafetyMode mode = opts_.safety ? opts_.safety->mode() : SafetyMode::normal;
    if (mode >= SafetyMode::safe) {
      uint64_t auth = state_.retention_authorized_bytes.load(std::memory_order_acquire);
      bool granted = false;
      while (auth >= victim.bytes && !granted)
        granted = state_.retention_authorized_bytes.compare_exchange_weak(
            auth, auth - victim.bytes, std::memory_order_acq_rel);
      if (!granted) {
        state_.retention_refused.inc();
        if (!refused_logged_)
          state_.add_event(now, "storage.retention.refused",
                           std::string("safety mode ") + to_string(mode) + ": " + victim.path +
                               " kept (" + std::to_string(victim.bytes) + " bytes)");
        refused_logged_ = true;
        break;
      }
    }
    refused_logged_ = false;
    if (::unlink(victim.path.c_str()) != 0 && errno != ENOENT) {
      state_.add_event(now, "storage.retention.failed", victim.path + ": " + std::strerror(errno));
      break;
    }
    closed_.erase(closed_.begin());
    state_.retention_deleted_segments.inc();
    state_.retention_deleted_bytes.add(victim.bytes);
    state_.store_bytes.store(store - std::min(store, victim.bytes), std::memory_order_relaxed);
    state_.add_event(now, "storage.retention.deleted",
                     victim.path + " (" + std::to_string(victim.bytes) + " bytes" +
                         (mode >= SafetyMode::safe ? ", authorised" : "") + ")");
    free_now = free_bytes();
  }
  state_.free_bytes.store(free_now, std::memory_order_relaxed);
  state_.disk_low.store(free_now < opts_.reserve_bytes, std::memory_order_release);
}

// The lcore only counts; its errors reach the audit trail from here.
void Housekeeper::note_counters(uint64_t now) {
  uint64_t writes = 0, syncs = 0, shorts = 0;
  for (const StreamState& s : state_.streams) {
    writes += s.write_errors.get();
    syncs += s.sync_errors.get();
    shorts += s.short_writes.get();
  }
  if (writes != seen_write_errors_ || syncs != seen_sync_errors_ || shorts != seen_short_)
    state_.add_event(now, "perf.capacity.hazard",
                     "storage errors: writes " + std::to_string(writes) + ", syncs " +
                         std::to_string(syncs) + ", short writes " + std::to_string(shorts));
  seen_write_errors_ = writes;
  seen_sync_errors_ = syncs;
  seen_short_ = shorts;
}

}  // namespace sy::storage
