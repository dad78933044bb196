// The documented keys of the configuration file.
//
// This table is the single source of truth for what a key accepts: config.cpp reads the
// permitted keys of every map, the required keys, integer ranges, units, enum spellings and
// name patterns from it, and the docs test checks docs/configuration.md against it. Changing a
// range here changes what the loader enforces.
//
// Conventions the loader relies on (config.cpp parses these cells):
//   default  "(required)"  the key must be present;
//            "(none)"      optional with no default; an explicit null (~) means absent.
//   range    integers:     "MIN..MAX", optionally followed by ", power of two";
//            enums:        "a|b|c", in the order of the C++ enum;
//            names:        a regular expression (ECMAScript) the whole string must match.
//   Paths use "[]" for "every element of the list": "ports[].rx_descriptors".

#include "conf/config.hpp"

namespace sy::conf {

namespace {

constexpr const char* kRequired = "(required)";
constexpr const char* kNone = "(none)";
constexpr const char* kNamePattern = "[A-Za-z0-9_]{1,32}";
constexpr const char* kPriorities = "P0|P1|P2";
constexpr const char* kPortRef = "a port name";

// The four keys that say where a class arrives (feed lines, retransmit replies, sessions).
void add_match_keys(std::vector<SchemaKey>& keys, const std::string& prefix,
                    const std::string& what) {
  keys.push_back(
      {prefix + ".port", "string", kRequired, "", kPortRef, "Ingress port of " + what + "."});
  keys.push_back({prefix + ".udp_dst", "integer", kRequired, "", "1..65535",
                  "UDP destination port of " + what + "."});
  keys.push_back({prefix + ".ipv4_dst", "ipv4", kNone, "", "",
                  "IPv4 destination (e.g. the multicast group) of " + what +
                      "; absent or 0.0.0.0 matches any."});
  keys.push_back({prefix + ".vlan", "integer", kNone, "", "0..4095",
                  "VLAN id of " + what + "; absent matches untagged and any tag."});
}

std::vector<SchemaKey> build_schema() {
  std::vector<SchemaKey> k;

  // --- eal ---------------------------------------------------------------------------------
  k.push_back({"eal", "map", "{}", "", "", "DPDK Environment Abstraction Layer options."});
  k.push_back({"eal.file_prefix", "string", "switchyard", "", "[A-Za-z0-9_-]{1,64}",
               "--file-prefix: keeps the hugepage files of concurrent instances apart."});
  k.push_back({"eal.hugepages", "enum", "auto", "", "auto|on|off",
               "auto uses hugepages when enough are free and --no-huge otherwise."});
  k.push_back({"eal.memory_mb", "integer", "512", "MiB", "64..1048576",
               "Memory given to the EAL with --no-huge (-m); the hugepage need in auto mode."});
  k.push_back({"eal.in_memory", "bool", "true", "", "",
               "--in-memory: no shared runtime files; set false to attach dpdk-pdump."});
  k.push_back({"eal.log_level", "enum", "notice", "",
               "emergency|alert|critical|error|warning|notice|info|debug",
               "--log-level for the EAL and drivers."});
  k.push_back({"eal.extra_args", "list", "[]", "", "strings",
               "Arguments appended verbatim to the EAL command line, e.g. [--iova-mode=va]."});

  // --- lcores ------------------------------------------------------------------------------
  k.push_back({"lcores", "list", kRequired, "", "",
               "The lcores: one each of control, integrity, execution, storage; one or more rx."});
  k.push_back({"lcores[].id", "integer", kRequired, "", "0..127", "EAL lcore id; unique."});
  k.push_back({"lcores[].cpu", "integer", kRequired, "", "0..1023",
               "Physical CPU the lcore thread is pinned to; lcores may share a CPU."});
  k.push_back({"lcores[].role", "enum", kRequired, "", "rx|integrity|execution|storage|control",
               "What the lcore runs; only rx may appear more than once."});
  k.push_back({"lcores[].idle", "enum", "sleep", "", "spin|pause|sleep",
               "What the lcore does when a poll finds nothing."});
  k.push_back({"lcores[].idle_sleep_us", "integer", "50", "us", "1..100000",
               "Cap of the sleep back-off (idle: sleep)."});
  k.push_back({"lcores[].idle_spins", "integer", "64", "polls", "0..1000000",
               "Empty polls before backing off (idle: pause or sleep)."});
  k.push_back({"lcores[].ports", "list", "[]", "", "port names",
               "rx only, at least one: the ports this lcore polls (one queue per lcore)."});

  // --- ports -------------------------------------------------------------------------------
  k.push_back({"ports", "list", kRequired, "", "",
               "The ports; each must be polled by at least one rx lcore."});
  k.push_back({"ports[].name", "string", kRequired, "", "[a-z][a-z0-9_]{0,31}",
               "Name the lcores and matches refer to; unique."});
  k.push_back(
      {"ports[].device", "string", kRequired, "", "DDDD:BB:DD.F or net_*",
       "PCI address (0000:01:00.0) or DPDK virtual device name (net_pcap0, net_ring0 ...)."});
  k.push_back({"ports[].args", "map", "{}", "", "",
               "Virtual device arguments in order; rx_pcap, tx_pcap and socket paths resolve "
               "against the config file's directory."});
  k.push_back({"ports[].rx_descriptors", "integer", "1024", "descriptors", "64..32768",
               "Receive ring size."});
  k.push_back({"ports[].tx_descriptors", "integer", "1024", "descriptors", "64..32768",
               "Transmit ring size."});
  k.push_back({"ports[].mbufs", "integer", "16383", "mbufs", "1023..4194303",
               "Mempool size; a power of two minus one is optimal."});
  k.push_back({"ports[].mbuf_cache", "integer", "256", "mbufs", "0..512",
               "Per-lcore mempool cache; DPDK requires mbuf_cache * 1.5 <= mbufs."});
  k.push_back({"ports[].mbuf_data_room", "integer", "2176", "bytes", "1024..65535",
               "Data room of each mbuf, including RTE_PKTMBUF_HEADROOM."});
  k.push_back({"ports[].mempool_ops", "enum", "ring_mt_rts", "",
               "ring_mt_rts|ring_mt_hts|ring_mp_mc",
               "Mempool handler. RTS/HTS tolerate lcores preempted mid-operation (shared CPUs); "
               "ring_mp_mc is DPDK's default and fine with one lcore per isolated core."});
  k.push_back({"ports[].promiscuous", "bool", "true", "", "", "Enable promiscuous mode."});
  k.push_back({"ports[].mac", "mac", kNone, "", "",
               "MAC address to set on the port; default is the device's own."});
  k.push_back({"ports[].ipv4", "ipv4", kNone, "", "",
               "The port's own address: answers ARP, source of what the appliance sends."});
  k.push_back({"ports[].next_hop_mac", "mac", kNone, "", "",
               "Static next hop; when absent it is resolved by ARP from next_hop_ipv4."});
  k.push_back({"ports[].next_hop_ipv4", "ipv4", kNone, "", "",
               "Next hop resolved by ARP when next_hop_mac is absent."});
  k.push_back({"ports[].igmp", "bool", "false", "", "",
               "Send IGMPv2 membership reports for the feed groups received on this port."});

  // --- feeds -------------------------------------------------------------------------------
  k.push_back({"feeds", "list", "[]", "", "",
               "Market data feeds; each line and retransmit reply becomes a class for integrity."});
  k.push_back({"feeds[].name", "string", kRequired, "", kNamePattern,
               "Feed name; classes are <feed>.<line> and <feed>.retransmit; unique."});
  k.push_back(
      {"feeds[].priority", "enum", "P0", "", kPriorities, "Priority of the feed's classes."});
  k.push_back({"feeds[].lines", "list", kRequired, "lines", "1..2",
               "The redundant lines of the feed (A/B arbitration)."});
  k.push_back({"feeds[].lines[].name", "string", kRequired, "", kNamePattern,
               "Line name, unique within the feed (e.g. A, B); 'retransmit' is reserved."});
  add_match_keys(k, "feeds[].lines[]", "the line");
  k.push_back({"feeds[].integrity", "map", "{}", "", "",
               "How the integrity lcore arbitrates the lines and recovers gaps."});
  k.push_back({"feeds[].integrity.window_us", "integer", "1000", "us", "0..10000000",
               "A gap the other line fills within this is not a gap."});
  k.push_back({"feeds[].integrity.rerequest_interval_ms", "integer", "10", "ms", "1..60000",
               "Time between re-requests of the same gap."});
  k.push_back({"feeds[].integrity.rerequest_retries", "integer", "3", "re-requests", "0..100",
               "Re-requests of one gap after the first."});
  k.push_back({"feeds[].integrity.rerequest_min_gap_us", "integer", "1000", "us", "0..10000000",
               "Rate limit: at most one re-request per this interval, over all gaps."});
  k.push_back({"feeds[].integrity.rerequest_max_messages", "integer", "512", "messages", "1..65535",
               "Messages asked for in one re-request."});
  k.push_back({"feeds[].integrity.lost_after_ms", "integer", "1000", "ms", "1..600000",
               "A gap not recovered this long after detection is declared lost."});
  k.push_back({"feeds[].integrity.stale_after_ms", "integer", "2000", "ms", "1..3600000",
               "No packet on any line for this long makes the feed state unknown."});
  k.push_back({"feeds[].integrity.buffer_messages", "integer", "65536", "messages",
               "1024..16777216, power of two",
               "Out-of-order messages held while a gap before them waits (64 bytes each)."});
  k.push_back({"feeds[].integrity.max_gaps", "integer", "256", "gaps", "1..65536",
               "Open gaps tracked at once; beyond it the oldest is declared lost early."});
  k.push_back({"feeds[].book", "map", "{}", "", "",
               "Capacity of the feed's market-by-order book, allocated at start."});
  k.push_back({"feeds[].book.max_instruments", "integer", "8192", "instruments", "1..65535",
               "Stock locates 1..max; a directory or order for a higher locate is counted."});
  k.push_back({"feeds[].book.max_orders", "integer", "1048576", "orders", "1024..268435456",
               "Live orders at once (hash table of 2x, 24 bytes a slot)."});
  k.push_back({"feeds[].book.max_levels", "integer", "256", "levels", "8..65536",
               "Price levels per side per instrument (16 bytes each)."});
  k.push_back({"feeds[].instruments", "list", "[]", "instruments", "",
               "Instruments known before their Stock Directory message (joining mid-session)."});
  k.push_back({"feeds[].instruments[].locate", "integer", kRequired, "", "1..65535",
               "Stock locate; at most feeds[].book.max_instruments."});
  k.push_back({"feeds[].instruments[].symbol", "string", kRequired, "", "[A-Z0-9.+/ -]{1,8}",
               "Symbol as ITCH spells it (up to 8 characters)."});
  k.push_back({"feeds[].retransmit", "map", kNone, "", "",
               "Where the retransmission server's unicast replies arrive, and where it listens."});
  add_match_keys(k, "feeds[].retransmit", "the retransmit replies");
  k.push_back({"feeds[].retransmit.server_ipv4", "ipv4", kRequired, "", "",
               "Address of the retransmission server."});
  k.push_back({"feeds[].retransmit.server_udp", "integer", kRequired, "", "1..65535",
               "UDP port of the retransmission server."});

  // --- sessions ----------------------------------------------------------------------------
  k.push_back({"sessions", "list", "[]", "", "",
               "Order entry sessions; each becomes a class for execution."});
  k.push_back({"sessions[].name", "string", kRequired, "", kNamePattern,
               "Session name and class name; unique among feeds and sessions; other, malformed "
               "and local are reserved."});
  k.push_back(
      {"sessions[].side", "enum", "client", "", "client|venue",
       "Which side the session faces: a client of the appliance, or the venue (exchange)."});
  k.push_back({"sessions[].priority", "enum", "P0", "", kPriorities, "Priority of the class."});
  add_match_keys(k, "sessions[]", "the session's traffic");

  // --- rings -------------------------------------------------------------------------------
  k.push_back({"rings", "map", "{}", "", "", "Sizes of the rings between lcores."});
  k.push_back({"rings.md_size", "integer", "4096", "entries", "64..1048576, power of two",
               "rx -> integrity ring, one per rx lcore."});
  k.push_back({"rings.order_size", "integer", "1024", "entries", "64..1048576, power of two",
               "rx -> execution ring, one per rx lcore."});
  k.push_back({"rings.capture_size", "integer", "4096", "entries", "64..1048576, power of two",
               "rx -> storage ring, one per rx lcore."});
  k.push_back({"rings.canonical_size", "integer", "65536", "entries", "64..16777216, power of two",
               "Canonical records (64 bytes) from integrity to storage."});
  k.push_back({"rings.command_size", "integer", "64", "entries", "16..4096, power of two",
               "control -> lcore command ring, one per lcore."});
  k.push_back({"rings.burst", "integer", "32", "packets", "1..256",
               "Packets per rx burst and per ring operation; at most every ring size."});
  k.push_back({"rings.on_full", "enum", "drop", "", "drop|wait",
               "When a ring has no room for a burst: drop counts ring_full (live: a slow "
               "consumer never stalls the rest); wait stops polling rx until there is room "
               "(replay: a pcap waits, a NIC counts nic_missed)."});

  // --- classify ----------------------------------------------------------------------------
  k.push_back({"classify", "map", "{}", "", "", "What happens to traffic no rule matches."});
  k.push_back({"classify.capture_unclassified", "bool", "false", "", "",
               "Send class other to storage instead of dropping it."});
  k.push_back({"classify.unclassified_priority", "enum", "P2", "", kPriorities,
               "Priority of class other."});

  // --- run ---------------------------------------------------------------------------------
  k.push_back({"control", "map", "{}", "", "", "The control side: reports."});
  k.push_back({"control.integrity_report", "string", "\"\"", "", "a file path",
               "Where the integrity report (JSON) is written, periodically and at exit; "
               "relative to the working directory; empty: not written."});
  k.push_back({"control.report_interval_ms", "integer", "1000", "ms", "0..3600000",
               "How often the integrity report is rewritten while running; 0: at exit only."});
  // --- observe ---------------------------------------------------------------------------
  k.push_back({"observe", "map", "{}", "", "",
               "Metrics export (OTLP), DPDK telemetry commands and live capture (pdump)."});
  k.push_back({"observe.service_name", "string", "switchyard", "", "[A-Za-z0-9_.-]{1,64}",
               "OTLP resource attribute service.name."});
  k.push_back(
      {"observe.service_instance_id", "string", "\"\"", "", "[A-Za-z0-9_./:-]{0,128}",
       "OTLP resource attribute service.instance.id; empty: <host name>/<eal.file_prefix>."});
  k.push_back({"observe.disk_paths", "list", "[.]", "", "directory paths",
               "Filesystems whose free and used bytes are exported (system.filesystem.usage)."});
  k.push_back({"observe.telemetry", "bool", "true", "", "",
               "Register the /switchyard/* commands with DPDK telemetry (dpdk-telemetry.py)."});
  k.push_back({"observe.pdump", "bool", "true", "", "",
               "Initialise pdump so dpdk-dumpcap can capture the ports; only with "
               "eal.in_memory false (a secondary process must attach)."});
  k.push_back({"observe.otlp", "map", "{}", "", "",
               "OTLP/HTTP metrics export from a non-EAL thread; off while endpoint is empty."});
  k.push_back({"observe.otlp.endpoint", "string", "\"\"", "", "(http://[^/ ]+(/[^ ]*)?)?",
               "Collector URL, e.g. http://127.0.0.1:4318/v1/metrics (plain HTTP); empty: off."});
  k.push_back({"observe.otlp.encoding", "enum", "protobuf", "", "protobuf|json",
               "Body encoding: application/x-protobuf or OTLP/JSON."});
  k.push_back({"observe.otlp.interval_ms", "integer", "10000", "ms", "100..3600000",
               "Time between exports (each carries cumulative values)."});
  k.push_back({"observe.otlp.timeout_ms", "integer", "2000", "ms", "10..60000",
               "Connect, write and read timeout of one attempt; below interval_ms."});
  k.push_back({"observe.otlp.retries", "integer", "3", "attempts", "0..20",
               "Further attempts for one export after a retryable failure (connection, 429, "
               "502, 503, 504)."});
  k.push_back({"observe.otlp.backoff_ms", "integer", "250", "ms", "1..60000",
               "Delay before the first retry; doubles per retry, capped at interval_ms."});
  k.push_back({"observe.otlp.queue", "integer", "4", "exports", "1..64",
               "Exports waiting while the collector is unreachable; when full the oldest is "
               "dropped (values are cumulative, so only resolution is lost) and counted."});
  // --- end observe -----------------------------------------------------------------------
  k.push_back({"run", "map", "{}", "", "", "When the run stops."});
  k.push_back({"run.clock", "enum", "tsc", "", "tsc|capture",
               "Time for windows, timeouts and staleness: tsc (live), or capture (the replayed "
               "capture's own timestamps: deterministic replay)."});
  k.push_back({"run.mode", "enum", "live", "", "live|batch",
               "live runs until signalled; batch stops when the input is exhausted."});
  k.push_back({"run.idle_stop_ms", "integer", "500", "ms", "1..3600000",
               "batch: stop once every rx port was idle this long after its first packet."});
  k.push_back({"run.expect_frames", "integer", "0", "frames", "0..9223372036854775807",
               "batch: stop as soon as this many frames arrived; 0 = off."});
  k.push_back({"run.drain_timeout_ms", "integer", "5000", "ms", "100..600000",
               "Shutdown: longest wait for the rings to drain."});
  k.push_back({"run.max_runtime_ms", "integer", "0", "ms", "0..86400000",
               "Stop after this long whatever happens; 0 = off."});
  return k;
}

}  // namespace

const std::vector<SchemaKey>& schema() {
  static const std::vector<SchemaKey> keys = build_schema();
  return keys;
}

}  // namespace sy::conf
