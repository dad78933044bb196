// UFO 1.0 framing against bytes written out by hand from docs protocols.md §4, never produced by
// the builders under test: every packet type both ways, blocks and their sequence numbers, every
// truncation and bad length refused with its reason, and builders reproducing the hand bytes.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "src/proto/ufo.hpp"

namespace sy::proto {
namespace {

using Bytes = std::vector<uint8_t>;

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
  W& be16(uint64_t v) { return be(v, 2); }
  W& be32(uint64_t v) { return be(v, 4); }
  W& alpha(std::string_view s, size_t n) {
    for (size_t i = 0; i < n; ++i) b.push_back(static_cast<uint8_t>(i < s.size() ? s[i] : ' '));
    return *this;
  }
  W& raw(const Bytes& x) {
    b.insert(b.end(), x.begin(), x.end());
    return *this;
  }
};

template <size_t N>
std::string str(const std::array<char, N>& a) {
  return std::string(a.data(), N);
}

const Bytes kLoginAccept = W{}.ch('A').alpha("SESSION001", 10).be32(0x01020304).b;
const Bytes kLoginReject = W{}.ch('J').ch('A').b;
const Bytes kEndOfSession = W{}.ch('E').be32(0x0A0B0C0D).b;
const Bytes kHeartbeat = W{}.ch('S').be32(7).be16(0).b;
// Three blocks from sequence 0x11223344: 3 bytes, 0 bytes, 5 bytes.
const Bytes kData = W{}.ch('S')
                        .be32(0x11223344)
                        .be16(3)
                        .be16(3)
                        .ch('x')
                        .ch('y')
                        .ch('z')
                        .be16(0)
                        .be16(5)
                        .alpha("hello", 5)
                        .b;
const Bytes kLoginBlock =
    W{}.be16(27).ch('L').alpha("USER01", 6).alpha("PASSWORD01", 10).alpha("", 10).b;
const Bytes kRetransBlock = W{}.be16(7).ch('T').be32(0x21222324).be16(0x3132).b;
const Bytes kUnseqBlock = W{}.be16(4).ch('U').ch('a').ch('b').ch('c').b;
const Bytes kHeartbeatBlock = W{}.be16(1).ch('R').b;
const Bytes kLogoffBlock = W{}.be16(1).ch('O').b;

UfoDownHeader down_ok(const Bytes& b) {
  UfoDownHeader h{};
  OeError e{};
  EXPECT_TRUE(parse_ufo_down(b.data(), b.size(), h, e)) << to_string(e);
  return h;
}

TEST(Ufo, DirectionFromFirstByte) {
  EXPECT_TRUE(ufo_is_upstream(kLoginBlock[0]));
  EXPECT_TRUE(ufo_is_upstream(0x05));  // 1470 = 0x05BE
  EXPECT_FALSE(ufo_is_upstream('A'));
  EXPECT_FALSE(ufo_is_upstream('S'));
}

TEST(Ufo, LoginAcceptRejectEndOfSession) {
  const auto a = down_ok(kLoginAccept);
  EXPECT_EQ(a.kind, UfoDownKind::login_accept);
  EXPECT_EQ(str(a.session), "SESSION001");
  EXPECT_EQ(a.sequence, 0x01020304u);
  const auto j = down_ok(kLoginReject);
  EXPECT_EQ(j.kind, UfoDownKind::login_reject);
  EXPECT_EQ(j.reject_reason, kUfoRejectNotAuthorized);
  const auto e = down_ok(kEndOfSession);
  EXPECT_EQ(e.kind, UfoDownKind::end_of_session);
  EXPECT_EQ(e.total, 0x0A0B0C0Du);

  uint8_t out[32];
  ASSERT_EQ(build_ufo_login_accept(out, sizeof out, make_ufo_session("SESSION001"), 0x01020304),
            15u);
  EXPECT_EQ(Bytes(out, out + 15), kLoginAccept);
  ASSERT_EQ(build_ufo_login_reject(out, sizeof out, 'A'), 2u);
  EXPECT_EQ(Bytes(out, out + 2), kLoginReject);
  ASSERT_EQ(build_ufo_end_of_session(out, sizeof out, 0x0A0B0C0D), 5u);
  EXPECT_EQ(Bytes(out, out + 5), kEndOfSession);
  ASSERT_EQ(build_ufo_heartbeat(out, sizeof out, 7), 7u);
  EXPECT_EQ(Bytes(out, out + 7), kHeartbeat);
  EXPECT_EQ(build_ufo_login_accept(out, 14, make_ufo_session("X"), 1), 0u);
  EXPECT_EQ(build_ufo_login_reject(out, 1, 'A'), 0u);
  EXPECT_EQ(build_ufo_end_of_session(out, 4, 1), 0u);
  EXPECT_EQ(build_ufo_heartbeat(out, 6, 1), 0u);
}

TEST(Ufo, FixedDownstreamPacketsOfTheWrongLength) {
  for (const Bytes* full : {&kLoginAccept, &kLoginReject, &kEndOfSession}) {
    for (size_t len = 1; len < full->size(); ++len) {
      UfoDownHeader h{};
      OeError e{};
      EXPECT_FALSE(parse_ufo_down(full->data(), len, h, e)) << (*full)[0] << len;
      EXPECT_EQ(e, OeError::ufo_bad_length);
    }
    Bytes longer = *full;
    longer.push_back(0);
    UfoDownHeader h{};
    OeError e{};
    EXPECT_FALSE(parse_ufo_down(longer.data(), longer.size(), h, e));
    EXPECT_EQ(e, OeError::ufo_bad_length);
  }
  UfoDownHeader h{};
  OeError e{};
  EXPECT_FALSE(parse_ufo_down(kData.data(), 0, h, e));
  EXPECT_EQ(e, OeError::ufo_empty);
  for (size_t len = 1; len < kUfoSequencedHeaderLen; ++len) {
    EXPECT_FALSE(parse_ufo_down(kData.data(), len, h, e));
    EXPECT_EQ(e, OeError::ufo_short_header);
  }
  const Bytes unknown = W{}.ch('Z').be32(0).b;
  EXPECT_FALSE(parse_ufo_down(unknown.data(), unknown.size(), h, e));
  EXPECT_EQ(e, OeError::ufo_unknown_type);
}

TEST(Ufo, SequencedBlocks) {
  const auto h = down_ok(kData);
  ASSERT_EQ(h.kind, UfoDownKind::sequenced);
  EXPECT_EQ(h.sequence, 0x11223344u);
  EXPECT_EQ(h.count, 3);
  UfoBlockReader r(kData.data(), kData.size(), h);
  UfoBlock b{};
  ASSERT_TRUE(r.next(b));
  EXPECT_EQ(b.sequence, 0x11223344u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(b.data), b.len), "xyz");
  ASSERT_TRUE(r.next(b));
  EXPECT_EQ(b.sequence, 0x11223345u);
  EXPECT_EQ(b.len, 0);
  ASSERT_TRUE(r.next(b));
  EXPECT_EQ(b.sequence, 0x11223346u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(b.data), b.len), "hello");
  EXPECT_FALSE(r.next(b));
  EXPECT_FALSE(r.has_error());
  EXPECT_EQ(r.read(), 3);

  const auto hb = down_ok(kHeartbeat);
  EXPECT_EQ(hb.count, 0);
  EXPECT_EQ(hb.sequence, 7u);
  UfoBlockReader hr(kHeartbeat.data(), kHeartbeat.size(), hb);
  EXPECT_FALSE(hr.next(b));
  EXPECT_FALSE(hr.has_error());

  // The writer reproduces the hand bytes.
  uint8_t out[64];
  UfoSequencedWriter w(out, sizeof out, 0x11223344);
  const uint8_t xyz[] = {'x', 'y', 'z'};
  const uint8_t hello[] = {'h', 'e', 'l', 'l', 'o'};
  ASSERT_TRUE(w.add(xyz));
  ASSERT_TRUE(w.add({}));
  ASSERT_TRUE(w.add(hello));
  EXPECT_EQ(w.count(), 3);
  EXPECT_EQ(Bytes(out, out + w.size()), kData);
}

