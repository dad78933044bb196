// One input = one UDP payload. Properties: the reader never hands out a block outside the input
// (ASan and explicit bounds), sequences count up from the header, the error accounting adds up
// (blocks read + lost = count after a truncation; trailing bytes = what follows the last block),
// every block goes through the ITCH decoder and the canonical mapping, and a packet that framed
// cleanly is rebuilt byte for byte by the builder.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "src/common/canonical_record.hpp"
#include "src/proto/itch50.hpp"
#include "src/proto/moldudp64.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace sy::proto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ProtoErrorCounters errors;
  MoldRequest req;
  SY_FUZZ_CHECK(parse_mold_request(data, size, req) == (size == kMoldRequestLen));

  MoldReader reader(data, size, errors);
  if (!reader.valid()) {
    SY_FUZZ_CHECK(size < kMoldHeaderLen);
    SY_FUZZ_CHECK(errors[ProtoError::mold_short_header] == 1 && errors.total() == 1);
    MoldBlock b;
    SY_FUZZ_CHECK(!reader.next(b));
    return 0;
  }
  const MoldHeader& h = reader.header();
  SY_FUZZ_CHECK(std::memcmp(h.session.bytes, data, kMoldSessionLen) == 0);

  // The rebuilt packet can never be longer than the input.
  std::vector<uint8_t> rebuilt(size);
  MoldWriter writer(rebuilt.data(), rebuilt.size(), h.session, h.sequence);

  uint16_t index = 0;
  for (MoldBlock b; reader.next(b); ++index) {
    SY_FUZZ_CHECK(h.kind == MoldKind::data);
    SY_FUZZ_CHECK(b.data >= data + kMoldHeaderLen + kMoldBlockHeaderLen);
    SY_FUZZ_CHECK(static_cast<size_t>(b.data - data) + b.len <= size);
    SY_FUZZ_CHECK(b.sequence == h.sequence + index);
    SY_FUZZ_CHECK(writer.add_message({b.data, b.len}));

    ItchMessage m;
    if (decode_itch(b.data, b.len, m, errors)) {
      sy::CanonicalRecord rec;
      SY_FUZZ_CHECK(to_canonical(m, rec));
      uint8_t out[kItchMaxLen];
      const size_t n = encode_itch(m, out, sizeof out);
      SY_FUZZ_CHECK(n != 0 && n <= b.len && std::memcmp(out, b.data, n) == 0);
    }
  }
  SY_FUZZ_CHECK(index == reader.blocks_read());

  const uint64_t mold_errors = errors[ProtoError::mold_block_truncated] +
                               errors[ProtoError::mold_trailing_bytes] +
                               errors[ProtoError::mold_short_header];
  if (h.kind != MoldKind::data) {
    SY_FUZZ_CHECK(index == 0 && !reader.truncated());
    SY_FUZZ_CHECK(reader.trailing_bytes() == size - kMoldHeaderLen);
    SY_FUZZ_CHECK(mold_errors == (size > kMoldHeaderLen ? 1u : 0u));
    return 0;
  }
  if (reader.truncated()) {
    SY_FUZZ_CHECK(reader.blocks_read() + reader.messages_lost() == h.count);
    SY_FUZZ_CHECK(errors.mold_messages_lost == reader.messages_lost());
    SY_FUZZ_CHECK(errors[ProtoError::mold_block_truncated] == 1 && mold_errors == 1);
    return 0;
  }
  SY_FUZZ_CHECK(reader.blocks_read() == h.count);
  SY_FUZZ_CHECK(writer.count() == h.count);
  SY_FUZZ_CHECK(writer.size() + reader.trailing_bytes() == size);
  SY_FUZZ_CHECK(mold_errors == (reader.trailing_bytes() != 0 ? 1u : 0u));
  SY_FUZZ_CHECK(std::memcmp(rebuilt.data(), data, writer.size()) == 0);
  return 0;
}
