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

namespace hostwire {
namespace html {
namespace {

// How a unit is displayed: the factor to its display unit, and whether an SI prefix applies
// (and is written attached, "Gbit/s", or spaced, "14.88 M frames/s").
struct UnitStyle {
  double factor = 1;
  std::string unit;
  bool prefixable = true;
  bool attach = true;
};

UnitStyle style_of(const std::string& unit) {
  if (unit == "ps") return {1e-12, "s", true, true};
  if (unit == "ns") return {1e-9, "s", true, true};
  if (unit == "us" || unit == "\u00b5s") return {1e-6, "s", true, true};
  if (unit == "ms") return {1e-3, "s", true, true};
  if (unit.empty() || unit == "1") return {1, "", false, true};
  if (unit == "%") return {1, "%", false, true};
  static const char* const kSymbols[] = {"s", "bit/s", "B", "B/s", "bit", "Hz", "b/s", "bps", "W", "J"};
  for (const char* s : kSymbols)
    if (unit == s) return {1, unit, true, true};
  return {1, unit, true, false};
}

struct Prefix {
  int exp;
  const char* sym;
};
constexpr Prefix kPrefixes[] = {{-15, "f"}, {-12, "p"}, {-9, "n"}, {-6, "\u00b5"}, {-3, "m"}, {0, ""},
                                {3, "k"},   {6, "M"},   {9, "G"},   {12, "T"},    {15, "P"}};

// The prefix for a magnitude (already in display units).
Prefix prefix_for(double magnitude) {
  if (!(magnitude > 0) || !std::isfinite(magnitude)) return {0, ""};
  int e = static_cast<int>(std::floor(std::log10(magnitude) / 3.0)) * 3;
  e = std::clamp(e, -15, 15);
  for (const auto& p : kPrefixes)
    if (p.exp == e) return p;
  return {0, ""};
}

std::string unit_text(const Prefix& p, const UnitStyle& st) {
  if (st.unit.empty()) return p.sym;
  if (!st.prefixable) return st.unit;
  if (st.attach) return std::string(p.sym) + st.unit;
  return *p.sym ? std::string(p.sym) + " " + st.unit : st.unit;
}

// Four significant digits without exponent for a mantissa in [1, 1000), trailing zeros dropped.
std::string sig4(double v) {
  std::string s = fmt::format("{:.4g}", v);
  if (s == "-0") s = "0";
  return s;
}

std::string coord(double v) {
  std::string s = fmt::format("{:.1f}", v);
  if (s == "-0.0") s = "0.0";
  return s;
}

constexpr const char* kPalette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
constexpr const char* kDashes[] = {"", "6 3", "2 2", "8 3 2 3"};

struct Axis {
  double lo = 0, hi = 1;
  bool log = false;
  std::vector<std::pair<double, std::string>> ticks;  // value (raw units), label
  std::string unit_label;                             // e.g. "Gbit/s"; empty for log axes (labels carry it)
  double map(double v, double a, double b) const {    // raw value -> pixel in [a, b]
    double t = log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo)) : (v - lo) / (hi - lo);
    return a + t * (b - a);
  }
};

Axis linear_axis(double mn, double mx, const std::string& raw_unit, int target_ticks) {
  const UnitStyle st = style_of(raw_unit);
  if (!std::isfinite(mx - mn)) {  // values near the limits of double: clamp rather than overflow
    mn = std::max(mn, -1e300);
    mx = std::min(mx, 1e300);
  }
  if (mn == 0 && mx == 0) mx = 1 / st.factor;  // all zero: show [0, 1 display unit]
  if (mn == mx) {
    const double pad = mn == 0 ? 1 / st.factor : std::abs(mn) * 0.1;
    mn -= pad;
    mx += pad;
  }
  const double raw_step = (mx - mn) / target_ticks;
  const double mag = std::pow(10.0, std::floor(std::log10(raw_step)));
  const double norm = raw_step / mag;
  const double step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  Axis ax;
  ax.lo = std::floor(mn / step + 1e-9) * step;
  ax.hi = std::ceil(mx / step - 1e-9) * step;
  if (ax.hi <= ax.lo) ax.hi = ax.lo + step;
  const Prefix p = st.prefixable ? prefix_for(std::max(std::abs(ax.lo), std::abs(ax.hi)) * st.factor) : Prefix{0, ""};
  const double scale = st.factor / std::pow(10.0, p.exp);
  const double shown_step = step * scale;
  const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(shown_step) + 1e-9)));
  const int n = static_cast<int>(std::llround((ax.hi - ax.lo) / step));
  for (int i = 0; i <= n; ++i) {
    const double v = ax.lo + i * step;
    std::string label = fmt::format("{:.{}f}", v * scale, decimals);
    if (label.find_first_not_of("-0.") == std::string::npos) label = "0";
    ax.ticks.emplace_back(v, label);
  }
  ax.unit_label = unit_text(p, st);
  return ax;
}

