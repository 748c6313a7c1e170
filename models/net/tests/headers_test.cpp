#include <gtest/gtest.h>

#include <vector>

#include "net/byte_order.h"
#include "net/ethernet.h"
#include "net/ipv4.h"
#include "net/tcp.h"
#include "net/udp.h"

using namespace hostwire::net;

namespace {

template <class H>
std::vector<uint8_t> encoded(const H& h) {
  std::vector<uint8_t> out(h.length());
  auto n = h.encode(out);
  EXPECT_TRUE(n.ok()) << n.error();
  return out;
}

Ipv4Header sample_ipv4() {
  Ipv4Header ip;
  ip.dscp = 46;
  ip.ecn = 2;
  ip.total_length = 40;
  ip.id = 0xBEEF;
  ip.df = true;
  ip.ttl = 63;
  ip.protocol = kIpProtocolTcp;
  ip.src = Ipv4Address::from_octets(10, 1, 2, 3);
  ip.dst = Ipv4Address::from_octets(172, 16, 0, 9);
  return ip;
}

}  // namespace

TEST(Ethernet, UntaggedLayout) {
  EthernetHeader eth{{1, 2, 3, 4, 5, 6}, {7, 8, 9, 10, 11, 12}, std::nullopt, kEtherTypeArp};
  const auto bytes = encoded(eth);
  EXPECT_EQ(bytes, (std::vector<uint8_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x08, 0x06}));
  auto d = decode_ethernet(bytes);
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_EQ(d->header, eth);
  EXPECT_EQ(d->length, 14u);
}

TEST(Ethernet, VlanTagLayoutAndFields) {
  EthernetHeader eth{{1, 2, 3, 4, 5, 6}, {7, 8, 9, 10, 11, 12}, VlanTag{5, true, 0x123}, kEtherTypeIpv4};
  const auto bytes = encoded(eth);
  ASSERT_EQ(bytes.size(), 18u);
  EXPECT_EQ(load_be16(&bytes[12]), 0x8100);
  EXPECT_EQ(load_be16(&bytes[14]), 5 << 13 | 1 << 12 | 0x123);
  EXPECT_EQ(load_be16(&bytes[16]), 0x0800);
  auto d = decode_ethernet(bytes);
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_EQ(d->header, eth);
  EXPECT_EQ(d->length, 18u);
  EXPECT_EQ(decode_ethernet(std::span(bytes).first(17)).error(), "vlan tag past buffer");
  EXPECT_EQ(decode_ethernet(std::span(bytes).first(13)).error(), "ethernet header past buffer");
}

TEST(Ethernet, EncodeRefusesOutOfRangeTagFields) {
  std::vector<uint8_t> out(18);
  EthernetHeader eth;
  eth.vlan = VlanTag{8, false, 1};
  EXPECT_EQ(eth.encode(out).error(), "vlan.pcp > 7");
  eth.vlan = VlanTag{0, false, 4096};
  EXPECT_EQ(eth.encode(out).error(), "vlan.vid > 4095");
  eth.vlan = VlanTag{7, false, 4095};
  EXPECT_EQ(eth.encode(std::span(out).first(17)).error(), "ethernet header past buffer");
  EXPECT_TRUE(eth.encode(out).ok());
}

TEST(Ethernet, PaddingToTheMinimumFrame) {
  EXPECT_EQ(ethernet_padded_bytes(42), 60u);
  EXPECT_EQ(ethernet_padded_bytes(60), 60u);
  EXPECT_EQ(ethernet_padded_bytes(1514), 1514u);
}

TEST(Ipv4, FieldsRoundTripWithOptions) {
  Ipv4Header ip = sample_ipv4();
  ip.mf = true;
  ip.df = false;
  ip.fragment_offset = 0x1ABC;
  ip.options_length = 8;
  const uint8_t opts[8] = {0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00};  // router alert, NOPs, EOL
  std::copy(std::begin(opts), std::end(opts), ip.options.begin());
  ip.total_length = 28;
  const auto bytes = encoded(ip);
  ASSERT_EQ(bytes.size(), 28u);
  EXPECT_EQ(bytes[0], 0x47);  // version 4, IHL 7
  EXPECT_EQ(bytes[1], 46 << 2 | 2);
  EXPECT_EQ(load_be16(&bytes[6]), 0x2000 | 0x1ABC);
  EXPECT_EQ(internet_checksum(bytes), 0);
  auto d = decode_ipv4(bytes);
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_TRUE(d->checksum_ok);
  EXPECT_EQ(d->length, 28u);
  ip.checksum = load_be16(&bytes[10]);
  EXPECT_EQ(d->header, ip);
  std::vector<uint8_t> again(28);
  ASSERT_TRUE(d->header.encode(again, ChecksumField::keep).ok());
  EXPECT_EQ(again, bytes);
}

