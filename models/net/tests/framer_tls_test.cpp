// The TLS record framer against RFC 8446 5.1's record layout: the records a TLS 1.3 handshake
// starts with, every content type, and each field's bound, checked as soon as its byte arrives.
#include "net/framers/tls_record.h"

#include <gtest/gtest.h>

#include <vector>

#include "framer_split.h"

using namespace hostwire::net::framers;
using hostwire::net::framers::testing::frame_whole;

namespace {

FramerSpec tls(uint64_t max = 1 << 20) {
  FramerSpec s;
  s.kind = FramerSpec::Kind::tls;
  s.max_message = max;
  return s;
}

Status feed(TlsRecordFramer& f, const std::vector<uint8_t>& bytes) { return f.feed(bytes); }

// A record: the header and `length` bytes of fragment.
std::vector<uint8_t> record(uint8_t type, uint8_t major, uint8_t minor, uint16_t length) {
  std::vector<uint8_t> r = {type, major, minor, static_cast<uint8_t>(length >> 8), static_cast<uint8_t>(length)};
  r.resize(r.size() + length, 0x5A);
  return r;
}

}  // namespace

TEST(TlsRecordFramer, ClientHelloRecord) {
  // A ClientHello's record: handshake(22), legacy_record_version 0x0301 (RFC 8446 5.1: "MUST be
  // set to 0x0303 for all records ... other than an initial ClientHello ... which MAY also be
  // 0x0301"), then the handshake message: type client_hello(1) and a 3-byte length.
  TlsRecordFramer f(tls());
  const std::vector<uint8_t> header = {0x16, 0x03, 0x01, 0x00, 0xC4, 0x01, 0x00, 0x00, 0xC0};
  const Status s = feed(f, header);
  ASSERT_TRUE(s.done());
  EXPECT_EQ(s.length, 5u + 0xC4);
  EXPECT_EQ(f.examined(), 5u);  // the header, not the ClientHello in it
}

TEST(TlsRecordFramer, ApplicationDataRecordByteByByte) {
  TlsRecordFramer f(tls());
  const std::vector<uint8_t> header = {0x17, 0x03, 0x03, 0x40, 0x11};  // 2^14 + 1 + 16: a full record's ciphertext
  for (size_t i = 0; i + 1 < header.size(); ++i)
    EXPECT_TRUE(f.feed(std::span(header).subspan(i, 1)).need_more());
  EXPECT_EQ(f.feed(std::span(header).last(1)).length, 5u + 0x4011);
}

TEST(TlsRecordFramer, EveryContentTypeAndVersion) {
  for (uint8_t type = 20; type <= 24; ++type) {
    for (uint8_t minor = 1; minor <= 4; ++minor) {
      TlsRecordFramer f(tls());
      EXPECT_EQ(feed(f, record(type, 3, minor, 2)).length, 7u) << int{type} << " " << int{minor};
    }
  }
  // TLS 1.3's middlebox-compatibility change_cipher_spec, and an empty application_data record.
  TlsRecordFramer ccs(tls());
  EXPECT_EQ(feed(ccs, {0x14, 0x03, 0x03, 0x00, 0x01, 0x01}).length, 6u);
  TlsRecordFramer empty(tls());
  EXPECT_EQ(feed(empty, {0x17, 0x03, 0x03, 0x00, 0x00}).length, 5u);
}

TEST(TlsRecordFramer, BadContentTypeFailsAtTheFirstByte) {
  for (uint8_t type : {0, 19, 25, 0x80, int{'G'}}) {  // 'G': an HTTP request on the TLS port
    TlsRecordFramer f(tls());
    const Status e = feed(f, {type});
    ASSERT_TRUE(e.failed()) << int{type};
    EXPECT_STREQ(e.why, "tls content type not 20-24");
    EXPECT_FALSE(e.too_long);
    EXPECT_EQ(f.examined(), 1u);
  }
}

TEST(TlsRecordFramer, BadVersion) {
  for (auto v : std::vector<std::vector<uint8_t>>{{3, 0}, {3, 5}, {2, 1}, {0x16, 0x03}, {0xFE, 0xFD}}) {
    TlsRecordFramer f(tls());
    const Status e = feed(f, {0x16, v[0], v[1], 0, 1});
    ASSERT_TRUE(e.failed()) << int{v[0]} << "." << int{v[1]};  // 0xFEFD: DTLS 1.2, not TLS
    EXPECT_STREQ(e.why, "tls legacy_record_version not 0x0301-0x0304");
  }
}

TEST(TlsRecordFramer, LengthBound) {
  TlsRecordFramer at(tls()), over(tls());
  EXPECT_EQ(feed(at, {0x17, 3, 3, 0x48, 0x00}).length, 5u + 18432);  // 2^14 + 2048
  const Status e = feed(over, {0x17, 3, 3, 0x48, 0x01});
  ASSERT_TRUE(e.failed());
  EXPECT_STREQ(e.why, "tls length over 2^14 + 2048");
  EXPECT_TRUE(e.too_long);
  TlsRecordFramer small(tls(100)), fits(tls(100));
  const Status too_long = feed(small, {0x17, 3, 3, 0, 96});
  EXPECT_STREQ(too_long.why, "message over the maximum");
  EXPECT_TRUE(too_long.too_long);
  EXPECT_EQ(feed(fits, {0x17, 3, 3, 0, 95}).length, 100u);
}

TEST(TlsRecordFramer, StreamOfRecords) {
  TlsRecordFramer f(tls());
  std::vector<uint8_t> stream;
  for (auto r : {record(22, 3, 1, 40), record(20, 3, 3, 1), record(23, 3, 3, 300), record(21, 3, 3, 2)})
    stream.insert(stream.end(), r.begin(), r.end());
  stream.push_back(0x99);  // then garbage
  const auto framed = frame_whole(f, stream);
  EXPECT_EQ(framed.lengths, (std::vector<uint64_t>{45, 6, 305, 7}));
  EXPECT_EQ(framed.examined, (std::vector<uint64_t>{5, 5, 5, 5}));
  ASSERT_TRUE(framed.end.failed());
  EXPECT_STREQ(framed.end.why, "tls content type not 20-24");
  EXPECT_EQ(framed.broken, nullptr);
}
