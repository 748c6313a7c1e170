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

// A timer an application arms again and again (a poll timeout, the next arrival): `fire` runs
// `after` from the call to arm(); arming it while it runs sooner keeps the sooner time.
class AppTimer {
 public:
  AppTimer(SimContext& ctx, const char* name, std::function<void()> fire);
  void arm(Time after) { event_.notify(to_sc(after)); }

 private:
  SimContext& ctx_;
  std::function<void()> fire_;
  sc_core::sc_event event_;
};

// Poisson arrivals at `rate` per second from start() until `stop` (0s: never), each calling
// `arrive(now)`; the gaps are drawn from `rng`, the app's own stream.
class PoissonArrivals {
 public:
  PoissonArrivals(SimContext& ctx, double rate, Rng& rng, Time stop, std::function<void(Time)> arrive);
  void start() { timer_.arm(Time{}); }  // the first arrival now

 private:
  void arrival();
  double rate_;
  Rng& rng_;
  Time stop_;
  std::function<void(Time)> arrive_;
  AppTimer timer_;
};

}  // namespace hostwire::apps
