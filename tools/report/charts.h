// The one chart path of report.html and sweep.html: plots drawn in the browser by dygraphs
// (inlined, so a page is one file that opens offline), a heatmap table for two-axis sweep grids,
// and the display scale of an axis chosen by the project's SI formatter (core/si.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hostwire::html {

// Escapes & < > " ' so that any text is safe in element content and in quoted attributes.
std::string escape(const std::string& text);

// How values of `unit` up to `magnitude` are shown on an axis: shown = raw / factor, in `unit`.
// Taken from format_si's choice for `magnitude`: (9.41e9, "bit/s") -> {1e9, "Gbit/s"},
// (2.6e9, "ps") -> {1e9, "ms"}; a fraction (unit "1") stays {1, ""}.
struct AxisScale {
  double factor = 1;
  std::string unit;
};
AxisScale axis_scale(double magnitude, std::string_view unit);

// An axis title with its unit in words: ("throughput", "Gbit/s") -> "throughput (Gbit/s)";
// no unit, just the name.
std::string axis_title(const std::string& name, const std::string& unit);

struct Chart {
  std::string title, x_title, y_title;
  std::vector<std::string> series;        // one label per line
  std::vector<double> x;                  // shown values (already scaled)
  std::vector<std::vector<double>> y;     // y[line][row], shown values; NaN is missing (a gap)
  std::vector<std::string> x_categories;  // when set, x holds indices into it (sweep axes)
  bool log_x = false, log_y = false;
  bool points = false;        // draw a dot per value (few points, e.g. a sweep)
  bool connect_gaps = false;  // lines run across missing values (series sampled at different x)
  bool y_from_zero = true;
};

// A <div class="chart"> that charts.js draws (drag to zoom, double-click to reset). Series
// longer than about 4,000 rows keep their minimum and maximum per stretch, so spikes stay.
std::string chart(const Chart& c);

// The page's CSS for charts and the scripts that draw them (dygraphs, then charts.js), once per
// page at the end of <body>.
std::string chart_css();
std::string chart_scripts();

// The Content-Security-Policy of a page with charts: nothing loads, and only the two inlined
// scripts run (by their SHA-256).
std::string content_security_policy();

// A table coloured by value (light to dark), x_values across and y_values down; cells[y][x] in
// raw `unit`, NaN shows "n/a" on grey. Text through format_si.
struct Heatmap {
  std::string title, x_name, y_name, unit;
  std::vector<std::string> x_values, y_values;
  std::vector<std::vector<double>> cells;
};
std::string heatmap(const Heatmap& h);

}  // namespace hostwire::html
