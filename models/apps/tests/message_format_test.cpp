// The producer's message encodings, checked by hand-written oracles (the framers' own check of
// the same bytes is in message_framing_test.cpp): exact sizes, each framing's header fields, the
// arose time and index where the consumer looks, and the consumer's verdict on intact and
// damaged messages.
#include <gtest/gtest.h>

#include <string>

#include "apps/message_format.h"
#include "net/byte_order.h"

using namespace hostwire;
using namespace hostwire::apps;

namespace {

MessageFormat format(Framing f, std::string delimiter = "\n", bool chunked = false, uint64_t chunk = 4096) {
  MessageFormat::Settings s;
  s.framing = f;
  s.delimiter = std::move(delimiter);
  s.http_chunked = chunked;
  s.http_chunk_size = chunk;
  return MessageFormat(s);
}

std::string text(const std::vector<uint8_t>& b) { return std::string(b.begin(), b.end()); }

// The body of a chunked message (after the header's empty line), decoded as RFC 9112 7.1 says;
// nullopt when the syntax is wrong or anything follows the last chunk.
std::optional<uint64_t> chunked_body(std::string_view s) {
  uint64_t body = 0;
  for (;;) {
    const size_t eol = s.find("\r\n");
    if (eol == std::string_view::npos || eol == 0) return std::nullopt;
    uint64_t n = 0;
    for (char c : s.substr(0, eol)) {
      const auto d = std::string_view("0123456789abcdef").find(c);
      if (d == std::string_view::npos) return std::nullopt;
      n = n * 16 + d;
    }
    s.remove_prefix(eol + 2);
    if (n == 0) return s == "\r\n" ? std::optional<uint64_t>(body) : std::nullopt;
    if (s.size() < n + 2 || s.substr(n, 2) != "\r\n") return std::nullopt;
    body += n;
    s.remove_prefix(n + 2);
  }
}

constexpr Framing kAll[] = {Framing::length_prefix, Framing::delimiter, Framing::http, Framing::tls};

}  // namespace

TEST(MessageFormat, EveryFramingMakesMessagesOfExactlyTheSizeAsked) {
  const Time arose{123'456'789};
  for (Framing fr : kAll)
    for (bool chunked : {false, true}) {
      if (chunked && fr != Framing::http) continue;
      const MessageFormat f = format(fr, "\n", chunked, 100);
      const uint64_t min = f.min_size(7, arose);
      for (uint64_t size = min; size < min + 1200; ++size) {
        const MessageLayout m = f.layout(7, arose, size);
        ASSERT_EQ(m.size(), size) << net::framers::to_string(fr) << (chunked ? " chunked " : " ") << size;
        ASSERT_EQ(m.bytes().size(), size);
      }
      EXPECT_EQ(f.layout(7, arose, 1).size(), min) << "a size below the header grows to it";
    }
}

TEST(MessageFormat, LengthPrefixIsTheHistoricHeaderThenTheIndex) {
  const MessageFormat f = format(Framing::length_prefix);
  const auto b = f.layout(5, Time{0x0102030405060708}, 1024).bytes();
  EXPECT_EQ(net::load_be32(b.data()), 1024u);
  EXPECT_EQ(net::load_be32(b.data() + 4), 0x01020304u);
  EXPECT_EQ(net::load_be32(b.data() + 8), 0x05060708u);
  EXPECT_EQ(net::load_be32(b.data() + 16), 5u);
  EXPECT_EQ(std::vector<uint8_t>(b.begin() + 20, b.end()),
            std::vector<uint8_t>(pattern()->begin(), pattern()->begin() + 1004));
  EXPECT_EQ(f.layout(5, Time{1}, 12).size(), 12u) << "the 12-byte header alone, as before";
  EXPECT_EQ(f.framer_spec().width, 4);
  EXPECT_TRUE(f.framer_spec().counts_header);
}

TEST(MessageFormat, TlsRecordsAreApplicationDataOfSizeMinusFive) {
  const MessageFormat f = format(Framing::tls);
  const auto b = f.layout(9, Time{42}, 16389).bytes();
  EXPECT_EQ(b[0], 23);
  EXPECT_EQ(net::load_be16(b.data() + 1), 0x0303);
  EXPECT_EQ(net::load_be16(b.data() + 3), 16384);
  EXPECT_EQ(f.arose(b), Time{42});
  EXPECT_EQ(f.max_size(), MessageFormat::kTlsMaxRecord) << "one record at most, whatever max_size says";
}

