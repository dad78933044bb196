// Policy files: schema, loading, validation, lookup tables and the audit diff.
//
// Runs on a control thread only (yaml-cpp allocates and throws). Validation reads the permitted
// keys, required keys, integer ranges and units from policy_schema(), so the table in
// docs/risk.md, the checks and the error texts cannot drift apart. Errors follow the main
// configuration's shape: "file:line:col: key.path: message".

#include "src/risk/policy.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "src/risk/order_intent.hpp"

namespace sy::risk {

using conf::ConfigError;
using conf::SchemaKey;
using conf::SourceMark;

const char* to_string(ReferenceSource s) {
  switch (s) {
    case ReferenceSource::mid_or_last:
      return "mid_or_last";
    case ReferenceSource::mid:
      return "mid";
    case ReferenceSource::last:
      return "last";
  }
  return "?";
}

const char* to_string(IntentKind k) {
  switch (k) {
    case IntentKind::new_order:
      return "new";
    case IntentKind::replace:
      return "replace";
    case IntentKind::cancel:
      return "cancel";
    case IntentKind::modify:
      return "modify";
  }
  return "?";
}

const char* to_string(Side s) {
  switch (s) {
    case Side::buy:
      return "buy";
    case Side::sell:
      return "sell";
    case Side::short_sell:
      return "short";
    case Side::short_exempt:
      return "short_exempt";
    case Side::invalid:
      return "invalid";
  }
  return "?";
}

// ---------------------------------------------------------------------------------------------
// Schema.

namespace {

constexpr const char* kRequired = "(required)";
constexpr const char* kNone = "(none)";
constexpr const char* kDollars = "USD";
constexpr const char* kMoneyRange = "0..1000000000000";

std::vector<SchemaKey> build_schema() {
  std::vector<SchemaKey> k;
  k.push_back({"reference", "map", "{}", "", "", "Where the price collar's reference comes from."});
  k.push_back({"reference.max_age_ms", "integer", "1000", "ms", "1..3600000",
               "Oldest reference price the collar may use (receipt time of the market data "
               "record that set it); older: the order is rejected (reference_fresh)."});
  k.push_back({"reference.source", "enum", "mid_or_last", "", "mid_or_last|mid|last",
               "mid: BBO midpoint; last: last trade; mid_or_last: the midpoint when both sides "
               "are present, else the last trade."});
  k.push_back({"accounts", "list", kRequired, "", "1..64 entries", "The trading accounts."});
  k.push_back({"accounts[].name", "string", kRequired, "", "[A-Za-z0-9_]{1,32}",
               "Account name (unique), used in audit lines and views."});
  k.push_back({"accounts[].id", "integer", kRequired, "", "0..63",
               "Account index: OrderIntent::account and the bit of the per-account kill switch; "
               "unique, stable across policy swaps."});
  k.push_back({"accounts[].sessions", "list", "[]", "", "session names",
               "Client sessions (sessions[].name of the main configuration) trading for this "
               "account; a session belongs to one account at most."});
  k.push_back({"accounts[].max_shares_per_order", "integer", "1000", "shares", "1..999999",
               "Largest order (new, or the whole chain of a replace)."});
  k.push_back({"accounts[].max_order_notional_usd", "integer", "100000", kDollars,
               "1..1000000000000", "Largest shares x limit price of one order."});
  k.push_back({"accounts[].price_collar_bps", "integer", "500", "bps", "1..10000",
               "Largest distance of the limit price from the reference price, in basis points "
               "of the reference."});
  k.push_back({"accounts[].max_open_orders", "integer", "100", "orders", "1..1000000",
               "Orders sent and not yet closed (executed, cancelled or rejected), at once."});
  k.push_back({"accounts[].max_position_shares", "integer", "10000", "shares", "0..1000000000",
               "Per instrument: largest absolute position if every open order executed "
               "(default for instruments[] entries)."});
  k.push_back(
      {"accounts[].max_gross_exposure_usd", "integer", "1000000", kDollars, kMoneyRange,
       "Per instrument: the absolute position at its last execution price plus the notional of "
       "open orders (default for instruments[] entries)."});
  k.push_back({"accounts[].max_account_position_shares", "integer", "100000", "shares",
               "0..1000000000", "Sum over instruments of the per-instrument worst-case position."});
  k.push_back({"accounts[].max_account_gross_exposure_usd", "integer", "10000000", kDollars,
               kMoneyRange, "Sum over instruments of the per-instrument gross exposure."});
  k.push_back({"accounts[].order_rate_per_s", "integer", "100", "orders/s", "1..1000000",
               "Sustained new/replace rate per session of this account (token bucket)."});
  k.push_back({"accounts[].order_burst", "integer", "10", "orders", "1..100000",
               "Token bucket depth: orders a session may send back to back."});
  k.push_back({"accounts[].instruments", "list", kRequired, "", "1..4096 entries",
               "The allowlist: only these symbols may be traded."});
  k.push_back({"accounts[].instruments[].symbol", "string", kRequired, "", "[!-~]{1,8}",
               "Symbol as in ITCH/OUCH (up to 8 printable characters, no spaces); unique per "
               "account."});
  k.push_back({"accounts[].instruments[].max_position_shares", "integer", kNone, "shares",
               "0..1000000000", "Overrides the account's max_position_shares."});
  k.push_back({"accounts[].instruments[].max_gross_exposure_usd", "integer", kNone, kDollars,
               kMoneyRange, "Overrides the account's max_gross_exposure_usd."});
  return k;
}

}  // namespace

const std::vector<SchemaKey>& policy_schema() {
  static const std::vector<SchemaKey> keys = build_schema();
  return keys;
}

// ---------------------------------------------------------------------------------------------
// Reading YAML against the schema.

namespace {

[[noreturn]] void fail(const SourceMark& at, const std::string& path, const std::string& msg) {
  throw ConfigError(at, path, msg);
}

SourceMark mark_of(const YAML::Node& n, const std::string& file) {
  const YAML::Mark m = n.Mark();
  if (m.is_null()) return {file, 0, 0};
  return {file, m.line + 1, m.column + 1};
}

const SchemaKey& spec_of(const std::string& spath) {
  for (const auto& k : policy_schema())
    if (k.path == spath) return k;
  throw std::logic_error("risk: key missing from the policy schema: " + spath);
}

std::string leaf(const std::string& path) {
  const auto dot = path.rfind('.');
  return dot == std::string::npos ? path : path.substr(dot + 1);
}

// "MIN..MAX" of an integer key (also "MIN..MAX entries" of a list).
std::pair<int64_t, int64_t> range_of(const SchemaKey& k) {
  const auto dots = k.range.find("..");
  const auto end = k.range.find(' ');
  const std::string lo = k.range.substr(0, dots);
  const std::string hi = k.range.substr(dots + 2, end == std::string::npos ? end : end - dots - 2);
  int64_t a = 0, b = 0;
  std::from_chars(lo.data(), lo.data() + lo.size(), a);
  std::from_chars(hi.data(), hi.data() + hi.size(), b);
  return {a, b};
}

// A map read against the schema keys under `spath`: rejects non-maps, unknown and duplicate
// keys and missing required keys at construction.
class MapView {
 public:
  MapView(const YAML::Node& node, const SourceMark& at, std::string path, std::string spath,
          const std::string& file)
      : file_(file), path_(std::move(path)), spath_(std::move(spath)) {
    if (!node.IsMap()) fail(at, path_, "expected a map");
    std::vector<std::string> names;
    for (const auto& k : policy_schema()) {
      const auto dot = k.path.rfind('.');
      if ((dot == std::string::npos ? "" : k.path.substr(0, dot)) == spath_) {
        names.push_back(leaf(k.path));
        kids_.push_back(&k);
      }
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      const SourceMark key_mark = mark_of(it->first, file_);
      if (!it->first.IsScalar()) fail(key_mark, path_, "expected a string as key");
      const std::string key = it->first.Scalar();
      if (std::find(names.begin(), names.end(), key) == names.end()) {
        std::string list;
        for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
        fail(key_mark, child(key), "unknown key (expected one of: " + list + ")");
      }
      for (const auto& e : entries_)
        if (e.key == key)
          fail(key_mark, child(key),
               "duplicate key (first given at line " + std::to_string(e.key_mark.line) + ")");
      entries_.push_back({key, key_mark, it->second});
    }
    for (const SchemaKey* k : kids_)
      if (k->default_value == kRequired && !get(leaf(k->path)))
        fail(at, path_, "missing required key '" + leaf(k->path) + "'");
  }

