// YAML configuration loader: parse, apply --set overrides, fill defaults, validate, dump.
//
// The YAML text is first converted into a small tree of our own (Node) rather than read through
// yaml-cpp's nodes directly, because we need things yaml-cpp does not give us: every map entry
// keeps the mark of its key (errors point at keys), duplicate keys stay visible, and nodes that
// came from a --set override are flagged so that their errors say "--set" instead of pointing at
// a line of the file the user did not write. Validation is driven by schema() (schema.cpp): the
// permitted keys, required keys, ranges, units, enum spellings and name patterns all come from
// that table, so the documentation and the checks cannot drift apart.

#include "conf/config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string_view>
#include <unordered_map>

namespace sy::conf {

namespace {

std::string format_error(const SourceMark& mark, const std::string& key_path,
                         const std::string& message) {
  std::string text = mark.file;
  if (mark.line > 0) text += ":" + std::to_string(mark.line) + ":" + std::to_string(mark.column);
  if (!text.empty()) text += ": ";
  if (!key_path.empty()) text += key_path + ": ";
  return text + message;
}

}  // namespace

ConfigError::ConfigError(const SourceMark& mark, const std::string& key_path,
                         const std::string& message)
    : std::runtime_error(format_error(mark, key_path, message)),
      mark_(mark),
      key_path_(key_path),
      message_(message) {}

const char* to_string(Role r) {
  switch (r) {
    case Role::rx:
      return "rx";
    case Role::integrity:
      return "integrity";
    case Role::execution:
      return "execution";
    case Role::storage:
      return "storage";
    case Role::control:
      return "control";
  }
  return "?";
}

const char* to_string(IdlePolicy p) {
  switch (p) {
    case IdlePolicy::spin:
      return "spin";
    case IdlePolicy::pause:
      return "pause";
    case IdlePolicy::sleep:
      return "sleep";
  }
  return "?";
}

const char* to_string(SyncPolicy p) {
  switch (p) {
    case SyncPolicy::batch:
      return "batch";
    case SyncPolicy::interval:
      return "interval";
  }
  return "?";
}

const char* to_string(Priority p) {
  switch (p) {
    case Priority::p0:
      return "P0";
    case Priority::p1:
      return "P1";
    case Priority::p2:
      return "P2";
  }
  return "?";
}

const char* to_string(HugepageMode m) {
  switch (m) {
    case HugepageMode::automatic:
      return "auto";
    case HugepageMode::on:
      return "on";
    case HugepageMode::off:
      return "off";
  }
  return "?";
}

const char* to_string(RunMode m) {
  switch (m) {
    case RunMode::live:
      return "live";
    case RunMode::batch:
      return "batch";
  }
  return "?";
}

const char* to_string(FullPolicy p) {
  switch (p) {
    case FullPolicy::drop:
      return "drop";
    case FullPolicy::wait:
      return "wait";
  }
  return "?";
}

const char* to_string(MempoolOps o) {
  switch (o) {
    case MempoolOps::ring_mt_rts:
      return "ring_mt_rts";
    case MempoolOps::ring_mt_hts:
      return "ring_mt_hts";
    case MempoolOps::ring_mp_mc:
      return "ring_mp_mc";
  }
  return "?";
}

const char* to_string(OtlpEncoding e) {
  switch (e) {
    case OtlpEncoding::protobuf:
      return "protobuf";
    case OtlpEncoding::json:
      return "json";
  }
  return "?";
}

const char* to_string(ClockSource c) {
  switch (c) {
    case ClockSource::tsc:
      return "tsc";
    case ClockSource::capture:
      return "capture";
  }
  return "?";
}

const char* to_string(SessionSide s) {
  switch (s) {
    case SessionSide::client:
      return "client";
    case SessionSide::venue:
      return "venue";
  }
  return "?";
}

namespace {

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// DDDD:BB:DD.F, all hex: the full form of a PCI address as DPDK prints it.
bool looks_like_pci(const std::string& s) {
  static constexpr std::string_view kShape = "hhhh:hh:hh.h";
  if (s.size() != kShape.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (kShape[i] == 'h' ? !is_hex(s[i]) : s[i] != kShape[i]) return false;
  }
  return true;
}

}  // namespace

bool PortConfig::is_pci() const { return looks_like_pci(device); }

const PortConfig* Config::find_port(const std::string& port_name) const {
  for (const auto& p : ports)
    if (p.name == port_name) return &p;
  return nullptr;
}

const LcoreConfig* Config::find_role(Role r) const {
  for (const auto& l : lcores)
    if (l.role == r) return &l;
  return nullptr;
}

namespace {

namespace fs = std::filesystem;

constexpr const char* kSetFile = "--set";
constexpr const char* kRequired = "(required)";
constexpr const char* kNone = "(none)";
constexpr int kMaxDepth = 32;  // far deeper than the schema; stops alias cycles (&a [*a])
// 3 fixed classes (other, malformed, local) + configured ones must fit net::kMaxClasses (64).
constexpr size_t kMaxConfiguredClasses = 61;
// The classifier's per-port rule table and port table (net::Classifier::kMaxRulesPerPort,
// kMaxPorts).
constexpr size_t kMaxClassesPerPort = 32;
constexpr size_t kMaxPorts = 16;

const SourceMark kSetMark{kSetFile, 0, 0};

[[noreturn]] void fail(const SourceMark& at, const std::string& path, const std::string& msg) {
  throw ConfigError(at, path, msg);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  for (size_t start = 0;;) {
    const auto at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return out;
    start = at + 1;
  }
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Our YAML tree.

struct Entry;

struct Node {
  enum class Kind : uint8_t { null, scalar, seq, map };
  Kind kind = Kind::null;
  std::string text;            // scalar
  std::vector<Node> items;     // seq
  std::vector<Entry> entries;  // map, in document order, duplicates kept
  SourceMark mark;
  bool from_set = false;  // supplied by a --set override
};

struct Entry {
  std::string key;
  SourceMark key_mark;
  Node value;
};

SourceMark mark_of(const YAML::Mark& m, const std::string& file) {
  if (m.is_null()) return {file, 0, 0};
  return {file, m.line + 1, m.column + 1};
}

std::string index_path(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string child_path(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

// `set` marks every node as coming from a --set override (all get the "--set" mark).
Node convert(const YAML::Node& y, const std::string& file, bool set, const std::string& path,
             int depth) {
  Node n;
  n.from_set = set;
  n.mark = set ? kSetMark : mark_of(y.Mark(), file);
  if (depth > kMaxDepth) fail(n.mark, path, "nested deeper than " + std::to_string(kMaxDepth));
  switch (y.Type()) {
    case YAML::NodeType::Scalar:
      n.kind = Node::Kind::scalar;
      n.text = y.Scalar();
      break;
    case YAML::NodeType::Sequence:
      n.kind = Node::Kind::seq;
      for (size_t i = 0; i < y.size(); ++i)
        n.items.push_back(convert(y[i], file, set, index_path(path, i), depth + 1));
      break;
    case YAML::NodeType::Map:
      n.kind = Node::Kind::map;
      for (auto it = y.begin(); it != y.end(); ++it) {
        const SourceMark key_mark = set ? kSetMark : mark_of(it->first.Mark(), file);
        if (!it->first.IsScalar()) fail(key_mark, path, "expected a string as key");
        const std::string key = it->first.Scalar();
        const std::string sub = child_path(path, key);
        n.entries.push_back({key, key_mark, convert(it->second, file, set, sub, depth + 1)});
      }
      break;
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return n;
}

Node parse_yaml(const std::string& text, const std::string& file) {
  YAML::Node y;
  try {
    y = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    fail(mark_of(e.mark, file), "", e.msg);
  }
  Node root = convert(y, file, false, "", 0);
  if (root.kind == Node::Kind::null) root.mark = {file, 1, 1};  // empty document
  return root;
}

// ---------------------------------------------------------------------------------------------
// --set overrides: edit the tree before validation.

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

std::optional<size_t> parse_index(const std::string& s) {
  size_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// The list element a path segment names: a numeric index, or for lists of maps the entry whose
// `name` is the segment.
Node& select_item(Node& list, const std::string& seg, const std::string& walked) {
  if (const auto idx = parse_index(seg)) {
    if (*idx >= list.items.size())
      fail(kSetMark, walked,
           "index " + seg + " is out of range (the list has " + std::to_string(list.items.size()) +
               " entries)");
    return list.items[*idx];
  }
  std::string names;
  for (auto& item : list.items) {
    if (item.kind != Node::Kind::map) continue;
    for (const auto& e : item.entries) {
      if (e.key != "name" || e.value.kind != Node::Kind::scalar) continue;
      if (e.value.text == seg) return item;
      names += (names.empty() ? "" : ", ") + e.value.text;
    }
  }
  fail(kSetMark, walked,
       "no list entry named '" + seg + "' (entries: " + (names.empty() ? "none" : names) + ")");
}

void apply_override(Node& root, const std::string& text) {
  const auto eq = text.find('=');
  const std::string key = trim(std::string_view(text).substr(0, eq));
  if (eq == std::string::npos || key.empty()) fail(kSetMark, trim(text), "expected key.path=value");

  const std::vector<std::string> segs = split(key, '.');
  for (const auto& s : segs)
    if (s.empty()) fail(kSetMark, key, "empty segment in key path");

  YAML::Node y;
  try {
    y = YAML::Load(text.substr(eq + 1));
  } catch (const YAML::Exception& e) {
    fail(kSetMark, key, e.msg);
  }
  Node value = convert(y, kSetFile, true, key, 0);

  Node* cur = &root;
  std::string walked;
  for (size_t i = 0; i < segs.size(); ++i) {
    const std::string& seg = segs[i];
    const std::string parent = walked;
    walked = child_path(walked, seg);
    const bool last = i + 1 == segs.size();
    if (cur->kind == Node::Kind::null) {  // "eal:" with nothing under it: becomes a map
      cur->kind = Node::Kind::map;
      if (cur != &root) {  // an empty file keeps its own mark
        cur->mark = kSetMark;
        cur->from_set = true;
      }
    }
    Node* next = nullptr;
    if (cur->kind == Node::Kind::map) {
      auto it = std::find_if(cur->entries.begin(), cur->entries.end(),
                             [&](const Entry& e) { return e.key == seg; });
      if (it == cur->entries.end()) {
        Node fresh;
        fresh.from_set = true;
        fresh.mark = kSetMark;
        cur->entries.push_back({seg, kSetMark, std::move(fresh)});
        it = std::prev(cur->entries.end());
      }
      next = &it->value;
    } else if (cur->kind == Node::Kind::seq) {
      next = &select_item(*cur, seg, walked);
    } else {
      fail(kSetMark, walked, "cannot descend into '" + parent + "': it is a scalar");
    }
    if (last) *next = value;
    cur = next;
  }
}

// ---------------------------------------------------------------------------------------------
// Schema access.

struct SchemaIndex {
  std::unordered_map<std::string, const SchemaKey*> by_path;
  std::unordered_map<std::string, std::vector<const SchemaKey*>> children;  // by parent path
};

const SchemaIndex& schema_index() {
  static const SchemaIndex index = [] {
    SchemaIndex ix;
    for (const auto& k : schema()) {
      ix.by_path[k.path] = &k;
      const auto dot = k.path.rfind('.');
      ix.children[dot == std::string::npos ? "" : k.path.substr(0, dot)].push_back(&k);
    }
    return ix;
  }();
  return index;
}

const SchemaKey& spec_of(const std::string& spath) {
  const auto& ix = schema_index().by_path;
  const auto it = ix.find(spath);
  // A programming error: every key the loader reads must be documented in schema.cpp.
  if (it == ix.end()) throw std::logic_error("conf: key missing from schema: " + spath);
  return *it->second;
}

std::string leaf_name(const SchemaKey& k) {
  const auto dot = k.path.rfind('.');
  return dot == std::string::npos ? k.path : k.path.substr(dot + 1);
}

std::string unit_suffix(const SchemaKey& k) { return k.unit.empty() ? "" : " (" + k.unit + ")"; }

struct IntRange {
  int64_t min = 0;
  int64_t max = 0;
  bool power_of_two = false;
  std::string text;  // "64..32768"
};

// Parses the "MIN..MAX[, power of two]" cell of an integer key.
IntRange int_range(const SchemaKey& k) {
  IntRange r;
  const std::string& s = k.range;
  const auto comma = s.find(',');
  r.text = s.substr(0, comma);
  const auto dots = r.text.find("..");
  if (dots == std::string::npos)
    throw std::logic_error("conf: bad integer range in schema for " + k.path);
  const char* end = s.data() + r.text.size();
  const auto a = std::from_chars(s.data(), s.data() + dots, r.min);
  const auto b = std::from_chars(s.data() + dots + 2, end, r.max);
  if (a.ec != std::errc() || a.ptr != s.data() + dots || b.ec != std::errc() || b.ptr != end)
    throw std::logic_error("conf: bad integer range in schema for " + k.path);
  r.power_of_two = comma != std::string::npos && s.substr(comma) == ", power of two";
  return r;
}

// Where an error about an entry is reported: at its key, or at the value when a --set override
// supplied it (the key's line in the file is not what the user got wrong).
SourceMark where(const Entry& e) { return e.value.from_set ? e.value.mark : e.key_mark; }

// A map read against the schema keys under `spath`. Construction rejects non-maps, unknown and
// duplicate keys, and missing required keys.
class MapView {
 public:
  MapView(const Node& node, SourceMark at, std::string path, std::string spath)
      : node_(node), at_(std::move(at)), path_(std::move(path)), spath_(std::move(spath)) {
    if (node.kind != Node::Kind::map) fail(at_, path_, "expected a map");
    const auto& kids = schema_index().children.at(spath_);
    for (size_t i = 0; i < node.entries.size(); ++i) {
      const Entry& e = node.entries[i];
      const bool known = std::any_of(kids.begin(), kids.end(),
                                     [&](const SchemaKey* k) { return leaf_name(*k) == e.key; });
      if (!known) {
        std::vector<std::string> names;
        for (const SchemaKey* k : kids) names.push_back(leaf_name(*k));
        fail(e.key_mark, child(e.key), "unknown key (expected one of: " + join(names, ", ") + ")");
      }
      for (size_t j = 0; j < i; ++j)
        if (node.entries[j].key == e.key)
          fail(e.key_mark, child(e.key),
               "duplicate key (first given at line " +
                   std::to_string(node.entries[j].key_mark.line) + ")");
    }
    for (const SchemaKey* k : kids)
      if (k->default_value == kRequired && !find(leaf_name(*k)))
        fail(at_, path_, "missing required key '" + leaf_name(*k) + "'");
  }

  // The entry for `key`, or nullptr when absent. An explicit null counts as absent for optional
  // keys without a default and for optional lists and maps ("feeds:" with every entry commented
  // out); elsewhere it is reported as the wrong type by the reader.
  const Entry* get(std::string_view key) const {
    const Entry* e = find(key);
    if (!e || e->value.kind != Node::Kind::null) return e;
    const SchemaKey& k = spec(key);
    const bool container = k.type == "list" || k.type == "map";
    if (k.default_value == kNone || (container && k.default_value != kRequired)) return nullptr;
    return e;
  }

  const SchemaKey& spec(std::string_view key) const { return spec_of(child_path(spath_, key)); }
  std::string child(std::string_view key) const { return child_path(path_, key); }
  const std::string& path() const { return path_; }
  const SourceMark& at() const { return at_; }

 private:
  const Entry* find(std::string_view key) const {
    for (const auto& e : node_.entries)
      if (e.key == key) return &e;
    return nullptr;
  }

  const Node& node_;
  SourceMark at_;
  std::string path_;
  std::string spath_;
};

// ---------------------------------------------------------------------------------------------
// Scalar readers. Each reads `key` of `m` into `out` when present and returns whether it was.

// Checks an integer scalar against its schema range and returns it.
int64_t check_int(const Node& v, const SourceMark& at, const std::string& path,
                  const SchemaKey& k) {
  if (v.kind != Node::Kind::scalar) fail(at, path, "expected an integer");
  const std::string& s = v.text;
  int64_t n = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (p != s.data() + s.size() || s.empty()) fail(at, path, "expected an integer");
  const IntRange r = int_range(k);
  if (ec == std::errc::result_out_of_range || n < r.min || n > r.max)
    fail(at, path, s + " is out of range " + r.text + unit_suffix(k));
  if (ec != std::errc()) fail(at, path, "expected an integer");
  if (r.power_of_two && (n & (n - 1)) != 0) fail(at, path, s + " is not a power of two");
  return n;
}

template <typename T>
bool read_int(const MapView& m, std::string_view key, T& out) {
  const Entry* e = m.get(key);
  if (!e) return false;
  out = static_cast<T>(check_int(e->value, where(*e), m.child(key), m.spec(key)));
  return true;
}

template <typename T>
bool read_int(const MapView& m, std::string_view key, std::optional<T>& out) {
  T v{};
  if (!read_int(m, key, v)) return false;
  out = v;
  return true;
}

bool read_bool(const MapView& m, std::string_view key, bool& out) {
  const Entry* e = m.get(key);
  if (!e) return false;
  const std::string& s = e->value.text;
  const bool scalar = e->value.kind == Node::Kind::scalar;
  if (scalar && (s == "true" || s == "True" || s == "TRUE")) {
    out = true;
  } else if (scalar && (s == "false" || s == "False" || s == "FALSE")) {
    out = false;
  } else {
    fail(where(*e), m.child(key), "expected true or false");
  }
  return true;
}

const std::string& scalar_text(const Node& v, const SourceMark& at, const std::string& path) {
  if (v.kind != Node::Kind::scalar) fail(at, path, "expected a string");
  return v.text;
}

bool read_string(const MapView& m, std::string_view key, std::string& out) {
  const Entry* e = m.get(key);
  if (!e) return false;
  out = scalar_text(e->value, where(*e), m.child(key));
  return true;
}

// A string that must match the regular expression in the schema's range cell.
bool read_name(const MapView& m, std::string_view key, std::string& out) {
  if (!read_string(m, key, out)) return false;
  const SchemaKey& k = m.spec(key);
  if (!std::regex_match(out, std::regex(k.range)))
    fail(where(*m.get(key)), m.child(key), "'" + out + "' does not match " + k.range);
  return true;
}

// Index of the value among the schema's "a|b|c" choices.
bool read_choice(const MapView& m, std::string_view key, size_t& out) {
  const Entry* e = m.get(key);
  if (!e) return false;
  const auto choices = split(m.spec(key).range, '|');
  for (size_t i = 0; i < choices.size(); ++i) {
    if (e->value.kind == Node::Kind::scalar && e->value.text == choices[i]) {
      out = i;
      return true;
    }
  }
  fail(where(*e), m.child(key), "expected one of: " + join(choices, ", "));
}

// Enum spellings are listed in the schema in the order of the C++ enumerators.
template <typename E>
bool read_enum(const MapView& m, std::string_view key, E& out) {
  size_t i = 0;
  if (!read_choice(m, key, i)) return false;
  out = static_cast<E>(i);
  return true;
}

std::optional<Ipv4Address> parse_ipv4(const std::string& s) {
  const auto parts = split(s, '.');
  if (parts.size() != 4) return std::nullopt;
  Ipv4Address addr = 0;
  for (const auto& part : parts) {
    unsigned octet = 0;
    const auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), octet);
    if (part.empty() || part.size() > 3 || ec != std::errc() || p != part.data() + part.size() ||
        octet > 255)
      return std::nullopt;
    addr = (addr << 8) | octet;
  }
  return addr;
}

bool read_ipv4(const MapView& m, std::string_view key, std::optional<Ipv4Address>& out) {
  const Entry* e = m.get(key);
  if (!e) return false;
  const auto addr = e->value.kind == Node::Kind::scalar ? parse_ipv4(e->value.text) : std::nullopt;
  if (!addr) fail(where(*e), m.child(key), "expected an IPv4 address like 10.0.0.1");
  out = addr;
  return true;
}

std::optional<MacAddress> parse_mac(const std::string& s) {
  const auto parts = split(s, ':');
  if (parts.size() != 6) return std::nullopt;
  MacAddress mac{};
  for (size_t i = 0; i < 6; ++i) {
    const auto& part = parts[i];
    if (part.size() != 2 || !is_hex(part[0]) || !is_hex(part[1])) return std::nullopt;
    unsigned byte = 0;
    std::from_chars(part.data(), part.data() + 2, byte, 16);
    mac[i] = static_cast<uint8_t>(byte);
  }
  return mac;
}

bool read_mac(const MapView& m, std::string_view key, std::optional<MacAddress>& out) {
  const Entry* e = m.get(key);
  if (!e) return false;
  const auto mac = e->value.kind == Node::Kind::scalar ? parse_mac(e->value.text) : std::nullopt;
  if (!mac) fail(where(*e), m.child(key), "expected a MAC address like 02:00:00:00:00:01");
  out = mac;
  return true;
}

// The list under `key`, or nullptr when absent.
const Node* read_list(const MapView& m, std::string_view key) {
  const Entry* e = m.get(key);
  if (!e) return nullptr;
  if (e->value.kind != Node::Kind::seq) fail(where(*e), m.child(key), "expected a list");
  return &e->value;
}

std::string ipv4_text(Ipv4Address a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 0xff) + "." +
         std::to_string((a >> 8) & 0xff) + "." + std::to_string(a & 0xff);
}

std::string mac_text(const MacAddress& mac) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                mac[4], mac[5]);
  return buf;
}

bool is_path_arg(const std::string& key) {
  return key == "rx_pcap" || key == "tx_pcap" || key == "socket";
}

// ---------------------------------------------------------------------------------------------
// The parser: fills a Config section by section, checking cross references as it goes.

class Parser {
 public:
  Parser(Config& cfg, std::string file) : cfg_(cfg), file_(std::move(file)) {}

