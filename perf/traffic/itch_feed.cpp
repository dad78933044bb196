#include "perf/traffic/itch_feed.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <set>
#include <stdexcept>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "perf/traffic/mix.hpp"
#include "perf/traffic/pcap_file.hpp"
#include "perf/traffic/rng.hpp"
#include "src/net/class_table.hpp"
#include "src/net/wire.hpp"

namespace sy::traffic {
namespace {

constexpr uint64_t kNanosPerSecond = 1'000'000'000;
constexpr uint64_t kNanosPerDay = 86'400 * kNanosPerSecond;
// The most blocks of the longest ITCH message that fit one untagged 1514-byte frame: with
// per_packet capped here a packet never has to be cut short.
constexpr uint32_t kMaxPerPacket = static_cast<uint32_t>(
    (kMaxUdpPayload - proto::kMoldHeaderLen) / (proto::kMoldBlockHeaderLen + proto::kItchMaxLen));
constexpr uint32_t kTick = 100;         // $0.01 in Price(4)
constexpr uint32_t kMaxTicksAway = 20;  // orders rest 1..20 ticks from the mid
// Same fake-publisher convention as the mixes (mix.hpp): MAC 02:50:45:45:52:<class id>,
// IPv4 198.18.1.<class id>, UDP source 20000 + class id.
constexpr uint32_t kPeerIpv4Base = 0xc6120100;
constexpr uint16_t kPeerUdpBase = 20000;
// Independent streams from one seed: the order flow (exchange), the packet sizes (layout) and
// the faults. Network faults change neither the flow nor the packets; malformed blocks shift
// the packet boundaries but not the flow; a session change restarts the flow's book.
constexpr uint64_t kScriptStream = 0x5343524950540000ULL;  // "SCRIPT"
constexpr uint64_t kLayoutStream = 0x4c41594f55540000ULL;  // "LAYOUT"
constexpr uint64_t kFaultStream = 0x4641554c54530000ULL;   // "FAULTS"

// ---------------------------------------------------------------------------------------------
// The exchange: directory, order flow and the order model that keeps the flow valid.

struct Order {
  uint16_t locate;
  uint8_t side;  // 'B' or 'S'
  uint32_t price;
  uint32_t shares;
  size_t pos;  // index in Exchange::live_
};

struct Instrument {
  char stock[8];
  uint32_t mid;  // fixed: bids rest below it, asks above, so a book never crosses
  char state = 'T';
  bool has_last_trade = false;
  uint32_t last_trade_price = 0;
  uint64_t volume = 0;
  bool crossed = false;  // a cross was printed (the first is the opening cross)
};

void set_alpha(char* dst, size_t n, std::string_view text) {
  std::memset(dst, ' ', n);
  std::memcpy(dst, text.data(), std::min(n, text.size()));
}

// "SYAA", "SYAB", ..., then longer: unique, at most 8 characters for any locate.
std::string symbol_for(uint32_t locate) {
  std::string letters;
  uint32_t v = locate - 1;
  do {
    letters.insert(letters.begin(), static_cast<char>('A' + v % 26));
    v /= 26;
  } while (v != 0);
  while (letters.size() < 2) letters.insert(letters.begin(), 'A');
  return "SY" + letters;
}

class Exchange {
 public:
  Exchange(uint32_t instruments, const ItchMix& mix, SplitMix64& rng) : mix_(mix), rng_(rng) {
    for (uint32_t i = 1; i <= instruments; ++i) {
      Instrument in{};
      set_alpha(in.stock, sizeof in.stock, symbol_for(i));
      in.mid = static_cast<uint32_t>(1'000 + rng_.below(49'000)) * kTick;  // $10.00..$499.99
      instruments_.push_back(in);
    }
  }

  // A new session starts from nothing: the appliance resets its books on it too.
  void reset() {
    orders_.clear();
    live_.clear();
    for (Instrument& in : instruments_) {
      in.state = 'T';
      in.has_last_trade = false;
      in.last_trade_price = 0;
      in.volume = 0;
      in.crossed = false;
    }
  }

  std::deque<proto::ItchMessage> preamble() {
    std::deque<proto::ItchMessage> out;
    out.push_back(system_event('O'));
    const auto n = static_cast<uint32_t>(instruments_.size());
    for (uint32_t l = 1; l <= n; ++l) out.push_back(directory(static_cast<uint16_t>(l)));
    for (uint32_t l = 1; l <= n; ++l) out.push_back(trading_action(static_cast<uint16_t>(l), 'T'));
    out.push_back(system_event('S'));
    out.push_back(system_event('Q'));
    return out;
  }

  std::deque<proto::ItchMessage> closing() {
    return {system_event('M'), system_event('E'), system_event('C')};
  }

  proto::ItchMessage next_flow();

  std::vector<ItchBookTruth> books() const;

 private:
  proto::ItchMessage base(char type, uint16_t locate) {
    proto::ItchMessage m{};
    m.type = static_cast<uint8_t>(type);
    m.locate = locate;
    m.tracking = static_cast<uint16_t>(rng_.below(16));
    return m;
  }
  proto::ItchMessage system_event(char code) {
    proto::ItchMessage m = base('S', 0);
    m.tracking = 0;
    m.event_code = static_cast<uint8_t>(code);
    return m;
  }
  proto::ItchMessage directory(uint16_t locate) {
    proto::ItchMessage m = base('R', locate);
    std::memcpy(m.stock, in(locate).stock, sizeof m.stock);
    m.market_category = 'Q';
    m.financial_status = 'N';
    m.round_lot_size = 100;
    m.round_lots_only = 'N';
    m.issue_classification = 'C';
    set_alpha(m.issue_subtype, sizeof m.issue_subtype, "C");
    m.authenticity = 'P';
    m.short_sale_threshold = 'N';
    m.ipo_flag = 'N';
    m.luld_tier = locate % 4 == 0 ? '1' : '2';
    m.etp_flag = 'N';
    m.etp_leverage_factor = 0;
    m.inverse_indicator = 'N';
    return m;
  }
  proto::ItchMessage trading_action(uint16_t locate, char state) {
    proto::ItchMessage m = base('H', locate);
    std::memcpy(m.stock, in(locate).stock, sizeof m.stock);
    m.trading_state = static_cast<uint8_t>(state);
    m.reserved = ' ';
    set_alpha(m.reason, sizeof m.reason, state == 'T' ? "" : "LUDP");
    in(locate).state = state;
    return m;
  }

