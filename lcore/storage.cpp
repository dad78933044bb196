// storage lcore: persists raw packets (pcapng) and canonical records (CRC pages) through the
// io_uring writer (storage/writer.hpp), and is the last stage of the shutdown protocol.
//
// Inputs: the rx lcores' capture rings (class `other` when classify.capture_unclassified, and
// kMsgCapture copies of the classes storage.capture_* selects), the integrity and execution
// lcores' storage_out rings (their end markers, and kMsgCapture|kMsgSent copies of the frames
// they send), and the canonical ring. Backpressure: when the writer has no room (all buffers
// busy, next segment not ready) the messages already taken wait here and the rings are left
// alone, so storage falling behind shows as ring fill and backlog bytes, never as silent loss.
//
// Hot: no allocation, no locks; the only system call is the writer's one io_uring_submit per
// loop (plus one file registration per segment rotation).
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>
#include <time.h>

#include <stdexcept>

#include "lcore/consumer.hpp"
#include "lcore/integrity/feed_runtime.hpp"
#include "src/common/canonical_record.hpp"
#include "storage/state.hpp"
#include "storage/writer.hpp"

namespace sy {

namespace {

static_assert(storage::kMaxClasses >= net::kMaxClasses);

void copy_mbuf(const void* packet, uint8_t* dst, uint32_t len) {
  const auto* m = static_cast<const rte_mbuf*>(packet);
  while (len && m) {
    const uint32_t n = len < m->data_len ? len : m->data_len;
    rte_memcpy(dst, rte_pktmbuf_mtod(m, const uint8_t*), n);
    dst += n;
    len -= n;
    m = m->next;
  }
}

uint64_t wall_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec);
}

const Runtime* g_rt = nullptr;  // for finish(): the writer's clock callback takes no context
uint64_t rt_now_ns() { return g_rt->tsc_to_utc_ns(rte_rdtsc()); }

