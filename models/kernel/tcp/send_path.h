// The send half of a TCP connection: the send buffer, the scoreboard of what is in flight,
// SND.UNA/NXT/WND/WL1/WL2, congestion control, the RTT estimator, loss recovery (RFC 6582,
// RFC 6675, go-back-N after a timeout), the retransmission and persist timers, the send-side
// options negotiated at the handshake and the FIN we send. The Connection owns one, runs the
// handshake and the state machine around it and builds the headers (the ACK and window fields
// belong to the receive path) through SegmentOut.
//
// Everything the send path decides with lives in one value, SendState, so snapshot() and
// restore() can move it to another engine (a TCP offload engine on the NIC, another core) and
// back. The bytes of the stream stay in the SendBuffer, which is not part of the state: a
// SendState names positions, and restore() checks the target's buffer holds the bytes they need.
//
// Pieces: in piece mode (set_piece_mode) the send path stops sending new data itself; another
// party reserve()s pieces of new data ({position, length}) within the windows and builds their
// segments later (Connection::build). Retransmissions, the FIN alone, window probes and pure
// ACKs stay with the owning engine.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "core/packet.h"
#include "core/units.h"
#include "kernel/tcp/congestion.h"
#include "kernel/tcp/params.h"
#include "kernel/tcp/rtt.h"
#include "kernel/tcp/scoreboard.h"
#include "kernel/tcp/segment.h"
#include "kernel/tcp/send_buffer.h"
#include "kernel/tcp/seq.h"

namespace hostwire::tcp {

// What the send path needs from its connection to put a segment out: a segment with the
// header fields of both halves (ports, ACK, window, timestamps, SACK blocks), and the output.
class SegmentOut {
 public:
  virtual Segment make_segment(uint64_t seq, uint16_t flags, Time now) = 0;
  virtual void emit(Segment&& s, Time now) = 0;

 protected:
  ~SegmentOut() = default;
};

enum class RecoveryPhase { open, fast, loss };

// Negotiated at the handshake (send side).
struct SendOptions {
  uint32_t mss = 536;        // payload bytes per segment, the timestamps option deducted
  uint8_t window_shift = 0;  // applied to windows the peer advertises
  bool sack = false;
  bool timestamps = false;
  uint32_t tso_max = 0;  // new data may leave in segments of up to this (whole MSS multiples)
};

struct SendCounters {
  uint64_t retransmitted_segments = 0, retransmitted_bytes = 0;
  uint64_t fast_retransmits = 0, timeouts = 0;  // recovery episodes entered; RTOs
  uint64_t bytes_acked = 0;                     // payload bytes cumulatively acknowledged
  uint64_t data_segments_sent = 0;              // with payload, first transmissions
  uint64_t zero_window_probes = 0, dupacks_received = 0;
  // Retransmitted segments whose original had arrived: the ACK that covered them echoes a
  // timestamp older than their retransmission (the Eifel test, RFC 3522). Needs timestamps.
  uint64_t spurious_retransmits = 0;
};

// The congestion-control algorithm held by value: copying clones it (CongestionControl::clone()),
// so a SendState is a plain copyable value. An algorithm without clone() copies as empty;
// name() still says what it was, and restore() refuses the copy.
class CongestionHolder {
 public:
  CongestionHolder() = default;
  explicit CongestionHolder(std::unique_ptr<CongestionControl> cc) { reset(std::move(cc)); }
  CongestionHolder(const CongestionHolder& o) : cc_(o.cc_ ? o.cc_->clone() : nullptr), name_(o.name_) {}
  CongestionHolder& operator=(const CongestionHolder& o) {
    if (this != &o) {
      cc_ = o.cc_ ? o.cc_->clone() : nullptr;
      name_ = o.name_;
    }
    return *this;
  }
  CongestionHolder(CongestionHolder&&) noexcept = default;
  CongestionHolder& operator=(CongestionHolder&&) noexcept = default;

