// The OTLP encoder against the wire facts of opentelemetry-proto (field numbers, wire types,
// packed repeated fields, temporality), the explicit-bound export of log-linear histograms,
// and the OTLP/JSON mapping.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "src/observe/latency_registry.hpp"
#include "src/observe/otlp_encode.hpp"
#include "tests/observe/otlp_decode.hpp"

namespace sy::observe {
namespace {

std::string hex(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

std::string hex_of(const char* text) { return hex(std::string(text)); }

MetricSet sample() {
  MetricSet set;
  set.resource = {{"service.name", std::string("appliance")}};
  set.scope_name = "appliance.metrics";
  set.start_ns = 1'700'000'000'000'000'000;
  set.time_ns = 1'700'000'001'000'000'000;
  Metric& c = set.counter("appliance.requests", "{request}", "Requests handled");
  add_int(c, {{"http.request.method", std::string("GET")}}, 1234);
  add_int(c, {{"http.request.method", std::string("PUT")}}, 0);
  Metric& g = set.gauge("appliance.fill", "{entry}", "");
  add_double(g, {{"lcore.id", int64_t{3}}}, 0.5);
  Metric& u = set.updown("system.filesystem.usage", "By", "");
  add_int(u, {}, 42);
  return set;
}

TEST(OtlpProtobuf, ResourceAttributeBytesAreTheSpecsWorkedExample) {
  const std::string body = encode_protobuf(sample());
  // KeyValue{key "service.name", value AnyValue{string_value "appliance"}}: 0a 1b 0a 0c ... 12
  // 0b 0a 09 ..., inside Resource (0a) inside ResourceMetrics (0a) inside the request (0a).
  const std::string kv = "0a1b0a0c" + hex_of("service.name") + "120b0a09" + hex_of("appliance");
  EXPECT_NE(hex(body).find("0a1d" + kv), std::string::npos) << hex(body);
  EXPECT_EQ(static_cast<uint8_t>(body[0]), 0x0a);
}

TEST(OtlpProtobuf, SumIsCumulativeMonotonicWithSfixed64Values) {
  const std::string h = hex(encode_protobuf(sample()));
  EXPECT_NE(h.find("31d204000000000000"), std::string::npos);  // as_int 1234, sfixed64
  EXPECT_NE(h.find("310000000000000000"), std::string::npos);  // a zero value is still written
  EXPECT_NE(h.find("10021801"), std::string::npos);            // CUMULATIVE, is_monotonic
  EXPECT_NE(h.find("10021800"), std::string::npos);            // the UpDownCounter: not monotonic
}

TEST(OtlpProtobuf, DecodesToWhatWasBuilt) {
  const test::DRequest r = test::decode_request(encode_protobuf(sample()));
  EXPECT_TRUE(r.problems.empty()) << r.problems.front();
  EXPECT_EQ(r.resource.at("service.name"), "appliance");
  EXPECT_EQ(r.scope_name, "appliance.metrics");
  ASSERT_EQ(r.metrics.size(), 3u);
  const test::DMetric* c = r.find("appliance.requests");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->type, "sum");
  EXPECT_EQ(c->unit, "{request}");
  EXPECT_EQ(c->description, "Requests handled");
  EXPECT_EQ(c->temporality, 2u);
  EXPECT_TRUE(c->monotonic);
  ASSERT_EQ(c->points.size(), 2u);
  EXPECT_TRUE(c->points[0].is_int);
  EXPECT_EQ(c->points[0].as_int, 1234);
  EXPECT_EQ(c->points[0].attrs.at("http.request.method"), "GET");
  EXPECT_EQ(c->points[0].start_ns, 1'700'000'000'000'000'000u);
  EXPECT_EQ(c->points[0].time_ns, 1'700'000'001'000'000'000u);
  const test::DMetric* g = r.find("appliance.fill");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->type, "gauge");
  EXPECT_TRUE(g->points[0].is_double);
  EXPECT_EQ(g->points[0].as_double, 0.5);
  EXPECT_EQ(g->points[0].attrs.at("lcore.id"), "3");
  EXPECT_EQ(g->points[0].start_ns, 0u);  // gauges carry no start time
}

// Every exported bucket count equals a brute-force count of the recorded values.
TEST(ExplicitBounds, CountsAreExactAgainstBruteForce) {
  Histogram h;
  std::vector<uint64_t> values;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) {
    const uint64_t v = rng() % (uint64_t{1} << (rng() % 36));
    values.push_back(v);
    h.record(v);
  }
  for (uint64_t v : export_bounds_ns()) {  // values right on and next to each bound
    values.push_back(v);
    values.push_back(v + 1);
    h.record(v);
    h.record(v + 1);
  }
  const HistogramPoint p = explicit_point(h.snapshot(), {});
  const std::vector<uint64_t> bounds = export_bounds_ns();
  ASSERT_EQ(p.bounds.size(), bounds.size());
  ASSERT_EQ(p.buckets.size(), bounds.size() + 1);
  std::vector<uint64_t> expect(bounds.size() + 1, 0);
  for (uint64_t v : values) {
    size_t i = 0;
    while (i < bounds.size() && v > bounds[i]) ++i;  // bucket i covers (b[i-1], b[i]]
    ++expect[i];
  }
  EXPECT_EQ(p.buckets, expect);
  EXPECT_EQ(p.count, values.size());
  for (size_t i = 1; i < p.bounds.size(); ++i) EXPECT_LT(p.bounds[i - 1], p.bounds[i]);
  for (size_t i = 0; i < bounds.size(); ++i) {
    EXPECT_EQ(p.bounds[i], static_cast<double>(bounds[i]) * 1e-9);  // seconds
  }
}

