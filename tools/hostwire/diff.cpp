#include "tools/hostwire/diff.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <stdexcept>

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/file.h"
#include "core/params.h"
#include "core/si.h"
#include "tools/hostwire/commands.h"

namespace hostwire::cli {

namespace po = boost::program_options;
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

struct BadInput {
  std::string message;
};

bool is_wall(const std::string& name) {
  auto dot = name.rfind('.');
  std::string last = dot == std::string::npos ? name : name.substr(dot + 1);
  return last.rfind("wall", 0) == 0;
}

// Numbers, and null (an empty histogram's quantiles): a value that becomes null is a change.
void add_number(DiffValues& out, const std::string& name, const json& v, const std::string& unit) {
  if (!(v.is_number() || v.is_null()) || is_wall(name)) return;
  out[name] = v.is_null() ? DiffValue{NAN, "null", unit} : DiffValue{v.get<double>(), v.dump(), unit};
}

}  // namespace

DiffValues flatten_report(const std::string& text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object() || !j.contains("metrics") || !j["metrics"].is_object())
    throw std::invalid_argument("not a hostwire report (no \"metrics\" object)");
  DiffValues out;
  for (const auto& [name, m] : j["metrics"].items()) {
    if (m.is_number()) {
      add_number(out, name, m, "");
      continue;
    }
    if (!m.is_object()) continue;
    const std::string unit = m.value("unit", "");
    if (m.contains("value")) {
      add_number(out, name, m["value"], unit);
      continue;
    }
    for (const auto& [field, v] : m.items())  // a histogram: count, mean, min, p50, ..., max
      add_number(out, name + "." + field, v, field == "count" ? "" : unit);
  }
  if (j.contains("kernel") && j["kernel"].is_object())
    for (const auto& [k, v] : j["kernel"].items()) add_number(out, "kernel." + k, v, "");
  if (j.contains("simulated_time") && j["simulated_time"].is_object())
    add_number(out, "simulated_time", j["simulated_time"].value("value", json()), j["simulated_time"].value("unit", ""));
  if (j.contains("invariants") && j["invariants"].contains("violations") && j["invariants"]["violations"].is_array())
    add_number(out, "invariants.violations", json(j["invariants"]["violations"].size()), "");
  return out;
}

bool glob_match(const std::string& p, const std::string& s) {
  size_t pi = 0, si = 0, star = std::string::npos, mark = 0;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = si;
    } else if (pi < p.size() && p[pi] == s[si]) {
      ++pi, ++si;
    } else if (star != std::string::npos) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

bool parse_tolerance(const std::string& text, std::optional<double>& percent) {
  if (text == "ignore") {
    percent.reset();
    return true;
  }
  if (text.size() < 2 || text.back() != '%') return false;
  const std::string num = text.substr(0, text.size() - 1);
  try {
    size_t used = 0;
    double v = std::stod(num, &used);
    if (used != num.size() || !std::isfinite(v) || v < 0) return false;
    percent = v;
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

namespace {

std::string read_file(const fs::path& p) {
  std::string reason;
  auto text = read_whole_file(p.string(), reason);
  if (!text) throw BadInput{"cannot read " + p.string() + ": " + reason};
  return *text;
}

std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, any = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') field += '"', ++i;
      else if (c == '"') quoted = false;
      else field += c;
    } else if (c == '"') {
      quoted = true, any = true;
    } else if (c == ',') {
      row.push_back(std::move(field)), field.clear(), any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (any || !field.empty()) row.push_back(std::move(field));
      if (!row.empty()) rows.push_back(std::move(row));
      row.clear(), field.clear(), any = false;
    } else {
      field += c, any = true;
    }
  }
  if (any || !field.empty()) row.push_back(std::move(field));
  if (!row.empty()) rows.push_back(std::move(row));
  return rows;
}

// One side of the comparison: a single report, or sweep rows keyed by their axis values.
struct Side {
  bool sweep = false;
  std::map<std::string, DiffValues> rows;  // "" for a report
  std::vector<std::string> row_order;
  json scenario;  // a report's resolved scenario, for notes
  std::string what;
};