Axis log_axis(double mn, double mx, const std::string& raw_unit) {
  Axis ax;
  ax.log = true;
  int lo = static_cast<int>(std::floor(std::log10(mn) + 1e-9));
  int hi = static_cast<int>(std::ceil(std::log10(mx) - 1e-9));
  if (hi <= lo) hi = lo + 1;
  ax.lo = std::pow(10.0, lo);
  ax.hi = std::pow(10.0, hi);
  const bool minor = hi - lo <= 3;
  for (int d = lo; d <= hi; ++d) {
    for (int m : {1, 2, 5}) {
      if (m != 1 && (!minor || d == hi)) continue;
      const double v = m * std::pow(10.0, d);
      ax.ticks.emplace_back(v, format_si(v, raw_unit));
    }
  }
  return ax;
}

// Points of one series as polylines in pixel space: gaps at non-finite values, and long series
// reduced to first/min/max/last per pixel column.
std::vector<std::vector<std::pair<double, double>>> to_polylines(const PlotSeries& s, const Axis& ax, const Axis& ay,
                                                                 double x0, double x1, double y0, double y1) {
  std::vector<std::vector<std::pair<double, double>>> lines(1);
  const size_t n = std::min(s.x.size(), s.y.size());
  const bool reduce = n > 2 * static_cast<size_t>(x1 - x0);
  struct Col {
    long c = std::numeric_limits<long>::min();
    std::vector<std::pair<double, double>> pts;
  } col;
  auto flush = [&] {
    auto& out = lines.back();
    if (col.pts.size() <= 4) {
      out.insert(out.end(), col.pts.begin(), col.pts.end());
    } else {
      size_t imin = 0, imax = 0;
      for (size_t i = 1; i < col.pts.size(); ++i) {
        if (col.pts[i].second > col.pts[imin].second) imin = i;  // pixel y grows downwards
        if (col.pts[i].second < col.pts[imax].second) imax = i;
      }
      std::vector<size_t> keep = {0, imin, imax, col.pts.size() - 1};
      std::sort(keep.begin(), keep.end());
      keep.erase(std::unique(keep.begin(), keep.end()), keep.end());
      for (size_t i : keep) out.push_back(col.pts[i]);
    }
    col.pts.clear();
  };
  for (size_t i = 0; i < n; ++i) {
    const double x = s.x[i], y = s.y[i];
    const bool ok = std::isfinite(x) && std::isfinite(y) && (!ax.log || x > 0) && (!ay.log || y > 0);
    if (!ok) {
      flush();
      if (!lines.back().empty()) lines.emplace_back();
      continue;
    }
    const double px = ax.map(x, x0, x1), py = ay.map(y, y0, y1);
    const long c = reduce ? static_cast<long>(std::floor(px)) : static_cast<long>(i);
    if (c != col.c) {
      flush();
      col.c = c;
    }
    col.pts.emplace_back(px, py);
  }
  flush();
  if (lines.back().empty()) lines.pop_back();
  return lines;
}

}  // namespace

std::string escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      case '\0': out += "\xef\xbf\xbd"; break;
      default: out += c;
    }
  }
  return out;
}