  void parse(const Node& root) {
    const MapView top(root, root.mark, "", "");  // top-level keys have no parent path
    parse_eal(top);
    // Ports before lcores so that lcores[].ports can be checked as they are read.
    parse_ports(top);
    parse_lcores(top);
    parse_feeds(top);
    parse_sessions(top);
    parse_rings(top);
    parse_classify(top);
    parse_storage(top);
    parse_run(top);
    parse_control(top);
    parse_service(top);
    parse_execution(top);
    parse_observe(top);
  }

 private:
  // A section's mark: its key, or the file without a line when the section is absent.
  SourceMark section_mark(const MapView& top, const char* key) const {
    const Entry* e = top.get(key);
    return e ? where(*e) : SourceMark{file_, 0, 0};
  }

  void parse_eal(const MapView& top) {
    EalConfig& eal = cfg_.eal;
    eal.mark = section_mark(top, "eal");
    const Entry* e = top.get("eal");
    if (!e) return;
    const MapView m(e->value, where(*e), "eal", "eal");
    read_name(m, "file_prefix", eal.file_prefix);
    read_enum(m, "hugepages", eal.hugepages);
    read_int(m, "memory_mb", eal.memory_mb);
    read_bool(m, "in_memory", eal.in_memory);
    size_t level = 0;
    if (read_choice(m, "log_level", level))
      eal.log_level = split(m.spec("log_level").range, '|')[level];
    if (const Node* args = read_list(m, "extra_args")) {
      for (size_t i = 0; i < args->items.size(); ++i) {
        const Node& a = args->items[i];
        eal.extra_args.push_back(scalar_text(a, a.mark, index_path(m.child("extra_args"), i)));
      }
    }
  }

