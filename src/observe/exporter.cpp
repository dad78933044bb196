#include "src/observe/exporter.hpp"

#include <httplib.h>

#include <algorithm>
#include <cstdio>
#include <regex>

#include "src/observe/collect.hpp"
#include "src/observe/otlp_encode.hpp"

namespace sy::observe {

bool parse_endpoint(const std::string& url, Endpoint& out) {
  static const std::regex re(R"(http://([^/:\s]+)(?::(\d{1,5}))?(/\S*)?)");
  std::smatch m;
  if (!std::regex_match(url, m, re)) return false;
  out.host = m[1];
  out.port = m[2].matched ? std::stoi(m[2]) : 80;
  if (out.port < 1 || out.port > 65535) return false;
  out.path = m[3].matched && m[3].length() > 0 ? std::string(m[3]) : "/v1/metrics";
  return true;
}

namespace {

// OTLP/HTTP: these statuses may succeed later; other 4xx/5xx will not.
bool retryable(int status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

}  // namespace

OtlpExporter::OtlpExporter(Runtime& rt) : rt_(rt), cfg_(rt.cfg->observe.otlp) {
  if (cfg_.endpoint.empty()) return;
  if (!parse_endpoint(cfg_.endpoint, endpoint_)) {
    // The config loader checked the form; a port beyond 65535 is all that is left.
    std::fprintf(stderr, "switchyard: otlp: bad endpoint %s: export off\n", cfg_.endpoint.c_str());
    return;
  }
  resource_ = resource_attributes(*rt.cfg);
  start_ns_ = rt.utc_base_ns ? rt.utc_base_ns : wall_clock_ns();
  // The exporter's own latency is a real histogram through the same path as the stages'.
  rt.latency.add("switchyard.otlp.export.duration", "Time to collect, encode and send one export.",
                 {}, &duration_);
  thread_ = std::thread([this] { loop(); });
}

OtlpExporter::~OtlpExporter() {
  stop();
  rt_.latency.remove(&duration_);
}

void OtlpExporter::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (!thread_.joinable()) return;
  thread_.join();
  stopped_ = true;
  const ExportCounters& c = counters_;
  if (c.failed_attempts.load() || c.dropped())
    std::fprintf(
        stderr,
        "switchyard: otlp: %lu of %lu exports sent to %s; %lu failed attempts, %lu "
        "exports dropped (queue full %lu, retries exhausted %lu, rejected %lu), last "
        "status %d\n",
        static_cast<unsigned long>(c.sent.load()), static_cast<unsigned long>(c.exports.load()),
        cfg_.endpoint.c_str(), static_cast<unsigned long>(c.failed_attempts.load()),
        static_cast<unsigned long>(c.dropped()), static_cast<unsigned long>(c.dropped_queue.load()),
        static_cast<unsigned long>(c.dropped_retries.load()),
        static_cast<unsigned long>(c.dropped_rejected.load()), c.last_status.load());
}

void OtlpExporter::enqueue_export() {
  const CollectContext ctx{resource_, start_ns_, &counters_};
  const MetricSet set = collect_metrics(rt_, ctx);
  Pending p;
  p.body = cfg_.encoding == conf::OtlpEncoding::json ? encode_json(set) : encode_protobuf(set);
  p.not_before = std::chrono::steady_clock::now();
  // Values are cumulative: the newest export supersedes the older ones, so drop the oldest.
  if (queue_.size() >= cfg_.queue) {
    queue_.pop_front();
    counters_.dropped_queue.fetch_add(1);
  }
  queue_.push_back(std::move(p));
  counters_.exports.fetch_add(1);
}

bool OtlpExporter::attempt(Pending& p) {
  const auto t0 = std::chrono::steady_clock::now();
  httplib::Client cli(endpoint_.host, endpoint_.port);
  const auto timeout = std::chrono::milliseconds(cfg_.timeout_ms);
  cli.set_connection_timeout(timeout);
  cli.set_read_timeout(timeout);
  cli.set_write_timeout(timeout);
  cli.set_keep_alive(false);
  const char* type =
      cfg_.encoding == conf::OtlpEncoding::json ? kContentTypeJson : kContentTypeProtobuf;
  const httplib::Result res = cli.Post(endpoint_.path, p.body, type);
  ++p.attempts;
  const int status = res ? res->status : -1;
  counters_.last_status.store(status);
  if (status >= 200 && status < 300) {
    counters_.sent.fetch_add(1);
    if (!res->body.empty()) counters_.partial_success.fetch_add(1);
    const auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0);
    duration_.record(static_cast<uint64_t>(ns.count()));
    return true;
  }
  counters_.failed_attempts.fetch_add(1);
  if (status != -1 && !retryable(status)) {
    counters_.dropped_rejected.fetch_add(1);
    return true;
  }
  if (p.attempts > cfg_.retries) {
    counters_.dropped_retries.fetch_add(1);
    return true;
  }
  const uint64_t backoff =
      std::min<uint64_t>(uint64_t{cfg_.backoff_ms} << (p.attempts - 1), cfg_.interval_ms);
  p.not_before = std::chrono::steady_clock::now() + std::chrono::milliseconds(backoff);
  return false;
}

void OtlpExporter::loop() {
  using clock = std::chrono::steady_clock;
  const auto interval = std::chrono::milliseconds(cfg_.interval_ms);
  auto next_export = clock::now() + interval;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    auto wake = next_export;
    if (!queue_.empty()) wake = std::min(wake, queue_.front().not_before);
    cv_.wait_until(lock, wake, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();  // stop() may run while a POST waits on the network
    const auto now = clock::now();
    if (now >= next_export) {
      enqueue_export();
      next_export = now + interval;
    }
    if (!queue_.empty() && queue_.front().not_before <= clock::now() && attempt(queue_.front()))
      queue_.pop_front();
    lock.lock();
  }
  lock.unlock();
  // The final values, once: stale queued exports are superseded by it.
  while (!queue_.empty()) {
    queue_.pop_front();
    counters_.dropped_queue.fetch_add(1);
  }
  enqueue_export();
  queue_.front().attempts = cfg_.retries;  // a single attempt: shutdown waits on no backoff
  attempt(queue_.front());                 // done with it either way: sent or counted
  queue_.pop_front();
}

}  // namespace sy::observe
