// Nasdaq UFO 1.0 (UDP for Orders): the packets of both directions, length-checked parsers and
// builders into caller buffers. Layouts: docs protocols.md §4.
//
// Downstream (server -> client) packets start with a type letter: Login Accept `A`, Login Reject
// `J`, Sequenced Data `S` (a 4-byte sequence number, a count and length-prefixed blocks; count 0
// is a heartbeat) and End of Session `E`. Upstream (client -> server) packets are one or more
// length-prefixed blocks with no header, each holding one message: Login Request `L`,
// Retransmission Request `T`, Unsequenced `U`, Heartbeat `R`, Logoff `O`. Sequence numbers are
// 4 bytes; the first message of a session is 1.
//
// Parsers never read past the length given, never allocate and never throw; a failure is one
// OeError. Builders return the bytes written, or 0 when the packet does not fit `cap`.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "src/net/wire.hpp"
#include "src/proto/oe_error.hpp"

namespace sy::proto {

inline constexpr size_t kUfoMaxPacket = 1472;  // 1500 MTU - IPv4 - UDP
inline constexpr size_t kUfoLoginAcceptLen = 15;
inline constexpr size_t kUfoLoginRejectLen = 2;
inline constexpr size_t kUfoEndOfSessionLen = 5;
inline constexpr size_t kUfoSequencedHeaderLen = 7;
inline constexpr size_t kUfoBlockHeaderLen = 2;
inline constexpr size_t kUfoMaxSequencedMessage = 1465;  // one block filling a packet
inline constexpr size_t kUfoMaxUpstreamMessage = 1470;
inline constexpr size_t kUfoLoginRequestLen = 27;
inline constexpr size_t kUfoRetransmissionRequestLen = 7;
inline constexpr size_t kUfoSessionLen = 10;
inline constexpr size_t kUfoUsernameLen = 6;
inline constexpr size_t kUfoPasswordLen = 10;

using UfoSession = std::array<char, kUfoSessionLen>;  // alpha, space padded
using UfoUsername = std::array<char, kUfoUsernameLen>;
using UfoPassword = std::array<char, kUfoPasswordLen>;

UfoSession make_ufo_session(std::string_view text) noexcept;  // space padded / truncated
UfoUsername make_ufo_username(std::string_view text) noexcept;
UfoPassword make_ufo_password(std::string_view text) noexcept;
inline bool is_blank(const UfoSession& s) noexcept {
  for (char c : s)
    if (c != ' ') return false;
  return true;
}

// Login Reject reasons.
inline constexpr uint8_t kUfoRejectNotAuthorized = 'A';
inline constexpr uint8_t kUfoRejectSessionUnavailable = 'S';

// Upstream packets start with the high byte of a block length (<= 1470, so <= 0x05); downstream
// ones with a type letter.
constexpr bool ufo_is_upstream(uint8_t first_byte) noexcept { return first_byte <= 0x05; }

// ------------------------------------------------------------------ downstream

enum class UfoDownKind : uint8_t {
  login_accept = 'A',
  login_reject = 'J',
  sequenced = 'S',  // data, or a heartbeat when count == 0
  end_of_session = 'E',
};

struct UfoDownHeader {
  UfoDownKind kind;
  UfoSession session;     // A
  uint32_t sequence;      // A: next sequence to be sent; S: first block (heartbeat: next)
  uint16_t count;         // S: blocks announced
  uint8_t reject_reason;  // J
  uint32_t total;         // E: sequenced messages in the session (= next expected - 1)
};

// Reads the packet type and fixed part. False with `error` for an empty datagram, an unknown
// type, an A/J/E of the wrong length (ufo_bad_length) or an S shorter than its header. S blocks
// are then read with UfoBlockReader.
bool parse_ufo_down(const uint8_t* p, size_t len, UfoDownHeader& out, OeError& error) noexcept;

// One block of a sequenced packet; `data` points into the packet.
struct UfoBlock {
  const uint8_t* data;
  uint16_t len;
  uint32_t sequence;
};

// Walks the blocks of an S packet whose header parse_ufo_down accepted:
//   UfoBlockReader r(p, len, header);
//   for (UfoBlock b; r.next(b);) ...
//   if (r.error()) ...   // ufo_block_truncated or ufo_trailing_bytes, found at the end
// After a truncation next() returns false; lost() says how many announced blocks never framed.
class UfoBlockReader {
 public:
  UfoBlockReader(const uint8_t* p, size_t len, const UfoDownHeader& h) noexcept
      : pos_(p + kUfoSequencedHeaderLen), end_(p + len), sequence_(h.sequence), count_(h.count) {}

  bool next(UfoBlock& out) noexcept {
    if (has_error_) return false;
    if (read_ == count_) {
      if (pos_ != end_) fail(OeError::ufo_trailing_bytes);
      return false;
    }
    const size_t left = static_cast<size_t>(end_ - pos_);
    if (left < kUfoBlockHeaderLen || left - kUfoBlockHeaderLen < net::load_be16(pos_))
      return fail(OeError::ufo_block_truncated);
    out.len = net::load_be16(pos_);
    out.data = pos_ + kUfoBlockHeaderLen;
    out.sequence = sequence_ + read_;
    pos_ += kUfoBlockHeaderLen + out.len;
    ++read_;
    return true;
  }

  // Set once next() has returned false for a malformed packet: the blocks already delivered
  // stay valid (each was wholly inside the packet).
  bool has_error() const noexcept { return has_error_; }
  OeError error() const noexcept { return error_; }
  bool truncated() const noexcept { return has_error_ && error_ == OeError::ufo_block_truncated; }
  uint16_t read() const noexcept { return read_; }
  uint16_t lost() const noexcept { return truncated() ? static_cast<uint16_t>(count_ - read_) : 0; }

