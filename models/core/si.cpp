#include "core/si.h"

#include <array>
#include <cmath>

#include <fmt/format.h>

namespace hostwire {
namespace {

struct Step {
  double scale;
  const char* name;
};

// The largest step whose scale keeps |value| / scale at least 1 (the last step otherwise);
// steps run from the largest scale down. Rounding to two decimals may reach 1000.00: then the
// next larger step is taken, so "999.996 ns" reads "1.00 us", not "1000.00 ns".
template <size_t N>
std::string scaled(double value, const std::array<Step, N>& steps, const char* suffix) {
  const double mag = std::abs(value);
  size_t i = 0;
  while (i + 1 < N && mag < steps[i].scale) ++i;
  if (i > 0 && std::round(mag / steps[i].scale * 100) >= 100000) --i;
  return fmt::format("{:.2f} {}{}", value / steps[i].scale, steps[i].name, suffix);
}

bool small_integer(double v) { return std::abs(v) < 10000 && v == std::trunc(v); }

std::string with_unit(const std::string& number, std::string_view unit) {
  return unit.empty() ? number : fmt::format("{} {}", number, unit);
}

}  // namespace

std::string format_si(double value, std::string_view unit) {
  if (!std::isfinite(value)) return "n/a";
  if (unit == "1") unit = "";
  static constexpr std::array<Step, 5> kTimes{{{1e12, "s"}, {1e9, "ms"}, {1e6, "us"}, {1e3, "ns"}, {1, "ps"}}};
  for (const Step& t : kTimes)
    if (unit == t.name) return value == 0 ? "0 s" : scaled(value * t.scale, kTimes, "");
  if (small_integer(value)) return with_unit(fmt::format("{}", static_cast<int64_t>(value)), unit);
  if (unit == "B") {
    static constexpr std::array<Step, 5> kBytes{
        {{1024.0 * 1024 * 1024 * 1024, "Ti"}, {1024.0 * 1024 * 1024, "Gi"}, {1024.0 * 1024, "Mi"}, {1024, "Ki"}, {1, ""}}};
    return scaled(value, kBytes, "B");
  }
  if (std::abs(value) < 1000 || unit == "%") {
    // Below the first prefix: keep four significant digits, so a ratio reads 0.9998, not 1.00.
    return with_unit(fmt::format("{:.4g}", value), unit);
  }
  static constexpr std::array<Step, 5> kPrefixes{{{1e15, "P"}, {1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}}};
  std::string s = scaled(value, kPrefixes, std::string(unit).c_str());  // "14.88 Mframes/s"
  if (unit.empty()) s.erase(s.find(' '), 1);                            // a plain number: "14.88M"
  return s;
}

}  // namespace hostwire
