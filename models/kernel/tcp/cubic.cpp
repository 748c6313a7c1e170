#include "cubic.h"

#include <algorithm>
#include <cmath>

namespace hostwire::tcp {

Cubic::Cubic(const CongestionParams& p, const CubicParams& cp)
    : params_(cp),
      mss_(p.mss),
      cwnd_(static_cast<double>(uint64_t{p.initial_window} * p.mss)),
      ssthresh_(p.initial_ssthresh) {}

double Cubic::w_cubic(double t) const {
  const double d = t - k_;
  return params_.c * d * d * d + w_max_;
}

void Cubic::start_epoch(Time now) {
  // RFC 9438 4.2: K is the time to climb from this stage's first window back to W_max,
  // K = cbrt((W_max - cwnd_epoch) / C); it is cbrt(W_max (1 - beta) / C) right after a reduction.
  // With no W_max above us (first stage, after slow start, or after an RTO: 4.8) the stage
  // starts on the plateau: W_max = cwnd_epoch, K = 0, and the curve is convex from the start.
  epoch_started_ = true;
  t_epoch_ = now;
  limited_ = false;
  cwnd_epoch_ = cwnd_ / mss_;
  w_est_ = cwnd_epoch_;  // RFC 9438 4.3 (and 4.8 after a timeout)
  if (w_max_ <= cwnd_epoch_) {
    w_max_ = cwnd_epoch_;
    k_ = 0;
  } else {
    k_ = std::cbrt((w_max_ - cwnd_epoch_) / params_.c);
  }
}

void Cubic::on_ack(const AckEvent& ack) {
  if (ack.min_rtt.ps > 0) {
    rtt_ = ack.min_rtt;
  } else if (ack.rtt.ps > 0) {
    rtt_ = ack.rtt;
  }
  if (ack.newly_acked > 0) timed_out_ = false;
  if (ack.in_recovery || ack.newly_acked == 0) return;
  if (ack.app_limited) {
    // No growth on a window the application did not fill; and as Linux's tcp_cubic does after
    // idle, the curve's clock stops too, so the window does not jump when sending resumes.
    if (epoch_started_ && !limited_) {
      limited_ = true;
      limited_since_ = ack.now;
    }
    return;
  }
  if (cwnd_ < static_cast<double>(ssthresh_)) {
    // RFC 9438 4.10: slow start as RFC 5681 3.1, cwnd += min(N, SMSS), up to ssthresh.
    cwnd_ = std::min(cwnd_ + std::min(static_cast<double>(ack.newly_acked), mss_),
                     std::max(static_cast<double>(ssthresh_), cwnd_));
    return;
  }
  if (!epoch_started_) start_epoch(ack.now);
  if (limited_) {
    t_epoch_ = t_epoch_ + (ack.now - limited_since_);
    limited_ = false;
  }

  const double cwnd = cwnd_ / mss_;
  const double acked = static_cast<double>(ack.newly_acked) / mss_;
  // RFC 9438 4.3: W_est grows as Reno with AIMD(alpha_cubic, beta_cubic) would, per segment
  // acknowledged; once it passes the window of the last reduction it grows as Reno itself.
  const double alpha = w_est_ >= cwnd_prior_ ? 1.0 : alpha_cubic();
  w_est_ += alpha * acked / cwnd;

  const double t = (ack.now - t_epoch_).seconds();
  double next;
  if (params_.reno_friendly && w_cubic(t) < w_est_) {
    // Reno-friendly region: cwnd = W_est (never lowered: a window gained on the cubic curve is
    // not taken back without a loss).
    next = std::max(cwnd, w_est_);
  } else {
    // RFC 9438 4.4/4.5: aim at where the curve will be one RTT from now, but never below cwnd
    // and never more than 1.5 cwnd (at most 50 % growth in one RTT, however steep the curve).
    const double target = std::clamp(w_cubic(t + rtt_.seconds()), cwnd, 1.5 * cwnd);
    next = cwnd + (target - cwnd) / cwnd * acked;
  }
  cwnd_ = next * mss_;
}

void Cubic::reduce(bool timeout) {
  const double cwnd = cwnd_ / mss_;
  if (timeout) {
    // RFC 9438 4.8: the first stage after a timeout starts with W_max = its own first window and
    // K = 0; the old maximum is forgotten (Linux's bictcp_reset on TCP_CA_Loss).
    w_max_ = 0;
  } else if (params_.fast_convergence && cwnd < w_max_) {
    // RFC 9438 4.7: a loss below the previous maximum means a new flow is taking its share;
    // remember a lower maximum so this flow releases bandwidth sooner.
    w_max_ = cwnd * (1.0 + params_.beta) / 2.0;
  } else {
    w_max_ = cwnd;
  }
  cwnd_prior_ = cwnd;
  // RFC 9438 4.6: ssthresh = max(cwnd * beta_cubic, 2 SMSS). We use cwnd rather than the flight
  // size, which 4.6 allows when cwnd cannot outgrow the flight: app-limited ACKs never grow it.
  // Rounded to the byte: 0.7 is not exact in binary, and 14480 * 0.7 must give 10136, not 10135.
  ssthresh_ = std::max(static_cast<uint64_t>(std::llround(cwnd_ * params_.beta)), static_cast<uint64_t>(2 * mss_));
  epoch_started_ = false;
  limited_ = false;
}

void Cubic::on_enter_recovery(Time, uint64_t) {
  reduce(false);
  cwnd_ = static_cast<double>(ssthresh_);
}

void Cubic::on_exit_recovery(Time, uint64_t bytes_in_flight) {
  // Same burst guard as NewReno (RFC 6582 3.2 step 3 option 1); with a full pipe it is ssthresh.
  const auto flight = static_cast<double>(bytes_in_flight);
  cwnd_ = std::min(static_cast<double>(ssthresh_), std::max(flight, mss_) + mss_);
}

void Cubic::on_rto(Time, uint64_t) {
  // A repeated timeout (nothing acknowledged since the last) holds ssthresh and W_max (RFC 5681
  // 3.1, after eq. (4)); recomputing from the one-segment loss window would collapse ssthresh
  // to 2 SMSS.
  if (!timed_out_) reduce(true);
  timed_out_ = true;
  cwnd_ = mss_;  // RFC 5681 3.1 loss window
}

}  // namespace hostwire::tcp
