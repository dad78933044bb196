// UFO session state machines: every transition of the server side (appliance facing a strategy
// client) and the client side (appliance facing the venue), bad logins, wrong sources, timeouts,
// retransmission within and beyond the buffer, gaps, duplicates and out-of-order packets, and a
// lossy loopback of the two sides that must still deliver every message once, in order.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "src/proto/ufo.hpp"
#include "src/session/ufo_session.hpp"

namespace sy::session {
namespace {

using Bytes = std::vector<uint8_t>;
using proto::make_ufo_password;
using proto::make_ufo_session;
using proto::make_ufo_username;
using C = SessionCounter;

constexpr uint64_t kSec = 1'000'000'000;
const Endpoint kClient{{2, 0, 0, 0, 0, 1}, 0x0A000001, 50001};
const Endpoint kVenue{{2, 0, 0, 0, 0, 2}, 0x0A000002, 15001};

Endpoint with_port(Endpoint e, uint16_t port) {
  e.port = port;
  return e;
}

ServerConfig server_config(uint32_t capacity = 16) {
  ServerConfig c;
  c.session = make_ufo_session("SESSION001");
  c.username = make_ufo_username("USER01");
  c.password = make_ufo_password("SECRET1234");
  c.heartbeat_interval_ns = 1 * kSec;
  c.peer_timeout_ns = 10 * kSec;
  c.retransmit_capacity = capacity;
  c.max_message_len = 80;
  return c;
}

Bytes login(std::string_view user, std::string_view pass, std::string_view session = "") {
  uint8_t buf[64];
  proto::UfoUpWriter w(buf, sizeof buf);
  EXPECT_TRUE(
      w.add_login({make_ufo_username(user), make_ufo_password(pass), make_ufo_session(session)}));
  return Bytes(buf, buf + w.size());
}

Bytes unsequenced(std::initializer_list<std::string_view> msgs) {
  uint8_t buf[proto::kUfoMaxPacket];
  proto::UfoUpWriter w(buf, sizeof buf);
  for (auto m : msgs)
    EXPECT_TRUE(w.add_unsequenced({reinterpret_cast<const uint8_t*>(m.data()), m.size()}));
  return Bytes(buf, buf + w.size());
}

Bytes retrans(uint32_t seq, uint16_t count) {
  uint8_t buf[16];
  proto::UfoUpWriter w(buf, sizeof buf);
  EXPECT_TRUE(w.add_retransmission_request(seq, count));
  return Bytes(buf, buf + w.size());
}

Bytes single(char type) { return Bytes{0, 1, static_cast<uint8_t>(type)}; }

Bytes tx_bytes(const Output& out, size_t i) {
  return Bytes(out.tx[i].bytes, out.tx[i].bytes + out.tx[i].len);
}

proto::UfoDownHeader down(const Bytes& b) {
  proto::UfoDownHeader h{};
  proto::OeError e{};
  EXPECT_TRUE(proto::parse_ufo_down(b.data(), b.size(), h, e)) << to_string(e);
  return h;
}

// The messages of an S packet as strings, with their sequence numbers checked.
std::vector<std::string> blocks(const Bytes& b, uint32_t first) {
  const auto h = down(b);
  EXPECT_EQ(h.kind, proto::UfoDownKind::sequenced);
  EXPECT_EQ(h.sequence, first);
  std::vector<std::string> v;
  proto::UfoBlockReader r(b.data(), b.size(), h);
  for (proto::UfoBlock blk; r.next(blk);) {
    EXPECT_EQ(blk.sequence, first + v.size());
    v.emplace_back(reinterpret_cast<const char*>(blk.data), blk.len);
  }
  EXPECT_FALSE(r.has_error());
  return v;
}

std::span<const uint8_t> span_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

struct Server : ::testing::Test {
  UfoServerSession s{server_config()};
  Output out;

  Bytes last;  // events point into the datagram: keep it alive until the next one

