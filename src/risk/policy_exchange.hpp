// Swapping the risk policy intraday without a lock on the gate's side.
//
// One control thread installs policies; the execution lcore (the only gate) acquires the
// current one once per burst and uses that pointer until its next acquire. Reclamation is an
// epoch scheme with one reader: the gate publishes the version of the policy it acquired; a
// retired policy with version v is freed once that published version is above v, because the
// gate stores a version only after loading a newer pointer, i.e. after its last burst on v ended.
//
//   gate (per burst)                          control
//   p = current.load(acquire)        (G1)    next->version = cur + 1
//   if p->version != seen_local:             current.store(next, release)   (C1)
//     gate_seen.store(p->version, release)   retired.push(old)
//       (G2; every read of the old policy    ... later, reclaim():
//        came before G2 in program order)    if gate_seen.load(acquire) > old.version  (C2)
//                                              delete old
//
// C2 reading G2's value makes the gate's reads of the old policy happen-before the delete. G1
// synchronizes with C1, so the gate sees the new policy fully built. The gate never loads a
// retired pointer after storing a larger version, since `current` only moves forward.
#pragma once

#include <atomic>
#include <cassert>
#include <cstdint>
#include <memory>
#include <vector>

#include "src/risk/policy.hpp"

namespace sy::risk {

class PolicyExchange {
 public:
  explicit PolicyExchange(std::unique_ptr<Policy> initial) : latest_(std::move(initial)) {
    assert(latest_);
    latest_->version_ = 1;
    current_.store(latest_.get(), std::memory_order_release);
  }

  PolicyExchange(const PolicyExchange&) = delete;
  PolicyExchange& operator=(const PolicyExchange&) = delete;

  // --- control thread ----------------------------------------------------------------------

  // Publishes `next` (already validated) and returns the audit diff from the previous policy.
  // The previous policy stays alive until the gate has moved past it (reclaim()).
  std::vector<std::string> install(std::unique_ptr<Policy> next) {
    assert(next);
    std::vector<std::string> diff = policy_diff(*latest_, *next);
    next->version_ = latest_->version_ + 1;
    current_.store(next.get(), std::memory_order_release);
    retired_.push_back(std::move(latest_));
    latest_ = std::move(next);
    reclaim();
    return diff;
  }

  // Frees the retired policies the gate no longer uses; returns how many are still waiting.
  size_t reclaim() {
    const uint64_t seen = gate_seen_.load(std::memory_order_acquire);
    std::erase_if(retired_, [&](const std::unique_ptr<Policy>& p) { return p->version_ < seen; });
    return retired_.size();
  }

  // The newest installed policy (control thread only: it owns the lifetime).
  const Policy& latest() const { return *latest_; }

  // --- gate (one thread) -------------------------------------------------------------------

  // Once per burst. Two loads when nothing changed; one store when the policy did.
  const Policy* acquire() {
    const Policy* p = current_.load(std::memory_order_acquire);
    if (p->version_ != gate_local_) {
      gate_local_ = p->version_;
      gate_seen_.store(gate_local_, std::memory_order_release);
    }
    return p;
  }

  uint64_t gate_version() const { return gate_seen_.load(std::memory_order_acquire); }

 private:
  alignas(64) std::atomic<const Policy*> current_{nullptr};
  alignas(64) std::atomic<uint64_t> gate_seen_{0};
  uint64_t gate_local_ = 0;  // gate thread's copy of gate_seen_
  alignas(64) std::unique_ptr<Policy> latest_;
  std::vector<std::unique_ptr<Policy>> retired_;
};

}  // namespace sy::risk
