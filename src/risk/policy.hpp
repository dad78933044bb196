// The risk policy: per-account limits, validated off the hot path, immutable once built.
//
// Loaded from YAML (conf/policy/*.yaml) by load_policy(); every key is a row of policy_schema()
// and of the table in docs/risk.md (a test checks both ways). Amounts of money are whole US
// dollars in YAML and "notional units" inside: shares x Price(4), i.e. 1/10000 dollar, the unit
// the gate multiplies shares and prices into without a division.
//
// The gate reads a Policy through PolicyExchange (policy_exchange.hpp): a new policy is built
// and validated on a control thread and swapped in whole; nothing in a Policy changes after it
// was installed.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/config.hpp"  // ConfigError, SchemaKey
#include "src/common/safety.hpp"

namespace sy::risk {

inline constexpr uint64_t kNotionalPerDollar = 10000;  // Price(4): 4 implied decimals
inline constexpr unsigned kMaxInstrumentsPerAccount = 4096;

enum class ReferenceSource : uint8_t { mid_or_last, mid, last };
const char* to_string(ReferenceSource s);

// The per-order numbers of one account, packed for the gate (one or two cache lines).
struct AccountLimits {
  uint32_t max_shares_per_order = 0;
  uint32_t price_collar_bps = 0;
  uint64_t max_order_notional = 0;  // notional units
  uint32_t max_open_orders = 0;
  uint32_t order_rate_per_s = 0;
  uint32_t order_burst = 0;
  uint32_t reserved = 0;
  uint64_t max_position_shares = 0;          // per instrument (default for the allowlist)
  uint64_t max_gross_exposure = 0;           // per instrument, notional units
  uint64_t max_account_position_shares = 0;  // sum over instruments
  uint64_t max_account_gross_exposure = 0;   // sum over instruments, notional units
};

// One allowlisted instrument of one account, with its limits resolved.
struct InstrumentLimits {
  uint64_t symbol = 0;  // symbol_word()
  uint64_t max_position_shares = 0;
  uint64_t max_gross_exposure = 0;  // notional units
  uint8_t account = 0;
  bool used = false;  // slot of the lookup table holds an entry
};

struct AccountPolicy {
  std::string name;
  uint8_t id = 0;
  std::vector<std::string> sessions;
  AccountLimits limits;
  std::vector<InstrumentLimits> instruments;  // in YAML order
};

class Policy {
 public:
  // Builds the lookup tables; `accounts` must already be validated (load_policy does it).
  Policy(std::vector<AccountPolicy> accounts, uint64_t reference_max_age_ns,
         ReferenceSource reference_source, std::string source);

  // Hot path: one array load; nullptr when the policy has no account with that id.
  const AccountPolicy* account(uint8_t id) const {
    return id < kMaxAccounts ? by_id_[id] : nullptr;
  }
  // Hot path: open addressing over (account, symbol); nullptr when not allowlisted.
  const InstrumentLimits* instrument(uint8_t account, uint64_t symbol) const {
    for (size_t i = hash(account, symbol) & mask_;; i = (i + 1) & mask_) {
      const InstrumentLimits& e = table_[i];
      if (!e.used) return nullptr;
      if (e.symbol == symbol && e.account == account) return &e;
    }
  }

  uint64_t reference_max_age_ns() const { return reference_max_age_ns_; }
  ReferenceSource reference_source() const { return reference_source_; }
  const std::vector<AccountPolicy>& accounts() const { return accounts_; }
  // The account a session name belongs to (the integrator fills OrderIntent::account with it).
  std::optional<uint8_t> account_of_session(std::string_view session) const;
  const std::string& source() const { return source_; }
  // Assigned by PolicyExchange when installed: 1 for the first policy, +1 per swap.
  uint64_t version() const { return version_; }

 private:
  friend class PolicyExchange;
  static size_t hash(uint8_t account, uint64_t symbol) {
    uint64_t h = (symbol ^ (uint64_t{account} << 56)) * 0x9e3779b97f4a7c15ull;
    return static_cast<size_t>(h >> 32);
  }

  std::vector<AccountPolicy> accounts_;
  std::array<const AccountPolicy*, kMaxAccounts> by_id_{};
  std::vector<InstrumentLimits> table_;
  size_t mask_ = 0;
  uint64_t reference_max_age_ns_ = 0;
  ReferenceSource reference_source_ = ReferenceSource::mid_or_last;
  std::string source_;
  uint64_t version_ = 0;
};

// Parses and validates a policy file. Throws conf::ConfigError with the text
// "file:line:col: key.path: message".
std::unique_ptr<Policy> load_policy(const std::string& path);
// Same from YAML text; `name` stands in for the file name in errors.
std::unique_ptr<Policy> load_policy_from_string(const std::string& yaml_text,
                                                const std::string& name);

// What changed from `before` to `after`, one line per difference, for the audit trail:
// "accounts.ACC1.max_shares_per_order: 1000 -> 2000", "accounts.ACC1.instruments: +AAPL".
// Empty when the two policies enforce the same limits.
std::vector<std::string> policy_diff(const Policy& before, const Policy& after);

// The documented keys of a policy file (drives validation and the docs test).
const std::vector<conf::SchemaKey>& policy_schema();

}  // namespace sy::risk
