// What the sender knows about the data it has sent and not yet had acknowledged: one record
// per segment as cut (at most one MSS; a TSO super-segment is several records), each
// SACKed, lost or retransmitted. This is RFC 6675's scoreboard kept so that every ACK costs
// O(log n) plus the records it changes:
//  - SACK blocks are compared with the ranges already SACKed, so a block that grew by one
//    segment touches one record, not the whole block;
//  - IsLost is a marker that only moves forward: a record is lost once DupThresh SACKed
//    records, or more than (DupThresh-1)*SMSS SACKed bytes, lie above it; since the SACKed
//    bytes above a position only fall as the position rises, the lost records (among the
//    unSACKed ones) are exactly those below the marker;
//  - pipe (RFC 6675 SetPipe) is kept as counters, Linux's packets_in_flight:
//    outstanding - SACKed - lost + retransmitted.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "core/units.h"
#include "kernel/tcp/reassembly.h"

namespace hostwire::tcp {

struct SentSegment {
  uint64_t start = 0;
  uint32_t len = 0;  // sequence space, FIN included
  bool fin = false;
  bool sacked = false;
  bool lost = false;
  bool retrans = false;       // retransmitted and the retransmission still counts in pipe
  bool ever_retrans = false;  // for Karn's rule
  Time sent{};                // last (re)transmission
  uint64_t end() const { return start + len; }
};

class Scoreboard {
 public:
  struct Acked {
    uint64_t bytes = 0;            // sequence space newly acknowledged
    uint64_t segments = 0;         // records fully acknowledged
    bool retransmitted = false;    // any acknowledged record had been retransmitted (Karn)
    bool sacked_before = false;    // every acknowledged record had been SACKed already
    Time first_sent{};             // send time of the oldest never-retransmitted record acked
    bool has_first_sent = false;
    uint64_t newly_acked_unsacked = 0;  // bytes acknowledged that were not SACKed before
    uint64_t retransmitted_segments = 0;  // records fully acknowledged that had been retransmitted
    Time latest_retransmit{};             // the latest (re)transmission among them
  };

  void reset(uint64_t una);
  bool empty() const { return q_.empty(); }
  uint64_t una() const { return una_; }
  uint64_t high_data() const { return una_ + outstanding_; }  // snd_max
  uint64_t outstanding() const { return outstanding_; }
  uint64_t sacked_bytes() const { return sacked_bytes_; }
  uint64_t lost_bytes() const { return lost_bytes_; }
  uint64_t retrans_bytes() const { return retrans_bytes_; }
  uint64_t high_sack() const { return sacked_ranges_.empty() ? una_ : sacked_ranges_.back().end; }
  size_t records() const { return q_.size(); }
  const SentSegment& front() const { return q_.front(); }
  // RFC 6675 pipe, less `dup_bytes` (Reno's duplicate-ACK estimate of data that left the network).
  uint64_t pipe(uint64_t dup_bytes = 0) const;

  void on_send(uint64_t start, uint32_t len, bool fin, Time now);
  Acked ack(uint64_t ack);
  // Marks the records [start, end) fully covers as SACKed; returns the bytes newly SACKed.
  uint64_t sack(uint64_t start, uint64_t end);
  // Moves the lost marker (IsLost with DupThresh, RFC 6675 section 4).
  void update_lost(uint64_t reordering, uint64_t smss);
  bool first_lost() const { return !q_.empty() && q_.front().lost && !q_.front().sacked; }
  void mark_first_lost();  // NewReno: the segment at snd.una is presumed lost (RFC 6582)
  void mark_all_lost();    // retransmission timeout: everything unSACKed is lost (go-back-N)
  void forget_sacks();     // the receiver may have reneged

  // NextSeg (RFC 6675 section 4) rule 1: the first lost record not yet retransmitted.
  SentSegment* next_lost();
  // Rule 3: the first record below HighSACK neither SACKed, lost nor retransmitted.
  SentSegment* next_unsacked_below_high_sack();
  void on_retransmit(SentSegment& r, Time now);

 private:
  size_t index_at_or_after(uint64_t pos) const;
  void count_sacked(SentSegment& r);

  std::deque<SentSegment> q_;
  std::vector<SeqRange> sacked_ranges_;  // merged, all above una_
  uint64_t una_ = 0;
  uint64_t outstanding_ = 0;
  uint64_t sacked_bytes_ = 0, sacked_count_ = 0;
  uint64_t lost_bytes_ = 0;
  uint64_t retrans_bytes_ = 0;
  uint64_t lost_mark_ = 0;  // records starting below it have been judged by IsLost
  uint64_t sacked_bytes_below_mark_ = 0, sacked_count_below_mark_ = 0;
  uint64_t rtx_cursor_ = 0;    // rule 1 resumes here
  uint64_t rule3_cursor_ = 0;  // rule 3 resumes here
};

}  // namespace hostwire::tcp
