// Builds the Runtime from the frozen config after rte_eal_init: ports and their queues, the
// rings between lcores, the tx queue plan. Everything is allocated here, before launch.
#pragma once

#include "lcore/runtime.hpp"

namespace sy {

// Throws std::runtime_error with a message naming the port/ring and the DPDK error.
void build_pipeline(Runtime& rt, const conf::Config& cfg);

// Launches every worker lcore with its role (the control lcore is the caller).
void launch_workers(Runtime& rt);

// After every worker returned: frees what is still queued in any ring, counting each packet as
// left_in_ring against its class and port (only a forced stop leaves anything behind).
void drain_leftovers(Runtime& rt);

void teardown_pipeline(Runtime& rt);

}  // namespace sy
