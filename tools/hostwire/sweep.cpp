#include "tools/hostwire/sweep.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/file.h"
#include "core/sweep_grid.h"
#include "platforms/catalog.h"
#include "core/si.h"
#include "tools/report/charts.h"
#include "tools/hostwire/commands.h"
#include "tools/hostwire/slurm.h"

extern char** environ;

namespace hostwire::cli {

namespace po = boost::program_options;
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

std::vector<std::string> grid_option(const po::variables_map& vm) {
  return vm.count("grid") ? vm["grid"].as<std::vector<std::string>>() : std::vector<std::string>{};
}

std::optional<size_t> point_option(const po::variables_map& vm) {
  if (!vm.count("point")) return std::nullopt;
  return vm["point"].as<size_t>();
}

namespace {

std::vector<InputError> set_on_axis_errors(const Scenario& s, const std::vector<std::string>& overrides) {
  std::vector<InputError> errors;
  for (const auto& o : overrides) {
    const std::string key = o.substr(0, o.find('='));
    for (const auto& a : s.sweep)
      if (a.key == key)
        errors.push_back({"--set", key,
                          "is a sweep axis, which sets it at every point; pin one value with --grid " + key + "=VALUE"});
  }
  return errors;
}

}  // namespace

LoadResult load_with_grid(const std::string& path, const Catalog& catalog, LoadOptions& opts,
                          const std::vector<std::string>& grid, std::optional<size_t> point) {
  LoadResult r = load_scenario_file(path, catalog, opts);
  if (!r.scenario) return r;
  if (!grid.empty()) {
    auto errors = apply_grid(*r.scenario, grid);
    if (!errors.empty()) return {std::nullopt, std::move(errors)};
  }
  if (!point) return r;
  const size_t n = point_count(*r.scenario);
  if (n == 0)
    return {std::nullopt,
            {{"--point", "", "the scenario has no sweep; add a 'sweep:' section or give --grid key=v1,v2,..."}}};
  if (*point >= n)
    return {std::nullopt,
            {{"--point", "",
              fmt::format("point {} is out of range: the sweep has {} point{} (0..{})", *point, n, n == 1 ? "" : "s", n - 1)}}};
  if (auto errors = set_on_axis_errors(*r.scenario, opts.overrides); !errors.empty()) return {std::nullopt, errors};
  const std::vector<SweepAxis> axes = r.scenario->sweep;
  for (auto& o : point_overrides(*r.scenario, *point)) opts.overrides.push_back(std::move(o));
  LoadResult p = load_scenario_file(path, catalog, opts);
  if (p.scenario) {
    p.scenario->sweep = axes;
  } else {
    // The point's values arrive as overrides, so the loader blames "--set"; name the point.
    for (auto& e : p.errors)
      if (e.location == "--set" &&
          std::any_of(axes.begin(), axes.end(), [&](const SweepAxis& a) { return a.key == e.key; }))
        e.location = fmt::format("--point {}", *point);
  }
  return p;
}

namespace {

// ---------------------------------------------------------------------------------------------
// Small helpers

// The text report.json's parameters give `key`: a plain key, or one field of one list item,
// LIST[i].FIELD, found in the list's array of item objects. nullopt when absent.
std::optional<std::string> report_param(const json& params, const std::string& key) {
  if (params.contains(key)) return params.at(key).get<std::string>();
  const auto k = split_item_key(key);
  if (!k || !params.contains(k->list)) return std::nullopt;
  const json& list = params.at(k->list);
  if (!list.is_array() || k->index >= list.size() || !list[k->index].is_object()) return std::nullopt;
  return report_param(list[k->index], k->field);
}

std::optional<json> read_json(const fs::path& p, std::string* error = nullptr) {
  std::string reason;
  const auto text = read_whole_file(p.string(), reason);
  if (!text) {
    if (error) *error = "cannot read " + p.string() + ": " + reason;
    return std::nullopt;
  }
  try {
    return json::parse(*text);
  } catch (const std::exception& e) {
    if (error) *error = p.string() + ": not valid JSON: " + e.what();
    return std::nullopt;
  }
}

bool write_text(const fs::path& p, const std::string& text) {
  const fs::path tmp = p.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return false;
    out << text;
    if (!out) return false;
  }
  std::error_code ec;
  fs::rename(tmp, p, ec);
  return !ec;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string fnv1a(const std::string& data) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : data) h = (h ^ c) * 1099511628211ull;
  return fmt::format("{:016x}", h);
}

// The last lines of a tool's stderr, without the SystemC banner noise, capped in size.
std::string stderr_tail(const std::string& text, size_t max_lines = 20, size_t max_chars = 4000) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l.find_first_not_of(" \t\r") != std::string::npos) lines.push_back(l);
  size_t from = lines.size() > max_lines ? lines.size() - max_lines : 0;
  std::string out;
  for (size_t i = from; i < lines.size(); ++i) out += (out.empty() ? "" : "\n") + lines[i];
  if (out.size() > max_chars) out = "..." + out.substr(out.size() - max_chars);
  return out;
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}


std::string num_text(const json& v) { return v.is_number() ? v.dump() : std::string(); }

// ---------------------------------------------------------------------------------------------
// The manifest and the state of each point

struct Manifest {
  json doc;  // DIR/sweep.json
  std::vector<std::string> axis_keys;
  std::vector<std::vector<std::string>> axis_values;
  struct Point {
    size_t index;
    std::vector<std::pair<std::string, std::string>> values;
  };
  std::vector<Point> points;
};

