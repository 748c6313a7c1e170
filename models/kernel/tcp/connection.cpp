#include "kernel/tcp/connection.h"

#include <algorithm>

namespace hostwire::tcp {

using namespace net::tcp_flag;

namespace {

constexpr uint32_t kTimestampsOptionBytes = 12;  // NOP NOP kind len TSval TSecr, on every segment
constexpr uint64_t kMaxUnscaledWindow = 65535;
constexpr uint8_t kMaxWindowShift = 14;  // RFC 7323 section 2.3

// The smallest shift that lets the whole receive buffer be offered.
uint8_t window_shift_for(uint64_t rcvbuf) {
  uint8_t s = 0;
  while (s < kMaxWindowShift && (rcvbuf >> s) > kMaxUnscaledWindow) ++s;
  return s;
}

}  // namespace

const char* state_name(State s) {
  switch (s) {
    case State::closed: return "CLOSED";
    case State::listen: return "LISTEN";
    case State::syn_sent: return "SYN_SENT";
    case State::syn_rcvd: return "SYN_RCVD";
    case State::established: return "ESTABLISHED";
    case State::fin_wait_1: return "FIN_WAIT_1";
    case State::fin_wait_2: return "FIN_WAIT_2";
    case State::close_wait: return "CLOSE_WAIT";
    case State::closing: return "CLOSING";
    case State::last_ack: return "LAST_ACK";
    case State::time_wait: return "TIME_WAIT";
  }
  return "?";
}

const char* close_reason_name(CloseReason r) {
  switch (r) {
    case CloseReason::none: return "none";
    case CloseReason::reset: return "reset";
    case CloseReason::refused: return "refused";
    case CloseReason::timed_out: return "timed_out";
    case CloseReason::aborted: return "aborted";
  }
  return "?";
}

Connection::Connection(const TcpParams& params, std::unique_ptr<CongestionControl> cc,
                       uint32_t initial_sequence_number, uint16_t local_port, uint16_t remote_port)
    : p_(params),
      cc_(std::move(cc)),
      snd_space_{initial_sequence_number},
      local_port_(local_port),
      remote_port_(remote_port),
      rtt_(params.rto_initial, params.rto_min, params.rto_max) {
  rcv_shift_ = p_.window_scaling ? window_shift_for(static_cast<uint64_t>(p_.rcvbuf.n)) : 0;
  send_mss_ = static_cast<uint32_t>(p_.mss.n);
  set_tso_max(static_cast<uint32_t>(p_.tso_max.n));
}

void Connection::set_tso_max(uint32_t bytes) { tso_max_ = std::min<uint32_t>(bytes, 65536); }

// ---------------------------------------------------------------------------------------------
// Small helpers

bool Connection::synchronized() const {
  return state_ != State::closed && state_ != State::listen && state_ != State::syn_sent;
}

uint32_t Connection::ts_now(Time now) const {
  // A 1 us clock (Linux's tcp_usec_ts), offset by the ISS so the two ends' clocks differ.
  return static_cast<uint32_t>(now.ps / 1'000'000) + snd_space_.initial;
}

void Connection::set_state(State s, Time now) {
  if (s == state_) return;
  const State from = state_;
  state_ = s;
  if (on_state_change) on_state_change(from, s, now);
}

void Connection::reset_timers() {
  rto_at_.reset();
  persist_at_.reset();
  delack_at_.reset();
  time_wait_at_.reset();
}

void Connection::enter_closed(Time now, CloseReason why) {
  if (close_reason_ == CloseReason::none) close_reason_ = why;
  reset_timers();
  set_state(State::closed, now);
}

uint64_t Connection::cwnd() const {
  return cc_ ? cc_->cwnd() : static_cast<uint64_t>(p_.initial_window) * send_mss_;
}

uint64_t Connection::ssthresh() const { return cc_ ? cc_->ssthresh() : UINT32_MAX; }

uint64_t Connection::bytes_in_flight() const { return sb_.pipe(dup_bytes_); }

uint64_t Connection::unsent_bytes() const {
  if (!syn_acked_) return sndbuf_.size();
  const uint64_t nxt = sb_.high_data(), end = data_end();
  return end > nxt ? end - nxt : 0;
}

size_t Connection::send_space() const {
  const uint64_t cap = static_cast<uint64_t>(p_.sndbuf.n);
  return cap > sndbuf_.size() ? static_cast<size_t>(cap - sndbuf_.size()) : 0;
}

std::optional<Time> Connection::next_timer() const {
  std::optional<Time> t;
  for (const auto& x : {rto_at_, persist_at_, delack_at_, time_wait_at_})
    if (x && (!t || *x < *t)) t = x;
  return t;
}

// ---------------------------------------------------------------------------------------------
// Opening

void Connection::open_active(Time now) {
  if (state_ != State::closed) return;
  last_now_ = now;
  passive_ = false;
  set_state(State::syn_sent, now);
  send_syn(now, false);
}

void Connection::open_passive() {
  if (state_ != State::closed) return;
  passive_ = true;
  set_state(State::listen, last_now_);
}

void Connection::send_syn(Time now, bool with_ack) {
  Segment s;
  net::TcpHeader& h = s.header;
  h.src_port = local_port_;
  h.dst_port = remote_port_;
  h.seq = snd_space_.wire(0);
  h.flags = syn;
  // RFC 7323 section 2.2: the window of a SYN is never scaled.
  h.window = static_cast<uint16_t>(std::min<uint64_t>(static_cast<uint64_t>(p_.rcvbuf.n), kMaxUnscaledWindow));
  h.options.mss = static_cast<uint16_t>(p_.mss.n);
  if (with_ack) {  // answer only what the peer offered
    h.flags |= ack;
    h.ack = rcv_space_.wire(1);
    if (ws_ok_) h.options.window_scale = rcv_shift_;
    h.options.sack_permitted = sack_ok_;
    if (ts_ok_) h.options.timestamps = net::TcpTimestamps{ts_now(now), ts_recent_};
    last_ack_sent_ = 1;
  } else {
    if (p_.window_scaling) h.options.window_scale = rcv_shift_;
    h.options.sack_permitted = p_.sack;
    if (p_.timestamps) h.options.timestamps = net::TcpTimestamps{ts_now(now), 0};
  }
  if (syn_sends_ > 0) {
    syn_retransmitted_ = true;
    ++retransmitted_segments_;
  }
  ++syn_sends_;
  syn_sent_at_ = now;
  arm_rto(now);
  ++segments_sent_;
  out_.push_back(std::move(s));
}

void Connection::take_syn_options(const net::TcpOptions& o) {
  peer_mss_ = o.mss ? *o.mss : 536;  // RFC 9293 section 3.7.1: 536 when the option is absent
  ws_ok_ = p_.window_scaling && o.window_scale.has_value();
  sack_ok_ = p_.sack && o.sack_permitted;
  ts_ok_ = p_.timestamps && o.timestamps.has_value();
  snd_shift_ = ws_ok_ ? std::min(*o.window_scale, kMaxWindowShift) : 0;
  if (!ws_ok_) rcv_shift_ = 0;
  const uint32_t opt = ts_ok_ ? kTimestampsOptionBytes : 0;
  send_mss_ = std::min<uint32_t>(peer_mss_, static_cast<uint32_t>(p_.mss.n)) - opt;
  rcv_mss_ = std::min<uint32_t>(536, static_cast<uint32_t>(p_.mss.n) - opt);
  if (ts_ok_) {
    ts_recent_ = o.timestamps->tsval;
    ts_recent_valid_ = true;
  }
  rq_.reset(1);
  rcv_adv_ = 1 + std::min<uint64_t>(static_cast<uint64_t>(p_.rcvbuf.n), kMaxUnscaledWindow);
}

void Connection::establish(Time now, const Segment& s) {
  syn_acked_ = true;
  sb_.reset(1);
  if (!syn_retransmitted_) rtt_.sample(now - syn_sent_at_);  // Karn: not from a repeated SYN
  rto_at_.reset();
  const bool syn_ack = s.has(syn);
  snd_wnd_ = static_cast<uint64_t>(s.header.window) << (syn_ack ? 0 : snd_shift_);
  max_snd_wnd_ = snd_wnd_;
  snd_wl1_ = rcv_space_.unwrap(s.header.seq, rcv_nxt());
  snd_wl2_ = 1;
  if (!cc_) {
    CongestionParams cp;
    cp.mss = send_mss_;
    cp.initial_window = static_cast<uint32_t>(p_.initial_window);
    cc_ = make_congestion_control(p_.congestion, cp);
    if (!cc_) cc_ = make_congestion_control("newreno", cp);
  }
  set_state(fin_queued_ ? State::fin_wait_1 : State::established, now);
}

void Connection::on_segment_listen(const Segment& s, Time now) {
  if (s.has(rst)) return;
  if (s.has(ack)) {  // RFC 9293 3.10.7.2: an ACK in LISTEN is answered <SEQ=SEG.ACK><CTL=RST>
    if (auto r = make_rst_reply(s)) {
      r->header.src_port = local_port_;
      ++segments_sent_;
      out_.push_back(std::move(*r));
    }
    return;
  }
  if (!s.has(syn)) return;
  if (remote_port_ == 0) remote_port_ = s.header.src_port;
  rcv_space_ = SeqSpace{s.header.seq};
  take_syn_options(s.header.options);
  set_state(State::syn_rcvd, now);
  send_syn(now, true);
}

void Connection::on_segment_syn_sent(const Segment& s, Time now) {
  bool ack_ok = false;
  if (s.has(ack)) {
    if (s.header.ack != snd_space_.wire(1)) {
      if (!s.has(rst)) send_rst(s.header.ack, now);
      return;
    }
    ack_ok = true;
  }
  if (s.has(rst)) {
    if (ack_ok) enter_closed(now, CloseReason::refused);
    return;
  }
  if (!s.has(syn)) return;
  rcv_space_ = SeqSpace{s.header.seq};
  take_syn_options(s.header.options);
  if (ack_ok) {
    establish(now, s);
    ack_now_ = true;
    output(now);
    if (ack_now_) send_ack(now);
  } else {  // simultaneous open (RFC 9293 figure 7)
    set_state(State::syn_rcvd, now);
    send_syn(now, true);
  }
}

// ---------------------------------------------------------------------------------------------
// Application calls

size_t Connection::send(std::span<const uint8_t> data, Time now) {
  last_now_ = now;
  if (fin_queued_ || !(state_ == State::syn_sent || state_ == State::syn_rcvd || state_ == State::established ||
                       state_ == State::close_wait))
    return 0;
  const size_t n = std::min(send_space(), data.size());
  if (n == 0) return 0;
  sndbuf_.append(data.first(n));
  output(now);
  return n;
}

size_t Connection::send_shared(const PayloadSlice& data, Time now) {
  last_now_ = now;
  if (fin_queued_ || !(state_ == State::syn_sent || state_ == State::syn_rcvd || state_ == State::established ||
                       state_ == State::close_wait))
    return 0;
  const uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(send_space(), data.length));
  if (n == 0) return 0;
  sndbuf_.append(data.sub(0, n));
  output(now);
  return n;
}

