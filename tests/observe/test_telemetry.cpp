// DPDK conventions on a running appliance (eal.in_memory false, its own file prefix): the
// /switchyard/* telemetry commands answer over DPDK's telemetry socket (the protocol
// dpdk-telemetry.py speaks, and dpdk-telemetry.py itself when installed), and dpdk-dumpcap
// attaches as a secondary process and captures the port's frames through pdump.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <set>

#include <nlohmann/json.hpp>
#include <thread>

#include "tests/integration/harness.hpp"

namespace {

using namespace sy::testing;
using nlohmann::json;

// One connection to a DPDK telemetry v2 socket: a JSON greeting, then one reply per command.
class TelemetryClient {
 public:
  explicit TelemetryClient(const fs::path& socket_path) {
    fd_ = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", socket_path.c_str());
    if (connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      close(fd_);
      fd_ = -1;
      return;
    }
    greeting_ = receive();
  }
  ~TelemetryClient() {
    if (fd_ >= 0) close(fd_);
  }
  bool connected() const { return fd_ >= 0; }
  const json& greeting() const { return greeting_; }

  json command(const std::string& cmd) {
    if (write(fd_, cmd.data(), cmd.size()) != static_cast<ssize_t>(cmd.size())) return {};
    return receive();
  }

 private:
  json receive() {
    std::string buf(1 << 16, '\0');
    const ssize_t n = read(fd_, buf.data(), buf.size());
    if (n <= 0) return {};
    return json::parse(buf.substr(0, static_cast<size_t>(n)), nullptr, false);
  }
  int fd_ = -1;
  json greeting_;
};

class Observe : public ProcessTest {
 protected:
  Observe() : ProcessTest("sy_tel_") {}
  void TearDown() override {
    release_hugepages_of(prefix);  // a primary without --in-memory leaves them behind
    ProcessTest::TearDown();
  }
  std::string prefix = "sy_tel_" + std::to_string(getpid());
};

// A loopback OTLP collector, so the exporter runs and /switchyard/otlp and /budgets have data.
struct Sink {
  httplib::Server server;
  int port = 0;
  std::thread thread;
  Sink() {
    server.Post("/v1/metrics",
                [](const httplib::Request&, httplib::Response& r) { r.status = 200; });
    port = server.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server.listen_after_bind(); });
  }
  ~Sink() {
    server.stop();
    thread.join();
  }
};