  struct Entry {
    std::string key;
    SourceMark key_mark;
    YAML::Node value;
  };

  // Absent, or explicitly null (~): both mean "use the default".
  const Entry* get(const std::string& key) const {
    for (const auto& e : entries_)
      if (e.key == key) return e.value.IsNull() ? nullptr : &e;
    return nullptr;
  }

  std::string child(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
  }
  const SchemaKey& spec(const std::string& key) const {
    return spec_of(spath_.empty() ? key : spath_ + "." + key);
  }

  // Integer within the schema range; `out` keeps its value when the key is absent.
  template <typename T>
  bool read_int(const std::string& key, T& out) const {
    const Entry* e = get(key);
    if (!e) return false;
    const SchemaKey& k = spec(key);
    if (!e->value.IsScalar()) fail(e->key_mark, child(key), "expected an integer");
    const std::string& s = e->value.Scalar();
    int64_t n = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s.empty() || p != s.data() + s.size()) fail(e->key_mark, child(key), "expected an integer");
    const auto [lo, hi] = range_of(k);
    if (ec == std::errc::result_out_of_range || n < lo || n > hi)
      fail(e->key_mark, child(key),
           s + " is out of range " + k.range + (k.unit.empty() ? "" : " (" + k.unit + ")"));
    out = static_cast<T>(n);
    return true;
  }