class StorageLcore {
 public:
  StorageLcore(Runtime& rt, LcoreRuntime& self)
      : rt_(rt), self_(self), stats_(*self.stats), writer_(rt.storage_writer.get()), done_(rt) {
    capture_clock_ = rt.cfg->run.clock == conf::ClockSource::capture;
    ts_offset_ = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, nullptr);
    const int flag = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, nullptr);
    ts_flag_ = flag >= 0 ? (uint64_t{1} << flag) : 0;
    for (size_t c = 0; c < rt.classes.classes.size(); ++c) {
      const conf::Priority p = rt.classes.classes[c].priority;
      capture_shed_at_[c] = p == conf::Priority::p2 ? 1 : p == conf::Priority::p1 ? 2 : kNeverShed;
    }
  }

  void run() {
    IdlePolicy idle(*self_.cfg);
    const uint64_t producers = self_.inputs.size();
    bool ended = false;
    for (;;) {
      const uint64_t tsc = rte_rdtsc();
      stats_.heartbeat_tsc.store(tsc, std::memory_order_relaxed);
      stats_.loops.inc();
      const uint64_t now = rt_.tsc_to_utc_ns(tsc);
      capture_shed_ = rt_.safety.capture_shed.load(std::memory_order_relaxed);
      uint32_t work = tx_drain_handoffs(self_);
      if (writer_) work += writer_->poll(now);
      work += drain_inputs(now);
      work += drain_records(now);
      publish(now);
      if (work) stats_.busy_loops.inc();
      // Shutdown: every producer's end marker seen (records enqueued before it are visible),
      // nothing waiting here, the canonical ring empty.
      ended = ended || stats_.in_ends.get() == producers;
      if (ended && n_msgs_ == 0 && n_recs_ == 0 &&
          (rt_.canonical == nullptr || rte_ring_empty(rt_.canonical)))
        break;
      if (rt_.force_stop.load(std::memory_order_relaxed)) break;
      idle.work_done(work);
    }
    if (writer_ == nullptr) return;
    if (rt_.force_stop.load(std::memory_order_relaxed)) {
      // The drain timeout passed: what was taken but not written is reported, not waited for.
      stats_.capture.dropped[static_cast<size_t>(DropReason::unpersisted)].add(n_msgs_);
      writer_->abandon();
    } else {
      g_rt = &rt_;
      writer_->finish(rt_now_ns);
    }
    publish(rt_.tsc_to_utc_ns(rte_rdtsc()));
    done_.flush();
  }

 private:
  // Messages taken off the rings, processed in order; what the writer has no room for stays.
  uint32_t drain_inputs(uint64_t now) {
    uint32_t work = 0;
    for (size_t r = 0; r < self_.inputs.size(); ++r) {
      if (n_msgs_ == 0) {
        pos_msgs_ = 0;
        n_msgs_ = rte_ring_sc_dequeue_burst_elem(self_.inputs[next_input_], msgs_, sizeof(RingMsg),
                                                 rt_.cfg->rings.burst, nullptr);
        next_input_ = (next_input_ + 1) % self_.inputs.size();
        work += n_msgs_;
      }
      while (pos_msgs_ < n_msgs_) {
        if (!handle(msgs_[pos_msgs_], now)) break;
        ++pos_msgs_;
      }
      done_.flush();
      if (pos_msgs_ < n_msgs_) return work;  // no room: wait for completions
      n_msgs_ = 0;
    }
    return work;
  }

  // False: no room in the writer; the message stays and is offered again.
  bool handle(const RingMsg& msg, uint64_t now) {
    if (msg.type == MsgType::end) {
      stats_.in_ends.inc();
      return true;
    }
    if (msg.type != MsgType::packet) return true;
    rte_mbuf* m = reinterpret_cast<rte_mbuf*>(msg.payload);
    const bool copy = msg.flags & kMsgCapture;
    const bool keep = writer_ && (copy || rt_.persist_class[msg.class_id]);
    // Storage is behind and the control lcore sheds this tier's capture: what the rx lcore had
    // already queued is not written either (counted). What the appliance sent is never shed.
    if (keep && !(msg.flags & kMsgSent) && capture_shed_ != 0 &&
        capture_shed_at_[msg.class_id] <= capture_shed_) [[unlikely]] {
      stats_.capture.packets.inc();
      stats_.capture
          .dropped[static_cast<size_t>(capture_shed_at_[msg.class_id] == 1
                                           ? DropReason::capture_shed_p2
                                           : DropReason::capture_shed_p1)]
          .inc();
    } else if (keep) {
      storage::PacketIn in;
      in.packet = m;
      in.copy = copy_mbuf;
      in.len = m->pkt_len;
      in.port = msg.port;
      in.outbound = msg.flags & kMsgSent;
      in.class_id = in.outbound ? storage::kNoClass : msg.class_id;
      const uint64_t rx_ns = rt_.tsc_to_utc_ns(*rx_tsc_field(m, rt_.rx_tsc_offset));
      in.start_ns = rx_ns;
      in.ts_ns = in.outbound ? rx_ns : packet_ns(m, rx_ns);
      if (writer_->append_packet(in, now) == storage::Writer::Append::no_room) return false;
      stats_.capture.packets.inc();
      stats_.capture.bytes.add(msg.arg);
    }
    stats_.in_packets.inc();
    stats_.in_bytes.add(msg.arg);
    if (!copy) {
      // The class's own delivery to storage (e.g. class other): counted as consumed.
      FlowCounters& cls = stats_.classes[msg.class_id];
      cls.packets.inc();
      cls.bytes.add(msg.arg);
      cls.delivered.inc();
    }
    done_.add(msg, m);
    return true;
  }

  // Time written to the file: the capture's own timestamp when replaying on the capture clock
  // (net_pcap stamps microseconds), else the rx TSC as UTC.
  uint64_t packet_ns(const rte_mbuf* m, uint64_t rx_ns) const {
    if (capture_clock_ && ts_offset_ >= 0 && (m->ol_flags & ts_flag_))
      return *RTE_MBUF_DYNFIELD(m, ts_offset_, const uint64_t*) * 1000;
    return rx_ns;
  }

  uint32_t drain_records(uint64_t now) {
    if (rt_.canonical == nullptr) return 0;
    uint32_t work = 0;
    for (unsigned round = 0; round < kRecordBurstsPerLoop; ++round) {
      if (n_recs_ == 0) {
        pos_recs_ = 0;
        n_recs_ = rte_ring_sc_dequeue_burst_elem(rt_.canonical, recs_, sizeof(CanonicalRecord),
                                                 kRecordBurst, nullptr);
        stats_.records_in.add(n_recs_);
        work += n_recs_;
        if (n_recs_ == 0) break;
      }
      if (writer_) {
        while (pos_recs_ < n_recs_) {
          const CanonicalRecord& r = recs_[pos_recs_];
          // On the capture clock rx_ns is the capture's time: the budget's start is unknown.
          const uint64_t start = capture_clock_ ? 0 : r.rx_ns;
          if (writer_->append_record(r, start, now) == storage::Writer::Append::no_room)
            return work;
          ++pos_recs_;
        }
      }
      n_recs_ = 0;
    }
    return work;
  }

  void publish(uint64_t now) {
    (void)now;
    if (writer_ == nullptr) return;
    stats_.hazards.store(writer_->hazards(), std::memory_order_relaxed);
    // Mirror the raw stream's fate into this lcore's capture books (single writer: us).
    const storage::StreamState& raw = rt_.storage_state->streams[0];
    stats_.capture.delivered.set(raw.persisted.get());
    stats_.capture.dropped[static_cast<size_t>(DropReason::disk_full)].set(
        raw.unpersisted[static_cast<size_t>(storage::Unpersisted::disk_full)].get());
    stats_.capture.dropped[static_cast<size_t>(DropReason::storage_io)].set(
        raw.unpersisted[static_cast<size_t>(storage::Unpersisted::storage_io)].get());
  }

  static constexpr unsigned kRecordBurst = 64;
  static constexpr uint8_t kNeverShed = 0xff;
  static constexpr unsigned kRecordBurstsPerLoop = 16;
  Runtime& rt_;
  LcoreRuntime& self_;
  LcoreStats& stats_;
  storage::Writer* writer_;
  BulkFree done_;
  bool capture_clock_ = false;
  int ts_offset_ = -1;
  uint64_t ts_flag_ = 0;
  uint32_t capture_shed_ = 0;                    // the control lcore's word, once per loop
  uint8_t capture_shed_at_[net::kMaxClasses]{};  // word level that sheds a class's capture
  RingMsg msgs_[kMaxBurst];
  unsigned n_msgs_ = 0, pos_msgs_ = 0;
  size_t next_input_ = 0;
  alignas(64) CanonicalRecord recs_[kRecordBurst];
  unsigned n_recs_ = 0, pos_recs_ = 0;
};

