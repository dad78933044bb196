// The gate's checks, in the fixed order it runs them, and what each failure tells the client.
//
// The order matters: the token checks come first so that a duplicate of a live order's token is
// never answered with a Rejected (the client would take its live order for dead); then the
// switches that stop everything; then the static checks on the order itself; then what needs
// market data; then the stateful limits; the order-rate bucket last, so only an order that is
// going out spends a token.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sy::risk {

// X(name, ouch_reject_reason): the reason letter of the OUCH 4.2 Rejected message sent when the
// check fails; 0 = no reply at all (OUCH ignores a used token and a redundant cancel or replace
// silently, and so do we: counted, never answered).
//
//   'a' reject-all enabled      'c' restricted symbol list   'm' exceeded shares limit
//   'n' exceeded dollar limit   'X' invalid price            'O' other
#define SY_RISK_CHECKS(X)     \
  X(session_valid, 'O')       \
  X(token_unique, 0)          \
  X(order_known, 0)           \
  X(safety_mode, 'a')         \
  X(kill_global, 'a')         \
  X(kill_account, 'a')        \
  X(account_known, 'O')       \
  X(order_fields, 'O')        \
  X(instrument_allowed, 'c')  \
  X(max_shares, 'm')          \
  X(max_notional, 'n')        \
  X(feed_state, 'O')          \
  X(reference_fresh, 'O')     \
  X(price_collar, 'X')        \
  X(open_orders, 'O')         \
  X(position_instrument, 'm') \
  X(position_account, 'm')    \
  X(exposure_instrument, 'n') \
  X(exposure_account, 'n')    \
  X(order_rate, 'O')

enum class Check : uint8_t {
#define SY_X(name, reason) name,
  SY_RISK_CHECKS(SY_X)
#undef SY_X
};

inline constexpr size_t kCheckCount = 0
#define SY_X(name, reason) +1
    SY_RISK_CHECKS(SY_X)
#undef SY_X
    ;
static_assert(kCheckCount <= 32, "checks are bits of a uint32_t");

// "No check failed" in GateResultRecord::first_failed.
inline constexpr uint8_t kNoCheck = 0xff;

inline constexpr const char* kCheckNames[kCheckCount] = {
#define SY_X(name, reason) #name,
    SY_RISK_CHECKS(SY_X)
#undef SY_X
};

inline constexpr char kCheckRejectReason[kCheckCount] = {
#define SY_X(name, reason) reason,
    SY_RISK_CHECKS(SY_X)
#undef SY_X
};

constexpr uint32_t bit(Check c) { return uint32_t{1} << static_cast<unsigned>(c); }
constexpr const char* to_string(Check c) { return kCheckNames[static_cast<size_t>(c)]; }

// The OUCH 4.2 Rejected reason for a failed check; 0 when the client gets no reply.
constexpr char ouch_reject_reason(Check c) { return kCheckRejectReason[static_cast<size_t>(c)]; }

}  // namespace sy::risk
