#include "perf/order_peer.hpp"

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "perf/traffic/cli.hpp"
#include "perf/traffic/frame_builder.hpp"
#include "perf/traffic/pcap_file.hpp"
#include "perf/traffic/venue_sim.hpp"
#include "src/net/wire.hpp"
#include "src/proto/itch50.hpp"
#include "src/proto/moldudp64.hpp"
#include "src/proto/ouch42.hpp"
#include "src/proto/ufo.hpp"

namespace sy::perf {

namespace {

constexpr conf::MacAddress kPeerMac = {0x02, 0x53, 0x59, 0x00, 0x00, 0x09};
constexpr uint32_t kClientIp = 0x0a01001e;  // 10.1.0.30
constexpr uint16_t kClientPort = 50001;
constexpr uint32_t kFeedSrcIp = 0x0a010063;  // 10.1.0.99
constexpr uint32_t kMaxBurst = 32;
constexpr uint32_t kRxBurstsPerStep = 8;

class Link {
 public:
  Link(uint16_t port, rte_mempool* pool) : port_(port), pool_(pool) {}

  bool send(const traffic::Frame& f) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    if (m == nullptr) return false;
    char* dst = rte_pktmbuf_append(m, static_cast<uint16_t>(f.size()));
    if (dst == nullptr) {
      rte_pktmbuf_free(m);
      return false;
    }
    std::memcpy(dst, f.data(), f.size());
    const uint64_t deadline = rte_rdtsc() + rte_get_tsc_hz() / 10;
    while (rte_eth_tx_burst(port_, 0, &m, 1) != 1) {
      if (rte_rdtsc() > deadline) {
        rte_pktmbuf_free(m);
        ++unsent;
        return false;
      }
      rte_pause();
    }
    ++sent;
    return true;
  }

  // One UDP datagram per mbuf, headers written in place; nullptr when the pool is empty.
  rte_mbuf* udp_mbuf(const conf::MacAddress& dst_mac, uint32_t src_ip, uint32_t dst_ip,
                     uint16_t sport, uint16_t dport, const uint8_t* p, size_t n) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    if (m == nullptr) return nullptr;
    char* dst = rte_pktmbuf_append(m, static_cast<uint16_t>(net::kUdp4HeadersLen + n));
    if (dst == nullptr) {
      rte_pktmbuf_free(m);
      return nullptr;
    }
    auto* f = reinterpret_cast<uint8_t*>(dst);
    net::write_udp4_headers(f, dst_mac.data(), kPeerMac.data(), src_ip, dst_ip, sport, dport, n);
    std::memcpy(f + net::kUdp4HeadersLen, p, n);
    return m;
  }

  // Sends `n` mbufs in as few tx bursts as the port takes; what it refuses for 100 ms is freed
  // and counted unsent.
  void send_burst(rte_mbuf** m, uint16_t n) {
    const uint64_t deadline = rte_rdtsc() + rte_get_tsc_hz() / 10;
    uint16_t done = 0;
    while (done < n) {
      done += rte_eth_tx_burst(port_, 0, m + done, static_cast<uint16_t>(n - done));
      if (done < n && rte_rdtsc() > deadline) {
        rte_pktmbuf_free_bulk(m + done, n - done);
        unsent += n - done;
        break;
      }
    }
    sent += done;
  }

  uint64_t sent = 0, unsent = 0;

 private:
  uint16_t port_;
  rte_mempool* pool_;
};

// The benchmark's strategy client (flood_ms): Enter Orders written straight into mbufs, paced at
// `pps` from the first step, handed to the port at most `burst` per tx burst.
class Flood {
 public:
  Flood(const PeerOptions& o, rte_mempool* pool,
        const std::vector<traffic::OrderFlowInstrument>& instruments,
        const conf::MacAddress& dst_mac, uint32_t dst_ip, uint16_t dst_port)
      : total_(o.pps * o.flood_ms / 1000),
        pps_(o.pps),
        window_(o.window),
        burst_(o.burst),
        breach_percent_(o.breach_percent),
        pool_(pool),
        instruments_(instruments),
        dst_mac_(dst_mac),
        dst_ip_(dst_ip),
        dst_port_(dst_port) {
    assert(total_ > 0 && burst_ > 0 && burst_ <= kMaxBurst && !instruments_.empty());
  }

