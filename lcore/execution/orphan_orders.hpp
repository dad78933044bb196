// Orders of an earlier run of the appliance that the venue still knows: the ledger does not
// survive a restart, but the venue session does, and on login the router asks for everything
// the session sent (UFO retransmission from the first message). The replayed Accepted,
// Replaced, Executed, Canceled and Rejected messages for tokens of another run rebuild which of
// those orders are still open, so that each one can be cancelled once the replay has caught up
// (cancel-on-connect): nothing stays open at the venue that this run cannot account for.
//
// Fixed capacity, allocated once; entries are never deleted (tokens are day-unique). Execution
// lcore only: no allocation, no lock after construction.
#pragma once

#include <cassert>
#include <cstdint>
#include <cstring>
#include <memory>

#include "src/risk/order_intent.hpp"

namespace sy::exec {

struct OrphanOrder {
  char token[risk::kTokenBytes];
  uint32_t remaining = 0;  // shares open at the venue
  uint64_t cancel_ns = 0;  // when our last cancel for it left; 0: never sent
  uint64_t symbol = 0;     // from its Accepted/Replaced: where its executions are booked
  risk::Side side = risk::Side::buy;
  uint8_t account = 0;
  bool described = false;  // symbol, side and account known
  bool used = false;
  bool open = false;
};

class OrphanOrders {
 public:
  // capacity: a power of two; at most 3/4 of it is filled.
  explicit OrphanOrders(uint32_t capacity)
      : capacity_(capacity), limit_(capacity / 4 * 3), slots_(new OrphanOrder[capacity]) {
    assert(capacity >= 4 && (capacity & (capacity - 1)) == 0);
  }

  // The entry for `token`, created when missing; nullptr when the table is full.
  OrphanOrder* upsert(const char token[risk::kTokenBytes]) {
    OrphanOrder* e = probe(token);
    if (e->used) return e;
    if (count_ >= limit_) return nullptr;
    std::memcpy(e->token, token, risk::kTokenBytes);
    e->used = true;
    ++count_;
    return e;
  }

  OrphanOrder* find(const char token[risk::kTokenBytes]) {
    OrphanOrder* e = probe(token);
    return e->used ? e : nullptr;
  }

  // State changes, so that open() stays exact.
  void set_open(OrphanOrder& e, uint32_t shares) {
    if (!e.open) ++open_;
    e.open = true;
    e.remaining = shares;
  }
  // Returns true when this closed the order.
  bool close(OrphanOrder& e) {
    if (!e.open) return false;
    e.open = false;
    e.remaining = 0;
    --open_;
    return true;
  }
  // Executed or cancelled shares; closes the order at 0. True when it closed.
  bool reduce(OrphanOrder& e, uint32_t shares) {
    if (!e.open) return false;
    e.remaining -= shares < e.remaining ? shares : e.remaining;
    return e.remaining == 0 && close(e);
  }

  // `fn(OrphanOrder&)` for every open order: O(capacity), run once per cancel round.
  template <typename F>
  void for_each_open(F&& fn) {
    if (open_ == 0) return;
    for (uint32_t i = 0; i < capacity_; ++i)
      if (slots_[i].open) fn(slots_[i]);
  }

  uint32_t open() const { return open_; }
  uint32_t size() const { return count_; }

 private:
  OrphanOrder* probe(const char token[risk::kTokenBytes]) {
    uint64_t a = 0, b = 0;
    std::memcpy(&a, token, 8);
    std::memcpy(&b, token + 6, 8);
    const uint64_t h = (a * 0x9e3779b97f4a7c15ull) ^ (b * 0xc2b2ae3d27d4eb4full);
    for (uint32_t i = static_cast<uint32_t>(h ^ (h >> 31)) & (capacity_ - 1);;
         i = (i + 1) & (capacity_ - 1)) {
      OrphanOrder& e = slots_[i];
      if (!e.used || std::memcmp(e.token, token, risk::kTokenBytes) == 0) return &e;
    }
  }

  uint32_t capacity_;
  uint32_t limit_;
  uint32_t count_ = 0;
  uint32_t open_ = 0;
  std::unique_ptr<OrphanOrder[]> slots_;
};

}  // namespace sy::exec
