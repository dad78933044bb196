#include "drivers/ports.hpp"

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "src/net/wire.hpp"

namespace sy::drivers {

namespace {

[[noreturn]] void fail(const PortRuntime& port, const std::string& what, int err) {
  throw std::runtime_error("port " + port.cfg->name + " (" + port.cfg->device + "): " + what +
                           ": " + rte_strerror(err < 0 ? -err : err));
}

}  // namespace

uint16_t find_ethdev(const conf::PortConfig& cfg) {
  uint16_t id = 0;
  if (rte_eth_dev_get_port_by_name(cfg.device.c_str(), &id) != 0)
    throw std::runtime_error("port " + cfg.name + ": no ethdev named '" + cfg.device +
                             "' (is the driver loaded and the device bound?)");
  return id;
}

uint16_t max_tx_queues(uint16_t dpdk_port) {
  rte_eth_dev_info info{};
  if (rte_eth_dev_info_get(dpdk_port, &info) != 0) return 1;
  return std::max<uint16_t>(info.max_tx_queues, 1);
}

void bring_up_port(PortRuntime& port, uint16_t rx_queues, uint16_t tx_queues, uint16_t port_index) {
  const conf::PortConfig& cfg = *port.cfg;
  const uint16_t id = port.dpdk_port;
  rte_eth_dev_info info{};
  if (int rc = rte_eth_dev_info_get(id, &info); rc != 0) fail(port, "device info", rc);
  if (rx_queues > info.max_rx_queues)
    throw std::runtime_error("port " + cfg.name + ": " + std::to_string(rx_queues) +
                             " rx lcores poll it but the device offers " +
                             std::to_string(info.max_rx_queues) + " rx queue(s)");

  const int socket = rte_eth_dev_socket_id(id) < 0 ? 0 : rte_eth_dev_socket_id(id);
  const std::string pool_name = "mb_" + std::to_string(port_index);
  port.pool =
      rte_pktmbuf_pool_create_by_ops(pool_name.c_str(), cfg.mbufs, cfg.mbuf_cache, 0,
                                     cfg.mbuf_data_room, socket, conf::to_string(cfg.mempool_ops));
  if (port.pool == nullptr)
    fail(port, "mempool of " + std::to_string(cfg.mbufs) + " mbufs", rte_errno);

  rte_eth_conf conf{};
  // Let the NIC verify IPv4 header checksums where it can; the classifier trusts its verdict.
  if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM)
    conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
  if (rx_queues > 1) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IP & info.flow_type_rss_offloads;
  }
  if (int rc = rte_eth_dev_configure(id, rx_queues, tx_queues, &conf); rc != 0)
    fail(port, "configure", rc);

  uint16_t nb_rxd = cfg.rx_descriptors, nb_txd = cfg.tx_descriptors;
  if (int rc = rte_eth_dev_adjust_nb_rx_tx_desc(id, &nb_rxd, &nb_txd); rc != 0)
    fail(port, "descriptor counts", rc);
  rte_eth_rxconf rxconf = info.default_rxconf;
  rxconf.offloads = conf.rxmode.offloads;
  for (uint16_t q = 0; q < rx_queues; ++q)
    if (int rc = rte_eth_rx_queue_setup(id, q, nb_rxd, static_cast<unsigned>(socket), &rxconf,
                                        port.pool);
        rc != 0)
      fail(port, "rx queue " + std::to_string(q), rc);
  for (uint16_t q = 0; q < tx_queues; ++q)
    if (int rc = rte_eth_tx_queue_setup(id, q, nb_txd, static_cast<unsigned>(socket), nullptr);
        rc != 0)
      fail(port, "tx queue " + std::to_string(q), rc);

  if (cfg.mac) {
    rte_ether_addr addr;
    std::copy(cfg.mac->begin(), cfg.mac->end(), addr.addr_bytes);
    const int rc = rte_eth_dev_default_mac_addr_set(id, &addr);
    if (rc != 0 && rc != -ENOTSUP) fail(port, "set MAC address", rc);
    port.mac = *cfg.mac;  // what we put in frames we originate, even if the PMD cannot set it
  } else {
    rte_ether_addr addr;
    if (int rc = rte_eth_macaddr_get(id, &addr); rc != 0) fail(port, "read MAC address", rc);
    std::copy(std::begin(addr.addr_bytes), std::end(addr.addr_bytes), port.mac.begin());
  }

  if (cfg.promiscuous) {
    const int rc = rte_eth_promiscuous_enable(id);
    if (rc != 0 && rc != -ENOTSUP) fail(port, "promiscuous mode", rc);
  }

  // Without these filters a real NIC drops the feed groups before we see them.
  if (!port.groups.empty()) {
    std::vector<rte_ether_addr> macs(port.groups.size());
    for (size_t i = 0; i < port.groups.size(); ++i)
      net::multicast_mac(port.groups[i], macs[i].addr_bytes);
    int rc = rte_eth_dev_set_mc_addr_list(id, macs.data(), static_cast<uint32_t>(macs.size()));
    if (rc == -ENOTSUP) rc = rte_eth_allmulticast_enable(id);
    if (rc != 0 && rc != -ENOTSUP && !cfg.promiscuous) fail(port, "multicast filters", rc);
  }

  if (int rc = rte_eth_dev_start(id); rc != 0) fail(port, "start", rc);
  port.rx_queues = rx_queues;
  port.tx_queues = tx_queues;
}

NicCounters read_nic_counters(uint16_t dpdk_port) {
  rte_eth_stats s{};
  NicCounters c;
  if (rte_eth_stats_get(dpdk_port, &s) != 0) return c;
  c.ipackets = s.ipackets;
  c.ibytes = s.ibytes;
  c.imissed = s.imissed;
  c.ierrors = s.ierrors;
  c.rx_nombuf = s.rx_nombuf;
  c.opackets = s.opackets;
  c.oerrors = s.oerrors;
  return c;
}

void stop_port(uint16_t dpdk_port) {
  rte_eth_dev_stop(dpdk_port);
  rte_eth_dev_close(dpdk_port);
}

}  // namespace sy::drivers
