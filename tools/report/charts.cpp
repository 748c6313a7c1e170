#include "tools/report/charts.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/si.h"

namespace hostwire::html {
namespace assets {
extern const unsigned char kDygraphsJs[], kDygraphsCss[], kChartsJs[];
extern const size_t kDygraphsJsSize, kDygraphsCssSize, kChartsJsSize;
extern const char* const kDygraphsJsSha256;
extern const char* const kChartsJsSha256;
}  // namespace assets

namespace {

std::string text_of(const unsigned char* bytes, size_t size) {
  return std::string(reinterpret_cast<const char*>(bytes), size);
}

// CSP wants the digest in base64; CMake gives hex.
std::string base64_of_hex(const std::string& hex) {
  static const char* const kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) v |= static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[v & 63] : '=';
  }
  return out;
}

// A shown value in the chart's JSON: six significant digits are plenty for a pixel, and keep
// pages small; missing values are null.
std::string number(double v) {
  if (!std::isfinite(v)) return "null";
  std::string s = fmt::format("{:.6g}", v);
  return s == "-0" ? "0" : s;
}

std::string json_text(const std::string& s) { return nlohmann::json(s).dump(); }

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

AxisScale axis_scale(double magnitude, std::string_view unit) {
  magnitude = std::abs(magnitude);
  const std::string raw(unit == "1" ? std::string_view() : unit);
  if (!(magnitude > 0) || !std::isfinite(magnitude)) return {1, raw};
  // format_si says "9.41 Gbit/s": the number tells the factor, the rest is the shown unit.
  const std::string text = format_si(magnitude, unit);
  const auto space = text.rfind(' ');
  std::string num = space == std::string::npos ? text : text.substr(0, space);
  std::string shown = space == std::string::npos ? std::string() : text.substr(space + 1);
  static const std::string kPlain = "kMGTP";  // a plain number's prefix is glued on: "14.88M"
  if (space == std::string::npos && !num.empty() && kPlain.find(num.back()) != std::string::npos) {
    shown = std::string(1, num.back());
    num.pop_back();
  }
  const double n = std::stod(num);
  if (!(n > 0)) return {1, raw};
  const double f = magnitude / n;
  // The factor is a power of 1024 (bytes) or 1000; rounding of the two decimals is snapped away.
  const double base = unit == "B" ? 1024.0 : 1000.0;
  const double factor = std::pow(base, std::round(std::log(f) / std::log(base)));
  return {factor, shown};
}

std::string axis_title(const std::string& name, const std::string& unit) {
  return unit.empty() ? name : name + " (" + unit + ")";
}

