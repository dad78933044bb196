#include "perf/traffic/mix.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "src/net/wire.hpp"

namespace sy::traffic {
namespace {

constexpr uint64_t kNanosPerSecond = 1'000'000'000;
constexpr uint32_t kPeerIpv4Base = 0xc6120100;  // 198.18.1.0: RFC 2544 benchmarking space
constexpr uint32_t kForeignIpv4 = 0xc613fffe;   // 198.19.255.254: nobody the appliance is
constexpr uint16_t kPeerUdpBase = 20000;
constexpr uint16_t kFirstOtherUdp = 48000;  // probed upwards for a port no rule takes

enum class Category : uint8_t { lines, sessions, other, malformed, local };

// The fixed fake peer that sends a class's frames.
MacAddress peer_mac(uint16_t class_id) {
  return {0x02, 0x50, 0x45, 0x45, 0x52, static_cast<uint8_t>(class_id)};
}
uint32_t peer_ipv4(uint16_t class_id) { return kPeerIpv4Base + (class_id & 0xff); }

std::string port_list(const conf::Config& cfg) {
  std::string names;
  for (const auto& p : cfg.ports) names += (names.empty() ? "" : ", ") + p.name;
  return names.empty() ? "none" : names;
}

}  // namespace

MixWeights parse_mix(std::string_view text) {
  MixWeights w{0, 0, 0, 0, 0};
  bool seen[5] = {};
  if (text.empty() || text.back() == ',')
    throw std::invalid_argument("mix: '" + std::string(text) +
                                "' is incomplete (expected e.g. lines=70,other=30)");
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    const size_t eq = item.find('=');
    const std::string_view key = item.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? "" : item.substr(eq + 1);
    static constexpr std::string_view kKeys[5] = {"lines", "sessions", "other", "malformed",
                                                  "local"};
    uint32_t* fields[5] = {&w.lines, &w.sessions, &w.other, &w.malformed, &w.local};
    const auto* k = std::find(std::begin(kKeys), std::end(kKeys), key);
    if (k == std::end(kKeys))
      throw std::invalid_argument("mix: unknown category '" + std::string(key) +
                                  "' (lines, sessions, other, malformed, local)");
    const auto i = static_cast<size_t>(k - std::begin(kKeys));
    if (seen[i]) throw std::invalid_argument("mix: '" + std::string(key) + "' given twice");
    seen[i] = true;
    uint32_t n = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size())
      throw std::invalid_argument("mix: '" + std::string(item) +
                                  "' needs a non-negative integer weight");
    *fields[i] = n;
  }
  return w;
}

void GroundTruth::add(uint16_t class_id, std::optional<DropReason> drop, uint64_t length) {
  ++frames;
  bytes += length;
  Counts& c = classes.at(class_id).second;
  ++c.frames;
  c.bytes += length;
  if (drop) ++drops[static_cast<size_t>(*drop)];
}

nlohmann::ordered_json GroundTruth::to_json() const {
  nlohmann::ordered_json j;
  j["seed"] = seed;
  j["port"] = port;
  j["frames"] = frames;
  j["bytes"] = bytes;
  auto& classes_json = j["classes"] = nlohmann::ordered_json::object();
  for (const auto& [name, c] : classes)
    classes_json[name] = {{"frames", c.frames}, {"bytes", c.bytes}};
  // Only what the classifier decides about a received frame; capacity loss and tx-side reasons
  // are not properties of the traffic.
  auto& drops_json = j["drops"] = nlohmann::ordered_json::object();
  for (const DropReason r : {DropReason::runt, DropReason::ipv4_bad_header,
                             DropReason::ipv4_bad_checksum, DropReason::ipv4_fragment,
                             DropReason::udp_truncated, DropReason::unclassified})
    drops_json[to_string(r)] = drops[static_cast<size_t>(r)];
  return j;
}