size_t Connection::receive(std::span<uint8_t> out, Time now) {
  last_now_ = now;
  const size_t n = rq_.read(out);
  if (n == 0) return 0;
  if (state_ == State::established || state_ == State::fin_wait_1 || state_ == State::fin_wait_2) {
    // Linux's __tcp_cleanup_rbuf: announce the space when the offer at least doubles.
    const uint64_t cur = rcv_wnd();
    if (cur * 2 <= static_cast<uint64_t>(p_.rcvbuf.n)) {
      const uint64_t next = (select_window() >> rcv_shift_) << rcv_shift_;
      if (next > cur && next >= 2 * cur) send_ack(now);
    }
  }
  return n;
}

void Connection::close(Time now) {
  last_now_ = now;
  switch (state_) {
    case State::listen:
    case State::syn_sent:
      enter_closed(now, CloseReason::none);
      return;
    case State::syn_rcvd:
    case State::established:
    case State::close_wait:
      fin_queued_ = true;
      fin_pos_ = data_end();
      set_state(state_ == State::close_wait ? State::last_ack : State::fin_wait_1, now);
      output(now);
      return;
    default:
      return;
  }
}

void Connection::abort(Time now) {
  last_now_ = now;
  switch (state_) {
    case State::syn_rcvd:
    case State::established:
    case State::fin_wait_1:
    case State::fin_wait_2:
    case State::close_wait:
      send_rst(snd_space_.wire(syn_acked_ ? sb_.high_data() : 1), now);
      break;
    default:
      break;
  }
  if (state_ != State::closed) enter_closed(now, CloseReason::aborted);
}

