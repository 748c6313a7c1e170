// Fault injection for one direction of an Ethernet link: link-down intervals, bursty loss
// (Gilbert–Elliott), independent loss, bit corruption, duplication and reordering.
//
// Plain C++ (no SystemC): the link module asks decide() once per frame, at the time the
// frame leaves the wire, and applies the answer. All randomness comes from the Rng stream
// handed in, so the same params and seed give the same faults on every machine.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/packet.h"
#include "core/rng.h"
#include "core/units.h"

namespace hostwire::wire {

// Gilbert–Elliott two-state Markov channel (Gilbert 1960, Elliott 1963): the channel is
// either good or bad, changes state once per frame, and loses frames with a per-state
// probability. With loss_in_bad = 1 and loss_in_good = 0 the mean loss burst is 1/r
// frames and the long-run loss rate is p / (p + r).
struct GilbertElliott {
  double p = 0;             // P(good -> bad) per frame; 0 disables the model
  double r = 0;             // P(bad -> good) per frame
  double loss_in_bad = 1;   // P(loss) per frame while bad
  double loss_in_good = 0;  // P(loss) per frame while good

  bool enabled() const { return p > 0; }
};

// Carrier lost on [start, end): every frame leaving the wire in that interval is dropped.
struct LinkDownInterval {
  Time start{};
  Time end{};
};

// One problem found by FaultParams::validate(), keyed by the field's name ("burst.r").
struct ParamProblem {
  std::string key;
  std::string message;
};

// Defaults mean "no faults".
struct FaultParams {
  double loss = 0;          // P(frame lost), independent per frame
  GilbertElliott burst;     // bursty loss
  double corrupt = 0;       // P(one bit flipped), per frame
  double ber = 0;           // bit error rate: P(frame of n bits corrupted) = 1 - (1 - ber)^n
  double reorder = 0;       // P(frame held back by reorder_delay), per frame
  Time reorder_delay{};     // extra delay of a reordered frame
  double duplicate = 0;     // P(frame delivered twice), per frame
  std::vector<LinkDownInterval> link_down;

  // Empty when every field is in range.
  std::vector<ParamProblem> validate() const;
  // True when any draw from the Rng is needed (everything but link-down).
  bool has_random_faults() const;
  bool any() const { return has_random_faults() || !link_down.empty(); }
};

enum class DropReason : uint8_t { none, link_down, burst_loss, loss };
const char* to_string(DropReason r);

struct FaultDecision {
  DropReason drop = DropReason::none;
  bool corrupted = false;
  uint32_t corrupt_bit = 0;  // bit to flip, in transmission order from the first header bit
  bool duplicate = false;    // deliver a second copy right after this one
  Time extra_delay{};        // > 0 when the frame is held back (reordered)

  bool dropped() const { return drop != DropReason::none; }
  bool reordered() const { return extra_delay.ps > 0; }
  friend bool operator==(const FaultDecision&, const FaultDecision&) = default;
};

struct FaultCounters {
  uint64_t frames_seen = 0;
  uint64_t dropped_link_down = 0;
  uint64_t dropped_loss = 0;
  uint64_t dropped_burst = 0;
  uint64_t corrupted = 0;
  uint64_t reordered = 0;
  uint64_t duplicated = 0;

  uint64_t dropped() const { return dropped_link_down + dropped_loss + dropped_burst; }
};

class FaultInjector {
 public:
  // Throws std::invalid_argument listing params.validate()'s problems, if any.
  FaultInjector(const FaultParams& params, Rng rng);

  // The fate of one frame of `frame_bits` bits leaving the wire at `now`. Checked in order
  // link-down, burst loss, independent loss; a surviving frame may then be corrupted,
  // duplicated and reordered (independently). Draws no random number when no random
  // fault is configured.
  FaultDecision decide(Time now, uint32_t frame_bits) {
    ++counters_.frames_seen;
    if (!any_fault_) return {};
    return decide_faulty(now, frame_bits);
  }

  bool link_up(Time now) const;
  bool in_burst() const { return bad_state_; }  // Gilbert–Elliott channel state, for tracing
  const FaultCounters& counters() const { return counters_; }
  const FaultParams& params() const { return params_; }
  const Rng& rng() const { return rng_; }  // stream position, for checkpoints and tests

 private:
  FaultDecision decide_faulty(Time now, uint32_t frame_bits);
  bool chance(double p);  // Bernoulli draw that spends no number when p is 0 or 1
  bool burst_loss();
  double corrupt_probability(uint32_t frame_bits) const;

  FaultParams params_;  // link_down sorted and merged
  Rng rng_;
  bool any_fault_ = false;
  bool random_faults_ = false;
  bool bad_state_ = false;
  double log_bit_ok_ = 0;  // log(1 - ber), so P(frame clean) = exp(n * log_bit_ok_)
  FaultCounters counters_;
};

// Flips bit `bit_index` of the frame in transmission order (IEEE 802.3 sends each byte least
// significant bit first): header bytes first, then payload. The payload is shared with other
// Packets, so its slice is first copied into a buffer of this packet's own. An index in the
// 32-bit FCS after the payload changes no data byte. Either way the frame's FCS check now
// fails (fcs_bad). Returns false, changing nothing, for an index past the FCS.
bool flip_bit(Packet& packet, uint32_t bit_index);

}  // namespace hostwire::wire
