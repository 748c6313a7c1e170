#include "kernel/tcp/scoreboard.h"

#include <algorithm>

namespace hostwire::tcp {

void Scoreboard::reset(uint64_t una) {
  *this = Scoreboard{};
  una_ = lost_mark_ = rtx_cursor_ = rule3_cursor_ = una;
}

uint64_t Scoreboard::pipe(uint64_t dup_bytes) const {
  const uint64_t gone = sacked_bytes_ + lost_bytes_ + dup_bytes;
  const uint64_t held = outstanding_ + retrans_bytes_;
  return held > gone ? held - gone : 0;
}

size_t Scoreboard::index_at_or_after(uint64_t pos) const {
  auto it = std::lower_bound(q_.begin(), q_.end(), pos, [](const SentSegment& r, uint64_t p) { return r.start < p; });
  return static_cast<size_t>(it - q_.begin());
}

void Scoreboard::on_send(uint64_t start, uint32_t len, bool fin, Time now) {
  q_.push_back(SentSegment{start, len, fin, false, false, false, false, now});
  outstanding_ += len;
}

Scoreboard::Acked Scoreboard::ack(uint64_t ack) {
  Acked a;
  if (ack <= una_) return a;
  a.bytes = ack - una_;
  a.sacked_before = true;
  while (!q_.empty() && q_.front().start < ack) {
    SentSegment& r = q_.front();
    const uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(r.end(), ack) - r.start);
    if (r.ever_retrans) a.retransmitted = true;
    else if (!r.sacked && !a.has_first_sent) {
      a.first_sent = r.sent;
      a.has_first_sent = true;
    }
    if (!r.sacked) {
      a.sacked_before = false;
      a.newly_acked_unsacked += n;
      if (r.lost) lost_bytes_ -= n;
      if (r.retrans) retrans_bytes_ -= n;
    } else {
      sacked_bytes_ -= n;
      if (r.start < lost_mark_) sacked_bytes_below_mark_ -= n;
    }
    if (n == r.len) {
      if (r.sacked) {
        --sacked_count_;
        if (r.start < lost_mark_) --sacked_count_below_mark_;
      }
      ++a.segments;
      if (r.ever_retrans) {
        ++a.retransmitted_segments;
        a.latest_retransmit = std::max(a.latest_retransmit, r.sent);
      }
      q_.pop_front();
    } else {  // the peer acknowledged part of a segment: keep the rest
      r.start += n;
      r.len -= n;
    }
  }
  outstanding_ -= a.bytes;
  una_ = ack;
  if (lost_mark_ < una_) {
    lost_mark_ = una_;
    sacked_bytes_below_mark_ = sacked_count_below_mark_ = 0;
  }
  rtx_cursor_ = std::max(rtx_cursor_, una_);
  rule3_cursor_ = std::max(rule3_cursor_, una_);
  size_t drop = 0;
  while (drop < sacked_ranges_.size() && sacked_ranges_[drop].end <= una_) ++drop;
  sacked_ranges_.erase(sacked_ranges_.begin(), sacked_ranges_.begin() + static_cast<ptrdiff_t>(drop));
  if (!sacked_ranges_.empty() && sacked_ranges_.front().start < una_) sacked_ranges_.front().start = una_;
  return a;
}

void Scoreboard::count_sacked(SentSegment& r) {
  r.sacked = true;
  sacked_bytes_ += r.len;
  ++sacked_count_;
  if (r.start < lost_mark_) {
    sacked_bytes_below_mark_ += r.len;
    ++sacked_count_below_mark_;
  }
  if (r.lost) lost_bytes_ -= r.len;
  if (r.retrans) retrans_bytes_ -= r.len;
}

uint64_t Scoreboard::sack(uint64_t start, uint64_t end) {
  start = std::max(start, una_);
  end = std::min(end, high_data());
  if (start >= end) return 0;  // D-SACK or stale: below snd.una
  const uint64_t before = sacked_bytes_;
  // Walk only the parts of [start, end) no earlier block covered.
  auto it = std::lower_bound(sacked_ranges_.begin(), sacked_ranges_.end(), start,
                             [](const SeqRange& r, uint64_t v) { return r.end < v; });
  uint64_t at = start;
  auto scan = [&](uint64_t from, uint64_t to) {
    size_t i = index_at_or_after(from);
    if (i > 0) --i;  // the record before may reach into [from, to)
    for (; i < q_.size(); ++i) {
      SentSegment& r = q_[i];
      if (r.start >= to) break;
      if (r.end() <= from || r.sacked) continue;
      if (r.start >= start && r.end() <= end) count_sacked(r);
    }
  };
  for (auto r = it; at < end; ++r) {
    if (r == sacked_ranges_.end() || r->start >= end) {
      scan(at, end);
      break;
    }
    if (r->start > at) scan(at, r->start);
    at = std::max(at, r->end);
  }
  // Merge [start, end) into the ranges.
  if (it == sacked_ranges_.end() || end < it->start) {
    sacked_ranges_.insert(it, SeqRange{start, end});
  } else {
    it->start = std::min(it->start, start);
    it->end = std::max(it->end, end);
    auto last = it + 1;
    while (last != sacked_ranges_.end() && last->start <= it->end) {
      it->end = std::max(it->end, last->end);
      ++last;
    }
    sacked_ranges_.erase(it + 1, last);
  }
  return sacked_bytes_ - before;
}

