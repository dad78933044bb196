// The frozen configuration of one appliance run.
//
// conf/ parses and validates YAML without DPDK; drivers/ turns a Config into EAL
// arguments and ports. Every field here has a default, a unit and a range in the
// schema (conf/schema.cpp) and a line in docs/configuration.md.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace sy::conf {

// Where a value came from, so that cross-field errors can point at it.
struct SourceMark {
  std::string file;  // config path, or "--set"
  int line = 0;      // 1-based; 0 when unknown
  int column = 0;    // 1-based
};

// Thrown by load/validate; what() is the full "file:line:col: key.path: message" text.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(const SourceMark& mark, const std::string& key_path, const std::string& message);
  const SourceMark& mark() const { return mark_; }
  const std::string& key_path() const { return key_path_; }
  const std::string& message() const { return message_; }

 private:
  SourceMark mark_;
  std::string key_path_;
  std::string message_;
};

enum class Role : uint8_t { rx, integrity, execution, storage, control };
enum class IdlePolicy : uint8_t { spin, pause, sleep };
enum class Priority : uint8_t { p0, p1, p2 };
enum class HugepageMode : uint8_t { automatic, on, off };
enum class RunMode : uint8_t { live, batch };
// tsc: live time (TSC calibrated against the realtime clock). capture: the rx timestamps a
// replayed capture carries, so windows, timeouts and staleness replay identically.
enum class ClockSource : uint8_t { tsc, capture };
enum class SessionSide : uint8_t { client, venue };
// What an rx lcore does when a downstream ring has no room for a burst.
enum class FullPolicy : uint8_t { drop, wait };
// Mempool handler: how mbufs move between lcore caches. RTS and HTS stay correct and fast when
// an lcore is preempted mid-operation (lcores sharing a CPU); mp_mc is DPDK's default.
enum class MempoolOps : uint8_t { ring_mt_rts, ring_mt_hts, ring_mp_mc };

const char* to_string(Role r);
const char* to_string(IdlePolicy p);
const char* to_string(Priority p);
const char* to_string(HugepageMode m);
const char* to_string(RunMode m);
const char* to_string(ClockSource c);
const char* to_string(SessionSide s);
const char* to_string(FullPolicy p);
const char* to_string(MempoolOps o);

// --- observe: metrics export, DPDK telemetry, live capture (src/observe/) ------------------
enum class OtlpEncoding : uint8_t { protobuf, json };
const char* to_string(OtlpEncoding e);

struct OtlpConfig {
  std::string endpoint;  // http://host:port/v1/metrics; empty: no export
  OtlpEncoding encoding = OtlpEncoding::protobuf;
  uint32_t interval_ms = 10000;  // between exports
  uint32_t timeout_ms = 2000;    // connect, write and read, each
  uint32_t retries = 3;          // further attempts for one export after the first
  uint32_t backoff_ms = 250;     // first retry delay; doubles per retry
  uint32_t queue = 4;            // exports waiting to be sent; the oldest is dropped when full
};

struct ObserveConfig {
  std::string service_name = "switchyard";
  std::string service_instance_id;  // empty: <host name>/<eal.file_prefix>
  OtlpConfig otlp;
  std::vector<std::string> disk_paths = {std::string(".")};  // free space exported
  bool telemetry = true;  // register /switchyard/* DPDK telemetry commands
  bool pdump = true;      // rte_pdump_init so dpdk-dumpcap can attach (needs eal.in_memory false)
  SourceMark mark;
};
// --- end observe ---------------------------------------------------------------------------

using MacAddress = std::array<uint8_t, 6>;
// IPv4 addresses are kept in host byte order; 0 means "any" where optional.
using Ipv4Address = uint32_t;

struct EalConfig {
  std::string file_prefix = "switchyard";
  HugepageMode hugepages = HugepageMode::automatic;
  uint32_t memory_mb = 512;  // used with --no-huge (-m), and as the hugepage need in auto mode
  bool in_memory = true;     // --in-memory: no shared files; pdump needs it false
  std::string log_level = "notice";
  std::vector<std::string> extra_args;  // appended verbatim, e.g. ["--iova-mode=va"]
  SourceMark mark;
};