  std::string defined_ports() const {
    std::vector<std::string> names;
    for (const auto& p : cfg_.ports) names.push_back(p.name);
    return names.empty() ? "none" : join(names, ", ");
  }

  void check_port_exists(const std::string& name, const SourceMark& at,
                         const std::string& path) const {
    if (!cfg_.find_port(name))
      fail(at, path, "port '" + name + "' is not defined (defined: " + defined_ports() + ")");
  }

  void parse_ports(const MapView& top) {
    const Node* list = read_list(top, "ports");  // required: the TopView checked presence
    if (!list) fail(section_mark(top, "ports"), "ports", "expected a list");
    if (list->items.size() > kMaxPorts)
      fail(list->items[kMaxPorts].mark, index_path("ports", kMaxPorts),
           "too many ports: at most " + std::to_string(kMaxPorts));
    for (size_t i = 0; i < list->items.size(); ++i) {
      const Node& item = list->items[i];
      const MapView m(item, item.mark, index_path("ports", i), "ports[]");
      PortConfig p;
      p.mark = item.mark;
      read_name(m, "name", p.name);
      read_string(m, "device", p.device);
      for (size_t j = 0; j < cfg_.ports.size(); ++j) {
        if (cfg_.ports[j].name == p.name)
          fail(where(*m.get("name")), m.child("name"),
               "port name '" + p.name + "' is already used by " + index_path("ports", j));
      }
      const Entry* dev = m.get("device");
      if (!p.is_pci() && !(p.device.size() > 4 && p.device.compare(0, 4, "net_") == 0))
        fail(where(*dev), m.child("device"),
             "expected a PCI address like 0000:01:00.0 or a virtual device name like net_pcap0");
      for (size_t j = 0; j < cfg_.ports.size(); ++j) {
        if (cfg_.ports[j].device == p.device)
          fail(where(*dev), m.child("device"),
               "device '" + p.device + "' is already used by " + index_path("ports", j));
      }
      if (const Entry* args = m.get("args")) parse_args(*args, m.child("args"), p);
      read_int(m, "rx_descriptors", p.rx_descriptors);
      read_int(m, "tx_descriptors", p.tx_descriptors);
      read_int(m, "mbufs", p.mbufs);
      read_int(m, "mbuf_cache", p.mbuf_cache);
      // rte_mempool_create() rejects a cache larger than size / 1.5. The current ranges already
      // guarantee it; the check keeps holding if they are widened.
      if (uint64_t{p.mbuf_cache} * 3 > uint64_t{p.mbufs} * 2) {
        const Entry* at = m.get("mbuf_cache") ? m.get("mbuf_cache") : m.get("mbufs");
        fail(where(*at), m.child(at->key),
             "mbuf_cache " + std::to_string(p.mbuf_cache) + " is too large for " +
                 std::to_string(p.mbufs) + " mbufs (DPDK requires mbuf_cache * 1.5 <= mbufs)");
      }
      read_int(m, "mbuf_data_room", p.mbuf_data_room);
      read_enum(m, "mempool_ops", p.mempool_ops);
      read_bool(m, "promiscuous", p.promiscuous);
      read_mac(m, "mac", p.mac);
      read_ipv4(m, "ipv4", p.ipv4);
      read_mac(m, "next_hop_mac", p.next_hop_mac);
      read_ipv4(m, "next_hop_ipv4", p.next_hop_ipv4);
      read_bool(m, "igmp", p.igmp);
      cfg_.ports.push_back(std::move(p));
    }
  }

  // Free-form device arguments: any key, scalar values. Path-valued ones are made absolute.
  void parse_args(const Entry& args, const std::string& path, PortConfig& p) const {
    if (args.value.kind != Node::Kind::map) fail(where(args), path, "expected a map");
    const auto& entries = args.value.entries;
    for (size_t i = 0; i < entries.size(); ++i) {
      const Entry& e = entries[i];
      for (size_t j = 0; j < i; ++j)
        if (entries[j].key == e.key)
          fail(e.key_mark, child_path(path, e.key),
               "duplicate key (first given at line " + std::to_string(entries[j].key_mark.line) +
                   ")");
      std::string value = scalar_text(e.value, where(e), child_path(path, e.key));
      if (is_path_arg(e.key) && !value.empty() && fs::path(value).is_relative()) {
        // A path from the file is relative to the file; one typed on the command line (--set)
        // is relative to where the command was run, like any other command-line path.
        const fs::path base = e.value.from_set ? fs::current_path() : fs::path(cfg_.source_dir);
        value = (base / value).lexically_normal().string();
      }
      p.args.emplace_back(e.key, std::move(value));
    }
  }

  void parse_lcores(const MapView& top) {
    const Entry* section = top.get("lcores");
    const Node* list = read_list(top, "lcores");
    if (!list) fail(section_mark(top, "lcores"), "lcores", "expected a list");
    for (size_t i = 0; i < list->items.size(); ++i) {
      const Node& item = list->items[i];
      const MapView m(item, item.mark, index_path("lcores", i), "lcores[]");
      LcoreConfig lc;
      lc.mark = item.mark;
      read_int(m, "id", lc.id);
      for (size_t j = 0; j < cfg_.lcores.size(); ++j) {
        if (cfg_.lcores[j].id == lc.id)
          fail(where(*m.get("id")), m.child("id"),
               "lcore " + std::to_string(lc.id) + " is already used by " + index_path("lcores", j) +
                   " (role " + to_string(cfg_.lcores[j].role) + ")");
      }
      read_int(m, "cpu", lc.cpu);
      read_enum(m, "role", lc.role);
      if (lc.role != Role::rx) {
        for (size_t j = 0; j < cfg_.lcores.size(); ++j) {
          if (cfg_.lcores[j].role == lc.role)
            fail(where(*m.get("role")), m.child("role"),
                 std::string("role ") + to_string(lc.role) + " is already taken by " +
                     index_path("lcores", j) + " (only rx may appear more than once)");
        }
      }
      read_enum(m, "idle", lc.idle);
      read_int(m, "idle_sleep_us", lc.idle_sleep_us);
      read_int(m, "idle_spins", lc.idle_spins);
      parse_lcore_ports(m, lc);
      cfg_.lcores.push_back(std::move(lc));
    }

    for (const Role r : {Role::rx, Role::integrity, Role::execution, Role::storage, Role::control})
      if (!cfg_.find_role(r))
        fail(where(*section), "lcores", std::string("no lcore has role ") + to_string(r));

    for (size_t i = 0; i < cfg_.ports.size(); ++i) {
      const PortConfig& p = cfg_.ports[i];
      const bool polled = std::any_of(cfg_.lcores.begin(), cfg_.lcores.end(), [&](const auto& l) {
        return std::find(l.ports.begin(), l.ports.end(), p.name) != l.ports.end();
      });
      if (!polled)
        fail(p.mark, index_path("ports", i), "port " + p.name + " is not polled by any rx lcore");
    }
  }

