// The storage writer on its own: throughput (as fast as it takes packets) or receive-to-durable
// latency at a paced rate, with the writer's own io_uring path (registered buffers and files,
// O_DIRECT, preallocated segments). perf/bench_storage.sh runs it against fio on the same file
// system. Prints one JSON line.
//
//   switchyard-bench-storage --dir D [--mode throughput|latency] [--seconds S]
//       [--block-kib 64] [--queue-depth 8] [--packet-bytes 1024] [--rate-mbps R]
//       [--sync batch|interval] [--sync-interval-us U] [--spare-segments N [--spare-fill-mibps R]]
// With spares, a first writer fills N zero-filled spares and stops; the measured one adopts them
// (as an appliance restarting on its store does) and starts in one, N - 1 ready; refills during
// the window, paced at R MiB/s, are the appliance's own.
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <thread>
#include <vector>

#include "perf/traffic/cli.hpp"
#include "src/common/histogram.hpp"
#include "storage/writer.hpp"

namespace {

using namespace sy::storage;
namespace cli = sy::traffic::cli;

uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec);
}

void copy_bytes(const void* p, uint8_t* dst, uint32_t len) { std::memcpy(dst, p, len); }

const char* kUsage =
    "usage: switchyard-bench-storage --dir DIR [--mode throughput|latency] [--seconds S]\n"
    "       [--block-kib K] [--queue-depth Q] [--packet-bytes B] [--rate-mbps R]\n"
    "       [--sync batch|interval] [--sync-interval-us U]\n"
    "       [--spare-segments N] [--spare-fill-mibps R]\n";

