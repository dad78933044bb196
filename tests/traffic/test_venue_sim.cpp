// The venue simulator's rules one by one (accept, execute on crossing, rest, IOC cancel, cancel,
// replace, modify, every reject trigger, duplicate tokens, a full table), and the order-flow
// generator: deterministic, unique tokens, truth counts that match its datagrams, and a run of its
// clean orders through the simulator that ends exactly where the truth says.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "perf/traffic/order_flow.hpp"
#include "perf/traffic/pcap_file.hpp"
#include "perf/traffic/venue_sim.hpp"
#include "src/proto/ouch42.hpp"
#include "src/proto/ufo.hpp"

namespace sy::traffic {
namespace {

using namespace sy::proto;
using session::Endpoint;
using session::TxDatagram;

const Endpoint kApp{{2, 0, 0, 0, 0, 1}, 0x0A000001, 40001};

VenueConfig config() {
  VenueConfig c;
  c.session.session = make_ufo_session("VENUE00001");
  c.session.username = make_ufo_username("USER01");
  c.session.password = make_ufo_password("SECRET1234");
  c.instruments = {{make_stock("AAPL"), 1'895'000}, {make_stock("MSFT"), 3'301'000}};
  c.reject_stocks = {make_stock("HALT")};
  c.reject_token_prefix = "REJ";
  c.reject_reason = 'H';
  c.max_orders = 64;
  return c;
}

struct Venue : ::testing::Test {
  VenueSim v{config()};
  std::vector<TxDatagram> out;
  uint64_t now = 1'000;

