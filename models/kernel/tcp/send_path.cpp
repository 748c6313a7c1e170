#include "kernel/tcp/send_path.h"

#include <algorithm>

namespace hostwire::tcp {

using namespace net::tcp_flag;

SendPath::SendPath(const TcpParams& params, SeqSpace space) : p_(params) {
  st_.iss = space.initial;
  st_.options.mss = static_cast<uint32_t>(p_.mss.n);
  st_.rtt = RttEstimator(p_.rto_initial, p_.rto_min, p_.rto_max);
  set_tso_max(static_cast<uint32_t>(p_.tso_max.n));
}

void SendPath::negotiate(uint32_t mss, uint8_t window_shift, bool sack, bool timestamps) {
  st_.options.mss = mss;
  st_.options.window_shift = window_shift;
  st_.options.sack = sack;
  st_.options.timestamps = timestamps;
}

void SendPath::set_tso_max(uint32_t bytes) { st_.options.tso_max = std::min<uint32_t>(bytes, 65536); }

void SendPath::establish(uint64_t snd_wnd, uint64_t snd_wl1) {
  st_.scoreboard.reset(1);
  st_.rto_at.reset();
  st_.snd_wnd = snd_wnd;
  st_.max_snd_wnd = snd_wnd;
  st_.snd_wl1 = snd_wl1;
  st_.snd_wl2 = 1;
  if (!st_.cc) {
    CongestionParams cp;
    cp.mss = st_.options.mss;
    cp.initial_window = static_cast<uint32_t>(p_.initial_window);
    st_.cc.reset(make_congestion_control(p_.congestion, cp));
    if (!st_.cc) st_.cc.reset(make_congestion_control("newreno", cp));
  }
}

size_t SendPath::send_space() const {
  const uint64_t cap = static_cast<uint64_t>(p_.sndbuf.n);
  return cap > buf_.size() ? static_cast<size_t>(cap - buf_.size()) : 0;
}

void SendPath::queue_fin() {
  st_.fin_queued = true;
  st_.fin_pos = data_end();
}

uint64_t SendPath::cwnd() const {
  return st_.cc ? st_.cc->cwnd() : static_cast<uint64_t>(p_.initial_window) * st_.options.mss;
}

uint64_t SendPath::ssthresh() const { return st_.cc ? st_.cc->ssthresh() : UINT32_MAX; }

uint64_t SendPath::unsent_bytes() const {
  const uint64_t nxt = st_.scoreboard.high_data(), end = data_end();
  return end > nxt ? end - nxt : 0;
}

uint64_t SendPath::window_room() const {
  const Scoreboard& sb = st_.scoreboard;
  const uint64_t nxt = sb.high_data(), wnd_end = sb.una() + st_.snd_wnd;
  const uint64_t usable = wnd_end > nxt ? wnd_end - nxt : 0;
  const uint64_t cw = cwnd(), pipe = bytes_in_flight();
  return std::min({unsent_bytes(), usable, cw > pipe ? cw - pipe : 0});
}

// ---------------------------------------------------------------------------------------------
// Acknowledgements

uint64_t SendPath::take_sacks(const Segment& s, uint64_t reference) {
  if (!st_.options.sack) return 0;
  const net::TcpHeader& h = s.header;
  const SeqSpace space{st_.iss};
  uint64_t newly_sacked = 0;
  for (uint8_t i = 0; i < h.options.sack_blocks; ++i) {
    const uint64_t l = space.unwrap(h.options.sack[i].left, reference);
    const uint64_t r = space.unwrap(h.options.sack[i].right, reference);
    if (r > l) newly_sacked += st_.scoreboard.sack(l, r);
  }
  if (newly_sacked > 0) st_.scoreboard.update_lost(static_cast<uint64_t>(p_.reordering), st_.options.mss);
  return newly_sacked;
}

void SendPath::tell_cc(Time now, uint64_t newly_acked, Time rtt_sample) {
  AckEvent ev;
  ev.now = now;
  ev.newly_acked = newly_acked;
  ev.bytes_in_flight = st_.scoreboard.pipe(st_.dup_bytes);
  ev.rtt = rtt_sample;
  ev.min_rtt = st_.rtt.min_rtt();
  ev.in_recovery = st_.recovery == RecoveryPhase::fast;
  ev.app_limited = !st_.cwnd_limited;
  st_.cc->on_ack(ev);
}

bool SendPath::on_ack(const Segment& s, uint64_t seg_start, Time now, bool ts_fresh) {
  const net::TcpHeader& h = s.header;
  Scoreboard& sb = st_.scoreboard;
  const uint64_t old_una = sb.una();
  const uint64_t ack64 = SeqSpace{st_.iss}.unwrap(h.ack, old_una);
  if (ack64 > sb.high_data()) return false;  // acknowledges something not yet sent
  bool window_changed = false;
  // RFC 9293 3.10.7.4: take the window from the newest segment (SND.WL1, SND.WL2).
  if (ack64 >= old_una &&
      (old_una < ack64 || st_.snd_wl1 < seg_start || (st_.snd_wl1 == seg_start && st_.snd_wl2 <= ack64))) {
    const uint64_t wnd = static_cast<uint64_t>(h.window) << st_.options.window_shift;
    window_changed = wnd != st_.snd_wnd;
    st_.snd_wnd = wnd;
    st_.snd_wl1 = seg_start;
    st_.snd_wl2 = ack64;
    st_.max_snd_wnd = std::max(st_.max_snd_wnd, wnd);
  }
  if (ack64 > old_una) {
    on_new_ack(s, ack64, now, ts_fresh);
  } else if (ack64 == old_una) {
    const uint64_t newly_sacked = take_sacks(s, old_una);
    // RFC 5681 section 2: a duplicate ACK carries no data and no window change while data is out.
    if (sb.outstanding() > 0 && s.payload.length == 0 && !s.has(syn) && !s.has(fin) && !window_changed) {
      ++st_.counters.dupacks_received;
      ++st_.dupacks;
      if (!st_.options.sack) st_.dup_bytes = std::min<uint64_t>(st_.dup_bytes + st_.options.mss, sb.outstanding());
    }
    if (newly_sacked > 0 && st_.cc) tell_cc(now, newly_sacked, Time{});
    if (st_.recovery == RecoveryPhase::open && sb.outstanding() > 0) {
      const bool lost =
          st_.dupacks >= static_cast<uint64_t>(p_.reordering) || (st_.options.sack && sb.first_lost());
      // RFC 6582 section 3.2 step 1 (recover): no new episode for duplicates of data sent
      // before the last one began; an ACK that reached `recover` has seen all of it.
      if (lost && (st_.options.sack || sb.una() >= st_.recover)) enter_recovery(now);
    }
  }
  return true;
}

void SendPath::on_new_ack(const Segment& s, uint64_t ack64, Time now, bool ts_fresh) {
  const net::TcpHeader& h = s.header;
  Scoreboard& sb = st_.scoreboard;
  const uint64_t old_una = sb.una();
  const Scoreboard::Acked acked = sb.ack(ack64);
  const uint64_t newly_sacked = take_sacks(s, ack64);
  const uint64_t dend = data_end();
  const uint64_t data_acked = std::min(ack64, dend) - std::min(old_una, dend);
  st_.counters.bytes_acked += data_acked;
  buf_.release(std::min(ack64, dend) - 1);

  // RTT: from the send time of data never retransmitted (Karn), else from the echoed
  // timestamp, which names the transmission that was acknowledged (RFC 7323 section 4.1).
  Time sample{};
  if (acked.has_first_sent && !acked.retransmitted) {
    sample = now - acked.first_sent;
  } else if (ts_fresh && h.options.timestamps->tsecr != 0) {
    const uint32_t ticks = ts_now(now) - h.options.timestamps->tsecr;
    if (ticks < (1u << 31)) sample = Time::from_us(ticks);
  }
  if (sample.ps > 0) st_.rtt.sample(sample);
  st_.consecutive_timeouts = 0;
  if (acked.retransmitted_segments > 0 && h.options.timestamps && h.options.timestamps->tsecr != 0 &&
      seq_lt(h.options.timestamps->tsecr, ts_now(acked.latest_retransmit)))
    st_.counters.spurious_retransmits += acked.retransmitted_segments;

  switch (st_.recovery) {
    case RecoveryPhase::fast:
      if (ack64 >= st_.recovery_point) {
        st_.recovery = RecoveryPhase::open;
        st_.dupacks = 0;
        st_.dup_bytes = 0;
        if (st_.cc) st_.cc->on_exit_recovery(now, sb.pipe());
      } else if (!st_.options.sack) {
        // RFC 6582 section 3.2 step 5, in pipe form: deflate by the data acknowledged, add
        // back one SMSS, and retransmit the next hole at once.
        st_.dup_bytes = st_.dup_bytes > acked.bytes ? st_.dup_bytes - acked.bytes : 0;
        if (acked.bytes >= st_.options.mss) st_.dup_bytes += st_.options.mss;
        st_.dup_bytes = std::min(st_.dup_bytes, sb.outstanding());
        sb.mark_first_lost();
        st_.force_retransmit = true;
      }
      break;
    case RecoveryPhase::loss:
      if (ack64 >= st_.recovery_point) st_.recovery = RecoveryPhase::open;
      st_.dupacks = 0;
      st_.dup_bytes = 0;
      break;
    case RecoveryPhase::open:
      st_.dupacks = 0;
      st_.dup_bytes = 0;
      break;
  }
  if (st_.cc) tell_cc(now, acked.newly_acked_unsacked + newly_sacked, sample);
  // RFC 6298 (5.2), (5.3).
  if (sb.outstanding() == 0) st_.rto_at.reset();
  else arm_rto(now);
  if (st_.recovery == RecoveryPhase::open && st_.options.sack && sb.first_lost()) enter_recovery(now);
}

void SendPath::enter_recovery(Time now) {
  Scoreboard& sb = st_.scoreboard;
  st_.recovery = RecoveryPhase::fast;
  st_.recovery_point = st_.recover = sb.high_data();
  ++st_.counters.fast_retransmits;
  if (st_.cc) st_.cc->on_enter_recovery(now, sb.outstanding());
  if (!sb.first_lost()) sb.mark_first_lost();
  // RFC 6675 step 4.3 / RFC 6582 step 2: the first retransmission goes whatever pipe says.
  st_.force_retransmit = true;
}

// ---------------------------------------------------------------------------------------------
// Sending

void SendPath::output(Time now, SegmentOut& out) {
  Scoreboard& sb = st_.scoreboard;
  bool cwnd_blocked = false;
  for (;;) {
    const uint64_t cw = cwnd();
    const uint64_t pipe = sb.pipe(st_.dup_bytes);
    // NextSeg rule 1 (and go-back-N after a timeout): segments presumed lost.
    if (SentSegment* r = sb.next_lost()) {
      if (st_.force_retransmit || pipe + r->len <= cw) {
        st_.force_retransmit = false;
        retransmit(*r, now, out);
        continue;
      }
      cwnd_blocked = true;
      break;
    }
    st_.force_retransmit = false;
    // Rule 2: new data.
    if (send_new_data(now, cw, pipe, cwnd_blocked, out)) continue;
    if (cwnd_blocked) break;
    // Rule 3: during SACK recovery, an unSACKed segment below the highest SACK.
    if (st_.recovery == RecoveryPhase::fast && st_.options.sack) {
      if (SentSegment* r = sb.next_unsacked_below_high_sack()) {
        if (pipe + r->len <= cw) {
          retransmit(*r, now, out);
          continue;
        }
        cwnd_blocked = true;
      }
    }
    break;
  }
  // In piece mode the holder says whether cwnd holds its new data back (note_piece_demand).
  if (!piece_mode_ || cwnd_blocked) st_.cwnd_limited = cwnd_blocked;
  // Data waits and nothing is in flight to bring an ACK: only the window can be closed
  // (Nagle and cwnd never hold back the first segment). Probe it (RFC 9293 3.8.6.1).
  if (sb.outstanding() == 0 && unsent_bytes() > 0 && !st_.rto_at && !st_.persist_at) arm_persist(now);
}

void SendPath::arm_persist(Time now) {
  Time wait = st_.rtt.rto();
  for (int i = 0; i < st_.persist_backoff && wait < p_.rto_max; ++i) wait = wait + wait;
  st_.persist_at = now + std::min(wait, p_.rto_max);
}

uint64_t SendPath::sendable(uint64_t cw, uint64_t pipe, uint64_t unsent, bool& cwnd_blocked) const {
  const Scoreboard& sb = st_.scoreboard;
  const uint64_t mss = st_.options.mss, tso = st_.options.tso_max;
  const uint64_t nxt = sb.high_data();
  const uint64_t wnd_end = sb.una() + st_.snd_wnd;
  const uint64_t usable = wnd_end > nxt ? wnd_end - nxt : 0;
  const uint64_t max_seg = tso > mss ? tso / mss * mss : mss;
  uint64_t len = std::min({unsent, max_seg, usable});
  if (len == 0) return 0;
  // Sender silly-window avoidance (RFC 9293 3.8.6.2.1): a window-limited runt waits for the
  // window to reach half the largest the peer has offered.
  // The persist timer is also the RFC's override timeout that sends the runt anyway.
  if (len < mss && len < unsent && 2 * len < st_.max_snd_wnd && !st_.sws_override) return 0;
  const uint64_t room = cw > pipe ? cw - pipe : 0;
  if (len > room) {
    if (room < mss) {
      cwnd_blocked = true;
      return 0;
    }
    len = room / mss * mss;
  }
  // Nagle (RFC 896, RFC 9293 3.7.4) with Minshall's refinement, as Linux: a runt waits while
  // an earlier runt is unacknowledged (not merely any data), unless the application closed
  // (Linux pushes the tail with the FIN). So the tail of a multi-segment write leaves at once.
  if (len < mss && p_.nagle && !st_.fin_queued && sb.outstanding() > 0 && st_.snd_sml > sb.una()) return 0;
  return len;
}

void SendPath::record_sent(uint64_t nxt, uint64_t len, bool with_fin, Time now) {
  const uint64_t mss = st_.options.mss;
  for (uint64_t off = 0; off < len; off += mss) {
    const uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(mss, len - off));
    const bool last_fin = with_fin && off + n == len;
    st_.scoreboard.on_send(nxt + off, n + (last_fin ? 1 : 0), last_fin, now);
  }
  if (with_fin) st_.fin_sent = true;
  if (len % mss) st_.snd_sml = nxt + len;  // it ends in a runt
  ++st_.counters.data_segments_sent;
  if (!st_.rto_at) arm_rto(now);
  st_.persist_at.reset();
  st_.persist_backoff = 0;
}

