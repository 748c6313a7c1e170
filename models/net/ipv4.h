// IPv4 header (RFC 791 section 3.1; DSCP per RFC 2474, ECN per RFC 3168).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "net/address.h"
#include "net/checksum.h"
#include "net/result.h"

namespace hostwire::net {

inline constexpr uint8_t kIpProtocolIcmp = 1;
inline constexpr uint8_t kIpProtocolTcp = 6;
inline constexpr uint8_t kIpProtocolUdp = 17;

inline constexpr size_t kIpv4MinHeaderBytes = 20;
inline constexpr size_t kIpv4MaxOptionBytes = 40;  // IHL is 4 bits: at most 60 bytes of header

struct Ipv4Header {
  uint8_t dscp = 0;  // 6 bits
  uint8_t ecn = 0;   // 2 bits
  uint16_t total_length = 0;  // header + payload, bytes
  uint16_t id = 0;
  bool df = false;  // don't fragment
  bool mf = false;  // more fragments
  uint16_t fragment_offset = 0;  // 13 bits, in 8-byte units
  uint8_t ttl = 64;
  uint8_t protocol = 0;
  uint16_t checksum = 0;  // as stored; encode(compute) ignores it
  Ipv4Address src;
  Ipv4Address dst;
  // Options are kept as raw bytes (already padded to a 4-byte multiple): the simulator
  // never interprets them, but it must carry them and count them in IHL.
  std::array<uint8_t, kIpv4MaxOptionBytes> options{};
  uint8_t options_length = 0;

  size_t length() const { return kIpv4MinHeaderBytes + options_length; }
  std::span<const uint8_t> option_bytes() const { return {options.data(), options_length}; }
  bool is_fragment() const { return mf || fragment_offset != 0; }

  Result<size_t> encode(std::span<uint8_t> out, ChecksumField field = ChecksumField::compute) const;
  friend bool operator==(const Ipv4Header&, const Ipv4Header&) = default;
};

struct Ipv4Decoded {
  Ipv4Header header;
  size_t length = 0;         // IHL * 4
  bool checksum_ok = false;  // a bad checksum is reported, not refused: captures show it
};

// Where the bytes after the header are: in the same buffer, or elsewhere (a simulated frame
// keeps its headers apart from the payload it references, so total_length is not checked
// against the buffer).
enum class Ipv4Payload { inline_, elsewhere };

// `packet` starts at the IPv4 header and may extend past total_length (Ethernet padding).
Result<Ipv4Decoded> decode_ipv4(std::span<const uint8_t> packet, Ipv4Payload where = Ipv4Payload::inline_);

}  // namespace hostwire::net