  Instrument& in(uint16_t locate) { return instruments_[locate - 1u]; }
  uint16_t random_locate() { return static_cast<uint16_t>(1 + rng_.below(instruments_.size())); }
  uint32_t price_for(uint16_t locate, uint8_t side) {
    const uint32_t away = static_cast<uint32_t>(1 + rng_.below(kMaxTicksAway)) * kTick;
    return side == 'B' ? in(locate).mid - away : in(locate).mid + away;
  }
  uint32_t order_shares() {
    // Mostly round lots, sometimes an odd lot.
    return rng_.below(10) == 0 ? static_cast<uint32_t>(1 + rng_.below(99))
                               : static_cast<uint32_t>(100 * (1 + rng_.below(20)));
  }
  void record_trade(uint16_t locate, uint32_t price, uint64_t shares) {
    Instrument& i = in(locate);
    i.has_last_trade = true;
    i.last_trade_price = price;
    i.volume += shares;
  }
  void insert(uint64_t ref, Order o) {
    o.pos = live_.size();
    live_.push_back(ref);
    orders_.emplace(ref, o);
  }
  void remove(uint64_t ref) {
    const size_t pos = orders_.at(ref).pos;
    live_[pos] = live_.back();
    orders_.at(live_[pos]).pos = pos;
    live_.pop_back();
    orders_.erase(ref);
  }

