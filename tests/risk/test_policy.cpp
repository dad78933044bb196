// Policy files: load errors with their exact texts, the shipped example, docs/risk.md against
// the schema, and the intraday swap (decisions under the old and the new policy, the diff).

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include "tests/risk/risk_fixture.hpp"

namespace sy::risk::test {
namespace {

constexpr uint32_t k100 = 100 * kDollar;

std::string source_root() {
  const char* r = std::getenv("SY_SOURCE_ROOT");
  return r ? r : ".";
}

std::string load_error(const std::string& yaml) {
  try {
    load_policy_from_string(yaml, "p.yaml");
  } catch (const conf::ConfigError& e) {
    return e.what();
  }
  return "(loaded)";
}

const std::string kAccount =
    "accounts:\n"              // 1
    "  - name: A\n"            // 2
    "    id: 0\n"              // 3
    "    instruments:\n"       // 4
    "      - symbol: AAPL\n";  // 5

TEST(PolicyLoad, MinimalFileGetsTheDocumentedDefaults) {
  const auto p = load_policy_from_string(kAccount, "p.yaml");
  ASSERT_EQ(p->accounts().size(), 1u);
  const AccountLimits& l = p->account(0)->limits;
  EXPECT_EQ(l.max_shares_per_order, 1000u);
  EXPECT_EQ(l.max_order_notional, 100000ull * kNotionalPerDollar);
  EXPECT_EQ(l.price_collar_bps, 500u);
  EXPECT_EQ(l.max_open_orders, 100u);
  EXPECT_EQ(l.max_position_shares, 10000u);
  EXPECT_EQ(l.max_gross_exposure, 1000000ull * kNotionalPerDollar);
  EXPECT_EQ(l.max_account_position_shares, 100000u);
  EXPECT_EQ(l.max_account_gross_exposure, 10000000ull * kNotionalPerDollar);
  EXPECT_EQ(l.order_rate_per_s, 100u);
  EXPECT_EQ(l.order_burst, 10u);
  EXPECT_EQ(p->reference_max_age_ns(), 1'000'000'000u);
  EXPECT_EQ(p->reference_source(), ReferenceSource::mid_or_last);
  ASSERT_NE(p->instrument(0, symbol_word("AAPL")), nullptr);
  EXPECT_EQ(p->instrument(0, symbol_word("MSFT")), nullptr);
  EXPECT_EQ(p->instrument(1, symbol_word("AAPL")), nullptr);
  EXPECT_EQ(p->account(1), nullptr);
}

TEST(PolicyLoad, PerInstrumentOverridesAndSessions) {
  const auto p =
      load_policy_from_string(kAccount +
                                  "        max_position_shares: 7\n      - symbol: BRK.A\n"
                                  "        max_gross_exposure_usd: 12\n    sessions: [s1, s2]\n",
                              "p.yaml");
  EXPECT_EQ(p->instrument(0, symbol_word("AAPL"))->max_position_shares, 7u);
  EXPECT_EQ(p->instrument(0, symbol_word("AAPL"))->max_gross_exposure,
            1000000ull * kNotionalPerDollar);
  EXPECT_EQ(p->instrument(0, symbol_word("BRK.A"))->max_gross_exposure, 12ull * kNotionalPerDollar);
  EXPECT_EQ(p->instrument(0, symbol_word("BRK.A"))->max_position_shares, 10000u);
  EXPECT_EQ(p->account_of_session("s2"), 0);
  EXPECT_EQ(p->account_of_session("s3"), std::nullopt);
}

TEST(PolicyLoad, ErrorsNameFileLineColumnKeyAndProblem) {
  const std::map<std::string, std::string> cases = {
      {"", "p.yaml:1:1: missing required key 'accounts'"},
      {"accounts: []\nbogus: 1\n",
       "p.yaml:2:1: bogus: unknown key (expected one of: reference, accounts)"},
      {"accounts: []\n", "p.yaml:1:1: accounts: has 0 entries; expected 1..64 entries"},
      {"accounts: 3\n", "p.yaml:1:1: accounts: expected a list"},
      {"accounts:\n  - 3\n", "p.yaml:2:5: accounts[0]: expected a map"},
      {kAccount + "    max_shares_per_order: 0\n",
       "p.yaml:6:5: accounts[0].max_shares_per_order: 0 is out of range 1..999999 (shares)"},
      {kAccount + "    max_shares_per_order: 1000000\n",
       "p.yaml:6:5: accounts[0].max_shares_per_order: 1000000 is out of range 1..999999 (shares)"},
      {kAccount + "    price_collar_bps: ten\n",
       "p.yaml:6:5: accounts[0].price_collar_bps: expected an integer"},
      {kAccount + "    order_burst: [1]\n",
       "p.yaml:6:5: accounts[0].order_burst: expected an integer"},
      {kAccount + "    max_order_notional_usd: 99999999999999999999\n",
       "p.yaml:6:5: accounts[0].max_order_notional_usd: 99999999999999999999 is out of range "
       "1..1000000000000 (USD)"},
      {kAccount + "    id: 1\n",
       "p.yaml:6:5: accounts[0].id: duplicate key (first given at line 3)"},
      {kAccount + "    colour: red\n",
       "p.yaml:6:5: accounts[0].colour: unknown key (expected one of: name, id, sessions, "
       "max_shares_per_order, max_order_notional_usd, price_collar_bps, max_open_orders, "
       "max_position_shares, max_gross_exposure_usd, max_account_position_shares, "
       "max_account_gross_exposure_usd, order_rate_per_s, order_burst, instruments)"},
      {"accounts:\n  - name: A\n    instruments: [{symbol: X}]\n",
       "p.yaml:2:5: accounts[0]: missing required key 'id'"},
      {"accounts:\n  - name: A\n    id: 64\n    instruments: [{symbol: X}]\n",
       "p.yaml:3:5: accounts[0].id: 64 is out of range 0..63"},
      {"accounts:\n  - name: A-1\n    id: 0\n    instruments: [{symbol: X}]\n",
       "p.yaml:2:5: accounts[0].name: 'A-1' does not match [A-Za-z0-9_]{1,32}"},
      {"accounts:\n  - name: A\n    id: 0\n    instruments: []\n",
       "p.yaml:4:5: accounts[0].instruments: has 0 entries; expected 1..4096 entries"},
      {kAccount + "      - symbol: TOOLONGSYM\n",
       "p.yaml:6:9: accounts[0].instruments[1].symbol: 'TOOLONGSYM' does not match [!-~]{1,8}"},
      {kAccount + "      - symbol: AAPL\n",
       "p.yaml:6:9: accounts[0].instruments[1].symbol: symbol 'AAPL' is already listed at "
       "accounts[0].instruments[0]"},
      {kAccount + "        max_position_shares: -1\n",
       "p.yaml:6:9: accounts[0].instruments[0].max_position_shares: -1 is out of range "
       "0..1000000000 (shares)"},
      {kAccount + "      - {}\n",
       "p.yaml:6:9: accounts[0].instruments[1]: missing required key 'symbol'"},
      {kAccount + "  - name: A\n    id: 1\n    instruments: [{symbol: X}]\n",
       "p.yaml:6:5: accounts[1].name: account name 'A' is already used"},
      {kAccount + "  - name: B\n    id: 0\n    instruments: [{symbol: X}]\n",
       "p.yaml:7:5: accounts[1].id: account id 0 is already used by 'A'"},
      {kAccount + "    sessions: [c0]\n  - name: B\n    id: 1\n    sessions: [c1, c0]\n"
                  "    instruments: [{symbol: X}]\n",
       "p.yaml:9:20: accounts[1].sessions[1]: session 'c0' already belongs to account 'A'"},
      {kAccount + "    sessions: [c0, c0]\n",
       "p.yaml:6:20: accounts[0].sessions[1]: session 'c0' is listed twice"},
      {kAccount + "    sessions: c0\n", "p.yaml:6:5: accounts[0].sessions: expected a list"},
      {"reference:\n  source: vwap\n" + kAccount,
       "p.yaml:2:3: reference.source: expected one of: mid_or_last, mid, last"},
      {"reference:\n  max_age_ms: 0\n" + kAccount,
       "p.yaml:2:3: reference.max_age_ms: 0 is out of range 1..3600000 (ms)"},
      {"reference: 5\n" + kAccount, "p.yaml:1:1: reference: expected a map"},
  };
  for (const auto& [yaml, expected] : cases) EXPECT_EQ(load_error(yaml), expected) << yaml;
}

TEST(PolicyLoad, YamlSyntaxErrorsAndMissingFilesSayWhere) {
  const std::string e = load_error("accounts: [\n");
  EXPECT_TRUE(std::regex_match(e, std::regex(R"(p\.yaml:\d+:\d+: .+)"))) << e;
  try {
    load_policy("/nonexistent/risk.yaml");
    ADD_FAILURE() << "loaded a missing file";
  } catch (const conf::ConfigError& err) {
    EXPECT_STREQ(err.what(), "/nonexistent/risk.yaml: cannot read the policy file");
  }
}

TEST(PolicyLoad, ShippedExampleLoads) {
  const auto p = load_policy(source_root() + "/conf/policy/risk.yaml");
  EXPECT_GE(p->accounts().size(), 1u);
}

std::vector<std::string> table_cells(const std::string& line) {
  std::vector<std::string> cells;
  std::string cur;
  for (size_t i = 1; i < line.size(); ++i) {
    if (line[i] == '|' && line[i - 1] != '\\') {
      const auto b = cur.find_first_not_of(' ');
      const auto e = cur.find_last_not_of(' ');
      cells.push_back(b == std::string::npos ? "" : cur.substr(b, e - b + 1));
      cur.clear();
    } else {
      cur += line[i];
    }
  }
  return cells;
}

std::string unquote(const std::string& s) {
  std::string t =
      s.size() >= 2 && s.front() == '`' && s.back() == '`' ? s.substr(1, s.size() - 2) : s;
  return std::regex_replace(t, std::regex(R"(\\\|)"), "|");
}

// docs/risk.md has one row per policy key with the schema's type, default, unit and range,
// and no row the schema lacks.
TEST(PolicyDocs, TableMatchesSchema) {
  const std::string path = source_root() + "/docs/risk.md";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot read " << path;
  std::map<std::string, std::vector<std::string>> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] != '|') continue;
    const auto cells = table_cells(line);
    if (cells.size() < 6 || cells[0].size() < 2 || cells[0].front() != '`') continue;
    const std::string key = unquote(cells[0]);
    if (key.rfind("reference", 0) != 0 && key.rfind("accounts", 0) != 0) continue;
    rows[key] = cells;
  }
  std::set<std::string> paths;
  for (const auto& k : policy_schema()) {
    paths.insert(k.path);
    const auto row = rows.find(k.path);
    if (row == rows.end()) {
      ADD_FAILURE() << "docs/risk.md has no row for `" << k.path << "`";
      continue;
    }
    const auto& c = row->second;
    EXPECT_EQ(c[1], k.type) << k.path;
    EXPECT_EQ(unquote(c[2]), k.default_value) << k.path;
    EXPECT_EQ(c[3], k.unit) << k.path;
    EXPECT_EQ(unquote(c[4]), k.range) << k.path;
    EXPECT_FALSE(c[5].empty()) << k.path;
  }
  for (const auto& [p, cells] : rows) EXPECT_TRUE(paths.count(p)) << "not in the schema: " << p;
}

