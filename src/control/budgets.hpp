// Latency budgets (seed 000 §2): the policy (conf/policy/budgets.yaml), the registry where any
// lcore's Histogram is filed under a budget category and stage, and the evaluator the control
// lcore runs.
//
// Histograms have one writer each (the lcore or thread that records); the evaluator snapshots
// them with relaxed loads and never stops anyone. Each budget is judged per window: the
// difference between the merged cumulative snapshot at the window's end and at its start.
// A required budget whose stage has no registered histogram is UNKNOWN (a missing metric),
// which the control lcore treats as a hazard; a window with fewer than min_samples is idle.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "src/common/histogram.hpp"

namespace sy::control {

// Seed 000 §2.1, in its order.
inline constexpr const char* kBudgetCategories[] = {"market_ingest", "canonical",     "execution",
                                                    "risk_snapshot", "control_plane", "reporting"};

struct BudgetSpec {
  std::string category;  // one of kBudgetCategories
  std::string stage;     // "e2e" or a stage name, [a-z0-9_]{1,32}
  double percentile = 99;
  uint64_t threshold_ns = 0;
  uint32_t window_ms = 1000;
  uint64_t min_samples = 1;
  bool required = true;
  int line = 0;
  std::string id() const { return category + "/" + stage; }
};

class BudgetPolicyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws BudgetPolicyError with "file:line: budgets[i].key: message".
std::vector<BudgetSpec> parse_budgets(const std::string& yaml_text, const std::string& name);
std::vector<BudgetSpec> load_budgets(const std::string& path);

// Filled before the lcores launch, read-only afterwards.
class BudgetRegistry {
 public:
  void add(const std::string& category, const std::string& stage, const Histogram* h);
  std::vector<const Histogram*> find(const std::string& category, const std::string& stage) const;
  struct Entry {
    std::string category, stage;
    const Histogram* histogram;
  };
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

enum class BudgetStatus : uint8_t { idle, ok, violated, unknown, not_measured };
const char* to_string(BudgetStatus s);

struct BudgetState {
  BudgetStatus status = BudgetStatus::idle;
  uint64_t observed_ns = 0;  // the window's value at the percentile
  uint64_t samples = 0;      // in the last window
  uint64_t windows = 0, violations = 0;
  uint64_t window_end_ns = 0;
  HistogramSnapshot total;  // everything so far (for export)
};

class BudgetEvaluator {
 public:
  BudgetEvaluator(std::vector<BudgetSpec> specs, const BudgetRegistry& registry);

  // Closes the windows that ended by `now_ns`; returns the indices of budgets whose window just
  // closed (their state() is fresh).
  std::vector<size_t> tick(uint64_t now_ns);
  const std::vector<BudgetSpec>& specs() const { return specs_; }
  const BudgetState& state(size_t i) const { return slots_[i]->state; }
  size_t size() const { return specs_.size(); }
  bool any_required_missing() const;

 private:
  struct Slot {
    std::vector<const Histogram*> sources;
    HistogramSnapshot prev;
    uint64_t window_start_ns = 0;
    BudgetState state;
  };
  std::vector<BudgetSpec> specs_;
  std::vector<std::unique_ptr<Slot>> slots_;
};

}  // namespace sy::control
