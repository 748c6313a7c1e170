// Byte queue limits (BQL): Linux's dynamic queue limit for one TX queue
// (lib/dynamic_queue_limits.c). The driver reports bytes it posts to the ring and bytes the
// NIC completed; the limit grows when the ring ran dry while the stack was held back
// (starvation) and shrinks when more was queued than one completion interval needed (slack
// seen for `slack_hold` in a row). The point: keep just enough bytes in the NIC's ring to
// never starve the wire, and hold the rest in the qdisc where it can be scheduled and where
// TCP small queues see it. Plain C++; 64-bit counters, so no wrap-around arithmetic.
#pragma once

#include <cstdint>
#include <limits>

#include "core/units.h"

namespace hostwire::kernel {

class DynamicQueueLimit {
 public:
  struct Params {
    int64_t min_limit = 0;                    // bytes (Linux: 0)
    int64_t max_limit = 0xffffffffLL / 2 - 0xffffffffLL / 16;  // bytes (Linux: DQL_MAX_LIMIT)
    Time slack_hold = Time::from_s(1);        // Linux: HZ
  };
  DynamicQueueLimit() = default;
  explicit DynamicQueueLimit(const Params& p) : p_(p), limit_(p.min_limit), adj_limit_(p.min_limit) {}

  // dql_queued: `bytes` posted to the ring.
  void queued(int64_t bytes) {
    last_obj_ = bytes;
    queued_ += bytes;
  }
  // dql_avail: >= 0 while the queue may take more; the driver stops the queue below zero.
  int64_t avail() const { return adj_limit_ - queued_; }
  // dql_completed: the NIC finished `bytes` (at time `now`, for the slack hold).
  void completed(int64_t bytes, Time now);

  int64_t limit() const { return limit_; }
  int64_t in_flight() const { return queued_ - completed_; }  // posted and not yet completed

 private:
  Params p_{};
  int64_t limit_ = 0;
  int64_t adj_limit_ = 0;  // limit + completed: queued may grow up to it
  int64_t queued_ = 0, completed_ = 0;
  int64_t last_obj_ = 0, prev_last_obj_ = 0;
  int64_t prev_queued_ = 0;
  int64_t prev_ovlimit_ = 0;
  int64_t lowest_slack_ = std::numeric_limits<int64_t>::max();
  Time slack_start_{};
};

}  // namespace hostwire::kernel
