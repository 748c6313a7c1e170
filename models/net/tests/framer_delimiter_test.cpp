// The delimiter framer: one byte, CRLFCRLF, the longest (16 B) and binary delimiters, matches
// split across runs, overlapping prefixes (where a naive matcher restarts too late), and the
// maximum.
#include "net/framers/delimiter.h"

#include <gtest/gtest.h>

#include <string>

#include "framer_split.h"

using namespace hostwire::net::framers;
using hostwire::net::framers::testing::as_bytes;
using hostwire::net::framers::testing::frame_whole;

namespace {

FramerSpec delimited(std::string d, uint64_t max = 1 << 20) {
  FramerSpec s;
  s.kind = FramerSpec::Kind::delimiter;
  s.delimiter = std::move(d);
  s.max_message = max;
  return s;
}

// The message length the framer finds in `text` fed at once (0: none).
uint64_t found(const std::string& delimiter, std::string_view text) {
  DelimiterFramer f(delimited(delimiter));
  const Status s = f.feed(as_bytes(text));
  return s.done() ? s.length : 0;
}

}  // namespace

TEST(DelimiterFramer, OneByte) {
  DelimiterFramer f(delimited("\n"));
  EXPECT_TRUE(f.feed(as_bytes("hello")).need_more());
  EXPECT_EQ(f.examined(), 5u);
  const Status s = f.feed(as_bytes(" world\nnext"));
  ASSERT_TRUE(s.done());
  EXPECT_EQ(s.length, 12u);
  EXPECT_EQ(f.examined(), 12u);  // every byte to the delimiter, none after
  EXPECT_EQ(found("\n", "\n"), 1u);
}

TEST(DelimiterFramer, HeaderBlockSplitInsideTheDelimiter) {
  DelimiterFramer f(delimited("\r\n\r\n"));
  EXPECT_TRUE(f.feed(as_bytes("GET / HTTP/1.1\r\nHost: a\r\n\r")).need_more());
  const Status s = f.feed(as_bytes("\nbody"));
  ASSERT_TRUE(s.done());
  EXPECT_EQ(s.length, 27u);
  // A lone CRLF, or CR CR LF LF, is not the delimiter.
  EXPECT_EQ(found("\r\n\r\n", "a\r\nb\r\r\n\nc\r\n\r\n"), 13u);
}

TEST(DelimiterFramer, SixteenBytes) {
  const std::string d = "0123456789abcdef";
  ASSERT_EQ(d.size(), 16u);
  EXPECT_EQ(found(d, "01234567890123456789abcdefZ"), 26u);  // the first try fails at its 11th byte
  DelimiterFramer f(delimited(d));
  for (char c : std::string("payload") + d) {
    const Status s = f.feed(as_bytes(std::string_view(&c, 1)));
    if (s.done()) {
      EXPECT_EQ(s.length, 23u);
    }
  }
  EXPECT_TRUE(f.last().done());
}

TEST(DelimiterFramer, BinaryDelimiter) {
  const std::string d("\x00\xFF\x00", 3);
  EXPECT_EQ(found(d, std::string("\x01\x00\xFF\xFF\x00\xFF\x00\x02", 8)), 7u);
}

TEST(DelimiterFramer, OverlappingPrefixes) {
  // After "aa" fails on the second 'a' the match goes on from "a", not from nothing.
  EXPECT_EQ(found("aab", "aaab"), 4u);
  EXPECT_EQ(found("aab", "aaaaab"), 6u);
  EXPECT_EQ(found("abab", "abaabab"), 7u);
  EXPECT_EQ(found("abcabd", "abcabcabd"), 9u);
  EXPECT_EQ(found("aaaa", "aaabaaaa"), 8u);
  EXPECT_EQ(found("\r\n\r\n", "\r\n\r\r\n\r\n"), 7u);
  EXPECT_EQ(found("aab", "abaa"), 0u);
  // The same, a byte per run: the partial match survives every run boundary.
  DelimiterFramer f(delimited("abcabd"));
  for (char c : std::string_view("abcabcab")) EXPECT_TRUE(f.feed(as_bytes(std::string_view(&c, 1))).need_more());
  EXPECT_EQ(f.feed(as_bytes("d")).length, 9u);
}

TEST(DelimiterFramer, NoDelimiterWithinTheMaximum) {
  DelimiterFramer f(delimited("\r\n", 8));
  EXPECT_TRUE(f.feed(as_bytes("1234567")).need_more());
  const Status e = f.feed(as_bytes("8\r\n"));
  ASSERT_TRUE(e.failed());
  EXPECT_STREQ(e.why, "no delimiter within max_message");
  EXPECT_TRUE(e.too_long);
  EXPECT_EQ(f.examined(), 8u);  // stopped at the maximum
  // A delimiter that ends exactly at the maximum is a message; a partial one there is not.
  EXPECT_EQ(DelimiterFramer(delimited("\r\n", 8)).feed(as_bytes("123456\r\n")).length, 8u);
  EXPECT_TRUE(DelimiterFramer(delimited("\r\n", 8)).feed(as_bytes("1234567\r")).failed());
}

TEST(DelimiterFramer, StaysDecidedAndResets) {
  DelimiterFramer f(delimited(";"));
  EXPECT_EQ(f.feed(as_bytes("ab;cd;")).length, 3u);
  EXPECT_EQ(f.feed(as_bytes(";")).length, 3u);
  f.reset();
  EXPECT_EQ(f.examined(), 0u);
  EXPECT_EQ(f.feed(as_bytes("cd;")).length, 3u);
  EXPECT_TRUE(DelimiterFramer(delimited(";")).finish().need_more());
}

TEST(DelimiterFramer, StreamOfLines) {
  DelimiterFramer f(delimited("\n"));
  const auto framed = frame_whole(f, as_bytes("a\nbb\n\nccc"));
  EXPECT_EQ(framed.lengths, (std::vector<uint64_t>{2, 3, 1}));
  EXPECT_TRUE(framed.end.need_more());  // "ccc" is truncated
  EXPECT_EQ(framed.end_examined, 3u);
  EXPECT_EQ(framed.broken, nullptr);
}