int run(int argc, char** argv) {
  std::string dir, mode = "throughput", sync = "batch";
  uint64_t seconds = 5, block_kib = 64, qd = 8, packet = 1024, rate_mbps = 0, interval_us = 1000,
           flush_age_us = 1000, buffers = 0, spares = 0, spare_fill_mibps = 256;
  cli::Args a(argc, argv);
  while (a.next()) {
    if (a.name() == "--dir")
      dir = a.value();
    else if (a.name() == "--mode")
      mode = a.value();
    else if (a.name() == "--seconds")
      seconds = a.u64();
    else if (a.name() == "--block-kib")
      block_kib = a.u64();
    else if (a.name() == "--queue-depth")
      qd = a.u64();
    else if (a.name() == "--packet-bytes")
      packet = a.u64();
    else if (a.name() == "--rate-mbps")
      rate_mbps = a.u64();
    else if (a.name() == "--sync")
      sync = a.value();
    else if (a.name() == "--sync-interval-us")
      interval_us = a.u64();
    else if (a.name() == "--flush-age-us")
      flush_age_us = a.u64();
    else if (a.name() == "--buffers")
      buffers = a.u64();
    else if (a.name() == "--spare-segments")
      spares = a.u64();
    else if (a.name() == "--spare-fill-mibps")
      spare_fill_mibps = a.u64();
    else if (a.name() == "--help") {
      std::cout << kUsage;
      return 0;
    } else
      throw cli::UsageError("unknown option " + a.name());
  }
  if (dir.empty()) throw cli::UsageError("--dir is required");
  if (mode != "throughput" && mode != "latency")
    throw cli::UsageError("--mode: throughput or latency");
  if (sync != "batch" && sync != "interval") throw cli::UsageError("--sync: batch or interval");
  if (mode == "latency" && rate_mbps == 0)
    throw cli::UsageError("--mode latency needs --rate-mbps");
  std::filesystem::remove_all(dir);

  Options o;
  o.dir = dir;
  o.block_bytes = static_cast<uint32_t>(block_kib * 1024);
  o.queue_depth = static_cast<uint32_t>(qd);
  o.buffers = static_cast<uint32_t>(buffers ? buffers : qd * 4);
  o.flush_age_ns = flush_age_us * 1000;
  o.segment_bytes = 1ull << 30;
  o.sync = sync == "batch" ? SyncPolicy::batch : SyncPolicy::interval;
  o.sync_interval_ns = interval_us * 1000;
  o.sync_bytes = 1ull << 40;
  o.reserve_bytes = 0;
  o.stream_enabled[1] = false;
  o.port_names = {"bench0"};
  o.spare_segments = static_cast<uint32_t>(spares);
  o.spare_fill_bytes_per_s = spare_fill_mibps << 20;
  StorageState st;
  std::vector<uint8_t> data(packet, 0x5a);
  const uint64_t wire_bytes_per_packet = epb_bytes(static_cast<uint32_t>(packet));
  auto wait_for_spares = [&](const StorageState& s) {
    for (int i = 0; i < 1200 && s.spare_segments_ready.load() < spares; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (s.spare_segments_ready.load() < spares)
      throw std::runtime_error("spares not filled within 120 s");
  };
  if (spares) {  // a first run fills the pool, so the measured run's first segment is a spare
    StorageState pre;
    Options fast = o;
    fast.spare_fill_bytes_per_s = 64ull << 30;
    Writer w0(fast, pre);
    wait_for_spares(pre);
  }
  if (spares) {  // the device writes the zeroes back before the window opens
    ::sync();
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
  {
    Writer w(o, st);
    // First segments allocated (with spares: the first raw one is a spare, N - 1 stay ready).
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const uint64_t spares_before = st.spare_segments_used.get();
    const uint64_t start = now_ns();
    const uint64_t end = start + seconds * 1'000'000'000;
    // Paced: the n-th packet is due at start + n * interval; its "receive" time is when due.
    const double interval_ns = rate_mbps ? static_cast<double>(wire_bytes_per_packet) * 1e3 /
                                               static_cast<double>(rate_mbps)
                                         : 0;
    uint64_t n = 0;
    // How late this thread appends a packet after it was due: time that is the harness's, not
    // the writer's, though it counts in the receive-to-durable figure as a NIC's would.
    sy::Histogram lag;
    PacketIn in;
    in.packet = data.data();
    in.copy = copy_bytes;
    in.len = static_cast<uint32_t>(packet);
    uint64_t now = start;
    while ((now = now_ns()) < end) {
      w.poll(now);
      bool full = false;
      uint64_t next_due = 0;
      for (int k = 0; k < 64; ++k) {
        const uint64_t due = start + static_cast<uint64_t>(static_cast<double>(n) * interval_ns);
        if (rate_mbps && due > now) {
          next_due = due;
          break;
        }
        in.ts_ns = in.start_ns = rate_mbps ? due : now;
        if (rate_mbps) lag.record(now - due);
        if (w.append_packet(in, now) != Writer::Append::stored) {
          full = true;
          break;
        }
        ++n;
      }
      // Out of buffers: sleep in the kernel until a write completes rather than spin (on a
      // small machine the spinning thread takes the CPU the I/O workers need).
      if (full) w.wait_completion(1'000'000);
      // Paced and ahead of schedule: sleep until the next packet is due or a write completes,
      // as an lcore with idle: sleep does.
      if (next_due > now) w.wait_completion(std::min<uint64_t>(next_due - now, 200'000));
    }
    w.finish(now_ns);
    const double secs = static_cast<double>(now_ns() - start) / 1e9;
    const StreamState& s = st.streams[0];
    const auto h = s.latency.snapshot();
    const auto io = s.io_latency.snapshot();
    const auto q = s.queue_latency.snapshot();
    const auto wm = s.watermark_latency.snapshot();
    std::printf(
        "{\"mode\":\"%s\",\"sync\":\"%s\",\"block_kib\":%lu,\"queue_depth\":%lu,"
        "\"packet_bytes\":%lu,\"seconds\":%.3f,\"packets\":%lu,\"write_bytes\":%lu,"
        "\"write_mbps\":%.1f,\"payload_mbps\":%.1f,\"writes\":%lu,\"syncs\":%lu,"
        "\"lat_p50_us\":%.1f,\"lat_p99_us\":%.1f,\"lat_p999_us\":%.1f,\"lat_max_us\":%.1f,"
        "\"io_p50_us\":%.1f,\"io_p99_us\":%.1f,\"queue_p50_us\":%.1f,\"queue_p99_us\":%.1f,\"wm_"
        "p99_us\":%.1f,\"io_max_us\":%.1f,\"segment_waits\":%lu,\"slow_ops\":%lu,"
        "\"unpersisted\":%lu,\"segments_from_spares\":%lu,\"segments_opened\":%lu,"
        "\"gen_lag_p99_us\":%.1f,\"gen_lag_max_us\":%.1f}\n",
        mode.c_str(), sync.c_str(), block_kib, qd, packet, secs, s.persisted.get(),
        s.write_bytes.get(), static_cast<double>(s.write_bytes.get()) / secs / 1e6,
        static_cast<double>(s.persisted.get() * packet) / secs / 1e6, s.writes.get(), s.syncs.get(),
        static_cast<double>(h.quantile(0.5)) / 1e3, static_cast<double>(h.quantile(0.99)) / 1e3,
        static_cast<double>(h.quantile(0.999)) / 1e3, static_cast<double>(h.max) / 1e3,
        static_cast<double>(io.quantile(0.5)) / 1e3, static_cast<double>(io.quantile(0.99)) / 1e3,
        static_cast<double>(q.quantile(0.5)) / 1e3, static_cast<double>(q.quantile(0.99)) / 1e3,
        static_cast<double>(wm.quantile(0.99)) / 1e3, static_cast<double>(io.max) / 1e3,
        s.segment_waits.get(), s.slow_ops.get(), s.unpersisted_total(),
        st.spare_segments_used.get() - spares_before, s.segments_opened.get(),
        static_cast<double>(lag.snapshot().quantile(0.99)) / 1e3,
        static_cast<double>(lag.snapshot().max) / 1e3);
  }
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const cli::UsageError& e) {
    std::cerr << "switchyard-bench-storage: " << e.what() << "\n" << kUsage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "switchyard-bench-storage: " << e.what() << "\n";
    return 1;
  }
}
