// What the gate needs from market data: per instrument, the feed's health and the reference
// price inputs. An interface so that the gate does not depend on how the integrator wires feeds
// to instruments; BookMarketView backs it with src/book's seqlocked ReferencePrices.
#pragma once

#include <atomic>
#include <cstdint>

#include "src/book/reference_prices.hpp"

namespace sy::risk {

// Mirrors integrity::FeedState (lcore/integrity/feed_arbiter.hpp) without depending on it.
enum class FeedHealth : uint8_t { unknown = 0, healthy = 1, ended = 2 };
const char* to_string(FeedHealth h);

struct MarketSample {
  FeedHealth feed = FeedHealth::unknown;
  bool read_ok = false;  // false: the seqlock read failed (writer busy) or no such instrument
  book::RefValue value;  // flags as in src/book/reference_prices.hpp; rx_ns = age reference
};

class MarketView {
 public:
  virtual ~MarketView() = default;
  // Execution lcore, per order: lock-free, no allocation.
  virtual void sample(uint16_t locate, MarketSample& out) const = 0;
};

// One feed's ReferencePrices plus that feed's state byte (written by the integrity lcore with
// a relaxed or release store of integrity::FeedState). Instruments of several feeds: one view
// per feed behind a small router, or one state per locate; that wiring is the integrator's.
class BookMarketView final : public MarketView {
 public:
  BookMarketView(const book::ReferencePrices& prices, const std::atomic<uint8_t>& feed_state)
      : prices_(prices), feed_state_(feed_state) {}

  void sample(uint16_t locate, MarketSample& out) const override {
    const uint8_t s = feed_state_.load(std::memory_order_acquire);
    out.feed = s <= static_cast<uint8_t>(FeedHealth::ended) ? static_cast<FeedHealth>(s)
                                                            : FeedHealth::unknown;
    out.read_ok = locate != 0 && prices_.read(locate, out.value);
  }

 private:
  const book::ReferencePrices& prices_;
  const std::atomic<uint8_t>& feed_state_;
};

}  // namespace sy::risk
