// integrity lcore (market data). This stage consumes and counts what the rx lcores classified as
// feed-line and retransmission traffic; MoldUDP64/ITCH decoding, A/B arbitration, gap recovery
// and books grow here (see docs/architecture.md). It owns the tx queue for re-requests.
#include "lcore/consumer.hpp"

namespace sy {

int integrity_lcore_main(Runtime& rt, LcoreRuntime& self) {
  consume_count_free(rt, self);
  send_end(self.storage_out, self.index, rt.force_stop);
  return 0;
}

}  // namespace sy
