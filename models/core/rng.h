// Deterministic randomness: one stream per component, derived from the scenario seed and
// the component's hierarchical name. Adding a component never shifts another's stream,
// and the same scenario and seed give the same numbers on every machine (no std::
// distributions, whose output differs between standard libraries).
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>

namespace hostwire {

constexpr uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

constexpr uint64_t fnv1a64(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

// xoshiro256** (Blackman & Vigna): fast, 256-bit state, good statistical quality.
class Rng {
 public:
  Rng(uint64_t scenario_seed, std::string_view stream_name) { reseed(scenario_seed, stream_name); }
  explicit Rng(uint64_t seed = 1) { reseed(seed, {}); }

  void reseed(uint64_t scenario_seed, std::string_view stream_name) {
    uint64_t sm = scenario_seed ^ fnv1a64(stream_name);
    for (auto& w : s_) w = splitmix64(sm);
  }

  uint64_t next_u64() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  // Uniform integer in [lo, hi] (inclusive), unbiased by rejection.
  uint64_t uniform_int(uint64_t lo, uint64_t hi) {
    uint64_t span = hi - lo;
    if (span == UINT64_MAX) return next_u64();
    uint64_t range = span + 1, limit = UINT64_MAX - UINT64_MAX % range;
    uint64_t x;
    do x = next_u64();
    while (x >= limit);
    return lo + x % range;
  }
  bool bernoulli(double p) { return p > 0 && uniform() < p; }
  // Exponential with the given mean (inverse transform; 1-u avoids log(0)).
  double exponential(double mean) { return -mean * std::log(1.0 - uniform()); }
  // Standard normal (Marsaglia's polar method; the pair's second value is not kept, so a draw
  // depends on nothing but the stream's position).
  double normal() {
    for (;;) {
      const double u = 2 * uniform() - 1, v = 2 * uniform() - 1, s = u * u + v * v;
      if (s > 0 && s < 1) return u * std::sqrt(-2 * std::log(s) / s);
    }
  }

 private:
  static constexpr uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4]{};
};

}  // namespace hostwire