  void rx(const std::vector<uint8_t>& b) {
    out.clear();
    v.on_datagram(now, kApp, b.data(), b.size(), out);
  }
  template <class M>
  void send(const M& m) {
    uint8_t msg[kOuchMaxLen];
    const size_t n = encode(m, msg, sizeof msg);
    uint8_t buf[kUfoMaxPacket];
    UfoUpWriter w(buf, sizeof buf);
    w.add_unsequenced({msg, n});
    rx({buf, buf + w.size()});
  }
  void SetUp() override {
    uint8_t buf[64];
    UfoUpWriter w(buf, sizeof buf);
    w.add_login(
        {make_ufo_username("USER01"), make_ufo_password("SECRET1234"), make_ufo_session("")});
    rx({buf, buf + w.size()});
    ASSERT_EQ(out.size(), 1u);
    ASSERT_TRUE(v.session().logged_in());
  }
  // The OUCH messages the venue sent back, decoded, checking each is one sequenced block.
  std::vector<OuchHostMessage> replies() {
    std::vector<OuchHostMessage> r;
    for (const auto& d : out) {
      EXPECT_EQ(d.dst, kApp);
      UfoDownHeader h{};
      OeError e{};
      EXPECT_TRUE(parse_ufo_down(d.bytes, d.len, h, e));
      UfoBlockReader br(d.bytes, d.len, h);
      for (UfoBlock b; br.next(b);) {
        EXPECT_EQ(b.sequence, next_seq_++);
        OuchHostMessage m{};
        EXPECT_TRUE(decode_host(b.data, b.len, m, e));
        r.push_back(m);
      }
    }
    return r;
  }
  uint32_t next_seq_ = 1;
};

EnterOrder enter(std::string_view token, uint8_t side, uint32_t shares, std::string_view stock,
                 uint32_t price, uint32_t tif = kOuchTifMarketHours) {
  EnterOrder o{};
  o.token = make_token(token);
  o.side = side;
  o.shares = shares;
  o.stock = make_stock(stock);
  o.price = price;
  o.time_in_force = tif;
  o.firm = make_firm("");
  o.display = 'Y';
  o.capacity = 'A';
  o.intermarket_sweep = 'N';
  o.cross_type = 'N';
  return o;
}

TEST_F(Venue, CrossingOrdersExecuteAtTheReference) {
  send(enter("B1", 'B', 100, "AAPL", 1'895'000));  // at the reference: crosses
  auto r = replies();
  ASSERT_EQ(r.size(), 2u);
  ASSERT_EQ(r[0].type, OuchHostType::accepted);
  EXPECT_EQ(r[0].accepted.token, make_token("B1"));
  EXPECT_EQ(r[0].accepted.order_state, 'L');
  EXPECT_EQ(r[0].accepted.order_reference, 1u);
  EXPECT_EQ(r[0].accepted.timestamp_ns, now);
  ASSERT_EQ(r[1].type, OuchHostType::executed);
  EXPECT_EQ(r[1].executed.executed_shares, 100u);
  EXPECT_EQ(r[1].executed.execution_price, 1'895'000u);
  EXPECT_EQ(r[1].executed.match_number, 1u);
  send(enter("S1", 'S', 50, "MSFT", 3'300'000));  // sell below the reference: crosses
  r = replies();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[1].executed.execution_price, 3'301'000u);
  EXPECT_EQ(r[1].executed.match_number, 2u);
  EXPECT_EQ(v.counts().executed, 2u);
  EXPECT_EQ(v.counts().executed_shares, 150u);
  EXPECT_EQ(v.resting_orders(), 0u);
}

TEST_F(Venue, NonCrossingOrdersRestAndCanBeCancelledReplacedModified) {
  send(enter("R1", 'B', 300, "AAPL", 1'894'999));
  auto r = replies();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].type, OuchHostType::accepted);
  EXPECT_EQ(v.resting_orders(), 1u);
  // Partial cancel to 100: Canceled 200.
  send(CancelOrder{make_token("R1"), 100});
  r = replies();
  ASSERT_EQ(r.size(), 1u);
  ASSERT_EQ(r[0].type, OuchHostType::canceled);
  EXPECT_EQ(r[0].canceled.decrement_shares, 200u);
  EXPECT_EQ(r[0].canceled.reason, 'U');
  // Not smaller: ignored.
  send(CancelOrder{make_token("R1"), 100});
  EXPECT_TRUE(replies().empty());
  // Modify: a buy cannot become a sell (only S, T and E change into each other); shares can.
  send(ModifyOrder{make_token("R1"), 'S', 80});
  EXPECT_TRUE(replies().empty());
  send(ModifyOrder{make_token("R1"), 'B', 80});
  r = replies();
  ASSERT_EQ(r.size(), 1u);
  ASSERT_EQ(r[0].type, OuchHostType::order_modified);
  EXPECT_EQ(r[0].order_modified.shares, 80u);
  // Replace to a still-resting price, then to a crossing one.
  ReplaceOrder u{
      make_token("R1"), make_token("R2"), 90, 1'890'000, kOuchTifMarketHours, 'Y', 'N', 0};
  send(u);
  r = replies();
  ASSERT_EQ(r.size(), 1u);
  ASSERT_EQ(r[0].type, OuchHostType::replaced);
  EXPECT_EQ(r[0].replaced.replacement_token, make_token("R2"));
  EXPECT_EQ(r[0].replaced.previous_token, make_token("R1"));
  EXPECT_EQ(r[0].replaced.shares, 90u);
  EXPECT_EQ(r[0].replaced.stock, make_stock("AAPL"));
  EXPECT_EQ(r[0].replaced.side, 'B');
  send(u);  // R1 is no longer live: ignored
  EXPECT_TRUE(replies().empty());
  ReplaceOrder up{
      make_token("R2"), make_token("R3"), 90, 1'900'000, kOuchTifMarketHours, 'Y', 'N', 0};
  send(up);
  r = replies();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].type, OuchHostType::replaced);
  ASSERT_EQ(r[1].type, OuchHostType::executed);
  EXPECT_EQ(r[1].executed.token, make_token("R3"));
  EXPECT_EQ(r[1].executed.executed_shares, 90u);
  EXPECT_EQ(v.resting_orders(), 0u);
  // Full cancel of a done order: ignored.
  send(CancelOrder{make_token("R3"), 0});
  EXPECT_TRUE(replies().empty());
  EXPECT_EQ(v.counts().ignored, 4u);
}

TEST_F(Venue, IocThatDoesNotCrossIsCanceled) {
  send(enter("I1", 'S', 10, "AAPL", 1'900'000, kOuchTifIoc));
  const auto r = replies();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].type, OuchHostType::accepted);
  ASSERT_EQ(r[1].type, OuchHostType::canceled);
  EXPECT_EQ(r[1].canceled.reason, 'I');
  EXPECT_EQ(r[1].canceled.decrement_shares, 10u);
}

