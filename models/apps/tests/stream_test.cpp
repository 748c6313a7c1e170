// The stream digest the applications use to prove that every byte arrived intact and in order.
#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "apps/stream.h"

using namespace hostwire::apps;

TEST(StreamDigest, IndependentOfHowTheStreamIsCut) {
  std::vector<uint8_t> data(100'003);
  std::iota(data.begin(), data.end(), uint8_t{7});
  StreamDigest whole;
  whole.update(data);
  for (size_t chunk : {1u, 3u, 7u, 8u, 31u, 32u, 33u, 1448u, 65536u}) {
    StreamDigest parts;
    for (size_t i = 0; i < data.size(); i += chunk)
      parts.update(std::span<const uint8_t>(data).subspan(i, std::min(chunk, data.size() - i)));
    EXPECT_EQ(parts.value(), whole.value()) << chunk;
    EXPECT_EQ(parts.bytes(), data.size());
  }
}

TEST(StreamDigest, DetectsAChangedSwappedOrMissingByte) {
  std::vector<uint8_t> data(4096);
  std::iota(data.begin(), data.end(), uint8_t{1});
  StreamDigest ref;
  ref.update(data);
  auto digest = [](const std::vector<uint8_t>& d) {
    StreamDigest s;
    s.update(d);
    return s.value();
  };
  auto changed = data;
  changed[1000] ^= 1;
  EXPECT_NE(digest(changed), ref.value());
  auto swapped = data;
  std::swap(swapped[8], swapped[40]);  // two words in different lanes
  EXPECT_NE(digest(swapped), ref.value());
  auto missing = data;
  missing.pop_back();
  EXPECT_NE(digest(missing), ref.value());
  auto reordered = data;
  std::rotate(reordered.begin(), reordered.begin() + 1448, reordered.end());  // segments out of order
  EXPECT_NE(digest(reordered), ref.value());
}
