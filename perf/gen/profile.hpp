// Load profiles of switchyard-gen (perf/profiles/*.yaml): how fast, in what pattern and for
// how long the generator sends, and what market data it sends. No DPDK: tests and scripts
// (perf/run.sh) read the same files.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace sy::gen {

enum class Pattern : uint8_t { steady, burst };

struct Profile {
  std::string name;
  Pattern pattern = Pattern::steady;
  uint64_t rate_pps = 100'000;  // average frames per second over the run (both lines)
  uint64_t duration_ms = 3000;
  uint32_t burst_on_us = 1000;       // burst: frames leave only during on periods ...
  uint32_t burst_off_us = 4000;      // ... at rate_pps * (on + off) / on
  uint32_t probe_interval_us = 100;  // one round-trip probe this often; 0: none
  // The market data (perf/traffic/itch_feed.hpp).
  uint64_t seed = 1;
  uint32_t instruments = 8;  // skew: few instruments carry the whole flow
  uint32_t per_packet = 4;   // messages per packet, 1..per_packet
  std::optional<uint32_t> b_delay_us;
  uint64_t max_frames = 2'000'000;  // frames generated up front; the stream repeats after that

  // Frames sent by `elapsed_ns` into the run: the pacing law of the pattern.
  uint64_t frames_due(uint64_t elapsed_ns) const;
};

struct ProfileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws ProfileError naming the file, the key and what was expected.
Profile load_profile(const std::string& path);

}  // namespace sy::gen
