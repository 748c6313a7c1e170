// The length-prefix framer: every width and byte order, a field after other header bytes, a
// length that counts the header or needs an adjustment, and the errors, each known at the
// header's last byte.
#include "net/framers/length_prefix.h"

#include <gtest/gtest.h>

#include <vector>

#include "framer_split.h"

using namespace hostwire::net::framers;
using hostwire::net::framers::testing::frame_whole;

namespace {

FramerSpec prefix(uint8_t width, bool big_endian = true) {
  FramerSpec s;
  s.kind = FramerSpec::Kind::length_prefix;
  s.width = width;
  s.big_endian = big_endian;
  return s;
}

// `value` as a `width`-byte field.
std::vector<uint8_t> field(uint64_t value, uint8_t width, bool big_endian) {
  std::vector<uint8_t> b(width);
  for (uint8_t i = 0; i < width; ++i) b[big_endian ? width - 1 - i : i] = static_cast<uint8_t>(value >> (8 * i));
  return b;
}

Status feed(LengthPrefixFramer& f, const std::vector<uint8_t>& bytes) { return f.feed(bytes); }

}  // namespace

TEST(LengthPrefixFramer, EveryWidthAndByteOrder) {
  for (uint8_t w : {1, 2, 4, 8}) {
    for (bool be : {true, false}) {
      LengthPrefixFramer f(prefix(w, be));
      // 0xA5 (and 0x1A5 where it fits) tells the byte orders apart.
      const uint64_t body = w == 1 ? 0xA5 : 0x1A5;
      auto bytes = field(body, w, be);
      EXPECT_TRUE(f.feed(std::span(bytes).first(w - 1)).need_more());
      const Status s = f.feed(std::span(bytes).subspan(w - 1));
      ASSERT_TRUE(s.done()) << int{w} << " " << be;
      EXPECT_EQ(s.length, w + body);
      EXPECT_EQ(f.examined(), w);
    }
  }
}

TEST(LengthPrefixFramer, LittleEndianIsNotBigEndian) {
  LengthPrefixFramer be(prefix(2, true)), le(prefix(2, false));
  const std::vector<uint8_t> bytes = {0x01, 0x02};
  EXPECT_EQ(feed(be, bytes).length, 2u + 0x0102);
  EXPECT_EQ(feed(le, bytes).length, 2u + 0x0201);
}

TEST(LengthPrefixFramer, FieldAtAnOffset) {
  // gRPC's message prefix: a 1-byte compressed flag, then a 4-byte big-endian length.
  auto s = prefix(4);
  s.offset = 1;
  LengthPrefixFramer f(s);
  const std::vector<uint8_t> grpc = {0x00, 0x00, 0x00, 0x00, 0x07};
  EXPECT_TRUE(f.feed(std::span(grpc).first(1)).need_more());
  EXPECT_EQ(f.examined(), 1u);
  const Status m = f.feed(std::span(grpc).subspan(1));
  ASSERT_TRUE(m.done());
  EXPECT_EQ(m.length, 5u + 7);
  EXPECT_EQ(f.examined(), 5u);
}

TEST(LengthPrefixFramer, LargeOffsetSkippedByCount) {
  auto s = prefix(1);
  s.offset = 100000;
  s.max_message = 200000;
  LengthPrefixFramer f(s);
  std::vector<uint8_t> bytes(s.offset + 1, 0);
  bytes.back() = 9;
  EXPECT_EQ(feed(f, bytes).length, 100001u + 9);
}

TEST(LengthPrefixFramer, LengthThatCountsTheHeader) {
  // DNS over TCP counts the message after its 2-byte prefix; a field that counts itself, here.
  auto s = prefix(2);
  s.counts_header = true;
  LengthPrefixFramer f(s);
  EXPECT_EQ(feed(f, {0x00, 0x10}).length, 16u);
  f.reset();
  EXPECT_EQ(feed(f, {0x00, 0x02}).length, 2u);  // just the header
}

TEST(LengthPrefixFramer, Adjustment) {
  auto s = prefix(1);
  s.adjustment = 4;  // e.g. a 4-byte checksum after the counted body
  LengthPrefixFramer plus(s);
  EXPECT_EQ(feed(plus, {10}).length, 1u + 10 + 4);
  s.adjustment = -3;
  s.counts_header = true;
  s.offset = 2;  // a 3-byte header; the field counts it and 3 bytes the message does not carry
  LengthPrefixFramer minus(s);
  EXPECT_EQ(feed(minus, {0xAA, 0xBB, 10}).length, 10u - 3);
}

