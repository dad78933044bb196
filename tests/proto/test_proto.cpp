// MoldUDP64 and ITCH 5.0 codecs against bytes written out by hand from docs protocols.md §1-2,
// never produced by the encoder under test; then round trips, every error reason, the
// canonical mapping, and the two reference captures of §6 decoded field by field.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "src/common/canonical_record.hpp"
#include "src/proto/itch50.hpp"
#include "src/proto/moldudp64.hpp"
#include "src/proto/proto_error.hpp"

namespace sy::proto {
namespace {

using Bytes = std::vector<uint8_t>;

// Big-endian byte writer, deliberately independent of src/net/wire.hpp and the encoders.
struct W {
  Bytes b;
  W& u8(uint8_t v) {
    b.push_back(v);
    return *this;
  }
  W& ch(char c) { return u8(static_cast<uint8_t>(c)); }
  W& be(uint64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  W& be16(uint64_t v) { return be(v, 2); }
  W& be32(uint64_t v) { return be(v, 4); }
  W& be48(uint64_t v) { return be(v, 6); }
  W& be64(uint64_t v) { return be(v, 8); }
  W& alpha(std::string_view s, size_t n) {
    for (size_t i = 0; i < n; ++i) b.push_back(static_cast<uint8_t>(i < s.size() ? s[i] : ' '));
    return *this;
  }
  W& raw(const Bytes& x) {
    b.insert(b.end(), x.begin(), x.end());
    return *this;
  }
  // Common ITCH header: type, locate, tracking, 48-bit timestamp.
  W& hdr(char type, uint16_t locate, uint16_t tracking, uint64_t ts) {
    return ch(type).be16(locate).be16(tracking).be48(ts);
  }
};

template <size_t N>
std::string str(const char (&a)[N]) {
  return std::string(a, N);
}

// Every byte distinct, so a swapped or shifted load cannot pass by accident.
constexpr uint16_t kLocate = 0x1A2B;
constexpr uint16_t kTracking = 0x3C4D;
constexpr uint64_t kTs = 0x4E94914EFFFFULL;  // 86,399.999999999 s: the largest real timestamp

ItchMessage decode_ok(const Bytes& b) {
  ItchMessage m{};
  ProtoError e{};
  EXPECT_TRUE(decode_itch(b.data(), b.size(), m, e)) << "error " << to_string(e);
  return m;
}

void expect_header(const ItchMessage& m, char type) {
  EXPECT_EQ(m.type, static_cast<uint8_t>(type));
  EXPECT_EQ(m.locate, kLocate);
  EXPECT_EQ(m.tracking, kTracking);
  EXPECT_EQ(m.timestamp_ns, kTs);
}

// One hand-built message per type, with the values the per-type tests check.
std::map<char, Bytes> hand_built() {
  std::map<char, Bytes> t;
  t['S'] = W{}.hdr('S', 0, kTracking, kTs).ch('O').b;
  t['R'] = W{}.hdr('R', kLocate, kTracking, kTs)
               .alpha("AAPL", 8)
               .ch('Q')
               .ch('N')
               .be32(0x01020304)
               .ch('Y')
               .ch('C')
               .alpha("Z", 2)
               .ch('P')
               .ch('N')
               .ch(' ')
               .ch('1')
               .ch('Y')
               .be32(0x05060708)
               .ch('N')
               .b;
  t['H'] =
      W{}.hdr('H', kLocate, kTracking, kTs).alpha("MSFT", 8).ch('T').ch('r').alpha("LUDP", 4).b;
  t['Y'] = W{}.hdr('Y', kLocate, kTracking, kTs).alpha("QQQ", 8).ch('1').b;
  t['L'] = W{}.hdr('L', kLocate, kTracking, kTs)
               .alpha("GSCO", 4)
               .alpha("IBM", 8)
               .ch('Y')
               .ch('N')
               .ch('A')
               .b;
  t['V'] = W{}.hdr('V', 0, kTracking, kTs)
               .be64(0x0102030405060708ULL)
               .be64(0x1112131415161718ULL)
               .be64(0x2122232425262728ULL)
               .b;
  t['W'] = W{}.hdr('W', 0, kTracking, kTs).ch('2').b;
  t['K'] = W{}.hdr('K', kLocate, kTracking, kTs)
               .alpha("NEWCO", 8)
               .be32(0x00008CA0)  // 36000 s = 10:00
               .ch('A')
               .be32(0x0001D4C0)
               .b;
  t['J'] = W{}.hdr('J', kLocate, kTracking, kTs)
               .alpha("TSLA", 8)
               .be32(0x01020304)
               .be32(0x05060708)
               .be32(0x090A0B0C)
               .be32(0x0D0E0F10)
               .b;
  t['h'] = W{}.hdr('h', kLocate, kTracking, kTs).alpha("AMZN", 8).ch('Q').ch('H').b;
  t['A'] = W{}.hdr('A', kLocate, kTracking, kTs)
               .be64(0x0102030405060708ULL)
               .ch('S')
               .be32(0xA1A2A3A4)
               .alpha("AAPL", 8)
               .be32(0x77359400)  // Price(4) maximum, 200,000.0000
               .b;
  t['F'] = W{}.hdr('F', kLocate, kTracking, kTs)
               .be64(0x1112131415161718ULL)
               .ch('B')
               .be32(0xB1B2B3B4)
               .alpha("ABCDEFGH", 8)
               .be32(0x001CEA58)
               .alpha("NSDQ", 4)
               .b;
  t['E'] = W{}.hdr('E', kLocate, kTracking, kTs)
               .be64(0x2122232425262728ULL)
               .be32(0xC1C2C3C4)
               .be64(0x3132333435363738ULL)
               .b;
  t['C'] = W{}.hdr('C', kLocate, kTracking, kTs)
               .be64(0x4142434445464748ULL)
               .be32(0xD1D2D3D4)
               .be64(0x5152535455565758ULL)
               .ch('N')
               .be32(0x00E1E2E3)
               .b;
  t['X'] = W{}.hdr('X', kLocate, kTracking, kTs).be64(0x6162636465666768ULL).be32(0xE1E2E3E4).b;
  t['D'] = W{}.hdr('D', kLocate, kTracking, kTs).be64(0x7172737475767778ULL).b;
  t['U'] = W{}.hdr('U', kLocate, kTracking, kTs)
               .be64(0x8182838485868788ULL)
               .be64(0x9192939495969798ULL)
               .be32(0xF1F2F3F4)
               .be32(0x00A1B2C3)
               .b;
  t['P'] = W{}.hdr('P', kLocate, kTracking, kTs)
               .be64(0)
               .ch('B')
               .be32(0x0A0B0C0D)
               .alpha("SPY", 8)
               .be32(0x00445566)
               .be64(0xA1A2A3A4A5A6A7A8ULL)
               .b;
  t['Q'] = W{}.hdr('Q', kLocate, kTracking, kTs)
               .be64(0x0000000123456789ULL)  // above 2^32-1: the 8-byte field is needed
               .alpha("NVDA", 8)
               .be32(0x00334455)
               .be64(0xB1B2B3B4B5B6B7B8ULL)
               .ch('C')
               .b;
  t['B'] = W{}.hdr('B', kLocate, kTracking, kTs).be64(0xC1C2C3C4C5C6C7C8ULL).b;
  t['I'] = W{}.hdr('I', kLocate, kTracking, kTs)
               .be64(0x0102030405060708ULL)
               .be64(0x1112131415161718ULL)
               .ch('S')
               .alpha("META", 8)
               .be32(0x00010203)
               .be32(0x00040506)
               .be32(0x00070809)
               .ch('O')
               .ch('A')
               .b;
  t['N'] = W{}.hdr('N', kLocate, kTracking, kTs).alpha("XYZ", 8).ch('A').b;
  t['O'] = W{}.hdr('O', kLocate, kTracking, kTs)
               .alpha("DLCR", 8)
               .ch('Y')
               .be32(0x00101112)
               .be32(0x00131415)
               .be32(0x00161718)
               .be64(0x0019202122232425ULL)
               .be32(0x00262728)
               .be32(0x00293031)
               .b;
  return t;
}

// ---------------------------------------------------------------- ITCH: length table

TEST(Itch, LengthTableMatchesSpec) {
  // §2.2, typed in again rather than read from the header.
  const std::map<char, size_t> spec = {
      {'S', 12}, {'R', 39}, {'H', 25}, {'Y', 20}, {'L', 26}, {'V', 35}, {'W', 12}, {'K', 28},
      {'J', 35}, {'h', 21}, {'A', 36}, {'F', 40}, {'E', 31}, {'C', 36}, {'X', 23}, {'D', 19},
      {'U', 35}, {'P', 44}, {'Q', 40}, {'B', 19}, {'I', 50}, {'N', 20}, {'O', 48}};
  EXPECT_EQ(spec.size(), kItchTypeCount);
  size_t known = 0;
  for (int c = 0; c < 256; ++c) {
    const auto it = spec.find(static_cast<char>(c));
    const size_t want = it == spec.end() ? 0 : it->second;
    EXPECT_EQ(itch_length(static_cast<uint8_t>(c)), want) << "type " << c;
    known += is_itch_type(static_cast<uint8_t>(c));
  }
  EXPECT_EQ(known, 23u);
  const auto all = hand_built();
  EXPECT_EQ(all.size(), 23u);
  for (const auto& [type, bytes] : all) EXPECT_EQ(bytes.size(), spec.at(type)) << type;
}

// ---------------------------------------------------------------- ITCH: one test per type

TEST(Itch, SystemEvent) {
  const auto m = decode_ok(hand_built()['S']);
  EXPECT_EQ(m.type, 'S');
  EXPECT_EQ(m.locate, 0);
  EXPECT_EQ(m.tracking, kTracking);
  EXPECT_EQ(m.timestamp_ns, kTs);
  EXPECT_EQ(m.event_code, 'O');
}

TEST(Itch, StockDirectory) {
  const auto m = decode_ok(hand_built()['R']);
  expect_header(m, 'R');
  EXPECT_EQ(str(m.stock), "AAPL    ");
  EXPECT_EQ(m.market_category, 'Q');
  EXPECT_EQ(m.financial_status, 'N');
  EXPECT_EQ(m.round_lot_size, 0x01020304u);
  EXPECT_EQ(m.round_lots_only, 'Y');
  EXPECT_EQ(m.issue_classification, 'C');
  EXPECT_EQ(str(m.issue_subtype), "Z ");
  EXPECT_EQ(m.authenticity, 'P');
  EXPECT_EQ(m.short_sale_threshold, 'N');
  EXPECT_EQ(m.ipo_flag, ' ');
  EXPECT_EQ(m.luld_tier, '1');
  EXPECT_EQ(m.etp_flag, 'Y');
  EXPECT_EQ(m.etp_leverage_factor, 0x05060708u);
  EXPECT_EQ(m.inverse_indicator, 'N');
}

TEST(Itch, TradingAction) {
  const auto m = decode_ok(hand_built()['H']);
  expect_header(m, 'H');
  EXPECT_EQ(str(m.stock), "MSFT    ");
  EXPECT_EQ(m.trading_state, 'T');
  EXPECT_EQ(m.reserved, 'r');
  EXPECT_EQ(str(m.reason), "LUDP");
}

TEST(Itch, RegSho) {
  const auto m = decode_ok(hand_built()['Y']);
  expect_header(m, 'Y');
  EXPECT_EQ(str(m.stock), "QQQ     ");
  EXPECT_EQ(m.reg_sho_action, '1');
}

TEST(Itch, MarketParticipantPosition) {
  const auto m = decode_ok(hand_built()['L']);
  expect_header(m, 'L');
  EXPECT_EQ(str(m.attribution), "GSCO");
  EXPECT_EQ(str(m.stock), "IBM     ");
  EXPECT_EQ(m.primary_market_maker, 'Y');
  EXPECT_EQ(m.market_maker_mode, 'N');
  EXPECT_EQ(m.market_participant_state, 'A');
}

TEST(Itch, MwcbDeclineLevel) {
  const auto m = decode_ok(hand_built()['V']);
  EXPECT_EQ(m.type, 'V');
  EXPECT_EQ(m.locate, 0);
  EXPECT_EQ(m.mwcb_level1, 0x0102030405060708ULL);
  EXPECT_EQ(m.mwcb_level2, 0x1112131415161718ULL);
  EXPECT_EQ(m.mwcb_level3, 0x2122232425262728ULL);
}

TEST(Itch, MwcbStatus) {
  const auto m = decode_ok(hand_built()['W']);
  EXPECT_EQ(m.type, 'W');
  EXPECT_EQ(m.timestamp_ns, kTs);
  EXPECT_EQ(m.breached_level, '2');
}

TEST(Itch, IpoQuotingPeriod) {
  const auto m = decode_ok(hand_built()['K']);
  expect_header(m, 'K');
  EXPECT_EQ(str(m.stock), "NEWCO   ");
  EXPECT_EQ(m.ipo_release_time, 36000u);
  EXPECT_EQ(m.ipo_release_qualifier, 'A');
  EXPECT_EQ(m.ipo_price, 120000u);
}

TEST(Itch, LuldAuctionCollar) {
  const auto m = decode_ok(hand_built()['J']);
  expect_header(m, 'J');
  EXPECT_EQ(str(m.stock), "TSLA    ");
  EXPECT_EQ(m.collar_reference_price, 0x01020304u);
  EXPECT_EQ(m.upper_collar_price, 0x05060708u);
  EXPECT_EQ(m.lower_collar_price, 0x090A0B0Cu);
  EXPECT_EQ(m.collar_extension, 0x0D0E0F10u);
}

TEST(Itch, OperationalHalt) {
  const auto m = decode_ok(hand_built()['h']);
  expect_header(m, 'h');
  EXPECT_EQ(str(m.stock), "AMZN    ");
  EXPECT_EQ(m.market_code, 'Q');
  EXPECT_EQ(m.halt_action, 'H');
}

TEST(Itch, AddOrder) {
  const auto m = decode_ok(hand_built()['A']);
  expect_header(m, 'A');
  EXPECT_EQ(m.order_ref, 0x0102030405060708ULL);
  EXPECT_EQ(m.side, 'S');
  EXPECT_EQ(m.shares, 0xA1A2A3A4u);
  EXPECT_EQ(str(m.stock), "AAPL    ");
  EXPECT_EQ(m.price, 2000000000u);
  EXPECT_EQ(str(m.attribution), std::string(4, '\0'));  // A carries no MPID
}

TEST(Itch, AddOrderMpid) {
  const auto m = decode_ok(hand_built()['F']);
  expect_header(m, 'F');
  EXPECT_EQ(m.order_ref, 0x1112131415161718ULL);
  EXPECT_EQ(m.side, 'B');
  EXPECT_EQ(m.shares, 0xB1B2B3B4u);
  EXPECT_EQ(str(m.stock), "ABCDEFGH");
  EXPECT_EQ(m.price, 1895000u);
  EXPECT_EQ(str(m.attribution), "NSDQ");
}

TEST(Itch, OrderExecuted) {
  const auto m = decode_ok(hand_built()['E']);
  expect_header(m, 'E');
  EXPECT_EQ(m.order_ref, 0x2122232425262728ULL);
  EXPECT_EQ(m.shares, 0xC1C2C3C4u);
  EXPECT_EQ(m.match_number, 0x3132333435363738ULL);
  EXPECT_EQ(m.price, 0u);
}

TEST(Itch, OrderExecutedWithPrice) {
  const auto m = decode_ok(hand_built()['C']);
  expect_header(m, 'C');
  EXPECT_EQ(m.order_ref, 0x4142434445464748ULL);
  EXPECT_EQ(m.shares, 0xD1D2D3D4u);
  EXPECT_EQ(m.match_number, 0x5152535455565758ULL);
  EXPECT_EQ(m.printable, 'N');
  EXPECT_EQ(m.price, 0x00E1E2E3u);
}

TEST(Itch, OrderCancel) {
  const auto m = decode_ok(hand_built()['X']);
  expect_header(m, 'X');
  EXPECT_EQ(m.order_ref, 0x6162636465666768ULL);
  EXPECT_EQ(m.shares, 0xE1E2E3E4u);
}

TEST(Itch, OrderDelete) {
  const auto m = decode_ok(hand_built()['D']);
  expect_header(m, 'D');
  EXPECT_EQ(m.order_ref, 0x7172737475767778ULL);
}

TEST(Itch, OrderReplace) {
  const auto m = decode_ok(hand_built()['U']);
  expect_header(m, 'U');
  EXPECT_EQ(m.order_ref, 0x8182838485868788ULL);
  EXPECT_EQ(m.new_order_ref, 0x9192939495969798ULL);
  EXPECT_EQ(m.shares, 0xF1F2F3F4u);
  EXPECT_EQ(m.price, 0x00A1B2C3u);
}

TEST(Itch, Trade) {
  const auto m = decode_ok(hand_built()['P']);
  expect_header(m, 'P');
  EXPECT_EQ(m.order_ref, 0u);
  EXPECT_EQ(m.side, 'B');
  EXPECT_EQ(m.shares, 0x0A0B0C0Du);
  EXPECT_EQ(str(m.stock), "SPY     ");
  EXPECT_EQ(m.price, 0x00445566u);
  EXPECT_EQ(m.match_number, 0xA1A2A3A4A5A6A7A8ULL);
}

TEST(Itch, CrossTrade) {
  const auto m = decode_ok(hand_built()['Q']);
  expect_header(m, 'Q');
  EXPECT_EQ(m.shares, 0x0000000123456789ULL);
  EXPECT_EQ(str(m.stock), "NVDA    ");
  EXPECT_EQ(m.price, 0x00334455u);
  EXPECT_EQ(m.match_number, 0xB1B2B3B4B5B6B7B8ULL);
  EXPECT_EQ(m.cross_type, 'C');
}

TEST(Itch, BrokenTrade) {
  const auto m = decode_ok(hand_built()['B']);
  expect_header(m, 'B');
  EXPECT_EQ(m.match_number, 0xC1C2C3C4C5C6C7C8ULL);
}

TEST(Itch, Noii) {
  const auto m = decode_ok(hand_built()['I']);
  expect_header(m, 'I');
  EXPECT_EQ(m.paired_shares, 0x0102030405060708ULL);
  EXPECT_EQ(m.imbalance_shares, 0x1112131415161718ULL);
  EXPECT_EQ(m.imbalance_direction, 'S');
  EXPECT_EQ(str(m.stock), "META    ");
  EXPECT_EQ(m.far_price, 0x00010203u);
  EXPECT_EQ(m.near_price, 0x00040506u);
  EXPECT_EQ(m.current_reference_price, 0x00070809u);
  EXPECT_EQ(m.cross_type, 'O');
  EXPECT_EQ(m.price_variation, 'A');
}

TEST(Itch, RetailPriceImprovement) {
  const auto m = decode_ok(hand_built()['N']);
  expect_header(m, 'N');
  EXPECT_EQ(str(m.stock), "XYZ     ");
  EXPECT_EQ(m.interest_flag, 'A');
}

TEST(Itch, DirectListingPriceDiscovery) {
  const auto m = decode_ok(hand_built()['O']);
  expect_header(m, 'O');
  EXPECT_EQ(str(m.stock), "DLCR    ");
  EXPECT_EQ(m.open_eligibility, 'Y');
  EXPECT_EQ(m.min_allowable_price, 0x00101112u);
  EXPECT_EQ(m.max_allowable_price, 0x00131415u);
  EXPECT_EQ(m.near_execution_price, 0x00161718u);
  EXPECT_EQ(m.near_execution_time, 0x0019202122232425ULL);
  EXPECT_EQ(m.lower_price_collar, 0x00262728u);
  EXPECT_EQ(m.upper_price_collar, 0x00293031u);
}

// ---------------------------------------------------------------- ITCH: round trips, errors

TEST(Itch, EncodeReproducesHandBuiltBytesAndRoundTrips) {
  for (const auto& [type, bytes] : hand_built()) {
    SCOPED_TRACE(std::string(1, type));
    const ItchMessage m = decode_ok(bytes);
    uint8_t out[kItchMaxLen + 8];
    std::memset(out, 0xEE, sizeof out);
    const size_t n = encode_itch(m, out, sizeof out);
    ASSERT_EQ(n, bytes.size());
    EXPECT_EQ(Bytes(out, out + n), bytes);
    EXPECT_EQ(out[n], 0xEE) << "wrote past the table length";
    EXPECT_EQ(decode_ok(Bytes(out, out + n)), m);
    EXPECT_EQ(encode(m, out, sizeof out), n);
    // Exactly the table length is enough; one byte less is refused without writing.
    EXPECT_EQ(encode_itch(m, out, n), n);
    std::memset(out, 0xEE, sizeof out);
    EXPECT_EQ(encode_itch(m, out, n - 1), 0u);
    EXPECT_EQ(out[0], 0xEE);
  }
}

TEST(Itch, EncodeFromFieldsRoundTrips) {
  ItchMessage m{};
  m.type = 'U';
  m.locate = 7;
  m.tracking = 9;
  m.timestamp_ns = 34200000000000ULL;
  m.order_ref = 11;
  m.new_order_ref = 12;
  m.shares = 100;
  m.price = 1234500;
  uint8_t out[64];
  ASSERT_EQ(encode_itch(m, out, sizeof out), 35u);
  EXPECT_EQ(decode_ok(Bytes(out, out + 35)), m);

  m.type = 'Z';
  EXPECT_EQ(encode_itch(m, out, sizeof out), 0u);
  m.type = 0;
  EXPECT_EQ(encode_itch(m, out, sizeof out), 0u);
}

TEST(Itch, LongerBlockDecodesKnownPrefix) {
  Bytes b = hand_built()['A'];
  const ItchMessage want = decode_ok(b);
  b.insert(b.end(), {0xDE, 0xAD, 0xBE, 0xEF});  // fields a later 5.0 revision might append
  EXPECT_EQ(decode_ok(b), want);
}

TEST(Itch, Errors) {
  ItchMessage m{};
  ProtoError e{};
  const uint8_t one = 'A';
  EXPECT_FALSE(decode_itch(&one, 0, m, e));
  EXPECT_EQ(e, ProtoError::itch_empty);
  EXPECT_FALSE(decode_itch(nullptr, 0, m, e));
  EXPECT_EQ(e, ProtoError::itch_empty);

  for (const uint8_t t : {uint8_t{'Z'}, uint8_t{'a'}, uint8_t{'s'}, uint8_t{0}, uint8_t{0xFF}}) {
    Bytes b(60, 0);
    b[0] = t;
    EXPECT_FALSE(decode_itch(b.data(), b.size(), m, e)) << int{t};
    EXPECT_EQ(e, ProtoError::itch_unknown_type);
  }

  for (const auto& [type, bytes] : hand_built()) {
    for (size_t len = 1; len < bytes.size(); ++len) {
      // A copy of exactly `len` bytes so ASan sees any read past it.
      const Bytes cut(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(len));
      EXPECT_FALSE(decode_itch(cut.data(), cut.size(), m, e)) << type << " len " << len;
      EXPECT_EQ(e, ProtoError::itch_short);
    }
  }

  ProtoErrorCounters c;
  const Bytes z = {'Z', 1, 2};
  EXPECT_FALSE(decode_itch(z.data(), z.size(), m, c));
  EXPECT_FALSE(decode_itch(z.data(), 1, m, c));
  EXPECT_FALSE(decode_itch(z.data(), 0, m, c));
  const Bytes a = {'A', 0, 1};
  EXPECT_FALSE(decode_itch(a.data(), a.size(), m, c));
  EXPECT_EQ(c[ProtoError::itch_unknown_type], 2u);
  EXPECT_EQ(c[ProtoError::itch_empty], 1u);
  EXPECT_EQ(c[ProtoError::itch_short], 1u);
  EXPECT_EQ(c.total(), 4u);
}

TEST(Itch, DecodeClearsFieldsOfThePreviousMessage) {
  ItchMessage m = decode_ok(hand_built()['R']);
  ProtoError e{};
  const Bytes d = hand_built()['D'];
  ASSERT_TRUE(decode_itch(d.data(), d.size(), m, e));
  ItchMessage want{};
  want.type = 'D';
  want.locate = kLocate;
  want.tracking = kTracking;
  want.timestamp_ns = kTs;
  want.order_ref = 0x7172737475767778ULL;
  EXPECT_EQ(m, want);
}

TEST(ProtoError, NamesFollowTheList) {
  EXPECT_STREQ(to_string(ProtoError::mold_short_header), "mold_short_header");
  EXPECT_STREQ(to_string(ProtoError::mold_block_truncated), "mold_block_truncated");
  EXPECT_STREQ(to_string(ProtoError::mold_trailing_bytes), "mold_trailing_bytes");
  EXPECT_STREQ(to_string(ProtoError::itch_empty), "itch_empty");
  EXPECT_STREQ(to_string(ProtoError::itch_unknown_type), "itch_unknown_type");
  EXPECT_STREQ(to_string(ProtoError::itch_short), "itch_short");
  for (size_t i = 0; i < kProtoErrorCount; ++i) {
    EXPECT_NE(std::string(kProtoErrorDescriptions[i]), "");
  }
}

// ---------------------------------------------------------------- canonical mapping

CanonicalRecord canon(char type) {
  CanonicalRecord r;
  std::memset(&r, 0xAB, sizeof r);  // everything the mapping does not set must come back 0
  EXPECT_TRUE(to_canonical(decode_ok(hand_built()[type]), r)) << type;
  return r;
}

void expect_common(const CanonicalRecord& r, char type, CanonicalKind kind) {
  EXPECT_EQ(r.itch_type, static_cast<uint8_t>(type));
  EXPECT_EQ(r.kind, kind);
  EXPECT_EQ(r.exchange_ns, kTs);
  EXPECT_EQ(r.rx_ns, 0u);
  EXPECT_EQ(r.sequence, 0u);
  EXPECT_EQ(r.feed, 0);
}

TEST(Canonical, OrderMessages) {
  auto r = canon('A');
  expect_common(r, 'A', CanonicalKind::add);
  EXPECT_EQ(r.locate, kLocate);
  EXPECT_EQ(r.order_ref, 0x0102030405060708ULL);
  EXPECT_EQ(r.side, 'S');
  EXPECT_EQ(r.shares, 0xA1A2A3A4u);
  EXPECT_EQ(r.price, 2000000000u);
  EXPECT_EQ(r.match_number, 0u);
  EXPECT_EQ(r.new_order_ref, 0u);
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.flags, 0);

