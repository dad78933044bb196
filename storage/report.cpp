#include "storage/report.hpp"

namespace sy::storage {

namespace {

nlohmann::json latency_json(const HistogramSnapshot& h) {
  return {{"count", h.count},
          {"p50_ns", h.quantile(0.5)},
          {"p99_ns", h.quantile(0.99)},
          {"p999_ns", h.quantile(0.999)},
          {"max_ns", h.max}};
}

nlohmann::json stream_json(const StreamState& s, const char* budget) {
  nlohmann::json un = nlohmann::json::object();
  for (size_t r = 0; r < kUnpersistedReasons; ++r)
    un[to_string(static_cast<Unpersisted>(r))] = s.unpersisted[r].get();
  return {{"accepted", s.accepted.get()},
          {"persisted", s.persisted.get()},
          {"unpersisted", un},
          {"unpersisted_total", s.unpersisted_total()},
          {"next_sequence", s.next_sequence.load(std::memory_order_relaxed)},
          {"durable_sequence", s.durable_sequence.load(std::memory_order_acquire)},
          {"durable_ns", s.durable_ns.load(std::memory_order_relaxed)},
          {"backlog_bytes", s.backlog_bytes.load(std::memory_order_relaxed)},
          {"persisted_bytes", s.persisted_bytes.get()},
          {"padding_bytes", s.pad_bytes.get()},
          {"writes", s.writes.get()},
          {"write_bytes", s.write_bytes.get()},
          {"syncs", s.syncs.get()},
          {"write_errors", s.write_errors.get()},
          {"short_writes", s.short_writes.get()},
          {"write_retries", s.write_retries.get()},
          {"sync_errors", s.sync_errors.get()},
          {"slow_completions", s.slow_ops.get()},
          {"segments_opened", s.segments_opened.get()},
          {"segment_waits", s.segment_waits.get()},
          {"truncated", s.truncated.get()},
          {"latency_budget", budget},
          {"latency", latency_json(s.latency.snapshot())},
          {"latency_unknown", s.latency_unknown.get()},
          {"watermark_latency", latency_json(s.watermark_latency.snapshot())},
          {"queue_latency", latency_json(s.queue_latency.snapshot())},
          {"io_latency", latency_json(s.io_latency.snapshot())}};
}

}  // namespace

nlohmann::json report_json(const StorageState& st, const std::vector<std::string>& class_names,
                           const CaptureTotals& capture, uint32_t hazards) {
  nlohmann::json j;
  j["enabled"] = st.enabled;
  j["dir"] = st.dir;
  if (!st.enabled) return j;
  j["raw"] = stream_json(st.streams[0], "Market ingest: receive -> raw persist");
  j["canonical"] = stream_json(st.streams[1], "Canonical: raw -> canonical persist");
  j["raw"]["capture"] = {{"attempted", capture.attempted},
                         {"enqueued", capture.enqueued},
                         {"dropped_ring_full", capture.ring_full},
                         {"shed_p2", capture.shed_p2},
                         {"shed_p1", capture.shed_p1}};
  nlohmann::json classes = nlohmann::json::object();
  for (size_t c = 0; c < class_names.size() && c < kMaxClasses; ++c) {
    const uint64_t ok = st.classes.persisted[c].get(), bad = st.classes.unpersisted[c].get();
    if (ok || bad) classes[class_names[c]] = {{"persisted", ok}, {"unpersisted", bad}};
  }
  j["raw"]["classes"] = classes;
  j["hazards"] = {{"disk_full", (hazards & 1u) != 0},
                  {"storage_io", (hazards & 2u) != 0},
                  {"storage_backlog", (hazards & 4u) != 0}};
  j["free_bytes"] = st.free_bytes.load(std::memory_order_relaxed);
  j["store_bytes"] = st.store_bytes.load(std::memory_order_relaxed);
  j["retention"] = {
      {"deleted_segments", st.retention_deleted_segments.get()},
      {"deleted_bytes", st.retention_deleted_bytes.get()},
      {"refused", st.retention_refused.get()},
      {"authorized_bytes_left", st.retention_authorized_bytes.load(std::memory_order_relaxed)}};
  j["segment_create_errors"] = st.segment_create_errors.get();
  j["spares"] = {{"ready", st.spare_segments_ready.load(std::memory_order_relaxed)},
                 {"segments_from_spares", st.spare_segments_used.get()},
                 {"segments_preallocated", st.segments_preallocated.get()},
                 {"fill_bytes", st.spare_fill_bytes.get()},
                 {"removed_for_space", st.spare_segments_removed.get()}};
  nlohmann::json cuts = nlohmann::json::array();
  for (const RecoveryCut& c : st.recovery)
    cuts.push_back({{"segment", c.segment},
                    {"file_bytes", c.file_bytes},
                    {"kept_bytes", c.kept_bytes},
                    {"cut_bytes", c.file_bytes - c.kept_bytes},
                    {"removed", c.removed},
                    {"only_unwritten_space", c.tail_unwritten},
                    {"reason", c.reason}});
  j["recovery"] = {{"segments_scanned", st.recovered_segments}, {"cuts", cuts}};
  nlohmann::json events = nlohmann::json::array();
  for (const StoreEvent& e : st.events_copy())
    events.push_back({{"time_ns", e.time_ns}, {"kind", e.kind}, {"detail", e.detail}});
  j["events"] = events;
  j["events_unlisted"] = st.events_unlisted();
  return j;
}

}  // namespace sy::storage
