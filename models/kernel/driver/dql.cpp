#include "kernel/driver/dql.h"

#include <algorithm>

namespace hostwire::kernel {

namespace {
int64_t posdiff(int64_t a, int64_t b) { return a > b ? a - b : 0; }
}  // namespace

void DynamicQueueLimit::completed(int64_t count, Time now) {
  const int64_t completed = completed_ + count;
  int64_t limit = limit_;
  int64_t ovlimit = posdiff(queued_ - completed_, limit);
  const int64_t inprogress = queued_ - completed;
  const int64_t prev_inprogress = prev_queued_ - completed_;
  const bool all_prev_completed = completed >= prev_queued_;

  if ((ovlimit && !inprogress) || (prev_ovlimit_ && all_prev_completed)) {
    // Starved: the queue was over its limit and ran dry. Grow by what was sent and
    // completed in the last interval, plus the previous over-limit.
    limit += posdiff(completed, prev_queued_) + prev_ovlimit_;
    slack_start_ = now;
    lowest_slack_ = std::numeric_limits<int64_t>::max();
  } else if (inprogress && prev_inprogress && !all_prev_completed) {
    // Busy the whole interval: the excess over twice what completed is slack; shrink by the
    // smallest slack seen over the hold time (hysteresis).
    int64_t slack = posdiff(limit + prev_ovlimit_, 2 * (completed - completed_));
    const int64_t slack_last_objs = prev_ovlimit_ ? posdiff(prev_last_obj_, prev_ovlimit_) : 0;
    slack = std::max(slack, slack_last_objs);
    lowest_slack_ = std::min(lowest_slack_, slack);
    if (now > slack_start_ + p_.slack_hold) {
      limit = posdiff(limit, lowest_slack_);
      slack_start_ = now;
      lowest_slack_ = std::numeric_limits<int64_t>::max();
    }
  }
  limit = std::clamp(limit, p_.min_limit, p_.max_limit);
  if (limit != limit_) {
    limit_ = limit;
    ovlimit = 0;
  }
  adj_limit_ = limit + completed;
  prev_ovlimit_ = ovlimit;
  prev_last_obj_ = last_obj_;
  completed_ = completed;
  prev_queued_ = queued_;
}

}  // namespace hostwire::kernel