TEST(Ufo, EveryTruncationOfASequencedPacket) {
  for (size_t len = kUfoSequencedHeaderLen; len < kData.size(); ++len) {
    UfoDownHeader h{};
    OeError e{};
    ASSERT_TRUE(parse_ufo_down(kData.data(), len, h, e));
    UfoBlockReader r(kData.data(), len, h);
    UfoBlock b{};
    uint16_t n = 0;
    while (r.next(b)) {
      ++n;
      EXPECT_LE(static_cast<size_t>(b.data - kData.data()) + b.len, len);
    }
    EXPECT_TRUE(r.has_error()) << len;
    EXPECT_EQ(r.error(), OeError::ufo_block_truncated) << len;
    EXPECT_EQ(r.read(), n);
    EXPECT_EQ(n + r.lost(), 3);
  }
  Bytes trailing = kData;
  trailing.push_back(9);
  UfoDownHeader h = down_ok(trailing);
  UfoBlockReader r(trailing.data(), trailing.size(), h);
  UfoBlock b{};
  int n = 0;
  while (r.next(b)) ++n;
  EXPECT_EQ(n, 3);
  EXPECT_TRUE(r.has_error());
  EXPECT_EQ(r.error(), OeError::ufo_trailing_bytes);
  EXPECT_EQ(r.lost(), 0);
}

