// Runs scenario text in a child process (SystemC elaborates once per process) to its duration
// and returns the named metrics as JSON (a histogram's: its count), with "broken" holding the
// end-of-run invariants that failed; an empty object when the text does not load. `dir`: the
// output directory (captures, an analyzer's pcap), none when empty.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/scenario.h"
#include "platforms/catalog.h"
#include "support/in_child.h"

namespace hostwire::testing {

inline nlohmann::json metrics_in_child(const std::string& yaml, const std::string& name,
                                       const std::vector<std::string>& metrics, const std::string& dir = "") {
  return in_child([&]() -> nlohmann::json {
    HostwireCatalog catalog;
    auto l = load_scenario_text(yaml, name, catalog);
    if (!l.scenario) {
      std::fprintf(stderr, "%s\n", l.errors.front().str().c_str());
      return {};
    }
    SimContext ctx(l.scenario->seed());
    if (!dir.empty()) ctx.set_output_dir(dir);
    auto top = catalog.build(*l.scenario, ctx);
    sc_core::sc_start(to_sc(l.scenario->duration()));
    ctx.run_end_hooks();
    nlohmann::json out;
    for (const auto& m : metrics) {
      const Histogram* h = ctx.stats().find_histogram(m);
      out[m] = h ? static_cast<double>(h->count()) : ctx.stats().value(m);
    }
    out["broken"] = ctx.check_invariants();
    return out;
  });
}

}  // namespace hostwire::testing
