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
//
// It is made of a SendPath (send_path.h: buffer, scoreboard, windows, congestion control, RTT,
// recovery, RTO and persist timers) and a ReceivePath (receive_path.h: reassembly, the window
// we offer, delayed ACKs, TS.Recent); the connection itself keeps the handshake, the state
// machine, the header of every segment and the output. The send state can be snapshot() and
// restore()d, here or into another engine, and new data can be handed out as pieces for others
// to build (reserve(), build()).
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
#include "kernel/tcp/receive_path.h"
#include "kernel/tcp/segment.h"
#include "kernel/tcp/send_path.h"
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

class Connection : private SegmentOut {
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
  size_t send_space() const { return snd_.send_space(); }
  // In-order bytes to the application; opening the window may emit a window update.
  size_t receive(std::span<uint8_t> out, Time now);
  size_t receive(std::span<uint8_t> out) { return receive(out, last_now_); }
  size_t readable() const { return static_cast<size_t>(rcv_.readable()); }
  // The readable bytes in place, run by run, until `f` returns false (Reassembly::peek).
  template <class F>
  void peek(F&& f) const { rcv_.peek(std::forward<F>(f)); }
  bool eof() const { return rcv_.fin_received() && rcv_.readable() == 0; }  // the peer's FIN and all its data read
  bool fin_received() const { return rcv_.fin_received(); }  // the peer closed (its data may still be unread)
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
  void set_tso_max(uint32_t bytes) { snd_.set_tso_max(bytes); }

  // The send state as a value (see SendState for what it holds and what it does not), and its
  // return: here, or into another connection that completed the same handshake (same ISS, ports
  // and options) and holds the same stream bytes from SND.UNA on. A state that does not fit is
  // refused with the reason and nothing changes. After a restore the connection sends what the
  // restored state allows at the next event (segment, timer or application call).
  SendState snapshot() const { return snd_.snapshot(); }
  RestoreResult restore(const SendState& s);
  // The connection as another engine takes it over (a TCP offload engine on the NIC): a copy
  // of its whole state with the stream bytes shared, not copied; no callbacks, no transmit gate,
  // no output pending, MSS-sized segments only (the engine cuts them), piece mode off.
  std::unique_ptr<Connection> offload_copy() const;
  // While the copy holds the send state: bytes below `pos` (acknowledged there) leave this
  // connection's buffer, so the application can keep writing; restore() ends the stale time.
  void release_below(uint64_t pos) { snd_.release_below(pos); }

  // Pieces: with piece mode on, new data leaves only through reserve() and build(); the
  // connection still retransmits, sends a bare FIN, probes the window and acknowledges.
  // reserve() hands out the next piece of new data the windows allow (at most `max_bytes`,
  // none before the handshake completes or after the FIN was sent), counted as sent at `now`;
  // build() makes its segment (the ACK and window as of `now`, which it commits as sent: the
  // caller transmits it) or none when the piece's bytes were acknowledged meanwhile.
  void set_piece_mode(bool on) { snd_.set_piece_mode(on); }
  // TCP small queues: the host's gate on new data (send_path.h), and the call that resumes
  // sending when the gate opens again.
  void set_transmit_gate(std::function<bool(uint64_t len)> gate) { snd_.set_transmit_gate(std::move(gate)); }
  void push(Time now) { output(now); }
  // TCP_NODELAY: off sends runts at once; turning it on pushes what Nagle held (as Linux).
  void set_nodelay(bool on, Time now) {
    snd_.set_nagle(!on);
    if (on) output(now);
  }
  std::optional<SendPiece> reserve(uint64_t max_bytes, Time now);
  std::optional<Segment> build(const SendPiece& piece, Time now);
  uint64_t window_room() const { return syn_acked_ && can_output() ? snd_.window_room() : 0; }
  void note_piece_demand(uint64_t want) { snd_.note_piece_demand(want); }

  const SendPath& send_path() const { return snd_; }
  const ReceivePath& receive_path() const { return rcv_; }

  State state() const { return state_; }
  const char* state_name() const { return tcp::state_name(state_); }
  CloseReason close_reason() const { return close_reason_; }
  std::function<void(State from, State to, Time now)> on_state_change;

  // Negotiated at the handshake.
  bool sack_enabled() const { return sack_ok_; }
  bool timestamps_enabled() const { return ts_ok_; }
  bool window_scaling_enabled() const { return ws_ok_; }
  uint8_t send_window_shift() const { return snd_.options().window_shift; }  // applied to windows the peer advertises
  uint8_t receive_window_shift() const { return rcv_.window_shift(); }       // applied to windows we advertise
  uint32_t send_mss() const { return snd_.options().mss; }
  uint32_t peer_mss() const { return peer_mss_; }