  Verdict rx(uint64_t now, const Endpoint& src, const Bytes& b) {
    last = b;
    return s.on_datagram(now, src, last.data(), last.size(), out);
  }
  void log_in(uint64_t now = 0) {
    ASSERT_EQ(rx(now, kClient, login("USER01", "SECRET1234")), Verdict::ok);
    ASSERT_TRUE(s.logged_in());
  }
  // Sends `n` sequenced messages "m<seq>".
  void send(int n, uint64_t now = 0) {
    for (int i = 0; i < n; ++i) {
      const std::string m = "m" + std::to_string(s.next_sequence());
      uint8_t wire[128];
      const SendResult r = s.send_sequenced(now, span_of(m), wire, sizeof wire);
      ASSERT_TRUE(r.status == SendStatus::sent || r.status == SendStatus::retained_only);
    }
  }
};

TEST_F(Server, LoginAcceptedPinsThePeer) {
  EXPECT_EQ(s.state(), ServerState::awaiting_login);
  ASSERT_EQ(rx(5, kClient, login("USER01", "SECRET1234")), Verdict::ok);
  EXPECT_EQ(s.state(), ServerState::active);
  EXPECT_TRUE(s.logged_in());
  EXPECT_EQ(s.peer(), kClient);
  ASSERT_EQ(out.n_events, 1u);
  EXPECT_EQ(out.events[0].kind, EventKind::logged_in);
  EXPECT_EQ(out.events[0].sequence, 1u);
  ASSERT_EQ(out.n_tx, 1u);
  EXPECT_EQ(out.tx[0].dst, kClient);
  const auto h = down(tx_bytes(out, 0));
  EXPECT_EQ(h.kind, proto::UfoDownKind::login_accept);
  EXPECT_EQ(h.session, make_ufo_session("SESSION001"));
  EXPECT_EQ(h.sequence, 1u);
  EXPECT_EQ(s.counters()[C::logins_accepted], 1u);
}

TEST_F(Server, CredentialsAreCaseInsensitiveAndSessionMayBeNamed) {
  ASSERT_EQ(rx(0, kClient, login("user01", "secret1234", "SESSION001")), Verdict::ok);
  EXPECT_TRUE(s.logged_in());
  EXPECT_TRUE(credentials_equal(reinterpret_cast<const uint8_t*>("AbC"),
                                reinterpret_cast<const uint8_t*>("aBc"), 3));
  EXPECT_FALSE(credentials_equal(reinterpret_cast<const uint8_t*>("AbC"),
                                 reinterpret_cast<const uint8_t*>("aBd"), 3));
  // Only letters fold: '@' (0x40) and '`' (0x60) differ by the case bit but are not letters.
  EXPECT_FALSE(credentials_equal(reinterpret_cast<const uint8_t*>("@"),
                                 reinterpret_cast<const uint8_t*>("`"), 1));
}

TEST_F(Server, BadLoginsAreRejectedWithTheirReason) {
  struct Case {
    const char* user;
    const char* pass;
    const char* session;
    uint8_t reason;
  };
  const Case cases[] = {{"USER01", "SECRET1235", "", 'A'},
                        {"USER02", "SECRET1234", "", 'A'},
                        {"", "", "", 'A'},
                        {"USER01", "SECRET1234", "SESSION002", 'S'}};
  uint64_t n = 0;
  for (const Case& c : cases) {
    ASSERT_EQ(rx(0, kClient, login(c.user, c.pass, c.session)), Verdict::ok);
    EXPECT_FALSE(s.logged_in());
    EXPECT_EQ(s.state(), ServerState::awaiting_login);
    ASSERT_EQ(out.n_tx, 1u);
    EXPECT_EQ(out.tx[0].dst, kClient);
    const auto h = down(tx_bytes(out, 0));
    EXPECT_EQ(h.kind, proto::UfoDownKind::login_reject);
    EXPECT_EQ(h.reject_reason, c.reason);
    ASSERT_EQ(out.n_events, 1u);
    EXPECT_EQ(out.events[0].kind, EventKind::login_rejected);
    EXPECT_EQ(out.events[0].reason, c.reason);
    EXPECT_EQ(s.counters()[C::logins_rejected], ++n);
  }
}

TEST_F(Server, NothingButLoginBeforeLogin) {
  for (const Bytes& b : {unsequenced({"x"}), single('R'), retrans(1, 1), single('O')}) {
    EXPECT_EQ(rx(0, kClient, b), Verdict::unauthorized);
    EXPECT_EQ(out.n_events, 0u);
    EXPECT_EQ(out.n_tx, 0u);
  }
  EXPECT_EQ(s.counters()[C::not_logged_in], 4u);
}

TEST_F(Server, OtherSourcesAreUnauthorizedAfterLogin) {
  log_in();
  Endpoint other_mac = kClient;
  other_mac.mac[5] = 9;
  Endpoint other_ip = kClient;
  other_ip.ip += 1;
  for (const Endpoint& src : {with_port(kClient, 50002), other_mac, other_ip}) {
    EXPECT_EQ(rx(1, src, unsequenced({"x"})), Verdict::unauthorized);
    EXPECT_EQ(out.n_events, 0u);
    // Even a valid login: the pinned peer keeps the session until it leaves or times out.
    EXPECT_EQ(rx(1, src, login("USER01", "SECRET1234")), Verdict::unauthorized);
    EXPECT_EQ(out.n_tx, 0u);
  }
  EXPECT_EQ(s.counters()[C::wrong_source], 6u);
  EXPECT_EQ(s.peer(), kClient);
}

TEST_F(Server, RepeatedLoginIsAnsweredAgain) {
  log_in();
  send(3);
  ASSERT_EQ(rx(1, kClient, login("USER01", "SECRET1234")), Verdict::ok);
  EXPECT_EQ(out.n_events, 0u);  // no second logged_in
  ASSERT_EQ(out.n_tx, 1u);
  EXPECT_EQ(down(tx_bytes(out, 0)).sequence, 4u);
  EXPECT_EQ(s.counters()[C::login_repeats], 1u);
}

TEST_F(Server, UnsequencedMessagesPointIntoTheDatagram) {
  log_in();
  ASSERT_EQ(rx(1, kClient, unsequenced({"first", "", "third"})), Verdict::ok);
  const Bytes& b = last;
  ASSERT_EQ(out.n_events, 3u);
  for (uint32_t i = 0; i < 3; ++i) {
    EXPECT_EQ(out.events[i].kind, EventKind::message);
    EXPECT_GE(out.events[i].data, b.data());
    EXPECT_LE(out.events[i].data + out.events[i].len, b.data() + b.size());
  }
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(out.events[0].data), out.events[0].len),
            "first");
  EXPECT_EQ(out.events[1].len, 0);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(out.events[2].data), out.events[2].len),
            "third");
  EXPECT_EQ(s.counters()[C::messages_in], 3u);
}

TEST_F(Server, SendSequenced) {
  uint8_t wire[128];
  // Nobody logged in: sequenced and kept, nothing to send.
  SendResult r = s.send_sequenced(0, span_of("early"), wire, sizeof wire);
  EXPECT_EQ(r.status, SendStatus::retained_only);
  EXPECT_EQ(r.sequence, 1u);
  EXPECT_EQ(r.len, 0u);
  log_in();
  r = s.send_sequenced(1, span_of("hello"), wire, sizeof wire);
  ASSERT_EQ(r.status, SendStatus::sent);
  EXPECT_EQ(r.sequence, 2u);
  EXPECT_EQ(blocks(Bytes(wire, wire + r.len), 2), std::vector<std::string>{"hello"});
  const std::string too_long(81, 'x');
  EXPECT_EQ(s.send_sequenced(1, span_of(too_long), wire, sizeof wire).status, SendStatus::too_long);
  EXPECT_EQ(s.send_sequenced(1, span_of("abc"), wire, 11).status, SendStatus::no_room);
  EXPECT_EQ(s.next_sequence(), 3u);  // refused messages take no sequence number
  // The early message is retransmittable.
  ASSERT_EQ(rx(2, kClient, retrans(1, 2)), Verdict::ok);
  ASSERT_EQ(out.n_tx, 1u);
  EXPECT_EQ(blocks(tx_bytes(out, 0), 1), (std::vector<std::string>{"early", "hello"}));
}

