// Pieces of new data handed out by the send path for others to build (the parallel-send
// feature's several cores per connection): in piece mode every new byte leaves as a reserved
// piece; pieces are contiguous and in order, never exceed cwnd or the peer's window, and the
// segments built from them make one intact stream at the peer while the owner repairs losses.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <vector>

#include "engine_fixtures.h"
#include "testing/pipe.h"

namespace hostwire::tcp {
namespace {

using harness::Dir;
using harness::PathParams;
using harness::Pipe;

struct PieceRun {
  uint64_t pieces = 0, fin_pieces = 0, runts = 0, super = 0, refused_builds = 0, max_cwnd = 0;
  std::vector<SendPiece> all;
};

// A sends `bytes` in piece mode: at every pump a "core" reserves pieces of cycling sizes and
// builds their segments into A's output at once.
PieceRun run_pieces(Pipe& pipe, uint64_t bytes, std::set<uint64_t> drop) {
  PieceRun r;
  Connection& a = pipe.a;
  a.set_piece_mode(true);
  const uint64_t sizes[] = {1448, 3000, 700, 65536, 2896};
  uint64_t next = 1, turn = 0;
  pipe.on_pump = [&](Time now) {
    for (;;) {
      const uint64_t una = a.send_path().una(), wnd = a.snd_wnd(), cw = a.cwnd(), pipe_before = a.bytes_in_flight();
      const uint64_t want = sizes[turn % std::size(sizes)];
      const std::optional<SendPiece> pc = a.reserve(want, now);
      if (!pc) break;
      ++turn;
      ++r.pieces;
      EXPECT_EQ(pc->seq, next);  // contiguous, in order
      EXPECT_GT(pc->len, 0u);
      EXPECT_LE(pc->len, want);
      EXPECT_LE(pc->seq + pc->len, una + wnd);  // the peer's window
      EXPECT_LE(pipe_before + pc->len, cw);     // cwnd
      EXPECT_EQ(a.send_path().nxt(), pc->end());
      next = pc->end();
      r.max_cwnd = std::max(r.max_cwnd, cw);
      if (pc->fin) ++r.fin_pieces;
      if (pc->len < a.send_mss()) ++r.runts;
      if (pc->len > a.send_mss()) ++r.super;
      r.all.push_back(*pc);
      std::optional<Segment> s = a.build(*pc, now);
      ASSERT_TRUE(s);
      EXPECT_EQ(s->payload.length, pc->len);
      a.output().push_back(std::move(*s));
    }
  };
  std::set<uint32_t> seen;
  uint64_t index = 0;
  pipe.drop = [&, drop](const Segment& s, Dir d, uint64_t) {
    if (d != Dir::a_to_b || s.payload.length == 0 || !seen.insert(s.header.seq).second) return false;
    return drop.count(index++) > 0;
  };
  pipe.connect();
  pipe.bulk(bytes);
  EXPECT_TRUE(pipe.run_until([&] { return pipe.both_closed(); }, Time::from_s(200)));
  pipe.on_pump = nullptr;
  // A piece whose bytes were acknowledged builds nothing.
  if (!r.all.empty() && !a.build(r.all.front(), pipe.now())) ++r.refused_builds;
  return r;
}

TEST(TcpSendPieces, PiecesAreContiguousWithinTheWindowsAndMakeOneStream) {
  for (bool sack : {true, false}) {
    SCOPED_TRACE(sack ? "sack" : "newreno");
    TcpParams p;
    p.sack = sack;
    p.tso_max = Bytes{65536};
    PathParams path;
    path.delay = Time::from_ms(1);
    Pipe pipe(p, p, path, path);
    const uint64_t bytes = 4 << 20;
    const PieceRun r = run_pieces(pipe, bytes, {50, 300, 301, 900});

    EXPECT_EQ(pipe.received_bytes(), bytes);
    EXPECT_EQ(pipe.received_digest(), pipe.sent_digest());
    EXPECT_EQ(pipe.a.bytes_acked(), bytes);
    // Every new byte left as a piece; the owner repaired the losses.
    EXPECT_EQ(pipe.a.data_segments_sent(), r.pieces);
    EXPECT_EQ(r.fin_pieces, 1u);  // the FIN rode on the last piece
    EXPECT_EQ(r.all.back().seq + r.all.back().len, 1 + bytes);
    EXPECT_GT(r.runts, 0u);
    EXPECT_GT(r.super, 0u);
    EXPECT_GE(pipe.a.retransmitted_segments(), 4u);
    EXPECT_GT(pipe.a.fast_retransmits(), 0u);
    EXPECT_EQ(pipe.a.timeouts(), 0u);
    EXPECT_EQ(r.refused_builds, 1u);
    // Pieces that fill cwnd count as cwnd-limited sending: the window grows.
    EXPECT_GT(r.max_cwnd, 40 * uint64_t{pipe.a.send_mss()});
  }
}

TEST(TcpSendPieces, NoPiecesBeforeTheHandshakeOrBeyondAClosedWindow) {
  TcpParams p;
  p.rcvbuf = Bytes{256 * 1024};
  PathParams path;
  path.delay = Time::from_ms(1);
  Pipe pipe(p, p, path, path);
  pipe.a.set_piece_mode(true);
  pipe.reader_paused = true;  // B's window closes
  EXPECT_FALSE(pipe.a.reserve(1448, Time{}));  // not even opened
  pipe.connect();
  EXPECT_FALSE(pipe.a.reserve(1448, pipe.now()));  // SYN_SENT
  pipe.bulk(8 << 20, false);
  uint64_t reserved = 0;
  pipe.on_pump = [&](Time now) {
    while (auto pc = pipe.a.reserve(1 << 20, now)) {
      reserved += pc->len;
      pipe.a.output().push_back(*pipe.a.build(*pc, now));
    }
  };
  pipe.run_until(Time::from_s(2));
  // Everything the peer offered was handed out, and nothing more.
  const uint64_t rcvbuf = static_cast<uint64_t>(p.rcvbuf.n);
  EXPECT_LE(reserved, rcvbuf);
  EXPECT_GT(reserved, rcvbuf - 64 * 1024);
  EXPECT_LT(pipe.a.snd_wnd(), pipe.a.send_mss());  // at most a sliver, which SWS avoidance keeps
  EXPECT_FALSE(pipe.a.reserve(1448, pipe.now()));
  EXPECT_GT(pipe.a.zero_window_probes(), 0u);  // the owner probes the closed window
}

}  // namespace
}  // namespace hostwire::tcp