// ---------------------------------------------------------------------------------------------
// Segment arrival (RFC 9293 section 3.10.7)

bool Connection::acceptable(uint64_t start, uint32_t len) const {
  const uint64_t nxt = rcv_nxt(), wnd = rcv_wnd();
  if (len == 0) return wnd == 0 ? start == nxt : (start >= nxt && start < nxt + wnd);
  // A zero window still takes the ACK, RST and a bare FIN of a segment at RCV.NXT (its data is
  // then trimmed), as Linux's tcp_sequence() does.
  if (wnd == 0) return start == nxt;
  const uint64_t last = start + len - 1;
  return (start >= nxt && start < nxt + wnd) || (last >= nxt && last < nxt + wnd);
}

void Connection::on_segment(const Segment& s, Time now) {
  last_now_ = now;
  switch (state_) {
    case State::closed:
      return;  // the caller answers with make_rst_reply()
    case State::listen:
      on_segment_listen(s, now);
      return;
    case State::syn_sent:
      on_segment_syn_sent(s, now);
      return;
    default:
      break;
  }
  const net::TcpHeader& h = s.header;
  const uint64_t seg_start = rcv_space_.unwrap(h.seq, rcv_nxt());
  const uint32_t len = s.len();

  if (!syn_acked_ && s.has(syn) && !s.has(ack) && seg_start == 0) {
    send_syn(now, true);  // the peer repeats its SYN: our SYN-ACK was lost
    return;
  }
  // Simultaneous open: the peer's SYN-ACK reaches us in SYN_RCVD (Linux's tcp_validate_incoming).
  const bool simultaneous = !syn_acked_ && s.has(syn) && s.has(ack) && seg_start + 1 == rcv_nxt() &&
                            h.ack == snd_space_.wire(1);

  // PAWS, lightly (RFC 7323 section 5): a timestamp older than TS.Recent marks an old segment;
  // its data is still taken if new, but its timestamp is neither recorded nor used for RTTM.
  bool ts_fresh = ts_ok_ && h.options.timestamps.has_value();
  if (ts_fresh && !s.has(rst) && ts_recent_valid_ && seq_lt(h.options.timestamps->tsval, ts_recent_))
    ts_fresh = false;

  if (!simultaneous && !acceptable(seg_start, len)) {
    if (!s.has(rst)) {
      if (state_ == State::time_wait && s.has(fin)) time_wait_at_ = now + p_.msl + p_.msl;
      send_ack(now);
    }
    return;
  }
  if (s.has(rst)) {
    // RFC 5961 section 3.2: only a RST at exactly RCV.NXT resets; one elsewhere in the window
    // gets a challenge ACK.
    if (seg_start != rcv_nxt()) {
      ++challenge_acks_;
      send_ack(now);
      return;
    }
    if (!syn_acked_ && passive_) {
      reset_timers();
      syn_sends_ = 0;
      syn_retransmitted_ = false;
      set_state(State::listen, now);
      return;
    }
    enter_closed(now, CloseReason::reset);
    return;
  }
  if (s.has(syn) && !simultaneous) {  // RFC 5961 section 4.2
    ++challenge_acks_;
    send_ack(now);
    return;
  }
  if (!s.has(ack)) return;

  // RFC 7323 section 4.3: TS.Recent from the segment that the next ACK acknowledges.
  if (ts_fresh && seg_start <= last_ack_sent_) ts_recent_ = h.options.timestamps->tsval;

  if (!syn_acked_) {
    if (h.ack != snd_space_.wire(1)) {
      send_rst(h.ack, now);
      return;
    }
    establish(now, s);
    if (simultaneous) return;
  }
  process_ack(s, seg_start, now, ts_fresh);
  if (state_ == State::closed) return;
  process_data(s, seg_start, now);
  output(now);
  if (ack_now_) send_ack(now);
}

