#include "nic/tx_order.h"

#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "net/frame.h"

namespace hostwire::nic {
namespace {

// The headers of a TCP segment of `payload` bytes at `seq` on the flow from `src_port`.
Packet segment(uint32_t seq, uint32_t payload, uint16_t src_port = 40000, bool vlan = false, uint16_t flags = 0x10) {
  net::EthernetHeader eth{{0x02, 0, 0, 0, 0, 0x02}, {0x02, 0, 0, 0, 0, 0x01}, std::nullopt, net::kEtherTypeIpv4};
  if (vlan) eth.vlan = net::VlanTag{0, false, 7};
  net::Ipv4Header ip{};
  ip.src = net::Ipv4Address::from_octets(10, 0, 0, 1);
  ip.dst = net::Ipv4Address::from_octets(10, 0, 0, 2);
  net::TcpHeader tcp{};
  tcp.src_port = src_port;
  tcp.dst_port = 5001;
  tcp.seq = seq;
  tcp.flags = flags;
  tcp.options.timestamps = net::TcpTimestamps{1, 2};
  auto buffer = std::make_shared<std::vector<uint8_t>>(payload);
  Packet p;
  EXPECT_TRUE(net::build_tcp_frame(p, eth, ip, tcp, PayloadSlice{buffer, 0, payload}).ok());
  return p;
}

void show(TxOrderMonitor& m, const Packet& p, bool retransmission = false) { m.observe(p.header_bytes(), retransmission); }

TEST(TxOrder, InSequenceIsNotReordered) {
  TxOrderMonitor m;
  for (uint32_t i = 0; i < 10; ++i) show(m, segment(1000 + i * 1448, 1448));
  EXPECT_EQ(m.counts().segments, 10u);
  EXPECT_EQ(m.counts().reordered, 0u);
}

TEST(TxOrder, ASegmentBelowTheHighestIsReorderedWithItsDistance) {
  // Chunk B [2896, 5792) leaves before chunk A [0, 2896): A's two segments are reordered.
  TxOrderMonitor m;
  show(m, segment(2896, 1448));
  show(m, segment(4344, 1448));
  show(m, segment(0, 1448));
  show(m, segment(1448, 1448));
  EXPECT_EQ(m.counts().reordered, 2u);
  EXPECT_EQ(m.counts().max_distance, 5792u);
}

TEST(TxOrder, RepairsAreCountedApartAndFlowsApart) {
  TxOrderMonitor m;
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

TEST(TxOrder, SequenceNumbersWrap) {
  TxOrderMonitor m;
  show(m, segment(0xffffffff - 1000, 1448));  // ends past the wrap
  show(m, segment(447, 1448));
  show(m, segment(0xffffffff - 1000 + 1448 - 2896, 1448));  // below both
  EXPECT_EQ(m.counts().reordered, 1u);
}

TEST(TxOrder, NonTcpAndTruncatedHeadersAreIgnored) {
  TxOrderMonitor m;
  const uint8_t junk[10] = {};
  m.observe(junk, false);
  Packet p = segment(0, 100);
  m.observe(p.header_bytes().first(30), false);
  EXPECT_EQ(m.counts().segments, 0u);
}

}  // namespace
}  // namespace hostwire::nic