TEST_F(Server, RetransmissionWithinAndBeyondTheBuffer) {
  log_in();
  send(20);  // capacity 16: 5..20 kept
  EXPECT_EQ(s.oldest_retained(), 5u);
  ASSERT_EQ(rx(1, kClient, retrans(7, 3)), Verdict::ok);
  ASSERT_EQ(out.n_tx, 1u);
  EXPECT_EQ(blocks(tx_bytes(out, 0), 7), (std::vector<std::string>{"m7", "m8", "m9"}));
  // From 2: 2..4 are gone (counted), 5..6 served.
  ASSERT_EQ(rx(1, kClient, retrans(2, 5)), Verdict::ok);
  EXPECT_EQ(blocks(tx_bytes(out, 0), 5), (std::vector<std::string>{"m5", "m6"}));
  EXPECT_EQ(s.counters()[C::retransmit_unavailable], 3u);
  // Entirely gone: counted, and answered from the oldest held, so the client can tell.
  ASSERT_EQ(rx(1, kClient, retrans(1, 3)), Verdict::ok);
  EXPECT_EQ(blocks(tx_bytes(out, 0), 5), (std::vector<std::string>{"m5", "m6", "m7"}));
  EXPECT_EQ(s.counters()[C::retransmit_unavailable], 6u);
  // Past the end: clipped to what exists.
  ASSERT_EQ(rx(1, kClient, retrans(19, 100)), Verdict::ok);
  EXPECT_EQ(blocks(tx_bytes(out, 0), 19), (std::vector<std::string>{"m19", "m20"}));
  // In the future: a heartbeat with the next sequence.
  ASSERT_EQ(rx(1, kClient, retrans(21, 1)), Verdict::ok);
  const auto h = down(tx_bytes(out, 0));
  EXPECT_EQ(h.count, 0);
  EXPECT_EQ(h.sequence, 21u);
  EXPECT_EQ(s.counters()[C::retransmit_future], 1u);
  EXPECT_EQ(s.counters()[C::retransmitted], 10u);
  // Two requests in one datagram: one reply.
  Bytes two = retrans(10, 1);
  const Bytes second = retrans(11, 1);
  two.insert(two.end(), second.begin(), second.end());
  ASSERT_EQ(rx(1, kClient, two), Verdict::ok);
  EXPECT_EQ(out.n_tx, 1u);
  EXPECT_EQ(s.counters()[C::replies_suppressed], 1u);
}

TEST(ServerRetransmit, OnlyWholeMessagesThatFit) {
  ServerConfig c = server_config(100);
  c.max_message_len = 80;
  UfoServerSession s(c);
  Output out;
  const Bytes l = login("USER01", "SECRET1234");
  ASSERT_EQ(s.on_datagram(0, kClient, l.data(), l.size(), out), Verdict::ok);
  const std::string msg(80, 'r');
  uint8_t wire[128];
  for (int i = 0; i < 30; ++i) s.send_sequenced(0, span_of(msg), wire, sizeof wire);
  const Bytes t = retrans(1, 30);
  ASSERT_EQ(s.on_datagram(1, kClient, t.data(), t.size(), out), Verdict::ok);
  const auto got = blocks(tx_bytes(out, 0), 1);
  EXPECT_EQ(got.size(), (1472u - 7u) / 82u);  // 17 whole messages
  EXPECT_LE(out.tx[0].len, proto::kUfoMaxPacket);
}

TEST_F(Server, HeartbeatsWhenIdle) {
  log_in(0);
  s.poll(kSec - 1, out);
  EXPECT_EQ(out.n_tx, 0u);
  s.poll(kSec, out);
  ASSERT_EQ(out.n_tx, 1u);
  auto h = down(tx_bytes(out, 0));
  EXPECT_EQ(h.kind, proto::UfoDownKind::sequenced);
  EXPECT_EQ(h.count, 0);
  EXPECT_EQ(h.sequence, 1u);
  // Data resets the idle timer.
  ASSERT_EQ(rx(kSec + 1, kClient, single('R')), Verdict::ok);  // keeps the client alive
  send(1, kSec + 500);
  s.poll(2 * kSec + 100, out);
  EXPECT_EQ(out.n_tx, 0u);
  s.poll(2 * kSec + 500, out);
  ASSERT_EQ(out.n_tx, 1u);
  EXPECT_EQ(down(tx_bytes(out, 0)).sequence, 2u);
  EXPECT_EQ(s.counters()[C::heartbeats_sent], 2u);
}

TEST_F(Server, ClientTimeoutUnpins) {
  log_in(0);
  ASSERT_EQ(rx(3 * kSec, kClient, single('R')), Verdict::ok);
  s.poll(13 * kSec - 1, out);
  EXPECT_TRUE(s.logged_in());
  s.poll(13 * kSec, out);
  EXPECT_FALSE(s.logged_in());
  EXPECT_EQ(s.state(), ServerState::awaiting_login);
  ASSERT_EQ(out.n_events, 1u);
  EXPECT_EQ(out.events[0].kind, EventKind::timed_out);
  EXPECT_EQ(s.counters()[C::timeouts], 1u);
  // Anyone with the credentials may now log in, from anywhere.
  ASSERT_EQ(rx(14 * kSec, with_port(kClient, 50009), login("USER01", "SECRET1234")), Verdict::ok);
  EXPECT_EQ(s.peer(), with_port(kClient, 50009));
}