  std::string read_string(const std::string& key) const {
    const Entry* e = get(key);
    if (!e) return {};
    if (!e->value.IsScalar()) fail(e->key_mark, child(key), "expected a string");
    const std::string& s = e->value.Scalar();
    const SchemaKey& k = spec(key);
    if (!std::regex_match(s, std::regex(k.range)))
      fail(e->key_mark, child(key), "'" + s + "' does not match " + k.range);
    return s;
  }

  size_t read_choice(const std::string& key, size_t dflt) const {
    const Entry* e = get(key);
    if (!e) return dflt;
    const std::string& choices = spec(key).range;
    size_t i = 0;
    for (size_t start = 0;; ++i) {
      const auto bar = choices.find('|', start);
      const std::string c = choices.substr(start, bar == std::string::npos ? bar : bar - start);
      if (e->value.IsScalar() && e->value.Scalar() == c) return i;
      if (bar == std::string::npos) break;
      start = bar + 1;
    }
    std::string list;
    for (char c : choices) list += c == '|' ? std::string(", ") : std::string(1, c);
    fail(e->key_mark, child(key), "expected one of: " + list);
  }

  // The list under `key` (nullptr when absent), its length checked against "MIN..MAX entries".
  const Entry* read_list(const std::string& key) const {
    const Entry* e = get(key);
    if (!e) return nullptr;
    if (!e->value.IsSequence()) fail(e->key_mark, child(key), "expected a list");
    const SchemaKey& k = spec(key);
    if (k.range.find("..") != std::string::npos) {
      const auto [lo, hi] = range_of(k);
      const auto n = static_cast<int64_t>(e->value.size());
      if (n < lo || n > hi)
        fail(e->key_mark, child(key), "has " + std::to_string(n) + " entries; expected " + k.range);
    }
    return e;
  }

  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }

 private:
  const std::string& file_;
  std::string path_;
  std::string spath_;
  std::vector<const SchemaKey*> kids_;
  std::vector<Entry> entries_;
};

// Defaults come from the schema text, so docs/risk.md states what the loader does.
template <typename T>
T schema_default(const std::string& spath) {
  const std::string& d = spec_of(spath).default_value;
  int64_t v = 0;
  std::from_chars(d.data(), d.data() + d.size(), v);
  return static_cast<T>(v);
}

// Where an account's identifying keys were written, for the cross-account checks.
struct AccountMarks {
  SourceMark name;
  SourceMark id;
  std::vector<SourceMark> sessions;
};

