#include "net/frame.h"

#include "net/checksum.h"

namespace hostwire::net {
namespace {

size_t header_bytes(const TcpHeader& tcp) { return tcp.length(); }
size_t header_bytes(const UdpHeader&) { return kUdpHeaderBytes; }

uint8_t protocol_of(const TcpHeader&) { return kIpProtocolTcp; }
uint8_t protocol_of(const UdpHeader&) { return kIpProtocolUdp; }

void set_length(TcpHeader&, size_t) {}
void set_length(UdpHeader& udp, size_t payload_bytes) {
  udp.length = static_cast<uint16_t>(kUdpHeaderBytes + payload_bytes);
}

template <class L4>
Result<FrameLayout> build_frame(Packet& out, EthernetHeader eth, Ipv4Header ip, L4 l4, const PayloadSlice& payload) {
  const size_t l4_bytes = header_bytes(l4);
  const size_t ip_total = ip.length() + l4_bytes + payload.length;
  if (ip_total > 0xFFFF) return fail("ipv4.total_length > 65535");
  eth.ether_type = kEtherTypeIpv4;
  ip.protocol = protocol_of(l4);
  ip.total_length = static_cast<uint16_t>(ip_total);
  set_length(l4, payload.length);

  FrameLayout layout;
  layout.l3_offset = static_cast<uint16_t>(eth.length());
  layout.l4_offset = static_cast<uint16_t>(layout.l3_offset + ip.length());
  layout.header_bytes = static_cast<uint16_t>(layout.l4_offset + l4_bytes);
  layout.frame_bytes = layout.header_bytes + payload.length;
  layout.pad_bytes = ethernet_padded_bytes(layout.frame_bytes) - layout.frame_bytes;

  // Encoded aside so that a failing layer leaves `out` as it was.
  uint8_t bytes[Packet::kMaxHeaderBytes];
  static_assert(18 + 60 + 60 <= Packet::kMaxHeaderBytes);
  const std::span<uint8_t> headers(bytes, layout.header_bytes);
  if (auto r = eth.encode(headers); !r) return Error{r.error()};
  if (auto r = ip.encode(headers.subspan(layout.l3_offset)); !r) return Error{r.error()};
  if (auto r = l4.encode(headers.subspan(layout.l4_offset), ip.src, ip.dst, payload.bytes()); !r)
    return Error{r.error()};
  out.set_header(headers);
  out.payload = payload;
  return layout;
}

ChecksumState verify(bool ok) { return ok ? ChecksumState::good : ChecksumState::bad; }

}  // namespace

Result<FrameLayout> build_udp_frame(Packet& out, const EthernetHeader& eth, const Ipv4Header& ip,
                                    const UdpHeader& udp, const PayloadSlice& payload) {
  return build_frame(out, eth, ip, udp, payload);
}

Result<FrameLayout> build_tcp_frame(Packet& out, const EthernetHeader& eth, const Ipv4Header& ip,
                                    const TcpHeader& tcp, const PayloadSlice& payload) {
  return build_frame(out, eth, ip, tcp, payload);
}

Result<ParsedFrame> parse_frame(std::span<const uint8_t> frame) {
  ParsedFrame f;
  auto eth = decode_ethernet(frame);
  if (!eth) return Error{eth.error()};
  f.ethernet = eth->header;
  f.l3_offset = f.payload_offset = eth->length;
  f.payload_length = frame.size() - eth->length;
  if (f.ethernet.ether_type != kEtherTypeIpv4) return f;

  auto ip = decode_ipv4(frame.subspan(f.l3_offset));
  if (!ip) return Error{ip.error()};
  const Ipv4Header& iph = ip->header;
  f.ipv4 = iph;
  f.ipv4_checksum = verify(ip->checksum_ok);
  f.l4_offset = f.payload_offset = f.l3_offset + ip->length;
  f.payload_length = iph.total_length - ip->length;
  f.trailing_bytes = frame.size() - f.l3_offset - iph.total_length;
  const auto datagram = frame.subspan(f.l4_offset, f.payload_length);
  if (iph.is_fragment()) return f;

  if (iph.protocol == kIpProtocolTcp) {
    auto tcp = decode_tcp(datagram);
    if (!tcp) return Error{tcp.error()};
    f.tcp = tcp->header;
    f.l4_checksum = verify(transport_checksum(iph.src, iph.dst, kIpProtocolTcp, datagram) == 0);
    f.payload_offset += tcp->length;
    f.payload_length -= tcp->length;
  } else if (iph.protocol == kIpProtocolUdp) {
    auto udp = decode_udp(datagram);
    if (!udp) return Error{udp.error()};
    f.udp = udp->header;
    f.l4_checksum = f.udp->checksum == 0
                        ? ChecksumState::absent
                        : verify(transport_checksum(iph.src, iph.dst, kIpProtocolUdp, datagram.first(f.udp->length)) == 0);
    f.payload_offset += kUdpHeaderBytes;
    f.trailing_bytes += f.payload_length - f.udp->length;
    f.payload_length = f.udp->length - kUdpHeaderBytes;
  }
  return f;
}

}  // namespace hostwire::net
