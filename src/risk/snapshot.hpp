// Read-only views of the ledger for a non-EAL thread (the control API), without ever making
// the execution lcore wait.
//
// Two preallocated buffers. The lcore fills the one that is not published, a bounded number
// of entries per call (publish_step), and publishes it by flipping an index; a reader pins the
// published buffer and copies it. The lcore never writes a buffer a reader has pinned: the
// pin/check handshake is Dekker-style, in one seq_cst order:
//
//   reader                                  lcore (before writing buffer b)
//   b = published.load()          (R1)      if readers[b].load() != 0: skip this round  (W1)
//   readers[b].fetch_add(1)       (R2)      ... write b ...
//   if published.load() != b:     (R3)      published.store(b)                          (W2)
//     readers[b].fetch_sub(1); retry
//   copy b; readers[b].fetch_sub(1)
//
// The lcore writes b only while published != b. If W1 read 0 before R2 in the seq_cst order,
// then R3 comes after the W2 that last made published != b, so R3 sees a value other than b
// and the reader backs off; if R2 came first, W1 sees the pin and the lcore skips. So a
// pinned buffer is never written, and W2 (seq_cst, a release) publishes the writes to R1/R3.
//
// A snapshot is assembled over several lcore iterations (at most `budget` entries each), so it
// is not one instant: each entry is exact as of when it was copied, and `started_ns` /
// `finished_ns` bound when. Orders opened meanwhile are included if the walk had not yet
// passed the list's tail; orders closed meanwhile may be missing.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "src/risk/ledger.hpp"

namespace sy::risk {

struct OpenOrderView {
  OrderToken token;
  uint16_t session;
  uint16_t locate;
  uint64_t symbol;
  uint32_t remaining;
  uint32_t executed;
  uint32_t price;
  uint8_t account;
  Side side;
  OrderState state;
};

struct PositionView {
  uint64_t symbol;
  uint16_t locate;
  uint8_t account;
  int64_t net_shares;
  uint64_t open_buy_shares;
  uint64_t open_sell_shares;
  uint64_t open_notional;
  uint64_t bought_shares;
  uint64_t sold_shares;
  uint64_t bought_notional;
  uint64_t sold_notional;
  uint32_t mark_price;
  uint64_t worst_shares;
  uint64_t exposure;
};

struct LedgerSnapshot {
  uint64_t generation = 0;  // 1, 2, ... per published snapshot
  uint64_t started_ns = 0;
  uint64_t finished_ns = 0;
  size_t open_count = 0;  // valid entries of open_orders
  size_t position_count = 0;
  bool truncated = false;  // more open orders than the buffer holds
  std::vector<OpenOrderView> open_orders;
  std::vector<PositionView> positions;
  AccountTotals accounts[kMaxAccounts] = {};
};

class LedgerSnapshots {
 public:
  // `max_open` bounds the open orders copied (sum of max_open_orders plus pending replaces is
  // a natural size); positions are bounded by the ledger's capacity.
  LedgerSnapshots(size_t max_open, size_t max_positions) {
    for (auto& b : buffers_) {
      b.open_orders.resize(max_open);
      b.positions.resize(max_positions);
    }
  }

  // --- execution lcore ---------------------------------------------------------------------
  // Call every iteration; does nothing until `interval_ns` after the previous publication.
  // Copies at most `budget` entries per call. Returns true when it published a snapshot.
  bool publish_step(Ledger& ledger, uint64_t now_ns, uint64_t interval_ns, uint32_t budget);
  uint64_t skipped() const { return skipped_; }  // rounds skipped: the target buffer was pinned

  // --- any other thread --------------------------------------------------------------------
  // Copies the latest snapshot into `out` (which keeps its allocations when large enough).
  // False when none was published yet or the lcore republished under it `attempts` times.
  bool read(LedgerSnapshot& out, unsigned attempts = 16) const;

 private:
  enum class Phase : uint8_t { idle, orders, positions };

  LedgerSnapshot buffers_[2];
  std::atomic<int> published_{-1};
  mutable std::atomic<uint32_t> readers_[2] = {};
  // lcore-only state
  Phase phase_ = Phase::idle;
  int target_ = 0;
  uint32_t position_cursor_ = 0;
  uint64_t next_due_ns_ = 0;
  uint64_t generation_ = 0;
  uint64_t skipped_ = 0;
};

}  // namespace sy::risk
