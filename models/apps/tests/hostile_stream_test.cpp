// The hostile producer's streams through the kernel's own framers (net/framers): each ends in
// the framer's error within a bounded number of bytes, the kind of error (over a limit, or
// malformed) its policy turns into EMSGSIZE or EPROTO; after good messages, those all arrive
// intact first. Senders write the stream in calls that take part of what they offer.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "apps/hostile_stream.h"
#include "apps/message_format.h"
#include "apps/message_splitter.h"
#include "core/rng.h"

using namespace hostwire;
using namespace hostwire::apps;

namespace {

struct Case {
  const char* name;
  Framing framing;
  Hostile kind;
  bool too_long;    // the framer's error is a size limit (EMSGSIZE), else malformed input (EPROTO)
  const char* why;  // the framer's words
};

const Case kCases[] = {
    {"length_prefix huge_length", Framing::length_prefix, Hostile::huge_length, true, "message over the maximum"},
    {"tls huge_length", Framing::tls, Hostile::huge_length, true, "tls length over 2^14 + 2048"},
    {"delimiter endless", Framing::delimiter, Hostile::endless, true, "no delimiter within max_message"},
    {"http endless", Framing::http, Hostile::endless, true, "header section over header_limit"},
    {"http garbage", Framing::http, Hostile::garbage, false, nullptr},
    {"tls garbage", Framing::tls, Hostile::garbage, false, nullptr},
};

MessageFormat format(Framing f) {
  MessageFormat::Settings s;
  s.framing = f;
  s.max_size = 64 * 1024;
  return MessageFormat(s);
}

HostileStream hostile(const MessageFormat& f, Hostile kind, uint64_t index = 7) {
  return HostileStream(f, kind, index, Time{123'456'789}, Rng(3, "hostile"));
}

// Offers the stream in calls of `call` bytes of which the "send" takes `taken`; returns the
// bytes taken, the last call's included, until `stop(bytes)` says so or `limit` bytes.
template <class Stop>
uint64_t write(HostileStream& s, size_t call, size_t taken, uint64_t limit, Stop&& stop) {
  uint64_t total = 0;
  while (total < limit) {
    const auto bytes = s.next(call).first(taken);
    total += bytes.size();
    const bool done = stop(bytes);
    s.took(bytes.size());
    if (done) break;
  }
  return total;
}

}  // namespace

TEST(HostileStream, EachEndsInItsFramersErrorWithinTheMaximum) {
  for (const Case& k : kCases) {
    const MessageFormat f = format(k.framing);
    auto framer = net::framers::make_framer(f.framer_spec());
    HostileStream s = hostile(f, k.kind);
    net::framers::Status st;
    const uint64_t fed = write(s, 4096, 1000, 1 << 24, [&](std::span<const uint8_t> b) {
      st = framer->feed(b);
      return !st.need_more();
    });
    ASSERT_TRUE(st.failed()) << k.name << ": " << (st.done() ? "a message" : "need more") << " after " << fed << " B";
    EXPECT_EQ(st.too_long, k.too_long) << k.name << ": " << st.why;
    if (k.why) {
      EXPECT_STREQ(st.why, k.why) << k.name;
    }
    // Bounded: the maximum, or the HTTP header limit (8 KiB), and the call that crossed it.
    EXPECT_LE(fed, f.max_size() + 1000) << k.name;
    EXPECT_EQ(s.written(), fed) << k.name;
  }
}

TEST(HostileStream, TheGoodMessagesBeforeItArriveIntactThenTheStreamFails) {
  for (const Case& k : kCases) {
    const MessageFormat f = format(k.framing);
    std::vector<uint8_t> good;
    for (uint64_t i = 0; i < 10; ++i) {
      const MessageLayout m = f.layout(i, Time{static_cast<int64_t>(1000 * i)}, 900 + 37 * i);
      m.append(good, 0, good.size() + m.size());
    }
    MessageSplitter split(f.framer_spec());
    MessageAssembly a;
    uint64_t messages = 0, intact = 0;
    auto piece = [&](std::span<const uint8_t> p, bool ends) {
      a.add(p);
      if (!ends) return;
      intact += a.finish(f, messages++).intact ? 1 : 0;
    };
    ASSERT_TRUE(split.feed(good, piece)) << k.name;
    HostileStream s = hostile(f, k.kind, 10);
    bool framed = true;
    write(s, 65536, 1448, 1 << 24, [&](std::span<const uint8_t> b) { return !(framed = split.feed(b, piece)); });
    EXPECT_FALSE(framed) << k.name;
    EXPECT_EQ(messages, 10u) << k.name << ": " << split.why();
    EXPECT_EQ(intact, 10u) << k.name;
  }
}

