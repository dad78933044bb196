// The OTLP/HTTP metrics exporter: a non-EAL thread that collects the appliance's metrics every
// observe.otlp.interval_ms, encodes them and POSTs them to the collector.
//
// Nothing here touches a hot lcore: collection reads single-writer counters, and a slow or
// dead collector only delays this thread (timeouts bound every attempt). Exports wait in a
// bounded queue while the collector is unreachable; retryable failures (connection, 429, 502,
// 503, 504) are retried with doubling backoff; every failure and every dropped export is
// counted (ExportCounters) and printed at exit.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "lcore/runtime.hpp"
#include "src/observe/export_counters.hpp"
#include "src/observe/metric_set.hpp"

namespace sy::observe {

// http://host[:port][/path] split into its parts; false when it is not of that form.
struct Endpoint {
  std::string host;
  int port = 80;
  std::string path = "/v1/metrics";
};
bool parse_endpoint(const std::string& url, Endpoint& out);

class OtlpExporter {
 public:
  // Starts the thread when cfg.observe.otlp.endpoint is set; otherwise does nothing.
  explicit OtlpExporter(Runtime& rt);
  ~OtlpExporter();
  OtlpExporter(const OtlpExporter&) = delete;
  OtlpExporter& operator=(const OtlpExporter&) = delete;

  // Stops the thread after one last export (one attempt: the final cumulative values) and
  // prints a line to stderr when anything failed or was dropped.
  void stop();
  bool enabled() const { return thread_.joinable() || stopped_; }
  const ExportCounters& counters() const { return counters_; }

 private:
  struct Pending {
    std::string body;
    uint32_t attempts = 0;
    std::chrono::steady_clock::time_point not_before;
  };
  void loop();
  void enqueue_export();
  // One POST of the queue's head. True when the export is done with (sent or given up).
  bool attempt(Pending& p);

  Runtime& rt_;
  const conf::OtlpConfig& cfg_;
  Endpoint endpoint_;
  Attrs resource_;
  uint64_t start_ns_ = 0;
  ExportCounters counters_;
  Histogram duration_;  // this thread is its single writer
  std::deque<Pending> queue_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool stopped_ = false;
};

}  // namespace sy::observe