TEST(Ufo, WriterStopsAtWholeMessages) {
  uint8_t out[kUfoMaxPacket];
  UfoSequencedWriter w(out, sizeof out, 1);
  const Bytes msg(66, 'm');
  int n = 0;
  while (w.add(msg)) ++n;
  EXPECT_EQ(n, (1472 - 7) / 68);  // 21 Accepted messages per packet
  EXPECT_LE(w.size(), kUfoMaxPacket);
  // The spec's block limit (1465) is above what a 1472-byte packet holds (1463): both bind.
  uint8_t roomy[kUfoMaxPacket + 64];
  UfoSequencedWriter w2(roomy, sizeof roomy, 1);
  EXPECT_FALSE(w2.add(Bytes(kUfoMaxSequencedMessage + 1, 'b')));
  EXPECT_TRUE(w2.add(Bytes(kUfoMaxSequencedMessage, 'b')));
  UfoSequencedWriter w3(out, sizeof out, 1);
  EXPECT_FALSE(w3.add(Bytes(kUfoMaxPacket - 8, 'b')));
  EXPECT_TRUE(w3.add(Bytes(kUfoMaxPacket - 9, 'b')));
  EXPECT_EQ(w3.size(), kUfoMaxPacket);
  UfoSequencedWriter tiny(out, 6, 1);
  EXPECT_EQ(tiny.size(), 0u);
  EXPECT_FALSE(tiny.add(msg));
}

TEST(Ufo, UpstreamMessages) {
  const Bytes pkt = W{}.raw(kLoginBlock)
                        .raw(kRetransBlock)
                        .raw(kUnseqBlock)
                        .raw(kHeartbeatBlock)
                        .raw(kLogoffBlock)
                        .b;
  UfoUpReader r(pkt.data(), pkt.size());
  UfoUpMessage m{};
  ASSERT_TRUE(r.next(m));
  EXPECT_EQ(m.kind, UfoUpKind::login_request);
  EXPECT_EQ(str(m.login.username), "USER01");
  EXPECT_EQ(str(m.login.password), "PASSWORD01");
  EXPECT_TRUE(is_blank(m.login.requested_session));
  ASSERT_TRUE(r.next(m));
  EXPECT_EQ(m.kind, UfoUpKind::retransmission_request);
  EXPECT_EQ(m.retrans.sequence, 0x21222324u);
  EXPECT_EQ(m.retrans.count, 0x3132);
  ASSERT_TRUE(r.next(m));
  EXPECT_EQ(m.kind, UfoUpKind::unsequenced);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(m.data), m.len), "abc");
  ASSERT_TRUE(r.next(m));
  EXPECT_EQ(m.kind, UfoUpKind::heartbeat);
  ASSERT_TRUE(r.next(m));
  EXPECT_EQ(m.kind, UfoUpKind::logoff);
  EXPECT_FALSE(r.next(m));
  EXPECT_FALSE(r.has_error());
  EXPECT_EQ(r.read(), 5);

  uint8_t out[128];
  UfoUpWriter w(out, sizeof out);
  ASSERT_TRUE(w.add_login(
      {make_ufo_username("USER01"), make_ufo_password("PASSWORD01"), make_ufo_session("")}));
  ASSERT_TRUE(w.add_retransmission_request(0x21222324, 0x3132));
  const uint8_t abc[] = {'a', 'b', 'c'};
  ASSERT_TRUE(w.add_unsequenced(abc));
  ASSERT_TRUE(w.add_heartbeat());
  ASSERT_TRUE(w.add_logoff());
  EXPECT_EQ(w.count(), 5);
  EXPECT_EQ(Bytes(out, out + w.size()), pkt);
}

