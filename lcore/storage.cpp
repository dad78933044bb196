// storage lcore. Consumes raw packets captured by the rx lcores (class `other` when
// capture_unclassified is set), the canonical records of the integrity lcore, and the end
// markers of integrity and execution; io_uring O_DIRECT persistence grows here. It is the last
// stage of the shutdown protocol: after every producer's end marker it drains the canonical ring.
#include "lcore/consumer.hpp"
#include "src/common/canonical_record.hpp"

namespace sy {

namespace {

class StorageLcore {
 public:
  StorageLcore(Runtime& rt, LcoreRuntime& self) : rt_(rt), stats_(*self.stats), done_(rt) {}

  void on_packet(const RingMsg& msg, rte_mbuf* m) {
    stats_.classes[msg.class_id].delivered.inc();
    done_.add(msg, m);
  }
  void on_burst_end() { done_.flush(); }
  // Up to kRecordBurst x kRecordBurstsPerLoop records per loop; the count is the loop's work.
  uint32_t on_loop() {
    uint32_t n = 0;
    for (unsigned i = 0; i < kRecordBurstsPerLoop; ++i) {
      const unsigned got = drain_records();
      n += got;
      if (got < kRecordBurst) break;
    }
    return n;
  }

  // Records the integrity lcore enqueued before its end marker are all visible once the end
  // marker is (ring tails are released after the data): drain until empty.
  void finish() {
    while (drain_records() != 0) {
    }
  }

 private:
  unsigned drain_records() {
    if (rt_.canonical == nullptr) return 0;
    alignas(64) CanonicalRecord recs[kRecordBurst];
    const unsigned n = rte_ring_sc_dequeue_burst_elem(rt_.canonical, recs, sizeof(CanonicalRecord),
                                                      kRecordBurst, nullptr);
    stats_.records_in.add(n);
    return n;
  }

  static constexpr unsigned kRecordBurst = 64;
  static constexpr unsigned kRecordBurstsPerLoop = 16;
  Runtime& rt_;
  LcoreStats& stats_;
  BulkFree done_;
};

}  // namespace

int storage_lcore_main(Runtime& rt, LcoreRuntime& self) {
  StorageLcore lcore(rt, self);
  consume_until_end(rt, self, lcore);
  lcore.finish();
  return 0;
}

}  // namespace sy
