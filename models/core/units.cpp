#include "core/units.h"

#include <array>
#include <cctype>
#include <limits>

namespace hostwire {
namespace {

__extension__ typedef unsigned __int128 u128;  // exact products of 64-bit quantities

struct Suffix {
  std::string_view name;
  int64_t factor;  // base units per one of this unit
};

// Largest first so that the printer picks the most readable exact unit.
constexpr std::array kTimeSuffixes = {
    Suffix{"s", 1000'000'000'000}, Suffix{"ms", 1000'000'000}, Suffix{"us", 1000'000},
    Suffix{"ns", 1000},            Suffix{"ps", 1},
};
constexpr std::array kRateSuffixes = {
    Suffix{"Tbps", 1000'000'000'000}, Suffix{"Gbps", 1000'000'000}, Suffix{"Mbps", 1000'000},
    Suffix{"Kbps", 1000},             Suffix{"kbps", 1000},          Suffix{"bps", 1},
};
constexpr std::array kByteSuffixes = {
    Suffix{"GiB", int64_t{1} << 30}, Suffix{"MiB", int64_t{1} << 20}, Suffix{"KiB", int64_t{1} << 10},
    Suffix{"GB", 1000'000'000},      Suffix{"MB", 1000'000},          Suffix{"KB", 1000},
    Suffix{"kB", 1000},              Suffix{"B", 1},
};
constexpr std::array kFrequencySuffixes = {
    Suffix{"THz", 1000'000'000'000}, Suffix{"GHz", 1000'000'000}, Suffix{"MHz", 1000'000},
    Suffix{"kHz", 1000},             Suffix{"Hz", 1},
};
// One unit, and optional when parsing: "200" is 200 cycles.
constexpr std::array kCycleSuffixes = {Suffix{"cycles", 1}};

template <size_t N>
std::optional<int64_t> find_factor(const std::array<Suffix, N>& table, std::string_view s) {
  for (const auto& e : table)
    if (e.name == s) return e.factor;
  return std::nullopt;
}

std::optional<int64_t> factor_for(UnitKind kind, std::string_view s) {
  switch (kind) {
    case UnitKind::Time: return find_factor(kTimeSuffixes, s);
    case UnitKind::Rate: return find_factor(kRateSuffixes, s);
    case UnitKind::Bytes: return find_factor(kByteSuffixes, s);
    case UnitKind::Frequency: return find_factor(kFrequencySuffixes, s);
    case UnitKind::Cycles: return s.empty() ? std::optional<int64_t>(1) : find_factor(kCycleSuffixes, s);
  }
  return std::nullopt;
}

const char* kind_name(UnitKind kind) {
  switch (kind) {
    case UnitKind::Time: return "a time";
    case UnitKind::Rate: return "a rate";
    case UnitKind::Bytes: return "a size";
    case UnitKind::Frequency: return "a frequency";
    case UnitKind::Cycles: return "a cycle count";
  }
  return "a quantity";
}

}  // namespace

const char* unit_name(UnitKind kind) {
  switch (kind) {
    case UnitKind::Time: return "ps";
    case UnitKind::Rate: return "bit/s";
    case UnitKind::Bytes: return "B";
    case UnitKind::Frequency: return "Hz";
    case UnitKind::Cycles: return "cycles";
  }
  return "";
}

const char* unit_examples(UnitKind kind) {
  switch (kind) {
    case UnitKind::Time: return "s, ms, us, ns, ps (e.g. 10us)";
    case UnitKind::Rate: return "Tbps, Gbps, Mbps, Kbps, bps (e.g. 10Gbps)";
    case UnitKind::Bytes: return "GiB, MiB, KiB, GB, MB, KB, B (e.g. 64KiB)";
    case UnitKind::Frequency: return "THz, GHz, MHz, kHz, Hz (e.g. 2.5GHz)";
    case UnitKind::Cycles: return "cycles, or none (e.g. 200 or 200cycles)";
  }
  return "";
}

ParsedQuantity parse_quantity(UnitKind kind, std::string_view text) {
  auto fail = [&](std::string msg) { return ParsedQuantity{std::nullopt, std::move(msg)}; };
  std::string_view s = text;
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if (s.empty()) return fail(std::string("expected ") + kind_name(kind) + " with a unit (" + unit_examples(kind) + ")");

  size_t i = 0;
  bool negative = false;
  if (s[i] == '+' || s[i] == '-') negative = s[i++] == '-';
  // Digits before and after the decimal point, kept exact as integers.
  u128 mantissa = 0;
  int frac_digits = 0;
  bool any_digit = false, seen_point = false;
  // Below 2^84 after the last digit, so that times the largest unit factor (< 2^40) it stays
  // inside 128 bits.
  constexpr u128 kMantissaCap = static_cast<u128>(1) << 80;
  int pending_zeros = 0;  // zeros after the point that matter only if a non-zero digit follows
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '.' && !seen_point) {
      seen_point = true;
      continue;
    }
    if (c == '_' || c == '\'') continue;  // digit separators: 1_000_000bps
    if (!std::isdigit(static_cast<unsigned char>(c))) break;
    any_digit = true;
    if (seen_point && c == '0') {  // trailing zeros change nothing: "1.50us" is "1.5us"
      ++pending_zeros;
      continue;
    }
    for (; pending_zeros > 0; --pending_zeros, ++frac_digits) {
      if (mantissa > kMantissaCap) return fail("number too large");
      mantissa *= 10;
    }
    if (mantissa > kMantissaCap) return fail("number too large");
    mantissa = mantissa * 10 + static_cast<unsigned>(c - '0');
    if (seen_point) ++frac_digits;
  }
  if (!any_digit) return fail(std::string("'") + std::string(text) + "' is not " + kind_name(kind) + " (" + unit_examples(kind) + ")");
  std::string_view suffix = s.substr(i);
  while (!suffix.empty() && suffix.front() == ' ') suffix.remove_prefix(1);
  if (suffix.empty() && kind != UnitKind::Cycles)
    return fail(std::string("missing unit: '") + std::string(text) + "' needs one of " + unit_examples(kind));
  auto factor = factor_for(kind, suffix);
  if (!factor)
    return fail(std::string("unknown unit '") + std::string(suffix) + "' for " + kind_name(kind) + "; use " + unit_examples(kind));