  // Hands the port what is due by `tsc` and, with a window, what keeps at most `window_`
  // orders unanswered (`answered`: Accepted or Rejected so far); true while orders remain.
  bool step(uint16_t port, uint64_t tsc, uint64_t hz, uint64_t answered) {
    if (start_ == 0) start_ = tsc;
    const uint64_t elapsed = tsc - start_;  // split so that pps x ticks cannot overflow
    uint64_t due = std::min(total_, elapsed / hz * pps_ + elapsed % hz * pps_ / hz + 1);
    if (window_ != 0 && due > answered + window_) {
      due = answered + window_;
      if (built_ >= due) ++window_full;
    }
    for (int bursts = 0; bursts < 4; ++bursts) {  // then poll rx again
      if (count_ == 0) {
        head_ = 0;
        while (count_ < burst_ && built_ < due) {
          rte_mbuf* m = build(built_);
          if (m == nullptr) {
            ++pool_empty;
            break;
          }
          mbufs_[count_++] = m;
          ++built_;
        }
        if (count_ == 0) break;
        ++bursts_sent;
      }
      const uint16_t k = rte_eth_tx_burst(port, 0, mbufs_ + head_, static_cast<uint16_t>(count_));
      head_ += k;
      count_ -= k;
      sent += k;
      if (count_ != 0) {
        ++backpressure;  // the ring is full: retry next step, the order stays
        break;
      }
    }
    if (sent == total_ && end_ == 0) end_ = tsc;
    return sent < total_;
  }

  uint64_t total() const { return total_; }
  uint64_t breaches() const { return breaches_; }
  double seconds(uint64_t hz) const {
    return end_ > start_ ? static_cast<double>(end_ - start_) / static_cast<double>(hz) : 0.0;
  }

  uint64_t sent = 0, bursts_sent = 0, backpressure = 0, pool_empty = 0, window_full = 0;

 private:
  rte_mbuf* build(uint64_t i) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool_);
    if (m == nullptr) return nullptr;
    uint8_t* f = rte_pktmbuf_mtod(m, uint8_t*);
    const size_t cap = rte_pktmbuf_tailroom(m) - net::kUdp4HeadersLen;
    proto::UfoUpWriter w(f + net::kUdp4HeadersLen, cap);
    uint8_t* msg = w.add_unsequenced(kEnterLen);
    assert(msg != nullptr);
    // Pairs of buy then sell; every other pair crosses the reference by one cent.
    const traffic::OrderFlowInstrument& in = instruments_[(i / 4) % instruments_.size()];
    const bool buy = (i & 1) == 0, cross = (i & 2) == 0;
    proto::EnterOrder e{};
    e.token = token(i);
    e.side = buy ? 'B' : 'S';
    // Spread evenly: breach when the running share of breaches would fall below the percent.
    const bool breach = (i + 1) * breach_percent_ / 100 > i * breach_percent_ / 100;
    e.shares = breach ? 100'000 : 100;
    breaches_ += breach;
    e.stock = proto::make_stock(in.symbol);
    e.price = buy == cross ? in.reference_price + 100 : in.reference_price - 100;
    e.time_in_force = proto::kOuchTifIoc;
    e.firm = proto::make_firm("");
    e.display = 'Y';
    e.capacity = 'A';
    e.intermarket_sweep = 'N';
    e.cross_type = 'N';
    e.has_customer_type = true;
    e.customer_type = ' ';
    const size_t n = proto::encode(e, msg, kEnterLen);
    assert(n == kEnterLen);
    (void)n;
    net::write_udp4_headers(f, dst_mac_.data(), kPeerMac.data(), kClientIp, dst_ip_, kClientPort,
                            dst_port_, w.size());
    m->data_len = static_cast<uint16_t>(net::kUdp4HeadersLen + w.size());
    m->pkt_len = m->data_len;
    return m;
  }

  static proto::OuchToken token(uint64_t i) {
    proto::OuchToken t;
    t[0] = 'F';
    t[1] = 'L';
    uint64_t v = i + 1;
    for (size_t k = t.size(); k-- > 2; v /= 10) t[k] = static_cast<char>('0' + v % 10);
    return t;
  }

  static constexpr size_t kEnterLen = 49;
  uint64_t total_, pps_, window_;
  uint32_t burst_, breach_percent_;
  rte_mempool* pool_;
  const std::vector<traffic::OrderFlowInstrument>& instruments_;
  conf::MacAddress dst_mac_;
  uint32_t dst_ip_;
  uint16_t dst_port_;
  uint64_t start_ = 0, end_ = 0, built_ = 0, breaches_ = 0;
  rte_mbuf* mbufs_[kMaxBurst] = {};
  uint32_t head_ = 0, count_ = 0;
};

