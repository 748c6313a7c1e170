// A frame in flight: its header bytes exactly as on the wire, and its payload as a
// reference-counted slice of an application buffer. Copying a Packet (rings, mirrors,
// captures, duplication faults) copies at most the headers, never payload bytes.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

#include "core/units.h"

namespace hostwire {

struct PayloadSlice {
  std::shared_ptr<const std::vector<uint8_t>> buffer;
  uint32_t offset = 0;
  uint32_t length = 0;

  std::span<const uint8_t> bytes() const {
    if (!buffer || length == 0) return {};
    return std::span<const uint8_t>(buffer->data() + offset, length);
  }
  // A narrower view of the same buffer: no bytes are copied.
  PayloadSlice sub(uint32_t off, uint32_t len) const { return PayloadSlice{buffer, offset + off, len}; }
};

struct Packet {
  // Ethernet(+802.1Q) + IPv4 with options + TCP with options fit in 18 + 60 + 60 bytes.
  static constexpr size_t kMaxHeaderBytes = 160;

  uint8_t header[kMaxHeaderBytes]{};
  uint16_t header_len = 0;
  PayloadSlice payload;

  uint64_t id = 0;         // unique per simulation, for tracing a frame across stages
  uint32_t flow = 0;       // workload flow index
  Time created{};          // when the source handed the frame to its MAC
  Time received{};         // when the receiving NIC took its last bit (the hardware RX timestamp)
  bool fcs_bad = false;    // set when the wire corrupts a bit: the receiving MAC's FCS check fails
  bool retransmission = false;  // the sender's TCP sent these bytes before (not on the wire; for monitors)
  bool flow_open = false;  // a stage before the MAC began this frame's trace arrow (a PE's chunk)
  uint32_t original_length = 0;  // a copy cut to a snap length: the frame's length before (0: not cut)
  bool mirror_copy = false;  // a NIC made this frame as a mirror copy (ERSPAN): never mirrored again

  Packet() = default;
  // Copies only the header bytes in use: a frame is copied per ring, mirror and duplicate.
  Packet(const Packet& o) { *this = o; }
  Packet& operator=(const Packet& o) {
    if (this == &o) return *this;
    std::memcpy(header, o.header, o.header_len);
    header_len = o.header_len;
    payload = o.payload;
    id = o.id;
    flow = o.flow;
    created = o.created;
    received = o.received;
    fcs_bad = o.fcs_bad;
    retransmission = o.retransmission;
    flow_open = o.flow_open;
    original_length = o.original_length;
    mirror_copy = o.mirror_copy;
    return *this;
  }
  // An empty packet again, without clearing header bytes nobody will read.
  void reset() {
    header_len = 0;
    payload = {};
    id = 0;
    flow = 0;
    created = {};
    received = {};
    fcs_bad = false;
    retransmission = false;
    flow_open = false;
    original_length = 0;
    mirror_copy = false;
  }

  // Frame length from destination MAC to the end of the payload (no preamble, no FCS).
  uint32_t frame_bytes() const { return header_len + payload.length; }

  std::span<const uint8_t> header_bytes() const { return {header, header_len}; }
  std::span<uint8_t> header_bytes_mut() { return {header, header_len}; }
  bool set_header(std::span<const uint8_t> h) {
    if (h.size() > kMaxHeaderBytes) return false;
    std::memcpy(header, h.data(), h.size());
    header_len = static_cast<uint16_t>(h.size());
    return true;
  }
  // The whole frame as contiguous bytes (for captures and checksums), without FCS.
  void copy_frame(std::vector<uint8_t>& out) const {
    out.resize(frame_bytes());
    std::memcpy(out.data(), header, header_len);
    auto p = payload.bytes();
    if (!p.empty()) std::memcpy(out.data() + header_len, p.data(), p.size());
  }
};

}  // namespace hostwire