void Connection::process_ack(const Segment& s, uint64_t seg_start, Time now, bool ts_fresh) {
  const net::TcpHeader& h = s.header;
  const uint64_t old_una = sb_.una();
  const uint64_t ack64 = snd_space_.unwrap(h.ack, old_una);
  if (ack64 > sb_.high_data()) {  // acknowledges something not yet sent
    send_ack(now);
    return;
  }
  bool window_changed = false;
  // RFC 9293 3.10.7.4: take the window from the newest segment (SND.WL1, SND.WL2).
  if (ack64 >= old_una &&
      (old_una < ack64 || snd_wl1_ < seg_start || (snd_wl1_ == seg_start && snd_wl2_ <= ack64))) {
    const uint64_t wnd = static_cast<uint64_t>(h.window) << snd_shift_;
    window_changed = wnd != snd_wnd_;
    snd_wnd_ = wnd;
    snd_wl1_ = seg_start;
    snd_wl2_ = ack64;
    max_snd_wnd_ = std::max(max_snd_wnd_, wnd);
  }
  if (ack64 > old_una) {
    on_new_ack(s, ack64, now, ts_fresh);
  } else if (ack64 == old_una) {
    uint64_t newly_sacked = 0;
    if (sack_ok_) {
      for (uint8_t i = 0; i < h.options.sack_blocks; ++i) {
        const uint64_t l = snd_space_.unwrap(h.options.sack[i].left, old_una);
        const uint64_t r = snd_space_.unwrap(h.options.sack[i].right, old_una);
        if (r > l) newly_sacked += sb_.sack(l, r);
      }
      if (newly_sacked > 0) sb_.update_lost(static_cast<uint64_t>(p_.dupthresh), send_mss_);
    }
    // RFC 5681 section 2: a duplicate ACK carries no data and no window change while data is out.
    if (sb_.outstanding() > 0 && s.payload.length == 0 && !s.has(syn) && !s.has(fin) && !window_changed) {
      ++dupacks_received_;
      ++dupacks_;
      if (!sack_ok_) dup_bytes_ = std::min<uint64_t>(dup_bytes_ + send_mss_, sb_.outstanding());
    }
    if (newly_sacked > 0 && cc_) {
      AckEvent ev;
      ev.now = now;
      ev.newly_acked = newly_sacked;
      ev.bytes_in_flight = sb_.pipe(dup_bytes_);
      ev.min_rtt = rtt_.min_rtt();
      ev.in_recovery = recovery_ == Recovery::fast;
      ev.app_limited = !cwnd_limited_;
      cc_->on_ack(ev);
    }
    if (recovery_ == Recovery::open && sb_.outstanding() > 0) {
      const bool lost = dupacks_ >= static_cast<uint64_t>(p_.dupthresh) || (sack_ok_ && sb_.first_lost());
      // RFC 6582 section 3.2 step 1 (recover): no new episode for duplicates of data sent
      // before the last one began; an ACK that reached `recover` has seen all of it.
      if (lost && (sack_ok_ || sb_.una() >= recover_)) enter_recovery(now);
    }
  }
  // Our FIN acknowledged.
  if (fin_sent_ && sb_.una() > fin_pos_) {
    if (state_ == State::fin_wait_1) {
      set_state(State::fin_wait_2, now);
    } else if (state_ == State::closing) {
      set_state(State::time_wait, now);
      reset_timers();
      time_wait_at_ = now + p_.msl + p_.msl;
    } else if (state_ == State::last_ack) {
      enter_closed(now, CloseReason::none);
    }
  }
}

