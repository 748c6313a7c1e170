// Sequence-space arithmetic across the 2^32 wrap, and a transfer whose sequence numbers wrap.
#include <gtest/gtest.h>

#include "engine_fixtures.h"
#include "kernel/tcp/seq.h"
#include "testing/pipe.h"

namespace hostwire::tcp {
namespace {

TEST(TcpSeq, ComparisonsAcrossTheWrap) {
  EXPECT_TRUE(seq_lt(0xFFFFFFF0u, 0x10u));
  EXPECT_TRUE(seq_gt(0x10u, 0xFFFFFFF0u));
  EXPECT_EQ(seq_diff(0x10u, 0xFFFFFFF0u), 32);
  EXPECT_EQ(seq_diff(0xFFFFFFF0u, 0x10u), -32);
  EXPECT_TRUE(seq_leq(5u, 5u));
  EXPECT_TRUE(seq_geq(5u, 5u));
  EXPECT_FALSE(seq_lt(5u, 5u));
  // 2^31 - 1 ahead is still "after"; the comparison is only defined within half the space.
  EXPECT_TRUE(seq_gt(0x7FFFFFFFu, 0u));
  EXPECT_TRUE(seq_lt(0x80000001u, 0u));
  EXPECT_TRUE(seq_in(0x2u, 0xFFFFFFFEu, 0x5u));
  EXPECT_FALSE(seq_in(0x5u, 0xFFFFFFFEu, 0x5u));
  EXPECT_TRUE(seq_in(0xFFFFFFFEu, 0xFFFFFFFEu, 0x5u));
}

TEST(TcpSeq, UnwrapToPositionsNearAReference) {
  const SeqSpace s{0xFFFFFF00u};
  EXPECT_EQ(s.wire(0), 0xFFFFFF00u);
  EXPECT_EQ(s.wire(0x100), 0u);
  EXPECT_EQ(s.wire(0x200), 0x100u);
  EXPECT_EQ(s.unwrap(0x100u, 0x1F0), 0x200u);      // just past the wrap, seen from before it
  EXPECT_EQ(s.unwrap(0xFFFFFFF0u, 0x200), 0xF0u);  // before the wrap, seen from after it
  EXPECT_EQ(s.unwrap(0x100u + 0x10000u, 0x200), 0x10200u);
  // Positions keep counting past 2^32: the third lap.
  const uint64_t far = (uint64_t{3} << 32) + 0x80;
  EXPECT_EQ(s.unwrap(s.wire(far), far - 1000), far);
}

TEST(TcpSeq, TransferAcrossTheWrapWithLoss) {
  // Both initial sequence numbers 64 KiB below 2^32: the data and the ACKs wrap early on.
  TcpParams p;
  harness::PathParams path;
  path.loss = 0.01;
  harness::PathParams back;
  harness::Pipe pipe(p, p, path, back, 5, 0xFFFF0000u, 0xFFFFFF00u);
  bool wrapped = false;
  pipe.on_wire = [&](const Segment& s, harness::Dir d, Time) {
    if (d == harness::Dir::a_to_b && s.payload.length > 0 && s.header.seq < 0x10000000u) wrapped = true;
  };
  pipe.connect();
  pipe.bulk(1 << 20);
  ASSERT_TRUE(pipe.run_until([&] { return pipe.both_closed(); }, Time::from_s(300)));
  EXPECT_TRUE(wrapped);
  EXPECT_GT(pipe.stats(harness::Dir::a_to_b).dropped, 0u);
  EXPECT_EQ(pipe.received_bytes(), 1u << 20);
  EXPECT_EQ(pipe.received_digest(), pipe.sent_digest());
  EXPECT_EQ(pipe.a.close_reason(), CloseReason::none);
}

}  // namespace
}  // namespace hostwire::tcp
