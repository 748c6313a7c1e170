#include "nic/tcp_monitor.h"

#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "net/frame.h"

namespace hostwire::nic {
namespace {

// The headers of a TCP segment of `payload` bytes at `seq` on the flow from `src_port`.
Packet segment(uint32_t seq, uint32_t payload, uint16_t src_port = 40000, bool vlan = false, uint16_t flags = 0x10,
               bool reverse = false, uint32_t ack = 0) {
  net::EthernetHeader eth{{0x02, 0, 0, 0, 0, 0x02}, {0x02, 0, 0, 0, 0, 0x01}, std::nullopt, net::kEtherTypeIpv4};
  if (vlan) eth.vlan = net::VlanTag{0, false, 7};
  net::Ipv4Header ip{};
  ip.src = net::Ipv4Address::from_octets(10, 0, 0, reverse ? 2 : 1);
  ip.dst = net::Ipv4Address::from_octets(10, 0, 0, reverse ? 1 : 2);
  net::TcpHeader tcp{};
  tcp.src_port = reverse ? 5001 : src_port;
  tcp.dst_port = reverse ? src_port : 5001;
  tcp.seq = seq;
  tcp.ack = ack;
  tcp.flags = flags;
  tcp.options.timestamps = net::TcpTimestamps{1, 2};
  auto buffer = std::make_shared<std::vector<uint8_t>>(payload);
  Packet p;
  EXPECT_TRUE(net::build_tcp_frame(p, eth, ip, tcp, PayloadSlice{buffer, 0, payload}).ok());
  return p;
}

void show(TcpWireMonitor& m, const Packet& p, bool retransmission = false) { m.sent(p.header_bytes(), retransmission); }

TEST(TcpWireMonitor, InSequenceIsNotReordered) {
  TcpWireMonitor m;
  for (uint32_t i = 0; i < 10; ++i) show(m, segment(1000 + i * 1448, 1448));
  EXPECT_EQ(m.counts().segments, 10u);
  EXPECT_EQ(m.counts().reordered, 0u);
}

TEST(TcpWireMonitor, ASegmentBelowTheHighestIsReorderedWithItsDistance) {
  // Chunk B [2896, 5792) leaves before chunk A [0, 2896): A's two segments are reordered.
  TcpWireMonitor m;
  show(m, segment(2896, 1448));
  show(m, segment(4344, 1448));
  show(m, segment(0, 1448));
  show(m, segment(1448, 1448));
  EXPECT_EQ(m.counts().reordered, 2u);
  EXPECT_EQ(m.counts().max_distance, 5792u);
}

TEST(TcpWireMonitor, RepairsAreCountedApartAndFlowsApart) {
  TcpWireMonitor m;
  show(m, segment(0, 1448));
  show(m, segment(1448, 1448));
  show(m, segment(0, 1448), true);           // a retransmission below: expected there
  show(m, segment(0, 1448, 40001));          // another flow's first segment
  show(m, segment(100, 0));                  // a pure ACK below: no data, not counted
  show(m, segment(2896, 1448, 40000, true));  // tagged, still the same flow
  EXPECT_EQ(m.counts().retransmitted, 1u);
  EXPECT_EQ(m.counts().reordered, 0u);
  EXPECT_EQ(m.counts().segments, 5u);
}

TEST(TcpWireMonitor, SequenceNumbersWrap) {
  TcpWireMonitor m;
  show(m, segment(0xffffffff - 1000, 1448));  // ends past the wrap
  show(m, segment(447, 1448));
  show(m, segment(0xffffffff - 1000 + 1448 - 2896, 1448));  // below both
  EXPECT_EQ(m.counts().reordered, 1u);
}

TEST(TcpWireMonitor, NonTcpAndTruncatedHeadersAreIgnored) {
  TcpWireMonitor m;
  const uint8_t junk[10] = {};
  m.sent(junk, false);
  Packet p = segment(0, 100);
  m.sent(p.header_bytes().first(30), false);
  EXPECT_EQ(m.counts().segments, 0u);
}

TEST(TcpWireMonitor, DataArrivingAfterThePortAcknowledgedItIsCounted) {
  // This port (10.0.0.2) receives the flow from 10.0.0.1 and acknowledges up to 2896.
  TcpWireMonitor m;
  m.received(segment(0, 1448).header_bytes());
  m.received(segment(1448, 1448).header_bytes());
  m.sent(segment(9000, 0, 40000, false, 0x10, true, 2896).header_bytes(), false);  // the ACK leaves
  m.received(segment(1448, 1448).header_bytes());  // a copy of what was acknowledged
  m.received(segment(2000, 1448).header_bytes());  // partly new
  m.received(segment(2896, 1448).header_bytes());  // new
  m.received(segment(0, 1448, 40001).header_bytes());  // another flow: never acknowledged
  EXPECT_EQ(m.counts().arrived_acked, 1u);
  EXPECT_EQ(m.counts().segments, 0u);  // the ACK carried no data
}

}  // namespace
}  // namespace hostwire::nic