void Connection::on_new_ack(const Segment& s, uint64_t ack64, Time now, bool ts_fresh) {
  const net::TcpHeader& h = s.header;
  const uint64_t old_una = sb_.una();
  const Scoreboard::Acked acked = sb_.ack(ack64);
  uint64_t newly_sacked = 0;
  if (sack_ok_) {
    for (uint8_t i = 0; i < h.options.sack_blocks; ++i) {
      const uint64_t l = snd_space_.unwrap(h.options.sack[i].left, ack64);
      const uint64_t r = snd_space_.unwrap(h.options.sack[i].right, ack64);
      if (r > l) newly_sacked += sb_.sack(l, r);
    }
    if (newly_sacked > 0) sb_.update_lost(static_cast<uint64_t>(p_.dupthresh), send_mss_);
  }
  const uint64_t dend = data_end();
  const uint64_t data_acked = std::min(ack64, dend) - std::min(old_una, dend);
  bytes_acked_ += data_acked;
  sndbuf_.release(std::min(ack64, dend) - 1);

  // RTT: from the send time of data never retransmitted (Karn), else from the echoed
  // timestamp, which names the transmission that was acknowledged (RFC 7323 section 4.1).
  Time sample{};
  if (acked.has_first_sent && !acked.retransmitted) {
    sample = now - acked.first_sent;
  } else if (ts_fresh && h.options.timestamps->tsecr != 0) {
    const uint32_t ticks = ts_now(now) - h.options.timestamps->tsecr;
    if (ticks < (1u << 31)) sample = Time::from_us(ticks);
  }
  if (sample.ps > 0) rtt_.sample(sample);
  consecutive_timeouts_ = 0;

  switch (recovery_) {
    case Recovery::fast:
      if (ack64 >= recovery_point_) {
        recovery_ = Recovery::open;
        dupacks_ = 0;
        dup_bytes_ = 0;
        if (cc_) cc_->on_exit_recovery(now, sb_.pipe());
      } else if (!sack_ok_) {
        // RFC 6582 section 3.2 step 5, in pipe form: deflate by the data acknowledged, add
        // back one SMSS, and retransmit the next hole at once.
        dup_bytes_ = dup_bytes_ > acked.bytes ? dup_bytes_ - acked.bytes : 0;
        if (acked.bytes >= send_mss_) dup_bytes_ += send_mss_;
        dup_bytes_ = std::min(dup_bytes_, sb_.outstanding());
        sb_.mark_first_lost();
        force_retransmit_ = true;
      }
      break;
    case Recovery::loss:
      if (ack64 >= recovery_point_) recovery_ = Recovery::open;
      dupacks_ = 0;
      dup_bytes_ = 0;
      break;
    case Recovery::open:
      dupacks_ = 0;
      dup_bytes_ = 0;
      break;
  }
  if (cc_) {
    AckEvent ev;
    ev.now = now;
    ev.newly_acked = acked.newly_acked_unsacked + newly_sacked;
    ev.bytes_in_flight = sb_.pipe(dup_bytes_);
    ev.rtt = sample;
    ev.min_rtt = rtt_.min_rtt();
    ev.in_recovery = recovery_ == Recovery::fast;
    ev.app_limited = !cwnd_limited_;
    cc_->on_ack(ev);
  }
  // RFC 6298 (5.2), (5.3).
  if (sb_.outstanding() == 0) rto_at_.reset();
  else arm_rto(now);
  if (recovery_ == Recovery::open && sack_ok_ && sb_.first_lost()) enter_recovery(now);
}

