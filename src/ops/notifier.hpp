// sd_notify for the service manager: READY=1 once the control lcore declares the appliance
// ready, WATCHDOG=1 every half watchdog interval while its latest verdict says every lcore is
// alive, STOPPING=1 (with the time the drain may take) once it decides to stop, and STATUS=
// lines that say why it is waiting or withholding. Runs on a non-EAL thread; the socket work,
// strings and logging never touch an lcore. DPDK-free, so tests drive it step by step.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "src/ops/service_status.hpp"

namespace sy::ops {

struct NotifierOptions {
  std::vector<std::string> lcore_names;  // by ServiceStatus lcore index, e.g. "2 (integrity)"
  std::vector<std::string> port_names;   // by ServiceStatus port index
  uint64_t watchdog_usec = 0;            // $WATCHDOG_USEC as systemd passed it; 0: no watchdog
  uint32_t drain_timeout_ms = 0;         // run.drain_timeout_ms, announced with STOPPING=1
  uint32_t heartbeat_timeout_ms = 0;     // service.heartbeat_timeout_ms, for the STATUS text
  std::chrono::milliseconds poll{10};    // how often run() looks at the status
};

// What the notifier did, for its log line at exit and for tests.
struct NotifierCounts {
  uint64_t ready = 0;
  uint64_t watchdog = 0;
  uint64_t withheld = 0;  // watchdog pings that were due but not sent
  uint64_t stopping = 0;
  uint64_t status = 0;
  uint64_t send_errors = 0;
};

// Time after the drain allowed for writing the summary and the final reports, announced to the
// service manager with STOPPING=1 (EXTEND_TIMEOUT_USEC).
inline constexpr uint64_t kExitWorkAllowanceUs = 10'000'000;

class Notifier {
 public:
  using Clock = std::chrono::steady_clock;
  // Sends one notification; returns what sd_notify(3) returns (> 0 sent, 0 no socket, < 0 -errno).
  using Send = std::function<int(const std::string&)>;

  Notifier(const ServiceStatus& status, NotifierOptions options, Send send = send_with_sd_notify);

  // Looks at the status once and sends what is due at `now`.
  void step(Clock::time_point now);
  // Steps every options.poll until stop(); the last step sends whatever is still due
  // (STOPPING=1 when the stop decision came just before).
  void run();
  void stop();

  NotifierCounts counts() const;

  static int send_with_sd_notify(const std::string& message);
  // $NOTIFY_SOCKET is set: a service manager listens.
  static bool manager_listening();
  // $WATCHDOG_USEC when the watchdog is meant for this process (sd_watchdog_enabled(3)), else 0.
  static uint64_t watchdog_usec_from_env();

 private:
  void send(const std::string& message, uint64_t NotifierCounts::*counter);
  void set_status(const std::string& text);
  void step_watchdog(Clock::time_point now);
  std::string waiting_reason() const;
  std::string withheld_reason(const ServiceStatus::Verdict& v) const;
  std::string lcore_name(int32_t index) const;

  const ServiceStatus& status_;
  NotifierOptions options_;
  Send send_;
  Clock::duration ping_interval_{};

  bool ready_sent_ = false;
  bool stopping_sent_ = false;
  bool withholding_ = false;
  uint64_t last_ping_seq_ = 0;
  Clock::time_point next_ping_{};
  std::string last_status_;

  mutable std::mutex mu_;  // guards counts_ and stop_requested_ (run() vs stop()/counts())
  std::condition_variable cv_;
  bool stop_requested_ = false;
  NotifierCounts counts_;
};

}  // namespace sy::ops
