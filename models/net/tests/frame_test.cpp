#include "net/frame.h"

#include <gtest/gtest.h>

#include "frame_fixtures.h"
#include "net/byte_order.h"
#include "reference.h"

using namespace hostwire;
using namespace hostwire::net;
using namespace hostwire::net::testing;

namespace {

ParsedFrame parse_ok(const std::vector<uint8_t>& frame) {
  auto parsed = parse_frame(frame);
  EXPECT_TRUE(parsed.ok()) << parsed.error();
  return parsed.ok() ? parsed.value() : ParsedFrame{};
}

}  // namespace

TEST(FrameBuilder, UdpFrameLayoutLengthsAndChecksums) {
  Packet p;
  const auto payload = make_payload(100);
  auto layout = build_udp_frame(p, sample_ethernet(false), sample_ip(), UdpHeader{1234, 5678, 0, 0}, payload);
  ASSERT_TRUE(layout.ok()) << layout.error();
  EXPECT_EQ(layout->l3_offset, 14);
  EXPECT_EQ(layout->l4_offset, 34);
  EXPECT_EQ(layout->header_bytes, 42);
  EXPECT_EQ(p.header_len, 42);
  EXPECT_EQ(layout->frame_bytes, 142u);
  EXPECT_EQ(layout->pad_bytes, 0u);
  EXPECT_EQ(p.payload.buffer, payload.buffer);  // shared, not copied

  const auto frame = frame_bytes(p);
  EXPECT_EQ(load_be16(&frame[12]), kEtherTypeIpv4);
  EXPECT_EQ(load_be16(&frame[16]), 128);  // IPv4 total length
  EXPECT_EQ(frame[23], kIpProtocolUdp);
  EXPECT_EQ(load_be16(&frame[38]), 108);  // UDP length
  // Checksums against the plain reference over the bytes as laid out.
  EXPECT_EQ(reference_internet_checksum(std::span(frame).subspan(14, 20)), 0);
  std::vector<uint8_t> pseudo = {10, 0, 0, 1, 10, 0, 0, 2, 0, kIpProtocolUdp, 0, 108};
  pseudo.insert(pseudo.end(), frame.begin() + 34, frame.end());
  EXPECT_EQ(reference_internet_checksum(pseudo), 0);

  const ParsedFrame f = parse_ok(frame);
  EXPECT_EQ(f.ipv4_checksum, ChecksumState::good);
  EXPECT_EQ(f.l4_checksum, ChecksumState::good);
  ASSERT_TRUE(f.udp);
  EXPECT_EQ(f.udp->src_port, 1234);
  EXPECT_EQ(f.payload_offset, 42u);
  EXPECT_EQ(f.payload_length, 100u);
  EXPECT_EQ(f.trailing_bytes, 0u);
  const auto parsed_payload = f.payload(frame);
  EXPECT_TRUE(std::equal(parsed_payload.begin(), parsed_payload.end(), payload.bytes().begin(), payload.bytes().end()));
}

TEST(FrameBuilder, ShortFramesNoteTheirPaddingAndTheParserToleratesIt) {
  Packet p;
  auto layout = build_udp_frame(p, sample_ethernet(false), sample_ip(), UdpHeader{1, 2, 0, 0}, make_payload(5));
  ASSERT_TRUE(layout.ok()) << layout.error();
  EXPECT_EQ(layout->frame_bytes, 47u);
  EXPECT_EQ(layout->pad_bytes, 13u);
  EXPECT_EQ(p.frame_bytes(), 47u);  // the padding is the MAC's, not the Packet's

  auto frame = frame_bytes(p);
  frame.resize(frame.size() + layout->pad_bytes, 0);  // as a receiver sees it
  const ParsedFrame f = parse_ok(frame);
  EXPECT_EQ(f.trailing_bytes, 13u);
  EXPECT_EQ(f.payload_length, 5u);
  EXPECT_EQ(f.l4_checksum, ChecksumState::good);

  // Padding after a TCP segment too (a bare ACK is 54 bytes).
  TcpHeader ack = sample_tcp();
  ack.options = {};
  ASSERT_TRUE(build_tcp_frame(p, sample_ethernet(false), sample_ip(), ack, {}).ok());
  frame = frame_bytes(p);
  ASSERT_EQ(frame.size(), 54u);
  frame.resize(60, 0);
  const ParsedFrame g = parse_ok(frame);
  EXPECT_EQ(g.trailing_bytes, 6u);
  EXPECT_EQ(g.payload_length, 0u);
  EXPECT_EQ(g.l4_checksum, ChecksumState::good);
}

