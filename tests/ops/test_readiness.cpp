// The appliance under a service manager's eyes: a datagram socket stands in for systemd's
// $NOTIFY_SOCKET, and the test checks what arrives and when: READY=1 only once the ports are up
// (a memif port whose peer connects late), WATCHDOG=1 while every lcore runs and not while one
// is frozen, STOPPING=1 on SIGTERM, and the exit codes of a clean stop, a drain timeout and a
// second SIGTERM. An lcore is frozen for real: the test stops that one thread with ptrace.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/harness.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

using namespace sy::testing;

// What the service manager would have received, with arrival times.
class NotifyListener {
 public:
  struct Message {
    Clock::time_point at;
    std::string text;
  };

  explicit NotifyListener(const fs::path& path) : path_(path) {
    fs::remove(path);
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    EXPECT_LT(path.string().size(), sizeof addr.sun_path) << path;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << path;
    timeval tv{0, 50'000};  // lets the reader notice the end of the test
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    reader_ = std::thread([this] { read_loop(); });
  }
  ~NotifyListener() {
    done_ = true;
    reader_.join();
    close(fd_);
    fs::remove(path_);
  }

  std::vector<Message> messages() const {
    std::lock_guard<std::mutex> lock(mu_);
    return messages_;
  }
  // Messages that start with `prefix`, optionally only those after `since`.
  size_t count(const std::string& prefix, Clock::time_point since = {}) const {
    size_t n = 0;
    for (const auto& m : messages()) n += m.at >= since && m.text.rfind(prefix, 0) == 0;
    return n;
  }
  // Waits for the first message starting with `prefix`; its arrival time, or nullopt.
  std::optional<Clock::time_point> wait_for(const std::string& prefix,
                                            std::chrono::milliseconds limit) const {
    const auto end = Clock::now() + limit;
    do {
      for (const auto& m : messages())
        if (m.text.rfind(prefix, 0) == 0) return m.at;
      std::this_thread::sleep_for(10ms);
    } while (Clock::now() < end);
    return std::nullopt;
  }
  std::string dump() const {
    std::string s;
    for (const auto& m : messages()) s += "  " + m.text + "\n";
    return s;
  }

 private:
  void read_loop() {
    char buf[4096];
    while (!done_) {
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) continue;
      std::lock_guard<std::mutex> lock(mu_);
      messages_.push_back({Clock::now(), std::string(buf, static_cast<size_t>(n))});
    }
  }

  fs::path path_;
  int fd_ = -1;
  std::atomic<bool> done_{false};
  std::thread reader_;
  mutable std::mutex mu_;
  std::vector<Message> messages_;
};

// Stops one thread of another process (and only that thread) until thaw(): the lcore it runs
// stops publishing its heartbeat, exactly as a hung lcore would.
class FrozenThread {
 public:
  explicit FrozenThread(pid_t tid) : tid_(tid) {
    if (ptrace(PTRACE_SEIZE, tid, nullptr, nullptr) != 0) {
      ADD_FAILURE() << "ptrace(SEIZE, " << tid << "): " << std::strerror(errno);
      return;
    }
    if (ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr) != 0) {
      ADD_FAILURE() << "ptrace(INTERRUPT): " << std::strerror(errno);
      ptrace(PTRACE_DETACH, tid, nullptr, nullptr);
      return;
    }
    int status = 0;
    EXPECT_EQ(waitpid(tid, &status, __WALL), tid);
    EXPECT_TRUE(WIFSTOPPED(status)) << status;
    frozen_ = true;
  }
  ~FrozenThread() { thaw(); }
  void thaw() {
    if (frozen_) {
      EXPECT_EQ(ptrace(PTRACE_DETACH, tid_, nullptr, nullptr), 0) << std::strerror(errno);
    }
    frozen_ = false;
  }
  bool frozen() const { return frozen_; }

 private:
  pid_t tid_;
  bool frozen_ = false;
};