  void parse_lcore_ports(const MapView& m, LcoreConfig& lc) const {
    const Entry* e = m.get("ports");
    const Node* list = read_list(m, "ports");
    if (lc.role != Role::rx) {
      if (e) fail(where(*e), m.child("ports"), "only rx lcores poll ports");
      return;
    }
    if (!list) fail(m.at(), m.path(), "an rx lcore must poll at least one port");
    if (list->items.empty())
      fail(where(*e), m.child("ports"), "an rx lcore must poll at least one port");
    for (size_t k = 0; k < list->items.size(); ++k) {
      const Node& item = list->items[k];
      const std::string path = index_path(m.child("ports"), k);
      const std::string& name = scalar_text(item, item.mark, path);
      check_port_exists(name, item.mark, path);
      if (std::find(lc.ports.begin(), lc.ports.end(), name) != lc.ports.end())
        fail(item.mark, path, "port '" + name + "' is listed twice");
      lc.ports.push_back(name);
    }
  }

  // Reads port, udp_dst, ipv4_dst and vlan of a line, retransmit or session map.
  MatchConfig read_match(const MapView& m) const {
    MatchConfig match;
    match.mark = m.at();
    read_string(m, "port", match.port);
    check_port_exists(match.port, where(*m.get("port")), m.child("port"));
    read_int(m, "udp_dst", match.udp_dst);
    std::optional<Ipv4Address> dst;
    if (read_ipv4(m, "ipv4_dst", dst) && *dst != 0) match.ipv4_dst = dst;  // 0.0.0.0 = any
    read_int(m, "vlan", match.vlan);
    return match;
  }

  // Every class must be distinguishable on the wire: no two matches may be identical.
  void add_class(const MatchConfig& match, const std::string& path, const std::string& class_name) {
    for (const auto& c : classes_) {
      const MatchConfig& o = c.match;
      if (o.port == match.port && o.udp_dst == match.udp_dst && o.ipv4_dst == match.ipv4_dst &&
          o.vlan == match.vlan)
        fail(match.mark, path,
             "same port, udp_dst, ipv4_dst and vlan as " + c.path + " (class " + c.name + ")");
    }
    size_t on_port = 0;
    for (const auto& c : classes_) on_port += c.match.port == match.port;
    if (on_port == kMaxClassesPerPort)
      fail(match.mark, path,
           "too many classes on port " + match.port + ": at most " +
               std::to_string(kMaxClassesPerPort) + " (the classifier's per-port rule table)");
    if (classes_.size() == kMaxConfiguredClasses)
      fail(match.mark, path,
           "too many classes: at most " + std::to_string(kMaxConfiguredClasses) +
               " feed lines, retransmits and sessions");
    classes_.push_back({match, path, class_name});
  }

  void parse_feeds(const MapView& top) {
    const Node* list = read_list(top, "feeds");
    if (!list) return;
    for (size_t i = 0; i < list->items.size(); ++i) {
      const Node& item = list->items[i];
      const std::string path = index_path("feeds", i);
      const MapView m(item, item.mark, path, "feeds[]");
      FeedConfig f;
      f.mark = item.mark;
      read_name(m, "name", f.name);
      for (size_t j = 0; j < cfg_.feeds.size(); ++j) {
        if (cfg_.feeds[j].name == f.name)
          fail(where(*m.get("name")), m.child("name"),
               "feed name '" + f.name + "' is already used by " + index_path("feeds", j));
      }
      read_enum(m, "priority", f.priority);

      const Node* lines = read_list(m, "lines");
      if (!lines) fail(where(*m.get("lines")), m.child("lines"), "expected a list");
      const IntRange count = int_range(m.spec("lines"));
      const auto n = static_cast<int64_t>(lines->items.size());
      if (n < count.min || n > count.max)
        fail(where(*m.get("lines")), m.child("lines"),
             std::to_string(n) + " is out of range " + count.text + unit_suffix(m.spec("lines")));
      for (size_t k = 0; k < lines->items.size(); ++k) {
        const Node& li = lines->items[k];
        const std::string lpath = index_path(m.child("lines"), k);
        const MapView lm(li, li.mark, lpath, "feeds[].lines[]");
        FeedLineConfig line;
        read_name(lm, "name", line.name);
        const SourceMark name_at = where(*lm.get("name"));
        if (line.name == "retransmit")
          fail(name_at, lm.child("name"),
               "line name 'retransmit' is reserved for the feed's retransmit class");
        for (size_t j = 0; j < f.lines.size(); ++j) {
          if (f.lines[j].name == line.name)
            fail(name_at, lm.child("name"),
                 "line name '" + line.name + "' is already used by " +
                     index_path(m.child("lines"), j));
        }
        line.match = read_match(lm);
        add_class(line.match, lpath, f.name + "." + line.name);
        f.lines.push_back(std::move(line));
      }

      if (const Entry* in = m.get("integrity")) {
        const MapView im(in->value, where(*in), m.child("integrity"), "feeds[].integrity");
        FeedIntegrityConfig& g = f.integrity;
        read_int(im, "window_us", g.window_us);
        read_int(im, "rerequest_interval_ms", g.rerequest_interval_ms);
        read_int(im, "rerequest_retries", g.rerequest_retries);
        read_int(im, "rerequest_min_gap_us", g.rerequest_min_gap_us);
        read_int(im, "rerequest_max_messages", g.rerequest_max_messages);
        read_int(im, "lost_after_ms", g.lost_after_ms);
        read_int(im, "stale_after_ms", g.stale_after_ms);
        read_int(im, "buffer_messages", g.buffer_messages);
        read_int(im, "max_gaps", g.max_gaps);
      }
      if (const Entry* bk = m.get("book")) {
        const MapView bm(bk->value, where(*bk), m.child("book"), "feeds[].book");
        read_int(bm, "max_instruments", f.book.max_instruments);
        read_int(bm, "max_orders", f.book.max_orders);
        read_int(bm, "max_levels", f.book.max_levels);
      }
      if (const Node* list_i = read_list(m, "instruments")) {
        for (size_t k = 0; k < list_i->items.size(); ++k) {
          const Node& it = list_i->items[k];
          const std::string ipath = index_path(m.child("instruments"), k);
          const MapView im(it, it.mark, ipath, "feeds[].instruments[]");
          InstrumentConfig in;
          in.mark = it.mark;
          read_int(im, "locate", in.locate);
          read_name(im, "symbol", in.symbol);
          if (in.locate > f.book.max_instruments)
            fail(where(*im.get("locate")), im.child("locate"),
                 std::to_string(in.locate) + " is beyond feeds[].book.max_instruments (" +
                     std::to_string(f.book.max_instruments) + ")");
          for (size_t j = 0; j < f.instruments.size(); ++j)
            if (f.instruments[j].locate == in.locate)
              fail(where(*im.get("locate")), im.child("locate"),
                   "locate " + std::to_string(in.locate) + " is already used by " +
                       index_path(m.child("instruments"), j));
          f.instruments.push_back(std::move(in));
        }
      }
      if (const Entry* re = m.get("retransmit")) {
        const std::string rpath = m.child("retransmit");
        const MapView rm(re->value, where(*re), rpath, "feeds[].retransmit");
        RetransmitConfig rt;
        rt.mark = rm.at();
        rt.reply = read_match(rm);
        std::optional<Ipv4Address> server;
        read_ipv4(rm, "server_ipv4", server);
        rt.server_ipv4 = server.value_or(0);
        read_int(rm, "server_udp", rt.server_udp);
        add_class(rt.reply, rpath, f.name + ".retransmit");
        f.retransmit = std::move(rt);
      }
      cfg_.feeds.push_back(std::move(f));
    }
  }

  void parse_sessions(const MapView& top) {
    const Node* list = read_list(top, "sessions");
    if (!list) return;
    for (size_t i = 0; i < list->items.size(); ++i) {
      const Node& item = list->items[i];
      const std::string path = index_path("sessions", i);
      const MapView m(item, item.mark, path, "sessions[]");
      SessionConfig s;
      s.mark = item.mark;
      read_name(m, "name", s.name);
      const SourceMark name_at = where(*m.get("name"));
      // Built-in classes of net::ClassTable.
      if (s.name == "other" || s.name == "malformed" || s.name == "local")
        fail(name_at, m.child("name"),
             "name '" + s.name + "' is reserved for a built-in class (other, malformed, local)");
      // Sessions and feeds share one namespace so that a name means one thing in stats and logs.
      for (size_t j = 0; j < cfg_.feeds.size(); ++j) {
        if (cfg_.feeds[j].name == s.name)
          fail(name_at, m.child("name"),
               "name '" + s.name + "' is already used by " + index_path("feeds", j));
      }
      for (size_t j = 0; j < cfg_.sessions.size(); ++j) {
        if (cfg_.sessions[j].name == s.name)
          fail(name_at, m.child("name"),
               "name '" + s.name + "' is already used by " + index_path("sessions", j));
      }
      read_enum(m, "side", s.side);
      read_enum(m, "priority", s.priority);
      s.match = read_match(m);
      add_class(s.match, path, s.name);
      parse_session_login(m, s);
      read_int(m, "heartbeat_ms", s.heartbeat_ms);
      read_int(m, "timeout_ms", s.timeout_ms);
      read_int(m, "retransmit_buffer", s.retransmit_buffer);
      read_int(m, "gap_give_up_ms", s.gap_give_up_ms);
      if (s.heartbeat_ms >= s.timeout_ms)
        fail(s.mark, path + ".heartbeat_ms",
             std::to_string(s.heartbeat_ms) + " ms must be below timeout_ms (" +
                 std::to_string(s.timeout_ms) + " ms), or the peer times out between heartbeats");
      if (s.side == SessionSide::client) {
        if (m.get("server_ipv4") || m.get("server_udp"))
          fail(s.mark, path, "server_ipv4/server_udp are for venue sessions (side: venue)");
      } else {
        std::optional<Ipv4Address> server;
        read_ipv4(m, "server_ipv4", server);
        if (!server || *server == 0)
          fail(s.mark, path + ".server_ipv4", "a venue session needs the venue's server address");
        s.server_ipv4 = *server;
        if (!read_int(m, "server_udp", s.server_udp))
          fail(s.mark, path + ".server_udp", "a venue session needs the venue's server UDP port");
      }
      cfg_.sessions.push_back(std::move(s));
    }
  }

