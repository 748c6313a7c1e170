#include "kernel/socket/kbuf.h"

#include <algorithm>
#include <limits>

namespace hostwire::kernel {

namespace fr = net::framers;

// ---------------------------------------------------------------- scanner

MessageScanner::MessageScanner(const fr::FramerSpec& spec, uint64_t start)
    : framer_(fr::make_framer(spec)), msg_start_(start), scanned_(start) {}

MessageScanner::Scan MessageScanner::advance(const HeldBytes& q, uint64_t head, uint64_t limit) {
  Scan r;
  const uint64_t end = head + q.readable();
  while (!failed_) {
    if (length_) {  // the length is known: wait for the bytes, without examining them
      if (msg_start_ + *length_ > end) break;
      messages_.push_back({msg_start_, *length_});
      msg_start_ += *length_;
      scanned_ = msg_start_;
      length_.reset();
      framer_->reset();
      ++r.found;
      continue;
    }
    if (scanned_ >= end) break;
    // Unfed bytes are never below the read head: the reader takes only framed bytes, or (with a
    // delivery condition) bytes every arrival fed at once.
    uint64_t skip = scanned_ - head;
    fr::Status st;
    const uint64_t examined = framer_->examined();
    q.peek([&](std::span<const uint8_t> run) {
      if (skip >= run.size()) {
        skip -= run.size();
        return true;
      }
      run = run.subspan(skip);
      skip = 0;
      st = framer_->feed(run);
      scanned_ += run.size();
      return st.need_more();
    });
    r.examined += framer_->examined() - examined;
    if (st.failed()) {
      failed_ = true;
      r.error = st.why;
      r.oversize = st.too_long;
    } else if (st.done()) {
      if (st.length > limit) {
        failed_ = true;
        r.error = "message over the receive buffer";
        r.oversize = true;
      } else {
        length_ = st.length;
      }
    } else {
      break;  // every byte fed: the end is not known yet
    }
  }
  return r;
}

MessageScanner::Scan MessageScanner::finish(uint64_t end) {
  Scan r;
  if (failed_ || length_ || end <= msg_start_) return r;
  const fr::Status st = framer_->finish();
  if (st.done() && msg_start_ + st.length <= end) {
    messages_.push_back({msg_start_, st.length});
    msg_start_ += st.length;
    ++r.found;
  }
  return r;
}

// ---------------------------------------------------------------- kbuf

void Kbuf::set_framing(const MessageFraming& m, uint64_t head) {
  framing_ = m;
  scanner_ = std::make_unique<MessageScanner>(m.framer, head);
  pieces_.clear();
  piece_read_ = handed_ = 0;
  assembly_deadline_.reset();
}

void Kbuf::set_condition(const DeliveryCondition& d, uint64_t head, uint64_t end, Time now) {
  condition_ = d;
  head_ = head;
  counter_.reset();
  delimiter_.reset();
  if (d.messages > 0) counter_ = std::make_unique<MessageScanner>(d.framer, head);
  if (!d.delimiter.empty()) {
    fr::FramerSpec spec;
    spec.kind = fr::FramerSpec::Kind::delimiter;
    spec.delimiter = d.delimiter;
    spec.max_message = rcvbuf_ + 1;  // a delimiter past the buffer could never be seen
    delimiter_ = std::make_unique<MessageScanner>(spec, head);
  }
  timed_out_ = false;
  condition_deadline_.reset();
  restart_timeout(end - head, now);
}

Kbuf::Outcome Kbuf::on_bytes(const HeldBytes& q, uint64_t head, Time now) {
  Outcome o;
  const uint64_t end = head + q.readable();
  if (scanner_) {
    auto s = scanner_->advance(q, head, rcvbuf_);
    o.cycles = o.cycles + costs_.frame_cycles(static_cast<int64_t>(s.examined)) +
               costs_.frame_per_message * static_cast<int64_t>(s.found);
    take_messages(o);
    // An unfinished message that filled the receive buffer: the window is shut and stays shut,
    // as nothing the reader could take would open it, so it can never complete (KCM's EMSGSIZE
    // for a message over the buffer, found also when no length was told).
    const uint64_t held = end - head;
    if (!s.error && pieces_.empty() && scanner_->assembling(end) && q.window() == 0 &&
        rcvbuf_ - std::min(rcvbuf_, held) < window_step_) {
      s.error = "an unfinished message fills the receive buffer";
      s.oversize = true;
    }
    if (s.error) {
      (s.oversize ? o.oversize : o.malformed) = true;
      if (framing_->on_bad == BadMessagePolicy::error) o.error = s.oversize ? SocketError::msgsize : SocketError::proto;
      else o.fell_back = true;
      return o;
    }
    arm_assembly(end, now);
  }
  // The delivery condition's counters see the same bytes (as a framer of their own would).
  for (MessageScanner* m : {counter_.get(), delimiter_.get()}) {
    if (!m || m->failed()) continue;
    const auto s = m->advance(q, head, std::numeric_limits<uint64_t>::max());
    o.cycles = o.cycles + costs_.frame_cycles(static_cast<int64_t>(s.examined));
    if (m == counter_.get()) o.cycles = o.cycles + costs_.frame_per_message * static_cast<int64_t>(s.found);
    if (s.error) o.malformed = true;  // the condition then holds: the reader sees the bad bytes
  }
  if (condition_.timeout.ps > 0 && !condition_deadline_ && end > head) condition_deadline_ = now + condition_.timeout;
  return o;
}

void Kbuf::take_messages(Outcome& o) {
  while (!scanner_->messages().empty()) {
    const auto m = scanner_->messages().front();
    scanner_->pop();
    pieces_.push_back({m.length - handed_, true});
    handed_ = 0;
    assembly_deadline_.reset();
    ++o.messages;
  }
}

void Kbuf::arm_assembly(uint64_t end, Time now) {
  if (framing_->assembly_timeout.ps <= 0 || assembly_deadline_) return;
  if (end > scanner_->assembling_start() + handed_) assembly_deadline_ = now + framing_->assembly_timeout;
}

uint64_t Kbuf::on_eof(uint64_t head, uint64_t end) {
  if (!scanner_) return 0;
  Outcome o;
  scanner_->finish(end);
  take_messages(o);
  assembly_deadline_.reset();
  // What is left of an unfinished message can never complete.
  uint64_t framed = 0;
  for (const Piece& p : pieces_) framed += p.length;
  framed -= piece_read_;
  return end - head > framed ? end - head - framed : 0;
}

Kbuf::Outcome Kbuf::on_deadline(const HeldBytes& q, uint64_t head, Time now) {
  Outcome o;
  const uint64_t end = head + q.readable();
  if (assembly_deadline_ && *assembly_deadline_ <= now) {
    assembly_deadline_.reset();
    const uint64_t from = scanner_->assembling_start() + handed_;
    if (end > from) {
      o.timed_out = true;
      if (framing_->on_timeout == TimeoutPolicy::error) {
        o.error = SocketError::timedout;
      } else {  // hand up what has arrived; the rest of the message follows as further pieces
        pieces_.push_back({end - from, false});
        handed_ += end - from;
      }
    }
  }
  if (condition_deadline_ && *condition_deadline_ <= now) {
    condition_deadline_.reset();
    timed_out_ = true;
  }
  return o;
}

std::optional<Time> Kbuf::deadline() const {
  std::optional<Time> t = assembly_deadline_;
  if (condition_deadline_ && (!t || *condition_deadline_ < *t)) t = condition_deadline_;
  return t;
}

std::optional<Kbuf::Piece> Kbuf::next_piece() const {
  if (pieces_.empty()) return std::nullopt;
  Piece p = pieces_.front();
  p.length -= piece_read_;
  return p;
}

void Kbuf::consumed(uint64_t n, uint64_t head, uint64_t readable, Time now) {
  if (framing_) {
    piece_read_ += n;
    while (!pieces_.empty() && piece_read_ >= pieces_.front().length) {
      piece_read_ -= pieces_.front().length;
      pieces_.pop_front();
    }
  }
  head_ = head;
  for (MessageScanner* m : {counter_.get(), delimiter_.get()})
    while (m && !m->messages().empty() && m->messages().front().start + m->messages().front().length <= head) m->pop();
  // The timeout counts from the first byte buffered after this read.
  timed_out_ = false;
  condition_deadline_.reset();
  restart_timeout(readable, now);
}

void Kbuf::restart_timeout(uint64_t readable, Time now) {
  if (condition_.timeout.ps > 0 && readable > 0) condition_deadline_ = now + condition_.timeout;
}

bool Kbuf::condition_holds(uint64_t readable) const {
  if (readable == 0) return false;
  if (!condition_.any()) return true;
  // As Linux's tcp_set_rcvlowat: a low-water mark above half the buffer could never be met.
  if (condition_.min_bytes > 0 && readable >= std::min<uint64_t>(condition_.min_bytes, std::max<uint64_t>(1, rcvbuf_ / 2)))
    return true;
  if (counter_ && (counter_->failed() || counter_->messages().size() >= condition_.messages)) return true;
  if (delimiter_ && (delimiter_->failed() || !delimiter_->messages().empty())) return true;
  return timed_out_;
}

}  // namespace hostwire::kernel