// The appliance in the background with the service manager's environment.
class Service {
 public:
  Service(const std::vector<std::string>& argv, const fs::path& log, const fs::path& notify_socket,
          uint64_t watchdog_usec)
      : log_(log) {
    pid_ = fork();
    if (pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      setenv("NOTIFY_SOCKET", notify_socket.c_str(), 1);
      if (watchdog_usec) setenv("WATCHDOG_USEC", std::to_string(watchdog_usec).c_str(), 1);
      setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
  }
  ~Service() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  void signal(int sig) { kill(pid_, sig); }
  bool running() {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) != pid_) return true;
    exited_ = true;
    exit_status_ = status;
    pid_ = -1;
    return false;
  }
  // The thread DPDK runs `lcore` on (named rte-worker-<lcore>), or -1.
  pid_t lcore_thread(unsigned lcore) const {
    const std::string want = "rte-worker-" + std::to_string(lcore);
    for (const auto& t : fs::directory_iterator("/proc/" + std::to_string(pid_) + "/task")) {
      std::string comm = slurp(t.path() / "comm");
      while (!comm.empty() && comm.back() == '\n') comm.pop_back();
      if (comm == want) return static_cast<pid_t>(std::stol(t.path().filename().string()));
    }
    return -1;
  }
  Result wait(std::chrono::seconds limit = 30s) {
    const auto end = Clock::now() + limit;
    while (!exited_ && running()) {
      if (Clock::now() > end) {
        ADD_FAILURE() << "the appliance did not exit within " << limit.count() << " s";
        kill(pid_, SIGKILL);
        waitpid(pid_, &exit_status_, 0);
        pid_ = -1;
        exited_ = true;
        break;
      }
      std::this_thread::sleep_for(20ms);
    }
    Result r;
    r.exit_code =
        WIFEXITED(exit_status_) ? WEXITSTATUS(exit_status_) : 128 + WTERMSIG(exit_status_);
    r.out = slurp(log_);
    return r;
  }

 private:
  fs::path log_;
  pid_t pid_ = -1;
  bool exited_ = false;
  int exit_status_ = 0;
};

class Readiness : public ProcessTest {
 protected:
  Readiness() : ProcessTest("sy_ops_") {}

  // The default profile in live mode: a pcap port whose link is up once started.
  std::vector<std::string> live_argv(const std::vector<std::string>& sets = {}) {
    std::vector<std::string> argv = {env("SWITCHYARD_BIN"),
                                     "--config",
                                     profile.string(),
                                     "--set",
                                     "run.mode=live",
                                     "--set",
                                     "eal.file_prefix=sy_ops_" + std::to_string(getpid()),
                                     "--summary-json",
                                     (dir / "summary.json").string()};
    for (const auto& s : sets) argv.insert(argv.end(), {"--set", s});
    return argv;
  }
  json summary() { return json::parse(slurp(dir / "summary.json")); }
  fs::path socket_path() { return dir / "notify.sock"; }

  // The EAL leaves its runtime directory behind (/var/run/dpdk/<file prefix>): remove ours.
  void TearDown() override {
    const std::string pid = std::to_string(getpid());
    for (const char* prefix : {"sy_ops_", "sy_ops_memif_", "sy_ops_peer_"}) {
      std::error_code ec;
      fs::remove_all(fs::path("/var/run/dpdk") / (prefix + pid), ec);
    }
    ProcessTest::TearDown();
  }

  static constexpr unsigned kIntegrityLcore = 2;  // conf/profiles/default.yaml
};