  r = canon('F');
  expect_common(r, 'F', CanonicalKind::add);
  EXPECT_EQ(r.order_ref, 0x1112131415161718ULL);
  EXPECT_EQ(r.side, 'B');
  EXPECT_EQ(r.shares, 0xB1B2B3B4u);
  EXPECT_EQ(r.price, 1895000u);

  r = canon('E');
  expect_common(r, 'E', CanonicalKind::execute);
  EXPECT_EQ(r.order_ref, 0x2122232425262728ULL);
  EXPECT_EQ(r.shares, 0xC1C2C3C4u);
  EXPECT_EQ(r.match_number, 0x3132333435363738ULL);
  EXPECT_EQ(r.price, 0u);
  EXPECT_EQ(r.side, 0);

  r = canon('C');
  expect_common(r, 'C', CanonicalKind::execute_price);
  EXPECT_EQ(r.order_ref, 0x4142434445464748ULL);
  EXPECT_EQ(r.shares, 0xD1D2D3D4u);
  EXPECT_EQ(r.match_number, 0x5152535455565758ULL);
  EXPECT_EQ(r.price, 0x00E1E2E3u);
  EXPECT_EQ(r.code, 'N');

  r = canon('X');
  expect_common(r, 'X', CanonicalKind::cancel);
  EXPECT_EQ(r.order_ref, 0x6162636465666768ULL);
  EXPECT_EQ(r.shares, 0xE1E2E3E4u);

