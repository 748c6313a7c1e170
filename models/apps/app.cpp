#include "apps/app.h"

#include <memory>

namespace hostwire::apps {

void at_time(SimContext& ctx, Time at, std::function<void()> f) {
  sc_core::sc_spawn_options opt;
  opt.spawn_method();
  opt.dont_initialize();
  auto ev = std::make_shared<sc_core::sc_event>();  // lives as long as the process (one per call)
  opt.set_sensitivity(ev.get());
  sc_core::sc_spawn([&ctx, f = std::move(f), ev] {
    ctx.activation();
    f();
  }, sc_core::sc_gen_unique_name("start"), &opt);
  ev->notify(to_sc(at));
}

PoissonArrivals::PoissonArrivals(SimContext& ctx, double rate, Rng& rng, Time stop, std::function<void(Time)> arrive)
    : ctx_(ctx), rate_(rate), rng_(rng), stop_(stop), arrive_(std::move(arrive)) {
  sc_core::sc_spawn_options opt;
  opt.spawn_method();
  opt.dont_initialize();
  opt.set_sensitivity(&event_);
  sc_core::sc_spawn([this] { arrival(); }, sc_core::sc_gen_unique_name("arrivals"), &opt);
}

void PoissonArrivals::arrival() {
  ctx_.activation();
  const Time now = hostwire::now();
  if (stop_.ps > 0 && now >= stop_) return;
  arrive_(now);
  event_.notify(to_sc(Time{static_cast<int64_t>(rng_.exponential(1e12 / rate_))}));
}

}  // namespace hostwire::apps
