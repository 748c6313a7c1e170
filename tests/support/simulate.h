// Elaborates a platform from scenario text and simulates it in this process (one per test
// process: SystemC elaborates once), checking the end-of-run invariants.
#pragma once

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

inline SimulatedRun simulate(const std::string& yaml) {
  HostwireCatalog catalog;
  auto r = load_scenario_text(yaml, "test.yaml", catalog);
  if (!r.scenario) {
    ADD_FAILURE() << r.errors.front().str();
    return {};
  }
  SimulatedRun run;
  run.ctx = std::make_unique<SimContext>(r.scenario->seed());
  run.top = catalog.build(*r.scenario, *run.ctx);
  sc_core::sc_start(to_sc(r.scenario->duration()));
  auto broken = run.ctx->check_invariants();
  EXPECT_TRUE(broken.empty()) << broken.front();
  return run;
}

}  // namespace hostwire::testing
