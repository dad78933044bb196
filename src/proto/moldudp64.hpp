// MoldUDP64 1.00: downstream packets (header + message blocks) and re-request packets.
//
// Parsing works on the UDP payload only, never reads past the length it is given, never
// allocates and never throws: malformed input is counted in ProtoErrorCounters and whatever the
// framing still allows is delivered. The builders serve tests, fuzz corpora and the traffic
// generator. No DPDK dependency. Layouts: docs protocols.md §1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "src/net/wire.hpp"
#include "src/proto/proto_error.hpp"

namespace sy::proto {

inline constexpr size_t kMoldSessionLen = 10;
inline constexpr size_t kMoldHeaderLen = 20;
inline constexpr size_t kMoldBlockHeaderLen = 2;
inline constexpr size_t kMoldRequestLen = 20;
inline constexpr uint16_t kMoldHeartbeatCount = 0;
inline constexpr uint16_t kMoldEndOfSessionCount = 0xFFFF;
// The largest Message Count a data packet can carry: 0xFFFF would read as end of session.
inline constexpr uint16_t kMoldMaxBlocks = 0xFFFE;

// Ten raw bytes: the spec says alphanumeric, but a feed that sends anything else is still one
// session, so comparisons never trim, case-fold or stop at NUL.
struct MoldSession {
  char bytes[kMoldSessionLen];

  bool operator==(const MoldSession& o) const noexcept {
    return std::memcmp(bytes, o.bytes, kMoldSessionLen) == 0;
  }
};

// A session from text, right-padded with spaces (the wire convention for alpha) or truncated.
MoldSession make_mold_session(std::string_view text) noexcept;
// The ten bytes for reports: printable ASCII kept, anything else as \xNN; trailing spaces kept.
std::string to_string(const MoldSession& s);

enum class MoldKind : uint8_t { data, heartbeat, end_of_session };

struct MoldHeader {
  MoldSession session;
  uint64_t sequence;  // of the first block; for heartbeat/end of session, the next expected
  uint16_t count;     // Message Count as sent
  MoldKind kind;
};

// One message block; `data` points into the packet.
struct MoldBlock {
  const uint8_t* data;
  uint16_t len;
  uint64_t sequence;
};

// Reads the 20-byte header. False when len < 20 (the caller counts mold_short_header, or uses
// MoldReader which does).
inline bool parse_mold_header(const uint8_t* p, size_t len, MoldHeader& out) noexcept {
  if (len < kMoldHeaderLen) return false;
  std::memcpy(out.session.bytes, p, kMoldSessionLen);
  out.sequence = net::load_be64(p + 10);
  out.count = net::load_be16(p + 18);
  out.kind = out.count == kMoldHeartbeatCount      ? MoldKind::heartbeat
             : out.count == kMoldEndOfSessionCount ? MoldKind::end_of_session
                                                   : MoldKind::data;
  return true;
}

// Walks the blocks of one downstream packet.
//
//   MoldReader r(payload, len, errors);
//   if (!r.valid()) return;                 // mold_short_header, already counted
//   for (MoldBlock b; r.next(b);) ...       // b.sequence = header sequence + index
//   r.messages_lost()                       // > 0 only after mold_block_truncated
//
// Errors are counted once per packet, when they are found: mold_short_header in the
// constructor; mold_trailing_bytes in the constructor for heartbeat/end of session and when
// next() passes the last announced block for data (a caller that stops early is not told);
// mold_block_truncated when a block does not fit, after which next() returns false and
// mold_messages_lost grows by the blocks not delivered.
class MoldReader {
 public:
  MoldReader(const uint8_t* payload, size_t len, ProtoErrorCounters& errors) noexcept
      : pos_(payload), end_(payload + len), errors_(&errors) {
    if (!parse_mold_header(payload, len, header_)) {
      errors.add(ProtoError::mold_short_header);
      pos_ = end_;
      return;
    }
    valid_ = true;
    pos_ = payload + kMoldHeaderLen;
    if (header_.kind == MoldKind::data) {
      blocks_expected_ = header_.count;
    } else {
      finish();
    }
  }

  bool valid() const noexcept { return valid_; }
  const MoldHeader& header() const noexcept { return header_; }
  MoldKind kind() const noexcept { return header_.kind; }

  bool next(MoldBlock& out) noexcept {
    if (blocks_read_ == blocks_expected_) {
      if (!done_) finish();
      return false;
    }
    const size_t left = static_cast<size_t>(end_ - pos_);
    if (left < kMoldBlockHeaderLen) return truncate();
    const uint16_t len = net::load_be16(pos_);
    if (left - kMoldBlockHeaderLen < len) return truncate();
    out.data = pos_ + kMoldBlockHeaderLen;
    out.len = len;
    out.sequence = header_.sequence + blocks_read_;
    pos_ += kMoldBlockHeaderLen + len;
    ++blocks_read_;
    return true;
  }

