#include "src/observe/otlp_encode.hpp"

#include <cassert>
#include <nlohmann/json.hpp>

#include "src/observe/proto_writer.hpp"

namespace sy::observe {

namespace {

// Field numbers (opentelemetry-proto v1.x). Metric 4, 6 and 8 are reserved: never written.
namespace f {
constexpr uint32_t kRequestResourceMetrics = 1;
constexpr uint32_t kResourceMetricsResource = 1, kResourceMetricsScopeMetrics = 2;
constexpr uint32_t kResourceAttributes = 1;
constexpr uint32_t kScopeMetricsScope = 1, kScopeMetricsMetrics = 2;
constexpr uint32_t kScopeName = 1, kScopeVersion = 2;
constexpr uint32_t kMetricName = 1, kMetricDescription = 2, kMetricUnit = 3;
constexpr uint32_t kMetricGauge = 5, kMetricSum = 7, kMetricHistogram = 9;
constexpr uint32_t kDataPoints = 1, kTemporality = 2, kSumIsMonotonic = 3;
constexpr uint32_t kNumberStart = 2, kNumberTime = 3, kNumberAsDouble = 4, kNumberAsInt = 6,
                   kNumberAttributes = 7;
constexpr uint32_t kHistStart = 2, kHistTime = 3, kHistCount = 4, kHistSum = 5,
                   kHistBucketCounts = 6, kHistBounds = 7, kHistAttributes = 9, kHistMax = 12;
constexpr uint32_t kKeyValueKey = 1, kKeyValueValue = 2;
constexpr uint32_t kAnyString = 1, kAnyInt = 3;
}  // namespace f

constexpr uint64_t kCumulative = 2;  // AggregationTemporality; 0 is invalid on sums/histograms

ProtoWriter key_value(const std::string& key, const AttrValue& value) {
  ProtoWriter any;
  if (const auto* s = std::get_if<std::string>(&value))
    any.bytes_field(f::kAnyString, *s);
  else
    any.uint_field(f::kAnyInt, static_cast<uint64_t>(std::get<int64_t>(value)));  // int64: plain
  ProtoWriter kv;
  kv.bytes_field(f::kKeyValueKey, key);
  kv.message_field(f::kKeyValueValue, any);
  return kv;
}

void write_attrs(ProtoWriter& w, uint32_t field, const Attrs& attrs) {
  for (const auto& [k, v] : attrs) w.message_field(field, key_value(k, v));
}

ProtoWriter number_point(const NumberPoint& p, const MetricSet& set, bool with_start) {
  ProtoWriter w;
  if (with_start) w.fixed64_field(f::kNumberStart, set.start_ns);
  w.fixed64_field(f::kNumberTime, set.time_ns);
  // The value oneof is always written, even when zero: its presence is the value.
  if (p.is_double)
    w.double_field(f::kNumberAsDouble, p.as_double);
  else
    w.sfixed64_field(f::kNumberAsInt, p.as_int);
  write_attrs(w, f::kNumberAttributes, p.attrs);
  return w;
}

ProtoWriter histogram_point(const HistogramPoint& p, const MetricSet& set) {
  assert(p.buckets.size() == p.bounds.size() + 1);
  ProtoWriter w;
  w.fixed64_field(f::kHistStart, set.start_ns);
  w.fixed64_field(f::kHistTime, set.time_ns);
  w.fixed64_field(f::kHistCount, p.count);
  w.double_field(f::kHistSum, p.sum);  // optional field: written, durations are never negative
  w.packed64(f::kHistBucketCounts, p.buckets.begin(), p.buckets.end(),
             [](uint64_t v) { return v; });
  w.packed64(f::kHistBounds, p.bounds.begin(), p.bounds.end(), [](double d) {
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    return bits;
  });
  write_attrs(w, f::kHistAttributes, p.attrs);
  if (p.has_max) w.double_field(f::kHistMax, p.max);
  return w;
}

ProtoWriter metric(const Metric& m, const MetricSet& set) {
  ProtoWriter w;
  w.bytes_field(f::kMetricName, m.name);
  if (!m.description.empty()) w.bytes_field(f::kMetricDescription, m.description);
  if (!m.unit.empty()) w.bytes_field(f::kMetricUnit, m.unit);
  ProtoWriter data;
  switch (m.kind) {
    case MetricKind::sum:
      for (const auto& p : m.numbers)
        data.message_field(f::kDataPoints, number_point(p, set, true));
      data.uint_field(f::kTemporality, kCumulative);
      data.uint_field(f::kSumIsMonotonic, m.monotonic ? 1 : 0);
      w.message_field(f::kMetricSum, data);
      break;
    case MetricKind::gauge:
      for (const auto& p : m.numbers)
        data.message_field(f::kDataPoints, number_point(p, set, false));
      w.message_field(f::kMetricGauge, data);
      break;
    case MetricKind::histogram:
      for (const auto& p : m.histograms)
        data.message_field(f::kDataPoints, histogram_point(p, set));
      data.uint_field(f::kTemporality, kCumulative);
      w.message_field(f::kMetricHistogram, data);
      break;
  }
  return w;
}

// --- OTLP/JSON: lowerCamelCase keys, enums as integers, 64-bit integers as decimal strings.

nlohmann::json attrs_json(const Attrs& attrs) {
  nlohmann::json a = nlohmann::json::array();
  for (const auto& [k, v] : attrs) {
    nlohmann::json value;
    if (const auto* s = std::get_if<std::string>(&v))
      value["stringValue"] = *s;
    else
      value["intValue"] = std::to_string(std::get<int64_t>(v));
    a.push_back({{"key", k}, {"value", value}});
  }
  return a;
}

nlohmann::json number_point_json(const NumberPoint& p, const MetricSet& set, bool with_start) {
  nlohmann::json j;
  j["attributes"] = attrs_json(p.attrs);
  if (with_start) j["startTimeUnixNano"] = std::to_string(set.start_ns);
  j["timeUnixNano"] = std::to_string(set.time_ns);
  if (p.is_double)
    j["asDouble"] = p.as_double;
  else
    j["asInt"] = std::to_string(p.as_int);
  return j;
}

nlohmann::json histogram_point_json(const HistogramPoint& p, const MetricSet& set) {
  nlohmann::json j;
  j["attributes"] = attrs_json(p.attrs);
  j["startTimeUnixNano"] = std::to_string(set.start_ns);
  j["timeUnixNano"] = std::to_string(set.time_ns);
  j["count"] = std::to_string(p.count);
  j["sum"] = p.sum;
  nlohmann::json buckets = nlohmann::json::array();
  for (uint64_t b : p.buckets) buckets.push_back(std::to_string(b));
  j["bucketCounts"] = buckets;
  j["explicitBounds"] = p.bounds;
  if (p.has_max) j["max"] = p.max;
  return j;
}

}  // namespace

std::string encode_protobuf(const MetricSet& set) {
  ProtoWriter resource;
  write_attrs(resource, f::kResourceAttributes, set.resource);
  ProtoWriter scope;
  scope.bytes_field(f::kScopeName, set.scope_name);
  if (!set.scope_version.empty()) scope.bytes_field(f::kScopeVersion, set.scope_version);
  ProtoWriter scope_metrics;
  scope_metrics.message_field(f::kScopeMetricsScope, scope);
  for (const auto& m : set.metrics)
    scope_metrics.message_field(f::kScopeMetricsMetrics, metric(m, set));
  ProtoWriter resource_metrics;
  resource_metrics.message_field(f::kResourceMetricsResource, resource);
  resource_metrics.message_field(f::kResourceMetricsScopeMetrics, scope_metrics);
  ProtoWriter request;
  request.message_field(f::kRequestResourceMetrics, resource_metrics);
  return request.bytes();
}

std::string encode_json(const MetricSet& set) {
  nlohmann::json metrics = nlohmann::json::array();
  for (const auto& m : set.metrics) {
    nlohmann::json j;
    j["name"] = m.name;
    if (!m.description.empty()) j["description"] = m.description;
    if (!m.unit.empty()) j["unit"] = m.unit;
    nlohmann::json points = nlohmann::json::array();
    switch (m.kind) {
      case MetricKind::sum:
        for (const auto& p : m.numbers) points.push_back(number_point_json(p, set, true));
        j["sum"] = {{"dataPoints", points},
                    {"aggregationTemporality", kCumulative},
                    {"isMonotonic", m.monotonic}};
        break;
      case MetricKind::gauge:
        for (const auto& p : m.numbers) points.push_back(number_point_json(p, set, false));
        j["gauge"] = {{"dataPoints", points}};
        break;
      case MetricKind::histogram:
        for (const auto& p : m.histograms) points.push_back(histogram_point_json(p, set));
        j["histogram"] = {{"dataPoints", points}, {"aggregationTemporality", kCumulative}};
        break;
    }
    metrics.push_back(j);
  }
  nlohmann::json scope = {{"name", set.scope_name}};
  if (!set.scope_version.empty()) scope["version"] = set.scope_version;
  nlohmann::json request = {
      {"resourceMetrics",
       nlohmann::json::array(
           {{{"resource", {{"attributes", attrs_json(set.resource)}}},
             {"scopeMetrics",
              nlohmann::json::array({{{"scope", scope}, {"metrics", metrics}}})}}})}};
  return request.dump();
}

}  // namespace sy::observe