uint16_t SendPath::data_flags(uint64_t end, bool with_fin) const {
  uint16_t flags = ack;
  if (end == data_end()) flags |= psh;
  if (with_fin) flags |= fin;
  return flags;
}

bool SendPath::send_new_data(Time now, uint64_t cw, uint64_t pipe, bool& cwnd_blocked, SegmentOut& out) {
  Scoreboard& sb = st_.scoreboard;
  const uint64_t nxt = sb.high_data();
  const uint64_t dend = data_end();
  const uint64_t unsent = dend > nxt ? dend - nxt : 0;
  const bool fin_pending = st_.fin_queued && !st_.fin_sent;
  if (unsent == 0 && !fin_pending) return false;
  if (unsent == 0) {  // a bare FIN: it needs no buffer at the peer, so no window
    if (pipe + 1 > cw) {
      cwnd_blocked = true;
      return false;
    }
    Segment s = out.make_segment(nxt, ack | fin, now);
    sb.on_send(nxt, 1, true, now);
    st_.fin_sent = true;
    if (!st_.rto_at) arm_rto(now);
    out.emit(std::move(s), now);
    return true;
  }
  const uint64_t len = sendable(cw, pipe, unsent, cwnd_blocked);
  // In piece mode new data leaves only as reserved pieces; what was computed still tells
  // whether cwnd is the limit.
  if (len == 0 || piece_mode_) return false;
  if (gate_ && !gate_(len)) return false;

  const bool with_fin = st_.fin_queued && nxt + len == dend;
  Segment s = out.make_segment(nxt, data_flags(nxt + len, with_fin), now);
  s.payload = buf_.slice(nxt - 1, static_cast<uint32_t>(len));
  record_sent(nxt, len, with_fin, now);
  out.emit(std::move(s), now);
  return true;
}

