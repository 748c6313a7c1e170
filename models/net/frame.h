// Whole frames: building a Packet's header bytes from per-layer fields, and parsing a
// received frame Ethernet -> (802.1Q) -> IPv4 -> TCP/UDP with every checksum checked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "core/packet.h"
#include "net/ethernet.h"
#include "net/ipv4.h"
#include "net/result.h"
#include "net/tcp.h"
#include "net/udp.h"

namespace hostwire::net {

// Where a built frame's layers start, and what the wire adds to it.
struct FrameLayout {
  uint16_t l3_offset = 0;     // IPv4 header
  uint16_t l4_offset = 0;     // TCP or UDP header
  uint16_t header_bytes = 0;  // == Packet::header_len: the payload starts here
  uint32_t frame_bytes = 0;   // headers + payload, without FCS
  // Zero bytes the MAC appends after the payload to reach the 60-byte minimum
  // (IEEE 802.3 clause 4.2.3.3). They are not in the Packet: the wire model counts them,
  // and a receiver's parser sees them as trailing bytes past the IPv4 total length.
  uint32_t pad_bytes = 0;
};

// Fills out.header (and out.payload) with a frame carrying `payload`. Fields derived from
// the others are set here, whatever the arguments hold: ether_type, IPv4 protocol and
// total_length, UDP length, and the IPv4 and UDP/TCP checksums (the latter cover the
// payload bytes). On error `out` is left unchanged.
Result<FrameLayout> build_udp_frame(Packet& out, const EthernetHeader& eth, const Ipv4Header& ip,
                                    const UdpHeader& udp, const PayloadSlice& payload);
Result<FrameLayout> build_tcp_frame(Packet& out, const EthernetHeader& eth, const Ipv4Header& ip,
                                    const TcpHeader& tcp, const PayloadSlice& payload);

enum class ChecksumState : uint8_t {
  unchecked,  // the layer is absent, or an IP fragment (its checksum covers the reassembled datagram)
  good,
  bad,
  absent,     // UDP checksum 0: the sender computed none
};

struct ParsedFrame {
  EthernetHeader ethernet;
  std::optional<Ipv4Header> ipv4;  // when ether_type is IPv4
  std::optional<TcpHeader> tcp;    // when IPv4 carries TCP and is not a fragment
  std::optional<UdpHeader> udp;    // when IPv4 carries UDP and is not a fragment
  ChecksumState ipv4_checksum = ChecksumState::unchecked;
  ChecksumState l4_checksum = ChecksumState::unchecked;
  size_t l3_offset = 0;
  size_t l4_offset = 0;       // 0 without IPv4
  size_t payload_offset = 0;  // after the last header decoded
  size_t payload_length = 0;
  size_t trailing_bytes = 0;  // past the last length field (IPv4 total length, UDP length): Ethernet padding

  std::span<const uint8_t> payload(std::span<const uint8_t> frame) const {
    return frame.subspan(payload_offset, payload_length);
  }
};

// `frame` is from destination MAC to the end of the frame, without FCS. Checksums that
// do not match are reported in the result, not as errors; malformed headers are errors.
Result<ParsedFrame> parse_frame(std::span<const uint8_t> frame);

}  // namespace hostwire::net