json build_manifest(const std::string& path, const Scenario& s, const po::variables_map& vm) {
  auto strings = [&](const char* name) {
    json a = json::array();
    if (vm.count(name))
      for (const auto& x : vm[name].as<std::vector<std::string>>()) a.push_back(x);
    return a;
  };
  json m;
  m["hostwire_sweep"] = 1;
  m["scenario"] = path;
  m["scenario_absolute"] = fs::absolute(path).lexically_normal().string();
  m["scenario_fnv1a"] = fnv1a(read_text(path));
  m["set"] = strings("set");
  m["seed"] = vm.count("seed") ? json(vm["seed"].as<uint64_t>()) : json(nullptr);
  m["grid"] = strings("grid");
  m["log"] = strings("log");
  m["pcap"] = strings("pcap");
  json axes = json::array();
  for (const auto& a : s.sweep) axes.push_back({{"key", a.key}, {"values", a.values}});
  m["axes"] = axes;
  json points = json::array();
  const size_t n = point_count(s);
  for (size_t k = 0; k < n; ++k) {
    json values = json::object();
    for (const auto& [key, v] : point_values(s, k)) values[key] = v;
    points.push_back({{"point", k}, {"values", values}, {"overrides", point_overrides(s, k)}});
  }
  m["points"] = points;
  return m;
}

std::optional<Manifest> parse_manifest(const json& doc, std::string& error) {
  Manifest m;
  m.doc = doc;
  try {
    for (const auto& a : doc.at("axes")) {
      m.axis_keys.push_back(a.at("key").get<std::string>());
      m.axis_values.push_back(a.at("values").get<std::vector<std::string>>());
    }
    for (const auto& p : doc.at("points")) {
      Manifest::Point pt{p.at("point").get<size_t>(), {}};
      for (const auto& key : m.axis_keys) pt.values.emplace_back(key, p.at("values").at(key).get<std::string>());
      m.points.push_back(std::move(pt));
    }
    doc.at("scenario").get<std::string>();
  } catch (const std::exception& e) {
    error = std::string("not a sweep manifest: ") + e.what();
    return std::nullopt;
  }
  return m;
}

fs::path point_dir(const fs::path& dir, size_t k) { return dir / "points" / std::to_string(k); }

struct PointState {
  std::string status;  // ok, failed, missing
  std::string error;
  json report;  // when status is ok
};

// What is on disk for point `p`: ok when report.json exists, parses, is the report of this
// point's values, breaks no invariant, and status.json (if any) does not record a failure.
PointState classify(const fs::path& dir, const Manifest::Point& p) {
  const fs::path pd = point_dir(dir, p.index);
  std::optional<json> status;
  if (fs::exists(pd / "status.json")) status = read_json(pd / "status.json");
  std::string status_error;
  if (status && status->value("status", "") != "ok") {
    status_error = status->value("error", "");
    // A Slurm task's status.json (written by the sbatch script) has no error text: the tail of
    // the point's stderr is it, as a local sweep would have recorded.
    if (status_error.empty()) status_error = stderr_tail(read_text(pd / "stderr.txt"));
    if (status_error.empty()) {
      const json code = status->value("exit_code", json());
      status_error = (code.is_number() ? "exit status " + code.dump() + ", " : std::string()) + "failed (see " +
                     (pd / "stderr.txt").string() + ")";
    }
  }
  if (!fs::exists(pd / "report.json")) {
    if (!status_error.empty()) return {"failed", status_error, {}};
    return {"missing", "no " + (pd / "report.json").string(), {}};
  }
  std::string err;
  auto report = read_json(pd / "report.json", &err);
  if (!report) return {"failed", err, {}};
  if (!status_error.empty()) return {"failed", status_error, {}};
  try {
    const json& params = report->at("scenario").at("parameters");
    for (const auto& [key, value] : p.values) {
      const std::string got = report_param(params, key).value_or("(absent)");
      if (got != value)
        return {"failed", fmt::format("report.json is not this point's: {} is {} there, {} expected", key, got, value), {}};
    }
    const json& v = report->at("invariants").at("violations");
    if (!v.empty()) {
      std::string msg = "invariants violated:";
      for (const auto& x : v) msg += " " + (x.is_string() ? x.get<std::string>() : x.dump()) + ";";
      return {"failed", msg, {}};
    }
  } catch (const std::exception& e) {
    return {"failed", (pd / "report.json").string() + ": unexpected layout: " + e.what(), {}};
  }
  return {"ok", "", std::move(*report)};
}

// ---------------------------------------------------------------------------------------------
// Headline metrics