 private:
  bool fail(OeError e) noexcept {
    error_ = e;
    has_error_ = true;
    return false;
  }
  const uint8_t* pos_;
  const uint8_t* end_;
  uint32_t sequence_;
  uint16_t count_;
  uint16_t read_ = 0;
  OeError error_{};
  bool has_error_ = false;
};

size_t build_ufo_login_accept(uint8_t* out, size_t cap, const UfoSession& session,
                              uint32_t next_sequence) noexcept;
size_t build_ufo_login_reject(uint8_t* out, size_t cap, uint8_t reason) noexcept;
size_t build_ufo_end_of_session(uint8_t* out, size_t cap, uint32_t total) noexcept;
// S with count 0: `next_sequence` is the next sequence number to be sent.
size_t build_ufo_heartbeat(uint8_t* out, size_t cap, uint32_t next_sequence) noexcept;

// Fills an S packet block by block; stops at whole messages (the spec's rule for replies).
//   UfoSequencedWriter w(buf, kUfoMaxPacket, first_seq);
//   while (w.add(msg)) ...;  size_t n = w.size();
class UfoSequencedWriter {
 public:
  UfoSequencedWriter(uint8_t* out, size_t cap, uint32_t sequence) noexcept : out_(out), cap_(cap) {
    if (cap < kUfoSequencedHeaderLen) {
      cap_ = 0;
      return;
    }
    out[0] = 'S';
    net::store_be32(out + 1, sequence);
    net::store_be16(out + 5, 0);
    len_ = kUfoSequencedHeaderLen;
  }
  // Room for one block of `len` bytes (length written), or nullptr if it does not fit.
  uint8_t* add_block(size_t len) noexcept {
    if (cap_ == 0 || len > kUfoMaxSequencedMessage || count_ == 0xFFFF ||
        cap_ - len_ < kUfoBlockHeaderLen + len)
      return nullptr;
    uint8_t* p = out_ + len_;
    net::store_be16(p, static_cast<uint16_t>(len));
    len_ += kUfoBlockHeaderLen + len;
    net::store_be16(out_ + 5, ++count_);
    return p + kUfoBlockHeaderLen;
  }
  bool add(std::span<const uint8_t> msg) noexcept {
    uint8_t* p = add_block(msg.size());
    if (p == nullptr) return false;
    if (!msg.empty()) std::memcpy(p, msg.data(), msg.size());
    return true;
  }
  uint16_t count() const noexcept { return count_; }
  size_t size() const noexcept { return len_; }  // 0 if cap could not hold the header

 private:
  uint8_t* out_;
  size_t cap_;
  size_t len_ = 0;
  uint16_t count_ = 0;
};

// ------------------------------------------------------------------ upstream

enum class UfoUpKind : uint8_t {
  login_request = 'L',
  retransmission_request = 'T',
  unsequenced = 'U',
  heartbeat = 'R',
  logoff = 'O',
};

struct UfoLoginRequest {
  UfoUsername username;
  UfoPassword password;
  UfoSession requested_session;  // all spaces: the current session
};

struct UfoRetransmissionRequest {
  uint32_t sequence;  // first wanted
  uint16_t count;
};

// One upstream message (one block).
struct UfoUpMessage {
  UfoUpKind kind;
  UfoLoginRequest login;             // L
  UfoRetransmissionRequest retrans;  // T
  const uint8_t* data;               // U: the payload after the type byte (into the packet)
  uint16_t len;                      // U: payload length (may be 0)
};

// Walks the blocks of an upstream packet:
//   UfoUpReader r(p, len);
//   for (UfoUpMessage m; r.next(m);) ...
//   if (r.error()) ...  // the first malformed block stops the walk
// A block that frames but whose message is malformed (unknown type, L/T/R/O of the wrong
// length) stops the walk too: the framing is intact but a client that sends it is broken.
// An empty datagram is ufo_empty.
class UfoUpReader {
 public:
  UfoUpReader(const uint8_t* p, size_t len) noexcept : pos_(p), end_(p + len) {
    if (len == 0) fail(OeError::ufo_empty);
  }
  bool next(UfoUpMessage& out) noexcept;
  bool has_error() const noexcept { return has_error_; }
  OeError error() const noexcept { return error_; }
  uint16_t read() const noexcept { return read_; }

 private:
  bool fail(OeError e) noexcept {
    error_ = e;
    has_error_ = true;
    pos_ = end_;
    return false;
  }
  const uint8_t* pos_;
  const uint8_t* end_;
  uint16_t read_ = 0;
  OeError error_{};
  bool has_error_ = false;
};

// Appends upstream blocks to a packet; each add returns false (and changes nothing) when the
// block does not fit.
class UfoUpWriter {
 public:
  UfoUpWriter(uint8_t* out, size_t cap) noexcept : out_(out), cap_(cap) {}
  bool add_login(const UfoLoginRequest& login) noexcept;
  bool add_retransmission_request(uint32_t sequence, uint16_t count) noexcept;
  bool add_heartbeat() noexcept;
  bool add_logoff() noexcept;
  // A `U` block: room for `len` payload bytes (type and length written), or nullptr.
  uint8_t* add_unsequenced(size_t len) noexcept;
  bool add_unsequenced(std::span<const uint8_t> payload) noexcept;
  size_t size() const noexcept { return len_; }
  uint16_t count() const noexcept { return count_; }

 private:
  uint8_t* add_block(uint8_t type, size_t message_len) noexcept;
  uint8_t* out_;
  size_t cap_;
  size_t len_ = 0;
  uint16_t count_ = 0;
};

}  // namespace sy::proto
