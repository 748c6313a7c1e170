// Peeking at the in-order bytes (what a kernel message framer reads before the application
// does): the same bytes as a read, in order, without taking or copying them.
#include <gtest/gtest.h>

#include <memory>
#include <numeric>
#include <vector>

#include "kernel/tcp/reassembly.h"

using namespace hostwire;
using hostwire::tcp::Reassembly;

namespace {
std::vector<uint8_t> peeked(const Reassembly& r, size_t stop_after = SIZE_MAX) {
  std::vector<uint8_t> out;
  r.peek([&](std::span<const uint8_t> run) {
    out.insert(out.end(), run.begin(), run.end());
    return out.size() < stop_after;
  });
  return out;
}
}  // namespace

TEST(ReassemblyPeek, SeesTheReadableBytesInOrderWithoutTakingThem) {
  auto data = std::make_shared<std::vector<uint8_t>>(3000);
  std::iota(data->begin(), data->end(), 0);
  Reassembly r;
  r.insert(0, PayloadSlice{data, 0, 1000});
  r.insert(2000, PayloadSlice{data, 2000, 1000});  // out of order: not readable yet
  EXPECT_EQ(peeked(r), std::vector<uint8_t>(data->begin(), data->begin() + 1000));
  r.insert(1000, PayloadSlice{data, 1000, 1000});  // fills the hole
  ASSERT_EQ(r.readable(), 3000u);
  EXPECT_EQ(peeked(r), *data);
  EXPECT_EQ(r.readable(), 3000u) << "peeking takes nothing";
  // After a partial read the peek starts at the first unread byte.
  std::vector<uint8_t> buf(1500);
  ASSERT_EQ(r.read(buf), 1500u);
  EXPECT_EQ(peeked(r), std::vector<uint8_t>(data->begin() + 1500, data->end()));
  // The visitor can stop early: runs after it said no are not visited.
  EXPECT_EQ(peeked(r, 1).size(), 500u) << "only the rest of the first run";
}