// Which classes are captured: by priority tier, plus named classes, minus excluded ones.
void plan_capture(Runtime& rt, const conf::StorageConfig& sc) {
  auto listed = [](const std::vector<std::string>& v, const std::string& n) {
    return std::find(v.begin(), v.end(), n) != v.end();
  };
  for (size_t c = 0; c < rt.classes.classes.size(); ++c) {
    const net::ClassInfo& info = rt.classes.classes[c];
    const bool tier = std::find(sc.capture_priorities.begin(), sc.capture_priorities.end(),
                                info.priority) != sc.capture_priorities.end();
    bool persist =
        (tier || listed(sc.capture_classes, info.name)) && !listed(sc.capture_exclude, info.name);
    // Dropped and local traffic never reaches storage; malformed frames are counted, not kept.
    if (info.destination == net::Destination::drop || info.destination == net::Destination::local)
      persist = false;
    rt.persist_class[c] = persist;
    rt.capture_copy[c] = persist && (info.destination == net::Destination::integrity ||
                                     info.destination == net::Destination::execution);
  }
}

}  // namespace

void setup_storage(Runtime& rt, const conf::Config& cfg) {
  rt.storage_state = std::make_unique<storage::StorageState>();
  const conf::StorageConfig& sc = cfg.storage;
  if (sc.dir.empty()) return;  // persistence off: records are consumed, nothing is captured
  plan_capture(rt, sc);
  rt.capture_sent = sc.capture_sent;

  storage::Options o;
  o.dir = sc.dir;
  o.block_bytes = sc.block_kib * 1024;
  o.queue_depth = sc.queue_depth;
  o.buffers = sc.buffers;
  o.pending_records = sc.pending_records;
  o.segment_bytes = uint64_t{sc.segment_mib} << 20;
  o.rotate_interval_ns = uint64_t{sc.rotate_interval_s} * 1'000'000'000;
  o.retention_bytes = sc.retention_mib << 20;
  o.reserve_bytes = uint64_t{sc.reserve_mib} << 20;
  o.spare_segments = sc.spare_segments;
  o.spare_fill_bytes_per_s = uint64_t{sc.spare_fill_mib_per_s} << 20;
  o.sync = sc.sync == conf::SyncPolicy::batch ? storage::SyncPolicy::batch
                                              : storage::SyncPolicy::interval;
  o.sync_interval_ns = uint64_t{sc.sync_interval_us} * 1000;
  o.sync_bytes = uint64_t{sc.sync_kib} * 1024;
  o.flush_age_ns = uint64_t{sc.flush_age_us} * 1000;
  o.backlog_hazard_bytes = uint64_t{sc.backlog_hazard_mib} << 20;
  o.slow_ns = uint64_t{sc.slow_completion_ms} * 1'000'000;
  o.test_stall_after_ns = uint64_t{sc.test_stall_after_ms} * 1'000'000;
  o.test_stall_ns = uint64_t{sc.test_stall_ms} * 1'000'000;
  for (const auto& p : cfg.ports) o.port_names.push_back(p.name);
  // Write buffers in hugepage memory (pinned: what io_uring registers stays put).
  o.alloc = [](size_t bytes, size_t align) -> void* {
    return rte_zmalloc("storage", bytes, static_cast<unsigned>(align));
  };
  o.release = [](void* p) { rte_free(p); };
  o.safety = &rt.safety;
  try {
    rt.storage_writer = std::make_unique<storage::Writer>(o, *rt.storage_state);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string(e.what()) + " (storage.dir: " + sc.dir + ")");
  }
  for (const storage::RecoveryCut& c : rt.storage_state->recovery)
    rt.storage_state->add_event(wall_ns(), "storage.recovery.cut",
                                c.segment + ": kept " + std::to_string(c.kept_bytes) + " of " +
                                    std::to_string(c.file_bytes) + " bytes (" + c.reason + ")");

  // What the appliance sends is captured through the sender's storage_out ring.
  if (rt.capture_sent) {
    for (auto& lc : rt.lcores)
      if (lc.cfg->role == conf::Role::integrity)
        for (auto& f : rt.feeds) {
          f->capture_out = lc.storage_out;
          f->tsc_offset = rt.rx_tsc_offset;
        }
  }
}

uint64_t storage_loss(const Runtime& rt) {
  uint64_t n = 0;
  for (const auto& lc : rt.lcores) {
    if (lc.cfg->role == conf::Role::storage) continue;  // its capture books mirror the store
    n += lc.stats->capture.dropped_total();
  }
  if (rt.storage_state)
    for (const auto& s : rt.storage_state->streams) n += s.unpersisted_total();
  for (const auto& lc : rt.lcores)
    if (lc.cfg->role == conf::Role::storage)
      for (DropReason r :
           {DropReason::unpersisted, DropReason::capture_shed_p2, DropReason::capture_shed_p1})
        n += lc.stats->capture.dropped[static_cast<size_t>(r)].get();
  return n;
}

int storage_lcore_main(Runtime& rt, LcoreRuntime& self) {
  StorageLcore(rt, self).run();
  return 0;
}

}  // namespace sy
