// Reference prices: the lock-free per-instrument snapshot that the execution lcore reads while the
// integrity lcore keeps the books.
//
// One cache-line seqlock slot per stock locate. Exactly one writer (the integrity lcore that owns
// the feed's OrderBook) and any number of readers. Readers never block the writer and never write
// the slot's line, so a reader cannot slow the writer down beyond the cache-line transfer; a
// reader that keeps colliding with updates gives up after a bounded number of attempts and says so.
//
// Memory-ordering argument (the classic seqlock made data-race-free, after H.-J. Boehm, "Can
// seqlocks get along with programming language memory models?", MSPC 2012):
//
//   writer                                  reader
//   s = seq (relaxed: we are the only writer) s1 = seq.load(acquire)        (R1)
//   seq.store(s + 1, relaxed)        (W1)   if s1 odd: retry
//   atomic_thread_fence(release)     (F1)   d[i] = data[i].load(relaxed)  (R2)
//   data[i].store(v[i], relaxed)     (W2)   atomic_thread_fence(acquire)  (F2)
//   seq.store(s + 2, release)        (W3)   s2 = seq.load(relaxed)        (R3)
//                                           accept iff s1 == s2
//
// * Every shared word is a std::atomic accessed atomically, so there is no data race in the
//   language sense (and ThreadSanitizer agrees); the relaxed word accesses compile to plain moves.
// * Not too old: R1 reads the even value of some W3 (release) so it synchronizes with it; every
//   W2 of that update and of all earlier ones happens-before R2, so R2 reads that update's data
//   or something newer.
// * Not too new: if any R2 reads a value stored by a W2 of a later update, then F1 (release fence
//   before that W2) synchronizes with F2 (acquire fence after R2), so that update's W1 happens-
//   before R3 and, by coherence, R3 reads W1's odd value or later: s2 != s1 and the reader retries.
// * Hence an accepted read returns exactly the words of the update whose W3 R1 observed: never a
//   mix of two updates.
// On x86-64 the fences cost nothing at run time (TSO); they still stop the compiler reordering.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <type_traits>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace sy::book {

// RefValue::flags
inline constexpr uint32_t kRefBookUnknown = 0x01;  // the book is out of date (loss, late join,
                                                   // capacity or consistency failure)
inline constexpr uint32_t kRefNoBid = 0x02;        // bid side empty: bid_* are zero
inline constexpr uint32_t kRefNoAsk = 0x04;        // ask side empty: ask_* are zero
inline constexpr uint32_t kRefStale = 0x08;        // the writer says the feed is stale
inline constexpr uint32_t kRefNoTrade = 0x10;      // no trade yet this session: last_price is 0

// What a reader gets: 48 bytes, six 64-bit words. Prices are ITCH Price(4).
struct RefValue {
  uint32_t bid_price = 0;
  uint32_t ask_price = 0;
  uint64_t bid_shares = 0;  // aggregated displayed shares at the best bid
  uint64_t ask_shares = 0;
  uint32_t last_price = 0;  // last printable trade (E, printable C, P, Q with shares)
  uint32_t flags = kRefNoBid | kRefNoAsk | kRefNoTrade;
  uint64_t exchange_ns = 0;  // ITCH timestamp of the record that produced this value
  uint64_t rx_ns = 0;        // receipt time of that record

  friend bool operator==(const RefValue&, const RefValue&) = default;
};
static_assert(sizeof(RefValue) == 48);
static_assert(std::is_trivially_copyable_v<RefValue>);

// Mid price in Price(4), rounded down; empty when either side is empty. It does not look at
// kRefBookUnknown or kRefStale: the caller decides whether such a value may be used.
inline std::optional<uint32_t> mid(const RefValue& v) {
  if ((v.flags & (kRefNoBid | kRefNoAsk)) != 0) return std::nullopt;
  return static_cast<uint32_t>((uint64_t{v.bid_price} + v.ask_price) / 2);
}

class ReferencePrices {
 public:
  static constexpr unsigned kDefaultReadAttempts = 64;

  // Slots for locates 0 .. locates-1 (locate 0 is never an instrument; its slot is simply unused).
  // Allocates once, here.
  explicit ReferencePrices(size_t locates)
      : n_(locates),
        slots_(std::make_unique<Slot[]>(locates)),
        directory_(std::make_unique<DirectoryEntry[]>(kDirectoryCapacity)) {}

  // Announcements kept per session (a locate announced again with a new symbol takes another).
  static constexpr uint32_t kDirectoryCapacity = 1u << 17;

