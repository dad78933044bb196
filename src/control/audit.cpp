#include "src/control/audit.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <stdexcept>

namespace sy::control {

const std::vector<std::string>& audit_event_names() {
  static const std::vector<std::string> names = {
      // seed 000 §9
      "perf.budget.violation", "perf.backpressure.start", "perf.backpressure.end",
      "perf.capacity.hazard", "perf.degrade.applied", "perf.degrade.recovered",
      "support_bundle.created", "integrity.record", "gate.record",
      // the control plane's own
      "perf.budget.unknown", "perf.capacity.hazard_cleared", "safety.mode.changed",
      "safety.unknown", "safety.state.restored", "kill_switch.changed", "risk.limits.changed",
      "retention.authorization.changed", "control.command", "control.auth.failed",
      "control.request.rejected", "appliance.start", "appliance.stop", "audit.dropped",
      "audit.truncated_tail",
      // the store's own (storage/housekeeper.cpp), forwarded by the control side
      "storage.retention.deleted", "storage.retention.refused", "storage.retention.failed",
      "storage.segment.create_failed", "storage.segment.create_recovered",
      "storage.segment.finish_failed", "storage.recovery.cut"};
  return names;
}

uint64_t utc_now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000 + static_cast<uint64_t>(ts.tv_nsec);
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1 || len != 32)
    throw std::runtime_error("SHA-256 failed (libcrypto)");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(64, '0');
  for (unsigned i = 0; i < 32; ++i) {
    out[2 * i] = kHex[md[i] >> 4];
    out[2 * i + 1] = kHex[md[i] & 15];
  }
  return out;
}

nlohmann::json seal_record(const AuditEvent& e, uint64_t seq, const std::string& prev_hash,
                           const std::string& run_id) {
  nlohmann::json r;
  r["schema"] = kAuditSchema;
  r["seq"] = seq;
  r["time_ns"] = e.time_ns ? e.time_ns : utc_now_ns();
  r["run_id"] = run_id;
  r["event"] = e.event;
  r["actor"] = e.actor;
  r["severity"] = e.severity;
  r["detail"] = e.detail.is_object() ? e.detail : nlohmann::json::object();
  r["prev_hash"] = prev_hash;
  r["hash"] = sha256_hex(r.dump());
  return r;
}

std::string check_record_schema(const nlohmann::json& rec) {
  if (!rec.is_object()) return "not a JSON object";
  static const std::vector<std::string> kKeys = {"schema",    "seq",   "time_ns",  "run_id",
                                                 "event",     "actor", "severity", "detail",
                                                 "prev_hash", "hash"};
  for (const auto& k : kKeys)
    if (!rec.contains(k)) return "missing field '" + k + "'";
  for (const auto& [k, v] : rec.items())
    if (std::find(kKeys.begin(), kKeys.end(), k) == kKeys.end()) return "unknown field '" + k + "'";
  if (rec["schema"] != kAuditSchema) return "schema is not " + std::string(kAuditSchema);
  if (!rec["seq"].is_number_unsigned() || rec["seq"].get<uint64_t>() == 0)
    return "seq must be a positive integer";
  if (!rec["time_ns"].is_number_unsigned()) return "time_ns must be an unsigned integer";
  if (!rec["run_id"].is_string() || rec["run_id"].get<std::string>().empty())
    return "run_id must be a non-empty string";
  if (!rec["event"].is_string()) return "event must be a string";
  const auto& names = audit_event_names();
  if (std::find(names.begin(), names.end(), rec["event"].get<std::string>()) == names.end())
    return "unknown event '" + rec["event"].get<std::string>() + "'";
  static const std::vector<std::string> kActors = {"control", "operator", "policy", "appliance"};
  if (!rec["actor"].is_string() ||
      std::find(kActors.begin(), kActors.end(), rec["actor"].get<std::string>()) == kActors.end())
    return "actor must be one of control, operator, policy, appliance";
  static const std::vector<std::string> kSev = {"info", "warning", "critical"};
  if (!rec["severity"].is_string() ||
      std::find(kSev.begin(), kSev.end(), rec["severity"].get<std::string>()) == kSev.end())
    return "severity must be one of info, warning, critical";
  if (!rec["detail"].is_object()) return "detail must be an object";
  static const std::regex kHash("[0-9a-f]{64}");
  for (const char* k : {"prev_hash", "hash"})
    if (!rec[k].is_string() || !std::regex_match(rec[k].get<std::string>(), kHash))
      return std::string(k) + " must be 64 lowercase hex digits";
  return "";
}

VerifyResult verify_audit_stream(std::istream& in) {
  VerifyResult r;
  std::string line;
  uint64_t n = 0;
  auto bad = [&](const std::string& why) {
    r.ok = false;
    r.bad_line = n;
    r.error = "line " + std::to_string(n) + ": " + why;
    return r;
  };
  while (std::getline(in, line)) {
    ++n;
    nlohmann::json rec;
    try {
      rec = nlohmann::json::parse(line);
    } catch (const std::exception& e) {
      return bad(std::string("not JSON: ") + e.what());
    }
    if (const std::string why = check_record_schema(rec); !why.empty()) return bad(why);
    const uint64_t seq = rec["seq"].get<uint64_t>();
    if (seq != r.last_seq + 1)
      return bad("seq " + std::to_string(seq) + " follows " + std::to_string(r.last_seq) +
                 " (a record is missing or out of order)");
    if (rec["prev_hash"] != r.last_hash)
      return bad("prev_hash does not match the previous record's hash (chain broken)");
    const std::string hash = rec["hash"];
    rec.erase("hash");
    if (sha256_hex(rec.dump()) != hash)
      return bad("hash does not match the record's content (record altered)");
    r.last_hash = hash;
    r.last_seq = seq;
    ++r.records;
  }
  r.ok = true;
  return r;
}

