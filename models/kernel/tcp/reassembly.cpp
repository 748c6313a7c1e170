#include "kernel/tcp/reassembly.h"

#include <algorithm>
#include <cstring>

namespace hostwire::tcp {

void Reassembly::reset(uint64_t rcv_nxt) {
  *this = Reassembly{};
  rcv_nxt_ = rcv_nxt;
}

void Reassembly::append_in_order(const PayloadSlice& data) {
  if (data.length == 0) return;
  ready_q_.push_back(data);
  ready_ += data.length;
  rcv_nxt_ += data.length;
}

void Reassembly::pull_held() {
  size_t i = 0;
  for (; i < held_.size() && held_[i].start <= rcv_nxt_; ++i) {
    Held& h = held_[i];
    ooo_bytes_ -= h.data.length;
    if (h.end() <= rcv_nxt_) continue;
    const uint32_t cut = static_cast<uint32_t>(rcv_nxt_ - h.start);
    append_in_order(h.data.sub(cut, h.data.length - cut));
  }
  held_.erase(held_.begin(), held_.begin() + static_cast<ptrdiff_t>(i));
  size_t r = 0;
  while (r < ranges_.size() && ranges_[r].end <= rcv_nxt_) ++r;
  ranges_.erase(ranges_.begin(), ranges_.begin() + static_cast<ptrdiff_t>(r));
}

Reassembly::Insert Reassembly::insert(uint64_t start, const PayloadSlice& in) {
  Insert result;
  PayloadSlice data = in;
  uint64_t end = start + data.length;
  if (end <= rcv_nxt_) {
    result.duplicate = data.length > 0;
    return result;
  }
  if (start < rcv_nxt_) {
    const uint32_t cut = static_cast<uint32_t>(rcv_nxt_ - start);
    data = data.sub(cut, data.length - cut);
    start = rcv_nxt_;
  }
  const uint64_t before = ready_;
  if (start == rcv_nxt_) {
    const bool had_held = !held_.empty();
    append_in_order(data);
    pull_held();
    result.filled_hole = had_held;
    result.in_order = ready_ - before;
    return result;
  }
  // Above a hole: keep the bytes no held segment has yet.
  result.out_of_order = true;
  auto it = std::lower_bound(held_.begin(), held_.end(), start,
                             [](const Held& h, uint64_t s) { return h.end() <= s; });
  uint64_t at = start;
  bool added = false;
  while (at < end) {
    if (it != held_.end() && it->start <= at) {  // covered already
      at = std::max(at, it->end());
      ++it;
      continue;
    }
    const uint64_t stop = (it != held_.end()) ? std::min(end, it->start) : end;
    const uint32_t off = static_cast<uint32_t>(at - start);
    it = held_.insert(it, Held{at, data.sub(off, static_cast<uint32_t>(stop - at))});
    ++it;
    ooo_bytes_ += stop - at;
    added = true;
    at = stop;
  }
  if (added) add_range(start, end);
  else result.duplicate = true;
  note_recent(start);
  return result;
}

void Reassembly::add_range(uint64_t s, uint64_t e) {
  // First range that ends at or after s (touching ranges merge).
  auto it = std::lower_bound(ranges_.begin(), ranges_.end(), s,
                             [](const SeqRange& r, uint64_t v) { return r.end < v; });
  if (it == ranges_.end() || e < it->start) {
    ranges_.insert(it, SeqRange{s, e});
    return;
  }
  it->start = std::min(it->start, s);
  it->end = std::max(it->end, e);
  auto next = it + 1;
  auto last = next;
  while (last != ranges_.end() && last->start <= it->end) {
    it->end = std::max(it->end, last->end);
    ++last;
  }
  ranges_.erase(next, last);
}

void Reassembly::note_recent(uint64_t s) {
  // Most recent first; an older entry inside the same run is dropped when blocks are built.
  const uint8_t keep = std::min<uint8_t>(recent_n_, net::kTcpMaxSackBlocks - 1);
  std::memmove(recent_ + 1, recent_, keep * sizeof(uint64_t));
  recent_[0] = s;
  recent_n_ = keep + 1;
}

uint8_t Reassembly::sack_blocks(const SeqSpace& space, net::SackBlock* out, uint8_t max) const {
  uint8_t n = 0;
  const SeqRange* used[net::kTcpMaxSackBlocks] = {};
  auto emit = [&](const SeqRange* r) {
    for (uint8_t i = 0; i < n; ++i)
      if (used[i] == r) return;
    used[n] = r;
    out[n++] = net::SackBlock{space.wire(r->start), space.wire(r->end)};
  };
  for (uint8_t i = 0; i < recent_n_ && n < max; ++i) {
    auto it = std::upper_bound(ranges_.begin(), ranges_.end(), recent_[i],
                               [](uint64_t v, const SeqRange& r) { return v < r.start; });
    if (it == ranges_.begin()) continue;
    --it;
    if (recent_[i] < it->end) emit(&*it);
  }
  // Runs not among the latest (recency list lost them): highest first.
  for (auto it = ranges_.rbegin(); it != ranges_.rend() && n < max; ++it) emit(&*it);
  return n;
}

size_t Reassembly::read(std::span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size() && !ready_q_.empty()) {
    const PayloadSlice& s = ready_q_.front();
    const size_t n = std::min<size_t>(out.size() - done, s.length - ready_front_off_);
    std::memcpy(out.data() + done, s.bytes().data() + ready_front_off_, n);
    done += n;
    ready_front_off_ += static_cast<uint32_t>(n);
    if (ready_front_off_ == s.length) {
      ready_q_.pop_front();
      ready_front_off_ = 0;
    }
  }
  ready_ -= done;
  return done;
}

}  // namespace hostwire::tcp
