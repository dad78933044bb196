// gate_results as JSON (control side): docs/contracts/gate_results.schema.json.

#include "src/risk/gate_result.hpp"

#include <nlohmann/json.hpp>

#include "src/common/safety.hpp"

namespace sy::risk {

const char* to_string(Decision d) {
  switch (d) {
    case Decision::pass:
      return "PASS";
    case Decision::fail:
      return "FAIL";
    case Decision::unknown:
      return "UNKNOWN";
    case Decision::ignore:
      return "IGNORE";
  }
  return "?";
}

namespace {

nlohmann::json check_names(uint32_t mask) {
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < kCheckCount; ++i)
    if (mask & (uint32_t{1} << i)) out.push_back(kCheckNames[i]);
  return out;
}

// Printable ASCII as is, anything else as '?': the record holds client bytes, and JSON text
// must be valid UTF-8. OUCH tokens keep their padding (it is significant).
std::string printable(const char* bytes, size_t n) {
  std::string s(bytes, n);
  for (char& c : s)
    if (c < 0x20 || c > 0x7e) c = '?';
  return s;
}

std::string token_text(const char* t) { return printable(t, kTokenBytes); }

}  // namespace

std::string gate_result_json(const GateResultRecord& r) {
  nlohmann::json j;
  j["schema"] = "switchyard.gate_result.v1";
  j["sequence"] = r.sequence;
  j["decision"] = to_string(static_cast<Decision>(r.decision));
  j["kind"] = to_string(static_cast<IntentKind>(r.kind));
  j["side"] = to_string(static_cast<Side>(r.side));
  j["account"] = r.account;
  j["session"] = r.session;
  j["token"] = token_text(r.token);
  if (static_cast<IntentKind>(r.kind) == IntentKind::replace)
    j["existing_token"] = token_text(r.existing);
  const std::string symbol = symbol_text(r.symbol);
  j["symbol"] = printable(symbol.data(), symbol.size());
  j["locate"] = r.locate;
  j["shares"] = r.shares;
  j["price"] = r.price;
  j["notional"] = r.notional;
  j["reference_price"] = r.reference_price;
  j["policy_version"] = r.policy_version;
  j["safety_mode"] = to_string(static_cast<SafetyMode>(r.safety_mode));
  j["global_kill"] = (r.flags & kFlagGlobalKill) != 0;
  j["account_kill"] = (r.flags & kFlagAccountKill) != 0;
  j["checks_ran"] = check_names(r.checks_ran);
  j["checks_failed"] = check_names(r.checks_failed);
  if (r.first_failed < kCheckCount) {
    j["first_failed"] = kCheckNames[r.first_failed];
    j["seen"] = r.seen;
    j["limit"] = r.limit;
  } else {
    j["first_failed"] = nullptr;
  }
  if (r.reject_reason != 0)
    j["reject_reason"] = std::string(1, r.reject_reason);
  else
    j["reject_reason"] = nullptr;
  j["rx_tsc"] = r.rx_tsc;
  j["decision_tsc"] = r.decision_tsc;
  j["latency_ns"] = r.latency_ns;
  return j.dump();
}

}  // namespace sy::risk
