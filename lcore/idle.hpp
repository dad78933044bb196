// What an lcore does when a poll finds no work.
//
// spin: poll again at once (bare metal, one lcore per isolated core). pause: rte_pause between
// polls, which yields pipeline resources to a hyper-thread sibling. sleep: after `spins` empty
// polls, sleep with exponential back-off up to `sleep_us`, so lcores sharing a CPU stay
// responsive (dev profiles); the first packet resets it.
#pragma once

#include <rte_cycles.h>
#include <rte_pause.h>

#include <algorithm>
#include <cstdint>

#include "conf/config.hpp"

namespace sy {

class IdlePolicy {
 public:
  explicit IdlePolicy(const conf::LcoreConfig& cfg)
      : policy_(cfg.idle), spins_(cfg.idle_spins), max_sleep_us_(cfg.idle_sleep_us) {}

  void work_done(uint32_t work) {
    if (work != 0) {
      empty_ = 0;
      sleep_us_ = 1;
      return;
    }
    switch (policy_) {
      case conf::IdlePolicy::spin:
        return;
      case conf::IdlePolicy::pause:
        rte_pause();
        return;
      case conf::IdlePolicy::sleep:
        if (++empty_ <= spins_) {
          rte_pause();
          return;
        }
        rte_delay_us_sleep(sleep_us_);
        sleep_us_ = std::min(sleep_us_ * 2, max_sleep_us_);
        return;
    }
  }

 private:
  conf::IdlePolicy policy_;
  uint32_t spins_;
  uint32_t max_sleep_us_;
  uint32_t empty_ = 0;
  uint32_t sleep_us_ = 1;
};

}  // namespace sy
