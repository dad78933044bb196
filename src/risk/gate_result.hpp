// One gate decision as a fixed-size binary record (128 bytes, two cache lines): what the
// execution lcore puts on the rings toward storage and the control side, per order. JSON only
// off the hot path (gate_result_json), in the shape of docs/contracts/gate_results.schema.json.
//
// Values seen and limits are recorded for the failing check. For passing checks the record
// carries the inputs (shares, price, notional, reference price) from which the static checks
// can be recomputed; the stateful ones (positions, exposure, open orders) passed by definition.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>

#include "src/risk/checks.hpp"
#include "src/risk/order_intent.hpp"

namespace sy::risk {

// PASS: forward. FAIL: answer OUCH Rejected (reject_reason). UNKNOWN: rejected too, because a
// check could not be evaluated (feed not healthy, reference price missing or stale); seed 000
// asks to keep "could not tell" apart from "said no". IGNORE: neither forwarded nor answered
// (a used token, a cancel or replace of an order that is not open): OUCH's own rule; counted.
enum class Decision : uint8_t { pass = 0, fail = 1, unknown = 2, ignore = 3 };
const char* to_string(Decision d);  // "PASS", "FAIL", "UNKNOWN", "IGNORE"

// GateResultRecord::flags
inline constexpr uint8_t kFlagGlobalKill = 0x01;   // the global kill switch was on
inline constexpr uint8_t kFlagAccountKill = 0x02;  // the account's kill bit was on

struct GateResultRecord {
  uint64_t sequence;      // 1, 2, ... per gate: every decision has one, gaps mean loss
  uint64_t rx_tsc;        // from the intent
  uint64_t decision_tsc;  // read when the decision was complete
  uint64_t latency_ns;    // (decision_tsc - rx_tsc) in ns
  uint64_t seen;          // failing check: the value it saw (units: docs/risk.md)
  uint64_t limit;         // failing check: the limit it compared against
  uint64_t symbol;        // symbol_word(); for a replace or cancel, the order's symbol
  uint64_t notional;      // shares x price (notional units: 1/10000 USD)
  uint32_t checks_ran;    // bit(Check) of every check that ran
  uint32_t checks_failed;
  uint32_t shares;
  uint32_t price;            // Price(4)
  uint32_t reference_price;  // Price(4) used by the collar; 0 when not reached
  uint32_t policy_version;   // Policy::version() the decision used
  char token[kTokenBytes];
  char existing[kTokenBytes];  // replace: the order being replaced
  uint16_t session;
  uint16_t locate;
  uint8_t account;
  uint8_t decision;      // Decision
  uint8_t kind;          // IntentKind
  uint8_t side;          // Side
  uint8_t first_failed;  // Check, or kNoCheck
  char reject_reason;    // OUCH 4.2 Rejected reason for FAIL/UNKNOWN, else 0
  uint8_t safety_mode;   // SafetyMode seen
  uint8_t flags;         // kFlag*
};
static_assert(sizeof(GateResultRecord) == 128);
static_assert(std::is_trivially_copyable_v<GateResultRecord>);

using GateResult = GateResultRecord;

// The record as one JSON object (schema "switchyard.gate_result.v1"). Allocates: control side.
std::string gate_result_json(const GateResultRecord& r);

}  // namespace sy::risk
