// UDP header (RFC 768).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "net/address.h"
#include "net/result.h"

namespace hostwire::net {

inline constexpr size_t kUdpHeaderBytes = 8;

struct UdpHeader {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint16_t length = 0;    // header + payload, bytes
  uint16_t checksum = 0;  // 0: the sender computed none (allowed over IPv4)

  // Writes 8 bytes with the checksum field as stored.
  Result<size_t> encode(std::span<uint8_t> out) const;
  // Writes 8 bytes with the checksum computed over the IPv4 pseudo-header, the header
  // and `payload`; `length` must be 8 + payload.size().
  Result<size_t> encode(std::span<uint8_t> out, Ipv4Address src, Ipv4Address dst,
                        std::span<const uint8_t> payload) const;
  friend bool operator==(const UdpHeader&, const UdpHeader&) = default;
};

// `datagram` starts at the UDP header and may extend past `length`.
Result<Decoded<UdpHeader>> decode_udp(std::span<const uint8_t> datagram);

}  // namespace hostwire::net
