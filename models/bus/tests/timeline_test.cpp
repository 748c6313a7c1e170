// Occupancy of one resource: first come first served, exact busy time around future bookings.
#include <gtest/gtest.h>

#include "bus/timeline.h"

using namespace hostwire;
using namespace hostwire::bus;

TEST(Timeline, LaterBookingsQueueBehindEarlierOnes) {
  Timeline t;
  EXPECT_EQ(t.book(Time{100}, Time{50}).ps, 100);
  EXPECT_EQ(t.book(Time{120}, Time{30}).ps, 150);  // ready while busy: waits
  EXPECT_EQ(t.book(Time{0}, Time{10}).ps, 180);    // booked later, so served later
  EXPECT_EQ(t.book(Time{500}, Time{20}).ps, 500);  // idle gap before it
  EXPECT_EQ(t.next_free().ps, 520);
  ASSERT_EQ(t.ahead().size(), 2u);  // [100,190) merged, [500,520)
  EXPECT_EQ(t.ahead()[0].end_ps, 190);
}

TEST(Timeline, BusyTimeIsExactAtAnyInstant) {
  Timeline t;
  t.book(Time{100}, Time{50});
  t.book(Time{300}, Time{100});
  EXPECT_EQ(t.busy_before(Time{0}).ps, 0);
  EXPECT_EQ(t.busy_before(Time{120}).ps, 20);
  EXPECT_EQ(t.busy_before(Time{200}).ps, 50);
  EXPECT_EQ(t.busy_before(Time{350}).ps, 100);
  EXPECT_EQ(t.busy_before(Time{1000}).ps, 150);
  t.retire(Time{320});  // folds [100,150) only
  EXPECT_EQ(t.ahead().size(), 1u);
  EXPECT_EQ(t.busy_before(Time{320}).ps, 70);
  EXPECT_EQ(t.busy_before(Time{1000}).ps, 150);
  t.retire(Time{400});
  EXPECT_TRUE(t.ahead().empty());
  EXPECT_EQ(t.busy_before(Time{400}).ps, 150);
}

TEST(Timeline, ZeroDurationBookingsTakeNoTime) {
  Timeline t;
  EXPECT_EQ(t.book(Time{5}, Time{0}).ps, 5);
  EXPECT_TRUE(t.ahead().empty());
  EXPECT_EQ(t.busy_before(Time{100}).ps, 0);
}
