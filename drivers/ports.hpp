// Port and mempool bring-up from the frozen config.
#pragma once

#include <cstdint>
#include <string>

#include "lcore/runtime.hpp"

namespace sy::drivers {

// Finds the ethdev of `port.cfg->device`, creates its mempool, configures `rx_queues` and
// `tx_queues`, sets MAC, promiscuous mode and the multicast filters for `port.groups`, starts it.
// Throws std::runtime_error naming the port and the DPDK error.
void bring_up_port(PortRuntime& port, uint16_t rx_queues, uint16_t tx_queues, uint16_t port_index);

// Resolves the ethdev id of a configured device (after rte_eal_init).
uint16_t find_ethdev(const conf::PortConfig& cfg);

// Tx queues the device can offer.
uint16_t max_tx_queues(uint16_t dpdk_port);

struct NicCounters {
  uint64_t ipackets = 0, ibytes = 0, imissed = 0, ierrors = 0, rx_nombuf = 0;
  uint64_t opackets = 0, oerrors = 0;
};
NicCounters read_nic_counters(uint16_t dpdk_port);

void stop_port(uint16_t dpdk_port);

}  // namespace sy::drivers
