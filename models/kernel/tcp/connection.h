// One TCP connection as a protocol engine (RFC 9293), plain C++: the caller hands it
// segments, application calls and timer expiries with the current time; it answers with
// segments to transmit (output()) and the time it next needs a timer (next_timer()). It
// never reads a clock and keeps no thread, so the SystemC kernel model, the offload engine
// and the unit tests drive the same code.
//
// Sequence numbers are unwrapped to 64-bit positions from each side's initial sequence
// number (position 0 is the SYN); only the header fields are 32-bit.
//
// What it implements: the three-way handshake (simultaneous open too) with MSS, window
// scaling, SACK-permitted and timestamps; flow control with receiver and sender silly-window
// avoidance and zero-window probes; delayed ACKs; Nagle; RFC 6298 retransmission timer;
// NewReno (RFC 6582) and SACK (RFC 6675) loss recovery; go-back-N after a timeout; FIN and
// RST teardown through every state; RFC 5961 challenge ACKs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "core/packet.h"
#include "core/units.h"
#include "kernel/tcp/congestion.h"
#include "kernel/tcp/params.h"
#include "kernel/tcp/reassembly.h"
#include "kernel/tcp/rtt.h"
#include "kernel/tcp/scoreboard.h"
#include "kernel/tcp/segment.h"
#include "kernel/tcp/send_buffer.h"
#include "kernel/tcp/seq.h"

namespace hostwire::tcp {

enum class State {
  closed,
  listen,
  syn_sent,
  syn_rcvd,
  established,
  fin_wait_1,
  fin_wait_2,
  close_wait,
  closing,
  last_ack,
  time_wait,
};
const char* state_name(State s);

// Why a connection reached CLOSED other than by an orderly close.
enum class CloseReason { none, reset, refused, timed_out, aborted };
const char* close_reason_name(CloseReason r);

class Connection {
 public:
  // `cc` may be null: the algorithm named by params.congestion is built when the handshake has
  // fixed the send MSS. `local_port`/`remote_port` go into every header; a passive connection
  // with remote_port 0 takes the port of the SYN it accepts.
  Connection(const TcpParams& params, std::unique_ptr<CongestionControl> cc, uint32_t initial_sequence_number,
             uint16_t local_port, uint16_t remote_port);

  void open_active(Time now);  // SYN_SENT: emits the SYN
  void open_passive();         // LISTEN

  // Application side (the socket layer charges the system-call costs; this is the protocol).
  size_t send(std::span<const uint8_t> data, Time now);  // copies up to the free space; bytes taken
  size_t send_shared(const PayloadSlice& data, Time now);  // zero-copy: the slice is referenced
  size_t send_space() const;
  // In-order bytes to the application; opening the window may emit a window update.
  size_t receive(std::span<uint8_t> out, Time now);
  size_t receive(std::span<uint8_t> out) { return receive(out, last_now_); }
  size_t readable() const { return static_cast<size_t>(rq_.readable()); }
  bool eof() const { return fin_received_ && rq_.readable() == 0; }  // the peer's FIN and all its data read
  void close(Time now);  // FIN after the queued data
  void abort(Time now);  // RST

  // Network side.
  void on_segment(const Segment& s, Time now);
  void on_timer(Time now);  // call at or after next_timer()
  std::optional<Time> next_timer() const;
  // Segments to transmit, in order; the caller drains them (moves them out and clears).
  std::vector<Segment>& output() { return out_; }

  // TSO: new data may leave in segments of up to `bytes` (whole MSS multiples, at most 64 KiB)
  // for the NIC to cut; 0 turns it off. Retransmissions stay one MSS.
  void set_tso_max(uint32_t bytes);

  State state() const { return state_; }
  const char* state_name() const { return tcp::state_name(state_); }
  CloseReason close_reason() const { return close_reason_; }
  std::function<void(State from, State to, Time now)> on_state_change;

  // Negotiated at the handshake.
  bool sack_enabled() const { return sack_ok_; }
  bool timestamps_enabled() const { return ts_ok_; }
  bool window_scaling_enabled() const { return ws_ok_; }
  uint8_t send_window_shift() const { return snd_shift_; }     // applied to windows the peer advertises
  uint8_t receive_window_shift() const { return rcv_shift_; }  // applied to windows we advertise
  uint32_t send_mss() const { return send_mss_; }
  uint32_t peer_mss() const { return peer_mss_; }

  // Observability (the kernel reports these per connection, and as time series).
  uint64_t cwnd() const;
  uint64_t ssthresh() const;
  Time srtt() const { return rtt_.srtt(); }
  Time rttvar() const { return rtt_.rttvar(); }
  Time rto() const { return rtt_.rto(); }
  uint64_t retransmitted_segments() const { return retransmitted_segments_; }
  uint64_t retransmitted_bytes() const { return retransmitted_bytes_; }
  uint64_t fast_retransmits() const { return fast_retransmits_; }  // recovery episodes entered
  uint64_t timeouts() const { return timeouts_; }
  uint64_t bytes_acked() const { return bytes_acked_; }        // payload bytes cumulatively acknowledged
  uint64_t bytes_received() const { return bytes_received_; }  // payload bytes received in order
  uint64_t bytes_in_flight() const;                            // RFC 6675 pipe
  uint64_t snd_wnd() const { return snd_wnd_; }                // bytes the peer offers
  uint64_t rcv_wnd() const { return rcv_adv_ > rcv_nxt() ? rcv_adv_ - rcv_nxt() : 0; }  // bytes we offer
  uint64_t unsent_bytes() const;
  bool in_recovery() const { return recovery_ == Recovery::fast; }
  bool in_loss() const { return recovery_ == Recovery::loss; }
  uint64_t segments_sent() const { return segments_sent_; }  // every segment emitted
  uint64_t data_segments_sent() const { return data_segments_sent_; }  // with payload, first transmissions
  uint64_t acks_sent() const { return acks_sent_; }  // pure ACKs (no data, SYN, FIN or RST)
  uint64_t delayed_acks() const { return delayed_acks_; }  // pure ACKs sent by the delayed-ACK timer
  uint64_t zero_window_probes() const { return zero_window_probes_; }
  uint64_t dupacks_received() const { return dupacks_received_; }
  uint64_t challenge_acks() const { return challenge_acks_; }

