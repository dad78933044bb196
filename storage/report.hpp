// The storage section of the integrity report: per stream what was accepted, persisted and not
// persisted (by reason), the durable watermark, latency quantiles of the seed-000 budgets
// ("Market ingest: receive -> raw persist", "Canonical: raw -> canonical persist"), what
// recovery cut at start, retention and the audit events. Built off the lcores.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "storage/state.hpp"

namespace sy::storage {

// What producers handed to storage as raw captures (their own counters).
struct CaptureTotals {
  uint64_t attempted = 0;
  uint64_t enqueued = 0;
  uint64_t ring_full = 0;  // copies the capture ring refused: not persisted
  uint64_t shed_p2 = 0;    // not captured while storage was behind (capture shedding)
  uint64_t shed_p1 = 0;
};

nlohmann::json report_json(const StorageState& st, const std::vector<std::string>& class_names,
                           const CaptureTotals& capture, uint32_t hazards);

}  // namespace sy::storage
