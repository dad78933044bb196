#include "src/proto/moldudp64.hpp"

namespace sy::proto {

MoldSession make_mold_session(std::string_view text) noexcept {
  MoldSession s;
  std::memset(s.bytes, ' ', kMoldSessionLen);
  const size_t n = text.size() < kMoldSessionLen ? text.size() : kMoldSessionLen;
  if (n != 0) std::memcpy(s.bytes, text.data(), n);
  return s;
}

std::string to_string(const MoldSession& s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(kMoldSessionLen);
  for (char c : s.bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '\\') {
      out.push_back(c);
    } else {
      out += "\\x";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xf]);
    }
  }
  return out;
}

namespace {

size_t write_header(uint8_t* out, const MoldSession& session, uint64_t sequence, uint16_t count) {
  std::memcpy(out, session.bytes, kMoldSessionLen);
  net::store_be64(out + 10, sequence);
  net::store_be16(out + 18, count);
  return kMoldHeaderLen;
}

}  // namespace

size_t build_mold_request(uint8_t* out, size_t cap, const MoldRequest& req) noexcept {
  if (cap < kMoldRequestLen) return 0;
  return write_header(out, req.session, req.sequence, req.count);
}

bool parse_mold_request(const uint8_t* p, size_t len, MoldRequest& out) noexcept {
  if (len != kMoldRequestLen) return false;
  std::memcpy(out.session.bytes, p, kMoldSessionLen);
  out.sequence = net::load_be64(p + 10);
  out.count = net::load_be16(p + 18);
  return true;
}

bool parse_mold_request(const uint8_t* p, size_t len, MoldRequest& out,
                        ProtoErrorCounters& errors) noexcept {
  if (parse_mold_request(p, len, out)) return true;
  errors.add(ProtoError::mold_request_bad_length);
  return false;
}

size_t build_mold_packet(uint8_t* out, size_t cap, const MoldSession& session, uint64_t sequence,
                         std::span<const std::span<const uint8_t>> messages) noexcept {
  if (messages.size() > kMoldMaxBlocks) return 0;
  MoldWriter w(out, cap, session, sequence);
  if (w.size() == 0) return 0;
  for (const auto& m : messages) {
    if (!w.add_message(m)) return 0;
  }
  return w.finish();
}

size_t build_mold_heartbeat(uint8_t* out, size_t cap, const MoldSession& session,
                            uint64_t next_sequence) noexcept {
  if (cap < kMoldHeaderLen) return 0;
  return write_header(out, session, next_sequence, kMoldHeartbeatCount);
}

size_t build_mold_end_of_session(uint8_t* out, size_t cap, const MoldSession& session,
                                 uint64_t next_sequence) noexcept {
  if (cap < kMoldHeaderLen) return 0;
  return write_header(out, session, next_sequence, kMoldEndOfSessionCount);
}

}  // namespace sy::proto