traffic::Frame udp_frame(const conf::MacAddress& dst_mac, uint32_t src_ip, uint32_t dst_ip,
                         uint16_t sport, uint16_t dport, const uint8_t* p, size_t n) {
  traffic::UdpSpec s;
  s.eth.dst = dst_mac;
  s.eth.src = kPeerMac;
  s.ip.src = src_ip;
  s.ip.dst = dst_ip;
  s.src_port = sport;
  s.dst_port = dport;
  return traffic::build_udp(s, std::span<const uint8_t>(p, n));
}

// Market data for the flow's instruments on the first feed.
class Feed {
 public:
  Feed(const conf::FeedConfig& feed, const std::vector<traffic::OrderFlowInstrument>& instruments)
      : feed_(feed), instruments_(instruments) {
    std::memcpy(session_.bytes, "VENUETEST1", proto::kMoldSessionLen);
  }

  void publish(Link& link, uint64_t now_ns) {
    uint8_t pkt[1400];
    proto::MoldWriter w(pkt, sizeof pkt, session_, next_seq_);
    uint64_t ref = 1;
    for (size_t i = 0; i < instruments_.size(); ++i) {
      const auto locate = static_cast<uint16_t>(i + 1);
      proto::ItchMessage r{};
      r.type = 'R';
      r.locate = locate;
      r.timestamp_ns = now_ns % 86'400'000'000'000ull;
      fill_stock(r.stock, instruments_[i].symbol);
      r.market_category = 'Q';
      r.financial_status = 'N';
      r.round_lot_size = 100;
      r.round_lots_only = 'N';
      r.issue_classification = 'C';
      r.issue_subtype[0] = 'Z';
      r.issue_subtype[1] = ' ';
      r.authenticity = 'P';
      r.short_sale_threshold = 'N';
      r.ipo_flag = 'N';
      r.luld_tier = '1';
      r.etp_flag = 'N';
      r.inverse_indicator = 'N';
      add(w, r);
      for (const uint8_t side : {uint8_t{'B'}, uint8_t{'S'}}) {
        proto::ItchMessage a{};
        a.type = 'A';
        a.locate = locate;
        a.timestamp_ns = r.timestamp_ns;
        a.order_ref = ref++;
        a.side = side;
        a.shares = 100;
        fill_stock(a.stock, instruments_[i].symbol);
        a.price = instruments_[i].reference_price + (side == 'B' ? -100 : 100);
        add(w, a);
      }
    }
    send_lines(link, pkt, w.finish());
    next_seq_ += messages_;
  }

  void heartbeat(Link& link) {
    uint8_t pkt[64];
    const size_t n = proto::build_mold_heartbeat(pkt, sizeof pkt, session_, next_seq_);
    send_lines(link, pkt, n);
  }

 private:
  static void fill_stock(char (&stock)[8], const std::string& symbol) {
    std::memset(stock, ' ', sizeof stock);
    std::memcpy(stock, symbol.data(), std::min(symbol.size(), sizeof stock));
  }
  void add(proto::MoldWriter& w, const proto::ItchMessage& m) {
    const auto len = static_cast<uint16_t>(proto::itch_length(m.type));
    uint8_t* p = w.add_block(len);
    if (p == nullptr) throw std::runtime_error("market data does not fit one packet");
    proto::encode_itch(m, p, len);
    ++messages_;
  }
  // The same packet on every line of the feed (A/B arbitration keeps one).
  void send_lines(Link& link, const uint8_t* p, size_t n) {
    for (const conf::FeedLineConfig& line : feed_.lines) {
      const conf::MatchConfig& m = line.match;
      const uint32_t group = m.ipv4_dst.value_or(0);
      conf::MacAddress mac{};
      net::multicast_mac(group, mac.data());
      link.send(udp_frame(mac, kFeedSrcIp, group, 26000, m.udp_dst, p, n));
    }
  }

