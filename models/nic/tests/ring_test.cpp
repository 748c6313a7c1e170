#include "nic/ring.h"

#include <deque>
#include <functional>
#include <numeric>
#include <vector>

#include <gtest/gtest.h>

namespace hostwire::nic {
namespace {

TEST(RingIndices, EmptyAndFullLeaveOneSlotOpen) {
  RingIndices r(4);
  EXPECT_TRUE(r.empty());
  EXPECT_FALSE(r.full());
  EXPECT_EQ(r.capacity(), 3u);
  EXPECT_EQ(r.free_slots(), 3u);
  r.produce(3);
  EXPECT_TRUE(r.full());  // tail + 1 == head
  EXPECT_EQ(r.tail(), 3u);
  EXPECT_EQ(r.advance(r.tail(), 1), r.head());
  EXPECT_EQ(r.occupancy(), 3u);
  EXPECT_EQ(r.free_slots(), 0u);
  r.consume(3);
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.head(), 3u);
}

TEST(RingIndices, WrapAroundOnAnySize) {
  RingIndices r(5);  // not a power of two
  EXPECT_EQ(r.advance(3, 1), 4u);
  EXPECT_EQ(r.advance(4, 1), 0u);
  EXPECT_EQ(r.advance(3, 4), 2u);
  EXPECT_EQ(r.advance(2, 5), 2u);
  EXPECT_EQ(r.distance(3, 1), 3u);
  EXPECT_EQ(r.distance(1, 3), 2u);
  EXPECT_EQ(r.distance(2, 2), 0u);
  r.produce(4);
  r.consume(4);
  r.produce(3);  // tail wraps past the end: 4 -> 2
  EXPECT_EQ(r.head(), 4u);
  EXPECT_EQ(r.tail(), 2u);
  EXPECT_EQ(r.occupancy(), 3u);
  EXPECT_EQ(r.free_slots(), 1u);
  RingIndices two(2);  // the smallest ring holds one descriptor
  two.produce(1);
  EXPECT_TRUE(two.full());
  two.consume(1);
  two.produce(1);
  EXPECT_EQ(two.tail(), 0u);
  EXPECT_TRUE(two.full());
}

TEST(RingIndices, BatchSplitsAtTheEndOfTheRing) {
  RingIndices r(8);
  const RingBatch inside = r.batch(2, 4);
  EXPECT_EQ(inside.segment_count(), 1u);
  EXPECT_EQ(inside.segments[0], (RingSegment{2, 4}));
  const RingBatch exact = r.batch(4, 4);  // ends on the last slot: still one burst
  EXPECT_EQ(exact.segment_count(), 1u);
  const RingBatch wraps = r.batch(6, 5);
  EXPECT_EQ(wraps.segment_count(), 2u);
  EXPECT_EQ(wraps.segments[0], (RingSegment{6, 2}));
  EXPECT_EQ(wraps.segments[1], (RingSegment{0, 3}));
  EXPECT_EQ(r.batch(3, 0).segment_count(), 0u);
}

TEST(DescriptorRing, BatchFetchAcrossTheWrap) {
  DescriptorRing<int> ring(8);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(ring.post(i));
  ring.ring_doorbell();
  std::vector<int> out(6);
  ASSERT_EQ(ring.fetch(out), 6u);  // head at 6
  const std::vector<int> next = {10, 11, 12, 13, 14};
  ASSERT_EQ(ring.post(next), 5u);  // slots 6, 7, 0, 1, 2
  ring.ring_doorbell();
  const RingBatch b = ring.peek(4);
  EXPECT_EQ(b.count, 4u);
  EXPECT_EQ(b.segments[0], (RingSegment{6, 2}));
  EXPECT_EQ(b.segments[1], (RingSegment{0, 2}));
  EXPECT_EQ(ring.at(0), 12);
  std::vector<int> got(4);
  ASSERT_EQ(ring.fetch(got), 4u);
  EXPECT_EQ(got, (std::vector<int>{10, 11, 12, 13}));
  ASSERT_EQ(ring.fetch(got), 1u);  // fewer than asked: a short batch
  EXPECT_EQ(got[0], 14);
  EXPECT_TRUE(ring.empty());
}

TEST(DescriptorRing, NicFetchesOnlyUpToTheDoorbell) {
  DescriptorRing<int> ring(16);
  ring.post(1);
  ring.post(2);
  EXPECT_EQ(ring.available(), 0u);
  EXPECT_EQ(ring.unpublished(), 2u);
  EXPECT_EQ(ring.ring_doorbell(), 2u);
  ring.post(3);
  EXPECT_EQ(ring.available(), 2u);
  EXPECT_EQ(ring.occupancy(), 3u);
  std::vector<int> out(8);
  EXPECT_EQ(ring.fetch(out), 2u);
  EXPECT_EQ(ring.ring_doorbell(), 1u);
  EXPECT_EQ(ring.ring_doorbell(), 0u);  // a second doorbell with nothing new exposes nothing
  ring.consume(1);
  EXPECT_TRUE(ring.empty());
}

TEST(RxRing, FullRingDropsAndCounts) {
  RxRing<int> rx(4);
  EXPECT_TRUE(rx.deliver(1));
  EXPECT_TRUE(rx.deliver(2));
  EXPECT_TRUE(rx.deliver(3));
  EXPECT_FALSE(rx.deliver(4));
  EXPECT_FALSE(rx.deliver(5));
  EXPECT_EQ(rx.delivered(), 3u);
  EXPECT_EQ(rx.dropped_full(), 2u);
  EXPECT_EQ(rx.available(), 3u);  // each delivery is visible at once
  std::vector<int> poll(2);       // a NAPI poll with budget 2
  EXPECT_EQ(rx.fetch(poll), 2u);
  EXPECT_EQ(poll, (std::vector<int>{1, 2}));
  EXPECT_TRUE(rx.deliver(6));
  EXPECT_TRUE(rx.deliver(7));
  EXPECT_FALSE(rx.deliver(8));
  EXPECT_EQ(rx.dropped_full(), 3u);
  EXPECT_EQ(rx.delivered() - rx.occupancy(), 2u);  // delivered = polled + still in the ring
}

TEST(TxRing, FullRingPushesBackWithoutLosingDescriptors) {
  TxRing<int> tx(3);
  const std::vector<int> burst = {1, 2, 3, 4};
  EXPECT_EQ(tx.post(burst), 2u);  // the stack must hold 3 and 4
  EXPECT_FALSE(tx.post(3));
  tx.ring_doorbell();
  std::vector<int> out(1);
  tx.fetch(out);
  EXPECT_TRUE(tx.post(3));
  tx.ring_doorbell();
  std::vector<int> rest(4);
  EXPECT_EQ(tx.fetch(rest), 2u);
  EXPECT_EQ(rest[0], 2);
  EXPECT_EQ(rest[1], 3);
}

// Every sequence of up to kDepth operations on rings of 2..7 slots, against a plain FIFO with
// capacity size - 1 and a count of descriptors behind the doorbell.
struct Reference {
  std::deque<int> q;
  size_t published = 0;
};

enum class Op { post_one, post_three, doorbell, fetch_one, fetch_two, fetch_five, peek_consume_two };
constexpr Op kOps[] = {Op::post_one, Op::post_three, Op::doorbell, Op::fetch_one,
                       Op::fetch_two, Op::fetch_five, Op::peek_consume_two};
// Every sequence of 7 operations (7^7 per size); 6 under AddressSanitizer, whose checks make
// the 823,543 copies of ring and reference the instrumented suite's slowest test.
#if defined(__SANITIZE_ADDRESS__)
constexpr int kDepth = 6;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr int kDepth = 6;
#else
constexpr int kDepth = 7;
#endif
#else
constexpr int kDepth = 7;
#endif

TEST(DescriptorRing, ExhaustiveSmallSizesAgainstReferenceQueue) {
  uint64_t checked = 0;
  for (uint32_t size = 2; size <= 7; ++size) {
    const size_t cap = size - 1;
    int next_value = 0;
    std::function<void(const DescriptorRing<int>&, const Reference&, int)> explore;
    explore = [&](const DescriptorRing<int>& ring_in, const Reference& ref_in, int depth) {
      ++checked;
      ASSERT_EQ(ring_in.occupancy(), ref_in.q.size());
      ASSERT_EQ(ring_in.free_slots(), cap - ref_in.q.size());
      ASSERT_EQ(ring_in.available(), ref_in.published);
      ASSERT_EQ(ring_in.empty(), ref_in.q.empty());
      ASSERT_EQ(ring_in.full(), ref_in.q.size() == cap);
      ASSERT_LT(ring_in.indices().head(), size);
      ASSERT_LT(ring_in.indices().tail(), size);
      if (depth == kDepth) return;
      for (Op op : kOps) {
        DescriptorRing<int> ring = ring_in;
        Reference ref = ref_in;
        auto take = [&](size_t k, std::span<const int> got) {
          const size_t n = std::min(k, ref.published);
          ASSERT_EQ(got.size(), n);
          for (size_t i = 0; i < n; ++i) {
            ASSERT_EQ(got[i], ref.q.front());
            ref.q.pop_front();
          }
          ref.published -= n;
        };
        switch (op) {
          case Op::post_one: {
            const int v = next_value++;
            const bool fits = ref.q.size() < cap;
            ASSERT_EQ(ring.post(v), fits);
            if (fits) ref.q.push_back(v);
            break;
          }
          case Op::post_three: {
            std::vector<int> vs(3);
            std::iota(vs.begin(), vs.end(), next_value);
            next_value += 3;
            const size_t fits = std::min<size_t>(3, cap - ref.q.size());
            ASSERT_EQ(ring.post(vs), fits);
            ref.q.insert(ref.q.end(), vs.begin(), vs.begin() + static_cast<ptrdiff_t>(fits));
            break;
          }
          case Op::doorbell:
            ASSERT_EQ(ring.ring_doorbell(), ref.q.size() - ref.published);
            ref.published = ref.q.size();
            break;
          case Op::fetch_one:
          case Op::fetch_two:
          case Op::fetch_five: {
            std::vector<int> out(op == Op::fetch_one ? 1 : op == Op::fetch_two ? 2 : 5);
            const uint32_t n = ring.fetch(out);
            take(out.size(), std::span<const int>(out.data(), n));
            break;
          }
          case Op::peek_consume_two: {
            const RingBatch b = ring.peek(2);
            std::vector<int> got;
            for (uint32_t s = 0; s < b.segment_count(); ++s)
              for (uint32_t i = 0; i < b.segments[s].count; ++i) got.push_back(ring.at(b.segments[s].first + i));
            ring.consume(b.count);
            take(2, got);
            break;
          }
        }
        explore(ring, ref, depth + 1);
        if (::testing::Test::HasFatalFailure()) return;
      }
    };
    explore(DescriptorRing<int>(size), Reference{}, 0);
    if (::testing::Test::HasFatalFailure()) return;
  }
  // 6 sizes x (7^(d+1) - 1) / 6 states each.
  EXPECT_GT(checked, kDepth == 7 ? 5'000'000u : 700'000u);
}

}  // namespace
}  // namespace hostwire::nic