// Every TCP option combination that fits, tagged and untagged, through the builder and
// the parser and back: the same fields, then the same bytes.
TEST(FrameBuilder, TcpOptionCombinationsRoundTripThroughFrames) {
  int frames = 0;
  for (bool tagged : {false, true}) {
    for (unsigned mask = 0; mask < 16; ++mask) {
      for (uint8_t blocks = 0; blocks <= 4; ++blocks) {
        TcpHeader tcp = sample_tcp();
        tcp.flags = static_cast<uint16_t>(mask * 37 + blocks) & 0x1FF;
        tcp.options = {};
        if (mask & 1) tcp.options.mss = 1448;
        if (mask & 2) tcp.options.window_scale = 9;
        if (mask & 4) tcp.options.sack_permitted = true;
        if (mask & 8) tcp.options.timestamps = TcpTimestamps{mask, blocks};
        tcp.options.sack_blocks = blocks;
        for (uint8_t b = 0; b < blocks; ++b) tcp.options.sack[b] = SackBlock{b * 3000u, b * 3000u + 1448};
        if (tcp.options.encoded_length() > kTcpMaxOptionBytes) continue;

        Packet p;
        const auto payload = make_payload(mask * 50 + blocks, static_cast<uint8_t>(mask));
        auto layout = build_tcp_frame(p, sample_ethernet(tagged), sample_ip(static_cast<uint16_t>(mask)), tcp, payload);
        ASSERT_TRUE(layout.ok()) << layout.error();
        const auto frame = frame_bytes(p);
        const ParsedFrame f = parse_ok(frame);
        ASSERT_TRUE(f.tcp && f.ipv4);
        EXPECT_EQ(f.ethernet, sample_ethernet(tagged));
        EXPECT_EQ(f.ipv4_checksum, ChecksumState::good);
        EXPECT_EQ(f.l4_checksum, ChecksumState::good);
        EXPECT_EQ(f.l4_offset, layout->l4_offset);
        EXPECT_EQ(f.payload_offset, layout->header_bytes);
        EXPECT_EQ(f.payload_length, payload.length);
        TcpHeader expected = tcp;
        expected.checksum = f.tcp->checksum;
        EXPECT_EQ(*f.tcp, expected) << "mask " << mask << " blocks " << int{blocks};

        Packet again;
        ASSERT_TRUE(build_tcp_frame(again, f.ethernet, *f.ipv4, *f.tcp, payload).ok());
        EXPECT_EQ(frame_bytes(again), frame) << "mask " << mask << " blocks " << int{blocks} << " tagged " << tagged;
        ++frames;
      }
    }
  }
  EXPECT_EQ(frames, 2 * 62);  // 18 of the 80 combinations do not fit in 40 bytes
}

TEST(FrameParser, ReportsEachLayersChecksum) {
  Packet p;
  ASSERT_TRUE(build_tcp_frame(p, sample_ethernet(true), sample_ip(), sample_tcp(), make_payload(300)).ok());
  const auto good = frame_bytes(p);
  const size_t ip_at = 18, tcp_at = 38;

  auto bad_ip = good;
  bad_ip[ip_at + 8] ^= 1;  // TTL: covered by the IPv4 checksum only
  ParsedFrame f = parse_ok(bad_ip);
  EXPECT_EQ(f.ipv4_checksum, ChecksumState::bad);
  EXPECT_EQ(f.l4_checksum, ChecksumState::good);

  auto bad_src = good;
  bad_src[ip_at + 12] ^= 1;  // source address: in both the IPv4 header and the pseudo-header
  f = parse_ok(bad_src);
  EXPECT_EQ(f.ipv4_checksum, ChecksumState::bad);
  EXPECT_EQ(f.l4_checksum, ChecksumState::bad);

  auto bad_payload = good;
  bad_payload.back() ^= 0x80;
  f = parse_ok(bad_payload);
  EXPECT_EQ(f.ipv4_checksum, ChecksumState::good);
  EXPECT_EQ(f.l4_checksum, ChecksumState::bad);

  auto bad_port = good;
  bad_port[tcp_at + 1] ^= 1;
  EXPECT_EQ(parse_ok(bad_port).l4_checksum, ChecksumState::bad);
}

TEST(FrameParser, UdpWithoutChecksumIsAbsentNotBad) {
  Packet p;
  ASSERT_TRUE(build_udp_frame(p, sample_ethernet(false), sample_ip(), UdpHeader{7, 7, 0, 0}, make_payload(20)).ok());
  auto frame = frame_bytes(p);
  store_be16(&frame[40], 0);
  EXPECT_EQ(parse_ok(frame).l4_checksum, ChecksumState::absent);
}

