#include "nic/tso.h"

#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "net/byte_order.h"
#include "net/frame.h"
#include "net/pcap.h"
#include "support/tshark.h"

namespace hostwire::nic {
namespace {

namespace flag = net::tcp_flag;

// Ethernet 14 + IPv4 20 + TCP 20 (+ 12 with timestamps): the headers a Linux sender posts.
constexpr uint32_t kIpTcpBytes = 40;
constexpr uint32_t kIpTcpTimestampsBytes = 52;

struct SuperSpec {
  uint32_t payload = 0;
  bool vlan = false;
  bool timestamps = true;
  uint32_t seq = 123456789;
  uint16_t ip_id = 1000;
  uint16_t flags = flag::ack | flag::psh;
  uint16_t src_port = 40000;
  uint8_t ip_options = 0;  // bytes of IPv4 options (router alert, then NOPs and EOL)
};

// The headers and payload a super-frame was built from, so each segment's headers can be
// built independently with build_tcp_frame and compared byte for byte.
struct Super {
  Packet packet;
  net::EthernetHeader eth;
  net::Ipv4Header ip;
  net::TcpHeader tcp;
};

Super make_super(const SuperSpec& s) {
  Super out;
  out.eth = net::EthernetHeader{{0x02, 0, 0, 0, 0, 0x02}, {0x02, 0, 0, 0, 0, 0x01}, std::nullopt, net::kEtherTypeIpv4};
  if (s.vlan) out.eth.vlan = net::VlanTag{3, false, 100};
  out.ip.id = s.ip_id;
  out.ip.df = true;
  out.ip.src = net::Ipv4Address::from_octets(10, 0, 0, 1);
  out.ip.dst = net::Ipv4Address::from_octets(10, 0, 0, 2);
  if (s.ip_options > 0) {
    const uint8_t bytes[8] = {0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00};  // RFC 2113 router alert
    std::memcpy(out.ip.options.data(), bytes, s.ip_options);
    out.ip.options_length = s.ip_options;
  }
  out.tcp.src_port = s.src_port;
  out.tcp.dst_port = 5001;
  out.tcp.seq = s.seq;
  out.tcp.ack = 987654321;
  out.tcp.flags = s.flags;
  out.tcp.window = 501;
  if (s.timestamps) out.tcp.options.timestamps = net::TcpTimestamps{1000, 2000};

  // An offset into a larger buffer, as an application's send buffer would be; bytes that
  // differ at every position (and are not a multiple of 256 apart), so a misplaced slice shows.
  auto buffer = std::make_shared<std::vector<uint8_t>>(s.payload + 7);
  for (size_t i = 0; i < buffer->size(); ++i) (*buffer)[i] = static_cast<uint8_t>(i * 7 + i / 251);
  const PayloadSlice payload{buffer, 5, s.payload};
  auto layout = net::build_tcp_frame(out.packet, out.eth, out.ip, out.tcp, payload);
  EXPECT_TRUE(layout.ok()) << layout.error();
  out.packet.id = 77;
  out.packet.flow = 3;
  out.packet.created = Time::from_ns(1234);
  return out;
}

std::vector<uint8_t> frame_of(const Packet& p) {
  std::vector<uint8_t> bytes;
  p.copy_frame(bytes);
  return bytes;
}

// Every segment against an independent construction: build_tcp_frame with the super-frame's
// headers, the segment's id, sequence number and flags, and its slice of the payload; the
// parser then checks every checksum from scratch.
void expect_segments(const Super& s, uint16_t mss, const std::vector<Packet>& segs, size_t first = 0) {
  const uint32_t payload = s.packet.payload.length;
  const uint32_t count = tso_segment_count(payload, mss);
  ASSERT_EQ(segs.size(), first + count);
  std::vector<uint8_t> joined;
  for (uint32_t i = 0; i < count; ++i) {
    SCOPED_TRACE("segment " + std::to_string(i) + " of " + std::to_string(count));
    const Packet& seg = segs[first + i];
    const uint32_t offset = i * uint32_t{mss};
    const uint32_t len = std::min<uint32_t>(mss, payload - offset);

    net::Ipv4Header ip = s.ip;
    ip.id = static_cast<uint16_t>(s.ip.id + i);
    net::TcpHeader tcp = s.tcp;
    tcp.seq = s.tcp.seq + offset;
    if (i != 0) tcp.flags &= static_cast<uint16_t>(~flag::cwr);
    if (i + 1 != count) tcp.flags &= static_cast<uint16_t>(~(flag::fin | flag::psh));
    Packet expected;
    ASSERT_TRUE(net::build_tcp_frame(expected, s.eth, ip, tcp, s.packet.payload.sub(offset, len)).ok());
    ASSERT_EQ(seg.header_len, expected.header_len);
    EXPECT_EQ(0, std::memcmp(seg.header, expected.header, seg.header_len)) << "header bytes differ";

    // No payload copy: a window onto the super-frame's buffer.
    EXPECT_EQ(seg.payload.buffer.get(), s.packet.payload.buffer.get());
    EXPECT_EQ(seg.payload.offset, s.packet.payload.offset + offset);
    EXPECT_EQ(seg.payload.length, len);
    EXPECT_EQ(seg.id, s.packet.id);
    EXPECT_EQ(seg.flow, s.packet.flow);
    EXPECT_EQ(seg.created, s.packet.created);

    const auto bytes = frame_of(seg);
    auto parsed = net::parse_frame(bytes);
    ASSERT_TRUE(parsed.ok()) << parsed.error();
    EXPECT_EQ(parsed->ipv4_checksum, net::ChecksumState::good);
    EXPECT_EQ(parsed->l4_checksum, net::ChecksumState::good);
    ASSERT_TRUE(parsed->tcp);
    EXPECT_EQ(parsed->ipv4->id, ip.id);
    EXPECT_EQ(parsed->ipv4->total_length, s.ip.length() + s.tcp.length() + len);
    EXPECT_EQ(parsed->tcp->seq, tcp.seq);
    EXPECT_EQ(parsed->tcp->flags, tcp.flags);
    EXPECT_EQ(parsed->payload_length, len);
    EXPECT_EQ(parsed->trailing_bytes, 0u);
    const auto p = parsed->payload(bytes);
    joined.insert(joined.end(), p.begin(), p.end());
  }
  const auto original = s.packet.payload.bytes();
  EXPECT_TRUE(std::equal(joined.begin(), joined.end(), original.begin(), original.end()))
      << "concatenated segment payloads differ from the super-frame's";
}

std::vector<Packet> segment_ok(const Super& s, uint16_t mss) {
  std::vector<Packet> out;
  auto n = tso_segment(s.packet, mss, out);
  EXPECT_TRUE(n.ok()) << n.error();
  if (n.ok()) {
    EXPECT_EQ(*n, out.size());
  }
  return out;
}

TEST(Tso, SegmentCount) {
  EXPECT_EQ(tso_segment_count(0, 1448), 1u);
  EXPECT_EQ(tso_segment_count(1, 1448), 1u);
  EXPECT_EQ(tso_segment_count(1448, 1448), 1u);
  EXPECT_EQ(tso_segment_count(1449, 1448), 2u);
  EXPECT_EQ(tso_segment_count(65483, 1448), 46u);
  EXPECT_EQ(tso_segment_count(65535, 1), 65535u);
  EXPECT_EQ(tso_segment_count(100, 0), 0u);
}

// Payloads 1, mss - 1, mss, mss + 1 and the largest an IPv4 datagram holds, for Linux's
// Ethernet MSS with timestamps (1448) and the RFC 1122 default (536), with and without the
// timestamps option: segment count, size of every segment, and the exact frame size.
TEST(Tso, SegmentCountsAndSizes) {
  struct Case {
    bool timestamps;
    uint16_t mss;
    uint32_t payload;
    uint32_t segments;
    uint32_t last;  // payload bytes of the last segment; every other one carries mss
  };
  const Case cases[] = {
      {true, 1448, 1, 1, 1},         {true, 1448, 1447, 1, 1447},  {true, 1448, 1448, 1, 1448},
      {true, 1448, 1449, 2, 1},      {true, 1448, 65483, 46, 323}, {true, 536, 1, 1, 1},
      {true, 536, 535, 1, 535},      {true, 536, 536, 1, 536},     {true, 536, 537, 2, 1},
      {true, 536, 65483, 123, 91},   {false, 1448, 1, 1, 1},       {false, 1448, 1447, 1, 1447},
      {false, 1448, 1448, 1, 1448},  {false, 1448, 1449, 2, 1},    {false, 1448, 65495, 46, 335},
      {false, 536, 1, 1, 1},         {false, 536, 535, 1, 535},    {false, 536, 536, 1, 536},
      {false, 536, 537, 2, 1},       {false, 536, 65495, 123, 103},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("timestamps " + std::to_string(c.timestamps) + " mss " + std::to_string(c.mss) + " payload " +
                 std::to_string(c.payload));
    const Super s = make_super({.payload = c.payload, .timestamps = c.timestamps});
    const uint32_t headers = 14 + (c.timestamps ? kIpTcpTimestampsBytes : kIpTcpBytes);
    EXPECT_EQ(s.packet.header_len, headers);
    const auto segs = segment_ok(s, c.mss);
    ASSERT_EQ(segs.size(), c.segments);
    for (size_t i = 0; i < segs.size(); ++i) {
      const uint32_t len = i + 1 == segs.size() ? c.last : c.mss;
      EXPECT_EQ(segs[i].payload.length, len) << "segment " << i;
      EXPECT_EQ(segs[i].frame_bytes(), headers + len) << "segment " << i;
    }
    expect_segments(s, c.mss, segs);
  }
  // The classic full-size Ethernet frame: 14 + 20 + 32 + 1448.
  EXPECT_EQ(segment_ok(make_super({.payload = 3000}), 1448)[0].frame_bytes(), 1514u);
}

// Pseudo-random payload sizes and MSS values (fixed seed), each segment checked against
// build_tcp_frame and the parser's checksum verification.
TEST(Tso, EverySegmentParsesWithGoodChecksums) {
  std::mt19937 rng(20240611);
  for (int round = 0; round < 150; ++round) {
    SuperSpec spec;
    spec.timestamps = rng() % 2;
    spec.vlan = rng() % 2;
    spec.ip_options = (rng() % 3 == 0) ? 8 : 0;
    const uint32_t max = 65535 - 20 - spec.ip_options - (spec.timestamps ? 32 : 20);
    spec.payload = rng() % (max + 1);
    spec.seq = static_cast<uint32_t>(rng());
    spec.ip_id = static_cast<uint16_t>(rng());
    const uint16_t mss = static_cast<uint16_t>(1 + rng() % 9000);
    SCOPED_TRACE("round " + std::to_string(round) + " payload " + std::to_string(spec.payload) + " mss " +
                 std::to_string(mss));
    const Super s = make_super(spec);
    expect_segments(s, mss, segment_ok(s, mss));
  }
}

TEST(Tso, SequenceNumbersAreContiguousAndWrap) {
  const Super s = make_super({.payload = 10000, .seq = 0xFFFFF000});
  const auto segs = segment_ok(s, 1448);
  const uint32_t expected[] = {4294963200u, 4294964648u, 4294966096u, 248u, 1696u, 3144u, 4592u};
  ASSERT_EQ(segs.size(), std::size(expected));
  for (size_t i = 0; i < segs.size(); ++i) EXPECT_EQ(net::load_be32(segs[i].header + 34 + 4), expected[i]) << i;
  // The last segment (1312 bytes) ends where the super-frame ends: 0xFFFFF000 + 10000 mod 2^32.
  EXPECT_EQ(segs.back().payload.length, 1312u);
  EXPECT_EQ(expected[6] + segs.back().payload.length, 5904u);
  expect_segments(s, 1448, segs);
}

TEST(Tso, IpIdsIncrementAndWrap) {
  const Super s = make_super({.payload = 5 * 536, .ip_id = 65533});
  const auto segs = segment_ok(s, 536);
  const uint16_t expected[] = {65533, 65534, 65535, 0, 1};
  ASSERT_EQ(segs.size(), std::size(expected));
  for (size_t i = 0; i < segs.size(); ++i) EXPECT_EQ(net::load_be16(segs[i].header + 14 + 4), expected[i]) << i;
  expect_segments(s, 536, segs);
}

// Linux tcp_gso_segment() and Intel's TSO flag masks: FIN and PSH only on the last segment,
// CWR only on the first; ACK, ECE and NS on every one.
TEST(Tso, FlagsFinPshLastCwrFirst) {
  const uint16_t all = flag::ack | flag::psh | flag::fin | flag::cwr | flag::ece | flag::ns;
  const uint16_t first = flag::ack | flag::cwr | flag::ece | flag::ns;
  const uint16_t middle = flag::ack | flag::ece | flag::ns;
  const uint16_t last = flag::ack | flag::psh | flag::fin | flag::ece | flag::ns;
  auto flags_of = [](const Packet& p) {
    const auto bytes = frame_of(p);
    auto parsed = net::parse_frame(bytes);
    EXPECT_TRUE(parsed.ok() && parsed->tcp);
    return parsed.ok() && parsed->tcp ? parsed->tcp->flags : uint16_t{0xFFFF};
  };
  {
    const Super s = make_super({.payload = 3 * 1000, .flags = all});
    const auto segs = segment_ok(s, 1000);
    ASSERT_EQ(segs.size(), 3u);
    EXPECT_EQ(flags_of(segs[0]), first);
    EXPECT_EQ(flags_of(segs[1]), middle);
    EXPECT_EQ(flags_of(segs[2]), last);
    expect_segments(s, 1000, segs);
  }
  {
    const Super s = make_super({.payload = 1001, .flags = all});
    const auto segs = segment_ok(s, 1000);
    ASSERT_EQ(segs.size(), 2u);
    EXPECT_EQ(flags_of(segs[0]), first);
    EXPECT_EQ(flags_of(segs[1]), last);
  }
  {
    const Super s = make_super({.payload = 1000, .flags = all});
    const auto segs = segment_ok(s, 1000);
    ASSERT_EQ(segs.size(), 1u);
    EXPECT_EQ(flags_of(segs[0]), all);
  }
}

TEST(Tso, PayloadIsSlicedNotCopied) {
  const Super s = make_super({.payload = 65483});
  const long owners_before = s.packet.payload.buffer.use_count();
  const auto segs = segment_ok(s, 1448);
  ASSERT_EQ(segs.size(), 46u);
  EXPECT_EQ(s.packet.payload.buffer.use_count(), owners_before + 46);
  std::vector<uint8_t> joined;
  for (const Packet& p : segs) {
    const auto b = p.payload.bytes();
    joined.insert(joined.end(), b.begin(), b.end());
  }
  const auto original = s.packet.payload.bytes();
  ASSERT_EQ(joined.size(), 65483u);
  EXPECT_TRUE(std::equal(joined.begin(), joined.end(), original.begin()));
}

TEST(Tso, VlanTagIsKept) {
  const Super s = make_super({.payload = 4000, .vlan = true});
  const auto segs = segment_ok(s, 1448);
  ASSERT_EQ(segs.size(), 3u);
  for (const Packet& p : segs) {
    EXPECT_EQ(0, std::memcmp(p.header, s.packet.header, 18));
    const auto bytes = frame_of(p);
    auto parsed = net::parse_frame(bytes);
    ASSERT_TRUE(parsed.ok()) << parsed.error();
    ASSERT_TRUE(parsed->ethernet.vlan);
    EXPECT_EQ(*parsed->ethernet.vlan, (net::VlanTag{3, false, 100}));
    EXPECT_EQ(parsed->l3_offset, 18u);
  }
  expect_segments(s, 1448, segs);
}

// IPv4 and TCP options are replicated verbatim; the fields TSO rewrites sit at offsets
// that move with the VLAN tag and the IPv4 options.
TEST(Tso, IpAndTcpOptionsAreReplicated) {
  const Super s = make_super({.payload = 3000, .vlan = true, .ip_options = 8});
  const auto segs = segment_ok(s, 1000);
  ASSERT_EQ(segs.size(), 3u);
  for (const Packet& p : segs) {
    const auto bytes = frame_of(p);
    auto parsed = net::parse_frame(bytes);
    ASSERT_TRUE(parsed.ok()) << parsed.error();
    EXPECT_EQ(parsed->ipv4->options_length, 8);
    EXPECT_EQ(parsed->ipv4->options, s.ip.options);
    EXPECT_EQ(parsed->tcp->options, s.tcp.options);
  }
  expect_segments(s, 1000, segs);
}

// A host leaves the checksums partial (Linux CHECKSUM_PARTIAL puts the pseudo-header sum in
// the TCP field) and may leave any total length: a single-segment send comes out equal to
// the correctly built frame.
TEST(Tso, SingleSegmentIsTheInputWithChecksumsFixed) {
  for (uint32_t payload : {0u, 1u, 700u, 1448u}) {
    const Super good = make_super({.payload = payload});
    Super s = good;
    net::store_be16(s.packet.header + 14 + 2, 0);       // total_length
    net::store_be16(s.packet.header + 14 + 10, 0xBEEF);  // IPv4 checksum
    net::store_be16(s.packet.header + 34 + 16, 0x1234);  // TCP checksum
    std::vector<Packet> out;
    auto n = tso_segment(s.packet, 1448, out);
    ASSERT_TRUE(n.ok()) << n.error();
    ASSERT_EQ(*n, 1u);
    ASSERT_EQ(out[0].header_len, good.packet.header_len);
    EXPECT_EQ(0, std::memcmp(out[0].header, good.packet.header, good.packet.header_len)) << payload;
    EXPECT_EQ(frame_of(out[0]), frame_of(good.packet)) << payload;
  }
}

// The host's capture view of a super-frame: the frame built whole (lengths and checksums over
// all of the payload), whatever the stack left in the length and checksum fields.
TEST(Tso, WholeSegmentIsTheSuperFrameAsOneLargeSegment) {
  for (uint32_t payload : {0u, 1448u, 14480u, 65535u - 52u}) {
    const Super good = make_super({.payload = payload});
    Super s = good;
    net::store_be16(s.packet.header + 14 + 2, 52);       // total_length of the headers only
    net::store_be16(s.packet.header + 14 + 10, 0xBEEF);  // IPv4 checksum
    net::store_be16(s.packet.header + 34 + 16, 0x1234);  // TCP checksum partial
    auto whole = tso_whole_segment(s.packet);
    ASSERT_TRUE(whole.ok()) << whole.error();
    EXPECT_EQ(whole->payload.length, payload);
    EXPECT_EQ(net::load_be16(whole->header + 14 + 2), payload + kIpTcpTimestampsBytes);
    EXPECT_EQ(frame_of(*whole), frame_of(good.packet)) << payload;
    EXPECT_EQ(whole->id, good.packet.id);
  }
  Packet udp;
  EXPECT_FALSE(tso_whole_segment(udp).ok());
}

TEST(Tso, AppendsAfterWhatOutHolds) {
  const Super a = make_super({.payload = 3000, .src_port = 1});
  const Super b = make_super({.payload = 2000, .src_port = 2});
  std::vector<Packet> out;
  ASSERT_EQ(*tso_segment(a.packet, 1448, out), 3u);
  ASSERT_EQ(*tso_segment(TsoRequest{&b.packet, 1448}, out), 2u);
  ASSERT_EQ(out.size(), 5u);
  const std::vector<Packet> first(out.begin(), out.begin() + 3);
  expect_segments(a, 1448, first);
  expect_segments(b, 1448, out, 3);
}

TEST(Tso, MalformedInputIsAnErrorAndLeavesOutUnchanged) {
  struct Case {
    std::string name;
    std::function<void(Packet&)> spoil;
    std::string error;
    uint16_t mss = 1448;
    uint32_t payload = 4000;
    bool timestamps = false;  // untagged, no options: IPv4 at 14, TCP at 34, payload at 54
  };
  auto byte = [](size_t at, uint8_t v) { return [=](Packet& p) { p.header[at] = v; }; };
  auto bigger = [](uint32_t n) {
    return [=](Packet& p) { p.payload = PayloadSlice{std::make_shared<std::vector<uint8_t>>(n), 0, n}; };
  };
  const Case cases[] = {
      {"mss 0", [](Packet&) {}, "tso.mss == 0", 0},
      {"IPv6 ether_type", [](Packet& p) { net::store_be16(p.header + 12, net::kEtherTypeIpv6); },
       "tso: ether_type not IPv4"},
      {"ethernet cut", [](Packet& p) { p.header_len = 10; }, "ethernet header past buffer"},
      {"ipv4 cut", [](Packet& p) { p.header_len = 30; }, "ipv4 header past headers"},
      {"ip version 6", byte(14, 0x65), "ipv4.version != 4"},
      {"ihl 4", byte(14, 0x44), "ipv4.ihl < 5"},
      {"ihl 15", byte(14, 0x4F), "ipv4.ihl past headers"},
      {"reserved flag", byte(20, 0x80), "ipv4.flags reserved bit set"},
      {"more fragments", byte(20, 0x20), "tso: ipv4 fragment (MF or fragment_offset set)"},
      {"fragment offset", byte(21, 0x01), "tso: ipv4 fragment (MF or fragment_offset set)"},
      {"udp", byte(23, net::kIpProtocolUdp), "tso: ipv4.protocol not TCP"},
      {"tcp cut", [](Packet& p) { p.header_len = 34 + 19; }, "tcp header past headers"},
      {"data offset 4", byte(46, 0x40), "tcp.data_offset < 5"},
      {"data offset past headers", byte(46, 0x60), "tso: headers do not end at tcp.data_offset"},
      {"payload bytes in the header", [](Packet& p) { p.header_len = 58; }, "tso: headers do not end at tcp.data_offset"},
      {"slice past buffer", [](Packet& p) { p.payload.length += 8; }, "tso: payload slice past its buffer"},
      {"no buffer", [](Packet& p) { p.payload.buffer.reset(); }, "tso: payload slice past its buffer"},
      // build_tcp_frame refuses these, so the host's slice is swapped in after building.
      {"payload over 64 KiB - headers", bigger(65496), "tso: payload > 65535 - ipv4 and tcp headers"},
      {"payload over 64 KiB - headers with options", bigger(65484), "tso: payload > 65535 - ipv4 and tcp headers",
       1448, 4000, true},
      {"syn on several segments", byte(47, flag::syn | flag::ack),
       "tso: SYN, RST or URG on a super-frame of several segments"},
      {"rst on several segments", byte(47, flag::rst), "tso: SYN, RST or URG on a super-frame of several segments"},
      {"urg on several segments", byte(47, flag::urg | flag::ack),
       "tso: SYN, RST or URG on a super-frame of several segments"},
  };
  const Super sentinel = make_super({.payload = 10, .src_port = 9});
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Super s = make_super({.payload = c.payload, .timestamps = c.timestamps});
    c.spoil(s.packet);
    std::vector<Packet> out{sentinel.packet};
    auto n = tso_segment(s.packet, c.mss, out);
    EXPECT_FALSE(n.ok());
    EXPECT_EQ(n.error(), c.error);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(frame_of(out[0]), frame_of(sentinel.packet));
  }
  // The largest payloads are fine, and SYN fits when one segment carries it all (TCP Fast Open).
  std::vector<Packet> out;
  EXPECT_EQ(*tso_segment(make_super({.payload = 65495, .timestamps = false}).packet, 1448, out), 46u);
  EXPECT_EQ(*tso_segment(make_super({.payload = 65483, .timestamps = true}).packet, 1448, out), 46u);
  EXPECT_EQ(*tso_segment(make_super({.payload = 1000, .flags = flag::syn}).packet, 1448, out), 1u);
  EXPECT_EQ(tso_segment(TsoRequest{nullptr, 1448}, out).error(), "tso: no super-frame");
}

// Whatever the header bytes hold, tso_segment returns (an error or segments) and never reads
// or writes outside the frame (run under HOSTWIRE_SANITIZE for the proof).
TEST(Tso, RandomHeaderBytesNeverCrash) {
  std::mt19937 rng(7);
  const Super base = make_super({.payload = 5000, .vlan = true});
  uint32_t accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    Packet p = base.packet;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) p.header[rng() % p.header_len] = static_cast<uint8_t>(rng());
    if (rng() % 8 == 0) p.header_len = static_cast<uint16_t>(rng() % (p.header_len + 1));
    const uint16_t mss = static_cast<uint16_t>(rng() % 3000);
    std::vector<Packet> out;
    auto n = tso_segment(p, mss, out);
    if (!n.ok()) {
      EXPECT_TRUE(out.empty());
      EXPECT_FALSE(n.error().empty());
      continue;
    }
    ++accepted;
    EXPECT_EQ(*n, out.size());
    EXPECT_EQ(*n, tso_segment_count(5000, mss));
    for (const Packet& seg : out) {
      EXPECT_EQ(seg.header_len, p.header_len);
      EXPECT_LE(seg.payload.offset + seg.payload.length, seg.payload.buffer->size());
    }
  }
  EXPECT_GT(accepted, 1000u);  // flips in addresses, ports and options still segment
}