TEST(Ipv4, KeepWritesTheStoredChecksum) {
  Ipv4Header ip = sample_ipv4();
  ip.total_length = 20;
  ip.checksum = 0x1234;
  std::vector<uint8_t> out(20);
  ASSERT_TRUE(ip.encode(out, ChecksumField::keep).ok());
  EXPECT_EQ(load_be16(&out[10]), 0x1234);
  auto d = decode_ipv4(out);
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->checksum_ok);
}

TEST(Ipv4, DecodeErrorsNameTheField) {
  Ipv4Header ip = sample_ipv4();
  ip.total_length = 24;
  std::vector<uint8_t> good(24);
  ASSERT_TRUE(ip.encode(good).ok());
  auto error_after = [&](auto&& edit, size_t size = 24) {
    auto b = good;
    edit(b);
    b.resize(size);
    return decode_ipv4(b).error();
  };
  EXPECT_EQ(error_after([](auto&) {}, 19), "ipv4 header past buffer");
  EXPECT_EQ(error_after([](auto& b) { b[0] = 0x65; }), "ipv4.version != 4");
  EXPECT_EQ(error_after([](auto& b) { b[0] = 0x44; }), "ipv4.ihl < 5");
  EXPECT_EQ(error_after([](auto& b) { b[0] = 0x47; }), "ipv4.ihl past buffer");
  EXPECT_EQ(error_after([](auto& b) { store_be16(&b[2], 19); }), "ipv4.total_length < header length");
  EXPECT_EQ(error_after([](auto&) {}, 23), "ipv4.total_length past buffer");
  EXPECT_EQ(error_after([](auto& b) { b[6] |= 0x80; }), "ipv4.flags reserved bit set");
  EXPECT_EQ(error_after([](auto&) {}), "");
}

TEST(Ipv4, EncodeRefusesOutOfRangeFields) {
  std::vector<uint8_t> out(60);
  auto error_with = [&](auto&& edit) {
    Ipv4Header ip = sample_ipv4();
    edit(ip);
    return ip.encode(out).error();
  };
  EXPECT_EQ(error_with([](auto& ip) { ip.dscp = 64; }), "ipv4.dscp > 63");
  EXPECT_EQ(error_with([](auto& ip) { ip.ecn = 4; }), "ipv4.ecn > 3");
  EXPECT_EQ(error_with([](auto& ip) { ip.fragment_offset = 8192; }), "ipv4.fragment_offset > 8191");
  EXPECT_EQ(error_with([](auto& ip) { ip.options_length = 3; }), "ipv4.options_length not a multiple of 4");
  EXPECT_EQ(error_with([](auto& ip) { ip.options_length = 44; }), "ipv4.options_length > 40");
  EXPECT_EQ(error_with([](auto& ip) { ip.total_length = 19; }), "ipv4.total_length < header length");
  Ipv4Header ip = sample_ipv4();
  EXPECT_EQ(ip.encode(std::span(out).first(19)).error(), "ipv4 header past buffer");
}

TEST(Udp, RoundTripAndErrors) {
  UdpHeader udp{5353, 53, 12, 0};
  std::vector<uint8_t> out(8);
  ASSERT_TRUE(udp.encode(out).ok());
  EXPECT_EQ(out, (std::vector<uint8_t>{0x14, 0xe9, 0x00, 0x35, 0x00, 0x0c, 0x00, 0x00}));
  out.resize(12);
  auto d = decode_udp(out);
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_EQ(d->header, udp);  // checksum 0 ("none") is accepted
  EXPECT_EQ(decode_udp(std::span(out).first(11)).error(), "udp.length past datagram");
  EXPECT_EQ(decode_udp(std::span(out).first(7)).error(), "udp header past buffer");
  store_be16(&out[4], 7);
  EXPECT_EQ(decode_udp(out).error(), "udp.length < 8");
  const uint8_t payload[4] = {1, 2, 3, 4};
  const UdpHeader wrong_length{1, 2, 13, 0};
  EXPECT_EQ(wrong_length.encode(out, Ipv4Address{}, Ipv4Address{}, payload).error(), "udp.length != 8 + payload length");
  EXPECT_EQ(udp.encode(std::span(out).first(7)).error(), "udp header past buffer");
}

