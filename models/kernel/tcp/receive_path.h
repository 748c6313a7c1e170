// The receive half of a TCP connection: reassembly of the peer's stream, RCV.NXT, the window we
// offer (receiver silly-window avoidance, window scaling), delayed and immediate ACKs,
// TS.Recent for PAWS and timestamp echo, and the peer's FIN. The Connection owns one; it runs
// the state machine around it (what the FIN does to the state) and puts the ACK and window this
// path chooses into every segment it sends.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "core/units.h"
#include "kernel/tcp/params.h"
#include "kernel/tcp/reassembly.h"
#include "kernel/tcp/segment.h"

namespace hostwire::tcp {

class ReceivePath {
 public:
  static constexpr uint64_t kMaxUnscaledWindow = 65535;

  // `window_shift`: the shift we offer in our SYN (0 without window scaling).
  ReceivePath(const TcpParams& params, uint8_t window_shift);

  // The peer's SYN: the stream starts at position 1; the peer did or did not take our window
  // scaling and timestamps. `tsval`: the SYN's timestamp, when timestamps are on.
  void negotiate(bool window_scaling, bool timestamps, uint32_t mss_estimate, std::optional<uint32_t> tsval);

  uint64_t rcv_nxt() const { return rq_.rcv_nxt() + (fin_received_ ? 1 : 0); }
  uint64_t rcv_wnd() const { return rcv_adv_ > rcv_nxt() ? rcv_adv_ - rcv_nxt() : 0; }  // bytes we offer
  uint8_t window_shift() const { return shift_; }
  // RFC 9293 3.10.7 segment acceptability against RCV.NXT and the window.
  bool acceptable(uint64_t start, uint32_t len) const;

  // Timestamps (RFC 7323): a TSval older than TS.Recent marks an old duplicate (PAWS); TS.Recent
  // comes from the segment the next ACK acknowledges.
  bool older_than_recent(uint32_t tsval) const;
  void note_timestamp(uint64_t seg_start, uint32_t tsval) {
    if (seg_start <= last_ack_sent_) ts_recent_ = tsval;
  }
  uint32_t ts_recent() const { return ts_recent_; }

  // Payload (and FIN) of an acceptable segment in a state that takes data. True when the
  // peer's FIN has just become in order: the caller then calls on_fin().
  bool on_data(const Segment& s, uint64_t seg_start, Time now);
  void on_fin();
  bool fin_received() const { return fin_received_; }

  // The application reads; true when the window opened enough to announce (Linux's
  // __tcp_cleanup_rbuf: when the offer at least doubles).
  size_t read(std::span<uint8_t> out) { return rq_.read(out); }
  template <class F>
  void peek(F&& f) const { rq_.peek(std::forward<F>(f)); }
  bool window_update_due() const;
  uint64_t readable() const { return rq_.readable(); }
  const Reassembly& reassembly() const { return rq_; }
  uint64_t bytes_received() const { return bytes_received_; }  // payload bytes received in order
  // Segments with data that arrived above a hole (out of order), and segments whose data was
  // all here already (duplicates: a retransmission whose original had arrived, or a copy).
  uint64_t out_of_order_segments() const { return out_of_order_segments_; }
  uint64_t duplicate_segments() const { return duplicate_segments_; }
  void note_duplicate() { ++duplicate_segments_; }  // one the connection found below RCV.NXT

  // ACKs.
  void request_ack() { ack_now_ = true; }
  bool ack_pending() const { return ack_now_; }
  std::optional<Time> delack_at() const { return delack_at_; }
  void clear_delack() { delack_at_.reset(); }
  // The window field of a segment we send; commits the offer.
  uint16_t window_field();
  // A segment carrying an ACK of rcv_nxt() left: nothing is owed any more.
  void on_ack_sent();
  void set_last_ack_sent(uint64_t pos) { last_ack_sent_ = pos; }

 private:
  void schedule_ack(uint64_t bytes, Time now);
  uint64_t select_window() const;  // the window we would offer now (RFC 9293 3.8.6.2.2)

  TcpParams p_;
  Reassembly rq_;
  uint8_t shift_;
  bool timestamps_ = false;
  bool fin_received_ = false;
  std::optional<uint64_t> peer_fin_pos_;
  uint64_t rcv_adv_ = 0;        // right edge of the window we advertised
  uint64_t last_ack_sent_ = 0;  // RFC 7323 Last.ACK.sent
  uint32_t ts_recent_ = 0;
  bool ts_recent_valid_ = false;
  uint32_t rcv_mss_ = 536;  // estimate of the peer's segment size, for ACK-every-N and SWS
  uint64_t unacked_bytes_ = 0;
  bool ack_now_ = false;
  std::optional<Time> delack_at_;
  uint64_t bytes_received_ = 0;
  uint64_t out_of_order_segments_ = 0, duplicate_segments_ = 0;
};

}  // namespace hostwire::tcp
