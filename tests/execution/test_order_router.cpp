// The execution path's routing logic end to end without DPDK: real UFO sessions on both sides,
// the real gate with a policy from YAML, and a sink that keeps every datagram it is given.
#include "lcore/execution/order_router.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "perf/traffic/venue_sim.hpp"
#include "src/risk/policy.hpp"
#include "src/risk/policy_exchange.hpp"

namespace sy::exec {
namespace {

constexpr uint64_t kSec = 1'000'000'000;

const char* kPolicy =
    "reference: { max_age_ms: 1000, source: mid_or_last }\n"
    "accounts:\n"
    "  - name: DESK1\n"
    "    id: 0\n"
    "    sessions: [client0]\n"
    "    max_shares_per_order: 1000\n"
    "    max_order_notional_usd: 1000000\n"
    "    price_collar_bps: 500\n"
    "    max_open_orders: 10\n"
    "    order_rate_per_s: 1000\n"
    "    order_burst: 100\n"
    "    instruments: [ { symbol: AAPL } ]\n";

class FixedMarket final : public MarketDirectory {
 public:
  uint64_t now_ns = 0;
  bool healthy = true;
  void sample(uint16_t locate, risk::MarketSample& out) const override {
    out.feed = healthy ? risk::FeedHealth::healthy : risk::FeedHealth::unknown;
    out.read_ok = locate == 1;
    out.value = book::RefValue{};
    out.value.bid_price = 1'000'000;  // $100.00
    out.value.ask_price = 1'000'200;
    out.value.flags = 0;
    out.value.rx_ns = now_ns;
  }
  uint16_t locate_of(uint64_t symbol) const override {
    return symbol == risk::symbol_word("AAPL") ? 1 : 0;
  }
};

struct Sent {
  Target target;
  std::vector<uint8_t> bytes;
  Stamp stamp;
  bool in_place = false;
};

struct CollectingSink {
  std::vector<Sent> sent;
  std::vector<risk::GateResultRecord> results;
  uint8_t buf[2048];
  Target open_target{};

