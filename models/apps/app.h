// What every application shares: it runs on a host's sockets (kernel::Sockets, the only
// part of the kernel an app sees) and starts at a simulated time.
#pragma once

#include <functional>

#include <systemc>

#include "core/rng.h"
#include "core/sim.h"
#include "core/units.h"

namespace hostwire::apps {

// Runs `f` once at simulated time `at` (a spawned method: one activation).
void at_time(SimContext& ctx, Time at, std::function<void()> f);

// Poisson arrivals at `rate` per second from start() until `stop` (0s: never), each calling
// `arrive(now)`; the gaps are drawn from `rng`, the app's own stream.
class PoissonArrivals {
 public:
  PoissonArrivals(SimContext& ctx, double rate, Rng& rng, Time stop, std::function<void(Time)> arrive);
  void start() { event_.notify(sc_core::SC_ZERO_TIME); }  // the first arrival now

 private:
  void arrival();
  SimContext& ctx_;
  double rate_;
  Rng& rng_;
  Time stop_;
  std::function<void(Time)> arrive_;
  sc_core::sc_event event_;
};

}  // namespace hostwire::apps