struct LcoreConfig {
  uint32_t id = 0;   // EAL lcore id, 0..127
  uint32_t cpu = 0;  // physical CPU the lcore thread is pinned to
  Role role = Role::rx;
  IdlePolicy idle = IdlePolicy::sleep;
  uint32_t idle_sleep_us = 50;     // cap of the sleep back-off
  uint32_t idle_spins = 64;        // empty polls before backing off
  std::vector<std::string> ports;  // rx only: port names this lcore polls (queue per lcore)
  SourceMark mark;
};

struct PortConfig {
  std::string name;
  // A DPDK virtual device name ("net_pcap0", "net_ring0", "net_null0", "net_memif0",
  // "net_af_packet0") or a PCI address ("0000:01:00.0").
  std::string device;
  // Device arguments for virtual devices, in order ("rx_pcap" -> "traffic/default.pcap").
  // Path-valued arguments (rx_pcap, tx_pcap, socket) are resolved against the config's directory.
  std::vector<std::pair<std::string, std::string>> args;
  uint16_t rx_descriptors = 1024;
  uint16_t tx_descriptors = 1024;
  uint32_t mbufs = 16383;          // mempool size (a power of two minus one is optimal)
  uint32_t mbuf_cache = 256;       // per-lcore mempool cache
  uint16_t mbuf_data_room = 2176;  // bytes, incl. RTE_PKTMBUF_HEADROOM
  MempoolOps mempool_ops = MempoolOps::ring_mt_rts;
  bool promiscuous = true;
  std::optional<MacAddress> mac;             // override; default is the device's
  std::optional<Ipv4Address> ipv4;           // own address: ARP replies, source of what we send
  std::optional<MacAddress> next_hop_mac;    // static next hop
  std::optional<Ipv4Address> next_hop_ipv4;  // resolved by ARP when next_hop_mac is absent
  bool igmp = false;                         // send IGMPv2 reports for the feed groups on this port
  SourceMark mark;

  bool is_pci() const;  // device looks like a PCI address
};

// How a class is recognised on the wire. udp_dst is required; the rest narrow it.
struct MatchConfig {
  std::string port;                     // ingress port name
  uint16_t udp_dst = 0;                 // 1..65535
  std::optional<Ipv4Address> ipv4_dst;  // e.g. the multicast group
  std::optional<uint16_t> vlan;         // 0..4095; absent = untagged or any tag
  SourceMark mark;
};

struct FeedLineConfig {
  std::string name;  // "A", "B"
  MatchConfig match;
};

struct RetransmitConfig {
  MatchConfig reply;  // where the server's unicast replies arrive
  Ipv4Address server_ipv4 = 0;
  uint16_t server_udp = 0;
  SourceMark mark;
};

// How the integrity lcore arbitrates a feed's lines and recovers its gaps.
struct FeedIntegrityConfig {
  uint32_t window_us = 1000;              // the other line may fill a gap within this
  uint32_t rerequest_interval_ms = 10;    // between re-requests of one gap
  uint32_t rerequest_retries = 3;         // re-requests per gap after the first
  uint32_t rerequest_min_gap_us = 1000;   // rate limit: at most one re-request per this
  uint32_t rerequest_max_messages = 512;  // messages asked for in one re-request
  uint32_t lost_after_ms = 1000;          // from detection to "lost"
  uint32_t stale_after_ms = 2000;         // no packet on any line -> state unknown
  uint32_t buffer_messages = 65536;       // out-of-order messages held; power of two
  uint32_t max_gaps = 256;                // open gaps tracked at once
};

// Capacity of a feed's market-by-order book (allocated at start).
struct FeedBookConfig {
  uint16_t max_instruments = 8192;  // stock locates 1..max
  uint32_t max_orders = 1u << 20;   // live orders at once
  uint32_t max_levels = 256;        // price levels per side per instrument
};

