// The send state as a value: a snapshot restored into the same connection changes nothing (the
// same segments at the same times, the same counters), even mid-flight and in loss recovery; a
// second engine restored from a snapshot carries the transfer on and hands it back without
// spurious retransmissions; a state that does not fit is refused with the reason.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "cubic.h"
#include "engine_fixtures.h"
#include "testing/pipe.h"

namespace hostwire::tcp {
namespace {

using namespace net::tcp_flag;
using harness::Dir;
using harness::PathParams;
using harness::Pipe;
using harness::WireRecord;

static_assert(std::is_copy_constructible_v<SendState> && std::is_copy_assignable_v<SendState>);

bool same(const WireRecord& x, const WireRecord& y) {
  return x.at == y.at && x.dir == y.dir && x.seq == y.seq && x.ack == y.ack && x.len == y.len &&
         x.payload == y.payload && x.flags == y.flags && x.window == y.window && x.sack_blocks == y.sack_blocks &&
         x.dropped == y.dropped;
}

std::vector<uint64_t> counters(const Connection& c) {
  return {c.cwnd(),          c.ssthresh(),           static_cast<uint64_t>(c.srtt().ps),
          static_cast<uint64_t>(c.rto().ps), c.retransmitted_segments(), c.retransmitted_bytes(),
          c.fast_retransmits(), c.timeouts(),        c.bytes_acked(),
          c.segments_sent(),   c.data_segments_sent(), c.acks_sent(),
          c.zero_window_probes(), c.dupacks_received(), static_cast<uint64_t>(c.state())};
}

// Keeps B's SYN-ACK as it left, so another engine can complete the same handshake.
struct SynAckTap {
  explicit SynAckTap(Pipe& pipe) {
    pipe.on_wire = [this](const Segment& s, Dir d, Time t) {
      if (d == Dir::b_to_a && s.has(syn) && !segment) {
        segment = s;
        at = t;
      }
    };
  }
  std::optional<Segment> segment;
  Time at{};
};

// A second engine for A: the same ISS and ports, the same handshake (B's SYN-ACK replayed),
// holding `bytes` of the stream. What it sends on its own is discarded: a snapshot decides.
std::unique_ptr<Connection> second_engine(const TcpParams& p, const SynAckTap& tap, std::span<const uint8_t> bytes) {
  auto c = std::make_unique<Connection>(p, nullptr, 1000, 40000, 80);
  c->open_active(Time{});
  c->send(bytes, Time{});
  EXPECT_TRUE(tap.segment);
  if (tap.segment) c->on_segment(*tap.segment, tap.at);
  EXPECT_EQ(c->state(), State::established);
  engine_test::take(*c);
  return c;
}

// The send state's fields as numbers, to compare two engines.
std::vector<uint64_t> fields(const SendState& s) {
  auto t = [](std::optional<Time> x) { return x ? static_cast<uint64_t>(x->ps) : UINT64_MAX; };
  const SendCounters& n = s.counters;
  return {s.una(), s.nxt(), s.scoreboard.sacked_bytes(), s.scoreboard.lost_bytes(), s.scoreboard.retrans_bytes(),
          s.snd_wnd, s.max_snd_wnd, s.snd_wl1, s.snd_wl2, s.fin_queued, s.fin_sent, s.fin_pos,
          s.cc ? s.cc->cwnd() : 0, s.cc ? s.cc->ssthresh() : 0, static_cast<uint64_t>(s.recovery),
          s.recovery_point, s.recover, s.dupacks, s.dup_bytes, s.force_retransmit, s.cwnd_limited,
          static_cast<uint64_t>(s.consecutive_timeouts), static_cast<uint64_t>(s.rtt.srtt().ps),
          static_cast<uint64_t>(s.rtt.rttvar().ps), static_cast<uint64_t>(s.rtt.rto().ps),
          static_cast<uint64_t>(s.rtt.min_rtt().ps), static_cast<uint64_t>(s.rtt.backoffs()), t(s.rto_at),
          t(s.persist_at), static_cast<uint64_t>(s.persist_backoff), n.retransmitted_segments,
          n.retransmitted_bytes, n.fast_retransmits, n.timeouts, n.bytes_acked, n.data_segments_sent,
          n.zero_window_probes, n.dupacks_received};
}

struct BulkRun {
  std::vector<WireRecord> wire;
  std::vector<uint64_t> a, b;
  bool digest_ok = false;
  uint64_t restores = 0, in_flight = 0, grown = 0, in_recovery = 0, in_loss = 0;
};

// A bulk transfer from A to B; with `round_trip`, A's send state is snapshot and restored at
// every pump of the event loop (after every event).
BulkRun bulk(const TcpParams& p, const PathParams& path, uint64_t bytes, bool round_trip) {
  Pipe pipe(p, p, path, PathParams{}, 11);
  pipe.record = true;
  BulkRun r;
  if (round_trip) {
    pipe.on_pump = [&](Time) {
      Connection& a = pipe.a;
      if (a.state() != State::established && a.state() != State::fin_wait_1) return;
      const SendState s = a.snapshot();
      const RestoreResult ok = a.restore(s);
      ASSERT_TRUE(ok) << ok.reason;
      ++r.restores;
      if (a.bytes_in_flight() > 0) ++r.in_flight;
      if (a.cwnd() > 10 * uint64_t{a.send_mss()}) ++r.grown;
      if (a.in_recovery()) ++r.in_recovery;
      if (a.in_loss()) ++r.in_loss;
    };
  }
  pipe.connect();
  pipe.bulk(bytes);
  EXPECT_TRUE(pipe.run_until([&] { return pipe.both_closed(); }, Time::from_s(300)));
  r.wire = pipe.wire;
  r.a = counters(pipe.a);
  r.b = counters(pipe.b);
  r.digest_ok = pipe.received_bytes() == bytes && pipe.received_digest() == pipe.sent_digest();
  return r;
}

TEST(TcpSnapshot, RoundTripAtEveryEventChangesNothing) {
  struct Case {
    const char* name;
    const char* cc;
    bool sack;
    double loss;
  };
  for (const Case& c : {Case{"cubic_sack", "cubic", true, 0.01}, Case{"newreno_no_sack", "newreno", false, 0.02},
                        Case{"cubic_heavy_loss", "cubic", true, 0.08}}) {
    SCOPED_TRACE(c.name);
    TcpParams p;
    p.congestion = c.cc;
    p.sack = c.sack;
    PathParams path;
    path.delay = Time::from_ms(2);
    path.loss = c.loss;
    const BulkRun plain = bulk(p, path, 1 << 20, false);
    const BulkRun looped = bulk(p, path, 1 << 20, true);
    EXPECT_TRUE(plain.digest_ok);
    EXPECT_TRUE(looped.digest_ok);
    ASSERT_EQ(plain.wire.size(), looped.wire.size());
    for (size_t i = 0; i < plain.wire.size(); ++i) ASSERT_TRUE(same(plain.wire[i], looped.wire[i])) << "segment " << i;
    EXPECT_EQ(plain.a, looped.a);
    EXPECT_EQ(plain.b, looped.b);
    // The snapshots were taken with data in flight, a grown window, and in recovery.
    EXPECT_GT(looped.restores, 100u);
    EXPECT_GT(looped.in_flight, 100u);
    EXPECT_GT(looped.grown, 10u);
    EXPECT_GT(looped.in_recovery + looped.in_loss, 0u);
  }
}

TEST(TcpSnapshot, CubicStateTravelsWithTheSnapshot) {
  TcpParams p;
  PathParams path;
  path.delay = Time::from_ms(2);
  path.loss = 0.01;
  Pipe pipe(p, p, path, PathParams{}, 3);
  pipe.connect();
  pipe.bulk(1 << 20);
  ASSERT_TRUE(pipe.run_until([&] { return pipe.a.fast_retransmits() > 0 && !pipe.a.in_recovery(); },
                             Time::from_s(60)));
  const SendState s = pipe.a.snapshot();
  const auto* live = dynamic_cast<const Cubic*>(pipe.a.send_path().state().cc.get());
  const auto* copy = dynamic_cast<const Cubic*>(s.cc.get());
  ASSERT_NE(live, nullptr);
  ASSERT_NE(copy, nullptr);
  EXPECT_NE(live, copy);  // a copy, not a reference
  EXPECT_EQ(copy->cwnd(), live->cwnd());
  EXPECT_EQ(copy->ssthresh(), live->ssthresh());
  EXPECT_EQ(copy->w_max(), live->w_max());
  EXPECT_EQ(copy->k(), live->k());
  EXPECT_EQ(copy->epoch_start(), live->epoch_start());
  EXPECT_GT(live->w_max(), 0.0);
  // Copies are independent values.
  SendState t = s;
  t.snd_wnd = 0;
  t.cc->on_rto(pipe.now(), t.cc->cwnd());
  EXPECT_EQ(s.snd_wnd, pipe.a.snd_wnd());
  EXPECT_EQ(s.cc->cwnd(), live->cwnd());
  EXPECT_NE(t.cc->cwnd(), live->cwnd());
}

// A's send state moves to a second engine (a connection that completed the same handshake and
// holds the same stream bytes), which takes the ACKs, repairs a loss and sends for a while, then
// moves back; B sees one stream and only the dropped segments twice.
TEST(TcpSnapshot, HandOverToASecondEngineAndBack) {
  for (bool sack : {true, false}) {
    SCOPED_TRACE(sack ? "sack" : "newreno");
    TcpParams p;
    p.sack = sack;
    PathParams path;
    path.delay = Time::from_ms(1);
    Pipe pipe(p, p, path, path);
    const uint64_t total = 3 << 20;
    const std::set<uint64_t> drop = {100, 700, 1900};  // first transmissions of data segments
    std::set<uint32_t> seen;
    uint64_t data_index = 0, dropped = 0;
    pipe.drop = [&](const Segment& s, Dir d, uint64_t) {
      if (d != Dir::a_to_b || s.payload.length == 0 || !seen.insert(s.header.seq).second) return false;
      if (drop.count(data_index++) == 0) return false;
      ++dropped;
      return true;
    };
    const SynAckTap tap(pipe);
    pipe.connect();
    pipe.bulk(total, /*close_when_done=*/false);
    ASSERT_TRUE(pipe.run_until([&] { return pipe.a.bytes_acked() >= 400'000; }, Time::from_s(10)));
    ASSERT_EQ(pipe.written_bytes(), total);  // all in A's buffer since the handshake
    const std::unique_ptr<Connection> engine = second_engine(p, tap, pipe.source());
    Connection& a2 = *engine;

    const SendState from_a = pipe.a.snapshot();
    EXPECT_GT(from_a.nxt(), from_a.una());
    const RestoreResult r1 = a2.restore(from_a);
    ASSERT_TRUE(r1) << r1.reason;
    EXPECT_EQ(a2.cwnd(), pipe.a.cwnd());
    EXPECT_EQ(a2.bytes_in_flight(), pipe.a.bytes_in_flight());
    EXPECT_EQ(a2.next_timer(), pipe.a.next_timer());
    pipe.set_a_engine(&a2);
    ASSERT_TRUE(pipe.run_until([&] { return a2.bytes_acked() >= 2'000'000; }, Time::from_s(20)));
    EXPECT_GT(a2.fast_retransmits(), from_a.counters.fast_retransmits);  // the second loss was repaired there
    EXPECT_GT(a2.data_segments_sent(), from_a.counters.data_segments_sent);

    const SendState from_a2 = a2.snapshot();
    const RestoreResult r2 = pipe.a.restore(from_a2);
    ASSERT_TRUE(r2) << r2.reason;
    pipe.set_a_engine(nullptr);
    pipe.a.close(pipe.now());
    ASSERT_TRUE(pipe.run_until([&] { return pipe.both_closed(); }, Time::from_s(120)));

    EXPECT_EQ(pipe.received_bytes(), total);
    EXPECT_EQ(pipe.received_digest(), pipe.sent_digest());
    EXPECT_EQ(pipe.a.bytes_acked(), total);
    EXPECT_EQ(dropped, 3u);
    EXPECT_EQ(pipe.a.retransmitted_segments(), 3u);  // the counters travelled too
    EXPECT_EQ(pipe.stats(Dir::a_to_b).seen_twice, 3u);
    EXPECT_EQ(pipe.a.fast_retransmits(), 3u);
    EXPECT_EQ(pipe.a.timeouts(), 0u);
  }
}

// Nothing the send path decides with is left behind: a second engine restored from A's snapshot
// in the middle of loss recovery puts on the wire exactly the segments, at exactly the times, that
// A would have (the receive side it starts from is A's too, as nothing was sent to A).
TEST(TcpSnapshot, ASecondEngineContinuesExactlyAsTheFirstWould) {
  for (const char* cc : {"cubic", "newreno"}) {
    SCOPED_TRACE(cc);
    TcpParams p;
    p.congestion = cc;
    PathParams path;
    path.delay = Time::from_ms(2);
    path.loss = 0.01;
    const uint64_t total = 3 << 20;
    auto run = [&](bool hand_over) {
      Pipe pipe(p, p, path, PathParams{}, 5);
      pipe.record = true;
      const SynAckTap tap(pipe);
      pipe.connect();
      pipe.bulk(total, /*close_when_done=*/false);
      EXPECT_TRUE(pipe.run_until([&] { return pipe.a.in_recovery() && pipe.a.bytes_acked() > 300'000; },
                                 Time::from_s(20)));
      std::unique_ptr<Connection> a2;
      if (hand_over) {
        a2 = second_engine(p, tap, pipe.source());
        const RestoreResult r = a2->restore(pipe.a.snapshot());
        EXPECT_TRUE(r) << r.reason;
        pipe.set_a_engine(a2.get());
      }
      EXPECT_TRUE(pipe.run_until([&] { return pipe.received_bytes() == total; }, Time::from_s(60)));
      return std::make_pair(pipe.wire, fields(pipe.a_engine().snapshot()));
    };
    const auto plain = run(false);
    const auto handed = run(true);
    ASSERT_EQ(plain.first.size(), handed.first.size());
    for (size_t i = 0; i < plain.first.size(); ++i)
      ASSERT_TRUE(same(plain.first[i], handed.first[i])) << "segment " << i;
    EXPECT_EQ(plain.second, handed.second);
  }
}

// A connection mid-transfer, for the refusals.
struct Midway {
  Midway() : pipe(params(), params()), tap(pipe) {
    pipe.connect();
    pipe.bulk(1 << 20, /*close_when_done=*/false);
    EXPECT_TRUE(pipe.run_until([&] { return pipe.a.bytes_acked() >= 100'000; }, Time::from_s(10)));
  }
  static TcpParams params() {
    TcpParams p;
    p.congestion = "newreno";
    return p;
  }
  Pipe pipe;
  SynAckTap tap;
};

void expect_refused(Connection& c, const SendState& s, const std::string& words) {
  const SendState before = c.snapshot();
  const RestoreResult r = c.restore(s);
  EXPECT_FALSE(r);
  EXPECT_NE(r.reason.find(words), std::string::npos) << r.reason;
  const SendState after = c.snapshot();  // nothing changed
  EXPECT_EQ(after.una(), before.una());
  EXPECT_EQ(after.nxt(), before.nxt());
  EXPECT_EQ(after.snd_wnd, before.snd_wnd);
  EXPECT_EQ(c.cwnd(), before.cc ? before.cc->cwnd() : c.cwnd());
}

TEST(TcpSnapshot, RestoreRefusesAStateWhoseBytesWereReleased) {
  Midway m;
  const SendState old = m.pipe.a.snapshot();
  ASSERT_TRUE(m.pipe.run_until([&] { return m.pipe.a.bytes_acked() >= 600'000; }, Time::from_s(10)));
  expect_refused(m.pipe.a, old, "released");
}

TEST(TcpSnapshot, RestoreRefusesBytesTheTargetDoesNotHold) {
  Midway m;
  const SendState s = m.pipe.a.snapshot();
  // A second engine with only the first 1000 bytes of the stream.
  const auto short_buffer = second_engine(Midway::params(), m.tap, std::span<const uint8_t>(m.pipe.source()).first(1000));
  expect_refused(*short_buffer, s, "beyond");
  // With all of them it takes the state.
  const auto full = second_engine(Midway::params(), m.tap, m.pipe.source());
  EXPECT_TRUE(full->restore(s));
}

TEST(TcpSnapshot, RestoreRefusesAnotherConnection) {
  Midway m;
  const SendState s = m.pipe.a.snapshot();
  SendState other_iss = s;
  other_iss.iss += 1;
  expect_refused(m.pipe.a, other_iss, "initial sequence number");
  SendState other_mss = s;
  other_mss.options.mss -= 100;
  expect_refused(m.pipe.a, other_mss, "options");
  SendState closed = s;
  closed.fin_queued = true;
  closed.fin_pos = s.buffer_end;
  expect_refused(m.pipe.a, closed, "FIN");
  // Before the handshake there is nothing to continue.
  Connection fresh(Midway::params(), nullptr, 1000, 40000, 80);
  const RestoreResult r = fresh.restore(s);
  EXPECT_FALSE(r);
  EXPECT_NE(r.reason.find("SYN"), std::string::npos) << r.reason;
}

TEST(TcpSnapshot, RestoreRefusesACongestionControlThatCannotBeCopied) {
  TcpParams p = Midway::params();
  Pipe pipe(p, p, {}, {}, 1, 1000, 500000, engine_test::fixed(20 * 1448));
  pipe.connect();
  pipe.bulk(200'000, false);
  ASSERT_TRUE(pipe.run_until([&] { return pipe.a.bytes_acked() >= 50'000; }, Time::from_s(10)));
  const SendState s = pipe.a.snapshot();
  EXPECT_FALSE(s.cc);
  EXPECT_EQ(s.cc.name(), "fixed");
  expect_refused(pipe.a, s, "cannot be copied");
}

}  // namespace
}  // namespace hostwire::tcp
