#include "src/control/budgets.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace sy::control {

namespace {

[[noreturn]] void fail(const std::string& name, const YAML::Node& at, const std::string& path,
                       const std::string& msg) {
  const int line = at.IsDefined() ? at.Mark().line + 1 : 0;
  throw BudgetPolicyError(name + ":" + std::to_string(line) + ": " + path + ": " + msg);
}

template <typename T>
T number(const std::string& name, const YAML::Node& v, const std::string& path, T lo, T hi) {
  T out{};
  try {
    if (!v.IsScalar()) throw YAML::Exception(v.Mark(), "");
    out = v.as<T>();
  } catch (const YAML::Exception&) {
    fail(name, v, path, "expected a number");
  }
  if (!(out >= lo && out <= hi)) {
    std::ostringstream r;
    r << "out of range " << lo << ".." << hi;
    fail(name, v, path, r.str());
  }
  return out;
}

}  // namespace

std::vector<BudgetSpec> parse_budgets(const std::string& yaml_text, const std::string& name) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw BudgetPolicyError(name + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  if (!root.IsMap()) fail(name, root, "", "expected a map with a 'budgets' list");
  for (const auto& kv : root)
    if (kv.first.as<std::string>() != "budgets")
      fail(name, kv.first, kv.first.as<std::string>(), "unknown key (expected: budgets)");
  const YAML::Node list = root["budgets"];
  if (!list || !list.IsSequence()) fail(name, root, "budgets", "expected a list");
  static const std::set<std::string> kKeys = {
      "category", "stage", "percentile", "threshold_us", "window_ms", "min_samples", "required"};
  static const std::regex kStage("[a-z0-9_]{1,32}");
  std::vector<BudgetSpec> out;
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node b = list[i];
    const std::string path = "budgets[" + std::to_string(i) + "]";
    if (!b.IsMap()) fail(name, b, path, "expected a map");
    for (const auto& kv : b) {
      const std::string key = kv.first.as<std::string>();
      if (!kKeys.count(key))
        fail(name, kv.first, path + "." + key,
             "unknown key (expected one of: category, stage, percentile, threshold_us, "
             "window_ms, min_samples, required)");
    }
    for (const char* req : {"category", "stage", "percentile", "threshold_us", "window_ms"})
      if (!b[req]) fail(name, b, path, std::string("missing required key '") + req + "'");
    BudgetSpec s;
    s.line = b.Mark().line + 1;
    s.category = b["category"].as<std::string>();
    if (std::find(std::begin(kBudgetCategories), std::end(kBudgetCategories), s.category) ==
        std::end(kBudgetCategories))
      fail(name, b["category"], path + ".category",
           "'" + s.category +
               "' is not a budget category (market_ingest, canonical, execution, "
               "risk_snapshot, control_plane, reporting)");
    s.stage = b["stage"].as<std::string>();
    if (!std::regex_match(s.stage, kStage))
      fail(name, b["stage"], path + ".stage", "'" + s.stage + "' does not match [a-z0-9_]{1,32}");
    s.percentile = number<double>(name, b["percentile"], path + ".percentile", 1.0, 100.0);
    const double us = number<double>(name, b["threshold_us"], path + ".threshold_us", 0.001, 1e9);
    s.threshold_ns = static_cast<uint64_t>(std::llround(us * 1000.0));
    s.window_ms = number<uint32_t>(name, b["window_ms"], path + ".window_ms", 10u, 3'600'000u);
    if (b["min_samples"])
      s.min_samples =
          number<uint64_t>(name, b["min_samples"], path + ".min_samples", 1u, 1'000'000'000u);
    if (b["required"]) {
      try {
        s.required = b["required"].as<bool>();
      } catch (const YAML::Exception&) {
        fail(name, b["required"], path + ".required", "expected true or false");
      }
    }
    for (const auto& o : out)
      if (o.id() == s.id())
        fail(name, b, path,
             "duplicate budget " + s.id() + " (first at line " + std::to_string(o.line) + ")");
    out.push_back(s);
  }
  return out;
}

