// OUCH 4.2 codec against bytes written out by hand from docs protocols.md §3 (offset tables),
// never produced by the encoder under test: every type of both directions decoded field by
// field, re-encoded byte for byte, every truncation and extension refused with its reason, and
// the reason-code tables.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "src/proto/ouch42.hpp"

namespace sy::proto {
namespace {

using Bytes = std::vector<uint8_t>;

// Big-endian byte writer, independent of src/net/wire.hpp and the encoder.
struct W {
  Bytes b;
  W& ch(char c) {
    b.push_back(static_cast<uint8_t>(c));
    return *this;
  }
  W& be(uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  W& be32(uint64_t v) { return be(v, 4); }
  W& be64(uint64_t v) { return be(v, 8); }
  W& alpha(std::string_view s, size_t n) {
    for (size_t i = 0; i < n; ++i) b.push_back(static_cast<uint8_t>(i < s.size() ? s[i] : ' '));
    return *this;
  }
};

template <size_t N>
std::string str(const std::array<char, N>& a) {
  return std::string(a.data(), N);
}

// Every multi-byte value has distinct bytes so a shifted or swapped load cannot pass.
constexpr uint64_t kTs = 0x0000'4E94'914E'FFFFULL;  // 86,399.999999999 s
constexpr std::string_view kTok = "ABCdef0123456Z";
constexpr std::string_view kTok2 = "REPL0000000002";

std::map<char, Bytes> client_bytes() {
  std::map<char, Bytes> t;
  t['O'] = W{}.ch('O')
               .alpha(kTok, 14)
               .ch('B')
               .be32(0x000F423F)  // 999,999 shares
               .alpha("AAPL", 8)
               .be32(0x001CEA58)  // 189.5000
               .be32(99998)
               .alpha("FIRM", 4)
               .ch('Y')
               .ch('A')
               .ch('N')
               .be32(0x01020304)
               .ch('N')
               .ch('R')
               .b;
  t['U'] = W{}.ch('U')
               .alpha(kTok, 14)
               .alpha(kTok2, 14)
               .be32(0x0A0B0C0D)
               .be32(0x7FFFFFFF)  // market (cross)
               .be32(0)
               .ch('P')
               .ch('Y')
               .be32(0x11121314)
               .b;
  t['X'] = W{}.ch('X').alpha(kTok, 14).be32(0x21222324).b;
  t['M'] = W{}.ch('M').alpha(kTok, 14).ch('T').be32(0x31323334).b;
  return t;
}

std::map<char, Bytes> host_bytes() {
  std::map<char, Bytes> t;
  t['S'] = W{}.ch('S').be64(kTs).ch('S').b;
  t['A'] = W{}.ch('A')
               .be64(kTs)
               .alpha(kTok, 14)
               .ch('S')
               .be32(0x000186A0)
               .alpha("MSFT", 8)
               .be32(0x7735939C)  // maximum price
               .be32(99999)
               .alpha("GSCO", 4)
               .ch('A')
               .be64(0x0102030405060708ULL)
               .ch('P')
               .ch('N')
               .be32(0x0A0B0C0D)
               .ch('O')
               .ch('L')
               .ch('2')
               .b;
  t['U'] = W{}.ch('U')
               .be64(kTs)
               .alpha(kTok2, 14)
               .ch('E')
               .be32(0x00001388)
               .alpha("IBM", 8)
               .be32(0x00123456)
               .be32(0)
               .alpha("", 4)
               .ch('N')
               .be64(0x1112131415161718ULL)
               .ch('R')
               .ch('Y')
               .be32(0x21222324)
               .ch('C')
               .ch('D')
               .alpha(kTok, 14)
               .ch('S')
               .b;
  t['C'] = W{}.ch('C').be64(kTs).alpha(kTok, 14).be32(0x31323334).ch('I').b;
  t['D'] = W{}.ch('D')
               .be64(kTs)
               .alpha(kTok, 14)
               .be32(0x41424344)
               .ch('Q')
               .be32(0x51525354)
               .be32(0x00616263)
               .ch('A')
               .b;
  t['E'] = W{}.ch('E')
               .be64(kTs)
               .alpha(kTok, 14)
               .be32(0x71727374)
               .be32(0x00818283)
               .ch('R')
               .be64(0x9192939495969798ULL)
               .b;
  t['B'] = W{}.ch('B').be64(kTs).alpha(kTok, 14).be64(0xA1A2A3A4A5A6A7A8ULL).ch('E').b;
  t['J'] = W{}.ch('J').be64(kTs).alpha(kTok, 14).ch('n').b;
  t['P'] = W{}.ch('P').be64(kTs).alpha(kTok, 14).b;
  t['I'] = W{}.ch('I').be64(kTs).alpha(kTok2, 14).b;
  t['T'] =
      W{}.ch('T').be64(kTs).alpha(kTok, 14).be32(0x00B1B2B3).ch('M').be64(0xC1C2C3C4C5C6C7C8ULL).b;
  t['M'] = W{}.ch('M').be64(kTs).alpha(kTok, 14).ch('S').be32(0xD1D2D3D4).b;
  t['G'] = W{}.ch('G')
               .be64(kTs)
               .alpha(kTok, 14)
               .be32(0xE1E2E3E4)
               .be32(0x00F1F2F3)
               .ch('m')
               .be64(0x0102030405060708ULL)
               .be32(0x00111213)
               .ch('I')
               .b;
  t['F'] = W{}.ch('F')
               .be64(kTs)
               .alpha(kTok, 14)
               .be32(0x21222324)
               .be32(0x00313233)
               .ch('7')
               .be64(0x4142434445464748ULL)
               .ch('N')
               .b;
  t['K'] =
      W{}.ch('K').be64(kTs).alpha(kTok, 14).be64(0x5152535455565758ULL).be32(0x00616263).ch('X').b;
  return t;
}

// The lengths of §3.1/§3.2, typed in from the headings.
const std::map<char, size_t> kClientLen = {{'O', 49}, {'U', 47}, {'X', 19}, {'M', 20}};
const std::map<char, size_t> kHostLen = {{'S', 10}, {'A', 66}, {'U', 80}, {'C', 28}, {'D', 37},
                                         {'E', 40}, {'B', 32}, {'J', 24}, {'P', 23}, {'I', 23},
                                         {'T', 36}, {'M', 28}, {'G', 45}, {'F', 41}, {'K', 36}};

OuchClientMessage client_ok(const Bytes& b) {
  OuchClientMessage m{};
  OeError e{};
  EXPECT_TRUE(decode_client(b.data(), b.size(), m, e)) << to_string(e);
  return m;
}

OuchHostMessage host_ok(const Bytes& b) {
  OuchHostMessage m{};
  OeError e{};
  EXPECT_TRUE(decode_host(b.data(), b.size(), m, e)) << to_string(e);
  return m;
}

TEST(Ouch42, LengthTablesMatchSpec) {
  EXPECT_EQ(kOuchClientTypeCount, kClientLen.size());
  EXPECT_EQ(kOuchHostTypeCount, kHostLen.size());
  for (unsigned c = 0; c < 256; ++c) {
    const auto l = static_cast<uint8_t>(c);
    const auto ci = kClientLen.find(static_cast<char>(c));
    const auto hi = kHostLen.find(static_cast<char>(c));
    EXPECT_EQ(ouch_client_length(l), ci == kClientLen.end() ? 0 : ci->second) << c;
    EXPECT_EQ(ouch_host_length(l), hi == kHostLen.end() ? 0 : hi->second) << c;
  }
  for (const auto& [t, b] : client_bytes()) EXPECT_EQ(b.size(), kClientLen.at(t)) << t;
  for (const auto& [t, b] : host_bytes()) EXPECT_EQ(b.size(), kHostLen.at(t)) << t;
  EXPECT_EQ(client_bytes().size(), kClientLen.size());
  EXPECT_EQ(host_bytes().size(), kHostLen.size());
  EXPECT_STREQ(ouch_client_type_name('O'), "enter_order");
  EXPECT_STREQ(ouch_host_type_name('U'), "replaced");
  EXPECT_STREQ(ouch_host_type_name('O'), "unknown");
}

TEST(Ouch42, EnterOrder) {
  const auto m = client_ok(client_bytes()['O']);
  ASSERT_EQ(m.type, OuchClientType::enter_order);
  const EnterOrder& o = m.enter_order;
  EXPECT_EQ(str(o.token), kTok);
  EXPECT_EQ(o.side, 'B');
  EXPECT_EQ(o.shares, 999'999u);
  EXPECT_EQ(str(o.stock), "AAPL    ");
  EXPECT_EQ(trimmed(o.stock), "AAPL");
  EXPECT_EQ(o.price, 1'895'000u);
  EXPECT_EQ(o.time_in_force, kOuchTifMarketHours);
  EXPECT_EQ(str(o.firm), "FIRM");
  EXPECT_EQ(o.display, 'Y');
  EXPECT_EQ(o.capacity, 'A');
  EXPECT_EQ(o.intermarket_sweep, 'N');
  EXPECT_EQ(o.minimum_quantity, 0x01020304u);
  EXPECT_EQ(o.cross_type, 'N');
  EXPECT_TRUE(o.has_customer_type);
  EXPECT_EQ(o.customer_type, 'R');
}

TEST(Ouch42, EnterOrderWithoutCustomerType) {
  Bytes b = client_bytes()['O'];
  b.pop_back();
  const auto m = client_ok(b);
  EXPECT_FALSE(m.enter_order.has_customer_type);
  EXPECT_EQ(m.enter_order.customer_type, 0);
  EXPECT_EQ(m.enter_order.cross_type, 'N');
  uint8_t out[64];
  ASSERT_EQ(encode(m, out, sizeof out), 48u);
  EXPECT_EQ(Bytes(out, out + 48), b);
}

TEST(Ouch42, ReplaceOrder) {
  const auto m = client_ok(client_bytes()['U']);
  ASSERT_EQ(m.type, OuchClientType::replace_order);
  const ReplaceOrder& o = m.replace_order;
  EXPECT_EQ(str(o.existing_token), kTok);
  EXPECT_EQ(str(o.replacement_token), kTok2);
  EXPECT_EQ(o.shares, 0x0A0B0C0Du);
  EXPECT_EQ(o.price, kOuchMarketPrice);
  EXPECT_EQ(o.time_in_force, kOuchTifIoc);
  EXPECT_EQ(o.display, 'P');
  EXPECT_EQ(o.intermarket_sweep, 'Y');
  EXPECT_EQ(o.minimum_quantity, 0x11121314u);
}

TEST(Ouch42, CancelAndModifyOrder) {
  const auto x = client_ok(client_bytes()['X']);
  ASSERT_EQ(x.type, OuchClientType::cancel_order);
  EXPECT_EQ(str(x.cancel_order.token), kTok);
  EXPECT_EQ(x.cancel_order.shares, 0x21222324u);
  const auto m = client_ok(client_bytes()['M']);
  ASSERT_EQ(m.type, OuchClientType::modify_order);
  EXPECT_EQ(str(m.modify_order.token), kTok);
  EXPECT_EQ(m.modify_order.side, 'T');
  EXPECT_EQ(m.modify_order.shares, 0x31323334u);
}

TEST(Ouch42, SystemEventAcceptedReplaced) {
  const auto s = host_ok(host_bytes()['S']);
  ASSERT_EQ(s.type, OuchHostType::system_event);
  EXPECT_EQ(s.system_event.timestamp_ns, kTs);
  EXPECT_EQ(s.system_event.event_code, 'S');

  const auto a = host_ok(host_bytes()['A']);
  ASSERT_EQ(a.type, OuchHostType::accepted);
  const Accepted& acc = a.accepted;
  EXPECT_EQ(acc.timestamp_ns, kTs);
  EXPECT_EQ(str(acc.token), kTok);
  EXPECT_EQ(acc.side, 'S');
  EXPECT_EQ(acc.shares, 100'000u);
  EXPECT_EQ(str(acc.stock), "MSFT    ");
  EXPECT_EQ(acc.price, kOuchMaxPrice);
  EXPECT_EQ(acc.time_in_force, kOuchTifSystemHours);
  EXPECT_EQ(str(acc.firm), "GSCO");
  EXPECT_EQ(acc.display, 'A');
  EXPECT_EQ(acc.order_reference, 0x0102030405060708ULL);
  EXPECT_EQ(acc.capacity, 'P');
  EXPECT_EQ(acc.intermarket_sweep, 'N');
  EXPECT_EQ(acc.minimum_quantity, 0x0A0B0C0Du);
  EXPECT_EQ(acc.cross_type, 'O');
  EXPECT_EQ(acc.order_state, 'L');
  EXPECT_EQ(acc.bbo_weight, '2');

  const auto u = host_ok(host_bytes()['U']);
  ASSERT_EQ(u.type, OuchHostType::replaced);
  const Replaced& r = u.replaced;
  EXPECT_EQ(r.timestamp_ns, kTs);
  EXPECT_EQ(str(r.replacement_token), kTok2);
  EXPECT_EQ(r.side, 'E');
  EXPECT_EQ(r.shares, 5000u);
  EXPECT_EQ(str(r.stock), "IBM     ");
  EXPECT_EQ(r.price, 0x00123456u);
  EXPECT_EQ(r.time_in_force, 0u);
  EXPECT_EQ(str(r.firm), "    ");
  EXPECT_EQ(r.display, 'N');
  EXPECT_EQ(r.order_reference, 0x1112131415161718ULL);
  EXPECT_EQ(r.capacity, 'R');
  EXPECT_EQ(r.intermarket_sweep, 'Y');
  EXPECT_EQ(r.minimum_quantity, 0x21222324u);
  EXPECT_EQ(r.cross_type, 'C');
  EXPECT_EQ(r.order_state, 'D');
  EXPECT_EQ(str(r.previous_token), kTok);
  EXPECT_EQ(r.bbo_weight, 'S');
}

TEST(Ouch42, CancelAndExecutionMessages) {
  const auto c = host_ok(host_bytes()['C']).canceled;
  EXPECT_EQ(c.timestamp_ns, kTs);
  EXPECT_EQ(str(c.token), kTok);
  EXPECT_EQ(c.decrement_shares, 0x31323334u);
  EXPECT_EQ(c.reason, 'I');

  const auto d = host_ok(host_bytes()['D']).aiq_canceled;
  EXPECT_EQ(str(d.token), kTok);
  EXPECT_EQ(d.decrement_shares, 0x41424344u);
  EXPECT_EQ(d.reason, 'Q');
  EXPECT_EQ(d.quantity_prevented, 0x51525354u);
  EXPECT_EQ(d.execution_price, 0x00616263u);
  EXPECT_EQ(d.liquidity_flag, 'A');

  const auto e = host_ok(host_bytes()['E']).executed;
  EXPECT_EQ(e.timestamp_ns, kTs);
  EXPECT_EQ(str(e.token), kTok);
  EXPECT_EQ(e.executed_shares, 0x71727374u);
  EXPECT_EQ(e.execution_price, 0x00818283u);
  EXPECT_EQ(e.liquidity_flag, 'R');
  EXPECT_EQ(e.match_number, 0x9192939495969798ULL);

  const auto b = host_ok(host_bytes()['B']).broken_trade;
  EXPECT_EQ(str(b.token), kTok);
  EXPECT_EQ(b.match_number, 0xA1A2A3A4A5A6A7A8ULL);
  EXPECT_EQ(b.reason, 'E');

  const auto g = host_ok(host_bytes()['G']).executed_with_reference;
  EXPECT_EQ(g.executed_shares, 0xE1E2E3E4u);
  EXPECT_EQ(g.execution_price, 0x00F1F2F3u);
  EXPECT_EQ(g.liquidity_flag, 'm');
  EXPECT_EQ(g.match_number, 0x0102030405060708ULL);
  EXPECT_EQ(g.reference_price, 0x00111213u);
  EXPECT_EQ(g.reference_price_type, 'I');

  const auto f = host_ok(host_bytes()['F']).trade_correction;
  EXPECT_EQ(f.executed_shares, 0x21222324u);
  EXPECT_EQ(f.execution_price, 0x00313233u);
  EXPECT_EQ(f.liquidity_flag, '7');
  EXPECT_EQ(f.match_number, 0x4142434445464748ULL);
  EXPECT_EQ(f.reason, 'N');

  const auto k = host_ok(host_bytes()['K']).price_correction;
  EXPECT_EQ(str(k.token), kTok);
  EXPECT_EQ(k.match_number, 0x5152535455565758ULL);
  EXPECT_EQ(k.new_execution_price, 0x00616263u);
  EXPECT_EQ(k.reason, 'X');
}

TEST(Ouch42, RejectPendingPriorityModified) {
  const auto j = host_ok(host_bytes()['J']).rejected;
  EXPECT_EQ(j.timestamp_ns, kTs);
  EXPECT_EQ(str(j.token), kTok);
  EXPECT_EQ(j.reason, 'n');
  EXPECT_STREQ(ouch_reject_reason_name(j.reason), "exceeded_dollar_limit");

  const auto p = host_ok(host_bytes()['P']);
  ASSERT_EQ(p.type, OuchHostType::cancel_pending);
  EXPECT_EQ(str(p.cancel_pending.token), kTok);
  EXPECT_EQ(p.cancel_pending.timestamp_ns, kTs);
  const auto i = host_ok(host_bytes()['I']);
  ASSERT_EQ(i.type, OuchHostType::cancel_reject);
  EXPECT_EQ(str(i.cancel_reject.token), kTok2);

  const auto t = host_ok(host_bytes()['T']).priority_update;
  EXPECT_EQ(str(t.token), kTok);
  EXPECT_EQ(t.price, 0x00B1B2B3u);
  EXPECT_EQ(t.display, 'M');
  EXPECT_EQ(t.order_reference, 0xC1C2C3C4C5C6C7C8ULL);

  const auto m = host_ok(host_bytes()['M']);
  ASSERT_EQ(m.type, OuchHostType::order_modified);
  EXPECT_EQ(m.order_modified.side, 'S');
  EXPECT_EQ(m.order_modified.shares, 0xD1D2D3D4u);
}

TEST(Ouch42, EncodeReproducesHandBuiltBytes) {
  uint8_t out[kOuchMaxLen + 8];
  for (const auto& [t, b] : client_bytes()) {
    const auto m = client_ok(b);
    std::memset(out, 0xEE, sizeof out);
    ASSERT_EQ(encode(m, out, sizeof out), b.size()) << t;
    EXPECT_EQ(Bytes(out, out + b.size()), b) << t;
    EXPECT_EQ(out[b.size()], 0xEE) << t;  // nothing written past the message
    // Too small by one: refused, nothing written.
    std::memset(out, 0xEE, sizeof out);
    EXPECT_EQ(encode(m, out, b.size() - 1), 0u) << t;
    EXPECT_EQ(out[0], 0xEE) << t;
  }
  for (const auto& [t, b] : host_bytes()) {
    const auto m = host_ok(b);
    std::memset(out, 0xEE, sizeof out);
    ASSERT_EQ(encode(m, out, sizeof out), b.size()) << t;
    EXPECT_EQ(Bytes(out, out + b.size()), b) << t;
    EXPECT_EQ(out[b.size()], 0xEE) << t;
    std::memset(out, 0xEE, sizeof out);
    EXPECT_EQ(encode(m, out, b.size() - 1), 0u) << t;
    EXPECT_EQ(out[0], 0xEE) << t;
  }
}

TEST(Ouch42, EncodeFromFieldsRoundTrips) {
  EnterOrder o{};
  o.token = make_token("T1");
  o.side = 'S';
  o.shares = 300;
  o.stock = make_stock("SPY");
  o.price = 4'501'234;
  o.time_in_force = kOuchTifIoc;
  o.firm = make_firm("");
  o.display = 'Y';
  o.capacity = 'P';
  o.intermarket_sweep = 'N';
  o.minimum_quantity = 0;
  o.cross_type = 'N';
  o.has_customer_type = true;
  o.customer_type = ' ';
  uint8_t buf[64];
  ASSERT_EQ(encode(o, buf, sizeof buf), 49u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf + 1), 14), "T1            ");
  EnterOrder back{};
  OeError e{};
  ASSERT_TRUE(decode(buf, 49, back, e));
  EXPECT_EQ(back, o);

  Executed x{};
  x.timestamp_ns = 34'200'000'000'500ULL;
  x.token = make_token("T1");
  x.executed_shares = 300;
  x.execution_price = 4'501'234;
  x.liquidity_flag = 'R';
  x.match_number = 77;
  ASSERT_EQ(encode(x, buf, sizeof buf), 40u);
  Executed xb{};
  ASSERT_TRUE(decode(buf, 40, xb, e));
  EXPECT_EQ(xb, x);
}

TEST(Ouch42, EveryTruncationAndExtensionIsRefused) {
  OeError e{};
  for (const auto& [t, full] : client_bytes()) {
    for (size_t len = 0; len < full.size(); ++len) {
      OuchClientMessage m{};
      const bool ok = decode_client(full.data(), len, m, e);
      if (t == 'O' && len == kOuchEnterOrderShortLen) {
        EXPECT_TRUE(ok);
        continue;
      }
      EXPECT_FALSE(ok) << t << " len " << len;
      EXPECT_EQ(e, len == 0 ? OeError::ouch_empty : OeError::ouch_short) << t << " " << len;
    }
    Bytes longer = full;
    longer.push_back(' ');
    OuchClientMessage m{};
    EXPECT_FALSE(decode_client(longer.data(), longer.size(), m, e)) << t;
    EXPECT_EQ(e, OeError::ouch_long) << t;
  }
  for (const auto& [t, full] : host_bytes()) {
    for (size_t len = 0; len < full.size(); ++len) {
      OuchHostMessage m{};
      EXPECT_FALSE(decode_host(full.data(), len, m, e)) << t << " len " << len;
      EXPECT_EQ(e, len == 0 ? OeError::ouch_empty : OeError::ouch_short) << t << " " << len;
    }
    Bytes longer = full;
    longer.push_back(0);
    OuchHostMessage m{};
    EXPECT_FALSE(decode_host(longer.data(), longer.size(), m, e)) << t;
    EXPECT_EQ(e, OeError::ouch_long) << t;
  }
}

TEST(Ouch42, UnknownLettersAndWrongDirection) {
  OeError e{};
  Bytes b(100, 0);
  for (unsigned c = 0; c < 256; ++c) {
    b[0] = static_cast<uint8_t>(c);
    OuchClientMessage cm{};
    OuchHostMessage hm{};
    if (kClientLen.count(static_cast<char>(c)) == 0) {
      EXPECT_FALSE(decode_client(b.data(), b.size(), cm, e));
      EXPECT_EQ(e, OeError::ouch_unknown_type) << c;
    }
    if (kHostLen.count(static_cast<char>(c)) == 0) {
      EXPECT_FALSE(decode_host(b.data(), b.size(), hm, e));
      EXPECT_EQ(e, OeError::ouch_unknown_type) << c;
    }
  }
  // A client Replace Order (47 bytes) is not a host Replaced (80), and the per-type decoders
  // check the letter.
  const Bytes replace = client_bytes()['U'];
  OuchHostMessage hm{};
  EXPECT_FALSE(decode_host(replace.data(), replace.size(), hm, e));
  EXPECT_EQ(e, OeError::ouch_short);
  Executed x{};
  const Bytes accepted = host_bytes()['A'];
  EXPECT_FALSE(decode(accepted.data(), accepted.size(), x, e));
  EXPECT_EQ(e, OeError::ouch_unknown_type);
}

TEST(Ouch42, ReasonTables) {
  // §3.3, typed in: every Rejected letter of the Feb-2013 list, the PRM letters and W.
  const std::string rejects = "THZSDCLMRXNOabcdefghijklmnW";
  for (char c : rejects) {
    EXPECT_STRNE(ouch_reject_reason_name(static_cast<uint8_t>(c)), "unknown") << c;
    EXPECT_STRNE(ouch_reject_reason_text(static_cast<uint8_t>(c)), "unknown reason") << c;
  }
  const std::string cancels = "UITSDQZCEHKX";
  for (char c : cancels)
    EXPECT_STRNE(ouch_cancel_reason_name(static_cast<uint8_t>(c)), "unknown") << c;
  size_t known_rejects = 0, known_cancels = 0;
  for (unsigned c = 0; c < 256; ++c) {
    known_rejects += std::string(ouch_reject_reason_name(static_cast<uint8_t>(c))) != "unknown";
    known_cancels += std::string(ouch_cancel_reason_name(static_cast<uint8_t>(c))) != "unknown";
  }
  EXPECT_EQ(known_rejects, rejects.size());
  EXPECT_EQ(known_cancels, cancels.size());
  EXPECT_STREQ(ouch_reject_reason_name('X'), "invalid_price");
  EXPECT_STREQ(ouch_reject_reason_name('O'), "other");
  EXPECT_STREQ(ouch_cancel_reason_name('U'), "user_requested");
  EXPECT_STREQ(to_string(OuchRejectReason::exceeded_shares_limit), "exceeded_shares_limit");
  EXPECT_EQ(static_cast<uint8_t>(OuchRejectReason::halted), 'H');
  EXPECT_EQ(static_cast<uint8_t>(OuchCancelReason::ioc_remainder), 'I');
}

TEST(Ouch42, ErrorNames) {
  EXPECT_STREQ(to_string(OeError::ouch_short), "ouch_short");
  EXPECT_STREQ(to_string(OeError::ufo_block_truncated), "ufo_block_truncated");
  for (size_t i = 0; i < kOeErrorCount; ++i) EXPECT_NE(std::string(kOeErrorDescriptions[i]), "");
  OeErrorCounters c;
  c.add(OeError::ouch_long, 2);
  c.add(OeError::ufo_empty);
  EXPECT_EQ(c[OeError::ouch_long], 2u);
  EXPECT_EQ(c.total(), 3u);
}

}  // namespace
}  // namespace sy::proto
