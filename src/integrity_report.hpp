// The integrity report (docs/contracts/integrity_report.schema.json): per feed and line what
// was received, applied, suppressed as duplicate, recovered (by the other line or by re-request)
// and lost (exact ranges), stale periods and state; and per port and class every packet that was
// not processed, by reason. Assembled on the control side, never on a hot lcore.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "lcore/runtime.hpp"
#include "src/summary.hpp"

namespace sy {

// While running: from the feeds' published snapshots only (no lost range list, no events).
nlohmann::json integrity_report_live(const Runtime& rt);

// After every lcore returned: everything, including the exit summary's packet books.
nlohmann::json integrity_report_final(const Runtime& rt, const Summary& summary);

// Writes `report` to `path` atomically (a temporary file renamed over it). False on failure.
bool write_report(const std::string& path, const nlohmann::json& report, std::string* error);

}  // namespace sy
