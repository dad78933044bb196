// switchyard-gen's profiles: the pacing law of each pattern and the loader's errors.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "perf/gen/profile.hpp"

namespace sy::gen {
namespace {

namespace fs = std::filesystem;

TEST(Profile, SteadyPacesEvenly) {
  Profile p;
  p.rate_pps = 200'000;
  EXPECT_EQ(p.frames_due(0), 0u);
  EXPECT_EQ(p.frames_due(5'000), 1u);                // one frame per 5 us
  EXPECT_EQ(p.frames_due(1'000'000'000), 200'000u);  // one second
}

TEST(Profile, BurstSendsOnlyWhileOnAndKeepsTheAverage) {
  Profile p;
  p.pattern = Pattern::burst;
  p.rate_pps = 200'000;
  p.burst_on_us = 1000;
  p.burst_off_us = 4000;
  // 1 ms on at 5x the rate: 1000 frames, then nothing for 4 ms.
  EXPECT_EQ(p.frames_due(1'000'000), 1000u);
  EXPECT_EQ(p.frames_due(3'000'000), 1000u);
  EXPECT_EQ(p.frames_due(5'000'000), 1000u);
  EXPECT_EQ(p.frames_due(5'500'000), 1500u);
  EXPECT_EQ(p.frames_due(1'000'000'000), 200'000u);  // the average rate over whole periods
}

TEST(Profile, ShippedProfilesLoad) {
  const fs::path dir = fs::path(std::getenv("SY_SOURCE_ROOT")) / "perf/profiles";
  for (const char* name : {"steady", "burst", "skew"}) {
    const Profile p = load_profile((dir / (std::string(name) + ".yaml")).string());
    EXPECT_EQ(p.name, name);
    EXPECT_GT(p.rate_pps, 0u);
    EXPECT_GT(p.probe_interval_us, 0u);
  }
  EXPECT_EQ(load_profile((dir / "burst.yaml").string()).pattern, Pattern::burst);
  EXPECT_EQ(load_profile((dir / "skew.yaml").string()).instruments, 1u);
}

std::string error_of(const std::string& text) {
  const fs::path f =
      fs::temp_directory_path() / ("sy_profile_" + std::to_string(getpid()) + ".yaml");
  std::ofstream(f) << text;
  try {
    load_profile(f.string());
  } catch (const ProfileError& e) {
    fs::remove(f);
    return std::string(e.what()).substr(f.string().size());
  }
  fs::remove(f);
  return "(no error)";
}

TEST(Profile, Errors) {
  EXPECT_EQ(error_of("rate_pps: 0\n"), ": rate_pps: 0 is out of range 1..100000000");
  EXPECT_EQ(error_of("rate_pps: fast\n"), ": rate_pps: expected an integer in 1..100000000");
  EXPECT_EQ(error_of("pattern: wave\n"), ": pattern: expected one of: steady, burst");
  EXPECT_EQ(error_of("rate: 5\n"), ": rate: unknown key");
  EXPECT_EQ(error_of("per_packet: 28\n"), ": per_packet: 28 is out of range 1..27");
  EXPECT_EQ(error_of("- 1\n"), ": expected a map");
}

}  // namespace
}  // namespace sy::gen
