// Loss recovery with chosen losses: one loss is one fast retransmit; NewReno's partial ACKs
// repair several holes of one window without a timeout (RFC 6582); SACK recovery (RFC 6675)
// retransmits exactly the lost segments; a lost tail times out and goes back to snd.una.
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "engine_fixtures.h"
#include "testing/pipe.h"

namespace hostwire::tcp {
namespace {

using namespace net::tcp_flag;
using harness::Dir;
using harness::PathParams;
using harness::Pipe;

struct Recovery {
  uint64_t fast = 0, timeouts = 0, retransmitted = 0, seen_twice = 0;
  std::vector<uint32_t> dropped, retransmitted_seqs;
  std::vector<Time> retransmit_times;
  bool digest_ok = false;
  Time done{};
};

// A sends `segments` full segments and closes; the data segments numbered in `drop` (0-based,
// first transmissions only) are lost.
Recovery run(TcpParams p, uint64_t segments, std::set<uint64_t> drop) {
  PathParams path;
  path.delay = Time::from_ms(1);
  Pipe pipe(p, p, path, path);
  Recovery r;
  uint64_t data_index = 0;
  std::set<uint32_t> sent;
  pipe.drop = [&](const Segment& s, Dir d, uint64_t) {
    if (d != Dir::a_to_b || s.payload.length == 0) return false;
    if (!sent.insert(s.header.seq).second) return false;  // a retransmission
    if (drop.count(data_index++)) {
      r.dropped.push_back(s.header.seq);
      return true;
    }
    return false;
  };
  pipe.on_wire = [&](const Segment& s, Dir d, Time t) {
    if (d == Dir::a_to_b && s.payload.length > 0 && sent.count(s.header.seq)) {
      r.retransmitted_seqs.push_back(s.header.seq);
      r.retransmit_times.push_back(t);
    }
  };
  pipe.connect();
  pipe.bulk(segments * 1448);
  EXPECT_TRUE(pipe.run_until([&] { return pipe.received_bytes() == segments * 1448 && pipe.b.eof(); },
                             Time::from_s(60)));
  r.fast = pipe.a.fast_retransmits();
  r.timeouts = pipe.a.timeouts();
  r.retransmitted = pipe.a.retransmitted_segments();
  r.seen_twice = pipe.stats(Dir::a_to_b).seen_twice;
  r.digest_ok = pipe.received_digest() == pipe.sent_digest();
  r.done = pipe.now();
  return r;
}

TEST(TcpLossRecovery, OneLossIsOneFastRetransmit) {
  for (bool sack : {true, false}) {
    SCOPED_TRACE(sack ? "sack" : "newreno");
    TcpParams p;
    p.sack = sack;
    const Recovery r = run(p, 100, {30});
    EXPECT_EQ(r.fast, 1u);
    EXPECT_EQ(r.timeouts, 0u);
    EXPECT_EQ(r.retransmitted, 1u);
    EXPECT_EQ(r.seen_twice, 1u);
    EXPECT_EQ(r.retransmitted_seqs, r.dropped);
    EXPECT_TRUE(r.digest_ok);
  }
}

TEST(TcpLossRecovery, NewRenoPartialAcksRepairThreeHolesWithoutTimeout) {
  TcpParams p;
  p.sack = false;
  p.congestion = "newreno";
  const Recovery r = run(p, 100, {30, 33, 36});
  EXPECT_EQ(r.fast, 1u);  // one recovery episode
  EXPECT_EQ(r.timeouts, 0u);
  EXPECT_EQ(r.retransmitted, 3u);
  EXPECT_EQ(r.retransmitted_seqs, r.dropped);  // one hole per partial ACK, in order
  EXPECT_TRUE(r.digest_ok);
  // Each hole after the first waits for the partial ACK of the one before: about an RTT apart.
  ASSERT_EQ(r.retransmit_times.size(), 3u);
  EXPECT_GE(r.retransmit_times[1] - r.retransmit_times[0], Time::from_ms(2));
  EXPECT_GE(r.retransmit_times[2] - r.retransmit_times[1], Time::from_ms(2));
}

TEST(TcpLossRecovery, SackRetransmitsExactlyTheLostSegments) {
  TcpParams p;
  p.congestion = "newreno";
  const Recovery r = run(p, 100, {30, 32, 34, 36, 38});
  EXPECT_EQ(r.fast, 1u);
  EXPECT_EQ(r.timeouts, 0u);
  EXPECT_EQ(r.retransmitted, 5u);
  EXPECT_EQ(r.seen_twice, 5u);
  EXPECT_EQ(r.retransmitted_seqs, r.dropped);
  EXPECT_TRUE(r.digest_ok);
  // The scoreboard finds all five holes in the same round trip, unlike NewReno.
  ASSERT_EQ(r.retransmit_times.size(), 5u);
  EXPECT_LT(r.retransmit_times[4] - r.retransmit_times[0], Time::from_ms(2));
}

TEST(TcpLossRecovery, CubicRecoversTheSameHoles) {
  TcpParams p;
  p.congestion = "cubic";
  const Recovery r = run(p, 100, {30, 32, 34, 36, 38});
  EXPECT_EQ(r.fast, 1u);
  EXPECT_EQ(r.timeouts, 0u);
  EXPECT_EQ(r.retransmitted_seqs, r.dropped);
}

TEST(TcpLossRecovery, LostTailTimesOutAndGoesBackToSndUna) {
  for (bool sack : {true, false}) {
    SCOPED_TRACE(sack ? "sack" : "newreno");
    TcpParams p;
    p.sack = sack;
    p.congestion = "newreno";
    // 40 segments; the last five (the FIN rides on the last) vanish: no duplicate ACKs come.
    const Recovery r = run(p, 40, {35, 36, 37, 38, 39});
    EXPECT_EQ(r.fast, 0u);
    EXPECT_EQ(r.timeouts, 1u);
    EXPECT_EQ(r.retransmitted, 5u);
    EXPECT_EQ(r.retransmitted_seqs, r.dropped);  // go-back-N from snd.una, in order
    EXPECT_TRUE(r.digest_ok);
    // cwnd = 1 SMSS after the timeout (RFC 5681 3.1): the first retransmission goes alone,
    // then slow start sends two after its ACK, and so on.
    ASSERT_EQ(r.retransmit_times.size(), 5u);
    EXPECT_GE(r.retransmit_times[1] - r.retransmit_times[0], Time::from_ms(2));
    EXPECT_EQ(r.retransmit_times[2], r.retransmit_times[1]);
  }
}

TEST(TcpLossRecovery, CongestionControlSeesOneRecoveryAndItsEnd) {
  auto cc = engine_test::fixed(30 * 1448);
  auto* fw = static_cast<engine_test::FixedWindow*>(cc.get());
  TcpParams p;
  PathParams path;
  path.delay = Time::from_ms(1);
  Pipe pipe(p, p, path, path, 1, 1000, 500000, std::move(cc));
  uint64_t n = 0;
  pipe.drop = [&](const Segment& s, Dir d, uint64_t) { return d == Dir::a_to_b && s.payload.length > 0 && n++ == 40; };
  pipe.connect();
  pipe.bulk(100 * 1448);
  ASSERT_TRUE(pipe.run_until([&] { return pipe.both_closed(); }, Time::from_s(100)));
  EXPECT_EQ(fw->recoveries, 1u);
  EXPECT_EQ(fw->exits, 1u);
  EXPECT_EQ(fw->rtos, 0u);
  // FlightSize at the third duplicate ACK: the window of 30, plus the two segments the first
  // two duplicates let out because their SACKs took data off pipe (RFC 3042's limited transmit).
  EXPECT_EQ(fw->recovery_flight, 32u * 1448);
}

}  // namespace
}  // namespace hostwire::tcp
