// Test bench: runs actions at given simulated times from one SC_METHOD, as a driver or an
// application would submit work; actions at the same time run in the order they were added.
#pragma once

#include <functional>
#include <map>

#include <systemc>

#include "core/sim.h"

namespace hostwire::cpu::testing {

class Script : public sc_core::sc_module {
 public:
  explicit Script(sc_core::sc_module_name name) : sc_module(name) {
    SC_HAS_PROCESS(Script);
    SC_METHOD(fire);
    sensitive << event_;
    dont_initialize();
  }
  // Before sc_start.
  void at(Time t, std::function<void()> action) { actions_.emplace(t.ps, std::move(action)); }

 private:
  void start_of_simulation() override {
    if (!actions_.empty()) event_.notify(to_sc(Time{actions_.begin()->first}));
  }
  void fire() {
    const int64_t t = hostwire::now().ps;
    while (!actions_.empty() && actions_.begin()->first <= t) {
      auto action = std::move(actions_.begin()->second);
      actions_.erase(actions_.begin());
      action();
    }
    if (!actions_.empty()) event_.notify(to_sc(Time{actions_.begin()->first - t}));
  }
  std::multimap<int64_t, std::function<void()>> actions_;
  sc_core::sc_event event_;
};

}  // namespace hostwire::cpu::testing