uint16_t expected_class(const net::ClassTable& table, uint16_t port_index,
                        std::optional<uint16_t> vlan, uint32_t ipv4_dst, uint16_t udp_dst) {
  for (const net::MatchRule& r : table.rules) {
    if (r.port_index != port_index || r.udp_dst != udp_dst) continue;
    if (r.ipv4_dst != 0 && r.ipv4_dst != ipv4_dst) continue;
    if (r.vlan != net::kAnyVlan && (!vlan || *vlan != r.vlan)) continue;
    return r.class_id;
  }
  return net::kClassOther;
}

MixGenerator::MixGenerator(const conf::Config& cfg, const MixSpec& spec)
    : spec_(spec), table_(net::build_class_table(cfg)), rng_(spec.seed) {
  if (cfg.ports.empty()) throw std::invalid_argument("mix: the config has no port");
  if (spec_.port.empty()) spec_.port = cfg.ports.front().name;
  const conf::PortConfig* port = nullptr;
  for (size_t i = 0; i < cfg.ports.size(); ++i) {
    if (cfg.ports[i].name != spec_.port) continue;
    port = &cfg.ports[i];
    port_index_ = static_cast<uint16_t>(i);
  }
  if (!port)
    throw std::invalid_argument("mix: no port '" + spec_.port + "' (ports: " + port_list(cfg) +
                                ")");
  if (spec_.rate_pps == 0) throw std::invalid_argument("mix: rate must be at least 1 frame/s");
  if (spec_.payload_min > spec_.payload_max || spec_.payload_max > kMaxUdpPayload)
    throw std::invalid_argument("mix: payload sizes need min <= max <= " +
                                std::to_string(kMaxUdpPayload));
  port_mac_ = port->mac.value_or(kUnknownPortMac);
  has_ipv4_ = port->ipv4.has_value();
  port_ipv4_ = port->ipv4.value_or(kUnknownPortIpv4);
  igmp_ = port->igmp;
  other_is_drop_ = !cfg.classify.capture_unclassified;

  for (const auto& feed : cfg.feeds) {
    for (const auto& line : feed.lines)
      if (line.match.port == spec_.port)
        lines_.push_back(make_target(feed.name + "." + line.name, line.match, 0, 0));
    if (feed.retransmit && feed.retransmit->reply.port == spec_.port)
      lines_.push_back(make_target(feed.name + ".retransmit", feed.retransmit->reply,
                                   feed.retransmit->server_ipv4, feed.retransmit->server_udp));
  }
  for (const auto& session : cfg.sessions)
    if (session.match.port == spec_.port)
      sessions_.push_back(make_target(session.name, session.match, 0, 0));

  // Unconfigured traffic goes to the port's own address, on the first UDP port no rule takes.
  other_udp_.class_id = net::kClassOther;
  other_udp_.udp.eth = {port_mac_, peer_mac(net::kClassOther), std::nullopt, 0};
  other_udp_.udp.ip.src = peer_ipv4(net::kClassOther);
  other_udp_.udp.ip.dst = port_ipv4_;
  other_udp_.udp.src_port = kPeerUdpBase;
  other_udp_.udp.dst_port = kFirstOtherUdp;
  while (expected_class(table_, port_index_, std::nullopt, port_ipv4_, other_udp_.udp.dst_port) !=
         net::kClassOther)
    ++other_udp_.udp.dst_port;  // a port has at most 256 classes: this ends well before 65535

  const auto& w = spec_.weights;
  auto require = [&](uint32_t weight, bool possible, const char* what, const char* missing) {
    if (weight > 0 && !possible)
      throw std::invalid_argument(std::string("mix: ") + what + "=" + std::to_string(weight) +
                                  " but port " + spec_.port + " has " + missing + " (set " + what +
                                  "=0)");
  };
  require(w.lines, !lines_.empty(), "lines", "no feed line or retransmit class");
  require(w.sessions, !sessions_.empty(), "sessions", "no session class");
  require(w.local, has_ipv4_ || igmp_, "local", "neither an ipv4 address nor igmp");
  if (uint64_t{w.lines} + w.sessions + w.other + w.malformed + w.local == 0)
    throw std::invalid_argument("mix: every weight is 0");

  for (const DropReason r :
       {DropReason::runt, DropReason::ipv4_bad_header, DropReason::ipv4_bad_checksum,
        DropReason::ipv4_fragment, DropReason::udp_truncated}) {
    defects_.emplace_back();
    for (const Defect d : kAllDefects)
      if (drop_reason(d) == r && in_wire_mix(d)) defects_.back().push_back(d);
  }

  truth_.seed = spec_.seed;
  truth_.port = spec_.port;
  for (const auto& c : table_.classes) truth_.classes.push_back({c.name, Counts{}});
}