TEST_F(Observe, TelemetryCommandsAnswerAndDumpcapCapturesLive) {
  Sink sink;
  // The bundled capture replayed in a loop (infinite_rx needs a pool that holds all of it), so
  // there is live traffic for the whole test. dpdk-dumpcap attaches only to a primary with
  // hugepages: `hugepages: on` fails loudly where `auto` would fall back to --no-huge.
  Background app(
      {env("SWITCHYARD_BIN"),
       "--config",
       profile.string(),
       "--set",
       "eal.file_prefix=" + prefix,
       "--set",
       "eal.in_memory=false",
       "--set",
       "eal.hugepages=on",
       "--set",
       "run.mode=live",
       "--set",
       "run.max_runtime_ms=60000",
       "--set",
       "ports.wire0.args.infinite_rx=1",
       "--set",
       "ports.wire0.mbufs=65535",
       "--set",
       "observe.otlp.endpoint=http://127.0.0.1:" + std::to_string(sink.port) + "/v1/metrics",
       "--set",
       "observe.otlp.interval_ms=200",
       "--set",
       "observe.otlp.timeout_ms=150",
       "--summary-json",
       (dir / "summary.json").string()},
      dir / "appliance.log");
  const fs::path sock = fs::path("/var/run/dpdk") / prefix / "dpdk_telemetry.v2";
  std::unique_ptr<TelemetryClient> tel;
  for (int i = 0; i < 300 && !(tel && tel->connected()); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (fs::exists(sock)) tel = std::make_unique<TelemetryClient>(sock);
  }
  ASSERT_TRUE(tel && tel->connected()) << slurp(dir / "appliance.log");
  EXPECT_TRUE(tel->greeting().contains("pid")) << tel->greeting().dump();

  // The socket exists from EAL start; the commands are registered once the pipeline runs.
  json list;
  for (int i = 0; i < 300; ++i) {
    list = tel->command("/");
    ASSERT_TRUE(list.contains("/")) << list.dump();
    if (list.dump().find("/switchyard/") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (const char* c : {"/switchyard/stats", "/switchyard/safety", "/switchyard/budgets",
                        "/switchyard/lcores", "/switchyard/otlp"}) {
    EXPECT_NE(std::find(list["/"].begin(), list["/"].end(), c), list["/"].end())
        << c << " not in " << list.dump();
  }
  // Counters move while the appliance runs (the export interval gives the lcores time).
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  const json s1 = tel->command("/switchyard/stats")["/switchyard/stats"];
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  const json s2 = tel->command("/switchyard/stats")["/switchyard/stats"];
  ASSERT_TRUE(s1.contains("wire0")) << s1.dump();
  EXPECT_GT(s1["wire0"]["rx_packets"].get<uint64_t>(), 0u);
  EXPECT_GT(s2["wire0"]["rx_packets"].get<uint64_t>(), s1["wire0"]["rx_packets"].get<uint64_t>());
  const json safety = tel->command("/switchyard/safety")["/switchyard/safety"];
  // A saturating replay is overload: the control lcore may shed (DEGRADED) or, on a slow host
  // (sanitizers), see P0 pressure and go SAFE. Telemetry must report whichever it is.
  const std::set<std::string> modes = {"NORMAL", "DEGRADED", "SAFE", "EMERGENCY_STOP"};
  EXPECT_TRUE(safety["mode"].is_string() && modes.count(safety["mode"].get<std::string>()))
      << safety.dump();
  EXPECT_EQ(safety["kill_switch"], 0);
  const json lcores = tel->command("/switchyard/lcores")["/switchyard/lcores"];
  ASSERT_EQ(lcores.size(), 5u) << lcores.dump();
  EXPECT_EQ(lcores["1"]["role"], "rx");
  EXPECT_GT(lcores["1"]["loops"].get<uint64_t>(), 0u);
  const json otlp = tel->command("/switchyard/otlp")["/switchyard/otlp"];
  EXPECT_GE(otlp["sent"].get<uint64_t>(), 1u) << otlp.dump();
  EXPECT_EQ(otlp["last_status"], 200);
  const json budgets = tel->command("/switchyard/budgets")["/switchyard/budgets"];
  ASSERT_TRUE(budgets.contains("switchyard_otlp_export_duration")) << budgets.dump();
  EXPECT_GE(budgets["switchyard_otlp_export_duration"]["count"].get<uint64_t>(), 1u);
  EXPECT_GT(budgets["switchyard_otlp_export_duration"]["p99_ns"].get<uint64_t>(), 0u);

  // The operator's tool says the same over the same socket.
  if (fs::exists("/usr/bin/dpdk-telemetry.py")) {
    const Result r =
        run({"/bin/sh", "-c", "echo /switchyard/safety | /usr/bin/dpdk-telemetry.py -f " + prefix},
            dir / "dpdk-telemetry.log", std::chrono::milliseconds(0), std::chrono::seconds(30));
    EXPECT_EQ(r.exit_code, 0) << r.out;
    bool named = false;
    for (const std::string& m : modes)
      named = named || r.out.find("\"mode\": \"" + m + "\"") != std::string::npos;
    EXPECT_TRUE(named) << r.out;
  }

  // Live capture: dpdk-dumpcap attaches through pdump and writes what port 0 receives.
  // A secondary process must map the primary's memory at the same addresses; with address
  // space randomisation (and a sanitizer's shadow memory in the primary) that range is sometimes
  // taken in the secondary ("Cannot get a virtual area"): DPDK's known multi-process limit, so
  // such an attach is tried again, in a fresh process with a fresh layout.
  const fs::path cap = dir / "live.pcapng";
  Result d;
  for (int attempt = 0; attempt < 5; ++attempt) {
    d = run({"/usr/bin/dpdk-dumpcap", "--file-prefix=" + prefix, "-i", "0", "-c", "64", "-w",
             cap.string()},
            dir / "dumpcap.log", std::chrono::milliseconds(0), std::chrono::seconds(60));
    if (d.exit_code == 0 || d.out.find("Cannot get a virtual area") == std::string::npos) break;
  }
  EXPECT_EQ(d.exit_code, 0) << d.out;
  EXPECT_NE(d.out.find("Packets captured"), std::string::npos) << d.out;
  ASSERT_TRUE(fs::exists(cap));
  const std::string bytes = slurp(cap);
  ASSERT_GE(bytes.size(), 4u);
  EXPECT_EQ(bytes.substr(0, 4), std::string("\x0a\x0d\x0d\x0a", 4));  // pcapng section header
  if (fs::exists("/usr/bin/capinfos")) {
    const Result c = run({"/usr/bin/capinfos", "-c", cap.string()}, dir / "capinfos.log");
    EXPECT_EQ(c.exit_code, 0) << c.out;
    EXPECT_NE(c.out.find("Number of packets"), std::string::npos) << c.out;
  }

  const Result stopped = app.stop(SIGTERM, std::chrono::seconds(60));
  EXPECT_EQ(stopped.exit_code, 0) << stopped.out;
}

}  // namespace
