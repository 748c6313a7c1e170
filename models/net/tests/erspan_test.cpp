#include "net/erspan.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/rng.h"
#include "frame_fixtures.h"
#include "net/byte_order.h"
#include "net/checksum.h"
#include "net/pcap.h"
#include "reference.h"
#include "support/tshark.h"

using namespace hostwire;
using namespace hostwire::net;
using namespace hostwire::net::testing;

namespace {

ErspanSession erspan_session() {
  ErspanSession s;
  s.src_mac = {0x02, 0, 0, 0, 0, 0x0A};
  s.dst_mac = {0x02, 0, 0, 0, 0, 0x0B};
  s.src_ip = Ipv4Address::from_octets(192, 168, 100, 1);
  s.dst_ip = Ipv4Address::from_octets(192, 168, 100, 2);
  s.session_id = 0x2A5;
  s.dscp = 10;
  s.ttl = 32;
  return s;
}

// A TCP frame of header_len + payload bytes (66 + payload untagged, 70 tagged).
Packet erspan_inner_tcp(size_t payload, bool tagged = false, uint16_t src_port = 40000) {
  Packet p;
  TcpHeader tcp = sample_tcp();
  tcp.src_port = src_port;
  EXPECT_TRUE(build_tcp_frame(p, sample_ethernet(tagged), sample_ip(), tcp, make_payload(payload)).ok());
  return p;
}

// The encapsulated frame's bytes, parsed.
struct ErspanBuilt {
  ErspanLayout layout;
  std::vector<uint8_t> bytes;
};

ErspanBuilt erspan_build(const Packet& inner, uint32_t sequence = 7, const ErspanSession& s = erspan_session()) {
  Packet out;
  auto layout = build_erspan_frame(out, s, sequence, inner);
  EXPECT_TRUE(layout.ok()) << layout.error();
  if (!layout.ok()) return {};
  EXPECT_EQ(out.frame_bytes(), layout->frame_bytes);
  return {layout.value(), frame_bytes(out)};
}

std::string erspan_parse_error(const std::vector<uint8_t>& bytes) {
  const std::vector<uint8_t> exact(bytes);  // exact size: an overread is caught by ASan
  auto f = parse_erspan(exact);
  return f.ok() ? "accepted" : f.error();
}

}  // namespace

TEST(Erspan, OverheadAndRoomForTheInnerFrame) {
  EXPECT_EQ(kErspanOverheadBytes, 50u);
  EXPECT_EQ(erspan_inner_bytes_fit(1514), 1464u);
  EXPECT_EQ(erspan_inner_bytes_fit(51), 1u);
  EXPECT_EQ(erspan_inner_bytes_fit(50), 0u);
  EXPECT_EQ(erspan_inner_bytes_fit(0), 0u);
}

TEST(Erspan, RoundTripKeepsEveryField) {
  for (bool tagged : {false, true}) {
    const Packet inner = erspan_inner_tcp(300, tagged);
    const auto inner_bytes = frame_bytes(inner);
    Packet out;
    out.id = 99;
    auto layout = build_erspan_frame(out, erspan_session(), 0xDEADBEEF, inner);
    ASSERT_TRUE(layout.ok()) << layout.error();
    EXPECT_EQ(layout->inner_bytes, inner_bytes.size());
    EXPECT_FALSE(layout->truncated);
    EXPECT_EQ(layout->frame_bytes, 50 + inner_bytes.size());
    EXPECT_EQ(layout->pad_bytes, 0u);
    EXPECT_EQ(out.id, 99u);  // the caller's fields are kept
    // Inner headers beside the outer ones, the payload referenced rather than copied.
    EXPECT_EQ(out.header_len, 50 + inner.header_len);
    EXPECT_EQ(out.payload.buffer, inner.payload.buffer);

    const auto bytes = frame_bytes(out);
    auto f = parse_erspan(bytes);
    ASSERT_TRUE(f.ok()) << f.error();
    const ErspanSession s = erspan_session();
    EXPECT_EQ(f->ethernet.src, s.src_mac);
    EXPECT_EQ(f->ethernet.dst, s.dst_mac);
    EXPECT_FALSE(f->ethernet.vlan);
    EXPECT_EQ(f->ipv4.src, s.src_ip);
    EXPECT_EQ(f->ipv4.dst, s.dst_ip);
    EXPECT_EQ(f->ipv4.dscp, s.dscp);
    EXPECT_EQ(f->ipv4.ttl, s.ttl);
    EXPECT_EQ(f->sequence, 0xDEADBEEFu);
    EXPECT_EQ(f->erspan.session_id, s.session_id);
    EXPECT_FALSE(f->erspan.truncated);
    EXPECT_EQ(f->erspan.vlan, 0);
    EXPECT_EQ(f->erspan.index, 0u);
    EXPECT_EQ(f->erspan.encap, tagged ? kErspanEncapTagInFrame : kErspanEncapUntagged);
    EXPECT_EQ(f->erspan.cos, tagged ? 3 : 0);  // sample_ethernet's tag has PCP 3
    EXPECT_EQ(f->inner_offset, 50u);
    EXPECT_EQ(std::vector<uint8_t>(f->inner.begin(), f->inner.end()), inner_bytes);
    // And the inner frame parses as it did before.
    auto parsed = parse_frame(f->inner);
    ASSERT_TRUE(parsed.ok()) << parsed.error();
    EXPECT_EQ(parsed->l4_checksum, ChecksumState::good);
  }
}