TEST(Ufo, UpstreamErrors) {
  auto first_error = [](const Bytes& b) {
    UfoUpReader r(b.data(), b.size());
    UfoUpMessage m{};
    while (r.next(m)) {
    }
    EXPECT_TRUE(r.has_error());
    return r.error();
  };
  EXPECT_EQ(first_error({}), OeError::ufo_empty);
  EXPECT_EQ(first_error(W{}.be16(0).b), OeError::ufo_block_empty);
  EXPECT_EQ(first_error(W{}.be16(1471).raw(Bytes(1471, 'U')).b), OeError::ufo_block_too_long);
  EXPECT_EQ(first_error(W{}.be16(1).ch('Q').b), OeError::ufo_unknown_message);
  EXPECT_EQ(first_error(W{}.be16(2).ch('R').ch(0).b), OeError::ufo_bad_message_length);
  EXPECT_EQ(first_error(W{}.be16(2).ch('O').ch(0).b), OeError::ufo_bad_message_length);
  Bytes long_login = kLoginBlock;
  long_login[1] = 28;
  long_login.push_back(' ');
  EXPECT_EQ(first_error(long_login), OeError::ufo_bad_message_length);
  Bytes short_t = W{}.be16(6).ch('T').be32(1).ch(0).b;
  EXPECT_EQ(first_error(short_t), OeError::ufo_bad_message_length);
  // Every truncation of a good packet: the whole blocks before the cut are delivered.
  const Bytes pkt = W{}.raw(kLoginBlock).raw(kUnseqBlock).raw(kHeartbeatBlock).b;
  for (size_t len = 1; len < pkt.size(); ++len) {
    const bool at_boundary =
        len == kLoginBlock.size() || len == kLoginBlock.size() + kUnseqBlock.size();
    UfoUpReader r(pkt.data(), len);
    UfoUpMessage m{};
    int n = 0;
    while (r.next(m)) ++n;
    EXPECT_EQ(r.has_error(), !at_boundary) << len;
    if (!at_boundary) {
      EXPECT_EQ(r.error(), OeError::ufo_block_truncated) << len;
    }
    EXPECT_EQ(n, len < kLoginBlock.size()                        ? 0
                 : len < kLoginBlock.size() + kUnseqBlock.size() ? 1
                                                                 : 2);
  }
  // An empty U (type byte only) is a valid message with no payload.
  const Bytes empty_u = W{}.be16(1).ch('U').b;
  UfoUpReader r(empty_u.data(), empty_u.size());
  UfoUpMessage m{};
  ASSERT_TRUE(r.next(m));
  EXPECT_EQ(m.kind, UfoUpKind::unsequenced);
  EXPECT_EQ(m.len, 0);
}

TEST(Ufo, UpWriterRefusesWhatDoesNotFit) {
  uint8_t out[40];
  UfoUpWriter w(out, sizeof out);
  ASSERT_TRUE(w.add_login({make_ufo_username("u"), make_ufo_password("p"), make_ufo_session("")}));
  EXPECT_EQ(w.size(), 29u);
  ASSERT_TRUE(w.add_retransmission_request(1, 1));  // 9 bytes of the 11 left
  EXPECT_EQ(w.size(), 38u);
  EXPECT_FALSE(w.add_heartbeat());  // 3 bytes, 2 left
  EXPECT_EQ(w.size(), 38u);
  EXPECT_EQ(w.count(), 2);
  uint8_t big[kUfoMaxPacket];
  UfoUpWriter wb(big, sizeof big);
  EXPECT_EQ(wb.add_unsequenced(kUfoMaxUpstreamMessage), nullptr);  // 1471 with the type byte
  EXPECT_NE(wb.add_unsequenced(kUfoMaxUpstreamMessage - 1), nullptr);
  EXPECT_EQ(wb.size(), kUfoMaxPacket);
}

}  // namespace
}  // namespace sy::proto
