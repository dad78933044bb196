#include "src/ops/notifier.hpp"

#include <systemd/sd-daemon.h>

#include <cassert>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <utility>

namespace sy::ops {

Notifier::Notifier(const ServiceStatus& status, NotifierOptions options, Send send)
    : status_(status), options_(std::move(options)), send_(std::move(send)) {
  assert(send_);
  // systemd's advice: ping at half the interval, so one late ping is not yet a timeout.
  ping_interval_ = std::chrono::microseconds(options_.watchdog_usec / 2);
}

int Notifier::send_with_sd_notify(const std::string& message) {
  return sd_notify(0, message.c_str());
}

bool Notifier::manager_listening() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  return socket != nullptr && socket[0] != '\0';
}

uint64_t Notifier::watchdog_usec_from_env() {
  uint64_t usec = 0;
  // > 0: $WATCHDOG_USEC is set and $WATCHDOG_PID (when given) is this process.
  return sd_watchdog_enabled(0, &usec) > 0 ? usec : 0;
}

void Notifier::send(const std::string& message, uint64_t NotifierCounts::*counter) {
  const int r = send_(message);
  std::lock_guard<std::mutex> lock(mu_);
  if (r > 0) {
    ++(counts_.*counter);
    return;
  }
  // 0 means $NOTIFY_SOCKET vanished or was never set; either way nothing reached the manager.
  if (counts_.send_errors++ == 0)
    std::cerr << "switchyard: service notification failed: "
              << (r < 0 ? std::strerror(-r) : "NOTIFY_SOCKET is not set") << "\n";
}

void Notifier::set_status(const std::string& text) {
  if (text == last_status_) return;
  last_status_ = text;
  send("STATUS=" + text, &NotifierCounts::status);
}

std::string Notifier::lcore_name(int32_t index) const {
  if (index >= 0 && static_cast<size_t>(index) < options_.lcore_names.size())
    return "lcore " + options_.lcore_names[static_cast<size_t>(index)];
  return "lcore #" + std::to_string(index);
}

std::string Notifier::waiting_reason() const {
  const int32_t lcore = status_.unreported_lcore();
  if (lcore != ServiceStatus::kNone)
    return "starting: waiting for " + lcore_name(lcore) + " to run";
  const int32_t port = status_.port_down();
  if (port >= 0 && static_cast<size_t>(port) < options_.port_names.size())
    return "starting: waiting for the link of port " +
           options_.port_names[static_cast<size_t>(port)];
  return "starting";
}

std::string Notifier::withheld_reason(const ServiceStatus::Verdict& v) const {
  if (v.seq == 0) return "no liveness verdict from the control lcore yet";
  if (v.seq == last_ping_seq_) return "the control lcore has made no verdict since the last ping";
  return lcore_name(status_.stale_lcore()) + ": heartbeat older than " +
         std::to_string(options_.heartbeat_timeout_ms) + " ms";
}

void Notifier::step_watchdog(Clock::time_point now) {
  // systemd arms the watchdog once start-up is complete (READY=1); before that a start that
  // hangs is caught by the unit's TimeoutStartSec, and the STATUS line says what it waits for.
  if (options_.watchdog_usec == 0 || !ready_sent_ || now < next_ping_) return;
  const ServiceStatus::Verdict v = status_.verdict();
  if (v.all_alive && v.seq != last_ping_seq_) {
    send("WATCHDOG=1", &NotifierCounts::watchdog);
    last_ping_seq_ = v.seq;
    next_ping_ = now + ping_interval_;
    if (withholding_) {
      withholding_ = false;
      std::cerr << "switchyard: watchdog: every lcore alive again, pings resumed\n";
      set_status("running");
    }
    return;
  }
  // Due but not deserved: retry at the next step, so a recovery is announced without delay.
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++counts_.withheld;
  }
  if (!withholding_) {
    withholding_ = true;
    const std::string why = withheld_reason(v);
    std::cerr << "switchyard: watchdog: ping withheld: " << why << "\n";
    set_status("watchdog withheld: " + why);
  }
}

void Notifier::step(Clock::time_point now) {
  if (stopping_sent_) return;  // nothing follows STOPPING=1
  if (status_.stopping()) {
    stopping_sent_ = true;
    // The drain may take up to drain_timeout_ms, then the summary and reports are written.
    const uint64_t extend_us = uint64_t{options_.drain_timeout_ms} * 1000 + kExitWorkAllowanceUs;
    send("STOPPING=1\nSTATUS=stopping: draining (up to " +
             std::to_string(options_.drain_timeout_ms) +
             " ms)\nEXTEND_TIMEOUT_USEC=" + std::to_string(extend_us),
         &NotifierCounts::stopping);
    return;
  }
  if (!ready_sent_ && status_.ready()) {
    ready_sent_ = true;
    last_status_ = "running";
    send("READY=1\nSTATUS=running", &NotifierCounts::ready);
    std::cerr << "switchyard: ready: ports up, every lcore running\n";
  } else if (!ready_sent_ && !withholding_) {
    set_status(waiting_reason());
  }
  step_watchdog(now);
}

void Notifier::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_requested_) {
    lock.unlock();
    step(Clock::now());
    lock.lock();
    cv_.wait_for(lock, options_.poll, [this] { return stop_requested_; });
  }
  lock.unlock();
  step(Clock::now());
}

void Notifier::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_requested_ = true;
  }
  cv_.notify_all();
}

NotifierCounts Notifier::counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

}  // namespace sy::ops
