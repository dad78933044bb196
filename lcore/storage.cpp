// storage lcore. This stage consumes and counts raw packets captured by the rx lcores (class
// `other` when capture_unclassified is set) and the end markers of integrity and execution;
// io_uring O_DIRECT persistence grows here. It is the last stage of the shutdown protocol.
#include "lcore/consumer.hpp"

namespace sy {

int storage_lcore_main(Runtime& rt, LcoreRuntime& self) {
  consume_count_free(rt, self);
  return 0;
}

}  // namespace sy
