// The HTML report: one self-contained page (inline CSS, the inlined dygraphs charts of
// charts.h, no external resource) with the provenance, the headline numbers, the invariant
// status, the resolved parameters, zoomable plots of every time series, latency tails, and a
// table of all metrics. Same inputs, same bytes.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/stats.h"
#include "tools/report/charts.h"

namespace hostwire {

// Writes the page to `path`. `report` is the report.json object (see docs/outputs.md); `stats`
// supplies the time series and the histograms. Returns false and sets `error` on I/O failure.
bool write_html_report(const std::string& path, const nlohmann::ordered_json& report, const StatsRegistry& stats,
                       std::string& error);

// The page as a string (what write_html_report writes).
std::string render_html_report(const nlohmann::ordered_json& report, const StatsRegistry& stats);

}  // namespace hostwire
