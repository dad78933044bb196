// gate_results: the binary record's JSON form, validated against
// docs/contracts/gate_results.schema.json by Debian's python3-jsonschema (an implementation
// independent of ours), for every kind of decision.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/risk/risk_fixture.hpp"

namespace sy::risk::test {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr uint32_t k100 = 100 * kDollar;

std::string source_root() {
  const char* r = std::getenv("SY_SOURCE_ROOT");
  return r ? r : ".";
}

// One record of each decision and kind.
std::vector<GateResult> sample_records() {
  GateFixture f(policy_yaml({{"max_shares_per_order", "10"}}));
  std::vector<GateResult> out;
  out.push_back(f.send(GateFixture::order("PASS0000000001", 5, k100)));
  out.push_back(f.send(GateFixture::order("FAIL0000000001", 11, k100)));
  out.push_back(f.send(GateFixture::order("PASS0000000001", 5, k100)));  // IGNORE
  out.push_back(f.send(GateFixture::replace("PASS0000000001", "REPL0000000001", 6, k100)));
  out.push_back(f.send(GateFixture::cancel("REPL0000000001")));
  f.market.samples[1].feed = FeedHealth::unknown;
  out.push_back(f.send(GateFixture::order("UNKN0000000001", 5, k100)));
  f.safety = {SafetyMode::emergency_stop, true};
  f.kill_mask = 1;
  out.push_back(f.send(GateFixture::cancel("PASS0000000001")));
  OrderIntent odd = GateFixture::order("bad\x01\xff", 5, k100);  // non-printable token bytes
  out.push_back(f.send(odd));
  f.safety = {SafetyMode::normal, false};
  f.kill_mask = 0;
  f.market.samples[1].feed = FeedHealth::healthy;
  f.send(GateFixture::order("MODI0000000001", 5, k100));
  out.push_back(f.send(GateFixture::modify("MODI0000000001", 8, Side::buy)));      // PASS
  out.push_back(f.send(GateFixture::modify("MODI0000000001", 8, Side::invalid)));  // FAIL
  return out;
}

TEST(GateResults, RecordIsFixedSize) {
  static_assert(sizeof(GateResultRecord) == 128);
  static_assert(alignof(GateResultRecord) == 8);
  SUCCEED();
}

TEST(GateResults, JsonCarriesTheRecord) {
  const auto records = sample_records();
  const json pass = json::parse(gate_result_json(records[0]));
  EXPECT_EQ(pass["decision"], "PASS");
  EXPECT_EQ(pass["token"], "PASS0000000001");
  EXPECT_EQ(pass["symbol"], "AAPL");
  EXPECT_EQ(pass["reference_price"], k100);
  EXPECT_TRUE(pass["first_failed"].is_null());
  EXPECT_FALSE(pass.contains("seen"));
  EXPECT_EQ(pass["checks_ran"].size(), kCheckCount - 1);
  EXPECT_EQ(pass["latency_ns"], 4000);
  const json fail = json::parse(gate_result_json(records[1]));
  EXPECT_EQ(fail["decision"], "FAIL");
  EXPECT_EQ(fail["first_failed"], "max_shares");
  EXPECT_EQ(fail["checks_failed"], json::array({"max_shares"}));
  EXPECT_EQ(fail["seen"], 11);
  EXPECT_EQ(fail["limit"], 10);
  EXPECT_EQ(fail["reject_reason"], "m");
  const json ignore = json::parse(gate_result_json(records[2]));
  EXPECT_EQ(ignore["decision"], "IGNORE");
  EXPECT_TRUE(ignore["reject_reason"].is_null());
  const json repl = json::parse(gate_result_json(records[3]));
  EXPECT_EQ(repl["kind"], "replace");
  EXPECT_EQ(repl["existing_token"], "PASS0000000001");
  const json modify = json::parse(gate_result_json(records[8]));
  EXPECT_EQ(modify["kind"], "modify");
  EXPECT_EQ(modify["decision"], "PASS");
  EXPECT_EQ(modify["shares"], 8);
  EXPECT_FALSE(modify.contains("existing_token"));
  const json bad_side = json::parse(gate_result_json(records[9]));
  EXPECT_EQ(bad_side["side"], "invalid");
  EXPECT_EQ(bad_side["first_failed"], "order_fields");
  const json unknown = json::parse(gate_result_json(records[5]));
  EXPECT_EQ(unknown["decision"], "UNKNOWN");
  EXPECT_EQ(unknown["first_failed"], "feed_state");
  const json es = json::parse(gate_result_json(records[6]));
  EXPECT_EQ(es["safety_mode"], "EMERGENCY_STOP");
  EXPECT_EQ(es["global_kill"], true);
  EXPECT_EQ(es["account_kill"], true);
  const json odd = json::parse(gate_result_json(records[7]));
  EXPECT_EQ(odd["token"], "bad??         ");
}

TEST(GateResults, SchemaListsTheChecksInOrder) {
  std::ifstream in(source_root() + "/docs/contracts/gate_results.schema.json");
  ASSERT_TRUE(in);
  const json s = json::parse(in);
  const json& names = s["$defs"]["check"]["enum"];
  ASSERT_EQ(names.size(), kCheckCount);
  for (size_t i = 0; i < kCheckCount; ++i) EXPECT_EQ(names[i], kCheckNames[i]);
}

TEST(GateResults, JsonValidatesAgainstTheSchema) {
  char tmpl[] = "/tmp/sy_gate_results_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const fs::path dir = tmpl;
  const fs::path records = dir / "records.jsonl";
  {
    std::ofstream out(records);
    for (const auto& r : sample_records()) out << gate_result_json(r) << "\n";
  }
  const fs::path schema = fs::path(source_root()) / "docs/contracts/gate_results.schema.json";
  const fs::path log = dir / "validate.log";
  const std::string cmd =
      "/usr/bin/python3 -c '"
      "import json,sys,jsonschema\n"
      "s=json.load(open(sys.argv[1]))\n"
      "jsonschema.Draft202012Validator.check_schema(s)\n"
      "n=0\n"
      "for line in open(sys.argv[2]):\n"
      "  jsonschema.validate(json.loads(line), s); n+=1\n"
      "assert n==10, n\n' " +
      schema.string() + " " + records.string() + " > " + log.string() + " 2>&1";
  const int rc = std::system(cmd.c_str());
  std::ifstream l(log);
  const std::string text((std::istreambuf_iterator<char>(l)), std::istreambuf_iterator<char>());
  EXPECT_EQ(rc, 0) << text;
  // The schema must be able to say no: a PASS with a reject reason is invalid.
  json bad = json::parse(gate_result_json(sample_records()[0]));
  bad["reject_reason"] = "m";
  std::ofstream(records) << bad.dump() << "\n";
  const std::string cmd_bad =
      "/usr/bin/python3 -c 'import json,sys,jsonschema\n"
      "jsonschema.validate(json.loads(open(sys.argv[2]).readline()), "
      "json.load(open(sys.argv[1])))' " +
      schema.string() + " " + records.string() + " > " + log.string() + " 2>&1";
  EXPECT_NE(std::system(cmd_bad.c_str()), 0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace sy::risk::test
