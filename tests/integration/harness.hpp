// Process harness for integration tests: run the real binaries, in the foreground with a time
// limit or in the background, and read what they wrote.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace sy::testing {

namespace fs = std::filesystem;

inline std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) ADD_FAILURE() << name << " is not set (run through meson test)";
  return v ? v : "";
}

struct Result {
  int exit_code = -1;
  std::string out;  // stdout + stderr
};

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs argv with a time limit; SIGTERM after `term_after` if given (live-mode tests).
inline Result run(const std::vector<std::string>& argv, const fs::path& log,
                  std::chrono::milliseconds term_after = std::chrono::milliseconds(0),
                  std::chrono::seconds limit = std::chrono::seconds(120)) {
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  const auto start = std::chrono::steady_clock::now();
  bool termed = false;
  int status = 0;
  for (;;) {
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    const auto elapsed = std::chrono::steady_clock::now() - start;
    if (term_after.count() && !termed && elapsed >= term_after) {
      kill(pid, SIGTERM);
      termed = true;
    }
    if (elapsed >= limit) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      ADD_FAILURE() << argv[0] << " did not finish within " << limit.count() << " s";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Result res;
  res.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  res.out = slurp(log);
  return res;
}

// A child process started in the background, for tests that need two peers at once.
class Background {
 public:
  // stdin_pipe: the child's stdin is a pipe the test writes to with send().
  Background(const std::vector<std::string>& argv, const fs::path& log, bool stdin_pipe = false)
      : log_(log) {
    int fds[2] = {-1, -1};
    if (stdin_pipe && pipe(fds) != 0) ADD_FAILURE() << "pipe";
    pid_ = fork();
    if (pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      if (stdin_pipe) {
        dup2(fds[0], 0);
        close(fds[1]);
      }
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
    }
    if (stdin_pipe) {
      close(fds[0]);
      stdin_ = fds[1];
    }
  }
  void send(const std::string& line) {
    ASSERT_EQ(write(stdin_, line.data(), line.size()), static_cast<ssize_t>(line.size()));
  }
  // Closes stdin and waits for the child to exit by itself.
  Result wait_exit(std::chrono::seconds limit = std::chrono::seconds(30)) {
    if (stdin_ >= 0) close(stdin_);
    stdin_ = -1;
    return stop(0, limit);
  }
  ~Background() {
    if (stdin_ >= 0) close(stdin_);
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  // Sends `sig`, waits up to `limit`; returns the exit code (128+signal if killed).
  Result stop(int sig, std::chrono::seconds limit = std::chrono::seconds(30)) {
    if (sig != 0) kill(pid_, sig);
    const auto start = std::chrono::steady_clock::now();
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) != pid_) {
      if (std::chrono::steady_clock::now() - start > limit) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        ADD_FAILURE() << "process did not stop within " << limit.count() << " s";
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid_ = -1;
    Result r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = slurp(log_);
    return r;
  }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  fs::path log_;
};

// A test with its own directory (kept when the test fails, for its logs) and the default
// profile at hand.
// A DPDK primary run without --in-memory (dev-memif.yaml, so that dpdk-dumpcap can attach)
// leaves its hugepage files and runtime directory behind at exit; a later run with the same
// prefix would reclaim them, but tests use a prefix per process, so the files would hold the
// host's hugepages (all of them, for dev-memif's 1 GiB) until a later test found none free and
// fell back to --no-huge. Call once the primary with `file_prefix` has exited; a file some
// process still maps (DPDK holds a shared flock on each) is left alone.
inline void release_hugepages_of(const std::string& file_prefix) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/dev/hugepages", ec)) {
    if (e.path().filename().string().rfind(file_prefix + "map_", 0) != 0) continue;
    const int fd = ::open(e.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) fs::remove(e.path(), ec);
    ::close(fd);
  }
  fs::remove_all(fs::path("/var/run/dpdk") / file_prefix, ec);
}
// release_hugepages_of() at the end of a scope: declare it before the process it cleans up after.
struct HugepagesReleasedAtExit {
  std::string file_prefix;
  ~HugepagesReleasedAtExit() { release_hugepages_of(file_prefix); }
};

class ProcessTest : public ::testing::Test {
 protected:
  explicit ProcessTest(const char* prefix) : prefix_(prefix) {}
  void SetUp() override {
    dir = fs::temp_directory_path() /
          (prefix_ + std::to_string(getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
    profile = fs::path(env("SY_SOURCE_ROOT")) / "conf/profiles/default.yaml";
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir);
  }

  fs::path dir, profile;

 private:
  std::string prefix_;
};

}  // namespace sy::testing