  r = canon('D');
  expect_common(r, 'D', CanonicalKind::delete_order);
  EXPECT_EQ(r.order_ref, 0x7172737475767778ULL);
  EXPECT_EQ(r.shares, 0u);

  r = canon('U');
  expect_common(r, 'U', CanonicalKind::replace);
  EXPECT_EQ(r.order_ref, 0x8182838485868788ULL);
  EXPECT_EQ(r.new_order_ref, 0x9192939495969798ULL);
  EXPECT_EQ(r.shares, 0xF1F2F3F4u);
  EXPECT_EQ(r.price, 0x00A1B2C3u);
}

TEST(Canonical, Trades) {
  auto r = canon('P');
  expect_common(r, 'P', CanonicalKind::trade);
  EXPECT_EQ(r.order_ref, 0u);
  EXPECT_EQ(r.side, 'B');
  EXPECT_EQ(r.shares, 0x0A0B0C0Du);
  EXPECT_EQ(r.price, 0x00445566u);
  EXPECT_EQ(r.match_number, 0xA1A2A3A4A5A6A7A8ULL);

  r = canon('Q');  // 0x123456789 shares: saturates
  expect_common(r, 'Q', CanonicalKind::cross);
  EXPECT_EQ(r.shares, UINT32_MAX);
  EXPECT_EQ(r.flags, kRecSharesSaturated);
  EXPECT_EQ(r.price, 0x00334455u);
  EXPECT_EQ(r.match_number, 0xB1B2B3B4B5B6B7B8ULL);
  EXPECT_EQ(r.code, 'C');

  ItchMessage q = decode_ok(hand_built()['Q']);
  for (const uint64_t shares : {uint64_t{0}, uint64_t{UINT32_MAX}}) {
    q.shares = shares;
    ASSERT_TRUE(to_canonical(q, r));
    EXPECT_EQ(r.shares, shares);
    EXPECT_EQ(r.flags, 0);
  }
  q.shares = uint64_t{UINT32_MAX} + 1;
  ASSERT_TRUE(to_canonical(q, r));
  EXPECT_EQ(r.shares, UINT32_MAX);
  EXPECT_EQ(r.flags, kRecSharesSaturated);

  r = canon('B');
  expect_common(r, 'B', CanonicalKind::broken_trade);
  EXPECT_EQ(r.match_number, 0xC1C2C3C4C5C6C7C8ULL);
}

TEST(Canonical, SessionAndOtherMessages) {
  auto r = canon('S');
  expect_common(r, 'S', CanonicalKind::system_event);
  EXPECT_EQ(r.code, 'O');
  EXPECT_EQ(r.locate, 0);

  r = canon('H');
  expect_common(r, 'H', CanonicalKind::trading_action);
  EXPECT_EQ(r.code, 'T');
  EXPECT_EQ(r.locate, kLocate);

  r = canon('R');
  expect_common(r, 'R', CanonicalKind::directory);
  EXPECT_EQ(r.locate, kLocate);
  EXPECT_EQ(r.shares, 0u);

  for (const char t : {'Y', 'L', 'V', 'W', 'K', 'J', 'h', 'I', 'N', 'O'}) {
    SCOPED_TRACE(std::string(1, t));
    r = canon(t);
    expect_common(r, t, CanonicalKind::other);
    EXPECT_EQ(r.order_ref, 0u);
    EXPECT_EQ(r.match_number, 0u);
    EXPECT_EQ(r.shares, 0u);
    EXPECT_EQ(r.price, 0u);
    EXPECT_EQ(r.side, 0);
    EXPECT_EQ(r.code, 0);
    EXPECT_EQ(r.flags, 0);
  }

  ItchMessage bad{};
  bad.type = 'Z';
  EXPECT_FALSE(to_canonical(bad, r));
}

// ---------------------------------------------------------------- MoldUDP64

const Bytes kSessionBytes = {'N', 'A', 'S', 'D', 'A', 'Q', '0', '0', '0', '1'};

W mold_header(uint64_t seq, uint16_t count) {
  W w;
  w.b = kSessionBytes;
  return w.be64(seq).be16(count);
}

W& block(W& w, const Bytes& msg) { return w.be16(msg.size()).raw(msg); }

TEST(Mold, Session) {
  const MoldSession a = make_mold_session("NASDAQ0001");
  EXPECT_EQ(std::memcmp(a.bytes, kSessionBytes.data(), 10), 0);
  EXPECT_EQ(to_string(a), "NASDAQ0001");
  const MoldSession padded = make_mold_session("AB");
  EXPECT_EQ(to_string(padded), "AB        ");
  EXPECT_EQ(to_string(make_mold_session("NASDAQ0001XYZ")), "NASDAQ0001");
  EXPECT_EQ(to_string(make_mold_session("")), std::string(10, ' '));

  // Raw comparison: a NUL or a trailing difference still makes a different session.
  MoldSession b = a;
  EXPECT_TRUE(a == b);
  b.bytes[9] = '2';
  EXPECT_FALSE(a == b);
  MoldSession n1{}, n2{};
  n2.bytes[5] = 'x';
  EXPECT_FALSE(n1 == n2);
  std::string nul10;
  for (int i = 0; i < 10; ++i) nul10 += "\\x00";
  EXPECT_EQ(to_string(n1), nul10);
}

TEST(Mold, DataPacketBlocks) {
  const auto t = hand_built();
  W w = mold_header(0x0102030405060708ULL, 3);
  block(w, t.at('A'));
  block(w, t.at('D'));
  block(w, t.at('S'));
  ProtoErrorCounters c;
  MoldReader r(w.b.data(), w.b.size(), c);
  ASSERT_TRUE(r.valid());
  EXPECT_EQ(r.kind(), MoldKind::data);
  EXPECT_TRUE(r.header().session == make_mold_session("NASDAQ0001"));
  EXPECT_EQ(r.header().sequence, 0x0102030405060708ULL);
  EXPECT_EQ(r.header().count, 3);

  MoldBlock b{};
  ASSERT_TRUE(r.next(b));
  EXPECT_EQ(b.len, 36);
  EXPECT_EQ(b.data, w.b.data() + 22);
  EXPECT_EQ(b.sequence, 0x0102030405060708ULL);
  ASSERT_TRUE(r.next(b));
  EXPECT_EQ(b.len, 19);
  EXPECT_EQ(b.data, w.b.data() + 22 + 36 + 2);
  EXPECT_EQ(b.sequence, 0x0102030405060709ULL);
  ASSERT_TRUE(r.next(b));
  EXPECT_EQ(b.len, 12);
  EXPECT_EQ(b.sequence, 0x010203040506070AULL);
  EXPECT_EQ(Bytes(b.data, b.data + b.len), t.at('S'));
  EXPECT_FALSE(r.next(b));
  EXPECT_FALSE(r.next(b));
  EXPECT_EQ(r.blocks_read(), 3);
  EXPECT_FALSE(r.truncated());
  EXPECT_EQ(r.messages_lost(), 0);
  EXPECT_EQ(r.trailing_bytes(), 0u);
  EXPECT_EQ(c.total(), 0u);
}

TEST(Mold, ShortHeader) {
  ProtoErrorCounters c;
  const W w = mold_header(5, 1);
  for (size_t len = 0; len < 20; ++len) {
    const Bytes cut(w.b.begin(), w.b.begin() + static_cast<ptrdiff_t>(len));
    MoldReader r(cut.data(), cut.size(), c);
    EXPECT_FALSE(r.valid());
    MoldBlock b{};
    EXPECT_FALSE(r.next(b));
  }
  EXPECT_EQ(c[ProtoError::mold_short_header], 20u);
  EXPECT_EQ(c.total(), 20u);
  MoldHeader h{};
  EXPECT_FALSE(parse_mold_header(w.b.data(), 19, h));
  EXPECT_TRUE(parse_mold_header(w.b.data(), 20, h));
}

TEST(Mold, TruncatedBlockData) {
  const auto t = hand_built();
  W w = mold_header(100, 4);
  block(w, t.at('D'));
  block(w, t.at('A'));
  w.b.resize(w.b.size() - 1);  // the A block's data runs past the packet by one byte
  ProtoErrorCounters c;
  MoldReader r(w.b.data(), w.b.size(), c);
  MoldBlock b{};
  ASSERT_TRUE(r.next(b));
  EXPECT_EQ(b.sequence, 100u);
  EXPECT_FALSE(r.next(b));
  EXPECT_FALSE(r.next(b));
  EXPECT_TRUE(r.truncated());
  EXPECT_EQ(r.blocks_read(), 1);
  EXPECT_EQ(r.messages_lost(), 3);
  EXPECT_EQ(c[ProtoError::mold_block_truncated], 1u);
  EXPECT_EQ(c.mold_messages_lost, 3u);
  EXPECT_EQ(c[ProtoError::mold_trailing_bytes], 0u);
}

TEST(Mold, TruncatedLengthField) {
  W w = mold_header(100, 2);
  block(w, hand_built().at('D'));
  w.u8(0x00);  // one byte of the second block's length field
  ProtoErrorCounters c;
  MoldReader r(w.b.data(), w.b.size(), c);
  MoldBlock b{};
  ASSERT_TRUE(r.next(b));
  EXPECT_FALSE(r.next(b));
  EXPECT_TRUE(r.truncated());
  EXPECT_EQ(r.messages_lost(), 1);
  EXPECT_EQ(c[ProtoError::mold_block_truncated], 1u);
  EXPECT_EQ(c.mold_messages_lost, 1u);

  // A header announcing blocks with nothing after it loses them all.
  const W empty = mold_header(7, 5);
  MoldReader r2(empty.b.data(), empty.b.size(), c);
  EXPECT_FALSE(r2.next(b));
  EXPECT_EQ(r2.messages_lost(), 5);
  EXPECT_EQ(c[ProtoError::mold_block_truncated], 2u);
  EXPECT_EQ(c.mold_messages_lost, 6u);
}

TEST(Mold, TrailingBytesStillDeliversBlocks) {
  W w = mold_header(9, 1);
  block(w, hand_built().at('D'));
  w.u8(1).u8(2).u8(3);
  ProtoErrorCounters c;
  MoldReader r(w.b.data(), w.b.size(), c);
  MoldBlock b{};
  ASSERT_TRUE(r.next(b));
  EXPECT_EQ(b.len, 19);
  EXPECT_EQ(c.total(), 0u);  // not known until the last announced block has been passed
  EXPECT_FALSE(r.next(b));
  EXPECT_FALSE(r.next(b));
  EXPECT_EQ(r.trailing_bytes(), 3u);
  EXPECT_FALSE(r.truncated());
  EXPECT_EQ(c[ProtoError::mold_trailing_bytes], 1u);
  EXPECT_EQ(c.total(), 1u);
}

TEST(Mold, BadMessagesAreSkippedAndTheRestDecoded) {
  const auto t = hand_built();
  Bytes short_a = t.at('A');
  short_a.resize(30);
  W w = mold_header(500, 6);
  block(w, t.at('A'));
  block(w, {});                    // itch_empty
  block(w, {'Z', 0, 1, 2, 3, 4});  // itch_unknown_type
  block(w, short_a);               // itch_short
  block(w, t.at('D'));
  Bytes long_e = t.at('E');
  long_e.push_back(0x55);
  block(w, long_e);  // longer than the table: decoded from its known prefix

  ProtoErrorCounters c;
  MoldReader r(w.b.data(), w.b.size(), c);
  std::vector<std::pair<uint64_t, char>> decoded;
  for (MoldBlock b; r.next(b);) {
    ItchMessage m{};
    if (decode_itch(b.data, b.len, m, c)) decoded.emplace_back(b.sequence, m.type);
  }
  const std::vector<std::pair<uint64_t, char>> want = {{500, 'A'}, {504, 'D'}, {505, 'E'}};
  EXPECT_EQ(decoded, want);
  EXPECT_EQ(c[ProtoError::itch_empty], 1u);
  EXPECT_EQ(c[ProtoError::itch_unknown_type], 1u);
  EXPECT_EQ(c[ProtoError::itch_short], 1u);
  EXPECT_EQ(c.total(), 3u);
  EXPECT_EQ(r.blocks_read(), 6);
}

TEST(Mold, HeartbeatAndEndOfSession) {
  ProtoErrorCounters c;
  const W hb = mold_header(2023, 0);
  MoldReader r(hb.b.data(), hb.b.size(), c);
  ASSERT_TRUE(r.valid());
  EXPECT_EQ(r.kind(), MoldKind::heartbeat);
  EXPECT_EQ(r.header().sequence, 2023u);
  MoldBlock b{};
  EXPECT_FALSE(r.next(b));

  const W eos = mold_header(2023, 0xFFFF);
  MoldReader r2(eos.b.data(), eos.b.size(), c);
  ASSERT_TRUE(r2.valid());
  EXPECT_EQ(r2.kind(), MoldKind::end_of_session);
  EXPECT_EQ(r2.header().count, 0xFFFF);
  EXPECT_FALSE(r2.next(b));
  EXPECT_FALSE(r2.truncated());
  EXPECT_EQ(c.total(), 0u);

  // Anything after a heartbeat or end of session is trailing: counted once, at construction.
  W eos_extra = mold_header(2023, 0xFFFF);
  eos_extra.u8(0);
  MoldReader r3(eos_extra.b.data(), eos_extra.b.size(), c);
  EXPECT_EQ(r3.trailing_bytes(), 1u);
  EXPECT_FALSE(r3.next(b));
  W hb_extra = mold_header(1, 0);
  block(hb_extra, hand_built().at('D'));
  MoldReader r4(hb_extra.b.data(), hb_extra.b.size(), c);
  EXPECT_FALSE(r4.next(b));
  EXPECT_EQ(r4.trailing_bytes(), 21u);
  EXPECT_EQ(c[ProtoError::mold_trailing_bytes], 2u);
  EXPECT_EQ(c.total(), 2u);
}

TEST(Mold, BuildPacketMatchesHandBuiltBytes) {
  const auto t = hand_built();
  W want = mold_header(1000, 3);
  block(want, t.at('A'));
  block(want, {});
  block(want, t.at('S'));
  const std::span<const uint8_t> msgs[] = {t.at('A'), {}, t.at('S')};
  uint8_t out[256];
  const MoldSession s = make_mold_session("NASDAQ0001");
  const size_t n = build_mold_packet(out, sizeof out, s, 1000, msgs);
  ASSERT_EQ(n, want.b.size());
  EXPECT_EQ(Bytes(out, out + n), want.b);
  // Exactly enough room works; one byte less builds nothing.
  EXPECT_EQ(build_mold_packet(out, n, s, 1000, msgs), n);
  EXPECT_EQ(build_mold_packet(out, n - 1, s, 1000, msgs), 0u);
  EXPECT_EQ(build_mold_packet(out, 19, s, 1000, {}), 0u);
  // No messages: a heartbeat.
  EXPECT_EQ(build_mold_packet(out, sizeof out, s, 77, {}), 20u);
  EXPECT_EQ(Bytes(out, out + 20), mold_header(77, 0).b);

  EXPECT_EQ(build_mold_heartbeat(out, sizeof out, s, 2023), 20u);
  EXPECT_EQ(Bytes(out, out + 20), mold_header(2023, 0).b);
  EXPECT_EQ(build_mold_end_of_session(out, sizeof out, s, 2023), 20u);
  EXPECT_EQ(Bytes(out, out + 20), mold_header(2023, 0xFFFF).b);
  EXPECT_EQ(build_mold_heartbeat(out, 19, s, 1), 0u);
  EXPECT_EQ(build_mold_end_of_session(out, 19, s, 1), 0u);
}

TEST(Mold, BuildRejectsWhatCannotBeFramed) {
  const MoldSession s = make_mold_session("S");
  std::vector<uint8_t> big(70000);
  const std::span<const uint8_t> too_long[] = {big};
  std::vector<uint8_t> out(80000);
  EXPECT_EQ(build_mold_packet(out.data(), out.size(), s, 1, too_long), 0u);

  // 0xFFFF blocks would read as end of session.
  std::vector<std::span<const uint8_t>> many(0xFFFF);
  out.assign(20 + 2 * 0xFFFF, 0);
  EXPECT_EQ(build_mold_packet(out.data(), out.size(), s, 1, many), 0u);
  many.pop_back();
  EXPECT_EQ(build_mold_packet(out.data(), out.size(), s, 1, many), 20u + 2 * 0xFFFE);
}

TEST(Mold, WriterStopsAtWholeMessages) {
  const auto t = hand_built();
  uint8_t buf[20 + 38 + 21 + 5];
  const MoldSession s = make_mold_session("NASDAQ0001");
  MoldWriter w(buf, sizeof buf, s, 42);
  EXPECT_TRUE(w.add_message(t.at('A')));
  EXPECT_TRUE(w.add_message(t.at('D')));
  EXPECT_EQ(w.room(), 3u);
  EXPECT_FALSE(w.add_message(t.at('S')));  // 14 bytes with its length field: 5 left
  uint8_t* p = w.add_block(3);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(w.add_block(0), nullptr);
  EXPECT_EQ(w.count(), 3);
  const size_t n = w.finish();
  EXPECT_EQ(n, sizeof buf);

  ProtoErrorCounters c;
  MoldReader r(buf, n, c);
  MoldBlock b{};
  ASSERT_TRUE(r.next(b));
  EXPECT_EQ(Bytes(b.data, b.data + b.len), t.at('A'));
  ASSERT_TRUE(r.next(b));
  EXPECT_EQ(Bytes(b.data, b.data + b.len), t.at('D'));
  EXPECT_EQ(b.sequence, 43u);
  ASSERT_TRUE(r.next(b));
  EXPECT_EQ(b.len, 3);
  EXPECT_FALSE(r.next(b));
  EXPECT_EQ(c.total(), 0u);

  uint8_t tiny[10];
  MoldWriter none(tiny, sizeof tiny, s, 1);
  EXPECT_EQ(none.add_block(0), nullptr);
  EXPECT_EQ(none.finish(), 0u);
}

TEST(Mold, Request) {
  W want;
  want.b = kSessionBytes;
  want.be64(0x0102030405060708ULL).be16(0xA1B2);
  MoldRequest req{make_mold_session("NASDAQ0001"), 0x0102030405060708ULL, 0xA1B2};
  uint8_t out[32];
  ASSERT_EQ(build_mold_request(out, sizeof out, req), 20u);
  EXPECT_EQ(Bytes(out, out + 20), want.b);
  EXPECT_EQ(build_mold_request(out, 19, req), 0u);

  MoldRequest got{};
  ASSERT_TRUE(parse_mold_request(want.b.data(), want.b.size(), got));
  EXPECT_TRUE(got.session == req.session);
  EXPECT_EQ(got.sequence, req.sequence);
  EXPECT_EQ(got.count, req.count);

  ProtoErrorCounters c;
  EXPECT_FALSE(parse_mold_request(want.b.data(), 19, got, c));
  W longer = want;
  longer.u8(0);
  EXPECT_FALSE(parse_mold_request(longer.b.data(), longer.b.size(), got, c));
  EXPECT_TRUE(parse_mold_request(want.b.data(), want.b.size(), got, c));
  EXPECT_EQ(c[ProtoError::mold_request_bad_length], 2u);
}

// ---------------------------------------------------------------- referee: reference captures

// Classic pcap (either byte order, µs or ns magic), Ethernet (optionally one 802.1Q tag), IPv4,
// UDP: returns the UDP payloads, trimmed by the UDP length so Ethernet padding is dropped.
struct Datagram {
  Bytes payload;
  uint32_t src_ip = 0;
  uint32_t dst_ip = 0;
  uint16_t dst_port = 0;
};

std::vector<Datagram> read_pcap_udp(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  const Bytes file((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_GE(file.size(), 24u) << path;
  if (file.size() < 24) return {};
  const uint32_t magic_le = uint32_t{file[0]} | uint32_t{file[1]} << 8 | uint32_t{file[2]} << 16 |
                            uint32_t{file[3]} << 24;
  bool swapped;  // true: the file is big-endian
  if (magic_le == 0xA1B2C3D4 || magic_le == 0xA1B23C4D) {
    swapped = false;
  } else if (magic_le == 0xD4C3B2A1 || magic_le == 0x4D3CB2A1) {
    swapped = true;
  } else {
    ADD_FAILURE() << "not a classic pcap: " << path;
    return {};
  }
  auto u32 = [&](size_t at) {
    const uint8_t* p = file.data() + at;
    return swapped ? uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3]
                   : uint32_t{p[3]} << 24 | uint32_t{p[2]} << 16 | uint32_t{p[1]} << 8 | p[0];
  };
  auto be16 = [](const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); };
  auto be32 = [](const uint8_t* p) {
    return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
  };
  EXPECT_EQ(u32(20), 1u) << "link type must be Ethernet";

  std::vector<Datagram> out;
  size_t at = 24;
  while (at + 16 <= file.size()) {
    const uint32_t caplen = u32(at + 8);
    at += 16;
    if (at + caplen > file.size()) {
      ADD_FAILURE() << "truncated record";
      break;
    }
    const uint8_t* fr = file.data() + at;
    at += caplen;
    size_t l2 = 14;
    if (caplen < l2) continue;
    uint16_t ethertype = be16(fr + 12);
    if (ethertype == 0x8100 && caplen >= 18) {
      ethertype = be16(fr + 16);
      l2 = 18;
    }
    if (ethertype != 0x0800 || caplen < l2 + 20) continue;
    const uint8_t* ip = fr + l2;
    const size_t ihl = size_t{ip[0] & 0x0Fu} * 4;
    if ((ip[0] >> 4) != 4 || ihl < 20 || ip[9] != 17 || caplen < l2 + ihl + 8) continue;
    const uint8_t* udp = ip + ihl;
    const size_t udp_len = be16(udp + 4);
    EXPECT_GE(udp_len, 8u);
    EXPECT_LE(l2 + ihl + udp_len, caplen) << "snapped datagram";
    if (udp_len < 8 || l2 + ihl + udp_len > caplen) continue;
    Datagram d;
    d.payload.assign(udp + 8, udp + udp_len);
    d.src_ip = be32(ip + 12);
    d.dst_ip = be32(ip + 16);
    d.dst_port = be16(udp + 2);
    out.push_back(std::move(d));
  }
  return out;
}

// The capture's path, or empty after GTEST_SKIP / a failure (CI=true must have the material).
std::filesystem::path capture(const char* name) {
  const char* shared = std::getenv("SY_SHARED_DIR");
  const char* ci = std::getenv("CI");
  const bool in_ci = ci != nullptr && std::string_view(ci) == "true";
  std::filesystem::path p;
  if (shared != nullptr) p = std::filesystem::path(shared) / "captures" / name;
  if (shared == nullptr || !std::filesystem::exists(p)) {
    if (in_ci) {
      ADD_FAILURE() << "CI=true but reference capture missing: "
                    << (shared == nullptr ? std::string("SY_SHARED_DIR not set") : p.string());
    }
    return {};
  }
  return p;
}

#define SY_CAPTURE_OR_SKIP(var, name)                                                  \
  const std::filesystem::path var = capture(name);                                     \
  if (var.empty()) {                                                                   \
    if (HasFailure()) return;                                                          \
    GTEST_SKIP() << "SY_SHARED_DIR/captures/" name " not found (set CI=true to fail)"; \
  }

// §6: session NASDAQ0001, seq 1000, msglen 36, A, locate 42, 34200123456789 ns,
// ORN 1234567890123, B, 300, AAPL, 1895000.
TEST(Referee, AddOrderCapture) {
  SY_CAPTURE_OR_SKIP(path, "moldudp64_itch50_add.pcap");
  const auto dgrams = read_pcap_udp(path);
  ASSERT_EQ(dgrams.size(), 1u);
  EXPECT_EQ(dgrams[0].dst_port, 26400);
  const Bytes& p = dgrams[0].payload;
  ProtoErrorCounters c;
  MoldReader r(p.data(), p.size(), c);
  ASSERT_TRUE(r.valid());
  EXPECT_EQ(to_string(r.header().session), "NASDAQ0001");
  EXPECT_EQ(r.header().sequence, 1000u);
  EXPECT_EQ(r.kind(), MoldKind::data);
  EXPECT_EQ(r.header().count, 1);
  MoldBlock b{};
  ASSERT_TRUE(r.next(b));
  EXPECT_EQ(b.len, 36);
  EXPECT_EQ(b.sequence, 1000u);
  ItchMessage m{};
  ASSERT_TRUE(decode_itch(b.data, b.len, m, c));
  EXPECT_EQ(m.type, 'A');
  EXPECT_EQ(m.locate, 42);
  EXPECT_EQ(m.timestamp_ns, 34200123456789ULL);  // 09:30:00.123456789
  EXPECT_EQ(m.order_ref, 1234567890123ULL);
  EXPECT_EQ(m.side, 'B');
  EXPECT_EQ(m.shares, 300u);
  EXPECT_EQ(str(m.stock), "AAPL    ");
  EXPECT_EQ(m.price, 1895000u);
  EXPECT_FALSE(r.next(b));
  EXPECT_EQ(c.total(), 0u);

  CanonicalRecord rec{};
  ASSERT_TRUE(to_canonical(m, rec));
  EXPECT_EQ(rec.kind, CanonicalKind::add);
  EXPECT_EQ(rec.order_ref, 1234567890123ULL);
  EXPECT_EQ(rec.exchange_ns, 34200123456789ULL);
  EXPECT_EQ(rec.price, 1895000u);
  EXPECT_EQ(rec.shares, 300u);
  EXPECT_EQ(rec.side, 'B');
  EXPECT_EQ(rec.locate, 42);

  // Byte-exact re-encoding of the reference message and packet.
  uint8_t enc[kItchMaxLen];
  ASSERT_EQ(encode_itch(m, enc, sizeof enc), 36u);
  EXPECT_EQ(Bytes(enc, enc + 36), Bytes(b.data, b.data + 36));
  const std::span<const uint8_t> msgs[] = {std::span<const uint8_t>(enc, 36)};
  uint8_t pkt[128];
  const size_t n = build_mold_packet(pkt, sizeof pkt, r.header().session, 1000, msgs);
  EXPECT_EQ(Bytes(pkt, pkt + n), p);
}

// §6: all 23 ITCH 5.0 types, then a heartbeat, an end of session and a re-request. The
// expected field values were read with tshark and protocols.md's itch50.lua (§6 commands).
TEST(Referee, AllTypesCapture) {
  SY_CAPTURE_OR_SKIP(path, "moldudp64_itch50_all.pcap");
  const auto dgrams = read_pcap_udp(path);
  ASSERT_EQ(dgrams.size(), 5u);
  ProtoErrorCounters c;
  const MoldSession nasdaq1 = make_mold_session("NASDAQ0001");

  std::map<char, ItchMessage> seen;
  std::string order;
  const struct {
    uint64_t seq;
    uint16_t count;
  } data_packets[] = {{2000, 12}, {2012, 11}};
  for (size_t i = 0; i < 2; ++i) {
    const Bytes& p = dgrams[i].payload;
    MoldReader r(p.data(), p.size(), c);
    ASSERT_TRUE(r.valid());
    EXPECT_TRUE(r.header().session == nasdaq1);
    EXPECT_EQ(r.kind(), MoldKind::data);
    EXPECT_EQ(r.header().sequence, data_packets[i].seq);
    EXPECT_EQ(r.header().count, data_packets[i].count);
    uint64_t want_seq = data_packets[i].seq;
    for (MoldBlock b; r.next(b);) {
      EXPECT_EQ(b.sequence, want_seq++);
      ItchMessage m{};
      ASSERT_TRUE(decode_itch(b.data, b.len, m, c));
      EXPECT_EQ(b.len, itch_length(m.type)) << m.type;
      // Every field of every type survives a byte-exact re-encode.
      uint8_t enc[kItchMaxLen];
      ASSERT_EQ(encode_itch(m, enc, sizeof enc), b.len);
      EXPECT_EQ(Bytes(enc, enc + b.len), Bytes(b.data, b.data + b.len)) << m.type;
      CanonicalRecord rec{};
      EXPECT_TRUE(to_canonical(m, rec));
      order.push_back(static_cast<char>(m.type));
      seen[static_cast<char>(m.type)] = m;
    }
    EXPECT_EQ(r.blocks_read(), data_packets[i].count);
  }
  EXPECT_EQ(order, "SRHYLVWKJhAFECXDUPQBINO");
  EXPECT_EQ(seen.size(), 23u);
  EXPECT_EQ(c.total(), 0u);

  // The generator's pattern: locate 42, tracking 7, timestamp 34200123456789 + type letter.
  for (const auto& [t, m] : seen) {
    EXPECT_EQ(m.locate, 42) << t;
    EXPECT_EQ(m.tracking, 7) << t;
    EXPECT_EQ(m.timestamp_ns, 34200123456789ULL + static_cast<uint8_t>(t)) << t;
  }
  const uint64_t orn = 9223372036854780808ULL;  // 2^63 + 5000
  auto& S = seen['S'];
  EXPECT_EQ(S.event_code, 'F');
  auto& R = seen['R'];
  EXPECT_EQ(str(R.stock), "AAPL    ");
  EXPECT_EQ(R.market_category, 'G');
  EXPECT_EQ(R.financial_status, 'H');
  EXPECT_EQ(R.round_lot_size, 2147491648u);
  EXPECT_EQ(R.round_lots_only, 'J');
  EXPECT_EQ(R.issue_classification, 'K');
  EXPECT_EQ(str(R.issue_subtype), "L ");
  EXPECT_EQ(R.authenticity, 'M');
  EXPECT_EQ(R.short_sale_threshold, 'N');
  EXPECT_EQ(R.ipo_flag, 'O');
  EXPECT_EQ(R.luld_tier, 'P');
  EXPECT_EQ(R.etp_flag, 'Q');
  EXPECT_EQ(R.etp_leverage_factor, 2147500648u);
  EXPECT_EQ(R.inverse_indicator, 'S');
  auto& H = seen['H'];
  EXPECT_EQ(str(H.stock), "AAPL    ");
  EXPECT_EQ(H.trading_state, 'G');
  EXPECT_EQ(H.reserved, 'H');
  EXPECT_EQ(str(H.reason), "T1  ");
  EXPECT_EQ(str(seen['Y'].stock), "AAPL    ");
  EXPECT_EQ(seen['Y'].reg_sho_action, 'G');
  auto& L = seen['L'];
  EXPECT_EQ(str(L.attribution), "NSDQ");
  EXPECT_EQ(str(L.stock), "AAPL    ");
  EXPECT_EQ(L.primary_market_maker, 'H');
  EXPECT_EQ(L.market_maker_mode, 'I');
  EXPECT_EQ(L.market_participant_state, 'J');
  auto& V = seen['V'];
  EXPECT_EQ(V.mwcb_level1, 123456789017ULL);
  EXPECT_EQ(V.mwcb_level2, 123456789018ULL);
  EXPECT_EQ(V.mwcb_level3, 123456789019ULL);
  EXPECT_EQ(seen['W'].breached_level, 'F');
  auto& K = seen['K'];
  EXPECT_EQ(str(K.stock), "AAPL    ");
  EXPECT_EQ(K.ipo_release_time, 2147489648u);
  EXPECT_EQ(K.ipo_release_qualifier, 'H');
  EXPECT_EQ(K.ipo_price, 1895008u);
  auto& J = seen['J'];
  EXPECT_EQ(str(J.stock), "AAPL    ");
  EXPECT_EQ(J.collar_reference_price, 1895006u);
  EXPECT_EQ(J.upper_collar_price, 1895007u);
  EXPECT_EQ(J.lower_collar_price, 1895008u);
  EXPECT_EQ(J.collar_extension, 2147492648u);
  auto& h = seen['h'];
  EXPECT_EQ(str(h.stock), "AAPL    ");
  EXPECT_EQ(h.market_code, 'G');
  EXPECT_EQ(h.halt_action, 'H');
  for (const char t : {'A', 'F'}) {
    auto& m = seen[t];
    EXPECT_EQ(m.order_ref, orn) << t;
    EXPECT_EQ(m.side, 'G') << t;
    EXPECT_EQ(m.shares, 2147490648u) << t;
    EXPECT_EQ(str(m.stock), "AAPL    ") << t;
    EXPECT_EQ(m.price, 1895009u) << t;
  }
  EXPECT_EQ(str(seen['F'].attribution), "NSDQ");
  auto& E = seen['E'];
  EXPECT_EQ(E.order_ref, orn);
  EXPECT_EQ(E.shares, 2147489648u);
  EXPECT_EQ(E.match_number, 9223372036854782808ULL);
  auto& C = seen['C'];
  EXPECT_EQ(C.order_ref, orn);
  EXPECT_EQ(C.shares, 2147489648u);
  EXPECT_EQ(C.match_number, 9223372036854782808ULL);
  EXPECT_EQ(C.printable, 'I');
  EXPECT_EQ(C.price, 1895009u);
  EXPECT_EQ(seen['X'].order_ref, orn);
  EXPECT_EQ(seen['X'].shares, 2147489648u);
  EXPECT_EQ(seen['D'].order_ref, orn);
  auto& U = seen['U'];
  EXPECT_EQ(U.order_ref, orn);
  EXPECT_EQ(U.new_order_ref, 9223372036854781808ULL);
  EXPECT_EQ(U.shares, 2147490648u);
  EXPECT_EQ(U.price, 1895008u);
  auto& P = seen['P'];
  EXPECT_EQ(P.order_ref, orn);
  EXPECT_EQ(P.side, 'G');
  EXPECT_EQ(P.shares, 2147490648u);
  EXPECT_EQ(str(P.stock), "AAPL    ");
  EXPECT_EQ(P.price, 1895009u);
  EXPECT_EQ(P.match_number, 9223372036854785808ULL);
  auto& Q = seen['Q'];
  EXPECT_EQ(Q.shares, orn);
  EXPECT_EQ(str(Q.stock), "AAPL    ");
  EXPECT_EQ(Q.price, 1895007u);
  EXPECT_EQ(Q.match_number, 9223372036854783808ULL);
  EXPECT_EQ(Q.cross_type, 'J');
  CanonicalRecord qrec{};
  ASSERT_TRUE(to_canonical(Q, qrec));
  EXPECT_EQ(qrec.shares, UINT32_MAX);  // 2^63 + 5000 shares: saturated
  EXPECT_EQ(qrec.flags, kRecSharesSaturated);
  EXPECT_EQ(qrec.code, 'J');
  EXPECT_EQ(seen['B'].match_number, orn);
  auto& I = seen['I'];
  EXPECT_EQ(I.paired_shares, orn);
  EXPECT_EQ(I.imbalance_shares, 9223372036854781808ULL);
  EXPECT_EQ(I.imbalance_direction, 'H');
  EXPECT_EQ(str(I.stock), "AAPL    ");
  EXPECT_EQ(I.far_price, 1895009u);
  EXPECT_EQ(I.near_price, 1895010u);
  EXPECT_EQ(I.current_reference_price, 1895011u);
  EXPECT_EQ(I.cross_type, 'M');
  EXPECT_EQ(I.price_variation, 'N');
  EXPECT_EQ(str(seen['N'].stock), "AAPL    ");
  EXPECT_EQ(seen['N'].interest_flag, 'G');
  auto& O = seen['O'];
  EXPECT_EQ(str(O.stock), "AAPL    ");
  EXPECT_EQ(O.open_eligibility, 'G');
  EXPECT_EQ(O.min_allowable_price, 1895007u);
  EXPECT_EQ(O.max_allowable_price, 1895008u);
  EXPECT_EQ(O.near_execution_price, 1895009u);
  EXPECT_EQ(O.near_execution_time, 9223372036854785808ULL);
  EXPECT_EQ(O.lower_price_collar, 1895011u);
  EXPECT_EQ(O.upper_price_collar, 1895012u);

  // Heartbeat and end of session: both carry the next expected sequence, 2023.
  {
    const Bytes& p = dgrams[2].payload;
    MoldReader r(p.data(), p.size(), c);
    ASSERT_TRUE(r.valid());
    EXPECT_EQ(r.kind(), MoldKind::heartbeat);
    EXPECT_TRUE(r.header().session == nasdaq1);
    EXPECT_EQ(r.header().sequence, 2023u);
    EXPECT_EQ(p.size(), 20u);
  }
  {
    const Bytes& p = dgrams[3].payload;
    MoldReader r(p.data(), p.size(), c);
    ASSERT_TRUE(r.valid());
    EXPECT_EQ(r.kind(), MoldKind::end_of_session);
    EXPECT_TRUE(r.header().session == nasdaq1);
    EXPECT_EQ(r.header().sequence, 2023u);
    EXPECT_EQ(p.size(), 20u);
  }
  // The re-request: unicast from the listener (10.0.0.9) to the feed's source (10.0.0.1); only
  // the direction tells it from a downstream packet.
  {
    EXPECT_EQ(dgrams[4].src_ip, 0x0A000009u);
    EXPECT_EQ(dgrams[4].dst_ip, 0x0A000001u);
    const Bytes& p = dgrams[4].payload;
    MoldRequest req{};
    ASSERT_TRUE(parse_mold_request(p.data(), p.size(), req, c));
    EXPECT_TRUE(req.session == nasdaq1);
    EXPECT_EQ(req.sequence, 2003u);
    EXPECT_EQ(req.count, 5);
    uint8_t out[20];
    ASSERT_EQ(build_mold_request(out, sizeof out, req), 20u);
    EXPECT_EQ(Bytes(out, out + 20), p);
  }
  EXPECT_EQ(c.total(), 0u);
}

}  // namespace
}  // namespace sy::proto