TEST(ExplicitBounds, RoundValuesMoveUpByAtMostOneBucket) {
  const std::vector<uint64_t> b = export_bounds_ns();
  EXPECT_EQ(b.front(), 101u);  // 100 ns is in the 2-ns-wide bucket [100, 102)
  for (uint64_t v : b) EXPECT_EQ(hist_bucket_upper(hist_bucket_of(v)), v + 1);  // bucket ends
}

TEST(OtlpProtobuf, HistogramPointIsPackedAndConsistent) {
  Histogram h;
  for (uint64_t v : {50u, 900u, 1500u, 3'000'000u}) h.record(v);
  MetricSet set;
  set.scope_name = "s";
  set.start_ns = 1;
  set.time_ns = 2;
  set.histogram("stage.duration", "s", "")
      .histograms.push_back(explicit_point(h.snapshot(), {{"stage", std::string("ingest")}}));
  const test::DRequest r = test::decode_request(encode_protobuf(set));
  ASSERT_TRUE(r.problems.empty()) << r.problems.front();
  const test::DMetric* m = r.find("stage.duration");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->type, "histogram");
  EXPECT_EQ(m->temporality, 2u);
  const test::DPoint& p = m->points.at(0);
  EXPECT_EQ(p.count, 4u);
  EXPECT_EQ(p.buckets.size(), p.bounds.size() + 1);
  uint64_t total = 0;
  for (uint64_t b : p.buckets) total += b;
  EXPECT_EQ(total, 4u);
  EXPECT_TRUE(p.has_sum);
  EXPECT_NEAR(p.sum, 3'002'450e-9, 1e-12);
  EXPECT_TRUE(p.has_max);
  EXPECT_NEAR(p.max, 3e-3, 1e-12);
  EXPECT_EQ(p.attrs.at("stage"), "ingest");
}

TEST(OtlpJson, UsesLowerCamelCaseIntegerEnumsAndDecimalStrings) {
  const nlohmann::json j = nlohmann::json::parse(encode_json(sample()));
  const auto& rm = j.at("resourceMetrics").at(0);
  EXPECT_EQ(rm.at("resource").at("attributes").at(0).at("key"), "service.name");
  EXPECT_EQ(rm.at("resource").at("attributes").at(0).at("value").at("stringValue"), "appliance");
  const auto& metrics = rm.at("scopeMetrics").at(0).at("metrics");
  const auto& sum = metrics.at(0).at("sum");
  EXPECT_EQ(sum.at("aggregationTemporality"), 2);
  EXPECT_EQ(sum.at("isMonotonic"), true);
  EXPECT_EQ(sum.at("dataPoints").at(0).at("asInt"), "1234");
  EXPECT_EQ(sum.at("dataPoints").at(0).at("startTimeUnixNano"), "1700000000000000000");
  EXPECT_EQ(metrics.at(1).at("gauge").at("dataPoints").at(0).at("asDouble"), 0.5);
  EXPECT_EQ(metrics.at(1)
                .at("gauge")
                .at("dataPoints")
                .at(0)
                .at("attributes")
                .at(0)
                .at("value")
                .at("intValue"),
            "3");
  EXPECT_EQ(j.dump().find("data_points"), std::string::npos);  // no snake_case keys
}

TEST(LatencyRegistry, MergesTheSameSeriesAcrossLcoresAndForgetsRemovedOnes) {
  LatencyRegistry reg;
  Histogram a, b, c;
  a.record(100);
  b.record(200);
  c.record(300);
  reg.add("x.duration", "", {{"stage", std::string("s1")}}, &a);
  reg.add("x.duration", "", {{"stage", std::string("s1")}}, &b);
  reg.add("x.duration", "", {{"stage", std::string("s2")}}, &c);
  auto snap = reg.snapshot();
  ASSERT_EQ(snap.size(), 2u);
  EXPECT_EQ(snap[0].snapshot.count, 2u);
  EXPECT_EQ(snap[0].snapshot.sum, 300u);
  EXPECT_EQ(snap[1].snapshot.count, 1u);
  reg.remove(&b);
  snap = reg.snapshot();
  EXPECT_EQ(snap[0].snapshot.count, 1u);
}

}  // namespace
}  // namespace sy::observe
