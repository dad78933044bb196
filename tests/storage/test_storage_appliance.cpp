// The storage lcore in the real appliance: tshark reads every raw segment and counts what the
// appliance says it persisted; kill -9 under load at random moments, restart, and everything up
// to the last reported durable watermark is present and intact, the torn tails cut and reported;
// a full file system (a small loop-mounted ext4 image) raises the disk-full hazard, the
// appliance keeps running and reports exactly how many records were not persisted.
#include <sys/mount.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <random>

#include "storage/scan.hpp"
#include "tests/integration/harness.hpp"

namespace sy::testing {
namespace {

using storage::ScanResult;
using storage::SegmentFile;
using storage::Stream;

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p);
  nlohmann::json j;
  in >> j;
  return j;
}

bool have_tool(const char* name) {
  return std::system((std::string("command -v ") + name + " >/dev/null 2>&1").c_str()) == 0;
}

bool ci() {
  const char* v = std::getenv("CI");
  return v && std::string(v) == "true";
}

// Packets tshark reads from `file`, and whatever it complains about (its root notice aside).
std::pair<uint64_t, std::string> tshark_read(const fs::path& file) {
  const fs::path err = file.string() + ".tshark.err";
  const std::string cmd =
      "tshark -r '" + file.string() + "' -T fields -e frame.number 2>'" + err.string() + "'";
  uint64_t n = 0;
  FILE* f = popen(cmd.c_str(), "r");
  char line[128];
  while (f && fgets(line, sizeof line, f)) ++n;
  if (f) pclose(f);
  std::string errors;
  std::ifstream in(err);
  for (std::string l; std::getline(in, l);)
    if (!l.empty() && l.find("Running as user") == std::string::npos) errors += l + "\n";
  fs::remove(err);
  return {n, errors};
}

// Sequences present from 0 without a hole, over the segments of one stream.
uint64_t contiguous_prefix(const std::vector<SegmentFile>& files, Stream s) {
  std::vector<bool> seen;
  for (const SegmentFile& f : files) {
    if (f.stream != s) continue;
    auto note = [&](uint64_t seq) {
      if (seq >= seen.size()) seen.resize(seq + 1, false);
      seen[seq] = true;
    };
    if (s == Stream::raw)
      storage::scan_raw(f.path, [&](const storage::RawPacket& p) { note(p.packet_id); });
    else
      storage::scan_canonical(f.path, [&](const CanonicalRecord&, uint64_t seq) { note(seq); });
  }
  uint64_t n = 0;
  while (n < seen.size() && seen[n]) ++n;
  return n;
}

class StorageAppliance : public ProcessTest {
 protected:
  uint64_t watermark_raw_ = 0, watermark_canon_ = 0;

  StorageAppliance() : ProcessTest("sy_storage_") {}

  std::vector<std::string> argv(const std::string& tag, const fs::path& store,
                                const std::vector<std::string>& sets) {
    std::vector<std::string> a = {env("SWITCHYARD_BIN"),
                                  "--config",
                                  profile.string(),
                                  "--set",
                                  "eal.file_prefix=sy_sto_" + tag + std::to_string(getpid()),
                                  "--set",
                                  "storage.dir=" + store.string(),
                                  "--set",
                                  "control.integrity_report=" + (dir / (tag + ".json")).string()};
    for (const auto& s : sets) a.insert(a.end(), {"--set", s});
    return a;
  }

  // Live, looping the bundled capture forever: load until stopped.
  std::vector<std::string> live_sets() {
    return {"run.mode=live", "run.clock=tsc", "ports.wire0.args.infinite_rx=1",
            "ports.wire0.mbufs=65535", "control.report_interval_ms=20"};
  }

  Result store_tool(const std::vector<std::string>& args) {
    std::vector<std::string> a = {env("SWITCHYARD_STORE_BIN")};
    a.insert(a.end(), args.begin(), args.end());
    return run(a, dir / "store_tool.log");
  }
};

