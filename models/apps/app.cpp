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

}  // namespace hostwire::apps
