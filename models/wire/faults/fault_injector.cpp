#include "wire/faults/fault_injector.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <stdexcept>

namespace hostwire::wire {
namespace {

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// Sorted by start, overlapping or touching intervals merged, so that one binary search
// answers link_up().
std::vector<LinkDownInterval> merge_intervals(std::vector<LinkDownInterval> v) {
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.start < b.start; });
  std::vector<LinkDownInterval> out;
  for (const auto& iv : v) {
    if (!out.empty() && iv.start <= out.back().end)
      out.back().end = std::max(out.back().end, iv.end);
    else
      out.push_back(iv);
  }
  return out;
}

}  // namespace

std::vector<ParamProblem> FaultParams::validate() const {
  std::vector<ParamProblem> problems;
  auto check = [&](bool ok, std::string key, std::string message) {
    if (!ok) problems.push_back({std::move(key), std::move(message)});
  };
  auto probability = [&](const char* key, double v) {
    check(v >= 0 && v <= 1, key, std::string(key) + " must be in [0, 1], got " + num(v));  // NaN fails too
  };
  probability("loss", loss);
  probability("burst.p", burst.p);
  probability("burst.r", burst.r);
  probability("burst.loss_in_bad", burst.loss_in_bad);
  probability("burst.loss_in_good", burst.loss_in_good);
  probability("corrupt", corrupt);
  probability("ber", ber);
  probability("reorder", reorder);
  probability("duplicate", duplicate);
  // With r = 0 the bad state is absorbing: the link would lose frames forever.
  check(!(burst.p > 0 && burst.r == 0), "burst.r", "burst.r must be > 0 when burst.p > 0 (a burst would never end)");
  check(reorder_delay.ps >= 0, "reorder_delay", "reorder_delay must be >= 0, got " + to_string(reorder_delay));
  check(!(reorder > 0 && reorder_delay.ps == 0), "reorder_delay",
        "reorder_delay must be > 0 when reorder > 0 (a zero delay reorders nothing)");
  for (size_t i = 0; i < link_down.size(); ++i) {
    const std::string key = "link_down[" + std::to_string(i) + "]";
    const auto& iv = link_down[i];
    check(iv.start.ps >= 0, key, key + ".start must be >= 0, got " + to_string(iv.start));
    check(iv.end > iv.start, key,
          key + ".end must be after start, got [" + to_string(iv.start) + ", " + to_string(iv.end) + ")");
  }
  return problems;
}

bool FaultParams::has_random_faults() const {
  return loss > 0 || burst.enabled() || corrupt > 0 || ber > 0 || reorder > 0 || duplicate > 0;
}

const char* to_string(DropReason r) {
  switch (r) {
    case DropReason::none: return "none";
    case DropReason::link_down: return "link_down";
    case DropReason::burst_loss: return "burst_loss";
    case DropReason::loss: return "loss";
  }
  return "?";
}

FaultInjector::FaultInjector(const FaultParams& params, Rng rng) : params_(params), rng_(rng) {
  if (auto problems = params.validate(); !problems.empty()) {
    std::string what = "invalid fault parameters:";
    for (const auto& p : problems) what += "\n  " + p.message;
    throw std::invalid_argument(what);
  }
  params_.link_down = merge_intervals(params.link_down);
  random_faults_ = params_.has_random_faults();
  any_fault_ = params_.any();
  log_bit_ok_ = std::log1p(-params_.ber);  // -inf when ber = 1: every frame corrupted
}

bool FaultInjector::link_up(Time now) const {
  const auto& down = params_.link_down;
  // First interval starting after `now`; the one before it is the only one that can hold `now`.
  auto it = std::upper_bound(down.begin(), down.end(), now, [](Time t, const auto& iv) { return t < iv.start; });
  return it == down.begin() || !(now < std::prev(it)->end);
}

bool FaultInjector::chance(double p) {
  if (p <= 0) return false;
  if (p >= 1) return true;
  return rng_.uniform() < p;
}

// The frame sees the channel in its current state, then the chain takes one step. The
// chain only steps for frames that reach it: while the carrier is down nothing is sent.
bool FaultInjector::burst_loss() {
  const auto& ge = params_.burst;
  const bool lost = chance(bad_state_ ? ge.loss_in_bad : ge.loss_in_good);
  if (chance(bad_state_ ? ge.r : ge.p)) bad_state_ = !bad_state_;
  return lost;
}

double FaultInjector::corrupt_probability(uint32_t frame_bits) const {
  const double clean = (1 - params_.corrupt) * std::exp(frame_bits * log_bit_ok_);
  return 1 - clean;
}

FaultDecision FaultInjector::decide_faulty(Time now, uint32_t frame_bits) {
  FaultDecision d;
  auto drop = [&](DropReason why, uint64_t& counter) {
    ++counter;
    d.drop = why;
    return d;
  };
  if (!link_up(now)) return drop(DropReason::link_down, counters_.dropped_link_down);
  if (!random_faults_) return d;
  if (params_.burst.enabled() && burst_loss()) return drop(DropReason::burst_loss, counters_.dropped_burst);
  if (chance(params_.loss)) return drop(DropReason::loss, counters_.dropped_loss);

  if (frame_bits > 0 && chance(corrupt_probability(frame_bits))) {
    d.corrupted = true;
    d.corrupt_bit = static_cast<uint32_t>(rng_.uniform_int(0, frame_bits - 1));
    ++counters_.corrupted;
  }
  if (chance(params_.duplicate)) {
    d.duplicate = true;
    ++counters_.duplicated;
  }
  if (chance(params_.reorder)) {
    d.extra_delay = params_.reorder_delay;
    ++counters_.reordered;
  }
  return d;
}

bool flip_bit(Packet& packet, uint32_t bit_index) {
  constexpr uint64_t kFcsBits = 32;
  const uint64_t data_bits = uint64_t{packet.frame_bytes()} * 8;
  if (bit_index >= data_bits + kFcsBits) return false;
  if (bit_index < data_bits) {
    const uint32_t byte = bit_index / 8;
    const auto mask = static_cast<uint8_t>(1u << (bit_index % 8));  // LSB first on the wire
    if (byte < packet.header_len) {
      packet.header[byte] ^= mask;
    } else {
      // Copy on write: other Packets (mirrors, captures, the sender's retransmit queue)
      // keep the clean bytes. Only this slice is copied, not the whole application buffer.
      const auto src = packet.payload.bytes();
      auto own = std::make_shared<std::vector<uint8_t>>(packet.payload.length);
      std::copy(src.begin(), src.end(), own->begin());
      (*own)[byte - packet.header_len] ^= mask;
      packet.payload = PayloadSlice{std::move(own), 0, packet.payload.length};
    }
  }
  packet.fcs_bad = true;
  return true;
}

}  // namespace hostwire::wire