  uint16_t blocks_read() const noexcept { return blocks_read_; }
  bool truncated() const noexcept { return truncated_; }
  // Announced blocks that could not be framed (count - blocks read), after a truncation.
  uint16_t messages_lost() const noexcept {
    return truncated_ ? static_cast<uint16_t>(blocks_expected_ - blocks_read_) : 0;
  }
  size_t trailing_bytes() const noexcept { return trailing_bytes_; }

 private:
  void finish() noexcept {
    done_ = true;
    trailing_bytes_ = static_cast<size_t>(end_ - pos_);
    if (trailing_bytes_ != 0) errors_->add(ProtoError::mold_trailing_bytes);
  }

  bool truncate() noexcept {
    if (!done_) {
      done_ = true;
      truncated_ = true;
      errors_->add(ProtoError::mold_block_truncated);
      errors_->mold_messages_lost += static_cast<uint64_t>(blocks_expected_ - blocks_read_);
    }
    return false;
  }

  const uint8_t* pos_;
  const uint8_t* end_;
  ProtoErrorCounters* errors_;
  MoldHeader header_{};
  size_t trailing_bytes_ = 0;
  uint16_t blocks_expected_ = 0;
  uint16_t blocks_read_ = 0;
  bool valid_ = false;
  bool done_ = false;
  bool truncated_ = false;
};

// Re-request (listener → re-request server): exactly 20 bytes.
struct MoldRequest {
  MoldSession session;
  uint64_t sequence;  // first sequence number wanted
  uint16_t count;     // messages wanted
};

// Writes the 20-byte request; returns 20, or 0 if cap < 20.
size_t build_mold_request(uint8_t* out, size_t cap, const MoldRequest& req) noexcept;
// False unless len is exactly 20.
bool parse_mold_request(const uint8_t* p, size_t len, MoldRequest& out) noexcept;
// Same, counting mold_request_bad_length.
bool parse_mold_request(const uint8_t* p, size_t len, MoldRequest& out,
                        ProtoErrorCounters& errors) noexcept;

// A whole downstream packet: header then one block per message. Returns its length, or 0 if
// it does not fit in cap, a message is longer than 0xFFFF or there are more than kMoldMaxBlocks
// messages. No messages makes a heartbeat.
size_t build_mold_packet(uint8_t* out, size_t cap, const MoldSession& session, uint64_t sequence,
                         std::span<const std::span<const uint8_t>> messages) noexcept;
// Count 0 / 0xFFFF, no blocks; `next_sequence` is the next sequence number expected.
size_t build_mold_heartbeat(uint8_t* out, size_t cap, const MoldSession& session,
                            uint64_t next_sequence) noexcept;
size_t build_mold_end_of_session(uint8_t* out, size_t cap, const MoldSession& session,
                                 uint64_t next_sequence) noexcept;

// Fills a packet block by block so a generator can stop when the next message does not fit
// (the spec's rule for replies: only whole messages).
//
//   MoldWriter w(buf, mtu_payload, session, seq);
//   while (uint8_t* p = w.add_block(len)) encode_itch(msg, p, len);
//   size_t n = w.finish();
class MoldWriter {
 public:
  MoldWriter(uint8_t* out, size_t cap, const MoldSession& session, uint64_t sequence) noexcept
      : out_(out), cap_(cap) {
    if (cap < kMoldHeaderLen) {
      cap_ = 0;
      return;
    }
    std::memcpy(out, session.bytes, kMoldSessionLen);
    net::store_be64(out + 10, sequence);
    net::store_be16(out + 18, 0);
    len_ = kMoldHeaderLen;
  }

  // Room for one block of `len` data bytes (length field written), or nullptr if it does not
  // fit or the packet already holds kMoldMaxBlocks blocks; a refused block changes nothing.
  uint8_t* add_block(uint16_t len) noexcept {
    if (cap_ == 0 || count_ == kMoldMaxBlocks || cap_ - len_ < kMoldBlockHeaderLen + size_t{len})
      return nullptr;
    uint8_t* p = out_ + len_;
    net::store_be16(p, len);
    len_ += kMoldBlockHeaderLen + len;
    ++count_;
    net::store_be16(out_ + 18, count_);
    return p + kMoldBlockHeaderLen;
  }

  bool add_message(std::span<const uint8_t> msg) noexcept {
    if (msg.size() > 0xFFFF) return false;
    uint8_t* p = add_block(static_cast<uint16_t>(msg.size()));
    if (p == nullptr) return false;
    if (!msg.empty()) std::memcpy(p, msg.data(), msg.size());
    return true;
  }

  uint16_t count() const noexcept { return count_; }
  size_t size() const noexcept { return len_; }
  // Bytes still free for block data after one more block header (0 if none).
  size_t room() const noexcept {
    return cap_ - len_ > kMoldBlockHeaderLen ? cap_ - len_ - kMoldBlockHeaderLen : 0;
  }
  // The packet length (0 if cap could not hold the header).
  size_t finish() const noexcept { return len_; }

 private:
  uint8_t* out_;
  size_t cap_;
  size_t len_ = 0;
  uint16_t count_ = 0;
};

}  // namespace sy::proto
