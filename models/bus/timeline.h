// The occupancy of one resource (a direction of the link, a memory channel): it knows when it
// is next free, so a transfer is booked in one step instead of being ticked through. Bookings
// are first come, first served in the order they are made; a transfer that is ready while the
// resource is busy starts when the one before it ends. Plain C++, no SystemC.
//
// Bookings may lie in the future (an initiator's delay annotation), so the timeline keeps the
// booked intervals that have not ended yet: busy time up to any instant is exact, not
// "everything booked so far".
#pragma once

#include <cassert>
#include <cstdint>
#include <deque>

#include "core/units.h"

namespace hostwire::bus {

class Timeline {
 public:
  struct Interval {
    int64_t start_ps, end_ps;
  };

  // Books `duration` starting no earlier than `ready`; returns the start.
  Time book(Time ready, Time duration) {
    const int64_t start = ready.ps > next_free_ ? ready.ps : next_free_;
    const int64_t end = start + duration.ps;
    next_free_ = end;
    if (duration.ps > 0) {
      if (!ahead_.empty() && ahead_.back().end_ps == start)
        ahead_.back().end_ps = end;  // back to back: one busy stretch
      else
        ahead_.push_back({start, end});
    }
    return Time{start};
  }

  Time next_free() const { return Time{next_free_}; }

  // Folds the intervals that ended by `t` into the total; keeps memory bounded by the number of
  // bookings still ahead. `t` must not go backwards.
  void retire(Time t) {
    assert(t.ps >= retired_at_);
    retired_at_ = t.ps;
    while (!ahead_.empty() && ahead_.front().end_ps <= t.ps) {
      done_ps_ += ahead_.front().end_ps - ahead_.front().start_ps;
      ahead_.pop_front();
    }
  }

  // Exact busy time in [0, t), for any t at or after the last retire().
  Time busy_before(Time t) const {
    int64_t busy = done_ps_;
    for (const Interval& i : ahead_) {
      if (i.start_ps >= t.ps) break;
      busy += (i.end_ps < t.ps ? i.end_ps : t.ps) - i.start_ps;
    }
    return Time{busy};
  }

  const std::deque<Interval>& ahead() const { return ahead_; }

 private:
  int64_t next_free_ = 0;
  int64_t done_ps_ = 0;
  int64_t retired_at_ = 0;
  std::deque<Interval> ahead_;  // booked, not yet retired, in time order, never adjacent
};

}  // namespace hostwire::bus
