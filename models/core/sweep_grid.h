// Sweep grids: the points of a scenario's `sweep:` axes (and of `--grid` on the command line)
// as the cartesian product of the axes, in a fixed order: the first axis varies slowest, the
// last fastest, so point k of axes with sizes n0, n1, ..., n(m-1) has index digits
// k = ((i0 * n1 + i1) * n2 + i2) ... Plain C++, no SystemC.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "core/scenario.h"

namespace hostwire {

// Number of points of the scenario's sweep: the product of the axis sizes, 0 when the scenario
// has no sweep axis. Saturates at SIZE_MAX (callers refuse grids that large).
size_t point_count(const Scenario& s);

// The (key, canonical value text) of each axis at point k, in axis order. k < point_count(s).
std::vector<std::pair<std::string, std::string>> point_values(const Scenario& s, size_t k);

// The same as "key=value" strings, ready for LoadOptions::overrides (as --set would give them).
std::vector<std::string> point_overrides(const Scenario& s, size_t k);

// "key1=v1 key2=v2": a one-line label of point k.
std::string point_label(const Scenario& s, size_t k);

// Applies command-line grids, each "key=v1,v2,...": an axis of a key the scenario already
// sweeps is replaced in place (keeping its position), any other is appended after the file's
// axes, in the order given. The key must be in the scenario's schema (unknown keys get the
// nearest valid key suggested) or be one field of one item of a list, LIST[i].FIELD (find_spec,
// the index checked against `s.values`), and every value must parse for that key exactly as in
// the file (parse_param against its ParamSpec), the axis keeping the canonical texts. A key given twice,
// an empty list or an empty value is an error. Errors have location "--grid" and name the key;
// on any error `s.sweep` is left unchanged.
std::vector<InputError> apply_grid(Scenario& s, const std::vector<std::string>& grids);

}  // namespace hostwire