  // Login credentials. The password never appears in an error message or in the dump.
  void parse_session_login(const MapView& m, SessionConfig& s) {
    const std::string path = m.path();
    if (!read_name(m, "username", s.username))
      fail(s.mark, path + ".username", "a session needs a username (UFO login)");
    const bool inline_pw = m.get("password") != nullptr;
    const bool file_pw = m.get("password_file") != nullptr;
    if (inline_pw == file_pw) fail(s.mark, path, "give exactly one of password and password_file");
    if (inline_pw) {
      read_string(m, "password", s.password);
      if (!std::regex_match(s.password, std::regex(m.spec("password").range)))
        fail(where(*m.get("password")), m.child("password"),
             "must be 1 to 10 printable ASCII characters (value not shown)");
      return;
    }
    read_string(m, "password_file", s.password_file);
    const Entry& e = *m.get("password_file");
    fs::path file(s.password_file);
    if (file.is_relative())
      file = (e.value.from_set ? fs::current_path() : fs::path(cfg_.source_dir)) / file;
    s.password_file = file.lexically_normal().string();
    std::ifstream in(s.password_file);
    if (!in) fail(where(e), m.child("password_file"), "cannot read " + s.password_file);
    std::getline(in, s.password);
    if (!s.password.empty() && s.password.back() == '\r') s.password.pop_back();
    if (!std::regex_match(s.password, std::regex(m.spec("password").range)))
      fail(where(e), m.child("password_file"),
           "the first line of " + s.password_file +
               " must be 1 to 10 printable ASCII characters (value not shown)");
  }

  void parse_rings(const MapView& top) {
    RingConfig& r = cfg_.rings;
    r.mark = section_mark(top, "rings");
    const Entry* e = top.get("rings");
    if (!e) return;
    const MapView m(e->value, where(*e), "rings", "rings");
    read_int(m, "md_size", r.md_size);
    read_int(m, "order_size", r.order_size);
    read_int(m, "capture_size", r.capture_size);
    read_int(m, "canonical_size", r.canonical_size);
    read_int(m, "command_size", r.command_size);
    read_int(m, "burst", r.burst);
    read_enum(m, "on_full", r.on_full);
    // A burst larger than a ring could never be enqueued whole.
    const std::pair<const char*, uint32_t> sizes[] = {{"md_size", r.md_size},
                                                      {"order_size", r.order_size},
                                                      {"capture_size", r.capture_size},
                                                      {"command_size", r.command_size}};
    for (const auto& [key, size] : sizes) {
      if (r.burst <= size) continue;
      if (const Entry* b = m.get("burst"))
        fail(where(*b), m.child("burst"),
             std::to_string(r.burst) + " is larger than rings." + key + " (" +
                 std::to_string(size) + ")");
      fail(where(*m.get(key)), m.child(key),
           std::to_string(size) + " is smaller than rings.burst (" + std::to_string(r.burst) + ")");
    }
  }

  void parse_classify(const MapView& top) {
    ClassifyConfig& c = cfg_.classify;
    c.mark = section_mark(top, "classify");
    const Entry* e = top.get("classify");
    if (!e) return;
    const MapView m(e->value, where(*e), "classify", "classify");
    read_bool(m, "capture_unclassified", c.capture_unclassified);
    read_enum(m, "unclassified_priority", c.unclassified_priority);
  }

  // Names of every class a configuration defines (net/class_table.cpp builds the same set).
  std::vector<std::string> class_names() const {
    std::vector<std::string> names{"other", "malformed", "local"};
    for (const auto& f : cfg_.feeds) {
      for (const auto& l : f.lines) names.push_back(f.name + "." + l.name);
      if (f.retransmit) names.push_back(f.name + ".retransmit");
    }
    for (const auto& s : cfg_.sessions) names.push_back(s.name);
    return names;
  }

  void read_class_list(const MapView& m, const char* key, std::vector<std::string>& out) {
    const Node* list = read_list(m, key);
    if (!list) return;
    out.clear();
    const std::vector<std::string> known = class_names();
    for (size_t i = 0; i < list->items.size(); ++i) {
      const Node& item = list->items[i];
      const std::string path = index_path(m.child(key), i);
      const std::string& name = scalar_text(item, item.mark, path);
      if (std::find(known.begin(), known.end(), name) == known.end())
        fail(item.mark, path,
             "class '" + name + "' is not defined (defined: " + join(known, ", ") + ")");
      out.push_back(name);
    }
  }

  void parse_storage(const MapView& top) {
    StorageConfig& c = cfg_.storage;
    c.mark = section_mark(top, "storage");
    const Entry* e = top.get("storage");
    if (!e) return;
    const MapView m(e->value, where(*e), "storage", "storage");
    read_string(m, "dir", c.dir);
    if (const Node* list = read_list(m, "capture_priorities")) {
      c.capture_priorities.clear();
      const auto choices = split(m.spec("capture_priorities").range, '|');
      for (size_t i = 0; i < list->items.size(); ++i) {
        const Node& item = list->items[i];
        const std::string path = index_path(m.child("capture_priorities"), i);
        const std::string& v = scalar_text(item, item.mark, path);
        const auto it = std::find(choices.begin(), choices.end(), v);
        if (it == choices.end()) fail(item.mark, path, "expected one of: " + join(choices, ", "));
        c.capture_priorities.push_back(static_cast<Priority>(it - choices.begin()));
      }
    }
    read_class_list(m, "capture_classes", c.capture_classes);
    read_class_list(m, "capture_exclude", c.capture_exclude);
    read_bool(m, "capture_sent", c.capture_sent);
    read_int(m, "block_kib", c.block_kib);
    read_int(m, "queue_depth", c.queue_depth);
    read_int(m, "buffers", c.buffers);
    read_int(m, "pending_records", c.pending_records);
    read_int(m, "segment_mib", c.segment_mib);
    read_int(m, "rotate_interval_s", c.rotate_interval_s);
    read_int(m, "retention_mib", c.retention_mib);
    read_int(m, "reserve_mib", c.reserve_mib);
    read_int(m, "spare_segments", c.spare_segments);
    read_int(m, "spare_fill_mib_per_s", c.spare_fill_mib_per_s);
    read_enum(m, "sync", c.sync);
    read_int(m, "sync_interval_us", c.sync_interval_us);
    read_int(m, "sync_kib", c.sync_kib);
    read_int(m, "flush_age_us", c.flush_age_us);
    read_int(m, "backlog_hazard_mib", c.backlog_hazard_mib);
    read_int(m, "slow_completion_ms", c.slow_completion_ms);
    if (const Entry* t = m.get("test")) {
      const MapView tm(t->value, where(*t), m.child("test"), "storage.test");
      read_int(tm, "stall_after_ms", c.test_stall_after_ms);
      read_int(tm, "stall_ms", c.test_stall_ms);
    }
    if (c.buffers < c.queue_depth + 2) {
      const Entry* b = m.get("buffers");
      fail(b ? where(*b) : m.at(), m.child("buffers"),
           std::to_string(c.buffers) + " buffers cannot keep storage.queue_depth (" +
               std::to_string(c.queue_depth) + ") writes in flight and fill the next: at least " +
               std::to_string(c.queue_depth + 2));
    }
    if (uint64_t{c.segment_mib} * 1024 < 2ull * c.block_kib) {
      const Entry* b = m.get("segment_mib");
      fail(b ? where(*b) : m.at(), m.child("segment_mib"),
           "a segment must hold at least two blocks of storage.block_kib (" +
               std::to_string(c.block_kib) + " KiB)");
    }
  }

  void parse_control(const MapView& top) {
    ControlConfig& c = cfg_.control;
    c.mark = section_mark(top, "control");
    const Entry* e = top.get("control");
    if (!e) {
      parse_control_capture_shed(nullptr);  // its relations to other sections hold regardless
      return;
    }
    const MapView m(e->value, where(*e), "control", "control");
    read_string(m, "integrity_report", c.integrity_report);
    read_int(m, "report_interval_ms", c.report_interval_ms);
    read_bool(m, "supervise", c.supervise);
    read_int(m, "period_us", c.period_us);
    read_int(m, "heartbeat_timeout_ms", c.heartbeat_timeout_ms);
    read_string(m, "state_file", c.state_file);
    read_string(m, "audit_log", c.audit_log);
    read_string(m, "budgets", c.budgets);
    // A sleeping lcore publishes no heartbeat while it sleeps: the timeout must outlast that.
    for (size_t i = 0; i < cfg_.lcores.size(); ++i) {
      const LcoreConfig& l = cfg_.lcores[i];
      if (l.idle != IdlePolicy::sleep) continue;
      if (uint64_t{c.heartbeat_timeout_ms} * 1000 > 2 * uint64_t{l.idle_sleep_us}) continue;
      const Entry* h = m.get("heartbeat_timeout_ms");
      fail(h ? where(*h) : where(*e), m.child("heartbeat_timeout_ms"),
           std::to_string(c.heartbeat_timeout_ms) + " ms does not exceed twice lcores[" +
               std::to_string(i) + "].idle_sleep_us (" + std::to_string(l.idle_sleep_us) +
               " us): a sleeping lcore would look dead");
    }
    parse_control_api(m);
    parse_control_backpressure(m);
    parse_control_capture_shed(&m);
    parse_control_hazards(m);
    if (const Entry* t = m.get("test")) {
      const MapView tm(t->value, where(*t), m.child("test"), "control.test");
      read_int(tm, "stall_rx_after_ms", c.test.stall_rx_after_ms);
      read_int(tm, "stall_rx_ms", c.test.stall_rx_ms);
    }
  }

