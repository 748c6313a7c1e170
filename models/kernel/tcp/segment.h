// A TCP segment as the engine produces and consumes it: the header fields as they go on
// the wire (ports included, so the caller can build the frame; checksum left to it) and the
// payload as a slice of the sender's stream buffer, never a copy.
#pragma once

#include <cstdint>
#include <optional>

#include "core/packet.h"
#include "net/tcp.h"

namespace hostwire::tcp {

struct Segment {
  net::TcpHeader header;
  PayloadSlice payload;
  // Not on the wire: the sender sent these bytes before (a repair). Monitors and captures'
  // oracles tell a repair from a first transmission that left out of order by it.
  bool retransmission = false;

  bool has(uint16_t flag) const { return (header.flags & flag) != 0; }
  // Sequence space the segment occupies: payload bytes, plus one each for SYN and FIN.
  uint32_t len() const {
    return payload.length + (has(net::tcp_flag::syn) ? 1u : 0u) + (has(net::tcp_flag::fin) ? 1u : 0u);
  }
};

// The reply to a segment that reached no connection (RFC 9293 section 3.5.2, "If the
// connection does not exist"): none to a RST; otherwise a RST that the sender will accept,
// <SEQ=SEG.ACK><CTL=RST> if the segment carried an ACK, else
// <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
std::optional<Segment> make_rst_reply(const Segment& in);

}  // namespace hostwire::tcp