TEST(Tcp, FixedFieldsAndEveryFlag) {
  TcpHeader tcp;
  tcp.src_port = 443;
  tcp.dst_port = 51000;
  tcp.seq = 0xDEADBEEF;
  tcp.ack = 0x01020304;
  tcp.window = 0xFFFF;
  tcp.checksum = 0xABCD;
  tcp.urgent = 7;
  for (uint16_t flags = 0; flags <= 0x1FF; ++flags) {
    tcp.flags = flags;
    const auto bytes = encoded(tcp);
    ASSERT_EQ(bytes.size(), 20u);
    ASSERT_EQ(bytes[12], 0x50 | flags >> 8);
    ASSERT_EQ(bytes[13], flags & 0xFF);
    auto d = decode_tcp(bytes);
    ASSERT_TRUE(d.ok()) << d.error();
    ASSERT_EQ(d->header, tcp);
  }
  tcp.flags = 0x200;
  std::vector<uint8_t> out(60);
  EXPECT_EQ(tcp.encode(out).error(), "tcp.flags > 0x1ff");
}

TEST(Tcp, SynOptionsInLinuxLayout) {
  TcpHeader syn;
  syn.flags = tcp_flag::syn;
  syn.options.mss = 1460;
  syn.options.sack_permitted = true;
  syn.options.timestamps = TcpTimestamps{0x11223344, 0};
  syn.options.window_scale = 7;
  const auto bytes = encoded(syn);
  const std::vector<uint8_t> options(bytes.begin() + 20, bytes.end());
  // As Linux sends them: MSS, SACK-permitted in the timestamps' padding, NOP + WS.
  EXPECT_EQ(options, (std::vector<uint8_t>{0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x11, 0x22, 0x33, 0x44,
                                           0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07}));
  EXPECT_EQ(bytes[12] >> 4, 10);
}

TEST(Tcp, AckOptionsInLinuxLayout) {
  TcpHeader ack;
  ack.flags = tcp_flag::ack;
  ack.options.timestamps = TcpTimestamps{1, 2};
  ack.options.sack_blocks = 1;
  ack.options.sack[0] = SackBlock{0x1000, 0x2000};
  const auto bytes = encoded(ack);
  const std::vector<uint8_t> options(bytes.begin() + 20, bytes.end());
  EXPECT_EQ(options, (std::vector<uint8_t>{1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2,  // NOP NOP TS
                                           1, 1, 5, 10, 0, 0, 0x10, 0, 0, 0, 0x20, 0}));  // NOP NOP SACK
}

// Every subset of {MSS, WS, SACK-permitted, timestamps} with 0..4 SACK blocks: the ones
// that fit in 40 bytes encode, decode to the same fields and re-encode to the same bytes;
// the others are refused.
TEST(Tcp, EveryOptionCombinationRoundTrips) {
  int fitted = 0, refused = 0;
  for (unsigned mask = 0; mask < 16; ++mask) {
    for (uint8_t blocks = 0; blocks <= 4; ++blocks) {
      TcpHeader tcp;
      tcp.seq = 1000 + mask;
      tcp.flags = tcp_flag::ack | tcp_flag::psh;
      if (mask & 1) tcp.options.mss = static_cast<uint16_t>(536 + mask);
      if (mask & 2) tcp.options.window_scale = static_cast<uint8_t>(mask);
      if (mask & 4) tcp.options.sack_permitted = true;
      if (mask & 8) tcp.options.timestamps = TcpTimestamps{0xA0000000u + mask, 0xB0000000u + blocks};
      tcp.options.sack_blocks = blocks;
      for (uint8_t b = 0; b < blocks; ++b) tcp.options.sack[b] = SackBlock{100u * b + 1, 100u * b + 50};
      const size_t expected = 20 + (mask & 1 ? 4 : 0) + (mask & 8 ? 12 : mask & 4 ? 4 : 0) + (mask & 2 ? 4 : 0) +
                              (blocks ? 4 + 8 * blocks : 0);
      ASSERT_EQ(tcp.length(), expected);
      std::vector<uint8_t> out(60);
      auto n = tcp.encode(out);
      if (expected > 60) {
        EXPECT_EQ(n.error(), "tcp options > 40 bytes");
        ++refused;
        continue;
      }
      ++fitted;
      ASSERT_TRUE(n.ok()) << n.error();
      out.resize(*n);
      ASSERT_EQ(out.size() % 4, 0u);
      auto d = decode_tcp(out);
      ASSERT_TRUE(d.ok()) << d.error() << " mask " << mask << " blocks " << int{blocks};
      EXPECT_EQ(d->length, out.size());
      EXPECT_EQ(d->header, tcp) << "mask " << mask << " blocks " << int{blocks};
      EXPECT_EQ(encoded(d->header), out);
    }
  }
  EXPECT_EQ(fitted, 62);
  EXPECT_EQ(refused, 18);
}