void Scoreboard::update_lost(uint64_t reordering, uint64_t smss) {
  if (sacked_count_ == 0) return;
  for (size_t i = index_at_or_after(lost_mark_); i < q_.size(); ++i) {
    SentSegment& r = q_[i];
    const uint64_t own_bytes = r.sacked ? r.len : 0, own_count = r.sacked ? 1 : 0;
    const uint64_t above_bytes = sacked_bytes_ - sacked_bytes_below_mark_ - own_bytes;
    const uint64_t above_count = sacked_count_ - sacked_count_below_mark_ - own_count;
    if (above_count < reordering && above_bytes <= (reordering - 1) * smss) break;
    if (!r.sacked && !r.lost) {
      r.lost = true;  // a retransmitted one stays in pipe through its retransmission
      lost_bytes_ += r.len;
    }
    sacked_bytes_below_mark_ += own_bytes;
    sacked_count_below_mark_ += own_count;
    lost_mark_ = r.end();
  }
}

void Scoreboard::mark_first_lost() {
  if (q_.empty()) return;
  SentSegment& r = q_.front();
  if (!r.sacked && !r.lost) {
    r.lost = true;
    lost_bytes_ += r.len;
  }
  // A retransmitted segment presumed lost again is sent once more (RFC 6582 partial ACK).
  if (r.retrans) {
    r.retrans = false;
    retrans_bytes_ -= r.len;
  }
  rtx_cursor_ = una_;
  if (lost_mark_ < r.end()) {
    // NewReno keeps no SACKs, so the counts below the mark stay zero.
    lost_mark_ = r.end();
  }
}

void Scoreboard::mark_all_lost() {
  lost_bytes_ = 0;
  retrans_bytes_ = 0;
  sacked_bytes_below_mark_ = sacked_bytes_;
  sacked_count_below_mark_ = sacked_count_;
  for (SentSegment& r : q_) {
    r.retrans = false;
    if (!r.sacked) {
      r.lost = true;
      lost_bytes_ += r.len;
    }
  }
  lost_mark_ = high_data();
  rtx_cursor_ = rule3_cursor_ = una_;
}

void Scoreboard::forget_sacks() {
  for (SentSegment& r : q_) {
    if (!r.sacked) continue;
    r.sacked = false;
    if (r.lost) lost_bytes_ += r.len;
    if (r.retrans) retrans_bytes_ += r.len;
  }
  sacked_ranges_.clear();
  sacked_bytes_ = sacked_count_ = sacked_bytes_below_mark_ = sacked_count_below_mark_ = 0;
}

SentSegment* Scoreboard::next_lost() {
  size_t i = index_at_or_after(rtx_cursor_);
  for (; i < q_.size() && q_[i].start < lost_mark_; ++i) {
    SentSegment& r = q_[i];
    if (r.lost && !r.sacked && !r.retrans) {
      rtx_cursor_ = r.start;
      return &r;
    }
  }
  rtx_cursor_ = i < q_.size() ? q_[i].start : high_data();
  return nullptr;
}

SentSegment* Scoreboard::next_unsacked_below_high_sack() {
  const uint64_t limit = high_sack();
  size_t i = index_at_or_after(std::max(rule3_cursor_, una_));
  for (; i < q_.size() && q_[i].end() <= limit; ++i) {
    SentSegment& r = q_[i];
    if (!r.sacked && !r.lost && !r.retrans) {
      rule3_cursor_ = r.start;
      return &r;
    }
  }
  rule3_cursor_ = i < q_.size() ? q_[i].start : high_data();
  return nullptr;
}

void Scoreboard::on_retransmit(SentSegment& r, Time now) {
  if (!r.retrans && !r.sacked) retrans_bytes_ += r.len;
  r.retrans = true;
  r.ever_retrans = true;
  r.sent = now;
}

}  // namespace hostwire::tcp