 private:
  enum class Recovery { open, fast, loss };

  bool synchronized() const;
  uint64_t rcv_nxt() const { return rq_.rcv_nxt() + (fin_received_ ? 1 : 0); }
  uint64_t snd_una() const { return syn_acked_ ? sb_.una() : 0; }
  uint64_t data_end() const { return 1 + sndbuf_.size() + sndbuf_.begin(); }  // position after the last byte written
  uint32_t ts_now(Time now) const;
  void set_state(State s, Time now);
  void enter_closed(Time now, CloseReason why);
  void reset_timers();

  // Handshake.
  void send_syn(Time now, bool with_ack);
  void take_syn_options(const net::TcpOptions& o);
  void establish(Time now, const Segment& s);
  void on_segment_listen(const Segment& s, Time now);
  void on_segment_syn_sent(const Segment& s, Time now);

  // Receive path.
  bool acceptable(uint64_t start, uint32_t len) const;
  void process_ack(const Segment& s, uint64_t seg_start, Time now, bool ts_fresh);
  void on_new_ack(const Segment& s, uint64_t ack, Time now, bool ts_fresh);
  void process_data(const Segment& s, uint64_t seg_start, Time now);
  void process_fin(Time now);
  void schedule_ack(uint64_t bytes, Time now);
  uint64_t select_window() const;  // the window we would offer now (RFC 9293 3.8.6.2.2)
  uint16_t window_field();         // commits the offer

  // Send path.
  void output(Time now);
  bool send_new_data(Time now, uint64_t cwnd, uint64_t pipe, bool& cwnd_blocked);
  void retransmit(SentSegment& r, Time now);
  void enter_recovery(Time now);
  void on_rto(Time now);
  void on_persist(Time now);
  void arm_rto(Time now) { rto_at_ = now + rtt_.rto(); }
  Segment make_segment(uint64_t seq, uint16_t flags, Time now);
  void emit(Segment&& s, Time now);
  void send_ack(Time now);
  void send_rst(uint32_t seq, Time now);

  TcpParams p_;
  std::unique_ptr<CongestionControl> cc_;
  SeqSpace snd_space_, rcv_space_;
  uint16_t local_port_, remote_port_;
  State state_ = State::closed;
  CloseReason close_reason_ = CloseReason::none;
  bool passive_ = false;
  Time last_now_{};

  // Negotiated options.
  bool sack_ok_ = false, ts_ok_ = false, ws_ok_ = false;
  uint8_t snd_shift_ = 0, rcv_shift_ = 0;
  uint32_t peer_mss_ = 536, send_mss_ = 536, tso_max_ = 0;

  // Send side.
  SendBuffer sndbuf_;
  Scoreboard sb_;
  bool syn_acked_ = false;
  bool syn_retransmitted_ = false;
  int syn_sends_ = 0;
  Time syn_sent_at_{};
  uint64_t snd_wnd_ = 0, max_snd_wnd_ = 0;
  uint64_t snd_wl1_ = 0, snd_wl2_ = 0;
  bool fin_queued_ = false, fin_sent_ = false;
  uint64_t fin_pos_ = 0;  // our FIN's position once close() was called
  Recovery recovery_ = Recovery::open;
  uint64_t recovery_point_ = 0;  // RFC 6675 RecoveryPoint / RFC 6582 recover
  uint64_t recover_ = 0;
  uint64_t dupacks_ = 0;
  uint64_t dup_bytes_ = 0;  // without SACK: what duplicate ACKs say left the network
  bool force_retransmit_ = false;
  bool cwnd_limited_ = false;
  bool sws_override_ = false;  // the persist timer fired with a window below the SWS threshold
  int consecutive_timeouts_ = 0;
  RttEstimator rtt_;

  // Receive side.
  Reassembly rq_;
  bool fin_received_ = false;
  std::optional<uint64_t> peer_fin_pos_;
  uint64_t rcv_adv_ = 0;        // right edge of the window we advertised
  uint64_t last_ack_sent_ = 0;  // RFC 7323 Last.ACK.sent
  uint32_t ts_recent_ = 0;
  bool ts_recent_valid_ = false;
  uint32_t rcv_mss_ = 536;  // estimate of the peer's segment size, for ACK-every-N and SWS
  uint64_t unacked_bytes_ = 0;
  bool ack_now_ = false;

  // Timers.
  std::optional<Time> rto_at_, persist_at_, delack_at_, time_wait_at_;
  int persist_backoff_ = 0;

  std::vector<Segment> out_;

  uint64_t retransmitted_segments_ = 0, retransmitted_bytes_ = 0, fast_retransmits_ = 0, timeouts_ = 0;
  uint64_t bytes_acked_ = 0, bytes_received_ = 0, segments_sent_ = 0, data_segments_sent_ = 0, acks_sent_ = 0;
  uint64_t delayed_acks_ = 0, zero_window_probes_ = 0, dupacks_received_ = 0, challenge_acks_ = 0;
};

}  // namespace hostwire::tcp
