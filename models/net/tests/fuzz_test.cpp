// Malformed input from the wire or a fault injector must give an error, never a crash or
// a read past the buffer. Every input here is a fresh exact-size heap allocation, so an
// AddressSanitizer build (HOSTWIRE_SANITIZE) catches any overread.
#include <gtest/gtest.h>

#include "core/rng.h"
#include "frame_fixtures.h"
#include "net/byte_order.h"
#include "net/frame.h"
#include "net/pcap.h"
#include "reference.h"

using namespace hostwire;
using namespace hostwire::net;
using namespace hostwire::net::testing;

namespace {

struct Accepted {
  int decoders = 0;    // decoder calls that accepted their input
  int transport = 0;   // frames parsed down to a TCP or UDP header
  int captures = 0;    // inputs read as a whole capture
};

// Feeds bytes to every decoder.
void decode_everything(std::span<const uint8_t> bytes, Accepted& accepted) {
  accepted.decoders += decode_ethernet(bytes).ok() + decode_ipv4(bytes).ok() + decode_tcp(bytes).ok() +
                       decode_udp(bytes).ok();
  if (auto f = parse_frame(bytes); f.ok()) {
    accepted.transport += f->tcp || f->udp;
    // Whatever the parser accepts lies inside the frame.
    EXPECT_LE(f->payload_offset + f->payload_length + f->trailing_bytes, bytes.size());
  }
  if (auto r = PcapReader::open(bytes); r.ok()) accepted.captures += r.value().read_all().ok();
}

// Valid frames of every shape: UDP and TCP, tagged or not, with and without options.
std::vector<std::vector<uint8_t>> valid_frames() {
  std::vector<std::vector<uint8_t>> frames;
  for (bool tagged : {false, true}) {
    for (size_t payload : {0, 1, 17, 600}) {
      Packet p;
      Ipv4Header ip = sample_ip();
      if (payload == 17) {
        ip.options_length = 4;
        ip.options[0] = 0x94, ip.options[1] = 4;  // router alert
      }
      EXPECT_TRUE(build_udp_frame(p, sample_ethernet(tagged), ip, UdpHeader{5, 6, 0, 0}, make_payload(payload)).ok());
      frames.push_back(frame_bytes(p));
      TcpHeader tcp = sample_tcp();
      tcp.options.mss = 1460;
      tcp.options.sack_blocks = payload % 3;
      EXPECT_TRUE(build_tcp_frame(p, sample_ethernet(tagged), ip, tcp, make_payload(payload)).ok());
      frames.push_back(frame_bytes(p));
    }
  }
  return frames;
}

}  // namespace

