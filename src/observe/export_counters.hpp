// What the OTLP exporter did, for its own metrics, the telemetry command and the exit line.
// Written by the exporter thread only; read by anyone.
#pragma once

#include <atomic>
#include <cstdint>

namespace sy::observe {

struct ExportCounters {
  std::atomic<uint64_t> exports{0};           // collected and queued
  std::atomic<uint64_t> sent{0};              // accepted by the collector (2xx)
  std::atomic<uint64_t> failed_attempts{0};   // attempts that failed (connection, 4xx, 5xx)
  std::atomic<uint64_t> dropped_queue{0};     // queued exports pushed out by newer ones
  std::atomic<uint64_t> dropped_retries{0};   // exports given up after the last retry
  std::atomic<uint64_t> dropped_rejected{0};  // exports the collector refused for good (4xx)
  std::atomic<uint64_t> partial_success{0};   // responses that carried a partial_success
  std::atomic<int> last_status{0};            // last HTTP status; -1: no connection

  uint64_t dropped() const {
    return dropped_queue.load() + dropped_retries.load() + dropped_rejected.load();
  }
};

}  // namespace sy::observe
