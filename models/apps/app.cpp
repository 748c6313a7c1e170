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

AppTimer::AppTimer(SimContext& ctx, const char* name, std::function<void()> fire) : ctx_(ctx), fire_(std::move(fire)) {
  sc_core::sc_spawn_options opt;
  opt.spawn_method();
  opt.dont_initialize();
  opt.set_sensitivity(&event_);
  sc_core::sc_spawn([this] {
    ctx_.activation();
    fire_();
  }, sc_core::sc_gen_unique_name(name), &opt);
}

PoissonArrivals::PoissonArrivals(SimContext& ctx, double rate, Rng& rng, Time stop, std::function<void(Time)> arrive)
    : rate_(rate), rng_(rng), stop_(stop), arrive_(std::move(arrive)), timer_(ctx, "arrivals", [this] { arrival(); }) {}

void PoissonArrivals::arrival() {
  const Time now = hostwire::now();
  if (stop_.ps > 0 && now >= stop_) return;
  arrive_(now);
  timer_.arm(Time{static_cast<int64_t>(rng_.exponential(1e12 / rate_))});
}

}  // namespace hostwire::apps