TEST_F(Server, LogoffUnpinsAndStopsTheDatagram) {
  log_in();
  Bytes b = single('O');
  const Bytes after = unsequenced({"late"});
  b.insert(b.end(), after.begin(), after.end());
  ASSERT_EQ(rx(1, kClient, b), Verdict::ok);
  ASSERT_EQ(out.n_events, 1u);
  EXPECT_EQ(out.events[0].kind, EventKind::logged_out);
  EXPECT_EQ(out.n_tx, 0u);  // Logoff has no reply
  EXPECT_FALSE(s.logged_in());
  EXPECT_EQ(s.counters()[C::after_logoff], 1u);
  EXPECT_EQ(rx(2, kClient, unsequenced({"x"})), Verdict::unauthorized);
}

TEST_F(Server, EndOfSession) {
  log_in();
  send(3);
  s.end_session(1, out);
  EXPECT_EQ(s.state(), ServerState::ended);
  ASSERT_EQ(out.n_tx, 1u);
  auto h = down(tx_bytes(out, 0));
  EXPECT_EQ(h.kind, proto::UfoDownKind::end_of_session);
  EXPECT_EQ(h.total, 3u);
  uint8_t wire[64];
  EXPECT_EQ(s.send_sequenced(1, span_of("x"), wire, sizeof wire).status, SendStatus::not_active);
  ASSERT_EQ(rx(2, kClient, unsequenced({"ignored"})), Verdict::ok);
  EXPECT_EQ(out.n_events, 0u);
  EXPECT_EQ(s.counters()[C::after_end_of_session], 1u);
  ASSERT_EQ(rx(2, kClient, retrans(2, 2)), Verdict::ok);  // still served
  EXPECT_EQ(blocks(tx_bytes(out, 0), 2), (std::vector<std::string>{"m2", "m3"}));
  s.poll(2 + kSec, out);  // E instead of a heartbeat
  ASSERT_EQ(out.n_tx, 1u);
  EXPECT_EQ(down(tx_bytes(out, 0)).kind, proto::UfoDownKind::end_of_session);
  ASSERT_EQ(rx(3 + kSec, kClient, single('O')), Verdict::ok);
  // Session over and nobody attached: a new login is refused as "session unavailable".
  ASSERT_EQ(rx(4 + kSec, kClient, login("USER01", "SECRET1234")), Verdict::ok);
  EXPECT_EQ(down(tx_bytes(out, 0)).reject_reason, 'S');
}

TEST_F(Server, MalformedDatagramKeepsTheBlocksBeforeTheError) {
  log_in();
  Bytes b = unsequenced({"good"});
  b.push_back(0);  // half a length field
  ASSERT_EQ(rx(1, kClient, b), Verdict::malformed);
  EXPECT_EQ(out.error, proto::OeError::ufo_block_truncated);
  ASSERT_EQ(out.n_events, 1u);
  EXPECT_EQ(s.counters()[C::malformed], 1u);
  EXPECT_EQ(rx(1, kClient, Bytes{}), Verdict::malformed);
  EXPECT_EQ(out.error, proto::OeError::ufo_empty);
}

// ================================================================== client side

ClientConfig client_config() {
  ClientConfig c;
  c.username = make_ufo_username("USER01");
  c.password = make_ufo_password("SECRET1234");
  c.server = kVenue;
  c.server.mac = {};  // learned at login
  c.heartbeat_interval_ns = 1 * kSec;
  c.peer_timeout_ns = 10 * kSec;
  c.login_retry_ns = 1 * kSec;
  c.retransmit_timeout_ns = kSec / 10;
  c.max_retransmit_count = 1000;
  return c;
}

Bytes accept(uint32_t next, std::string_view session = "VENUE00001") {
  uint8_t b[32];
  return Bytes(b, b + proto::build_ufo_login_accept(b, sizeof b, make_ufo_session(session), next));
}

Bytes seq_packet(uint32_t first, std::initializer_list<std::string_view> msgs) {
  uint8_t b[proto::kUfoMaxPacket];
  proto::UfoSequencedWriter w(b, sizeof b, first);
  for (auto m : msgs) EXPECT_TRUE(w.add(span_of(m)));
  return Bytes(b, b + w.size());
}

struct Client : ::testing::Test {
  UfoClientSession c{client_config()};
  Output out;

  Bytes last;  // events point into the datagram: keep it alive until the next one

  Verdict rx(uint64_t now, const Bytes& b, const Endpoint& src = kVenue) {
    last = b;
    return c.on_datagram(now, src, last.data(), last.size(), out);
  }
  void log_in(uint32_t next = 1) {
    c.connect(0, out);
    ASSERT_EQ(rx(0, accept(next)), Verdict::ok);
    ASSERT_EQ(c.state(), ClientState::active);
  }
  std::vector<std::string> delivered() const {
    std::vector<std::string> v;
    for (uint32_t i = 0; i < out.n_events; ++i)
      if (out.events[i].kind == EventKind::message)
        v.emplace_back(reinterpret_cast<const char*>(out.events[i].data), out.events[i].len);
    return v;
  }
  // The retransmission request in tx slot i: {from, count}.
  std::pair<uint32_t, uint16_t> request(size_t i) const {
    const Bytes b = tx_bytes(out, i);
    proto::UfoUpReader r(b.data(), b.size());
    proto::UfoUpMessage m{};
    EXPECT_TRUE(r.next(m));
    EXPECT_EQ(m.kind, proto::UfoUpKind::retransmission_request);
    return {m.retrans.sequence, m.retrans.count};
  }
};

