#include "net/pcap.h"

#include <gtest/gtest.h>

#include "support/tshark.h"

#include <cstdio>
#include <sstream>

#include "frame_fixtures.h"
#include "net/byte_order.h"

using namespace hostwire;
using namespace hostwire::net;
using namespace hostwire::net::testing;

namespace {

std::string temp_path(const std::string& name) { return ::testing::TempDir() + name; }

std::vector<uint8_t> load(const std::string& path) {
  auto bytes = read_file(path);
  EXPECT_TRUE(bytes.ok()) << bytes.error();
  return bytes.ok() ? bytes.value() : std::vector<uint8_t>{};
}

// A capture written field by field, in either byte order, to test the reader alone.
struct HandWrittenCapture {
  bool big_endian;
  std::vector<uint8_t> bytes;

  void u16(uint16_t v) {
    bytes.resize(bytes.size() + 2);
    big_endian ? store_be16(&bytes[bytes.size() - 2], v) : store_le16(&bytes[bytes.size() - 2], v);
  }
  void u32(uint32_t v) {
    bytes.resize(bytes.size() + 4);
    big_endian ? store_be32(&bytes[bytes.size() - 4], v) : store_le32(&bytes[bytes.size() - 4], v);
  }
  HandWrittenCapture(bool be, uint32_t magic, uint32_t snap = 65535) : big_endian(be) {
    u32(magic);
    u16(2);
    u16(4);
    u32(0);
    u32(0);
    u32(snap);
    u32(kLinktypeEthernet);
  }
  void record(uint32_t sec, uint32_t frac, uint32_t captured, uint32_t original, uint8_t fill = 0xAB) {
    u32(sec);
    u32(frac);
    u32(captured);
    u32(original);
    bytes.insert(bytes.end(), captured, fill);
  }
};

}  // namespace

TEST(PcapWriter, FileHeaderIsNanosecondEthernet) {
  const auto path = temp_path("net_header.pcap");
  PcapWriter w;
  ASSERT_TRUE(w.open(path).ok());
  ASSERT_TRUE(w.close().ok());
  EXPECT_EQ(load(path), (std::vector<uint8_t>{0x4D, 0x3C, 0xB2, 0xA1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,  //
                                              0xFF, 0xFF, 0, 0, 1, 0, 0, 0}));
}

