#include "nic/moderation.h"

#include <cstdlib>

#include <gtest/gtest.h>

namespace hostwire::nic {
namespace {

Time us(int64_t v) { return Time::from_us(v); }
Time ns(int64_t v) { return Time::from_ns(v); }

TEST(Moderation, FiresWhenThePacketThresholdIsReached) {
  InterruptModerator m({us(100), 3, {}});
  EXPECT_FALSE(m.on_packet(ns(0)));
  EXPECT_FALSE(m.on_packet(ns(10)));
  EXPECT_TRUE(m.on_packet(ns(20)));
  EXPECT_EQ(m.pending(), 0u);
  EXPECT_FALSE(m.deadline());
  EXPECT_EQ(m.interrupts(), 1u);
}

TEST(Moderation, FiresOnTheTimerWhenPacketsStop) {
  InterruptModerator m({us(5), 32, {}});
  EXPECT_FALSE(m.on_packet(us(1)));
  EXPECT_FALSE(m.on_packet(us(2)));
  ASSERT_TRUE(m.deadline());
  EXPECT_EQ(*m.deadline(), us(6));  // from the first pending completion, not the last
  EXPECT_FALSE(m.on_timer(us(5)));
  EXPECT_TRUE(m.on_timer(us(6)));
  EXPECT_FALSE(m.on_timer(us(7)));  // nothing pending
}

TEST(Moderation, ZeroTimeThresholdInterruptsPerCompletion) {
  InterruptModerator m({Time{}, 64, {}});
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(m.on_packet(us(i)));
  EXPECT_EQ(m.interrupts(), 5u);
}

TEST(Moderation, MinimumIntervalHoldsADueInterrupt) {
  InterruptModerator m({Time{}, 1, us(10)});  // ITR alone: at most one interrupt per 10 us
  EXPECT_TRUE(m.on_packet(us(0)));
  EXPECT_FALSE(m.on_packet(us(3)));
  EXPECT_FALSE(m.on_packet(us(4)));
  EXPECT_EQ(*m.deadline(), us(10));
  EXPECT_FALSE(m.on_timer(us(9)));
  EXPECT_TRUE(m.on_timer(us(10)));
  EXPECT_FALSE(m.on_packet(us(12)));
  EXPECT_EQ(*m.deadline(), us(20));
}

TEST(Moderation, MaskedWhileNapiPollsThenUnmaskedWithBacklog) {
  InterruptModerator m({us(5), 2, {}});
  m.on_packet(us(0));
  EXPECT_TRUE(m.on_packet(us(1)));
  m.mask();
  EXPECT_FALSE(m.on_packet(us(2)));
  EXPECT_FALSE(m.on_packet(us(3)));
  EXPECT_FALSE(m.on_packet(us(4)));
  EXPECT_FALSE(m.deadline());
  EXPECT_FALSE(m.unmask(us(8)));  // the poll drained the ring
  EXPECT_EQ(m.pending(), 0u);
  m.mask();
  EXPECT_TRUE(m.unmask(us(9), 5));  // left work behind: fires at once (5 >= 2)
  m.mask();
  EXPECT_FALSE(m.unmask(us(10), 1));  // one left: the timer starts at unmask
  EXPECT_EQ(*m.deadline(), us(15));
  EXPECT_EQ(m.interrupts(), 2u);
}

// Feeds completions every `interval` for `duration` to the logic, with its timer, and counts
// interrupts. At equal times a completion is handled before the timer, as the analytic count
// assumes (a completion landing exactly at the deadline is covered by that interrupt).
uint64_t simulate(const ModerationParams& p, Time interval, Time duration) {
  InterruptModerator m(p);
  Time next{};
  for (;;) {
    const auto deadline = m.deadline();
    if (next < duration && (!deadline || next <= *deadline)) {
      m.on_packet(next);
      next = next + interval;
    } else if (deadline && *deadline < duration) {
      EXPECT_TRUE(m.on_timer(*deadline));
      if (::testing::Test::HasFailure()) break;
    } else {
      break;
    }
  }
  return m.interrupts();
}

TEST(Moderation, ConstantRateMatchesTheAnalyticCountWithinOne) {
  struct Case {
    Time interval;
    ModerationParams p;
  };
  const Case cases[] = {
      {ns(100), {us(16), 32, {}}},    // packet threshold first: 32 packets per interrupt
      {ns(1230), {us(16), 32, {}}},   // timer first: floor(16 / 1.23) + 1 = 14 per interrupt
      {ns(500), {us(5), 11, {}}},     // both at once: 10 intervals == 5 us
      {ns(67), {Time{}, 1, {}}},      // one per completion
      {ns(67), {us(1), 1000, {}}},    // timer only, interval not dividing it
      {ns(100), {us(2), 8, us(20)}},  // ITR limit dominates: one per 20 us
      {ns(333), {us(3), 7, us(2)}},   // ITR limit below the natural period: no effect
      {us(50), {us(16), 32, {}}},     // slow rate: every completion waits out the timer
      {ns(70), {us(1), 5, ns(333)}},  // 5 packets (350 ns) just longer than the ITR limit
      {ns(77), {ns(500), 100, ns(1001)}},  // timer (7 packets, 539 ns) held to 1001 ns, not a multiple
  };
  const Time duration = Time::from_ms(10);
  for (const auto& c : cases) {
    const uint64_t sim = simulate(c.p, c.interval, duration);
    const uint64_t analytic = analytic_interrupts(c.p, c.interval, duration);
    EXPECT_LE(std::llabs(static_cast<long long>(sim) - static_cast<long long>(analytic)), 1)
        << "interval " << c.interval.ps << " ps, t " << c.p.time_threshold.ps << " ps, n " << c.p.packet_threshold
        << ", min " << c.p.min_interval.ps << " ps: simulated " << sim << ", analytic " << analytic;
    EXPECT_GT(analytic, 0u);
  }
}

TEST(Moderation, AnalyticPeriodPerRegime) {
  EXPECT_EQ(analytic_interrupt_period({us(16), 32, {}}, ns(100)), ns(3200));
  EXPECT_EQ(analytic_interrupt_period({us(16), 32, {}}, ns(1230)), ns(14 * 1230));
  EXPECT_EQ(analytic_interrupt_period({us(2), 8, us(20)}, ns(100)), us(20));
  EXPECT_EQ(analytic_interrupts({us(16), 32, {}}, ns(100), us(1)), 0u);  // the 32nd completion is at 3.1 us
  EXPECT_EQ(analytic_interrupts({us(16), 32, {}}, ns(100), ns(3101)), 1u);
  EXPECT_EQ(analytic_interrupts({us(16), 32, {}}, ns(100), ns(3100)), 0u);  // [0, duration): not yet
}

}  // namespace
}  // namespace hostwire::nic