AccountPolicy parse_account(const YAML::Node& node, size_t index, const std::string& file,
                            AccountMarks& marks) {
  const std::string path = "accounts[" + std::to_string(index) + "]";
  const MapView m(node, mark_of(node, file), path, "accounts[]", file);
  AccountPolicy a;
  a.name = m.read_string("name");
  m.read_int("id", a.id);
  marks.name = m.get("name")->key_mark;
  marks.id = m.get("id")->key_mark;
  AccountLimits& l = a.limits;
  l.max_shares_per_order = schema_default<uint32_t>("accounts[].max_shares_per_order");
  m.read_int("max_shares_per_order", l.max_shares_per_order);
  uint64_t usd = schema_default<uint64_t>("accounts[].max_order_notional_usd");
  m.read_int("max_order_notional_usd", usd);
  l.max_order_notional = usd * kNotionalPerDollar;
  l.price_collar_bps = schema_default<uint32_t>("accounts[].price_collar_bps");
  m.read_int("price_collar_bps", l.price_collar_bps);
  l.max_open_orders = schema_default<uint32_t>("accounts[].max_open_orders");
  m.read_int("max_open_orders", l.max_open_orders);
  l.max_position_shares = schema_default<uint64_t>("accounts[].max_position_shares");
  m.read_int("max_position_shares", l.max_position_shares);
  usd = schema_default<uint64_t>("accounts[].max_gross_exposure_usd");
  m.read_int("max_gross_exposure_usd", usd);
  l.max_gross_exposure = usd * kNotionalPerDollar;
  l.max_account_position_shares =
      schema_default<uint64_t>("accounts[].max_account_position_shares");
  m.read_int("max_account_position_shares", l.max_account_position_shares);
  usd = schema_default<uint64_t>("accounts[].max_account_gross_exposure_usd");
  m.read_int("max_account_gross_exposure_usd", usd);
  l.max_account_gross_exposure = usd * kNotionalPerDollar;
  l.order_rate_per_s = schema_default<uint32_t>("accounts[].order_rate_per_s");
  m.read_int("order_rate_per_s", l.order_rate_per_s);
  l.order_burst = schema_default<uint32_t>("accounts[].order_burst");
  m.read_int("order_burst", l.order_burst);

  if (const auto* sessions = m.read_list("sessions")) {
    for (size_t i = 0; i < sessions->value.size(); ++i) {
      const YAML::Node s = sessions->value[i];
      const std::string spath = m.child("sessions") + "[" + std::to_string(i) + "]";
      if (!s.IsScalar()) fail(mark_of(s, file), spath, "expected a session name");
      if (std::find(a.sessions.begin(), a.sessions.end(), s.Scalar()) != a.sessions.end())
        fail(mark_of(s, file), spath, "session '" + s.Scalar() + "' is listed twice");
      a.sessions.push_back(s.Scalar());
      marks.sessions.push_back(mark_of(s, file));
    }
  }

  const auto* instruments = m.read_list("instruments");
  for (size_t i = 0; i < instruments->value.size(); ++i) {
    const YAML::Node n = instruments->value[i];
    const std::string ipath = m.child("instruments") + "[" + std::to_string(i) + "]";
    const MapView im(n, mark_of(n, file), ipath, "accounts[].instruments[]", file);
    InstrumentLimits inst;
    const std::string symbol = im.read_string("symbol");
    inst.symbol = symbol_word(symbol);
    inst.account = a.id;
    inst.max_position_shares = l.max_position_shares;
    im.read_int("max_position_shares", inst.max_position_shares);
    uint64_t inst_usd = l.max_gross_exposure / kNotionalPerDollar;
    if (im.read_int("max_gross_exposure_usd", inst_usd))
      inst.max_gross_exposure = inst_usd * kNotionalPerDollar;
    else
      inst.max_gross_exposure = l.max_gross_exposure;
    for (size_t j = 0; j < a.instruments.size(); ++j)
      if (a.instruments[j].symbol == inst.symbol)
        fail(im.get("symbol")->key_mark, ipath + ".symbol",
             "symbol '" + symbol + "' is already listed at " + m.child("instruments") + "[" +
                 std::to_string(j) + "]");
    a.instruments.push_back(inst);
  }
  return a;
}