namespace sy::proto {
namespace {

// decode_canonical (the hot path) against decode_itch + to_canonical, for every type, every
// truncation, and random bytes behind every type letter.
TEST(Itch, DirectCanonicalDecodeEqualsTheTwoStepPath) {
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  auto next = [&] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  size_t compared = 0;
  for (size_t t = 0; t < kItchTypeCount; ++t) {
    const uint8_t type = static_cast<uint8_t>(kItchTypeLetters[t]);
    for (int trial = 0; trial < 200; ++trial) {
      uint8_t buf[64];
      for (auto& b : buf) b = static_cast<uint8_t>(next());
      buf[0] = type;
      const size_t len = trial < 60 ? static_cast<size_t>(trial) : itch_length(type) + trial % 3;
      ItchMessage m;
      ProtoError e1{}, e2{};
      const bool ok1 = decode_itch(buf, len, m, e1);
      alignas(64) CanonicalRecord direct, via;
      const uint8_t* stock = nullptr;
      const bool ok2 = decode_canonical(buf, len, direct, stock, e2);
      ASSERT_EQ(ok1, ok2) << char(type) << " len " << len;
      if (!ok1) {
        EXPECT_EQ(e1, e2) << char(type) << " len " << len;
        continue;
      }
      ASSERT_TRUE(to_canonical(m, via));
      EXPECT_EQ(0, std::memcmp(&direct, &via, sizeof via)) << char(type) << " len " << len;
      EXPECT_EQ(stock != nullptr, type == 'R');
      if (type == 'R') {
        EXPECT_EQ(stock, buf + 11);
      }
      ++compared;
    }
  }
  EXPECT_GT(compared, kItchTypeCount * 100);
}

}  // namespace
}  // namespace sy::proto
