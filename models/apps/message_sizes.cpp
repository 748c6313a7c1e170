#include "apps/message_sizes.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

namespace hostwire::apps {

namespace {

constexpr std::array<std::pair<SizeDistribution::Kind, const char*>, 5> kNames = {{
    {SizeDistribution::Kind::fixed, "fixed"},
    {SizeDistribution::Kind::exponential, "exponential"},
    {SizeDistribution::Kind::uniform, "uniform"},
    {SizeDistribution::Kind::lognormal, "lognormal"},
    {SizeDistribution::Kind::bimodal, "bimodal"},
}};

// A non-negative real rounded to whole bytes, saturating rather than overflowing.
uint64_t whole_bytes(double v) {
  if (!(v > 0)) return 0;
  return v >= 1.8e19 ? UINT64_MAX : static_cast<uint64_t>(v + 0.5);
}

}  // namespace

uint64_t SizeDistribution::draw(Rng& rng) const {
  switch (kind) {
    case Kind::exponential:
      return whole_bytes(rng.exponential(static_cast<double>(size)));
    case Kind::uniform:
      return rng.uniform_int(size, std::max(size, size_max));
    case Kind::lognormal: {
      // A mean of `size`: exp(mu + sigma^2 / 2) = size.
      const double mu = std::log(static_cast<double>(std::max<uint64_t>(size, 1))) - sigma * sigma / 2;
      return whole_bytes(std::exp(mu + sigma * rng.normal()));
    }
    case Kind::bimodal:
      return rng.bernoulli(large_fraction) ? large : small;
    case Kind::fixed:
      break;
  }
  return size;
}

uint64_t SizeDistribution::draw(Rng& rng, uint64_t lo, uint64_t hi) const {
  return std::clamp(draw(rng), lo, std::max(lo, hi));
}

double SizeDistribution::mean() const {
  switch (kind) {
    case Kind::uniform:
      return (static_cast<double>(size) + static_cast<double>(std::max(size, size_max))) / 2;
    case Kind::bimodal:
      return (1 - large_fraction) * static_cast<double>(small) + large_fraction * static_cast<double>(large);
    default:
      return static_cast<double>(size);
  }
}

const char* to_string(SizeDistribution::Kind k) {
  for (const auto& [kind, name] : kNames)
    if (kind == k) return name;
  return "?";
}

std::optional<SizeDistribution::Kind> parse_size_kind(std::string_view name) {
  for (const auto& [kind, n] : kNames)
    if (name == n) return kind;
  return std::nullopt;
}

}  // namespace hostwire::apps
