// Message sizes the applications draw: fixed, or from a distribution, each draw from the app's
// own random stream. Plain C++ (no SystemC), so the sample means are tested in one process.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/rng.h"

namespace hostwire::apps {

struct SizeDistribution {
  enum class Kind : uint8_t { fixed, exponential, uniform, lognormal, bimodal };
  Kind kind = Kind::fixed;
  uint64_t size = 1024;      // bytes: the size (fixed), the mean (exponential, lognormal), the minimum (uniform)
  uint64_t size_max = 1024;  // bytes: uniform's maximum
  double sigma = 1.0;        // lognormal: the standard deviation of the underlying normal
  uint64_t small = 64;       // bimodal: the two sizes, bytes, and the fraction of large ones
  uint64_t large = 65536;
  double large_fraction = 0.1;

  // One size, rounded to whole bytes (fixed draws nothing from `rng`).
  uint64_t draw(Rng& rng) const;
  // One size clamped to [lo, hi].
  uint64_t draw(Rng& rng, uint64_t lo, uint64_t hi) const;
  // The distribution's mean before any clamp, bytes.
  double mean() const;
};

// "fixed", "exponential", "uniform", "lognormal", "bimodal".
const char* to_string(SizeDistribution::Kind k);
std::optional<SizeDistribution::Kind> parse_size_kind(std::string_view name);

}  // namespace hostwire::apps
