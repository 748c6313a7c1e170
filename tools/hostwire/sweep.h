// `hostwire sweep`, and the --grid / --point handling `run` and `check` share with it.
//
//   hostwire sweep SCENARIO [--grid key=v1,v2,...]... [-j N] [--out DIR] [--set k=v]... [--seed N]
//   hostwire sweep --collect DIR
//   hostwire run SCENARIO --point K [--grid ...]...
//
// A sweep runs every point of the grid as its own process (`hostwire run SCENARIO --point K
// --out DIR/points/K` with the same --set/--seed/--grid/--log/--pcap flags), N at a time, and
// gathers the reports into DIR/sweep.csv and DIR/sweep.html. See docs/sweeps_notes.md.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <boost/program_options/variables_map.hpp>

#include "core/scenario.h"

namespace hostwire::cli {

// Loads the scenario as `run` does (opts: --set, --seed), then applies the --grid axes; with
// `point`, appends point K's "key=value" overrides to opts.overrides and loads again, so the
// returned scenario has point K's values (and the grid's axes in its `sweep`). Errors: the
// loader's, the grid's (location "--grid"), "--point" out of range or without a sweep, and
// "--set" of a key that is also a sweep axis when a point is chosen (the axis would silently
// win; use --grid key=value to pin it). On return `opts` holds every override applied, so a
// caller that reloads with more overrides calls again with point = nullopt.
LoadResult load_with_grid(const std::string& path, const Catalog& catalog, LoadOptions& opts,
                          const std::vector<std::string>& grid, std::optional<size_t> point);

// The --grid and --point values of a parsed command line (empty / nullopt when absent).
std::vector<std::string> grid_option(const boost::program_options::variables_map& vm);
std::optional<size_t> point_option(const boost::program_options::variables_map& vm);

// `hostwire sweep`: args are the positional arguments after "sweep" (the scenario, or none
// with --collect). Returns 0 when every point is ok, 1 when any point failed or (with
// --collect) is missing, 2 on bad input.
int cmd_sweep(const std::vector<std::string>& args, const boost::program_options::variables_map& vm);

}  // namespace hostwire::cli