std::string chart(const Chart& c) {
  const size_t rows = c.x.size();
  // Long series: each stretch of rows becomes two rows, the minimum then the maximum of every
  // line, so the page stays small and a one-sample spike still shows.
  constexpr size_t kMaxRows = 4000;
  const size_t stretch = rows > kMaxRows ? (rows + kMaxRows / 2 - 1) / (kMaxRows / 2) : 1;
  std::string data = "[";
  auto row = [&](double x, const std::vector<double>& ys) {
    data += data.size() > 1 ? ",[" : "[";
    data += number(x);
    for (double y : ys) data += "," + number(y);
    data += "]";
  };
  for (size_t r = 0; r < rows; r += stretch) {
    const size_t end = std::min(rows, r + stretch);
    std::vector<double> lo(c.y.size()), hi(c.y.size());
    for (size_t s = 0; s < c.y.size(); ++s) {
      double mn = std::numeric_limits<double>::quiet_NaN(), mx = mn;
      for (size_t k = r; k < end && k < c.y[s].size(); ++k) {
        const double v = c.y[s][k];
        if (!std::isfinite(v)) continue;
        mn = std::isfinite(mn) ? std::min(mn, v) : v;
        mx = std::isfinite(mx) ? std::max(mx, v) : v;
      }
      lo[s] = stretch == 1 ? (r < c.y[s].size() ? c.y[s][r] : mn) : mn;
      hi[s] = mx;
    }
    row(c.x[r], lo);
    if (stretch > 1 && end - r > 1) row(c.x[end - 1], hi);
  }
  data += "]";
  std::string labels = "[" + json_text(c.x_title);
  for (const auto& s : c.series) labels += "," + json_text(s);
  labels += "]";
  std::string spec = "{\"title\":" + json_text(c.title) + ",\"xlabel\":" + json_text(c.x_title) +
                     ",\"ylabel\":" + json_text(c.y_title) + ",\"labels\":" + labels;
  if (!c.x_categories.empty()) {
    spec += ",\"xticks\":[";
    for (size_t i = 0; i < c.x_categories.size(); ++i) spec += (i ? "," : "") + json_text(c.x_categories[i]);
    spec += "]";
  }
  if (c.log_x) spec += ",\"logx\":true";
  if (c.log_y) spec += ",\"logy\":true";
  if (c.points) spec += ",\"points\":true";
  if (c.connect_gaps) spec += ",\"connect\":true";
  if (!c.y_from_zero) spec += ",\"nozero\":true";
  spec += ",\"data\":" + data + "}";
  return "<figure class=\"chart\"><div class=\"chart\" role=\"img\" aria-label=\"" + escape(c.title) +
         "\" data-chart=\"" + escape(spec) + "\"></div></figure>\n";
}

std::string chart_css() {
  return text_of(assets::kDygraphsCss, assets::kDygraphsCssSize) +
         "\nfigure.chart{margin:10px 0 22px}div.chart{width:100%;height:320px}"
         ".chart-legend{font-size:12px;min-height:2.6em;color:#2a3140}"
         ".dygraph-title{font-size:15px}.dygraph-label{font-size:13px}\n"
         "table.heatmap td{text-align:right;min-width:6em}table.heatmap td.na{background:#e4e4e4;color:#777}\n";
}

std::string chart_scripts() {
  return "<script>" + text_of(assets::kDygraphsJs, assets::kDygraphsJsSize) + "</script>\n<script>" +
         text_of(assets::kChartsJs, assets::kChartsJsSize) + "</script>\n";
}

std::string content_security_policy() {
  return "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-" +
         base64_of_hex(assets::kDygraphsJsSha256) + "' 'sha256-" + base64_of_hex(assets::kChartsJsSha256) + "'";
}

std::string heatmap(const Heatmap& h) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& row : h.cells)
    for (double v : row)
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  std::string o = "<table class=\"heatmap\" aria-label=\"" + escape(h.title) + "\"><caption>" + escape(h.title) +
                  "</caption>\n<tr><th>" + escape(h.y_name + " \u2193 / " + h.x_name + " \u2192") + "</th>";
  for (const auto& x : h.x_values) o += "<th>" + escape(x) + "</th>";
  o += "</tr>\n";
  for (size_t r = 0; r < h.y_values.size(); ++r) {
    o += "<tr><th>" + escape(h.y_values[r]) + "</th>";
    for (size_t c = 0; c < h.x_values.size(); ++c) {
      const double v = r < h.cells.size() && c < h.cells[r].size() ? h.cells[r][c] : std::nan("");
      if (!std::isfinite(v)) {
        o += "<td class=\"na\">n/a</td>";
        continue;
      }
      // Light (#f0f5fb) to dark (#1f4e8c) blue; text turns white past the middle.
      const double t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
      auto mix = [t](int a, int b) { return static_cast<int>(std::lround(a + (b - a) * t)); };
      o += fmt::format("<td style=\"background:#{:02x}{:02x}{:02x};color:{}\">{}</td>", mix(0xf0, 0x1f),
                       mix(0xf5, 0x4e), mix(0xfb, 0x8c), t > 0.5 ? "#fff" : "#1d2430", escape(format_si(v, h.unit)));
    }
    o += "</tr>\n";
  }
  return o + "</table>\n";
}

}  // namespace hostwire::html
