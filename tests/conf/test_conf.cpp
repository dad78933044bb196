// Tests of the configuration loader (conf/config.hpp).
//
// Most tests start from kBase, a valid configuration whose line numbers the expected messages
// rely on, change one thing and assert the exact error text: the text is what an operator sees,
// so its file:line:col, key path and wording are part of the contract.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "conf/config.hpp"

namespace sy::conf {
namespace {

// Line numbers are in the comments on the right; columns are 1-based.
const std::string kBase =
    "eal:\n"                                                                                // 1
    "  file_prefix: sytest\n"                                                               // 2
    "lcores:\n"                                                                             // 3
    "  - { id: 0, cpu: 0, role: control }\n"                                                // 4
    "  - { id: 1, cpu: 1, role: rx, ports: [wire0] }\n"                                     // 5
    "  - { id: 2, cpu: 1, role: integrity }\n"                                              // 6
    "  - { id: 3, cpu: 0, role: execution }\n"                                              // 7
    "  - { id: 4, cpu: 0, role: storage }\n"                                                // 8
    "  - { id: 5, cpu: 2, role: rx, ports: [wire1] }\n"                                     // 9
    "ports:\n"                                                                              // 10
    "  - name: wire0\n"                                                                     // 11
    "    device: net_pcap0\n"                                                               // 12
    "    args: { rx_pcap: caps/in.pcap, iface: eth0 }\n"                                    // 13
    "    rx_descriptors: 512\n"                                                             // 14
    "    ipv4: 10.1.0.2\n"                                                                  // 15
    "    mac: \"02:53:59:00:00:02\"\n"                                                      // 16
    "  - name: wire1\n"                                                                     // 17
    "    device: \"0000:01:00.0\"\n"                                                        // 18
    "feeds:\n"                                                                              // 19
    "  - name: itch\n"                                                                      // 20
    "    priority: P1\n"                                                                    // 21
    "    lines:\n"                                                                          // 22
    "      - { name: A, port: wire0, udp_dst: 26400, ipv4_dst: 233.54.12.111 }\n"           // 23
    "      - { name: B, port: wire1, udp_dst: 26401, ipv4_dst: 233.54.12.112, vlan: 7 }\n"  // 24
    "    retransmit: { port: wire0, udp_dst: 26402,"
    " server_ipv4: 10.1.0.9, server_udp: 26403 }\n"  // 25
    "sessions:\n"                                    // 26
    "  - { name: client1, side: client, port: wire0, udp_dst: 40001, username: strat1, "
    "password: pw1 }\n"  // 27
    "  - { name: venue, side: venue, priority: P2, port: wire1, udp_dst: 40100, username: sy01, "
    "password: vpw, server_ipv4: 10.2.0.9, server_udp: 40200 }\n"  // 28
    "rings:\n"                                                     // 29
    "  burst: 32\n"                                                // 30
    "run:\n"                                                       // 31
    "  mode: batch\n"                                              // 32
    "execution: { policy: ../policy/risk.yaml }\n";                // 33

// kBase with the single occurrence of `from` replaced by `to`.
std::string edit(const std::string& from, const std::string& to) {
  const auto at = kBase.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  EXPECT_EQ(kBase.find(from, at + 1), std::string::npos) << from << " is ambiguous";
  std::string s = kBase;
  return s.replace(at, from.size(), to);
}

Config load_text(const std::string& text, const std::vector<std::string>& overrides = {}) {
  return load_from_string(text, "t.yaml", overrides, "/srv/sy/profiles");
}

// The what() of the ConfigError that loading `text` throws.
std::string error_of(const std::string& text, const std::vector<std::string>& overrides = {}) {
  try {
    load_text(text, overrides);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string source_root() {
  const char* root = std::getenv("SY_SOURCE_ROOT");
  return root ? root : ".";
}

TEST(ConfBase, LoadsAndReadsEveryField) {
  const Config c = load_text(kBase);
  EXPECT_EQ(c.source_dir, "/srv/sy/profiles");
  EXPECT_EQ(c.source_file, "/srv/sy/profiles/t.yaml");
  EXPECT_EQ(c.eal.file_prefix, "sytest");
  ASSERT_EQ(c.lcores.size(), 6u);
  EXPECT_EQ(c.lcores[1].role, Role::rx);
  EXPECT_EQ(c.lcores[1].ports, std::vector<std::string>{"wire0"});
  EXPECT_EQ(c.lcores[5].cpu, 2u);
  EXPECT_EQ(c.lcores[5].mark.line, 9);
  EXPECT_EQ(c.lcores[5].mark.column, 5);
  EXPECT_EQ(c.lcores[5].mark.file, "t.yaml");
  ASSERT_EQ(c.ports.size(), 2u);
  EXPECT_EQ(c.ports[0].rx_descriptors, 512);
  EXPECT_EQ(c.ports[0].ipv4, 0x0a010002u);  // host byte order
  EXPECT_EQ(c.ports[0].mac, (MacAddress{0x02, 0x53, 0x59, 0x00, 0x00, 0x02}));
  EXPECT_FALSE(c.ports[0].is_pci());
  EXPECT_TRUE(c.ports[1].is_pci());
  EXPECT_EQ(c.ports[1].mark.line, 17);
  EXPECT_EQ(c.ports[1].mark.column, 5);
  ASSERT_EQ(c.feeds.size(), 1u);
  const FeedConfig& f = c.feeds[0];
  EXPECT_EQ(f.priority, Priority::p1);
  ASSERT_EQ(f.lines.size(), 2u);
  EXPECT_EQ(f.lines[1].name, "B");
  EXPECT_EQ(f.lines[1].match.port, "wire1");
  EXPECT_EQ(f.lines[1].match.udp_dst, 26401);
  EXPECT_EQ(f.lines[1].match.ipv4_dst, 0xe9360c70u);  // 233.54.12.112
  EXPECT_EQ(f.lines[1].match.vlan, 7);
  EXPECT_EQ(f.lines[0].match.vlan, std::nullopt);
  EXPECT_EQ(f.lines[1].match.mark.line, 24);
  EXPECT_EQ(f.lines[1].match.mark.column, 9);
  ASSERT_TRUE(f.retransmit.has_value());
  EXPECT_EQ(f.retransmit->reply.port, "wire0");
  EXPECT_EQ(f.retransmit->reply.udp_dst, 26402);
  EXPECT_EQ(f.retransmit->reply.ipv4_dst, std::nullopt);
  EXPECT_EQ(f.retransmit->server_ipv4, 0x0a010009u);
  EXPECT_EQ(f.retransmit->server_udp, 26403);
  ASSERT_EQ(c.sessions.size(), 2u);
  EXPECT_EQ(c.sessions[1].side, SessionSide::venue);
  EXPECT_EQ(c.sessions[1].priority, Priority::p2);
  EXPECT_EQ(c.sessions[1].match.udp_dst, 40100);
  EXPECT_EQ(c.run.mode, RunMode::batch);
  EXPECT_EQ(c.find_port("wire1"), &c.ports[1]);
  EXPECT_EQ(c.find_port("wire9"), nullptr);
  EXPECT_EQ(c.find_role(Role::rx), &c.lcores[1]);
  EXPECT_EQ(c.find_role(Role::storage), &c.lcores[4]);
}

TEST(ConfDefaults, FilledFromTheHeader) {
  const Config c = load_text(
      "lcores:\n"
      "  - { id: 0, cpu: 0, role: control }\n"
      "  - { id: 1, cpu: 1, role: rx, ports: [p] }\n"
      "  - { id: 2, cpu: 1, role: integrity }\n"
      "  - { id: 3, cpu: 0, role: execution }\n"
      "  - { id: 4, cpu: 0, role: storage }\n"
      "ports: [ { name: p, device: net_null0 } ]\n");
  const EalConfig eal;
  EXPECT_EQ(c.eal.file_prefix, eal.file_prefix);
  EXPECT_EQ(c.eal.hugepages, HugepageMode::automatic);
  EXPECT_EQ(c.eal.memory_mb, 512u);
  EXPECT_TRUE(c.eal.in_memory);
  EXPECT_EQ(c.eal.log_level, "notice");
  EXPECT_TRUE(c.eal.extra_args.empty());
  EXPECT_EQ(c.lcores[0].idle, IdlePolicy::sleep);
  EXPECT_EQ(c.lcores[0].idle_sleep_us, 50u);
  EXPECT_EQ(c.lcores[0].idle_spins, 64u);
  const PortConfig& p = c.ports[0];
  EXPECT_TRUE(p.args.empty());
  EXPECT_EQ(p.rx_descriptors, 1024);
  EXPECT_EQ(p.tx_descriptors, 1024);
  EXPECT_EQ(p.mbufs, 16383u);
  EXPECT_EQ(p.mbuf_cache, 256u);
  EXPECT_EQ(p.mbuf_data_room, 2176);
  EXPECT_TRUE(p.promiscuous);
  EXPECT_FALSE(p.mac || p.ipv4 || p.next_hop_mac || p.next_hop_ipv4);
  EXPECT_FALSE(p.igmp);
  EXPECT_TRUE(c.feeds.empty());
  EXPECT_TRUE(c.sessions.empty());
  EXPECT_EQ(c.rings.md_size, 4096u);
  EXPECT_EQ(c.rings.order_size, 1024u);
  EXPECT_EQ(c.rings.capture_size, 4096u);
  EXPECT_EQ(c.rings.command_size, 64u);
  EXPECT_EQ(c.rings.burst, 32u);
  EXPECT_FALSE(c.classify.capture_unclassified);
  EXPECT_EQ(c.classify.unclassified_priority, Priority::p2);
  EXPECT_EQ(c.run.mode, RunMode::live);
  EXPECT_EQ(c.run.idle_stop_ms, 500u);
  EXPECT_EQ(c.run.expect_frames, 0u);
  EXPECT_EQ(c.run.drain_timeout_ms, 5000u);
  EXPECT_EQ(c.run.max_runtime_ms, 0u);
  // Absent sections point at the file without a line.
  EXPECT_EQ(c.run.mark.file, "t.yaml");
  EXPECT_EQ(c.run.mark.line, 0);
}

TEST(ConfDefaults, NullMeansAbsentForOptionalKeys) {
  const Config c =
      load_text(edit("    ipv4: 10.1.0.2\n", "    ipv4: ~\n    igmp: true\n") + "classify:\n");
  EXPECT_FALSE(c.ports[0].ipv4.has_value());
  EXPECT_TRUE(c.ports[0].igmp);
  EXPECT_FALSE(c.classify.capture_unclassified);
}

TEST(ConfErrors, UnknownTopLevelKey) {
  EXPECT_EQ(error_of(kBase + "bogus: 1\n"),
            "t.yaml:34:1: bogus: unknown key (expected one of: eal, lcores, ports, feeds, "
            "sessions, rings, classify, storage, control, execution, observe, run, service)");
}

TEST(ConfErrors, UnknownNestedKey) {
  EXPECT_EQ(error_of(edit("rx_descriptors: 512", "rx_descriptor: 512")),
            "t.yaml:14:5: ports[0].rx_descriptor: unknown key (expected one of: name, device, "
            "args, rx_descriptors, tx_descriptors, mbufs, mbuf_cache, mbuf_data_room, mempool_ops, "
            "promiscuous, mac, ipv4, next_hop_mac, next_hop_ipv4, igmp)");
  EXPECT_EQ(error_of(edit("server_udp: 26403", "server_port: 26403")),
            "t.yaml:25:71: feeds[0].retransmit.server_port: unknown key (expected one of: port, "
            "udp_dst, ipv4_dst, vlan, server_ipv4, server_udp)");
}

TEST(ConfErrors, DuplicateKey) {
  EXPECT_EQ(error_of(edit("  burst: 32\n", "  burst: 32\n  burst: 16\n")),
            "t.yaml:31:3: rings.burst: duplicate key (first given at line 30)");
}

TEST(ConfErrors, WrongType) {
  EXPECT_EQ(error_of(edit("rx_descriptors: 512", "rx_descriptors: lots")),
            "t.yaml:14:5: ports[0].rx_descriptors: expected an integer");
  EXPECT_EQ(error_of(edit("rx_descriptors: 512", "rx_descriptors: 1.5")),
            "t.yaml:14:5: ports[0].rx_descriptors: expected an integer");
  EXPECT_EQ(error_of(edit("rx_descriptors: 512", "promiscuous: yes")),
            "t.yaml:14:5: ports[0].promiscuous: expected true or false");
  EXPECT_EQ(error_of(edit("device: net_pcap0", "device: [net_pcap0]")),
            "t.yaml:12:5: ports[0].device: expected a string");
  EXPECT_EQ(error_of(edit("file_prefix: sytest", "extra_args: --iova-mode=va")),
            "t.yaml:2:3: eal.extra_args: expected a list");
  EXPECT_EQ(error_of(edit("rings:\n  burst: 32\n", "rings: 32\n")),
            "t.yaml:29:1: rings: expected a map");
  EXPECT_EQ(error_of(edit("args: { rx_pcap: caps/in.pcap, iface: eth0 }", "args: [a]")),
            "t.yaml:13:5: ports[0].args: expected a map");
  EXPECT_EQ(error_of(edit("iface: eth0", "iface: { a: b }")),
            "t.yaml:13:36: ports[0].args.iface: expected a string");
}

TEST(ConfErrors, OutOfRange) {
  EXPECT_EQ(error_of(edit("rx_descriptors: 512", "rx_descriptors: 70000")),
            "t.yaml:14:5: ports[0].rx_descriptors: 70000 is out of range 64..32768 (descriptors)");
  EXPECT_EQ(error_of(edit("rx_descriptors: 512", "rx_descriptors: 99999999999999999999")),
            "t.yaml:14:5: ports[0].rx_descriptors: 99999999999999999999 is out of range "
            "64..32768 (descriptors)");
  EXPECT_EQ(error_of(edit("file_prefix: sytest", "memory_mb: 32")),
            "t.yaml:2:3: eal.memory_mb: 32 is out of range 64..1048576 (MiB)");
  EXPECT_EQ(error_of(edit("  burst: 32\n", "  md_size: 1000\n")),
            "t.yaml:30:3: rings.md_size: 1000 is not a power of two");
  EXPECT_EQ(error_of(edit("udp_dst: 40001", "udp_dst: 0")),
            "t.yaml:27:49: sessions[0].udp_dst: 0 is out of range 1..65535");
  EXPECT_EQ(error_of(edit(", vlan: 7", ", vlan: -1")),
            "t.yaml:24:74: feeds[0].lines[1].vlan: -1 is out of range 0..4095");
  EXPECT_EQ(error_of(edit("  mode: batch\n", "  mode: batch\n  drain_timeout_ms: 99\n")),
            "t.yaml:33:3: run.drain_timeout_ms: 99 is out of range 100..600000 (ms)");
}

TEST(ConfErrors, BadNames) {
  EXPECT_EQ(error_of(edit("file_prefix: sytest", "file_prefix: sy/test")),
            "t.yaml:2:3: eal.file_prefix: 'sy/test' does not match [A-Za-z0-9_-]{1,64}");
  EXPECT_EQ(error_of(edit("  - name: wire1\n", "  - name: Wire1\n")),
            "t.yaml:17:5: ports[1].name: 'Wire1' does not match [a-z][a-z0-9_]{0,31}");
  EXPECT_EQ(error_of(edit("device: net_pcap0", "device: eth0")),
            "t.yaml:12:5: ports[0].device: expected a PCI address like 0000:01:00.0 or a virtual "
            "device name like net_pcap0");
  EXPECT_EQ(error_of(edit("{ name: B,", "{ name: retransmit,")),
            "t.yaml:24:11: feeds[0].lines[1].name: line name 'retransmit' is reserved for the "
            "feed's retransmit class");
  EXPECT_EQ(error_of(edit("name: venue", "name: other")),
            "t.yaml:28:7: sessions[1].name: name 'other' is reserved for a built-in class (other, "
            "malformed, local)");
}

TEST(ConfErrors, DuplicateNames) {
  EXPECT_EQ(error_of(edit("  - name: wire1\n", "  - name: wire0\n")),
            "t.yaml:17:5: ports[1].name: port name 'wire0' is already used by ports[0]");
  EXPECT_EQ(error_of(edit("device: \"0000:01:00.0\"", "device: net_pcap0")),
            "t.yaml:18:5: ports[1].device: device 'net_pcap0' is already used by ports[0]");
  EXPECT_EQ(error_of(edit("{ name: B,", "{ name: A,")),
            "t.yaml:24:11: feeds[0].lines[1].name: line name 'A' is already used by "
            "feeds[0].lines[0]");
  EXPECT_EQ(error_of(edit("name: venue", "name: client1")),
            "t.yaml:28:7: sessions[1].name: name 'client1' is already used by sessions[0]");
  EXPECT_EQ(error_of(edit("name: venue", "name: itch")),
            "t.yaml:28:7: sessions[1].name: name 'itch' is already used by feeds[0]");
}

TEST(ConfErrors, MissingRequiredKey) {
  EXPECT_EQ(error_of(edit("    device: \"0000:01:00.0\"\n", "")),
            "t.yaml:17:5: ports[1]: missing required key 'device'");
  EXPECT_EQ(error_of(edit(", server_udp: 26403", "")),
            "t.yaml:25:5: feeds[0].retransmit: missing required key 'server_udp'");
  EXPECT_EQ(error_of("eal: {}\n"), "t.yaml:1:1: missing required key 'lcores'");
  EXPECT_EQ(error_of(""), "t.yaml:1:1: expected a map");
}

TEST(ConfErrors, MissingFile) {
  try {
    load("/nonexistent/sy/default.yaml");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/sy/default.yaml: cannot read: No such file or directory");
    EXPECT_EQ(e.mark().file, "/nonexistent/sy/default.yaml");
    EXPECT_EQ(e.mark().line, 0);
    EXPECT_EQ(e.key_path(), "");
    EXPECT_EQ(e.message(), "cannot read: No such file or directory");
  }
}

TEST(ConfErrors, YamlSyntax) {
  EXPECT_EQ(error_of(edit("  burst: 32\n", "  burst: [32\n")),
            "t.yaml:31:4: end of sequence flow not found");
  EXPECT_EQ(error_of(edit("    priority: P1\n", "   priority: P1\n")),
            "t.yaml:21:4: end of sequence not found");
}

TEST(ConfErrors, AliasCycleIsRejected) {
  const std::string e = error_of(edit("file_prefix: sytest", "extra_args: &x [*x]"));
  EXPECT_NE(e.find("nested deeper than 32"), std::string::npos) << e;
}

TEST(ConfErrors, BadLcoreMap) {
  EXPECT_EQ(error_of(edit("{ id: 5,", "{ id: 128,")),
            "t.yaml:9:7: lcores[5].id: 128 is out of range 0..127");
  EXPECT_EQ(error_of(edit("cpu: 2,", "cpu: 1024,")),
            "t.yaml:9:14: lcores[5].cpu: 1024 is out of range 0..1023");
  EXPECT_EQ(error_of(edit("{ id: 5, cpu: 2,", "{ id: 5, cpu: 2, idle: nap,")),
            "t.yaml:9:22: lcores[5].idle: expected one of: spin, pause, sleep");
}

TEST(ConfErrors, DuplicateLcoreId) {
  // Two roles claiming lcore 1.
  EXPECT_EQ(error_of(edit("{ id: 2,", "{ id: 1,")),
            "t.yaml:6:7: lcores[2].id: lcore 1 is already used by lcores[1] (role rx)");
}

TEST(ConfErrors, SecondStorageRole) {
  EXPECT_EQ(error_of(edit("role: rx, ports: [wire1]", "role: storage")),
            "t.yaml:9:22: lcores[5].role: role storage is already taken by lcores[4] (only rx "
            "may appear more than once)");
}

TEST(ConfErrors, MissingRole) {
  EXPECT_EQ(error_of(edit("  - { id: 3, cpu: 0, role: execution }\n", "")),
            "t.yaml:3:1: lcores: no lcore has role execution");
}

TEST(ConfErrors, LcorePorts) {
  EXPECT_EQ(error_of(edit(", ports: [wire1]", "")),
            "t.yaml:9:5: lcores[5]: an rx lcore must poll at least one port");
  EXPECT_EQ(error_of(edit("ports: [wire1]", "ports: []")),
            "t.yaml:9:32: lcores[5].ports: an rx lcore must poll at least one port");
  EXPECT_EQ(error_of(edit("role: storage }", "role: storage, ports: [wire1] }")),
            "t.yaml:8:37: lcores[4].ports: only rx lcores poll ports");
  EXPECT_EQ(error_of(edit("ports: [wire1]", "ports: [wire1, wire1]")),
            "t.yaml:9:47: lcores[5].ports[1]: port 'wire1' is listed twice");
}

TEST(ConfErrors, UndefinedPortInLcore) {
  EXPECT_EQ(error_of(edit("ports: [wire1]", "ports: [wire9]")),
            "t.yaml:9:40: lcores[5].ports[0]: port 'wire9' is not defined (defined: wire0, "
            "wire1)");
}

TEST(ConfErrors, UndefinedPortInFeedLine) {
  EXPECT_EQ(error_of(edit("{ name: B, port: wire1", "{ name: B, port: wire9")),
            "t.yaml:24:20: feeds[0].lines[1].port: port 'wire9' is not defined (defined: wire0, "
            "wire1)");
}

TEST(ConfErrors, PortNotPolled) {
  EXPECT_EQ(error_of(edit("ports: [wire1]", "ports: [wire0]")),
            "t.yaml:17:5: ports[1]: port wire1 is not polled by any rx lcore");
}

TEST(ConfErrors, DuplicateMatch) {
  EXPECT_EQ(error_of(edit("port: wire1, udp_dst: 40100", "port: wire0, udp_dst: 40001")),
            "t.yaml:28:5: sessions[1]: same port, udp_dst, ipv4_dst and vlan as sessions[0] "
            "(class client1)");
  EXPECT_EQ(error_of(edit("udp_dst: 26402", "udp_dst: 26400, ipv4_dst: 233.54.12.111")),
            "t.yaml:25:5: feeds[0].retransmit: same port, udp_dst, ipv4_dst and vlan as "
            "feeds[0].lines[0] (class itch.A)");
  // A different vlan tells them apart.
  EXPECT_NO_THROW(
      load_text(edit("port: wire1, udp_dst: 40100", "port: wire0, udp_dst: 40001, vlan: 3")));
}

TEST(ConfErrors, BadIpv4) {
  EXPECT_EQ(error_of(edit("ipv4: 10.1.0.2", "ipv4: 10.1.0.256")),
            "t.yaml:15:5: ports[0].ipv4: expected an IPv4 address like 10.0.0.1");
  EXPECT_EQ(error_of(edit("ipv4: 10.1.0.2", "ipv4: 10.1.0")),
            "t.yaml:15:5: ports[0].ipv4: expected an IPv4 address like 10.0.0.1");
  EXPECT_EQ(error_of(edit("server_ipv4: 10.1.0.9", "server_ipv4: server")),
            "t.yaml:25:48: feeds[0].retransmit.server_ipv4: expected an IPv4 address like "
            "10.0.0.1");
}

TEST(ConfErrors, BadMac) {
  EXPECT_EQ(error_of(edit("\"02:53:59:00:00:02\"", "\"02:53:59:00:00\"")),
            "t.yaml:16:5: ports[0].mac: expected a MAC address like 02:00:00:00:00:01");
  EXPECT_EQ(error_of(edit("\"02:53:59:00:00:02\"", "\"02:53:59:00:00:0g\"")),
            "t.yaml:16:5: ports[0].mac: expected a MAC address like 02:00:00:00:00:01");
}

TEST(ConfErrors, BadEnum) {
  EXPECT_EQ(error_of(edit("file_prefix: sytest", "hugepages: maybe")),
            "t.yaml:2:3: eal.hugepages: expected one of: auto, on, off");
  EXPECT_EQ(error_of(edit("mode: batch", "mode: fast")),
            "t.yaml:32:3: run.mode: expected one of: live, batch");
  EXPECT_EQ(error_of(edit("priority: P1", "priority: p1")),
            "t.yaml:21:5: feeds[0].priority: expected one of: P0, P1, P2");
}

TEST(ConfRings, OnFullAndMempoolOps) {
  const Config def = load_text(kBase);
  EXPECT_EQ(def.rings.on_full, FullPolicy::drop);
  EXPECT_EQ(def.ports[0].mempool_ops, MempoolOps::ring_mt_rts);
  const Config set = load_text(kBase, {"rings.on_full=wait", "ports.wire0.mempool_ops=ring_mp_mc"});
  EXPECT_EQ(set.rings.on_full, FullPolicy::wait);
  EXPECT_EQ(set.ports[0].mempool_ops, MempoolOps::ring_mp_mc);
  EXPECT_EQ(error_of(edit("burst: 32", "burst: 32\n  on_full: block")),
            "t.yaml:31:3: rings.on_full: expected one of: drop, wait");
}

TEST(ConfErrors, TooManyClassesOnOnePort) {
  // 32 classes fit the classifier's per-port table; the 33rd does not.
  std::string sessions;
  for (int i = 0; i < 31; ++i)
    sessions += "  - { name: s" + std::to_string(i) +
                ", port: wire0, udp_dst: " + std::to_string(41000 + i) +
                ", username: u, password: p }\n";
  const std::string base = edit("sessions:\n", "sessions:\n" + sessions);
  // wire0 now has A, retransmit, 31 sessions and client1: 34 > 32.
  const std::string err = error_of(base);
  EXPECT_NE(err.find("too many classes on port wire0: at most 32"), std::string::npos) << err;
}

TEST(ConfFeeds, InstrumentsFromYaml) {
  const Config c = load_text(kBase, {"feeds.itch.instruments=[{locate: 7, symbol: AAPL}]"});
  ASSERT_EQ(c.feeds[0].instruments.size(), 1u);
  EXPECT_EQ(c.feeds[0].instruments[0].locate, 7u);
  EXPECT_EQ(c.feeds[0].instruments[0].symbol, "AAPL");
  EXPECT_EQ(error_of(kBase, {"feeds.itch.instruments=[{locate: 9000, symbol: AAPL}]"}),
            "--set: feeds[0].instruments[0].locate: 9000 is beyond feeds[].book.max_instruments "
            "(8192)");
  EXPECT_EQ(error_of(kBase, {"feeds.itch.instruments=[{locate: 7, symbol: A}, {locate: 7, "
                             "symbol: B}]"}),
            "--set: feeds[0].instruments[1].locate: locate 7 is already used by "
            "feeds[0].instruments[0]");
  EXPECT_EQ(error_of(kBase, {"feeds.itch.instruments=[{locate: 7, symbol: toolongsymbol}]"}),
            "--set: feeds[0].instruments[0].symbol: 'toolongsymbol' does not match "
            "[A-Z0-9.+/ -]{1,8}");
}

TEST(ConfErrors, BurstLargerThanRing) {
  EXPECT_EQ(error_of(edit("burst: 32", "burst: 128")),
            "t.yaml:30:3: rings.burst: 128 is larger than rings.command_size (64)");
  EXPECT_EQ(error_of(edit("burst: 32", "burst: 32\n  command_size: 16")),
            "t.yaml:30:3: rings.burst: 32 is larger than rings.command_size (16)");
  EXPECT_EQ(error_of(edit("  burst: 32\n", "  command_size: 16\n")),
            "t.yaml:30:3: rings.command_size: 16 is smaller than rings.burst (32)");
}

TEST(ConfSet, AppliedByNameAndIndex) {
  const Config c = load_text(
      kBase, {"ports.wire0.rx_descriptors=2048", "lcores.1.cpu=7", "feeds.itch.lines.B.vlan=9",
              "run.mode=live", "sessions.1.ipv4_dst=10.2.0.1", "rings.command_size = 128",
              "eal.extra_args=[--iova-mode=va, --no-pci]"});
  EXPECT_EQ(c.ports[0].rx_descriptors, 2048);
  EXPECT_EQ(c.lcores[1].cpu, 7u);
  EXPECT_EQ(c.feeds[0].lines[1].match.vlan, 9);
  EXPECT_EQ(c.run.mode, RunMode::live);
  EXPECT_EQ(c.sessions[1].match.ipv4_dst, 0x0a020001u);
  EXPECT_EQ(c.rings.command_size, 128u);
  EXPECT_EQ(c.eal.extra_args, (std::vector<std::string>{"--iova-mode=va", "--no-pci"}));
  // The entities still point at the file.
  EXPECT_EQ(c.ports[0].mark.line, 11);
}

TEST(ConfSet, CreatesMissingSections) {
  const Config c = load_text(edit("rings:\n  burst: 32\n", ""), {"rings.burst=8"});
  EXPECT_EQ(c.rings.burst, 8u);
  EXPECT_EQ(c.rings.mark.file, "--set");
}

TEST(ConfSet, BadPath) {
  EXPECT_EQ(error_of(kBase, {"ports.nope.mbufs=4095"}),
            "--set: ports.nope: no list entry named 'nope' (entries: wire0, wire1)");
  EXPECT_EQ(error_of(kBase, {"run.mode"}), "--set: run.mode: expected key.path=value");
  EXPECT_EQ(error_of(kBase, {"=live"}), "--set: =live: expected key.path=value");
  EXPECT_EQ(error_of(kBase, {"run..mode=live"}), "--set: run..mode: empty segment in key path");
  EXPECT_EQ(error_of(kBase, {"lcores.9.cpu=1"}),
            "--set: lcores.9: index 9 is out of range (the list has 6 entries)");
  EXPECT_EQ(error_of(kBase, {"run.mode.x=1"}),
            "--set: run.mode.x: cannot descend into 'run.mode': it is a scalar");
  EXPECT_EQ(error_of(kBase, {"run.fast=1"}),
            "--set: run.fast: unknown key (expected one of: clock, mode, idle_stop_ms, "
            "expect_frames, drain_timeout_ms, max_runtime_ms)");
}

TEST(ConfFeeds, IntegrityKnobsDefaultsAndRanges) {
  const Config def = load_text(kBase);
  EXPECT_EQ(def.feeds[0].integrity.window_us, 1000u);
  EXPECT_EQ(def.feeds[0].integrity.buffer_messages, 65536u);
  EXPECT_EQ(def.run.clock, ClockSource::tsc);
  const Config set = load_text(kBase, {"feeds.itch.integrity.window_us=250", "run.clock=capture"});
  EXPECT_EQ(set.feeds[0].integrity.window_us, 250u);
  EXPECT_EQ(set.run.clock, ClockSource::capture);
  EXPECT_EQ(error_of(kBase, {"feeds.itch.integrity.buffer_messages=3000"}),
            "--set: feeds[0].integrity.buffer_messages: 3000 is not a power of two");
  EXPECT_EQ(error_of(kBase, {"feeds.itch.integrity.lost_after_ms=0"}),
            "--set: feeds[0].integrity.lost_after_ms: 0 is out of range 1..600000 (ms)");
}

TEST(ConfSet, BadValue) {
  EXPECT_EQ(error_of(kBase, {"ports.wire0.rx_descriptors=70000"}),
            "--set: ports[0].rx_descriptors: 70000 is out of range 64..32768 (descriptors)");
  EXPECT_EQ(error_of(kBase, {"lcores.2.id=1"}),
            "--set: lcores[2].id: lcore 1 is already used by lcores[1] (role rx)");
  EXPECT_EQ(error_of(kBase, {"lcores.5.ports=[wire0, wire9]"}),
            "--set: lcores[5].ports[1]: port 'wire9' is not defined (defined: wire0, wire1)");
  EXPECT_EQ(error_of(kBase, {"lcores.1.ports=[wire0"}),
            "--set: lcores.1.ports: end of sequence flow not found");
  // A later override wins.
  EXPECT_EQ(load_text(kBase, {"run.idle_stop_ms=0", "run.idle_stop_ms=5"}).run.idle_stop_ms, 5u);
}

TEST(ConfArgs, RelativePathsResolveAgainstTheConfigDirectory) {
  const Config c = load_text(edit("{ rx_pcap: caps/in.pcap, iface: eth0 }",
                                  "{ rx_pcap: caps/in.pcap, tx_pcap: ../out/./x.pcap, "
                                  "socket: /run/memif.sock, iface: eth0 }"));
  using Args = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(c.ports[0].args, (Args{{"rx_pcap", "/srv/sy/profiles/caps/in.pcap"},
                                   {"tx_pcap", "/srv/sy/out/x.pcap"},
                                   {"socket", "/run/memif.sock"},
                                   {"iface", "eth0"}}));
}

TEST(ConfArgs, RelativePathsFromSetResolveAgainstTheWorkingDirectory) {
  const Config c = load_text(kBase, {"ports.wire0.args.rx_pcap=in2.pcap"});
  EXPECT_EQ(c.ports[0].args[0].second,
            (std::filesystem::current_path() / "in2.pcap").lexically_normal().string());
}

TEST(ConfArgs, LoadResolvesAgainstTheFilesDirectory) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("sy_conf_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "p.yaml";
  std::ofstream(file) << kBase;
  const Config c = load(file.string());
  EXPECT_EQ(c.source_file, file.string());
  EXPECT_EQ(c.source_dir, dir.string());
  EXPECT_EQ(c.ports[0].args[0].second, (dir / "caps/in.pcap").string());
  EXPECT_EQ(c.lcores[0].mark.file, file.string());
  std::filesystem::remove_all(dir);
}

TEST(ConfStorage, DefaultsSetAndErrors) {
  const Config def = load_text(kBase);
  EXPECT_EQ(def.storage.dir, "");
  EXPECT_EQ(def.storage.capture_priorities.size(), 3u);
  EXPECT_EQ(def.storage.sync, SyncPolicy::batch);
  EXPECT_EQ(def.storage.block_kib, 64u);
  EXPECT_EQ(def.storage.flush_age_us, 1000u);
  EXPECT_EQ(load_text(kBase, {"storage.flush_age_us=0"}).storage.flush_age_us, 0u);
  EXPECT_EQ(error_of(kBase, {"storage.flush_age_us=1000001"}),
            "--set: storage.flush_age_us: 1000001 is out of range 0..1000000 (us)");
  EXPECT_EQ(def.storage.spare_segments, 0u);
  EXPECT_EQ(def.storage.spare_fill_mib_per_s, 256u);
  EXPECT_EQ(load_text(kBase, {"storage.spare_segments=64"}).storage.spare_segments, 64u);
  EXPECT_EQ(error_of(kBase, {"storage.spare_segments=65"}),
            "--set: storage.spare_segments: 65 is out of range 0..64 (segments)");
  EXPECT_EQ(error_of(kBase, {"storage.spare_fill_mib_per_s=0"}),
            "--set: storage.spare_fill_mib_per_s: 0 is out of range 1..65536 (MiB/s)");
  const Config set =
      load_text(kBase, {"storage.dir=/var/lib/sy", "storage.capture_priorities=[P0]",
                        "storage.capture_classes=[other]", "storage.capture_exclude=[itch.B]",
                        "storage.sync=interval", "storage.sync_interval_us=500",
                        "storage.retention_mib=4096"});
  EXPECT_EQ(set.storage.dir, "/var/lib/sy");
  ASSERT_EQ(set.storage.capture_priorities.size(), 1u);
  EXPECT_EQ(set.storage.capture_priorities[0], Priority::p0);
  EXPECT_EQ(set.storage.capture_classes, std::vector<std::string>{"other"});
  EXPECT_EQ(set.storage.capture_exclude, std::vector<std::string>{"itch.B"});
  EXPECT_EQ(set.storage.sync, SyncPolicy::interval);
  EXPECT_EQ(set.storage.sync_interval_us, 500u);
  EXPECT_EQ(set.storage.retention_mib, 4096u);
  EXPECT_EQ(error_of(kBase, {"storage.block_kib=48"}),
            "--set: storage.block_kib: 48 is not a power of two");
  EXPECT_EQ(error_of(kBase, {"storage.queue_depth=0"}),
            "--set: storage.queue_depth: 0 is out of range 1..128 (writes)");
  EXPECT_EQ(error_of(kBase, {"storage.sync=often"}),
            "--set: storage.sync: expected one of: batch, interval");
  EXPECT_EQ(error_of(kBase, {"storage.capture_priorities=[P3]"}),
            "--set: storage.capture_priorities[0]: expected one of: P0, P1, P2");
  EXPECT_NE(error_of(kBase, {"storage.capture_classes=[nope]"})
                .find("storage.capture_classes[0]: class 'nope' is not defined (defined: other, "
                      "malformed, local, itch.A"),
            std::string::npos);
  EXPECT_EQ(error_of(kBase, {"storage.queue_depth=32", "storage.buffers=33"}),
            "--set: storage.buffers: 33 buffers cannot keep storage.queue_depth (32) writes in "
            "flight and fill the next: at least 34");
  EXPECT_EQ(error_of(kBase, {"storage.segment_mib=1", "storage.block_kib=1024"}),
            "--set: storage.segment_mib: a segment must hold at least two blocks of "
            "storage.block_kib (1024 KiB)");
}

TEST(ConfDump, RoundTrip) {
  // Strings YAML would otherwise read as null, empty or a list must survive the trip too.
  const Config tricky =
      load_text(kBase, {"eal.extra_args=[--iova-mode=va, '-l 0', '~']", "ports.wire0.args.iface=''",
                        "ports.wire1.args={x: 'null', y: '[1]'}"});
  for (const Config& first :
       {load_text(kBase), tricky, load(source_root() + "/conf/profiles/default.yaml")}) {
    const std::string dumped = dump_resolved(first);
    const Config second = load_from_string(dumped, "dump.yaml", {}, "/elsewhere");
    EXPECT_EQ(dump_resolved(second), dumped);
  }
}

TEST(ConfDump, ShowsDefaultsAndRedactsSecrets) {
  const Config c = load_text(edit("iface: eth0", "iface: eth0, token: hunter2, DB_Password: pw"));
  const std::string d = dump_resolved(c);
  EXPECT_NE(d.find("token: \"<redacted>\""), std::string::npos) << d;
  EXPECT_NE(d.find("DB_Password: \"<redacted>\""), std::string::npos) << d;
  EXPECT_EQ(d.find(": pw"), std::string::npos) << d;
  EXPECT_EQ(d.find("hunter2"), std::string::npos) << d;
  EXPECT_NE(d.find("iface: eth0"), std::string::npos) << d;
  EXPECT_NE(d.find("mbuf_data_room: 2176"), std::string::npos) << d;
  EXPECT_NE(d.find("hugepages: auto"), std::string::npos) << d;
  EXPECT_NE(d.find("next_hop_ipv4: ~"), std::string::npos) << d;
  EXPECT_NE(d.find("mac: 02:53:59:00:00:02"), std::string::npos) << d;
  EXPECT_NE(d.find("ipv4: 10.1.0.2"), std::string::npos) << d;
  EXPECT_NE(d.find("unclassified_priority: P2"), std::string::npos) << d;
}

TEST(ConfProfiles, DefaultLoads) {
  const Config c = load(source_root() + "/conf/profiles/default.yaml");
  EXPECT_EQ(c.run.mode, RunMode::batch);
  ASSERT_EQ(c.ports.size(), 1u);
  EXPECT_EQ(c.ports[0].device, "net_pcap0");
  ASSERT_EQ(c.ports[0].args.size(), 1u);
  EXPECT_TRUE(std::filesystem::path(c.ports[0].args[0].second).is_absolute());
  EXPECT_EQ(c.feeds.at(0).lines.size(), 2u);
}

// The enum spellings in the schema drive parsing by position; to_string must agree with them.
TEST(ConfSchema, EnumSpellingsMatchToString) {
  std::map<std::string, std::string> range;
  for (const auto& k : schema()) range[k.path] = k.range;
  EXPECT_EQ(range["lcores[].role"], std::string(to_string(Role::rx)) + "|" +
                                        to_string(Role::integrity) + "|" +
                                        to_string(Role::execution) + "|" +
                                        to_string(Role::storage) + "|" + to_string(Role::control));
  EXPECT_EQ(range["lcores[].idle"], std::string(to_string(IdlePolicy::spin)) + "|" +
                                        to_string(IdlePolicy::pause) + "|" +
                                        to_string(IdlePolicy::sleep));
  EXPECT_EQ(range["feeds[].priority"], std::string(to_string(Priority::p0)) + "|" +
                                           to_string(Priority::p1) + "|" + to_string(Priority::p2));
  EXPECT_EQ(range["eal.hugepages"], std::string(to_string(HugepageMode::automatic)) + "|" +
                                        to_string(HugepageMode::on) + "|" +
                                        to_string(HugepageMode::off));
  EXPECT_EQ(range["run.mode"],
            std::string(to_string(RunMode::live)) + "|" + to_string(RunMode::batch));
  EXPECT_EQ(range["sessions[].side"],
            std::string(to_string(SessionSide::client)) + "|" + to_string(SessionSide::venue));
  EXPECT_EQ(range["rings.on_full"],
            std::string(to_string(FullPolicy::drop)) + "|" + to_string(FullPolicy::wait));
  EXPECT_EQ(range["ports[].mempool_ops"], std::string(to_string(MempoolOps::ring_mt_rts)) + "|" +
                                              to_string(MempoolOps::ring_mt_hts) + "|" +
                                              to_string(MempoolOps::ring_mp_mc));
}

TEST(ConfSchema, PathsAreUniqueAndComplete) {
  std::set<std::string> seen;
  for (const auto& k : schema()) {
    EXPECT_TRUE(seen.insert(k.path).second) << k.path;
    EXPECT_FALSE(k.type.empty()) << k.path;
    EXPECT_FALSE(k.default_value.empty()) << k.path;
    EXPECT_FALSE(k.summary.empty()) << k.path;
  }
  for (const char* p : {"eal.memory_mb", "lcores[].idle", "ports[].args", "feeds[].lines[].udp_dst",
                        "feeds[].retransmit.server_udp", "run.mode"})
    EXPECT_TRUE(seen.count(p)) << p;
}

// Splits a markdown table row into trimmed cells; "\|" is a literal pipe inside a cell.
std::vector<std::string> table_cells(const std::string& row) {
  std::vector<std::string> cells;
  std::string cell;
  for (size_t i = 1; i < row.size(); ++i) {  // row[0] is the leading '|'
    if (row[i] == '\\' && i + 1 < row.size() && row[i + 1] == '|') {
      cell += '|';
      ++i;
    } else if (row[i] == '|') {
      const auto b = cell.find_first_not_of(' ');
      const auto e = cell.find_last_not_of(' ');
      cells.push_back(b == std::string::npos ? "" : cell.substr(b, e - b + 1));
      cell.clear();
    } else {
      cell += row[i];
    }
  }
  return cells;
}

std::string unquote(const std::string& cell) {
  if (cell.size() >= 2 && cell.front() == '`' && cell.back() == '`')
    return cell.substr(1, cell.size() - 2);
  return cell;
}

// docs/configuration.md has one row per schema key, with the same type, default, unit and
// range; and names no key the schema lacks.
TEST(ConfDocs, TableMatchesSchema) {
  const std::string path = source_root() + "/docs/configuration.md";
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot read " << path;
  std::map<std::string, std::vector<std::string>> rows;  // key path -> cells
  std::set<std::string> mentioned;  // every backticked key-like path in a table row
  const std::regex key_like(
      R"(`((eal|lcores|ports|feeds|sessions|rings|classify|run)(\[\])?(\.[a-z_]+(\[\])?)*)`)");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] != '|') continue;
    for (std::sregex_iterator it(line.begin(), line.end(), key_like), end; it != end; ++it)
      mentioned.insert((*it)[1]);
    const auto cells = table_cells(line);
    if (cells.size() < 6 || cells[0].size() < 2 || cells[0].front() != '`') continue;
    rows[unquote(cells[0])] = cells;
  }
  std::set<std::string> paths;
  for (const auto& k : schema()) {
    paths.insert(k.path);
    const auto row = rows.find(k.path);
    if (row == rows.end()) {
      ADD_FAILURE() << "docs/configuration.md has no row for `" << k.path << "`";
      continue;
    }
    const auto& c = row->second;
    EXPECT_EQ(c[1], k.type) << k.path;
    EXPECT_EQ(unquote(c[2]), k.default_value) << k.path;
    EXPECT_EQ(c[3], k.unit) << k.path;
    EXPECT_EQ(unquote(c[4]), k.range) << k.path;
    EXPECT_FALSE(c[5].empty()) << k.path;
  }
  for (const auto& m : mentioned) EXPECT_TRUE(paths.count(m)) << "not in the schema: " << m;
  for (const auto& [p, cells] : rows) EXPECT_TRUE(paths.count(p)) << "not in the schema: " << p;
}

// --- service (systemd readiness and watchdog) ------------------------------------------------

TEST(ConfService, DefaultsAndOverrides) {
  const Config def = load_text(kBase);
  EXPECT_EQ(def.service.heartbeat_timeout_ms, 1000u);
  EXPECT_TRUE(def.service.ready_requires_link);
  const Config set =
      load_text(kBase, {"service.heartbeat_timeout_ms=250", "service.ready_requires_link=false"});
  EXPECT_EQ(set.service.heartbeat_timeout_ms, 250u);
  EXPECT_FALSE(set.service.ready_requires_link);
  const Config yaml = load_text(kBase + "service:\n  heartbeat_timeout_ms: 5000\n");
  EXPECT_EQ(yaml.service.heartbeat_timeout_ms, 5000u);
  EXPECT_NE(dump_resolved(set).find("heartbeat_timeout_ms: 250"), std::string::npos);
}

TEST(ConfService, Errors) {
  EXPECT_EQ(error_of(kBase + "service:\n  heartbeat_timeout_ms: 9\n"),
            "t.yaml:35:3: service.heartbeat_timeout_ms: 9 is out of range 10..600000 (ms)");
  EXPECT_EQ(error_of(kBase, {"service.heartbeat_timeout_ms=600001"}),
            "--set: service.heartbeat_timeout_ms: 600001 is out of range 10..600000 (ms)");
  EXPECT_EQ(error_of(kBase + "service:\n  ready_requires_link: maybe\n"),
            "t.yaml:35:3: service.ready_requires_link: expected true or false");
  EXPECT_EQ(error_of(kBase + "service:\n  watchdog_ms: 5\n"),
            "t.yaml:35:3: service.watchdog_ms: unknown key (expected one of: "
            "heartbeat_timeout_ms, ready_requires_link)");
  // A sleeping lcore stamps its heartbeat once per sleep: a shorter timeout is a mistake.
  EXPECT_EQ(error_of(kBase, {"lcores.2.idle_sleep_us=100000", "service.heartbeat_timeout_ms=150"}),
            "--set: service.heartbeat_timeout_ms: 150 ms is not at least twice "
            "lcores[2].idle_sleep_us (100000 us): that lcore would look dead whenever it idles");
  EXPECT_EQ(load_text(kBase, {"lcores.2.idle_sleep_us=100000", "service.heartbeat_timeout_ms=200"})
                .service.heartbeat_timeout_ms,
            200u);
  // Spinning lcores stamp every loop: no constraint.
  EXPECT_EQ(load_text(kBase, {"lcores.2.idle=spin", "lcores.2.idle_sleep_us=100000",
                              "service.heartbeat_timeout_ms=10"})
                .service.heartbeat_timeout_ms,
            10u);
}

}  // namespace
}  // namespace sy::conf

