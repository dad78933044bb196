// integrity lcore (market data): MoldUDP64 framing, A/B arbitration and gap recovery per feed,
// ITCH 5.0 decode, canonical records to storage, market-by-order books and reference prices.
//
// Hot: no allocation (books, buffers and rings are preallocated), no locks, no syscalls; the
// frames it originates (re-requests) come from the port's mempool.
#include <rte_cycles.h>
#include <rte_mbuf_dyn.h>

#include "lcore/consumer.hpp"
#include "lcore/integrity/feed_runtime.hpp"
#include "lcore/integrity/message_path.hpp"
#include "lcore/runtime.hpp"
#include "lcore/storage_capture.hpp"
#include "src/net/wire.hpp"
#include "src/proto/itch50.hpp"

namespace sy {
namespace integrity {

FeedRuntime::FeedRuntime(const conf::FeedConfig& c, uint8_t i, rte_ring* out,
                         const BookCapacityConfig& capacity)
    : cfg(c),
      index(i),
      sink{this},
      arbiter(arbiter_config(c), sink),
      refs(size_t{capacity.max_instruments} + 1),
      book(book::BookCapacity{capacity.max_instruments, capacity.max_orders,
                              capacity.max_levels_per_side},
           &refs),
      canonical_out(out) {
  events.reserve(kMaxEvents);
}

void FeedRuntime::publish_snapshot(uint64_t now_ns) {
  FeedSnapshot s{};
  s.counters = arbiter.counters();
  for (size_t l = 0; l < kLines; ++l) s.lines[l] = arbiter.line(static_cast<Line>(l));
  s.work = work;
  std::memcpy(s.proto_errors, errors.by_reason, sizeof s.proto_errors);
  s.mold_messages_lost = errors.mold_messages_lost;
  s.published_ns = now_ns;
  s.state = arbiter.state();
  s.mid_session = arbiter.mid_session();
  if (arbiter.has_session()) std::memcpy(s.session, arbiter.session(), sizeof s.session);
  snapshot.publish(s);
}

void FeedSink::apply(uint64_t seq, const uint8_t* msg, uint16_t len, bool recovered, Line from,
                     uint64_t rx_ns) {
  FeedRuntime& f = *feed;
  alignas(64) CanonicalRecord rec;
  if (!build_record(seq, msg, len, recovered, from, rx_ns, f.index, f.book, f.errors, rec)) return;
  ++f.work.decoded;
  if (rte_ring_sp_enqueue_elem(f.canonical_out, &rec, sizeof rec) == 0)
    ++f.work.records;
  else
    ++f.work.records_dropped;
}

void FeedSink::request(const uint8_t session[10], uint64_t first, uint16_t count) {
  FeedRuntime& f = *feed;
  const uint64_t mac = f.next_hop_mac ? f.next_hop_mac->load(std::memory_order_acquire) : 0;
  if (f.request_path == nullptr || !f.request_path->valid || mac == 0) {
    ++f.work.requests_unsent;
    return;
  }
  rte_mbuf* m = rte_pktmbuf_alloc(f.request_pool);
  if (m == nullptr) {
    ++f.work.requests_unsent;
    return;
  }
  constexpr uint16_t kLen =
      net::kEtherHeaderLen + net::kIpv4MinHeaderLen + net::kUdpHeaderLen + proto::kMoldRequestLen;
  uint8_t* p = reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m, kLen));
  RTE_VERIFY(p != nullptr);
  const conf::MacAddress dst = unpack_mac(mac);
  net::write_udp4_headers(p, dst.data(), f.src_mac.data(), f.src_ipv4,
                          f.cfg.retransmit->server_ipv4, f.src_udp, f.cfg.retransmit->server_udp,
                          proto::kMoldRequestLen);
  uint8_t* udp = p + net::kEtherHeaderLen + net::kIpv4MinHeaderLen;
  proto::MoldRequest req;
  std::memcpy(req.session.bytes, session, proto::kMoldSessionLen);
  req.sequence = first;
  req.count = count;
  proto::build_mold_request(udp + net::kUdpHeaderLen, proto::kMoldRequestLen, req);
  // Storage: a re-request is part of what left the box (lcore/storage_capture.hpp).
  rte_mbuf* capture = capture_reference_for_send(f.capture_out, f.tsc_offset, m);
  const bool sent = tx_send(*f.request_path, &m, 1, *f.stats, f.source) == 1;
  capture_sent_frame(f.capture_out, *f.stats, f.source, f.request_path->port_index, capture, sent);
  if (sent)
    ++f.work.requests_sent;
  else
    ++f.work.requests_unsent;
}

void FeedSink::event(const Event& e) {
  FeedRuntime& f = *feed;
  if (f.events.size() < f.events.capacity())
    f.events.push_back(e);
  else
    ++f.events_unlisted;
}

void FeedSink::books_unknown() {
  ++feed->work.books_unknown_marks;
  feed->book.mark_all_unknown();
}