VerifyResult verify_audit_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    VerifyResult r;
    r.error = "cannot read " + path + ": " + std::strerror(errno);
    return r;
  }
  return verify_audit_stream(in);
}

namespace {

std::string read_all(int fd) {
  std::string text;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::pread(fd, buf, sizeof buf, static_cast<off_t>(text.size()));
    if (n > 0) {
      text.append(buf, static_cast<size_t>(n));
    } else if (n == 0) {
      return text;
    } else if (errno != EINTR) {
      throw std::runtime_error(std::string("read: ") + std::strerror(errno));
    }
  }
}

}  // namespace

AuditWriter::AuditWriter(const std::string& path, std::string run_id)
    : path_(path),
      run_id_(std::move(run_id)),
      from_control_(std::make_unique<SpscQueue<AuditEvent, kQueue>>()),
      from_api_(std::make_unique<SpscQueue<AuditEvent, kQueue>>()) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) throw std::runtime_error("audit log " + path + ": " + std::strerror(errno));
  // Continue the chain: the last complete line carries the hash and seq to follow.
  const std::string text = read_all(fd_);
  size_t end = text.size();
  if (end > 0 && text[end - 1] != '\n') {
    const size_t keep = text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1;
    if (::ftruncate(fd_, static_cast<off_t>(keep)) != 0)
      throw std::runtime_error("audit log " + path +
                               ": cannot cut torn tail: " + std::strerror(errno));
    AuditEvent cut{"audit.truncated_tail",
                   "appliance",
                   "warning",
                   0,
                   {{"bytes_removed", end - keep}, {"offset", keep}}};
    pending_start_.push_back(cut);
    end = keep;
  }
  if (end > 0) {
    const size_t prev = text.rfind('\n', end - 2);
    const size_t start = prev == std::string::npos ? 0 : prev + 1;
    try {
      const nlohmann::json last = nlohmann::json::parse(text.substr(start, end - 1 - start));
      seq_ = last.at("seq").get<uint64_t>();
      prev_hash_ = last.at("hash").get<std::string>();
    } catch (const std::exception& e) {
      throw std::runtime_error("audit log " + path +
                               ": last record unreadable, the chain cannot be continued (" +
                               e.what() + "); check it with switchyard-audit verify");
    }
  }
  thread_ = std::thread([this] { loop(); });
}

AuditWriter::~AuditWriter() {
  stop();
  if (fd_ >= 0) ::close(fd_);
}

bool AuditWriter::submit_control(AuditEvent e) {
  if (e.time_ns == 0) e.time_ns = utc_now_ns();
  if (!from_control_->try_push(std::move(e))) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  return true;
}

bool AuditWriter::submit_api(AuditEvent e) {
  if (e.time_ns == 0) e.time_ns = utc_now_ns();
  std::unique_lock<std::mutex> lock(api_mu_);
  const bool pushed = from_api_->try_push(std::move(e));
  lock.unlock();
  if (!pushed) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  wake();
  return true;
}

void AuditWriter::wake() { cv_.notify_one(); }

void AuditWriter::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_.store(true);
  }
  cv_.notify_all();
  thread_.join();
}

void AuditWriter::write_one(const AuditEvent& e) {
  const nlohmann::json rec = seal_record(e, seq_ + 1, prev_hash_, run_id_);
  const std::string line = rec.dump() + "\n";
  size_t off = 0;
  while (off < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + off, line.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // A partial line is cut at the next start; the chain stays where it was.
      write_failures_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    off += static_cast<size_t>(n);
  }
  ++seq_;
  prev_hash_ = rec["hash"];
  written_.fetch_add(1, std::memory_order_relaxed);
}

size_t AuditWriter::drain() {
  size_t n = 0;
  for (auto& e : pending_start_) {
    write_one(e);
    ++n;
  }
  pending_start_.clear();
  const uint64_t dropped = dropped_.load(std::memory_order_relaxed);
  if (dropped != dropped_reported_) {
    write_one({"audit.dropped",
               "appliance",
               "critical",
               utc_now_ns(),
               {{"events_dropped", dropped - dropped_reported_}, {"queue", kQueue}}});
    dropped_reported_ = dropped;
    ++n;
  }
  for (auto* q : {from_control_.get(), from_api_.get()})
    while (auto e = q->try_pop()) {
      write_one(*e);
      ++n;
    }
  if (n) ::fdatasync(fd_);
  return n;
}

void AuditWriter::loop() {
  for (;;) {
    const bool stopping = stopping_.load();
    drain();
    if (stopping) break;
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(5), [this] { return stopping_.load(); });
  }
  drain();
}

}  // namespace sy::control
