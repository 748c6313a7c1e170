#include "core/sim.h"

namespace hostwire {

std::vector<std::string> SimContext::check_invariants() const {
  std::vector<std::string> broken;
  for (const auto& c : invariants_)
    if (auto msg = c(); !msg.empty()) broken.push_back(std::move(msg));
  return broken;
}

void SimContext::run_end_hooks() {
  for (auto& f : end_hooks_) f();
  end_hooks_.clear();
}

Sampler::Sampler(sc_core::sc_module_name name, SimContext& ctx, Time interval)
    : sc_module(name), ctx_(ctx), interval_(to_sc(interval)) {
  SC_HAS_PROCESS(Sampler);
  SC_METHOD(tick);
  sensitive << tick_;
  dont_initialize();
  tick_.notify(interval_);  // the first sample covers the first interval
}

void Sampler::tick() {
  ctx_.stats().sample(now());
  tick_.notify(interval_);
}

}  // namespace hostwire
