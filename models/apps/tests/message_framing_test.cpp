// The producer's messages through the kernel's own framers (net/framers): each framing's bytes
// are that protocol's messages, every boundary and length where the producer put it, however the
// stream is cut into reads; and the consumer's splitter and check accept them all.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "apps/message_format.h"
#include "apps/message_sizes.h"
#include "apps/message_splitter.h"
#include "core/rng.h"

using namespace hostwire;
using namespace hostwire::apps;

namespace {

struct Case {
  const char* name;
  MessageFormat::Settings settings;
};

std::vector<Case> cases() {
  std::vector<Case> v;
  auto add = [&](const char* name, Framing f, std::string delimiter = "\n", bool chunked = false, uint64_t chunk = 4096) {
    MessageFormat::Settings s;
    s.framing = f;
    s.delimiter = std::move(delimiter);
    s.http_chunked = chunked;
    s.http_chunk_size = chunk;
    v.push_back({name, s});
  };
  add("length_prefix", Framing::length_prefix);
  add("delimiter \\n", Framing::delimiter);
  add("delimiter \\r\\n", Framing::delimiter, "\r\n");
  add("delimiter END", Framing::delimiter, "END");
  add("http", Framing::http);
  add("http chunked", Framing::http, "\n", true, 1000);
  add("http chunked 1", Framing::http, "\n", true, 1);
  add("tls", Framing::tls);
  return v;
}

// Messages of exponential sizes (mean 1500 B, at least the header), from index 0.
struct Stream {
  std::vector<uint8_t> bytes;
  std::vector<uint64_t> sizes;
};

Stream stream(const MessageFormat& f, int messages) {
  SizeDistribution d;
  d.kind = SizeDistribution::Kind::exponential;
  d.size = 1500;
  Rng rng(3, "test");
  Stream s;
  for (int i = 0; i < messages; ++i) {
    const Time arose{1'000'000 * i + 17};
    const uint64_t size = d.draw(rng, f.min_size(static_cast<uint64_t>(i), arose), f.max_size());
    const MessageLayout m = f.layout(static_cast<uint64_t>(i), arose, size);
    m.append(s.bytes, 0, s.bytes.size() + m.size());
    s.sizes.push_back(m.size());
  }
  return s;
}

}  // namespace

TEST(MessageFraming, EachMessageAloneIsOneMessageOfItsSizeToTheKernelsFramer) {
  for (const Case& k : cases()) {
    const MessageFormat f(k.settings);
    ASSERT_TRUE(net::framers::validate(f.framer_spec()).ok()) << k.name;
    auto framer = net::framers::make_framer(f.framer_spec());
    for (uint64_t size = f.min_size(5, Time{99}); size < 6000; size += 1 + size / 64) {
      framer->reset();
      const auto b = f.layout(5, Time{99}, size).bytes();
      const auto st = framer->feed(b);
      ASSERT_TRUE(st.done()) << k.name << " size " << size << ": " << (st.why ? st.why : "need more");
      EXPECT_EQ(st.length, size) << k.name;
    }
  }
}

TEST(MessageFraming, TheSplitterFindsEveryBoundaryHoweverTheStreamIsCut) {
  for (const Case& k : cases()) {
    const MessageFormat f(k.settings);
    const Stream s = stream(f, 300);
    for (size_t read : {1u, 7u, 1448u, 65536u}) {
      MessageSplitter split(f.framer_spec());
      MessageAssembly a;
      std::vector<uint64_t> sizes;
      uint64_t intact = 0, examined = 0;
      for (size_t i = 0; i < s.bytes.size(); i += read) {
        const auto chunk = std::span<const uint8_t>(s.bytes).subspan(i, std::min(read, s.bytes.size() - i));
        ASSERT_TRUE(split.feed(chunk, [&](std::span<const uint8_t> p, bool ends) {
          a.add(p);
          if (!ends) return;
          sizes.push_back(a.bytes());
          intact += a.finish(f, sizes.size() - 1).intact ? 1 : 0;
        })) << k.name << ": " << split.why();
        examined += split.take_examined();
      }
      EXPECT_EQ(sizes, s.sizes) << k.name << " in reads of " << read;
      EXPECT_EQ(intact, s.sizes.size()) << k.name;
      EXPECT_EQ(a.bytes(), 0u);
      EXPECT_GT(examined, 0u);
      EXPECT_LE(examined, s.bytes.size());
      if (k.settings.framing == Framing::length_prefix) {
        EXPECT_EQ(examined, 4 * s.sizes.size()) << "the length field only";
      }
      if (k.settings.framing == Framing::delimiter) {
        EXPECT_EQ(examined, s.bytes.size()) << "every byte to the delimiter";
      }
    }
  }
}

TEST(MessageFraming, GarbageIsAFramingErrorNotAMessage) {
  MessageFormat::Settings s;
  s.framing = Framing::http;
  const MessageFormat f(s);
  MessageSplitter split(f.framer_spec());
  const std::string junk = "GARBAGE\r\n\r\n";
  EXPECT_FALSE(split.feed(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(junk.data()), junk.size()),
                          [](std::span<const uint8_t>, bool) {}));
  EXPECT_NE(split.why(), nullptr);
}
