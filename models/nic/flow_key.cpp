#include "nic/flow_key.h"

#include "net/byte_order.h"
#include "net/ethernet.h"
#include "net/ipv4.h"

namespace hostwire::nic {

namespace {
uint64_t load_mac(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 6; ++i) v = v << 8 | p[i];
  return v;
}
}  // namespace

uint64_t mac_bits(const net::MacAddress& mac) { return load_mac(mac.data()); }

FlowKey flow_key(const net::ParsedFrame& frame) {
  FlowKey k;
  k.dst_mac = mac_bits(frame.ethernet.dst);
  k.src_mac = mac_bits(frame.ethernet.src);
  k.ether_type = frame.ethernet.ether_type;
  if (frame.ethernet.vlan) {
    k.layers |= layer::vlan;
    k.vlan_id = frame.ethernet.vlan->vid;
  }
  if (!frame.ipv4) return k;
  k.layers |= layer::ipv4;
  k.src_ip = frame.ipv4->src.value;
  k.dst_ip = frame.ipv4->dst.value;
  k.ip_protocol = frame.ipv4->protocol;
  k.dscp = frame.ipv4->dscp;
  if (frame.ipv4->is_fragment()) k.layers |= layer::fragment;
  if (frame.tcp) {
    k.layers |= layer::l4;
    k.src_port = frame.tcp->src_port;
    k.dst_port = frame.tcp->dst_port;
  } else if (frame.udp) {
    k.layers |= layer::l4;
    k.src_port = frame.udp->src_port;
    k.dst_port = frame.udp->dst_port;
  }
  return k;
}

FlowKey flow_key(std::span<const uint8_t> f) {
  FlowKey k;
  if (f.size() < net::kEthernetHeaderBytes) return k;
  const uint8_t* p = f.data();
  k.dst_mac = load_mac(p);
  k.src_mac = load_mac(p + 6);
  size_t off = 12;
  uint16_t type = net::load_be16(p + off);
  if (type == net::kEtherTypeVlan) {
    if (f.size() < net::kEthernetHeaderBytes + net::kVlanTagBytes) return k;
    k.layers |= layer::vlan;
    k.vlan_id = net::load_be16(p + off + 2) & 0x0fff;
    off += net::kVlanTagBytes;
    type = net::load_be16(p + off);
  }
  k.ether_type = type;
  off += 2;
  if (type != net::kEtherTypeIpv4 || f.size() < off + net::kIpv4MinHeaderBytes) return k;
  const uint8_t* ip = p + off;
  const size_t ihl = (ip[0] & 0x0f) * 4u;
  if (ip[0] >> 4 != 4 || ihl < net::kIpv4MinHeaderBytes || f.size() < off + ihl) return k;
  k.layers |= layer::ipv4;
  k.ip_protocol = ip[9];
  k.dscp = ip[1] >> 2;
  k.src_ip = net::load_be32(ip + 12);
  k.dst_ip = net::load_be32(ip + 16);
  // Flags and fragment offset: MF bit or a non-zero offset (RFC 791 section 3.1).
  if ((net::load_be16(ip + 6) & 0x3fff) != 0) {
    k.layers |= layer::fragment;
    return k;
  }
  const size_t l4 = off + ihl;
  if ((k.ip_protocol == net::kIpProtocolTcp || k.ip_protocol == net::kIpProtocolUdp) && f.size() >= l4 + 4) {
    k.layers |= layer::l4;
    k.src_port = net::load_be16(p + l4);
    k.dst_port = net::load_be16(p + l4 + 2);
  }
  return k;
}

}  // namespace hostwire::nic
