// The per-packet and per-message work of the integrity lcore, without DPDK: shared by the lcore
// and by perf/bench_integrity so the benchmark measures exactly what runs.
#pragma once

#include <cstdint>
#include <cstring>

#include "conf/config.hpp"
#include "lcore/integrity/feed_arbiter.hpp"
#include "src/book/order_book.hpp"
#include "src/common/canonical_record.hpp"
#include "src/proto/itch50.hpp"
#include "src/proto/moldudp64.hpp"

namespace sy::integrity {

// ArbiterConfig from the feed's YAML knobs.
ArbiterConfig arbiter_config(const conf::FeedConfig& cfg);

// Frames one MoldUDP64 packet (UDP payload) from `line` into the arbiter. False if it is not a
// MoldUDP64 packet (counted in `errors`).
template <typename Arbiter>
inline bool feed_packet(Arbiter& arbiter, proto::ProtoErrorCounters& errors, Line line,
                        const uint8_t* payload, uint16_t len, uint64_t now_ns) {
  proto::MoldReader r(payload, len, errors);
  if (!r.valid()) return false;
  const proto::MoldHeader& h = r.header();
  arbiter.on_packet(line, reinterpret_cast<const uint8_t*>(h.session.bytes), h.sequence, h.count,
                    now_ns);
  for (proto::MoldBlock b; r.next(b);) arbiter.on_message(line, b.sequence, b.data, b.len, now_ns);
  return true;
}

// One applied message: decode, apply to the book, fill the canonical record. False if it did
// not decode (counted in `errors` by reason).
inline bool build_record(uint64_t seq, const uint8_t* msg, uint16_t len, bool recovered, Line from,
                         uint64_t rx_ns, uint8_t feed, book::OrderBook& book,
                         proto::ProtoErrorCounters& errors, CanonicalRecord& rec) {
  const uint8_t* stock = nullptr;
  proto::ProtoError error{};
  if (!proto::decode_canonical(msg, len, rec, stock, error)) {
    errors.add(error);
    return false;
  }
  rec.rx_ns = rx_ns;
  rec.sequence = seq;
  rec.feed = feed;
  if (recovered) rec.flags |= kRecRecovered;
  if (from == Line::b) rec.flags |= kRecLineB;
  if (stock != nullptr) {
    book::Symbol symbol;
    std::memcpy(symbol.data(), stock, symbol.size());
    book.apply(rec, symbol);
  } else {
    book.apply(rec);
  }
  if (const book::InstrumentState* st = book.instrument(rec.locate); st && st->book_unknown)
    rec.flags |= kRecBookUnknown;
  return true;
}

}  // namespace sy::integrity