  // Observability (the kernel reports these per connection, and as time series).
  uint64_t cwnd() const { return snd_.cwnd(); }
  uint64_t ssthresh() const { return snd_.ssthresh(); }
  Time srtt() const { return snd_.rtt().srtt(); }
  Time rttvar() const { return snd_.rtt().rttvar(); }
  Time rto() const { return snd_.rtt().rto(); }
  uint64_t retransmitted_segments() const { return snd_.counters().retransmitted_segments; }
  uint64_t retransmitted_bytes() const { return snd_.counters().retransmitted_bytes; }
  uint64_t fast_retransmits() const { return snd_.counters().fast_retransmits; }  // recovery episodes entered
  uint64_t timeouts() const { return snd_.counters().timeouts; }
  uint64_t bytes_acked() const { return snd_.counters().bytes_acked; }  // payload bytes cumulatively acknowledged
  uint64_t bytes_received() const { return rcv_.bytes_received(); }    // payload bytes received in order
  uint64_t bytes_in_flight() const { return snd_.bytes_in_flight(); }  // RFC 6675 pipe
  uint64_t snd_wnd() const { return snd_.snd_wnd(); }                  // bytes the peer offers
  uint64_t rcv_wnd() const { return rcv_.rcv_wnd(); }                  // bytes we offer
  uint64_t unsent_bytes() const { return syn_acked_ ? snd_.unsent_bytes() : snd_.buffered(); }
  bool in_recovery() const { return snd_.recovery() == RecoveryPhase::fast; }
  bool in_loss() const { return snd_.recovery() == RecoveryPhase::loss; }
  uint64_t segments_sent() const { return segments_sent_; }  // every segment emitted
  uint64_t data_segments_sent() const { return snd_.counters().data_segments_sent; }  // with payload, first transmissions
  uint64_t acks_sent() const { return acks_sent_; }  // pure ACKs (no data, SYN, FIN or RST)
  uint64_t delayed_acks() const { return delayed_acks_; }  // pure ACKs sent by the delayed-ACK timer
  uint64_t zero_window_probes() const { return snd_.counters().zero_window_probes; }
  uint64_t dupacks_received() const { return snd_.counters().dupacks_received; }
  uint64_t challenge_acks() const { return challenge_acks_; }
  uint64_t spurious_retransmits() const { return snd_.counters().spurious_retransmits; }
  uint64_t out_of_order_segments() const { return rcv_.out_of_order_segments(); }
  uint64_t duplicate_segments() const { return rcv_.duplicate_segments(); }

 private:
  bool synchronized() const;
  bool can_output() const;  // the state lets data and FIN leave
  uint64_t rcv_nxt() const { return rcv_.rcv_nxt(); }
  void set_state(State s, Time now);
  void enter_closed(Time now, CloseReason why);
  void enter_time_wait(Time now);
  void reset_timers();

  // Handshake.
  void send_syn(Time now, bool with_ack);
  void take_syn_options(const net::TcpOptions& o);
  void establish(Time now, const Segment& s);
  void on_segment_listen(const Segment& s, Time now);
  void on_segment_syn_sent(const Segment& s, Time now);

  // Arrivals: the send path takes the ACK, the receive path the data; the state follows.
  void process_ack(const Segment& s, uint64_t seg_start, Time now, bool ts_fresh);
  void process_fin(Time now);

  // Output.
  void output(Time now);
  void on_rto(Time now);
  Segment make_segment(uint64_t seq, uint16_t flags, Time now) override;
  void emit(Segment&& s, Time now) override;
  void account(const Segment& s);  // what emit() notes before the segment is queued
  void send_ack(Time now);
  void send_rst(uint32_t seq, Time now);

  TcpParams p_;
  SeqSpace snd_space_, rcv_space_;
  uint16_t local_port_, remote_port_;
  State state_ = State::closed;
  CloseReason close_reason_ = CloseReason::none;
  bool passive_ = false;
  Time last_now_{};

  // Negotiated options (the send path keeps its own copy of the send side's).
  bool sack_ok_ = false, ts_ok_ = false, ws_ok_ = false;
  uint32_t peer_mss_ = 536;

  // Handshake.
  bool syn_acked_ = false;
  bool syn_retransmitted_ = false;
  int syn_sends_ = 0;
  Time syn_sent_at_{};

  SendPath snd_;
  ReceivePath rcv_;

  std::optional<Time> time_wait_at_;
  std::vector<Segment> out_;

  uint64_t segments_sent_ = 0, acks_sent_ = 0, delayed_acks_ = 0, challenge_acks_ = 0;
};

}  // namespace hostwire::tcp
