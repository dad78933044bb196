// The notifier on its own: what it sends for each state the control lcore publishes, driven
// step by step on a synthetic clock, and once through a real datagram socket with sd_notify.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "src/ops/notifier.hpp"

namespace sy::ops {
namespace {

using namespace std::chrono_literals;
using Clock = Notifier::Clock;

class NotifierTest : public ::testing::Test {
 protected:
  NotifierOptions options(uint64_t watchdog_usec = 100'000) {
    NotifierOptions o;
    o.lcore_names = {"0 (control)", "1 (rx)", "2 (integrity)"};
    o.port_names = {"wire0"};
    o.watchdog_usec = watchdog_usec;
    o.drain_timeout_ms = 5000;
    o.heartbeat_timeout_ms = 1000;
    return o;
  }
  Notifier make(NotifierOptions o) {
    return Notifier(status, std::move(o), [this](const std::string& m) {
      sent.push_back(m);
      return 1;
    });
  }
  size_t count(const std::string& prefix) const {
    size_t n = 0;
    for (const auto& m : sent) n += m.rfind(prefix, 0) == 0;
    return n;
  }

  ServiceStatus status;
  std::vector<std::string> sent;
  Clock::time_point t0 = Clock::now();
};

TEST(Heartbeat, AliveOnlyWhenStampedAndRecent) {
  EXPECT_FALSE(heartbeat_alive(0, 1000, 100));  // never ran
  EXPECT_TRUE(heartbeat_alive(950, 1000, 100));
  EXPECT_TRUE(heartbeat_alive(900, 1000, 100));
  EXPECT_FALSE(heartbeat_alive(899, 1000, 100));
  EXPECT_TRUE(heartbeat_alive(1005, 1000, 100));  // another core's TSC slightly ahead
}

TEST_F(NotifierTest, ReadyOnlyOnceTheControlLcoreSaysSoAndOnlyOnce) {
  Notifier n = make(options(0));
  status.publish_waiting(2, ServiceStatus::kNone);
  n.step(t0);
  status.publish_waiting(ServiceStatus::kNone, 0);
  n.step(t0 + 10ms);
  n.step(t0 + 20ms);  // same reason: not repeated
  EXPECT_EQ(count("READY=1"), 0u);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0], "STATUS=starting: waiting for lcore 2 (integrity) to run");
  EXPECT_EQ(sent[1], "STATUS=starting: waiting for the link of port wire0");

  status.publish_ready();
  n.step(t0 + 30ms);
  n.step(t0 + 40ms);
  EXPECT_EQ(count("READY=1"), 1u);
  EXPECT_EQ(sent.back(), "READY=1\nSTATUS=running");
  EXPECT_EQ(n.counts().ready, 1u);
}

