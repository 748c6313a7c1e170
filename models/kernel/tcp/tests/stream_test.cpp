// End-to-end transfers through the test pipe: the byte stream arrives intact whatever the
// path does, and the sender's retransmission counter agrees with what the path saw.
#include <gtest/gtest.h>

#include "engine_fixtures.h"
#include "testing/pipe.h"

namespace hostwire::tcp {
namespace {

using harness::Dir;
using harness::PathParams;
using harness::Pipe;

struct Outcome {
  uint64_t received = 0;
  bool digests_equal = false;
  bool closed = false;
  uint64_t retransmitted = 0, seen_twice = 0, timeouts = 0, fast = 0, dropped = 0;
  Time end{};
};

Outcome transfer(TcpParams p, PathParams path, uint64_t bytes, uint64_t seed, bool zero_copy = false) {
  PathParams back;
  back.delay = path.delay;
  Pipe pipe(p, p, path, back, seed);
  pipe.connect();
  pipe.bulk(bytes, true, zero_copy);
  Outcome r;
  r.closed = pipe.run_until([&] { return pipe.both_closed(); }, Time::from_s(600));
  r.received = pipe.received_bytes();
  r.digests_equal = pipe.received_digest() == pipe.sent_digest();
  r.retransmitted = pipe.a.retransmitted_segments();
  r.seen_twice = pipe.stats(Dir::a_to_b).seen_twice;
  r.timeouts = pipe.a.timeouts();
  r.fast = pipe.a.fast_retransmits();
  r.dropped = pipe.stats(Dir::a_to_b).dropped;
  r.end = pipe.now();
  return r;
}

TEST(TcpStream, CleanTransferDigestsMatch) {
  const Outcome r = transfer(TcpParams{}, PathParams{}, 1 << 20, 1);
  EXPECT_TRUE(r.closed);
  EXPECT_EQ(r.received, 1u << 20);
  EXPECT_TRUE(r.digests_equal);
  EXPECT_EQ(r.retransmitted, 0u);
  EXPECT_EQ(r.seen_twice, 0u);
}

TEST(TcpStream, RandomLossOnePercentSackAndNewReno) {
  for (bool sack : {true, false}) {
    for (const char* cc : {"newreno", "cubic"}) {
      for (uint64_t seed : {1, 2, 3}) {
        TcpParams p;
        p.sack = sack;
        p.congestion = cc;
        PathParams path;
        path.loss = 0.01;
        const Outcome r = transfer(p, path, 2 << 20, seed);
        SCOPED_TRACE(::testing::Message() << "sack=" << sack << " cc=" << cc << " seed=" << seed);
        EXPECT_TRUE(r.closed);
        EXPECT_EQ(r.received, 2u << 20);
        EXPECT_TRUE(r.digests_equal);
        EXPECT_GT(r.dropped, 0u);
        EXPECT_GE(r.retransmitted, 1u);
        // Every retransmission the sender counts is a segment the path saw a second time.
        EXPECT_EQ(r.retransmitted, r.seen_twice);
      }
    }
  }
}

}  // namespace
}  // namespace hostwire::tcp

namespace hostwire::tcp {
namespace {

using harness::Dir;
using harness::PathParams;
using harness::Pipe;

TEST(TcpStream, ReorderingAndDuplicationKeepTheStreamIntact) {
  for (bool sack : {true, false}) {
    for (uint64_t seed : {11, 12}) {
      SCOPED_TRACE(::testing::Message() << "sack=" << sack << " seed=" << seed);
      TcpParams p;
      p.sack = sack;
      PathParams path;
      path.reorder = 0.05;
      path.reorder_delay = Time::from_us(60);  // about five segment times at 1 Gbps
      path.duplicate = 0.02;
      path.corrupt = 0.005;
      PathParams back;
      back.duplicate = 0.02;
      back.reorder = 0.02;
      Pipe pipe(p, p, path, back, seed);
      pipe.connect();
      pipe.bulk(2 << 20, true, seed % 2 == 0);
      ASSERT_TRUE(pipe.run_until([&] { return pipe.both_closed(); }, Time::from_s(300)));
      EXPECT_EQ(pipe.received_bytes(), 2u << 20);
      EXPECT_EQ(pipe.received_digest(), pipe.sent_digest());
      EXPECT_EQ(pipe.a.retransmitted_segments(), pipe.stats(Dir::a_to_b).seen_twice);
      EXPECT_EQ(pipe.a.bytes_acked(), 2u << 20);
      EXPECT_EQ(pipe.b.bytes_received(), 2u << 20);
    }
  }
}

TEST(TcpStream, TsoSegmentsUpTo64KiB) {
  TcpParams p;
  p.tso_max = Bytes{65536};
  for (double loss : {0.0, 0.01}) {
    SCOPED_TRACE(loss);
    PathParams path;
    path.loss = loss;
    Pipe pipe(p, p, path, PathParams{}, 3);
    uint32_t largest = 0;
    pipe.on_wire = [&](const Segment& s, Dir d, Time) {
      if (d == Dir::a_to_b) largest = std::max(largest, s.payload.length);
    };
    pipe.connect();
    pipe.bulk(8 << 20);
    ASSERT_TRUE(pipe.run_until([&] { return pipe.both_closed(); }, Time::from_s(300)));
    EXPECT_EQ(largest, 45u * 1448);  // whole MSS multiples up to 64 KiB
    EXPECT_EQ(pipe.received_digest(), pipe.sent_digest());
    if (loss > 0) {
      EXPECT_GT(pipe.a.retransmitted_segments(), 0u);
    }
  }
}

TEST(TcpStream, BulkTransferAtTenGigabit) {
  // 50 MB at 10 Gbps through a 20 us path: about 36k segments each way.
  TcpParams p;
  PathParams path;
  path.rate = Rate::from_gbps(10);
  path.delay = Time::from_us(10);
  PathParams back = path;
  Pipe pipe(p, p, path, back, 9);
  pipe.connect();
  pipe.bulk(50'000'000, true, true);
  ASSERT_TRUE(pipe.run_until([&] { return pipe.received_bytes() == 50'000'000; }, Time::from_s(10)));
  EXPECT_EQ(pipe.received_digest(), pipe.sent_digest());
  // Slow start overshoots the 4 MB queue once; the losses are repaired without a timeout.
  EXPECT_EQ(pipe.a.retransmitted_segments(), pipe.stats(Dir::a_to_b).seen_twice);
  EXPECT_EQ(pipe.a.timeouts(), 0u);
  // Close to line rate: 50 MB of payload needs 41.3 ms of wire time with framing.
  EXPECT_LT(pipe.now(), Time::from_ms(60));
}

}  // namespace
}  // namespace hostwire::tcp
