#include "storage/housekeeper.hpp"

#include <fcntl.h>
#include <stdio.h>  // renameat2
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

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
// Zeroes go out in writes of this size, a few per loop at most, so the loop stays responsive.
constexpr uint64_t kFillChunk = 1ull << 20;
constexpr uint64_t kFillBurst = 4 * kFillChunk;
constexpr uint64_t kFillRetryNs = 1'000'000'000;  // after a failed fill

constexpr const char* kSparePrefix = "spare-";
constexpr const char* kSpareReady = ".zeroed";
constexpr const char* kSpareFilling = ".filling";

std::string spare_name(uint64_t no, const char* suffix) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s%016llu%s", kSparePrefix, static_cast<unsigned long long>(no),
                suffix);
  return buf;
}

// "spare-<16 digits><suffix>": its number, or 0 for any other name.
uint64_t spare_number(const std::string& name, const char* suffix) {
  const size_t p = std::strlen(kSparePrefix), n = std::strlen(suffix);
  if (name.size() != p + 16 + n || name.compare(0, p, kSparePrefix) != 0 ||
      name.compare(p + 16, n, suffix) != 0)
    return 0;
  uint64_t v = 0;
  for (size_t i = p; i < p + 16; ++i) {
    if (name[i] < '0' || name[i] > '9') return 0;
    v = v * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  return v;
}

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
  adopt_spares();
}

Housekeeper::~Housekeeper() {
  stop();
  if (dir_fd_ >= 0) ::close(dir_fd_);
  std::free(zeros_);
}

