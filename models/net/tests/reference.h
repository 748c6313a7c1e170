// Deliberately plain reference implementations and frame fixtures the tests compare against.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/rng.h"

namespace hostwire::net::testing {

// RFC 1071 section 4.1, word by word with a 64-bit accumulator: no incremental state,
// no 32-bit loads, no odd-byte carry-over.
inline uint16_t reference_internet_checksum(std::span<const uint8_t> bytes) {
  uint64_t sum = 0;
  for (size_t i = 0; i < bytes.size(); i += 2)
    sum += uint32_t{bytes[i]} << 8 | (i + 1 < bytes.size() ? bytes[i + 1] : 0);
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// Bit-at-a-time CRC-32, the textbook loop.
inline uint32_t reference_crc32(std::span<const uint8_t> bytes) {
  uint32_t c = 0xFFFFFFFF;
  for (uint8_t b : bytes) {
    c ^= b;
    for (int i = 0; i < 8; ++i) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
  }
  return ~c;
}

inline std::vector<uint8_t> random_bytes(Rng& rng, size_t n) {
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng.next_u64());
  return v;
}

// A DNS query for example.com, UDP 192.168.1.10:53000 -> 192.168.1.1:53. Its checksums
// (IPv4 0x9b12, UDP 0xcb68) were confirmed by tshark with checksum validation on.
inline const std::vector<uint8_t> kDnsQueryFrame = {
    0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55, 0x08, 0x00,  // Ethernet
    0x45, 0x00, 0x00, 0x39, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x11, 0x9b, 0x12,              // IPv4
    0xc0, 0xa8, 0x01, 0x0a, 0xc0, 0xa8, 0x01, 0x01,                                      //
    0xcf, 0x08, 0x00, 0x35, 0x00, 0x25, 0xcb, 0x68,                                      // UDP
    0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x65,  // DNS
    0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01};

}  // namespace hostwire::net::testing
