// The observe: section of the configuration: defaults, the resolved dump, and its errors.
#include <gtest/gtest.h>

#include "conf/config.hpp"

namespace sy::conf {
namespace {

const std::string kBase =
    "lcores:\n"                                          // 1
    "  - { id: 0, cpu: 0, role: control }\n"             // 2
    "  - { id: 1, cpu: 1, role: rx, ports: [wire0] }\n"  // 3
    "  - { id: 2, cpu: 1, role: integrity }\n"           // 4
    "  - { id: 3, cpu: 0, role: execution }\n"           // 5
    "  - { id: 4, cpu: 0, role: storage }\n"             // 6
    "ports:\n"                                           // 7
    "  - { name: wire0, device: net_null0 }\n";          // 8

std::string error_of(const std::string& yaml, const std::vector<std::string>& sets = {}) {
  try {
    load_from_string(yaml, "t.yaml", sets);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ObserveConf, DefaultsExportNothingAndRegisterTelemetry) {
  const Config c = load_from_string(kBase, "t.yaml");
  EXPECT_EQ(c.observe.service_name, "switchyard");
  EXPECT_EQ(c.observe.service_instance_id, "");
  EXPECT_EQ(c.observe.otlp.endpoint, "");
  EXPECT_EQ(c.observe.otlp.encoding, OtlpEncoding::protobuf);
  EXPECT_EQ(c.observe.otlp.interval_ms, 10000u);
  EXPECT_EQ(c.observe.otlp.timeout_ms, 2000u);
  EXPECT_EQ(c.observe.otlp.retries, 3u);
  EXPECT_EQ(c.observe.otlp.backoff_ms, 250u);
  EXPECT_EQ(c.observe.otlp.queue, 4u);
  EXPECT_EQ(c.observe.disk_paths, std::vector<std::string>{"."});
  EXPECT_TRUE(c.observe.telemetry);
  EXPECT_TRUE(c.observe.pdump);
}

TEST(ObserveConf, ParsesEveryKeyAndDumpsThem) {
  const Config c = load_from_string(kBase +
                                        "observe:\n"
                                        "  service_name: sy-a\n"
                                        "  service_instance_id: host1/a\n"
                                        "  disk_paths: [/var, /tmp]\n"
                                        "  telemetry: false\n"
                                        "  pdump: false\n"
                                        "  otlp:\n"
                                        "    endpoint: http://127.0.0.1:4318/v1/metrics\n"
                                        "    encoding: json\n"
                                        "    interval_ms: 500\n"
                                        "    timeout_ms: 100\n"
                                        "    retries: 0\n"
                                        "    backoff_ms: 10\n"
                                        "    queue: 64\n",
                                    "t.yaml");
  EXPECT_EQ(c.observe.service_name, "sy-a");
  EXPECT_EQ(c.observe.service_instance_id, "host1/a");
  EXPECT_EQ(c.observe.disk_paths, (std::vector<std::string>{"/var", "/tmp"}));
  EXPECT_FALSE(c.observe.telemetry);
  EXPECT_FALSE(c.observe.pdump);
  EXPECT_EQ(c.observe.otlp.endpoint, "http://127.0.0.1:4318/v1/metrics");
  EXPECT_EQ(c.observe.otlp.encoding, OtlpEncoding::json);
  EXPECT_EQ(c.observe.otlp.interval_ms, 500u);
  EXPECT_EQ(c.observe.otlp.timeout_ms, 100u);
  EXPECT_EQ(c.observe.otlp.retries, 0u);
  EXPECT_EQ(c.observe.otlp.backoff_ms, 10u);
  EXPECT_EQ(c.observe.otlp.queue, 64u);
  const std::string dump = dump_resolved(c);
  for (const char* s :
       {"service_name: sy-a", "endpoint: http://127.0.0.1:4318/v1/metrics", "encoding: json",
        "interval_ms: 500", "queue: 64", "disk_paths: [/var, /tmp]"})
    EXPECT_NE(dump.find(s), std::string::npos) << s << "\n" << dump;
  // The dump is itself a valid configuration that resolves to the same thing.
  const Config again = load_from_string(dump, "dump.yaml");
  EXPECT_EQ(dump_resolved(again), dump);
}

TEST(ObserveConf, Errors) {
  EXPECT_EQ(error_of(kBase + "observe:\n  otlp:\n    endpoint: https://collector:4318\n"),
            "t.yaml:11:5: observe.otlp.endpoint: 'https://collector:4318' does not match "
            "(http://[^/ ]+(/[^ ]*)?)?");
  EXPECT_EQ(error_of(kBase + "observe:\n  otlp:\n    encoding: grpc\n"),
            "t.yaml:11:5: observe.otlp.encoding: expected one of: protobuf, json");
  EXPECT_EQ(error_of(kBase + "observe:\n  otlp:\n    queue: 0\n"),
            "t.yaml:11:5: observe.otlp.queue: 0 is out of range 1..64 (exports)");
  EXPECT_EQ(error_of(kBase + "observe:\n  otlp:\n    interval_ms: 50\n"),
            "t.yaml:11:5: observe.otlp.interval_ms: 50 is out of range 100..3600000 (ms)");
  EXPECT_EQ(error_of(kBase + "observe:\n  otlp:\n    endpoint: http://c:1/\n"
                             "    interval_ms: 1000\n    timeout_ms: 1000\n"),
            "t.yaml:13:5: observe.otlp.timeout_ms: must be below observe.otlp.interval_ms (1000)");
  EXPECT_EQ(error_of(kBase + "observe:\n  otlp:\n    endpiont: http://c:1/\n"),
            "t.yaml:11:5: observe.otlp.endpiont: unknown key (expected one of: endpoint, "
            "encoding, interval_ms, timeout_ms, retries, backoff_ms, queue)");
  EXPECT_EQ(error_of(kBase + "observe:\n  disk_paths: [\"\"]\n"),
            "t.yaml:10:16: observe.disk_paths[0]: expected a directory path");
  EXPECT_EQ(error_of(kBase + "observe:\n  service_name: \"a b\"\n"),
            "t.yaml:10:3: observe.service_name: 'a b' does not match [A-Za-z0-9_.-]{1,64}");
  EXPECT_EQ(error_of(kBase, {"observe.otlp.endpoint=http://127.0.0.1:4318",
                             "observe.otlp.timeout_ms=20000"}),
            "--set: observe.otlp.timeout_ms: must be below observe.otlp.interval_ms (10000)");
}

}  // namespace
}  // namespace sy::conf