void SendPath::retransmit(SentSegment& r, Time now, SegmentOut& out) {
  const uint32_t data_len = r.len - (r.fin ? 1 : 0);
  Segment s = out.make_segment(r.start, data_flags(r.start + data_len, r.fin), now);
  if (data_len > 0) s.payload = buf_.slice(r.start - 1, data_len);
  // Re-arm on the retransmission at snd.una (RFC 6298 5.3's spirit, Linux's habit), so a
  // repair under way is not cut short by a timer set for the original.
  if (r.start == st_.scoreboard.una() || !st_.rto_at) arm_rto(now);
  st_.scoreboard.on_retransmit(r, now);
  ++st_.counters.retransmitted_segments;
  st_.counters.retransmitted_bytes += data_len;
  s.retransmission = true;
  out.emit(std::move(s), now);
}

bool SendPath::on_rto(Time now) {
  Scoreboard& sb = st_.scoreboard;
  if (sb.outstanding() == 0) return true;
  if (st_.consecutive_timeouts >= p_.retries) return false;
  ++st_.counters.timeouts;
  ++st_.consecutive_timeouts;
  if (st_.cc) st_.cc->on_rto(now, sb.outstanding());
  sb.mark_all_lost();
  st_.recovery = RecoveryPhase::loss;
  st_.recovery_point = st_.recover = sb.high_data();
  st_.dupacks = 0;
  st_.dup_bytes = 0;
  st_.rtt.backoff();
  st_.force_retransmit = true;
  arm_rto(now);
  return true;
}

