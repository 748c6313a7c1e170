#include "kernel/tcp/receive_path.h"

#include <algorithm>

namespace hostwire::tcp {

using namespace net::tcp_flag;

namespace {
constexpr uint32_t kTimestampsOptionBytes = 12;  // NOP NOP kind len TSval TSecr, on every segment
}  // namespace

ReceivePath::ReceivePath(const TcpParams& params, uint8_t window_shift) : p_(params), shift_(window_shift) {}

void ReceivePath::negotiate(bool window_scaling, bool timestamps, uint32_t mss_estimate,
                            std::optional<uint32_t> tsval) {
  if (!window_scaling) shift_ = 0;
  timestamps_ = timestamps;
  rcv_mss_ = mss_estimate;
  if (tsval) {
    ts_recent_ = *tsval;
    ts_recent_valid_ = true;
  }
  rq_.reset(1);
  rcv_adv_ = 1 + std::min<uint64_t>(static_cast<uint64_t>(p_.rcvbuf.n), kMaxUnscaledWindow);
}

bool ReceivePath::acceptable(uint64_t start, uint32_t len) const {
  const uint64_t nxt = rcv_nxt(), wnd = rcv_wnd();
  if (len == 0) return wnd == 0 ? start == nxt : (start >= nxt && start < nxt + wnd);
  // A zero window still takes the ACK, RST and a bare FIN of a segment at RCV.NXT (its data is
  // then trimmed), as Linux's tcp_sequence() does.
  if (wnd == 0) return start == nxt;
  const uint64_t last = start + len - 1;
  return (start >= nxt && start < nxt + wnd) || (last >= nxt && last < nxt + wnd);
}

bool ReceivePath::older_than_recent(uint32_t tsval) const { return ts_recent_valid_ && seq_lt(tsval, ts_recent_); }

bool ReceivePath::on_data(const Segment& s, uint64_t seg_start, Time now) {
  const uint32_t plen = s.payload.length;
  bool has_fin = s.has(fin);
  if (plen == 0 && !has_fin) return false;
  const uint64_t start = seg_start + (s.has(syn) ? 1 : 0);
  uint32_t keep = plen;
  if (start + plen > rcv_adv_) {  // beyond the window we offered: trimmed, and the FIN with it
    keep = rcv_adv_ > start ? static_cast<uint32_t>(rcv_adv_ - start) : 0;
    has_fin = false;
    ack_now_ = true;
  }
  if (keep > 0) {
    const Reassembly::Insert in = rq_.insert(start, s.payload.sub(0, keep));
    bytes_received_ += in.in_order;
    if (in.out_of_order) ++out_of_order_segments_;
    if (in.duplicate) ++duplicate_segments_;
    const uint32_t cap = static_cast<uint32_t>(p_.mss.n) - (timestamps_ ? kTimestampsOptionBytes : 0);
    rcv_mss_ = std::max(rcv_mss_, std::min(keep, cap));
    // Out of order, a filled hole or a duplicate: ACK at once (RFC 5681 section 4.2, Linux
    // quickack), so the sender's loss detection is not delayed.
    if (in.out_of_order || in.filled_hole || in.duplicate) ack_now_ = true;
    else schedule_ack(in.in_order, now);
  }
  if (has_fin) peer_fin_pos_ = start + plen;
  return peer_fin_pos_ && !fin_received_ && rq_.rcv_nxt() == *peer_fin_pos_;
}

void ReceivePath::on_fin() {
  fin_received_ = true;
  ack_now_ = true;
}

void ReceivePath::schedule_ack(uint64_t bytes, Time now) {
  unacked_bytes_ += bytes;
  if (p_.delayed_ack.ps == 0 || unacked_bytes_ >= static_cast<uint64_t>(p_.ack_every) * rcv_mss_) {
    ack_now_ = true;
  } else if (!delack_at_) {
    delack_at_ = now + p_.delayed_ack;
  }
}

bool ReceivePath::window_update_due() const {
  const uint64_t cur = rcv_wnd();
  if (cur * 2 > static_cast<uint64_t>(p_.rcvbuf.n)) return false;
  const uint64_t next = (select_window() >> shift_) << shift_;
  return next > cur && next >= 2 * cur;
}

uint64_t ReceivePath::select_window() const {
  // Receiver silly-window avoidance (RFC 9293 section 3.8.6.2.2): move the right edge only
  // when it can move by min(half the buffer, one MSS); never pull it back.
  const uint64_t buf = static_cast<uint64_t>(p_.rcvbuf.n);
  const uint64_t free = buf > rq_.readable() ? buf - rq_.readable() : 0;
  const uint64_t cur = rcv_wnd();
  const uint64_t step = std::min<uint64_t>(buf / 2, rcv_mss_);
  const uint64_t limit = kMaxUnscaledWindow << shift_;
  return std::min(free >= cur + step ? free : cur, limit);
}

uint16_t ReceivePath::window_field() {
  // Rounded down to the scale: the edge may look to recede by less than 2^shift, which
  // RFC 7323 section 2.4 allows; we keep accepting up to the furthest edge offered.
  const uint64_t field = std::min<uint64_t>(select_window() >> shift_, kMaxUnscaledWindow);
  rcv_adv_ = std::max(rcv_adv_, rcv_nxt() + (field << shift_));
  return static_cast<uint16_t>(field);
}

void ReceivePath::on_ack_sent() {
  last_ack_sent_ = rcv_nxt();
  ack_now_ = false;
  delack_at_.reset();
  unacked_bytes_ = 0;
}

}  // namespace hostwire::tcp
