// One input = one OUCH 4.2 message, tried in both directions. Properties: decode never reads past
// `size` (ASan), a failure names the right reason (empty, unknown letter, short, long against the
// type's length), and a success re-encodes to exactly the input, byte for byte, and decodes again
// to the same message.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "src/proto/ouch42.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace sy::proto;

namespace {

void expect_reason(const uint8_t* data, size_t size, size_t need, size_t min, OeError e) {
  if (size == 0) {
    SY_FUZZ_CHECK(e == OeError::ouch_empty);
  } else if (need == 0) {
    SY_FUZZ_CHECK(e == OeError::ouch_unknown_type);
  } else if (size < min) {
    SY_FUZZ_CHECK(e == OeError::ouch_short);
  } else {
    SY_FUZZ_CHECK(size > need && e == OeError::ouch_long);
  }
  (void)data;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  uint8_t out[kOuchMaxLen];
  OeError error{};

  OuchClientMessage c;
  const size_t cneed = size == 0 ? 0 : ouch_client_length(data[0]);
  const size_t cmin = size != 0 && data[0] == 'O' ? kOuchEnterOrderShortLen : cneed;
  if (decode_client(data, size, c, error)) {
    SY_FUZZ_CHECK(size >= cmin && size <= cneed && cneed != 0);
    SY_FUZZ_CHECK(static_cast<uint8_t>(c.type) == data[0]);
    SY_FUZZ_CHECK(encode(c, out, sizeof out) == size);
    SY_FUZZ_CHECK(std::memcmp(out, data, size) == 0);
    SY_FUZZ_CHECK(encode(c, out, size - 1) == 0);
    OuchClientMessage again;
    SY_FUZZ_CHECK(decode_client(out, size, again, error) && again.type == c.type);
  } else {
    expect_reason(data, size, cneed, cmin, error);
  }

  OuchHostMessage h;
  const size_t hneed = size == 0 ? 0 : ouch_host_length(data[0]);
  if (decode_host(data, size, h, error)) {
    SY_FUZZ_CHECK(size == hneed);
    SY_FUZZ_CHECK(static_cast<uint8_t>(h.type) == data[0]);
    SY_FUZZ_CHECK(encode(h, out, sizeof out) == size);
    SY_FUZZ_CHECK(std::memcmp(out, data, size) == 0);
    SY_FUZZ_CHECK(encode(h, out, size - 1) == 0);
    // Reason names are total functions of the byte.
    SY_FUZZ_CHECK(ouch_reject_reason_name(data[size - 1]) != nullptr);
    SY_FUZZ_CHECK(ouch_cancel_reason_text(data[size - 1]) != nullptr);
  } else {
    expect_reason(data, size, hneed, hneed, error);
  }
  return 0;
}