TEST(Erspan, HeaderBytesFollowTheDraft) {
  const auto built = erspan_build(erspan_inner_tcp(10, true), 0x01020304);
  const uint8_t* p = built.bytes.data();
  EXPECT_EQ(load_be16(p + 12), kEtherTypeIpv4);
  const uint8_t* gre = p + 34;
  EXPECT_EQ(load_be16(gre), 0x1000);      // only S, version 0
  EXPECT_EQ(load_be16(gre + 2), 0x88BE);  // ERSPAN type II
  EXPECT_EQ(load_be32(gre + 4), 0x01020304u);
  // Ver 1 | VLAN 0 | COS 3 | En 3 | T 0 | session 0x2A5, then reserved 0 | index 0.
  EXPECT_EQ(load_be32(gre + 8), 0x1000'0000u | 3u << 13 | 3u << 11 | 0x2A5);
  EXPECT_EQ(load_be32(gre + 12), 0u);
}

TEST(Erspan, OuterIpv4HeaderIsValid) {
  const auto built = erspan_build(erspan_inner_tcp(1000));
  const std::span<const uint8_t> ip(built.bytes.data() + 14, 20);
  EXPECT_EQ(reference_internet_checksum(ip), 0);
  auto d = decode_ipv4(std::span<const uint8_t>(built.bytes).subspan(14));
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_TRUE(d->checksum_ok);
  EXPECT_TRUE(d->header.df);
  EXPECT_FALSE(d->header.is_fragment());
  EXPECT_EQ(d->header.protocol, kIpProtocolGre);
  EXPECT_EQ(d->header.total_length, built.bytes.size() - 14);
  EXPECT_EQ(d->header.length(), 20u);
  auto f = parse_erspan(built.bytes);
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->ipv4_checksum_ok);
}

TEST(Erspan, SnapLengthCopySetsTheTruncatedBit) {
  const Packet whole = erspan_inner_tcp(500);
  // Cut to 96 bytes as the mirror's snap length does: its headers, then 30 payload bytes.
  Packet cut = whole;
  cut.original_length = whole.frame_bytes();
  cut.payload = whole.payload.sub(0, 96 - whole.header_len);
  Packet out;
  auto layout = build_erspan_frame(out, erspan_session(), 1, cut);
  ASSERT_TRUE(layout.ok()) << layout.error();
  EXPECT_TRUE(layout->truncated);
  EXPECT_EQ(layout->inner_bytes, 96u);
  EXPECT_EQ(out.original_length, 0u);  // the encapsulated frame itself is whole
  const auto bytes = frame_bytes(out);
  auto f = parse_erspan(bytes);
  ASSERT_TRUE(f.ok()) << f.error();
  EXPECT_TRUE(f->erspan.truncated);
  EXPECT_EQ(std::vector<uint8_t>(f->inner.begin(), f->inner.end()), frame_bytes(cut));

  // original_length no larger than the frame is not a cut.
  Packet same = whole;
  same.original_length = whole.frame_bytes();
  EXPECT_FALSE(erspan_build(same).layout.truncated);
}