TEST_F(Venue, RejectsOnDemandAndOnBadFields) {
  struct Case {
    EnterOrder o;
    uint8_t reason;
  };
  const Case cases[] = {
      {enter("REJ0001", 'B', 1, "AAPL", 1'895'000), 'H'},  // token prefix
      {enter("X1", 'B', 1, "HALT", 1'895'000), 'H'},       // reject stock
      {enter("X2", 'B', 1, "NOPE", 1'895'000), 'S'},       // no reference price
      {enter("X3", 'B', 0, "AAPL", 1'895'000), 'Z'},
      {enter("X4", 'B', 1'000'000, "AAPL", 1'895'000), 'Z'},
      {enter("X5", 'B', 1, "AAPL", 0), 'X'},
      {enter("X6", 'B', 1, "AAPL", kOuchMaxPrice + 1), 'X'},
  };
  for (const Case& c : cases) {
    send(c.o);
    const auto r = replies();
    ASSERT_EQ(r.size(), 1u);
    ASSERT_EQ(r[0].type, OuchHostType::rejected);
    EXPECT_EQ(r[0].rejected.token, c.o.token);
    EXPECT_EQ(r[0].rejected.reason, c.reason) << trimmed(c.o.token);
  }
  // A rejected token is consumed: the same Enter again is ignored.
  send(cases[0].o);
  EXPECT_TRUE(replies().empty());
  EXPECT_EQ(v.counts().rejected, 7u);
  EXPECT_EQ(v.counts().rejected_by_reason[static_cast<uint8_t>('Z')], 2u);
}

TEST_F(Venue, DuplicateTokensAndAFullTable) {
  send(enter("D1", 'B', 1, "AAPL", 1'000'000));
  EXPECT_EQ(replies().size(), 1u);
  send(enter("D1", 'B', 1, "AAPL", 1'000'000));
  EXPECT_TRUE(replies().empty());
  for (int i = 0; i < 63; ++i) {
    send(enter("F" + std::to_string(i), 'B', 1, "AAPL", 1'000'000));
    EXPECT_EQ(replies().size(), 1u);
  }
  send(enter("FULL", 'B', 1, "AAPL", 1'000'000));
  const auto r = replies();
  ASSERT_EQ(r.size(), 1u);
  ASSERT_EQ(r[0].type, OuchHostType::rejected);
  EXPECT_EQ(r[0].rejected.reason, 'O');
  EXPECT_EQ(v.resting_orders(), 64u);
}

TEST(VenueSession, OtherSourcesAreUnauthorized) {
  VenueSim v(config());
  std::vector<TxDatagram> out;
  const uint8_t hb[] = {0, 1, 'R'};
  EXPECT_EQ(v.on_datagram(0, kApp, hb, sizeof hb, out), session::Verdict::unauthorized);
  EXPECT_TRUE(out.empty());
}

// ---------------------------------------------------------------- order flow