// Wireshark's dissectors as an independent oracle: every segment of several super-frames
// (untagged and tagged, options, sequence and IP ID wrap, FIN) in one capture, read by
// tshark with IPv4 and TCP checksum validation on. No malformed frame, no bad checksum.
TEST(Tso, TsharkAcceptsEverySegment) {
  if (!hostwire::testing::tshark_available()) GTEST_SKIP() << "tshark not installed";
  const std::string path = ::testing::TempDir() + "nic_tso_tshark.pcap";
  struct Send {
    SuperSpec spec;
    uint16_t mss;
  };
  const Send sends[] = {
      {{.payload = 65483, .src_port = 41000}, 1448},
      {{.payload = 65495, .vlan = true, .timestamps = false, .src_port = 41001}, 536},
      {{.payload = 10000, .seq = 0xFFFFF000, .ip_id = 65533, .src_port = 41002}, 1448},
      {{.payload = 5000, .flags = flag::ack | flag::psh | flag::fin, .src_port = 41003, .ip_options = 8}, 1448},
      {{.payload = 1, .src_port = 41004}, 1448},
      {{.payload = 2897, .vlan = true, .src_port = 41005}, 1448},
  };
  net::PcapWriter w;
  ASSERT_TRUE(w.open(path).ok());
  size_t frames = 0;
  int64_t at = 0;
  for (const Send& send : sends) {
    const Super s = make_super(send.spec);
    std::vector<Packet> segs;
    auto n = tso_segment(s.packet, send.mss, segs);
    ASSERT_TRUE(n.ok()) << n.error();
    for (const Packet& p : segs) ASSERT_TRUE(w.write(Time::from_us(at += 13), p).ok());
    frames += segs.size();
  }
  ASSERT_TRUE(w.close().ok());
  EXPECT_EQ(frames, 46u + 123u + 7u + 4u + 1u + 3u);

  auto rows = hostwire::testing::tshark_read(path);
  ASSERT_TRUE(rows) << "tshark could not read " << path;
  ASSERT_EQ(rows->size(), frames);
  for (size_t i = 0; i < rows->size(); ++i) {
    const auto& row = (*rows)[i];
    EXPECT_FALSE(row.has_warning_or_error()) << "frame " << i + 1 << ": " << row.expert_message;
    EXPECT_EQ(row.ip_checksum, "1") << "IPv4 checksum status, frame " << i + 1;  // 1 = good
    EXPECT_EQ(row.tcp_checksum, "1") << "TCP checksum status, frame " << i + 1;
  }
}

}  // namespace
}  // namespace hostwire::nic