TEST(MessageFormat, DelimitedLinesEndAtTheirOnlyDelimiter) {
  for (std::string d : {"\n", "\r\n", "END", "||", "\0"}) {
    if (d.empty()) d.push_back('\0');
    const MessageFormat f = format(Framing::delimiter, d);
    const std::string line = text(f.layout(31, Time{1'000'000}, 300).bytes());
    EXPECT_EQ(line.rfind("31 1000000 ", 0), 0u);
    EXPECT_EQ(line.find(d), line.size() - d.size()) << "delimiter '" << d << "' only at the end";
    EXPECT_EQ(f.arose(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(line.data()), line.size())),
              Time{1'000'000});
  }
  EXPECT_NE(MessageFormat::delimiter_problem(""), "");
  EXPECT_NE(MessageFormat::delimiter_problem("a 1"), "");
  EXPECT_NE(MessageFormat::delimiter_problem(std::string(17, 'x')), "");
  EXPECT_EQ(MessageFormat::delimiter_problem("\r\n"), "");
}

TEST(MessageFormat, HttpRequestsSayTheirLengthAndCarryIndexAndArose) {
  const MessageFormat f = format(Framing::http);
  for (uint64_t size = f.min_size(12, Time{987}); size < 20'000; size += 7) {
    const std::string r = text(f.layout(12, Time{987}, size).bytes());
    const size_t end = r.find("\r\n\r\n");
    ASSERT_NE(end, std::string::npos);
    EXPECT_EQ(r.rfind("POST /m/12 HTTP/1.1\r\nHost: hostwire\r\nContent-Length: ", 0), 0u);
    const uint64_t n = std::stoull(r.substr(r.find("Content-Length: ") + 16));
    ASSERT_EQ(end + 4 + n, size) << r.substr(0, end);
    const auto b = f.layout(12, Time{987}, size).bytes();
    EXPECT_EQ(f.arose(b), Time{987});
  }
}

TEST(MessageFormat, ChunkedHttpBodiesAreValidChunkedSyntax) {
  for (uint64_t chunk : {1u, 15u, 16u, 100u, 4096u}) {
    const MessageFormat f = format(Framing::http, "\n", true, chunk);
    for (uint64_t size = f.min_size(3, Time{55}); size < 9000; size += (size < 400 ? 1 : 37)) {
      const std::string r = text(f.layout(3, Time{55}, size).bytes());
      ASSERT_EQ(r.size(), size);
      const size_t end = r.find("\r\n\r\n");
      EXPECT_NE(r.substr(0, end).find("Transfer-Encoding: chunked"), std::string::npos);
      const auto body = chunked_body(std::string_view(r).substr(end + 4));
      ASSERT_TRUE(body) << "chunk " << chunk << " size " << size;
    }
  }
}

TEST(MessageFormat, AppendingInPiecesGivesTheSameBytes) {
  for (Framing fr : kAll) {
    const MessageFormat f = format(fr, "\r\n", true, 500);
    const MessageLayout m = f.layout(77, Time{5'000'000}, 5000);
    const auto whole = m.bytes();
    for (size_t step : {1u, 13u, 1448u}) {
      std::vector<uint8_t> parts;
      for (uint64_t from = 0; from < m.size(); from += step) {
        std::vector<uint8_t> out;
        m.append(out, from, step);
        parts.insert(parts.end(), out.begin(), out.end());
      }
      EXPECT_EQ(parts, whole) << net::framers::to_string(fr) << " in " << step;
    }
  }
}

TEST(MessageAssembly, AcceptsTheMessageAsWrittenAndNothingElse) {
  for (Framing fr : kAll) {
    const MessageFormat f = format(fr);
    const auto b = f.layout(4, Time{777'000}, 900).bytes();
    MessageAssembly a;
    for (size_t i = 0; i < b.size(); i += 100)
      a.add(std::span<const uint8_t>(b).subspan(i, std::min<size_t>(100, b.size() - i)));
    const auto v = a.finish(f, 4);
    EXPECT_TRUE(v.intact) << net::framers::to_string(fr);
    EXPECT_EQ(v.arose, Time{777'000});

    a.add(b);
    EXPECT_FALSE(a.finish(f, 5).intact) << net::framers::to_string(fr) << ": out of sequence";
    auto damaged = b;
    damaged[600] ^= 0x20;
    a.add(damaged);
    EXPECT_FALSE(a.finish(f, 4).intact) << net::framers::to_string(fr) << ": a changed body byte";
    a.add(std::span<const uint8_t>(b).first(899));
    EXPECT_FALSE(a.finish(f, 4).intact) << net::framers::to_string(fr) << ": a byte short";
  }
}