std::unique_ptr<Policy> parse_policy(const YAML::Node& root, const std::string& file) {
  // An empty document reads as an empty map: the error is then the missing `accounts`.
  const YAML::Node doc = root.IsNull() ? YAML::Node(YAML::NodeType::Map) : root;
  const MapView top(doc, root.IsNull() ? SourceMark{file, 1, 1} : mark_of(root, file), "", "",
                    file);
  uint64_t max_age_ms = schema_default<uint64_t>("reference.max_age_ms");
  auto source = ReferenceSource::mid_or_last;
  if (const auto* ref = top.get("reference")) {
    const MapView r(ref->value, ref->key_mark, "reference", "reference", file);
    r.read_int("max_age_ms", max_age_ms);
    source = static_cast<ReferenceSource>(r.read_choice("source", 0));
  }
  const auto* list = top.read_list("accounts");
  std::vector<AccountPolicy> accounts;
  std::map<std::string, std::string> session_owner;  // session -> account name
  for (size_t i = 0; i < list->value.size(); ++i) {
    const YAML::Node n = list->value[i];
    AccountMarks marks;
    AccountPolicy a = parse_account(n, i, file, marks);
    const std::string path = "accounts[" + std::to_string(i) + "]";
    for (const auto& other : accounts) {
      if (other.name == a.name)
        fail(marks.name, path + ".name", "account name '" + a.name + "' is already used");
      if (other.id == a.id)
        fail(marks.id, path + ".id",
             "account id " + std::to_string(a.id) + " is already used by '" + other.name + "'");
    }
    for (size_t s = 0; s < a.sessions.size(); ++s) {
      const auto [it, fresh] = session_owner.emplace(a.sessions[s], a.name);
      if (!fresh)
        fail(marks.sessions[s], path + ".sessions[" + std::to_string(s) + "]",
             "session '" + a.sessions[s] + "' already belongs to account '" + it->second + "'");
    }
    accounts.push_back(std::move(a));
  }
  return std::make_unique<Policy>(std::move(accounts), max_age_ms * 1'000'000, source, file);
}

}  // namespace

std::unique_ptr<Policy> load_policy_from_string(const std::string& yaml_text,
                                                const std::string& name) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    const SourceMark at = e.mark.is_null() ? SourceMark{name, 0, 0}
                                           : SourceMark{name, e.mark.line + 1, e.mark.column + 1};
    fail(at, "", e.msg);
  }
  return parse_policy(root, name);
}

std::unique_ptr<Policy> load_policy(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail({path, 0, 0}, "", "cannot read the policy file");
  std::stringstream text;
  text << in.rdbuf();
  return load_policy_from_string(text.str(), path);
}

// ---------------------------------------------------------------------------------------------
// Policy.

Policy::Policy(std::vector<AccountPolicy> accounts, uint64_t reference_max_age_ns,
               ReferenceSource reference_source, std::string source)
    : accounts_(std::move(accounts)),
      reference_max_age_ns_(reference_max_age_ns),
      reference_source_(reference_source),
      source_(std::move(source)) {
  size_t entries = 0;
  for (const auto& a : accounts_) {
    if (a.id >= kMaxAccounts || by_id_[a.id] != nullptr)
      throw std::logic_error("risk: account ids must be unique and below 64");
    by_id_[a.id] = &a;
    entries += a.instruments.size();
  }
  // At most half full: a miss ends at an empty slot after a short probe.
  size_t capacity = 16;
  while (capacity < 2 * entries) capacity *= 2;
  table_.resize(capacity);
  mask_ = capacity - 1;
  for (const auto& a : accounts_) {
    for (const auto& inst : a.instruments) {
      size_t i = hash(a.id, inst.symbol) & mask_;
      while (table_[i].used) i = (i + 1) & mask_;
      table_[i] = inst;
      table_[i].account = a.id;
      table_[i].used = true;
    }
  }
}

