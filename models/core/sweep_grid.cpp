#include "core/sweep_grid.h"

#include <algorithm>
#include <limits>
#include <set>

namespace hostwire {

size_t point_count(const Scenario& s) {
  if (s.sweep.empty()) return 0;
  size_t n = 1;
  for (const auto& a : s.sweep) {
    const size_t m = a.values.size();
    if (m == 0) return 0;
    if (n > std::numeric_limits<size_t>::max() / m) return std::numeric_limits<size_t>::max();
    n *= m;
  }
  return n;
}

std::vector<std::pair<std::string, std::string>> point_values(const Scenario& s, size_t k) {
  std::vector<std::pair<std::string, std::string>> out(s.sweep.size());
  // The last axis varies fastest: peel digits from the end.
  for (size_t i = s.sweep.size(); i-- > 0;) {
    const auto& a = s.sweep[i];
    const size_t m = a.values.empty() ? 1 : a.values.size();
    out[i] = {a.key, a.values.empty() ? std::string() : a.values[k % m]};
    k /= m;
  }
  return out;
}

std::vector<std::string> point_overrides(const Scenario& s, size_t k) {
  std::vector<std::string> out;
  for (const auto& [key, value] : point_values(s, k)) out.push_back(key + "=" + value);
  return out;
}

std::string point_label(const Scenario& s, size_t k) {
  std::string out;
  for (const auto& [key, value] : point_values(s, k)) out += (out.empty() ? "" : " ") + key + "=" + value;
  return out;
}

std::vector<InputError> apply_grid(Scenario& s, const std::vector<std::string>& grids) {
  std::vector<InputError> errors;
  std::vector<SweepAxis> axes = s.sweep;
  std::set<std::string> seen;
  for (const auto& g : grids) {
    const auto eq = g.find('=');
    if (eq == std::string::npos || eq == 0) {
      errors.push_back({"--grid", g, "expected key=value1,value2,..."});
      continue;
    }
    const std::string key = g.substr(0, eq), list = g.substr(eq + 1);
    std::string problem;
    const ParamSpec* spec = find_spec(s.schema, s.values, key, problem);  // a key, or LIST[i].FIELD
    if (!spec) {
      errors.push_back({"--grid", key, problem});
      continue;
    }
    if (!seen.insert(key).second) {
      errors.push_back({"--grid", key, "given twice; list all its values in one --grid"});
      continue;
    }
    if (spec->type == ParamType::List) {
      errors.push_back({"--grid", key, kListIsNoSweepAxis});
      continue;
    }
    if (list.empty()) {
      errors.push_back({"--grid", key, "a grid axis needs at least one value"});
      continue;
    }
    SweepAxis axis{key, {}};
    bool ok = true;
    size_t start = 0;
    while (true) {
      const size_t comma = list.find(',', start);
      const std::string text = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (text.empty()) {
        errors.push_back({"--grid", key, "empty value in '" + list + "'"});
        ok = false;
      } else {
        auto v = parse_param(*spec, text, problem);
        if (!v) {
          errors.push_back({"--grid", key, problem});
          ok = false;
        } else {
          axis.values.push_back(v->text);
        }
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (!ok) continue;
    auto existing = std::find_if(axes.begin(), axes.end(), [&](const SweepAxis& a) { return a.key == key; });
    if (existing != axes.end()) *existing = std::move(axis);
    else axes.push_back(std::move(axis));
  }
  if (errors.empty()) s.sweep = std::move(axes);
  return errors;
}

}  // namespace hostwire