TEST_F(StorageAppliance, TsharkReadsEverySegmentAndCountsWhatWasPersisted) {
  if (!have_tool("tshark")) {
    if (ci()) FAIL() << "tshark is required in CI";
    GTEST_SKIP() << "tshark not installed";
  }
  const fs::path store = dir / "store";
  const Result r = run(argv("tshark", store, {"storage.segment_mib=1", "storage.block_kib=64"}),
                       dir / "run.log");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const nlohmann::json rep = read_json(dir / "tshark.json")["storage"];
  const uint64_t persisted = rep["raw"]["persisted"];
  EXPECT_GT(persisted, 10000u);
  EXPECT_EQ(rep["raw"]["unpersisted_total"], 0u);
  EXPECT_EQ(persisted, rep["raw"]["capture"]["enqueued"].get<uint64_t>());
  std::string error;
  const auto files = storage::list_segments(store, &error);
  uint64_t raw_segments = 0, tshark_total = 0;
  for (const SegmentFile& f : files) {
    if (f.stream != Stream::raw) continue;
    ++raw_segments;
    const auto [n, errors] = tshark_read(f.path);
    EXPECT_EQ(errors, "") << f.path;
    tshark_total += n;
  }
  EXPECT_GT(raw_segments, 1u) << "1 MiB segments must rotate";
  EXPECT_EQ(tshark_total, persisted);
  const Result v = store_tool({"verify", store.string()});
  EXPECT_EQ(v.exit_code, 0) << v.out;
  // The export is one pcapng file with every packet, again readable by tshark.
  const Result e = store_tool({"export-pcap", store.string(), "-o", (dir / "all.pcapng").string()});
  ASSERT_EQ(e.exit_code, 0) << e.out;
  const auto [exported, export_errors] = tshark_read(dir / "all.pcapng");
  EXPECT_EQ(exported, persisted);
  EXPECT_EQ(export_errors, "");
  const Result d = store_tool({"dump", store.string(), "--format", "csv", "--type", "add", "-o",
                               (dir / "adds.csv").string()});
  EXPECT_EQ(d.exit_code, 0) << d.out;
  EXPECT_EQ(store_tool({"dump", store.string(), "--format", "xml"}).exit_code, 2);
}