MacAddress MixGenerator::mac_for(uint32_t ipv4_dst) const {
  MacAddress mac = port_mac_;
  if (net::is_multicast_ipv4(ipv4_dst)) net::multicast_mac(ipv4_dst, mac.data());
  if (ipv4_dst == 0xffffffff) mac = kBroadcastMac;
  return mac;
}

MixGenerator::Target MixGenerator::make_target(const std::string& class_name,
                                               const conf::MatchConfig& match, uint32_t src_ip,
                                               uint16_t src_port) const {
  Target t;
  t.class_id = table_.find(class_name);
  if (t.class_id >= table_.classes.size())
    throw std::logic_error("mix: class table lacks " + class_name);
  t.udp.ip.dst = match.ipv4_dst.value_or(port_ipv4_);
  t.udp.eth.dst = mac_for(t.udp.ip.dst);
  t.udp.eth.src = peer_mac(t.class_id);
  t.udp.eth.vlan = match.vlan;
  t.udp.ip.src = src_ip != 0 ? src_ip : peer_ipv4(t.class_id);
  t.udp.src_port = src_port != 0 ? src_port : static_cast<uint16_t>(kPeerUdpBase + t.class_id);
  t.udp.dst_port = match.udp_dst;
  // A class whose frames a more specific rule takes first cannot be generated truthfully.
  const uint16_t got =
      expected_class(table_, port_index_, t.udp.eth.vlan, t.udp.ip.dst, t.udp.dst_port);
  if (got != t.class_id)
    throw std::invalid_argument("mix: frames for class " + class_name + " would be classified " +
                                table_.classes.at(got).name);
  return t;
}

uint64_t MixGenerator::timestamp(uint64_t index) const {
  // Split so that index * 1e9 cannot overflow.
  const uint64_t rate = spec_.rate_pps;
  return spec_.start_time_ns + index / rate * kNanosPerSecond +
         index % rate * kNanosPerSecond / rate;
}

void MixGenerator::draw_payload() {
  const uint64_t span = uint64_t{spec_.payload_max} - spec_.payload_min + 1;
  payload_.resize(spec_.payload_min + rng_.below(span));
  for (size_t i = 0; i < payload_.size(); i += 8) {
    const uint64_t bits = rng_.next();
    for (size_t b = 0; b < 8 && i + b < payload_.size(); ++b)
      payload_[i + b] = static_cast<uint8_t>(bits >> (8 * b));
  }
}

UdpSpec MixGenerator::with_ip_id(UdpSpec udp) {
  udp.ip.id = ip_id_++;
  return udp;
}

void MixGenerator::make_other(GeneratedFrame& out) {
  out.class_id = net::kClassOther;
  if (other_is_drop_) out.drop = DropReason::unclassified;
  // Mostly UDP, as on a real segment, with some ARP and ICMP in between.
  switch (turn_other_++ % 4) {
    case 0:
    case 2:
      out.data = build_udp(with_ip_id(other_udp_.udp), payload_);
      return;
    case 1: {
      ArpSpec arp;
      arp.eth = {kBroadcastMac, peer_mac(net::kClassOther), std::nullopt, 0};
      arp.op = ArpOp::request;
      arp.sender_mac = arp.eth.src;
      arp.sender_ip = peer_ipv4(net::kClassOther);
      // Someone else's address: only ARP for the port's own address is local.
      arp.target_ip = kForeignIpv4 != port_ipv4_ ? kForeignIpv4 : kForeignIpv4 - 1;
      out.data = build_arp(arp);
      return;
    }
    default: {
      const UdpSpec udp = with_ip_id(other_udp_.udp);
      out.data =
          build_icmp_echo(udp.eth, udp.ip, 1, static_cast<uint16_t>(turn_other_ / 4), payload_);
      return;
    }
  }
}

