// ERSPAN type II over GRE (draft-foschiano-erspan-03 section 4.1; GRE per RFC 2784 with the
// sequence number of RFC 2890 section 2.2): a mirror copy of a frame sent to a remote
// analyzer as Ethernet / IPv4 (protocol 47, DF) / GRE (S bit only, protocol 0x88BE) /
// ERSPAN II / the mirrored frame from its destination MAC, without FCS.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/packet.h"
#include "net/address.h"
#include "net/ethernet.h"
#include "net/ipv4.h"
#include "net/result.h"

namespace hostwire::net {

inline constexpr uint8_t kIpProtocolGre = 47;
inline constexpr uint16_t kGreProtocolErspanII = 0x88BE;
inline constexpr uint16_t kGreFlagSequence = 0x1000;  // S: a sequence number follows the protocol type

inline constexpr size_t kGreSequencedHeaderBytes = 8;  // flags and version, protocol type, sequence number
inline constexpr size_t kErspanIIHeaderBytes = 8;
inline constexpr uint8_t kErspanIIVersion = 1;  // the Ver field of type II
inline constexpr uint16_t kErspanMaxSessionId = 0x3FF;  // 10 bits
// Bytes the encapsulation adds in front of the mirrored frame: 14 + 20 + 8 + 8.
inline constexpr size_t kErspanOverheadBytes =
    kEthernetHeaderBytes + kIpv4MinHeaderBytes + kGreSequencedHeaderBytes + kErspanIIHeaderBytes;
static_assert(kErspanOverheadBytes == 50);
// The most mirrored bytes one IPv4 datagram carries.
inline constexpr uint32_t kErspanMaxInnerBytes = 0xFFFF - kIpv4MinHeaderBytes - kGreSequencedHeaderBytes - kErspanIIHeaderBytes;

// The En field: how the mirrored frame's VLAN was carried.
inline constexpr uint8_t kErspanEncapUntagged = 0;
inline constexpr uint8_t kErspanEncapTagInFrame = 3;  // its 802.1Q tag is still in the frame

// Mirrored bytes that fit in an encapsulated frame of at most `max_frame_bytes` (without
// FCS): 1464 of a frame sent on a link whose frames are at most 1514 bytes. 0 when not
// even the headers fit.
constexpr uint32_t erspan_inner_bytes_fit(uint32_t max_frame_bytes) {
  return max_frame_bytes > kErspanOverheadBytes ? max_frame_bytes - static_cast<uint32_t>(kErspanOverheadBytes) : 0;
}

struct ErspanIIHeader {
  uint16_t vlan = 0;        // 12 bits: the mirrored frame's VLAN
  uint8_t cos = 0;          // 3 bits: its class of service (802.1p priority)
  uint8_t encap = kErspanEncapUntagged;  // En, 2 bits
  bool truncated = false;   // T: the mirrored frame was cut
  uint16_t session_id = 0;  // 10 bits
  uint32_t index = 0;       // 20 bits: the mirrored port

  // Writes kErspanIIHeaderBytes (version 1, reserved bits zero); fails on a field out of range.
  Result<size_t> encode(std::span<uint8_t> out) const;
  friend bool operator==(const ErspanIIHeader&, const ErspanIIHeader&) = default;
};

// Version 1 only; the reserved bits are ignored.
Result<Decoded<ErspanIIHeader>> decode_erspan_ii(std::span<const uint8_t> bytes);

// Where mirror copies go: the analyzer's address, and what the outer headers carry.
struct ErspanSession {
  MacAddress src_mac{};
  MacAddress dst_mac{};  // the analyzer's, or the next hop's
  Ipv4Address src_ip;
  Ipv4Address dst_ip;
  uint16_t session_id = 0;  // 10 bits
  uint8_t dscp = 0;         // of the outer IPv4 header
  uint8_t ttl = 64;
  // Longest encapsulated frame, without FCS (1514 on a 1500-byte MTU); mirrored frames are
  // cut to fit and marked truncated. 0: only IPv4's limit (kErspanMaxInnerBytes) applies.
  uint32_t max_frame_bytes = 0;
};

// What build_erspan_frame wrote.
struct ErspanLayout {
  uint32_t inner_bytes = 0;  // of the mirrored frame, after any cut
  bool truncated = false;    // the T bit
  uint32_t frame_bytes = 0;  // kErspanOverheadBytes + inner_bytes: the encapsulated frame, without FCS
  uint32_t pad_bytes = 0;    // the MAC's padding to 60 bytes (only for an inner frame under 10 bytes)
};

// Fills out.header and out.payload with `inner` encapsulated. `inner` may be a copy already
// cut to a snap length (inner.original_length over its frame_bytes()); it is cut further to
// session.max_frame_bytes, and either cut sets the T bit. The header carries sequence
// number `sequence`, COS from the inner frame's 802.1Q priority, En 3 when the inner frame
// is tagged (else 0), VLAN 0 and index 0; the outer IPv4 header has DF set, ID 0 and its
// checksum. The payload bytes are referenced, not copied, when the inner frame's header
// bytes fit beside the outer ones in Packet::header (else the inner frame is copied into a
// new buffer). out.original_length becomes 0 (the encapsulated frame is whole); other
// Packet fields are left as they were, and `out` may be `inner` itself. On error `out` is
// unchanged.
Result<ErspanLayout> build_erspan_frame(Packet& out, const ErspanSession& session, uint32_t sequence,
                                        const Packet& inner);

struct ErspanFrame {
  EthernetHeader ethernet;  // outer
  Ipv4Header ipv4;          // outer
  bool ipv4_checksum_ok = false;  // reported, not refused, as parse_frame does
  uint32_t sequence = 0;    // GRE sequence number
  ErspanIIHeader erspan;
  size_t inner_offset = 0;
  std::span<const uint8_t> inner;  // into the parsed frame: up to the IPv4 total length
};

// `frame` is from destination MAC to the end of the frame, without FCS. Anything other than
// Ethernet (802.1Q optional) / unfragmented IPv4 / GRE with only the S bit / ERSPAN II is an
// error naming the field at fault.
Result<ErspanFrame> parse_erspan(std::span<const uint8_t> frame);
Result<ErspanFrame> parse_erspan(std::vector<uint8_t>&&) = delete;  // its inner span would dangle

}  // namespace hostwire::net
