#include "newreno.h"

#include <algorithm>

namespace hostwire::tcp {

NewReno::NewReno(const CongestionParams& p)
    : mss_(p.mss), cwnd_(uint64_t{p.initial_window} * p.mss), ssthresh_(p.initial_ssthresh) {}

uint64_t NewReno::loss_ssthresh(uint64_t flight) const { return std::max(flight / 2, 2 * mss_); }

void NewReno::on_ack(const AckEvent& ack) {
  if (ack.newly_acked > 0) timed_out_ = false;
  // Recovery holds cwnd at ssthresh (RFC 5681's inflation and RFC 6582's partial-ACK deflation
  // live in the connection's pipe); an application-limited sender has not tested the window it
  // would grow (RFC 7661's reasoning).
  if (ack.in_recovery || ack.app_limited || ack.newly_acked == 0) return;
  if (cwnd_ < ssthresh_) {
    // RFC 5681 3.1's recommended cwnd += min(N, SMSS), i.e. ABC with L = 1 SMSS (RFC 3465 2.2
    // would allow 2 SMSS except after an RTO; RFC 5681 recommends 1 everywhere). Stop at ssthresh
    // so the switch to congestion avoidance happens at the threshold, as Linux does.
    cwnd_ = std::min(cwnd_ + std::min<uint64_t>(ack.newly_acked, mss_), std::max(ssthresh_, cwnd_));
    return;
  }
  // Congestion avoidance by byte counting, RFC 5681 3.1's recommended method: +1 SMSS once a
  // full cwnd of data has been acknowledged, so at most SMSS per RTT whatever the ACK pattern.
  bytes_acked_ += ack.newly_acked;
  if (bytes_acked_ >= cwnd_) {
    bytes_acked_ -= cwnd_;
    cwnd_ += mss_;
  }
}

void NewReno::on_enter_recovery(Time, uint64_t bytes_in_flight) {
  // RFC 5681 3.2 step 2 and RFC 6675 5 (3): ssthresh = cwnd = max(FlightSize/2, 2 SMSS). No
  // +3 SMSS: the three duplicate ACKs already reduced the connection's pipe.
  ssthresh_ = loss_ssthresh(bytes_in_flight);
  cwnd_ = ssthresh_;
  bytes_acked_ = 0;
}

void NewReno::on_exit_recovery(Time, uint64_t bytes_in_flight) {
  // RFC 6582 3.2 step 3 option (1): deflate to ssthresh but never allow a burst of more than
  // one segment beyond what is still in flight.
  cwnd_ = std::min(ssthresh_, std::max(bytes_in_flight, mss_) + mss_);
  bytes_acked_ = 0;
}

void NewReno::on_rto(Time, uint64_t bytes_in_flight) {
  // RFC 5681 3.1 eq. (4) and the loss window LW = 1 SMSS; RFC 3465 2.1 resets the byte count.
  // A repeated timeout (nothing acknowledged since the last) holds ssthresh (RFC 5681 3.1, the
  // note after eq. (4)): the flight it would halve is the same data that was already judged.
  if (!timed_out_) ssthresh_ = loss_ssthresh(bytes_in_flight);
  timed_out_ = true;
  cwnd_ = mss_;
  bytes_acked_ = 0;
}

}  // namespace hostwire::tcp