  uint8_t* open(const Target& t, size_t cap) {
    EXPECT_LE(cap, sizeof buf);
    open_target = t;
    return buf;
  }
  void close(size_t len, const Stamp& s) {
    if (len) sent.push_back({open_target, std::vector<uint8_t>(buf, buf + len), s, false});
  }
  bool forward_in_place(uint8_t* payload, size_t len, const Stamp& s) {
    sent.push_back({Target{Target::Kind::venue, 0, {}},
                    std::vector<uint8_t>(payload, payload + len), s, true});
    return true;
  }
  void gate_result(const risk::GateResultRecord& r) { results.push_back(r); }
};

const session::Endpoint kClientEp{{2, 0, 0, 0, 0, 1}, 0x0a000001, 50000};
const session::Endpoint kVenueEp{{2, 0, 0, 0, 0, 9}, 0x0a000009, 40100};

std::vector<uint8_t> upstream_unsequenced(const uint8_t* msg, size_t n) {
  std::vector<uint8_t> p(3 + n);
  p[0] = static_cast<uint8_t>((n + 1) >> 8);
  p[1] = static_cast<uint8_t>(n + 1);
  p[2] = 'U';
  std::memcpy(p.data() + 3, msg, n);
  return p;
}

template <typename M>
std::vector<uint8_t> ouch(const M& m) {
  uint8_t b[proto::kOuchMaxLen];
  const size_t n = proto::encode(m, b, sizeof b);
  return std::vector<uint8_t>(b, b + n);
}

// The OUCH messages of a downstream S packet.
std::vector<std::vector<uint8_t>> sequenced_messages(const std::vector<uint8_t>& p) {
  std::vector<std::vector<uint8_t>> out;
  if (p.empty() || p[0] != 'S') return out;
  const size_t count = size_t{p[5]} << 8 | p[6];
  size_t at = 7;
  for (size_t i = 0; i < count; ++i) {
    const size_t len = size_t{p[at]} << 8 | p[at + 1];
    out.emplace_back(p.begin() + static_cast<long>(at + 2),
                     p.begin() + static_cast<long>(at + 2 + len));
    at += 2 + len;
  }
  return out;
}

// A buy of AAPL on the client's session, every field valid.
proto::EnterOrder enter(const char* token, uint32_t shares, uint32_t price) {
  proto::EnterOrder e{};
  e.token = proto::make_token(token);
  e.side = 'B';
  e.shares = shares;
  e.stock = proto::make_stock("AAPL");
  e.price = price;
  e.time_in_force = 99999;
  e.firm = proto::make_firm("");
  e.display = 'Y';
  e.capacity = 'A';
  e.intermarket_sweep = 'N';
  e.cross_type = 'N';
  e.customer_type = 'R';
  e.has_customer_type = true;
  return e;
}

// The OUCH message in a datagram the router sent toward the venue (after UFO's 'U' block header).
template <typename Message>
bool decode_sent(const std::vector<uint8_t>& datagram, Message& m) {
  proto::OeError err{};
  return proto::decode(datagram.data() + 3, datagram.size() - 3, m, err);
}

// The venue's Accepted of an Enter Order it received, resting ('L') as entered.
proto::Accepted accepted_of(const proto::EnterOrder& e) {
  proto::Accepted a{};
  a.token = e.token;
  a.side = e.side;
  a.shares = e.shares;
  a.stock = e.stock;
  a.price = e.price;
  a.order_state = 'L';
  a.firm = e.firm;
  return a;
}

// One client session (account 0) and the venue session.
RouterConfig router_config() {
  RouterConfig c;
  ClientSessionSpec s;
  s.name = "client0";
  s.ufo.session = proto::make_ufo_session("S1");
  s.ufo.username = proto::make_ufo_username("strat1");
  s.ufo.password = proto::make_ufo_password("pw1");
  s.ufo.retransmit_capacity = 1024;
  s.account = 0;
  c.clients.push_back(s);
  c.venue.username = proto::make_ufo_username("sy01");
  c.venue.password = proto::make_ufo_password("vpw");
  c.venue.server = kVenueEp;
  c.venue.server.mac = {};
  c.gate.capacity = {1u << 10, 1u << 8};
  c.gate.read_tsc = [] { return uint64_t{0}; };
  return c;
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest()
      : policies_(risk::load_policy_from_string(kPolicy, "p.yaml")),
        router_(router_config(), policies_) {}

  // Venue logged in, client logged in, nothing left in the sink.
  void bring_up() {
    router_.connect(now_, sink_);
    ASSERT_EQ(sink_.sent.size(), 1u);
    EXPECT_EQ(sink_.sent[0].target.kind, Target::Kind::venue);
    uint8_t acc[32];
    const size_t n =
        proto::build_ufo_login_accept(acc, sizeof acc, proto::make_ufo_session("V1"), 1);
    router_.on_venue(now_, kVenueEp, acc, n, 0, sink_);
    ASSERT_EQ(router_.venue().state(), session::ClientState::active);
    uint8_t login[64];
    proto::UfoUpWriter w(login, sizeof login);
    ASSERT_TRUE(w.add_login({proto::make_ufo_username("strat1"), proto::make_ufo_password("pw1"),
                             proto::make_ufo_session("")}));
    router_.on_client(now_, 0, kClientEp, login, w.size(), 0, market_, sink_);
    ASSERT_TRUE(router_.client(0).logged_in());
    sink_.sent.clear();
  }

  void client_sends(std::vector<uint8_t> ouch_msg, uint64_t rx_tsc = 7) {
    auto p = upstream_unsequenced(ouch_msg.data(), ouch_msg.size());
    router_.on_client(now_, 0, kClientEp, p.data(), p.size(), rx_tsc, market_, sink_);
  }

  void venue_sends(const std::vector<std::vector<uint8_t>>& msgs) {
    uint8_t pkt[proto::kUfoMaxPacket];
    proto::UfoSequencedWriter w(pkt, sizeof pkt, venue_seq_);
    for (const auto& m : msgs) ASSERT_TRUE(w.add(m));
    venue_seq_ += static_cast<uint32_t>(msgs.size());
    router_.on_venue(now_, kVenueEp, pkt, w.size(), 9, sink_);
  }

  uint64_t now_ = 100 * kSec;
  risk::PolicyExchange policies_;
  OrderRouter router_;
  FixedMarket market_;
  CollectingSink sink_;
  uint32_t venue_seq_ = 1;
};

TEST(VenueToken, RoundTripsEverySlotAndAccountAndTellsRunsApart) {
  for (uint64_t epoch :
       {uint64_t{0}, uint64_t{1}, uint64_t{1'795'000'000}, kVenueTokenEpochs - 1}) {
    for (uint32_t slot : {0u, 1u, 35u, 36u, 123456u, (1u << kVenueTokenSlotBits) - 1}) {
      for (unsigned a : {0u, 1u, 37u, kMaxAccounts - 1}) {
        const auto account = static_cast<uint8_t>(a);
        char t[risk::kTokenBytes];
        venue_token(epoch, {slot, account}, t);
        VenueTokenId back;
        ASSERT_EQ(venue_token_owner(t, epoch, back), TokenOwner::this_run) << epoch << " " << slot;
        EXPECT_EQ(back.slot, slot);
        EXPECT_EQ(back.account, account);
        back = {};
        EXPECT_EQ(venue_token_owner(t, epoch + 1, back), TokenOwner::earlier_run);
        EXPECT_EQ(back.account, account) << "an earlier run's executions are booked by account";
        // The epoch is taken modulo 36^6 on both sides.
        EXPECT_EQ(venue_token_owner(t, epoch + kVenueTokenEpochs, back), TokenOwner::this_run);
      }
    }
  }
  char a[risk::kTokenBytes], b[risk::kTokenBytes];
  venue_token(7, {5, 0}, a);
  venue_token(8, {5, 0}, b);
  EXPECT_NE(std::memcmp(a, b, risk::kTokenBytes), 0);  // a restart never reuses a token
  VenueTokenId s;
  EXPECT_EQ(venue_token_owner("AB000000000000", 0, s), TokenOwner::not_ours);
  EXPECT_EQ(venue_token_owner("SY00000000000a", 0, s), TokenOwner::not_ours);
  EXPECT_EQ(venue_token_owner("SY000000ZZZZZZ", 0, s), TokenOwner::not_ours);  // account 64+
}

TEST_F(RouterTest, AcceptedOrderGoesToTheVenueInPlaceUnderAVenueToken) {
  market_.now_ns = now_;
  bring_up();
  client_sends(ouch(enter("ORD1", 100, 1'000'100)));
  ASSERT_EQ(sink_.results.size(), 1u);
  EXPECT_EQ(sink_.results[0].decision, static_cast<uint8_t>(risk::Decision::pass));
  ASSERT_EQ(sink_.sent.size(), 1u);
  const Sent& s = sink_.sent[0];
  EXPECT_TRUE(s.in_place);
  EXPECT_EQ(s.stamp.stage, Stamp::Stage::order);
  EXPECT_EQ(s.stamp.in_tsc, 7u);
  proto::EnterOrder fwd{};
  proto::OeError err{};
  ASSERT_TRUE(decode_sent(s.bytes, fwd));
  VenueTokenId id;
  ASSERT_EQ(venue_token_owner(fwd.token.data(), router_.token_epoch(), id), TokenOwner::this_run);
  const uint32_t slot = id.slot;
  const proto::EnterOrder sent = enter("ORD1", 100, 1'000'100);
  EXPECT_EQ(fwd.shares, sent.shares);
  EXPECT_EQ(fwd.price, sent.price);
  EXPECT_EQ(router_.counter(RouterCounter::forwarded_in_place), 1u);

  // The venue accepts and executes 40: the client hears both under its own token, sequenced.
  const proto::Accepted a = accepted_of(fwd);
  proto::Executed x{};
  x.token = fwd.token;
  x.executed_shares = 40;
  x.execution_price = 1'000'050;
  x.liquidity_flag = 'A';
  sink_.sent.clear();
  venue_sends({ouch(a), ouch(x)});
  ASSERT_EQ(sink_.sent.size(), 2u);
  for (const Sent& r : sink_.sent) {
    EXPECT_EQ(r.target.kind, Target::Kind::client);
    EXPECT_EQ(r.target.dst, kClientEp);
    EXPECT_EQ(r.stamp.stage, Stamp::Stage::relay);
  }
  auto m1 = sequenced_messages(sink_.sent[0].bytes);
  auto m2 = sequenced_messages(sink_.sent[1].bytes);
  ASSERT_EQ(m1.size(), 1u);
  ASSERT_EQ(m2.size(), 1u);
  proto::Accepted got_a{};
  proto::Executed got_x{};
  ASSERT_TRUE(proto::decode(m1[0].data(), m1[0].size(), got_a, err));
  ASSERT_TRUE(proto::decode(m2[0].data(), m2[0].size(), got_x, err));
  EXPECT_EQ(got_a.token, proto::make_token("ORD1"));
  EXPECT_EQ(got_x.token, proto::make_token("ORD1"));
  EXPECT_EQ(got_x.executed_shares, 40u);
  EXPECT_EQ(router_.counter(RouterCounter::relayed), 2u);
  const risk::Ledger& ledger = router_.gate().ledger();
  const uint32_t pos = ledger.find_position(0, risk::symbol_word("AAPL"));
  ASSERT_NE(pos, risk::kNoSlot);
  EXPECT_EQ(ledger.order(slot).remaining, 60u);
  EXPECT_EQ(ledger.audit(), "");
}

TEST_F(RouterTest, OrderOverALimitIsRejectedToTheClientWithTheCheckReason) {
  market_.now_ns = now_;
  bring_up();
  client_sends(ouch(enter("BIG1", 1001, 1'000'100)));
  ASSERT_EQ(sink_.results.size(), 1u);
  EXPECT_EQ(sink_.results[0].decision, static_cast<uint8_t>(risk::Decision::fail));
  ASSERT_EQ(sink_.sent.size(), 1u);
  EXPECT_EQ(sink_.sent[0].target.kind, Target::Kind::client);
  EXPECT_EQ(sink_.sent[0].stamp.stage, Stamp::Stage::reject);
  auto msgs = sequenced_messages(sink_.sent[0].bytes);
  ASSERT_EQ(msgs.size(), 1u);
  proto::Rejected rej{};
  proto::OeError err{};
  ASSERT_TRUE(proto::decode(msgs[0].data(), msgs[0].size(), rej, err));
  EXPECT_EQ(rej.token, proto::make_token("BIG1"));
  EXPECT_EQ(rej.reason, static_cast<uint8_t>(sink_.results[0].reject_reason));
  EXPECT_NE(rej.reason, 0);
  EXPECT_EQ(router_.counter(RouterCounter::rejected), 1u);
  EXPECT_EQ(router_.counter(RouterCounter::forwarded), 0u);
}

TEST_F(RouterTest, StaleReferenceAndUnknownFeedAreRejectedNotForwarded) {
  market_.now_ns = now_ - 5 * kSec;  // older than max_age_ms
  bring_up();
  client_sends(ouch(enter("OLD1", 10, 1'000'100)));
  ASSERT_EQ(sink_.results.size(), 1u);
  EXPECT_EQ(sink_.results[0].decision, static_cast<uint8_t>(risk::Decision::unknown));
  market_.now_ns = now_;
  market_.healthy = false;
  client_sends(ouch(enter("UNK1", 10, 1'000'100)));
  EXPECT_EQ(sink_.results[1].decision, static_cast<uint8_t>(risk::Decision::unknown));
  EXPECT_EQ(router_.counter(RouterCounter::forwarded), 0u);
  EXPECT_EQ(router_.counter(RouterCounter::rejected), 2u);
}

TEST_F(RouterTest, VenueDownRejectsNewOrdersWithoutAGateDecision) {
  market_.now_ns = now_;
  uint8_t login[64];
  proto::UfoUpWriter w(login, sizeof login);
  ASSERT_TRUE(w.add_login({proto::make_ufo_username("strat1"), proto::make_ufo_password("pw1"),
                           proto::make_ufo_session("")}));
  router_.on_client(now_, 0, kClientEp, login, w.size(), 0, market_, sink_);
  sink_.sent.clear();
  client_sends(ouch(enter("ORD1", 10, 1'000'100)));
  EXPECT_TRUE(sink_.results.empty());
  EXPECT_EQ(router_.counter(RouterCounter::venue_down), 1u);
  ASSERT_EQ(sink_.sent.size(), 1u);
  EXPECT_EQ(sink_.sent[0].target.kind, Target::Kind::client);
}

TEST_F(RouterTest, CancelIsForwardedUnderTheVenueTokenEvenInSafeMode) {
  market_.now_ns = now_;
  bring_up();
  client_sends(ouch(enter("ORD1", 100, 1'000'100)));
  uint32_t slot = router_.gate().ledger().find(0, risk::make_token("ORD1"));
  ASSERT_NE(slot, risk::kNoSlot);
  SafetyState st;
  st.set(SafetyMode::safe, false);
  router_.begin_burst(now_, st.word.load(), 0, sink_);
  sink_.sent.clear();
  // SAFE: a new order is refused, the cancel goes through.
  client_sends(ouch(enter("ORD2", 100, 1'000'100)));
  EXPECT_EQ(sink_.results.back().decision, static_cast<uint8_t>(risk::Decision::fail));
  proto::CancelOrder c{};
  c.token = proto::make_token("ORD1");
  c.shares = 0;
  sink_.sent.clear();
  client_sends(ouch(c));
  ASSERT_EQ(sink_.sent.size(), 1u);
  EXPECT_EQ(sink_.sent[0].target.kind, Target::Kind::venue);
  proto::CancelOrder fwd{};
  ASSERT_TRUE(decode_sent(sink_.sent[0].bytes, fwd));
  char expect[risk::kTokenBytes];
  venue_token(router_.token_epoch(), {slot, 0}, expect);
  EXPECT_EQ(std::memcmp(fwd.token.data(), expect, risk::kTokenBytes), 0);
}

TEST_F(RouterTest, ModifyUpIsGatedModifyDownGoesEvenInSafeAndOrderModifiedIsBooked) {
  market_.now_ns = now_;
  bring_up();
  proto::EnterOrder e = enter("SELL1", 100, 1'000'100);
  e.side = 'S';
  client_sends(ouch(e));
  ASSERT_EQ(sink_.sent.size(), 1u);
  proto::EnterOrder fwd{};
  proto::OeError err{};
  ASSERT_TRUE(decode_sent(sink_.sent[0].bytes, fwd));
  venue_sends({ouch(accepted_of(fwd))});
  const risk::Ledger& ledger = router_.gate().ledger();
  const uint32_t slot = ledger.find(0, risk::make_token("SELL1"));
  const risk::Position& p = ledger.position(ledger.order(slot).position);
  auto modify = [&](char side, uint32_t shares) {
    proto::ModifyOrder m{};
    m.token = proto::make_token("SELL1");
    m.side = static_cast<uint8_t>(side);
    m.shares = shares;
    sink_.sent.clear();
    client_sends(ouch(m));
  };
  auto venue_modified = [&](char side, uint32_t shares) {
    proto::OrderModified om{};
    om.token = fwd.token;
    om.side = static_cast<uint8_t>(side);
    om.shares = shares;
    sink_.sent.clear();
    venue_sends({ouch(om)});
  };

  // Above max_shares_per_order (1000) or to the other side: refused, nothing goes anywhere.
  modify('S', 1001);
  EXPECT_TRUE(sink_.sent.empty());
  EXPECT_EQ(sink_.results.back().first_failed, static_cast<uint8_t>(risk::Check::max_shares));
  modify('B', 50);
  EXPECT_TRUE(sink_.sent.empty());
  EXPECT_EQ(sink_.results.back().first_failed, static_cast<uint8_t>(risk::Check::order_fields));
  EXPECT_EQ(router_.counter(RouterCounter::modify_refused), 2u);

  // Up to 400: gated, forwarded under the venue token, reserved before the venue answers.
  modify('T', 400);
  ASSERT_EQ(sink_.sent.size(), 1u);
  EXPECT_EQ(sink_.sent[0].target.kind, Target::Kind::venue);
  proto::ModifyOrder mf{};
  ASSERT_TRUE(decode_sent(sink_.sent[0].bytes, mf));
  EXPECT_EQ(mf.token, fwd.token);
  EXPECT_EQ(mf.shares, 400u);
  EXPECT_EQ(p.open_sell_shares, 400u);
  // The venue's Order Modified re-marks the side and sets what is open; the client hears it
  // under its own token, and an execution of all 400 books in full.
  venue_modified('T', 400);
  ASSERT_EQ(sink_.sent.size(), 1u);
  auto msgs = sequenced_messages(sink_.sent[0].bytes);
  ASSERT_EQ(msgs.size(), 1u);
  proto::OrderModified got{};
  ASSERT_TRUE(proto::decode(msgs[0].data(), msgs[0].size(), got, err));
  EXPECT_EQ(got.token, proto::make_token("SELL1"));
  EXPECT_EQ(ledger.order(slot).side, risk::Side::short_sell);
  EXPECT_EQ(ledger.order(slot).remaining, 400u);

  // SAFE: down goes, up does not.
  SafetyState st;
  st.set(SafetyMode::safe, false);
  router_.begin_burst(now_, st.word.load(), 0, sink_);
  modify('T', 401);
  EXPECT_TRUE(sink_.sent.empty());
  EXPECT_EQ(sink_.results.back().first_failed, static_cast<uint8_t>(risk::Check::safety_mode));
  modify('E', 300);
  ASSERT_EQ(sink_.sent.size(), 1u);
  EXPECT_EQ(sink_.sent[0].target.kind, Target::Kind::venue);
  venue_modified('E', 300);
  EXPECT_EQ(p.open_sell_shares, 300u);
  proto::Executed x{};
  x.token = fwd.token;
  x.executed_shares = 300;
  x.execution_price = 1'000'100;
  x.liquidity_flag = 'A';
  venue_sends({ouch(x)});
  EXPECT_EQ(p.net_shares, -300);
  EXPECT_EQ(p.open_sell_shares, 0u);
  EXPECT_EQ(router_.counter(RouterCounter::ledger_overfill), 0u);
  EXPECT_EQ(router_.counter(RouterCounter::modify_refused), 3u);
  EXPECT_EQ(ledger.audit(), "");
}

TEST_F(RouterTest, EmergencyStopCancelsEveryOpenOrderAtTheVenue) {
  market_.now_ns = now_;
  bring_up();
  client_sends(ouch(enter("ORD1", 100, 1'000'100)));
  client_sends(ouch(enter("ORD2", 100, 1'000'100)));
  client_sends(ouch(enter("ORD3", 100, 1'000'100)));
  sink_.sent.clear();
  SafetyState st;
  st.set(SafetyMode::emergency_stop, false);
  router_.begin_burst(now_, st.word.load(), 0, sink_);
  ASSERT_EQ(sink_.sent.size(), 3u);
  for (const Sent& s : sink_.sent) {
    EXPECT_EQ(s.target.kind, Target::Kind::venue);
    EXPECT_EQ(s.bytes[3], 'X');
  }
  EXPECT_EQ(router_.counter(RouterCounter::emergency_cancels), 3u);
  // Once: staying in EMERGENCY_STOP sends nothing more, and nothing new passes.
  router_.begin_burst(now_, st.word.load(), 0, sink_);
  EXPECT_EQ(sink_.sent.size(), 3u);
  client_sends(ouch(enter("ORD4", 100, 1'000'100)));
  EXPECT_EQ(sink_.results.back().decision, static_cast<uint8_t>(risk::Decision::fail));
}

TEST_F(RouterTest, VenueMessagesForTokensWeNeverSentAreCountedAndDropped) {
  market_.now_ns = now_;
  bring_up();
  proto::Canceled c{};
  c.token = proto::make_token("NOTOURS");
  c.reason = 'U';
  venue_sends({ouch(c)});
  EXPECT_TRUE(sink_.sent.empty());
  EXPECT_EQ(router_.counter(RouterCounter::venue_unknown_token), 1u);
}

TEST_F(RouterTest, MalformedClientMessagesAreCounted) {
  bring_up();
  const std::vector<uint8_t> junk = {'O', 1, 2, 3};
  client_sends(junk);
  EXPECT_EQ(router_.counter(RouterCounter::orders_malformed), 1u);
  EXPECT_TRUE(sink_.sent.empty());
}

// Cancel-on-connect: a run leaves orders resting at the venue and stops without a trace (its
// ledger is gone); the next run logs in to the same venue session, replays it, and cancels
// exactly the orders still open there, and nothing else. New orders wait for the replay.
class RestartTest : public ::testing::Test {
 protected:
  RestartTest() : policies_(risk::load_policy_from_string(kPolicy, "p.yaml")), venue_(venue()) {}

  static traffic::VenueConfig venue() {
    traffic::VenueConfig v;
    v.session.session = proto::make_ufo_session("VENUE00001");
    v.session.username = proto::make_ufo_username("sy01");
    v.session.password = proto::make_ufo_password("vpw");
    v.instruments.push_back({proto::make_stock("AAPL"), 1'000'100});
    v.max_orders = 1024;
    return v;
  }

  static RouterConfig restart_config() {
    RouterConfig c = router_config();
    c.venue.max_retransmit_count = 3;  // the replay takes several requests
    return c;
  }

  std::unique_ptr<OrderRouter> start_run(uint64_t epoch) {
    RouterConfig c = restart_config();
    c.token_epoch = epoch;
    c.orphan_capacity = 64;
    auto r = std::make_unique<OrderRouter>(c, policies_);
    r->connect(now_, sink_);
    pump(*r);
    return r;
  }

  // Carries datagrams both ways until neither side has anything more to say; client-bound ones
  // are kept for inspection.
  // drop_cancels: OUCH Cancel Orders to the venue are lost on the way; answered_requests_left_:
  // the venue answers that many more Retransmission Requests, then none.
  void pump(OrderRouter& r, bool drop_cancels = false) {
    for (int round = 0; round < 100; ++round) {
      std::vector<Sent> out;
      out.swap(sink_.sent);
      std::vector<session::TxDatagram> back;
      for (const Sent& d : out) {
        if (d.target.kind == Target::Kind::client) {
          to_client_.push_back(d);
          continue;
        }
        if (drop_cancels && d.bytes.size() > 3 && d.bytes[2] == 'U' && d.bytes[3] == 'X') {
          ++dropped_cancels_;
          continue;
        }
        if (d.bytes.size() > 2 && d.bytes[2] == 'T' && answered_requests_left_ >= 0 &&
            answered_requests_left_-- == 0) {
          ++answered_requests_left_;  // stays at 0: silent from here on
          continue;
        }
        venue_.on_datagram(now_, kApplianceEp, d.bytes.data(), d.bytes.size(), back);
      }
      if (back.empty()) return;
      for (session::TxDatagram& d : back) r.on_venue(now_, kVenueEp, d.bytes, d.len, 9, sink_);
    }
    FAIL() << "the venue and the appliance kept talking";
  }

  void login_client(OrderRouter& r) {
    uint8_t login[64];
    proto::UfoUpWriter w(login, sizeof login);
    ASSERT_TRUE(w.add_login({proto::make_ufo_username("strat1"), proto::make_ufo_password("pw1"),
                             proto::make_ufo_session("")}));
    r.on_client(now_, 0, kClientEp, login, w.size(), 0, market_, sink_);
    ASSERT_TRUE(r.client(0).logged_in());
  }

  void client_enters(OrderRouter& r, const char* token, uint32_t shares, uint32_t price) {
    const proto::EnterOrder e = enter(token, shares, price);
    auto m = ouch(e);
    auto p = upstream_unsequenced(m.data(), m.size());
    r.on_client(now_, 0, kClientEp, p.data(), p.size(), 7, market_, sink_);
    pump(r);
  }

  static constexpr session::Endpoint kApplianceEp{{2, 0, 0, 0, 0, 2}, 0x0a000002, 40100};
  uint64_t now_ = 100 * kSec;
  risk::PolicyExchange policies_;
  traffic::VenueSim venue_;
  FixedMarket market_;
  CollectingSink sink_;
  std::vector<Sent> to_client_;
  int dropped_cancels_ = 0;
  int answered_requests_left_ = -1;  // >= 0: Retransmission Requests the venue still answers
};

TEST_F(RestartTest, NextRunCancelsEveryOrderTheEarlierRunLeftOpenAndNothingElse) {
  market_.now_ns = now_;
  {
    auto first = start_run(41);
    ASSERT_TRUE(first->venue_ready());
    login_client(*first);
    // Two rest (below the reference), one executes (crosses it), one rests and is cancelled.
    client_enters(*first, "R1", 100, 990'000);
    client_enters(*first, "X1", 100, 1'000'100);
    client_enters(*first, "R2", 200, 995'000);
    client_enters(*first, "C1", 300, 992'000);
    proto::CancelOrder c{};
    c.token = proto::make_token("C1");
    auto m = ouch(c);
    auto p = upstream_unsequenced(m.data(), m.size());
    first->on_client(now_, 0, kClientEp, p.data(), p.size(), 7, market_, sink_);
    pump(*first);
    ASSERT_EQ(venue_.resting_orders(), 2u);
    ASSERT_EQ(venue_.counts().executed, 1u);
    EXPECT_EQ(first->counter(RouterCounter::orphan_messages), 0u);
  }  // the first run is gone without a logout (kill -9): the venue keeps our session

  now_ += kSec;
  sink_.sent.clear();
  to_client_.clear();
  auto next = std::make_unique<OrderRouter>(
      [] {
        RouterConfig c = restart_config();
        c.token_epoch = 42;
        c.orphan_capacity = 64;
        return c;
      }(),
      policies_);
  next->connect(now_, sink_);
  // Before the replay is over, a new order is refused as venue down (the venue is not asked).
  {
    std::vector<Sent> login;
    login.swap(sink_.sent);
    std::vector<session::TxDatagram> back;
    for (const Sent& d : login)
      venue_.on_datagram(now_, kApplianceEp, d.bytes.data(), d.bytes.size(), back);
    ASSERT_EQ(back.size(), 1u);  // Login Accept with the session's next sequence number
    next->on_venue(now_, kVenueEp, back[0].bytes, back[0].len, 9, sink_);
    EXPECT_EQ(next->venue().state(), session::ClientState::active);
    EXPECT_FALSE(next->venue_ready());
    login_client(*next);
    const uint64_t enters_before = venue_.counts().enters;
    client_enters(*next, "N0", 100, 990'000);  // pumps: the replay completes here too
    EXPECT_EQ(next->counter(RouterCounter::replay_rejected), 1u);
    EXPECT_EQ(venue_.counts().enters, enters_before);
  }
  pump(*next);
  EXPECT_TRUE(next->venue_ready());
  EXPECT_GT(next->counter(RouterCounter::orphan_messages), 0u);
  EXPECT_EQ(next->counter(RouterCounter::orphans_found), 2u);
  EXPECT_EQ(next->counter(RouterCounter::orphan_cancels), 2u);
  EXPECT_EQ(next->counter(RouterCounter::orphans_closed), 2u);
  EXPECT_EQ(next->orphans_open(), 0u);
  EXPECT_EQ(venue_.resting_orders(), 0u);
  EXPECT_EQ(next->counter(RouterCounter::venue_unknown_token), 0u);
  // The earlier run's execution (X1: 100 bought at the reference) is still today's position.
  EXPECT_EQ(next->counter(RouterCounter::carried_fills), 1u);
  EXPECT_EQ(next->counter(RouterCounter::carried_unbooked), 0u);
  {
    const risk::Ledger& l = next->gate().ledger();
    const uint32_t pos = l.find_position(0, risk::symbol_word("AAPL"));
    ASSERT_NE(pos, risk::kNoSlot);
    EXPECT_EQ(l.position(pos).net_shares, 100);
    EXPECT_EQ(l.position(pos).bought_notional, 100u * 1'000'100);
    EXPECT_EQ(l.account(0).exposure, 100u * 1'000'100);
    EXPECT_EQ(l.audit(), "");
  }
  // Nothing of the earlier run reached the client of this one (only the refusal of N0).
  for (const Sent& d : to_client_)
    for (const auto& msg : sequenced_messages(d.bytes)) EXPECT_EQ(msg[0], 'J');

  // The new run trades under tokens the venue has never seen: R9 rests, no collision.
  client_enters(*next, "R9", 100, 990'000);
  EXPECT_EQ(venue_.resting_orders(), 1u);
  EXPECT_EQ(venue_.counts().ignored, 0u);
  // A retry round later, nothing more is cancelled.
  now_ += 2 * kSec;
  next->poll(now_, sink_);
  pump(*next);
  EXPECT_EQ(next->counter(RouterCounter::orphan_cancels), 2u);
  EXPECT_EQ(venue_.resting_orders(), 1u);
}

// The venue keeps fewer messages than its session sent: the replay cannot be complete. The
// router gives the missing ones up (counted: the control lcore latches SAFE on it), catches up
// with the rest, cancels the earlier-run orders those name, and becomes ready; an order only
// the missing messages name stays at the venue, which is what the hazard tells the operator.
TEST_F(RestartTest, ReplayShorterThanTheSessionSkipsWhatTheVenueLostAndBecomesReady) {
  traffic::VenueConfig vc = venue();
  vc.session.retransmit_capacity = 4;
  venue_ = traffic::VenueSim(vc);
  market_.now_ns = now_;
  {
    auto first = start_run(41);
    login_client(*first);
    client_enters(*first, "R1", 100, 990'000);  // Accepted: sequence 1, rests
    for (int i = 1; i <= 6; ++i) {              // Accepted and Canceled: 2i and 2i + 1
      const std::string token = "K" + std::to_string(i);
      client_enters(*first, token.c_str(), 100, 990'000);
      proto::CancelOrder c{};
      c.token = proto::make_token(token);
      auto m = ouch(c);
      auto p = upstream_unsequenced(m.data(), m.size());
      first->on_client(now_, 0, kClientEp, p.data(), p.size(), 7, market_, sink_);
      pump(*first);
    }
    client_enters(*first, "R2", 100, 990'000);  // Accepted: sequence 14, rests
    ASSERT_EQ(venue_.session().next_sequence(), 15u);
    ASSERT_EQ(venue_.resting_orders(), 2u);
  }  // kill -9

  now_ += kSec;
  sink_.sent.clear();
  auto next = start_run(42);  // logs in and pumps the replay to its end
  EXPECT_TRUE(next->venue_ready());
  EXPECT_EQ(next->counter(RouterCounter::replay_unavailable), 10u);  // 1..10; 11..14 held
  EXPECT_EQ(next->venue().counters()[session::SessionCounter::unavailable], 10u);
  EXPECT_EQ(next->venue().next_expected(), 16u);  // 15: R2's Canceled, after our cancel
  EXPECT_EQ(next->counter(RouterCounter::orphans_found), 1u);  // R2
  EXPECT_EQ(next->counter(RouterCounter::orphans_closed), 1u);
  EXPECT_EQ(next->orphans_open(), 0u);
  EXPECT_EQ(venue_.resting_orders(), 1u);  // R1: named only by message 1
  // New orders flow again (the safety mode, not the router, decides whether they may).
  login_client(*next);
  client_enters(*next, "N1", 100, 990'000);
  EXPECT_EQ(venue_.resting_orders(), 2u);
  EXPECT_EQ(next->counter(RouterCounter::replay_rejected), 0u);
}

// A venue that answers the first part of the replay, then stays silent about the rest: after
// sessions[].gap_give_up_ms of re-requests the session gives the rest up on its own clock, and
// the router, at once, counts it (the control lcore's hazard), becomes ready and cancels what
// the held part named; the order only the lost part named stays at the venue.
TEST_F(RestartTest, ReplayTheVenueStopsAnsweringIsGivenUpAfterTheGiveUpTime) {
  market_.now_ns = now_;
  {
    auto first = start_run(51);
    login_client(*first);
    for (const char* t : {"R1", "R2", "R3", "R4"}) client_enters(*first, t, 100, 990'000);
    ASSERT_EQ(venue_.resting_orders(), 4u);
  }  // kill -9
  now_ += kSec;
  answered_requests_left_ = 1;  // 1..3 (max_retransmit_count 3) come back; 4 never does
  RouterConfig c = restart_config();
  c.token_epoch = 52;
  c.orphan_capacity = 64;
  c.venue.gap_give_up_ns = 2 * kSec;
  c.venue.peer_timeout_ns = 60 * kSec;  // this venue sends no heartbeats either
  OrderRouter next(c, policies_);
  next.connect(now_, sink_);
  pump(next);
  ASSERT_EQ(next.venue().next_expected(), 4u);
  const uint64_t asked_at = now_;
  for (; now_ < asked_at + 2 * kSec; now_ += kSec / 10) {
    next.poll(now_, sink_);
    pump(next);
    ASSERT_FALSE(next.venue_ready()) << (now_ - asked_at) / 1'000'000 << " ms in";
  }
  EXPECT_GE(next.venue().counters()[session::SessionCounter::gaps_requested], 20u);
  now_ += kSec / 10;
  next.poll(now_, sink_);  // gives 4 up: no venue datagram needed to finish the replay
  EXPECT_TRUE(next.venue_ready());
  EXPECT_EQ(next.counter(RouterCounter::replay_unavailable), 1u);
  EXPECT_EQ(next.venue().counters()[session::SessionCounter::unavailable], 1u);
  EXPECT_EQ(next.counter(RouterCounter::orphans_found), 3u);
  pump(next);
  EXPECT_EQ(next.counter(RouterCounter::orphans_closed), 3u);
  EXPECT_EQ(venue_.resting_orders(), 1u);  // R4: named only by message 4
}

TEST_F(RestartTest, UnansweredOrphanCancelIsSentAgainAfterTheRetryInterval) {
  market_.now_ns = now_;
  {
    auto first = start_run(7);
    login_client(*first);
    client_enters(*first, "R1", 100, 990'000);
    ASSERT_EQ(venue_.resting_orders(), 1u);
  }
  now_ += kSec;
  RouterConfig c = restart_config();
  c.token_epoch = 8;
  c.orphan_capacity = 64;
  OrderRouter next(c, policies_);
  next.connect(now_, sink_);
  pump(next, /*drop_cancels=*/true);
  ASSERT_TRUE(next.venue_ready());
  EXPECT_EQ(dropped_cancels_, 1);
  EXPECT_EQ(next.orphans_open(), 1u);
  EXPECT_EQ(venue_.resting_orders(), 1u);
  // Not before the retry interval...
  now_ += kSec / 2;
  next.poll(now_, sink_);
  pump(next);
  EXPECT_EQ(next.counter(RouterCounter::orphan_cancels), 1u);
  // ...then again, and this time it lands.
  now_ += kSec;
  next.poll(now_, sink_);
  pump(next);
  EXPECT_EQ(next.counter(RouterCounter::orphan_cancels), 2u);
  EXPECT_EQ(next.orphans_open(), 0u);
  EXPECT_EQ(next.counter(RouterCounter::orphans_closed), 1u);
  EXPECT_EQ(venue_.resting_orders(), 0u);
}

// The venue's later word on an execution: a Broken Trade takes it back, a Trade Correction
// rebooks its shares and price, a Price Correction its price; each reaches the client under its
// own token, and the position (so the risk limits) follows.
class CorrectionTest : public RestartTest {
 protected:
  void venue_says(OrderRouter& r) {
    for (session::TxDatagram& d : back_) r.on_venue(now_, kVenueEp, d.bytes, d.len, 9, sink_);
    back_.clear();
    pump(r);
  }
  // The last message the client received, as an OUCH message type letter and its bytes.
  std::vector<uint8_t> last_to_client() {
    for (const Sent& d : to_client_) {
      auto msgs = sequenced_messages(d.bytes);
      if (!msgs.empty()) last_ = msgs.back();
    }
    to_client_.clear();
    return last_;
  }
  const risk::Position& aapl(const OrderRouter& r) {
    const risk::Ledger& l = r.gate().ledger();
    return l.position(l.find_position(0, risk::symbol_word("AAPL")));
  }
  std::vector<session::TxDatagram> back_;
  std::vector<uint8_t> last_;
};

TEST_F(CorrectionTest, BreaksAndCorrectionsRebookThePositionAndReachTheClient) {
  market_.now_ns = now_;
  auto r = start_run(3);
  ASSERT_TRUE(r->venue_ready());
  login_client(*r);
  client_enters(*r, "X1", 100, 1'000'100);  // crosses the reference: 100 @ 100.01
  const uint64_t m1 = venue_.next_match_number() - 1;
  client_enters(*r, "X2", 200, 1'000'200);  // 200 @ 100.01
  const uint64_t m2 = venue_.next_match_number() - 1;
  ASSERT_EQ(venue_.counts().executed, 2u);
  EXPECT_EQ(aapl(*r).net_shares, 300);
  EXPECT_EQ(aapl(*r).bought_notional, 300u * 1'000'100);
  last_to_client();

  proto::OeError err{};
  ASSERT_TRUE(venue_.break_trade(now_, m1, 'E', back_));
  venue_says(*r);
  EXPECT_EQ(aapl(*r).net_shares, 200);
  EXPECT_EQ(aapl(*r).bought_shares, 200u);
  EXPECT_EQ(aapl(*r).bought_notional, 200u * 1'000'100);
  EXPECT_EQ(r->gate().ledger().account(0).exposure, 200u * 1'000'100);
  EXPECT_EQ(r->counter(RouterCounter::fills_broken), 1u);
  std::vector<uint8_t> got = last_to_client();
  proto::BrokenTrade b{};
  ASSERT_TRUE(proto::decode(got.data(), got.size(), b, err));
  EXPECT_EQ(b.token, proto::make_token("X1"));
  EXPECT_EQ(b.match_number, m1);

  ASSERT_TRUE(venue_.correct_trade(now_, m2, 150, 1'000'000, back_));
  venue_says(*r);
  EXPECT_EQ(aapl(*r).net_shares, 150);
  EXPECT_EQ(aapl(*r).bought_notional, 150u * 1'000'000);
  got = last_to_client();
  proto::TradeCorrection c{};
  ASSERT_TRUE(proto::decode(got.data(), got.size(), c, err));
  EXPECT_EQ(c.token, proto::make_token("X2"));
  EXPECT_EQ(c.executed_shares, 150u);

  ASSERT_TRUE(venue_.correct_price(now_, m2, 1'000'050, back_));
  venue_says(*r);
  EXPECT_EQ(aapl(*r).net_shares, 150);
  EXPECT_EQ(aapl(*r).bought_notional, 150u * 1'000'050);
  got = last_to_client();
  proto::PriceCorrection pc{};
  ASSERT_TRUE(proto::decode(got.data(), got.size(), pc, err));
  EXPECT_EQ(pc.token, proto::make_token("X2"));
  EXPECT_EQ(r->counter(RouterCounter::fills_corrected), 2u);
  EXPECT_EQ(r->counter(RouterCounter::ledger_unknown_match), 0u);
  EXPECT_EQ(r->gate().ledger().audit(), "");
}

// After a restart the earlier run's fills still count against the limits, and the venue can
// still break them.
TEST_F(CorrectionTest, EarlierRunFillsCountAgainstTheLimitsAndCanBeBroken) {
  market_.now_ns = now_;
  uint64_t match = 0;
  {
    auto first = start_run(11);
    login_client(*first);
    client_enters(*first, "X1", 800, 1'000'100);  // 800 bought
    match = venue_.next_match_number() - 1;
    ASSERT_EQ(aapl(*first).net_shares, 800);
  }  // killed
  now_ += kSec;
  auto next = start_run(12);
  ASSERT_TRUE(next->venue_ready());
  EXPECT_EQ(next->counter(RouterCounter::carried_fills), 1u);
  EXPECT_EQ(aapl(*next).net_shares, 800);
  login_client(*next);
  // The policy's own limit: at most 1000 shares of AAPL, worst case (position + open buys).
  policies_.install(risk::load_policy_from_string(
      std::string(kPolicy).replace(std::string(kPolicy).find("instruments: [ { symbol: AAPL } ]"),
                                   std::strlen("instruments: [ { symbol: AAPL } ]"),
                                   "instruments: [ { symbol: AAPL, max_position_shares: 1000 } ]"),
      "p2.yaml"));
  next->begin_burst(now_, 0, 0, sink_);  // the lcore does this before every burst
  const uint64_t enters = venue_.counts().enters;
  client_enters(*next, "N1", 300, 990'000);  // 800 + 300 > 1000: refused
  EXPECT_EQ(venue_.counts().enters, enters);
  EXPECT_EQ(last_to_client()[0], 'J');
  // The venue breaks the earlier run's trade: the room comes back.
  ASSERT_TRUE(venue_.break_trade(now_, match, 'S', back_));
  venue_says(*next);
  EXPECT_EQ(next->counter(RouterCounter::fills_broken), 1u);
  EXPECT_EQ(aapl(*next).net_shares, 0);
  client_enters(*next, "N2", 300, 990'000);
  EXPECT_EQ(venue_.counts().enters, enters + 1);
  EXPECT_EQ(venue_.resting_orders(), 1u);
  EXPECT_EQ(next->gate().ledger().audit(), "");
}

// A break the ledger cannot book (its fill is older than max_fills) is relayed and counted.
TEST_F(CorrectionTest, BreakOfAForgottenFillIsRelayedAndCountedNotBooked) {
  market_.now_ns = now_;
  RouterConfig c = restart_config();
  c.token_epoch = 5;
  c.gate.capacity.fills = 16;
  OrderRouter r(c, policies_);
  r.connect(now_, sink_);
  pump(r);
  login_client(r);
  const uint64_t first = venue_.next_match_number();
  for (int i = 0; i < 17; ++i) client_enters(r, ("F" + std::to_string(i)).c_str(), 1, 1'000'100);
  EXPECT_EQ(aapl(r).net_shares, 17);
  last_to_client();
  ASSERT_TRUE(venue_.break_trade(now_, first, 'C', back_));      // forgotten by the ledger
  ASSERT_TRUE(venue_.break_trade(now_, first + 1, 'C', back_));  // the oldest it holds
  venue_says(r);
  EXPECT_EQ(r.counter(RouterCounter::ledger_unknown_match), 1u);
  EXPECT_EQ(r.counter(RouterCounter::fills_broken), 1u);
  EXPECT_EQ(aapl(r).net_shares, 16);
  proto::BrokenTrade b{};
  proto::OeError err{};
  const std::vector<uint8_t> got = last_to_client();
  ASSERT_TRUE(proto::decode(got.data(), got.size(), b, err));
  EXPECT_EQ(b.match_number, first + 1);
  EXPECT_EQ(r.counter(RouterCounter::relayed), 17u * 2 + 2) << "accepted + executed each, 2 breaks";
}

}  // namespace
}  // namespace sy::exec