// An instrument known before its Stock Directory message (e.g. joining mid-session).
struct InstrumentConfig {
  uint16_t locate = 0;  // 1..feeds[].book.max_instruments
  std::string symbol;   // up to 8 characters, as in ITCH (space padded on the wire)
  SourceMark mark;
};

struct FeedConfig {
  std::string name;
  Priority priority = Priority::p0;
  std::vector<FeedLineConfig> lines;
  std::optional<RetransmitConfig> retransmit;
  FeedIntegrityConfig integrity;
  FeedBookConfig book;
  std::vector<InstrumentConfig> instruments;
  SourceMark mark;
};

// A UFO order-entry session. client: the appliance is the UFO server and the strategy logs in
// with `username`/password; venue: the appliance is the UFO client and logs in to the venue's
// server at server_ipv4:server_udp. The password is a secret: it is read from `password_file`
// (or given inline as `password`), compared in constant time and never printed or logged.
struct SessionConfig {
  std::string name;
  SessionSide side = SessionSide::client;
  Priority priority = Priority::p0;
  MatchConfig match;
  std::string username;         // up to 6 characters (UFO Login Request)
  std::string password;         // up to 10 characters; never dumped
  std::string password_file;    // where `password` came from, if from a file
  Ipv4Address server_ipv4 = 0;  // venue: where the venue's UFO server listens
  uint16_t server_udp = 0;
  uint32_t heartbeat_ms = 1000;        // send a heartbeat after this long without sending
  uint32_t timeout_ms = 10000;         // the peer is gone after this long without hearing it
  uint32_t retransmit_buffer = 65536;  // client: sequenced messages kept for retransmission
  uint32_t gap_give_up_ms = 5000;      // venue: a gap nothing fills this long is given up; 0 never
  SourceMark mark;
};

struct RingConfig {
  uint32_t md_size = 4096;          // rx -> integrity, per rx lcore; power of two
  uint32_t order_size = 1024;       // rx -> execution, per rx lcore
  uint32_t capture_size = 4096;     // rx -> storage, per rx lcore
  uint32_t canonical_size = 65536;  // integrity -> storage, 64-byte canonical records
  uint32_t command_size = 64;       // control -> each lcore
  uint32_t burst = 32;              // packets per rx burst and per ring operation, 1..256
  // drop: count ring_full and go on (live: never stall P0 behind a slow consumer).
  // wait: stop polling rx until there is room (replay: a pcap can wait; a NIC then counts
  // imissed, so nothing is silent either way).
  FullPolicy on_full = FullPolicy::drop;
  SourceMark mark;
};

struct ClassifyConfig {
  bool capture_unclassified = false;  // send class `other` to storage instead of dropping it
  Priority unclassified_priority = Priority::p2;
  SourceMark mark;
};

// Persistence (storage lcore): what is captured raw, how and where it is written, how long it is
// kept. An empty dir turns persistence off (records are consumed and not kept).
enum class SyncPolicy : uint8_t { batch, interval };
const char* to_string(SyncPolicy p);

struct StorageConfig {
  std::string dir;  // store directory (relative: to the working directory); empty: off
  std::vector<Priority> capture_priorities{Priority::p0, Priority::p1, Priority::p2};
  std::vector<std::string> capture_classes;  // captured whatever their priority
  std::vector<std::string> capture_exclude;  // never captured
  bool capture_sent = true;                  // frames the appliance sends (re-requests, ...)
  uint32_t block_kib = 64;                   // write unit
  uint32_t queue_depth = 8;                  // writes in flight per stream
  uint32_t buffers = 32;                     // write buffers per stream
  uint32_t pending_records = 1u << 18;       // records per stream between append and durable
  uint32_t segment_mib = 256;
  uint32_t rotate_interval_s = 0;       // 0: by size only
  uint64_t retention_mib = 0;           // 0: keep everything
  uint32_t reserve_mib = 256;           // free space kept; under it: disk-full hazard
  uint32_t spare_segments = 0;          // zero-filled segments kept ready; 0: off
  uint32_t spare_fill_mib_per_s = 256;  // pace of the background zero fill
  SyncPolicy sync = SyncPolicy::batch;
  uint32_t sync_interval_us = 1000;
  uint32_t sync_kib = 1024;
  uint32_t flush_age_us = 1000;  // a busy stream writes a partial buffer this old
  uint32_t backlog_hazard_mib = 64;
  uint32_t slow_completion_ms = 100;
  // Test hook (docs/storage.md): the writer stops reaping io_uring completions for stall_ms,
  // stall_after_ms after its first poll, as a device that stops answering would. 0: off.
  uint32_t test_stall_after_ms = 0;
  uint32_t test_stall_ms = 0;
  SourceMark mark;
};

