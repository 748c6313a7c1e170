// TCP sequence space (RFC 9293 section 3.4): 32-bit numbers compared modulo 2^32, valid
// while the two numbers are less than 2^31 apart. Inside the engine every sequence number
// is unwrapped to 64 bits relative to the initial sequence number, so the state machine
// never compares wrapped values; these helpers are the only place wrap-around is handled.
#pragma once

#include <cstdint>

namespace hostwire::tcp {

constexpr int32_t seq_diff(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b); }
constexpr bool seq_lt(uint32_t a, uint32_t b) { return seq_diff(a, b) < 0; }
constexpr bool seq_leq(uint32_t a, uint32_t b) { return seq_diff(a, b) <= 0; }
constexpr bool seq_gt(uint32_t a, uint32_t b) { return seq_diff(a, b) > 0; }
constexpr bool seq_geq(uint32_t a, uint32_t b) { return seq_diff(a, b) >= 0; }
// a <= x < b in sequence space.
constexpr bool seq_in(uint32_t x, uint32_t a, uint32_t b) { return seq_leq(a, x) && seq_lt(x, b); }

// Maps between wire sequence numbers and 64-bit stream positions counted from an initial
// sequence number (position 0 is the SYN).
struct SeqSpace {
  uint32_t initial = 0;
  constexpr uint32_t wire(uint64_t pos) const { return static_cast<uint32_t>(initial + pos); }
  // The 64-bit position of `s` nearest to `reference` (which must be a position near it).
  constexpr uint64_t unwrap(uint32_t s, uint64_t reference) const {
    const int64_t d = seq_diff(s, wire(reference));
    const int64_t pos = static_cast<int64_t>(reference) + d;
    return pos < 0 ? 0 : static_cast<uint64_t>(pos);
  }
};

}  // namespace hostwire::tcp
