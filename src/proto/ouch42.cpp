#include "src/proto/ouch42.hpp"

#include <cstring>

#include "src/net/wire.hpp"

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

// Each type's layout is written once, as a list of (offset, field) visits; the same list drives
// the decoder (Reader) and the encoder (Writer), so the two cannot disagree on an offset.
struct Reader {
  const uint8_t* p;
  void u8(size_t off, uint8_t& v) const { v = p[off]; }
  void u32(size_t off, uint32_t& v) const { v = net::load_be32(p + off); }
  void u64(size_t off, uint64_t& v) const { v = net::load_be64(p + off); }
  template <size_t N>
  void alpha(size_t off, std::array<char, N>& v) const {
    std::memcpy(v.data(), p + off, N);
  }
};

struct Writer {
  uint8_t* p;
  void u8(size_t off, uint8_t v) const { p[off] = v; }
  void u32(size_t off, uint32_t v) const { net::store_be32(p + off, v); }
  void u64(size_t off, uint64_t v) const { net::store_be64(p + off, v); }
  template <size_t N>
  void alpha(size_t off, const std::array<char, N>& v) const {
    std::memcpy(p + off, v.data(), N);
  }
};

// ---- client -> host

template <class F, class M>
void fields_enter_order(const F& f, M& m) {
  f.alpha(1, m.token);
  f.u8(15, m.side);
  f.u32(16, m.shares);
  f.alpha(20, m.stock);
  f.u32(28, m.price);
  f.u32(32, m.time_in_force);
  f.alpha(36, m.firm);
  f.u8(40, m.display);
  f.u8(41, m.capacity);
  f.u8(42, m.intermarket_sweep);
  f.u32(43, m.minimum_quantity);
  f.u8(47, m.cross_type);
  // Customer Type (offset 48) is optional: handled by decode/encode.
}

template <class F, class M>
void fields_replace_order(const F& f, M& m) {
  f.alpha(1, m.existing_token);
  f.alpha(15, m.replacement_token);
  f.u32(29, m.shares);
  f.u32(33, m.price);
  f.u32(37, m.time_in_force);
  f.u8(41, m.display);
  f.u8(42, m.intermarket_sweep);
  f.u32(43, m.minimum_quantity);
}

template <class F, class M>
void fields_cancel_order(const F& f, M& m) {
  f.alpha(1, m.token);
  f.u32(15, m.shares);
}

template <class F, class M>
void fields_modify_order(const F& f, M& m) {
  f.alpha(1, m.token);
  f.u8(15, m.side);
  f.u32(16, m.shares);
}

// ---- host -> client: every type starts with the timestamp at 1 and (but S) a token at 9.

template <class F, class M>
void fields_system_event(const F& f, M& m) {
  f.u64(1, m.timestamp_ns);
  f.u8(9, m.event_code);
}

// Accepted and Replaced share offsets 1..64; Replaced then has the previous token and moves the
// BBO weight indicator to 79.
template <class F, class M>
void fields_order_echo(const F& f, M& m) {
  f.u64(1, m.timestamp_ns);
  f.u8(23, m.side);
  f.u32(24, m.shares);
  f.alpha(28, m.stock);
  f.u32(36, m.price);
  f.u32(40, m.time_in_force);
  f.alpha(44, m.firm);
  f.u8(48, m.display);
  f.u64(49, m.order_reference);
  f.u8(57, m.capacity);
  f.u8(58, m.intermarket_sweep);
  f.u32(59, m.minimum_quantity);
  f.u8(63, m.cross_type);
  f.u8(64, m.order_state);
}

template <class F, class M>
void fields_accepted(const F& f, M& m) {
  fields_order_echo(f, m);
  f.alpha(9, m.token);
  f.u8(65, m.bbo_weight);
}

template <class F, class M>
void fields_replaced(const F& f, M& m) {
  fields_order_echo(f, m);
  f.alpha(9, m.replacement_token);
  f.alpha(65, m.previous_token);
  f.u8(79, m.bbo_weight);
}

template <class F, class M>
void fields_canceled(const F& f, M& m) {
  f.u64(1, m.timestamp_ns);
  f.alpha(9, m.token);
  f.u32(23, m.decrement_shares);
  f.u8(27, m.reason);
}

template <class F, class M>
void fields_aiq_canceled(const F& f, M& m) {
  fields_canceled(f, m);
  f.u32(28, m.quantity_prevented);
  f.u32(32, m.execution_price);
  f.u8(36, m.liquidity_flag);
}