void SendPath::on_persist(Time now, SegmentOut& out, bool can_send) {
  Scoreboard& sb = st_.scoreboard;
  if (sb.outstanding() > 0 || unsent_bytes() == 0) return;
  if (sb.una() + st_.snd_wnd > sb.high_data()) {  // a sliver of window: fill it (RFC 9293 3.8.6.2.1 (d))
    st_.sws_override = true;
    if (can_send) output(now, out);
    st_.sws_override = false;
    if (sb.outstanding() > 0) return;
  }
  // Linux's window probe: a pure ACK one below SND.UNA, which the receiver must answer with
  // its current window (RFC 9293 3.10.7.4: an unacceptable segment is acknowledged).
  ++st_.counters.zero_window_probes;
  ++st_.persist_backoff;
  Segment s = out.make_segment(sb.high_data() - 1, ack, now);
  out.emit(std::move(s), now);
  arm_persist(now);
}

// ---------------------------------------------------------------------------------------------
// Pieces

std::optional<SendPiece> SendPath::reserve(uint64_t max_bytes, Time now) {
  const uint64_t nxt = st_.scoreboard.high_data();
  const uint64_t dend = data_end();
  const uint64_t unsent = dend > nxt ? dend - nxt : 0;
  if (unsent == 0 || max_bytes == 0) return std::nullopt;
  bool cwnd_blocked = false;
  const uint64_t len = std::min(sendable(cwnd(), bytes_in_flight(), unsent, cwnd_blocked), max_bytes);
  if (cwnd_blocked) st_.cwnd_limited = true;
  if (len == 0) return std::nullopt;
  const bool with_fin = st_.fin_queued && nxt + len == dend;
  record_sent(nxt, len, with_fin, now);
  return SendPiece{nxt, static_cast<uint32_t>(len), with_fin};
}

