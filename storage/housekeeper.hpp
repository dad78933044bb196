// The storage lcore's helper on a non-EAL thread: everything that blocks in the kernel and is
// not a data write. It opens the next segment of each stream before it is needed (a zero-filled
// spare when one is ready, else a new file preallocated with fallocate), fills spares in the
// background at a bounded rate, finishes segments the lcore is done with (truncate to the
// written length, sync, close), applies retention (oldest segments first, refused while SAFE or
// EMERGENCY_STOP unless authorised), and watches free space against the reserve (spares, which
// hold no data, go first).
//
// Hand-offs with the lcore are lock-free: one ready descriptor per stream (an atomic the
// housekeeper fills and the lcore takes), and a single-producer ring of close requests.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "storage/options.hpp"
#include "storage/state.hpp"

namespace sy::storage {

struct CloseRequest {
  Stream stream = Stream::raw;
  uint64_t id = 0;
  uint64_t length = 0;  // bytes to keep; 0: nothing valid, remove the file
};

class Housekeeper {
 public:
  Housekeeper(const Options& opts, StorageState& state, const uint64_t next_id[kStreams]);
  ~Housekeeper();
  Housekeeper(const Housekeeper&) = delete;
  Housekeeper& operator=(const Housekeeper&) = delete;

  void start();
  // Finishes every queued close, removes unused preallocated segments, joins the thread.
  void stop();

  // lcore side -------------------------------------------------------------------------------
  // A preallocated segment's descriptor and id, or -1 when none is ready yet.
  int take_ready(Stream s, uint64_t* id);
  // The errno of the last failed attempt to create a segment of `s` (0: none failed since the
  // last success): the lcore drops instead of waiting while it is set.
  int create_errno(Stream s) const {
    return create_errno_[static_cast<size_t>(s)].load(std::memory_order_acquire);
  }
  bool request_close(const CloseRequest& r);  // false: queue full, retry later

 private:
  struct OpenFile {
    Stream stream;
    uint64_t id;
    int fd;
  };
  struct ClosedFile {
    std::string path;
    uint64_t bytes;
  };
  void loop();
  void prepare(size_t s);
  int open_spare_as(const std::string& path, int* err);
  void fill_spares(uint64_t now_ns);
  void stop_filling();
  bool remove_a_spare(uint64_t now_ns);
  void adopt_spares();
  void drain_closes();
  void finish_segment(const CloseRequest& r);
  void housekeep(uint64_t now_ns);
  void note_counters(uint64_t now_ns);
  std::string path_of(Stream s, uint64_t id) const;

  const Options& opts_;
  StorageState& state_;
  int dir_fd_ = -1;
  std::thread thread_;
  std::atomic<bool> stopping_{false};

  std::atomic<int> ready_fd_[kStreams];
  std::atomic<uint64_t> ready_id_[kStreams];
  std::atomic<int> create_errno_[kStreams];
  uint64_t next_id_[kStreams];
  uint64_t retry_at_ns_[kStreams] = {0, 0};

  static constexpr size_t kCloseSlots = 16;
  std::array<CloseRequest, kCloseSlots> closes_{};
  std::atomic<uint64_t> close_head_{0}, close_tail_{0};

  std::vector<OpenFile> open_;      // created here, not yet finished
  std::vector<ClosedFile> closed_;  // oldest first: retention candidates
  uint64_t next_housekeep_ns_ = 0;
  bool refused_logged_ = false;
  uint64_t seen_write_errors_ = 0, seen_sync_errors_ = 0, seen_short_ = 0;

  // Spares: ready ones oldest first; at most one being filled ("spare-N.filling", renamed
  // "spare-N.zeroed" once written and synced, so a ready name always means zeroes on disk).
  std::vector<std::string> spares_;
  uint64_t next_spare_no_ = 1;
  int fill_fd_ = -1;
  std::string fill_path_;
  uint64_t fill_done_ = 0;     // bytes of the current spare zeroed
  uint64_t fill_budget_ = 0;   // bytes the rate allows now
  uint64_t fill_last_ns_ = 0;  // when the budget was last topped up
  uint64_t fill_retry_at_ns_ = 0;
  uint8_t* zeros_ = nullptr;  // kFillChunk bytes, 4 KiB aligned
};

}  // namespace sy::storage