void Connection::process_data(const Segment& s, uint64_t seg_start, Time now) {
  if (state_ != State::established && state_ != State::fin_wait_1 && state_ != State::fin_wait_2) return;
  const uint32_t plen = s.payload.length;
  bool has_fin = s.has(fin);
  if (plen == 0 && !has_fin) return;
  const uint64_t start = seg_start + (s.has(syn) ? 1 : 0);
  uint32_t keep = plen;
  if (start + plen > rcv_adv_) {  // beyond the window we offered: trimmed, and the FIN with it
    keep = rcv_adv_ > start ? static_cast<uint32_t>(rcv_adv_ - start) : 0;
    has_fin = false;
    ack_now_ = true;
  }
  if (keep > 0) {
    const Reassembly::Insert in = rq_.insert(start, s.payload.sub(0, keep));
    bytes_received_ += in.in_order;
    const uint32_t cap = static_cast<uint32_t>(p_.mss.n) - (ts_ok_ ? kTimestampsOptionBytes : 0);
    rcv_mss_ = std::max(rcv_mss_, std::min(keep, cap));
    // Out of order, a filled hole or a duplicate: ACK at once (RFC 5681 section 4.2, Linux
    // quickack), so the sender's loss detection is not delayed.
    if (in.out_of_order || in.filled_hole || in.duplicate) ack_now_ = true;
    else schedule_ack(in.in_order, now);
  }
  if (has_fin) peer_fin_pos_ = start + plen;
  if (peer_fin_pos_ && !fin_received_ && rq_.rcv_nxt() == *peer_fin_pos_) process_fin(now);
}

void Connection::schedule_ack(uint64_t bytes, Time now) {
  unacked_bytes_ += bytes;
  if (p_.delayed_ack.ps == 0 || unacked_bytes_ >= static_cast<uint64_t>(p_.ack_every) * rcv_mss_) {
    ack_now_ = true;
  } else if (!delack_at_) {
    delack_at_ = now + p_.delayed_ack;
  }
}

void Connection::process_fin(Time now) {
  fin_received_ = true;
  ack_now_ = true;
  switch (state_) {
    case State::established:
      set_state(State::close_wait, now);
      break;
    case State::fin_wait_1:
      if (fin_sent_ && sb_.una() > fin_pos_) {
        set_state(State::time_wait, now);
        reset_timers();
        time_wait_at_ = now + p_.msl + p_.msl;
      } else {
        set_state(State::closing, now);
      }
      break;
    case State::fin_wait_2:
      set_state(State::time_wait, now);
      reset_timers();
      time_wait_at_ = now + p_.msl + p_.msl;
      break;
    default:
      break;
  }
}

uint64_t Connection::select_window() const {
  // Receiver silly-window avoidance (RFC 9293 section 3.8.6.2.2): move the right edge only
  // when it can move by min(half the buffer, one MSS); never pull it back.
  const uint64_t buf = static_cast<uint64_t>(p_.rcvbuf.n);
  const uint64_t free = buf > rq_.readable() ? buf - rq_.readable() : 0;
  const uint64_t cur = rcv_wnd();
  const uint64_t step = std::min<uint64_t>(buf / 2, rcv_mss_);
  const uint64_t limit = kMaxUnscaledWindow << rcv_shift_;
  return std::min(free >= cur + step ? free : cur, limit);
}

uint16_t Connection::window_field() {
  // Rounded down to the scale: the edge may look to recede by less than 2^shift, which
  // RFC 7323 section 2.4 allows; we keep accepting up to the furthest edge offered.
  const uint64_t field = std::min<uint64_t>(select_window() >> rcv_shift_, kMaxUnscaledWindow);
  rcv_adv_ = std::max(rcv_adv_, rcv_nxt() + (field << rcv_shift_));
  return static_cast<uint16_t>(field);
}

// ---------------------------------------------------------------------------------------------
// Sending

Segment Connection::make_segment(uint64_t seq, uint16_t flags, Time now) {
  Segment s;
  net::TcpHeader& h = s.header;
  h.src_port = local_port_;
  h.dst_port = remote_port_;
  h.seq = snd_space_.wire(seq);
  h.flags = flags;
  if (flags & ack) h.ack = rcv_space_.wire(rcv_nxt());
  h.window = window_field();
  if (ts_ok_) h.options.timestamps = net::TcpTimestamps{ts_now(now), ts_recent_};
  if (sack_ok_ && rq_.has_out_of_order())
    h.options.sack_blocks = rq_.sack_blocks(rcv_space_, h.options.sack.data(), ts_ok_ ? 3 : 4);
  return s;
}

