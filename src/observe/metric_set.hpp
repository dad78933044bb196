// One export's worth of metrics in the OTLP data model, independent of the wire encoding.
//
// Built off the hot path (src/observe/collect.cpp) and encoded by otlp_encode.cpp as OTLP
// protobuf or OTLP/JSON. Only what the appliance produces is modelled: cumulative sums
// (monotonic or not), gauges, and explicit-bound histograms.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace sy::observe {

using AttrValue = std::variant<std::string, int64_t>;
using Attrs = std::vector<std::pair<std::string, AttrValue>>;

enum class MetricKind : uint8_t { sum, gauge, histogram };

struct NumberPoint {
  Attrs attrs;
  bool is_double = false;
  int64_t as_int = 0;
  double as_double = 0;
};

struct HistogramPoint {
  Attrs attrs;
  uint64_t count = 0;  // = Σ buckets
  double sum = 0;
  bool has_max = false;
  double max = 0;
  std::vector<double> bounds;     // strictly increasing
  std::vector<uint64_t> buckets;  // bounds.size() + 1
};

struct Metric {
  std::string name;
  std::string description;
  std::string unit;  // UCUM: "s", "By", "{packet}"
  MetricKind kind = MetricKind::sum;
  bool monotonic = true;  // sums only
  std::vector<NumberPoint> numbers;
  std::vector<HistogramPoint> histograms;
};

struct MetricSet {
  Attrs resource;
  std::string scope_name;
  std::string scope_version;
  uint64_t start_ns = 0;       // start of accumulation (process start), UTC ns
  uint64_t time_ns = 0;        // when the values were read, UTC ns
  std::deque<Metric> metrics;  // a deque: builders hand out references that must stay valid

  // Builders: each returns the new metric so points can be appended.
  Metric& counter(std::string name, std::string unit, std::string description) {
    return add(std::move(name), std::move(unit), std::move(description), MetricKind::sum, true);
  }
  Metric& updown(std::string name, std::string unit, std::string description) {
    return add(std::move(name), std::move(unit), std::move(description), MetricKind::sum, false);
  }
  Metric& gauge(std::string name, std::string unit, std::string description) {
    return add(std::move(name), std::move(unit), std::move(description), MetricKind::gauge, false);
  }
  Metric& histogram(std::string name, std::string unit, std::string description) {
    return add(std::move(name), std::move(unit), std::move(description), MetricKind::histogram,
               false);
  }

 private:
  Metric& add(std::string name, std::string unit, std::string description, MetricKind kind,
              bool monotonic) {
    Metric m;
    m.name = std::move(name);
    m.unit = std::move(unit);
    m.description = std::move(description);
    m.kind = kind;
    m.monotonic = monotonic;
    metrics.push_back(std::move(m));
    return metrics.back();
  }
};

inline void add_int(Metric& m, Attrs attrs, int64_t v) {
  NumberPoint p;
  p.attrs = std::move(attrs);
  p.as_int = v;
  m.numbers.push_back(std::move(p));
}

inline void add_double(Metric& m, Attrs attrs, double v) {
  NumberPoint p;
  p.attrs = std::move(attrs);
  p.is_double = true;
  p.as_double = v;
  m.numbers.push_back(std::move(p));
}

}  // namespace sy::observe