std::vector<BudgetSpec> load_budgets(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw BudgetPolicyError(path + ": cannot read budget policy");
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_budgets(ss.str(), path);
}

void BudgetRegistry::add(const std::string& category, const std::string& stage,
                         const Histogram* h) {
  entries_.push_back({category, stage, h});
}

std::vector<const Histogram*> BudgetRegistry::find(const std::string& category,
                                                   const std::string& stage) const {
  std::vector<const Histogram*> out;
  for (const auto& e : entries_)
    if (e.category == category && e.stage == stage) out.push_back(e.histogram);
  return out;
}

const char* to_string(BudgetStatus s) {
  switch (s) {
    case BudgetStatus::idle:
      return "idle";
    case BudgetStatus::ok:
      return "ok";
    case BudgetStatus::violated:
      return "violated";
    case BudgetStatus::unknown:
      return "unknown";
    case BudgetStatus::not_measured:
      return "not_measured";
  }
  return "?";
}

BudgetEvaluator::BudgetEvaluator(std::vector<BudgetSpec> specs, const BudgetRegistry& registry)
    : specs_(std::move(specs)) {
  for (const auto& s : specs_) {
    auto slot = std::make_unique<Slot>();
    slot->sources = registry.find(s.category, s.stage);
    if (slot->sources.empty())
      slot->state.status = s.required ? BudgetStatus::unknown : BudgetStatus::not_measured;
    slots_.push_back(std::move(slot));
  }
}

bool BudgetEvaluator::any_required_missing() const {
  for (size_t i = 0; i < specs_.size(); ++i)
    if (specs_[i].required && slots_[i]->sources.empty()) return true;
  return false;
}

std::vector<size_t> BudgetEvaluator::tick(uint64_t now_ns) {
  std::vector<size_t> closed;
  for (size_t i = 0; i < specs_.size(); ++i) {
    Slot& slot = *slots_[i];
    const BudgetSpec& spec = specs_[i];
    if (slot.window_start_ns == 0) {
      slot.window_start_ns = now_ns;
      for (const Histogram* h : slot.sources) h->snapshot_into(slot.prev);
      continue;
    }
    if (now_ns - slot.window_start_ns < uint64_t{spec.window_ms} * 1'000'000) continue;
    slot.window_start_ns = now_ns;
    BudgetState& st = slot.state;
    st.window_end_ns = now_ns;
    ++st.windows;
    if (slot.sources.empty()) {
      closed.push_back(i);
      continue;
    }
    HistogramSnapshot cur;
    for (const Histogram* h : slot.sources) h->snapshot_into(cur);
    // The window: cumulative now minus cumulative at its start. A bucket read a few records
    // behind its count can make a difference negative for a moment: clamp, never wrap.
    HistogramSnapshot w;
    size_t top = 0;
    for (size_t b = 0; b < kHistBuckets; ++b) {
      const uint64_t d =
          cur.buckets[b] > slot.prev.buckets[b] ? cur.buckets[b] - slot.prev.buckets[b] : 0;
      w.buckets[b] = d;
      w.count += d;
      if (d) top = b;
    }
    w.sum = cur.sum > slot.prev.sum ? cur.sum - slot.prev.sum : 0;
    w.max = w.count ? std::min(hist_bucket_upper(top) - 1, cur.max) : 0;
    slot.prev = cur;
    st.total = cur;
    st.samples = w.count;
    if (w.count < spec.min_samples) {
      st.status = BudgetStatus::idle;
      st.observed_ns = w.count ? w.quantile(spec.percentile / 100.0) : 0;
    } else {
      st.observed_ns = w.quantile(spec.percentile / 100.0);
      st.status = st.observed_ns > spec.threshold_ns ? BudgetStatus::violated : BudgetStatus::ok;
      if (st.status == BudgetStatus::violated) ++st.violations;
    }
    closed.push_back(i);
  }
  return closed;
}

}  // namespace sy::control
