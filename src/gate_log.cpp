#include "src/gate_log.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>

#include "src/risk/gate_result.hpp"

namespace sy {

GateLog::GateLog(rte_ring* ring, const std::string& path) : ring_(ring), path_(path) {
  if (ring_ == nullptr) return;
  if (!path_.empty()) {
    out_ = std::fopen(path_.c_str(), "a");
    if (out_ == nullptr) error_ = "cannot open " + path_ + ": " + std::strerror(errno);
  }
  thread_ = std::thread([this] { loop(); });
}

unsigned GateLog::drain() {
  risk::GateResultRecord recs[64];
  const unsigned n = rte_ring_sc_dequeue_burst_elem(ring_, recs, sizeof recs[0], 64, nullptr);
  for (unsigned i = 0; i < n; ++i) {
    records_.fetch_add(1, std::memory_order_relaxed);
    if (out_ == nullptr) {
      if (!path_.empty()) write_errors_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    const std::string line = risk::gate_result_json(recs[i]);
    if (std::fprintf(out_, "%s\n", line.c_str()) < 0) {
      if (write_errors_.fetch_add(1, std::memory_order_relaxed) == 0 && error_.empty())
        error_ = "write " + path_ + ": " + std::strerror(errno);
    } else {
      written_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  return n;
}

void GateLog::loop() {
  while (!stopping_.load(std::memory_order_acquire)) {
    if (drain() == 0) {
      if (out_) std::fflush(out_);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
}

void GateLog::stop() {
  if (!thread_.joinable()) return;
  stopping_.store(true, std::memory_order_release);
  thread_.join();
  while (drain() != 0) {
  }
  if (out_) {
    if (std::fclose(out_) != 0 && error_.empty())
      error_ = "close " + path_ + ": " + std::strerror(errno);
    out_ = nullptr;
  }
}

}  // namespace sy
