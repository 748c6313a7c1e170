#include "nic/interrupts.h"

#include <algorithm>

namespace hostwire::nic {

Interrupts::Interrupts(SimContext& ctx, const ModerationParams& moderation, int vectors, DmaPort& dma, uint64_t msix,
                       const std::string& stat_name)
    : ctx_(ctx),
      dma_(dma),
      msix_(msix),
      log_(stat_name),
      interrupts_(ctx.stats().counter(stat_name + ".interrupts", "interrupts", "MSI-X interrupts raised (all vectors)")) {
  auto& st = ctx.stats();
  for (int v = 0; v < vectors; ++v) {
    vectors_.push_back(std::make_unique<Vector>(moderation));
    const std::string msix = stat_name + ".msix" + std::to_string(v);
    vectors_.back()->vcd_raised = ctx.vcd().wire(msix + ".raised");
    vectors_.back()->vcd_timer = ctx.vcd().wire(msix + ".moderation_timer");
    vectors_.back()->vcd_pending = ctx.vcd().wire(msix + ".pending", 32);
    sc_core::sc_spawn_options opt;
    opt.spawn_method();
    opt.set_sensitivity(&vectors_.back()->timer);
    opt.dont_initialize();
    sc_core::sc_spawn([this, v] { moderation_timer(v); }, sc_core::sc_gen_unique_name("moderation"), &opt);
    st.formula(stat_name + ".ring" + std::to_string(v) + ".interrupt_rate", "interrupts/s",
               "interrupts raised on this ring's vector per second",
               [vec = vectors_.back().get()] { return static_cast<double>(vec->moderator.interrupts()) / hostwire::now().seconds(); });
  }
  st.formula(stat_name + ".interrupt_rate", "interrupts/s", "MSI-X interrupts per second (all vectors)",
             [this] { return static_cast<double>(interrupts_.value()) / hostwire::now().seconds(); });
}

void Interrupts::arm(Vector& vec, Time now) {
  const auto d = vec.moderator.deadline();
  if (d) vec.timer.notify(to_sc(*d > now ? *d - now : Time{}));
  if (!ctx_.vcd().is_open()) return;
  ctx_.vcd().change(vec.vcd_timer, now, d.has_value());
  ctx_.vcd().change(vec.vcd_pending, now, vec.moderator.pending());
}

void Interrupts::trace(const Vector& vec, Time now, bool raised) {
  ctx_.vcd().change(vec.vcd_raised, now, raised);
  ctx_.vcd().change(vec.vcd_timer, now, 0);
  ctx_.vcd().change(vec.vcd_pending, now, vec.moderator.pending());
}

void Interrupts::completion(int v, Time at) {
  Vector& vec = *vectors_[static_cast<size_t>(v)];
  // Write-backs complete in order on the bus; keep the moderator's clock monotonic anyway.
  at = std::max(at, vec.last_completion);
  vec.last_completion = at;
  const Time now = hostwire::now();
  if (vec.moderator.on_packet(at)) {
    // Decided now for a completion that lands at `at`: the message goes out then.
    vec.moderator.mask();
    vec.timer.cancel();  // the waveform keeps the timer armed until the message goes out
    if (at <= now) {
      raise(v);
    } else {
      vec.raise_pending = true;
      vec.raise_at = at;
      vec.timer.notify(to_sc(at - now));
    }
    return;
  }
  arm(vec, now);
}

void Interrupts::moderation_timer(int v) {
  ctx_.activation();
  Vector& vec = *vectors_[static_cast<size_t>(v)];
  const Time now = hostwire::now();
  if (vec.raise_pending) {
    if (now < vec.raise_at) {
      vec.timer.notify(to_sc(vec.raise_at - now));
      return;
    }
    vec.raise_pending = false;
    raise(v);
    return;
  }
  if (vec.moderator.on_timer(now)) {
    raise(v);
    return;
  }
  arm(vec, now);
}

void Interrupts::unmask(int v, uint32_t backlog) {
  const Time now = hostwire::now();
  Vector& vec = *vectors_[static_cast<size_t>(v)];
  ctx_.vcd().change(vec.vcd_raised, now, 0);
  if (vec.moderator.unmask(now, backlog))
    raise(v);
  else
    arm(vec, now);
}

void Interrupts::raise(int v) {
  // Masked until the driver's poll has drained the ring (NAPI); MSI-X is a posted write.
  const Time now = hostwire::now();
  Vector& vec = *vectors_[static_cast<size_t>(v)];
  vec.moderator.mask();
  vec.timer.cancel();
  trace(vec, now, true);
  interrupts_.add();
  msi_data_ = static_cast<uint32_t>(v);
  dma_.transfer(tlm::TLM_WRITE_COMMAND, msix_ + 4 * static_cast<uint64_t>(v), 4, now, reinterpret_cast<uint8_t*>(&msi_data_));
  HW_LOG(log_, trace, "vector {} interrupt at {}", v, to_string(now));
}

}  // namespace hostwire::nic
