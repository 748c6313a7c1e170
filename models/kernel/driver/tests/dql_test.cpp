// Byte queue limits against the behaviour of Linux's lib/dynamic_queue_limits.c.
#include <gtest/gtest.h>

#include "kernel/driver/dql.h"

using hostwire::Time;
using hostwire::kernel::DynamicQueueLimit;

TEST(Dql, StartsAtTheMinimumAndAdmitsOneObject) {
  DynamicQueueLimit d;
  EXPECT_EQ(d.limit(), 0);
  EXPECT_EQ(d.avail(), 0);  // the queue runs: one object may go
  d.queued(1514);
  EXPECT_LT(d.avail(), 0);  // now stopped until a completion
  EXPECT_EQ(d.in_flight(), 1514);
}

TEST(Dql, AStarvedQueueGrowsByWhatCompleted) {
  DynamicQueueLimit d;
  d.queued(1514);
  d.completed(1514, Time::from_us(1));  // over the limit and now empty: starved
  EXPECT_EQ(d.limit(), 1514);
  EXPECT_EQ(d.avail(), 1514);
  d.queued(1514);
  d.queued(1514);
  d.completed(3028, Time::from_us(2));  // starved again: grow by the interval's bytes
  EXPECT_GT(d.limit(), 1514);
  EXPECT_EQ(d.in_flight(), 0);
}

TEST(Dql, ConvergesToWhatOneCompletionIntervalNeeds) {
  // A NIC that completes 4 frames per interrupt, fed by a sender that always has more: the
  // limit settles where the ring never runs dry, then slack shrinks it after the hold time.
  DynamicQueueLimit::Params p;
  p.slack_hold = Time::from_ms(1);
  DynamicQueueLimit d(p);
  const int64_t frame = 1500;
  Time t{};
  int64_t peak = 0;
  for (int i = 0; i < 2000; ++i) {
    while (d.avail() >= 0) d.queued(frame);
    const int64_t done = std::min<int64_t>(4 * frame, d.in_flight());
    t = t + Time::from_us(5);
    d.completed(done, t);
    peak = std::max(peak, d.limit());
  }
  EXPECT_GE(d.limit(), 4 * frame);       // never less than one interval's bytes
  EXPECT_LE(d.limit(), 3 * 4 * frame);   // and well below what an unbounded queue would hold
  EXPECT_LE(d.limit(), peak);
}

TEST(Dql, LimitStaysInsideItsBounds) {
  DynamicQueueLimit::Params p;
  p.min_limit = 3000;
  p.max_limit = 6000;
  DynamicQueueLimit d(p);
  EXPECT_EQ(d.limit(), 3000);
  for (int i = 0; i < 50; ++i) {
    while (d.avail() >= 0) d.queued(1500);
    d.completed(d.in_flight(), Time::from_us(i + 1));  // starved every time
  }
  EXPECT_EQ(d.limit(), 6000);
}