namespace sy::conf {
namespace {

TEST(ConfSessions, LoginAndEndpoints) {
  const Config c = load_from_string(kBase, "t.yaml", {}, "/srv/sy/profiles");
  EXPECT_EQ(c.sessions[0].username, "strat1");
  EXPECT_EQ(c.sessions[0].password, "pw1");
  EXPECT_EQ(c.sessions[1].server_ipv4, 0x0a020009u);
  EXPECT_EQ(c.sessions[1].server_udp, 40200);
  EXPECT_EQ(c.sessions[1].heartbeat_ms, 1000u);
  EXPECT_EQ(c.sessions[1].timeout_ms, 10000u);
  // The dump never shows a password.
  const std::string dump = dump_resolved(c);
  EXPECT_EQ(dump.find("pw1"), std::string::npos);
  EXPECT_EQ(dump.find("vpw"), std::string::npos);
  EXPECT_NE(dump.find("<redacted>"), std::string::npos);
}

TEST(ConfSessions, Errors) {
  const auto err = [](const std::string& from, const std::string& to) {
    std::string s = kBase;
    s.replace(s.find(from), from.size(), to);
    try {
      load_from_string(s, "t.yaml", {}, "/srv/sy/profiles");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_EQ(
      err(", server_udp: 40200", ""),
      "t.yaml:28:5: sessions[1].server_udp: a venue session needs the venue's server UDP port");
  EXPECT_EQ(
      err("server_ipv4: 10.2.0.9, ", ""),
      "t.yaml:28:5: sessions[1].server_ipv4: a venue session needs the venue's server address");
  EXPECT_EQ(err("password: pw1", "password: pw1, password_file: x"),
            "t.yaml:27:5: sessions[0]: give exactly one of password and password_file");
  EXPECT_EQ(err("password: pw1", "x: 1"),
            "t.yaml:27:83: sessions[0].x: unknown key (expected one of: name, side, priority, "
            "port, udp_dst, ipv4_dst, vlan, username, password, password_file, "
            "server_ipv4, server_udp, heartbeat_ms, timeout_ms, retransmit_buffer, "
            "gap_give_up_ms)");
  EXPECT_EQ(err("password: pw1", "password: pw1, gap_give_up_ms: 600001"),
            "t.yaml:27:98: sessions[0].gap_give_up_ms: 600001 is out of range 0..600000 (ms)");
  const std::string long_pw = err("password: pw1", "password: secret-password-1");
  EXPECT_NE(long_pw.find("must be 1 to 10 printable ASCII characters (value not shown)"),
            std::string::npos)
      << long_pw;
  EXPECT_EQ(long_pw.find("secret-password-1"), std::string::npos);
  EXPECT_EQ(err("username: strat1", "username: toolongname"),
            "t.yaml:27:65: sessions[0].username: 'toolongname' does not match [ -~]{1,6}");
  EXPECT_NE(err("udp_dst: 40001,", "udp_dst: 40001, heartbeat_ms: 20000,")
                .find("20000 ms must be below timeout_ms (10000 ms)"),
            std::string::npos);
  EXPECT_EQ(
      err("password: pw1", "password: pw1, server_udp: 1"),
      "t.yaml:27:5: sessions[0]: server_ipv4/server_udp are for venue sessions (side: venue)");
  EXPECT_NE(
      err("password: pw1", "password_file: /nonexistent/pw").find("cannot read /nonexistent/pw"),
      std::string::npos);
}

TEST(ConfSessions, PasswordFromAFileRelativeToTheConfig) {
  const std::string dir = ::testing::TempDir() + "sy_pw";
  std::filesystem::create_directories(dir);
  { std::ofstream(dir + "/client1.pw") << "s3cret\n"; }
  std::string s = kBase;
  s.replace(s.find("password: pw1"), 13, "password_file: client1.pw");
  const Config c = load_from_string(s, "t.yaml", {}, dir);
  EXPECT_EQ(c.sessions[0].password, "s3cret");
  EXPECT_EQ(c.sessions[0].password_file, dir + "/client1.pw");
  EXPECT_EQ(dump_resolved(c).find("s3cret"), std::string::npos);
}

}  // namespace
}  // namespace sy::conf