  void reset(std::unique_ptr<CongestionControl> cc) {
    cc_ = std::move(cc);
    name_ = cc_ ? cc_->name() : "";
  }
  CongestionControl* get() const { return cc_.get(); }
  CongestionControl* operator->() const { return cc_.get(); }
  explicit operator bool() const { return cc_ != nullptr; }
  const std::string& name() const { return name_; }  // empty: none was set

 private:
  std::unique_ptr<CongestionControl> cc_;
  std::string name_;
};

// Everything the send path decides with, as one copyable value. Positions are 64-bit sequence
// positions from our ISS (0 is the SYN, data starts at 1).
//
// In it: the ISS and the send options (checked on restore, except tso_max: the target keeps its
// own); the scoreboard (SND.UNA, SND.NXT = high_data, every segment in flight with its SACKed,
// lost and retransmitted marks, the SACKed ranges, the IsLost marker and the NextSeg cursors);
// SND.WND, the largest window offered, SND.WL1/WL2; the FIN's state; the congestion-control
// algorithm with its own state; the recovery phase, recovery point, NewReno's `recover`,
// duplicate-ACK count and Reno's duplicate-ACK pipe estimate; the RTT estimator whole (SRTT,
// RTTVAR, RTO, minimum RTT, backoffs, and its RTO bounds); the RTO and persist deadlines and the
// persist backoff; consecutive timeouts; the send counters.
//
// Not in it: the bytes of the stream (they stay in the SendBuffer; buffer_end records how far
// the application had written); the receive path (RCV.NXT, the window we offer, TS.Recent, the
// SACK blocks we send, delayed ACKs); the handshake and the connection state; the
// connection-level counters (segments, pure ACKs, delayed ACKs and challenge ACKs sent); the
// TcpParams, which each engine has its own of; piece mode.
struct SendState {
  uint32_t iss = 0;
  SendOptions options;
  uint64_t buffer_end = 1;  // position after the last byte written, when the snapshot was taken
  Scoreboard scoreboard;
  uint64_t snd_wnd = 0, max_snd_wnd = 0;
  uint64_t snd_wl1 = 0, snd_wl2 = 0;  // RFC 9293 SND.WL1 (a receive-side position), SND.WL2
  bool fin_queued = false, fin_sent = false;
  uint64_t fin_pos = 0;  // our FIN's position once the application closed
  CongestionHolder cc;   // empty until the handshake fixed the send MSS
  RecoveryPhase recovery = RecoveryPhase::open;
  uint64_t recovery_point = 0;  // RFC 6675 RecoveryPoint
  uint64_t recover = 0;         // RFC 6582 recover
  uint64_t dupacks = 0;
  uint64_t dup_bytes = 0;  // without SACK: what duplicate ACKs say left the network
  bool force_retransmit = false;
  bool cwnd_limited = false;  // the last send attempt was held back by cwnd (not app-limited)
  bool sws_override = false;  // the persist timer fired with a window below the SWS threshold
  uint64_t snd_sml = 0;       // end of the last runt sent (Minshall's Nagle, as Linux's tcp_minshall_update)
  int consecutive_timeouts = 0;
  RttEstimator rtt{Time{}, Time{}, Time{}};
  std::optional<Time> rto_at, persist_at;
  int persist_backoff = 0;
  SendCounters counters;

  uint64_t una() const { return scoreboard.una(); }
  uint64_t nxt() const { return scoreboard.high_data(); }
};

// restore()'s answer: ok, or why the state was refused (nothing was changed then).
struct RestoreResult {
  bool ok = true;
  std::string reason;
  explicit operator bool() const { return ok; }
  static RestoreResult fail(std::string why) { return RestoreResult{false, std::move(why)}; }
};

// New data handed out by reserve(): positions [seq, seq + len) of the stream, and the FIN
// after them when `fin`. The bytes are counted as sent (in the scoreboard, under the RTO) from
// the moment of reservation; the holder promises to build and emit the segment.
struct SendPiece {
  uint64_t seq = 0;
  uint32_t len = 0;  // payload bytes
  bool fin = false;
  uint64_t end() const { return seq + len + (fin ? 1 : 0); }
};

class SendPath {
 public:
  SendPath(const TcpParams& params, SeqSpace space);