struct Headline {
  std::string name;  // metric name, with ".p50"/".p99" for latency quantiles
  std::string unit;
  std::string column() const { return name + " [" + unit + "]"; }
};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string last_component(const std::string& name) {
  auto dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

// The rule (docs/sweeps_notes.md): a scalar metric whose last name component ends in
// "throughput", "rx_frame_rate" or "utilisation"; a histogram whose last component ends in
// "latency" gives two columns, its p50 and p99. Values are the report's, in base units.
std::vector<std::pair<Headline, json>> headline_metrics(const json& report) {
  std::vector<std::pair<Headline, json>> out;
  if (!report.contains("metrics") || !report["metrics"].is_object()) return out;
  for (const auto& [name, m] : report["metrics"].items()) {
    if (!m.is_object()) continue;
    const std::string last = last_component(name);
    const std::string unit = m.value("unit", "");
    if (m.contains("value") &&
        (ends_with(last, "throughput") || ends_with(last, "rx_frame_rate") || ends_with(last, "utilisation"))) {
      out.push_back({{name, unit}, m["value"]});
    } else if (m.contains("p50") && ends_with(last, "latency")) {
      // An empty histogram has no quantiles (null, or 0 from older reports): missing, not 0.
      const bool empty = m.value("count", json()) == 0;
      out.push_back({{name + ".p50", unit}, empty ? json() : m["p50"]});
      if (m.contains("p99")) out.push_back({{name + ".p99", unit}, empty ? json() : m["p99"]});
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// sweep.csv and sweep.html

struct Table {
  std::vector<Headline> columns;                  // sorted by name
  std::vector<std::map<std::string, json>> cells;  // per point: column() -> value
};

Table gather(const Manifest& m, const std::vector<PointState>& states) {
  Table t;
  std::map<std::string, Headline> cols;
  t.cells.resize(states.size());
  for (size_t i = 0; i < states.size(); ++i) {
    if (states[i].status != "ok") continue;
    for (auto& [h, v] : headline_metrics(states[i].report)) {
      cols.emplace(h.column(), h);
      t.cells[i][h.column()] = v;
    }
  }
  // The workloads' own metrics (rx_throughput, latency, response rate) before component counters.
  for (bool workload : {true, false})
    for (auto& [_, h] : cols)
      if ((h.name.rfind("workloads.", 0) == 0) == workload) t.columns.push_back(h);
  return t;
}

std::string render_csv(const Manifest& m, const std::vector<PointState>& states, const Table& t) {
  std::string out = "point";
  for (const auto& k : m.axis_keys) out += "," + csv_field(k);
  out += ",status";
  for (const auto& c : t.columns) out += "," + csv_field(c.column());
  out += "\n";
  for (size_t i = 0; i < m.points.size(); ++i) {
    out += std::to_string(m.points[i].index);
    for (const auto& [_, v] : m.points[i].values) out += "," + csv_field(v);
    out += "," + states[i].status;
    for (const auto& c : t.columns) {
      auto it = t.cells[i].find(c.column());
      out += "," + (it == t.cells[i].end() ? std::string() : num_text(it->second));
    }
    out += "\n";
  }
  return out;
}

double to_double(const json& v) { return v.is_number() ? v.get<double>() : NAN; }

// A fraction named *utilisation reads in percent.
bool in_percent(const Headline& h) { return h.unit == "1" && ends_with(last_component(h.name), "utilisation"); }

// The y axis in words: "workloads.rx.rx_throughput" -> "rx throughput", "...latency.p99" ->
// "latency p99".
std::string quantity_words(const std::string& name) {
  std::string last = last_component(name);
  if (last == "p50" || last == "p99") {
    const std::string base = name.substr(0, name.size() - last.size() - 1);
    last = last_component(base) + " " + last;
  }
  std::replace(last.begin(), last.end(), '_', ' ');
  return last;
}

bool all_numbers(const std::vector<std::string>& values) {
  for (const auto& v : values) {
    char* end = nullptr;
    std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0') return false;
  }
  return !values.empty();
}

std::string render_html(const Manifest& m, const std::vector<PointState>& states, const Table& t) {
  const std::string scenario = m.doc.value("scenario", "");
  std::string s = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\"" +
                  html::content_security_policy() + "\">\n<title>hostwire sweep: " + html::escape(scenario) +
                  "</title>\n<style>body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1000px;padding:16px 24px;"
                  "color:#1d2430}table{border-collapse:collapse;margin:0.5em 0 1.5em;font-size:13px}"
                  "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right;font-variant-numeric:tabular-nums}"
                  "th{background:#f4f4f4}td.l,th.l{text-align:left}.failed{color:#b00}.missing{color:#a60}"
                  "td.na{color:#777}caption{text-align:left;font-weight:600;padding:4px 0}\n" +
                  html::chart_css() + "</style></head><body>\n";
  size_t ok = 0;
  for (const auto& st : states) ok += st.status == "ok";
  s += "<h1>Sweep of " + html::escape(scenario) + "</h1>\n";
  s += fmt::format("<p>{} points: {} ok, {} not ok.", states.size(), ok, states.size() - ok);
  for (const char* flag : {"set", "grid"})
    if (m.doc.contains(flag) && !m.doc[flag].empty()) {
      s += std::string(" --") + flag + ":";
      for (const auto& x : m.doc[flag]) s += " <code>" + html::escape(x.get<std::string>()) + "</code>";
    }
  s += " Values of points that are not ok are shown as n/a. Drag across a plot to zoom, double-click to reset.</p>\n";
  s += "<details><summary>Points</summary>\n<table><tr><th>point</th>";
  for (const auto& k : m.axis_keys) s += "<th class=\"l\">" + html::escape(k) + "</th>";
  s += "<th class=\"l\">status</th></tr>\n";
  for (size_t i = 0; i < m.points.size(); ++i) {
    s += fmt::format("<tr><td>{}</td>", m.points[i].index);
    for (const auto& [_, v] : m.points[i].values) s += "<td class=\"l\">" + html::escape(v) + "</td>";
    s += "<td class=\"l " + states[i].status + "\">" + html::escape(states[i].status) +
         (states[i].error.empty() ? "" : ": " + html::escape(first_line(states[i].error))) + "</td></tr>\n";
  }
  s += "</table></details>\n";

  // Metric against the first axis, one line per combination of the other axes; with exactly two
  // axes also a heatmap of the grid.
  const size_t n0 = m.axis_values.empty() ? 1 : m.axis_values[0].size();
  const size_t rest = n0 == 0 ? 0 : m.points.size() / n0;
  std::vector<std::string> line_labels(rest);
  for (size_t r = 0; r < rest; ++r) {
    std::string label;
    for (size_t a = 1; a < m.points[r].values.size(); ++a)
      label += (label.empty() ? "" : " ") + m.points[r].values[a].first + "=" + m.points[r].values[a].second;
    line_labels[r] = label.empty() ? "all" : label;
  }
  const std::string x_name = m.axis_keys.empty() ? "point" : m.axis_keys[0];
  const std::vector<std::string> x_labels =
      m.axis_values.empty() ? std::vector<std::string>{"0"} : m.axis_values[0];
  const bool numeric_x = all_numbers(x_labels);
  for (const auto& c : t.columns) {
    const bool percent = in_percent(c);
    std::vector<std::vector<double>> lines;
    double peak = 0;
    for (size_t r = 0; r < rest; ++r) {
      std::vector<double> ys(n0, NAN);
      for (size_t i = 0; i < n0; ++i) {
        const size_t k = i * rest + r;
        if (k >= m.points.size()) continue;
        auto it = t.cells[k].find(c.column());
        if (it != t.cells[k].end()) ys[i] = to_double(it->second) * (percent ? 100 : 1);
        if (std::isfinite(ys[i])) peak = std::max(peak, std::abs(ys[i]));
      }
      lines.push_back(std::move(ys));
    }
    const std::string unit = percent ? "%" : c.unit;
    const html::AxisScale scale = percent ? html::AxisScale{1, "%"} : html::axis_scale(peak, unit);
    html::Chart chart;
    chart.title = c.name;
    chart.x_title = x_name;
    chart.y_title = html::axis_title(quantity_words(c.name), scale.unit);
    chart.series = line_labels;
    for (size_t i = 0; i < n0; ++i) chart.x.push_back(numeric_x ? std::strtod(x_labels[i].c_str(), nullptr) : double(i));
    if (!numeric_x) chart.x_categories = x_labels;
    for (const auto& ys : lines) {
      auto& y = chart.y.emplace_back();
      for (double v : ys) y.push_back(v / scale.factor);
    }
    chart.points = true;
    s += "<h2>" + html::escape(c.name) + "</h2>\n" + html::chart(chart);
    if (m.axis_keys.size() == 2) {
      html::Heatmap h;
      h.title = c.name + " over " + m.axis_keys[0] + " and " + m.axis_keys[1];
      h.x_name = m.axis_keys[0];
      h.y_name = m.axis_keys[1];
      h.unit = unit;
      h.x_values = x_labels;
      h.y_values = m.axis_values[1];
      h.cells.assign(rest, {});
      for (size_t r = 0; r < rest; ++r) h.cells[r] = lines[r];
      s += html::heatmap(h);
    } else {
      s += "<table><tr><th class=\"l\"></th>";
      for (const auto& x : x_labels) s += "<th>" + html::escape(x_name + "=" + x) + "</th>";
      s += "</tr>\n";
      for (size_t r = 0; r < rest; ++r) {
        s += "<tr><th class=\"l\">" + html::escape(line_labels[r]) + "</th>";
        for (double y : lines[r])
          s += std::isfinite(y) ? "<td>" + html::escape(format_si(y, unit)) + "</td>" : "<td class=\"na\">n/a</td>";
        s += "</tr>\n";
      }
      s += "</table>\n";
    }
  }
  return s + html::chart_scripts() + "</body></html>\n";
}

// The command that runs point k (also printed for missing points).
// The sweep's own flags, as each point's command repeats them.
std::vector<std::string> sweep_flags(const Manifest& m) {
  std::vector<std::string> flags;
  for (const char* flag : {"grid", "set", "log", "pcap"})
    if (m.doc.contains(flag))
      for (const auto& x : m.doc[flag]) flags.insert(flags.end(), {std::string("--") + flag, x.get<std::string>()});
  if (m.doc.contains("seed") && !m.doc["seed"].is_null())
    flags.insert(flags.end(), {"--seed", std::to_string(m.doc["seed"].get<uint64_t>())});
  return flags;
}

std::vector<std::string> point_command(const std::string& exe, const Manifest& m, const fs::path& dir, size_t k) {
  std::vector<std::string> cmd = {exe, "run", m.doc.value("scenario", ""), "--point", std::to_string(k), "--out",
                                  point_dir(dir, k).string()};
  for (auto& f : sweep_flags(m)) cmd.push_back(std::move(f));
  return cmd;
}

std::string shell_join(const std::vector<std::string>& cmd) {
  std::string out;
  for (const auto& a : cmd) {
    bool plain = !a.empty() && a.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                                   "_-./=,:+%@") == std::string::npos;
    std::string q = a;
    if (!plain) {
      q = "'";
      for (char c : a) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
      q += "'";
    }
    out += (out.empty() ? "" : " ") + q;
  }
  return out;
}

// Writes sweep.csv and sweep.html from what is on disk; prints the not-ok points. Returns the
// number of points that are not ok, or -1 when the outputs cannot be written.
// `notes`, when given, adds lines (printed indented) under each point that is not ok.
using PointNotes = std::function<std::vector<std::string>(size_t k, const PointState& st)>;
long write_outputs(const fs::path& dir, const Manifest& m, const std::string& exe, bool print_missing_commands,
                   const PointNotes& notes = nullptr) {
  std::vector<PointState> states;
  for (const auto& p : m.points) states.push_back(classify(dir, p));
  const Table t = gather(m, states);
  bool ok = write_text(dir / "sweep.csv", render_csv(m, states, t));
  ok = write_text(dir / "sweep.html", render_html(m, states, t)) && ok;
  if (!ok) {
    std::cerr << "hostwire sweep: cannot write " << (dir / "sweep.csv").string() << " / sweep.html\n";
    return -1;
  }
  long bad = 0;
  size_t n_ok = 0, n_failed = 0, n_missing = 0;
  for (size_t i = 0; i < states.size(); ++i) {
    const auto& st = states[i];
    if (st.status == "ok") {
      ++n_ok;
      continue;
    }
    ++bad;
    (st.status == "missing" ? n_missing : n_failed)++;
    std::string label;
    for (const auto& [k, v] : m.points[i].values) label += (label.empty() ? "" : " ") + k + "=" + v;
    std::cerr << st.status << ": point " << m.points[i].index << " (" << label << "): " << first_line(st.error) << '\n';
    if (notes)
      for (const auto& line : notes(m.points[i].index, st)) std::cerr << "  " << line << '\n';
    if (st.status == "missing" && print_missing_commands)
      std::cerr << "  to run it: " << shell_join(point_command(exe, m, dir, m.points[i].index)) << '\n';
  }
  std::cout << fmt::format("{} points: {} ok, {} failed, {} missing; wrote {} and {}\n", states.size(), n_ok, n_failed,
                           n_missing, (dir / "sweep.csv").string(), (dir / "sweep.html").string());
  return bad;
}

std::string self_exe() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("/proc/self/exe") : p.string();
}

// ---------------------------------------------------------------------------------------------
// Slurm: DIR/slurm.json records every submission; Slurm is asked about their tasks.

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

struct SlurmRecord {
  fs::path dir;
  json doc = {{"submissions", json::array()}};
  struct Submission {
    std::string job_id, array;
    std::set<size_t> points;
  };
  std::vector<Submission> subs;
  bool queried = false;
  std::map<std::pair<std::string, size_t>, slurm::TaskState> states;
  std::string note;  // why Slurm could not be asked

  // False (with `error`) when DIR/slurm.json exists but is unreadable.
  bool load(const fs::path& d, std::string& error) {
    dir = d;
    if (!fs::exists(dir / "slurm.json")) return true;
    auto j = read_json(dir / "slurm.json", &error);
    if (!j) return false;
    try {
      for (const auto& x : j->at("submissions")) {
        Submission sub{x.at("job_id").get<std::string>(), x.at("array").get<std::string>(), {}};
        for (const auto& k : x.at("points")) sub.points.insert(k.get<size_t>());
        subs.push_back(std::move(sub));
      }
    } catch (const std::exception& e) {
      error = (dir / "slurm.json").string() + ": unexpected layout: " + e.what();
      return false;
    }
    doc = std::move(*j);
    return true;
  }

  const Submission* latest(size_t k) const {
    for (auto it = subs.rbegin(); it != subs.rend(); ++it)
      if (it->points.count(k)) return &*it;
    return nullptr;
  }

  void ask() {
    if (queried || subs.empty()) return;
    queried = true;
    std::vector<std::string> ids;
    for (const auto& sub : subs) ids.push_back(sub.job_id);
    states = slurm::query(ids, note);
  }

  // Points some submission's task is still pending or running for.
  std::set<size_t> active() {
    ask();
    std::set<size_t> out;
    for (const auto& [key, st] : states)
      if (slurm::is_active(st.state)) out.insert(key.second);
    return out;
  }

  std::string log_path(const Submission& sub, size_t k) const {
    return (point_dir(dir, k) / slurm::log_name(sub.job_id, k)).string();
  }

  // The lines --collect prints under a point that is not ok.
  std::vector<std::string> lines(size_t k, const PointState& st) {
    const Submission* sub = latest(k);
    if (!sub) return {"slurm: not submitted"};
    ask();
    const std::string task = sub->job_id + "_" + std::to_string(k);
    const std::string log = log_path(*sub, k);
    std::string state;
    auto it = states.find({sub->job_id, k});
    if (it != states.end()) {
      state = it->second.state + (it->second.reason.empty() ? "" : " (" + it->second.reason + ")");
    } else {
      // Neither squeue nor sacct knows the task (accounting off, and it ended more than
      // MinJobAge ago): what it left on disk tells.
      const fs::path pd = point_dir(dir, k);
      std::optional<json> status;
      if (fs::exists(pd / "status.json")) status = read_json(pd / "status.json");
      if (status)
        state = fmt::format("ended (status.json: {}, exit status {})", status->value("status", "?"),
                            status->value("exit_code", json()).dump());
      else if (fs::exists(log))
        state = "ended without writing status.json (killed: time or memory limit, cancelled, node failure?)";
      else
        state = "unknown: no longer known to Slurm and it left no log (never started, or cancelled while pending)";
      if (!note.empty()) state += "; " + note;
    }
    (void)st;
    return {fmt::format("slurm: job {} {}; log {}", task, state, log)};
  }

  bool save(const std::string& job_id, const std::string& array, const std::vector<size_t>& points,
            const po::variables_map& vm) {
    json x;
    x["job_id"] = job_id;
    x["array"] = array;
    x["points"] = points;
    x["submitted_utc"] = utc_now();
    for (const char* o : {"partition", "time", "mem"})
      if (vm.count(o)) x[o] = vm[o].as<std::string>();
    if (vm.count("max-parallel")) x["max_parallel"] = vm["max-parallel"].as<unsigned>();
    doc["submissions"].push_back(x);
    subs.push_back({job_id, array, std::set<size_t>(points.begin(), points.end())});
    return write_text(dir / "slurm.json", doc.dump(2) + "\n");
  }

  // The command that resubmits what is missing, with the last submission's options.
  std::string resubmit_command(const std::string& exe, const Manifest& m) const {
    std::vector<std::string> cmd = {exe, "sweep", m.doc.value("scenario", "")};
    for (auto& f : sweep_flags(m)) cmd.push_back(std::move(f));
    cmd.insert(cmd.end(), {"--out", dir.string(), "--slurm", "--submit"});
    if (!doc["submissions"].empty()) {
      const json& last = doc["submissions"].back();
      for (const char* o : {"partition", "time", "mem"})
        if (last.contains(o)) cmd.insert(cmd.end(), {std::string("--") + o, last[o].get<std::string>()});
      if (last.contains("max_parallel")) cmd.insert(cmd.end(), {"--max-parallel", last["max_parallel"].dump()});
    }
    return shell_join(cmd);
  }
};

int collect(const std::string& dir_text) {
  const fs::path dir(dir_text);
  std::string err;
  auto doc = read_json(dir / "sweep.json", &err);
  if (!doc) {
    std::cerr << "hostwire sweep --collect: " << err << " (a sweep folder holds sweep.json)\n";
    return kExitBadInput;
  }
  auto m = parse_manifest(*doc, err);
  if (!m) {
    std::cerr << "hostwire sweep --collect: " << (dir / "sweep.json").string() << ": " << err << '\n';
    return kExitBadInput;
  }
  SlurmRecord record;
  if (!record.load(dir, err)) {
    std::cerr << "hostwire sweep --collect: " << err << '\n';
    return kExitBadInput;
  }
  PointNotes notes;
  if (!record.subs.empty()) notes = [&](size_t k, const PointState& st) { return record.lines(k, st); };
  const std::string exe = self_exe();
  const long bad = write_outputs(dir, *m, exe, record.subs.empty(), notes);
  if (bad < 0) return kExitBadInput;
  if (bad > 0 && !record.subs.empty()) {
    const auto active = record.active();
    size_t not_active = 0;
    for (const auto& p : m->points)
      if (!active.count(p.index) && classify(dir, p).status != "ok") ++not_active;
    if (!active.empty())
      std::cerr << active.size() << " point" << (active.size() == 1 ? " is" : "s are")
                << " still pending or running in Slurm; collect again when they end\n";
    if (not_active > 0)
      std::cerr << "to resubmit the " << not_active << " missing or failed point" << (not_active == 1 ? "" : "s")
                << ": " << record.resubmit_command(exe, *m) << '\n';
  }
  return bad == 0 ? kExitOk : kExitSimFailure;
}

std::string job_name(const std::string& scenario) {
  std::string name = "hostwire-" + fs::path(scenario).stem().string();
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  return name;
}

// `hostwire sweep SCENARIO --slurm [--submit]`: writes DIR/sweep.sbatch for the points that
// are not ok (and not still queued from an earlier submission) and submits it.
int slurm_sweep(const std::string& path, const fs::path& dir, const Manifest& m, const po::variables_map& vm) {
  const bool submit = vm.count("submit") > 0;
  SlurmRecord record;
  std::string err;
  if (!record.load(dir, err)) {
    std::cerr << "hostwire sweep: " << err << "; delete it or choose another --out\n";
    return kExitBadInput;
  }
  std::vector<size_t> not_ok;
  for (const auto& p : m.points)
    if (classify(dir, p).status != "ok") not_ok.push_back(p.index);
  std::set<size_t> active;
  if (!not_ok.empty() && !record.subs.empty()) {
    active = record.active();
    if (!record.note.empty()) {
      if (submit) {
        std::cerr << "hostwire sweep: cannot ask Slurm which points of the earlier submissions are still queued ("
                  << record.note << "); not submitting, so that no point runs twice\n";
        return kExitSimFailure;
      }
      std::cerr << "hostwire sweep: warning: cannot ask Slurm which points are still queued: " << record.note << '\n';
    }
  }
  std::vector<size_t> todo;
  for (size_t k : not_ok)
    if (!active.count(k)) todo.push_back(k);
  const size_t n = m.points.size();
  std::cout << fmt::format("sweep of {}: {} points, {} ok, {} pending or running in Slurm, {} to {}; folder {}\n", path, n,
                           n - not_ok.size(), not_ok.size() - todo.size(), todo.size(), submit ? "submit" : "run",
                           dir.string());
  if (todo.empty()) {
    std::cout << (not_ok.empty() ? "every point is ok; nothing to submit (hostwire sweep --collect " + dir.string() +
                                       " writes sweep.csv)\n"
                                 : "nothing to submit: the remaining points are still queued; collect when they end\n");
    return kExitOk;
  }

  std::optional<unsigned> max_parallel;
  if (vm.count("max-parallel")) max_parallel = vm["max-parallel"].as<unsigned>();
  slurm::ScriptSpec spec;
  spec.scenario = m.doc.value("scenario", "");
  spec.job_name = job_name(spec.scenario);
  spec.array = slurm::array_spec(todo, max_parallel);
  spec.cwd = fs::current_path().string();
  spec.dir = dir.string();
  spec.dir_absolute = fs::absolute(dir).lexically_normal().string();
  while (spec.dir_absolute.size() > 1 && spec.dir_absolute.back() == '/') spec.dir_absolute.pop_back();
  spec.run = {self_exe(), "run", spec.scenario};
  spec.flags = sweep_flags(m);
  for (const char* o : {"partition", "time", "mem"})
    if (vm.count(o)) (std::string(o) == "partition" ? spec.partition : std::string(o) == "time" ? spec.time : spec.mem) =
                         vm[o].as<std::string>();
  spec.points = n;

  // Slurm opens each task's log in DIR/points/K before the task starts: the folders must exist.
  std::error_code ec;
  for (size_t k : todo) {
    fs::create_directories(point_dir(dir, k), ec);
    if (ec) {
      std::cerr << "--out: cannot create " << point_dir(dir, k).string() << ": " << ec.message() << '\n';
      return kExitBadInput;
    }
  }
  const fs::path script = dir / "sweep.sbatch";
  if (!write_text(script, slurm::render_script(spec))) {
    std::cerr << "hostwire sweep: cannot write " << script.string() << '\n';
    return kExitBadInput;
  }
  fs::permissions(script, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::add, ec);
  std::cout << fmt::format("wrote {}: array {} ({} of {} points)\n", script.string(), spec.array, todo.size(), n);
  if (!submit) {
    std::cout << "submit it with: sbatch " << shell_join({script.string()})
              << " (or add --submit); collect with: hostwire sweep --collect " << shell_join({dir.string()}) << '\n';
    return kExitOk;
  }

  std::string out, serr, error;
  const int rc = slurm::capture({"sbatch", "--parsable", fs::absolute(script).string()}, out, serr, error);
  if (rc != 0) {
    std::cerr << "hostwire sweep: sbatch failed: "
              << (rc < 0 ? error + " (is this a Slurm login node?)" : stderr_tail(serr.empty() ? out : serr)) << '\n'
              << "the script is " << script.string() << "; nothing was submitted\n";
    return kExitSimFailure;
  }
  std::string job_id = first_line(out);
  job_id = job_id.substr(0, job_id.find(';'));  // "ID;cluster" on multi-cluster sites
  while (!job_id.empty() && std::isspace(static_cast<unsigned char>(job_id.back()))) job_id.pop_back();
  if (job_id.empty() || job_id.find_first_not_of("0123456789") != std::string::npos) {
    std::cerr << "hostwire sweep: sbatch printed no job id (got '" << first_line(out) << "')\n";
    return kExitSimFailure;
  }
  if (!record.save(job_id, spec.array, todo, vm))
    std::cerr << "hostwire sweep: warning: cannot write " << (dir / "slurm.json").string()
              << "; --collect will not know the job\n";
  std::cout << fmt::format("submitted Slurm job {}: array {} ({} point{}); logs {}\n", job_id, spec.array, todo.size(),
                           todo.size() == 1 ? "" : "s",
                           (dir / "points" / "K" / ("slurm-" + job_id + "_K.out")).string());
  std::cout << "follow it with: squeue -j " << job_id << "; collect with: hostwire sweep --collect "
            << shell_join({dir.string()}) << '\n';
  return kExitOk;
}

struct Running {
  size_t k;
  std::chrono::steady_clock::time_point start;
  std::vector<std::string> cmd;
};

pid_t spawn(const std::vector<std::string>& cmd, const fs::path& pd, std::string& error) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  const std::string out = (pd / "stdout.txt").string(), err = (pd / "stderr.txt").string();
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> argv;
  for (const auto& a : cmd) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, cmd[0].c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    error = std::string("cannot start ") + cmd[0] + ": " + std::strerror(rc);
    return -1;
  }
  return pid;
}

}  // namespace

