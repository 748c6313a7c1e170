#include "net/checksum.h"

#include <gtest/gtest.h>

#include <string_view>

#include "net/byte_order.h"
#include "net/ipv4.h"
#include "reference.h"

using namespace hostwire;
using namespace hostwire::net;
using hostwire::net::testing::kDnsQueryFrame;
using hostwire::net::testing::random_bytes;
using hostwire::net::testing::reference_crc32;
using hostwire::net::testing::reference_internet_checksum;

TEST(InternetChecksum, Rfc1071NumericalExample) {
  // RFC 1071 section 3: these bytes sum to 0xddf2.
  const uint8_t bytes[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  InternetChecksum sum;
  sum.add(bytes);
  EXPECT_EQ(sum.folded(), 0xddf2);
  EXPECT_EQ(sum.checksum(), 0x220d);
  EXPECT_EQ(internet_checksum(bytes), 0x220d);
}

TEST(InternetChecksum, SplitAtAnyPointGivesTheSameSum) {
  Rng rng(7, "checksum.split");
  for (int trial = 0; trial < 2000; ++trial) {
    const auto data = random_bytes(rng, rng.uniform_int(0, 300));
    const std::span<const uint8_t> all(data);
    InternetChecksum pieces;
    size_t at = 0;
    while (at < data.size()) {
      const size_t n = rng.uniform_int(0, data.size() - at);  // zero-length and odd pieces included
      pieces.add(all.subspan(at, n));
      at += n;
    }
    ASSERT_EQ(pieces.checksum(), reference_internet_checksum(data)) << "trial " << trial;
    ASSERT_EQ(internet_checksum(data), reference_internet_checksum(data));
  }
}

TEST(InternetChecksum, LongRunsAndCarryHeavyDataMatchTheReference) {
  // The 8-byte bulk path: TSO-sized runs, every byte 0xFF (a carry out of every word), and
  // runs that start at an odd stream offset.
  Rng rng(11, "checksum.long");
  for (int trial = 0; trial < 50; ++trial) {
    auto data = random_bytes(rng, rng.uniform_int(16, 65536));
    if (trial % 5 == 0) std::fill(data.begin(), data.end(), 0xFF);
    const std::span<const uint8_t> all(data);
    const size_t head = rng.uniform_int(0, 3);
    InternetChecksum sum;
    sum.add(all.first(std::min(head, data.size())));
    sum.add(all.subspan(std::min(head, data.size())));
    ASSERT_EQ(sum.checksum(), reference_internet_checksum(data)) << "trial " << trial;
  }
}

TEST(InternetChecksum, ChecksumOverDataWithItsChecksumIsZero) {
  Rng rng(8, "checksum.verify");
  for (int trial = 0; trial < 200; ++trial) {
    auto data = random_bytes(rng, 2 * rng.uniform_int(1, 100));
    data[0] = data[1] = 0;
    store_be16(data.data(), internet_checksum(data));
    ASSERT_EQ(internet_checksum(data), 0);
  }
}

TEST(Ipv4HeaderChecksum, KnownHeader) {
  // A real IPv4/UDP header; its checksum field holds 0xb861.
  const uint8_t header[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                            0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  EXPECT_EQ(ipv4_header_checksum(header), 0xb861);  // ignores the stored field
  EXPECT_EQ(internet_checksum(header), 0);          // verifies with it

  // With the 0x73-byte packet it heads, the decoder reports the checksum good; one bit
  // flipped, bad (but still decoded: captures must show bad checksums, not drop them).
  std::vector<uint8_t> packet(std::begin(header), std::end(header));
  EXPECT_EQ(decode_ipv4(packet).error(), "ipv4.total_length past buffer");
  packet.resize(0x73);
  auto decoded = decode_ipv4(packet);
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_TRUE(decoded->checksum_ok);
  EXPECT_EQ(decoded->header.checksum, 0xb861);
  packet[8] ^= 0x01;  // TTL
  decoded = decode_ipv4(packet);
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_FALSE(decoded->checksum_ok);
}

TEST(TransportChecksum, KnownUdpDatagramConfirmedByTshark) {
  const std::span<const uint8_t> frame(kDnsQueryFrame);
  const auto datagram = frame.subspan(34);
  const auto src = Ipv4Address::from_octets(192, 168, 1, 10), dst = Ipv4Address::from_octets(192, 168, 1, 1);
  EXPECT_EQ(transport_checksum(src, dst, kIpProtocolUdp, datagram), 0);
  std::vector<uint8_t> copy(datagram.begin(), datagram.end());
  EXPECT_EQ(store_transport_checksum(std::span(copy).first(8), 6, src, dst, kIpProtocolUdp, datagram.subspan(8)),
            0xcb68);
  EXPECT_EQ(ipv4_header_checksum(frame.subspan(14, 20)), 0x9b12);
}

TEST(TransportChecksum, MatchesReferenceOverPseudoHeaderAndSplitPayload) {
  Rng rng(9, "checksum.transport");
  for (int trial = 0; trial < 500; ++trial) {
    const Ipv4Address src{static_cast<uint32_t>(rng.next_u64())}, dst{static_cast<uint32_t>(rng.next_u64())};
    const uint8_t protocol = trial % 2 ? kIpProtocolTcp : kIpProtocolUdp;
    const auto header = random_bytes(rng, rng.uniform_int(8, 60));
    const auto payload = random_bytes(rng, rng.uniform_int(0, 1500));
    // The pseudo-header written out as RFC 9293 section 3.1 draws it.
    std::vector<uint8_t> whole(12);
    store_be32(whole.data(), src.value);
    store_be32(whole.data() + 4, dst.value);
    whole[9] = protocol;
    store_be16(whole.data() + 10, static_cast<uint16_t>(header.size() + payload.size()));
    whole.insert(whole.end(), header.begin(), header.end());
    whole.insert(whole.end(), payload.begin(), payload.end());
    ASSERT_EQ(transport_checksum(src, dst, protocol, header, payload), reference_internet_checksum(whole));
  }
}

TEST(TransportChecksum, UdpZeroIsSentAsAllOnesTcpZeroAsZero) {
  const auto src = Ipv4Address::from_octets(10, 0, 0, 1), dst = Ipv4Address::from_octets(10, 0, 0, 2);
  for (uint8_t protocol : {kIpProtocolUdp, kIpProtocolTcp}) {
    // Choose the first two bytes so that the checksum of the whole comes out as 0.
    uint8_t header[20] = {0, 0, 0x12, 0x34, 0, 20};
    store_be16(header, transport_checksum(src, dst, protocol, header));
    ASSERT_EQ(transport_checksum(src, dst, protocol, header), 0);
    const size_t field = protocol == kIpProtocolUdp ? 6 : 16;
    const uint16_t stored = store_transport_checksum(header, field, src, dst, protocol, {});
    EXPECT_EQ(stored, protocol == kIpProtocolUdp ? 0xFFFF : 0);
    EXPECT_EQ(load_be16(&header[field]), stored);
    EXPECT_EQ(transport_checksum(src, dst, protocol, header), 0);  // either way it verifies
  }
}

TEST(Crc32, CheckValue) {
  constexpr std::string_view text = "123456789";
  const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  EXPECT_EQ(crc32(bytes), 0xCBF43926u);
  EXPECT_EQ(reference_crc32(bytes), 0xCBF43926u);
  EXPECT_EQ(crc32({}), 0u);
}

TEST(Crc32, SliceBy8MatchesBitwiseAtEveryLengthAndSplit) {
  Rng rng(10, "crc32");
  for (size_t n = 0; n < 600; ++n) {
    const auto data = random_bytes(rng, n);
    ASSERT_EQ(crc32(data), reference_crc32(data)) << "length " << n;
    const size_t cut = n ? rng.uniform_int(0, n) : 0;
    Crc32 crc;
    crc.add(std::span(data).first(cut));
    crc.add(std::span(data).subspan(cut));
    ASSERT_EQ(crc.value(), reference_crc32(data)) << "length " << n << " cut " << cut;
  }
}

TEST(Crc32, FrameWithItsFcsLeavesTheResidue) {
  std::vector<uint8_t> frame(kDnsQueryFrame);
  const uint32_t fcs = ethernet_fcs(frame);
  frame.resize(frame.size() + 4);
  store_le32(frame.data() + frame.size() - 4, fcs);  // LSB first on the wire
  EXPECT_TRUE(ethernet_fcs_ok(frame));
  frame[20] ^= 0x04;
  EXPECT_FALSE(ethernet_fcs_ok(frame));
}
