// The notifier on a DPDK control thread: a non-EAL thread whose CPU affinity is the process's
// original set minus every lcore's CPU (DPDK's control-thread set), so it stays off the isolated
// cores even though it is started by the main lcore. Does nothing unless a service manager
// listens ($NOTIFY_SOCKET).
#pragma once

#include <pthread.h>

#include <memory>

#include "lcore/runtime.hpp"
#include "src/ops/notifier.hpp"

namespace sy::ops {

class NotifierThread {
 public:
  explicit NotifierThread(const Runtime& rt);
  ~NotifierThread();
  NotifierThread(const NotifierThread&) = delete;
  NotifierThread& operator=(const NotifierThread&) = delete;

  // Sends what is still due (STOPPING=1 right after the stop decision) and joins the thread.
  void stop();

 private:
  std::unique_ptr<Notifier> notifier_;
  pthread_t thread_{};
  bool running_ = false;
};

}  // namespace sy::ops
