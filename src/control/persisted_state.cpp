#include "src/control/persisted_state.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "src/control/audit.hpp"

namespace sy::control {

std::optional<SafetyMode> parse_mode(const std::string& s) {
  for (auto m :
       {SafetyMode::normal, SafetyMode::degraded, SafetyMode::safe, SafetyMode::emergency_stop})
    if (s == to_string(m)) return m;
  return std::nullopt;
}

std::optional<PersistedState> load_state(const std::string& path, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) {
      if (error) error->clear();
    } else if (error) {
      *error = "cannot read " + path + ": " + std::strerror(errno);
    }
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    const nlohmann::json j = nlohmann::json::parse(ss.str());
    if (j.at("schema") != kStateSchema) throw std::runtime_error("unknown schema");
    PersistedState s;
    s.version = j.at("version").get<uint64_t>();
    const auto mode = parse_mode(j.at("mode").get<std::string>());
    const auto op = parse_mode(j.at("operator_mode").get<std::string>());
    if (!mode || !op) throw std::runtime_error("unknown mode");
    s.mode = *mode;
    s.operator_mode = *op;
    s.hazard_latched = j.at("hazard_latched").get<bool>();
    const std::string reason = j.at("latch_reason").get<std::string>();
    std::snprintf(s.latch_reason, sizeof s.latch_reason, "%s", reason.c_str());
    s.kill = j.at("kill").get<bool>();
    s.accounts_killed = j.at("accounts_killed").get<uint64_t>();
    s.clean = j.at("clean").get<bool>();
    s.run_epoch = j.value("run_epoch", uint64_t{0});  // absent in files of older versions
    s.written_ns = j.at("written_ns").get<uint64_t>();
    return s;
  } catch (const std::exception& e) {
    if (error) *error = path + ": unreadable safety state (" + e.what() + ")";
    return std::nullopt;
  }
}

namespace {

bool write_all(int fd, const std::string& text) {
  size_t off = 0;
  while (off < text.size()) {
    const ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

bool save_state_durable(const std::string& path, const PersistedState& s, std::string* error) {
  nlohmann::json j;
  j["schema"] = kStateSchema;
  j["version"] = s.version;
  j["mode"] = to_string(s.mode);
  j["operator_mode"] = to_string(s.operator_mode);
  j["hazard_latched"] = s.hazard_latched;
  j["latch_reason"] = std::string(s.latch_reason);
  j["kill"] = s.kill;
  j["accounts_killed"] = s.accounts_killed;
  j["clean"] = s.clean;
  j["run_epoch"] = s.run_epoch;
  j["written_ns"] = s.written_ns ? s.written_ns : utc_now_ns();
  const std::string text = j.dump(2) + "\n";
  const std::string tmp = path + ".tmp";
  auto fail = [&](const std::string& what) {
    if (error) *error = what + ": " + std::strerror(errno);
    return false;
  };
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return fail("cannot create " + tmp);
  const bool ok = write_all(fd, text) && ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!ok) {
    errno = saved;
    return fail("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return fail("cannot rename " + tmp);
  // The rename is durable only once the directory is.
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return fail("cannot open directory " + dir);
  const bool dir_ok = ::fsync(dfd) == 0;
  ::close(dfd);
  if (!dir_ok) return fail("cannot sync directory " + dir);
  return true;
}

StatePersister::StatePersister(std::string path) : path_(std::move(path)) {
  thread_ = std::thread([this] { loop(); });
}

StatePersister::~StatePersister() { stop(); }

bool StatePersister::request(const PersistedState& s) {
  if (!queue_.try_push(s)) return false;
  cv_.notify_one();
  return true;
}

void StatePersister::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_.store(true);
  }
  cv_.notify_all();
  thread_.join();
}

void StatePersister::loop() {
  for (;;) {
    const bool stopping = stopping_.load();
    // Only the newest queued version matters: writing it covers the older ones.
    std::optional<PersistedState> latest;
    while (auto s = queue_.try_pop()) latest = *s;
    if (latest) {
      std::string error;
      if (save_state_durable(path_, *latest, &error)) {
        persisted_.store(latest->version, std::memory_order_release);
      } else {
        failures_.fetch_add(1, std::memory_order_relaxed);
        failed_.store(latest->version, std::memory_order_release);
      }
    }
    if (stopping && queue_.size() == 0) break;
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(2), [this] { return stopping_.load(); });
  }
}

}  // namespace sy::control