TEST(Erspan, MaxFrameBytesCutsTheInnerFrameToFit) {
  const Packet inner = erspan_inner_tcp(1448);  // 66 + 1448: a full 1514-byte frame
  ASSERT_EQ(inner.frame_bytes(), 1514u);
  const auto inner_bytes = frame_bytes(inner);
  ErspanSession s = erspan_session();
  s.max_frame_bytes = 1514;
  auto built = erspan_build(inner, 3, s);
  EXPECT_TRUE(built.layout.truncated);
  EXPECT_EQ(built.layout.inner_bytes, erspan_inner_bytes_fit(1514));
  EXPECT_EQ(built.bytes.size(), 1514u);
  auto f = parse_erspan(built.bytes);
  ASSERT_TRUE(f.ok()) << f.error();
  EXPECT_TRUE(f->erspan.truncated);
  EXPECT_EQ(std::vector<uint8_t>(f->inner.begin(), f->inner.end()),
            std::vector<uint8_t>(inner_bytes.begin(), inner_bytes.begin() + 1464));

  // A cut inside the inner headers: no payload left.
  s.max_frame_bytes = 50 + 40;
  Packet out;
  auto layout = build_erspan_frame(out, s, 3, inner);
  ASSERT_TRUE(layout.ok()) << layout.error();
  EXPECT_EQ(out.frame_bytes(), 90u);
  EXPECT_EQ(out.payload.length, 0u);
  EXPECT_TRUE(layout->truncated);
  EXPECT_EQ(std::vector<uint8_t>(out.header + 50, out.header + 90),
            std::vector<uint8_t>(inner_bytes.begin(), inner_bytes.begin() + 40));

  // A frame that fits exactly is not cut.
  s.max_frame_bytes = 1514 + 50;
  EXPECT_FALSE(erspan_build(inner, 3, s).layout.truncated);

  // Not even the headers fit.
  s.max_frame_bytes = 50;
  EXPECT_EQ(build_erspan_frame(out, s, 3, inner).error(), "erspan.max_frame_bytes below overhead");
}

TEST(Erspan, LongInnerHeadersAreCopiedToABufferOfTheirOwn) {
  // 120 header bytes: more than fit beside the 50 outer ones in Packet::header.
  Packet inner = erspan_inner_tcp(200);
  const auto whole = frame_bytes(inner);
  inner.set_header(std::span<const uint8_t>(whole).first(120));
  inner.payload = PayloadSlice{std::make_shared<std::vector<uint8_t>>(whole.begin() + 120, whole.end()), 0,
                               static_cast<uint32_t>(whole.size() - 120)};
  Packet out;
  auto layout = build_erspan_frame(out, erspan_session(), 5, inner);
  ASSERT_TRUE(layout.ok()) << layout.error();
  EXPECT_EQ(out.header_len, 50u);
  EXPECT_EQ(out.payload.length, whole.size());
  const auto bytes = frame_bytes(out);
  auto f = parse_erspan(bytes);
  ASSERT_TRUE(f.ok()) << f.error();
  EXPECT_EQ(std::vector<uint8_t>(f->inner.begin(), f->inner.end()), whole);
}

TEST(Erspan, AFrameEncapsulatesInPlace) {
  Packet p = erspan_inner_tcp(64, true);
  const auto expected = erspan_build(p, 11).bytes;
  ASSERT_TRUE(build_erspan_frame(p, erspan_session(), 11, p).ok());
  EXPECT_EQ(frame_bytes(p), expected);
}

TEST(Erspan, OutOfRangeFieldsAreErrorsAndLeaveOutUnchanged) {
  const Packet inner = erspan_inner_tcp(10);
  Packet out = erspan_inner_tcp(20);
  const auto before = frame_bytes(out);
  ErspanSession s = erspan_session();
  s.session_id = 1024;
  EXPECT_EQ(build_erspan_frame(out, s, 0, inner).error(), "erspan.session_id > 1023");
  s = erspan_session();
  s.dscp = 64;
  EXPECT_EQ(build_erspan_frame(out, s, 0, inner).error(), "ipv4.dscp > 63");
  EXPECT_EQ(frame_bytes(out), before);

  ErspanIIHeader h;
  uint8_t buf[8];
  h.cos = 8;
  EXPECT_EQ(h.encode(buf).error(), "erspan.cos > 7");
  h = {};
  h.index = 1 << 20;
  EXPECT_EQ(h.encode(buf).error(), "erspan.index > 1048575");
  h = {};
  EXPECT_EQ(h.encode(std::span<uint8_t>(buf, 7)).error(), "erspan header past buffer");
}