TEST(Fuzz, RandomBuffersNeverCrashAnyDecoder) {
  Rng rng(2024, "net.fuzz.random");
  Accepted accepted;
  for (int i = 0; i < 200'000; ++i) {
    auto bytes = random_bytes(rng, rng.uniform_int(0, 128));
    // Most random bytes fail at the first length check; shape half of them into plausible
    // headers (each fix-up skipped now and then) so the deeper checks are reached too.
    auto sometimes = [&] { return rng.uniform_int(0, 7) != 0; };
    if (bytes.size() >= 34 && i % 2) {
      store_be16(&bytes[12], kEtherTypeIpv4);
      if (sometimes()) bytes[14] = 0x45;
      if (sometimes()) store_be16(&bytes[16], static_cast<uint16_t>(bytes.size() - 14));
      if (sometimes()) bytes[20] &= 0x40, bytes[21] = 0;  // DF at most: not a fragment
      bytes[23] = i % 4 == 1 ? kIpProtocolTcp : kIpProtocolUdp;
      if (bytes.size() >= 54 && sometimes()) bytes[46] = static_cast<uint8_t>(rng.uniform_int(5, 8) << 4);
      if (bytes.size() >= 42 && i % 4 == 3 && sometimes()) store_be16(&bytes[38], static_cast<uint16_t>(bytes.size() - 34));
    }
    if (bytes.size() >= 40 && i % 7 == 0) {
      store_le32(&bytes[0], i % 3 ? kPcapMagicNanoseconds : kPcapMagicMicroseconds);
      store_le16(&bytes[4], 2);
      store_le32(&bytes[16], kPcapSnapLength);
      if (sometimes()) store_le32(&bytes[28], 0);
      if (sometimes()) store_le32(&bytes[32], static_cast<uint32_t>(bytes.size() - 40));
      if (sometimes()) store_le32(&bytes[36], static_cast<uint32_t>(bytes.size() - 40));
    }
    decode_everything(std::vector<uint8_t>(bytes), accepted);
  }
  // The generator does reach the deeper paths.
  EXPECT_GT(accepted.decoders, 100'000);
  EXPECT_GT(accepted.transport, 5'000);
  EXPECT_GT(accepted.captures, 5'000);
}

TEST(Fuzz, EveryTruncationOfAValidFrameIsAnErrorAndBitFlipsNeverCrash) {
  Rng rng(2024, "net.fuzz.frames");
  Accepted accepted;
  int mutated = 0;
  for (const auto& frame : valid_frames()) {
    ASSERT_TRUE(parse_frame(frame).ok());
    const auto parsed = parse_frame(frame).value();
    // Cut anywhere before the end of the last length field: some layer must notice.
    for (size_t n = 0; n < frame.size(); ++n) {
      const std::vector<uint8_t> cut(frame.begin(), frame.begin() + static_cast<ptrdiff_t>(n));
      ASSERT_FALSE(parse_frame(cut).ok()) << "cut to " << n << " of " << frame.size();
      const std::span<const uint8_t> c(cut);
      // And the decoder of the layer cut short must notice on its own.
      if (n < parsed.l3_offset) {
        ASSERT_FALSE(decode_ethernet(c).ok()) << n;
        continue;
      }
      ASSERT_FALSE(decode_ipv4(c.subspan(parsed.l3_offset)).ok()) << n;
      if (n < parsed.l4_offset) continue;
      const auto l4 = c.subspan(parsed.l4_offset);
      ASSERT_FALSE(parsed.udp && decode_udp(l4).ok()) << n;  // the UDP length is past the cut
      ASSERT_FALSE(parsed.tcp && n < parsed.payload_offset && decode_tcp(l4).ok()) << n;
    }
    for (int i = 0; i < 5000; ++i, ++mutated) {
      auto bytes = frame;
      const size_t at = rng.uniform_int(0, bytes.size() - 1);
      bytes[at] ^= static_cast<uint8_t>(1u << rng.uniform_int(0, 7));
      if (i % 2 == 0) {
        // One flipped bit at or above IPv4 is never accepted silently: the ones'
        // complement sum catches every single-bit error (RFC 1071 section 2).
        auto f = parse_frame(bytes);
        const bool caught = !f.ok() || f->ipv4_checksum == ChecksumState::bad || f->l4_checksum == ChecksumState::bad;
        ASSERT_TRUE(caught || at < parsed.l3_offset) << "bit flipped at " << at;
      } else {
        for (int flips = static_cast<int>(rng.uniform_int(0, 3)); flips > 0; --flips)
          bytes[rng.uniform_int(0, bytes.size() - 1)] ^= static_cast<uint8_t>(1u << rng.uniform_int(0, 7));
        bytes.resize(rng.uniform_int(0, bytes.size()));
      }
      decode_everything(std::vector<uint8_t>(bytes), accepted);  // exact size after the resize
    }
  }
  EXPECT_GT(mutated, 50'000);
  EXPECT_GT(accepted.transport, 10'000);
}

TEST(Fuzz, TruncatedAndCorruptedCapturesGiveErrors) {
  const std::string path = ::testing::TempDir() + "net_fuzz.pcap";
  PcapWriter writer;
  ASSERT_TRUE(writer.open(path).ok());
  for (const auto& frame : valid_frames()) ASSERT_TRUE(writer.write(Time::from_us(1), frame).ok());
  ASSERT_TRUE(writer.close().ok());
  auto file = read_file(path);
  ASSERT_TRUE(file.ok()) << file.error();
  const auto& bytes = file.value();

  // Only cuts at a record boundary leave a well-formed file.
  std::vector<bool> at_boundary(bytes.size() + 1);
  size_t boundary = kPcapFileHeaderBytes;
  at_boundary[boundary] = true;
  for (const auto& frame : valid_frames()) {
    boundary += kPcapRecordHeaderBytes + frame.size();
    ASSERT_LE(boundary, bytes.size());
    at_boundary[boundary] = true;
  }
  ASSERT_EQ(boundary, bytes.size());

  for (size_t n = 0; n < bytes.size(); ++n) {
    const std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(n));
    auto reader = PcapReader::open(cut);
    ASSERT_EQ(reader.ok(), n >= kPcapFileHeaderBytes) << n;
    if (!reader.ok()) continue;
    auto records = reader.value().read_all();
    ASSERT_EQ(records.ok(), at_boundary[n]) << "cut to " << n << ": " << records.error();
  }

  Rng rng(2024, "net.fuzz.pcap");
  Accepted accepted;
  for (int i = 0; i < 20'000; ++i) {
    auto corrupt = bytes;
    for (int flips = static_cast<int>(rng.uniform_int(1, 8)); flips > 0; --flips)
      corrupt[rng.uniform_int(0, corrupt.size() - 1)] = static_cast<uint8_t>(rng.next_u64());
    decode_everything(corrupt, accepted);
  }
}
