// CUBIC (RFC 9438): after a loss the window follows W_cubic(t) = C (t - K)^3 + W_max, concave up
// to the previous maximum W_max and convex beyond it, with time t since the congestion
// avoidance stage began rather than ACK count, so flows of different RTT share fairly; a
// Reno-friendly estimate W_est keeps it at least as fast as Reno where Reno does well (small BDP).
// Slow start is RFC 5681's (no HyStart++). Internally the window is a double in segments, as the
// RFC states its formulas; cwnd() reports whole bytes.
#pragma once

#include "congestion.h"
#include "core/params.h"

namespace hostwire::tcp {

struct CubicParams {
  double c = 0.4;      // RFC 9438 4.1: C, segments per second^3
  double beta = 0.7;   // RFC 9438 4.1: beta_cubic, multiplicative decrease factor
  bool fast_convergence = true;  // RFC 9438 4.7
  bool reno_friendly = true;     // RFC 9438 4.3

  template <class V>
  void visit(V& v) {
    v(c, "c", "CUBIC's scaling constant C of W_cubic(t) = C(t-K)^3 + W_max, in segments per second cubed",
      Limits::positive());
    v(beta, "beta", "CUBIC's multiplicative decrease factor: the window after a loss as a fraction of the window before",
      Limits{0.0, 0.99, true});  // 1 would never reduce
    v(fast_convergence, "fast_convergence",
      "release bandwidth to newer flows: a loss below the previous maximum lowers W_max further (RFC 9438 4.7)");
    v(reno_friendly, "reno_friendly", "never grow slower than Reno's estimate W_est (RFC 9438 4.3)");
  }
};

class Cubic final : public CongestionControl {
 public:
  explicit Cubic(const CongestionParams& p, const CubicParams& cp = {});

  const char* name() const override { return "cubic"; }
  void on_ack(const AckEvent& ack) override;
  void on_enter_recovery(Time now, uint64_t bytes_in_flight) override;
  void on_exit_recovery(Time now, uint64_t bytes_in_flight) override;
  void on_rto(Time now, uint64_t bytes_in_flight) override;
  uint64_t cwnd() const override { return static_cast<uint64_t>(cwnd_); }
  uint64_t ssthresh() const override { return ssthresh_; }
  std::unique_ptr<CongestionControl> clone() const override { return std::make_unique<Cubic>(*this); }

  // The state of the current congestion avoidance stage, in segments and seconds, for tests,
  // traces and reports. Meaningful once epoch_started() (the first ACK of the stage).
  bool epoch_started() const { return epoch_started_; }
  Time epoch_start() const { return t_epoch_; }
  double w_max() const { return w_max_; }
  double k() const { return k_; }
  double w_est() const { return w_est_; }
  double cwnd_segments() const { return cwnd_ / mss_; }
  double w_cubic(double t_seconds) const;  // RFC 9438 eq. (1)
  // RFC 9438 4.3: alpha_cubic = 3 (1 - beta) / (1 + beta), Reno's average rate at CUBIC's beta.
  double alpha_cubic() const { return 3.0 * (1.0 - params_.beta) / (1.0 + params_.beta); }

 private:
  void start_epoch(Time now);
  void reduce(bool timeout);

  CubicParams params_;
  double mss_;
  double cwnd_;        // bytes, fractional: per-ACK increments are a small fraction of a segment
  uint64_t ssthresh_;  // bytes
  // RFC 9438 4.1 state, in segments and seconds.
  double w_max_ = 0;       // window just before the last reduction (0: none yet, or after an RTO)
  double cwnd_prior_ = 0;  // window when ssthresh was last set; W_est switches to alpha = 1 there
  double k_ = 0;
  double cwnd_epoch_ = 0;
  double w_est_ = 0;
  bool epoch_started_ = false;
  Time t_epoch_{};
  Time rtt_{};                    // last known RTT, for the target's look-ahead
  bool timed_out_ = false;        // an RTO with no new data acknowledged since: the next one is a repeat
  bool limited_ = false;          // application-limited since limited_since_
  Time limited_since_{};
};

}  // namespace hostwire::tcp
