#include "lcore/integrity/message_path.hpp"

namespace sy::integrity {

ArbiterConfig arbiter_config(const conf::FeedConfig& cfg) {
  const conf::FeedIntegrityConfig& g = cfg.integrity;
  ArbiterConfig a;
  a.window_ns = uint64_t{g.window_us} * 1000;
  a.retry_interval_ns = uint64_t{g.rerequest_interval_ms} * 1'000'000;
  a.max_retries = g.rerequest_retries;
  a.lost_after_ns = uint64_t{g.lost_after_ms} * 1'000'000;
  a.min_request_gap_ns = uint64_t{g.rerequest_min_gap_us} * 1000;
  a.max_request_messages = g.rerequest_max_messages;
  a.stale_after_ns = uint64_t{g.stale_after_ms} * 1'000'000;
  a.buffer_slots = g.buffer_messages;
  a.max_gaps = g.max_gaps;
  a.rerequest = cfg.retransmit.has_value();
  return a;
}

}  // namespace sy::integrity
