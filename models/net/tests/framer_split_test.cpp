// The property every framer has: whatever the runs a stream arrives in (a cut at any single
// position, a byte per run, random cuts), the messages found, what was examined of each and
// how the stream ends are those of the stream fed whole. Each stream holds several messages
// back to back; the framer is reset at each boundary and fed again from there.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/rng.h"
#include "framer_split.h"

using namespace hostwire::net::framers;
using namespace hostwire::net::framers::testing;

namespace {

struct Case {
  const char* name;
  FramerSpec spec;
  std::string stream;
  int heads = 0;  // HEAD responses to expect (an HTTP response framer)
};

template <class Piece>
Framed run(const Case& c, Piece&& piece) {
  auto f = make_framer(c.spec);
  for (int i = 0; i < c.heads; ++i) f->expect_head_response();
  return frame_stream(*f, as_bytes(c.stream), piece);
}

std::string describe(const Framed& r) {
  std::string s = "lengths";
  for (auto n : r.lengths) s += " " + std::to_string(n);
  s += ", end " + std::to_string(static_cast<int>(r.end.kind)) + " " + std::to_string(r.end.length) + " " +
       (r.end.why ? r.end.why : "") + (r.broken ? std::string(", broke: ") + r.broken : "");
  return s;
}

void expect_split_invariant(const Case& c) {
  SCOPED_TRACE(c.name);
  const Framed whole = run(c, [](size_t) { return SIZE_MAX; });
  EXPECT_EQ(whole.broken, nullptr) << whole.broken;
  EXPECT_FALSE(whole.lengths.empty() && whole.end.need_more()) << "a case that frames nothing tests nothing";
  for (size_t k = 1; k < c.stream.size(); ++k) {
    auto f = make_framer(c.spec);
    for (int i = 0; i < c.heads; ++i) f->expect_head_response();
    const Framed cut = frame_cut(*f, as_bytes(c.stream), {k});
    ASSERT_EQ(cut, whole) << "cut at " << k << ": " << describe(cut) << " vs " << describe(whole);
    ASSERT_EQ(cut.broken, nullptr) << "cut at " << k << ": " << cut.broken;
  }
  const Framed bytewise = run(c, [](size_t) { return size_t{1}; });
  EXPECT_EQ(bytewise, whole) << "byte by byte: " << describe(bytewise);
  EXPECT_EQ(bytewise.broken, nullptr) << bytewise.broken;
  hostwire::Rng rng(7, c.name);
  for (int trial = 0; trial < 200; ++trial) {
    const uint64_t longest = rng.uniform_int(1, 40);
    std::vector<size_t> pieces;
    const Framed random = run(c, [&](size_t) {
      pieces.push_back(rng.uniform_int(1, longest));
      return pieces.back();
    });
    ASSERT_EQ(random, whole) << "trial " << trial << ": " << describe(random);
    ASSERT_EQ(random.broken, nullptr) << random.broken;
  }
}

FramerSpec spec(FramerSpec::Kind k) {
  FramerSpec s;
  s.kind = k;
  return s;
}
FramerSpec prefix(uint8_t width, bool big_endian, uint32_t offset = 0, bool counts_header = false,
                  int64_t adjustment = 0) {
  auto s = spec(FramerSpec::Kind::length_prefix);
  s.width = width, s.big_endian = big_endian, s.offset = offset, s.counts_header = counts_header;
  s.adjustment = adjustment;
  return s;
}
FramerSpec delimited(std::string d, uint64_t max = 1 << 20) {
  auto s = spec(FramerSpec::Kind::delimiter);
  s.delimiter = std::move(d);
  s.max_message = max;
  return s;
}
FramerSpec http_spec(bool requests, uint32_t header_limit = 8192, uint64_t max = 1 << 20) {
  auto s = spec(FramerSpec::Kind::http);
  s.http_requests = requests, s.header_limit = header_limit, s.max_message = max;
  return s;
}

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int v : b) s += static_cast<char>(v);
  return s;
}

const std::string kChunked =
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
    "4;a=b\r\nWiki\r\n5 ;x=\"q;\\\"\"\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\n\r\n";

}  // namespace