TEST(HostileStream, BytesOfferedAndNotTakenAreOfferedAgainUnchanged) {
  for (const Case& k : kCases) {
    const MessageFormat f = format(k.framing);
    HostileStream whole = hostile(f, k.kind), parts = hostile(f, k.kind);
    const auto all = whole.next(10000);
    const std::vector<uint8_t> expected(all.begin(), all.end());
    std::vector<uint8_t> got;
    write(parts, 3000, 701, 10000, [&](std::span<const uint8_t> b) {
      got.insert(got.end(), b.begin(), b.end());
      return got.size() >= expected.size();
    });
    got.resize(expected.size());
    EXPECT_EQ(got, expected) << k.name;
  }
}

TEST(HostileStream, AHugeLengthIsAGoodHeaderWithAHugeLengthAndAnEndlessLineNeverHoldsItsDelimiter) {
  const MessageFormat lp = format(Framing::length_prefix);
  HostileStream huge = hostile(lp, Hostile::huge_length);
  const auto h = huge.next(20);
  const auto good = lp.layout(7, Time{123'456'789}, 100).bytes();
  EXPECT_EQ(std::vector<uint8_t>(h.begin(), h.begin() + 4), (std::vector<uint8_t>{0x7f, 0xff, 0xff, 0xff}));
  EXPECT_TRUE(std::equal(h.begin() + 4, h.end(), good.begin() + 4)) << "arose and index as message 7's";
  EXPECT_EQ(lp.arose(h), Time{123'456'789});

  MessageFormat::Settings s;
  s.framing = Framing::delimiter;
  s.delimiter = "\r\n";
  const MessageFormat dl(s);
  HostileStream endless = hostile(dl, Hostile::endless);
  const auto line = endless.next(1 << 20);
  const std::string text(line.begin(), line.end());
  EXPECT_EQ(text.rfind("7 123456789 ", 0), 0u);
  EXPECT_EQ(text.find_first_of("\r\n"), std::string::npos);
}

TEST(HostileStream, GarbageIsTheSendersOwnRandomStream) {
  const MessageFormat f = format(Framing::tls);
  HostileStream one = hostile(f, Hostile::garbage), again = hostile(f, Hostile::garbage);
  HostileStream other(f, Hostile::garbage, 7, Time{}, Rng(4, "hostile"));
  const auto a = one.next(4096), b = again.next(4096), c = other.next(4096);
  EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin()));
  EXPECT_FALSE(std::equal(a.begin(), a.end(), c.begin()));
}

TEST(HostileStream, AKindMakesSenseOnlyWhereItsFramerCanMeetIt) {
  EXPECT_NE(hostile_problem(Hostile::huge_length, Framing::delimiter).find("length_prefix or tls"), std::string::npos);
  EXPECT_NE(hostile_problem(Hostile::huge_length, Framing::http), "");
  EXPECT_NE(hostile_problem(Hostile::endless, Framing::tls).find("delimiter or http"), std::string::npos);
  EXPECT_NE(hostile_problem(Hostile::endless, Framing::length_prefix), "");
  for (Framing f : {Framing::length_prefix, Framing::delimiter, Framing::http, Framing::tls}) {
    EXPECT_EQ(hostile_problem(Hostile::none, f), "");
    EXPECT_EQ(hostile_problem(Hostile::garbage, f), "");
  }
  EXPECT_EQ(hostile_problem(Hostile::huge_length, Framing::tls), "");
  EXPECT_EQ(hostile_problem(Hostile::endless, Framing::http), "");
  for (Hostile h : {Hostile::none, Hostile::huge_length, Hostile::endless, Hostile::garbage})
    EXPECT_EQ(parse_hostile(to_string(h)), h);
  EXPECT_FALSE(parse_hostile("huge"));
}
