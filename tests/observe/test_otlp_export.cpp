// The OTLP exporter of the running appliance against a loopback collector that decodes what it
// receives (names, types, units, attributes, monotonic counters, final values equal to the
// exit summary), and against collectors that are down or never answer: the run's books must
// not change and the failures must be counted.
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "src/common/drop_reason.hpp"
#include "tests/integration/harness.hpp"
#include "tests/observe/otlp_decode.hpp"

namespace {

using namespace sy::testing;
using nlohmann::json;
using sy::observe::test::decode_request;
using sy::observe::test::DMetric;
using sy::observe::test::DRequest;

// A loopback OTLP/HTTP collector: answers 200 and keeps every body.
class Collector {
 public:
  Collector() {
    server_.Post("/v1/metrics", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      bodies_.push_back(req.body);
      types_.push_back(req.get_header_value("Content-Type"));
      res.status = 200;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Collector() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1/metrics"; }
  std::vector<std::string> bodies() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_;
  }
  std::vector<std::string> types() {
    std::lock_guard<std::mutex> lock(mu_);
    return types_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> bodies_, types_;
};

// A port on loopback with nothing listening.
int closed_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// A collector that accepts connections (the kernel does, from its backlog) and never answers.
class Blackhole {
 public:
  Blackhole() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(listen(fd_, 64), 0);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~Blackhole() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

using Series = std::map<std::string, std::string>;

std::string series_text(const Series& s) {
  std::string t;
  for (const auto& [k, v] : s) t += k + "=" + v + " ";
  return t;
}

class OtlpExport : public ProcessTest {
 protected:
  OtlpExport() : ProcessTest("sy_otlp_") {}
  void TearDown() override {
    std::error_code ec;  // EAL runtime directories (created even with --in-memory)
    for (const char* n : {"live", "json", "base", "down", "silent"})
      fs::remove_all(
          fs::path("/var/run/dpdk") / ("sy_otlp_" + std::string(n) + std::to_string(getpid())), ec);
    ProcessTest::TearDown();
  }

  Result appliance(const std::vector<std::string>& sets, const std::string& name) {
    std::vector<std::string> argv = {env("SWITCHYARD_BIN"),
                                     "--config",
                                     profile.string(),
                                     "--set",
                                     "eal.file_prefix=sy_otlp_" + name + std::to_string(getpid()),
                                     "--summary-json",
                                     (dir / (name + ".summary.json")).string()};
    for (const auto& s : sets) argv.insert(argv.end(), {"--set", s});
    return run(argv, dir / (name + ".log"), std::chrono::milliseconds(0), std::chrono::seconds(60));
  }
  json summary(const std::string& name) {
    return json::parse(slurp(dir / (name + ".summary.json")));
  }
};

TEST_F(OtlpExport, CollectorDecodesNamesTypesUnitsAttributesAndMonotonicCounters) {
  Collector collector;
  const Result r = appliance(
      {"run.mode=live", "run.max_runtime_ms=1500", "observe.otlp.endpoint=" + collector.url(),
       "observe.otlp.interval_ms=250", "observe.otlp.timeout_ms=200"},
      "live");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out.find("otlp:"), std::string::npos) << "no failure line expected:\n" << r.out;
  const auto bodies = collector.bodies();
  ASSERT_GE(bodies.size(), 3u) << r.out;  // periodic ones and the final one
  for (const auto& t : collector.types()) EXPECT_EQ(t, "application/x-protobuf");

  std::vector<DRequest> reqs;
  for (const auto& b : bodies) reqs.push_back(decode_request(b));
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  for (const auto& q : reqs) {
    ASSERT_TRUE(q.problems.empty()) << q.problems.front();
    EXPECT_EQ(q.resource.at("service.name"), "switchyard");
    EXPECT_EQ(q.resource.at("host.name"), host);
    EXPECT_EQ(q.resource.at("service.instance.id"),
              std::string(host) + "/sy_otlp_live" + std::to_string(getpid()));
    EXPECT_EQ(q.scope_name, "switchyard");
  }

  // Names, types, units and monotonicity as documented (docs/observability.md).
  struct Expect {
    const char* name;
    const char* type;
    const char* unit;
    bool monotonic;
  };
  const Expect expected[] = {
      {"switchyard.port.packets", "sum", "{packet}", true},
      {"switchyard.port.io", "sum", "By", true},
      {"switchyard.port.delivered", "sum", "{packet}", true},
      {"switchyard.class.packets", "sum", "{packet}", true},
      {"switchyard.class.dropped", "sum", "{packet}", true},
      {"switchyard.class.consumed", "sum", "{packet}", true},
      {"switchyard.lcore.loops", "sum", "{iteration}", true},
      {"switchyard.lcore.packets", "sum", "{packet}", true},
      {"switchyard.feed.messages", "sum", "{message}", true},
      {"switchyard.ring.fill", "gauge", "{entry}", false},
      {"switchyard.ring.capacity", "gauge", "{entry}", false},
      {"switchyard.mempool.free", "gauge", "{mbuf}", false},
      {"switchyard.safety.mode", "gauge", "1", false},
      {"switchyard.lcore.heartbeat.age", "gauge", "s", false},
      {"system.filesystem.usage", "sum", "By", false},
      {"switchyard.otlp.exports", "sum", "{export}", true},
  };
  const DRequest& last = reqs.back();
  for (const auto& e : expected) {
    const DMetric* m = last.find(e.name);
    ASSERT_NE(m, nullptr) << e.name;
    EXPECT_EQ(m->type, e.type) << e.name;
    EXPECT_EQ(m->unit, e.unit) << e.name;
    EXPECT_FALSE(m->description.empty()) << e.name;
    if (m->type == std::string("sum")) {
      EXPECT_EQ(m->temporality, 2u) << e.name;
      EXPECT_EQ(m->monotonic, e.monotonic) << e.name;
    }
    EXPECT_FALSE(m->points.empty()) << e.name;
  }
  // The exporter's own duration: a histogram in seconds, with one point per sent export before
  // the last (the last one's own duration is recorded after it was sent).
  const DMetric* dur = last.find("switchyard.otlp.export.duration");
  ASSERT_NE(dur, nullptr);
  EXPECT_EQ(dur->type, "histogram");
  EXPECT_EQ(dur->unit, "s");
  EXPECT_EQ(dur->points.at(0).count, bodies.size() - 1);

  // Attributes: ports and directions, the config's classes, every lcore, known drop reasons.
  std::set<std::string> dirs, classes, lcores, reasons;
  for (const auto& p : last.find("switchyard.port.packets")->points) {
    EXPECT_EQ(p.attrs.at("port"), "wire0");
    dirs.insert(p.attrs.at("network.io.direction"));
  }
  EXPECT_EQ(dirs, (std::set<std::string>{"receive", "transmit"}));
  for (const auto& p : last.find("switchyard.class.packets")->points) {
    classes.insert(p.attrs.at("class"));
    EXPECT_TRUE(p.attrs.count("priority") && p.attrs.count("destination"));
  }
  for (const char* c : {"itch.A", "itch.B", "client1", "venue", "other"})
    EXPECT_TRUE(classes.count(c)) << c;
  for (const auto& p : last.find("switchyard.lcore.loops")->points) {
    lcores.insert(p.attrs.at("lcore.id"));
    EXPECT_TRUE(p.attrs.count("lcore.role"));
  }
  EXPECT_EQ(lcores, (std::set<std::string>{"0", "1", "2", "3", "4"}));
  const std::set<std::string> known(std::begin(sy::kDropReasonNames),
                                    std::end(sy::kDropReasonNames));
  for (const auto& p : last.find("switchyard.class.dropped")->points) {
    reasons.insert(p.attrs.at("reason"));
    EXPECT_TRUE(known.count(p.attrs.at("reason"))) << p.attrs.at("reason");
  }
  EXPECT_FALSE(reasons.empty());  // the bundled capture has malformed and unclassified frames

  // Cumulative sums never go down from one export to the next, start stays, time advances.
  uint64_t increased = 0;
  for (size_t i = 1; i < reqs.size(); ++i) {
    for (const auto& m : reqs[i].metrics) {
      if (m.type != "sum" || !m.monotonic) continue;
      const DMetric* before = reqs[i - 1].find(m.name);
      if (before == nullptr) continue;
      std::map<Series, int64_t> prev;
      for (const auto& p : before->points) prev[p.attrs] = p.as_int;
      for (const auto& p : m.points) {
        EXPECT_EQ(p.start_ns, m.points.front().start_ns);
        EXPECT_LE(p.start_ns, p.time_ns);
        const auto it = prev.find(p.attrs);
        if (it == prev.end()) continue;  // a series may appear later (first drop of a reason)
        EXPECT_GE(p.as_int, it->second) << m.name << " " << series_text(p.attrs);
        if (p.as_int > it->second) ++increased;
      }
    }
    EXPECT_GT(reqs[i].metrics.front().points.front().time_ns,
              reqs[i - 1].metrics.front().points.front().time_ns);
  }
  EXPECT_GT(increased, 0u);  // lcore loops at least

  // The final export carries the final books: they equal the exit summary's.
  const json s = summary("live");
  for (const auto& p : last.find("switchyard.port.packets")->points)
    if (p.attrs.at("network.io.direction") == "receive") {
      EXPECT_EQ(p.as_int, s["ports"]["wire0"]["received"].get<int64_t>());
    }
  for (const auto& p : last.find("switchyard.class.packets")->points)
    EXPECT_EQ(p.as_int, s["classes"][p.attrs.at("class")]["received"].get<int64_t>())
        << p.attrs.at("class");
  for (const auto& p : last.find("switchyard.class.dropped")->points)
    EXPECT_EQ(p.as_int,
              s["classes"][p.attrs.at("class")]["drops"][p.attrs.at("reason")].get<int64_t>());
}

TEST_F(OtlpExport, JsonEncodingCarriesTheSameModel) {
  Collector collector;
  const Result r = appliance(
      {"run.max_runtime_ms=600", "run.mode=live", "observe.otlp.endpoint=" + collector.url(),
       "observe.otlp.encoding=json", "observe.otlp.interval_ms=200", "observe.otlp.timeout_ms=100"},
      "json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto bodies = collector.bodies();
  ASSERT_GE(bodies.size(), 1u);
  for (const auto& t : collector.types()) EXPECT_EQ(t, "application/json");
  const json j = json::parse(bodies.back());
  const json& rm = j.at("resourceMetrics").at(0);
  bool found = false;
  for (const auto& a : rm.at("resource").at("attributes"))
    if (a.at("key") == "service.name") found = a.at("value").at("stringValue") == "switchyard";
  EXPECT_TRUE(found);
  std::set<std::string> names;
  for (const auto& m : rm.at("scopeMetrics").at(0).at("metrics")) {
    names.insert(m.at("name"));
    if (m.contains("sum")) {
      EXPECT_EQ(m.at("sum").at("aggregationTemporality"), 2);
    }
  }
  EXPECT_TRUE(names.count("switchyard.port.packets"));
  EXPECT_TRUE(names.count("switchyard.otlp.export.duration"));
}

// The books of a batch replay are the same with a dead or silent collector as without one, and
// the exporter says what it could not send.
TEST_F(OtlpExport, CollectorDownOrSilentLeavesTheRunUnchangedAndFailuresCounted) {
  const auto b0 = std::chrono::steady_clock::now();
  const Result base = appliance({}, "base");
  const double base_secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - b0).count();
  ASSERT_EQ(base.exit_code, 0) << base.out;
  const json want = summary("base");

  Blackhole silent;
  const std::pair<std::string, int> collectors[] = {{"down", closed_port()},
                                                    {"silent", silent.port()}};
  for (const auto& [name, port] : collectors) {
    const auto t0 = std::chrono::steady_clock::now();
    const Result r =
        appliance({"observe.otlp.endpoint=http://127.0.0.1:" + std::to_string(port) + "/v1/metrics",
                   "observe.otlp.interval_ms=100", "observe.otlp.timeout_ms=50",
                   "observe.otlp.retries=2", "observe.otlp.backoff_ms=20"},
                  name);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_EQ(r.exit_code, base.exit_code) << name << "\n" << r.out;
    const json got = summary(name);
    for (const char* k : {"ports", "tx_ports", "classes", "feeds", "lost", "identity_violations"})
      EXPECT_EQ(got[k], want[k]) << name << ": " << k;
    // "0 of N exports sent ...; F failed attempts": every attempt failed, and said so.
    const auto at = r.out.find("switchyard: otlp: 0 of ");
    ASSERT_NE(at, std::string::npos) << name << "\n" << r.out;
    EXPECT_NE(r.out.find("failed attempts", at), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("; 0 failed attempts", at), std::string::npos) << r.out;
    // Bounded by timeouts, not hangs: the exporter adds at most its last attempt (a few
    // timeout_ms); EAL start and stop dominate and vary with the host's load.
    EXPECT_LT(secs, 2 * base_secs + 10) << name << " vs " << base_secs << " s without a collector";
  }
}

}  // namespace