void FeedSink::books_reset() {
  ++feed->work.books_resets;
  feed->book.reset_all();
}

}  // namespace integrity

namespace {

// The UDP payload of a frame the classifier already validated (Ethernet, optional tag, IPv4).
bool udp_payload(const rte_mbuf* m, const uint8_t*& payload, uint16_t& len) {
  const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
  size_t off = 12;
  uint16_t type = net::load_be16(p + off);
  if (type == net::kEtherTypeVlan || type == net::kEtherTypeQinq) off += net::kVlanTagLen;
  off += 2;
  const uint8_t* ip = p + off;
  const size_t ihl = (ip[0] & 0x0fu) * 4u;
  const uint8_t* udp = ip + ihl;
  const uint16_t udp_len = net::load_be16(udp + 4);
  if (udp_len < net::kUdpHeaderLen) return false;
  payload = udp + net::kUdpHeaderLen;
  len = static_cast<uint16_t>(udp_len - net::kUdpHeaderLen);
  return true;
}

class IntegrityLcore {
 public:
  IntegrityLcore(Runtime& rt, LcoreRuntime& self) : rt_(rt), self_(self) {
    capture_clock_ = rt.cfg->run.clock == conf::ClockSource::capture;
    ts_offset_ = rte_mbuf_dynfield_lookup(RTE_MBUF_DYNFIELD_TIMESTAMP_NAME, nullptr);
    const int flag = rte_mbuf_dynflag_lookup(RTE_MBUF_DYNFLAG_RX_TIMESTAMP_NAME, nullptr);
    ts_flag_ = flag >= 0 ? (uint64_t{1} << flag) : 0;
  }

  // Time of a packet: its capture timestamp in capture mode, else the rx TSC as UTC.
  uint64_t packet_ns(rte_mbuf* m) {
    if (capture_clock_ && ts_offset_ >= 0 && (m->ol_flags & ts_flag_)) {
      // net_pcap stamps microseconds (libpcap opens captures at that precision).
      const uint64_t ns = *RTE_MBUF_DYNFIELD(m, ts_offset_, uint64_t*) * 1000;
      if (ns > capture_now_) capture_now_ = ns;
      return ns;
    }
    return rt_.tsc_to_utc_ns(*rx_tsc_field(m, rt_.rx_tsc_offset));
  }
  uint64_t now() const { return capture_clock_ ? capture_now_ : rt_.tsc_to_utc_ns(rte_rdtsc()); }

  void on_packet(const RingMsg& msg, rte_mbuf* m) {
    const Runtime::FeedClass& fc = rt_.feed_of_class[msg.class_id];
    self_.stats->classes[msg.class_id].delivered.inc();
    if (fc.feed == Runtime::kNoFeed) {
      done_.add(msg, m);
      return;
    }
    integrity::FeedRuntime& f = *rt_.feeds[fc.feed];
    ++f.work.packets;
    const uint8_t* payload;
    uint16_t len;
    const uint64_t t = packet_ns(m);
    if (udp_payload(m, payload, len) &&
        !integrity::feed_packet(f.arbiter, f.errors, fc.line, payload, len, t))
      ++f.work.not_mold;
    done_.add(msg, m);
  }

  void on_burst_end() { done_.flush(); }

  // Every loop, work or not: windows, re-requests, losses and staleness run on time; and now
  // and then a snapshot for the report, which is written off this lcore.
  void on_loop() {
    const uint64_t t = now();
    for (auto& f : rt_.feeds) {
      f->arbiter.tick(t);
      // What the execution lcore's risk gate reads per order (feed state, as a byte).
      f->state_word.store(static_cast<uint8_t>(f->arbiter.state()), std::memory_order_release);
    }
    const uint64_t tsc = rte_rdtsc();
    if (tsc >= next_snapshot_tsc_) {
      next_snapshot_tsc_ = tsc + rt_.tsc_hz / 10;
      for (auto& f : rt_.feeds) f->publish_snapshot(t);
    }
  }

  void finish() {
    const uint64_t t = now();
    for (auto& f : rt_.feeds) {
      f->arbiter.finish(t);
      f->publish_snapshot(t);
    }
  }

 private:
  Runtime& rt_;
  LcoreRuntime& self_;
  BulkFree done_{rt_};
  bool capture_clock_ = false;
  int ts_offset_ = -1;
  uint64_t ts_flag_ = 0;
  uint64_t capture_now_ = 0;
  uint64_t next_snapshot_tsc_ = 0;
};

}  // namespace

int integrity_lcore_main(Runtime& rt, LcoreRuntime& self) {
  IntegrityLcore lcore(rt, self);
  consume_until_end(rt, self, lcore);
  // Shutdown: open gaps become lost ranges, held messages are applied; then storage is told.
  lcore.finish();
  send_end(self.storage_out, self.index, rt.force_stop);
  return 0;
}

}  // namespace sy
