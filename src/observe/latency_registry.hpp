// Named latency histograms that the exporters (OTLP, DPDK telemetry) publish.
//
// A role that measures a latency stage owns its Histogram (src/common/histogram.hpp, single
// writer, recorded on its lcore without locks) and registers it here once, before launch,
// under a metric name and attributes; several lcores may register the same name and
// attributes, and their snapshots are merged. Readers (non-EAL threads) take the registry's
// mutex only against registration; the hot path never touches the registry.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include "src/common/histogram.hpp"
#include "src/observe/metric_set.hpp"

namespace sy::observe {

class LatencyRegistry {
 public:
  struct Merged {
    std::string metric;  // OTel-style name, e.g. "switchyard.stage.duration"
    std::string description;
    Attrs attrs;  // e.g. {{"stage", "md_ingest"}}
    HistogramSnapshot snapshot;
  };

  // `h` must outlive every reader (histograms live as long as the Runtime).
  void add(std::string metric, std::string description, Attrs attrs, const Histogram* h) {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.push_back({std::move(metric), std::move(description), std::move(attrs), h});
  }

  // Before `h` goes away while the registry lives on.
  void remove(const Histogram* h) {
    std::lock_guard<std::mutex> lock(mu_);
    std::erase_if(entries_, [h](const Entry& e) { return e.hist == h; });
  }

  // One merged snapshot per (metric, attrs), in registration order.
  std::vector<Merged> snapshot() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Merged> out;
    for (const auto& e : entries_) {
      Merged* m = nullptr;
      for (auto& o : out)
        if (o.metric == e.metric && o.attrs == e.attrs) m = &o;
      if (m == nullptr) {
        out.push_back({e.metric, e.description, e.attrs, {}});
        m = &out.back();
      }
      e.hist->snapshot_into(m->snapshot);
    }
    return out;
  }

  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return entries_.size();
  }

 private:
  struct Entry {
    std::string metric, description;
    Attrs attrs;
    const Histogram* hist;
  };
  mutable std::mutex mu_;
  std::vector<Entry> entries_;
};

// Explicit bounds (ns) for exporting a log-linear histogram: round values from 100 ns to 10 s,
// each moved up to the last value of the log-linear bucket holding it, so every exported
// bucket is a union of whole log-linear buckets and its count is exact (at most 3.1% above
// the round value).
std::vector<uint64_t> export_bounds_ns();

// The explicit-bound point for `s`: bounds in seconds, counts per bucket, count = Σ buckets
// (a live snapshot's count field may run a few records ahead of its buckets).
HistogramPoint explicit_point(const HistogramSnapshot& s, Attrs attrs);

}  // namespace sy::observe
