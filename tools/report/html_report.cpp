#include "tools/report/html_report.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "core/si.h"
#include "tools/report/charts.h"

namespace hostwire {
namespace {

using json = nlohmann::ordered_json;
using html::escape;

std::string str_of(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) return "";
  const auto& v = j.at(key);
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::string last_component(const std::string& name) {
  const auto dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<std::string> split_dots(const std::string& s) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const auto dot = s.find('.', start);
    parts.push_back(s.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) return parts;
    start = dot + 1;
  }
}

// Legend labels: the names without the components every name in the group shares at the start
// and at the end ("workloads.blast.rx_throughput", "workloads.reply.rx_throughput" -> "blast",
// "reply"). A lone series keeps its full name.
std::vector<std::string> short_labels(const std::vector<std::string>& names) {
  if (names.size() < 2) return names;
  std::vector<std::vector<std::string>> parts;
  size_t min_len = std::numeric_limits<size_t>::max();
  for (const auto& n : names) {
    parts.push_back(split_dots(n));
    min_len = std::min(min_len, parts.back().size());
  }
  size_t head = 0, tail = 0;
  while (head + tail + 1 < min_len) {
    bool same = true;
    for (const auto& p : parts) same = same && p[head] == parts[0][head];
    if (!same) break;
    ++head;
  }
  while (head + tail + 1 < min_len) {
    bool same = true;
    for (const auto& p : parts) same = same && p[p.size() - 1 - tail] == parts[0][parts[0].size() - 1 - tail];
    if (!same) break;
    ++tail;
  }
  std::vector<std::string> out;
  for (const auto& p : parts) {
    std::string label;
    for (size_t i = head; i + tail < p.size(); ++i) label += (label.empty() ? "" : ".") + p[i];
    out.push_back(label);
  }
  std::vector<std::string> sorted = out;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) return names;  // not unique
  return out;
}