namespace hostwire::tcp {
namespace {

TEST(TcpSendPieces, WindowRoomIsWhatReservationsCanTakeAndBatchingHoldersStillGrowCwnd) {
  // A holder that waits for 16 segments of room (a chunk) and says so with note_piece_demand():
  // what it reserves then is window_room() to within one MSS, and cwnd grows as for a sender
  // that is never application-limited.
  TcpParams p;
  PathParams path;
  path.delay = Time::from_us(200);
  Pipe pipe(p, p, path, path);
  Connection& a = pipe.a;
  a.set_piece_mode(true);
  uint64_t batches = 0;
  pipe.on_pump = [&](Time now) {
    const uint64_t want = 16 * uint64_t{a.send_mss()};
    a.note_piece_demand(want);
    const uint64_t room = a.window_room();
    if (room < want && a.bytes_in_flight() > 0) return;
    uint64_t took = 0;
    while (auto pc = a.reserve(room - took, now)) {
      took += pc->len;
      a.output().push_back(*a.build(*pc, now));
    }
    if (took == 0) return;
    ++batches;
    EXPECT_LE(took, room);
    if (a.unsent_bytes() > 0) {
      EXPECT_LT(room - took, a.send_mss());  // what is left of the room is less than a segment
    }
  };
  pipe.connect();
  pipe.bulk(16 << 20);
  EXPECT_TRUE(pipe.run_until([&] { return pipe.both_closed(); }, Time::from_s(200)));
  EXPECT_EQ(pipe.received_digest(), pipe.sent_digest());
  EXPECT_GT(batches, 50u);
  EXPECT_GT(a.cwnd(), 200 * uint64_t{a.send_mss()});
}

TEST(TcpReordering, SpuriousRetransmissionsAreFoundByTheirTimestampsAndToleranceAvoidsThem) {
  // 2 % of segments held back 40 us (about 35 segments at 10 Gbps), no loss: every retransmission
  // is spurious, and the receiver gets its bytes twice. The sender's Eifel test sees those whose
  // original arrived first (a retransmission that overtakes its held-back original is not
  // visible to it: the ACK echoes the retransmission); tolerating 100 segments retransmits nothing.
  for (int64_t tolerance : {3, 100}) {
    SCOPED_TRACE(tolerance);
    TcpParams p;
    p.reordering = tolerance;
    PathParams ab;
    ab.rate = Rate::from_gbps(10);
    ab.reorder = 0.02;
    ab.reorder_delay = Time::from_us(40);
    PathParams ba;
    ba.rate = Rate::from_gbps(10);
    Pipe pipe(p, p, ab, ba);
    pipe.connect();
    pipe.bulk(8 << 20);
    EXPECT_TRUE(pipe.run_until([&] { return pipe.both_closed(); }, Time::from_s(200)));
    EXPECT_EQ(pipe.received_digest(), pipe.sent_digest());
    EXPECT_GT(pipe.b.out_of_order_segments(), 50u);
    if (tolerance == 3) {
      EXPECT_GT(pipe.a.retransmitted_segments(), 10u);
      EXPECT_LE(pipe.a.spurious_retransmits(), pipe.a.retransmitted_segments());
      EXPECT_EQ(pipe.b.duplicate_segments(), pipe.a.retransmitted_segments());
      EXPECT_GT(pipe.a.spurious_retransmits(), 0u);
    } else {
      EXPECT_EQ(pipe.a.retransmitted_segments(), 0u);
      EXPECT_EQ(pipe.a.spurious_retransmits(), 0u);
      EXPECT_EQ(pipe.b.duplicate_segments(), 0u);
    }
  }
}

}  // namespace
}  // namespace hostwire::tcp
