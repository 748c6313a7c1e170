// What one frame costs on an Ethernet wire (IEEE 802.3 clause 3/4): preamble and SFD (8 B)
// before it, FCS (4 B) at its end, padding up to the 64 B minimum frame, and the 12 B
// inter-frame gap after it during which the line carries nothing else.
#pragma once

#include <algorithm>
#include <cstdint>

namespace hostwire::wire {

constexpr int64_t kPreambleSfdBytes = 8;
constexpr int64_t kFcsBytes = 4;
constexpr int64_t kInterFrameGapBytes = 12;
constexpr int64_t kMinFrameBytes = 64;   // destination MAC .. FCS
constexpr int64_t kEthernetHeaderBytes = 14;

// `frame_bytes` counts destination MAC to the end of the payload, without FCS.
constexpr int64_t frame_with_fcs(int64_t frame_bytes) { return std::max(frame_bytes + kFcsBytes, kMinFrameBytes); }
constexpr int64_t wire_bytes(int64_t frame_bytes) {
  return kPreambleSfdBytes + frame_with_fcs(frame_bytes) + kInterFrameGapBytes;
}
constexpr int64_t wire_bits(int64_t frame_bytes) { return wire_bytes(frame_bytes) * 8; }

}  // namespace hostwire::wire