Side load_sweep_csv(const fs::path& p) {
  Side side;
  side.sweep = true;
  side.what = p.string();
  const auto rows = parse_csv(read_file(p));
  if (rows.empty() || rows[0].empty() || rows[0][0] != "point")
    throw BadInput{p.string() + ": not a sweep.csv (the first column is not 'point')"};
  const auto& header = rows[0];
  auto st = std::find(header.begin(), header.end(), "status");
  if (st == header.end()) throw BadInput{p.string() + ": not a sweep.csv (no 'status' column)"};
  const size_t status_col = st - header.begin();
  std::vector<std::pair<std::string, std::string>> metrics(header.size());  // name, unit
  for (size_t c = status_col + 1; c < header.size(); ++c) {
    const std::string& h = header[c];
    auto open = h.rfind(" [");
    if (open != std::string::npos && h.back() == ']') metrics[c] = {h.substr(0, open), h.substr(open + 2, h.size() - open - 3)};
    else metrics[c] = {h, ""};
  }
  for (size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    if (row.size() != header.size())
      throw BadInput{fmt::format("{}: row {} has {} fields, the header {}", p.string(), r + 1, row.size(), header.size())};
    std::string key;
    for (size_t c = 1; c < status_col; ++c) key += (key.empty() ? "" : " ") + header[c] + "=" + row[c];
    if (key.empty()) key = "point " + row[0];
    DiffValues v;
    v["status"] = {NAN, row[status_col], ""};
    for (size_t c = status_col + 1; c < header.size(); ++c) {
      if (row[c].empty()) continue;
      DiffValue d{NAN, row[c], metrics[c].second};
      try {
        size_t used = 0;
        d.value = std::stod(row[c], &used);
        if (used != row[c].size()) d.value = NAN;
      } catch (const std::exception&) {
      }
      v[metrics[c].first] = d;
    }
    if (side.rows.count(key)) throw BadInput{p.string() + ": two rows for the point " + key};
    side.rows[key] = std::move(v);
    side.row_order.push_back(key);
  }
  return side;
}

Side load_side(const std::string& arg) {
  fs::path p(arg);
  std::error_code ec;
  if (fs::is_directory(p, ec)) {
    if (fs::exists(p / "sweep.csv")) return load_sweep_csv(p / "sweep.csv");
    if (fs::exists(p / "report.json")) p = p / "report.json";
    else throw BadInput{arg + ": a folder with neither sweep.csv nor report.json"};
  } else if (!fs::exists(p, ec)) {
    throw BadInput{arg + ": no such file"};
  }
  if (p.extension() == ".csv") return load_sweep_csv(p);
  Side side;
  side.what = p.string();
  const std::string text = read_file(p);
  try {
    side.rows[""] = flatten_report(text);
  } catch (const std::invalid_argument& e) {
    throw BadInput{p.string() + ": " + e.what()};
  }
  side.row_order.push_back("");
  try {
    auto j = json::parse(text);
    if (j.contains("scenario")) side.scenario = j["scenario"];
  } catch (const std::exception&) {
  }
  return side;
}

// A report's scenario parameters as key -> JSON text, with a list parameter (an array of
// item objects) spread out as "key[i].field" plus "key" -> "N items", so that a changed list
// names the item and field that changed.
std::map<std::string, std::string> scenario_params(const json& scenario) {
  std::map<std::string, std::string> out;
  auto add = [&](const std::string& key, const json& v, int depth, auto& self) -> void {
    if (!v.is_array() || depth > 8) {
      out[key] = v.dump();
      return;
    }
    out[key] = fmt::format("{} item{}", v.size(), v.size() == 1 ? "" : "s");
    for (size_t i = 0; i < v.size(); ++i) {
      const std::string ikey = fmt::format("{}[{}]", key, i);
      if (!v[i].is_object()) {
        out[ikey] = v[i].dump();
        continue;
      }
      for (const auto& [f, fv] : v[i].items()) self(ikey + "." + f, fv, depth + 1, self);
    }
  };
  const json p = scenario.value("parameters", json::object());
  if (p.is_object())
    for (const auto& [k, v] : p.items()) add(k, v, 0, add);
  return out;
}