template <class F, class M>
void fields_executed(const F& f, M& m) {
  f.u64(1, m.timestamp_ns);
  f.alpha(9, m.token);
  f.u32(23, m.executed_shares);
  f.u32(27, m.execution_price);
  f.u8(31, m.liquidity_flag);
  f.u64(32, m.match_number);
}

template <class F, class M>
void fields_broken_trade(const F& f, M& m) {
  f.u64(1, m.timestamp_ns);
  f.alpha(9, m.token);
  f.u64(23, m.match_number);
  f.u8(31, m.reason);
}

template <class F, class M>
void fields_rejected(const F& f, M& m) {
  f.u64(1, m.timestamp_ns);
  f.alpha(9, m.token);
  f.u8(23, m.reason);
}

template <class F, class M>
void fields_cancel_pending(const F& f, M& m) {
  f.u64(1, m.timestamp_ns);
  f.alpha(9, m.token);
}

template <class F, class M>
void fields_cancel_reject(const F& f, M& m) {
  fields_cancel_pending(f, m);
}

template <class F, class M>
void fields_priority_update(const F& f, M& m) {
  f.u64(1, m.timestamp_ns);
  f.alpha(9, m.token);
  f.u32(23, m.price);
  f.u8(27, m.display);
  f.u64(28, m.order_reference);
}

template <class F, class M>
void fields_order_modified(const F& f, M& m) {
  f.u64(1, m.timestamp_ns);
  f.alpha(9, m.token);
  f.u8(23, m.side);
  f.u32(24, m.shares);
}

template <class F, class M>
void fields_executed_with_reference(const F& f, M& m) {
  fields_executed(f, m);
  f.u32(40, m.reference_price);
  f.u8(44, m.reference_price_type);
}

template <class F, class M>
void fields_trade_correction(const F& f, M& m) {
  fields_executed(f, m);
  f.u8(40, m.reason);
}

template <class F, class M>
void fields_price_correction(const F& f, M& m) {
  f.u64(1, m.timestamp_ns);
  f.alpha(9, m.token);
  f.u64(23, m.match_number);
  f.u32(31, m.new_execution_price);
  f.u8(35, m.reason);
}

// The length check shared by every type: exact length, Enter Order may omit its last byte.
bool check(const uint8_t* p, size_t len, uint8_t letter, size_t need, size_t min,
           OeError& error) noexcept {
  if (len == 0) {
    error = OeError::ouch_empty;
    return false;
  }
  if (p[0] != letter) {
    error = OeError::ouch_unknown_type;
    return false;
  }
  if (len < min) {
    error = OeError::ouch_short;
    return false;
  }
  if (len > need) {
    error = OeError::ouch_long;
    return false;
  }
  return true;
}

}  // namespace

OuchToken make_token(std::string_view text) noexcept { return make_alpha<14>(text); }
OuchStock make_stock(std::string_view text) noexcept { return make_alpha<8>(text); }
OuchFirm make_firm(std::string_view text) noexcept { return make_alpha<4>(text); }

size_t ouch_client_length(uint8_t type) noexcept {
  switch (type) {
#define SY_X(letter, name, Struct, length) \
  case letter:                             \
    return length;
    SY_OUCH42_CLIENT_TYPES(SY_X)
#undef SY_X
  }
  return 0;
}

size_t ouch_host_length(uint8_t type) noexcept {
  switch (type) {
#define SY_X(letter, name, Struct, length) \
  case letter:                             \
    return length;
    SY_OUCH42_HOST_TYPES(SY_X)
#undef SY_X
  }
  return 0;
}

const char* ouch_client_type_name(uint8_t type) noexcept {
  switch (type) {
#define SY_X(letter, name, Struct, length) \
  case letter:                             \
    return #name;
    SY_OUCH42_CLIENT_TYPES(SY_X)
#undef SY_X
  }
  return "unknown";
}

const char* ouch_host_type_name(uint8_t type) noexcept {
  switch (type) {
#define SY_X(letter, name, Struct, length) \
  case letter:                             \
    return #name;
    SY_OUCH42_HOST_TYPES(SY_X)
#undef SY_X
  }
  return "unknown";
}

// ---- per-type decode / encode

bool decode(const uint8_t* p, size_t len, EnterOrder& out, OeError& error) noexcept {
  if (!check(p, len, 'O', 49, kOuchEnterOrderShortLen, error)) return false;
  fields_enter_order(Reader{p}, out);
  out.has_customer_type = len == 49;
  out.customer_type = out.has_customer_type ? p[48] : uint8_t{0};
  return true;
}

