// Physical quantities with units. Every parameter in hostwire is one of these, so a
// scenario can never confuse bits with bytes or nanoseconds with microseconds.
//
// Each quantity is an exact integer in its base unit (picoseconds, bit/s, bytes, Hz):
// parsing "2.5GHz" gives exactly 2'500'000'000 Hz, and printing gives back a string that
// parses to the same integer (round trip), because the printer only uses exact decimals.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hostwire {

enum class UnitKind { Time, Rate, Bytes, Frequency, Cycles };

struct Cycles;

// Simulated time in picoseconds (SystemC's resolution in hostwire is 1 ps).
struct Time {
  int64_t ps = 0;
  static constexpr Time from_ps(int64_t v) { return Time{v}; }
  static constexpr Time from_ns(int64_t v) { return Time{v * 1000}; }
  static constexpr Time from_us(int64_t v) { return Time{v * 1000'000}; }
  static constexpr Time from_ms(int64_t v) { return Time{v * 1000'000'000}; }
  static constexpr Time from_s(int64_t v) { return Time{v * 1000'000'000'000}; }
  double seconds() const { return static_cast<double>(ps) * 1e-12; }
  friend constexpr auto operator<=>(Time, Time) = default;
  friend constexpr Time operator+(Time a, Time b) { return Time{a.ps + b.ps}; }
  friend constexpr Time operator-(Time a, Time b) { return Time{a.ps - b.ps}; }
};

// Data rate in bits per second.
struct Rate {
  int64_t bps = 0;
  static constexpr Rate from_bps(int64_t v) { return Rate{v}; }
  static constexpr Rate from_gbps(int64_t v) { return Rate{v * 1000'000'000}; }
  friend constexpr auto operator<=>(Rate, Rate) = default;
  // Time to move `bits` at this rate, rounded up to the next picosecond so that a
  // resource is never free before its last bit has gone.
  Time time_for_bits(int64_t bits) const;
  Time time_for_bytes(int64_t bytes) const { return time_for_bits(bytes * 8); }
};

// A size in bytes.
struct Bytes {
  int64_t n = 0;
  friend constexpr auto operator<=>(Bytes, Bytes) = default;
};

// A clock frequency in hertz.
struct Frequency {
  int64_t hz = 0;
  friend constexpr auto operator<=>(Frequency, Frequency) = default;
  // Duration of `cycles` clock cycles, rounded up to the picosecond.
  Time time_for_cycles(int64_t cycles) const;
  Time time_for(Cycles c) const;
};

// A count of clock cycles: what a piece of work costs on a core, whatever its clock.
// "200" and "200cycles" both parse; it prints as "200cycles".
struct Cycles {
  int64_t n = 0;
  friend constexpr auto operator<=>(Cycles, Cycles) = default;
  friend constexpr Cycles operator+(Cycles a, Cycles b) { return Cycles{a.n + b.n}; }
  friend constexpr Cycles operator-(Cycles a, Cycles b) { return Cycles{a.n - b.n}; }
  friend constexpr Cycles operator*(Cycles a, int64_t k) { return Cycles{a.n * k}; }
  friend constexpr Cycles operator*(int64_t k, Cycles a) { return Cycles{a.n * k}; }
  // Duration of these cycles on a core clocked at `f`, rounded up to the picosecond.
  Time at(Frequency f) const { return f.time_for_cycles(n); }
};

inline Time Frequency::time_for(Cycles c) const { return time_for_cycles(c.n); }

// Outcome of parsing a quantity: either the value in base units, or a message saying
// what is wrong ("missing unit: write 10Gbps, not 10").
struct ParsedQuantity {
  std::optional<int64_t> value;
  std::string error;
};

// Parses text such as "10Gbps", "2.5GHz", "10us", "64KiB", "1500B" into base units.
// A bare number is an error (units are mandatory), except for cycles, whose unit is optional. Negative values parse (the caller's
// range check rejects them with the key's name).
ParsedQuantity parse_quantity(UnitKind kind, std::string_view text);

// Prints a base-unit value with the largest unit that represents it exactly
// (e.g. 2'500'000'000 Hz -> "2.5GHz", 65536 B -> "64KiB").
std::string format_quantity(UnitKind kind, int64_t value);

std::string to_string(Time t);
std::string to_string(Rate r);
std::string to_string(Bytes b);
std::string to_string(Frequency f);
std::string to_string(Cycles c);

const char* unit_name(UnitKind kind);  // base unit shown in reports: "ps", "bit/s", "B", "Hz", "cycles"
const char* unit_examples(UnitKind kind);  // accepted suffixes, for error messages

}  // namespace hostwire