TEST_F(Client, LoginAndRetry) {
  EXPECT_EQ(c.state(), ClientState::idle);
  c.connect(0, out);
  EXPECT_EQ(c.state(), ClientState::login_pending);
  ASSERT_EQ(out.n_tx, 1u);
  EXPECT_EQ(out.tx[0].dst, client_config().server);
  {
    const Bytes b = tx_bytes(out, 0);
    proto::UfoUpReader r(b.data(), b.size());
    proto::UfoUpMessage m{};
    ASSERT_TRUE(r.next(m));
    ASSERT_EQ(m.kind, proto::UfoUpKind::login_request);
    EXPECT_EQ(m.login.username, make_ufo_username("USER01"));
    EXPECT_EQ(m.login.password, make_ufo_password("SECRET1234"));
    EXPECT_TRUE(proto::is_blank(m.login.requested_session));
  }
  c.poll(kSec - 1, out);
  EXPECT_EQ(out.n_tx, 0u);
  c.poll(kSec, out);
  EXPECT_EQ(out.n_tx, 1u);  // re-sent until answered
  // Not from the venue's ip:port: refused even before login.
  EXPECT_EQ(rx(kSec, accept(1), with_port(kVenue, 1)), Verdict::unauthorized);
  ASSERT_EQ(rx(kSec, accept(1)), Verdict::ok);
  EXPECT_EQ(c.state(), ClientState::active);
  EXPECT_EQ(c.peer(), kVenue);
  EXPECT_EQ(c.session(), make_ufo_session("VENUE00001"));
  ASSERT_EQ(out.n_events, 1u);
  EXPECT_EQ(out.events[0].kind, EventKind::logged_in);
  EXPECT_EQ(out.n_tx, 0u);  // no gap
}

TEST_F(Client, LoginRejected) {
  c.connect(0, out);
  const Bytes j{'J', 'A'};
  ASSERT_EQ(rx(0, j), Verdict::ok);
  EXPECT_EQ(c.state(), ClientState::rejected);
  ASSERT_EQ(out.n_events, 1u);
  EXPECT_EQ(out.events[0].kind, EventKind::login_rejected);
  EXPECT_EQ(out.events[0].reason, 'A');
  c.poll(5 * kSec, out);
  EXPECT_EQ(out.n_tx, 0u);  // no retries after a reject
  // A session we knew is over: 'S' clears it and the next login is blank, from 1.
  log_in();
  ASSERT_EQ(rx(0, seq_packet(1, {"a", "b"})), Verdict::ok);
  c.logout(1, out);
  c.connect(2, out);
  ASSERT_EQ(rx(2, Bytes{'J', 'S'}), Verdict::ok);
  EXPECT_TRUE(proto::is_blank(c.session()));
  EXPECT_EQ(c.next_expected(), 1u);
}