  ItchMix mix_;
  SplitMix64& rng_;
  std::vector<Instrument> instruments_;
  std::unordered_map<uint64_t, Order> orders_;
  std::vector<uint64_t> live_;  // order refs, for a uniform pick
  uint64_t next_ref_ = 1;       // day-unique: never reused, not even by a new session
  uint64_t next_match_ = 1;
};

proto::ItchMessage Exchange::next_flow() {
  const std::pair<char, uint32_t> weights[] = {
      {'A', mix_.add},    {'F', mix_.add_mpid},      {'E', mix_.execute}, {'C', mix_.execute_price},
      {'X', mix_.cancel}, {'D', mix_.del},           {'U', mix_.replace}, {'P', mix_.trade},
      {'Q', mix_.cross},  {'H', mix_.trading_action}};
  uint64_t total = 0;
  for (const auto& [t, w] : weights) total += w;
  uint64_t pick = rng_.below(total);
  char type = 'A';
  for (const auto& [t, w] : weights) {
    if (pick < w) {
      type = t;
      break;
    }
    pick -= w;
  }
  const bool needs_order = std::strchr("ECXDU", type) != nullptr;
  if (needs_order && live_.empty()) type = 'A';
  // Keep books at a realistic depth: past 100 live orders per instrument, an add becomes a delete.
  if ((type == 'A' || type == 'F') && live_.size() >= 100 * instruments_.size()) type = 'D';
  const uint64_t ref = live_.empty() ? 0 : live_[rng_.below(live_.size())];
  if (type == 'X' && orders_.at(ref).shares == 1) type = 'D';  // a partial cancel needs 2 shares

  switch (type) {
    case 'A':
    case 'F': {
      const uint16_t locate = random_locate();
      proto::ItchMessage m = base(type, locate);
      m.order_ref = next_ref_++;
      m.side = rng_.below(2) == 0 ? 'B' : 'S';
      m.shares = order_shares();
      std::memcpy(m.stock, in(locate).stock, sizeof m.stock);
      m.price = price_for(locate, m.side);
      if (type == 'F') {
        static constexpr const char* kMpids[] = {"GSCO", "MSCO", "UBSS", "JPMS", "CDRG", "VIRT"};
        set_alpha(m.attribution, sizeof m.attribution, kMpids[rng_.below(6)]);
      }
      insert(m.order_ref, Order{locate, m.side, m.price, static_cast<uint32_t>(m.shares), 0});
      return m;
    }
    case 'E':
    case 'C': {
      Order& o = orders_.at(ref);
      proto::ItchMessage m = base(type, o.locate);
      m.order_ref = ref;
      const auto shares = static_cast<uint32_t>(1 + rng_.below(o.shares));
      m.shares = shares;
      m.match_number = next_match_++;
      if (type == 'E') {
        record_trade(o.locate, o.price, shares);
      } else {
        m.printable = rng_.below(10) == 0 ? 'N' : 'Y';
        m.price = o.price;
        if (m.printable == 'Y') record_trade(o.locate, o.price, shares);
      }
      o.shares -= shares;
      if (o.shares == 0) remove(ref);
      return m;
    }
    case 'X': {
      Order& o = orders_.at(ref);
      proto::ItchMessage m = base('X', o.locate);
      m.order_ref = ref;
      const auto shares = static_cast<uint32_t>(1 + rng_.below(o.shares - 1));
      m.shares = shares;
      o.shares -= shares;
      return m;
    }
    case 'D': {
      proto::ItchMessage m = base('D', orders_.at(ref).locate);
      m.order_ref = ref;
      remove(ref);
      return m;
    }
    case 'U': {
      const Order o = orders_.at(ref);
      proto::ItchMessage m = base('U', o.locate);
      m.order_ref = ref;
      m.new_order_ref = next_ref_++;
      m.shares = order_shares();
      m.price = price_for(o.locate, o.side);
      remove(ref);
      insert(m.new_order_ref, Order{o.locate, o.side, m.price, static_cast<uint32_t>(m.shares), 0});
      return m;
    }
    case 'P': {
      // A non-displayed order executed at the mid: the book does not change.
      const uint16_t locate = random_locate();
      proto::ItchMessage m = base('P', locate);
      m.order_ref = 0;
      m.side = 'B';
      m.shares = 100 * (1 + rng_.below(10));
      std::memcpy(m.stock, in(locate).stock, sizeof m.stock);
      m.price = in(locate).mid;
      m.match_number = next_match_++;
      record_trade(locate, m.price, m.shares);
      return m;
    }
    case 'Q': {
      const uint16_t locate = random_locate();
      Instrument& i = in(locate);
      proto::ItchMessage m = base('Q', locate);
      // Sometimes no cross happened (0 shares): it sets no price.
      m.shares = rng_.below(5) == 0 ? 0 : 1'000 * (1 + rng_.below(50));
      std::memcpy(m.stock, i.stock, sizeof m.stock);
      m.price = i.mid;
      m.match_number = next_match_++;
      m.cross_type = i.crossed ? 'C' : 'O';
      i.crossed = true;
      if (m.shares > 0) record_trade(locate, m.price, m.shares);
      return m;
    }
    default: {  // 'H': a LULD pause, or the resumption of one
      const uint16_t locate = random_locate();
      return trading_action(locate, in(locate).state == 'T' ? 'P' : 'T');
    }
  }
}

std::vector<ItchBookTruth> Exchange::books() const {
  // Per instrument and side: price -> aggregated shares.
  std::vector<std::map<uint32_t, uint64_t>> bids(instruments_.size()), asks(instruments_.size());
  std::vector<uint64_t> live(instruments_.size());
  for (const auto& [ref, o] : orders_) {
    auto& side = o.side == 'B' ? bids : asks;
    side[o.locate - 1u][o.price] += o.shares;
    ++live[o.locate - 1u];
  }
  std::vector<ItchBookTruth> out;
  for (size_t i = 0; i < instruments_.size(); ++i) {
    const Instrument& in = instruments_[i];
    ItchBookTruth b;
    b.locate = static_cast<uint16_t>(i + 1);
    b.symbol.assign(in.stock, sizeof in.stock);
    b.symbol.erase(b.symbol.find_last_not_of(' ') + 1);
    if (!bids[i].empty()) {
      b.bid_price = bids[i].rbegin()->first;
      b.bid_shares = bids[i].rbegin()->second;
    }
    if (!asks[i].empty()) {
      b.ask_price = asks[i].begin()->first;
      b.ask_shares = asks[i].begin()->second;
    }
    b.bid_levels = static_cast<uint32_t>(bids[i].size());
    b.ask_levels = static_cast<uint32_t>(asks[i].size());
    b.live_orders = live[i];
    b.has_last_trade = in.has_last_trade;
    b.last_trade_price = in.last_trade_price;
    b.volume = in.volume;
    b.trading_state = in.state;
    out.push_back(std::move(b));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Everything else: addressing, packets, network faults, truth.

MacAddress peer_mac(uint16_t class_id) {
  return {0x02, 0x50, 0x45, 0x45, 0x52, static_cast<uint8_t>(class_id)};
}

uint64_t frame_length(const ItchLineTarget& t, size_t payload) {
  const uint64_t len = 14 + (t.udp.eth.vlan ? 4 : 0) + 20 + 8 + payload;
  return std::max<uint64_t>(len, 60);  // padded like a NIC pads on transmit
}

class Builder {
 public:
  Builder(const conf::Config& cfg, const ItchFeedSpec& spec)
      : script_rng_(spec.seed ^ kScriptStream),
        layout_rng_(spec.seed ^ kLayoutStream),
        fault_rng_(spec.seed ^ kFaultStream) {
    g_.spec = spec;
    resolve(cfg);
  }

  GeneratedItch run() {
    build_script();
    apply_network_faults();
    compute_truth();
    return std::move(g_);
  }

 private:
  [[noreturn]] static void fail(const std::string& what) {
    throw std::invalid_argument("itch: " + what);
  }

  void resolve(const conf::Config& cfg);
  void build_script();
  void start_session();
  void emit_control(uint16_t count);  // heartbeat or end of session in its own slot
  void add_junk(proto::MoldWriter& w, uint64_t seq);
  uint64_t itch_time(uint64_t slot_ns) const;
  void apply_network_faults();
  void compute_truth();

  GeneratedItch g_;
  const conf::FeedConfig* feed_ = nullptr;
  uint64_t window_ns_ = 0;
  SplitMix64 script_rng_;
  SplitMix64 layout_rng_;
  SplitMix64 fault_rng_;
  // Script state.
  std::optional<Exchange> exchange_;
  uint64_t now_ = 0;
  uint32_t session_ = 0;
  uint64_t seq_ = 1;
  uint64_t data_packets_ = 0;
  uint64_t session_data_packets_ = 0;
  std::deque<proto::ItchMessage> pending_;
  uint64_t junk_made_ = 0;
  std::vector<uint64_t> session_sizes_;  // messages published per session
  struct Junk {
    uint32_t session;
    uint64_t sequence;
    proto::ProtoError error;
  };
  std::vector<Junk> junk_;
};

void Builder::resolve(const conf::Config& cfg) {
  ItchFeedSpec& s = g_.spec;
  if (cfg.feeds.empty()) fail("the config has no feed");
  if (s.feed.empty()) s.feed = cfg.feeds.front().name;
  for (const auto& f : cfg.feeds)
    if (f.name == s.feed) feed_ = &f;
  if (!feed_) fail("no feed '" + s.feed + "' in the config");
  if (feed_->lines.size() != 2)
    fail("feed '" + s.feed + "' has " + std::to_string(feed_->lines.size()) +
         " lines; the generator needs exactly two (A and B)");
  if (s.instruments == 0 || s.instruments > 65'535) fail("instruments must be 1..65535");
  if (s.per_packet == 0 || s.per_packet > kMaxPerPacket)
    fail("per_packet must be 1.." + std::to_string(kMaxPerPacket) +
         " (what one 1514-byte frame holds)");
  if (s.pps == 0 || s.pps > kNanosPerSecond) fail("pps must be 1..1e9");
  g_.interval_ns = kNanosPerSecond / s.pps;
  if (!s.b_delay_ns) s.b_delay_ns = g_.interval_ns / 4;
  // B's copy must arrive before A's next packet (a one-line loss is then filled before anything
  // reveals it) and within the arbiter's window (a reorder on A is filled inside it).
  window_ns_ = uint64_t{feed_->integrity.window_us} * 1'000;
  if (*s.b_delay_ns >= g_.interval_ns)
    fail("b_delay_ns " + std::to_string(*s.b_delay_ns) + " must be below the packet interval " +
         std::to_string(g_.interval_ns) + " ns");
  if (*s.b_delay_ns >= window_ns_)
    fail("b_delay_ns must be below the feed's integrity window (" + std::to_string(window_ns_) +
         " ns)");
  if (s.heartbeat_gap_ns == 0) s.heartbeat_gap_ns = g_.interval_ns;
  if (s.heartbeat_gap_ns < g_.interval_ns) fail("heartbeat_gap_ns must be at least the interval");

  const net::ClassTable table = net::build_class_table(cfg);
  for (size_t i = 0; i < 2; ++i) {
    const conf::FeedLineConfig& line = feed_->lines[i];
    ItchLineTarget& t = g_.lines[i];
    t.name = line.name;
    t.port = line.match.port;
    const conf::PortConfig* port = nullptr;
    for (size_t p = 0; p < cfg.ports.size(); ++p) {
      if (cfg.ports[p].name != t.port) continue;
      port = &cfg.ports[p];
      t.port_index = static_cast<uint16_t>(p);
    }
    if (!port) fail("line " + t.name + ": no port '" + t.port + "'");
    t.class_name = s.feed + "." + line.name;
    t.class_id = table.find(t.class_name);
    if (t.class_id >= table.classes.size()) fail("class table lacks " + t.class_name);
    t.udp.ip.dst = line.match.ipv4_dst.value_or(port->ipv4.value_or(kUnknownPortIpv4));
    t.udp.eth.dst = port->mac.value_or(kUnknownPortMac);
    if (net::is_multicast_ipv4(t.udp.ip.dst))
      net::multicast_mac(t.udp.ip.dst, t.udp.eth.dst.data());
    t.udp.eth.src = peer_mac(t.class_id);
    t.udp.eth.vlan = line.match.vlan;
    t.udp.ip.src = kPeerIpv4Base + (t.class_id & 0xff);
    t.udp.src_port = static_cast<uint16_t>(kPeerUdpBase + t.class_id);
    t.udp.dst_port = line.match.udp_dst;
    const uint16_t got =
        expected_class(table, t.port_index, t.udp.eth.vlan, t.udp.ip.dst, t.udp.dst_port);
    if (got != t.class_id)
      fail("frames for " + t.class_name + " would be classified " + table.classes.at(got).name);
  }
  exchange_.emplace(s.instruments, s.mix, script_rng_);
}

uint64_t Builder::itch_time(uint64_t slot_ns) const {
  // One interval before A sends it: see the header (reorder never stamps after capture).
  const uint64_t t = slot_ns >= g_.interval_ns ? slot_ns - g_.interval_ns : 0;
  return t % kNanosPerDay;
}

void Builder::start_session() {
  if (!g_.sessions.empty()) {
    ++session_;
    exchange_->reset();
  }
  // "SY" and 8 digits: distinct per session, reproducible from the seed.
  char name[32];
  std::snprintf(name, sizeof name, "SY%08llu",
                static_cast<unsigned long long>(
                    (g_.spec.seed % 90'000'000 + 10'000'000 + session_) % 100'000'000));
  g_.sessions.push_back(proto::make_mold_session(name));
  session_sizes_.push_back(0);
  seq_ = 1;
  session_data_packets_ = 0;
  pending_ = exchange_->preamble();
}

void Builder::emit_control(uint16_t count) {
  ItchPacket p;
  p.session = session_;
  p.sequence = seq_;
  p.count = count;
  p.slot_ns = now_;
  p.payload.resize(proto::kMoldHeaderLen);
  const auto& s = g_.sessions.back();
  const size_t n =
      count == proto::kMoldHeartbeatCount
          ? proto::build_mold_heartbeat(p.payload.data(), p.payload.size(), s, seq_)
          : proto::build_mold_end_of_session(p.payload.data(), p.payload.size(), s, seq_);
  if (n != proto::kMoldHeaderLen) throw std::logic_error("itch: MoldUDP64 control packet");
  g_.packets.push_back(std::move(p));
  now_ += count == proto::kMoldHeartbeatCount ? g_.spec.heartbeat_gap_ns : g_.interval_ns;
}

void Builder::add_junk(proto::MoldWriter& w, uint64_t seq) {
  // Alternate the two reasons so any count of two or more exercises both.
  const bool short_one = junk_made_++ % 2 == 0;
  std::vector<uint8_t> b;
  proto::ProtoError error;
  if (short_one) {
    static constexpr char kTypes[] = "SRHAFEXDUPQ";
    const auto type = static_cast<uint8_t>(kTypes[fault_rng_.below(sizeof kTypes - 1)]);
    b.resize(1 + fault_rng_.below(proto::itch_length(type) - 1));  // 1..length-1 bytes
    b[0] = type;
    error = proto::ProtoError::itch_short;
  } else {
    static constexpr char kUnknown[] = "GMTZabcz#";
    const auto type = static_cast<uint8_t>(kUnknown[fault_rng_.below(sizeof kUnknown - 1)]);
    b.resize(12 + fault_rng_.below(29));
    b[0] = type;
    error = proto::ProtoError::itch_unknown_type;
  }
  for (size_t i = 1; i < b.size(); ++i) b[i] = static_cast<uint8_t>(fault_rng_.next());
  if (!w.add_message(b)) throw std::logic_error("itch: malformed block does not fit");
  junk_.push_back({session_, seq, error});
  if (g_.spec.keep_messages) {
    ItchScriptMessage sm;
    sm.session = session_;
    sm.sequence = seq;
    sm.error = error;
    g_.messages.push_back(sm);
  }
}

void Builder::build_script() {
  const ItchFeedSpec& s = g_.spec;
  const ItchFaults& f = s.faults;
  const uint64_t n = s.messages;

  // Count forms are placed along the order flow (by flow message index); explicit lists name
  // data packets. Session changes and heartbeats are spread evenly, malformed blocks at random.
  std::vector<uint64_t> change_at;  // flow index thresholds
  if (f.session_change.packets.empty())
    for (uint64_t k = 0; k < f.session_change.count; ++k)
      change_at.push_back(n * (k + 1) / (uint64_t{f.session_change.count} + 1));
  std::vector<uint64_t> heartbeat_at;
  for (uint64_t k = 0; k < s.heartbeats; ++k)
    heartbeat_at.push_back(n * (2 * k + 1) / (2 * uint64_t{s.heartbeats}));
  std::set<uint64_t> junk_at_flow;
  if (f.malformed.packets.empty()) {
    if (f.malformed.count > n) fail("more malformed blocks than order-flow messages");
    while (junk_at_flow.size() < f.malformed.count) junk_at_flow.insert(fault_rng_.below(n));
  }
  std::set<uint64_t> change_packets(f.session_change.packets.begin(),
                                    f.session_change.packets.end());
  std::set<uint64_t> junk_packets(f.malformed.packets.begin(), f.malformed.packets.end());
  if (change_packets.count(0)) fail("session_change cannot be at data packet 0");

  now_ = s.start_time_ns;
  start_session();
  uint64_t flow_done = 0;
  size_t next_change = 0, next_heartbeat = 0;
  bool closing = false;
  std::vector<uint8_t> buf(kMaxUdpPayload);

  for (;;) {
    // Between packets of the order flow: idle periods, then a planned session change.
    if (pending_.empty() && session_data_packets_ > 0) {
      while (next_heartbeat < heartbeat_at.size() && flow_done >= heartbeat_at[next_heartbeat]) {
        emit_control(proto::kMoldHeartbeatCount);
        ++next_heartbeat;
      }
      if (next_change < change_at.size() && flow_done >= change_at[next_change]) {
        ++next_change;
        g_.truth.faults.push_back({"session_change", data_packets_, "", session_ + 1, 1, 1});
        start_session();
      }
    }
    if (change_packets.count(data_packets_) && session_data_packets_ > 0) {
      change_packets.erase(data_packets_);
      g_.truth.faults.push_back({"session_change", data_packets_, "", session_ + 1, 1, 1});
      start_session();
    }
    if (pending_.empty() && flow_done == n) {
      if (closing) break;
      pending_ = exchange_->closing();
      closing = true;
    }

    ItchPacket p;
    p.session = session_;
    p.sequence = seq_;
    p.slot_ns = now_;
    p.data_index = data_packets_;
    proto::MoldWriter w(buf.data(), buf.size(), g_.sessions.back(), seq_);
    const uint64_t k = 1 + layout_rng_.below(s.per_packet);
    // A pinned malformed block goes at a random place in its packet (or last, if the packet
    // ends early because the flow ran out).
    bool pinned = junk_packets.erase(data_packets_) != 0;
    const uint64_t pinned_at = pinned ? fault_rng_.below(k) : k;
    const uint64_t ts = itch_time(now_);
    for (uint64_t j = 0; j < k; ++j) {
      const bool flow_next = pending_.empty() && flow_done < n;
      if ((pinned && j == pinned_at) || (flow_next && junk_at_flow.erase(flow_done) != 0)) {
        pinned = pinned && j != pinned_at;
        g_.truth.faults.push_back({"malformed", data_packets_, "", session_, seq_, seq_});
        add_junk(w, seq_++);
        p.malformed = true;
        continue;
      }
      proto::ItchMessage m;
      if (!pending_.empty()) {
        m = pending_.front();
        pending_.pop_front();
      } else if (flow_done < n) {
        m = exchange_->next_flow();
        ++flow_done;
      } else {
        break;  // the flow ran out: the closing messages wait for the next packet
      }
      m.timestamp_ns = ts;
      const size_t len = proto::itch_length(m.type);
      uint8_t* out = w.add_block(static_cast<uint16_t>(len));
      if (!out || proto::encode_itch(m, out, len) != len)
        throw std::logic_error("itch: message does not fit its packet");
      if (s.keep_messages) {
        ItchScriptMessage sm;
        sm.session = session_;
        sm.sequence = seq_;
        sm.msg = m;
        g_.messages.push_back(sm);
      }
      ++seq_;
    }
    if (pinned) {
      g_.truth.faults.push_back({"malformed", data_packets_, "", session_, seq_, seq_});
      add_junk(w, seq_++);
      p.malformed = true;
    }
    p.count = w.count();
    p.payload.assign(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(w.finish()));
    session_sizes_.back() += p.count;
    g_.packets.push_back(std::move(p));
    ++data_packets_;
    ++session_data_packets_;
    now_ += g_.interval_ns;
  }
  if (next_change < change_at.size())
    fail("not enough order flow for " + std::to_string(change_at.size()) + " session changes");
  if (!change_packets.empty())
    fail("session_change at data packet " + std::to_string(*change_packets.begin()) +
         " is beyond the last data packet (" + std::to_string(data_packets_ - 1) + ")");
  if (!junk_packets.empty())
    fail("malformed at data packet " + std::to_string(*junk_packets.begin()) +
         " is beyond the last data packet (" + std::to_string(data_packets_ - 1) + ")");
  for (uint32_t i = 0; i < s.end_of_session_packets; ++i) emit_control(0xFFFF);
}

void Builder::apply_network_faults() {
  const ItchFaults& f = g_.spec.faults;
  const auto& packets = g_.packets;
  const size_t slots = packets.size();

  // Data packet index -> slot; first and last data packet of each session.
  std::vector<size_t> slot_of;
  std::vector<uint64_t> first_data(g_.sessions.size(), kNotData), last_data(g_.sessions.size());
  for (size_t i = 0; i < slots; ++i) {
    if (!packets[i].data()) continue;
    slot_of.push_back(i);
    const uint64_t d = packets[i].data_index;
    if (first_data[packets[i].session] == kNotData) first_data[packets[i].session] = d;
    last_data[packets[i].session] = d;
  }
  auto eligible = [&](uint64_t d) {
    if (d >= slot_of.size()) return false;
    const ItchPacket& p = packets[slot_of[d]];
    return !p.malformed && d != first_data[p.session] && d != last_data[p.session];
  };
  auto pair_eligible = [&](uint64_t d) {
    return eligible(d) && eligible(d + 1) && slot_of[d + 1] == slot_of[d] + 1 &&
           packets[slot_of[d]].session == packets[slot_of[d + 1]].session;
  };

  // Per slot and line: dropped, duplicated, or carrying its neighbour's packet (reorder).
  struct Fate {
    bool drop[2] = {false, false};
    bool dup[2] = {false, false};
    int swap[2] = {0, 0};
  };
  std::vector<Fate> fate(slots);
  std::vector<bool> blocked(slots + 1, false);  // a fault's slots and their neighbours

  struct Kind {
    const char* name;
    const ItchFault* fault;
  };
  const Kind kinds[] = {{"reorder", &f.reorder},
                        {"loss_both", &f.loss_both},
                        {"loss_a", &f.loss_a},
                        {"loss_b", &f.loss_b},
                        {"duplicate", &f.duplicate}};
  auto apply = [&](const Kind& kind, uint64_t d, uint64_t nth) {
    const bool pair = std::strcmp(kind.name, "reorder") == 0;
    const size_t s0 = slot_of[d];
    const size_t s1 = pair ? s0 + 1 : s0;
    // Duplicates and reorders alternate A, B, A, ... so that any count of two hits both lines.
    const int line = std::strcmp(kind.name, "loss_a") == 0   ? 0
                     : std::strcmp(kind.name, "loss_b") == 0 ? 1
                                                             : static_cast<int>(nth % 2);
    std::string line_name = g_.lines[static_cast<size_t>(line)].name;
    if (std::strcmp(kind.name, "loss_both") == 0) {
      fate[s0].drop[0] = fate[s0].drop[1] = true;
      line_name = "both";
    } else if (std::strcmp(kind.name, "loss_a") == 0 || std::strcmp(kind.name, "loss_b") == 0) {
      fate[s0].drop[line] = true;
    } else if (std::strcmp(kind.name, "duplicate") == 0) {
      fate[s0].dup[line] = true;
    } else {
      fate[s0].swap[line] = 1;
      fate[s1].swap[line] = -1;
    }
    const ItchPacket& p = packets[s0];
    g_.truth.faults.push_back(
        {kind.name, d, line_name, p.session, p.sequence, p.sequence + p.count - 1u});
  };
  auto free_at = [&](uint64_t d, bool pair) {
    const size_t s0 = slot_of[d];
    return !blocked[s0] && (!pair || !blocked[s0 + 1]);
  };
  auto block = [&](uint64_t d, bool pair) {
    const size_t s0 = slot_of[d];
    const size_t s1 = pair ? s0 + 1 : s0;
    for (size_t s = s0 == 0 ? 0 : s0 - 1; s <= s1 + 1 && s < blocked.size(); ++s) blocked[s] = true;
  };

  // Pinned positions first (an error if they break the rules), then counts at random; then
  // each kind is applied in packet order, so a run replayed with the positions its truth
  // reports (pinned) alternates the lines exactly as the original did.
  std::vector<uint64_t> chosen[std::size(kinds)];
  for (size_t k = 0; k < std::size(kinds); ++k) {
    const bool pair = k == 0;
    for (const uint64_t d : kinds[k].fault->packets) {
      if (!(pair ? pair_eligible(d) : eligible(d)) || !free_at(d, pair))
        fail(std::string(kinds[k].name) + " at data packet " + std::to_string(d) +
             ": not allowed there (first/last packet of a session, a malformed packet, " +
             "beyond the end, next to another fault, or no consecutive packet to swap with)");
      block(d, pair);
      chosen[k].push_back(d);
    }
  }
  for (size_t k = 0; k < std::size(kinds); ++k) {
    const bool pair = k == 0;
    if (!kinds[k].fault->packets.empty() || kinds[k].fault->count == 0) continue;
    std::vector<uint64_t> candidates;
    for (uint64_t d = 0; d < slot_of.size(); ++d)
      if (pair ? pair_eligible(d) : eligible(d)) candidates.push_back(d);
    // Fisher-Yates with the fault stream: the same seed places the same faults.
    for (size_t i = candidates.size(); i > 1; --i)
      std::swap(candidates[i - 1], candidates[fault_rng_.below(i)]);
    uint32_t placed = 0;
    for (const uint64_t d : candidates) {
      if (placed == kinds[k].fault->count) break;
      if (!free_at(d, pair)) continue;
      block(d, pair);
      chosen[k].push_back(d);
      ++placed;
    }
    if (placed < kinds[k].fault->count)
      fail("only room for " + std::to_string(placed) + " " + kinds[k].name + " of " +
           std::to_string(kinds[k].fault->count) +
           " (faults need non-adjacent packets inside a session): raise the message count");
  }
  for (size_t k = 0; k < std::size(kinds); ++k) {
    std::sort(chosen[k].begin(), chosen[k].end());
    for (size_t nth = 0; nth < chosen[k].size(); ++nth) apply(kinds[k], chosen[k][nth], nth);
  }

  const uint64_t d = *g_.spec.b_delay_ns;
  for (size_t s = 0; s < slots; ++s) {
    for (uint8_t line = 0; line < 2; ++line) {
      const Fate& ft = fate[s];
      if (ft.drop[line]) continue;
      const uint64_t t = packets[s].slot_ns + (line == 1 ? d : 0);
      const auto packet = static_cast<uint32_t>(static_cast<int64_t>(s) + ft.swap[line]);
      g_.transmissions.push_back(
          {t, line, packet, 0, ft.swap[line] != 0 ? ItchCopy::reordered : ItchCopy::normal});
      if (ft.dup[line])
        g_.transmissions.push_back(
            {t + g_.interval_ns / 2, line, static_cast<uint32_t>(s), 0, ItchCopy::duplicate});
    }
  }
  std::stable_sort(g_.transmissions.begin(), g_.transmissions.end(),
                   [](const ItchTransmission& a, const ItchTransmission& b) {
                     return a.timestamp_ns < b.timestamp_ns;
                   });
  uint16_t ip_id[2] = {0, 0};
  for (ItchTransmission& t : g_.transmissions) t.ip_id = ip_id[t.line]++;
}

void Builder::compute_truth() {
  ItchTruth& tr = g_.truth;
  tr.seed = g_.spec.seed;
  tr.feed = g_.spec.feed;
  tr.interval_ns = g_.interval_ns;
  tr.b_delay_ns = *g_.spec.b_delay_ns;
  for (size_t i = 0; i < 2; ++i) {
    tr.lines[i].name = g_.lines[i].name;
    tr.lines[i].class_name = g_.lines[i].class_name;
    tr.lines[i].port = g_.lines[i].port;
  }
  // Copies of every (session, sequence) delivered; high = one past the highest known sequence.
  std::vector<std::vector<uint8_t>> copies(g_.sessions.size());
  for (size_t s = 0; s < copies.size(); ++s) copies[s].assign(session_sizes_[s] + 1, 0);
  std::vector<uint64_t> high(g_.sessions.size(), 1);
  uint64_t next_seq[2] = {0, 0};
  int64_t current = -1;
  uint64_t total_copies = 0;

  // Walks the capture as the appliance receives it, with only the line-local rules of the
  // arbiter (own next sequence, first copy wins): no windows, no timers.
  for (const ItchTransmission& t : g_.transmissions) {
    const ItchPacket& p = g_.packets[t.packet];
    ItchLineTruth& lt = tr.lines[t.line];
    ++tr.frames;
    const uint64_t bytes = frame_length(g_.lines[t.line], p.payload.size());
    tr.bytes += bytes;
    lt.bytes += bytes;
    ++lt.packets;
    if (static_cast<int64_t>(p.session) != current) {  // the arbiter restarts every line
      current = p.session;
      next_seq[0] = next_seq[1] = 0;
    }
    const uint64_t end = p.sequence + p.blocks();
    if (next_seq[t.line] != 0 && p.sequence > next_seq[t.line]) {
      ++lt.own_gaps;
      lt.own_gap_messages += p.sequence - next_seq[t.line];
    }
    next_seq[t.line] = std::max(next_seq[t.line], end);
    if (!p.data()) {
      ++lt.heartbeats;
      if (p.count == 0xFFFF) {
        ++lt.end_of_session;
        tr.end_of_session = true;
      }
      high[p.session] = std::max(high[p.session], p.sequence);
      continue;
    }
    for (uint64_t seq = p.sequence; seq < end; ++seq) {
      ++lt.messages;
      ++total_copies;
      uint8_t& c = copies[p.session][seq];
      if (c++ == 0) {
        ++lt.applied;
        if (seq < high[p.session]) ++tr.filled_in_window;
      } else {
        ++lt.duplicates;
      }
      high[p.session] = std::max(high[p.session], seq + 1);
    }
  }

  for (size_t s = 0; s < copies.size(); ++s) {
    tr.messages_unique += session_sizes_[s];
    for (uint64_t seq = 1; seq <= session_sizes_[s]; ++seq) {
      if (copies[s][seq] != 0) {
        ++tr.applied;
        continue;
      }
      ++tr.lost;
      if (!tr.lost_ranges.empty() && tr.lost_ranges.back().session == s &&
          tr.lost_ranges.back().last + 1 == seq)
        tr.lost_ranges.back().last = seq;
      else
        tr.lost_ranges.push_back({static_cast<uint32_t>(s), seq, seq});
      if (s + 1 == copies.size()) tr.books_unknown = true;
    }
  }
  tr.duplicates = total_copies - tr.applied;
  tr.gaps_detected = tr.lost_ranges.size();
  tr.sessions = g_.sessions.size();
  for (const auto& s : g_.sessions) tr.session_names.push_back(proto::to_string(s));
  uint64_t errors = 0;
  for (const Junk& j : junk_) {
    if (copies[j.session][j.sequence] == 0) continue;
    ++tr.decode_errors[static_cast<size_t>(j.error)];
    ++errors;
  }
  tr.decoded = tr.applied - errors;
  tr.books = exchange_->books();
  std::sort(tr.faults.begin(), tr.faults.end(),
            [](const ItchAppliedFault& a, const ItchAppliedFault& b) {
              return std::tie(a.packet, a.kind) < std::tie(b.packet, b.kind);
            });
}

}  // namespace

ItchMix parse_itch_mix(std::string_view text) {
  ItchMix m;
  const std::pair<char, uint32_t*> keys[] = {
      {'A', &m.add},    {'F', &m.add_mpid},      {'E', &m.execute}, {'C', &m.execute_price},
      {'X', &m.cancel}, {'D', &m.del},           {'U', &m.replace}, {'P', &m.trade},
      {'Q', &m.cross},  {'H', &m.trading_action}};
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t end = std::min(text.find(',', pos), text.size());
    const std::string_view item = text.substr(pos, end - pos);
    pos = end + 1;
    const size_t eq = item.find('=');
    if (eq != 1)
      throw std::invalid_argument("mix: expected TYPE=WEIGHT, got '" + std::string(item) + "'");
    uint32_t* slot = nullptr;
    for (const auto& [k, p] : keys)
      if (k == item[0]) slot = p;
    if (slot == nullptr)
      throw std::invalid_argument("mix: unknown type '" + std::string(item.substr(0, 1)) +
                                  "' (expected one of A F E C X D U P Q H)");
    const std::string_view num = item.substr(2);
    uint32_t v = 0;
    const auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
    if (ec != std::errc() || ptr != num.data() + num.size() || num.empty())
      throw std::invalid_argument("mix: weight of " + std::string(1, item[0]) +
                                  " must be a non-negative integer, got '" + std::string(num) +
                                  "'");
    *slot = v;
  }
  if (m.add + m.add_mpid == 0)
    throw std::invalid_argument("mix: A or F must have weight: without adds there is no book");
  return m;
}

ItchFaults parse_itch_faults(std::string_view text) {
  ItchFaults f;
  struct Key {
    std::string_view name;
    ItchFault* fault;
  };
  const Key keys[] = {{"loss_a", &f.loss_a},       {"loss_b", &f.loss_b},
                      {"loss_both", &f.loss_both}, {"duplicate", &f.duplicate},
                      {"reorder", &f.reorder},     {"session_change", &f.session_change},
                      {"malformed", &f.malformed}};
  bool seen[std::size(keys)] = {};
  auto number = [](std::string_view item, std::string_view v) {
    uint64_t n = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (v.empty() || ec != std::errc() || end != v.data() + v.size())
      throw std::invalid_argument("faults: '" + std::string(item) +
                                  "' needs a count or @packet:packet...");
    return n;
  };
  if (text.empty()) return f;
  if (text.back() == ',')
    throw std::invalid_argument("faults: '" + std::string(text) + "' ends in ','");
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    const size_t eq = item.find('=');
    const std::string_view key = item.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? "" : item.substr(eq + 1);
    size_t i = 0;
    while (i < std::size(keys) && keys[i].name != key) ++i;
    if (i == std::size(keys))
      throw std::invalid_argument("faults: unknown fault '" + std::string(key) +
                                  "' (loss_a, loss_b, loss_both, duplicate, reorder, "
                                  "session_change, malformed)");
    if (seen[i]) throw std::invalid_argument("faults: '" + std::string(key) + "' given twice");
    seen[i] = true;
    if (!value.empty() && value.front() == '@') {
      std::string_view list = value.substr(1);
      for (;;) {
        const size_t colon = list.find(':');
        keys[i].fault->packets.push_back(number(item, list.substr(0, colon)));  // "" throws
        if (colon == std::string_view::npos) break;
        list = list.substr(colon + 1);
      }
    } else {
      const uint64_t n = number(item, value);
      if (n > UINT32_MAX)
        throw std::invalid_argument("faults: '" + std::string(item) + "' is too many");
      keys[i].fault->count = static_cast<uint32_t>(n);
    }
  }
  return f;
}

Frame GeneratedItch::frame(size_t i) const {
  const ItchTransmission& t = transmissions.at(i);
  UdpSpec udp = lines[t.line].udp;
  udp.ip.id = t.ip_id;
  return build_udp(udp, packets.at(t.packet).payload);
}

GeneratedItch generate_itch(const conf::Config& cfg, const ItchFeedSpec& spec) {
  return Builder(cfg, spec).run();
}

nlohmann::ordered_json ItchTruth::to_json() const {
  nlohmann::ordered_json j;
  j["seed"] = seed;
  j["frames"] = frames;
  j["bytes"] = bytes;
  nlohmann::ordered_json f;
  f["interval_ns"] = interval_ns;
  f["b_delay_ns"] = b_delay_ns;
  auto& lines_json = f["lines"] = nlohmann::ordered_json::object();
  for (const ItchLineTruth& l : lines)
    lines_json[l.name] = {{"class", l.class_name},
                          {"port", l.port},
                          {"packets", l.packets},
                          {"messages", l.messages},
                          {"heartbeats", l.heartbeats},
                          {"end_of_session", l.end_of_session},
                          {"applied", l.applied},
                          {"duplicates", l.duplicates},
                          {"own_gaps", l.own_gaps},
                          {"own_gap_messages", l.own_gap_messages},
                          {"bytes", l.bytes}};
  f["messages_unique"] = messages_unique;
  f["applied"] = applied;
  f["duplicates"] = duplicates;
  f["lost"] = lost;
  auto& ranges = f["lost_ranges"] = nlohmann::ordered_json::array();
  for (const ItchLostRange& r : lost_ranges)
    ranges.push_back({{"session", r.session}, {"first", r.first}, {"last", r.last}});
  f["gaps_detected"] = gaps_detected;
  f["filled_in_window"] = filled_in_window;
  f["sessions"] = sessions;
  f["session_names"] = session_names;
  auto& errors = f["decode_errors"] = nlohmann::ordered_json::object();
  for (size_t i = 0; i < proto::kProtoErrorCount; ++i)
    errors[proto::kProtoErrorNames[i]] = decode_errors[i];
  f["decoded"] = decoded;
  f["end_of_session"] = end_of_session;
  f["books_unknown"] = books_unknown;
  if (!books_unknown) {
    auto& books_json = f["books"] = nlohmann::ordered_json::object();
    for (const ItchBookTruth& b : books) {
      nlohmann::ordered_json bj = {{"locate", b.locate},         {"bid_price", b.bid_price},
                                   {"bid_shares", b.bid_shares}, {"ask_price", b.ask_price},
                                   {"ask_shares", b.ask_shares}, {"bid_levels", b.bid_levels},
                                   {"ask_levels", b.ask_levels}, {"live_orders", b.live_orders}};
      bj["last_trade_price"] =
          b.has_last_trade ? nlohmann::ordered_json(b.last_trade_price) : nlohmann::ordered_json();
      bj["volume"] = b.volume;
      bj["trading_state"] = std::string(1, b.trading_state);
      books_json[b.symbol] = std::move(bj);
    }
  }
  auto& faults_json = f["faults"] = nlohmann::ordered_json::array();
  for (const ItchAppliedFault& x : faults)
    faults_json.push_back({{"kind", x.kind},
                           {"packet", x.packet},
                           {"line", x.line},
                           {"session", x.session},
                           {"first", x.first},
                           {"last", x.last}});
  j["feeds"][feed] = std::move(f);
  return j;
}

std::string itch_truth_path(const std::string& pcap_path) {
  const std::string ext = ".pcap";
  if (pcap_path.size() > ext.size() &&
      pcap_path.compare(pcap_path.size() - ext.size(), ext.size(), ext) == 0)
    return pcap_path.substr(0, pcap_path.size() - ext.size()) + ".truth.json";
  return pcap_path + ".truth.json";
}

void write_itch(const GeneratedItch& g, const std::string& pcap_path) {
  PcapWriter pcap(pcap_path);
  for (size_t i = 0; i < g.transmissions.size(); ++i)
    pcap.write(g.transmissions[i].timestamp_ns, g.frame(i));
  pcap.close();
  const std::string path = itch_truth_path(pcap_path);
  const std::string text = g.truth.to_json().dump(2) + "\n";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error(path + ": cannot create");
  const bool wrote = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !wrote) throw std::runtime_error(path + ": cannot write");
}

}  // namespace sy::traffic
