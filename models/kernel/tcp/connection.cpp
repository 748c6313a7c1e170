#include "kernel/tcp/connection.h"

#include <algorithm>

namespace hostwire::tcp {

using namespace net::tcp_flag;

namespace {

constexpr uint32_t kTimestampsOptionBytes = 12;  // NOP NOP kind len TSval TSecr, on every segment
constexpr uint64_t kMaxUnscaledWindow = ReceivePath::kMaxUnscaledWindow;
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
      snd_space_{initial_sequence_number},
      local_port_(local_port),
      remote_port_(remote_port),
      snd_(params, snd_space_),
      rcv_(params, params.window_scaling ? window_shift_for(static_cast<uint64_t>(params.rcvbuf.n)) : 0) {
  if (cc) snd_.install_congestion_control(std::move(cc));
}

// ---------------------------------------------------------------------------------------------
// Small helpers

bool Connection::synchronized() const {
  return state_ != State::closed && state_ != State::listen && state_ != State::syn_sent;
}

bool Connection::can_output() const {
  return syn_acked_ && (state_ == State::established || state_ == State::close_wait ||
                        state_ == State::fin_wait_1 || state_ == State::closing || state_ == State::last_ack);
}

void Connection::set_state(State s, Time now) {
  if (s == state_) return;
  const State from = state_;
  state_ = s;
  if (on_state_change) on_state_change(from, s, now);
}

void Connection::reset_timers() {
  snd_.reset_timers();
  rcv_.clear_delack();
  time_wait_at_.reset();
}

void Connection::enter_closed(Time now, CloseReason why) {
  if (close_reason_ == CloseReason::none) close_reason_ = why;
  reset_timers();
  set_state(State::closed, now);
}

void Connection::enter_time_wait(Time now) {
  set_state(State::time_wait, now);
  reset_timers();
  time_wait_at_ = now + p_.msl + p_.msl;
}

std::optional<Time> Connection::next_timer() const {
  std::optional<Time> t;
  for (const auto& x : {snd_.rto_at(), snd_.persist_at(), rcv_.delack_at(), time_wait_at_})
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
    if (ws_ok_) h.options.window_scale = rcv_.window_shift();
    h.options.sack_permitted = sack_ok_;
    if (ts_ok_) h.options.timestamps = net::TcpTimestamps{snd_.ts_now(now), rcv_.ts_recent()};
    rcv_.set_last_ack_sent(1);
  } else {
    if (p_.window_scaling) h.options.window_scale = rcv_.window_shift();
    h.options.sack_permitted = p_.sack;
    if (p_.timestamps) h.options.timestamps = net::TcpTimestamps{snd_.ts_now(now), 0};
  }
  if (syn_sends_ > 0) {
    syn_retransmitted_ = true;
    ++snd_.counters().retransmitted_segments;
  }
  ++syn_sends_;
  syn_sent_at_ = now;
  snd_.arm_rto(now);
  ++segments_sent_;
  out_.push_back(std::move(s));
}

void Connection::take_syn_options(const net::TcpOptions& o) {
  peer_mss_ = o.mss ? *o.mss : 536;  // RFC 9293 section 3.7.1: 536 when the option is absent
  ws_ok_ = p_.window_scaling && o.window_scale.has_value();
  sack_ok_ = p_.sack && o.sack_permitted;
  ts_ok_ = p_.timestamps && o.timestamps.has_value();
  const uint8_t snd_shift = ws_ok_ ? std::min(*o.window_scale, kMaxWindowShift) : 0;
  const uint32_t opt = ts_ok_ ? kTimestampsOptionBytes : 0;
  snd_.negotiate(std::min<uint32_t>(peer_mss_, static_cast<uint32_t>(p_.mss.n)) - opt, snd_shift, sack_ok_, ts_ok_);
  rcv_.negotiate(ws_ok_, ts_ok_, std::min<uint32_t>(536, static_cast<uint32_t>(p_.mss.n) - opt),
                 ts_ok_ ? std::optional<uint32_t>(o.timestamps->tsval) : std::nullopt);
}

void Connection::establish(Time now, const Segment& s) {
  syn_acked_ = true;
  if (!syn_retransmitted_) snd_.rtt().sample(now - syn_sent_at_);  // Karn: not from a repeated SYN
  const bool syn_ack = s.has(syn);
  snd_.establish(static_cast<uint64_t>(s.header.window) << (syn_ack ? 0 : snd_.options().window_shift),
                 rcv_space_.unwrap(s.header.seq, rcv_nxt()));
  set_state(snd_.fin_queued() ? State::fin_wait_1 : State::established, now);
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
    rcv_.request_ack();
    output(now);
    if (rcv_.ack_pending()) send_ack(now);
  } else {  // simultaneous open (RFC 9293 figure 7)
    set_state(State::syn_rcvd, now);
    send_syn(now, true);
  }
}

// ---------------------------------------------------------------------------------------------
// Application calls

size_t Connection::send(std::span<const uint8_t> data, Time now) {
  last_now_ = now;
  if (snd_.fin_queued() || !(state_ == State::syn_sent || state_ == State::syn_rcvd ||
                             state_ == State::established || state_ == State::close_wait))
    return 0;
  const size_t n = std::min(send_space(), data.size());
  if (n == 0) return 0;
  snd_.append(data.first(n));
  output(now);
  return n;
}

size_t Connection::send_shared(const PayloadSlice& data, Time now) {
  last_now_ = now;
  if (snd_.fin_queued() || !(state_ == State::syn_sent || state_ == State::syn_rcvd ||
                             state_ == State::established || state_ == State::close_wait))
    return 0;
  const uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(send_space(), data.length));
  if (n == 0) return 0;
  snd_.append(data.sub(0, n));
  output(now);
  return n;
}

