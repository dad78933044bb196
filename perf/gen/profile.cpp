#include "perf/gen/profile.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

namespace sy::gen {

uint64_t Profile::frames_due(uint64_t elapsed_ns) const {
  __extension__ using u128 = unsigned __int128;
  if (pattern == Pattern::steady)
    return static_cast<uint64_t>(static_cast<u128>(elapsed_ns) * rate_pps / 1'000'000'000);
  const uint64_t on = uint64_t{burst_on_us} * 1000, off = uint64_t{burst_off_us} * 1000;
  const uint64_t period = on + off;
  const uint64_t on_ns = elapsed_ns / period * on + std::min(elapsed_ns % period, on);
  // During on periods the rate is rate_pps * period / on, so the average is rate_pps.
  return static_cast<uint64_t>(static_cast<u128>(on_ns) * rate_pps * period / on / 1'000'000'000);
}

namespace {

template <typename T>
T read(const YAML::Node& n, const std::string& file, const char* key, T lo, T hi, T dflt) {
  const YAML::Node v = n[key];
  if (!v) return dflt;
  T out{};
  try {
    out = v.as<T>();
  } catch (const YAML::Exception&) {
    throw ProfileError(file + ": " + key + ": expected an integer in " + std::to_string(lo) + ".." +
                       std::to_string(hi));
  }
  if (out < lo || out > hi)
    throw ProfileError(file + ": " + key + ": " + std::to_string(out) + " is out of range " +
                       std::to_string(lo) + ".." + std::to_string(hi));
  return out;
}

}  // namespace

Profile load_profile(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    throw ProfileError(path + ": " + e.what());
  }
  if (!root.IsMap()) throw ProfileError(path + ": expected a map");
  static const std::set<std::string> known = {
      "name",        "pattern",      "rate_pps",          "duration_ms",
      "burst_on_us", "burst_off_us", "probe_interval_us", "seed",
      "instruments", "per_packet",   "b_delay_us",        "max_frames"};
  for (const auto& kv : root)
    if (!known.count(kv.first.as<std::string>()))
      throw ProfileError(path + ": " + kv.first.as<std::string>() + ": unknown key");
  Profile p;
  p.name = root["name"] ? root["name"].as<std::string>() : path;
  if (const YAML::Node pat = root["pattern"]) {
    const std::string s = pat.as<std::string>();
    if (s == "steady")
      p.pattern = Pattern::steady;
    else if (s == "burst")
      p.pattern = Pattern::burst;
    else
      throw ProfileError(path + ": pattern: expected one of: steady, burst");
  }
  p.rate_pps = read<uint64_t>(root, path, "rate_pps", 1, 100'000'000, p.rate_pps);
  p.duration_ms = read<uint64_t>(root, path, "duration_ms", 1, 3'600'000, p.duration_ms);
  p.burst_on_us = read<uint32_t>(root, path, "burst_on_us", 1, 10'000'000, p.burst_on_us);
  p.burst_off_us = read<uint32_t>(root, path, "burst_off_us", 0, 10'000'000, p.burst_off_us);
  p.probe_interval_us =
      read<uint32_t>(root, path, "probe_interval_us", 0, 10'000'000, p.probe_interval_us);
  p.seed = read<uint64_t>(root, path, "seed", 0, UINT64_MAX, p.seed);
  p.instruments = read<uint32_t>(root, path, "instruments", 1, 65535, p.instruments);
  p.per_packet = read<uint32_t>(root, path, "per_packet", 1, 27, p.per_packet);
  if (root["b_delay_us"]) p.b_delay_us = read<uint32_t>(root, path, "b_delay_us", 0, 1'000'000, 0);
  p.max_frames = read<uint64_t>(root, path, "max_frames", 1000, 50'000'000, p.max_frames);
  return p;
}

}  // namespace sy::gen
