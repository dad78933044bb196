#include "src/proto/ufo.hpp"

namespace sy::proto {

namespace {

template <size_t N>
std::array<char, N> make_alpha(std::string_view text) noexcept {
  std::array<char, N> a;
  a.fill(' ');
  const size_t n = text.size() < N ? text.size() : N;
  if (n != 0) std::memcpy(a.data(), text.data(), n);
  return a;
}

}  // namespace

UfoSession make_ufo_session(std::string_view text) noexcept {
  return make_alpha<kUfoSessionLen>(text);
}
UfoUsername make_ufo_username(std::string_view text) noexcept {
  return make_alpha<kUfoUsernameLen>(text);
}
UfoPassword make_ufo_password(std::string_view text) noexcept {
  return make_alpha<kUfoPasswordLen>(text);
}

bool parse_ufo_down(const uint8_t* p, size_t len, UfoDownHeader& out, OeError& error) noexcept {
  if (len == 0) {
    error = OeError::ufo_empty;
    return false;
  }
  out = UfoDownHeader{};
  switch (p[0]) {
    case 'A':
      if (len != kUfoLoginAcceptLen) break;
      out.kind = UfoDownKind::login_accept;
      std::memcpy(out.session.data(), p + 1, kUfoSessionLen);
      out.sequence = net::load_be32(p + 11);
      return true;
    case 'J':
      if (len != kUfoLoginRejectLen) break;
      out.kind = UfoDownKind::login_reject;
      out.reject_reason = p[1];
      return true;
    case 'E':
      if (len != kUfoEndOfSessionLen) break;
      out.kind = UfoDownKind::end_of_session;
      out.total = net::load_be32(p + 1);
      return true;
    case 'S':
      if (len < kUfoSequencedHeaderLen) {
        error = OeError::ufo_short_header;
        return false;
      }
      out.kind = UfoDownKind::sequenced;
      out.sequence = net::load_be32(p + 1);
      out.count = net::load_be16(p + 5);
      return true;
    default:
      error = OeError::ufo_unknown_type;
      return false;
  }
  error = OeError::ufo_bad_length;
  return false;
}

size_t build_ufo_login_accept(uint8_t* out, size_t cap, const UfoSession& session,
                              uint32_t next_sequence) noexcept {
  if (cap < kUfoLoginAcceptLen) return 0;
  out[0] = 'A';
  std::memcpy(out + 1, session.data(), kUfoSessionLen);
  net::store_be32(out + 11, next_sequence);
  return kUfoLoginAcceptLen;
}

size_t build_ufo_login_reject(uint8_t* out, size_t cap, uint8_t reason) noexcept {
  if (cap < kUfoLoginRejectLen) return 0;
  out[0] = 'J';
  out[1] = reason;
  return kUfoLoginRejectLen;
}

size_t build_ufo_end_of_session(uint8_t* out, size_t cap, uint32_t total) noexcept {
  if (cap < kUfoEndOfSessionLen) return 0;
  out[0] = 'E';
  net::store_be32(out + 1, total);
  return kUfoEndOfSessionLen;
}

size_t build_ufo_heartbeat(uint8_t* out, size_t cap, uint32_t next_sequence) noexcept {
  return UfoSequencedWriter(out, cap, next_sequence).size();
}

bool UfoUpReader::next(UfoUpMessage& out) noexcept {
  if (has_error_ || pos_ == end_) return false;
  const size_t left = static_cast<size_t>(end_ - pos_);
  if (left < kUfoBlockHeaderLen) return fail(OeError::ufo_block_truncated);
  const uint16_t len = net::load_be16(pos_);
  if (len == 0) return fail(OeError::ufo_block_empty);
  if (len > kUfoMaxUpstreamMessage) return fail(OeError::ufo_block_too_long);
  if (left - kUfoBlockHeaderLen < len) return fail(OeError::ufo_block_truncated);
  const uint8_t* m = pos_ + kUfoBlockHeaderLen;
  switch (m[0]) {
    case 'L':
      if (len != kUfoLoginRequestLen) return fail(OeError::ufo_bad_message_length);
      out.kind = UfoUpKind::login_request;
      std::memcpy(out.login.username.data(), m + 1, kUfoUsernameLen);
      std::memcpy(out.login.password.data(), m + 7, kUfoPasswordLen);
      std::memcpy(out.login.requested_session.data(), m + 17, kUfoSessionLen);
      break;
    case 'T':
      if (len != kUfoRetransmissionRequestLen) return fail(OeError::ufo_bad_message_length);
      out.kind = UfoUpKind::retransmission_request;
      out.retrans.sequence = net::load_be32(m + 1);
      out.retrans.count = net::load_be16(m + 5);
      break;
    case 'U':
      out.kind = UfoUpKind::unsequenced;
      out.data = m + 1;
      out.len = static_cast<uint16_t>(len - 1);
      break;
    case 'R':
    case 'O':
      if (len != 1) return fail(OeError::ufo_bad_message_length);
      out.kind = m[0] == 'R' ? UfoUpKind::heartbeat : UfoUpKind::logoff;
      break;
    default:
      return fail(OeError::ufo_unknown_message);
  }
  pos_ += kUfoBlockHeaderLen + len;
  ++read_;
  return true;
}

uint8_t* UfoUpWriter::add_block(uint8_t type, size_t message_len) noexcept {
  if (message_len == 0 || message_len > kUfoMaxUpstreamMessage ||
      cap_ - len_ < kUfoBlockHeaderLen + message_len)
    return nullptr;
  uint8_t* p = out_ + len_;
  net::store_be16(p, static_cast<uint16_t>(message_len));
  p[kUfoBlockHeaderLen] = type;
  len_ += kUfoBlockHeaderLen + message_len;
  ++count_;
  return p + kUfoBlockHeaderLen + 1;
}

bool UfoUpWriter::add_login(const UfoLoginRequest& login) noexcept {
  uint8_t* p = add_block('L', kUfoLoginRequestLen);
  if (p == nullptr) return false;
  std::memcpy(p, login.username.data(), kUfoUsernameLen);
  std::memcpy(p + 6, login.password.data(), kUfoPasswordLen);
  std::memcpy(p + 16, login.requested_session.data(), kUfoSessionLen);
  return true;
}

bool UfoUpWriter::add_retransmission_request(uint32_t sequence, uint16_t count) noexcept {
  uint8_t* p = add_block('T', kUfoRetransmissionRequestLen);
  if (p == nullptr) return false;
  net::store_be32(p, sequence);
  net::store_be16(p + 4, count);
  return true;
}

bool UfoUpWriter::add_heartbeat() noexcept { return add_block('R', 1) != nullptr; }
bool UfoUpWriter::add_logoff() noexcept { return add_block('O', 1) != nullptr; }

uint8_t* UfoUpWriter::add_unsequenced(size_t len) noexcept {
  if (len >= kUfoMaxUpstreamMessage) return nullptr;
  return add_block('U', len + 1);
}

bool UfoUpWriter::add_unsequenced(std::span<const uint8_t> payload) noexcept {
  uint8_t* p = add_unsequenced(payload.size());
  if (p == nullptr) return false;
  if (!payload.empty()) std::memcpy(p, payload.data(), payload.size());
  return true;
}

}  // namespace sy::proto
