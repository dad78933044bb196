// The end-of-run books: per port, per class, per lcore, drops by reason, the counting identity,
// and the exit code they imply. Printed as one screen and, on request, written as JSON.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lcore/control.hpp"
#include "lcore/runtime.hpp"
#include "src/common/exit_code.hpp"

namespace sy {

using DropCounts = std::array<uint64_t, kDropReasonCount>;

struct FlowTotals {
  std::string name;
  uint64_t received = 0;
  uint64_t bytes = 0;
  uint64_t delivered = 0;
  DropCounts dropped{};
  uint64_t dropped_total() const;
  bool identity_holds() const { return received == delivered + dropped_total(); }
};

struct ClassTotals : FlowTotals {
  std::string priority;
  std::string destination;
  uint64_t consumed = 0;  // packets the destination lcore took off its ring
  uint64_t refused = 0;   // of those, dropped by the destination (counted in `dropped`)
};

struct LcoreTotals {
  uint32_t id = 0, cpu = 0;
  std::string role;
  uint64_t loops = 0, busy_loops = 0, in_packets = 0, rx_packets = 0;
  uint64_t tx_packets = 0, tx_dropped = 0;
};

struct FeedTotals {
  std::string name, state;
  uint64_t received = 0, applied = 0, recovered = 0, duplicates = 0, gaps = 0, lost = 0;
  uint64_t lost_ranges = 0, decode_errors = 0, records = 0, records_dropped = 0;
};

struct Summary {
  StopOutcome stop;
  std::vector<FeedTotals> feeds;
  std::vector<FlowTotals> ports;     // rx side, NIC counters folded in
  std::vector<FlowTotals> tx_ports;  // what the appliance sent
  std::vector<ClassTotals> classes;
  std::vector<LcoreTotals> lcores;
  std::vector<std::string> identity_violations;
  uint64_t lost = 0;  // Σ drops whose reason is loss
  ExitCode exit_code = kExitClean;
  std::string eal_mode;
  nlohmann::json control;    // the control plane's part (null: control.supervise false)
  nlohmann::json execution;  // src/execution_report.hpp; null without order sessions

  nlohmann::json to_json() const;
  std::string to_text() const;
};

// Reads every lcore's counters and the NIC's, after all lcores returned.
Summary collect_summary(const Runtime& rt, const StopOutcome& stop, const std::string& eal_mode);

}  // namespace sy
