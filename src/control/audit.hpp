// The audit trail: one JSON object per line (docs/contracts/audit_event.schema.json), each
// carrying the SHA-256 of the previous record, so removing, reordering or editing any line breaks
// the chain at that line. No secrets go in: tokens are never part of an event, and the details
// are counts, names, modes and operator-given reasons.
//
// Producers (the control lcore, the HTTP thread) hand events to the writer through SPSC queues
// and never wait; the writer thread (non-EAL) numbers, chains, writes and fdatasyncs them. A
// full queue is counted, and the writer records the count as an `audit.dropped` event, so a gap
// in the trail is itself on the trail.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <istream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "src/control/spsc_queue.hpp"

namespace sy::control {

inline constexpr const char* kAuditSchema = "switchyard.audit_event.v1";
inline constexpr const char* kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// Every event name the appliance writes (seed 000 §9 plus the control plane's own).
const std::vector<std::string>& audit_event_names();

struct AuditEvent {
  std::string event;
  std::string actor = "control";  // control | operator | policy | appliance
  std::string severity = "info";  // info | warning | critical
  uint64_t time_ns = 0;           // UTC; 0: stamped by the writer
  nlohmann::json detail = nlohmann::json::object();
};

uint64_t utc_now_ns();
std::string sha256_hex(std::string_view data);

// The record as written, with seq, prev_hash and hash (over the record without "hash", keys
// sorted, as nlohmann::json dumps it).
nlohmann::json seal_record(const AuditEvent& e, uint64_t seq, const std::string& prev_hash,
                           const std::string& run_id);

// "" when `rec` matches the schema (fields, types, names, hash format), else what is wrong.
std::string check_record_schema(const nlohmann::json& rec);

struct VerifyResult {
  bool ok = false;
  uint64_t records = 0;
  uint64_t bad_line = 0;  // 1-based line of the first problem
  std::string error;
  std::string last_hash = kGenesisHash;
  uint64_t last_seq = 0;
};

// Checks every line: schema, seq = previous + 1 (from 1), prev_hash = previous hash (genesis
// for the first), hash = SHA-256 of the record without it.
VerifyResult verify_audit_stream(std::istream& in);
VerifyResult verify_audit_file(const std::string& path);

class AuditWriter {
 public:
  static constexpr size_t kQueue = 4096;

  // Opens (creates) `path` for append and continues its chain. A torn last line (a crash in the
  // middle of a write) is cut off and the cut is recorded. Throws std::runtime_error.
  AuditWriter(const std::string& path, std::string run_id);
  ~AuditWriter();
  AuditWriter(const AuditWriter&) = delete;
  AuditWriter& operator=(const AuditWriter&) = delete;

  // Producer A: the control lcore (and the main thread before launch and after stop).
  bool submit_control(AuditEvent e);
  // Producer B: the non-EAL side threads (HTTP, the storage event forwarder), serialised by a
  // mutex so the queue keeps one producer.
  bool submit_api(AuditEvent e);

  // Writes everything queued and stops the thread.
  void stop();
  uint64_t written() const { return written_.load(std::memory_order_relaxed); }
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  uint64_t write_failures() const { return write_failures_.load(std::memory_order_relaxed); }
  const std::string& path() const { return path_; }

 private:
  void loop();
  size_t drain();
  void write_one(const AuditEvent& e);
  void wake();

  std::string path_;
  std::string run_id_;
  int fd_ = -1;
  uint64_t seq_ = 0;
  std::string prev_hash_ = kGenesisHash;
  uint64_t dropped_reported_ = 0;
  std::vector<AuditEvent> pending_start_;  // what the constructor found (torn tail)
  std::unique_ptr<SpscQueue<AuditEvent, kQueue>> from_control_, from_api_;
  std::mutex api_mu_;  // never taken by an lcore
  std::atomic<uint64_t> written_{0}, dropped_{0}, write_failures_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mu_;  // only for the writer's sleep: producers never take it
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace sy::control
