// The gate log: a non-EAL thread that drains the execution lcore's gate_results ring and writes
// each 128-byte record as one JSON line (docs/contracts/gate_results.schema.json). JSON and file
// work never run on an lcore. Without a path the records are drained and counted only.
#pragma once

#include <rte_ring.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>

namespace sy {

class GateLog {
 public:
  // `ring` may be null (no execution path): the thread is not started.
  GateLog(rte_ring* ring, const std::string& path);
  ~GateLog() { stop(); }
  GateLog(const GateLog&) = delete;
  GateLog& operator=(const GateLog&) = delete;

  // Drains what is left (after the execution lcore has stopped) and joins the thread.
  void stop();

  uint64_t records() const { return records_.load(std::memory_order_relaxed); }
  uint64_t written() const { return written_.load(std::memory_order_relaxed); }
  uint64_t write_errors() const { return write_errors_.load(std::memory_order_relaxed); }
  const std::string& error() const { return error_; }  // first failure, after stop()

 private:
  void loop();
  unsigned drain();

  rte_ring* ring_;
  std::string path_;
  FILE* out_ = nullptr;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> records_{0};
  std::atomic<uint64_t> written_{0};
  std::atomic<uint64_t> write_errors_{0};
  std::string error_;
};

}  // namespace sy