void SendPath::note_piece_demand(uint64_t want) {
  const uint64_t cw = cwnd(), pipe = bytes_in_flight();
  st_.cwnd_limited = unsent_bytes() > 0 && (cw > pipe ? cw - pipe : 0) < want;
}

std::optional<Segment> SendPath::build(const SendPiece& piece, Time now, SegmentOut& out) {
  if (piece.len == 0 || piece.seq < 1 + buf_.begin() || piece.seq + piece.len > data_end() ||
      piece.end() > st_.scoreboard.high_data())
    return std::nullopt;
  Segment s = out.make_segment(piece.seq, data_flags(piece.seq + piece.len, piece.fin), now);
  s.payload = buf_.slice(piece.seq - 1, piece.len);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Snapshot and restore

SendState SendPath::snapshot() const {
  SendState s = st_;
  s.buffer_end = data_end();
  return s;
}

RestoreResult SendPath::restore(const SendState& s) {
  const SendOptions& a = s.options;
  const SendOptions& b = st_.options;
  if (s.iss != st_.iss)
    return RestoreResult::fail("initial sequence number " + std::to_string(s.iss) + " is not this connection's " +
                               std::to_string(st_.iss));
  if (a.mss != b.mss || a.window_shift != b.window_shift || a.sack != b.sack || a.timestamps != b.timestamps)
    return RestoreResult::fail("negotiated options differ (MSS, window shift, SACK or timestamps)");
  if (s.cc.name().empty() != !st_.cc)
    return RestoreResult::fail("congestion control set on one side only (the handshake has not completed on both)");
  if (!s.cc && !s.cc.name().empty())
    return RestoreResult::fail("congestion control '" + s.cc.name() + "' cannot be copied (no clone())");
  if (s.una() < 1 || s.nxt() < s.una())
    return RestoreResult::fail("SND.UNA " + std::to_string(s.una()) + " and SND.NXT " + std::to_string(s.nxt()) +
                               " are not a started send sequence");
  // The bytes [SND.UNA, SND.NXT) (without the FIN) must still be in this buffer.
  const uint64_t una_data = std::min(s.una(), s.buffer_end), nxt_data = std::min(s.nxt(), s.buffer_end);
  if (una_data < 1 + buf_.begin())
    return RestoreResult::fail("SND.UNA " + std::to_string(s.una()) + " is below this buffer's first byte at " +
                               std::to_string(1 + buf_.begin()) + ": those bytes were released");
  if (nxt_data > data_end())
    return RestoreResult::fail("SND.NXT " + std::to_string(s.nxt()) + " is beyond this buffer's last byte at " +
                               std::to_string(data_end()));
  if (s.fin_queued != st_.fin_queued || (s.fin_queued && s.fin_pos != st_.fin_pos))
    return RestoreResult::fail("the FIN differs: the application closed on one side only, or at another position");
  const uint32_t tso = b.tso_max;
  st_ = s;
  st_.options.tso_max = tso;
  buf_.release(una_data - 1);
  return RestoreResult{};
}

}  // namespace hostwire::tcp