struct RunConfig {
  RunMode mode = RunMode::live;
  ClockSource clock = ClockSource::tsc;
  uint32_t idle_stop_ms =
      500;  // batch: stop after every rx port was idle this long after its first packet
  uint64_t expect_frames = 0;        // batch: stop as soon as this many frames arrived (0 = off)
  uint32_t drain_timeout_ms = 5000;  // shutdown: longest wait for rings to drain
  uint32_t max_runtime_ms = 0;       // stop after this long whatever happens (0 = off)
  SourceMark mark;
};

// The control API: loopback only (127.0.0.1), bearer token from the file or from YAML.
struct ControlApiConfig {
  bool enabled = false;
  uint16_t port = 0;                   // 0: the kernel picks one (printed at start)
  std::string token;                   // secret: never printed, never logged
  std::string token_file;              // first line is the token; relative to the working directory
  uint32_t command_timeout_ms = 1000;  // longest an HTTP request waits for the control lcore
};

// Ring and mempool watermarks (percent) and their hysteresis.
struct ControlBackpressureConfig {
  uint32_t ring_high_pct = 80;        // fill at or above: backpressure, shed P2 (then P1)
  uint32_t ring_low_pct = 50;         // fill at or below (for recover_hold_ms): pressure is over
  uint32_t ring_critical_pct = 95;    // fill at or above with P1 and P2 shed: hazard, SAFE
  uint32_t mempool_low_pct = 20;      // free mbufs below: backpressure
  uint32_t mempool_critical_pct = 5;  // free mbufs below: hazard, SAFE
  uint32_t escalate_ms = 100;         // pressure this long at one tier: shed the next tier
  uint32_t recover_hold_ms = 500;     // calm this long before backpressure ends
  bool auto_recover = true;           // policy: lift shedding when pressure ends (audited)
};

// Capture shedding: storage falling behind (raw backlog, fill of the rings into storage) stops
// the raw copies of P2, then P1 classes; the packets themselves are still processed.
struct ControlCaptureShedConfig {
  uint64_t backlog_high_kib = 1536;  // raw backlog at or above: shed P2 capture (then P1)
  uint64_t backlog_low_kib = 256;    // at or below (rings calm too) for recover_hold_ms: lift
  uint32_t ring_high_pct = 50;       // fill of a ring into storage at or above: shed
  uint32_t ring_low_pct = 10;        // at or below (backlog calm too): calm
  uint32_t escalate_ms = 100;        // pressure this long with P2 shed: shed P1 capture too
  uint32_t recover_hold_ms = 500;    // calm this long before capture shedding lifts
};

// Capacity hazards sampled by a non-EAL thread.
struct ControlHazardsConfig {
  std::vector<std::string> disk_paths;  // statvfs each; relative to the working directory
  uint64_t disk_min_free_mb = 1024;     // free space below: disk hazard
  uint32_t fd_max_pct = 90;             // open descriptors above this share of RLIMIT_NOFILE
  uint64_t rss_max_mb = 0;              // resident set above: OOM risk (0: off)
  uint64_t mem_min_available_mb = 64;   // MemAvailable below: OOM risk (0: off)
  uint32_t sample_interval_ms = 200;
  bool auto_recover = false;  // policy: leave SAFE by itself once every hazard cleared
};

