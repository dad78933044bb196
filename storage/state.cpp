#include "storage/state.hpp"

namespace sy::storage {

namespace {
constexpr size_t kMaxEvents = 1024;  // the rest are counted
}

void StorageState::add_event(uint64_t time_ns, std::string kind, std::string detail) {
  std::lock_guard<std::mutex> lock(events_mu_);
  if (events_.size() >= kMaxEvents) {
    ++events_unlisted_;
    return;
  }
  events_.push_back({time_ns, std::move(kind), std::move(detail)});
}

std::vector<StoreEvent> StorageState::events_copy() const {
  std::lock_guard<std::mutex> lock(events_mu_);
  return events_;
}

uint64_t StorageState::events_unlisted() const {
  std::lock_guard<std::mutex> lock(events_mu_);
  return events_unlisted_;
}

}  // namespace sy::storage
