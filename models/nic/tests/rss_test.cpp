#include "nic/rss.h"

#include <random>

#include <gtest/gtest.h>

#include "support/validation_row.h"

namespace hostwire::nic {
namespace {

using net::Ipv4Address;

// Microsoft, "Verifying the RSS Hash Calculation" (NDIS docs): the sample key and, per row,
// the destination and source of a frame with the IPv4-only and IPv4/TCP hashes. The input is
// laid out source address, destination address, source port, destination port.
struct VerificationRow {
  Ipv4Address dst;
  uint16_t dst_port;
  Ipv4Address src;
  uint16_t src_port;
  uint32_t ipv4;
  uint32_t ipv4_tcp;
};

constexpr Ipv4Address ip(uint8_t a, uint8_t b, uint8_t c, uint8_t d) { return Ipv4Address::from_octets(a, b, c, d); }

const VerificationRow kMicrosoftTable[] = {
    {ip(161, 142, 100, 80), 1766, ip(66, 9, 149, 187), 2794, 0x323e8fc2, 0x51ccc178},
    {ip(65, 69, 140, 83), 4739, ip(199, 92, 111, 2), 14230, 0xd718262a, 0xc626b0ea},
    {ip(12, 22, 207, 184), 38024, ip(24, 19, 198, 95), 12898, 0xd2d0a5de, 0x5c2b394a},
    {ip(209, 142, 163, 6), 2217, ip(38, 27, 205, 30), 48228, 0x82989176, 0xafc7327f},
    {ip(202, 188, 127, 2), 1303, ip(153, 39, 163, 191), 44251, 0x5d1809c5, 0x10e828a2},
};

// The validation report's row: how many of the table's hashes the NIC's Toeplitz gives.
void record_rss_row(const std::string& input, int matched) {
  hostwire::testing::record_validation_row(
      {"RSS Toeplitz hash, Microsoft's verification table, " + input, "the table's hash values",
       "Microsoft, \"Verifying the RSS Hash Calculation\" (NDIS documentation)", static_cast<double>(matched),
       static_cast<double>(std::size(kMicrosoftTable)), 0, "rows"});
}

TEST(Rss, MicrosoftVerificationTableIpv4) {
  const ToeplitzHash hash;
  int matched = 0;
  for (const auto& row : kMicrosoftTable) {
    const RssInput in = rss_input_ipv4(row.src, row.dst);
    EXPECT_EQ(hash(in.span()), row.ipv4) << to_string(row.src) << " -> " << to_string(row.dst);
    EXPECT_EQ(toeplitz_hash_reference(kMicrosoftRssKey, in.span()), row.ipv4);
    matched += hash(in.span()) == row.ipv4;
  }
  record_rss_row("IPv4 (addresses)", matched);
}

TEST(Rss, MicrosoftVerificationTableIpv4Tcp) {
  const ToeplitzHash hash;
  int matched = 0;
  for (const auto& row : kMicrosoftTable) {
    const RssInput in = rss_input_ipv4_l4(row.src, row.dst, row.src_port, row.dst_port);
    EXPECT_EQ(hash(in.span()), row.ipv4_tcp) << to_string(row.src) << ":" << row.src_port << " -> "
                                             << to_string(row.dst) << ":" << row.dst_port;
    EXPECT_EQ(toeplitz_hash_reference(kMicrosoftRssKey, in.span()), row.ipv4_tcp);
    matched += hash(in.span()) == row.ipv4_tcp;
  }
  record_rss_row("IPv4 with TCP ports", matched);
}

TEST(Rss, InputLayoutIsNetworkOrderSourceFirst) {
  const RssInput in = rss_input_ipv4_l4(ip(1, 2, 3, 4), ip(5, 6, 7, 8), 0x0a0b, 0x0c0d);
  ASSERT_EQ(in.length, 12);
  const uint8_t expected[] = {1, 2, 3, 4, 5, 6, 7, 8, 0x0a, 0x0b, 0x0c, 0x0d};
  EXPECT_TRUE(std::equal(std::begin(expected), std::end(expected), in.span().begin()));
  EXPECT_EQ(rss_input_ipv4(ip(1, 2, 3, 4), ip(5, 6, 7, 8)).length, 8);
}

TEST(Rss, TableEqualsBitByBitReferenceOnRandomInputsAndKeys) {
  std::mt19937_64 rng(42);
  for (int k = 0; k < 8; ++k) {
    RssKey key;
    for (auto& b : key) b = static_cast<uint8_t>(rng());
    if (k == 0) key = kMicrosoftRssKey;
    const ToeplitzHash hash(key);
    for (int i = 0; i < 2000; ++i) {
      std::array<uint8_t, kRssMaxInputBytes> buf;
      for (auto& b : buf) b = static_cast<uint8_t>(rng());
      const size_t len = rng() % (kRssMaxInputBytes + 1);
      const std::span<const uint8_t> in(buf.data(), len);
      ASSERT_EQ(hash(in), toeplitz_hash_reference(key, in)) << "key " << k << " length " << len;
    }
  }
}

TEST(Rss, EmptyInputHashesToZeroAndLongInputIsCut) {
  const ToeplitzHash hash;
  EXPECT_EQ(hash({}), 0u);
  std::array<uint8_t, kRssMaxInputBytes + 8> long_input;
  long_input.fill(0xa5);
  EXPECT_EQ(hash(long_input), hash(std::span<const uint8_t>(long_input.data(), kRssMaxInputBytes)));
}

TEST(Rss, KeyParsesFromHexWithSeparatorsAndPrintsBack) {
  const std::string text = "6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa";
  auto key = parse_rss_key(text);
  ASSERT_TRUE(key.ok()) << key.error();
  EXPECT_EQ(*key, kMicrosoftRssKey);
  EXPECT_EQ(to_hex(*key), text);

  std::string colons;
  for (size_t i = 0; i < text.size(); i += 2) colons += (i ? ":" : "") + text.substr(i, 2);
  auto upper = parse_rss_key(colons);
  ASSERT_TRUE(upper.ok()) << upper.error();
  EXPECT_EQ(*upper, kMicrosoftRssKey);
}

TEST(Rss, KeyRejectsWrongLengthAndNonHex) {
  EXPECT_FALSE(parse_rss_key("6d5a").ok());
  EXPECT_NE(parse_rss_key("6d5a").error().find("80"), std::string::npos);
  EXPECT_FALSE(parse_rss_key(std::string(82, 'a')).ok());
  EXPECT_FALSE(parse_rss_key(std::string(79, 'a') + "g").ok());
}

TEST(Rss, IndirectionTableRoundRobinUsesLowSevenBits) {
  const auto t = RssIndirectionTable::round_robin(3);
  for (size_t i = 0; i < kRssIndirectionEntries; ++i) EXPECT_EQ(t.entries()[i], i % 3);
  EXPECT_EQ(t.max_ring(), 2);
  EXPECT_EQ(t.ring_for(0x80), t.ring_for(0x00));  // bit 7 is not an index bit
  EXPECT_EQ(t.ring_for(0xffffff05), 5 % 3);
  RssIndirectionTable custom;
  custom.set(5, 7);
  EXPECT_EQ(custom.ring_for(5 | 0x1280), 7);
  EXPECT_EQ(custom.ring_for(6), 0);
  EXPECT_THROW(custom.set(kRssIndirectionEntries, 1), std::out_of_range);
}

TEST(Rss, RoundRobinSpreadsRandomFlowsEvenly) {
  const ToeplitzHash hash;
  const auto table = RssIndirectionTable::round_robin(4);
  std::array<int, 4> per_ring{};
  std::mt19937 rng(7);
  const int flows = 40000;
  for (int i = 0; i < flows; ++i) {
    const auto in = rss_input_ipv4_l4(Ipv4Address{static_cast<uint32_t>(rng())}, ip(10, 0, 0, 1),
                                      static_cast<uint16_t>(rng()), 80);
    ++per_ring[table.ring_for(hash(in.span()))];
  }
  for (int n : per_ring) EXPECT_NEAR(n, flows / 4, flows / 4 * 0.05);
}

}  // namespace
}  // namespace hostwire::nic