int cmd_sweep(const std::vector<std::string>& args, const po::variables_map& vm) {
  if (vm.count("point")) {
    std::cerr << "hostwire sweep: --point is for 'hostwire run'; a sweep runs every point\n";
    return kExitBadInput;
  }
  if (vm.count("vcd")) {
    std::cerr << "hostwire sweep: --vcd names one file, and points run side by side; use --set outputs.vcd=SIGNALS "
                 "and each point writes DIR/points/K/trace.vcd\n";
    return kExitBadInput;
  }
  const bool slurm_mode = vm.count("slurm") > 0;
  static const char* const kSlurmFlags[] = {"slurm", "submit", "partition", "time", "mem", "max-parallel"};
  if (vm.count("collect")) {
    for (const char* f : kSlurmFlags)
      if (vm.count(f)) {
        std::cerr << "--" << f << ": not with --collect; --collect DIR only reads DIR (and asks Slurm about the "
                  << "points it submitted); to resubmit missing points run the sweep again with --slurm --submit "
                  << "--out DIR\n";
        return kExitBadInput;
      }
  }
  if (!slurm_mode)
    for (const char* f : kSlurmFlags)
      if (vm.count(f)) {
        std::cerr << "--" << f << ": only with --slurm (hostwire sweep SCENARIO --slurm ... --out DIR)\n";
        return kExitBadInput;
      }
  if (slurm_mode) {
    if (vm.count("jobs")) {
      std::cerr << "-j: sets how many points run at a time on this machine; with --slurm use --max-parallel N\n";
      return kExitBadInput;
    }
    if (vm.count("max-parallel") && vm["max-parallel"].as<unsigned>() == 0) {
      std::cerr << "--max-parallel: expected at least 1 (the array's %N: tasks Slurm runs at a time)\n";
      return kExitBadInput;
    }
    std::pair<const char*, std::string (*)(const std::string&)> checks[] = {
        {"partition", slurm::check_partition}, {"time", slurm::check_time}, {"mem", slurm::check_mem}};
    for (const auto& [flag, check] : checks)
      if (vm.count(flag))
        if (auto e = check(vm[flag].as<std::string>()); !e.empty()) {
          std::cerr << "--" << flag << ": " << e << '\n';
          return kExitBadInput;
        }
  }
  if (vm.count("collect")) {
    if (!args.empty() || vm.count("grid") || vm.count("set") || vm.count("seed") || vm.count("out") ||
        vm.count("jobs")) {
      std::cerr << "hostwire sweep --collect DIR: takes no scenario, --grid, --set, --seed, --out or -j; "
                   "DIR/sweep.json records them\n";
      return kExitBadInput;
    }
    return collect(vm["collect"].as<std::string>());
  }
  if (args.size() != 1) {
    std::cerr << "hostwire sweep: expected one SCENARIO file (or --collect DIR)\n";
    return kExitBadInput;
  }
  const std::string& path = args[0];
  unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
  if (vm.count("jobs")) {
    jobs = vm["jobs"].as<unsigned>();
    if (jobs == 0) {
      std::cerr << "-j: expected at least 1\n";
      return kExitBadInput;
    }
  }

  HostwireCatalog catalog;
  LoadOptions opts;
  if (vm.count("set")) opts.overrides = vm["set"].as<std::vector<std::string>>();
  if (vm.count("seed")) opts.seed = vm["seed"].as<uint64_t>();
  auto r = load_with_grid(path, catalog, opts, grid_option(vm), std::nullopt);
  auto fail = [](const std::vector<InputError>& errors) {
    for (const auto& e : errors) std::cerr << e.str() << '\n';
    std::cerr << errors.size() << (errors.size() == 1 ? " error" : " errors") << "; nothing simulated\n";
    return kExitBadInput;
  };
  if (!r.scenario) return fail(r.errors);
  const Scenario& s = *r.scenario;
  const size_t n = point_count(s);
  if (n == 0)
    return fail({{"--grid", "", path + " has no sweep; add a 'sweep:' section or give --grid key=v1,v2,..."}});
  constexpr size_t kMaxPoints = 100000;
  if (n > kMaxPoints)
    return fail({{"--grid", "", fmt::format("the grid has {} points; at most {} are allowed", n, kMaxPoints)}});
  if (auto errors = set_on_axis_errors(s, opts.overrides); !errors.empty()) return fail(errors);

  fs::path dir;
  if (vm.count("out")) {
    dir = vm["out"].as<std::string>();
  } else {
    std::string base = s.at("outputs.dir").text;
    if (base.empty()) base = (fs::path("out") / fs::path(path).stem()).string();
    dir = fs::path(base) / "sweep";
  }
  if (slurm_mode && dir.string().find_first_of("\"\n\r") != std::string::npos) {
    std::cerr << "--out: with --slurm the folder's path goes into #SBATCH lines, which cannot hold a double quote "
                 "or a line break; choose another --out\n";
    return kExitBadInput;
  }
  std::error_code ec;
  fs::create_directories(dir / "points", ec);
  if (ec) {
    std::cerr << "--out: cannot create " << dir.string() << ": " << ec.message() << '\n';
    return kExitBadInput;
  }

  // The manifest: a rerun into the same folder must be the same sweep, or points would mix.
  json mdoc = build_manifest(path, s, vm);
  if (fs::exists(dir / "sweep.json")) {
    std::string err;
    auto old = read_json(dir / "sweep.json", &err);
    if (!old) {
      std::cerr << "hostwire sweep: " << err << "; delete it or choose another --out\n";
      return kExitBadInput;
    }
    for (const char* field : {"scenario_absolute", "scenario_fnv1a", "set", "seed", "axes", "points"}) {
      if (old->value(field, json()) != mdoc[field]) {
        std::cerr << "hostwire sweep: " << dir.string() << " holds another sweep (its '" << field
                  << "' differs: the scenario file, --set, --seed or the grid changed); delete it or choose another --out\n";
        return kExitBadInput;
      }
    }
  }
  if (!write_text(dir / "sweep.json", mdoc.dump(2) + "\n")) {
    std::cerr << "hostwire sweep: cannot write " << (dir / "sweep.json").string() << '\n';
    return kExitBadInput;
  }
  std::string err;
  auto m = parse_manifest(mdoc, err);
  if (!m) {
    std::cerr << "hostwire sweep: internal error: " << err << '\n';
    return kExitSimFailure;
  }

  if (slurm_mode) return slurm_sweep(path, dir, *m, vm);

  const std::string exe = self_exe();
  std::vector<size_t> todo;
  size_t skipped = 0;
  for (const auto& p : m->points) {
    if (classify(dir, p).status == "ok") {
      ++skipped;
      continue;
    }
    todo.push_back(p.index);
  }
  std::cout << fmt::format("sweep of {}: {} points, {} already done, {} to run, {} at a time; folder {}\n", path, n,
                           skipped, todo.size(), std::min<size_t>(jobs, std::max<size_t>(todo.size(), 1)), dir.string());

  std::map<pid_t, Running> running;
  size_t next = 0, done = 0;
  auto finish = [&](size_t k, const json& status) {
    ++done;
    write_text(point_dir(dir, k) / "status.json", status.dump(2) + "\n");
    std::string line = fmt::format("[{}/{}] point {} ({}): {}", done, todo.size(), k, point_label(s, k),
                                   status.value("status", ""));
    if (status.value("status", "") != "ok") line += ": " + first_line(status.value("error", ""));
    else line += fmt::format(" ({:.2f} s)", status.value("wall_seconds", 0.0));
    std::cout << line << std::endl;
  };
  while (next < todo.size() || !running.empty()) {
    while (running.size() < jobs && next < todo.size()) {
      const size_t k = todo[next++];
      const fs::path pd = point_dir(dir, k);
      fs::create_directories(pd, ec);
      fs::remove(pd / "report.json", ec);  // a stale report must not pass for this run's
      fs::remove(pd / "status.json", ec);
      auto cmd = point_command(exe, *m, dir, k);
      std::string spawn_error;
      const pid_t pid = ec ? -1 : spawn(cmd, pd, spawn_error);
      if (pid < 0) {
        json st = {{"point", k}, {"status", "failed"}, {"error", ec ? "cannot create " + pd.string() : spawn_error}};
        finish(k, st);
        continue;
      }
      running[pid] = {k, std::chrono::steady_clock::now(), std::move(cmd)};
    }
    if (running.empty()) continue;
    int wst = 0;
    const pid_t pid = waitpid(-1, &wst, 0);
    if (pid < 0) {
      if (errno == EINTR) continue;
      std::cerr << "hostwire sweep: waitpid: " << std::strerror(errno) << '\n';
      return kExitSimFailure;
    }
    auto it = running.find(pid);
    if (it == running.end()) continue;
    const Running run = std::move(it->second);
    running.erase(it);
    const fs::path pd = point_dir(dir, run.k);
    json st;
    st["point"] = run.k;
    json values = json::object();
    for (const auto& [key, v] : point_values(s, run.k)) values[key] = v;
    st["values"] = values;
    st["command"] = run.cmd;
    st["wall_seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - run.start).count();
    const std::string tail = stderr_tail(read_text(pd / "stderr.txt"));
    if (WIFEXITED(wst)) {
      st["exit_code"] = WEXITSTATUS(wst);
      const bool ok = WEXITSTATUS(wst) == 0 && fs::exists(pd / "report.json");
      st["status"] = ok ? "ok" : "failed";
      if (!ok)
        st["error"] = tail.empty() ? fmt::format("exit status {}{}", WEXITSTATUS(wst),
                                                 WEXITSTATUS(wst) == 0 ? " but no report.json" : "")
                                   : tail;
    } else {
      const int sig = WIFSIGNALED(wst) ? WTERMSIG(wst) : 0;
      st["signal"] = sig;
      st["status"] = "failed";
      st["error"] = fmt::format("killed by signal {} ({}){}", sig, strsignal(sig), tail.empty() ? "" : "\n" + tail);
    }
    finish(run.k, st);
  }

  const long bad = write_outputs(dir, *m, exe, false);
  if (bad < 0) return kExitBadInput;
  return bad == 0 ? kExitOk : kExitSimFailure;
}

}  // namespace hostwire::cli