size_t Connection::receive(std::span<uint8_t> out, Time now) {
  last_now_ = now;
  const size_t n = rcv_.read(out);
  if (n == 0) return 0;
  if ((state_ == State::established || state_ == State::fin_wait_1 || state_ == State::fin_wait_2) &&
      rcv_.window_update_due())
    send_ack(now);
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
      snd_.queue_fin();
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
      send_rst(snd_space_.wire(syn_acked_ ? snd_.nxt() : 1), now);
      break;
    default:
      break;
  }
  if (state_ != State::closed) enter_closed(now, CloseReason::aborted);
}

// ---------------------------------------------------------------------------------------------
// Segment arrival (RFC 9293 section 3.10.7)

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
  if (ts_fresh && !s.has(rst) && rcv_.older_than_recent(h.options.timestamps->tsval)) ts_fresh = false;

  if (!simultaneous && !rcv_.acceptable(seg_start, len)) {
    if (s.payload.length > 0 && seg_start + len <= rcv_nxt()) rcv_.note_duplicate();  // all of it is here
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
  if (ts_fresh) rcv_.note_timestamp(seg_start, h.options.timestamps->tsval);

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
  if ((state_ == State::established || state_ == State::fin_wait_1 || state_ == State::fin_wait_2) &&
      rcv_.on_data(s, seg_start, now))
    process_fin(now);
  output(now);
  if (rcv_.ack_pending()) send_ack(now);
}

void Connection::process_ack(const Segment& s, uint64_t seg_start, Time now, bool ts_fresh) {
  if (!snd_.on_ack(s, seg_start, now, ts_fresh)) {
    send_ack(now);
    return;
  }
  // Our FIN acknowledged.
  if (snd_.fin_acked()) {
    if (state_ == State::fin_wait_1) {
      set_state(State::fin_wait_2, now);
    } else if (state_ == State::closing) {
      enter_time_wait(now);
    } else if (state_ == State::last_ack) {
      enter_closed(now, CloseReason::none);
    }
  }
}

void Connection::process_fin(Time now) {
  rcv_.on_fin();
  switch (state_) {
    case State::established:
      set_state(State::close_wait, now);
      break;
    case State::fin_wait_1:
      if (snd_.fin_acked()) enter_time_wait(now);
      else set_state(State::closing, now);
      break;
    case State::fin_wait_2:
      enter_time_wait(now);
      break;
    default:
      break;
  }
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
  h.window = rcv_.window_field();
  if (ts_ok_) h.options.timestamps = net::TcpTimestamps{snd_.ts_now(now), rcv_.ts_recent()};
  if (sack_ok_ && rcv_.reassembly().has_out_of_order())
    h.options.sack_blocks = rcv_.reassembly().sack_blocks(rcv_space_, h.options.sack.data(), ts_ok_ ? 3 : 4);
  return s;
}

void Connection::account(const Segment& s) {
  if (s.has(ack)) rcv_.on_ack_sent();
  ++segments_sent_;
}

void Connection::emit(Segment&& s, Time now) {
  (void)now;
  account(s);
  out_.push_back(std::move(s));
}

void Connection::send_ack(Time now) {
  if (!synchronized() || state_ == State::closed) return;
  ++acks_sent_;
  emit(make_segment(syn_acked_ ? snd_.nxt() : 1, ack, now), now);
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
  if (can_output()) snd_.output(now, *this);
}

void Connection::on_rto(Time now) {
  if (!syn_acked_) {  // the SYN or SYN-ACK went unanswered
    if (syn_sends_ > p_.syn_retries) {
      enter_closed(now, CloseReason::timed_out);
      return;
    }
    snd_.rtt().backoff();
    send_syn(now, state_ == State::syn_rcvd || passive_);
    return;
  }
  if (!snd_.on_rto(now)) enter_closed(now, CloseReason::timed_out);
}

void Connection::on_timer(Time now) {
  last_now_ = now;
  if (time_wait_at_ && *time_wait_at_ <= now) {
    enter_closed(now, CloseReason::none);
    return;
  }
  if (rcv_.delack_at() && *rcv_.delack_at() <= now) {
    rcv_.clear_delack();
    ++delayed_acks_;
    send_ack(now);
  }
  if (snd_.rto_at() && *snd_.rto_at() <= now) {
    snd_.clear_rto();
    on_rto(now);
    if (state_ == State::closed) return;
  }
  if (snd_.persist_at() && *snd_.persist_at() <= now) {
    snd_.clear_persist();
    snd_.on_persist(now, *this, can_output());
  }
  output(now);
}

// ---------------------------------------------------------------------------------------------
// Snapshot, restore and pieces

std::unique_ptr<Connection> Connection::offload_copy() const {
  auto c = std::make_unique<Connection>(*this);
  c->on_state_change = nullptr;
  c->out_.clear();
  c->snd_.clear_transmit_gate();
  c->snd_.set_piece_mode(false);
  c->snd_.set_tso_max(0);
  return c;
}

RestoreResult Connection::restore(const SendState& s) {
  if (!syn_acked_ || !synchronized())
    return RestoreResult::fail(std::string("the connection is in ") + tcp::state_name(state_) +
                               " without its SYN acknowledged: nothing to continue");
  return snd_.restore(s);
}

std::optional<SendPiece> Connection::reserve(uint64_t max_bytes, Time now) {
  if (!can_output()) return std::nullopt;
  last_now_ = now;
  return snd_.reserve(max_bytes, now);
}

std::optional<Segment> Connection::build(const SendPiece& piece, Time now) {
  std::optional<Segment> s = snd_.build(piece, now, *this);
  if (s) account(*s);
  return s;
}

}  // namespace hostwire::tcp