// --- intraday swap ----------------------------------------------------------------------------

TEST(PolicySwap, GateUsesTheOldPolicyUntilItsNextBurstThenTheNew) {
  GateFixture f(policy_yaml({{"max_shares_per_order", "1000"}}));
  f.gate.begin_burst();
  const SafetyView normal{SafetyMode::normal, false};
  EXPECT_EQ(decision(f.gate.decide(GateFixture::order("a", 1000, k100), f.market, normal, 0, kNow)),
            Decision::pass);

  auto next = load_policy_from_string(
      policy_yaml(
          {{"max_shares_per_order", "500"},
           {"price_collar_bps", "100"},
           {"instruments",
            "      - symbol: AAPL\n        max_position_shares: 900\n      - symbol: IBM\n"}}),
      "policy-v2.yaml");
  const std::vector<std::string> diff = f.exchange.install(std::move(next));
  EXPECT_EQ(diff, (std::vector<std::string>{
                      "accounts.ACC0.max_shares_per_order: 1000 -> 500",
                      "accounts.ACC0.price_collar_bps: 10000 -> 100",
                      "accounts.ACC0.instruments: -MSFT",
                      "accounts.ACC0.instruments.AAPL.max_position_shares: 100000000 -> 900",
                      "accounts.ACC0.instruments: +IBM",
                  }));
  EXPECT_EQ(f.exchange.latest().version(), 2u);
  // Same burst: still the old policy, which the exchange keeps alive.
  EXPECT_EQ(f.exchange.reclaim(), 1u);
  GateResult r = f.gate.decide(GateFixture::order("b", 1000, k100), f.market, normal, 0, kNow);
  EXPECT_EQ(decision(r), Decision::pass);
  EXPECT_EQ(r.policy_version, 1u);
  // Next burst: the new limits, and the old policy can go.
  f.gate.begin_burst();
  r = f.gate.decide(GateFixture::order("c", 501, k100), f.market, normal, 0, kNow);
  EXPECT_EQ(decision(r), Decision::fail);
  EXPECT_EQ(r.first_failed, static_cast<uint8_t>(Check::max_shares));
  EXPECT_EQ(r.limit, 500u);
  EXPECT_EQ(r.policy_version, 2u);
  EXPECT_EQ(f.exchange.reclaim(), 0u);
  // The ledger carried over: 2000 shares open on AAPL already exceed the new 900.
  r = f.gate.decide(GateFixture::order("d", 1, k100), f.market, normal, 0, kNow);
  EXPECT_EQ(r.first_failed, static_cast<uint8_t>(Check::position_instrument));
  EXPECT_EQ(r.seen, 2001u);
  EXPECT_EQ(r.limit, 900u);
  r = f.gate.decide(GateFixture::order("e", 1, k100, Side::buy, "MSFT"), f.market, normal, 0, kNow);
  EXPECT_EQ(r.first_failed, static_cast<uint8_t>(Check::instrument_allowed));
  EXPECT_TRUE(policy_diff(f.exchange.latest(), f.exchange.latest()).empty());
}

