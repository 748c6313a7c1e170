// The retransmission timer: RFC 6298's estimator to the picosecond, Karn's rule, exponential
// backoff with its cap, and the give-up after `retries` timeouts.
#include <gtest/gtest.h>

#include "engine_fixtures.h"

namespace hostwire::tcp {
namespace {

using namespace net::tcp_flag;
using engine_test::bare_params;
using engine_test::make_segment;
using engine_test::take;

constexpr Time ms(int64_t v) { return Time::from_ms(v); }
constexpr Time us(int64_t v) { return Time::from_us(v); }

TEST(TcpRto, EstimatorFollowsRfc6298Exactly) {
  RttEstimator e(Time::from_s(1), ms(200), Time::from_s(120));
  EXPECT_EQ(e.rto(), Time::from_s(1));  // (2.1) before any sample
  e.sample(ms(100));                    // (2.2) SRTT = R, RTTVAR = R/2
  EXPECT_EQ(e.srtt(), ms(100));
  EXPECT_EQ(e.rttvar(), ms(50));
  EXPECT_EQ(e.rto(), ms(300));
  e.sample(ms(120));  // (2.3) RTTVAR = 3/4 * 50 + 1/4 * 20; SRTT = 7/8 * 100 + 1/8 * 120
  EXPECT_EQ(e.rttvar(), us(42500));
  EXPECT_EQ(e.srtt(), us(102500));
  EXPECT_EQ(e.rto(), us(272500));
  e.sample(ms(80));
  EXPECT_EQ(e.rttvar(), us(37500));
  EXPECT_EQ(e.srtt(), Time::from_ps(99'687'500'000));
  EXPECT_EQ(e.rto(), Time::from_ps(249'687'500'000));
  e.sample(ms(300));
  EXPECT_EQ(e.rttvar(), Time::from_ps(78'203'125'000));
  EXPECT_EQ(e.srtt(), Time::from_ps(124'726'562'500));
  EXPECT_EQ(e.rto(), Time::from_ps(437'539'062'500));
}

TEST(TcpRto, MinimumBackoffAndCap) {
  RttEstimator e(Time::from_s(1), ms(200), Time::from_s(120));
  e.sample(us(100));  // 100 us + 4 * 50 us is far below the 200 ms floor
  EXPECT_EQ(e.rto(), ms(200));
  const int64_t expect_ms[] = {400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 102400, 120000, 120000};
  for (int64_t m : expect_ms) {
    e.backoff();
    EXPECT_EQ(e.rto(), ms(m));
  }
  EXPECT_EQ(e.backoffs(), 11);
  e.sample(us(100));  // a valid sample ends the backoff (RFC 6298 section 5, note after 5.7)
  EXPECT_EQ(e.rto(), ms(200));
  EXPECT_EQ(e.backoffs(), 0);
}

// A (options off) against a hand-driven peer whose ISS is 9000; A's ISS is 100.
struct Driven {
  Connection a{bare_params(), nullptr, 100, 40000, 80};
  Driven(Time syn_ack_at) {
    a.open_active(Time{});
    take(a);
    a.on_segment(make_segment(9000, 101, syn | ack), syn_ack_at);
    take(a);  // the handshake's ACK
  }
  // The peer acknowledges everything up to data byte `n` (stream offset) at `now`.
  void ack_data(uint64_t n, Time now) { a.on_segment(make_segment(9001, static_cast<uint32_t>(101 + n), ack), now); }
};

TEST(TcpRto, ConnectionSamplesFollowTheEstimator) {
  Driven d(ms(100));  // the handshake: 100 ms
  EXPECT_EQ(d.a.srtt(), ms(100));
  const uint8_t byte[1] = {1};
  d.a.send(byte, ms(100));
  ASSERT_EQ(take(d.a).size(), 1u);
  d.ack_data(1, ms(220));  // 120 ms
  d.a.send(byte, ms(300));
  ASSERT_EQ(take(d.a).size(), 1u);
  d.ack_data(2, ms(380));  // 80 ms
  d.a.send(byte, ms(400));
  ASSERT_EQ(take(d.a).size(), 1u);
  d.ack_data(3, ms(700));  // 300 ms
  EXPECT_EQ(d.a.srtt(), Time::from_ps(124'726'562'500));
  EXPECT_EQ(d.a.rttvar(), Time::from_ps(78'203'125'000));
  EXPECT_EQ(d.a.rto(), Time::from_ps(437'539'062'500));
}

TEST(TcpRto, KarnIgnoresTheAckOfARetransmissionWithoutTimestamps) {
  Driven d(ms(100));  // RTO = 300 ms
  const uint8_t byte[1] = {1};
  d.a.send(byte, ms(100));
  take(d.a);
  ASSERT_EQ(d.a.next_timer(), ms(400));
  d.a.on_timer(ms(400));  // timeout: back off to 600 ms and go back to snd.una
  auto rtx = take(d.a);
  ASSERT_EQ(rtx.size(), 1u);
  EXPECT_EQ(rtx[0].header.seq, 101u);
  EXPECT_EQ(d.a.timeouts(), 1u);
  EXPECT_EQ(d.a.rto(), ms(600));
  d.ack_data(1, ms(450));  // ambiguous: 350 ms after the original or 50 ms after the retransmission
  EXPECT_EQ(d.a.srtt(), ms(100));
  EXPECT_EQ(d.a.rto(), ms(600));  // still backed off
  d.a.send(byte, ms(500));        // a fresh segment gives a valid sample and ends the backoff
  take(d.a);
  d.ack_data(2, ms(600));
  EXPECT_EQ(d.a.srtt(), ms(100));
  EXPECT_EQ(d.a.rttvar(), us(37500));
  EXPECT_EQ(d.a.rto(), ms(250));
}

TEST(TcpRto, TimestampsTimeTheRetransmission) {
  TcpParams p = bare_params();
  p.timestamps = true;
  Connection a(p, nullptr, 100, 40000, 80);
  a.open_active(Time{});
  const uint32_t tsval0 = take(a)[0].header.options.timestamps->tsval;
  Segment sa = make_segment(9000, 101, syn | ack);
  sa.header.options.timestamps = net::TcpTimestamps{77, tsval0};
  a.on_segment(sa, ms(100));
  take(a);
  EXPECT_EQ(a.srtt(), ms(100));
  const uint8_t byte[1] = {1};
  a.send(byte, ms(100));
  take(a);
  a.on_timer(ms(400));
  auto rtx = take(a);
  ASSERT_EQ(rtx.size(), 1u);
  const uint32_t tsval_rtx = rtx[0].header.options.timestamps->tsval;
  EXPECT_EQ(tsval_rtx - tsval0, 400'000u);  // the 1 us clock
  Segment ack1 = make_segment(9001, 102, ack);
  ack1.header.options.timestamps = net::TcpTimestamps{78, tsval_rtx};  // echoes the retransmission
  a.on_segment(ack1, ms(460));
  // RTTM (RFC 7323 section 4): 60 ms from the echoed timestamp: SRTT = 7/8 * 100 + 1/8 * 60.
  EXPECT_EQ(a.srtt(), ms(95));
  EXPECT_EQ(a.rttvar(), us(47500));
}

TEST(TcpRto, BackoffDoublesToTheCapThenGivesUp) {
  TcpParams p = bare_params();
  p.rto_max = Time::from_s(5);
  p.retries = 8;
  Connection a(p, nullptr, 100, 40000, 80);
  a.open_active(Time{});
  take(a);
  a.on_segment(make_segment(9000, 101, syn | ack), ms(100));  // RTO 300 ms
  take(a);
  const uint8_t byte[1] = {1};
  a.send(byte, ms(100));
  take(a);
  std::vector<int64_t> gaps_ms;
  Time last = ms(100);
  while (a.state() != State::closed) {
    const Time t = *a.next_timer();
    gaps_ms.push_back((t - last).ps / 1'000'000'000);
    last = t;
    a.on_timer(t);
    for (const Segment& s : take(a)) EXPECT_EQ(s.header.seq, 101u);  // always snd.una
  }
  const std::vector<int64_t> expect = {300, 600, 1200, 2400, 4800, 5000, 5000, 5000, 5000};
  EXPECT_EQ(gaps_ms, expect);
  EXPECT_EQ(a.timeouts(), 8u);
  EXPECT_EQ(a.retransmitted_segments(), 8u);
  EXPECT_EQ(a.close_reason(), CloseReason::timed_out);
}

}  // namespace
}  // namespace hostwire::tcp
