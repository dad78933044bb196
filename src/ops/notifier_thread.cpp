#include "src/ops/notifier_thread.hpp"

#include <rte_lcore.h>

#include <cstring>
#include <iostream>

namespace sy::ops {

namespace {

void* notifier_main(void* arg) {
  static_cast<Notifier*>(arg)->run();
  return nullptr;
}

NotifierOptions options_of(const Runtime& rt) {
  NotifierOptions o;
  for (const LcoreRuntime& lc : rt.lcores)
    o.lcore_names.push_back(std::to_string(lc.cfg->id) + " (" + conf::to_string(lc.cfg->role) +
                            ")");
  for (const auto& port : rt.ports) o.port_names.push_back(port->cfg->name);
  o.watchdog_usec = Notifier::watchdog_usec_from_env();
  o.drain_timeout_ms = rt.cfg->run.drain_timeout_ms;
  o.heartbeat_timeout_ms = rt.cfg->service.heartbeat_timeout_ms;
  return o;
}

}  // namespace

NotifierThread::NotifierThread(const Runtime& rt) {
  if (!Notifier::manager_listening()) return;
  NotifierOptions options = options_of(rt);
  if (options.watchdog_usec)
    std::cerr << "switchyard: watchdog: pinging every " << options.watchdog_usec / 2000
              << " ms while every lcore is alive\n";
  notifier_ = std::make_unique<Notifier>(rt.service, std::move(options));
  const int r =
      rte_ctrl_thread_create(&thread_, "sy-notify", nullptr, notifier_main, notifier_.get());
  if (r != 0) {
    // Without the thread the service manager never hears READY=1 and fails the start on its
    // timeout: say why here.
    std::cerr << "switchyard: cannot start the service notifier thread: " << std::strerror(r)
              << "\n";
    notifier_.reset();
    return;
  }
  running_ = true;
}

void NotifierThread::stop() {
  if (!running_) return;
  notifier_->stop();
  pthread_join(thread_, nullptr);
  running_ = false;
  const NotifierCounts c = notifier_->counts();
  if (c.send_errors || c.withheld)
    std::cerr << "switchyard: service notifications: " << c.watchdog << " watchdog pings, "
              << c.withheld << " withheld, " << c.send_errors << " failed\n";
}

NotifierThread::~NotifierThread() { stop(); }

}  // namespace sy::ops
