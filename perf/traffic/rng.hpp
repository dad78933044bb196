// The traffic library's pseudo-random numbers.
//
// SplitMix64 (Steele, Lea, Flood 2014) is fully specified by its few lines below, so a seed gives
// the same stream on every compiler and standard library; std::uniform_int_distribution would not.
#pragma once

#include <cstdint>

namespace sy::traffic {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, n) for n > 0. Modulo bias is below n / 2^64: irrelevant for traffic mixes.
  uint64_t below(uint64_t n) { return next() % n; }

 private:
  uint64_t state_;
};

}  // namespace sy::traffic
