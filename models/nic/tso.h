// Stateless TCP segmentation offload, as Intel's 8254x/82599 and Linux's GSO do it: the host
// posts one TCP/IPv4 super-frame of up to 64 KiB and the NIC cuts it into MSS-sized frames,
// replicating the headers. No connection state lives in the NIC (that is the TOE, mechanism
// D's stateful half): everything a segment needs is in the super-frame's headers.
#pragma once

#include <cstdint>
#include <vector>

#include "core/packet.h"
#include "net/result.h"

namespace hostwire::nic {

// What a TSO context descriptor hands the NIC: the super-frame and the MSS to cut it at.
// `super`: a TCP/IPv4 frame (optionally 802.1Q) whose payload may exceed the MSS, up to
// 64 KiB; its header bytes end exactly at the end of the TCP header.
struct TsoRequest {
  const Packet* super = nullptr;
  uint16_t mss = 0;  // TCP payload bytes per segment, not counting headers
};

// Frames a payload of `payload_bytes` is cut into: ceil(payload / mss), and one frame for an
// empty payload (the headers still go out). 0 when mss is 0.
uint32_t tso_segment_count(uint32_t payload_bytes, uint16_t mss);

// Cuts the super-frame into tso_segment_count(payload, mss) frames appended to `out`, and
// returns how many. Each segment's payload is a sub-slice of the super-frame's (no payload
// bytes are copied) and its header is the super-frame's with:
//   - the same Ethernet/802.1Q header, IPv4 options and TCP options, byte for byte;
//   - IPv4 total_length of the segment, identification incremented by one per segment from
//     the super-frame's (mod 2^16), header checksum recomputed;
//   - TCP sequence number advanced by the payload bytes before the segment (mod 2^32);
//   - TCP flags as Linux's tcp_gso_segment() and Intel's default DTXTCPFLGL/H masks set them:
//     FIN and PSH only on the last segment, CWR only on the first, the rest on every one;
//   - TCP checksum recomputed over the segment's pseudo-header, header and payload.
// A payload <= mss gives one frame equal to the input with its lengths and checksums fixed
// (the host may leave them partial, as with CHECKSUM_PARTIAL). Packet::id, flow, created and
// fcs_bad are copied from the super-frame; whoever numbers frames renumbers the segments.
// Errors name the field at fault and leave `out` unchanged: mss 0, a frame that is not
// TCP/IPv4 or whose headers are truncated or malformed, an IPv4 fragment (MF or offset set) or
// reserved flag, headers that do not end at the end of the TCP header, a payload over
// 65535 - IPv4 header - TCP header, a payload slice past its buffer, SYN/RST/URG on a
// super-frame that needs more than one segment (no TSO engine cuts those).
net::Result<uint32_t> tso_segment(const Packet& super, uint16_t mss, std::vector<Packet>& out);
net::Result<uint32_t> tso_segment(const TsoRequest& request, std::vector<Packet>& out);

// The super-frame as one TCP segment, its IPv4 total length and both checksums filled in over
// the whole payload: what a capture on the host before the NIC (tcpdump) shows of a TSO send,
// except that Linux leaves the TCP checksum partial there. Errors as tso_segment's.
net::Result<Packet> tso_whole_segment(const Packet& super);

}  // namespace hostwire::nic