  ReferencePrices(const ReferencePrices&) = delete;
  ReferencePrices& operator=(const ReferencePrices&) = delete;

  size_t size() const { return n_; }

  // The instrument directory, for readers that look instruments up by symbol (the execution
  // lcore): an append-only log of (locate, symbol word) written when an instrument becomes
  // known or changes symbol. Single writer; readers poll announced() and read entries below it.
  void announce(uint16_t locate, uint64_t symbol) {
    const uint32_t n = announced_.load(std::memory_order_relaxed);
    if (n >= kDirectoryCapacity) {
      ++directory_overflow_;
      return;
    }
    directory_[n].locate.store(locate, std::memory_order_relaxed);
    directory_[n].symbol.store(symbol, std::memory_order_relaxed);
    announced_.store(n + 1, std::memory_order_release);
  }
  uint32_t announced() const { return announced_.load(std::memory_order_acquire); }
  // Entry i < announced(): its locate and symbol word.
  uint16_t announced_locate(uint32_t i) const {
    return directory_[i].locate.load(std::memory_order_relaxed);
  }
  uint64_t announced_symbol(uint32_t i) const {
    return directory_[i].symbol.load(std::memory_order_relaxed);
  }
  uint64_t directory_overflow() const { return directory_overflow_; }

  // Writer only (one thread). Out-of-range locates are ignored.
  void publish(size_t locate, const RefValue& v) {
    if (locate >= n_) return;
    Slot& s = slots_[locate];
    uint64_t w[kWords];
    std::memcpy(w, &v, sizeof(w));
    const uint64_t seq = s.seq.load(std::memory_order_relaxed);
    s.seq.store(seq + 1, std::memory_order_relaxed);      // W1: odd = update in progress
    std::atomic_thread_fence(std::memory_order_release);  // F1: orders W1 before the data
    for (size_t i = 0; i < kWords; ++i) s.data[i].store(w[i], std::memory_order_relaxed);  // W2
    s.seq.store(seq + 2, std::memory_order_release);  // W3: even = stable, publishes the data
  }

  // Any thread. True with a consistent value; false when the locate is out of range or the
  // writer was updating the slot on every one of `attempts` tries (v is then unchanged).
  bool read(size_t locate, RefValue& v, unsigned attempts = kDefaultReadAttempts) const {
    if (locate >= n_) return false;
    const Slot& s = slots_[locate];
    for (unsigned a = 0; a < attempts; ++a) {
      const uint64_t s1 = s.seq.load(std::memory_order_acquire);  // R1
      if ((s1 & 1) == 0) {
        uint64_t w[kWords];
        for (size_t i = 0; i < kWords; ++i) w[i] = s.data[i].load(std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_acquire);  // F2
        if (s.seq.load(std::memory_order_relaxed) == s1) {    // R3
          std::memcpy(&v, w, sizeof(v));
          return true;
        }
      }
      cpu_relax();
    }
    return false;
  }

  // How many updates the slot has had (for tests and reports; any thread).
  uint64_t version(size_t locate) const {
    return locate < n_ ? slots_[locate].seq.load(std::memory_order_acquire) / 2 : 0;
  }

 private:
  static constexpr size_t kWords = sizeof(RefValue) / sizeof(uint64_t);

  // One cache line per locate: readers of different instruments, and the writer updating one
  // instrument while another is read, never share a line.
  struct alignas(64) Slot {
    std::atomic<uint64_t> seq{0};
    std::atomic<uint64_t> data[kWords];
    Slot() {
      // A fresh slot reads as "nothing known": both sides and the last trade absent.
      uint64_t w[kWords];
      const RefValue empty{};
      std::memcpy(w, &empty, sizeof(w));
      for (size_t i = 0; i < kWords; ++i) data[i].store(w[i], std::memory_order_relaxed);
    }
  };
  static_assert(sizeof(Slot) == 64);
  static_assert(std::atomic<uint64_t>::is_always_lock_free);

  static void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#endif
  }

  size_t n_;
  std::unique_ptr<Slot[]> slots_;
  struct DirectoryEntry {
    std::atomic<uint16_t> locate{0};
    std::atomic<uint64_t> symbol{0};
  };
  std::unique_ptr<DirectoryEntry[]> directory_;
  std::atomic<uint32_t> announced_{0};
  uint64_t directory_overflow_ = 0;  // writer only
};

}  // namespace sy::book
