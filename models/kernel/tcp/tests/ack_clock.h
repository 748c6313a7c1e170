// A synthetic ACK clock for congestion-control tests: no connection, no SystemC. Each round
// trip sends every whole segment cwnd allows and gets one ACK per segment, spread evenly over
// the RTT, as a sender limited only by cwnd on an uncongested path sees it.
#pragma once

#include <algorithm>
#include <cstdint>

#include "congestion.h"

namespace hostwire::tcp::cc_test {

inline AckEvent ack_at(Time now, uint64_t bytes, Time rtt, bool app_limited = false, bool in_recovery = false) {
  AckEvent a;
  a.now = now;
  a.newly_acked = bytes;
  a.rtt = rtt;
  a.min_rtt = rtt;
  a.app_limited = app_limited;
  a.in_recovery = in_recovery;
  return a;
}

// One round trip starting at `start`: returns the segments sent (and acknowledged).
inline uint64_t ack_round(CongestionControl& cc, Time start, Time rtt, uint64_t mss, bool in_recovery = false) {
  const uint64_t n = std::max<uint64_t>(1, cc.cwnd() / mss);
  for (uint64_t i = 0; i < n; ++i) {
    AckEvent a = ack_at(start + Time{rtt.ps * static_cast<int64_t>(i + 1) / static_cast<int64_t>(n)}, mss, rtt,
                        false, in_recovery);
    a.bytes_in_flight = (n - i - 1) * mss;
    cc.on_ack(a);
  }
  return n;
}

struct LossRun {
  double mean_window = 0;  // segments sent per RTT, averaged over the measured rounds
  double loss_rate = 0;    // losses per segment sent in the measured rounds
  uint64_t rounds = 0;
};

// Drops one segment in every `period` sent. The round that carries the loss sends its whole
// window, but ACKs after the hole are duplicates (no growth); the sender enters fast recovery at
// the end of that round, spends the next round in recovery at cwnd = ssthresh (ACKs without
// growth), then exits with a full pipe. Measured from the recovery after loss `warmup` to loss
// `warmup + measured`, whole loss cycles only.
inline LossRun periodic_loss(CongestionControl& cc, uint64_t mss, Time rtt, uint64_t period, int warmup, int measured) {
  LossRun r;
  Time now{};
  uint64_t since_loss = 0, sent = 0;
  int losses = 0;
  auto count = [&](uint64_t n) {
    if (losses < warmup) return;
    sent += n;
    ++r.rounds;
  };
  for (;;) {
    const uint64_t n = std::max<uint64_t>(1, cc.cwnd() / mss);
    bool lost = false;
    for (uint64_t i = 0; i < n; ++i) {
      // >=: the recovery round's segments count too and may carry the count past `period`.
      if (!lost && ++since_loss >= period) {
        lost = true;
        since_loss = 0;
        continue;
      }
      if (lost) {
        ++since_loss;
        continue;
      }
      cc.on_ack(ack_at(now + Time{rtt.ps * static_cast<int64_t>(i + 1) / static_cast<int64_t>(n)}, mss, rtt));
    }
    count(n);
    now = now + rtt;
    if (!lost) continue;
    if (++losses == warmup + measured) break;
    cc.on_enter_recovery(now, n * mss);
    const uint64_t m = ack_round(cc, now, rtt, mss, /*in_recovery=*/true);
    since_loss += m;
    count(m);
    now = now + rtt;
    cc.on_exit_recovery(now, cc.cwnd());
  }
  r.mean_window = static_cast<double>(sent) / static_cast<double>(r.rounds);
  r.loss_rate = static_cast<double>(measured) / static_cast<double>(sent);
  return r;
}

}  // namespace hostwire::tcp::cc_test
