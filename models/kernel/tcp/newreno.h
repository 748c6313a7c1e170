// NewReno: Reno's slow start and congestion avoidance (RFC 5681 3.1) with NewReno's exit from
// fast recovery (RFC 6582 3.2). The window is pure integer byte arithmetic, so a given ACK
// sequence always gives the same cwnd to the byte.
//
// Contract with the connection (also in docs/models/tcp_congestion.md): cwnd is never inflated
// here during recovery. The connection counts what left the network in its pipe (RFC 6675; without
// SACK each duplicate ACK takes one SMSS off pipe, which is RFC 5681's +3 SMSS and per-dupack
// inflation in another form) and sends while cwnd - pipe >= SMSS.
#pragma once

#include "congestion.h"

namespace hostwire::tcp {

class NewReno final : public CongestionControl {
 public:
  explicit NewReno(const CongestionParams& p);

  const char* name() const override { return "newreno"; }
  void on_ack(const AckEvent& ack) override;
  void on_enter_recovery(Time now, uint64_t bytes_in_flight) override;
  void on_exit_recovery(Time now, uint64_t bytes_in_flight) override;
  void on_rto(Time now, uint64_t bytes_in_flight) override;
  uint64_t cwnd() const override { return cwnd_; }
  uint64_t ssthresh() const override { return ssthresh_; }
  std::unique_ptr<CongestionControl> clone() const override { return std::make_unique<NewReno>(*this); }

  bool in_slow_start() const { return cwnd_ < ssthresh_; }

 private:
  // RFC 5681 eq. (4): half the flight, never below two segments.
  uint64_t loss_ssthresh(uint64_t flight) const;

  uint64_t mss_;
  uint64_t cwnd_;
  uint64_t ssthresh_;
  uint64_t bytes_acked_ = 0;  // congestion avoidance's byte count since cwnd last grew (RFC 3465 2.1)
  bool timed_out_ = false;    // an RTO with no new data acknowledged since: the next one is a repeat
};

}  // namespace hostwire::tcp
