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
  k.push_back({"sessions[].username", "string", kRequired, "", "[ -~]{1,6}",
               "UFO login user name: what a client must present, or what the appliance presents "
               "to the venue."});
  k.push_back({"sessions[].password", "string", kNone, "", "[ -~]{1,10}",
               "UFO login password, inline (prefer password_file); never printed or logged."});
  k.push_back({"sessions[].password_file", "string", kNone, "", "a file path",
               "File holding the password (trailing newline ignored); relative to the config "
               "file. Exactly one of password and password_file."});
  k.push_back({"sessions[].server_ipv4", "ipv4", kNone, "", "",
               "venue: IPv4 address of the venue's UFO server (required for venue sessions)."});
  k.push_back({"sessions[].server_udp", "integer", kNone, "", "1..65535",
               "venue: UDP port of the venue's UFO server (required for venue sessions)."});
  k.push_back({"sessions[].heartbeat_ms", "integer", "1000", "ms", "10..60000",
               "Send a heartbeat after this long without sending anything."});
  k.push_back({"sessions[].timeout_ms", "integer", "10000", "ms", "100..600000",
               "The peer is considered gone after this long without a packet from it."});
  k.push_back({"sessions[].retransmit_buffer", "integer", "65536", "messages",
               "1024..16777216, power of two",
               "client: sequenced messages kept for retransmission requests."});
  k.push_back({"sessions[].gap_give_up_ms", "integer", "5000", "ms", "0..600000",
               "venue: a gap in the venue's messages that no retransmission fills this long is "
               "given up (counted replay_unavailable, SAFE latched); 0: wait forever."});

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

  // --- storage -----------------------------------------------------------------------------
  k.push_back({"storage", "map", "{}", "", "",
               "Persistence: raw packets (pcapng) and canonical records (CRC pages), "
               "docs/storage.md."});
  k.push_back({"storage.dir", "string", "\"\"", "", "a directory path",
               "Store directory (relative to the working directory; created if missing, on a "
               "file system with O_DIRECT); empty: persistence off."});
  k.push_back({"storage.capture_priorities", "list", "[P0, P1, P2]", "", kPriorities,
               "Classes of these priority tiers have their raw packets captured."});
  k.push_back({"storage.capture_classes", "list", "[]", "", "class names",
               "Classes captured whatever their priority (e.g. other, itch.A)."});
  k.push_back({"storage.capture_exclude", "list", "[]", "", "class names",
               "Classes never captured; wins over the two keys above."});
  k.push_back({"storage.capture_sent", "bool", "true", "", "",
               "Capture what the appliance sends (re-requests), as outbound packets."});
  k.push_back({"storage.block_kib", "integer", "64", "KiB", "16..1024, power of two",
               "Write unit: bytes per io_uring write (O_DIRECT, 4 KiB aligned)."});
  k.push_back(
      {"storage.queue_depth", "integer", "8", "writes", "1..128", "Writes in flight per stream."});
  k.push_back({"storage.buffers", "integer", "32", "buffers", "4..4096",
               "Write buffers per stream (hugepage memory); at least queue_depth + 2."});
  k.push_back({"storage.pending_records", "integer", "262144", "records",
               "1024..16777216, power of two",
               "Records per stream appended but not yet durable (receive time and class kept "
               "until then, 16 bytes each); when full, appends wait as for a free buffer."});
  k.push_back({"storage.segment_mib", "integer", "256", "MiB", "1..65536",
               "Segment size, preallocated (fallocate); a segment rotates when full."});
  k.push_back({"storage.rotate_interval_s", "integer", "0", "s", "0..86400",
               "Also rotate a segment this long after it was opened; 0: by size only."});
  k.push_back({"storage.retention_mib", "integer", "0", "MiB", "0..1073741824",
               "Delete the oldest segments beyond this total (and while free space is under "
               "reserve_mib + segment_mib); refused while SAFE unless authorised; 0: keep all."});
  k.push_back({"storage.reserve_mib", "integer", "256", "MiB", "0..1048576",
               "Free space under this raises the disk-full hazard."});
  k.push_back({"storage.spare_segments", "integer", "0", "segments", "0..64",
               "Zero-filled segment files kept ready: a durable write into written space "
               "needs no journal commit, unlike one into fallocate'd space; 0: off."});
  k.push_back({"storage.spare_fill_mib_per_s", "integer", "256", "MiB/s", "1..65536",
               "Pace of the background zero fill of spares (device bandwidth it may take)."});
  k.push_back({"storage.sync", "enum", "batch", "", "batch|interval",
               "batch: every write is durable (RWF_DSYNC, fdatasync per batch in effect); "
               "interval: group commit, one fdatasync per sync_interval_us or sync_kib."});
  k.push_back({"storage.sync_interval_us", "integer", "1000", "us", "10..10000000",
               "interval: longest a record waits before its fdatasync."});
  k.push_back({"storage.sync_kib", "integer", "1024", "KiB", "4..1048576",
               "interval: unsynced bytes that start an fdatasync early."});
  k.push_back({"storage.flush_age_us", "integer", "1000", "us", "0..1000000",
               "Adaptive group commit: a partial buffer is written at once while its stream has "
               "no write in flight, otherwise when full or this old. 0: whenever a slot is free."});
  k.push_back({"storage.backlog_hazard_mib", "integer", "64", "MiB", "1..65536",
               "Bytes appended but not yet durable over which the backlog hazard is raised."});
  k.push_back({"storage.slow_completion_ms", "integer", "100", "ms", "1..600000",
               "A write or sync outstanding longer than this is slow (backlog hazard)."});
  k.push_back({"storage.test", "map", "{}", "", "",
               "Test hooks that stall the io layer for real; never set them in production."});
  k.push_back({"storage.test.stall_after_ms", "integer", "0", "ms", "0..3600000",
               "Test only: the writer stops reaping io_uring completions this long after the "
               "first record it took; 0: off."});
  k.push_back({"storage.test.stall_ms", "integer", "0", "ms", "0..3600000",
               "Test only: how long completions go unreaped (the writes look stalled)."});

  // --- run ---------------------------------------------------------------------------------
  k.push_back(
      {"control", "map", "{}", "", "",
       "The control side: reports, safety modes, hazards, backpressure, budgets, audit, API."});
  k.push_back({"control.integrity_report", "string", "\"\"", "", "a file path",
               "Where the integrity report (JSON) is written, periodically and at exit; "
               "relative to the working directory; empty: not written."});
  k.push_back({"control.report_interval_ms", "integer", "1000", "ms", "0..3600000",
               "How often the integrity report is rewritten while running; 0: at exit only."});
  k.push_back({"control.supervise", "bool", "true", "", "",
               "Run safety modes, hazards, backpressure, budgets and the API; false leaves only "
               "the stop protocol (the benchmark baseline)."});
  k.push_back({"control.period_us", "integer", "1000", "us", "100..100000",
               "Tick of the control lcore: sampling, decisions, commands."});
  k.push_back({"control.heartbeat_timeout_ms", "integer", "1000", "ms", "10..600000",
               "An lcore whose heartbeat is older is UNKNOWN (moves the appliance to SAFE); "
               "must exceed twice every lcores[].idle_sleep_us."});
  k.push_back({"control.state_file", "string", "\"\"", "", "a file path",
               "Persisted safety mode and kill switches, written durably before a relaxation "
               "takes effect; a start after an unclean stop comes up SAFE; empty: not persisted."});
  k.push_back({"control.audit_log", "string", "\"\"", "", "a file path",
               "Audit trail: JSON lines with a SHA-256 hash chain "
               "(docs/contracts/audit_event.schema.json); empty: not written."});
  k.push_back({"control.budgets", "string", "\"\"", "", "a file path",
               "Latency budget policy (conf/policy/budgets.yaml), relative to the config "
               "file's directory; empty: no budgets."});
  k.push_back({"control.api", "map", "{}", "", "",
               "HTTP control API on 127.0.0.1 only: /health, /stats, /metrics, /control/*."});
  k.push_back({"control.api.enabled", "bool", "false", "", "", "Serve the control API."});
  k.push_back({"control.api.port", "integer", "0", "", "0..65535",
               "TCP port on 127.0.0.1; 0: the kernel picks one (printed at start)."});
  k.push_back({"control.api.token", "string", "\"\"", "", "8..256 characters",
               "Bearer token for every request (secret: never printed or logged); give this "
               "or token_file."});
  k.push_back({"control.api.token_file", "string", "\"\"", "", "a file path",
               "File whose first line is the bearer token; relative to the working directory."});
  k.push_back({"control.api.command_timeout_ms", "integer", "1000", "ms", "10..60000",
               "Longest a POST waits for the control lcore to decide and persist; then 503."});
  k.push_back({"control.backpressure", "map", "{}", "", "",
               "Ring and mempool watermarks, priority shedding and its hysteresis."});
  k.push_back({"control.backpressure.ring_high_pct", "integer", "80", "%", "1..100",
               "Ring fill at or above this starts backpressure: shed P2, then P1."});
  k.push_back({"control.backpressure.ring_low_pct", "integer", "50", "%", "0..99",
               "Ring fill at or below this (for recover_hold_ms) ends backpressure; below "
               "ring_high_pct."});
  k.push_back({"control.backpressure.ring_critical_pct", "integer", "95", "%", "1..100",
               "Ring fill at or above this with P1 and P2 already shed is P0 pressure: a "
               "capacity hazard, SAFE; at least ring_high_pct."});
  k.push_back({"control.backpressure.mempool_low_pct", "integer", "20", "%", "0..100",
               "Free mbufs of a port's pool below this start backpressure."});
  k.push_back({"control.backpressure.mempool_critical_pct", "integer", "5", "%", "0..100",
               "Free mbufs below this are a capacity hazard (SAFE); at most mempool_low_pct."});
  k.push_back({"control.backpressure.escalate_ms", "integer", "100", "ms", "1..600000",
               "Pressure this long at one shedding tier sheds the next (P2, then P1)."});
  k.push_back({"control.backpressure.recover_hold_ms", "integer", "500", "ms", "1..3600000",
               "Hysteresis: calm this long before backpressure ends and shedding may lift."});
  k.push_back({"control.backpressure.auto_recover", "bool", "true", "", "",
               "Policy: lift shedding when backpressure ends (audited as a policy relaxation); "
               "false: only POST /control/degrade/recover lifts it."});
  // --- control.capture_shed: storage falling behind sheds capture, P2 first ------------------
  k.push_back({"control.capture_shed", "map", "{}", "", "",
               "Capture shedding: while storage falls behind, the raw copies of P2 (then P1) "
               "classes are not written; the packets are still processed. P0 capture is never "
               "shed. docs/storage.md."});
  k.push_back({"control.capture_shed.backlog_high_kib", "integer", "1536", "KiB", "1..67108864",
               "The raw stream's backlog (appended, not yet durable) at or above this sheds P2 "
               "capture; below storage.backlog_hazard_mib."});
  k.push_back({"control.capture_shed.backlog_low_kib", "integer", "256", "KiB", "0..67108863",
               "Backlog at or below this (with the rings calm, for recover_hold_ms) lifts "
               "capture shedding; below backlog_high_kib."});
  k.push_back({"control.capture_shed.ring_high_pct", "integer", "50", "%", "1..100",
               "Fill of a ring into storage at or above this sheds P2 capture; below "
               "control.backpressure.ring_high_pct, so capture goes before packets."});
  k.push_back({"control.capture_shed.ring_low_pct", "integer", "10", "%", "0..99",
               "Ring fill at or below this (with the backlog calm, for recover_hold_ms) lifts "
               "capture shedding; below ring_high_pct."});
  k.push_back({"control.capture_shed.escalate_ms", "integer", "100", "ms", "1..600000",
               "Pressure this long with P2 capture shed sheds P1 capture too."});
  k.push_back({"control.capture_shed.recover_hold_ms", "integer", "500", "ms", "1..3600000",
               "Hysteresis: calm this long before capture shedding lifts (audited, actor "
               "policy)."});
  k.push_back(
      {"control.hazards", "map", "{}", "", "",
       "Capacity hazards sampled off the lcores; any of them moves the appliance to SAFE."});
  k.push_back({"control.hazards.disk_paths", "list", "[]", "", "up to 8 file paths",
               "Directories whose free space is watched (statvfs); relative to the working "
               "directory."});
  k.push_back({"control.hazards.disk_min_free_mb", "integer", "1024", "MiB", "0..1099511627776",
               "Free space below this on any disk_paths entry is a hazard."});
  k.push_back({"control.hazards.fd_max_pct", "integer", "90", "%", "1..100",
               "Open file descriptors above this share of RLIMIT_NOFILE are a hazard."});
  k.push_back({"control.hazards.rss_max_mb", "integer", "0", "MiB", "0..1099511627776",
               "Resident set above this is an OOM risk hazard; 0: off."});
  k.push_back({"control.hazards.mem_min_available_mb", "integer", "64", "MiB", "0..1099511627776",
               "MemAvailable below this is an OOM risk hazard; 0: off."});
  k.push_back({"control.hazards.sample_interval_ms", "integer", "200", "ms", "10..60000",
               "How often the sampler thread measures; a sample older than 5 intervals is "
               "UNKNOWN."});
  k.push_back({"control.hazards.auto_recover", "bool", "false", "", "",
               "Policy: leave SAFE by itself once every hazard cleared for "
               "backpressure.recover_hold_ms (audited); false: only an operator relaxes."});
  k.push_back({"control.test", "map", "{}", "", "",
               "Test hooks that inject faults for real; never set them in production."});
  k.push_back({"control.test.stall_rx_after_ms", "integer", "0", "ms", "0..3600000",
               "Test only: the first rx lcore stops looping this long after start; 0: off."});
  k.push_back({"control.test.stall_rx_ms", "integer", "0", "ms", "0..3600000",
               "Test only: how long that rx lcore stays stalled (its heartbeat goes missing)."});
  k.push_back({"execution", "map", "{}", "", "",
               "The execution lcore: risk policy, gate log, fills ledger."});
  k.push_back({"execution.policy", "string", "\"\"", "", "a file path",
               "Risk policy (docs/risk.md), relative to the config file; required when there "
               "are client sessions."});
  k.push_back(
      {"execution.gate_log", "string", "\"\"", "", "a file path",
       "Where gate_results are written as JSON lines (docs/contracts/"
       "gate_results.schema.json), relative to the working directory; empty: counted only."});
  k.push_back({"execution.max_orders", "integer", "262144", "orders",
               "1024..16777216, power of two",
               "Fills ledger: order tokens of the day over all sessions, rejected ones included."});
  k.push_back({"execution.max_positions", "integer", "16384", "positions",
               "64..1048576, power of two", "Fills ledger: (account, instrument) pairs."});
  k.push_back({"execution.max_fills", "integer", "262144", "fills", "1024..16777216, power of two",
               "Fills ledger: the last executions kept (by match number) so that a Broken "
               "Trade or a Trade/Price Correction can be booked; older ones are counted "
               "(ledger_unknown_match), not booked."});
  k.push_back({"execution.gate_results_size", "integer", "16384", "records",
               "64..1048576, power of two",
               "Ring of 128-byte gate_results records from the execution lcore to the gate log."});
  k.push_back({"execution.timer_interval_us", "integer", "1000", "us", "10..1000000",
               "How often session timers run (heartbeats, timeouts, login retries)."});
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

  // --- service -----------------------------------------------------------------------------
  k.push_back({"service", "map", "{}", "", "",
               "What the service manager is told (systemd Type=notify): readiness, watchdog."});
  k.push_back({"service.heartbeat_timeout_ms", "integer", "1000", "ms", "10..600000",
               "An lcore whose heartbeat is older than this is not alive: the watchdog ping "
               "(WATCHDOG=1) is withheld until it is again; keep it above lcores[].idle_sleep_us "
               "and below the unit's WatchdogSec."});
  k.push_back({"service.ready_requires_link", "bool", "true", "", "",
               "READY=1 also waits for every port's link to be up (false: ports started is "
               "enough)."});
  return k;
}

}  // namespace

const std::vector<SchemaKey>& schema() {
  static const std::vector<SchemaKey> keys = build_schema();
  return keys;
}

}  // namespace sy::conf
