#include "cubic.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "ack_clock.h"
#include "newreno.h"

namespace hostwire::tcp {
namespace {

using cc_test::ack_at;
using cc_test::ack_round;

constexpr uint64_t kMss = 1448;

CongestionParams params(uint32_t initial_window = 10) {
  CongestionParams p;
  p.mss = kMss;
  p.initial_window = initial_window;
  return p;
}

// A CUBIC that has just lost at exactly `w_max` segments: in congestion avoidance at
// beta * w_max, recovery over with a full pipe, its next ACK starts the epoch.
Cubic after_loss_at(uint32_t w_max, CubicParams cp = {}) {
  Cubic cc(params(w_max), cp);
  cc.on_enter_recovery(Time{}, uint64_t{w_max} * kMss);
  cc.on_exit_recovery(Time{}, cc.cwnd());
  return cc;
}

// Runs whole round trips from `start` for `rounds` rounds; returns cwnd (segments) after each.
std::vector<double> run_rounds(Cubic& cc, Time start, Time rtt, int rounds) {
  std::vector<double> w;
  for (int r = 0; r < rounds; ++r) {
    ack_round(cc, start + Time{rtt.ps * r}, rtt, kMss);
    w.push_back(cc.cwnd_segments());
  }
  return w;
}

TEST(Cubic, LossReducesByBetaExactly) {
  Cubic cc(params(100));
  cc.on_enter_recovery(Time{}, 100 * kMss);
  EXPECT_EQ(cc.ssthresh(), 101360u);  // 0.7 * 144800
  EXPECT_EQ(cc.cwnd(), 101360u);
  EXPECT_DOUBLE_EQ(cc.w_max(), 100.0);
  // Never below two segments.
  Cubic small(params(2));
  small.on_enter_recovery(Time{}, 2 * kMss);
  EXPECT_EQ(small.ssthresh(), 2 * kMss);
  EXPECT_EQ(small.cwnd(), 2 * kMss);
}

TEST(Cubic, KIsTheCubeRootOfTheLostWindowOverC) {
  // RFC 9438 eq. (2) right after a reduction: K = cbrt(W_max (1 - beta) / C).
  struct Case {
    uint32_t w_max;
    double k;  // seconds, computed independently
  };
  for (const Case& c : {Case{10, 1.9574338205844317}, Case{25, 2.656646422956528}, Case{100, 4.2171633265087465},
                        Case{1000, 9.085602964160698}, Case{5000, 15.536162529769296}}) {
    Cubic cc = after_loss_at(c.w_max);
    ASSERT_FALSE(cc.epoch_started());
    cc.on_ack(ack_at(Time::from_s(1), kMss, Time::from_ms(100)));
    ASSERT_TRUE(cc.epoch_started());
    EXPECT_EQ(cc.epoch_start(), Time::from_s(1));
    EXPECT_DOUBLE_EQ(cc.w_max(), c.w_max);
    EXPECT_NEAR(cc.k(), c.k, 1e-9) << "W_max " << c.w_max;
    EXPECT_NEAR(cc.k(), std::cbrt(c.w_max * (1 - 0.7) / 0.4), 1e-9);
  }
}

TEST(Cubic, WindowReturnsToWmaxAtK) {
  const Time rtt = Time::from_ms(100);
  Cubic cc = after_loss_at(100);
  const Time t0 = Time::from_s(1);
  cc.on_ack(ack_at(t0, kMss, rtt));  // epoch starts here
  const double k = cc.k();
  Time now = t0;
  // Whole round trips until the epoch's clock passes K, then the window is W_max within one
  // segment (it aims one RTT ahead, so it arrives slightly early, but the curve is flat there).
  while ((now - t0).seconds() < k) {
    ack_round(cc, now, rtt, kMss);
    now = now + rtt;
  }
  EXPECT_NEAR(cc.cwnd_segments(), 100.0, 1.0);
  EXPECT_NEAR(cc.w_cubic((now - t0).seconds()), 100.0, 0.01);
}

TEST(Cubic, GrowthIsConcaveBelowWmaxAndConvexAbove) {
  // W_max = 1000 at 100 ms: W_est (0.53 segments per RTT from 700) stays far below the curve,
  // so this is the cubic function alone. K = 9.09 s, about 91 round trips.
  const Time rtt = Time::from_ms(100);
  Cubic cc = after_loss_at(1000);
  cc.on_ack(ack_at(Time{}, kMss, rtt));
  ASSERT_NEAR(cc.k(), 9.0856, 0.0001);
  const auto w = run_rounds(cc, Time{}, rtt, 170);
  auto growth = [&](int r) { return w[r] - w[r - 1]; };
  // Concave: fast just after the loss (9 segments per RTT, where Reno would add 1), slowing as
  // W_max nears, and never above it.
  EXPECT_GT(growth(3), 9.0);
  EXPECT_GT(growth(3), growth(40));
  EXPECT_GT(growth(40), growth(80));
  EXPECT_LT(w[85], 1000.0);
  // The plateau: the slowest growth is at K.
  EXPECT_LT(growth(91), 0.01);
  // Convex: slow just past W_max, accelerating as it probes for more.
  EXPECT_LT(growth(100), growth(130));
  EXPECT_LT(growth(130), growth(160));
  EXPECT_GT(w[160], 1100.0);
  // At the end of each round trip the window sits on the curve within a quarter segment.
  for (int r : {0, 10, 45, 90, 120, 169}) {
    EXPECT_NEAR(w[r], cc.w_cubic(rtt.seconds() * (r + 1)), 0.25) << "round " << r;
  }
}

TEST(Cubic, TargetIsCappedAtOneAndAHalfWindows) {
  // RFC 9438 4.4: far up the convex curve the target is 1.5 cwnd, so one ACK of one segment
  // adds (1.5 cwnd - cwnd) / cwnd = exactly half a segment, however steep the curve.
  Cubic cc = after_loss_at(100);
  cc.on_ack(ack_at(Time{}, kMss, Time::from_ms(100)));
  const double before = cc.cwnd_segments();
  cc.on_ack(ack_at(Time::from_s(100), kMss, Time::from_ms(100)));
  EXPECT_NEAR(cc.cwnd_segments() - before, 0.5, 1e-9);
  cc.on_ack(ack_at(Time::from_s(100), 4 * kMss, Time::from_ms(100)));  // a stretch ACK: 4 x 0.5
  EXPECT_NEAR(cc.cwnd_segments() - before, 2.5, 1e-9);
}

TEST(Cubic, RenoFriendlyRegionDominatesAtSmallBdp) {
  // 20 segments at 1 ms: the cubic curve needs K = 2.47 s to recover, Reno would take 6 RTTs.
  const Time rtt = Time::from_ms(1);
  Cubic cc = after_loss_at(20);
  cc.on_ack(ack_at(Time{}, kMss, rtt));
  ASSERT_DOUBLE_EQ(cc.w_est(), 14.0 + cc.alpha_cubic() / 14.0);
  run_rounds(cc, Time{}, rtt, 10);
  const double t = 10 * rtt.seconds();
  // cwnd is W_est, which grew alpha_cubic = 3 (0.3)/(1.7) = 0.529 segments per RTT.
  EXPECT_DOUBLE_EQ(cc.cwnd_segments(), cc.w_est());
  EXPECT_NEAR(cc.alpha_cubic(), 0.5294117647, 1e-9);
  EXPECT_NEAR(cc.w_est(), 14.0 + cc.alpha_cubic() * 10, 0.3);
  EXPECT_GT(cc.cwnd_segments(), cc.w_cubic(t) + 4.0);
  // Without the Reno-friendly region it would follow the flat start of the cubic curve.
  Cubic pure = after_loss_at(20, CubicParams{.reno_friendly = false});
  pure.on_ack(ack_at(Time{}, kMss, rtt));
  run_rounds(pure, Time{}, rtt, 10);
  EXPECT_LT(pure.cwnd_segments(), 14.2);
}

TEST(Cubic, RenoFriendlyEstimateSwitchesToRenoSlopeAtThePriorWindow) {
  // RFC 9438 4.3: once W_est reaches cwnd_prior (20), it grows 1 segment per RTT.
  const Time rtt = Time::from_ms(1);
  Cubic cc = after_loss_at(20);
  cc.on_ack(ack_at(Time{}, kMss, rtt));
  auto w = run_rounds(cc, Time{}, rtt, 40);
  ASSERT_GT(w[20], 20.5);
  EXPECT_NEAR(w[39] - w[29], 10.0, 0.5);  // Reno's slope, not 5.3
}

TEST(Cubic, FastConvergenceLowersWmaxOnALossBelowIt) {
  // RFC 9438 4.7: second loss at 70 < W_max 100 -> W_max = 70 (1 + 0.7) / 2 = 59.5.
  Cubic cc = after_loss_at(100);
  ASSERT_DOUBLE_EQ(cc.cwnd_segments(), 70.0);
  cc.on_enter_recovery(Time::from_s(1), cc.cwnd());
  EXPECT_DOUBLE_EQ(cc.w_max(), 59.5);
  EXPECT_EQ(cc.ssthresh(), 49 * kMss);  // 0.7 * 70 segments
  EXPECT_EQ(cc.cwnd(), 49 * kMss);

  Cubic plain = after_loss_at(100, CubicParams{.fast_convergence = false});
  plain.on_enter_recovery(Time::from_s(1), plain.cwnd());
  EXPECT_DOUBLE_EQ(plain.w_max(), 70.0);

  // A loss above the previous maximum just records the new maximum.
  Cubic grown = after_loss_at(10);
  grown.on_ack(ack_at(Time{}, kMss, Time::from_ms(100)));
  run_rounds(grown, Time{}, Time::from_ms(100), 60);
  const double at_loss = grown.cwnd_segments();
  ASSERT_GT(at_loss, 12.0);
  grown.on_enter_recovery(Time::from_s(7), grown.cwnd());
  EXPECT_DOUBLE_EQ(grown.w_max(), at_loss);
}

TEST(Cubic, NoGrowthInRecovery) {
  Cubic cc(params(100));
  cc.on_enter_recovery(Time{}, 100 * kMss);
  for (int i = 0; i < 200; ++i) {
    cc.on_ack(ack_at(Time::from_ms(i), kMss, Time::from_ms(100), false, /*in_recovery=*/true));
  }
  EXPECT_EQ(cc.cwnd(), 101360u);
  EXPECT_FALSE(cc.epoch_started());  // the stage begins after recovery, not during it
}

TEST(Cubic, NoGrowthWhenApplicationLimitedAndTheCurvePausesMeanwhile) {
  const Time rtt = Time::from_ms(100);
  Cubic idle = after_loss_at(100);
  Cubic busy = after_loss_at(100);
  for (Cubic* cc : {&idle, &busy}) {
    cc->on_ack(ack_at(Time{}, kMss, rtt));
    run_rounds(*cc, Time{}, rtt, 10);
  }
  const uint64_t before = idle.cwnd();
  const double est = idle.w_est();
  // Three seconds of ACKs for a window the application did not fill.
  for (int i = 0; i < 300; ++i) idle.on_ack(ack_at(Time::from_ms(1010 + 10 * i), kMss, rtt, /*app_limited=*/true));
  EXPECT_EQ(idle.cwnd(), before);
  EXPECT_DOUBLE_EQ(idle.w_est(), est);
  // The curve's clock stood still from the first app-limited ACK (1010 ms) to the next full
  // one (4050 ms): that ACK moves the window exactly as an ACK at 1010 ms moves the sender that
  // was never limited, instead of jumping 3 s along the curve.
  idle.on_ack(ack_at(Time::from_ms(4050), kMss, rtt));
  busy.on_ack(ack_at(Time::from_ms(1010), kMss, rtt));
  EXPECT_GT(busy.cwnd(), before);
  EXPECT_EQ(idle.cwnd(), busy.cwnd());

  Cubic slow_start(params());
  for (int i = 0; i < 10; ++i) slow_start.on_ack(ack_at(Time::from_ms(i), kMss, rtt, /*app_limited=*/true));
  EXPECT_EQ(slow_start.cwnd(), 10 * kMss);
}

TEST(Cubic, TimeoutForgetsWmaxAndStartsTheNextStageAtK0) {
  // RFC 9438 4.8: ssthresh by beta, cwnd to one segment; the next stage starts on a plateau at
  // its own first window (W_max = cwnd_epoch, K = 0), so it is convex from the start.
  Cubic cc(params(100));
  cc.on_rto(Time{}, 100 * kMss);
  EXPECT_EQ(cc.ssthresh(), 101360u);
  EXPECT_EQ(cc.cwnd(), kMss);
  const Time rtt = Time::from_ms(10);
  Time now{};
  for (uint64_t expect : {2, 4, 8, 16, 32, 64}) {
    ack_round(cc, now, rtt, kMss);
    now = now + rtt;
    EXPECT_EQ(cc.cwnd(), expect * kMss);
  }
  ack_round(cc, now, rtt, kMss);  // 64 -> 70 (ssthresh); the rest of the round starts the stage
  EXPECT_TRUE(cc.epoch_started());
  EXPECT_DOUBLE_EQ(cc.w_max(), 70.0);
  EXPECT_DOUBLE_EQ(cc.k(), 0.0);
}

TEST(Cubic, RepeatedTimeoutHoldsSsthresh) {
  Cubic cc(params(100));
  cc.on_rto(Time{}, 100 * kMss);
  cc.on_rto(Time::from_ms(400), 100 * kMss);  // the retransmission timed out too
  EXPECT_EQ(cc.ssthresh(), 101360u);          // not 0.7 * 1 segment -> 2 SMSS
  EXPECT_EQ(cc.cwnd(), kMss);
  cc.on_ack(ack_at(Time::from_ms(500), kMss, Time::from_ms(100)));
  EXPECT_EQ(cc.cwnd(), 2 * kMss);
  cc.on_rto(Time::from_ms(900), 2 * kMss);  // a new timeout after progress: 0.7 * 2 segments
  EXPECT_EQ(cc.ssthresh(), 2 * kMss);
}

TEST(Cubic, SlowStartIsRfc5681) {
  Cubic cc(params());
  Time now{};
  for (uint64_t expect : {20, 40, 80}) {
    ack_round(cc, now, Time::from_ms(10), kMss);
    now = now + Time::from_ms(10);
    EXPECT_EQ(cc.cwnd(), expect * kMss);
  }
  cc.on_ack(ack_at(now, 4 * kMss, Time::from_ms(10)));  // a stretch ACK still counts one segment
  EXPECT_EQ(cc.cwnd(), 81 * kMss);
}

TEST(Cubic, ParamsListTheirKeys) {
  std::vector<ParamSpec> specs;
  collect_schema<CubicParams>(specs, "a.tcp.cubic.");
  ASSERT_EQ(specs.size(), 4u);
  EXPECT_EQ(specs[0].key, "a.tcp.cubic.c");
  EXPECT_EQ(specs[0].type, ParamType::Real);
  EXPECT_EQ(specs[1].key, "a.tcp.cubic.beta");
  EXPECT_EQ(specs[2].key, "a.tcp.cubic.fast_convergence");
  EXPECT_EQ(specs[2].default_text, "true");
  EXPECT_EQ(specs[3].key, "a.tcp.cubic.reno_friendly");
  std::string problem;
  EXPECT_FALSE(parse_param(specs[1], "1.0", problem)) << "beta = 1 would never reduce";
  EXPECT_TRUE(parse_param(specs[1], "0.8", problem)) << problem;
  EXPECT_FALSE(parse_param(specs[0], "0", problem));
  ParamValues values;
  values["a.tcp.cubic.beta"] = *parse_param(specs[1], "0.8", problem);
  Cubic cc(params(100), bind_params<CubicParams>(values, "a.tcp.cubic."));
  cc.on_enter_recovery(Time{}, 100 * kMss);
  EXPECT_EQ(cc.cwnd(), 80 * kMss);
}

// Synthetic periodic loss, one segment in `period`: NewReno against CUBIC.
struct Pair {
  double reno, cubic;
};
Pair mean_windows(uint64_t period, Time rtt, int measured) {
  NewReno reno(params());
  Cubic cubic(params());
  const auto r = cc_test::periodic_loss(reno, kMss, rtt, period, 10, measured);
  const auto c = cc_test::periodic_loss(cubic, kMss, rtt, period, 10, measured);
  return {r.mean_window, c.mean_window};
}

TEST(CongestionComparison, CubicOutgrowsNewRenoAtLargeBdp) {
  // p = 1e-5 at 100 ms: Reno's sqrt(3/(2p)) = 387 segments; CUBIC's response function
  // (RFC 9438 5.1) (C (3 + beta) / (4 (1 - beta)))^(1/4) (RTT^3 / p^3)^(1/4) = 1054 segments.
  // Measured: 385.5 and 1200.5.
  const Pair m = mean_windows(100000, Time::from_ms(100), 20);
  EXPECT_NEAR(m.reno / std::sqrt(1.5e5), 1.0, 0.15) << m.reno;
  EXPECT_GT(m.cubic, 2.0 * m.reno) << "reno " << m.reno << " cubic " << m.cubic;
  const double response = std::pow(0.4 * 3.7 / (4 * 0.3), 0.25) * std::pow(0.1, 0.75) / std::pow(1e-5, 0.75);
  EXPECT_NEAR(m.cubic / response, 1.0, 0.2) << "cubic " << m.cubic << " response " << response;
}

TEST(CongestionComparison, CubicIsRenoFriendlyAtSmallBdp) {
  // p = 1e-3 at 1 ms: the cubic curve is far too slow, W_est rules, and AIMD(0.53, 0.7) has
  // Reno's throughput: the mean windows agree within 15 % (measured 37.0 and 37.7).
  const Pair m = mean_windows(1000, Time::from_ms(1), 40);
  EXPECT_NEAR(m.cubic / m.reno, 1.0, 0.15) << "reno " << m.reno << " cubic " << m.cubic;
}

}  // namespace
}  // namespace hostwire::tcp
