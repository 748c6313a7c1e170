// Interrupt moderation (coalescing) for one RX ring's MSI-X vector, as `ethtool -C` sets it:
// after a completion the NIC holds the interrupt until either `packet_threshold` completions
// are pending (rx-frames) or `time_threshold` has passed since the first of them (rx-usecs),
// and, like Intel's ITR register, never raises two interrupts closer than `min_interval`.
// Fewer interrupts per packet cost latency; the thresholds trade one for the other.
//
// The timed shell calls on_packet() for each completion and keeps one timer at deadline();
// this class only decides *whether* an interrupt fires at a given time.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>

#include "core/units.h"

namespace hostwire::nic {

struct ModerationParams {
  // Defaults of Mellanox mlx5 (MLX5E_PARAMS_DEFAULT_RX_CQ_MODERATION_USEC/_PKTS).
  Time time_threshold = Time::from_us(16);
  int64_t packet_threshold = 32;  // >= 1; 1 means an interrupt per completion
  Time min_interval{};            // 0: no ITR limit
};

class InterruptModerator {
 public:
  explicit InterruptModerator(const ModerationParams& p) : p_(p) {}

  // A completion was written at `now`. True: the interrupt fires now (pending is cleared).
  bool on_packet(Time now) {
    if (pending_++ == 0) first_pending_ = now;
    return check(now);
  }
  // The moderation timer expired (or the shell re-checks) at `now`.
  bool on_timer(Time now) { return check(now); }

  // When the interrupt becomes due if no further completion arrives; nullopt when nothing is
  // pending or the vector is masked. May lie in the past only if it is already due.
  std::optional<Time> deadline() const {
    if (pending_ == 0 || masked_) return std::nullopt;
    const Time condition = pending_ >= p_.packet_threshold ? first_pending_ : first_pending_ + p_.time_threshold;
    return fired_ ? std::max(condition, last_interrupt_ + p_.min_interval) : condition;
  }

  // NAPI: the driver masks the vector while it polls and unmasks it when the ring is drained.
  // `backlog` completions still unprocessed at unmask count as pending from `now`.
  void mask() { masked_ = true; }
  bool unmask(Time now, uint32_t backlog = 0) {
    masked_ = false;
    pending_ = backlog;
    first_pending_ = now;
    return pending_ > 0 && check(now);
  }

  uint32_t pending() const { return pending_; }
  uint64_t interrupts() const { return interrupts_; }
  bool masked() const { return masked_; }

 private:
  bool check(Time now) {
    if (masked_ || pending_ == 0) return false;
    const bool reached = pending_ >= p_.packet_threshold || now - first_pending_ >= p_.time_threshold;
    const bool spaced = !fired_ || now - last_interrupt_ >= p_.min_interval;
    if (!(reached && spaced)) return false;
    pending_ = 0;
    fired_ = true;
    last_interrupt_ = now;
    ++interrupts_;
    return true;
  }

  ModerationParams p_;
  uint32_t pending_ = 0;
  Time first_pending_{};
  Time last_interrupt_{};
  bool fired_ = false;
  bool masked_ = false;
  uint64_t interrupts_ = 0;
};

// Completions at a constant rate, one every `interval` from time 0 (and none masked): each
// interrupt covers k = min(n, floor(t / interval) + 1) completions, the first comes
// c = min((n - 1) * interval, t) after time 0, and they then repeat every
// max(k * interval, min_interval).
inline Time analytic_interrupt_period(const ModerationParams& p, Time interval) {
  const int64_t k = std::min<int64_t>(p.packet_threshold, p.time_threshold.ps / interval.ps + 1);
  return Time{std::max(k * interval.ps, p.min_interval.ps)};
}

// Interrupts raised in [0, duration).
inline uint64_t analytic_interrupts(const ModerationParams& p, Time interval, Time duration) {
  const Time first{std::min((p.packet_threshold - 1) * interval.ps, p.time_threshold.ps)};
  if (first >= duration) return 0;
  return static_cast<uint64_t>((duration.ps - 1 - first.ps) / analytic_interrupt_period(p, interval).ps) + 1;
}

}  // namespace hostwire::nic