  // The algorithm to use instead of the one TcpParams names (given before the handshake).
  void install_congestion_control(std::unique_ptr<CongestionControl> cc) { st_.cc.reset(std::move(cc)); }

  // Handshake.
  void negotiate(uint32_t mss, uint8_t window_shift, bool sack, bool timestamps);
  void set_tso_max(uint32_t bytes);
  // Our SYN was acknowledged: data starts at 1 with the peer's first window.
  void establish(uint64_t snd_wnd, uint64_t snd_wl1);

  // The stream.
  uint64_t buffered() const { return buf_.size(); }
  size_t send_space() const;
  void append(std::span<const uint8_t> data) { buf_.append(data); }
  void append(const PayloadSlice& data) { buf_.append(data); }
  uint64_t data_end() const { return 1 + buf_.end(); }  // position after the last byte written
  void queue_fin();                                       // the application closed: FIN after data_end()
  bool fin_queued() const { return st_.fin_queued; }
  bool fin_acked() const { return st_.fin_sent && st_.scoreboard.una() > st_.fin_pos; }

  // An acceptable segment with ACK: window update, cumulative and selective acknowledgement,
  // duplicate ACKs and loss detection. False when it acknowledges data never sent (the caller
  // answers with an ACK).
  bool on_ack(const Segment& s, uint64_t seg_start, Time now, bool ts_fresh);

  // Retransmissions and new data as the windows allow; arms the persist timer when only the
  // peer's window holds data back.
  void output(Time now, SegmentOut& out);
  // The retransmission timer fired with data outstanding: false when the retries are used up
  // (the connection times out).
  bool on_rto(Time now);
  // The persist timer fired: fill a sliver of window (when `can_send`) or probe.
  void on_persist(Time now, SegmentOut& out, bool can_send);

  // Pieces (see the file comment).
  void set_piece_mode(bool on) { piece_mode_ = on; }
  // While another engine holds the send state: stream bytes before position `pos` (which that
  // engine saw acknowledged) leave the buffer, so the application can write more. The state
  // here is stale until restore() brings the other engine's back.
  void release_below(uint64_t pos) {
    if (pos > 1 + buf_.begin()) buf_.release(std::min(pos, data_end()) - 1);
  }
  // Stream bytes [pos, pos + len) as one slice (they must still be in the buffer).
  PayloadSlice stream_slice(uint64_t pos, uint32_t len) const { return buf_.slice(pos - 1, len); }
  // No transmit gate (the copy an offload engine runs gets its own).
  void clear_transmit_gate() { gate_ = nullptr; }
  void set_nagle(bool on) { p_.nagle = on; }  // TCP_NODELAY is set_nagle(false)
  // The host's say over new data (TCP small queues): asked before each new segment of `len`
  // bytes leaves; false holds it back until the host calls Connection::push().
  void set_transmit_gate(std::function<bool(uint64_t len)> gate) { gate_ = std::move(gate); }
  bool piece_mode() const { return piece_mode_; }
  // The next piece of new data, at most `max_bytes`: as much as output() would send in one
  // segment now (cwnd, the peer's window, sender SWS avoidance, Nagle, the TSO maximum).
  std::optional<SendPiece> reserve(uint64_t max_bytes, Time now);
  // The holder wants `want` bytes of new data at once: congestion control counts the send as
  // cwnd-limited (and grows cwnd) while cwnd leaves less room than that, as Linux counts TSO
  // deferral. Without it a holder that batches would look application-limited.
  void note_piece_demand(uint64_t want);
  // The segment of a reserved piece; none when its bytes are no longer held (acknowledged
  // meanwhile, through a retransmission) or it was never reserved.
  std::optional<Segment> build(const SendPiece& piece, Time now, SegmentOut& out);