TEST_F(NotifierTest, WatchdogPingsAtHalfTheIntervalWhileVerdictsAreFreshAndAlive) {
  Notifier n = make(options(100'000));  // 100 ms: a ping every 50 ms
  status.publish_ready();
  for (int ms = 0; ms <= 1000; ms += 5) {
    status.publish_verdict(true, ServiceStatus::kNone);
    n.step(t0 + std::chrono::milliseconds(ms));
  }
  // Pings at 0, 50, ..., 1000 ms.
  EXPECT_EQ(count("WATCHDOG=1"), 21u);
  EXPECT_EQ(n.counts().withheld, 0u);
}

TEST_F(NotifierTest, WatchdogWithheldWhileAnLcoreIsStaleAndResumedAfter) {
  Notifier n = make(options(100'000));
  status.publish_ready();
  status.publish_verdict(true, ServiceStatus::kNone);
  n.step(t0);
  ASSERT_EQ(count("WATCHDOG=1"), 1u);
  for (int ms = 5; ms <= 500; ms += 5) {
    status.publish_verdict(false, 2);
    n.step(t0 + std::chrono::milliseconds(ms));
  }
  EXPECT_EQ(count("WATCHDOG=1"), 1u);
  EXPECT_GT(n.counts().withheld, 0u);
  EXPECT_EQ(count("STATUS=watchdog withheld: lcore 2 (integrity): heartbeat older than 1000 ms"),
            1u);
  status.publish_verdict(true, ServiceStatus::kNone);
  n.step(t0 + 505ms);  // due since 50 ms: sent at once
  EXPECT_EQ(count("WATCHDOG=1"), 2u);
  EXPECT_EQ(sent.back(), "STATUS=running");
}

TEST_F(NotifierTest, WatchdogWithheldWhenTheControlLcoreStopsJudging) {
  // The last verdict said alive, but no new verdict came: the control lcore itself is stuck.
  Notifier n = make(options(100'000));
  status.publish_ready();
  status.publish_verdict(true, ServiceStatus::kNone);
  n.step(t0);
  for (int ms = 5; ms <= 300; ms += 5) n.step(t0 + std::chrono::milliseconds(ms));
  EXPECT_EQ(count("WATCHDOG=1"), 1u);
  EXPECT_EQ(count("STATUS=watchdog withheld: the control lcore has made no verdict"), 1u);
}

TEST_F(NotifierTest, NoPingBeforeReady) {
  // systemd arms the watchdog at READY=1; before it, only the STATUS line speaks.
  Notifier n = make(options(100'000));
  status.publish_waiting(ServiceStatus::kNone, 0);
  for (int ms = 0; ms <= 300; ms += 5) {
    status.publish_verdict(true, ServiceStatus::kNone);
    n.step(t0 + std::chrono::milliseconds(ms));
  }
  EXPECT_EQ(count("WATCHDOG=1"), 0u);
  EXPECT_EQ(n.counts().withheld, 0u);
  status.publish_ready();
  n.step(t0 + 305ms);
  EXPECT_EQ(count("WATCHDOG=1"), 1u);
}

TEST_F(NotifierTest, NoVerdictYetMeansNoPing) {
  Notifier n = make(options(100'000));
  status.publish_ready();
  for (int ms = 0; ms <= 300; ms += 5) n.step(t0 + std::chrono::milliseconds(ms));
  EXPECT_EQ(count("WATCHDOG=1"), 0u);
  EXPECT_EQ(count("STATUS=watchdog withheld: no liveness verdict"), 1u);
}

TEST_F(NotifierTest, NoWatchdogConfiguredMeansNoPing) {
  Notifier n = make(options(0));
  status.publish_ready();
  for (int ms = 0; ms <= 300; ms += 5) {
    status.publish_verdict(true, ServiceStatus::kNone);
    n.step(t0 + std::chrono::milliseconds(ms));
  }
  EXPECT_EQ(count("WATCHDOG=1"), 0u);
  EXPECT_EQ(n.counts().withheld, 0u);
}

TEST_F(NotifierTest, StoppingOnceWithTheDrainTimeAndNothingAfter) {
  Notifier n = make(options(100'000));
  status.publish_ready();
  status.publish_verdict(true, ServiceStatus::kNone);
  n.step(t0);
  status.publish_stopping();
  n.step(t0 + 100ms);
  const size_t after_stop = sent.size();
  for (int ms = 105; ms <= 500; ms += 5) {
    status.publish_verdict(true, ServiceStatus::kNone);
    n.step(t0 + std::chrono::milliseconds(ms));
  }
  EXPECT_EQ(sent.size(), after_stop);
  EXPECT_EQ(count("STOPPING=1"), 1u);
  EXPECT_EQ(sent.back(),
            "STOPPING=1\nSTATUS=stopping: draining (up to 5000 ms)\nEXTEND_TIMEOUT_USEC=15000000");
}

TEST_F(NotifierTest, StopSendsStoppingThatWasDecidedJustBefore) {
  NotifierOptions o = options(0);
  o.poll = 1h;  // run() would not look again by itself
  Notifier n = make(o);
  std::thread t([&] { n.run(); });
  std::this_thread::sleep_for(50ms);
  status.publish_stopping();
  n.stop();
  t.join();
  EXPECT_EQ(count("STOPPING=1"), 1u);
}

TEST_F(NotifierTest, SendFailuresAreCountedNotFatal) {
  Notifier n(status, options(0), [](const std::string&) { return -ECONNREFUSED; });
  status.publish_ready();
  n.step(t0);
  status.publish_stopping();
  n.step(t0 + 1ms);
  EXPECT_EQ(n.counts().send_errors, 2u);
  EXPECT_EQ(n.counts().ready, 0u);
}

// The real transport: sd_notify(3) to a datagram socket named by $NOTIFY_SOCKET.
TEST(NotifierSocket, SdNotifyReachesTheSocketAndTheWatchdogEnvIsRead) {
  const std::filesystem::path path = std::filesystem::temp_directory_path() /
                                     ("sy_ops_notify_" + std::to_string(getpid()) + ".sock");
  std::filesystem::remove(path);
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

  unsetenv("NOTIFY_SOCKET");
  EXPECT_FALSE(Notifier::manager_listening());
  EXPECT_EQ(Notifier::send_with_sd_notify("READY=1"), 0);  // nobody listens: nothing sent
  setenv("NOTIFY_SOCKET", path.c_str(), 1);
  EXPECT_TRUE(Notifier::manager_listening());
  EXPECT_GT(Notifier::send_with_sd_notify("READY=1\nSTATUS=running"), 0);
  char buf[256];
  const ssize_t n = recv(fd, buf, sizeof buf, 0);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), "READY=1\nSTATUS=running");

  setenv("WATCHDOG_USEC", "200000", 1);
  unsetenv("WATCHDOG_PID");
  EXPECT_EQ(Notifier::watchdog_usec_from_env(), 200000u);
  setenv("WATCHDOG_PID", std::to_string(getpid() + 1).c_str(), 1);  // meant for another process
  EXPECT_EQ(Notifier::watchdog_usec_from_env(), 0u);
  unsetenv("WATCHDOG_USEC");
  unsetenv("WATCHDOG_PID");
  EXPECT_EQ(Notifier::watchdog_usec_from_env(), 0u);
  unsetenv("NOTIFY_SOCKET");
  close(fd);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace sy::ops
