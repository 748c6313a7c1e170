// What every application shares: it runs on a host's sockets (kernel::Sockets, the only
// part of the kernel an app sees) and starts at a simulated time.
#pragma once

#include <functional>

#include <systemc>

#include "core/sim.h"
#include "core/units.h"

namespace hostwire::apps {

// Runs `f` once at simulated time `at` (a spawned method: one activation).
void at_time(SimContext& ctx, Time at, std::function<void()> f);

}  // namespace hostwire::apps