TEST_F(StorageAppliance, KillNineUnderLoadLosesNothingBelowTheDurableWatermark) {
  const fs::path store = dir / "store";
  uint64_t first_seed = 1;
  if (const char* s = std::getenv("SY_STORAGE_CRASH_SEED"))
    first_seed = std::strtoull(s, nullptr, 10);
  for (uint64_t seed = first_seed; seed < first_seed + 3; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    const auto report = dir / "crash.json";
    fs::remove(report);
    {
      auto sets = live_sets();
      sets.push_back("storage.segment_mib=8");
      if (seed % 2 == 0) sets.push_back("storage.sync=interval");
      Background app(argv("crash", store, sets), dir / "crash.log");
      // A random moment once the appliance is writing.
      for (int i = 0; i < 600 && !fs::exists(report); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      ASSERT_TRUE(fs::exists(report)) << slurp(dir / "crash.log");
      std::this_thread::sleep_for(std::chrono::milliseconds(200 + rng() % 1500));
      const nlohmann::json live = read_json(report)["storage"];
      watermark_raw_ = live["raw"]["durable_sequence"];
      watermark_canon_ = live["canonical"]["durable_sequence"];
      app.stop(SIGKILL);
    }
    std::string error;
    const auto files = storage::list_segments(store, &error);
    // Everything the appliance had called durable is there, in order, CRCs intact; what lies
    // beyond may be torn (the scan stops there, recovery cuts it).
    EXPECT_GE(contiguous_prefix(files, Stream::raw), watermark_raw_);
    EXPECT_GE(contiguous_prefix(files, Stream::canonical), watermark_canon_);
    EXPECT_GT(watermark_raw_, 0u);

    // Restart: recovery cuts the torn and unwritten tails, reports them, continues anew.
    const Result again = run(argv("restart", store, {}), dir / "restart.log");
    ASSERT_EQ(again.exit_code, 0) << again.out;
    const nlohmann::json rep = read_json(dir / "restart.json")["storage"];
    EXPECT_FALSE(rep["recovery"]["cuts"].empty()) << "the killed run left open segments";
    for (const auto& cut : rep["recovery"]["cuts"]) {
      EXPECT_FALSE(cut["reason"].get<std::string>().empty());
      EXPECT_GT(cut["cut_bytes"].get<uint64_t>(), 0u);
    }
    const Result v = store_tool({"verify", store.string()});
    EXPECT_EQ(v.exit_code, 0) << v.out;
    const auto after = storage::list_segments(store, &error);
    EXPECT_GE(contiguous_prefix(after, Stream::raw), watermark_raw_);
    EXPECT_GE(contiguous_prefix(after, Stream::canonical), watermark_canon_);
    // The sequences continue after the last record kept: no gap, no reuse.
    EXPECT_EQ(rep["raw"]["next_sequence"].get<uint64_t>(), contiguous_prefix(after, Stream::raw));
  }
}

// Issue 6's storage stall, injected in the io layer (storage.test): the writer stops reaping
// completions, its writes look stalled, the backlog hazard rises and the control lcore moves the
// appliance to SAFE; when the device "answers" again nothing was lost.
TEST_F(StorageAppliance, StalledCompletionsRaiseTheBacklogHazardAndSafe) {
  const fs::path store = dir / "store";
  auto sets = live_sets();
  sets.insert(sets.end(), {"storage.slow_completion_ms=50", "storage.test.stall_after_ms=300",
                           "storage.test.stall_ms=1500"});
  Background app(argv("stall", store, sets), dir / "stall.log");
  nlohmann::json live;
  bool backlog = false, safe = false;
  for (int i = 0; i < 400 && !(backlog && safe); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    if (!fs::exists(dir / "stall.json")) continue;
    try {
      live = read_json(dir / "stall.json");
    } catch (...) {
      continue;  // caught mid-rewrite
    }
    backlog = backlog || live["storage"]["hazards"]["storage_backlog"].get<bool>();
    safe = safe || (live.contains("control") && live["control"]["safety"]["mode"] == "SAFE");
  }
  EXPECT_TRUE(backlog) << live.dump();
  EXPECT_TRUE(safe) << live.dump();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // past the stall
  const Result r = app.stop(SIGTERM);
  const nlohmann::json rep = read_json(dir / "stall.json");
  // SAFE is latched (an operator relaxes it); the stall itself lost nothing the store took.
  EXPECT_EQ(rep["control"]["safety"]["mode"], "SAFE");
  for (const char* st : {"raw", "canonical"})
    EXPECT_EQ(rep["storage"][st]["accepted"], rep["storage"][st]["persisted"]) << st;
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 3) << r.out;
}

