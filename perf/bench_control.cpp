// switchyard-bench-control: the per-burst cost the control plane adds to a consumer lcore, and
// the cost of one control lcore tick, without EAL threads (so that valgrind --tool=callgrind
// counts the same instructions every run).
//
//   switchyard-bench-control --dwell on|off [--packets N] [--rounds R] [--ticks T]
//
// A consumer (the shared consume_until_end loop, the one the integrity, execution and storage
// lcores run) drains R rounds of N packets from a ring initialised in plain memory, with the
// budget histogram (ring dwell, one sample every 8th burst) on or off; then T ticks of the control
// lcore's decisions (SafetyController::observe + settle, BudgetEvaluator::tick) run on their
// own. Prints ns per packet and ns per tick (wall clock, informative only).
#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "lcore/consumer.hpp"
#include "src/control/budgets.hpp"
#include "src/control/safety_controller.hpp"

namespace {

struct Counting {
  sy::LcoreStats& stats;
  uint64_t sum = 0;
  void on_packet(const sy::RingMsg& msg, rte_mbuf*) {
    stats.classes[msg.class_id].delivered.inc();
    sum += msg.arg;
  }
  void on_burst_end() {}
};

// Not inlined, so that callgrind --toggle-collect can count exactly the consumer loop.
[[gnu::noinline]] void consume_round(sy::Runtime& rt, sy::LcoreRuntime& self, Counting& handler) {
  sy::consume_until_end(rt, self, handler);
}

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "switchyard-bench-control: %s\n"
               "usage: switchyard-bench-control --dwell on|off [--packets N] [--rounds R] "
               "[--ticks T]\n",
               why);
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  int dwell = -1;
  uint32_t packets = 1 << 16, rounds = 20, ticks = 20000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--dwell")
      dwell = v == "on" ? 1 : v == "off" ? 0 : -1;
    else if (k == "--packets")
      packets = static_cast<uint32_t>(std::strtoul(v.c_str(), nullptr, 10));
    else if (k == "--rounds")
      rounds = static_cast<uint32_t>(std::strtoul(v.c_str(), nullptr, 10));
    else if (k == "--ticks")
      ticks = static_cast<uint32_t>(std::strtoul(v.c_str(), nullptr, 10));
    else
      usage(("unknown option " + k).c_str());
  }
  if (dwell < 0 || argc % 2 == 0) usage("--dwell on|off is required");
  if (packets < 32 || (packets & (packets - 1))) usage("--packets: a power of two, at least 32");

  // The runtime pieces consume_until_end reads; no EAL: the ring lives in plain memory.
  sy::conf::Config cfg;
  cfg.rings.burst = 32;
  sy::conf::LcoreConfig lcfg;
  lcfg.idle = sy::conf::IdlePolicy::spin;
  sy::Runtime rt;
  rt.cfg = &cfg;
  rt.tsc_hz = 2'000'000'000;
  rt.ns_per_tsc_q32 = (uint64_t{1} << 32) / 2;
  rt.rx_tsc_offset = static_cast<int>(offsetof(rte_mbuf, dynfield1));
  sy::LcoreStats stats;
  sy::LcoreRuntime self;
  self.cfg = &lcfg;
  self.stats = &stats;
  const ssize_t size = rte_ring_get_memsize_elem(sizeof(sy::RingMsg), packets * 2);
  void* mem = std::aligned_alloc(64, static_cast<size_t>(size));
  rte_ring* ring = static_cast<rte_ring*>(mem);
  if (rte_ring_init(ring, "bench", packets * 2, RING_F_SP_ENQ | RING_F_SC_DEQ) != 0)
    usage("rte_ring_init failed");
  self.inputs.push_back(ring);
  sy::Histogram hist;
  self.ring_dwell = dwell ? &hist : nullptr;

  std::vector<rte_mbuf> mbufs(1024);
  std::memset(mbufs.data(), 0, mbufs.size() * sizeof(rte_mbuf));
  std::vector<sy::RingMsg> msgs(packets);
  Counting handler{stats};
  uint64_t consume_ns = 0;
  for (uint32_t r = 0; r < rounds; ++r) {
    const uint64_t now = rte_rdtsc();
    for (uint32_t i = 0; i < packets; ++i) {
      rte_mbuf* m = &mbufs[i % mbufs.size()];
      *sy::rx_tsc_field(m, rt.rx_tsc_offset) = now - 1000;
      msgs[i] = {sy::MsgType::packet,
                 0,
                 static_cast<uint8_t>(i & 7),
                 0,
                 0,
                 static_cast<uint16_t>(64 + (i & 63)),
                 reinterpret_cast<uint64_t>(m)};
    }
    rte_ring_sp_enqueue_bulk_elem(ring, msgs.data(), sizeof(sy::RingMsg), packets, nullptr);
    const sy::RingMsg end{sy::MsgType::end, 0, 0, 0, 0, 0, 0};
    rte_ring_sp_enqueue_elem(ring, const_cast<sy::RingMsg*>(&end), sizeof end);
    stats.in_ends.set(0);
    const auto t0 = std::chrono::steady_clock::now();
    consume_round(rt, self, handler);
    consume_ns += static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
            .count());
  }

  // The control lcore's decisions per tick (not on any hot path: for scale).
  sy::conf::ControlConfig ccfg;
  sy::control::SafetyController controller(ccfg, true);
  controller.restore(std::nullopt, false, "bench");
  std::vector<sy::control::BudgetSpec> specs(1);
  specs[0] = {"market_ingest", "rx_to_integrity", 99, 2'000'000, 10, 1, true, 1};
  sy::control::BudgetRegistry reg;
  reg.add("market_ingest", "rx_to_integrity", &hist);
  sy::control::BudgetEvaluator evaluator(specs, reg);
  uint64_t persisted = 0;
  const auto t1 = std::chrono::steady_clock::now();
  for (uint32_t t = 0; t < ticks; ++t) {
    sy::control::Sample s;
    s.now_ns = 1'000'000'000 + uint64_t{t} * 1'000'000;
    s.ring_fill_pct = (t / 500) % 2 ? 90 : 10;  // pressure comes and goes
    s.ring = "md_1";
    evaluator.tick(s.now_ns);
    controller.observe(s);
    if (controller.settle(persisted, 0, s.now_ns)) persisted = controller.persist_request().version;
    controller.take_events();
  }
  const uint64_t tick_ns = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t1)
          .count());

  const uint64_t total = uint64_t{packets} * rounds;
  std::printf(
      "dwell %s: %lu packets, %.2f ns/packet, dwell samples %lu (check %lu); %u control "
      "ticks, %.0f ns/tick\n",
      dwell ? "on" : "off", static_cast<unsigned long>(total),
      static_cast<double>(consume_ns) / static_cast<double>(total),
      static_cast<unsigned long>(hist.snapshot().count), static_cast<unsigned long>(handler.sum),
      ticks, static_cast<double>(tick_ns) / ticks);
  std::free(mem);
  return 0;
}
