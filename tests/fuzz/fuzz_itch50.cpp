// One input = one ITCH 5.0 message (a MoldUDP64 block's data). Properties: decode never reads
// past `size` (ASan), a failure names the right reason, and a success maps to a canonical record
// and re-encodes to exactly the table-length prefix of the input, byte for byte.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "src/common/canonical_record.hpp"
#include "src/proto/itch50.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace sy::proto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ItchMessage m;
  ProtoError error{};
  const bool decoded = decode_itch(data, size, m, error);
  // The hot path's direct decode must agree with decode_itch + to_canonical on every input.
  {
    alignas(64) sy::CanonicalRecord direct;
    const uint8_t* stock = nullptr;
    ProtoError direct_error{};
    const bool ok = decode_canonical(data, size, direct, stock, direct_error);
    SY_FUZZ_CHECK(ok == decoded);
    if (!ok) {
      SY_FUZZ_CHECK(direct_error == error);
    } else {
      alignas(64) sy::CanonicalRecord via;
      SY_FUZZ_CHECK(to_canonical(m, via));
      SY_FUZZ_CHECK(std::memcmp(&direct, &via, sizeof via) == 0);
      SY_FUZZ_CHECK((stock != nullptr) == (data[0] == 'R'));
    }
  }
  if (!decoded) {
    if (size == 0) {
      SY_FUZZ_CHECK(error == ProtoError::itch_empty);
    } else if (!is_itch_type(data[0])) {
      SY_FUZZ_CHECK(error == ProtoError::itch_unknown_type);
    } else {
      SY_FUZZ_CHECK(error == ProtoError::itch_short);
      SY_FUZZ_CHECK(size < itch_length(data[0]));
    }
    return 0;
  }
  const size_t len = itch_length(data[0]);
  SY_FUZZ_CHECK(len != 0 && size >= len);
  SY_FUZZ_CHECK(m.type == data[0]);
  SY_FUZZ_CHECK(m.timestamp_ns < (uint64_t{1} << 48));

  sy::CanonicalRecord rec;
  SY_FUZZ_CHECK(to_canonical(m, rec));
  SY_FUZZ_CHECK(rec.itch_type == m.type);
  SY_FUZZ_CHECK(rec.locate == m.locate);
  SY_FUZZ_CHECK(rec.exchange_ns == m.timestamp_ns);
  SY_FUZZ_CHECK(rec.rx_ns == 0 && rec.sequence == 0 && rec.feed == 0);
  SY_FUZZ_CHECK((rec.flags & ~sy::kRecSharesSaturated) == 0);
  SY_FUZZ_CHECK(static_cast<uint8_t>(rec.kind) >= 1 && static_cast<uint8_t>(rec.kind) <= 13);

  uint8_t out[kItchMaxLen];
  SY_FUZZ_CHECK(encode_itch(m, out, sizeof out) == len);
  SY_FUZZ_CHECK(std::memcmp(out, data, len) == 0);

  ItchMessage again;
  SY_FUZZ_CHECK(decode_itch(out, len, again, error));
  SY_FUZZ_CHECK(again == m);
  return 0;
}