void Connection::emit(Segment&& s, Time now) {
  (void)now;
  if (s.has(ack)) {
    last_ack_sent_ = rcv_nxt();
    ack_now_ = false;
    delack_at_.reset();
    unacked_bytes_ = 0;
  }
  ++segments_sent_;
  out_.push_back(std::move(s));
}

void Connection::send_ack(Time now) {
  if (!synchronized() || state_ == State::closed) return;
  ++acks_sent_;
  emit(make_segment(syn_acked_ ? sb_.high_data() : 1, ack, now), now);
}

void Connection::send_rst(uint32_t seq, Time now) {
  Segment s;
  s.header.src_port = local_port_;
  s.header.dst_port = remote_port_;
  s.header.seq = seq;
  s.header.flags = rst;
  emit(std::move(s), now);
}

void Connection::output(Time now) {
  if (!syn_acked_) return;
  if (state_ != State::established && state_ != State::close_wait && state_ != State::fin_wait_1 &&
      state_ != State::closing && state_ != State::last_ack)
    return;
  bool cwnd_blocked = false;
  for (;;) {
    const uint64_t cw = cwnd();
    const uint64_t pipe = sb_.pipe(dup_bytes_);
    // NextSeg rule 1 (and go-back-N after a timeout): segments presumed lost.
    if (SentSegment* r = sb_.next_lost()) {
      if (force_retransmit_ || pipe + r->len <= cw) {
        force_retransmit_ = false;
        retransmit(*r, now);
        continue;
      }
      cwnd_blocked = true;
      break;
    }
    force_retransmit_ = false;
    // Rule 2: new data.
    if (send_new_data(now, cw, pipe, cwnd_blocked)) continue;
    if (cwnd_blocked) break;
    // Rule 3: during SACK recovery, an unSACKed segment below the highest SACK.
    if (recovery_ == Recovery::fast && sack_ok_) {
      if (SentSegment* r = sb_.next_unsacked_below_high_sack()) {
        if (pipe + r->len <= cw) {
          retransmit(*r, now);
          continue;
        }
        cwnd_blocked = true;
      }
    }
    break;
  }
  cwnd_limited_ = cwnd_blocked;
  // Data waits and nothing is in flight to bring an ACK: only the window can be closed
  // (Nagle and cwnd never hold back the first segment). Probe it (RFC 9293 3.8.6.1).
  if (sb_.outstanding() == 0 && unsent_bytes() > 0 && !rto_at_ && !persist_at_) {
    const Time base = rtt_.rto();
    Time wait = base;
    for (int i = 0; i < persist_backoff_ && wait < p_.rto_max; ++i) wait = wait + wait;
    persist_at_ = now + std::min(wait, p_.rto_max);
  }
}

bool Connection::send_new_data(Time now, uint64_t cw, uint64_t pipe, bool& cwnd_blocked) {
  const uint64_t nxt = sb_.high_data();
  const uint64_t dend = data_end();
  const uint64_t unsent = dend > nxt ? dend - nxt : 0;
  const bool fin_pending = fin_queued_ && !fin_sent_;
  if (unsent == 0 && !fin_pending) return false;
  if (unsent == 0) {  // a bare FIN: it needs no buffer at the peer, so no window
    if (pipe + 1 > cw) {
      cwnd_blocked = true;
      return false;
    }
    Segment s = make_segment(nxt, ack | fin, now);
    sb_.on_send(nxt, 1, true, now);
    fin_sent_ = true;
    if (!rto_at_) arm_rto(now);
    emit(std::move(s), now);
    return true;
  }
  const uint64_t wnd_end = sb_.una() + snd_wnd_;
  const uint64_t usable = wnd_end > nxt ? wnd_end - nxt : 0;
  const uint64_t max_seg = tso_max_ > send_mss_ ? tso_max_ / send_mss_ * send_mss_ : send_mss_;
  uint64_t len = std::min({unsent, max_seg, usable});
  if (len == 0) return false;
  // Sender silly-window avoidance (RFC 9293 3.8.6.2.1): a window-limited runt waits for the
  // window to reach half the largest the peer has offered.
  // The persist timer is also the RFC's override timeout that sends the runt anyway.
  if (len < send_mss_ && len < unsent && 2 * len < max_snd_wnd_ && !sws_override_) return false;
  const uint64_t room = cw > pipe ? cw - pipe : 0;
  if (len > room) {
    if (room < send_mss_) {
      cwnd_blocked = true;
      return false;
    }
    len = room / send_mss_ * send_mss_;
  }
  // Nagle (RFC 896, RFC 9293 3.7.4): a runt waits while anything is unacknowledged, unless
  // the application closed (Linux pushes the tail with the FIN).
  if (len < send_mss_ && p_.nagle && !fin_queued_ && sb_.outstanding() > 0) return false;

  const bool with_fin = fin_queued_ && nxt + len == dend;
  uint16_t flags = ack;
  if (nxt + len == dend) flags |= psh;
  if (with_fin) flags |= fin;
  Segment s = make_segment(nxt, flags, now);
  s.payload = sndbuf_.slice(nxt - 1, static_cast<uint32_t>(len));
  for (uint64_t off = 0; off < len; off += send_mss_) {
    const uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(send_mss_, len - off));
    const bool last_fin = with_fin && off + n == len;
    sb_.on_send(nxt + off, n + (last_fin ? 1 : 0), last_fin, now);
  }
  if (with_fin) fin_sent_ = true;
  ++data_segments_sent_;
  if (!rto_at_) arm_rto(now);
  persist_at_.reset();
  persist_backoff_ = 0;
  emit(std::move(s), now);
  return true;
}