struct Tolerance {
  std::string pattern;
  std::optional<double> percent;  // nullopt: ignore
};

// A value as people read it ("9.39 Gbit/s"); `other` is the value it is compared with: when both
// read the same at that precision the exact values are shown instead, so a change stays visible.
std::string show(const DiffValue* v, const DiffValue* other = nullptr) {
  if (!v) return "(absent)";
  if (!std::isfinite(v->value)) return v->text == "null" ? "n/a" : v->text;
  const std::string human = format_si(v->value, v->unit);
  if (other && std::isfinite(other->value) && other->text != v->text && format_si(other->value, other->unit) == human)
    return v->text + (v->unit.empty() || v->unit == "1" ? "" : " " + v->unit);
  return human;
}

}  // namespace

int cmd_diff(const std::vector<std::string>& args, const po::variables_map& vm) {
  if (args.size() != 2) {
    std::cerr << "hostwire diff: expected two inputs A B (report.json files, run folders, sweep folders or sweep.csv "
                 "files)\n";
    return kExitBadInput;
  }
  std::optional<double> default_percent = 0.0;
  if (vm.count("default-tolerance")) {
    const std::string t = vm["default-tolerance"].as<std::string>();
    if (!parse_tolerance(t, default_percent) || !default_percent) {
      std::cerr << "--default-tolerance: '" << t << "': expected a percentage such as 5% or 0.1%\n";
      return kExitBadInput;
    }
  }
  std::vector<Tolerance> tolerances;
  if (vm.count("tolerance"))
    for (const auto& t : vm["tolerance"].as<std::vector<std::string>>()) {
      auto eq = t.rfind('=');
      Tolerance tol;
      if (eq == std::string::npos || eq == 0 || !parse_tolerance(t.substr(eq + 1), tol.percent)) {
        std::cerr << "--tolerance: '" << t << "': expected METRIC=X% (or METRIC=ignore); METRIC may use *\n";
        return kExitBadInput;
      }
      tol.pattern = t.substr(0, eq);
      tolerances.push_back(tol);
    }

  Side a, b;
  try {
    a = load_side(args[0]);
    b = load_side(args[1]);
  } catch (const BadInput& e) {
    std::cerr << "hostwire diff: " << e.message << '\n';
    return kExitBadInput;
  }
  if (a.sweep != b.sweep) {
    std::cerr << "hostwire diff: cannot compare a report with a sweep (" << a.what << ", " << b.what << ")\n";
    return kExitBadInput;
  }

  // Every metric name either side has, for checking --tolerance patterns.
  std::set<std::string> names;
  for (const Side* s : {&a, &b})
    for (const auto& [_, row] : s->rows)
      for (const auto& [name, _v] : row) names.insert(name);
  const std::vector<std::string> name_list(names.begin(), names.end());
  bool bad = false;
  for (const auto& t : tolerances) {
    const bool hit = std::any_of(name_list.begin(), name_list.end(), [&](const std::string& n) { return glob_match(t.pattern, n); });
    if (hit) continue;
    std::string msg = "--tolerance: '" + t.pattern + "': no metric of that name";
    std::string probe = t.pattern;
    probe.erase(std::remove(probe.begin(), probe.end(), '*'), probe.end());
    if (auto n = nearest(probe, name_list)) msg += " (did you mean '" + *n + "'?)";
    std::cerr << msg << '\n';
    bad = true;
  }
  if (bad) return kExitBadInput;

  auto tolerance_of = [&](const std::string& name) -> std::optional<double> {
    for (const auto& t : tolerances)
      if (t.pattern == name) return t.percent;
    for (auto it = tolerances.rbegin(); it != tolerances.rend(); ++it)
      if (glob_match(it->pattern, name)) return it->percent;
    return default_percent;
  };

  struct Line {
    std::string name, va, vb, change, tol;
    bool fail;
  };
  std::vector<Line> lines;
  size_t compared = 0;
  std::vector<std::string> keys = a.row_order;
  for (const auto& k : b.row_order)
    if (!a.rows.count(k)) keys.push_back(k);
  for (const auto& key : keys) {
    const auto ra = a.rows.find(key), rb = b.rows.find(key);
    const std::string prefix = key.empty() ? "" : "[" + key + "] ";
    if (ra == a.rows.end() || rb == b.rows.end()) {
      const bool in_a = ra != a.rows.end();
      lines.push_back({prefix + "(point)", in_a ? "present" : "(absent)", in_a ? "(absent)" : "present", "", "", true});
      continue;
    }
    std::set<std::string> metric_names;
    for (const auto& [n, _] : ra->second) metric_names.insert(n);
    for (const auto& [n, _] : rb->second) metric_names.insert(n);
    for (const auto& name : metric_names) {
      const auto tol = tolerance_of(name);
      if (!tol) continue;  // ignore
      ++compared;
      const auto ia = ra->second.find(name), ib = rb->second.find(name);
      const DiffValue* va = ia == ra->second.end() ? nullptr : &ia->second;
      const DiffValue* vb = ib == rb->second.end() ? nullptr : &ib->second;
      const std::string tol_text = fmt::format("{:g}%", *tol);
      if (!va || !vb) {
        lines.push_back({prefix + name, show(va), show(vb), "", tol_text, true});
        continue;
      }
      if (va->text == vb->text) continue;
      const bool numeric = std::isfinite(va->value) && std::isfinite(vb->value);
      if (!numeric) {
        lines.push_back({prefix + name, show(va), show(vb), "", tol_text, true});
        continue;
      }
      if (va->value == vb->value) continue;  // same number written differently (1 vs 1.0)
      const double delta = vb->value - va->value;
      const double rel = va->value == 0 ? INFINITY : delta / std::fabs(va->value) * 100.0;
      const bool fail = !(std::fabs(delta) <= *tol / 100.0 * std::fabs(va->value));
      lines.push_back({prefix + name, show(va, vb), show(vb, va), std::isfinite(rel) ? fmt::format("{:+.4g}%", rel) : "new",
                       tol_text, fail});
    }
  }

  // Scenario differences (reports only): shown, never a failure by themselves.
  if (!a.sweep && a.scenario.is_object() && b.scenario.is_object()) {
    const auto pa = scenario_params(a.scenario), pb = scenario_params(b.scenario);
    std::set<std::string> keys_ab;
    for (const auto& [k, _] : pa) keys_ab.insert(k);
    for (const auto& [k, _] : pb) keys_ab.insert(k);
    size_t shown = 0;
    for (const auto& k : keys_ab) {
      const std::string x = pa.count(k) ? pa.at(k) : "(absent)", y = pb.count(k) ? pb.at(k) : "(absent)";
      if (x == y) continue;
      if (shown++ < 20) std::cout << "note: scenario parameter " << k << ": " << x << " -> " << y << '\n';
    }
    if (shown > 20) std::cout << "note: ... and " << shown - 20 << " more scenario parameters differ\n";
  }

  size_t failed = 0;
  if (!lines.empty()) {
    size_t w0 = 6, w1 = 1, w2 = 1, w3 = 6;
    for (const auto& l : lines)
      w0 = std::max(w0, l.name.size()), w1 = std::max(w1, l.va.size()), w2 = std::max(w2, l.vb.size()),
      w3 = std::max(w3, l.change.size());
    std::cout << fmt::format("{:<{}}  {:>{}}  {:>{}}  {:>{}}  {:>9}  {}\n", "metric", w0, "A", w1, "B", w2, "change", w3,
                             "tolerance", "");
    for (const auto& l : lines) {
      failed += l.fail;
      std::cout << fmt::format("{:<{}}  {:>{}}  {:>{}}  {:>{}}  {:>9}  {}\n", l.name, w0, l.va, w1, l.vb, w2, l.change, w3,
                               l.tol, l.fail ? "FAIL" : "ok");
    }
  }
  std::cout << fmt::format("{} values compared, {} moved, {} past tolerance ({} vs {})\n", compared, lines.size(), failed,
                           a.what, b.what);
  return failed ? kExitSimFailure : kExitOk;
}

}  // namespace hostwire::cli
