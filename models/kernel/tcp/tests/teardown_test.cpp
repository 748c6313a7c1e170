// Closing: FIN through every state (RFC 9293 figure 5), simultaneous close, TIME_WAIT for
// 2*MSL and its re-ACK of a repeated FIN, RST and RFC 5961's challenge ACKs.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine_fixtures.h"
#include "testing/pipe.h"

namespace hostwire::tcp {
namespace {

using namespace net::tcp_flag;
using engine_test::make_segment;
using engine_test::take;
using harness::Dir;
using harness::Pipe;

struct Transition {
  std::string to;
  Time at;
  bool operator==(const Transition&) const = default;
};

struct Recorder {
  std::vector<std::string> states;
  std::vector<Transition> log;
  void attach(Connection& c) {
    c.on_state_change = [this](State, State to, Time t) {
      states.push_back(state_name(to));
      log.push_back({state_name(to), t});
    };
  }
  Time when(const std::string& s) const {
    for (const auto& t : log)
      if (t.to == s) return t.at;
    return Time{-1};
  }
};

TEST(TcpTeardown, OrderlyCloseThroughEveryState) {
  TcpParams p;
  Pipe pipe(p, p);
  Recorder ra, rb;
  ra.attach(pipe.a);
  rb.attach(pipe.b);
  pipe.connect();
  pipe.bulk(100000);  // A closes when all is written; B closes when it reads A's FIN
  ASSERT_TRUE(pipe.run_until([&] { return pipe.both_closed(); }, Time::from_s(100)));
  EXPECT_EQ(ra.states, (std::vector<std::string>{"SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2",
                                                 "TIME_WAIT", "CLOSED"}));
  EXPECT_EQ(rb.states, (std::vector<std::string>{"LISTEN", "SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK",
                                                 "CLOSED"}));
  // TIME_WAIT lasts 2 * MSL = 60 s (Linux's TCP_TIMEWAIT_LEN).
  EXPECT_EQ(ra.when("CLOSED") - ra.when("TIME_WAIT"), Time::from_s(60));
  EXPECT_EQ(pipe.received_digest(), pipe.sent_digest());
  EXPECT_EQ(pipe.a.close_reason(), CloseReason::none);
  EXPECT_EQ(pipe.b.close_reason(), CloseReason::none);
  EXPECT_TRUE(pipe.b.eof());
}

TEST(TcpTeardown, TimeWaitFollowsTheMslParameter) {
  TcpParams p;
  p.msl = Time::from_s(2);
  Pipe pipe(p, p);
  Recorder ra;
  ra.attach(pipe.a);
  pipe.connect();
  pipe.bulk(10);
  ASSERT_TRUE(pipe.run_until([&] { return pipe.both_closed(); }, Time::from_s(100)));
  EXPECT_EQ(ra.when("CLOSED") - ra.when("TIME_WAIT"), Time::from_s(4));
}

TEST(TcpTeardown, SimultaneousCloseGoesThroughClosing) {
  TcpParams p;
  Pipe pipe(p, p);
  Recorder ra, rb;
  ra.attach(pipe.a);
  rb.attach(pipe.b);
  pipe.sink_close = false;
  pipe.connect();
  ASSERT_TRUE(pipe.run_until([&] { return pipe.b.state() == State::established; }, Time::from_s(1)));
  pipe.a.close(pipe.now());
  pipe.b.close(pipe.now());
  ASSERT_TRUE(pipe.run_until([&] { return pipe.both_closed(); }, Time::from_s(100)));
  const std::vector<std::string> expect = {"FIN_WAIT_1", "CLOSING", "TIME_WAIT", "CLOSED"};
  EXPECT_EQ(std::vector<std::string>(ra.states.end() - 4, ra.states.end()), expect);
  EXPECT_EQ(std::vector<std::string>(rb.states.end() - 4, rb.states.end()), expect);
  EXPECT_EQ(ra.when("CLOSED") - ra.when("TIME_WAIT"), Time::from_s(60));
}

TEST(TcpTeardown, TimeWaitReacknowledgesARepeatedFin) {
  TcpParams p;
  Pipe pipe(p, p);
  Recorder ra;
  ra.attach(pipe.a);
  // Drop A's first ACK of B's FIN: B repeats its FIN after its RTO; A answers from TIME_WAIT.
  bool dropped = false;
  pipe.drop = [&](const Segment& s, Dir d, uint64_t) {
    if (d == Dir::a_to_b && !dropped && pipe.a.state() == State::time_wait && s.len() == 0) {
      dropped = true;
      return true;
    }
    return false;
  };
  pipe.connect();
  pipe.bulk(5000);
  ASSERT_TRUE(pipe.run_until([&] { return pipe.b.state() == State::closed; }, Time::from_s(10)));
  EXPECT_TRUE(dropped);
  EXPECT_EQ(pipe.b.retransmitted_segments(), 1u);  // the FIN, once
  EXPECT_EQ(pipe.b.timeouts(), 1u);
  EXPECT_EQ(pipe.b.close_reason(), CloseReason::none);
  ASSERT_TRUE(pipe.run_until([&] { return pipe.a.state() == State::closed; }, Time::from_s(100)));
  // The repeated FIN restarted the 2*MSL timer.
  EXPECT_GT(ra.when("CLOSED") - ra.when("TIME_WAIT"), Time::from_s(60));
}

TEST(TcpTeardown, AbortSendsRstAndThePeerResets) {
  TcpParams p;
  Pipe pipe(p, p);
  pipe.connect();
  ASSERT_TRUE(pipe.run_until([&] { return pipe.b.state() == State::established; }, Time::from_s(1)));
  pipe.a.abort(pipe.now());
  auto& out = pipe.a.output();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].header.flags, rst);
  EXPECT_EQ(out[0].header.seq, 1001u);  // SND.NXT
  EXPECT_EQ(pipe.a.state(), State::closed);
  EXPECT_EQ(pipe.a.close_reason(), CloseReason::aborted);
  ASSERT_TRUE(pipe.run_until([&] { return pipe.b.state() == State::closed; }, Time::from_s(1)));
  EXPECT_EQ(pipe.b.close_reason(), CloseReason::reset);
}