TEST(Erspan, ErspanIIHeaderRoundTrips) {
  const ErspanIIHeader h{0xABC, 5, 2, true, 0x155, 0xFEDCB};
  uint8_t buf[8];
  ASSERT_TRUE(h.encode(buf).ok());
  auto d = decode_erspan_ii(buf);
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_EQ(d->header, h);
  EXPECT_EQ(d->length, 8u);
}

TEST(Erspan, MalformedFramesAreErrors) {
  const auto good = erspan_build(erspan_inner_tcp(40)).bytes;
  ASSERT_EQ(erspan_parse_error(good), "accepted");
  // Edits the valid frame; offsets: IPv4 at 14, GRE at 34, ERSPAN at 42.
  auto edited = [&](auto edit) {
    auto b = good;
    edit(b);
    return erspan_parse_error(b);
  };
  auto set_total_length = [](std::vector<uint8_t>& b, uint16_t n) { store_be16(&b[16], n); };

  EXPECT_EQ(erspan_parse_error({}), "ethernet header past buffer");
  EXPECT_EQ(erspan_parse_error({good.begin(), good.begin() + 30}), "ipv4 header past buffer");
  EXPECT_EQ(edited([](auto& b) { store_be16(&b[12], kEtherTypeArp); }), "ethernet.ether_type != ipv4");
  EXPECT_EQ(edited([](auto& b) { b[14] = 0x65; }), "ipv4.version != 4");
  EXPECT_EQ(edited([](auto& b) { b[23] = kIpProtocolUdp; }), "ipv4.protocol != gre");
  EXPECT_EQ(edited([](auto& b) { b[20] |= 0x20; }), "ipv4 fragment");  // MF
  EXPECT_EQ(edited([](auto& b) { b.resize(b.size() - 1); }), "ipv4.total_length past buffer");
  EXPECT_EQ(edited([&](auto& b) { set_total_length(b, 20 + 7); }), "gre header past datagram");
  EXPECT_EQ(edited([](auto& b) { b[35] |= 1; }), "gre.version != 0");
  EXPECT_EQ(edited([](auto& b) { store_be16(&b[34], 0); }), "gre.flags sequence number bit clear");
  for (uint16_t other : {0x8000, 0x4000, 0x2000, 0x0800, 0x0100, 0x0080, 0x0008})  // C R K s Recur A Flags
    EXPECT_EQ(edited([&](auto& b) { store_be16(&b[34], 0x1000 | other); }), "gre.flags other than sequence number set")
        << std::hex << other;
  EXPECT_EQ(edited([](auto& b) { store_be16(&b[36], 0x6558); }), "gre.protocol != erspan ii");  // transparent bridging
  EXPECT_EQ(edited([&](auto& b) { set_total_length(b, 20 + 8 + 7); }), "erspan header past datagram");
  EXPECT_EQ(edited([](auto& b) { b[42] = 0x20; }), "erspan.version != 1");  // type III
  EXPECT_EQ(edited([](auto& b) { b[42] = 0x00; }), "erspan.version != 1");  // type I has no header at all

  // A bad outer checksum is reported, not refused; Ethernet padding is not inner bytes.
  auto f = parse_erspan(good);
  auto padded = good;
  padded[24] ^= 0xFF;
  padded.insert(padded.end(), 6, 0);
  auto g = parse_erspan(padded);
  ASSERT_TRUE(g.ok()) << g.error();
  EXPECT_FALSE(g->ipv4_checksum_ok);
  EXPECT_EQ(g->inner.size(), f->inner.size());
}

TEST(Erspan, EveryTruncationAndBitFlipOfAValidFrameIsSafe) {
  Rng rng(2024, "net.erspan.fuzz");
  int accepted = 0;
  for (size_t payload : {0, 5, 300}) {
    for (bool tagged : {false, true}) {
      const auto good = erspan_build(erspan_inner_tcp(payload, tagged)).bytes;
      ASSERT_EQ(erspan_parse_error(good), "accepted");
      // Cut anywhere: the IPv4 total length is past the cut, or a header is.
      for (size_t n = 0; n < good.size(); ++n)
        ASSERT_NE(erspan_parse_error({good.begin(), good.begin() + static_cast<ptrdiff_t>(n)}), "accepted") << n;
      for (int i = 0; i < 5000; ++i) {
        auto bytes = good;
        for (int flips = static_cast<int>(rng.uniform_int(1, 3)); flips > 0; --flips)
          bytes[rng.uniform_int(0, bytes.size() - 1)] ^= static_cast<uint8_t>(1u << rng.uniform_int(0, 7));
        if (i % 2) bytes.resize(rng.uniform_int(0, bytes.size()));
        const std::vector<uint8_t> exact(bytes);
        if (auto f = parse_erspan(exact); f.ok()) {
          ++accepted;
          EXPECT_EQ(f->inner.data(), exact.data() + f->inner_offset);
          EXPECT_LE(f->inner_offset + f->inner.size(), exact.size());
        }
      }
    }
  }
  for (int i = 0; i < 20000; ++i) {
    const auto noise = random_bytes(rng, rng.uniform_int(0, 120));
    (void)parse_erspan(noise);
  }
  EXPECT_GT(accepted, 1000);  // flips in addresses, the sequence, the inner frame are accepted
}