TEST(Tcp, DecodesOtherStacksLayoutsAndSkipsUnknownOptions) {
  // Options in a non-Linux order, with an unknown kind (TCP-AO, 29), EOL and padding.
  std::vector<uint8_t> seg(20);
  const std::vector<uint8_t> opts = {3, 3, 2,                    // WS without a NOP
                                     29, 4, 0xAA, 0xBB,          // unknown: skipped
                                     2, 4, 0x23, 0x28,           // MSS 9000
                                     4, 2,                       // SACK-permitted
                                     8, 10, 0, 0, 0, 5, 0, 0, 0, 6,  // timestamps
                                     0, 0, 0xFF, 0xFF, 0xFF};    // EOL, then padding bytes
  seg.insert(seg.end(), opts.begin(), opts.end());
  ASSERT_EQ(seg.size() % 4, 0u);
  seg[12] = static_cast<uint8_t>(seg.size() / 4 << 4);
  auto d = decode_tcp(seg);
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_EQ(d->length, seg.size());
  EXPECT_EQ(d->header.options.window_scale, 2);
  EXPECT_EQ(d->header.options.mss, 9000);
  EXPECT_TRUE(d->header.options.sack_permitted);
  EXPECT_EQ(d->header.options.timestamps, (TcpTimestamps{5, 6}));
}

TEST(Tcp, DecodeErrorsNameTheFieldOrOption) {
  auto with_options = [](std::vector<uint8_t> opts) {
    std::vector<uint8_t> seg(20);
    seg.insert(seg.end(), opts.begin(), opts.end());
    seg[12] = static_cast<uint8_t>(seg.size() / 4 << 4);
    return decode_tcp(seg).error();
  };
  EXPECT_EQ(with_options({1, 1, 1, 2}), "tcp option past header");  // MSS kind, no length byte
  EXPECT_EQ(with_options({2, 0, 1, 1}), "tcp option length < 2");
  EXPECT_EQ(with_options({30, 1, 1, 1}), "tcp option length < 2");
  EXPECT_EQ(with_options({1, 1, 2, 4}), "tcp option past header");
  EXPECT_EQ(with_options({2, 3, 5, 1}), "tcp.mss option length != 4");
  EXPECT_EQ(with_options({2, 4, 5, 0xb4, 2, 4, 5, 0xb4}), "tcp.mss option repeated");
  EXPECT_EQ(with_options({3, 4, 7, 1}), "tcp.window_scale option length != 3");
  EXPECT_EQ(with_options({4, 3, 0, 1}), "tcp.sack_permitted option length != 2");
  EXPECT_EQ(with_options({5, 6, 0, 0, 0, 0, 1, 1}), "tcp.sack option length not 2 + 8 * (1..4)");
  EXPECT_EQ(with_options({8, 8, 0, 0, 0, 0, 0, 0}), "tcp.timestamps option length != 10");
  EXPECT_EQ(with_options({0, 2, 0, 0}), "");  // after EOL nothing is parsed

  std::vector<uint8_t> seg(24);
  seg[12] = 0x40;
  EXPECT_EQ(decode_tcp(seg).error(), "tcp.data_offset < 5");
  seg[12] = 0x70;
  EXPECT_EQ(decode_tcp(seg).error(), "tcp.data_offset past segment");
  EXPECT_EQ(decode_tcp(std::span(seg).first(19)).error(), "tcp header past segment");
}

TEST(Tcp, EncodeRefusesTooManySackBlocksAndShortBuffers) {
  TcpHeader tcp;
  tcp.options.sack_blocks = 5;
  std::vector<uint8_t> out(60);
  EXPECT_EQ(tcp.encode(out).error(), "tcp.sack_blocks > 4");
  tcp.options.sack_blocks = 1;
  EXPECT_EQ(tcp.encode(std::span(out).first(31)).error(), "tcp header past buffer");
  EXPECT_TRUE(tcp.encode(std::span(out).first(32)).ok());
}
