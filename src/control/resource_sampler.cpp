#include "src/control/resource_sampler.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

namespace sy::control {

uint64_t steady_now_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

namespace {

bool count_fds(uint64_t& n) {
  DIR* d = opendir("/proc/self/fd");
  if (!d) return false;
  n = 0;
  while (const dirent* e = readdir(d))
    if (e->d_name[0] != '.') ++n;
  closedir(d);
  if (n > 0) --n;  // the descriptor opendir itself holds
  return true;
}

bool read_kib(const char* file, const char* key, uint64_t& kib) {
  std::ifstream in(file);
  std::string line;
  const size_t klen = std::strlen(key);
  while (std::getline(in, line))
    if (line.compare(0, klen, key) == 0) {
      kib = std::strtoull(line.c_str() + klen, nullptr, 10);
      return true;
    }
  return false;
}

}  // namespace

ResourceSample sample_resources(const std::vector<std::string>& disk_paths) {
  ResourceSample s;
  s.disks = static_cast<uint32_t>(std::min(disk_paths.size(), kMaxDiskPaths));
  for (uint32_t i = 0; i < s.disks; ++i) {
    struct statvfs v {};
    if (statvfs(disk_paths[i].c_str(), &v) != 0) {
      s.disk_errno[i] = errno ? errno : EIO;
      continue;
    }
    s.disk_free_mb[i] = static_cast<uint64_t>(v.f_bavail) * v.f_frsize / (1024 * 1024);
  }
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  s.fd_limit = lim.rlim_cur == RLIM_INFINITY ? UINT64_MAX : lim.rlim_cur;
  uint64_t rss_kib = 0, avail_kib = 0;
  s.proc_ok = count_fds(s.open_fds) && read_kib("/proc/self/status", "VmRSS:", rss_kib) &&
              read_kib("/proc/meminfo", "MemAvailable:", avail_kib);
  s.rss_mb = rss_kib / 1024;
  s.mem_available_mb = avail_kib / 1024;
  s.taken_ns = steady_now_ns();
  return s;
}

ResourceSampler::ResourceSampler(std::vector<std::string> disk_paths, uint32_t interval_ms)
    : paths_(std::move(disk_paths)), interval_ms_(interval_ms) {
  published_.publish(sample_resources(paths_));  // the first tick already has a sample
  thread_ = std::thread([this] { loop(); });
}

ResourceSampler::~ResourceSampler() { stop(); }

void ResourceSampler::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ResourceSampler::loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::milliseconds(interval_ms_), [this] { return stopping_; }))
    published_.publish(sample_resources(paths_));
}

}  // namespace sy::control
