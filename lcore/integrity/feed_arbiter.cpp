#include "lcore/integrity/feed_arbiter.hpp"

namespace sy::integrity {

const char* to_string(Line l) {
  switch (l) {
    case Line::a:
      return "A";
    case Line::b:
      return "B";
    case Line::retransmit:
      return "retransmit";
  }
  return "?";
}

const char* to_string(FeedState s) {
  switch (s) {
    case FeedState::unknown:
      return "unknown";
    case FeedState::healthy:
      return "healthy";
    case FeedState::ended:
      return "ended";
  }
  return "?";
}

const char* to_string(EventKind k) {
  switch (k) {
    case EventKind::session_start:
      return "session_start";
    case EventKind::session_change:
      return "session_change";
    case EventKind::end_of_session:
      return "end_of_session";
    case EventKind::gap_detected:
      return "gap_detected";
    case EventKind::rerequest_sent:
      return "rerequest_sent";
    case EventKind::gap_recovered:
      return "gap_recovered";
    case EventKind::range_lost:
      return "range_lost";
    case EventKind::stale:
      return "stale";
    case EventKind::live_again:
      return "live_again";
    case EventKind::ooo_overflow:
      return "ooo_overflow";
  }
  return "?";
}

}  // namespace sy::integrity
