// The HTML report: one self-contained page (inline CSS and SVG, no script, no external
// resource) with the headline numbers, the invariant status, the resolved parameters, plots of
// every time series and latency CDFs, and a table of all metrics. Same inputs, same bytes.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/stats.h"

namespace hostwire {

// Writes the page to `path`. `report` is the report.json object (see docs/outputs.md); `stats`
// supplies the time series and the histograms. Returns false and sets `error` on I/O failure.
bool write_html_report(const std::string& path, const nlohmann::ordered_json& report, const StatsRegistry& stats,
                       std::string& error);

// The page as a string (what write_html_report writes).
std::string render_html_report(const nlohmann::ordered_json& report, const StatsRegistry& stats);

namespace html {

// Escapes & < > " ' so that any text is safe in element content and in quoted attributes.
std::string escape(const std::string& text);

// A value with an SI prefix and its unit: (7.6e9, "bit/s") -> "7.619 Gbit/s"; "ps" values are
// shown as seconds (557600, "ps") -> "557.6 ns"; unit "1" has no prefix. Four significant digits.
std::string format_si(double value, const std::string& unit);

struct PlotSeries {
  std::string label;
  std::vector<double> x, y;  // same length; NaN or infinite points leave a gap
};

struct PlotSpec {
  std::string title;
  std::string x_name, x_unit;  // e.g. "time", "ps" (values are converted as format_si does)
  std::string y_name, y_unit;
  bool log_x = false;
  bool y_from_zero = true;  // include 0 in the y range
  double y_max_at_least = 0;  // e.g. 1 for a CDF
};

// An inline <svg> line plot: axes with "nice" ticks labelled with an SI prefix, the unit on the
// axis title, one polyline per series (long series are reduced to min/max per pixel column), and
// a legend. Deterministic.
std::string svg_line_plot(const PlotSpec& spec, const std::vector<PlotSeries>& series);

}  // namespace html
}  // namespace hostwire