// Storage falls behind (the stall hook) under a paced live feed (switchyard-retransmitter over
// memif, 20 k packets/s: storage keeps up outside the stall): the control lcore stops capturing
// the P2 feed while every packet is still processed, before any hazard; capture resumes after
// the stall. Every raw copy offered to storage is captured, shed or counted unpersisted,
// exactly. (P1 after escalate_ms and P0 never: tests/control; escalate_ms outlasts the stall
// here, and shedding P2 is enough.)
TEST_F(StorageAppliance, StorageBehindShedsP2CaptureFirstAndRecovers) {
  const fs::path store = dir / "store", audit = dir / "audit.jsonl";
  const fs::path sock = dir / "memif.sock", report = dir / "shed.json", cfg = dir / "shed.yaml";
  {
    std::ofstream out(cfg);
    out << "eal: { file_prefix: sy_sto_shed_" << getpid() << ", in_memory: true }\n"
        << "lcores:\n"
           "  - { id: 0, cpu: 0, role: control, idle: sleep }\n"
           "  - { id: 1, cpu: 1, role: rx, ports: [memif0], idle: pause }\n"
           "  - { id: 2, cpu: 0, role: integrity, idle: sleep }\n"
           "  - { id: 3, cpu: 0, role: execution, idle: sleep }\n"
           "  - { id: 4, cpu: 0, role: storage, idle: sleep }\n"
           "ports:\n"
           "  - name: memif0\n"
           "    device: net_memif0\n"
        << "    args: { role: server, socket: " << sock.string() << ", socket-abstract: \"no\" }\n"
        << "    ipv4: 10.1.0.2\n"
           "    mac: \"02:53:59:00:00:02\"\n"
           "    next_hop_mac: \"02:53:59:00:00:09\"\n"
           // Captures hold their mbufs until written: a slow host must not run the pool down
           // (mempool_low, the next stage) before shedding has stopped taking new ones.
           "    mbufs: 65535\n"
           "feeds:\n"
           "  - name: itch\n"
           "    priority: P2\n"
           "    lines:\n"
           "      - { name: A, port: memif0, udp_dst: 26400, ipv4_dst: 233.54.12.111 }\n"
           "      - { name: B, port: memif0, udp_dst: 26401, ipv4_dst: 233.54.12.112 }\n"
           "    retransmit: { port: memif0, udp_dst: 26402, server_ipv4: 10.1.0.9, "
           "server_udp: 26403 }\n"
           "run: { mode: live }\n"
           // The canonical records of the feed wait out the stall in their ring, and its packets
           // wait in theirs while storage, sharing a CPU with integrity, catches up after it
           // (else ring backpressure would shed the feed itself: the next stage, not this test's;
           // CI's sanitizer run reached it with the default md ring).
           "rings: { canonical_size: 262144, md_size: 32768 }\n"
           "storage:\n"
        << "  dir: " << store.string() << "\n"
        << "  segment_mib: 32\n"
        << "  slow_completion_ms: 60000\n"  // the stall alone is no hazard here
           "  test: { stall_after_ms: 1000, stall_ms: 1000 }\n"
           "control:\n"
        << "  integrity_report: " << report.string() << "\n"
        << "  report_interval_ms: 20\n"
        << "  audit_log: " << audit.string() << "\n"
        << "  capture_shed: { escalate_ms: 5000, recover_hold_ms: 200 }\n"
        // A sampler thread or an lcore starved on a loaded host (sanitizers) is its own hazard,
        // not this test's: stale or silent only after 5 s.
        << "  hazards: { sample_interval_ms: 1000 }\n"
        << "  heartbeat_timeout_ms: 5000\n";
  }
  Background sy({env("SWITCHYARD_BIN"), "--config", cfg.string()}, dir / "switchyard.log");
  for (int i = 0; i < 200 && !fs::exists(report); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(fs::exists(sock) && fs::exists(report)) << slurp(dir / "switchyard.log");
  // The first segments are allocated before the feed starts (else storage is behind at once).
  for (int i = 0; i < 200; ++i) {
    try {
      if (read_json(report)["storage"]["store_bytes"].get<uint64_t>() >= (64ull << 20)) break;
    } catch (...) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::vector<std::string> rt = {
      env("SWITCHYARD_RETRANSMITTER_BIN"),
      "--config",
      cfg.string(),
      "--messages",
      "300000",
      "--seed",
      "5",
      "--pps",
      "20000",
      "--linger-ms",
      "500",
      "--",
      "--lcores=0@0",
      "--no-huge",
      "-m",
      "256",
      "--no-shconf",
      "--no-pci",
      "--log-level=error",
      "--file-prefix=sy_sto_rt_" + std::to_string(getpid()),
      "--vdev=net_memif0,role=client,socket=" + sock.string() + ",socket-abstract=no"};
  Background feed(rt, dir / "retransmitter.log");
  // Watch the live report: capture shedding applies during the stall and lifts after it.
  uint32_t peak = 0;
  bool recovered = false;
  nlohmann::json live;
  for (int i = 0; i < 1000 && !recovered; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    try {
      live = read_json(report);
    } catch (...) {
      continue;  // caught mid-rewrite
    }
    if (!live.contains("control")) continue;
    const uint32_t tier = live["control"]["backpressure"]["capture_shed_tier"];
    peak = std::max(peak, tier);
    recovered = peak > 0 && tier == 0;
  }
  EXPECT_EQ(peak, 1u) << live.dump();
  EXPECT_TRUE(recovered) << "capture shedding must lift after the stall: " << live.dump();
  const uint64_t persisted_at_recovery = live["storage"]["raw"]["persisted"];
  const Result f = feed.wait_exit(std::chrono::seconds(60));
  EXPECT_EQ(f.exit_code, 0) << f.out;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const Result r = sy.stop(SIGTERM);
  EXPECT_EQ(r.exit_code, 3) << "shed capture is reported as loss: " << r.out;
  const nlohmann::json rep = read_json(report);
  const nlohmann::json& raw = rep["storage"]["raw"];
  const nlohmann::json& classes = rep["packets"]["classes"];
  EXPECT_EQ(rep["control"]["backpressure"]["capture_shed_tier"], 0);
  EXPECT_EQ(rep["control"]["safety"]["mode"], "NORMAL") << "capture shedding lifted by policy";
  EXPECT_GT(raw["persisted"].get<uint64_t>(), persisted_at_recovery)
      << "capture resumed after the stall";

  // Copies offered (feed packets not shed at rx) = captured + shed + unpersisted, exactly.
  uint64_t offered = 0, captured = 0, unpersisted = 0;
  for (const char* c : {"itch.A", "itch.B", "itch.retransmit"}) {
    ASSERT_TRUE(classes.contains(c)) << classes.dump();
    EXPECT_EQ(classes[c]["priority"], "P2");
    const nlohmann::json& drops = classes[c]["drops"];
    offered += classes[c]["received"].get<uint64_t>() - drops.value("shed_p2", 0ull) -
               drops.value("shed_p1", 0ull);
    // Shed capture is not shed traffic: every feed packet still reached integrity.
    EXPECT_EQ(classes[c]["consumed"], classes[c]["received"]) << c;
    if (raw["classes"].contains(c)) {
      captured += raw["classes"][c]["persisted"].get<uint64_t>();
      unpersisted += raw["classes"][c]["unpersisted"].get<uint64_t>();
    }
  }
  const uint64_t shed = raw["capture"]["shed_p2"];
  EXPECT_GT(offered, 20000u);
  EXPECT_GT(shed, 0u);
  EXPECT_EQ(raw["capture"]["shed_p1"], 0u);
  EXPECT_EQ(raw["capture"]["dropped_ring_full"], 0u);
  EXPECT_EQ(unpersisted, 0u) << "the stall lost nothing the store took";
  EXPECT_EQ(offered, captured + shed + unpersisted);
  // The store holds exactly what was counted persisted (re-requests sent included).
  const Result v = store_tool({"verify", store.string()});
  EXPECT_EQ(v.exit_code, 0) << v.out;

  // Audit: P2 capture stopped before anything else happened, never a hazard, then resumed.
  std::vector<std::string> order;
  nlohmann::json hazards = nlohmann::json::array();
  std::ifstream in(audit);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const nlohmann::json e = nlohmann::json::parse(line);
    const std::string kind = e["event"];
    if (kind == "perf.degrade.applied")
      order.push_back(e["detail"].value("action", std::string("shed")) + ":" +
                      e["detail"]["tier"].get<std::string>());
    if (kind == "perf.degrade.recovered")
      order.push_back(e["detail"].value("action", std::string("recover")));
    if (kind == "perf.capacity.hazard") {
      order.push_back("hazard");
      hazards.push_back(e["detail"]);
    }
  }
  EXPECT_EQ(order, (std::vector<std::string>{"stop_capture:P2", "resume_capture"}))
      << nlohmann::json(order).dump() << " hazards: " << hazards.dump();
}

TEST_F(StorageAppliance, DiskFullRaisesTheHazardKeepsRunningAndCountsEveryLoss) {
  if (geteuid() != 0) {
    if (ci()) FAIL() << "the disk-full test mounts a loop device and needs root";
    GTEST_SKIP() << "needs root to mount a loop device";
  }
  const fs::path image = dir / "small.img", mnt = dir / "mnt";
  fs::create_directories(mnt);
  ASSERT_EQ(std::system(("truncate -s 40M '" + image.string() + "' && mkfs.ext4 -q -F '" +
                         image.string() + "' && mount -o loop '" + image.string() + "' '" +
                         mnt.string() + "'")
                            .c_str()),
            0);
  struct Unmount {
    fs::path p;
    ~Unmount() { std::system(("umount '" + p.string() + "'").c_str()); }
  } unmount{mnt};
  const fs::path store = mnt / "store";
  auto sets = live_sets();
  sets.insert(sets.end(), {"storage.segment_mib=4", "storage.reserve_mib=1",
                           "control.audit_log=" + (dir / "audit.jsonl").string()});
  Background app(argv("full", store, sets), dir / "full.log");
  // Wait until the store is full and the appliance drops, then keep it running a little more.
  nlohmann::json live;
  for (int i = 0; i < 300; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (!fs::exists(dir / "full.json")) continue;
    live = read_json(dir / "full.json")["storage"];
    if (live["raw"]["unpersisted"]["disk_full"].get<uint64_t>() > 0) break;
  }
  ASSERT_GT(live["raw"]["unpersisted"]["disk_full"].get<uint64_t>(), 0u) << slurp(dir / "full.log");
  EXPECT_TRUE(live["hazards"]["disk_full"].get<bool>()) << "raised while running";
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const Result r = app.stop(SIGTERM);
  EXPECT_EQ(r.exit_code, 3) << "loss is reported in the exit code, not a crash: " << r.out;
  const nlohmann::json full = read_json(dir / "full.json");
  const nlohmann::json rep = full["storage"];
  EXPECT_TRUE(rep["hazards"]["disk_full"].get<bool>());
  // The control lcore turned the storage hazard into SAFE (seed 000: capacity hazard -> SAFE)
  // and held it there while the appliance kept running.
  ASSERT_TRUE(full.contains("control")) << full.dump();
  EXPECT_EQ(full["control"]["safety"]["mode"], "SAFE") << full["control"].dump();
  EXPECT_GT(full["control"]["hazard_events"].get<uint64_t>(), 0u);
  bool audited = false;
  for (const auto& e : rep["events"])
    audited = audited || e["kind"] == "storage.segment.create_failed";
  EXPECT_TRUE(audited);
  // ... and the store's event reached the hash-chained audit trail, which verifies.
  EXPECT_NE(slurp(dir / "audit.jsonl").find("\"storage.segment.create_failed\""),
            std::string::npos);
  const Result verify = run({env("SWITCHYARD_AUDIT_BIN"), "verify", (dir / "audit.jsonl").string()},
                            dir / "audit-verify.log");
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  // Exact books: every record handed to storage is persisted or counted, and what is counted
  // persisted is exactly what the store holds.
  std::string error;
  const auto files = storage::list_segments(store, &error);
  for (const char* s : {"raw", "canonical"}) {
    SCOPED_TRACE(s);
    const nlohmann::json& st = rep[s];
    const uint64_t accepted = st["accepted"], persisted = st["persisted"];
    EXPECT_EQ(accepted, persisted + st["unpersisted_total"].get<uint64_t>());
    uint64_t stored = 0;
    for (const SegmentFile& f : files)
      if (std::string(storage::to_string(f.stream)) == s) {
        const ScanResult sr = storage::scan_segment(f);
        EXPECT_TRUE(sr.clean()) << f.path << ": " << sr.error;
        stored += sr.records;
      }
    EXPECT_EQ(stored, persisted);
  }
  EXPECT_EQ(rep["raw"]["accepted"].get<uint64_t>(),
            rep["raw"]["capture"]["enqueued"].get<uint64_t>());
}

}  // namespace
}  // namespace sy::testing