TEST(PolicySwap, DiffNamesAddedAndRemovedAccountsAndReferenceChanges) {
  const auto a = load_policy_from_string(policy_yaml(), "a.yaml");
  const auto b = load_policy_from_string(
      "reference:\n  max_age_ms: 250\n  source: last\n" + kAccount, "b.yaml");
  EXPECT_EQ(policy_diff(*a, *b), (std::vector<std::string>{
                                     "reference.max_age_ms: 1000 -> 250",
                                     "reference.source: mid_or_last -> last",
                                     "accounts.ACC0: removed",
                                     "accounts.ACC1: removed",
                                     "accounts.A: added (id 0)",
                                 }));
}

// A control thread swapping policies as fast as it can while the gate decides: every decision
// uses a whole policy (its limit is one of the two versions' limits), and retired policies are
// freed only after the gate moved on (run under ASan to see a use after free).
TEST(PolicySwap, ConcurrentSwapsNeverTearAPolicy) {
  GateFixture f(policy_yaml({{"max_shares_per_order", "1000"}}), Ledger::Capacity{200000, 256});
  const std::string even = policy_yaml({{"max_shares_per_order", "1000"}});
  const std::string odd = policy_yaml({{"max_shares_per_order", "2000"}});
  std::vector<std::unique_ptr<Policy>> ready;
  for (int i = 0; i < 200; ++i) ready.push_back(load_policy_from_string(i % 2 ? even : odd, "p"));
  std::atomic<bool> done{false};
  std::thread control([&] {
    for (auto& p : ready) {
      f.exchange.install(std::move(p));
      std::this_thread::yield();
    }
    done.store(true);
  });
  const SafetyView normal{SafetyMode::normal, false};
  uint64_t n = 0;
  while ((!done.load() || n < 1000) && n < 190000) {
    f.gate.begin_burst();
    const GateResult r = f.gate.decide(GateFixture::order("t" + std::to_string(++n), 1500, k100),
                                       f.market, normal, 0, kNow);
    const bool odd_version = r.policy_version % 2 == 0;  // version 2 is the first "odd" file
    if (odd_version) {
      EXPECT_EQ(decision(r), Decision::pass) << r.policy_version;
    } else {
      EXPECT_EQ(r.limit, 1000u) << r.policy_version;
    }
    // Keep the open-order count down: the venue rejects whatever went out.
    if (decision(r) == Decision::pass)
      f.venue(VenueEvent::Kind::rejected, "t" + std::to_string(n), 0, 0);
  }
  control.join();
  EXPECT_TRUE(done.load());
  f.gate.begin_burst();
  EXPECT_EQ(f.exchange.reclaim(), 0u);
}

}  // namespace
}  // namespace sy::risk::test
