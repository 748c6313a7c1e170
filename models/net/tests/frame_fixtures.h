// Frames the frame, fuzz and pcap tests share.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "core/packet.h"
#include "net/frame.h"

namespace hostwire::net::testing {

inline PayloadSlice make_payload(size_t n, uint8_t seed = 0) {
  auto buffer = std::make_shared<std::vector<uint8_t>>(n + 3);
  for (size_t i = 0; i < buffer->size(); ++i) (*buffer)[i] = static_cast<uint8_t>(i * 7 + seed);
  // An offset into a larger buffer, as an application's send buffer would be.
  return PayloadSlice{buffer, 3, static_cast<uint32_t>(n)};
}

inline EthernetHeader sample_ethernet(bool tagged) {
  EthernetHeader eth{{0x02, 0, 0, 0, 0, 0x02}, {0x02, 0, 0, 0, 0, 0x01}, std::nullopt, kEtherTypeIpv4};
  if (tagged) eth.vlan = VlanTag{3, false, 100};
  return eth;
}

inline Ipv4Header sample_ip(uint16_t id = 1) {
  Ipv4Header ip;
  ip.id = id;
  ip.df = true;
  ip.src = Ipv4Address::from_octets(10, 0, 0, 1);
  ip.dst = Ipv4Address::from_octets(10, 0, 0, 2);
  return ip;
}

inline TcpHeader sample_tcp() {
  TcpHeader tcp;
  tcp.src_port = 40000;
  tcp.dst_port = 5001;
  tcp.seq = 123456789;
  tcp.ack = 987654321;
  tcp.flags = tcp_flag::ack | tcp_flag::psh;
  tcp.window = 501;
  tcp.options.timestamps = TcpTimestamps{1000, 2000};
  return tcp;
}

inline std::vector<uint8_t> frame_bytes(const Packet& p) {
  std::vector<uint8_t> out;
  p.copy_frame(out);
  return out;
}

}  // namespace hostwire::net::testing
