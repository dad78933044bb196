// Orders per second through the pre-trade risk gate on one core, and the gate-decision latency
// (rx TSC to decision TSC as the gate records it) p50/p99/p99.9 over a realistic mix.
//
// The mix, per intent: ~72% new orders (of which a few are bad on purpose: too large, outside
// the collar, not allowlisted), ~10% replaces and ~15% cancels of live orders, ~3% duplicates
// of a used token. 4 accounts x 2 sessions, 64 instruments each, reference prices from a real
// seqlocked book::ReferencePrices table. The venue is simulated in-process between decisions
// (accept every order at once, execute some, confirm cancels and replaces), so the ledger
// stays in a steady state of a few thousand open orders. Only Gate::decide is timed; the
// simulated time advances 1 us per intent (1 M orders/s offered) for the rate buckets and the
// reference age.
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "perf/traffic/cli.hpp"
#include "src/common/histogram.hpp"
#include "src/risk/gate.hpp"

namespace {

using namespace sy;
using namespace sy::risk;

constexpr const char* kUsage =
    "usage: switchyard-bench-gate [--orders N] [--seed S]\n"
    "  --orders N  intents through the gate (default 1000000)\n"
    "  --seed S    random mix seed (default 1)\n";

struct Options {
  uint64_t orders = 1'000'000;
  uint64_t seed = 1;
  bool help = false;
};

constexpr unsigned kAccounts = 4;
constexpr unsigned kSessions = 8;  // session s trades for account s / 2
constexpr unsigned kInstruments = 64;
constexpr uint32_t kDollar = 10000;
constexpr size_t kOpenTarget = 1000;  // per session

std::string symbol_name(unsigned i) { return "S" + std::to_string(1000 + i); }

std::string policy_text() {
  std::string y = "reference:\n  max_age_ms: 1000\naccounts:\n";
  for (unsigned a = 0; a < kAccounts; ++a) {
    y += "  - name: ACC" + std::to_string(a) + "\n    id: " + std::to_string(a) +
         "\n    sessions: [s" + std::to_string(2 * a) + ", s" + std::to_string(2 * a + 1) +
         "]\n    max_shares_per_order: 5000\n    max_order_notional_usd: 1000000\n"
         "    price_collar_bps: 300\n    max_open_orders: 20000\n"
         "    max_position_shares: 10000000\n    max_gross_exposure_usd: 100000000000\n"
         "    max_account_position_shares: 1000000000\n"
         "    max_account_gross_exposure_usd: 1000000000000\n"
         "    order_rate_per_s: 1000000\n    order_burst: 10000\n    instruments:\n";
    for (unsigned i = 0; i < kInstruments; ++i) y += "      - symbol: " + symbol_name(i) + "\n";
  }
  return y;
}

uint64_t tsc_hz() {
  const auto t0 = std::chrono::steady_clock::now();
  const uint64_t c0 = read_tsc();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const uint64_t c1 = read_tsc();
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  return static_cast<uint64_t>(static_cast<double>(c1 - c0) * 1e9 / static_cast<double>(ns));
}

// 14 decimal digits, zero padded (enough for 10^14 tokens).
OrderToken token_of(uint64_t n) {
  OrderToken t;
  for (size_t i = kTokenBytes; i-- > 0; n /= 10) t[i] = static_cast<char>('0' + n % 10);
  return t;
}

int run(const Options& opt) {
  const uint64_t hz = tsc_hz();
  PolicyExchange exchange(load_policy_from_string(policy_text(), "bench-policy"));
  Ledger::Capacity cap;
  cap.orders = static_cast<uint32_t>(opt.orders + opt.orders / 4 + 1024);
  cap.positions = 4096;
  Gate gate(exchange, GateConfig{cap, hz, &read_tsc});

  book::ReferencePrices prices(kInstruments + 1);
  std::atomic<uint8_t> feed_state{static_cast<uint8_t>(FeedHealth::healthy)};
  const BookMarketView market(prices, feed_state);
  std::vector<uint32_t> mid(kInstruments + 1);
  uint64_t now_ns = 1'000'000'000;
  for (unsigned l = 1; l <= kInstruments; ++l) {
    mid[l] = (20 + 3 * l) * kDollar;
    book::RefValue v;
    v.bid_price = mid[l] - 100;
    v.ask_price = mid[l] + 100;
    v.bid_shares = v.ask_shares = 500;
    v.last_price = mid[l];
    v.flags = 0;
    v.rx_ns = now_ns;
    prices.publish(l, v);
  }

  std::mt19937_64 rng(opt.seed);
  auto pick = [&](uint64_t n) { return rng() % n; };
  struct Live {
    OrderToken token;
    uint32_t shares;
    uint32_t price;
  };
  std::vector<std::vector<Live>> live(kSessions);
  uint64_t next_token = 1;
  std::vector<uint64_t> last_token(kSessions, 0);
  HistogramSnapshot hist;
  uint64_t decide_ticks = 0;
  uint64_t by_decision[4] = {};
  uint64_t by_kind[3] = {};
  const SafetyView safety{SafetyMode::normal, false};
  const auto wall0 = std::chrono::steady_clock::now();

  for (uint64_t n = 0; n < opt.orders; ++n) {
    now_ns += 1000;
    if (n % 1000 == 0) {  // the feed keeps the references fresh
      for (unsigned l = 1; l <= kInstruments; ++l) {
        book::RefValue v;
        prices.read(l, v);
        v.rx_ns = now_ns;
        prices.publish(l, v);
      }
    }
    const unsigned session = static_cast<unsigned>(pick(kSessions));
    auto& book = live[session];
    OrderIntent in;
    in.session = static_cast<uint16_t>(session);
    in.account = static_cast<uint8_t>(session / 2);
    const uint64_t roll = pick(100);
    size_t victim = 0;
    // Cancels keep each session near kOpenTarget open orders (a steady state, not a pile-up
    // against max_open_orders).
    if ((roll < 15 || book.size() > kOpenTarget) && !book.empty()) {
      in.kind = IntentKind::cancel;
      victim = pick(book.size());
      in.token = book[victim].token;
    } else if (roll < 25 && !book.empty()) {
      in.kind = IntentKind::replace;
      victim = pick(book.size());
      in.existing = book[victim].token;
      in.token = token_of(next_token++);
      in.shares = book[victim].shares + static_cast<uint32_t>(pick(100));
      in.price = book[victim].price + static_cast<uint32_t>(pick(200));
    } else {
      in.kind = IntentKind::new_order;
      const unsigned l = 1 + static_cast<unsigned>(pick(kInstruments));
      in.locate = static_cast<uint16_t>(l);
      in.symbol = symbol_word(symbol_name(l - 1));
      in.side = static_cast<Side>(pick(3));
      in.shares = 100 * (1 + static_cast<uint32_t>(pick(20)));
      in.price = mid[l] - 2000 + static_cast<uint32_t>(pick(4000));
      // A duplicate re-sends this session's previous token (tokens are per session).
      if (roll < 28 && last_token[session] != 0) {
        in.token = token_of(last_token[session]);
      } else {
        last_token[session] = next_token;
        in.token = token_of(next_token++);
      }
      if (roll == 97) in.shares = 6000;                 // above max_shares
      if (roll == 98) in.price = mid[l] * 2;            // outside the collar
      if (roll == 99) in.symbol = symbol_word("NOPE");  // not allowlisted
    }

    gate.begin_burst();
    in.rx_tsc = read_tsc();
    const GateResult r = gate.decide(in, market, safety, 0, now_ns);
    decide_ticks += r.decision_tsc - in.rx_tsc;
    hist.record(r.latency_ns);
    ++by_decision[r.decision];
    ++by_kind[r.kind];

    // The venue answers at once.
    if (static_cast<Decision>(r.decision) != Decision::pass) continue;
    VenueEvent ev;
    ev.session = in.session;
    if (in.kind == IntentKind::new_order) {
      ev.kind = VenueEvent::Kind::accepted;
      ev.token = in.token;
      ev.shares = in.shares;
      ev.price = in.price;
      gate.apply(ev);
      if (pick(5) == 0) {  // a fifth trade at once, fully
        ev.kind = VenueEvent::Kind::executed;
        gate.apply(ev);
      } else {
        book.push_back({in.token, in.shares, in.price});
      }
    } else if (in.kind == IntentKind::cancel) {
      ev.kind = VenueEvent::Kind::canceled;
      ev.token = in.token;
      ev.shares = book[victim].shares;
      gate.apply(ev);
      book[victim] = book.back();
      book.pop_back();
    } else {
      ev.kind = VenueEvent::Kind::replaced;
      ev.token = in.token;
      ev.previous = in.existing;
      ev.shares = in.shares;
      ev.price = in.price;
      gate.apply(ev);
      book[victim] = {in.token, in.shares, in.price};
    }
  }
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();

  size_t open = 0;
  for (const auto& b : live) open += b.size();
  const double decide_s = static_cast<double>(decide_ticks) / static_cast<double>(hz);
  std::printf("gate bench: %" PRIu64 " intents, tsc %.3f GHz, seed %" PRIu64 "\n", opt.orders,
              static_cast<double>(hz) / 1e9, opt.seed);
  std::printf("  mix: new %" PRIu64 ", replace %" PRIu64 ", cancel %" PRIu64 "\n", by_kind[0],
              by_kind[1], by_kind[2]);
  std::printf("  decisions: PASS %" PRIu64 ", FAIL %" PRIu64 ", UNKNOWN %" PRIu64
              ", IGNORE %" PRIu64 "\n",
              by_decision[0], by_decision[1], by_decision[2], by_decision[3]);
  std::printf("  open orders at end: %zu (ledger tokens %u)\n", open, gate.ledger().order_count());
  std::printf("  decide only: %.2f M decisions/s on one core (%.1f ns mean)\n",
              static_cast<double>(opt.orders) / decide_s / 1e6,
              decide_s * 1e9 / static_cast<double>(opt.orders));
  std::printf("  whole loop incl. simulated venue: %.2f M intents/s\n",
              static_cast<double>(opt.orders) / wall_s / 1e6);
  std::printf("  decision latency ns: p50 %" PRIu64 "  p99 %" PRIu64 "  p99.9 %" PRIu64
              "  max %" PRIu64 "\n",
              hist.quantile(0.5), hist.quantile(0.99), hist.quantile(0.999), hist.max);
  const std::string audit = gate.ledger().audit();
  if (!audit.empty()) {
    std::fprintf(stderr, "ledger audit failed:\n%s", audit.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return sy::traffic::cli::run_tool<Options>(
      "switchyard-bench-gate", kUsage, argc, argv,
      [](int ac, char** av) {
        Options o;
        sy::traffic::cli::Args args(ac, av);
        while (args.next()) {
          if (args.name() == "--orders")
            o.orders = args.u64();
          else if (args.name() == "--seed")
            o.seed = args.u64();
          else if (args.name() == "--help")
            o.help = true;
          else
            throw sy::traffic::cli::UsageError("unknown option " + args.name());
        }
        if (o.orders == 0 || o.orders > 100'000'000)
          throw sy::traffic::cli::UsageError("--orders: 1..100000000");
        return o;
      },
      run);
}
