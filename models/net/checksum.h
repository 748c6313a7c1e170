// Checksums carried by Ethernet, IPv4, TCP and UDP.
//
// Internet checksum (RFC 1071): the 16-bit ones' complement of the ones' complement sum
// of the data taken as big-endian 16-bit words. The sum is kept incrementally so that a
// header and a payload that live in different buffers (Packet::header, PayloadSlice) can
// be summed without copying them together.
//
// Ethernet FCS (IEEE 802.3 clause 3.2.9): CRC-32, polynomial 0x04C11DB7 processed
// LSB-first (reflected 0xEDB88320), initial value and final XOR 0xFFFFFFFF.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "net/address.h"

namespace hostwire::net {

// Whether an encoder computes a header's checksum or writes the stored field as it is
// (the latter reproduces a decoded header byte for byte, or injects a bad checksum).
enum class ChecksumField { compute, keep };

class InternetChecksum {
 public:
  // Adds bytes that follow those already added. Spans of odd length are fine: the next
  // span's first byte becomes the low half of the pending word (RFC 1071 section 2(A)).
  void add(std::span<const uint8_t> bytes);
  // Adds one 16-bit word; only valid at an even byte position.
  void add_word(uint16_t word);

  uint32_t sum() const { return sum_; }  // running sum, end-around carries folded to 32 bits
  uint16_t folded() const;               // the 16-bit ones' complement sum
  uint16_t checksum() const { return static_cast<uint16_t>(~folded()); }

 private:
  uint32_t sum_ = 0;
  bool odd_ = false;
};

// Checksum of contiguous bytes. Over data that already holds a correct checksum field,
// the result is 0 (RFC 1071 section 1, step 3).
uint16_t internet_checksum(std::span<const uint8_t> bytes);

// RFC 791 section 3.1: the checksum of an IPv4 header, with its checksum field (bytes
// 10-11) taken as zero whatever it holds. The span is exactly the header (IHL * 4 bytes).
uint16_t ipv4_header_checksum(std::span<const uint8_t> header);

// Adds the IPv4 pseudo-header of TCP (RFC 9293 section 3.1) and UDP (RFC 768):
// source, destination, zero, protocol, transport length.
void add_ipv4_pseudo_header(InternetChecksum& sum, Ipv4Address src, Ipv4Address dst, uint8_t protocol,
                            uint16_t transport_length);

// TCP or UDP checksum over the pseudo-header, the transport header and the payload.
// With the header's checksum field zeroed, the result is the value to store; over a
// segment as received, the result is 0 when the checksum is right.
uint16_t transport_checksum(Ipv4Address src, Ipv4Address dst, uint8_t protocol, std::span<const uint8_t> header,
                            std::span<const uint8_t> payload = {});

// Computes the checksum of an encoded TCP or UDP header and its payload and stores it at
// `field_offset` (16 for TCP, 6 for UDP), overwriting whatever the field held. A UDP
// checksum that computes to zero is sent as 0xFFFF, since zero means "none" (RFC 768).
// Returns the stored value.
uint16_t store_transport_checksum(std::span<uint8_t> header, size_t field_offset, Ipv4Address src, Ipv4Address dst,
                                  uint8_t protocol, std::span<const uint8_t> payload);

class Crc32 {
 public:
  void add(std::span<const uint8_t> bytes);
  uint32_t value() const { return ~state_; }

 private:
  uint32_t state_ = 0xFFFFFFFF;
};

uint32_t crc32(std::span<const uint8_t> bytes);

// The FCS of a frame from destination MAC to the end of the payload (and padding). It is
// transmitted least significant byte first, so the four bytes on the wire are little-endian.
inline uint32_t ethernet_fcs(std::span<const uint8_t> frame) { return crc32(frame); }

// CRC-32 over a frame followed by its correct FCS always gives this constant.
inline constexpr uint32_t kCrc32Residue = 0x2144DF1C;
inline bool ethernet_fcs_ok(std::span<const uint8_t> frame_with_fcs) {
  return frame_with_fcs.size() >= 4 && crc32(frame_with_fcs) == kCrc32Residue;
}

}  // namespace hostwire::net