// Wireshark's GRE and ERSPAN dissectors are an independent check of the encapsulation: they
// must find the session, the sequence number and the T bit, and decode the inner frame's
// fields as they were built.
TEST(Erspan, TsharkDecodesTheEncapsulationAndTheInnerFrame) {
  if (!hostwire::testing::tshark_available()) GTEST_SKIP() << "tshark not installed";
  const auto path = ::testing::TempDir() + "net_erspan.pcap";
  struct Sent {
    uint16_t port;
    bool tagged;
    size_t payload;
    uint32_t max_frame_bytes;
  };
  const Sent sent[] = {{40001, false, 0, 0}, {40002, true, 200, 0}, {40003, false, 1448, 1514}, {40004, true, 1448, 0}};
  PcapWriter w;
  ASSERT_TRUE(w.open(path).ok());
  uint32_t sequence = 100;
  for (const auto& f : sent) {
    ErspanSession s = erspan_session();
    s.max_frame_bytes = f.max_frame_bytes;
    Packet out;
    ASSERT_TRUE(build_erspan_frame(out, s, sequence++, erspan_inner_tcp(f.payload, f.tagged, f.port)).ok());
    ASSERT_TRUE(w.write(Time::from_us(sequence), out).ok());
  }
  ASSERT_TRUE(w.close().ok());

  auto rows = hostwire::testing::tshark_fields(
      path,
      {"erspan.version", "erspan.spanid", "erspan.truncated", "erspan.encap", "erspan.cos", "gre.proto",
       "gre.sequence_number", "ip.src", "ip.dst", "ip.checksum.status", "tcp.srcport", "tcp.dstport", "tcp.seq_raw",
       "vlan.id", "_ws.malformed", "tcp.checksum.status", "_ws.expert.severity", "_ws.expert.message"},
      "-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE");
  ASSERT_TRUE(rows) << "tshark could not read " << path;
  ASSERT_EQ(rows->size(), std::size(sent));
  const TcpHeader tcp = sample_tcp();
  for (size_t i = 0; i < rows->size(); ++i) {
    const auto& r = (*rows)[i];
    const Sent& f = sent[i];
    SCOPED_TRACE("frame " + std::to_string(i + 1));
    EXPECT_EQ(r[0], "1");  // type II
    EXPECT_EQ(r[1], std::to_string(0x2A5));
    EXPECT_EQ(r[2], f.max_frame_bytes ? "1" : "0");
    EXPECT_EQ(r[3], f.tagged ? "3" : "0");
    EXPECT_EQ(r[4], f.tagged ? "3" : "0");
    EXPECT_EQ(r[5], "0x88be");
    EXPECT_EQ(r[6], std::to_string(100 + i));
    // Outer, then inner addresses; both IPv4 checksums good.
    EXPECT_EQ(r[7], "192.168.100.1,10.0.0.1");
    EXPECT_EQ(r[8], "192.168.100.2,10.0.0.2");
    EXPECT_EQ(r[9], "1,1");
    EXPECT_EQ(r[10], std::to_string(f.port));
    EXPECT_EQ(r[11], std::to_string(tcp.dst_port));
    EXPECT_EQ(r[12], std::to_string(tcp.seq));
    EXPECT_EQ(r[13], f.tagged ? "100" : "");
    EXPECT_EQ(r[14], "");
    // A whole inner frame is clean; a cut one has its IPv4 length past the capture, as it should.
    hostwire::testing::TsharkFrame expert;
    expert.expert_severity = r[16];
    if (f.max_frame_bytes == 0) {
      EXPECT_EQ(r[15], "1");
      EXPECT_FALSE(expert.has_warning_or_error()) << r[17];
    } else {
      EXPECT_NE(r[17].find("IPv4 total length exceeds packet length"), std::string::npos) << r[17];
    }
  }
}