TEST_F(Client, InOrderDataAndDuplicates) {
  log_in();
  const Bytes p1 = seq_packet(1, {"a", "b", "c"});
  ASSERT_EQ(rx(1, p1), Verdict::ok);
  EXPECT_EQ(delivered(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(out.events[0].sequence, 1u);
  EXPECT_EQ(out.events[2].sequence, 3u);
  EXPECT_EQ(c.next_expected(), 4u);
  ASSERT_EQ(rx(2, p1), Verdict::ok);  // the same packet again
  EXPECT_TRUE(delivered().empty());
  EXPECT_EQ(c.counters()[C::duplicates], 3u);
  // Overlap: 3 is a duplicate, 4 and 5 are new.
  ASSERT_EQ(rx(3, seq_packet(3, {"c", "d", "e"})), Verdict::ok);
  EXPECT_EQ(delivered(), (std::vector<std::string>{"d", "e"}));
  EXPECT_EQ(c.counters()[C::duplicates], 4u);
  EXPECT_EQ(out.n_tx, 0u);
}

TEST_F(Client, GapIsRequestedAndFilledInOrder) {
  log_in();
  ASSERT_EQ(rx(1, seq_packet(1, {"a", "b"})), Verdict::ok);
  ASSERT_EQ(rx(2, seq_packet(5, {"e", "f"})), Verdict::ok);  // 3, 4 missing
  EXPECT_TRUE(delivered().empty());
  EXPECT_EQ(c.counters()[C::out_of_order], 2u);
  ASSERT_EQ(out.n_tx, 1u);
  EXPECT_EQ(request(0), (std::pair<uint32_t, uint16_t>{3, 4}));
  ASSERT_EQ(out.n_events, 1u);
  EXPECT_EQ(out.events[0].kind, EventKind::gap);
  EXPECT_EQ(out.events[0].sequence, 3u);
  EXPECT_EQ(out.events[0].count, 4u);
  // More beyond the gap while the request is in flight: no second request yet.
  ASSERT_EQ(rx(3, seq_packet(7, {"g"})), Verdict::ok);
  EXPECT_EQ(out.n_tx, 0u);
  // The request times out: asked again, now up to 7.
  c.poll(2 + kSec / 10, out);
  ASSERT_EQ(out.n_tx, 1u);
  EXPECT_EQ(request(0), (std::pair<uint32_t, uint16_t>{3, 5}));
  // The answer fills everything, in order.
  ASSERT_EQ(rx(4, seq_packet(3, {"c", "d", "e", "f", "g"})), Verdict::ok);
  EXPECT_EQ(delivered(), (std::vector<std::string>{"c", "d", "e", "f", "g"}));
  EXPECT_EQ(c.next_expected(), 8u);
  EXPECT_EQ(out.n_tx, 0u);
  c.poll(4 + kSec / 5, out);
  EXPECT_EQ(out.n_tx, 0u);  // nothing left to ask for
  EXPECT_EQ(c.counters()[C::gaps_requested], 2u);
}

TEST_F(Client, PartialAnswerAsksForTheRest) {
  log_in();
  ASSERT_EQ(rx(1, seq_packet(10, {"j"})), Verdict::ok);  // 1..9 missing
  EXPECT_EQ(request(0), (std::pair<uint32_t, uint16_t>{1, 10}));
  ASSERT_EQ(rx(2, seq_packet(1, {"a", "b", "c"})), Verdict::ok);  // only what fitted
  EXPECT_EQ(delivered(), (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(out.n_tx, 1u);
  EXPECT_EQ(request(0), (std::pair<uint32_t, uint16_t>{4, 7}));
}

TEST_F(Client, HeartbeatAndEndOfSessionRevealTailGaps) {
  log_in();
  ASSERT_EQ(rx(1, seq_packet(1, {"a"})), Verdict::ok);
  uint8_t hb[8];
  ASSERT_EQ(rx(2, Bytes(hb, hb + proto::build_ufo_heartbeat(hb, sizeof hb, 4))), Verdict::ok);
  ASSERT_EQ(out.n_tx, 1u);
  EXPECT_EQ(request(0), (std::pair<uint32_t, uint16_t>{2, 2}));
  ASSERT_EQ(rx(3, seq_packet(2, {"b", "c"})), Verdict::ok);
  EXPECT_EQ(c.next_expected(), 4u);
  // End of session announcing 5 messages: 4 and 5 are missing.
  uint8_t e[8];
  const Bytes eos(e, e + proto::build_ufo_end_of_session(e, sizeof e, 5));
  ASSERT_EQ(rx(4, eos), Verdict::ok);
  EXPECT_EQ(c.state(), ClientState::ended);
  ASSERT_GE(out.n_events, 1u);
  EXPECT_EQ(out.events[0].kind, EventKind::end_of_session);
  EXPECT_EQ(out.events[0].sequence, 6u);
  ASSERT_EQ(out.n_tx, 1u);
  EXPECT_EQ(request(0), (std::pair<uint32_t, uint16_t>{4, 2}));
  ASSERT_EQ(rx(5, seq_packet(4, {"d", "e"})), Verdict::ok);  // still served after E
  EXPECT_EQ(delivered(), (std::vector<std::string>{"d", "e"}));
  ASSERT_EQ(rx(6, eos), Verdict::ok);
  EXPECT_EQ(out.n_events, 0u);  // end of session reported once
  EXPECT_EQ(c.counters()[C::end_of_session_packets], 2u);
  uint8_t wire[64];
  EXPECT_EQ(c.send_unsequenced(6, span_of("O..."), wire, sizeof wire).status,
            SendStatus::not_active);
}

TEST_F(Client, MessagesTheVenueNoLongerHoldsAreSkippedAfterThreeLaterAnswers) {
  log_in(10);
  EXPECT_EQ(request(0), (std::pair<uint32_t, uint16_t>{1, 9}));
  // The venue answers from 6 (it holds no more than that): asked again at once, twice.
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(rx(1, seq_packet(6, {"f", "g"})), Verdict::ok);
    EXPECT_TRUE(delivered().empty());
    ASSERT_EQ(out.n_tx, 1u);
    EXPECT_EQ(request(0), (std::pair<uint32_t, uint16_t>{1, 9}));
  }
  // The third answer from the same place gives 1..5 up: reported, counted, the rest delivered.
  ASSERT_EQ(rx(2, seq_packet(6, {"f", "g"})), Verdict::ok);
  ASSERT_GE(out.n_events, 1u);
  EXPECT_EQ(out.events[0].kind, EventKind::unavailable);
  EXPECT_EQ(out.events[0].sequence, 1u);
  EXPECT_EQ(out.events[0].count, 5u);
  EXPECT_EQ(delivered(), (std::vector<std::string>{"f", "g"}));
  EXPECT_EQ(c.counters()[C::unavailable], 5u);
  EXPECT_EQ(c.next_expected(), 8u);
  ASSERT_EQ(out.n_tx, 1u);
  EXPECT_EQ(request(0), (std::pair<uint32_t, uint16_t>{8, 2}));
}

TEST_F(Client, ALaterAnswerFollowedByTheWholeOneSkipsNothing) {
  log_in(5);
  // The first packet of a two-packet answer was lost: the second starts at 3.
  ASSERT_EQ(rx(1, seq_packet(3, {"c", "d"})), Verdict::ok);
  EXPECT_TRUE(delivered().empty());
  ASSERT_EQ(rx(2, seq_packet(1, {"a", "b", "c", "d"})), Verdict::ok);
  EXPECT_EQ(delivered(), (std::vector<std::string>{"a", "b", "c", "d"}));
  // Later answers from elsewhere do not add up to a give-up either.
  ASSERT_EQ(rx(3, seq_packet(9, {"i"})), Verdict::ok);  // 5..8 missing
  ASSERT_EQ(rx(4, seq_packet(7, {"g"})), Verdict::ok);
  ASSERT_EQ(rx(5, seq_packet(8, {"h"})), Verdict::ok);
  ASSERT_EQ(rx(6, seq_packet(7, {"g"})), Verdict::ok);
  EXPECT_EQ(c.counters()[C::unavailable], 0u);
  EXPECT_EQ(c.next_expected(), 5u);
}

// A venue that stays silent about messages it lost: the gap is re-requested all along, and once
// nothing has filled its first message for gap_give_up_ns it is given up whole (counted,
// reported), so delivery goes on. A gap that moves restarts the clock; 0 waits forever.
TEST_F(Client, AGapNothingFillsIsGivenUpAfterTheGiveUpTime) {
  log_in();
  ASSERT_EQ(rx(1, seq_packet(1, {"a"})), Verdict::ok);
  uint8_t hb[8];
  const Bytes beat(hb, hb + proto::build_ufo_heartbeat(hb, sizeof hb, 6));
  ASSERT_EQ(rx(2, beat), Verdict::ok);  // 2..5 missing, asked for at t=2
  EXPECT_EQ(request(0), (std::pair<uint32_t, uint16_t>{2, 4}));
  uint64_t asked = 1;
  for (uint64_t t = kSec / 10 + 2; t < 5 * kSec + 2; t += kSec / 10) {
    ASSERT_EQ(rx(t, beat), Verdict::ok);  // the venue is alive, just silent about 2..5
    c.poll(t, out);
    for (uint32_t i = 0; i < out.n_events; ++i)
      ASSERT_NE(out.events[i].kind, EventKind::unavailable) << "at " << t;
    asked = c.counters()[C::gaps_requested];
  }
  EXPECT_GE(asked, 45u) << "re-requested every retransmit_timeout meanwhile";
  EXPECT_EQ(c.next_expected(), 2u);
  c.poll(5 * kSec + 2, out);
  ASSERT_GE(out.n_events, 1u);
  EXPECT_EQ(out.events[0].kind, EventKind::unavailable);
  EXPECT_EQ(out.events[0].sequence, 2u);
  EXPECT_EQ(out.events[0].count, 4u);
  EXPECT_EQ(c.counters()[C::unavailable], 4u);
  EXPECT_EQ(c.next_expected(), 6u);
  ASSERT_EQ(rx(5 * kSec + 3, seq_packet(6, {"f"})), Verdict::ok);
  EXPECT_EQ(delivered(), (std::vector<std::string>{"f"}));
}

TEST_F(Client, AGapThatMovesIsNotGivenUpAndZeroNeverGivesUp) {
  log_in(10);  // 1..9 missing, asked for at t=0
  ASSERT_EQ(rx(4 * kSec, seq_packet(1, {"a", "b"})), Verdict::ok);  // slow, but it moves
  c.poll(6 * kSec, out);
  EXPECT_EQ(c.counters()[C::unavailable], 0u) << "only 2 s since the gap's head moved";
  c.poll(9 * kSec + 1, out);  // 5 s after the request for 3..9
  EXPECT_EQ(c.counters()[C::unavailable], 7u);
  EXPECT_EQ(c.next_expected(), 10u);

  ClientConfig never = client_config();
  never.gap_give_up_ns = 0;
  UfoClientSession patient(never);
  Output o;
  patient.connect(0, o);
  const Bytes acc = accept(10);
  ASSERT_EQ(patient.on_datagram(0, kVenue, acc.data(), acc.size(), o), Verdict::ok);
  patient.poll(9 * kSec, o);  // under the venue timeout (10 s), long past 5 s
  EXPECT_EQ(patient.counters()[C::unavailable], 0u);
  EXPECT_EQ(patient.next_expected(), 1u);
}

TEST_F(Client, LateJoinRequestsFromOne) {
  log_in(10);
  ASSERT_EQ(out.n_tx, 1u);
  EXPECT_EQ(request(0), (std::pair<uint32_t, uint16_t>{1, 9}));
}

TEST_F(Client, RequestsAreCapped) {
  ClientConfig cfg = client_config();
  cfg.max_retransmit_count = 4;
  UfoClientSession small(cfg);
  small.connect(0, out);
  const Bytes a = accept(100);
  ASSERT_EQ(small.on_datagram(0, kVenue, a.data(), a.size(), out), Verdict::ok);
  EXPECT_EQ(request(0), (std::pair<uint32_t, uint16_t>{1, 4}));
}

TEST_F(Client, WrongSourceAfterLogin) {
  log_in();
  Endpoint other = kVenue;
  other.mac[0] = 6;
  EXPECT_EQ(rx(1, seq_packet(1, {"a"}), other), Verdict::unauthorized);
  EXPECT_EQ(rx(1, seq_packet(1, {"a"}), with_port(kVenue, 2)), Verdict::unauthorized);
  EXPECT_EQ(c.counters()[C::wrong_source], 2u);
  EXPECT_EQ(c.next_expected(), 1u);
}

TEST_F(Client, DataBeforeLoginIsIgnored) {
  c.connect(0, out);
  ASSERT_EQ(rx(0, seq_packet(1, {"a"})), Verdict::ok);
  EXPECT_TRUE(delivered().empty());
  EXPECT_EQ(c.counters()[C::not_active], 1u);
  uint8_t wire[64];
  EXPECT_EQ(c.send_unsequenced(0, span_of("x"), wire, sizeof wire).status, SendStatus::not_active);
}

TEST_F(Client, HeartbeatTimeoutAndRelogin) {
  log_in();
  ASSERT_EQ(rx(1, seq_packet(1, {"a"})), Verdict::ok);
  c.poll(kSec, out);  // nothing sent for 1 s: heartbeat
  ASSERT_EQ(out.n_tx, 1u);
  {
    const Bytes b = tx_bytes(out, 0);
    proto::UfoUpReader r(b.data(), b.size());
    proto::UfoUpMessage m{};
    ASSERT_TRUE(r.next(m));
    EXPECT_EQ(m.kind, proto::UfoUpKind::heartbeat);
  }
  c.poll(10 * kSec, out);
  EXPECT_EQ(c.state(), ClientState::active);
  c.poll(10 * kSec + 1, out);  // venue silent for 10 s after t=1
  EXPECT_EQ(c.state(), ClientState::login_pending);
  ASSERT_GE(out.n_events, 1u);
  EXPECT_EQ(out.events[0].kind, EventKind::timed_out);
  ASSERT_EQ(out.n_tx, 1u);
  const Bytes b = tx_bytes(out, 0);
  proto::UfoUpReader r(b.data(), b.size());
  proto::UfoUpMessage m{};
  ASSERT_TRUE(r.next(m));
  ASSERT_EQ(m.kind, proto::UfoUpKind::login_request);
  EXPECT_EQ(m.login.requested_session, make_ufo_session("VENUE00001"));  // same session
  // The venue moved on meanwhile: the new Accept reveals the gap.
  ASSERT_EQ(rx(11 * kSec, accept(4)), Verdict::ok);
  EXPECT_EQ(request(0), (std::pair<uint32_t, uint16_t>{2, 2}));
  EXPECT_EQ(c.counters()[C::timeouts], 1u);
}

TEST_F(Client, SendUnsequencedAndLogout) {
  log_in();
  uint8_t wire[64];
  const SendResult r = c.send_unsequenced(1, span_of("ORDER"), wire, sizeof wire);
  ASSERT_EQ(r.status, SendStatus::sent);
  proto::UfoUpReader rd(wire, r.len);
  proto::UfoUpMessage m{};
  ASSERT_TRUE(rd.next(m));
  EXPECT_EQ(m.kind, proto::UfoUpKind::unsequenced);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(m.data), m.len), "ORDER");
  EXPECT_EQ(c.send_unsequenced(1, span_of("ORDER"), wire, 7).status, SendStatus::no_room);
  c.logout(2, out);
  EXPECT_EQ(c.state(), ClientState::idle);
  ASSERT_EQ(out.n_tx, 1u);
  EXPECT_EQ(tx_bytes(out, 0), single('O'));
  EXPECT_EQ(out.tx[0].dst, kVenue);
}

TEST_F(Client, TruncatedPacketDeliversWholeBlocksAndAsksForTheRest) {
  log_in();
  Bytes p = seq_packet(1, {"aa", "bb", "cc"});
  p.resize(p.size() - 1);
  ASSERT_EQ(rx(1, p), Verdict::malformed);
  EXPECT_EQ(out.error, proto::OeError::ufo_block_truncated);
  EXPECT_EQ(delivered(), (std::vector<std::string>{"aa", "bb"}));
  ASSERT_EQ(out.n_tx, 1u);
  EXPECT_EQ(request(0), (std::pair<uint32_t, uint16_t>{3, 1}));
}

// The two sides wired back to back, the venue's datagrams dropped on a fixed pattern: the
// client must still get every message exactly once, in order, through its requests alone.
TEST(Loopback, LossyLinkDeliversEverythingInOrder) {
  UfoServerSession server(server_config(4096));
  UfoClientSession client(client_config());
  Output sout, cout_;
  std::vector<std::string> got;
  std::deque<Bytes> up, down_q;
  uint64_t now = 0;
  uint32_t down_count = 0;

  auto collect_client = [&] {
    for (uint32_t i = 0; i < cout_.n_tx; ++i)
      up.emplace_back(cout_.tx[i].bytes, cout_.tx[i].bytes + cout_.tx[i].len);
    for (uint32_t i = 0; i < cout_.n_events; ++i)
      if (cout_.events[i].kind == EventKind::message)
        got.emplace_back(reinterpret_cast<const char*>(cout_.events[i].data), cout_.events[i].len);
  };
  auto collect_server = [&] {
    for (uint32_t i = 0; i < sout.n_tx; ++i)
      down_q.emplace_back(sout.tx[i].bytes, sout.tx[i].bytes + sout.tx[i].len);
  };
  auto drain = [&] {
    while (!up.empty() || !down_q.empty()) {
      if (!down_q.empty()) {
        const Bytes b = std::move(down_q.front());
        down_q.pop_front();
        // Every 3rd datagram from the venue is lost (the first, the Login Accept, never is).
        if (++down_count % 3 != 0) {
          client.on_datagram(now, kVenue, b.data(), b.size(), cout_);
          collect_client();
        }
      }
      if (!up.empty()) {
        const Bytes b = std::move(up.front());
        up.pop_front();
        server.on_datagram(now, kClient, b.data(), b.size(), sout);
        collect_server();
      }
    }
  };

  client.connect(now, cout_);
  collect_client();
  drain();
  ASSERT_EQ(client.state(), ClientState::active);
  const int kMessages = 500;
  for (int i = 1; i <= kMessages; ++i) {
    now += 1'000'000;  // 1 ms apart
    const std::string m = "msg" + std::to_string(i);
    uint8_t wire[128];
    const SendResult r = server.send_sequenced(now, span_of(m), wire, sizeof wire);
    ASSERT_EQ(r.status, SendStatus::sent);
    down_q.emplace_back(wire, wire + r.len);
    drain();
    client.poll(now, cout_);
    collect_client();
    drain();
  }
  // Idle time: heartbeats reveal the tail, timeouts repeat requests whose answer was lost.
  for (int i = 0; i < 100 && got.size() < static_cast<size_t>(kMessages); ++i) {
    now += kSec / 5;
    server.poll(now, sout);
    collect_server();
    client.poll(now, cout_);
    collect_client();
    drain();
  }
  ASSERT_EQ(got.size(), static_cast<size_t>(kMessages));
  for (int i = 1; i <= kMessages; ++i) EXPECT_EQ(got[i - 1], "msg" + std::to_string(i));
  EXPECT_EQ(client.counters()[C::messages_in], static_cast<uint64_t>(kMessages));
  EXPECT_GT(client.counters()[C::gaps_requested], 0u);
  EXPECT_GT(server.counters()[C::retransmitted], 0u);
  EXPECT_EQ(client.state(), ClientState::active);
  EXPECT_TRUE(server.logged_in());
}

}  // namespace
}  // namespace sy::session