TEST(FramerSplit, LengthPrefix) {
  expect_split_invariant({"be16", prefix(2, true), bytes({0, 3, 'a', 'b', 'c', 0, 0, 0, 1, 'z', 0, 5, 'x'})});
  expect_split_invariant({"le32 offset counts", prefix(4, false, 2, true),
                          bytes({9, 9, 7, 0, 0, 0, 'q', 7, 7, 6, 0, 0, 0, 1, 2, 3, 3, 0, 0, 0})});
  expect_split_invariant({"be64 adjusted", prefix(8, true, 0, false, -1),
                          bytes({0, 0, 0, 0, 0, 0, 0, 3, 'a', 'b', 0, 0, 0, 0, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF,
                                 0xFF, 0xFF, 0xFF, 0xFF})});
  expect_split_invariant({"le8 then too long", prefix(1, false), bytes({2, 'h', 'i', 0, 1, 0xFF}) + "..."});
  auto small = prefix(1, true);
  small.max_message = 10;
  expect_split_invariant({"over max", small, bytes({3, 1, 2, 3, 10, 1})});
  expect_split_invariant({"body past the end", prefix(2, true), bytes({0, 1, 'a', 0x10, 0x00, 'b', 'c'})});
}

TEST(FramerSplit, Delimiter) {
  expect_split_invariant({"lines", delimited("\n"), "one\ntwo\n\nthree\nfour"});
  expect_split_invariant({"header blocks", delimited("\r\n\r\n"), "a\r\nb\r\r\n\r\n\r\n\r\nc\r\n\r\r\n\r\nd\r\n"});
  expect_split_invariant({"overlapping", delimited("aab"), "aaabaabaaaabxaab"});
  expect_split_invariant({"kmp", delimited("abcabd"), "abcabcabdabcababcabd"});
  expect_split_invariant({"sixteen", delimited("0123456789abcdef"),
                          "x0123456789abcde0123456789abcdefy0123456789abcdef"});
  expect_split_invariant({"binary", delimited(bytes({0, 0xFF, 0})), bytes({1, 0, 0xFF, 0xFF, 0, 0xFF, 0, 0, 0xFF, 0})});
  expect_split_invariant({"no delimiter within max", delimited("\r\n", 8), "ab\r\n1234567\r\n"});
  expect_split_invariant({"partial at max", delimited("\r\n", 8), "1234567\r\n"});
}

TEST(FramerSplit, HttpRequests) {
  const std::string stream =
      "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"
      "POST /form HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
      "PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n3;ext\r\nabc\r\n0\r\nT: 1\r\n\r\n"
      "GET /lf HTTP/1.0\nAccept: */*\n\n"
      "POST /short HTTP/1.1\r\nContent-Length: 100\r\n\r\nonly part";
  expect_split_invariant({"pipelined", http_spec(true), stream});
  expect_split_invariant({"bad content-length", http_spec(true),
                          "GET / HTTP/1.1\r\n\r\nPOST / HTTP/1.1\r\nContent-Length: 1, 2\r\n\r\nxx"});
  expect_split_invariant({"header over limit", http_spec(true, 40),
                          "GET / HTTP/1.1\r\n\r\nGET /a-long-path HTTP/1.1\r\nHost: example\r\n\r\n"});
  expect_split_invariant({"truncated", http_spec(true), "GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\nHost"});
}

TEST(FramerSplit, HttpResponses) {
  const std::string stream = "HTTP/1.1 100 Continue\r\n\r\n"
                             "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n"  // answers a HEAD
                             "HTTP/1.1 204 No Content\r\n\r\n"
                             "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n"
                             "HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nabc" +
                             kChunked + "HTTP/1.0 200 OK\r\n\r\nuntil the close";
  expect_split_invariant({"every body kind", http_spec(false), stream, 1});
  expect_split_invariant({"chunk over max", http_spec(false, 8192, 120), kChunked});
  expect_split_invariant({"trailers over limit", http_spec(false, 60),
                          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: " + std::string(60, 'a') +
                              "\r\n\r\n"});
  expect_split_invariant({"close over max", http_spec(false, 8192, 30), "HTTP/1.1 200 OK\r\n\r\n0123456789abcdef"});
}

TEST(FramerSplit, Tls) {
  auto tls = spec(FramerSpec::Kind::tls);
  const std::string stream = bytes({0x16, 3, 1, 0, 4, 1, 0, 0, 0}) + bytes({0x14, 3, 3, 0, 1, 1}) +
                             bytes({0x17, 3, 3, 0, 3, 'a', 'b', 'c'}) + bytes({0x17, 3, 3, 0, 0}) +
                             bytes({0x15, 3, 3, 0, 2, 1, 0}) + "GET / HTTP/1.1";
  expect_split_invariant({"records then http", tls, stream});
  expect_split_invariant({"long record past the end", tls, bytes({0x17, 3, 3, 0x40, 0x00, 1, 2, 3})});
  expect_split_invariant({"bad version", tls, bytes({0x17, 3, 3, 0, 1, 0, 0x17, 3, 5, 0, 0})});
}
