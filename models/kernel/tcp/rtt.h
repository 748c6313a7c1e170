// The retransmission timer's estimator, RFC 6298 section 2: SRTT and RTTVAR with gains 1/8
// and 1/4, RTO = SRTT + max(G, 4 * RTTVAR) clamped to [rto_min, rto_max], exponential
// backoff on each timeout (section 5.5) until the next valid sample. Integer picoseconds.
#pragma once

#include "core/units.h"

namespace hostwire::tcp {

class RttEstimator {
 public:
  // G: the RFC's clock granularity; the engine's clock is the 1 us timestamp tick.
  static constexpr Time kGranularity = Time::from_us(1);

  RttEstimator(Time rto_initial, Time rto_min, Time rto_max)
      : rto_(rto_initial), min_(rto_min), max_(rto_max) {}

  void sample(Time r) {
    if (r.ps <= 0) r = Time::from_ps(1);
    if (!has_sample_) {  // (2.2)
      srtt_ = r;
      rttvar_ = Time::from_ps(r.ps / 2);
      has_sample_ = true;
      min_rtt_ = r;
    } else {  // (2.3): RTTVAR first, from the old SRTT
      const int64_t err = srtt_.ps > r.ps ? srtt_.ps - r.ps : r.ps - srtt_.ps;
      rttvar_ = Time::from_ps((3 * rttvar_.ps + err) / 4);
      srtt_ = Time::from_ps((7 * srtt_.ps + r.ps) / 8);
      if (r < min_rtt_) min_rtt_ = r;
    }
    const int64_t var = 4 * rttvar_.ps > kGranularity.ps ? 4 * rttvar_.ps : kGranularity.ps;
    rto_ = clamp(Time::from_ps(srtt_.ps + var));
    backoffs_ = 0;
  }
  // (5.5): RTO <- RTO * 2, at most rto_max.
  void backoff() {
    rto_ = rto_.ps > max_.ps / 2 ? max_ : Time::from_ps(rto_.ps * 2);
    ++backoffs_;
  }

  Time rto() const { return rto_; }
  Time srtt() const { return srtt_; }
  Time rttvar() const { return rttvar_; }
  Time min_rtt() const { return min_rtt_; }
  bool has_sample() const { return has_sample_; }
  int backoffs() const { return backoffs_; }

 private:
  Time clamp(Time t) const { return t < min_ ? min_ : (t > max_ ? max_ : t); }
  Time rto_, min_, max_;
  Time srtt_{}, rttvar_{}, min_rtt_{};
  bool has_sample_ = false;
  int backoffs_ = 0;
};

}  // namespace hostwire::tcp