  const conf::FeedConfig& feed_;
  const std::vector<traffic::OrderFlowInstrument>& instruments_;
  proto::MoldSession session_{};
  uint64_t next_seq_ = 1;
  uint64_t messages_ = 0;
};

// What the strategy client hears back, by OUCH type, and whether its sequence had gaps.
struct ClientSide {
  uint64_t packets = 0, heartbeats = 0, logins_accepted = 0, logins_rejected = 0, gaps = 0;
  uint64_t by_type[256] = {};
  uint32_t next_seq = 1;
  uint64_t executed_shares = 0;

  void on_payload(const uint8_t* p, size_t n) {
    ++packets;
    if (n == 0) return;
    if (p[0] == 'A') ++logins_accepted;
    if (p[0] == 'J') ++logins_rejected;
    if (p[0] != 'S' || n < proto::kUfoSequencedHeaderLen) return;
    const uint32_t seq = net::load_be32(p + 1);
    const uint16_t count = net::load_be16(p + 5);
    if (count == 0) {
      ++heartbeats;
      return;
    }
    if (seq != next_seq) ++gaps;
    next_seq = seq + count;
    size_t at = proto::kUfoSequencedHeaderLen;
    for (uint16_t i = 0; i < count && at + 2 <= n; ++i) {
      const size_t len = net::load_be16(p + at);
      if (at + 2 + len > n || len == 0) break;
      const uint8_t* msg = p + at + 2;
      ++by_type[msg[0]];
      proto::Executed e{};
      proto::OeError err{};
      if (msg[0] == 'E' && proto::decode(msg, len, e, err)) executed_shares += e.executed_shares;
      at += 2 + len;
    }
  }

  uint64_t answers() const {
    // One final answer per Enter: Rejected, or Accepted (then maybe Executed/Canceled).
    return by_type[static_cast<uint8_t>('J')] + by_type[static_cast<uint8_t>('A')];
  }
};

traffic::VenueConfig venue_config(const conf::SessionConfig& venue, const PeerOptions& o,
                                  const traffic::OrderFlowSpec& spec) {
  traffic::VenueConfig vc;
  vc.session.session = proto::make_ufo_session("VENUE00001");
  vc.session.username = proto::make_ufo_username(venue.username);
  vc.session.password = proto::make_ufo_password(venue.password);
  vc.reject_token_prefix = "";
  vc.session.retransmit_capacity = o.venue_retransmit;
  vc.silent_about_lost = o.venue_silent_lost;
  if (o.flood_ms != 0)
    vc.max_orders =
        static_cast<uint32_t>(std::min<uint64_t>(o.pps * o.flood_ms / 1000 + 1024, UINT32_MAX / 4));
  for (const auto& in : spec.instruments)
    vc.instruments.push_back({proto::make_stock(in.symbol), in.reference_price});
  return vc;
}

const conf::SessionConfig& first_session(const conf::Config& cfg, conf::SessionSide side) {
  for (const auto& s : cfg.sessions)
    if (s.side == side) return s;
  throw traffic::cli::UsageError(
      "the config needs a feed, a venue and a client session, and port 0 with ipv4 and mac");
}

}  // namespace