TEST(PcapWriter, RoundTripThroughReader) {
  const auto path = temp_path("net_roundtrip.pcap");
  Packet tcp_frame, udp_frame;
  ASSERT_TRUE(build_tcp_frame(tcp_frame, sample_ethernet(true), sample_ip(), sample_tcp(), make_payload(1000)).ok());
  ASSERT_TRUE(build_udp_frame(udp_frame, sample_ethernet(false), sample_ip(), UdpHeader{1, 2, 0, 0}, {}).ok());
  const std::vector<uint8_t> raw = {1, 2, 3, 4, 5};
  const std::vector<uint8_t> jumbo(70000, 0x5A);  // past the snap length

  PcapWriter w;
  ASSERT_TRUE(w.open(path).ok());
  ASSERT_TRUE(w.write(Time::from_ps(1'500), tcp_frame).ok());                           // 1.5 ns -> 1 ns
  ASSERT_TRUE(w.write(Time::from_s(3) + Time::from_ps(999'999'999'999), udp_frame).ok());  // truncated, not rounded
  ASSERT_TRUE(w.write(Time::from_s(86400), raw).ok());
  ASSERT_TRUE(w.write(Time::from_ms(5), jumbo).ok());
  EXPECT_EQ(w.frames(), 4u);
  EXPECT_EQ(w.bytes(), tcp_frame.frame_bytes() + udp_frame.frame_bytes() + raw.size() + kPcapSnapLength);
  EXPECT_EQ(w.write(Time::from_ps(-1), raw).error(), "pcap: negative timestamp");
  ASSERT_TRUE(w.flush().ok());
  ASSERT_TRUE(w.close().ok());
  EXPECT_EQ(w.write(Time{}, raw).error(), "pcap: write to a closed writer");

  const auto bytes = load(path);
  auto reader = PcapReader::open(bytes);
  ASSERT_TRUE(reader.ok()) << reader.error();
  const PcapFileHeader h = reader->header();
  EXPECT_TRUE(h.nanoseconds);
  EXPECT_FALSE(h.swapped);
  EXPECT_EQ(h.snap_length, 65535u);
  EXPECT_EQ(h.linktype, kLinktypeEthernet);
  auto records = reader.value().read_all();
  ASSERT_TRUE(records.ok()) << records.error();
  ASSERT_EQ(records->size(), 4u);
  const auto& r = records.value();

  EXPECT_EQ(r[0].ts_seconds, 0u);
  EXPECT_EQ(r[0].ts_fraction, 1u);
  EXPECT_EQ(r[0].time(h), Time::from_ns(1));
  EXPECT_EQ(std::vector<uint8_t>(r[0].data.begin(), r[0].data.end()), frame_bytes(tcp_frame));
  EXPECT_EQ(r[0].original_length, tcp_frame.frame_bytes());

  EXPECT_EQ(r[1].ts_seconds, 3u);
  EXPECT_EQ(r[1].ts_fraction, 999'999'999u);
  EXPECT_EQ(std::vector<uint8_t>(r[1].data.begin(), r[1].data.end()), frame_bytes(udp_frame));

  EXPECT_EQ(r[2].ts_seconds, 86400u);
  EXPECT_EQ(r[2].time(h), Time::from_s(86400));
  EXPECT_EQ(std::vector<uint8_t>(r[2].data.begin(), r[2].data.end()), raw);

  EXPECT_EQ(r[3].data.size(), kPcapSnapLength);
  EXPECT_EQ(r[3].original_length, 70000u);
  EXPECT_EQ(r[3].ts_fraction, 5'000'000u);
}

TEST(PcapWriter, MovedWriterKeepsWriting) {
  const auto path = temp_path("net_move.pcap");
  PcapWriter a;
  ASSERT_TRUE(a.open(path).ok());
  const std::vector<uint8_t> raw = {9, 9};
  ASSERT_TRUE(a.write(Time{}, raw).ok());
  PcapWriter b = std::move(a);
  EXPECT_FALSE(a.is_open());
  ASSERT_TRUE(b.write(Time{}, raw).ok());
  EXPECT_EQ(b.frames(), 2u);
  ASSERT_TRUE(b.close().ok());
  const auto bytes = load(path);
  auto reader = PcapReader::open(bytes);
  ASSERT_TRUE(reader.ok());
  auto records = reader.value().read_all();
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(records->size(), 2u);
}

TEST(PcapWriter, OpenFailureIsAnError) {
  PcapWriter w;
  auto s = w.open("/nonexistent-dir/x.pcap");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.error().find("cannot create"), std::string::npos);
}

TEST(PcapReader, BothMagicsInBothByteOrders) {
  for (bool big_endian : {false, true}) {
    for (uint32_t magic : {kPcapMagicMicroseconds, kPcapMagicNanoseconds}) {
      HandWrittenCapture c(big_endian, magic);
      c.record(7, 250, 3, 60);
      auto reader = PcapReader::open(c.bytes);
      ASSERT_TRUE(reader.ok()) << reader.error();
      EXPECT_EQ(reader->header().swapped, big_endian);  // this test host is little-endian
      EXPECT_EQ(reader->header().nanoseconds, magic == kPcapMagicNanoseconds);
      auto record = reader.value().next();
      ASSERT_TRUE(record.ok() && record.value()) << record.error();
      const PcapRecord r = *record.value();
      EXPECT_EQ(r.ts_seconds, 7u);
      EXPECT_EQ(r.original_length, 60u);
      EXPECT_EQ(r.data.size(), 3u);
      const int64_t fraction_ps = magic == kPcapMagicNanoseconds ? 250'000 : 250'000'000;
      EXPECT_EQ(r.time(reader->header()), Time::from_s(7) + Time::from_ps(fraction_ps));
      auto end = reader.value().next();
      ASSERT_TRUE(end.ok());
      EXPECT_FALSE(end.value());
    }
  }
}

TEST(PcapReader, InconsistentFilesAreErrors) {
  auto error_of = [](const HandWrittenCapture& c) {
    auto reader = PcapReader::open(c.bytes);
    if (!reader) return reader.error();
    return reader.value().read_all().error();
  };
  HandWrittenCapture bad_magic(false, 0x12345678);
  EXPECT_EQ(error_of(bad_magic), "pcap.magic unknown");
  HandWrittenCapture bad_version(false, kPcapMagicNanoseconds);
  bad_version.bytes[4] = 3;
  EXPECT_EQ(error_of(bad_version), "pcap.version_major != 2");
  HandWrittenCapture usec(false, kPcapMagicMicroseconds);
  usec.record(1, 1'000'000, 1, 1);
  EXPECT_EQ(error_of(usec), "pcap record timestamp fraction >= 1 second");
  HandWrittenCapture nsec(true, kPcapMagicNanoseconds);
  nsec.record(1, 999'999'999, 1, 1);
  EXPECT_EQ(error_of(nsec), "");
  nsec.record(1, 1'000'000'000, 1, 1);
  EXPECT_EQ(error_of(nsec), "pcap record timestamp fraction >= 1 second");
  HandWrittenCapture snap(false, kPcapMagicNanoseconds, 64);
  snap.record(0, 0, 65, 100);
  EXPECT_EQ(error_of(snap), "pcap record captured length > snap length");
  HandWrittenCapture longer(false, kPcapMagicNanoseconds);
  longer.record(0, 0, 10, 9);
  EXPECT_EQ(error_of(longer), "pcap record captured length > original length");
  HandWrittenCapture huge(false, kPcapMagicNanoseconds, 0xFFFFFFFF);
  huge.record(0, 0, 0, 0xFFFFFFFF);
  store_le32(&huge.bytes[24 + 8], 0xFFFFFFFF);  // captured length far past the end of file
  EXPECT_EQ(error_of(huge), "pcap record data past end of file");
  HandWrittenCapture short_header(false, kPcapMagicNanoseconds);
  short_header.bytes.resize(30);
  EXPECT_EQ(error_of(short_header), "pcap record header past end of file");
  EXPECT_EQ(PcapReader::open(std::span(short_header.bytes).first(23)).error(), "pcap file header past end of file");
  EXPECT_FALSE(read_file("/nonexistent-dir/x.pcap").ok());
}

// Wireshark's dissectors are an independent check of every header and checksum the
// builder writes. Any expert info of warning or error severity (malformed packet, bad
// checksum, bad length) fails the test.
TEST(PcapWriter, TsharkAcceptsEveryFrame) {
  if (!hostwire::testing::tshark_available()) GTEST_SKIP() << "tshark not installed";
  const auto path = temp_path("net_tshark.pcap");
  PcapWriter w;
  ASSERT_TRUE(w.open(path).ok());
  int sent = 0;
  for (size_t payload : {0, 1, 18, 19, 200, 1472}) {
    for (bool tagged : {false, true}) {
      Packet p;
      Ipv4Header ip = sample_ip(static_cast<uint16_t>(sent));
      ASSERT_TRUE(build_udp_frame(p, sample_ethernet(tagged), ip, UdpHeader{40001, 40002, 0, 0}, make_payload(payload)).ok());
      ASSERT_TRUE(w.write(Time::from_us(10 * ++sent), p).ok());
      // A SYN with the handshake options when there is no payload, else data with SACK blocks
      // (Wireshark warns about handshake options on other segments, as it should).
      TcpHeader tcp = sample_tcp();
      if (payload == 0) {
        tcp.flags = tcp_flag::syn;
        tcp.ack = 0;
        tcp.options.mss = 1460;
        tcp.options.sack_permitted = true;
        tcp.options.window_scale = 7;
      }
      tcp.options.sack_blocks = static_cast<uint8_t>(payload % 4);
      for (uint8_t b = 0; b < tcp.options.sack_blocks; ++b)
        tcp.options.sack[b] = SackBlock{tcp.ack + 2000u * (b + 1), tcp.ack + 2000u * (b + 1) + 1000};
      ASSERT_TRUE(build_tcp_frame(p, sample_ethernet(tagged), ip, tcp, make_payload(payload)).ok());
      ASSERT_TRUE(w.write(Time::from_us(10 * ++sent), p).ok());
    }
  }
  ASSERT_TRUE(w.close().ok());

  auto rows = hostwire::testing::tshark_read(path);
  ASSERT_TRUE(rows) << "tshark could not read " << path;
  int frames = 0;
  for (const auto& row : *rows) {
    ++frames;
    EXPECT_FALSE(row.has_warning_or_error()) << "frame " << frames << ": " << row.expert_message;
    EXPECT_EQ(row.ip_checksum, "1") << "IPv4 checksum status, frame " << frames;  // 1 = good
    EXPECT_EQ(row.udp_checksum + row.tcp_checksum, "1") << "UDP/TCP checksum status, frame " << frames;
  }
  EXPECT_EQ(frames, sent);
}
