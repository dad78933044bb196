// MetricSet -> the body of an OTLP/HTTP POST /v1/metrics (ExportMetricsServiceRequest).
//
// Field numbers and wire types follow opentelemetry-proto v1.x (metrics.proto, common.proto,
// resource.proto, metrics_service.proto); docs/observability.md lists what is written.
#pragma once

#include <string>

#include "src/observe/metric_set.hpp"

namespace sy::observe {

inline constexpr const char* kContentTypeProtobuf = "application/x-protobuf";
inline constexpr const char* kContentTypeJson = "application/json";

std::string encode_protobuf(const MetricSet& set);
std::string encode_json(const MetricSet& set);

}  // namespace sy::observe
