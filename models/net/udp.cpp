#include "net/udp.h"

#include "net/byte_order.h"
#include "net/checksum.h"
#include "net/ipv4.h"

namespace hostwire::net {

Result<size_t> UdpHeader::encode(std::span<uint8_t> out) const {
  if (out.size() < kUdpHeaderBytes) return fail("udp header past buffer");
  uint8_t* p = out.data();
  store_be16(p, src_port);
  store_be16(p + 2, dst_port);
  store_be16(p + 4, length);
  store_be16(p + 6, checksum);
  return kUdpHeaderBytes;
}

Result<size_t> UdpHeader::encode(std::span<uint8_t> out, Ipv4Address src, Ipv4Address dst,
                                 std::span<const uint8_t> payload) const {
  if (length != kUdpHeaderBytes + payload.size()) return fail("udp.length != 8 + payload length");
  auto len = encode(out);
  if (len) store_transport_checksum(out.first(kUdpHeaderBytes), 6, src, dst, kIpProtocolUdp, payload);
  return len;
}

Result<Decoded<UdpHeader>> decode_udp(std::span<const uint8_t> datagram) {
  if (datagram.size() < kUdpHeaderBytes) return fail("udp header past buffer");
  const uint8_t* p = datagram.data();
  UdpHeader h{load_be16(p), load_be16(p + 2), load_be16(p + 4), load_be16(p + 6)};
  if (h.length < kUdpHeaderBytes) return fail("udp.length < 8");
  if (h.length > datagram.size()) return fail("udp.length past datagram");
  return Decoded<UdpHeader>{h, kUdpHeaderBytes};
}

}  // namespace hostwire::net