TEST(OrderFlow, DeterministicWithUniqueTokensAndMatchingCounts) {
  OrderFlowSpec spec;
  spec.seed = 42;
  spec.orders = 2'000;
  const OrderFlow a = generate_order_flow(spec);
  const OrderFlow b = generate_order_flow(spec);
  ASSERT_EQ(a.datagrams.size(), b.datagrams.size());
  for (size_t i = 0; i < a.datagrams.size(); ++i)
    EXPECT_EQ(a.datagrams[i].payload, b.datagrams[i].payload);
  spec.seed = 43;
  const OrderFlow c = generate_order_flow(spec);
  EXPECT_NE(a.datagrams[5].payload, c.datagrams[5].payload);

  // Decode everything: kinds and truth agree, tokens are unique, clean orders stay in limits.
  std::set<OuchToken> tokens;
  uint64_t enters = 0, cancels = 0, replaces = 0, logins = 0, breaching = 0;
  uint64_t last_ts = 0;
  for (const auto& d : a.datagrams) {
    EXPECT_GT(d.timestamp_ns, last_ts);
    last_ts = d.timestamp_ns;
    UfoUpReader r(d.payload.data(), d.payload.size());
    UfoUpMessage m{};
    ASSERT_TRUE(r.next(m));
    EXPECT_FALSE(r.next(m));
    EXPECT_FALSE(r.has_error());
    if (m.kind == UfoUpKind::login_request) {
      ++logins;
      continue;
    }
    ASSERT_EQ(m.kind, UfoUpKind::unsequenced);
    OuchClientMessage o{};
    OeError e{};
    ASSERT_TRUE(decode_client(m.data, m.len, o, e));
    if (o.type == OuchClientType::enter_order) {
      ++enters;
      EXPECT_TRUE(tokens.insert(o.enter_order.token).second);
      const auto& eo = o.enter_order;
      uint32_t ref = 0;
      for (const auto& inst : spec.instruments)
        if (make_stock(inst.symbol) == eo.stock) ref = inst.reference_price;
      ASSERT_NE(ref, 0u);
      const uint64_t diff = eo.price > ref ? eo.price - ref : ref - eo.price;
      breaching += eo.shares > spec.max_shares ||
                   uint64_t{eo.price} * eo.shares > spec.max_notional ||
                   diff * 10'000 > uint64_t{spec.collar_bps} * ref;
    } else if (o.type == OuchClientType::replace_order) {
      ++replaces;
      EXPECT_TRUE(tokens.insert(o.replace_order.replacement_token).second);
      EXPECT_EQ(tokens.count(o.replace_order.existing_token), 1u);
    } else {
      ASSERT_EQ(o.type, OuchClientType::cancel_order);
      ++cancels;
      EXPECT_EQ(tokens.count(o.cancel_order.token), 1u);
    }
  }
  const OrderFlowTruth& t = a.truth;
  EXPECT_EQ(t.datagrams, a.datagrams.size());
  EXPECT_EQ(t.logins, 1u);
  EXPECT_EQ(logins, 1u);
  EXPECT_EQ(t.enters, enters);
  EXPECT_EQ(t.enters, 2'000u);
  EXPECT_EQ(t.cancels, cancels);
  EXPECT_EQ(t.replaces, replaces);
  EXPECT_EQ(t.breaching, breaching);
  EXPECT_EQ(t.clean + t.breaching, t.enters);
  EXPECT_GT(t.breaching, 0u);
  EXPECT_GT(t.breach_shares, 0u);
  EXPECT_GT(t.breach_notional, 0u);
  EXPECT_GT(t.breach_collar, 0u);
  EXPECT_GT(t.cancels, 0u);
  EXPECT_GT(t.replaces, 0u);
  EXPECT_EQ(t.to_json()["enters"], 2'000u);
}

// The flow through the venue with the breaching Enters removed (what a correct risk gate does):
// the venue ends exactly where the truth says.
TEST(OrderFlow, CleanOrdersThroughTheVenueMatchTheTruth) {
  OrderFlowSpec spec;
  spec.seed = 7;
  spec.orders = 3'000;
  const OrderFlow flow = generate_order_flow(spec);
  VenueConfig vc;
  vc.session.username = make_ufo_username(spec.username);
  vc.session.password = make_ufo_password(spec.password);
  vc.session.retransmit_capacity = 1'024;
  for (const auto& i : spec.instruments)
    vc.instruments.push_back({make_stock(i.symbol), i.reference_price});
  vc.reject_token_prefix.clear();
  vc.max_orders = 8'192;
  VenueSim venue(vc);
  std::vector<TxDatagram> out;
  uint64_t dropped = 0;
  for (const auto& d : flow.datagrams) {
    if (d.kind == FlowKind::enter) {
      UfoUpReader r(d.payload.data(), d.payload.size());
      UfoUpMessage m{};
      ASSERT_TRUE(r.next(m));
      OuchClientMessage o{};
      OeError e{};
      ASSERT_TRUE(decode_client(m.data, m.len, o, e));
      const auto& eo = o.enter_order;
      uint32_t ref = 0;
      for (const auto& i : spec.instruments)
        if (make_stock(i.symbol) == eo.stock) ref = i.reference_price;
      const uint64_t diff = eo.price > ref ? eo.price - ref : ref - eo.price;
      if (eo.shares > spec.max_shares || uint64_t{eo.price} * eo.shares > spec.max_notional ||
          diff * 10'000 > uint64_t{spec.collar_bps} * ref) {
        ++dropped;
        continue;
      }
    }
    out.clear();
    ASSERT_EQ(venue.on_datagram(d.timestamp_ns, kApp, d.payload.data(), d.payload.size(), out),
              session::Verdict::ok);
  }
  const OrderFlowTruth& t = flow.truth;
  const VenueCounts& c = venue.counts();
  EXPECT_EQ(dropped, t.breaching);
  EXPECT_EQ(c.enters, t.clean);
  EXPECT_EQ(c.accepted, t.clean);
  EXPECT_EQ(c.rejected, 0u);
  EXPECT_EQ(c.executed, t.expect_executed);
  EXPECT_EQ(c.executed_shares, t.expect_executed_shares);
  EXPECT_EQ(c.canceled, t.expect_canceled);
  EXPECT_EQ(c.canceled_shares, t.expect_canceled_shares);
  EXPECT_EQ(c.replaced, t.expect_replaced);
  EXPECT_EQ(c.ignored, 0u);
  EXPECT_EQ(venue.resting_orders(), t.expect_resting);
  EXPECT_EQ(venue.resting_shares(), t.expect_resting_shares);
}

TEST(OrderFlow, BadSpecsAreRefused) {
  OrderFlowSpec s;
  s.instruments.clear();
  EXPECT_THROW(generate_order_flow(s), std::invalid_argument);
  s = OrderFlowSpec{};
  s.cancel_percent = 60;
  s.replace_percent = 50;
  EXPECT_THROW(generate_order_flow(s), std::invalid_argument);
  s = OrderFlowSpec{};
  s.max_notional = 100;
  EXPECT_THROW(generate_order_flow(s), std::invalid_argument);
  s = OrderFlowSpec{};
  s.collar_bps = 0;
  EXPECT_THROW(generate_order_flow(s), std::invalid_argument);
}

// switchyard-orders: the capture holds the flow's datagrams as UDP frames, the truth file its
// counts; usage errors exit 2, --help 0.
TEST(OrderFlowTool, WritesCaptureAndTruth) {
  const char* bin = std::getenv("SWITCHYARD_ORDERS_BIN");
  ASSERT_NE(bin, nullptr) << "run through meson test (SWITCHYARD_ORDERS_BIN)";
  const auto dir =
      std::filesystem::temp_directory_path() /
      ("sy_orders_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
       std::to_string(std::rand()));
  std::filesystem::create_directories(dir);
  const std::string pcap = (dir / "flow.pcap").string();
  const std::string cmd = std::string(bin) +
                          " --orders 300 --seed 9 --breach 10 --dst-port 16000 --out " + pcap +
                          " > /dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  OrderFlowSpec spec;
  spec.orders = 300;
  spec.seed = 9;
  spec.breach_percent = 10;
  const OrderFlow flow = generate_order_flow(spec);
  const auto records = read_pcap(pcap);
  ASSERT_EQ(records.size(), flow.datagrams.size());
  for (size_t i = 0; i < records.size(); ++i) {
    const auto& f = records[i].data;
    ASSERT_GE(f.size(), 42u);
    EXPECT_EQ(records[i].timestamp_ns, flow.datagrams[i].timestamp_ns);
    EXPECT_EQ(f[36] << 8 | f[37], 16000);  // UDP destination port
    const size_t udp_len = size_t{f[38]} << 8 | f[39];
    EXPECT_EQ(std::vector<uint8_t>(f.begin() + 42, f.begin() + 34 + udp_len),
              flow.datagrams[i].payload);
  }
  std::ifstream tf(dir / "flow.truth.json");
  const std::string text((std::istreambuf_iterator<char>(tf)), std::istreambuf_iterator<char>());
  EXPECT_EQ(nlohmann::json::parse(text), flow.truth.to_json());
  EXPECT_EQ(WEXITSTATUS(std::system((std::string(bin) + " --orders 5 > /dev/null 2>&1").c_str())),
            2);
  EXPECT_EQ(WEXITSTATUS(std::system((std::string(bin) + " --orders 5 --seed 1 --out " + pcap +
                                     " --collar-bps 0 > /dev/null 2>&1")
                                        .c_str())),
            2);
  EXPECT_EQ(std::system((std::string(bin) + " --help > /dev/null").c_str()), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sy::traffic
