// switchyard-itch: writes a MoldUDP64 / ITCH 5.0 capture of one feed of a config (lines A and B
// interleaved as one port sees them, with injected faults), and beside it the ground truth the
// appliance's feed counters and books must match.
//
// Exit codes: 0 written, 1 I/O failure, 2 bad arguments or config.

#include <charconv>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "conf/config.hpp"
#include "perf/traffic/cli.hpp"
#include "perf/traffic/itch_feed.hpp"

namespace {

using sy::traffic::cli::parse_uint;
using sy::traffic::cli::UsageError;

constexpr const char* kUsage =
    "usage: switchyard-itch --config FILE [--set key.path=value ...] [--feed NAME]\n"
    "                       --messages N --seed S [--instruments K] [--per-packet M] [--pps R]\n"
    "                       [--b-delay-ns NS] [--heartbeats H] [--heartbeat-gap-ns NS]\n"
    "                       [--end-of-session N] [--start-ns NS]\n"
    "                       [--mix A=30,F=6,E=10,C=4,X=10,D=16,U=14,P=6,Q=1,H=3]\n"
    "                       [--faults loss_a=2,loss_b=2,loss_both=1,duplicate=3,reorder=1,"
    "session_change=0,malformed=2]\n"
    "                       --out FILE.pcap\n"
    "Writes FILE.pcap (nanosecond pcap, Ethernet) and FILE.truth.json (expected counters).\n"
    "A fault's value is a count, or @P:Q:... to pin it to data packets P, Q, ...\n";

struct Options {
  bool help = false;
  std::string config;
  std::vector<std::string> overrides;
  std::string out;
  sy::traffic::ItchFeedSpec spec;
};

Options parse_args(int argc, char** argv) {
  Options o;
  o.spec.keep_messages = false;  // the CLI writes bytes; the decoded script is for tests
  bool have_messages = false;
  bool have_seed = false;
  sy::traffic::cli::Args args(argc, argv);
  while (args.next()) {
    const std::string name = args.name();
    auto value = [&] { return args.value(); };
    auto u32 = [&](const std::string& text) {
      return static_cast<uint32_t>(parse_uint(name, text, UINT32_MAX));
    };
    if (name == "--help" || name == "-h") {
      o.help = true;
    } else if (name == "--config") {
      o.config = value();
    } else if (name == "--set") {
      o.overrides.push_back(value());
    } else if (name == "--feed") {
      o.spec.feed = value();
    } else if (name == "--messages") {
      o.spec.messages = parse_uint(name, value(), UINT64_MAX);
      have_messages = true;
    } else if (name == "--seed") {
      o.spec.seed = parse_uint(name, value(), UINT64_MAX);
      have_seed = true;
    } else if (name == "--instruments") {
      o.spec.instruments = u32(value());
    } else if (name == "--per-packet") {
      o.spec.per_packet = u32(value());
    } else if (name == "--pps") {
      o.spec.pps = u32(value());
    } else if (name == "--b-delay-ns") {
      o.spec.b_delay_ns = parse_uint(name, value(), UINT64_MAX);
    } else if (name == "--heartbeats") {
      o.spec.heartbeats = u32(value());
    } else if (name == "--heartbeat-gap-ns") {
      o.spec.heartbeat_gap_ns = parse_uint(name, value(), UINT64_MAX);
    } else if (name == "--end-of-session") {
      o.spec.end_of_session_packets = u32(value());
    } else if (name == "--start-ns") {
      o.spec.start_time_ns = parse_uint(name, value(), UINT64_MAX);
    } else if (name == "--faults") {
      try {
        o.spec.faults = sy::traffic::parse_itch_faults(value());
      } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
      }
    } else if (name == "--mix") {
      try {
        o.spec.mix = sy::traffic::parse_itch_mix(value());
      } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
      }
    } else if (name == "--out") {
      o.out = value();
    } else {
      throw UsageError("unknown argument '" + name + "'");
    }
  }
  if (o.help) return o;
  if (o.config.empty()) throw UsageError("--config is required");
  if (!have_messages) throw UsageError("--messages is required");
  if (!have_seed) throw UsageError("--seed is required");
  if (o.out.empty()) throw UsageError("--out is required");
  return o;
}

int run(const Options& o) {
  sy::conf::Config cfg;
  try {
    cfg = sy::conf::load(o.config, o.overrides);
  } catch (const sy::conf::ConfigError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
  sy::traffic::GeneratedItch g;
  try {
    g = sy::traffic::generate_itch(cfg, o.spec);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "switchyard-itch: %s\n", e.what());
    return 2;
  }
  sy::traffic::write_itch(g, o.out);

  const sy::traffic::ItchTruth& t = g.truth;
  auto u = [](uint64_t v) { return static_cast<unsigned long long>(v); };
  std::printf(
      "switchyard-itch: feed %s, seed %llu: %llu frames (%llu bytes), %llu sessions, %llu "
      "messages published, %llu applied, %llu duplicates, %llu lost in %llu ranges, %llu "
      "faults -> %s, %s\n",
      t.feed.c_str(), u(t.seed), u(t.frames), u(t.bytes), u(t.sessions), u(t.messages_unique),
      u(t.applied), u(t.duplicates), u(t.lost), u(t.lost_ranges.size()), u(t.faults.size()),
      o.out.c_str(), sy::traffic::itch_truth_path(o.out).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return sy::traffic::cli::run_tool<Options>("switchyard-itch", kUsage, argc, argv, parse_args,
                                             run);
}
