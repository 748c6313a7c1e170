// Congestion control as a pluggable algorithm (Linux's tcp_congestion_ops): the connection
// tells it what the ACK clock and loss detection saw; it answers with cwnd and ssthresh.
// Plain C++, no SystemC. All sizes in bytes; times in hostwire::Time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/units.h"

namespace hostwire::tcp {

struct CongestionParams {
  uint32_t mss = 1448;               // sender maximum segment size (payload bytes per segment)
  uint32_t initial_window = 10;      // segments (RFC 6928)
  uint32_t initial_ssthresh = UINT32_MAX;  // bytes; "arbitrarily high" (RFC 5681 3.1)
};

// What the connection knows when a new cumulative or selective ACK arrives.
struct AckEvent {
  Time now{};
  uint64_t newly_acked = 0;      // bytes newly acknowledged (cumulatively or newly SACKed)
  uint64_t bytes_in_flight = 0;  // after processing this ACK (RFC 6675 pipe when SACK is on)
  Time rtt{};                    // an RTT sample from this ACK (0 when none: Karn's rule)
  Time min_rtt{};                // smallest RTT seen so far (0 when none)
  bool in_recovery = false;      // fast recovery is under way: no window growth (RFC 6582, 6675)
  bool app_limited = false;      // the sender had nothing to send: do not grow on this ACK
};

class CongestionControl {
 public:
  virtual ~CongestionControl() = default;
  virtual const char* name() const = 0;
  // Window growth on an ACK outside recovery (slow start, congestion avoidance).
  virtual void on_ack(const AckEvent& ack) = 0;
  // Loss detected by duplicate ACKs / SACK at `now` with `bytes_in_flight` outstanding: set
  // ssthresh (and cwnd for the recovery's start). Called once per recovery episode.
  virtual void on_enter_recovery(Time now, uint64_t bytes_in_flight) = 0;
  // Recovery ended (the recovery point was acknowledged): deflate cwnd (RFC 6582 3.2 step 3).
  virtual void on_exit_recovery(Time now, uint64_t bytes_in_flight) = 0;
  // Retransmission timeout: ssthresh from flight size, cwnd to one segment (RFC 5681 3.1).
  virtual void on_rto(Time now, uint64_t bytes_in_flight) = 0;
  virtual uint64_t cwnd() const = 0;      // bytes
  virtual uint64_t ssthresh() const = 0;  // bytes
  // A copy with the algorithm's whole state (cwnd, ssthresh and its own: CUBIC's W_max, epoch,
  // K, ...), for a connection's send-state snapshot; null when the algorithm cannot be copied
  // (a snapshot of a connection using it is then refused by restore()).
  virtual std::unique_ptr<CongestionControl> clone() const { return nullptr; }
};

// "newreno" or "cubic"; nullptr for an unknown name.
std::unique_ptr<CongestionControl> make_congestion_control(const std::string& name, const CongestionParams& p);

}  // namespace hostwire::tcp