void check(const PeerOptions& o) {
  if (o.pps == 0 || o.pps > 100'000'000)
    throw traffic::cli::UsageError("--pps must be in 1..100000000");
  if (o.flood_ms > 600'000) throw traffic::cli::UsageError("--flood-ms must be at most 600000");
  if (o.stay_ms > 600'000) throw traffic::cli::UsageError("--stay-ms must be at most 600000");
  if (o.burst == 0 || o.burst > kMaxBurst)
    throw traffic::cli::UsageError("--burst must be in 1..32");
  if (o.breach_percent > 100) throw traffic::cli::UsageError("--breach-percent must be 0..100");
  if (o.venue_retransmit == 0 || o.venue_retransmit > (1u << 24))
    throw traffic::cli::UsageError("--venue-retransmit must be in 1..16777216");
  if (o.flood_ms != 0 && o.pps * o.flood_ms / 1000 == 0)
    throw traffic::cli::UsageError("--pps x --flood-ms sends no order");
}

struct OrderPeer::State {
  State(const conf::Config& c, const PeerOptions& opts)
      : cfg(c),
        o(opts),
        venue(first_session(c, conf::SessionSide::venue)),
        client(first_session(c, conf::SessionSide::client)),
        spec(flow_spec(opts, client)),
        flow(traffic::generate_order_flow(spec)),
        sim(venue_config(venue, opts, spec)) {
    if (cfg.feeds.empty() || cfg.ports.empty() || !cfg.ports[0].ipv4 || !cfg.ports[0].mac)
      throw traffic::cli::UsageError(
          "the config needs a feed, a venue and a client session, and port 0 with ipv4 and mac");
    appliance_mac = *cfg.ports[0].mac;
    appliance_ip = *cfg.ports[0].ipv4;
    if (o.flood_ms != 0) flow.datagrams.resize(1);  // the Login; the flood makes the orders
    appliance_venue_ep = {appliance_mac, appliance_ip, venue.match.udp_dst};
  }

  static traffic::OrderFlowSpec flow_spec(const PeerOptions& o, const conf::SessionConfig& c) {
    traffic::OrderFlowSpec s = o.flow;
    s.username = c.username;
    s.password = c.password;
    if (o.flood_ms != 0) s.orders = 1;  // only its Login is sent
    return s;
  }

  // Monotonic ns since start (split: ticks x 1e9 overflows 64 bits within seconds).
  uint64_t ns_now(uint64_t tsc) const {
    const uint64_t d = tsc - start_tsc;
    return d / hz * 1'000'000'000 + d % hz * 1'000'000'000 / hz;
  }

  void send_venue_out(const session::Endpoint& to) {
    rte_mbuf* out[kMaxBurst];
    uint16_t n = 0;
    for (const session::TxDatagram& d : venue_out) {
      rte_mbuf* m = link->udp_mbuf(to.mac, venue.server_ipv4, to.ip, venue.server_udp, to.port,
                                   d.bytes, d.len);
      if (m == nullptr) {
        ++link->unsent;
        continue;
      }
      out[n++] = m;
      if (n == kMaxBurst) {
        link->send_burst(out, n);
        n = 0;
      }
    }
    if (n != 0) link->send_burst(out, n);
    venue_out.clear();
  }

  bool step();
  void on_frame(rte_mbuf* m, uint64_t now, uint64_t tsc);

  const conf::Config& cfg;
  PeerOptions o;
  const conf::SessionConfig& venue;
  const conf::SessionConfig& client;
  traffic::OrderFlowSpec spec;
  traffic::OrderFlow flow;
  traffic::VenueSim sim;
  conf::MacAddress appliance_mac{};
  uint32_t appliance_ip = 0;
  session::Endpoint appliance_venue_ep;

  uint16_t port = 0;
  std::unique_ptr<Link> link;
  std::unique_ptr<traffic::PcapWriter> pcap;
  std::unique_ptr<Feed> feed;
  std::unique_ptr<Flood> flood;
  ClientSide client_side;
  std::vector<session::TxDatagram> venue_out;
  uint64_t hz = 0, start_tsc = 0, deadline = 0;
  uint64_t next_hb = 0, flow_start = 0, last_rx_client = 0, done_at = 0;
  size_t next = 0;
  uint64_t stay_from = 0, resting_after_flow = 0, link_drops = 0, next_reopen = 0, flat_since = 0;
  bool link_was_up = true;
  bool published = false;
  bool flooding = false;  // until the flood has handed the port its last order
};

void OrderPeer::State::on_frame(rte_mbuf* m, uint64_t now, uint64_t tsc) {
  const uint8_t* f = rte_pktmbuf_mtod(m, const uint8_t*);
  const uint32_t len = rte_pktmbuf_data_len(m);
  if (len < net::kUdp4HeadersLen || net::load_be16(f + 12) != net::kEtherTypeIpv4 ||
      f[net::kEtherHeaderLen + 9] != net::kIpProtoUdp)
    return;
  const uint8_t* ip = f + net::kEtherHeaderLen;
  const uint8_t* udp = ip + (ip[0] & 0x0f) * 4;
  const uint16_t dport = net::load_be16(udp + 2);
  const uint32_t dst_ip = net::load_be32(ip + 16);
  const size_t plen = net::load_be16(udp + 4) - net::kUdpHeaderLen;
  const uint8_t* payload = udp + net::kUdpHeaderLen;
  if (dst_ip == venue.server_ipv4 && dport == venue.server_udp) {
    session::Endpoint src;
    std::memcpy(src.mac.data(), f + 6, 6);
    src.ip = net::load_be32(ip + 12);
    src.port = net::load_be16(udp);
    appliance_venue_ep = src;
    sim.on_datagram(now, src, payload, plen, venue_out);
    send_venue_out(src);
  } else if (dst_ip == kClientIp && dport == kClientPort) {
    if (pcap) pcap->write(now, std::span<const uint8_t>(f, len));
    client_side.on_payload(payload, plen);
    last_rx_client = tsc;
  }
}

bool OrderPeer::State::step() {
  const uint64_t tsc = rte_rdtsc();
  const uint64_t now = ns_now(tsc);
  if (tsc >= next_hb) {
    next_hb = tsc + hz / 4;
    if (!published) {
      feed->publish(*link, now);
      published = true;
    } else {
      feed->heartbeat(*link);
    }
    sim.poll(now, venue_out);
    send_venue_out(appliance_venue_ep);
    if (stay_from != 0) {
      // The memif client does not reconnect by itself: re-open the port while it is down.
      rte_eth_link l{};
      rte_eth_link_get_nowait(port, &l);
      if (l.link_status == RTE_ETH_LINK_DOWN) {
        link_drops += link_was_up;
        link_was_up = false;
        if (tsc >= next_reopen) {
          next_reopen = tsc + hz;
          rte_eth_dev_stop(port);
          rte_eth_dev_start(port);
        }
      } else {
        link_was_up = true;
      }
    }
  }
  // The client starts once the appliance is logged in at the venue and has had a moment to
  // apply the market data.
  if (flow_start == 0 && sim.session().logged_in()) flow_start = tsc + hz / 2;
  if (flooding && next == flow.datagrams.size() && client_side.logins_accepted != 0)
    flooding = flood->step(port, tsc, hz, client_side.answers());
  if (flow_start != 0 && tsc >= flow_start) {
    const uint64_t due = (tsc - flow_start) * o.pps / hz + 1;
    while (next < flow.datagrams.size() && next < due) {
      const auto& d = flow.datagrams[next];
      link->send(udp_frame(appliance_mac, kClientIp, appliance_ip, kClientPort,
                           client.match.udp_dst, d.payload.data(), d.payload.size()));
      ++next;
      if (next == 1 && !flood) rte_delay_ms(50);  // the login first
    }
  }
  // Each order comes back as up to three frames (to the venue, then two relays to the client):
  // drain several bursts per pass so the link toward the peer does not fill while it floods.
  uint32_t received = 0;
  for (uint32_t b = 0; b < kRxBurstsPerStep; ++b) {
    rte_mbuf* rx[kMaxBurst];
    const uint16_t n = rte_eth_rx_burst(port, 0, rx, kMaxBurst);
    for (uint16_t k = 0; k < n; ++k) {
      on_frame(rx[k], now, tsc);
      rte_pktmbuf_free(rx[k]);
    }
    received += n;
    if (n < kMaxBurst) break;
  }
  if (next == flow.datagrams.size() && !flooding) {
    if (done_at == 0) done_at = tsc;
    const uint64_t enters = flood ? flood->total() : flow.truth.enters;
    const bool answered = client_side.answers() >= enters;
    const bool quiet = tsc - std::max(last_rx_client, done_at) >= hz * o.linger_ms / 1000;
    const bool finished = (answered && tsc - last_rx_client >= hz / 5) || quiet;
    if (finished && o.stay_ms == 0) return false;
    if (finished && stay_from == 0) {
      stay_from = tsc;
      resting_after_flow = sim.resting_orders();
      std::fprintf(stderr, "switchyard-venue: flow answered, %lu orders resting, staying %lu ms\n",
                   static_cast<unsigned long>(resting_after_flow),
                   static_cast<unsigned long>(o.stay_ms));
    }
    if (stay_from != 0 && tsc - stay_from >= hz * o.stay_ms / 1000) return false;
    if (stay_from != 0 && link_drops != 0 && flat_since == 0 && sim.resting_orders() == 0)
      flat_since = tsc;
    if (flat_since != 0 && tsc - flat_since >= hz) return false;
  }
  if (tsc > deadline) return false;
  if (received == 0 && !flooding) rte_delay_us_sleep(20);
  return true;
}

OrderPeer::OrderPeer(const conf::Config& cfg, const PeerOptions& o)
    : s_((check(o), std::make_unique<State>(cfg, o))) {}

OrderPeer::~OrderPeer() {
  if (s_->pcap) s_->pcap->close();
}

void OrderPeer::start(uint16_t port, rte_mempool* pool) {
  State& s = *s_;
  assert(pool != nullptr && !s.link);
  s.port = port;
  s.link = std::make_unique<Link>(port, pool);
  if (!s.o.client_pcap.empty()) s.pcap = std::make_unique<traffic::PcapWriter>(s.o.client_pcap);
  s.feed = std::make_unique<Feed>(s.cfg.feeds[0], s.spec.instruments);
  if (s.o.flood_ms != 0)
    s.flood = std::make_unique<Flood>(s.o, pool, s.spec.instruments, s.appliance_mac,
                                      s.appliance_ip, s.client.match.udp_dst);
  s.flooding = s.flood != nullptr;
  s.hz = rte_get_tsc_hz();
  s.start_tsc = rte_rdtsc();
  s.deadline = s.start_tsc + s.hz * (60 + s.o.flood_ms / 1000 + s.o.stay_ms / 1000);
}

bool OrderPeer::step() {
  assert(s_->link && "start() first");
  return s_->step();
}

bool OrderPeer::complete() const {
  const State& s = *s_;
  const uint64_t enters = s.flood ? s.flood->total() : s.flow.truth.enters;
  return s.next == s.flow.datagrams.size() && s.link && s.link->unsent == 0 &&
         (!s.flood || s.flood->sent == s.flood->total()) && s.client_side.answers() >= enters;
}

nlohmann::json OrderPeer::report() const {
  const State& s = *s_;
  nlohmann::json out;
  out["truth"] = s.flow.truth.to_json();
  out["sent"] = {{"datagrams", s.next},
                 {"frames", s.link ? s.link->sent : 0},
                 {"unsent", s.link ? s.link->unsent : 0}};
  if (s.flood) {
    const double secs = s.flood->seconds(s.hz);
    out["flood"] = {{"offered_pps", s.o.pps},
                    {"orders", s.flood->total()},
                    {"sent", s.flood->sent},
                    {"breaching", s.flood->breaches()},
                    {"seconds", secs},
                    {"sent_pps", secs > 0 ? static_cast<double>(s.flood->sent) / secs : 0.0},
                    {"bursts", s.flood->bursts_sent},
                    {"backpressure", s.flood->backpressure},
                    {"window", s.o.window},
                    {"window_full", s.flood->window_full},
                    {"pool_empty", s.flood->pool_empty}};
  }
  nlohmann::json by_type;
  for (int t = 0; t < 256; ++t)
    if (s.client_side.by_type[t])
      by_type[std::string(1, static_cast<char>(t))] = s.client_side.by_type[t];
  out["client"] = {{"packets", s.client_side.packets},
                   {"logins_accepted", s.client_side.logins_accepted},
                   {"logins_rejected", s.client_side.logins_rejected},
                   {"gaps", s.client_side.gaps},
                   {"executed_shares", s.client_side.executed_shares},
                   {"by_type", by_type}};
  const traffic::VenueCounts& v = s.sim.counts();
  if (s.o.stay_ms != 0)
    out["stay"] = {
        {"resting_after_flow", s.resting_after_flow},
        {"link_drops", s.link_drops},
        {"venue_logins", s.sim.session().counters()[session::SessionCounter::logins_accepted]},
        {"venue_login_repeats", s.sim.session().counters()[session::SessionCounter::login_repeats]},
        {"venue_retransmitted", s.sim.session().counters()[session::SessionCounter::retransmitted]},
        {"venue_unanswered_requests", v.unanswered_requests}};
  out["venue"] = {{"logged_in", s.sim.session().logged_in()},
                  {"enters", v.enters},
                  {"accepted", v.accepted},
                  {"rejected", v.rejected},
                  {"executed", v.executed},
                  {"executed_shares", v.executed_shares},
                  {"canceled", v.canceled},
                  {"canceled_shares", v.canceled_shares},
                  {"replaced", v.replaced},
                  {"ignored", v.ignored},
                  {"undecodable", v.undecodable},
                  {"resting_orders", s.sim.resting_orders()},
                  {"resting_shares", s.sim.resting_shares()}};
  return out;
}

}  // namespace sy::perf
