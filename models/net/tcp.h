// TCP header (RFC 9293 section 3.1) and the options a modern stack sends: MSS
// (RFC 9293 section 3.2), window scale and timestamps (RFC 7323), SACK (RFC 2018).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "net/address.h"
#include "net/result.h"

namespace hostwire::net {

// Flag bits as a 9-bit field: byte 13 of the header, plus NS (RFC 3540) from byte 12.
namespace tcp_flag {
inline constexpr uint16_t fin = 0x001;
inline constexpr uint16_t syn = 0x002;
inline constexpr uint16_t rst = 0x004;
inline constexpr uint16_t psh = 0x008;
inline constexpr uint16_t ack = 0x010;
inline constexpr uint16_t urg = 0x020;
inline constexpr uint16_t ece = 0x040;
inline constexpr uint16_t cwr = 0x080;
inline constexpr uint16_t ns = 0x100;
}  // namespace tcp_flag

inline constexpr size_t kTcpMinHeaderBytes = 20;
inline constexpr size_t kTcpMaxOptionBytes = 40;
inline constexpr size_t kTcpMaxSackBlocks = 4;

struct SackBlock {
  uint32_t left = 0;   // first sequence number of the block
  uint32_t right = 0;  // sequence number just after it
  friend bool operator==(const SackBlock&, const SackBlock&) = default;
};

struct TcpTimestamps {
  uint32_t tsval = 0;
  uint32_t tsecr = 0;
  friend bool operator==(const TcpTimestamps&, const TcpTimestamps&) = default;
};

struct TcpOptions {
  std::optional<uint16_t> mss;
  std::optional<uint8_t> window_scale;  // shift count; RFC 7323 section 2.3 caps its use at 14
  bool sack_permitted = false;
  std::array<SackBlock, kTcpMaxSackBlocks> sack{};
  uint8_t sack_blocks = 0;  // how many of `sack` are in use
  std::optional<TcpTimestamps> timestamps;

  // Bytes the encoder will write, always a multiple of 4 (may exceed 40: encode refuses).
  size_t encoded_length() const;
  friend bool operator==(const TcpOptions&, const TcpOptions&) = default;
};

struct TcpHeader {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint16_t flags = 0;  // tcp_flag bits
  uint16_t window = 0;
  uint16_t checksum = 0;
  uint16_t urgent = 0;
  TcpOptions options;

  size_t length() const { return kTcpMinHeaderBytes + options.encoded_length(); }
  // Writes length() bytes with the checksum field as stored.
  Result<size_t> encode(std::span<uint8_t> out) const;
  // Writes length() bytes with the checksum computed over the IPv4 pseudo-header, the
  // header and `payload`.
  Result<size_t> encode(std::span<uint8_t> out, Ipv4Address src, Ipv4Address dst,
                        std::span<const uint8_t> payload) const;
  friend bool operator==(const TcpHeader&, const TcpHeader&) = default;
};

// `segment` starts at the TCP header. Options of unknown kind are skipped (RFC 9293
// section 3.1: a TCP must handle any option with a length field); malformed ones of
// the known kinds are errors.
Result<Decoded<TcpHeader>> decode_tcp(std::span<const uint8_t> segment);

}  // namespace hostwire::net
