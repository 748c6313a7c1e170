// Flow control: a receiver that stops reading closes the window; the sender probes it with
// backoff and resumes when it opens; window scaling lets the window pass 64 KiB; delayed
// ACKs and Nagle.
#include <gtest/gtest.h>

#include <vector>

#include "engine_fixtures.h"
#include "testing/pipe.h"

namespace hostwire::tcp {
namespace {

using namespace net::tcp_flag;
using harness::Dir;
using harness::PathParams;
using harness::Pipe;

TEST(TcpFlowControl, ZeroWindowProbesBackOffAndTheTransferResumes) {
  TcpParams pa, pb;
  pb.rcvbuf = Bytes{64 * 1024};
  Pipe pipe(pa, pb);
  pipe.reader_paused = true;
  std::vector<Time> probes;
  pipe.on_wire = [&](const Segment& s, Dir d, Time t) {
    if (d == Dir::a_to_b && s.len() == 0 && s.payload.length == 0 && pipe.a.bytes_in_flight() == 0 &&
        pipe.a.unsent_bytes() > 0)
      probes.push_back(t);
  };
  uint64_t max_buffered = 0;
  bool saw_zero = false;
  pipe.connect();
  pipe.bulk(1 << 20);
  pipe.run_until(
      [&] {
        max_buffered = std::max<uint64_t>(max_buffered, pipe.b.readable());
        saw_zero = saw_zero || (pipe.a.snd_wnd() == 0 && pipe.a.unsent_bytes() > 0);
        return false;
      },
      Time::from_s(5));
  EXPECT_TRUE(saw_zero);
  // Never more than the buffer; its last byte cannot be offered in the window's 2-byte units
  // (65536 needs a scale of 1), and the runt the persist timer pushed filled the rest.
  EXPECT_EQ(max_buffered, 64u * 1024 - 2);
  EXPECT_EQ(pipe.a.zero_window_probes(), 4u);
  ASSERT_EQ(probes.size(), 4u);
  // The persist timer starts at the RTO (200 ms, the floor) and doubles (RFC 9293 3.8.6.1).
  EXPECT_EQ(probes[1] - probes[0], Time::from_ms(400));
  EXPECT_EQ(probes[2] - probes[1], Time::from_ms(800));
  EXPECT_EQ(probes[3] - probes[2], Time::from_ms(1600));
  EXPECT_EQ(pipe.a.retransmitted_segments(), 0u);  // probes are not retransmissions
  pipe.reader_paused = false;
  ASSERT_TRUE(pipe.run_until([&] { return pipe.both_closed(); }, Time::from_s(100)));
  EXPECT_EQ(pipe.received_bytes(), 1u << 20);
  EXPECT_EQ(pipe.received_digest(), pipe.sent_digest());
  EXPECT_EQ(pipe.a.zero_window_probes(), 4u);  // the window update restarted the flow, no more probes
}

TEST(TcpFlowControl, SlowReaderCausesNoSillyWindow) {
  TcpParams pa, pb;
  pb.rcvbuf = Bytes{32 * 1024};
  Pipe pipe(pa, pb);
  pipe.connect();
  pipe.slow_reader(100, Time::from_us(500));  // 200 kB/s
  const uint64_t total = 200000;
  std::vector<uint32_t> sizes;
  pipe.on_wire = [&](const Segment& s, Dir d, Time) {
    if (d == Dir::a_to_b && s.payload.length > 0) sizes.push_back(s.payload.length);
  };
  pipe.bulk(total);
  ASSERT_TRUE(pipe.run_until([&] { return pipe.both_closed(); }, Time::from_s(200)));
  EXPECT_EQ(pipe.received_digest(), pipe.sent_digest());
  // Every segment but the last is a full MSS: the receiver opens the window by at least one
  // MSS at a time and the sender never sends into a sliver of window.
  ASSERT_GT(sizes.size(), 100u);
  for (size_t i = 0; i + 1 < sizes.size(); ++i) EXPECT_EQ(sizes[i], 1448u) << "segment " << i;
  EXPECT_EQ(sizes.back(), total % 1448);
}

uint64_t max_flight(TcpParams pb) {
  TcpParams pa;
  PathParams path;
  path.delay = Time::from_ms(5);  // 1 Gbps x 10 ms: 1.25 MB in flight to fill the pipe
  Pipe pipe(pa, pb, path, path);
  pipe.connect();
  pipe.bulk(8 << 20);
  uint64_t m = 0;
  pipe.run_until(
      [&] {
        m = std::max(m, pipe.a.bytes_in_flight());
        return pipe.received_bytes() == (8u << 20);
      },
      Time::from_s(100));
  EXPECT_EQ(pipe.received_digest(), pipe.sent_digest());
  return m;
}

TEST(TcpFlowControl, WindowScalingOpensBeyond64KiB) {
  TcpParams scaled;
  EXPECT_GT(max_flight(scaled), 1'000'000u);
  TcpParams unscaled;
  unscaled.window_scaling = false;
  // 65535 bytes of window hold 45 full segments of 1448; the rest is too small to send.
  EXPECT_EQ(max_flight(unscaled), 45u * 1448);
}

// B acknowledges 20 back-to-back full segments, then one lone segment.
struct AckCount {
  uint64_t acks_after_burst = 0, delayed_after_burst = 0, acks_after_lone = 0, delayed_after_lone = 0;
  Time lone_ack_delay{};
};

AckCount delayed_ack_run(int64_t ack_every) {
  TcpParams pa, pb;
  pb.rcvbuf = Bytes{65535};  // no window updates from reads: the offer is always the whole buffer
  pb.ack_every = ack_every;
  PathParams path;
  Pipe pipe(pa, pb, path, path, 1, 1000, 500000, engine_test::fixed(40 * 1448));
  pipe.record = true;
  pipe.connect();
  pipe.bulk(20 * 1448, false);
  pipe.run_until(Time::from_s(1));
  AckCount r;
  r.acks_after_burst = pipe.b.acks_sent();
  r.delayed_after_burst = pipe.b.delayed_acks();
  const uint8_t more[1448] = {};
  pipe.a.send(more, pipe.now());
  pipe.wire.clear();
  pipe.run_until(Time::from_s(2));
  r.acks_after_lone = pipe.b.acks_sent();
  r.delayed_after_lone = pipe.b.delayed_acks();
  if (pipe.wire.size() == 2) {
    // Wire bytes of the data segment: payload, TCP header with timestamps, IPv4, Ethernet.
    const Time serialise = path.rate.time_for_bytes(1448 + 32 + 20 + 38);
    r.lone_ack_delay = pipe.wire[1].at - pipe.wire[0].at - serialise - path.delay;
  }
  return r;
}

TEST(TcpDelayedAck, EverySecondSegmentAndTimeoutForALoneOne) {
  const AckCount r = delayed_ack_run(2);
  EXPECT_EQ(r.acks_after_burst, 10u);
  EXPECT_EQ(r.delayed_after_burst, 0u);
  EXPECT_EQ(r.acks_after_lone, 11u);
  EXPECT_EQ(r.delayed_after_lone, 1u);
  EXPECT_EQ(r.lone_ack_delay, Time::from_ms(40));
}

TEST(TcpDelayedAck, AckEveryParameter) {
  const AckCount r = delayed_ack_run(1);
  EXPECT_EQ(r.acks_after_burst, 20u);
  EXPECT_EQ(r.acks_after_lone, 21u);
  EXPECT_EQ(r.delayed_after_lone, 0u);
  EXPECT_EQ(r.lone_ack_delay, Time{});
  const AckCount r5 = delayed_ack_run(5);
  EXPECT_EQ(r5.acks_after_burst, 4u);
}

TEST(TcpDelayedAck, OutOfOrderSegmentsAreAcknowledgedAtOnce) {
  TcpParams pa, pb;
  Pipe pipe(pa, pb, PathParams{}, PathParams{}, 1, 1000, 500000, engine_test::fixed(40 * 1448));
  int n = 0;
  pipe.drop = [&](const Segment& s, Dir d, uint64_t) { return d == Dir::a_to_b && s.payload.length > 0 && n++ == 2; };
  std::vector<uint8_t> sack_counts;
  pipe.on_wire = [&](const Segment& s, Dir d, Time) {
    if (d == Dir::b_to_a && s.len() == 0) sack_counts.push_back(s.header.options.sack_blocks);
  };
  pipe.connect();
  pipe.bulk(10 * 1448, false);
  pipe.run_until(Time::from_s(1));
  // Segments 1-2: one ACK; segment 3 lost; 4..10 each draw an immediate duplicate ACK with a
  // SACK block; the retransmission of 3 fills the hole and is acknowledged at once.
  ASSERT_EQ(sack_counts.size(), 1u + 7u + 1u);
  EXPECT_EQ(sack_counts[0], 0);
  for (int i = 1; i <= 7; ++i) EXPECT_EQ(sack_counts[i], 1);
  EXPECT_EQ(sack_counts[8], 0);
  EXPECT_EQ(pipe.b.delayed_acks(), 0u);
  EXPECT_EQ(pipe.received_bytes(), 10u * 1448);
}

uint64_t nagle_run(bool nagle, std::vector<uint32_t>& sizes) {
  TcpParams p;
  p.nagle = nagle;
  Pipe pipe(p, p);
  pipe.on_wire = [&](const Segment& s, Dir d, Time) {
    if (d == Dir::a_to_b && s.payload.length > 0) sizes.push_back(s.payload.length);
  };
  pipe.connect();
  pipe.run_until(Time::from_ms(1));
  const uint8_t msg[100] = {};
  for (int i = 0; i < 10; ++i) EXPECT_EQ(pipe.a.send(msg, pipe.now()), 100u);
  pipe.run_until(Time::from_s(1));
  EXPECT_EQ(pipe.received_bytes(), 1000u);
  return pipe.a.data_segments_sent();
}

TEST(TcpNagle, SmallWritesCoalesceWhileDataIsUnacknowledged) {
  std::vector<uint32_t> on, off;
  EXPECT_EQ(nagle_run(true, on), 2u);
  EXPECT_EQ(on, (std::vector<uint32_t>{100, 900}));  // the rest waits for the (delayed) ACK
  EXPECT_EQ(nagle_run(false, off), 10u);
  EXPECT_EQ(off, std::vector<uint32_t>(10, 100));
}

TEST(TcpNagle, NodelaySetOnAnOpenConnectionSendsWhatNagleHeld) {
  TcpParams p;
  Pipe pipe(p, p);
  std::vector<uint32_t> sizes;
  pipe.on_wire = [&](const Segment& s, Dir d, Time) {
    if (d == Dir::a_to_b && s.payload.length > 0) sizes.push_back(s.payload.length);
  };
  pipe.connect();
  pipe.run_until(Time::from_ms(1));
  const uint8_t msg[100] = {};
  // run_until(now) puts on the wire what the calls emitted, before any ACK can return.
  EXPECT_EQ(pipe.a.send(msg, pipe.now()), 100u);  // a runt: leaves
  EXPECT_EQ(pipe.a.send(msg, pipe.now()), 100u);  // held behind it
  pipe.run_until(pipe.now());
  EXPECT_EQ(sizes, std::vector<uint32_t>{100});
  pipe.a.set_nodelay(true, pipe.now());  // setsockopt(TCP_NODELAY) pushes it
  pipe.run_until(pipe.now());
  EXPECT_EQ(sizes, (std::vector<uint32_t>{100, 100}));
  EXPECT_EQ(pipe.a.send(msg, pipe.now()), 100u);  // and the next runt leaves at once
  pipe.run_until(pipe.now());
  EXPECT_EQ(sizes, (std::vector<uint32_t>{100, 100, 100}));
  pipe.run_until(Time::from_s(1));
  EXPECT_EQ(pipe.received_bytes(), 300u);
}

}  // namespace
}  // namespace hostwire::tcp
