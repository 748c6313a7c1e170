// The receive side of the byte stream: bytes ready for the application in order, and
// segments that arrived above a hole (out of order) kept until the hole fills, with the
// ranges they cover for SACK blocks (RFC 2018). Positions are 64-bit sequence positions
// from the peer's initial sequence number. Payload is kept as the sender's slices.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <vector>

#include "core/packet.h"
#include "kernel/tcp/seq.h"
#include "net/tcp.h"

namespace hostwire::tcp {

struct SeqRange {
  uint64_t start = 0;
  uint64_t end = 0;  // one past the last position
};

class Reassembly {
 public:
  struct Insert {
    uint64_t in_order = 0;  // bytes that became readable (this segment and any it joined)
    bool out_of_order = false;  // stored above a hole
    bool filled_hole = false;   // advanced rcv_nxt while out-of-order data was held
    bool duplicate = false;     // every byte was already received
  };

  void reset(uint64_t rcv_nxt);
  uint64_t rcv_nxt() const { return rcv_nxt_; }
  uint64_t readable() const { return ready_; }
  uint64_t out_of_order_bytes() const { return ooo_bytes_; }
  bool has_out_of_order() const { return !ranges_.empty(); }
  // End of the highest out-of-order byte held (rcv_nxt when none).
  uint64_t highest() const { return ranges_.empty() ? rcv_nxt_ : ranges_.back().end; }

  Insert insert(uint64_t start, const PayloadSlice& data);
  size_t read(std::span<uint8_t> out);
  // The in-order bytes without taking them or copying them: `f` sees each contiguous run in
  // order, from the first unread byte, until it returns false (a framer looking for the end of
  // a message in the kernel, before anything reaches the application).
  template <class F>
  void peek(F&& f) const {
    uint32_t off = ready_front_off_;
    for (const PayloadSlice& s : ready_q_) {
      if (!f(s.bytes().subspan(off))) return;
      off = 0;
    }
  }
  // Up to `max` SACK blocks, the one holding the latest segment first (RFC 2018 section 4).
  uint8_t sack_blocks(const SeqSpace& space, net::SackBlock* out, uint8_t max) const;

 private:
  struct Held {
    uint64_t start;
    PayloadSlice data;
    uint64_t end() const { return start + data.length; }
  };
  void append_in_order(const PayloadSlice& data);
  void pull_held();
  void add_range(uint64_t s, uint64_t e);
  void note_recent(uint64_t s);

  uint64_t rcv_nxt_ = 0;
  std::deque<PayloadSlice> ready_q_;
  uint32_t ready_front_off_ = 0;  // bytes of ready_q_.front() already read
  uint64_t ready_ = 0;
  std::vector<Held> held_;       // sorted by start, non-overlapping
  std::vector<SeqRange> ranges_;  // held_ merged into contiguous runs
  uint64_t ooo_bytes_ = 0;
  uint64_t recent_[net::kTcpMaxSackBlocks] = {};  // starts of the latest out-of-order segments
  uint8_t recent_n_ = 0;
};

}  // namespace hostwire::tcp
