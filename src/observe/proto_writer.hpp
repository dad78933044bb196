// A minimal protobuf wire writer: just the encodings OTLP metrics use.
//
// Nested messages are written child first (into their own writer) and then appended with
// their exact length, so no size pre-pass is needed. Off the hot path only: it allocates.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace sy::observe {

enum class WireType : uint8_t { varint = 0, i64 = 1, len = 2 };

class ProtoWriter {
 public:
  void varint(uint64_t v) {
    while (v >= 0x80) {
      buf_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    buf_.push_back(static_cast<char>(v));
  }
  void tag(uint32_t field, WireType wt) { varint(uint64_t{field} << 3 | static_cast<uint8_t>(wt)); }

  void uint_field(uint32_t field, uint64_t v) {  // uint32/uint64/bool/enum/int64 (not zigzag)
    tag(field, WireType::varint);
    varint(v);
  }
  void fixed64_field(uint32_t field, uint64_t v) {
    tag(field, WireType::i64);
    raw64(v);
  }
  void sfixed64_field(uint32_t field, int64_t v) { fixed64_field(field, static_cast<uint64_t>(v)); }
  void double_field(uint32_t field, double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    fixed64_field(field, bits);
  }
  void bytes_field(uint32_t field, std::string_view bytes) {
    tag(field, WireType::len);
    varint(bytes.size());
    buf_.append(bytes);
  }
  void message_field(uint32_t field, const ProtoWriter& child) { bytes_field(field, child.buf_); }

  // Packed repeated fixed64 / double: one LEN field, 8 bytes per value.
  template <typename It, typename ToBits>
  void packed64(uint32_t field, It first, It last, ToBits to_bits) {
    tag(field, WireType::len);
    varint(static_cast<uint64_t>(last - first) * 8);
    for (It it = first; it != last; ++it) raw64(to_bits(*it));
  }

  const std::string& bytes() const { return buf_; }

 private:
  void raw64(uint64_t v) {
    for (int i = 0; i < 8; ++i) buf_.push_back(static_cast<char>(v >> (8 * i)));
  }
  std::string buf_;
};

}  // namespace sy::observe