size_t encode(const EnterOrder& m, uint8_t* out, size_t cap) noexcept {
  const size_t len = m.has_customer_type ? 49 : kOuchEnterOrderShortLen;
  if (cap < len) return 0;
  out[0] = 'O';
  fields_enter_order(Writer{out}, m);
  if (m.has_customer_type) out[48] = m.customer_type;
  return len;
}

// Every other type: fixed length, one field list.
#define SY_OUCH42_FIXED(letter, Struct, fields, length)                             \
  bool decode(const uint8_t* p, size_t len, Struct& out, OeError& error) noexcept { \
    if (!check(p, len, letter, length, length, error)) return false;                \
    fields(Reader{p}, out);                                                         \
    return true;                                                                    \
  }                                                                                 \
  size_t encode(const Struct& m, uint8_t* out, size_t cap) noexcept {               \
    if (cap < (length)) return 0;                                                   \
    out[0] = letter;                                                                \
    fields(Writer{out}, m);                                                         \
    return length;                                                                  \
  }

SY_OUCH42_FIXED('U', ReplaceOrder, fields_replace_order, 47)
SY_OUCH42_FIXED('X', CancelOrder, fields_cancel_order, 19)
SY_OUCH42_FIXED('M', ModifyOrder, fields_modify_order, 20)
#define SY_X(letter, name, Struct, length) SY_OUCH42_FIXED(letter, Struct, fields_##name, length)
SY_OUCH42_HOST_TYPES(SY_X)
#undef SY_X
#undef SY_OUCH42_FIXED

// ---- dispatch

bool decode_client(const uint8_t* p, size_t len, OuchClientMessage& out, OeError& error) noexcept {
  if (len == 0) {
    error = OeError::ouch_empty;
    return false;
  }
  switch (p[0]) {
#define SY_X(letter, name, Struct, length) \
  case letter:                             \
    out.type = OuchClientType::name;       \
    return decode(p, len, out.name, error);
    SY_OUCH42_CLIENT_TYPES(SY_X)
#undef SY_X
  }
  error = OeError::ouch_unknown_type;
  return false;
}

bool decode_host(const uint8_t* p, size_t len, OuchHostMessage& out, OeError& error) noexcept {
  if (len == 0) {
    error = OeError::ouch_empty;
    return false;
  }
  switch (p[0]) {
#define SY_X(letter, name, Struct, length) \
  case letter:                             \
    out.type = OuchHostType::name;         \
    return decode(p, len, out.name, error);
    SY_OUCH42_HOST_TYPES(SY_X)
#undef SY_X
  }
  error = OeError::ouch_unknown_type;
  return false;
}

size_t encode(const OuchClientMessage& m, uint8_t* out, size_t cap) noexcept {
  switch (m.type) {
#define SY_X(letter, name, Struct, length) \
  case OuchClientType::name:               \
    return encode(m.name, out, cap);
    SY_OUCH42_CLIENT_TYPES(SY_X)
#undef SY_X
  }
  return 0;
}

size_t encode(const OuchHostMessage& m, uint8_t* out, size_t cap) noexcept {
  switch (m.type) {
#define SY_X(letter, name, Struct, length) \
  case OuchHostType::name:                 \
    return encode(m.name, out, cap);
    SY_OUCH42_HOST_TYPES(SY_X)
#undef SY_X
  }
  return 0;
}

// ---- reason names

const char* ouch_reject_reason_name(uint8_t letter) noexcept {
  switch (letter) {
#define SY_X(l, name, text) \
  case l:                   \
    return #name;
    SY_OUCH42_REJECT_REASONS(SY_X)
#undef SY_X
  }
  return "unknown";
}

const char* ouch_reject_reason_text(uint8_t letter) noexcept {
  switch (letter) {
#define SY_X(l, name, text) \
  case l:                   \
    return text;
    SY_OUCH42_REJECT_REASONS(SY_X)
#undef SY_X
  }
  return "unknown reason";
}

const char* ouch_cancel_reason_name(uint8_t letter) noexcept {
  switch (letter) {
#define SY_X(l, name, text) \
  case l:                   \
    return #name;
    SY_OUCH42_CANCEL_REASONS(SY_X)
#undef SY_X
  }
  return "unknown";
}

const char* ouch_cancel_reason_text(uint8_t letter) noexcept {
  switch (letter) {
#define SY_X(l, name, text) \
  case l:                   \
    return text;
    SY_OUCH42_CANCEL_REASONS(SY_X)
#undef SY_X
  }
  return "unknown reason";
}

}  // namespace sy::proto