TEST(LengthPrefixFramer, LengthBelowTheHeader) {
  auto s = prefix(4);
  s.counts_header = true;
  LengthPrefixFramer f(s);
  const Status e = feed(f, {0, 0, 0, 3});
  ASSERT_TRUE(e.failed());
  EXPECT_STREQ(e.why, "length below the header");
  EXPECT_FALSE(e.too_long);  // malformed (EPROTO), not too long
  s.counts_header = false;
  s.adjustment = -5;
  LengthPrefixFramer adjusted(s);
  EXPECT_STREQ(feed(adjusted, {0, 0, 0, 0}).why, "length below the header");
  f.reset();
  EXPECT_EQ(feed(f, {0, 0, 0, 4}).length, 4u);
}

TEST(LengthPrefixFramer, OverTheMaximumKnownAtTheHeader) {
  auto s = prefix(4);
  s.max_message = 1000;
  LengthPrefixFramer f(s);
  // No body byte fed: the error is known from the header alone.
  const Status e = feed(f, {0, 0, 0x03, 0xE5});  // 4 + 997 = 1001
  ASSERT_TRUE(e.failed());
  EXPECT_STREQ(e.why, "message over the maximum");
  EXPECT_TRUE(e.too_long);
  f.reset();
  EXPECT_EQ(feed(f, {0, 0, 0x03, 0xE4}).length, 1000u);  // exactly the maximum
}

TEST(LengthPrefixFramer, EightByteLengthsDoNotWrap) {
  auto s = prefix(8);
  s.max_message = UINT64_MAX;
  LengthPrefixFramer f(s);
  const std::vector<uint8_t> huge(8, 0xFF);
  const Status wraps = feed(f, huge);  // 2^64 - 1 + 8
  EXPECT_STREQ(wraps.why, "length overflows 64 bits");
  EXPECT_TRUE(wraps.too_long);
  s.counts_header = true;
  LengthPrefixFramer counted(s);
  EXPECT_EQ(feed(counted, huge).length, UINT64_MAX);  // fits: a maximum of 2^64 - 1 allows it
  s.counts_header = false;
  s.adjustment = -8;
  LengthPrefixFramer adjusted(s);
  EXPECT_EQ(feed(adjusted, huge).length, UINT64_MAX);  // the header and the adjustment cancel out
  s.max_message = 1 << 20;
  s.adjustment = 0;
  LengthPrefixFramer bounded(s);
  EXPECT_STREQ(feed(bounded, field(uint64_t{1} << 40, 8, true)).why, "message over the maximum");
}

TEST(LengthPrefixFramer, StaysDecidedUntilReset) {
  LengthPrefixFramer f(prefix(1));
  EXPECT_EQ(feed(f, {3, 'a', 'b', 'c', 7}).length, 4u);
  EXPECT_EQ(feed(f, {200}).length, 4u);  // later bytes ignored
  EXPECT_EQ(f.finish().length, 4u);
  f.reset();
  EXPECT_TRUE(f.last().need_more());
  EXPECT_EQ(f.examined(), 0u);
  EXPECT_EQ(feed(f, {7}).length, 8u);
}

TEST(LengthPrefixFramer, TruncatedHeaderAtTheClose) {
  LengthPrefixFramer f(prefix(4));
  EXPECT_TRUE(feed(f, {0, 0}).need_more());
  EXPECT_TRUE(f.finish().need_more());  // the stream ended inside a message
}

TEST(LengthPrefixFramer, StreamOfMessages) {
  LengthPrefixFramer f(prefix(2, false));
  const std::vector<uint8_t> stream = {2, 0, 'h', 'i', 0, 0, 1, 0, '!'};
  const auto framed = frame_whole(f, stream);
  EXPECT_EQ(framed.lengths, (std::vector<uint64_t>{4, 2, 3}));
  EXPECT_EQ(framed.examined, (std::vector<uint64_t>{2, 2, 2}));
  EXPECT_TRUE(framed.end.need_more());
  EXPECT_EQ(framed.broken, nullptr);
}
