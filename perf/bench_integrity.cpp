// Decode + arbitration + book + canonical records, from MoldUDP64 packets already in memory, in
// ITCH messages per second on one core, against a reference loop that only reads (sums) the
// same bytes, in the same run, interleaved round by round. Not a test.
//
//   switchyard-bench-integrity --config conf/profiles/default.yaml [--messages N] [--rounds R]
//
// The packets are the generator's: A and B copies of every packet (so the arbiter suppresses
// one copy of each message), realistic order flow over --instruments instruments.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "conf/config.hpp"
#include "lcore/integrity/feed_arbiter.hpp"
#include "lcore/integrity/message_path.hpp"
#include "perf/traffic/itch_feed.hpp"
#include "src/book/order_book.hpp"
#include "src/book/reference_prices.hpp"

namespace {

using namespace sy;

struct Copy {
  const uint8_t* payload;
  uint16_t len;
  integrity::Line line;
  uint64_t t;
};

// Canonical records go to a ring of records, as to the storage ring (no consumer needed here).
struct BenchSink {
  book::OrderBook* book;
  proto::ProtoErrorCounters* errors;
  std::vector<CanonicalRecord>* out;
  size_t next = 0;
  uint64_t records = 0;
  void apply(uint64_t seq, const uint8_t* msg, uint16_t len, bool recovered, integrity::Line from,
             uint64_t rx_ns) {
    CanonicalRecord& rec = (*out)[next];
    next = (next + 1) & (out->size() - 1);
    records += integrity::build_record(seq, msg, len, recovered, from, rx_ns, 0, *book, *errors, rec);
  }
  void request(const uint8_t*, uint64_t, uint16_t) {}
  void event(const integrity::Event&) {}
  void books_unknown() { book->mark_all_unknown(); }
  void books_reset() { book->reset_all(); }
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::string config = "conf/profiles/default.yaml";
  uint64_t messages = 2'000'000;
  int rounds = 5;
  uint32_t instruments = 64;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--config") config = next();
    else if (a == "--messages") messages = std::stoull(next());
    else if (a == "--rounds") rounds = std::stoi(next());
    else if (a == "--instruments") instruments = static_cast<uint32_t>(std::stoul(next()));
    else {
      std::fprintf(stderr,
                   "usage: %s [--config FILE] [--messages N] [--rounds R] [--instruments K]\n",
                   argv[0]);
      return 2;
    }
  }

  const conf::Config cfg = conf::load(config);
  traffic::ItchFeedSpec spec;
  spec.messages = messages;
  spec.instruments = instruments;
  spec.per_packet = 8;
  spec.keep_messages = false;
  const traffic::GeneratedItch g = traffic::generate_itch(cfg, spec);

  std::vector<Copy> copies;
  copies.reserve(g.transmissions.size());
  uint64_t bytes = 0;
  for (const auto& tx : g.transmissions) {
    const traffic::ItchPacket& p = g.packets[tx.packet];
    copies.push_back({p.payload.data(), static_cast<uint16_t>(p.payload.size()),
                      tx.line == 0 ? integrity::Line::a : integrity::Line::b, tx.timestamp_ns});
    bytes += p.payload.size();
  }
  const uint64_t unique = g.truth.applied;
  std::printf("input: %zu packet copies (A and B), %lu bytes, %lu unique messages, %u instruments\n",
              copies.size(), static_cast<unsigned long>(bytes), static_cast<unsigned long>(unique),
              instruments);

  const conf::FeedConfig& feed = cfg.feeds.at(0);
  std::vector<double> ref_rates, rates, ratios;
  uint64_t checksum = 0;
  std::vector<CanonicalRecord> out(1u << 16);
  for (int r = 0; r < rounds; ++r) {
    // Reference: read every byte of every copy once, 8 bytes at a time.
    auto t0 = std::chrono::steady_clock::now();
    uint64_t sum = 0;
    for (const Copy& c : copies) {
      size_t i = 0;
      for (; i + 8 <= c.len; i += 8) {
        uint64_t w;
        std::memcpy(&w, c.payload + i, 8);
        sum += w;
      }
      for (; i < c.len; ++i) sum += c.payload[i];
    }
    const double ref_s = seconds_since(t0);
    checksum += sum;

    // The integrity path: arbitration of both lines, decode, book, canonical records.
    book::ReferencePrices refs(size_t{feed.book.max_instruments} + 1);
    book::OrderBook book(book::BookCapacity{feed.book.max_instruments, feed.book.max_orders,
                                            feed.book.max_levels},
                         &refs);
    proto::ProtoErrorCounters errors;
    BenchSink sink{&book, &errors, &out};
    integrity::FeedArbiter<BenchSink> arbiter(integrity::arbiter_config(feed), sink);
    t0 = std::chrono::steady_clock::now();
    uint64_t last_t = 0;
    for (const Copy& c : copies) {
      integrity::feed_packet(arbiter, errors, c.line, c.payload, c.len, c.t);
      if (c.t - last_t >= 100'000) {  // timers every 100 us of capture time, as per burst
        arbiter.tick(c.t);
        last_t = c.t;
      }
    }
    arbiter.finish(last_t);
    const double s = seconds_since(t0);
    if (arbiter.counters().applied != unique || sink.records == 0) {
      std::fprintf(stderr, "bench: applied %lu of %lu messages: the input is not what it should be\n",
                   static_cast<unsigned long>(arbiter.counters().applied),
                   static_cast<unsigned long>(unique));
      return 1;
    }
    checksum += sink.records + book.live_orders();
    const double ref_rate = static_cast<double>(unique) / ref_s;
    const double rate = static_cast<double>(unique) / s;
    ref_rates.push_back(ref_rate);
    rates.push_back(rate);
    ratios.push_back(rate / ref_rate);
    std::printf("round %d: integrity %.2f M msg/s (%.1f ns/msg), reference (sum bytes) %.2f M msg/s, "
                "ratio %.3f\n",
                r + 1, rate / 1e6, 1e9 / rate, ref_rate / 1e6, rate / ref_rate);
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::printf("median: integrity %.2f M msg/s/lcore, reference %.2f M msg/s, ratio %.3f "
              "(goal: >= 30 M msg/s/lcore)  [checksum %lu]\n",
              median(rates) / 1e6, median(ref_rates) / 1e6, median(ratios),
              static_cast<unsigned long>(checksum));
  return 0;
}