std::string format_si(double value, const std::string& unit) {
  const UnitStyle st = style_of(unit);
  if (!std::isfinite(value)) return std::isnan(value) ? "n/a" : (value > 0 ? "\u221e" : "-\u221e");
  const double v = value * st.factor;
  if (!st.prefixable) return st.unit.empty() ? sig4(v) : sig4(v) + " " + st.unit;
  Prefix p = prefix_for(std::abs(v));
  double m = v / std::pow(10.0, p.exp);
  // 999.96 rounds to "1000": move to the next prefix.
  if (std::abs(std::stod(fmt::format("{:.4g}", m))) >= 1000 && p.exp < 15) {
    p = prefix_for(std::abs(v) * 1.001);
    m = v / std::pow(10.0, p.exp);
  }
  const std::string u = unit_text(p, st);
  return u.empty() ? sig4(m) : sig4(m) + " " + u;
}

std::string svg_line_plot(const PlotSpec& spec, const std::vector<PlotSeries>& series) {
  constexpr double W = 960, kLeft = 78, kRight = 24, kTop = 34, kPlotH = 250, kBottom = 52;
  const double x0 = kLeft, x1 = W - kRight, y0 = kTop + kPlotH, y1 = kTop;  // y0 is the bottom

  // Legend layout: entries flow left to right, wrapping at the plot width.
  std::vector<std::pair<double, double>> legend_pos;
  double lx = x0, ly = y0 + kBottom;
  for (const auto& s : series) {
    const double w = 34 + 7.0 * static_cast<double>(s.label.size());
    if (lx + w > x1 && lx > x0) {
      lx = x0;
      ly += 18;
    }
    legend_pos.emplace_back(lx, ly);
    lx += w + 12;
  }
  const double H = (series.empty() ? y0 + kBottom : ly + 14);

  // Ranges from the finite data.
  double xmn = std::numeric_limits<double>::infinity(), xmx = -xmn, ymn = xmn, ymx = -xmn;
  for (const auto& s : series) {
    const size_t n = std::min(s.x.size(), s.y.size());
    for (size_t i = 0; i < n; ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i]) || (spec.log_x && s.x[i] <= 0)) continue;
      xmn = std::min(xmn, s.x[i]);
      xmx = std::max(xmx, s.x[i]);
      ymn = std::min(ymn, s.y[i]);
      ymx = std::max(ymx, s.y[i]);
    }
  }
  const bool empty = !(xmn <= xmx);

  std::string o;
  o += fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" viewBox=\"0 0 {0} {1}\" width=\"{0}\" "
      "height=\"{1}\" role=\"img\" aria-label=\"{2}\">\n",
      coord(W), coord(H), escape(spec.title));
  o += fmt::format("<title>{}</title>\n", escape(spec.title));
  o += fmt::format("<text class=\"title\" x=\"{}\" y=\"20\">{}</text>\n", coord(x0), escape(spec.title));
  if (empty) {
    o += fmt::format("<text x=\"{}\" y=\"{}\" class=\"nodata\">no data</text>\n</svg>\n", coord((x0 + x1) / 2),
                     coord((y0 + y1) / 2));
    return o;
  }
  if (spec.y_from_zero) {
    ymn = std::min(ymn, 0.0);
    ymx = std::max(ymx, 0.0);
  }
  ymx = std::max(ymx, spec.y_max_at_least);
  const Axis ax = spec.log_x ? log_axis(xmn, xmx, spec.x_unit) : linear_axis(xmn, xmx, spec.x_unit, 8);
  const Axis ay = linear_axis(ymn, ymx, spec.y_unit, 5);

  // Grid, ticks and labels.
  o += "<g class=\"grid\">\n";
  for (const auto& [v, label] : ay.ticks) {
    const double py = ay.map(v, y0, y1);
    o += fmt::format("<line x1=\"{0}\" y1=\"{2}\" x2=\"{1}\" y2=\"{2}\"/>\n", coord(x0), coord(x1), coord(py));
  }
  for (const auto& [v, label] : ax.ticks) {
    const double px = ax.map(v, x0, x1);
    o += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>\n", coord(px), coord(y1), coord(y0));
  }
  o += "</g>\n<g class=\"axis\">\n";
  o += fmt::format("<line x1=\"{0}\" y1=\"{2}\" x2=\"{1}\" y2=\"{2}\"/>\n", coord(x0), coord(x1), coord(y0));
  o += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>\n", coord(x0), coord(y1), coord(y0));
  for (const auto& [v, label] : ay.ticks) {
    const double py = ay.map(v, y0, y1);
    o += fmt::format("<text class=\"yt\" x=\"{}\" y=\"{}\">{}</text>\n", coord(x0 - 6), coord(py + 4), escape(label));
  }
  for (const auto& [v, label] : ax.ticks) {
    const double px = ax.map(v, x0, x1);
    o += fmt::format("<text class=\"xt\" x=\"{}\" y=\"{}\">{}</text>\n", coord(px), coord(y0 + 16), escape(label));
  }
  auto axis_title = [](const std::string& name, const std::string& unit) {
    return unit.empty() ? name : name + " [" + unit + "]";
  };
  o += fmt::format("<text class=\"xl\" x=\"{}\" y=\"{}\">{}</text>\n", coord((x0 + x1) / 2), coord(y0 + 36),
                   escape(axis_title(spec.x_name, ax.log ? "" : ax.unit_label)));
  o += fmt::format("<text class=\"yl\" transform=\"translate(16 {}) rotate(-90)\">{}</text>\n",
                   coord((y0 + y1) / 2), escape(axis_title(spec.y_name, ay.unit_label)));
  o += "</g>\n";

  // Series and legend.
  for (size_t i = 0; i < series.size(); ++i) {
    const char* color = kPalette[i % std::size(kPalette)];
    const char* dash = kDashes[(i / std::size(kPalette)) % std::size(kDashes)];
    const std::string dash_attr = *dash ? fmt::format(" stroke-dasharray=\"{}\"", dash) : "";
    o += fmt::format("<g class=\"series\" stroke=\"{}\"{}>\n", color, dash_attr);
    for (const auto& line : to_polylines(series[i], ax, ay, x0, x1, y0, y1)) {
      o += "<polyline points=\"";
      for (size_t k = 0; k < line.size(); ++k) {
        if (k) o += ' ';
        o += coord(line[k].first);
        o += ',';
        o += coord(line[k].second);
      }
      if (line.size() == 1) o += fmt::format(" {},{}", coord(line[0].first + 0.5), coord(line[0].second));
      o += "\"/>\n";
    }
    o += "</g>\n";
    const auto [px, py] = legend_pos[i];
    o += fmt::format("<line class=\"lg\" x1=\"{0}\" y1=\"{2}\" x2=\"{1}\" y2=\"{2}\" stroke=\"{3}\"{4}/>", coord(px),
                     coord(px + 24), coord(py - 4), color, dash_attr);
    o += fmt::format("<text class=\"lgt\" x=\"{}\" y=\"{}\">{}</text>\n", coord(px + 30), coord(py),
                     escape(series[i].label));
  }
  o += "</svg>\n";
  return o;
}

}  // namespace html

