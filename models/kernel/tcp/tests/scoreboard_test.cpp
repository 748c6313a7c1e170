// The pieces under the connection: the SACK scoreboard's IsLost, pipe and NextSeg; the
// reassembly queue's SACK blocks; PAWS-lite and the timestamp echo rules.
#include <gtest/gtest.h>

#include "engine_fixtures.h"
#include "kernel/tcp/reassembly.h"
#include "kernel/tcp/scoreboard.h"

namespace hostwire::tcp {
namespace {

using namespace net::tcp_flag;
using engine_test::make_segment;
using engine_test::take;

constexpr uint32_t kMss = 1000;

Scoreboard ten_segments() {
  Scoreboard sb;
  sb.reset(1);
  for (uint64_t i = 0; i < 10; ++i) sb.on_send(1 + i * kMss, kMss, false, Time::from_us(static_cast<int64_t>(i)));
  return sb;
}

TEST(TcpScoreboard, IsLostNeedsDupThreshSackedSegmentsAbove) {
  Scoreboard sb = ten_segments();
  EXPECT_EQ(sb.pipe(), 10u * kMss);
  // Segment 0 lost; 1 and 2 SACKed: two above it, not yet lost.
  EXPECT_EQ(sb.sack(1 + 1 * kMss, 1 + 3 * kMss), 2u * kMss);
  sb.update_lost(3, kMss);
  EXPECT_FALSE(sb.first_lost());
  EXPECT_EQ(sb.pipe(), 8u * kMss);
  // The same block again adds nothing; a grown block adds only the new segment.
  EXPECT_EQ(sb.sack(1 + 1 * kMss, 1 + 3 * kMss), 0u);
  EXPECT_EQ(sb.sack(1 + 1 * kMss, 1 + 4 * kMss), 1u * kMss);
  sb.update_lost(3, kMss);
  EXPECT_TRUE(sb.first_lost());
  // pipe = outstanding 10 - SACKed 3 - lost 1 (RFC 6675 SetPipe).
  EXPECT_EQ(sb.pipe(), 6u * kMss);
  SentSegment* r = sb.next_lost();
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->start, 1u);
  sb.on_retransmit(*r, Time::from_ms(1));
  EXPECT_EQ(sb.pipe(), 7u * kMss);  // the retransmission is in flight again
  EXPECT_EQ(sb.next_lost(), nullptr);
  // Rule 3: nothing unSACKed below HighSACK but the retransmitted segment.
  EXPECT_EQ(sb.next_unsacked_below_high_sack(), nullptr);
}

TEST(TcpScoreboard, SeveralHolesAndTheCumulativeAck) {
  Scoreboard sb = ten_segments();
  // Holes at 0, 2 and 4; 1, 3, 5..9 SACKed.
  sb.sack(1 + 1 * kMss, 1 + 2 * kMss);
  sb.sack(1 + 3 * kMss, 1 + 4 * kMss);
  sb.sack(1 + 5 * kMss, 1 + 10 * kMss);
  sb.update_lost(3, kMss);
  EXPECT_EQ(sb.sacked_bytes(), 7u * kMss);
  EXPECT_EQ(sb.lost_bytes(), 3u * kMss);  // each hole has at least five SACKed segments above
  EXPECT_EQ(sb.pipe(), 0u);
  std::vector<uint64_t> order;
  while (SentSegment* r = sb.next_lost()) {
    order.push_back(r->start);
    sb.on_retransmit(*r, Time::from_ms(1));
  }
  EXPECT_EQ(order, (std::vector<uint64_t>{1, 1 + 2 * kMss, 1 + 4 * kMss}));
  EXPECT_EQ(sb.pipe(), 3u * kMss);
  const Scoreboard::Acked a = sb.ack(1 + 3 * kMss);  // holes 0 and 2 repaired
  EXPECT_EQ(a.bytes, 3u * kMss);
  EXPECT_EQ(a.segments, 3u);
  EXPECT_TRUE(a.retransmitted);
  EXPECT_EQ(a.newly_acked_unsacked, 2u * kMss);
  EXPECT_EQ(sb.pipe(), 1u * kMss);
  EXPECT_EQ(sb.outstanding(), 7u * kMss);
  sb.ack(1 + 10 * kMss);
  EXPECT_TRUE(sb.empty());
  EXPECT_EQ(sb.pipe(), 0u);
  EXPECT_EQ(sb.sacked_bytes(), 0u);
  EXPECT_EQ(sb.lost_bytes(), 0u);
  EXPECT_EQ(sb.retrans_bytes(), 0u);
}

TEST(TcpScoreboard, TimeoutMarksEverythingUnsackedLost) {
  Scoreboard sb = ten_segments();
  sb.sack(1 + 5 * kMss, 1 + 6 * kMss);
  sb.mark_all_lost();
  EXPECT_EQ(sb.lost_bytes(), 9u * kMss);
  EXPECT_EQ(sb.pipe(), 0u);
  int n = 0;
  while (SentSegment* r = sb.next_lost()) {
    EXPECT_NE(r->start, 1 + 5 * kMss);  // the SACKed one is skipped
    sb.on_retransmit(*r, Time{});
    ++n;
  }
  EXPECT_EQ(n, 9);
}

TEST(TcpReassembly, SackBlocksLatestFirst) {
  Reassembly rq;
  rq.reset(1);
  const SeqSpace space{0};
  auto bytes = [](uint32_t n) { return PayloadSlice{std::make_shared<std::vector<uint8_t>>(n), 0, n}; };
  EXPECT_EQ(rq.insert(1, bytes(100)).in_order, 100u);
  EXPECT_TRUE(rq.insert(201, bytes(100)).out_of_order);  // hole 101..200
  rq.insert(401, bytes(100));                            // hole 301..400
  rq.insert(601, bytes(100));
  rq.insert(301, bytes(100));  // fills 301..400: the run 201..500 holds the latest segment
  net::SackBlock b[4];
  ASSERT_EQ(rq.sack_blocks(space, b, 4), 2);
  EXPECT_EQ(b[0], (net::SackBlock{201, 501}));
  EXPECT_EQ(b[1], (net::SackBlock{601, 701}));
  rq.insert(801, bytes(100));
  ASSERT_EQ(rq.sack_blocks(space, b, 4), 3);
  EXPECT_EQ(b[0], (net::SackBlock{801, 901}));
  EXPECT_EQ(b[1], (net::SackBlock{201, 501}));  // then the runs touched before, latest first
  EXPECT_EQ(b[2], (net::SackBlock{601, 701}));
  EXPECT_EQ(rq.sack_blocks(space, b, 2), 2);  // with timestamps only three fit; here the cap is two
  EXPECT_EQ(rq.out_of_order_bytes(), 500u);
  const auto fill = rq.insert(101, bytes(100));
  EXPECT_TRUE(fill.filled_hole);
  EXPECT_EQ(fill.in_order, 100u + 300u);  // 101..500 now readable
  EXPECT_EQ(rq.rcv_nxt(), 501u);
  ASSERT_EQ(rq.sack_blocks(space, b, 4), 2);
  EXPECT_EQ(b[0], (net::SackBlock{801, 901}));
  EXPECT_EQ(b[1], (net::SackBlock{601, 701}));
  EXPECT_TRUE(rq.insert(151, bytes(50)).duplicate);
  EXPECT_EQ(rq.readable(), 500u);
}

// A (timestamps on) receives from a hand-driven peer with ISS 9000.
struct TsDriven {
  Connection a;
  TsDriven() : a(params(), nullptr, 100, 40000, 80) {
    a.open_active(Time{});
    const uint32_t tsval = take(a)[0].header.options.timestamps->tsval;
    Segment sa = make_segment(9000, 101, syn | ack);
    sa.header.options.timestamps = net::TcpTimestamps{1000, tsval};
    a.on_segment(sa, Time::from_ms(1));
    take(a);
  }
  static TcpParams params() {
    TcpParams p = engine_test::bare_params();
    p.timestamps = true;
    return p;
  }
  uint32_t echo_of_last_ack() {
    auto out = take(a);
    return out.empty() ? 0 : out.back().header.options.timestamps->tsecr;
  }
  void data(uint32_t seq, uint32_t len, uint32_t tsval, Time now) {
    Segment s = make_segment(seq, 101, ack, 65535, len);
    s.header.options.timestamps = net::TcpTimestamps{tsval, 1};
    a.on_segment(s, now);
  }
};

TEST(TcpTimestamps, EchoTheEarliestUnacknowledgedSegment) {
  TsDriven d;
  d.data(9001, 1000, 2000, Time::from_ms(2));  // delayed: one segment
  EXPECT_TRUE(take(d.a).empty());
  d.data(10001, 1000, 2001, Time::from_ms(3));  // the second: ACK now
  // RFC 7323 4.3: TS.Recent moves only for a segment at or below Last.ACK.sent.
  EXPECT_EQ(d.echo_of_last_ack(), 2000u);
}

TEST(TcpTimestamps, PawsLiteTakesNewDataButIgnoresAnOldTimestamp) {
  TsDriven d;
  d.data(9001, 1000, 5000, Time::from_ms(2));
  d.data(10001, 1000, 5001, Time::from_ms(3));
  EXPECT_EQ(d.echo_of_last_ack(), 5000u);
  // New data carrying an older timestamp (the peer's clock went back, or a stale copy):
  // the data is taken, TS.Recent is not lowered to 4000 although this segment is the one the
  // next ACK acknowledges first (and the later 12001 is above Last.ACK.sent: not recorded).
  d.data(11001, 1000, 4000, Time::from_ms(4));
  d.data(12001, 1000, 5002, Time::from_ms(5));
  EXPECT_EQ(d.echo_of_last_ack(), 5000u);
  EXPECT_EQ(d.a.bytes_received(), 4000u);
  // An old duplicate is only acknowledged.
  d.data(9001, 1000, 3000, Time::from_ms(6));
  auto out = take(d.a);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].header.ack, 13001u);
  EXPECT_EQ(out[0].header.options.timestamps->tsecr, 5000u);
  EXPECT_EQ(d.a.bytes_received(), 4000u);
}

}  // namespace
}  // namespace hostwire::tcp