TEST(TcpTeardown, RstOutsideExactSequenceIsChallenged) {
  Connection a(engine_test::bare_params(), nullptr, 100, 40000, 80);
  a.open_active(Time{});
  take(a);
  a.on_segment(make_segment(9000, 101, syn | ack), Time::from_ms(1));
  take(a);
  // In the window but not at RCV.NXT (9001): a challenge ACK, no reset (RFC 5961 3.2).
  a.on_segment(make_segment(9100, 0, rst), Time::from_ms(2));
  auto out = take(a);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].header.flags, ack);
  EXPECT_EQ(out[0].header.ack, 9001u);
  EXPECT_EQ(a.state(), State::established);
  EXPECT_EQ(a.challenge_acks(), 1u);
  // Outside the window: silently dropped.
  a.on_segment(make_segment(9001 + 70000, 0, rst), Time::from_ms(3));
  EXPECT_TRUE(take(a).empty());
  // A SYN on an established connection is challenged too (RFC 5961 4.2).
  a.on_segment(make_segment(9001, 101, syn), Time::from_ms(4));
  EXPECT_EQ(take(a).size(), 1u);
  EXPECT_EQ(a.state(), State::established);
  EXPECT_EQ(a.challenge_acks(), 2u);
  // Exactly at RCV.NXT: reset.
  a.on_segment(make_segment(9001, 0, rst), Time::from_ms(5));
  EXPECT_EQ(a.state(), State::closed);
  EXPECT_EQ(a.close_reason(), CloseReason::reset);
  EXPECT_EQ(a.next_timer(), std::nullopt);
}

TEST(TcpTeardown, RstInSynRcvdReturnsAPassiveOpenToListen) {
  Connection b(TcpParams{}, nullptr, 7000, 80, 0);
  b.open_passive();
  Segment s = make_segment(300, 0, syn);
  s.header.src_port = 40000;
  b.on_segment(s, Time{});
  take(b);
  ASSERT_EQ(b.state(), State::syn_rcvd);
  b.on_segment(make_segment(301, 0, rst), Time::from_ms(1));
  EXPECT_EQ(b.state(), State::listen);
  EXPECT_EQ(b.next_timer(), std::nullopt);
}

TEST(TcpTeardown, CloseBeforeEstablished) {
  Connection a(TcpParams{}, nullptr, 1, 40000, 80), b(TcpParams{}, nullptr, 2, 80, 0);
  a.open_active(Time{});
  a.close(Time::from_ms(1));
  EXPECT_EQ(a.state(), State::closed);
  EXPECT_EQ(a.next_timer(), std::nullopt);
  b.open_passive();
  b.close(Time::from_ms(1));
  EXPECT_EQ(b.state(), State::closed);
}

TEST(TcpTeardown, DataAfterFinIsStillDelivered) {
  // A's FIN rides on its last segment; a reordered FIN segment waits for the hole to fill.
  TcpParams p;
  harness::PathParams path;
  Pipe pipe(p, p, path, {}, 1);
  pipe.connect();
  // Hold back the first data segment so the FIN-carrying tail arrives first.
  int seen = 0;
  pipe.drop = [&](const Segment& s, Dir d, uint64_t) {
    return d == Dir::a_to_b && s.payload.length > 0 && seen++ == 0;
  };
  pipe.bulk(3000);
  ASSERT_TRUE(pipe.run_until([&] { return pipe.both_closed(); }, Time::from_s(100)));
  EXPECT_EQ(pipe.received_bytes(), 3000u);
  EXPECT_EQ(pipe.received_digest(), pipe.sent_digest());
}

}  // namespace
}  // namespace hostwire::tcp
