// `hostwire diff A B [--tolerance PATTERN=X%]... [--default-tolerance X%]`: compares two
// report.json files, or two sweeps (a sweep folder or its sweep.csv) point by point, prints the
// metrics that moved, and exits 1 when any moved past its tolerance, 0 otherwise, 2 on bad input.
// See docs/sweeps_notes.md for the rules.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/program_options/variables_map.hpp>

namespace hostwire::cli {

// One comparable number: a report's metric (histograms give one per field: NAME.p50, ...),
// kernel counter or simulated time; or a sweep.csv cell.
struct DiffValue {
  double value = 0;
  std::string text;  // as written in the input (exact), or a non-numeric cell such as a status
  std::string unit;
};
using DiffValues = std::map<std::string, DiffValue>;

// The numbers of a report.json (wall-clock fields, the version and the scenario left out).
// Throws std::invalid_argument when the text is not JSON or has no "metrics" object.
DiffValues flatten_report(const std::string& json_text);

// Whether `name` matches a pattern where '*' stands for any run of characters (dots included).
bool glob_match(const std::string& pattern, const std::string& name);

// Parses "5%", "0.5%", "0%" or "ignore" (nullopt tolerance = ignore). False when malformed.
bool parse_tolerance(const std::string& text, std::optional<double>& percent);

int cmd_diff(const std::vector<std::string>& args, const boost::program_options::variables_map& vm);

}  // namespace hostwire::cli
