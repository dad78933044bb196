// A test-side OTLP metrics decoder: generic protobuf wire parsing plus the field numbers of
// opentelemetry-proto v1.x, written from the spec's field table independently of the encoder
// (the external referee, ../shared/tools/otlp-receiver, checks both against the official
// .proto files).
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace sy::observe::test {

struct Field {
  uint32_t number = 0;
  uint32_t wire = 0;
  uint64_t value = 0;  // varint or fixed64
  std::string bytes;   // LEN
};

inline std::vector<Field> parse(const std::string& msg) {
  std::vector<Field> out;
  size_t i = 0;
  auto varint = [&]() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (i >= msg.size()) throw std::runtime_error("truncated varint");
      const auto b = static_cast<uint8_t>(msg[i++]);
      v |= uint64_t{b & 0x7fu} << shift;
      if ((b & 0x80) == 0) return v;
    }
    throw std::runtime_error("varint too long");
  };
  while (i < msg.size()) {
    const uint64_t key = varint();
    Field f;
    f.number = static_cast<uint32_t>(key >> 3);
    f.wire = static_cast<uint32_t>(key & 7);
    switch (f.wire) {
      case 0:
        f.value = varint();
        break;
      case 1:
        if (i + 8 > msg.size()) throw std::runtime_error("truncated fixed64");
        std::memcpy(&f.value, msg.data() + i, 8);
        i += 8;
        break;
      case 2: {
        const uint64_t n = varint();
        if (i + n > msg.size()) throw std::runtime_error("truncated LEN");
        f.bytes = msg.substr(i, n);
        i += n;
        break;
      }
      default:
        throw std::runtime_error("unexpected wire type " + std::to_string(f.wire));
    }
    out.push_back(std::move(f));
  }
  return out;
}

