// One input = one UFO datagram, read as downstream and as upstream. Properties: the readers never
// hand out bytes outside the input (ASan and explicit bounds), block sequences count up from the
// header, the accounting adds up (blocks read + lost = count after a truncation), every block is
// offered to the OUCH decoders, and a cleanly framed packet is rebuilt byte for byte by the
// builders.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "src/proto/ouch42.hpp"
#include "src/proto/ufo.hpp"
#include "tests/fuzz/fuzz_check.hpp"

using namespace sy::proto;

namespace {

bool inside(const uint8_t* data, size_t size, const uint8_t* p, size_t len) {
  return p >= data && static_cast<size_t>(p - data) <= size && len <= size - (p - data);
}

void downstream(const uint8_t* data, size_t size) {
  UfoDownHeader h;
  OeError error{};
  if (!parse_ufo_down(data, size, h, error)) {
    SY_FUZZ_CHECK(error == OeError::ufo_empty || error == OeError::ufo_unknown_type ||
                  error == OeError::ufo_bad_length || error == OeError::ufo_short_header);
    return;
  }
  std::vector<uint8_t> rebuilt(size + 1);
  switch (h.kind) {
    case UfoDownKind::login_accept:
      SY_FUZZ_CHECK(build_ufo_login_accept(rebuilt.data(), rebuilt.size(), h.session, h.sequence) ==
                    size);
      break;
    case UfoDownKind::login_reject:
      SY_FUZZ_CHECK(build_ufo_login_reject(rebuilt.data(), rebuilt.size(), h.reject_reason) ==
                    size);
      break;
    case UfoDownKind::end_of_session:
      SY_FUZZ_CHECK(build_ufo_end_of_session(rebuilt.data(), rebuilt.size(), h.total) == size);
      break;
    case UfoDownKind::sequenced: {
      UfoBlockReader r(data, size, h);
      UfoSequencedWriter w(rebuilt.data(), rebuilt.size(), h.sequence);
      uint32_t index = 0;
      for (UfoBlock b; r.next(b); ++index) {
        SY_FUZZ_CHECK(inside(data, size, b.data, b.len));
        SY_FUZZ_CHECK(b.sequence == h.sequence + index);
        if (b.len <= kUfoMaxSequencedMessage) SY_FUZZ_CHECK(w.add({b.data, b.len}));
        OuchHostMessage m;
        (void)decode_host(b.data, b.len, m, error);
      }
      SY_FUZZ_CHECK(index == r.read());
      if (r.truncated()) {
        SY_FUZZ_CHECK(r.read() + r.lost() == h.count);
      } else if (!r.has_error()) {
        SY_FUZZ_CHECK(r.read() == h.count);
        if (w.count() == h.count) {
          SY_FUZZ_CHECK(w.size() == size);
          SY_FUZZ_CHECK(std::memcmp(rebuilt.data(), data, size) == 0);
        }
      } else {
        SY_FUZZ_CHECK(r.error() == OeError::ufo_trailing_bytes && r.read() == h.count);
      }
      return;
    }
  }
  SY_FUZZ_CHECK(std::memcmp(rebuilt.data(), data, size) == 0);
}

void upstream(const uint8_t* data, size_t size) {
  UfoUpReader r(data, size);
  std::vector<uint8_t> rebuilt(size + 1);
  UfoUpWriter w(rebuilt.data(), rebuilt.size());
  size_t consumed = 0;
  for (UfoUpMessage m; r.next(m);) {
    switch (m.kind) {
      case UfoUpKind::login_request:
        SY_FUZZ_CHECK(w.add_login(m.login));
        break;
      case UfoUpKind::retransmission_request:
        SY_FUZZ_CHECK(w.add_retransmission_request(m.retrans.sequence, m.retrans.count));
        break;
      case UfoUpKind::unsequenced: {
        SY_FUZZ_CHECK(inside(data, size, m.data, m.len));
        SY_FUZZ_CHECK(w.add_unsequenced({m.data, m.len}));
        OuchClientMessage c;
        OeError error{};
        (void)decode_client(m.data, m.len, c, error);
        break;
      }
      case UfoUpKind::heartbeat:
        SY_FUZZ_CHECK(w.add_heartbeat());
        break;
      case UfoUpKind::logoff:
        SY_FUZZ_CHECK(w.add_logoff());
        break;
    }
    consumed = w.size();
  }
  SY_FUZZ_CHECK(w.count() == r.read());
  // Every block read is rebuilt exactly; a clean packet is rebuilt whole.
  SY_FUZZ_CHECK(std::memcmp(rebuilt.data(), data, consumed) == 0);
  if (!r.has_error()) SY_FUZZ_CHECK(consumed == size && size != 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  downstream(data, size);
  upstream(data, size);
  return 0;
}