  void parse_control_api(const MapView& control) {
    ControlApiConfig& a = cfg_.control.api;
    const Entry* e = control.get("api");
    if (!e) return;
    const MapView m(e->value, where(*e), control.child("api"), "control.api");
    read_bool(m, "enabled", a.enabled);
    read_int(m, "port", a.port);
    read_int(m, "command_timeout_ms", a.command_timeout_ms);
    if (read_string(m, "token", a.token) && !a.token.empty() &&
        (a.token.size() < 8 || a.token.size() > 256))
      fail(where(*m.get("token")), m.child("token"),
           "must be 8..256 characters (its value is not shown)");
    read_string(m, "token_file", a.token_file);
    if (!a.token.empty() && !a.token_file.empty())
      fail(where(*m.get("token_file")), m.child("token_file"),
           "give either token or token_file, not both");
    if (a.enabled && a.token.empty() && a.token_file.empty())
      fail(where(*e), m.path(), "enabled without a token: set token or token_file");
  }

  void parse_control_backpressure(const MapView& control) {
    ControlBackpressureConfig& b = cfg_.control.backpressure;
    const Entry* e = control.get("backpressure");
    if (!e) return;
    const MapView m(e->value, where(*e), control.child("backpressure"), "control.backpressure");
    read_int(m, "ring_high_pct", b.ring_high_pct);
    read_int(m, "ring_low_pct", b.ring_low_pct);
    read_int(m, "ring_critical_pct", b.ring_critical_pct);
    read_int(m, "mempool_low_pct", b.mempool_low_pct);
    read_int(m, "mempool_critical_pct", b.mempool_critical_pct);
    read_int(m, "escalate_ms", b.escalate_ms);
    read_int(m, "recover_hold_ms", b.recover_hold_ms);
    read_bool(m, "auto_recover", b.auto_recover);
    auto at = [&](const char* key) { return m.get(key) ? where(*m.get(key)) : where(*e); };
    if (b.ring_low_pct >= b.ring_high_pct)
      fail(at("ring_low_pct"), m.child("ring_low_pct"),
           std::to_string(b.ring_low_pct) + " must be below ring_high_pct (" +
               std::to_string(b.ring_high_pct) + "): recovery needs hysteresis");
    if (b.ring_critical_pct < b.ring_high_pct)
      fail(at("ring_critical_pct"), m.child("ring_critical_pct"),
           std::to_string(b.ring_critical_pct) + " is below ring_high_pct (" +
               std::to_string(b.ring_high_pct) + ")");
    if (b.mempool_critical_pct > b.mempool_low_pct)
      fail(at("mempool_critical_pct"), m.child("mempool_critical_pct"),
           std::to_string(b.mempool_critical_pct) + " is above mempool_low_pct (" +
               std::to_string(b.mempool_low_pct) + ")");
  }

  // Capture shedding must act before the backlog hazard (storage.backlog_hazard_mib) and before
  // ring backpressure sheds whole classes (control.backpressure.ring_high_pct).
  void parse_control_capture_shed(const MapView* control) {
    ControlCaptureShedConfig& c = cfg_.control.capture_shed;
    const Entry* e = control ? control->get("capture_shed") : nullptr;
    std::optional<MapView> m;
    if (e) {
      m.emplace(e->value, where(*e), control->child("capture_shed"), "control.capture_shed");
      read_int(*m, "backlog_high_kib", c.backlog_high_kib);
      read_int(*m, "backlog_low_kib", c.backlog_low_kib);
      read_int(*m, "ring_high_pct", c.ring_high_pct);
      read_int(*m, "ring_low_pct", c.ring_low_pct);
      read_int(*m, "escalate_ms", c.escalate_ms);
      read_int(*m, "recover_hold_ms", c.recover_hold_ms);
    }
    // The relations hold for the defaults too (the other side may have moved).
    auto at = [&](const char* key) {
      if (m && m->get(key)) return where(*m->get(key));
      if (e) return where(*e);
      return control ? control->at() : cfg_.control.mark;
    };
    auto child = [&](const char* key) { return "control.capture_shed." + std::string(key); };
    if (c.backlog_low_kib >= c.backlog_high_kib)
      fail(at("backlog_low_kib"), child("backlog_low_kib"),
           std::to_string(c.backlog_low_kib) + " must be below backlog_high_kib (" +
               std::to_string(c.backlog_high_kib) + "): recovery needs hysteresis");
    if (c.backlog_high_kib >= uint64_t{cfg_.storage.backlog_hazard_mib} * 1024)
      fail(at("backlog_high_kib"), child("backlog_high_kib"),
           std::to_string(c.backlog_high_kib) + " KiB is not below storage.backlog_hazard_mib (" +
               std::to_string(cfg_.storage.backlog_hazard_mib) +
               " MiB): capture must be shed before the backlog is a hazard");
    if (c.ring_low_pct >= c.ring_high_pct)
      fail(at("ring_low_pct"), child("ring_low_pct"),
           std::to_string(c.ring_low_pct) + " must be below ring_high_pct (" +
               std::to_string(c.ring_high_pct) + "): recovery needs hysteresis");
    if (c.ring_high_pct >= cfg_.control.backpressure.ring_high_pct)
      fail(at("ring_high_pct"), child("ring_high_pct"),
           std::to_string(c.ring_high_pct) + " is not below control.backpressure.ring_high_pct (" +
               std::to_string(cfg_.control.backpressure.ring_high_pct) +
               "): capture must be shed before packets are");
  }

  void parse_control_hazards(const MapView& control) {
    ControlHazardsConfig& h = cfg_.control.hazards;
    const Entry* e = control.get("hazards");
    if (!e) return;
    const MapView m(e->value, where(*e), control.child("hazards"), "control.hazards");
    if (const Node* paths = read_list(m, "disk_paths")) {
      if (paths->items.size() > 8)  // src/control/resource_sampler.hpp kMaxDiskPaths
        fail(paths->items[8].mark, index_path(m.child("disk_paths"), 8),
             "too many paths: at most 8");
      for (size_t i = 0; i < paths->items.size(); ++i) {
        const Node& p = paths->items[i];
        h.disk_paths.push_back(scalar_text(p, p.mark, index_path(m.child("disk_paths"), i)));
        if (h.disk_paths.back().empty())
          fail(p.mark, index_path(m.child("disk_paths"), i), "empty path");
      }
    }
    read_int(m, "disk_min_free_mb", h.disk_min_free_mb);
    read_int(m, "fd_max_pct", h.fd_max_pct);
    read_int(m, "rss_max_mb", h.rss_max_mb);
    read_int(m, "mem_min_available_mb", h.mem_min_available_mb);
    read_int(m, "sample_interval_ms", h.sample_interval_ms);
    read_bool(m, "auto_recover", h.auto_recover);
  }

  void parse_service(const MapView& top) {
    ServiceConfig& s = cfg_.service;
    s.mark = section_mark(top, "service");
    const Entry* e = top.get("service");
    if (!e) return;
    const MapView m(e->value, where(*e), "service", "service");
    read_int(m, "heartbeat_timeout_ms", s.heartbeat_timeout_ms);
    read_bool(m, "ready_requires_link", s.ready_requires_link);
    // An lcore that sleeps when idle stamps its heartbeat once per sleep: a timeout within two
    // sleeps would call a healthy idle lcore dead and withhold the watchdog for no reason.
    const Entry* t = m.get("heartbeat_timeout_ms");
    if (!t) return;
    for (size_t i = 0; i < cfg_.lcores.size(); ++i) {
      const LcoreConfig& lc = cfg_.lcores[i];
      if (lc.idle != IdlePolicy::sleep) continue;
      if (uint64_t{s.heartbeat_timeout_ms} * 1000 >= 2 * uint64_t{lc.idle_sleep_us}) continue;
      fail(where(*t), m.child("heartbeat_timeout_ms"),
           std::to_string(s.heartbeat_timeout_ms) + " ms is not at least twice lcores[" +
               std::to_string(i) + "].idle_sleep_us (" + std::to_string(lc.idle_sleep_us) +
               " us): that lcore would look dead whenever it idles");
    }
  }

  void parse_execution(const MapView& top) {
    ExecutionConfig& x = cfg_.execution;
    x.mark = section_mark(top, "execution");
    const Entry* e = top.get("execution");
    bool has_clients = false;
    for (const SessionConfig& s : cfg_.sessions) has_clients |= s.side == SessionSide::client;
    if (!e) {
      if (has_clients)
        fail(x.mark, "execution.policy", "client sessions need a risk policy (conf/policy/)");
      return;
    }
    const MapView m(e->value, where(*e), "execution", "execution");
    if (read_string(m, "policy", x.policy) && !x.policy.empty()) {
      const Entry& pe = *m.get("policy");
      fs::path file(x.policy);
      if (file.is_relative())
        file = (pe.value.from_set ? fs::current_path() : fs::path(cfg_.source_dir)) / file;
      x.policy = file.lexically_normal().string();  // read by the pipeline (src/risk/policy)
    }
    if (has_clients && x.policy.empty())
      fail(x.mark, "execution.policy", "client sessions need a risk policy (conf/policy/)");
    read_string(m, "gate_log", x.gate_log);
    read_int(m, "max_orders", x.max_orders);
    read_int(m, "max_positions", x.max_positions);
    read_int(m, "max_fills", x.max_fills);
    read_int(m, "gate_results_size", x.gate_results_size);
    read_int(m, "timer_interval_us", x.timer_interval_us);
  }

  // --- observe ---------------------------------------------------------------------------
  void parse_observe(const MapView& top) {
    ObserveConfig& o = cfg_.observe;
    o.mark = section_mark(top, "observe");
    const Entry* e = top.get("observe");
    if (!e) return;
    const MapView m(e->value, where(*e), "observe", "observe");
    read_name(m, "service_name", o.service_name);
    read_name(m, "service_instance_id", o.service_instance_id);
    if (const Node* paths = read_list(m, "disk_paths")) {
      o.disk_paths.clear();
      for (size_t i = 0; i < paths->items.size(); ++i) {
        const Node& p = paths->items[i];
        o.disk_paths.push_back(scalar_text(p, p.mark, index_path(m.child("disk_paths"), i)));
        if (o.disk_paths.back().empty())
          fail(p.mark, index_path(m.child("disk_paths"), i), "expected a directory path");
      }
    }
    read_bool(m, "telemetry", o.telemetry);
    read_bool(m, "pdump", o.pdump);
    if (const Entry* oe = m.get("otlp")) {
      const MapView om(oe->value, where(*oe), m.child("otlp"), "observe.otlp");
      OtlpConfig& c = o.otlp;
      read_name(om, "endpoint", c.endpoint);
      read_enum(om, "encoding", c.encoding);
      read_int(om, "interval_ms", c.interval_ms);
      read_int(om, "timeout_ms", c.timeout_ms);
      read_int(om, "retries", c.retries);
      read_int(om, "backoff_ms", c.backoff_ms);
      read_int(om, "queue", c.queue);
      // A slow collector must not make one export run into the next.
      if (!c.endpoint.empty() && c.timeout_ms >= c.interval_ms)
        fail(om.get("timeout_ms") ? where(*om.get("timeout_ms")) : om.at(), om.child("timeout_ms"),
             "must be below observe.otlp.interval_ms (" + std::to_string(c.interval_ms) + ")");
    }
  }
  // --- end observe -----------------------------------------------------------------------