inline double as_double(uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

struct DPoint {
  std::map<std::string, std::string> attrs;  // ints as decimal text
  uint64_t start_ns = 0, time_ns = 0;
  bool is_int = false, is_double = false;
  int64_t as_int = 0;
  double as_double = 0;
  // histogram
  uint64_t count = 0;
  bool has_sum = false, has_max = false;
  double sum = 0, max = 0;
  std::vector<uint64_t> buckets;
  std::vector<double> bounds;
};

struct DMetric {
  std::string name, description, unit;
  std::string type;  // "sum", "gauge", "histogram", or the field number of anything else
  uint64_t temporality = 0;
  bool monotonic = false;
  std::vector<DPoint> points;
};

struct DRequest {
  std::map<std::string, std::string> resource;
  std::string scope_name, scope_version;
  std::vector<DMetric> metrics;
  std::vector<std::string> problems;  // unknown or reserved fields, wrong wire types

  const DMetric* find(const std::string& name) const {
    for (const auto& m : metrics)
      if (m.name == name) return &m;
    return nullptr;
  }
};

inline void expect_wire(DRequest& r, const Field& f, uint32_t wire, const char* where) {
  if (f.wire != wire)
    r.problems.push_back(std::string(where) + ": field " + std::to_string(f.number) +
                         " has wire type " + std::to_string(f.wire));
}

inline std::pair<std::string, std::string> decode_kv(DRequest& r, const std::string& bytes) {
  std::string key, value;
  for (const Field& f : parse(bytes)) {
    if (f.number == 1) {
      key = f.bytes;
    } else if (f.number == 2) {
      for (const Field& v : parse(f.bytes)) {
        if (v.number == 1)
          value = v.bytes;  // string_value
        else if (v.number == 3)
          value = std::to_string(int64_t(v.value));  // int_value
        else
          r.problems.push_back("AnyValue field " + std::to_string(v.number));
      }
    } else {
      r.problems.push_back("KeyValue field " + std::to_string(f.number));
    }
  }
  return {key, value};
}

inline DPoint decode_number_point(DRequest& r, const std::string& bytes) {
  DPoint p;
  for (const Field& f : parse(bytes)) {
    switch (f.number) {
      case 7:
        p.attrs.insert(decode_kv(r, f.bytes));
        break;
      case 2:
        expect_wire(r, f, 1, "start");
        p.start_ns = f.value;
        break;
      case 3:
        expect_wire(r, f, 1, "time");
        p.time_ns = f.value;
        break;
      case 4:
        expect_wire(r, f, 1, "as_double");
        p.is_double = true;
        p.as_double = as_double(f.value);
        break;
      case 6:
        expect_wire(r, f, 1, "as_int");
        p.is_int = true;
        p.as_int = int64_t(f.value);
        break;
      default:
        r.problems.push_back("NumberDataPoint field " + std::to_string(f.number));
    }
  }
  return p;
}

inline DPoint decode_histogram_point(DRequest& r, const std::string& bytes) {
  DPoint p;
  for (const Field& f : parse(bytes)) {
    switch (f.number) {
      case 9:
        p.attrs.insert(decode_kv(r, f.bytes));
        break;
      case 2:
        p.start_ns = f.value;
        break;
      case 3:
        p.time_ns = f.value;
        break;
      case 4:
        expect_wire(r, f, 1, "count");
        p.count = f.value;
        break;
      case 5:
        p.has_sum = true;
        p.sum = as_double(f.value);
        break;
      case 6:
        expect_wire(r, f, 2, "bucket_counts");
        for (size_t i = 0; i + 8 <= f.bytes.size(); i += 8) {
          uint64_t v;
          std::memcpy(&v, f.bytes.data() + i, 8);
          p.buckets.push_back(v);
        }
        break;
      case 7:
        expect_wire(r, f, 2, "explicit_bounds");
        for (size_t i = 0; i + 8 <= f.bytes.size(); i += 8) {
          uint64_t v;
          std::memcpy(&v, f.bytes.data() + i, 8);
          p.bounds.push_back(as_double(v));
        }
        break;
      case 12:
        p.has_max = true;
        p.max = as_double(f.value);
        break;
      default:
        r.problems.push_back("HistogramDataPoint field " + std::to_string(f.number));
    }
  }
  return p;
}

inline DMetric decode_metric(DRequest& r, const std::string& bytes) {
  DMetric m;
  for (const Field& f : parse(bytes)) {
    switch (f.number) {
      case 1:
        m.name = f.bytes;
        break;
      case 2:
        m.description = f.bytes;
        break;
      case 3:
        m.unit = f.bytes;
        break;
      case 5:
      case 7:
      case 9: {
        if (!m.type.empty()) r.problems.push_back(m.name + ": two data members");
        m.type = f.number == 5 ? "gauge" : f.number == 7 ? "sum" : "histogram";
        for (const Field& d : parse(f.bytes)) {
          if (d.number == 1)
            m.points.push_back(f.number == 9 ? decode_histogram_point(r, d.bytes)
                                             : decode_number_point(r, d.bytes));
          else if (d.number == 2 && f.number != 5)
            m.temporality = d.value;
          else if (d.number == 3 && f.number == 7)
            m.monotonic = d.value != 0;
          else
            r.problems.push_back(m.name + ": data field " + std::to_string(d.number));
        }
        break;
      }
      default:
        r.problems.push_back("Metric field " + std::to_string(f.number));
        m.type = std::to_string(f.number);
    }
  }
  return m;
}

// ExportMetricsServiceRequest with one ResourceMetrics and one ScopeMetrics (what we send).
inline DRequest decode_request(const std::string& body) {
  DRequest r;
  const auto top = parse(body);
  if (top.size() != 1 || top[0].number != 1) r.problems.push_back("expected one resource_metrics");
  for (const Field& rm : top)
    for (const Field& f : parse(rm.bytes)) {
      if (f.number == 1) {
        for (const Field& a : parse(f.bytes))
          if (a.number == 1) r.resource.insert(decode_kv(r, a.bytes));
      } else if (f.number == 2) {
        for (const Field& s : parse(f.bytes)) {
          if (s.number == 1) {
            for (const Field& sc : parse(s.bytes)) {
              if (sc.number == 1) r.scope_name = sc.bytes;
              if (sc.number == 2) r.scope_version = sc.bytes;
            }
          } else if (s.number == 2) {
            r.metrics.push_back(decode_metric(r, s.bytes));
          }
        }
      } else {
        r.problems.push_back("ResourceMetrics field " + std::to_string(f.number));
      }
    }
  return r;
}

}  // namespace sy::observe::test