void MixGenerator::make_malformed(GeneratedFrame& out) {
  // Reasons take turns, then the variants of each reason.
  const uint64_t turn = turn_malformed_++;
  const auto& variants = defects_[turn % defects_.size()];
  const Defect d = variants[turn / defects_.size() % variants.size()];
  // Broken copies of feed traffic when there is some: the classifier must not take them.
  const UdpSpec& base = lines_.empty() ? other_udp_.udp : lines_[turn % lines_.size()].udp;
  out.data = build_defective(d, with_ip_id(base), payload_);
  out.class_id = net::kClassMalformed;
  out.drop = drop_reason(d);
  out.defect = d;
}

void MixGenerator::make_local(GeneratedFrame& out) {
  out.class_id = net::kClassLocal;
  const uint64_t kinds = (has_ipv4_ ? 2 : 0) + (igmp_ ? 1 : 0);
  uint64_t kind = turn_local_++ % kinds;
  if (!has_ipv4_) kind = 2;
  const MacAddress peer = peer_mac(net::kClassLocal);
  if (kind == 2) {  // the classifier takes any IGMP on a port with igmp enabled
    IgmpSpec q;
    q.src_mac = peer;
    q.src_ip = peer_ipv4(net::kClassLocal);
    out.data = build_igmp_query(q);
    return;
  }
  ArpSpec arp;
  arp.sender_mac = peer;
  arp.sender_ip = peer_ipv4(net::kClassLocal);
  arp.target_ip = port_ipv4_;
  if (kind == 0) {  // who has our address
    arp.eth = {kBroadcastMac, peer, std::nullopt, 0};
    arp.op = ArpOp::request;
  } else {  // the answer to our own request (e.g. for the next hop)
    arp.eth = {port_mac_, peer, std::nullopt, 0};
    arp.op = ArpOp::reply;
    arp.target_mac = port_mac_;
  }
  out.data = build_arp(arp);
}

bool MixGenerator::next(GeneratedFrame& out) {
  if (produced_ == spec_.frames) return false;
  out = GeneratedFrame{};
  out.timestamp_ns = timestamp(produced_);

  const auto& w = spec_.weights;
  const uint64_t total = uint64_t{w.lines} + w.sessions + w.other + w.malformed + w.local;
  uint64_t pick = rng_.below(total);
  const std::pair<Category, uint32_t> shares[] = {{Category::lines, w.lines},
                                                  {Category::sessions, w.sessions},
                                                  {Category::other, w.other},
                                                  {Category::malformed, w.malformed}};
  Category category = Category::local;  // what remains of `pick` after the others
  for (const auto& [c, weight] : shares) {
    if (pick < weight) {
      category = c;
      break;
    }
    pick -= weight;
  }
  draw_payload();

  switch (category) {
    case Category::lines:
    case Category::sessions: {
      const auto& targets = category == Category::lines ? lines_ : sessions_;
      uint64_t& turn = category == Category::lines ? turn_lines_ : turn_sessions_;
      const Target& t = targets[turn++ % targets.size()];
      out.class_id = t.class_id;
      out.data = build_udp(with_ip_id(t.udp), payload_);
      break;
    }
    case Category::other:
      make_other(out);
      break;
    case Category::malformed:
      make_malformed(out);
      break;
    case Category::local:
      make_local(out);
      break;
  }
  truth_.add(out.class_id, out.drop, out.data.size());
  ++produced_;
  return true;
}

GeneratedTraffic generate_mix(const conf::Config& cfg, const MixSpec& spec) {
  MixGenerator gen(cfg, spec);
  GeneratedTraffic traffic;
  traffic.frames.reserve(spec.frames);
  GeneratedFrame f;
  while (gen.next(f)) traffic.frames.push_back(std::move(f));
  traffic.truth = gen.truth();
  return traffic;
}

}  // namespace sy::traffic