const char* kCss = R"css(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1000px;padding:16px 24px;color:#1d2430;background:#fff}
h1{font-size:22px;margin:8px 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #dde2ea;padding-bottom:4px}
.desc{font-size:15px;margin:4px 0}.meta{color:#5a6270;margin:4px 0}code{font:13px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
table{border-collapse:collapse;margin:6px 0;font-size:13px}th,td{padding:3px 10px;border-bottom:1px solid #e6e9ef;text-align:left;vertical-align:top}
th{background:#f4f6f9;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
table.headline td.num,table.metrics td.v{white-space:nowrap}
table.metrics{width:100%}table.metrics td.mn{min-width:16em}table.metrics td:first-child,table.metrics td.u{white-space:nowrap}
table.headline td.num{font-size:15px}
.ok{color:#1e7b34;background:#e7f5ea;border:1px solid #a9d8b4;padding:6px 10px;border-radius:4px}
.bad{color:#a01b1b;background:#fdecec;border:1px solid #f0b0b0;padding:6px 10px;border-radius:4px}
.bad ul{margin:4px 0 0;padding-left:20px}
details{margin:8px 0}summary{cursor:pointer;font-weight:600}
table.provenance td:first-child{white-space:nowrap;color:#5a6270}
footer{color:#6a7280;font-size:12px;margin:30px 0 10px}
)css";

// An empty histogram has no quantiles: report.json writes null (or, from older writers, 0 with
// count 0); either reads "n/a", never 0, which would look like the best value.
bool empty_histogram(const json& m) { return m.contains("count") && m.at("count").is_number() && m.at("count") == 0; }

std::string quantile_text(const json& m, const char* key) {
  if (empty_histogram(m) || !m.contains(key) || !m.at(key).is_number()) return "n/a";
  return format_si(m.at(key).get<double>(), str_of(m, "unit"));
}

std::string metric_value_text(const json& m) {
  if (m.contains("value")) {
    const auto& v = m.at("value");
    return v.is_number() ? format_si(v.get<double>(), str_of(m, "unit")) : v.is_null() ? "n/a" : v.dump();
  }
  if (m.contains("count"))
    return fmt::format("n={} \u00b7 mean {} \u00b7 p50 {} \u00b7 p99 {} \u00b7 max {}", m.at("count").dump(),
                       quantile_text(m, "mean"), quantile_text(m, "p50"), quantile_text(m, "p99"),
                       quantile_text(m, "max"));
  return "";
}

std::string metric_exact_text(const json& m) {
  if (m.contains("value")) return m.at("value").dump();
  std::string s;
  for (const char* k : {"count", "min", "mean", "p50", "p90", "p99", "p99.9", "max"}) {
    if (!m.contains(k)) continue;
    if (!s.empty()) s += " \u00b7 ";
    const bool missing = std::string(k) != "count" && (empty_histogram(m) || m.at(k).is_null());
    s += std::string(k) + " " + (missing ? std::string("n/a") : m.at(k).dump());
  }
  return s;
}

std::optional<double> number_at(const json& metrics, const std::string& name, const char* key) {
  if (!metrics.is_object() || !metrics.contains(name)) return std::nullopt;
  const auto& m = metrics.at(name);
  if (!m.is_object() || !m.contains(key) || !m.at(key).is_number()) return std::nullopt;
  return m.at(key).get<double>();
}

void headline_section(std::string& o, const json& metrics) {
  static const std::vector<std::string> kSuffixes = {".rx_throughput", ".rx_frame_rate", ".latency"};
  std::vector<std::string> prefixes;
  if (metrics.is_object()) {
    for (const auto& [name, m] : metrics.items()) {
      for (const auto& suf : kSuffixes) {
        if (ends_with(name, suf)) {
          const std::string p = name.substr(0, name.size() - suf.size());
          if (std::find(prefixes.begin(), prefixes.end(), p) == prefixes.end()) prefixes.push_back(p);
        }
      }
    }
  }
  o += "<h2>Headline</h2>\n";
  if (prefixes.empty()) {
    o += "<p class=\"meta\">No per-flow throughput, frame rate or latency metrics in this run.</p>\n";
    return;
  }
  o += "<table class=\"headline\"><tr><th>flow</th><th>throughput</th><th>frame rate</th><th>latency p50</th>"
       "<th>latency p99</th><th>latency max</th></tr>\n";
  for (const auto& p : prefixes) {
    auto cell = [&](const std::string& name, const char* key) -> std::string {
      if (!metrics.contains(name) || !metrics.at(name).is_object()) return "\u2013";
      const json& m = metrics.at(name);
      if (m.contains("count")) return escape(quantile_text(m, key));
      const auto v = number_at(metrics, name, key);
      return v ? escape(format_si(*v, str_of(m, "unit"))) : std::string("n/a");
    };
    const std::string label = p.rfind("workloads.", 0) == 0 ? p.substr(10) : p;
    o += "<tr><td><code>" + escape(label) + "</code></td>";
    o += "<td class=\"num\">" + cell(p + ".rx_throughput", "value") + "</td>";
    o += "<td class=\"num\">" + cell(p + ".rx_frame_rate", "value") + "</td>";
    o += "<td class=\"num\">" + cell(p + ".latency", "p50") + "</td>";
    o += "<td class=\"num\">" + cell(p + ".latency", "p99") + "</td>";
    o += "<td class=\"num\">" + cell(p + ".latency", "max") + "</td></tr>\n";
  }
  o += "</table>\n";
}

void invariants_section(std::string& o, const json& report) {
  o += "<h2>Invariants</h2>\n";
  const json* v = nullptr;
  if (report.contains("invariants") && report.at("invariants").is_object() &&
      report.at("invariants").contains("violations"))
    v = &report.at("invariants").at("violations");
  if (!v) {
    o += "<p class=\"meta\">not checked</p>\n";
    return;
  }
  if (v->empty()) {
    o += "<p class=\"ok\">\u2714 all invariants hold</p>\n";
    return;
  }
  o += fmt::format("<div class=\"bad\">\u2718 {} invariant violation{}<ul>\n", v->size(), v->size() == 1 ? "" : "s");
  for (const auto& e : *v) o += "<li>" + escape(e.is_string() ? e.get<std::string>() : e.dump()) + "</li>\n";
  o += "</ul></div>\n";
}

void parameters_section(std::string& o, const json& scenario) {
  if (!scenario.is_object() || !scenario.contains("parameters") || !scenario.at("parameters").is_object()) return;
  const auto& params = scenario.at("parameters");
  o += fmt::format("<details><summary>Resolved parameters ({})</summary>\n<table><tr><th>key</th><th>value</th></tr>\n",
                   params.size());
  for (const auto& [k, v] : params.items())
    o += "<tr><td><code>" + escape(k) + "</code></td><td><code>" +
         escape(v.is_string() ? v.get<std::string>() : v.dump()) +
         "</code></td></tr>\n";
  o += "</table></details>\n";
}

struct Group {
  std::string title, y_name, unit;
  std::vector<size_t> members;
};

// A fraction series (unit "1") named *utilisation is shown in percent.
bool in_percent(const std::string& name, const std::string& unit) {
  return unit == "1" && last_component(name) == "utilisation";
}

void timeseries_section(std::string& o, const StatsRegistry& stats) {
  const auto list = stats.series_list();
  o += "<h2>Time series</h2>\n";
  if (list.empty() || stats.sample_times_ps().empty()) {
    o += "<p class=\"meta\">No time series were sampled.</p>\n";
    return;
  }
  o += "<p class=\"meta\">Drag across a plot to zoom in on a stretch of time, double-click to zoom out.</p>\n";
  // Category 0: per-flow throughput; 1: link throughput; 2+: by last name component.
  std::vector<Group> groups;
  std::map<std::pair<std::string, std::string>, size_t> index;  // (category key, unit) -> group
  auto add = [&](const std::string& key, const std::string& title, const std::string& y_name, size_t i) {
    const auto k = std::make_pair(key, list[i].unit);
    auto it = index.find(k);
    if (it == index.end()) {
      it = index.emplace(k, groups.size()).first;
      groups.push_back({title, y_name, list[i].unit, {}});
    }
    groups[it->second].members.push_back(i);
  };
  for (int pass = 0; pass < 3; ++pass) {
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string& name = list[i].name;
      const bool flow = ends_with(name, "rx_throughput");
      const bool link = !flow && name.rfind("link", 0) == 0 && last_component(name) == "throughput";
      if (pass == 0 && flow) add("\x01flow", "Throughput per flow", "throughput", i);
      if (pass == 1 && link) add("\x01link", "Link throughput per direction", "throughput", i);
      if (pass == 2 && !flow && !link) add(last_component(name), last_component(name), last_component(name), i);
    }
  }
  const auto& times = stats.sample_times_ps();
  const auto& rows = stats.samples();
  const html::AxisScale xs = html::axis_scale(static_cast<double>(times.back()), "ps");
  std::vector<double> x;
  for (const auto t : times) x.push_back(static_cast<double>(t) / xs.factor);
  for (const auto& g : groups) {
    std::vector<std::string> names;
    for (size_t i : g.members) names.push_back(list[i].name);
    const bool percent = in_percent(names.front(), g.unit);
    std::vector<std::vector<double>> ys;
    double peak = 0;
    for (size_t member : g.members) {
      auto& y = ys.emplace_back();
      for (const auto& row : rows) {
        const double v = member < row.size() ? row[member] : std::numeric_limits<double>::quiet_NaN();
        y.push_back(percent ? v * 100 : v);
        if (std::isfinite(v)) peak = std::max(peak, std::abs(y.back()));
      }
    }
    const html::AxisScale scale = percent ? html::AxisScale{1, "%"} : html::axis_scale(peak, g.unit);
    for (auto& y : ys)
      for (auto& v : y) v /= scale.factor;
    html::Chart c;
    c.title = percent ? g.title + " (percent busy)" : g.title;
    c.x_title = html::axis_title("simulated time", xs.unit);
    c.y_title = html::axis_title(g.y_name, scale.unit);
    c.series = short_labels(names);
    c.x = x;
    c.y = std::move(ys);
    o += html::chart(c);
  }
}

// Latency tails: 1 - F(x), the fraction of samples above x, on a log y axis, so p99 and p99.9
// are as easy to read as the median. Drawn from the histogram's buckets (accurate to 1/64).
void latency_section(std::string& o, const json& metrics, const StatsRegistry& stats) {
  std::optional<json> own;  // the registry's own metrics, when the report lacks a histogram's unit
  auto unit_of = [&](const std::string& name) {
    if (metrics.is_object() && metrics.contains(name) && metrics.at(name).is_object())
      return str_of(metrics.at(name), "unit");
    if (!own) own = stats.metrics_json();
    return own->contains(name) ? str_of(own->at(name), "unit") : std::string();
  };
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, const Histogram*>>>> groups;
  for (const auto& [name, h] : stats.histograms()) {
    if (unit_of(name) != "ps" || h->count() == 0) continue;
    const std::string key = last_component(name);
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == key; });
    if (it == groups.end()) it = groups.insert(groups.end(), {key, {}});
    it->second.emplace_back(name, h);
  }
  o += "<h2>Latency distributions</h2>\n";
  if (groups.empty()) {
    o += "<p class=\"meta\">No time histograms were recorded.</p>\n";
    return;
  }
  for (const auto& [key, hs] : groups) {
    std::vector<std::string> names;
    int64_t lo = std::numeric_limits<int64_t>::max(), hi = 0;
    std::vector<std::map<int64_t, double>> tails;  // per histogram: x -> fraction above x
    for (const auto& [name, h] : hs) {
      names.push_back(name);
      lo = std::min(lo, h->min());
      hi = std::max(hi, h->max());
      auto& tail = tails.emplace_back();
      tail[h->min()] = 1;
      uint64_t cum = 0;
      for (const auto& [upper, n] : h->bucket_counts()) {
        cum += n;
        if (cum >= h->count()) break;  // 1 - F = 0 has no place on a log axis
        const auto capped = static_cast<int64_t>(std::min<uint64_t>(upper, INT64_MAX));
        tail[std::clamp<int64_t>(capped, h->min(), h->max())] =
            1 - static_cast<double>(cum) / static_cast<double>(h->count());
      }
    }
    std::map<int64_t, size_t> row_of;  // every x of any histogram, in order
    for (const auto& t : tails)
      for (const auto& [x, _] : t) row_of.emplace(x, 0);
    const html::AxisScale xs = html::axis_scale(static_cast<double>(hi), "ps");
    html::Chart c;
    for (auto& [x, r] : row_of) {
      r = c.x.size();
      c.x.push_back(static_cast<double>(x) / xs.factor);
    }
    for (const auto& t : tails) {
      auto& y = c.y.emplace_back(c.x.size(), std::numeric_limits<double>::quiet_NaN());
      for (const auto& [x, f] : t) y[row_of.at(x)] = f;
    }
    c.title = key + ": fraction of samples above x";
    c.x_title = html::axis_title(key, xs.unit);
    c.y_title = "1 \u2212 F(x)";
    c.series = short_labels(names);
    c.log_x = lo > 0 && static_cast<double>(hi) / static_cast<double>(lo) > 50;
    c.log_y = true;
    c.connect_gaps = true;
    o += html::chart(c);
  }
}

void provenance_section(std::string& o, const json& report) {
  if (!report.contains("provenance") || !report.at("provenance").is_object()) return;
  const json& p = report.at("provenance");
  o += "<table class=\"provenance\">\n";
  for (const char* key : {"command_line", "overrides", "version", "revision", "host", "date"}) {
    if (!p.contains(key) || p.at(key).is_null()) continue;
    const json& v = p.at(key);
    std::string text;
    if (v.is_array()) {
      for (const auto& x : v) text += (text.empty() ? "" : " ") + (x.is_string() ? x.get<std::string>() : x.dump());
      if (text.empty()) text = "none";
    } else {
      text = v.is_string() ? v.get<std::string>() : v.dump();
    }
    std::string label = key;
    std::replace(label.begin(), label.end(), '_', ' ');
    o += "<tr><td>" + escape(label) + "</td><td><code>" + escape(text) + "</code></td></tr>\n";
  }
  o += "</table>\n";
}

void metrics_section(std::string& o, const json& metrics) {
  o += "<h2>All metrics</h2>\n";
  if (!metrics.is_object() || metrics.empty()) {
    o += "<p class=\"meta\">No metrics.</p>\n";
    return;
  }
  o += "<table class=\"metrics\"><tr><th>name</th><th>value</th><th>exact</th><th>unit</th><th>meaning</th></tr>\n";
  for (const auto& [name, m] : metrics.items()) {
    if (!m.is_object()) continue;
    const bool scalar = m.contains("value");
    o += "<tr><td><code>" + escape(name) + "</code></td><td class=\"" + (scalar ? "num v" : "num") + "\">" +
         escape(metric_value_text(m)) + "</td><td class=\"num\">" + escape(metric_exact_text(m)) +
         "</td><td class=\"u\">" +
         escape(str_of(m, "unit")) + "</td><td class=\"mn\">" + escape(str_of(m, "meaning")) + "</td></tr>\n";
  }
  o += "</table>\n";
}

}  // namespace

std::string render_html_report(const nlohmann::ordered_json& report, const StatsRegistry& stats) {
  static const json kEmpty = json::object();
  const json& scenario = report.contains("scenario") ? report.at("scenario") : kEmpty;
  const json& metrics = report.contains("metrics") ? report.at("metrics") : kEmpty;
  const std::string file = str_of(scenario, "file");
  const std::string base = file.substr(file.find_last_of('/') == std::string::npos ? 0 : file.find_last_of('/') + 1);

  std::string o;
  o.reserve(1 << 16);
  o += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  // Defence in depth: even injected markup could not run script or load anything.
  o += "<meta http-equiv=\"Content-Security-Policy\" content=\"" + html::content_security_policy() + "\">\n";
  o += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  o += "<title>hostwire report: " + escape(base.empty() ? std::string("(no scenario)") : base) + "</title>\n";
  o += std::string("<style>") + kCss + html::chart_css() + "</style>\n</head>\n<body>\n";

  o += "<header>\n<h1>hostwire report: <code>" + escape(file) + "</code></h1>\n";
  if (const std::string d = str_of(scenario, "description"); !d.empty())
    o += "<p class=\"desc\">" + escape(d) + "</p>\n";
  std::vector<std::string> meta;
  if (auto p = str_of(scenario, "platform"); !p.empty()) meta.push_back("platform <code>" + escape(p) + "</code>");
  if (auto s = str_of(scenario, "seed"); !s.empty()) meta.push_back("seed " + escape(s));
  if (auto d = str_of(scenario, "duration"); !d.empty()) meta.push_back("duration " + escape(d));
  if (report.contains("simulated_time"))
    meta.push_back("simulated " + escape(str_of(report.at("simulated_time"), "text")));
  if (report.contains("hostwire")) meta.push_back("hostwire " + escape(str_of(report.at("hostwire"), "version")));
  if (!meta.empty()) {
    o += "<p class=\"meta\">";
    for (size_t i = 0; i < meta.size(); ++i) o += (i ? " \u00b7 " : "") + meta[i];
    o += "</p>\n";
  }
  if (scenario.contains("workloads") && scenario.at("workloads").is_array() && !scenario.at("workloads").empty()) {
    o += "<p class=\"meta\">workloads: ";
    bool first = true;
    for (const auto& w : scenario.at("workloads")) {
      o += (first ? "" : ", ") + std::string("<code>") + escape(str_of(w, "name")) + "</code> (" +
           escape(str_of(w, "type")) + ")";
      first = false;
    }
    o += "</p>\n";
  }
  provenance_section(o, report);
  o += "</header>\n";

  headline_section(o, metrics);
  invariants_section(o, report);
  parameters_section(o, scenario);
  timeseries_section(o, stats);
  latency_section(o, metrics, stats);
  metrics_section(o, metrics);

  o += "<footer>";
  if (report.contains("kernel") && report.at("kernel").is_object()) {
    o += "kernel:";
    for (const auto& [k, v] : report.at("kernel").items()) o += " " + escape(k) + " " + escape(v.dump()) + ";";
    o += "<br>";
  }
  o += "Generated by hostwire from the same data as report.json and timeseries.csv; this file is self-contained. Plots: dygraphs (MIT licence), inlined.";
  o += "</footer>\n" + html::chart_scripts() + "</body>\n</html>\n";
  return o;
}

bool write_html_report(const std::string& path, const nlohmann::ordered_json& report, const StatsRegistry& stats,
                       std::string& error) {
  const std::string page = render_html_report(report, stats);
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) {
    error = "cannot write " + path + ": " + std::strerror(errno);
    return false;
  }
  f.write(page.data(), static_cast<std::streamsize>(page.size()));
  f.close();
  if (!f) {
    error = "cannot write " + path + ": " + std::strerror(errno);
    return false;
  }
  error.clear();
  return true;
}

}  // namespace hostwire