  SendState snapshot() const;
  // Replaces the send state with `s` after checking it fits this path: the same ISS and
  // negotiated options, a congestion control that could be copied, the bytes from SND.UNA to
  // SND.NXT still in this buffer, and the same FIN. Bytes below SND.UNA are released.
  RestoreResult restore(const SendState& s);

  // Timers.
  void arm_rto(Time now) { st_.rto_at = now + st_.rtt.rto(); }
  void reset_timers() {
    st_.rto_at.reset();
    st_.persist_at.reset();
  }
  std::optional<Time> rto_at() const { return st_.rto_at; }
  std::optional<Time> persist_at() const { return st_.persist_at; }
  void clear_rto() { st_.rto_at.reset(); }
  void clear_persist() { st_.persist_at.reset(); }

  // Our timestamp clock: 1 us ticks (Linux's tcp_usec_ts), offset by the ISS.
  uint32_t iss() const { return st_.iss; }  // sequence number of the SYN: byte k of the stream is iss + 1 + k
  uint32_t ts_now(Time now) const { return static_cast<uint32_t>(now.ps / 1'000'000) + st_.iss; }
  RttEstimator& rtt() { return st_.rtt; }
  SendCounters& counters() { return st_.counters; }

  // Observers.
  const SendState& state() const { return st_; }
  const SendOptions& options() const { return st_.options; }
  const SendCounters& counters() const { return st_.counters; }
  const RttEstimator& rtt() const { return st_.rtt; }
  const Scoreboard& scoreboard() const { return st_.scoreboard; }
  uint64_t una() const { return st_.scoreboard.una(); }
  uint64_t nxt() const { return st_.scoreboard.high_data(); }
  uint64_t snd_wnd() const { return st_.snd_wnd; }
  uint64_t cwnd() const;
  uint64_t ssthresh() const;
  uint64_t bytes_in_flight() const { return st_.scoreboard.pipe(st_.dup_bytes); }
  uint64_t unsent_bytes() const;  // once established
  // New data the windows would let leave now, all segments together: min(cwnd - pipe, the
  // peer's window beyond SND.NXT, what is unsent). Piece holders size their batches by it.
  uint64_t window_room() const;
  RecoveryPhase recovery() const { return st_.recovery; }

 private:
  void on_new_ack(const Segment& s, uint64_t ack, Time now, bool ts_fresh);
  void enter_recovery(Time now);
  bool send_new_data(Time now, uint64_t cwnd, uint64_t pipe, bool& cwnd_blocked, SegmentOut& out);
  // How much new data at SND.NXT may leave in one segment now (0: none); sets `cwnd_blocked`
  // when cwnd is what holds it back.
  uint64_t sendable(uint64_t cwnd, uint64_t pipe, uint64_t unsent, bool& cwnd_blocked) const;
  // New data [nxt, nxt + len) (and the FIN) leaves: scoreboard records, RTO, persist.
  void record_sent(uint64_t nxt, uint64_t len, bool with_fin, Time now);
  uint16_t data_flags(uint64_t end, bool with_fin) const;
  void retransmit(SentSegment& r, Time now, SegmentOut& out);
  void arm_persist(Time now);
  // The segment's SACK blocks (unwrapped near `reference`) into the scoreboard; bytes newly SACKed.
  uint64_t take_sacks(const Segment& s, uint64_t reference);
  void tell_cc(Time now, uint64_t newly_acked, Time rtt_sample);

  TcpParams p_;
  SendBuffer buf_;
  SendState st_;
  bool piece_mode_ = false;
  std::function<bool(uint64_t)> gate_;
};

}  // namespace hostwire::tcp
