// One market data feed on the integrity lcore: arbiter, books, reference prices, counters.
//
// Built before launch (everything preallocated), driven only by the integrity lcore, read by
// the report after the lcore returned (or through its published snapshot while it runs).
#pragma once

#include <rte_mbuf.h>
#include <rte_ring.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "conf/config.hpp"
#include "lcore/integrity/feed_arbiter.hpp"
#include "lcore/integrity/message_path.hpp"
#include "lcore/stats.hpp"
#include "src/book/order_book.hpp"
#include "src/book/reference_prices.hpp"
#include "src/common/canonical_record.hpp"
#include "src/common/seqlock.hpp"
#include "src/proto/moldudp64.hpp"
#include "src/proto/proto_error.hpp"

namespace sy {

struct TxPath;
struct Runtime;

namespace integrity {

// Counters of the feed's work after arbitration (single writer: the integrity lcore).
struct FeedWork {
  uint64_t packets = 0;          // packets of the feed's classes taken off the md ring
  uint64_t not_mold = 0;         // UDP payload too short for MoldUDP64 (also in proto errors)
  uint64_t decoded = 0;          // applied messages that decoded as ITCH 5.0
  uint64_t records = 0;          // canonical records enqueued to storage
  uint64_t records_dropped = 0;  // canonical ring full (loss)
  uint64_t requests_sent = 0;    // re-request frames accepted by the tx path
  uint64_t requests_unsent = 0;  // no tx path, no mbuf or tx refused
  uint64_t books_unknown_marks = 0;
  uint64_t books_resets = 0;
};

class FeedRuntime;

// What the periodic report reads while the lcore runs (published every snapshot period).
struct FeedSnapshot {
  FeedCounters counters;
  LineHealth lines[kLines];
  FeedWork work;
  uint64_t proto_errors[proto::kProtoErrorCount];
  uint64_t mold_messages_lost;
  uint64_t published_ns;
  FeedState state;
  bool mid_session;
  uint8_t session[10];
};

// What the arbiter hands over: applied messages, re-requests, events.
struct FeedSink {
  FeedRuntime* feed = nullptr;
  void apply(uint64_t seq, const uint8_t* msg, uint16_t len, bool recovered, Line from,
             uint64_t rx_ns);
  void request(const uint8_t session[10], uint64_t first, uint16_t count);
  void event(const Event& e);
  void books_unknown();
  void books_reset();
};

struct BookCapacityConfig {
  uint16_t max_instruments = 16384;
  uint32_t max_orders = 1u << 20;
  uint32_t max_levels_per_side = 512;
};

class FeedRuntime {
 public:
  FeedRuntime(const conf::FeedConfig& cfg, uint8_t index, rte_ring* canonical_out,
              const BookCapacityConfig& capacity);

  const conf::FeedConfig& cfg;
  const uint8_t index;
  FeedSink sink;
  FeedArbiter<FeedSink> arbiter;
  book::ReferencePrices refs;
  book::OrderBook book;
  proto::ProtoErrorCounters errors;
  FeedWork work;
  rte_ring* canonical_out;

  // Set by the pipeline: how re-requests leave.
  const TxPath* request_path = nullptr;
  rte_mempool* request_pool = nullptr;
  conf::MacAddress src_mac{};
  const std::atomic<uint64_t>* next_hop_mac = nullptr;  // packed, 0 = unknown
  uint32_t src_ipv4 = 0;
  uint16_t src_udp = 0;  // where the replies come back (the retransmit class's port)
  LcoreStats* stats = nullptr;
  uint16_t source = 0;
  // Set by storage set-up: re-requests are captured as sent frames through this ring (the
  // integrity lcore's storage_out; null: not captured); tsc_offset: the rx TSC mbuf field.
  rte_ring* capture_out = nullptr;
  int tsc_offset = -1;

  // Events kept for the report (bounded; the rest only counted).
  static constexpr size_t kMaxEvents = 4096;
  std::vector<Event> events;
  uint64_t events_unlisted = 0;

  Seqlock<FeedSnapshot> snapshot;
  std::atomic<uint8_t> state_word{0};  // FeedState, refreshed every loop (execution reads it)
  void publish_snapshot(uint64_t now_ns);
};

}  // namespace integrity
}  // namespace sy
