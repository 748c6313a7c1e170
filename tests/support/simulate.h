// Elaborates a platform from scenario text and simulates it in this process (one per test
// process: SystemC elaborates once), checking the end-of-run invariants.
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "core/scenario.h"
#include "platforms/catalog.h"

namespace hostwire::testing {

struct SimulatedRun {
  std::unique_ptr<SimContext> ctx;
  std::unique_ptr<sc_core::sc_module> top;
  double value(const std::string& metric) const { return ctx->stats().value(metric); }
};

// With a `step`, `probe(run)` is called after every step of simulated time (and at the end):
// a look at the run's state finer than its time series.
inline SimulatedRun simulate(const std::string& yaml, Time step = Time{},
                             const std::function<void(const SimulatedRun&)>& probe = {}) {
  HostwireCatalog catalog;
  auto r = load_scenario_text(yaml, "test.yaml", catalog);
  if (!r.scenario) {
    ADD_FAILURE() << r.errors.front().str();
    return {};
  }
  SimulatedRun run;
  run.ctx = std::make_unique<SimContext>(r.scenario->seed());
  run.top = catalog.build(*r.scenario, *run.ctx);
  const Time end = r.scenario->duration();
  if (step.ps <= 0) sc_core::sc_start(to_sc(end));
  for (Time t{}; step.ps > 0 && t < end;) {
    const Time next{std::min(t.ps + step.ps, end.ps)};
    sc_core::sc_start(to_sc(Time{next.ps - t.ps}));
    t = next;
    if (probe) probe(run);
  }
  auto broken = run.ctx->check_invariants();
  EXPECT_TRUE(broken.empty()) << broken.front();
  return run;
}

}  // namespace hostwire::testing
