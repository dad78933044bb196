// The execution path's figures for the exit summary and the integrity report: per session,
// router and gate counters, the ledger's totals and the latency of each budget stage.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "lcore/runtime.hpp"

namespace sy {

// Null when the appliance has no order sessions. Reads what the execution lcore published;
// after the lcores have stopped it is exact.
nlohmann::json execution_report(const Runtime& rt);
// While the lcores run: only what the execution lcore publishes for other threads (router
// counters, venue state, earlier-run orders); null without order sessions.
nlohmann::json execution_report_live(const Runtime& rt);

// A few lines for the one-screen summary ("" without order sessions).
std::string execution_text(const nlohmann::json& report);

}  // namespace sy