namespace {

using json = nlohmann::ordered_json;
using html::escape;
using html::format_si;

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
svg.plot{display:block;max-width:100%;height:auto;margin:10px 0 18px}
svg.plot text{font:12px system-ui,sans-serif;fill:#2a3140}
svg.plot .title{font-size:14px;font-weight:600}
svg.plot .yt{text-anchor:end}svg.plot .xt,svg.plot .xl,svg.plot .yl,svg.plot .nodata{text-anchor:middle}
svg.plot .grid line{stroke:#e8ebf0;stroke-width:1}svg.plot .axis line{stroke:#5a6270;stroke-width:1}
svg.plot .series polyline{fill:none;stroke-width:1.6;stroke-linejoin:round}
svg.plot line.lg{stroke-width:2.5}
footer{color:#6a7280;font-size:12px;margin:30px 0 10px}
)css";

std::string metric_value_text(const json& m) {
  const std::string unit = str_of(m, "unit");
  if (m.contains("value")) {
    const auto& v = m.at("value");
    return v.is_number() ? format_si(v.get<double>(), unit) : v.dump();
  }
  if (m.contains("count")) {
    auto q = [&](const char* k) {
      return m.contains(k) && m.at(k).is_number() ? format_si(m.at(k).get<double>(), unit) : std::string("n/a");
    };
    return fmt::format("n={} \u00b7 mean {} \u00b7 p50 {} \u00b7 p99 {} \u00b7 max {}", m.at("count").dump(), q("mean"),
                       q("p50"), q("p99"), q("max"));
  }
  return "";
}

std::string metric_exact_text(const json& m) {
  if (m.contains("value")) return m.at("value").dump();
  std::string s;
  for (const char* k : {"count", "min", "mean", "p50", "p90", "p99", "p99.9", "max"}) {
    if (!m.contains(k)) continue;
    if (!s.empty()) s += " \u00b7 ";
    s += std::string(k) + " " + m.at(k).dump();
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
      const auto v = number_at(metrics, name, key);
      if (!v) return "\u2013";
      return escape(format_si(*v, str_of(metrics.at(name), "unit")));
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

void timeseries_section(std::string& o, const StatsRegistry& stats) {
  const auto list = stats.series_list();
  o += "<h2>Time series</h2>\n";
  if (list.empty() || stats.sample_times_ps().empty()) {
    o += "<p class=\"meta\">No time series were sampled.</p>\n";
    return;
  }
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
  std::vector<double> xs(times.begin(), times.end());
  for (const auto& g : groups) {
    std::vector<std::string> names;
    for (size_t i : g.members) names.push_back(list[i].name);
    const auto labels = short_labels(names);
    std::vector<html::PlotSeries> series;
    for (size_t k = 0; k < g.members.size(); ++k) {
      html::PlotSeries s;
      s.label = labels[k];
      s.x = xs;
      s.y.reserve(rows.size());
      for (const auto& row : rows)
        s.y.push_back(g.members[k] < row.size() ? row[g.members[k]] : std::numeric_limits<double>::quiet_NaN());
      series.push_back(std::move(s));
    }
    html::PlotSpec spec;
    spec.title = g.title;
    spec.x_name = "simulated time";
    spec.x_unit = "ps";
    spec.y_name = g.y_name;
    spec.y_unit = g.unit;
    o += html::svg_line_plot(spec, series);
  }
}

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
    for (const auto& [name, h] : hs) {
      names.push_back(name);
      lo = std::min(lo, h->min());
      hi = std::max(hi, h->max());
    }
    const auto labels = short_labels(names);
    std::vector<html::PlotSeries> series;
    for (size_t k = 0; k < hs.size(); ++k) {
      const Histogram& h = *hs[k].second;
      html::PlotSeries s;
      s.label = labels[k];
      s.x.push_back(static_cast<double>(h.min()));
      s.y.push_back(0);
      uint64_t cum = 0;
      for (const auto& [upper, c] : h.bucket_counts()) {
        cum += c;
        const auto capped = static_cast<int64_t>(std::min<uint64_t>(upper, INT64_MAX));
        const auto x = std::clamp<int64_t>(capped, h.min(), h.max());
        s.x.push_back(static_cast<double>(x));
        s.y.push_back(static_cast<double>(cum) / static_cast<double>(h.count()));
      }
      series.push_back(std::move(s));
    }
    html::PlotSpec spec;
    spec.title = key + " CDF";
    spec.x_name = key;
    spec.x_unit = "ps";
    spec.y_name = "fraction \u2264 x";
    spec.y_unit = "1";
    spec.y_max_at_least = 1;
    spec.log_x = lo > 0 && static_cast<double>(hi) / static_cast<double>(lo) > 50;
    o += html::svg_line_plot(spec, series);
  }
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
  o += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n";
  o += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  o += "<title>hostwire report: " + escape(base.empty() ? std::string("(no scenario)") : base) + "</title>\n";
  o += std::string("<style>") + kCss + "</style>\n</head>\n<body>\n";

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
  o += "Generated by hostwire from the same data as report.json and timeseries.csv; this file is self-contained.";
  o += "</footer>\n</body>\n</html>\n";
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