void Connection::retransmit(SentSegment& r, Time now) {
  const uint32_t data_len = r.len - (r.fin ? 1 : 0);
  uint16_t flags = ack;
  if (r.fin) flags |= fin;
  if (r.start + data_len == data_end()) flags |= psh;
  Segment s = make_segment(r.start, flags, now);
  if (data_len > 0) s.payload = sndbuf_.slice(r.start - 1, data_len);
  // Re-arm on the retransmission at snd.una (RFC 6298 5.3's spirit, Linux's habit), so a
  // repair under way is not cut short by a timer set for the original.
  if (r.start == sb_.una() || !rto_at_) arm_rto(now);
  sb_.on_retransmit(r, now);
  ++retransmitted_segments_;
  retransmitted_bytes_ += data_len;
  emit(std::move(s), now);
}

void Connection::enter_recovery(Time now) {
  recovery_ = Recovery::fast;
  recovery_point_ = recover_ = sb_.high_data();
  ++fast_retransmits_;
  if (cc_) cc_->on_enter_recovery(now, sb_.outstanding());
  if (!sb_.first_lost()) sb_.mark_first_lost();
  // RFC 6675 step 4.3 / RFC 6582 step 2: the first retransmission goes whatever pipe says.
  force_retransmit_ = true;
}

void Connection::on_rto(Time now) {
  if (!syn_acked_) {  // the SYN or SYN-ACK went unanswered
    if (syn_sends_ > p_.syn_retries) {
      enter_closed(now, CloseReason::timed_out);
      return;
    }
    rtt_.backoff();
    send_syn(now, state_ == State::syn_rcvd || passive_);
    return;
  }
  if (sb_.outstanding() == 0) return;
  if (consecutive_timeouts_ >= p_.retries) {
    enter_closed(now, CloseReason::timed_out);
    return;
  }
  ++timeouts_;
  ++consecutive_timeouts_;
  if (cc_) cc_->on_rto(now, sb_.outstanding());
  sb_.mark_all_lost();
  recovery_ = Recovery::loss;
  recovery_point_ = recover_ = sb_.high_data();
  dupacks_ = 0;
  dup_bytes_ = 0;
  rtt_.backoff();
  force_retransmit_ = true;
  arm_rto(now);
}

void Connection::on_persist(Time now) {
  if (sb_.outstanding() > 0 || unsent_bytes() == 0) return;
  if (sb_.una() + snd_wnd_ > sb_.high_data()) {  // a sliver of window: fill it (RFC 9293 3.8.6.2.1 (d))
    sws_override_ = true;
    output(now);
    sws_override_ = false;
    if (sb_.outstanding() > 0) return;
  }
  // Linux's window probe: a pure ACK one below SND.UNA, which the receiver must answer with
  // its current window (RFC 9293 3.10.7.4: an unacceptable segment is acknowledged).
  ++zero_window_probes_;
  ++persist_backoff_;
  Segment s = make_segment(sb_.high_data() - 1, ack, now);
  emit(std::move(s), now);
  Time wait = rtt_.rto();
  for (int i = 0; i < persist_backoff_ && wait < p_.rto_max; ++i) wait = wait + wait;
  persist_at_ = now + std::min(wait, p_.rto_max);
}

void Connection::on_timer(Time now) {
  last_now_ = now;
  if (time_wait_at_ && *time_wait_at_ <= now) {
    enter_closed(now, CloseReason::none);
    return;
  }
  if (delack_at_ && *delack_at_ <= now) {
    delack_at_.reset();
    ++delayed_acks_;
    send_ack(now);
  }
  if (rto_at_ && *rto_at_ <= now) {
    rto_at_.reset();
    on_rto(now);
    if (state_ == State::closed) return;
  }
  if (persist_at_ && *persist_at_ <= now) {
    persist_at_.reset();
    on_persist(now);
  }
  output(now);
}

}  // namespace hostwire::tcp