TEST_F(Readiness, ReadyThenWatchdogWhileAliveThenStoppingOnSigtermAndExitZero) {
  NotifyListener manager(socket_path());
  Service sy(live_argv(), dir / "switchyard.log", socket_path(), 200'000);
  const auto ready = manager.wait_for("READY=1", 60s);
  ASSERT_TRUE(ready) << manager.dump() << slurp(dir / "switchyard.log");
  std::this_thread::sleep_for(1500ms);
  // A ping every 100 ms (half of WATCHDOG_USEC): at least half of them on a loaded machine.
  const size_t pings = manager.count("WATCHDOG=1", *ready);
  EXPECT_GE(pings, 7u) << manager.dump();
  EXPECT_LE(pings, 17u) << manager.dump();
  EXPECT_EQ(manager.count("WATCHDOG=1"), pings) << "a ping before READY=1\n" << manager.dump();

  sy.signal(SIGTERM);
  const auto stopping = manager.wait_for("STOPPING=1", 10s);
  ASSERT_TRUE(stopping) << manager.dump();
  const Result r = sy.wait();
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(manager.count("READY=1"), 1u);
  EXPECT_EQ(manager.count("STOPPING=1"), 1u);
  EXPECT_EQ(manager.count("WATCHDOG=1", *stopping + 1ns), 0u) << manager.dump();
  // STOPPING=1 tells the manager how long the drain may take (run.drain_timeout_ms + 10 s).
  for (const auto& m : manager.messages()) {
    if (m.text.rfind("STOPPING=1", 0) == 0) {
      EXPECT_NE(m.text.find("EXTEND_TIMEOUT_USEC=15000000"), std::string::npos) << m.text;
    }
  }
  const json s = summary();
  EXPECT_EQ(s["stop"]["reason"], "signal");
  EXPECT_EQ(s["stop"]["forced"], false);
}

TEST_F(Readiness, ReadyWaitsForTheLinkOfAMemifPortUntilItsPeerConnects) {
  const fs::path sock = dir / "memif.sock";
  NotifyListener manager(socket_path());
  const std::string file_prefix = "sy_ops_memif_" + std::to_string(getpid());
  HugepagesReleasedAtExit release{file_prefix};  // before the appliance: runs after it stops
  Service sy({env("SWITCHYARD_BIN"), "--config",
              (fs::path(env("SY_SOURCE_ROOT")) / "conf/profiles/dev-memif.yaml").string(), "--set",
              "ports.memif0.args.socket=" + sock.string(), "--set",
              "eal.file_prefix=" + file_prefix, "--summary-json", (dir / "summary.json").string()},
             dir / "switchyard.log", socket_path(), 200'000);
  ASSERT_TRUE(manager.wait_for("STATUS=starting: waiting for the link of port memif0", 60s))
      << manager.dump() << slurp(dir / "switchyard.log");
  ASSERT_TRUE(fs::exists(sock)) << "the port is started (its memif socket exists)";
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(manager.count("READY=1"), 0u) << "READY=1 with the link down\n" << manager.dump();
  EXPECT_EQ(manager.count("WATCHDOG=1"), 0u) << manager.dump();

  const auto connect_at = Clock::now();
  Background peer(
      {"dpdk-testpmd", "--lcores=0@0,1@0", "--file-prefix=sy_ops_peer_" + std::to_string(getpid()),
       "--no-huge", "-m", "512", "--no-shconf", "--no-pci",
       "--vdev=net_memif0,role=client,socket=" + sock.string() + ",socket-abstract=no", "--", "-i",
       "--total-num-mbufs=8192"},
      dir / "testpmd.log", true);
  const auto ready = manager.wait_for("READY=1", 60s);
  ASSERT_TRUE(ready) << manager.dump() << slurp(dir / "testpmd.log");
  EXPECT_GT(*ready, connect_at);
  EXPECT_TRUE(manager.wait_for("WATCHDOG=1", 5s)) << manager.dump();

  // The appliance stops first; the idle peer then leaves.
  sy.signal(SIGTERM);
  const Result r = sy.wait();
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(manager.count("STOPPING=1"), 1u) << manager.dump();
  peer.send("quit\n");
  peer.wait_exit();
}

TEST_F(Readiness, WatchdogWithheldWhileAnLcoreIsFrozenAndResumedAfter) {
  NotifyListener manager(socket_path());
  Service sy(live_argv({"service.heartbeat_timeout_ms=300"}), dir / "switchyard.log", socket_path(),
             200'000);
  ASSERT_TRUE(manager.wait_for("READY=1", 60s)) << manager.dump() << slurp(dir / "switchyard.log");
  ASSERT_TRUE(manager.wait_for("WATCHDOG=1", 5s)) << manager.dump();
  const pid_t tid = sy.lcore_thread(kIntegrityLcore);
  ASSERT_GT(tid, 0);
  {
    FrozenThread frozen(tid);
    ASSERT_TRUE(frozen.frozen());
    const auto frozen_at = Clock::now();
    std::this_thread::sleep_for(1500ms);
    // The heartbeat is stale 300 ms after the freeze; the last ping may come 100 ms after that.
    EXPECT_EQ(manager.count("WATCHDOG=1", frozen_at + 600ms), 0u) << manager.dump();
    EXPECT_EQ(manager.count("STATUS=watchdog withheld: lcore 2 (integrity): heartbeat older than "
                            "300 ms"),
              1u)
        << manager.dump();
    EXPECT_TRUE(sy.running());
  }
  const auto thawed_at = Clock::now();
  std::this_thread::sleep_for(1000ms);
  EXPECT_GE(manager.count("WATCHDOG=1", thawed_at), 3u) << manager.dump();
  EXPECT_GE(manager.count("STATUS=running", thawed_at), 1u) << manager.dump();

  sy.signal(SIGTERM);
  const Result r = sy.wait();
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("watchdog: ping withheld: lcore 2 (integrity)"), std::string::npos) << r.out;
}

// A drain that cannot finish: the integrity lcore is frozen with its input ring full (the
// capture replays forever and rx waits for room), so SIGTERM cannot drain within
// run.drain_timeout_ms. The stop is forced, what was left in the ring is counted, and the exit
// code says data was left unpersisted.
TEST_F(Readiness, DrainTimeoutForcesTheStopAndExitsThreeWithTheCounts) {
  const fs::path pcap = dir / "lines.pcap";
  const Result gen = run(
      {env("SWITCHYARD_TRAFFIC_BIN"), "--config", profile.string(), "--frames", "2000", "--seed",
       "8", "--mix", "lines=100,sessions=0,other=0,malformed=0", "--out", pcap.string()},
      dir / "gen.log");
  ASSERT_EQ(gen.exit_code, 0) << gen.out;
  NotifyListener manager(socket_path());
  Service sy(
      live_argv({"ports.wire0.args.rx_pcap=" + pcap.string(), "ports.wire0.args.infinite_rx=1",
                 "rings.on_full=wait", "run.drain_timeout_ms=300"}),
      dir / "switchyard.log", socket_path(), 0);
  ASSERT_TRUE(manager.wait_for("READY=1", 60s)) << manager.dump() << slurp(dir / "switchyard.log");
  FrozenThread frozen(sy.lcore_thread(kIntegrityLcore));
  ASSERT_TRUE(frozen.frozen());
  std::this_thread::sleep_for(500ms);  // rx fills the integrity ring and waits

  sy.signal(SIGTERM);
  ASSERT_TRUE(manager.wait_for("STOPPING=1", 5s)) << manager.dump();
  std::this_thread::sleep_for(1000ms);  // well past the drain timeout
  EXPECT_TRUE(sy.running()) << "exited while an lcore was still frozen";
  frozen.thaw();
  const Result r = sy.wait();
  ASSERT_EQ(r.exit_code, 3) << r.out;
  const json s = summary();
  EXPECT_EQ(s["stop"]["reason"], "signal");
  EXPECT_EQ(s["stop"]["forced"], true);
  EXPECT_GE(s["stop"]["drain_seconds"].get<double>(), 0.3);
  const uint64_t left = s["ports"]["wire0"]["drops"].value("left_in_ring", 0);
  EXPECT_GT(left, 0u) << s.dump(2);
  EXPECT_EQ(s["lost"].get<uint64_t>(), left);
  EXPECT_TRUE(s["ports"]["wire0"]["identity_ok"].get<bool>());
  EXPECT_NE(r.out.find("forced: rings not drained"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("left_in_ring=" + std::to_string(left)), std::string::npos) << r.out;
}

// A second SIGTERM does not wait for the drain timeout.
TEST_F(Readiness, SecondSigtermForcesTheStopAtOnce) {
  NotifyListener manager(socket_path());
  Service sy(live_argv({"run.drain_timeout_ms=600000"}), dir / "switchyard.log", socket_path(), 0);
  ASSERT_TRUE(manager.wait_for("READY=1", 60s)) << manager.dump() << slurp(dir / "switchyard.log");
  FrozenThread frozen(sy.lcore_thread(kIntegrityLcore));
  ASSERT_TRUE(frozen.frozen());
  sy.signal(SIGTERM);
  ASSERT_TRUE(manager.wait_for("STOPPING=1", 5s)) << manager.dump();
  std::this_thread::sleep_for(300ms);
  sy.signal(SIGTERM);
  std::this_thread::sleep_for(300ms);
  frozen.thaw();
  const Result r = sy.wait(20s);
  ASSERT_EQ(r.exit_code, 3) << r.out;
  const json s = summary();
  EXPECT_EQ(s["stop"]["forced"], true);
  EXPECT_LT(s["stop"]["drain_seconds"].get<double>(), 10.0);
  // Whatever the frozen lcore had not taken off its ring is counted, and the text says so.
  const std::string lost = std::to_string(s["lost"].get<uint64_t>());
  EXPECT_NE(
      r.out.find("exit 3: finished, but " + lost +
                 " packet(s) were lost for lack of capacity (forced stop: rings not drained)"),
      std::string::npos)
      << r.out;
  EXPECT_TRUE(s["ports"]["wire0"]["identity_ok"].get<bool>());
}

}  // namespace