// Test hooks: never set in production profiles (docs/control.md).
struct ControlTestConfig {
  uint32_t stall_rx_after_ms = 0;  // the first rx lcore stops looping after this long (0: off)
  uint32_t stall_rx_ms = 0;        // ... for this long, so its heartbeat goes missing
};

// The execution lcore: risk policy, gate log and the fills ledger's capacity.
struct ExecutionConfig {
  std::string policy;              // risk policy YAML (conf/policy/); resolved to an absolute path
  std::string gate_log;            // gate_results as JSON lines; empty: counted, not written
  uint32_t max_orders = 1u << 18;  // ledger: day-unique tokens of all sessions
  uint32_t max_positions = 1u << 14;   // ledger: (account, instrument) pairs
  uint32_t max_fills = 1u << 18;       // ledger: executions kept for breaks and corrections
  uint32_t gate_results_size = 16384;  // ring of gate_results records toward the gate log
  uint32_t timer_interval_us = 1000;   // session timers (heartbeats, timeouts, login retries)
  SourceMark mark;
};

struct ControlConfig {
  std::string integrity_report;        // path of the integrity report (JSON); empty: not written
  uint32_t report_interval_ms = 1000;  // how often it is rewritten while running (0: at exit only)
  bool supervise = true;               // false: only the stop protocol (benchmark baseline)
  uint32_t period_us = 1000;           // control lcore tick
  uint32_t heartbeat_timeout_ms = 1000;
  std::string state_file;  // persisted safety state; empty: not persisted
  std::string audit_log;   // audit trail (JSON lines, hash chain); empty: not written
  std::string budgets;     // latency budget policy (YAML); relative to the config's directory
  ControlApiConfig api;
  ControlBackpressureConfig backpressure;
  ControlCaptureShedConfig capture_shed;
  ControlHazardsConfig hazards;
  ControlTestConfig test;
  SourceMark mark;
};

// What the service manager (systemd) is told: readiness and the watchdog (src/ops/).
struct ServiceConfig {
  uint32_t heartbeat_timeout_ms = 1000;  // an lcore heartbeat older than this withholds WATCHDOG=1
  bool ready_requires_link = true;       // READY=1 also waits for every port's link to be up
  SourceMark mark;
};

struct Config {
  std::string source_file;  // absolute path of the YAML file
  std::string source_dir;   // its directory: relative paths resolve against it
  EalConfig eal;
  std::vector<LcoreConfig> lcores;
  std::vector<PortConfig> ports;
  std::vector<FeedConfig> feeds;
  std::vector<SessionConfig> sessions;
  RingConfig rings;
  ClassifyConfig classify;
  StorageConfig storage;
  RunConfig run;
  ControlConfig control;
  ServiceConfig service;
  ExecutionConfig execution;
  ObserveConfig observe;

  const PortConfig* find_port(const std::string& name) const;
  const LcoreConfig* find_role(Role role) const;  // first lcore with that role
};

// Parses FILE, applies each "key.path=value" override in order, fills defaults and validates.
// Throws ConfigError (message names file, line, column, key path and what was expected).
Config load(const std::string& path, const std::vector<std::string>& overrides = {});

// Same, from YAML text (tests); `name` stands in for the file name in errors.
Config load_from_string(const std::string& yaml_text, const std::string& name,
                        const std::vector<std::string>& overrides = {},
                        const std::string& base_dir = ".");

// The resolved configuration as YAML, every default filled in, secrets redacted.
std::string dump_resolved(const Config& cfg);

// One documented key of the schema (drives validation messages, --check-config and the docs test).
struct SchemaKey {
  std::string path;  // "ports[].rx_descriptors"
  std::string type;  // "integer", "string", "bool", "enum", "ipv4", "mac", "list", "map"
  std::string default_value;
  std::string unit;   // "descriptors", "ms", "" ...
  std::string range;  // "64..32768", "spin|pause|sleep", ...
  std::string summary;
};
const std::vector<SchemaKey>& schema();

}  // namespace sy::conf