  void parse_run(const MapView& top) {
    RunConfig& r = cfg_.run;
    r.mark = section_mark(top, "run");
    const Entry* e = top.get("run");
    if (!e) return;
    const MapView m(e->value, where(*e), "run", "run");
    read_enum(m, "mode", r.mode);
    read_enum(m, "clock", r.clock);
    read_int(m, "idle_stop_ms", r.idle_stop_ms);
    read_int(m, "expect_frames", r.expect_frames);
    read_int(m, "drain_timeout_ms", r.drain_timeout_ms);
    read_int(m, "max_runtime_ms", r.max_runtime_ms);
  }

  struct ClassSeen {
    MatchConfig match;
    std::string path;
    std::string name;
  };

  Config& cfg_;
  std::string file_;
  std::vector<ClassSeen> classes_;
};

Config load_tree(Node root, const std::string& name, const std::vector<std::string>& overrides,
                 const fs::path& source_file) {
  for (const auto& o : overrides) apply_override(root, o);
  Config cfg;
  cfg.source_file = source_file.string();
  cfg.source_dir = source_file.parent_path().string();
  Parser(cfg, name).parse(root);
  return cfg;
}

// ---------------------------------------------------------------------------------------------
// dump_resolved

bool is_secret(std::string key) {
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* word : {"password", "secret", "token", "credential"})
    if (key.find(word) != std::string::npos) return true;
  return false;
}

// Every string value goes through here so that no secret can be printed by accident.
void emit_string(YAML::Emitter& out, const std::string& key, const std::string& value) {
  out << YAML::Key << key << YAML::Value;
  if (is_secret(key))
    out << YAML::DoubleQuoted << "<redacted>";
  else
    out << value;
}

template <typename T>
void emit_int(YAML::Emitter& out, const char* key, T value) {
  out << YAML::Key << key << YAML::Value << static_cast<uint64_t>(value);
}

void emit_bool(YAML::Emitter& out, const char* key, bool value) {
  out << YAML::Key << key << YAML::Value << (value ? "true" : "false");
}

void emit_ipv4(YAML::Emitter& out, const char* key, const std::optional<Ipv4Address>& a) {
  out << YAML::Key << key << YAML::Value;
  if (a)
    out << ipv4_text(*a);
  else
    out << YAML::Null;
}

void emit_mac(YAML::Emitter& out, const char* key, const std::optional<MacAddress>& mac) {
  out << YAML::Key << key << YAML::Value;
  if (mac)
    out << mac_text(*mac);
  else
    out << YAML::Null;
}

void emit_string_list(YAML::Emitter& out, const char* key, const std::vector<std::string>& v) {
  out << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const auto& s : v) out << s;
  out << YAML::EndSeq;
}

void emit_match(YAML::Emitter& out, const MatchConfig& m) {
  emit_string(out, "port", m.port);
  emit_int(out, "udp_dst", m.udp_dst);
  emit_ipv4(out, "ipv4_dst", m.ipv4_dst);
  out << YAML::Key << "vlan" << YAML::Value;
  if (m.vlan)
    out << static_cast<uint64_t>(*m.vlan);
  else
    out << YAML::Null;
}

}  // namespace

Config load(const std::string& path, const std::vector<std::string>& overrides) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail({path, 0, 0}, "", std::string("cannot read: ") + std::strerror(errno));
  std::string text;
  struct stat st {};
  int err = 0;
  if (::fstat(fd, &st) != 0) {
    err = errno;
  } else if (S_ISDIR(st.st_mode)) {
    err = EISDIR;
  } else {
    char buf[65536];
    for (;;) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n > 0) {
        text.append(buf, static_cast<size_t>(n));
      } else if (n == 0) {
        break;
      } else if (errno != EINTR) {
        err = errno;
        break;
      }
    }
  }
  ::close(fd);
  if (err != 0) fail({path, 0, 0}, "", std::string("cannot read: ") + std::strerror(err));
  return load_tree(parse_yaml(text, path), path, overrides, fs::absolute(path).lexically_normal());
}

Config load_from_string(const std::string& yaml_text, const std::string& name,
                        const std::vector<std::string>& overrides, const std::string& base_dir) {
  // "dir/." normalises to "dir/": drop the empty last component so parent_path() is dir.
  fs::path dir = fs::absolute(base_dir).lexically_normal();
  if (!dir.has_filename() && dir.has_relative_path()) dir = dir.parent_path();
  return load_tree(parse_yaml(yaml_text, name), name, overrides,
                   (dir / fs::path(name).filename()).lexically_normal());
}