TEST(FrameParser, UdpLengthShorterThanIpPayloadLeavesTrailingBytes) {
  Packet p;
  ASSERT_TRUE(build_udp_frame(p, sample_ethernet(false), sample_ip(), UdpHeader{7, 7, 0, 0}, make_payload(20)).ok());
  auto frame = frame_bytes(p);
  // Grow IPv4 by 4 bytes that UDP does not claim.
  frame.insert(frame.end(), {0xEE, 0xEE, 0xEE, 0xEE});
  store_be16(&frame[16], static_cast<uint16_t>(load_be16(&frame[16]) + 4));
  store_be16(&frame[24], 0);
  store_be16(&frame[24], ipv4_header_checksum(std::span(frame).subspan(14, 20)));
  const ParsedFrame f = parse_ok(frame);
  EXPECT_EQ(f.payload_length, 20u);
  EXPECT_EQ(f.trailing_bytes, 4u);
  EXPECT_EQ(f.ipv4_checksum, ChecksumState::good);
  EXPECT_EQ(f.l4_checksum, ChecksumState::good);
}

TEST(FrameParser, FragmentsAndOtherProtocolsStopAtIpv4) {
  Packet p;
  Ipv4Header ip = sample_ip();
  ip.mf = true;
  ASSERT_TRUE(build_udp_frame(p, sample_ethernet(false), ip, UdpHeader{7, 7, 0, 0}, make_payload(64)).ok());
  ParsedFrame f = parse_ok(frame_bytes(p));
  EXPECT_TRUE(f.ipv4);
  EXPECT_FALSE(f.udp);
  EXPECT_EQ(f.l4_checksum, ChecksumState::unchecked);
  EXPECT_EQ(f.payload_offset, 34u);
  EXPECT_EQ(f.payload_length, 72u);

  auto frame = frame_bytes(p);
  frame[23] = kIpProtocolIcmp;
  frame[20] = 0;  // clear MF
  f = parse_ok(frame);
  EXPECT_FALSE(f.udp || f.tcp);
  EXPECT_EQ(f.ipv4_checksum, ChecksumState::bad);  // edited without fixing the checksum
  EXPECT_EQ(f.payload_length, 72u);

  store_be16(&frame[12], kEtherTypeArp);
  f = parse_ok(frame);
  EXPECT_FALSE(f.ipv4);
  EXPECT_EQ(f.ipv4_checksum, ChecksumState::unchecked);
  EXPECT_EQ(f.payload_offset, 14u);
  EXPECT_EQ(f.payload_length, frame.size() - 14);
}

TEST(FrameParser, InnerLayerErrorsComeThrough) {
  Packet p;
  ASSERT_TRUE(build_tcp_frame(p, sample_ethernet(false), sample_ip(), sample_tcp(), make_payload(10)).ok());
  auto frame = frame_bytes(p);
  frame[34 + 12] = 0xF0;  // data offset 60 bytes, past the 42-byte segment
  EXPECT_EQ(parse_frame(frame).error(), "tcp.data_offset past segment");
  frame.resize(40);
  EXPECT_EQ(parse_frame(frame).error(), "ipv4.total_length past buffer");
}

TEST(FrameBuilder, ErrorsLeaveThePacketUnchanged) {
  Packet p;
  ASSERT_TRUE(build_udp_frame(p, sample_ethernet(false), sample_ip(), UdpHeader{1, 2, 0, 0}, make_payload(8)).ok());
  const auto before = frame_bytes(p);
  Ipv4Header ip = sample_ip();
  ip.dscp = 99;
  EXPECT_EQ(build_udp_frame(p, sample_ethernet(false), ip, UdpHeader{}, make_payload(9)).error(), "ipv4.dscp > 63");
  EthernetHeader eth = sample_ethernet(true);
  eth.vlan->vid = 5000;
  EXPECT_EQ(build_tcp_frame(p, eth, sample_ip(), sample_tcp(), {}).error(), "vlan.vid > 4095");
  EXPECT_EQ(build_udp_frame(p, sample_ethernet(false), sample_ip(), UdpHeader{}, make_payload(65508)).error(),
            "ipv4.total_length > 65535");
  EXPECT_EQ(frame_bytes(p), before);
  EXPECT_TRUE(build_udp_frame(p, sample_ethernet(false), sample_ip(), UdpHeader{}, make_payload(65507)).ok());
}
