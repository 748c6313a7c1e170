#include "newreno.h"

#include <cmath>

#include <gtest/gtest.h>

#include "ack_clock.h"
#include "congestion.h"

namespace hostwire::tcp {
namespace {

using cc_test::ack_at;
using cc_test::ack_round;

constexpr uint64_t kMss = 1448;
const Time kRtt = Time::from_ms(10);

CongestionParams params(uint32_t initial_window = 10) {
  CongestionParams p;
  p.mss = kMss;
  p.initial_window = initial_window;
  return p;
}

// A NewReno in congestion avoidance at exactly `segments` segments with nothing counted yet.
NewReno in_avoidance_at(uint32_t segments) {
  CongestionParams p = params(segments);
  p.initial_ssthresh = segments * kMss;
  return NewReno(p);
}

TEST(NewReno, StartsAtTheInitialWindowWithAnUnboundedThreshold) {
  NewReno cc(params());
  EXPECT_EQ(cc.cwnd(), 10 * kMss);
  EXPECT_EQ(cc.ssthresh(), UINT32_MAX);
  EXPECT_STREQ(cc.name(), "newreno");
}

TEST(NewReno, SlowStartDoublesEveryRoundTrip) {
  NewReno cc(params());
  Time now{};
  for (uint64_t expect : {20, 40, 80, 160, 320}) {
    ack_round(cc, now, kRtt, kMss);
    now = now + kRtt;
    EXPECT_EQ(cc.cwnd(), expect * kMss);
  }
}

TEST(NewReno, SlowStartCountsAtMostOneSegmentPerAck) {
  // RFC 5681 3.1: cwnd += min(N, SMSS). With an ACK every second segment, a round of 10
  // segments gives 5 ACKs and +5 segments, not +10.
  NewReno cc(params());
  for (int i = 0; i < 5; ++i) cc.on_ack(ack_at(Time::from_ms(i + 1), 2 * kMss, kRtt));
  EXPECT_EQ(cc.cwnd(), 15 * kMss);
  // A partial segment counts as what it acknowledges.
  cc.on_ack(ack_at(Time::from_ms(6), 100, kRtt));
  EXPECT_EQ(cc.cwnd(), 15 * kMss + 100);
}

TEST(NewReno, SlowStartStopsExactlyAtSsthresh) {
  NewReno cc(params());
  cc.on_rto(Time{}, 200 * kMss);
  EXPECT_EQ(cc.ssthresh(), 100 * kMss);
  EXPECT_EQ(cc.cwnd(), kMss);
  Time now{};
  for (uint64_t expect : {2, 4, 8, 16, 32, 64, 100}) {
    ack_round(cc, now, kRtt, kMss);
    now = now + kRtt;
    EXPECT_EQ(cc.cwnd(), expect * kMss);
  }
  EXPECT_FALSE(cc.in_slow_start());
}

TEST(NewReno, CongestionAvoidanceAddsOneSegmentPerRoundTrip) {
  NewReno cc = in_avoidance_at(100);
  ASSERT_EQ(cc.cwnd(), 100 * kMss);
  Time now = Time::from_s(1);
  for (uint64_t r = 1; r <= 50; ++r) {
    ack_round(cc, now, kRtt, kMss);
    now = now + kRtt;
    EXPECT_EQ(cc.cwnd(), (100 + r) * kMss);  // byte counting: exact when a round acks all of cwnd
  }
}

TEST(NewReno, CongestionAvoidanceFromAnOddWindowGrowsOneSegmentPerRoundWithinRounding) {
  // ssthresh = 72400 + 700 B is not whole segments; the sender can only send whole segments, so
  // a round acks a little less than cwnd and growth lags slightly behind 1 SMSS per RTT.
  NewReno cc(params(1));
  cc.on_rto(Time{}, 2 * (50 * kMss + 700));
  Time now{};
  while (cc.in_slow_start()) {
    ack_round(cc, now, kRtt, kMss);
    now = now + kRtt;
  }
  const uint64_t start = cc.cwnd();
  ASSERT_EQ(start, 50 * kMss + 700);
  for (int r = 0; r < 100; ++r) {
    ack_round(cc, now, kRtt, kMss);
    now = now + kRtt;
  }
  const double grown = static_cast<double>(cc.cwnd() - start) / kMss;
  EXPECT_GE(grown, 98.0);
  EXPECT_LE(grown, 100.0);
}

TEST(NewReno, EnterRecoveryHalvesTheFlightAndSetsCwndToIt) {
  NewReno cc(params(100));
  cc.on_enter_recovery(Time{}, 100 * kMss);
  EXPECT_EQ(cc.ssthresh(), 72400u);
  EXPECT_EQ(cc.cwnd(), 72400u);  // no +3 SMSS: the connection's pipe accounts for the dup ACKs
  // FlightSize, not cwnd: an application-limited sender with 30 segments out halves those.
  NewReno limited(params(100));
  limited.on_enter_recovery(Time{}, 30 * kMss);
  EXPECT_EQ(limited.ssthresh(), 15 * kMss);
  EXPECT_EQ(limited.cwnd(), 15 * kMss);
}

TEST(NewReno, EnterRecoveryNeverGoesBelowTwoSegments) {
  NewReno cc(params());
  cc.on_enter_recovery(Time{}, 3000);
  EXPECT_EQ(cc.ssthresh(), 2 * kMss);
  EXPECT_EQ(cc.cwnd(), 2 * kMss);
}

TEST(NewReno, NoGrowthDuringRecovery) {
  NewReno cc(params(100));
  cc.on_enter_recovery(Time{}, 100 * kMss);
  for (int i = 0; i < 200; ++i) {
    cc.on_ack(ack_at(Time::from_us(i), kMss, kRtt, false, /*in_recovery=*/true));
  }
  EXPECT_EQ(cc.cwnd(), 72400u);
}

TEST(NewReno, ExitRecoveryDeflatesToSsthreshOrFlightPlusOneSegment) {
  // RFC 6582 3.2 step 3 option (1): min(ssthresh, max(FlightSize, SMSS) + SMSS).
  NewReno full(params(100));
  full.on_enter_recovery(Time{}, 100 * kMss);
  full.on_exit_recovery(Time{}, 60 * kMss);
  EXPECT_EQ(full.cwnd(), 72400u);  // 61 segments would exceed ssthresh
  EXPECT_EQ(full.ssthresh(), 72400u);

  NewReno drained(params(100));
  drained.on_enter_recovery(Time{}, 100 * kMss);
  drained.on_exit_recovery(Time{}, 10000);
  EXPECT_EQ(drained.cwnd(), 10000 + kMss);
  EXPECT_TRUE(drained.in_slow_start());  // and climbs back to ssthresh in slow start

  NewReno empty(params(100));
  empty.on_enter_recovery(Time{}, 100 * kMss);
  empty.on_exit_recovery(Time{}, 0);
  EXPECT_EQ(empty.cwnd(), 2 * kMss);
}

TEST(NewReno, RetransmissionTimeoutSetsTheLossWindow) {
  NewReno cc(params(100));
  cc.on_rto(Time{}, 100 * kMss);
  EXPECT_EQ(cc.ssthresh(), 72400u);
  EXPECT_EQ(cc.cwnd(), kMss);
  NewReno tiny(params());
  tiny.on_rto(Time{}, kMss);
  EXPECT_EQ(tiny.ssthresh(), 2 * kMss);
  EXPECT_EQ(tiny.cwnd(), kMss);
}

TEST(NewReno, RepeatedTimeoutHoldsSsthresh) {
  // RFC 5681 3.1: a segment already retransmitted by the timer times out again -> ssthresh held.
  NewReno cc(params(100));
  cc.on_rto(Time{}, 100 * kMss);
  cc.on_rto(Time::from_ms(400), 2 * kMss);
  EXPECT_EQ(cc.ssthresh(), 72400u);
  EXPECT_EQ(cc.cwnd(), kMss);
  // Once new data is acknowledged, the next timeout is a new one.
  cc.on_ack(ack_at(Time::from_ms(500), kMss, kRtt));
  cc.on_rto(Time::from_ms(900), 10 * kMss);
  EXPECT_EQ(cc.ssthresh(), 5 * kMss);
  EXPECT_EQ(cc.cwnd(), kMss);
}

TEST(NewReno, TimeoutClearsTheAvoidanceByteCount) {
  // 99 segments acked towards the next +1 SMSS at cwnd = 100; after the RTO, the climb back to
  // the same cwnd (whose last round leaves 28 segments counted) and one more segment, the count
  // is 29 segments, not 128.
  NewReno cc = in_avoidance_at(100);
  for (int i = 0; i < 99; ++i) cc.on_ack(ack_at(Time::from_s(1), kMss, kRtt));
  ASSERT_EQ(cc.cwnd(), 100 * kMss);
  cc.on_rto(Time::from_s(2), 200 * kMss);
  Time now = Time::from_s(2);
  while (cc.in_slow_start()) {
    ack_round(cc, now, kRtt, kMss);
    now = now + kRtt;
  }
  ASSERT_EQ(cc.cwnd(), 100 * kMss);
  cc.on_ack(ack_at(now, kMss, kRtt));
  EXPECT_EQ(cc.cwnd(), 100 * kMss);
}

TEST(NewReno, ApplicationLimitedAcksDoNotGrowTheWindow) {
  NewReno ss(params());
  for (int i = 0; i < 10; ++i) ss.on_ack(ack_at(Time::from_ms(i), kMss, kRtt, /*app_limited=*/true));
  EXPECT_EQ(ss.cwnd(), 10 * kMss);
  NewReno ca = in_avoidance_at(20);
  for (int i = 0; i < 100; ++i) ca.on_ack(ack_at(Time::from_s(1), kMss, kRtt, /*app_limited=*/true));
  EXPECT_EQ(ca.cwnd(), 20 * kMss);
}

TEST(NewReno, PeriodicLossFollowsTheSquareRootLaw) {
  // Mathis et al. 1997: with one loss every 1/p segments, Reno's mean window is sqrt(3/(2p)):
  // 38.7 and 122.5 segments; measured 37.0 and 119.8 (whole segments and the flat recovery
  // round keep it a little below the law).
  for (uint64_t period : {1000u, 10000u}) {
    NewReno cc(params());
    const auto run = cc_test::periodic_loss(cc, kMss, Time::from_ms(50), period, 10, 20);
    const double p = run.loss_rate;
    EXPECT_NEAR(p, 1.0 / period, 0.01 / period);
    const double law = std::sqrt(3.0 / (2.0 * p));
    EXPECT_NEAR(run.mean_window / law, 1.0, 0.15) << "period " << period << ": mean " << run.mean_window
                                                  << " segments, law " << law;
  }
}

TEST(CongestionFactory, MakesTheNamedAlgorithm) {
  const auto reno = make_congestion_control("newreno", params());
  ASSERT_NE(reno, nullptr);
  EXPECT_STREQ(reno->name(), "newreno");
  EXPECT_EQ(reno->cwnd(), 10 * kMss);
  const auto cubic = make_congestion_control("cubic", params(4));
  ASSERT_NE(cubic, nullptr);
  EXPECT_STREQ(cubic->name(), "cubic");
  EXPECT_EQ(cubic->cwnd(), 4 * kMss);
  EXPECT_EQ(make_congestion_control("reno", params()), nullptr);
  EXPECT_EQ(make_congestion_control("CUBIC", params()), nullptr);
  EXPECT_EQ(make_congestion_control("", params()), nullptr);
}

}  // namespace
}  // namespace hostwire::tcp