std::string dump_resolved(const Config& cfg) {
  YAML::Emitter out;
  out << YAML::BeginMap;

  out << YAML::Key << "eal" << YAML::Value << YAML::BeginMap;
  emit_string(out, "file_prefix", cfg.eal.file_prefix);
  emit_string(out, "hugepages", to_string(cfg.eal.hugepages));
  emit_int(out, "memory_mb", cfg.eal.memory_mb);
  emit_bool(out, "in_memory", cfg.eal.in_memory);
  emit_string(out, "log_level", cfg.eal.log_level);
  emit_string_list(out, "extra_args", cfg.eal.extra_args);
  out << YAML::EndMap;

  out << YAML::Key << "lcores" << YAML::Value << YAML::BeginSeq;
  for (const auto& l : cfg.lcores) {
    out << YAML::BeginMap;
    emit_int(out, "id", l.id);
    emit_int(out, "cpu", l.cpu);
    emit_string(out, "role", to_string(l.role));
    emit_string(out, "idle", to_string(l.idle));
    emit_int(out, "idle_sleep_us", l.idle_sleep_us);
    emit_int(out, "idle_spins", l.idle_spins);
    if (l.role == Role::rx) emit_string_list(out, "ports", l.ports);  // rx only: see validation
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;

  out << YAML::Key << "ports" << YAML::Value << YAML::BeginSeq;
  for (const auto& p : cfg.ports) {
    out << YAML::BeginMap;
    emit_string(out, "name", p.name);
    emit_string(out, "device", p.device);
    out << YAML::Key << "args" << YAML::Value;
    if (p.args.empty()) out << YAML::Flow;
    out << YAML::BeginMap;
    for (const auto& [k, v] : p.args) emit_string(out, k, v);
    out << YAML::EndMap;
    emit_int(out, "rx_descriptors", p.rx_descriptors);
    emit_int(out, "tx_descriptors", p.tx_descriptors);
    emit_int(out, "mbufs", p.mbufs);
    emit_int(out, "mbuf_cache", p.mbuf_cache);
    emit_int(out, "mbuf_data_room", p.mbuf_data_room);
    emit_string(out, "mempool_ops", to_string(p.mempool_ops));
    emit_bool(out, "promiscuous", p.promiscuous);
    emit_mac(out, "mac", p.mac);
    emit_ipv4(out, "ipv4", p.ipv4);
    emit_mac(out, "next_hop_mac", p.next_hop_mac);
    emit_ipv4(out, "next_hop_ipv4", p.next_hop_ipv4);
    emit_bool(out, "igmp", p.igmp);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;

  out << YAML::Key << "feeds" << YAML::Value << YAML::BeginSeq;
  for (const auto& f : cfg.feeds) {
    out << YAML::BeginMap;
    emit_string(out, "name", f.name);
    emit_string(out, "priority", to_string(f.priority));
    out << YAML::Key << "lines" << YAML::Value << YAML::BeginSeq;
    for (const auto& line : f.lines) {
      out << YAML::Flow << YAML::BeginMap;
      emit_string(out, "name", line.name);
      emit_match(out, line.match);
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
    out << YAML::Key << "integrity" << YAML::Value << YAML::BeginMap;
    emit_int(out, "window_us", f.integrity.window_us);
    emit_int(out, "rerequest_interval_ms", f.integrity.rerequest_interval_ms);
    emit_int(out, "rerequest_retries", f.integrity.rerequest_retries);
    emit_int(out, "rerequest_min_gap_us", f.integrity.rerequest_min_gap_us);
    emit_int(out, "rerequest_max_messages", f.integrity.rerequest_max_messages);
    emit_int(out, "lost_after_ms", f.integrity.lost_after_ms);
    emit_int(out, "stale_after_ms", f.integrity.stale_after_ms);
    emit_int(out, "buffer_messages", f.integrity.buffer_messages);
    emit_int(out, "max_gaps", f.integrity.max_gaps);
    out << YAML::EndMap;
    out << YAML::Key << "book" << YAML::Value << YAML::BeginMap;
    emit_int(out, "max_instruments", f.book.max_instruments);
    emit_int(out, "max_orders", f.book.max_orders);
    emit_int(out, "max_levels", f.book.max_levels);
    out << YAML::EndMap;
    out << YAML::Key << "instruments" << YAML::Value << YAML::BeginSeq;
    for (const auto& in : f.instruments) {
      out << YAML::Flow << YAML::BeginMap;
      emit_int(out, "locate", in.locate);
      emit_string(out, "symbol", in.symbol);
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
    out << YAML::Key << "retransmit" << YAML::Value;
    if (f.retransmit) {
      out << YAML::BeginMap;
      emit_match(out, f.retransmit->reply);
      emit_ipv4(out, "server_ipv4", f.retransmit->server_ipv4);
      emit_int(out, "server_udp", f.retransmit->server_udp);
      out << YAML::EndMap;
    } else {
      out << YAML::Null;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;

  out << YAML::Key << "sessions" << YAML::Value << YAML::BeginSeq;
  for (const auto& s : cfg.sessions) {
    out << YAML::BeginMap;
    emit_string(out, "name", s.name);
    emit_string(out, "side", to_string(s.side));
    emit_string(out, "priority", to_string(s.priority));
    emit_match(out, s.match);
    emit_string(out, "username", s.username);
    if (s.password_file.empty())
      emit_string(out, "password", "(set, not shown)");
    else
      emit_string(out, "password_file", s.password_file);
    if (s.side == SessionSide::venue) {
      emit_ipv4(out, "server_ipv4", s.server_ipv4);
      emit_int(out, "server_udp", s.server_udp);
    }
    emit_int(out, "heartbeat_ms", s.heartbeat_ms);
    emit_int(out, "timeout_ms", s.timeout_ms);
    emit_int(out, "retransmit_buffer", s.retransmit_buffer);
    emit_int(out, "gap_give_up_ms", s.gap_give_up_ms);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;

  out << YAML::Key << "rings" << YAML::Value << YAML::BeginMap;
  emit_int(out, "md_size", cfg.rings.md_size);
  emit_int(out, "order_size", cfg.rings.order_size);
  emit_int(out, "capture_size", cfg.rings.capture_size);
  emit_int(out, "canonical_size", cfg.rings.canonical_size);
  emit_int(out, "command_size", cfg.rings.command_size);
  emit_int(out, "burst", cfg.rings.burst);
  emit_string(out, "on_full", to_string(cfg.rings.on_full));
  out << YAML::EndMap;

  out << YAML::Key << "classify" << YAML::Value << YAML::BeginMap;
  emit_bool(out, "capture_unclassified", cfg.classify.capture_unclassified);
  emit_string(out, "unclassified_priority", to_string(cfg.classify.unclassified_priority));
  out << YAML::EndMap;

  {
    const StorageConfig& st = cfg.storage;
    out << YAML::Key << "storage" << YAML::Value << YAML::BeginMap;
    emit_string(out, "dir", st.dir);
    out << YAML::Key << "capture_priorities" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (Priority p : st.capture_priorities) out << to_string(p);
    out << YAML::EndSeq;
    for (const auto* list : {&st.capture_classes, &st.capture_exclude}) {
      out << YAML::Key << (list == &st.capture_classes ? "capture_classes" : "capture_exclude")
          << YAML::Value << YAML::Flow << YAML::BeginSeq;
      for (const auto& n : *list) out << YAML::DoubleQuoted << n;
      out << YAML::EndSeq;
    }
    emit_bool(out, "capture_sent", st.capture_sent);
    emit_int(out, "block_kib", st.block_kib);
    emit_int(out, "queue_depth", st.queue_depth);
    emit_int(out, "buffers", st.buffers);
    emit_int(out, "pending_records", st.pending_records);
    emit_int(out, "segment_mib", st.segment_mib);
    emit_int(out, "rotate_interval_s", st.rotate_interval_s);
    emit_int(out, "retention_mib", st.retention_mib);
    emit_int(out, "reserve_mib", st.reserve_mib);
    emit_int(out, "spare_segments", st.spare_segments);
    emit_int(out, "spare_fill_mib_per_s", st.spare_fill_mib_per_s);
    emit_string(out, "sync", to_string(st.sync));
    emit_int(out, "sync_interval_us", st.sync_interval_us);
    emit_int(out, "sync_kib", st.sync_kib);
    emit_int(out, "flush_age_us", st.flush_age_us);
    emit_int(out, "backlog_hazard_mib", st.backlog_hazard_mib);
    emit_int(out, "slow_completion_ms", st.slow_completion_ms);
    out << YAML::Key << "test" << YAML::Value << YAML::BeginMap;
    emit_int(out, "stall_after_ms", st.test_stall_after_ms);
    emit_int(out, "stall_ms", st.test_stall_ms);
    out << YAML::EndMap;
    out << YAML::EndMap;
  }

  out << YAML::Key << "control" << YAML::Value << YAML::BeginMap;
  emit_string(out, "integrity_report", cfg.control.integrity_report);
  emit_int(out, "report_interval_ms", cfg.control.report_interval_ms);
  const ControlConfig& c = cfg.control;
  emit_bool(out, "supervise", c.supervise);
  emit_int(out, "period_us", c.period_us);
  emit_int(out, "heartbeat_timeout_ms", c.heartbeat_timeout_ms);
  emit_string(out, "state_file", c.state_file);
  emit_string(out, "audit_log", c.audit_log);
  emit_string(out, "budgets", c.budgets);
  out << YAML::Key << "api" << YAML::Value << YAML::BeginMap;
  emit_bool(out, "enabled", c.api.enabled);
  emit_int(out, "port", c.api.port);
  // The token is a secret (redacted); an absent one is shown as absent. token_file is a path,
  // not a secret, though its key says "token".
  out << YAML::Key << "token" << YAML::Value << YAML::DoubleQuoted
      << (c.api.token.empty() ? "" : "<redacted>");
  out << YAML::Key << "token_file" << YAML::Value << c.api.token_file;
  emit_int(out, "command_timeout_ms", c.api.command_timeout_ms);
  out << YAML::EndMap;
  out << YAML::Key << "backpressure" << YAML::Value << YAML::BeginMap;
  emit_int(out, "ring_high_pct", c.backpressure.ring_high_pct);
  emit_int(out, "ring_low_pct", c.backpressure.ring_low_pct);
  emit_int(out, "ring_critical_pct", c.backpressure.ring_critical_pct);
  emit_int(out, "mempool_low_pct", c.backpressure.mempool_low_pct);
  emit_int(out, "mempool_critical_pct", c.backpressure.mempool_critical_pct);
  emit_int(out, "escalate_ms", c.backpressure.escalate_ms);
  emit_int(out, "recover_hold_ms", c.backpressure.recover_hold_ms);
  emit_bool(out, "auto_recover", c.backpressure.auto_recover);
  out << YAML::EndMap;
  out << YAML::Key << "capture_shed" << YAML::Value << YAML::BeginMap;
  emit_int(out, "backlog_high_kib", c.capture_shed.backlog_high_kib);
  emit_int(out, "backlog_low_kib", c.capture_shed.backlog_low_kib);
  emit_int(out, "ring_high_pct", c.capture_shed.ring_high_pct);
  emit_int(out, "ring_low_pct", c.capture_shed.ring_low_pct);
  emit_int(out, "escalate_ms", c.capture_shed.escalate_ms);
  emit_int(out, "recover_hold_ms", c.capture_shed.recover_hold_ms);
  out << YAML::EndMap;
  out << YAML::Key << "hazards" << YAML::Value << YAML::BeginMap;
  emit_string_list(out, "disk_paths", c.hazards.disk_paths);
  emit_int(out, "disk_min_free_mb", c.hazards.disk_min_free_mb);
  emit_int(out, "fd_max_pct", c.hazards.fd_max_pct);
  emit_int(out, "rss_max_mb", c.hazards.rss_max_mb);
  emit_int(out, "mem_min_available_mb", c.hazards.mem_min_available_mb);
  emit_int(out, "sample_interval_ms", c.hazards.sample_interval_ms);
  emit_bool(out, "auto_recover", c.hazards.auto_recover);
  out << YAML::EndMap;
  out << YAML::Key << "test" << YAML::Value << YAML::BeginMap;
  emit_int(out, "stall_rx_after_ms", c.test.stall_rx_after_ms);
  emit_int(out, "stall_rx_ms", c.test.stall_rx_ms);
  out << YAML::EndMap;
  out << YAML::EndMap;

  out << YAML::Key << "execution" << YAML::Value << YAML::BeginMap;
  emit_string(out, "policy", cfg.execution.policy);
  emit_string(out, "gate_log", cfg.execution.gate_log);
  emit_int(out, "max_orders", cfg.execution.max_orders);
  emit_int(out, "max_positions", cfg.execution.max_positions);
  emit_int(out, "max_fills", cfg.execution.max_fills);
  emit_int(out, "gate_results_size", cfg.execution.gate_results_size);
  emit_int(out, "timer_interval_us", cfg.execution.timer_interval_us);
  out << YAML::EndMap;

  // --- observe ---
  out << YAML::Key << "observe" << YAML::Value << YAML::BeginMap;
  emit_string(out, "service_name", cfg.observe.service_name);
  emit_string(out, "service_instance_id", cfg.observe.service_instance_id);
  emit_string_list(out, "disk_paths", cfg.observe.disk_paths);
  emit_bool(out, "telemetry", cfg.observe.telemetry);
  emit_bool(out, "pdump", cfg.observe.pdump);
  out << YAML::Key << "otlp" << YAML::Value << YAML::BeginMap;
  emit_string(out, "endpoint", cfg.observe.otlp.endpoint);
  emit_string(out, "encoding", to_string(cfg.observe.otlp.encoding));
  emit_int(out, "interval_ms", cfg.observe.otlp.interval_ms);
  emit_int(out, "timeout_ms", cfg.observe.otlp.timeout_ms);
  emit_int(out, "retries", cfg.observe.otlp.retries);
  emit_int(out, "backoff_ms", cfg.observe.otlp.backoff_ms);
  emit_int(out, "queue", cfg.observe.otlp.queue);
  out << YAML::EndMap;
  out << YAML::EndMap;
  // --- end observe ---

  out << YAML::Key << "run" << YAML::Value << YAML::BeginMap;
  emit_string(out, "mode", to_string(cfg.run.mode));
  emit_string(out, "clock", to_string(cfg.run.clock));
  emit_int(out, "idle_stop_ms", cfg.run.idle_stop_ms);
  emit_int(out, "expect_frames", cfg.run.expect_frames);
  emit_int(out, "drain_timeout_ms", cfg.run.drain_timeout_ms);
  emit_int(out, "max_runtime_ms", cfg.run.max_runtime_ms);
  out << YAML::EndMap;

  out << YAML::Key << "service" << YAML::Value << YAML::BeginMap;
  emit_int(out, "heartbeat_timeout_ms", cfg.service.heartbeat_timeout_ms);
  emit_bool(out, "ready_requires_link", cfg.service.ready_requires_link);
  out << YAML::EndMap;

  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace sy::conf
