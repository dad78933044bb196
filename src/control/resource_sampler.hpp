// Capacity measurements that need the kernel (statvfs, /proc): taken on a non-EAL thread and
// published through a seqlock, so the control lcore reads them without a syscall or a lock.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "src/common/seqlock.hpp"

namespace sy::control {

inline constexpr size_t kMaxDiskPaths = 8;

struct ResourceSample {
  uint64_t taken_ns = 0;  // steady clock
  uint32_t disks = 0;
  uint64_t disk_free_mb[kMaxDiskPaths] = {};
  int32_t disk_errno[kMaxDiskPaths] = {};  // statvfs failed: errno (UNKNOWN)
  uint64_t open_fds = 0;
  uint64_t fd_limit = 0;
  uint64_t rss_mb = 0;
  uint64_t mem_available_mb = 0;
  bool proc_ok = false;  // /proc readable (else the fd/memory figures are UNKNOWN)
};

uint64_t steady_now_ns();
ResourceSample sample_resources(const std::vector<std::string>& disk_paths);

class ResourceSampler {
 public:
  ResourceSampler(std::vector<std::string> disk_paths, uint32_t interval_ms);
  ~ResourceSampler();
  bool latest(ResourceSample& out) const { return published_.read(out); }
  void stop();

 private:
  void loop();
  std::vector<std::string> paths_;
  uint32_t interval_ms_;
  Seqlock<ResourceSample> published_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sy::control