std::optional<uint8_t> Policy::account_of_session(std::string_view session) const {
  for (const auto& a : accounts_)
    for (const auto& s : a.sessions)
      if (s == session) return a.id;
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Diff.

namespace {

std::string usd_text(uint64_t notional) {
  std::string s = std::to_string(notional / kNotionalPerDollar);
  if (const uint64_t cents = notional % kNotionalPerDollar; cents != 0) {
    char frac[8];
    std::snprintf(frac, sizeof frac, ".%04llu", static_cast<unsigned long long>(cents));
    s += frac;
  }
  return s;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return "[" + out + "]";
}

void diff_account(const AccountPolicy& a, const AccountPolicy& b, std::vector<std::string>& out) {
  const std::string p = "accounts." + a.name + ".";
  auto num = [&](const char* key, uint64_t x, uint64_t y) {
    if (x != y) out.push_back(p + key + ": " + std::to_string(x) + " -> " + std::to_string(y));
  };
  auto usd = [&](const char* key, uint64_t x, uint64_t y) {
    if (x != y) out.push_back(p + key + ": " + usd_text(x) + " -> " + usd_text(y));
  };
  const AccountLimits& x = a.limits;
  const AccountLimits& y = b.limits;
  num("id", a.id, b.id);
  if (a.sessions != b.sessions)
    out.push_back(p + "sessions: " + join(a.sessions) + " -> " + join(b.sessions));
  num("max_shares_per_order", x.max_shares_per_order, y.max_shares_per_order);
  usd("max_order_notional_usd", x.max_order_notional, y.max_order_notional);
  num("price_collar_bps", x.price_collar_bps, y.price_collar_bps);
  num("max_open_orders", x.max_open_orders, y.max_open_orders);
  num("max_position_shares", x.max_position_shares, y.max_position_shares);
  usd("max_gross_exposure_usd", x.max_gross_exposure, y.max_gross_exposure);
  num("max_account_position_shares", x.max_account_position_shares, y.max_account_position_shares);
  usd("max_account_gross_exposure_usd", x.max_account_gross_exposure, y.max_account_gross_exposure);
  num("order_rate_per_s", x.order_rate_per_s, y.order_rate_per_s);
  num("order_burst", x.order_burst, y.order_burst);

  auto find = [](const AccountPolicy& acc, uint64_t symbol) -> const InstrumentLimits* {
    for (const auto& i : acc.instruments)
      if (i.symbol == symbol) return &i;
    return nullptr;
  };
  for (const auto& i : a.instruments)
    if (!find(b, i.symbol)) out.push_back(p + "instruments: -" + symbol_text(i.symbol));
  for (const auto& j : b.instruments) {
    const InstrumentLimits* i = find(a, j.symbol);
    const std::string ip = p + "instruments." + symbol_text(j.symbol) + ".";
    if (!i) {
      out.push_back(p + "instruments: +" + symbol_text(j.symbol));
      continue;
    }
    if (i->max_position_shares != j.max_position_shares)
      out.push_back(ip + "max_position_shares: " + std::to_string(i->max_position_shares) + " -> " +
                    std::to_string(j.max_position_shares));
    if (i->max_gross_exposure != j.max_gross_exposure)
      out.push_back(ip + "max_gross_exposure_usd: " + usd_text(i->max_gross_exposure) + " -> " +
                    usd_text(j.max_gross_exposure));
  }
}

}  // namespace

std::vector<std::string> policy_diff(const Policy& before, const Policy& after) {
  std::vector<std::string> out;
  if (before.reference_max_age_ns() != after.reference_max_age_ns())
    out.push_back(
        "reference.max_age_ms: " + std::to_string(before.reference_max_age_ns() / 1'000'000) +
        " -> " + std::to_string(after.reference_max_age_ns() / 1'000'000));
  if (before.reference_source() != after.reference_source())
    out.push_back(std::string("reference.source: ") + to_string(before.reference_source()) +
                  " -> " + to_string(after.reference_source()));
  for (const auto& a : before.accounts()) {
    const auto it = std::find_if(after.accounts().begin(), after.accounts().end(),
                                 [&](const AccountPolicy& b) { return b.name == a.name; });
    if (it == after.accounts().end())
      out.push_back("accounts." + a.name + ": removed");
    else
      diff_account(a, *it, out);
  }
  for (const auto& b : after.accounts()) {
    const bool known = std::any_of(before.accounts().begin(), before.accounts().end(),
                                   [&](const AccountPolicy& a) { return a.name == b.name; });
    if (!known) out.push_back("accounts." + b.name + ": added (id " + std::to_string(b.id) + ")");
  }
  return out;
}

}  // namespace sy::risk
