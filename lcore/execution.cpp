// execution lcore (orders). This stage consumes and counts what the rx lcores classified as
// order-session traffic (client and venue side); UFO sessions, the OUCH risk gate and venue
// forwarding grow here. It owns the tx queue for orders and responses.
#include "lcore/consumer.hpp"

namespace sy {

int execution_lcore_main(Runtime& rt, LcoreRuntime& self) {
  consume_count_free(rt, self);
  send_end(self.storage_out, self.index, rt.force_stop);
  return 0;
}

}  // namespace sy