  // Past 38 decimals 10^k no longer fits in 128 bits, and no unit here is that fine anyway.
  if (frac_digits > 38) return fail(std::string("'") + std::string(text) + "' has too many decimal places");
  u128 scaled = mantissa * static_cast<u128>(*factor);
  u128 divisor = 1;
  for (int d = 0; d < frac_digits; ++d) divisor *= 10;
  if (scaled % divisor != 0 && kind == UnitKind::Cycles)
    return fail(std::string("'") + std::string(text) + "' is not a whole number of cycles");
  if (scaled % divisor != 0)
    return fail(std::string("'") + std::string(text) + "' is finer than one " + unit_name(kind) + ", the smallest step");
  u128 v = scaled / divisor;
  if (v > static_cast<u128>(std::numeric_limits<int64_t>::max()))
    return fail(std::string("'") + std::string(text) + "' is out of range");
  int64_t out = static_cast<int64_t>(v);
  return ParsedQuantity{negative ? -out : out, {}};
}

namespace {
template <size_t N>
std::string format_with(const std::array<Suffix, N>& table, int64_t value, bool integer_only) {
  if (value == 0) return std::string("0") + std::string(table.back().name);
  bool negative = value < 0;
  u128 mag = negative ? static_cast<u128>(-(value + 1)) + 1 : static_cast<u128>(value);
  // The largest unit that shows the value exactly with at most three decimals (sizes:
  // exactly as an integer, so an MTU reads 1500B rather than 1.5KB).
  const Suffix* best = &table.back();
  for (const auto& e : table) {
    auto f = static_cast<u128>(e.factor);
    if (mag < f) continue;
    if (integer_only && (f & (f - 1)) != 0 && f != 1) continue;  // sizes print in KiB/MiB/GiB or B
    if (integer_only ? mag % f == 0 : (mag * 1000) % f == 0) {
      best = &e;
      break;
    }
  }
  u128 f = static_cast<u128>(best->factor);
  u128 whole = mag / f, rem = mag % f;
  std::string digits;
  auto to_dec = [](u128 x) {
    std::string r;
    do {
      r.insert(r.begin(), static_cast<char>('0' + static_cast<int>(x % 10)));
      x /= 10;
    } while (x);
    return r;
  };
  digits = to_dec(whole);
  if (rem) {
    std::string frac;
    while (rem) {
      rem *= 10;
      frac += static_cast<char>('0' + static_cast<int>(rem / f));
      rem %= f;
    }
    digits += "." + frac;
  }
  return (negative ? "-" : "") + digits + std::string(best->name);
}
}  // namespace

std::string format_quantity(UnitKind kind, int64_t value) {
  switch (kind) {
    case UnitKind::Time: return format_with(kTimeSuffixes, value, false);
    case UnitKind::Rate: return format_with(kRateSuffixes, value, false);
    case UnitKind::Bytes: return format_with(kByteSuffixes, value, true);
    case UnitKind::Frequency: return format_with(kFrequencySuffixes, value, false);
    case UnitKind::Cycles: return format_with(kCycleSuffixes, value, true);
  }
  return std::to_string(value);
}

Time Rate::time_for_bits(int64_t bits) const {
  if (bps <= 0) return Time{std::numeric_limits<int64_t>::max()};
  u128 num = static_cast<u128>(bits) * 1000'000'000'000ULL;
  return Time{static_cast<int64_t>((num + static_cast<u128>(bps) - 1) / static_cast<u128>(bps))};
}

Time Frequency::time_for_cycles(int64_t cycles) const {
  if (hz <= 0) return Time{std::numeric_limits<int64_t>::max()};
  u128 num = static_cast<u128>(cycles) * 1000'000'000'000ULL;
  return Time{static_cast<int64_t>((num + static_cast<u128>(hz) - 1) / static_cast<u128>(hz))};
}

std::string to_string(Time t) { return format_quantity(UnitKind::Time, t.ps); }
std::string to_string(Rate r) { return format_quantity(UnitKind::Rate, r.bps); }
std::string to_string(Bytes b) { return format_quantity(UnitKind::Bytes, b.n); }
std::string to_string(Frequency f) { return format_quantity(UnitKind::Frequency, f.hz); }
std::string to_string(Cycles c) { return format_quantity(UnitKind::Cycles, c.n); }

}  // namespace hostwire