// Spares of an earlier run: a ready one of the current segment size is kept (its name says it
// was zeroed and synced); a half-filled one, one of another size, or one over the count is
// removed.
void Housekeeper::adopt_spares() {
  std::error_code ec;
  std::vector<std::pair<uint64_t, std::string>> ready;
  uint64_t removed = 0;
  for (const auto& e : std::filesystem::directory_iterator(opts_.dir, ec)) {
    const std::string name = e.path().filename().string();
    const uint64_t ready_no = spare_number(name, kSpareReady);
    const uint64_t filling_no = spare_number(name, kSpareFilling);
    next_spare_no_ = std::max(next_spare_no_, std::max(ready_no, filling_no) + 1);
    if (ready_no != 0 && e.file_size(ec) == opts_.segment_bytes)
      ready.emplace_back(ready_no, e.path().string());
    else if (ready_no != 0 || filling_no != 0)
      removed += ::unlink(e.path().c_str()) == 0;
  }
  std::sort(ready.begin(), ready.end());
  for (const auto& r : ready) {
    if (spares_.size() < opts_.spare_segments)
      spares_.push_back(r.second);
    else
      removed += ::unlink(r.second.c_str()) == 0;
  }
  if (removed != 0 && dir_fd_ >= 0) ::fsync(dir_fd_);
  state_.spare_segments_ready.store(spares_.size(), std::memory_order_relaxed);
  if (!spares_.empty() || removed != 0)
    state_.add_event(wall_ns(), "storage.spares.adopted",
                     std::to_string(spares_.size()) + " ready spare segments kept, " +
                         std::to_string(removed) + " removed (partial, other size or surplus)");
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
  stop_filling();
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
    fill_spares(now);
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
  int fd = open_spare_as(path, &err);
  if (fd >= 0) {
    state_.spare_segments_used.inc();
  } else if (err == 0) {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_DIRECT | O_CLOEXEC, 0644);
    if (fd < 0) {
      err = errno;
    } else if (::fallocate(fd, 0, 0, static_cast<off_t>(opts_.segment_bytes)) != 0) {
      err = errno;
      ::close(fd);
      ::unlink(path.c_str());
      fd = -1;
    } else {
      state_.segments_preallocated.inc();
    }
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

// Takes the oldest ready spare as the segment `path`: -1 with *err 0 when there is none (or it
// could not be used, and was removed), -1 with *err set when `path` cannot be had (EEXIST).
int Housekeeper::open_spare_as(const std::string& path, int* err) {
  *err = 0;
  while (!spares_.empty()) {
    const std::string spare = spares_.front();
    // Never over a segment of that name: a spare must not replace data.
    if (::renameat2(AT_FDCWD, spare.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0) {
      if (errno == EEXIST) {
        *err = EEXIST;
        return -1;
      }
      state_.add_event(wall_ns(), "storage.spares.unusable", spare + ": " + std::strerror(errno));
      ::unlink(spare.c_str());
      spares_.erase(spares_.begin());
      continue;
    }
    spares_.erase(spares_.begin());
    state_.spare_segments_ready.store(spares_.size(), std::memory_order_relaxed);
    const int fd = ::open(path.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC);
    if (fd >= 0) return fd;
    state_.add_event(wall_ns(), "storage.spares.unusable", path + ": " + std::strerror(errno));
    ::unlink(path.c_str());
  }
  state_.spare_segments_ready.store(0, std::memory_order_relaxed);
  return -1;
}

// Background zero fill, paced at spare_fill_bytes_per_s, from free space above the reserve and
// one segment: a spare must never be what sends the store into the disk-full hazard.
void Housekeeper::fill_spares(uint64_t now) {
  if (opts_.spare_segments == 0 || now < fill_retry_at_ns_) return;
  if (fill_fd_ < 0) {
    if (spares_.size() >= opts_.spare_segments) return;
    struct statvfs vfs {};
    if (statvfs(opts_.dir.c_str(), &vfs) == 0 &&
        uint64_t{vfs.f_bavail} * vfs.f_frsize < opts_.reserve_bytes + 2 * opts_.segment_bytes) {
      fill_retry_at_ns_ = now + kFillRetryNs;
      return;
    }
    if (zeros_ == nullptr) {
      zeros_ = static_cast<uint8_t*>(std::aligned_alloc(kPageBytes, kFillChunk));
      if (zeros_ == nullptr) return;
      std::memset(zeros_, 0, kFillChunk);
    }
    fill_path_ = opts_.dir + "/" + spare_name(next_spare_no_++, kSpareFilling);
    fill_fd_ = ::open(fill_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_DIRECT | O_CLOEXEC, 0644);
    // Allocated first, so a full disk shows at once and the zeroes land in one extent.
    if (fill_fd_ < 0 || ::fallocate(fill_fd_, 0, 0, static_cast<off_t>(opts_.segment_bytes)) != 0) {
      state_.add_event(now, "storage.spares.fill_failed", fill_path_ + ": " + std::strerror(errno));
      stop_filling();
      fill_retry_at_ns_ = now + kFillRetryNs;
      return;
    }
    fill_done_ = 0;
    fill_budget_ = 0;
    fill_last_ns_ = now;
  }
  const double earned = static_cast<double>(now - fill_last_ns_) * 1e-9 *
                        static_cast<double>(opts_.spare_fill_bytes_per_s);
  fill_budget_ = std::min<uint64_t>(kFillBurst, fill_budget_ + static_cast<uint64_t>(earned));
  fill_last_ns_ = now;
  while (fill_done_ < opts_.segment_bytes) {
    const uint64_t n = std::min(kFillChunk, opts_.segment_bytes - fill_done_);
    if (fill_budget_ < n) return;
    const ssize_t w = ::pwrite(fill_fd_, zeros_, n, static_cast<off_t>(fill_done_));
    if (w != static_cast<ssize_t>(n)) {
      state_.add_event(now, "storage.spares.fill_failed",
                       fill_path_ + ": " + (w < 0 ? std::strerror(errno) : "short write"));
      stop_filling();
      fill_retry_at_ns_ = now + kFillRetryNs;
      return;
    }
    fill_done_ += n;
    fill_budget_ -= n;
    state_.spare_fill_bytes.add(n);
  }
  // Synced before it is named ready: the extents are written, and a ready name never hides a
  // spare whose zeroes a crash could lose.
  const std::string ready =
      fill_path_.substr(0, fill_path_.size() - std::strlen(kSpareFilling)) + kSpareReady;
  if (::fdatasync(fill_fd_) != 0 || ::rename(fill_path_.c_str(), ready.c_str()) != 0) {
    state_.add_event(now, "storage.spares.fill_failed", fill_path_ + ": " + std::strerror(errno));
    stop_filling();
    fill_retry_at_ns_ = now + kFillRetryNs;
    return;
  }
  ::close(fill_fd_);
  fill_fd_ = -1;
  fill_path_.clear();
  if (dir_fd_ >= 0) ::fsync(dir_fd_);
  spares_.push_back(ready);
  state_.spare_segments_ready.store(spares_.size(), std::memory_order_relaxed);
}

// Abandons a spare being filled (its file is removed).
void Housekeeper::stop_filling() {
  if (fill_fd_ >= 0) ::close(fill_fd_);
  if (!fill_path_.empty()) ::unlink(fill_path_.c_str());
  fill_fd_ = -1;
  fill_path_.clear();
}

// Frees a spare's space (the one being filled first); false when there is none.
bool Housekeeper::remove_a_spare(uint64_t now) {
  std::string victim;
  if (fill_fd_ >= 0) {
    victim = fill_path_;
    stop_filling();
  } else if (!spares_.empty()) {
    victim = spares_.back();
    spares_.pop_back();
    ::unlink(victim.c_str());
    state_.spare_segments_ready.store(spares_.size(), std::memory_order_relaxed);
  } else {
    return false;
  }
  state_.spare_segments_removed.inc();
  state_.add_event(now, "storage.spares.removed", victim + " (free space under the reserve)");
  fill_retry_at_ns_ = now + kFillRetryNs;
  return true;
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
    const bool tight = free_now < opts_.reserve_bytes + opts_.segment_bytes;
    // Spares hold no data: they make room before anything is deleted or the hazard is raised.
    if (tight && remove_a_spare(now)) {
      free_now = free_bytes();
      continue;
    }
    const bool low = opts_.retention_bytes != 0 && tight;
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
