// switchyard-traffic: writes a deterministic test capture for one port of a config, and beside
// it the ground truth the appliance's counters must match.
//
// Exit codes: 0 written, 1 I/O failure, 2 bad arguments or config.

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "conf/config.hpp"
#include "perf/traffic/cli.hpp"
#include "perf/traffic/mix.hpp"
#include "perf/traffic/pcap_file.hpp"

namespace {

using sy::traffic::cli::parse_uint;
using sy::traffic::cli::UsageError;

constexpr const char* kUsage =
    "usage: switchyard-traffic --config FILE [--set key.path=value ...] [--port NAME]\n"
    "                          --frames N --seed S [--mix lines=70,sessions=20,other=5,"
    "malformed=5,local=0]\n"
    "                          [--rate-pps R] [--payload MIN-MAX] [--start-ns NS] --out "
    "FILE.pcap\n"
    "Writes FILE.pcap (nanosecond pcap, Ethernet) and FILE.truth.json (expected counters).\n";

struct Options {
  bool help = false;
  std::string config;
  std::vector<std::string> overrides;
  std::string out;
  sy::traffic::MixSpec spec;
};

Options parse_args(int argc, char** argv) {
  Options o;
  bool have_frames = false;
  bool have_seed = false;
  sy::traffic::cli::Args args(argc, argv);
  while (args.next()) {
    const std::string name = args.name();
    auto value = [&] { return args.value(); };
    if (name == "--help" || name == "-h") {
      o.help = true;
    } else if (name == "--config") {
      o.config = value();
    } else if (name == "--set") {
      o.overrides.push_back(value());
    } else if (name == "--port") {
      o.spec.port = value();
    } else if (name == "--frames") {
      o.spec.frames = parse_uint(name, value(), UINT64_MAX);
      have_frames = true;
    } else if (name == "--seed") {
      o.spec.seed = parse_uint(name, value(), UINT64_MAX);
      have_seed = true;
    } else if (name == "--mix") {
      try {
        o.spec.weights = sy::traffic::parse_mix(value());
      } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
      }
    } else if (name == "--rate-pps") {
      o.spec.rate_pps = static_cast<uint32_t>(parse_uint(name, value(), UINT32_MAX));
      if (o.spec.rate_pps == 0) throw UsageError("--rate-pps must be at least 1");
    } else if (name == "--payload") {
      const std::string range = value();
      const size_t dash = range.find('-');
      if (dash == std::string::npos) throw UsageError("--payload: expected MIN-MAX, e.g. 16-256");
      o.spec.payload_min =
          static_cast<uint32_t>(parse_uint(name, range.substr(0, dash), UINT32_MAX));
      o.spec.payload_max =
          static_cast<uint32_t>(parse_uint(name, range.substr(dash + 1), UINT32_MAX));
    } else if (name == "--start-ns") {
      o.spec.start_time_ns = parse_uint(name, value(), UINT64_MAX);
    } else if (name == "--out") {
      o.out = value();
    } else {
      throw UsageError("unknown argument '" + name + "'");
    }
  }
  if (o.help) return o;
  if (o.config.empty()) throw UsageError("--config is required");
  if (!have_frames) throw UsageError("--frames is required");
  if (!have_seed) throw UsageError("--seed is required");
  if (o.out.empty()) throw UsageError("--out is required");
  return o;
}

// FILE.pcap -> FILE.truth.json; any other name gets the suffix appended.
std::string truth_path(const std::string& pcap_path) {
  const std::string ext = ".pcap";
  if (pcap_path.size() > ext.size() &&
      pcap_path.compare(pcap_path.size() - ext.size(), ext.size(), ext) == 0)
    return pcap_path.substr(0, pcap_path.size() - ext.size()) + ".truth.json";
  return pcap_path + ".truth.json";
}

void write_text(const std::string& path, const std::string& text) {
  errno = 0;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error(path + ": cannot create: " + std::strerror(errno));
  const bool wrote = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const int saved = errno;
  if (std::fclose(f) != 0 || !wrote)
    throw std::runtime_error(path + ": cannot write: " + std::strerror(wrote ? errno : saved));
}

int run(const Options& o) {
  sy::conf::Config cfg;
  try {
    cfg = sy::conf::load(o.config, o.overrides);
  } catch (const sy::conf::ConfigError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
  std::optional<sy::traffic::MixGenerator> gen;
  try {
    gen.emplace(cfg, o.spec);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "switchyard-traffic: %s\n", e.what());
    return 2;
  }

  sy::traffic::PcapWriter pcap(o.out);
  sy::traffic::GeneratedFrame frame;
  while (gen->next(frame)) pcap.write(frame.timestamp_ns, frame.data);
  pcap.close();

  const sy::traffic::GroundTruth& truth = gen->truth();
  const std::string truth_file = truth_path(o.out);
  write_text(truth_file, truth.to_json().dump(2) + "\n");

  auto count = [&](uint16_t id) { return truth.classes.at(id).second.frames; };
  const uint64_t other = count(sy::net::kClassOther);
  const uint64_t malformed = count(sy::net::kClassMalformed);
  const uint64_t local = count(sy::net::kClassLocal);
  std::printf(
      "switchyard-traffic: %llu frames (%llu bytes) for port %s, seed %llu: %llu classified, "
      "%llu other, %llu malformed, %llu local -> %s, %s\n",
      static_cast<unsigned long long>(truth.frames), static_cast<unsigned long long>(truth.bytes),
      truth.port.c_str(), static_cast<unsigned long long>(truth.seed),
      static_cast<unsigned long long>(truth.frames - other - malformed - local),
      static_cast<unsigned long long>(other), static_cast<unsigned long long>(malformed),
      static_cast<unsigned long long>(local), o.out.c_str(), truth_file.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return sy::traffic::cli::run_tool<Options>("switchyard-traffic", kUsage, argc, argv, parse_args,
                                             run);
}
