#include "tools/report/html_report.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <limits>
#include <map>
#include <vector>

#include "core/si.h"
#include <unistd.h>

#include "tools/report/tests/sample_report.h"

namespace hostwire {
namespace {

constexpr const char* kEvil = "<script>alert(1)</script> & \"quotes\" 'too'";

size_t count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + needle.size())) ++n;
  return n;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// The page without the inlined scripts at the end of <body> (the library's own text).
std::string report_test_without_scripts(const std::string& page) {
  const std::string scripts = html::chart_scripts();
  const auto p = page.find(scripts);
  return p == std::string::npos ? page : page.substr(0, p) + page.substr(p + scripts.size());
}

// The chart specs of a page: each <div class="chart" data-chart="..."> attribute, unescaped.
std::vector<nlohmann::json> report_test_charts(const std::string& full) {
  const std::string page = report_test_without_scripts(full);
  std::vector<nlohmann::json> out;
  const std::string key = "data-chart=\"";
  for (size_t p = page.find(key); p != std::string::npos; p = page.find(key, p + 1)) {
    const size_t start = p + key.size();
    std::string text = page.substr(start, page.find('"', start) - start);
    for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
             {"&quot;", "\""}, {"&lt;", "<"}, {"&gt;", ">"}, {"&#39;", "'"}, {"&amp;", "&"}})
      for (size_t q; (q = text.find(from)) != std::string::npos;) text.replace(q, from.size(), to);
    out.push_back(nlohmann::json::parse(text));
  }
  return out;
}

TEST(HtmlReport, PageHasOneChartPerGroupWithUnitsInTheAxisTitles) {
  auto run = testing::make_sample_run("two endpoints");
  const std::string page = render_html_report(run->report, run->stats);
  const auto charts = report_test_charts(page);
  // flows, links, utilisation, occupancy, cwnd, latency tail
  ASSERT_EQ(charts.size(), 6u);
  EXPECT_EQ(count(report_test_without_scripts(page), "<div class=\"chart\""), 6u);
  std::map<std::string, nlohmann::json> by_title;
  for (const auto& c : charts) by_title[c["title"].get<std::string>()] = c;
  for (const char* title : {"Throughput per flow", "Link throughput per direction", "utilisation (percent busy)",
                            "occupancy", "cwnd", "latency: fraction of samples above x"})
    EXPECT_TRUE(by_title.count(title)) << title;
  const auto& flows = by_title["Throughput per flow"];
  EXPECT_EQ(flows["xlabel"], "simulated time (ms)");
  EXPECT_EQ(flows["ylabel"], "throughput (Gbit/s)");
  EXPECT_EQ(flows["labels"], nlohmann::json({"simulated time (ms)", "blast", "reply"}));  // short legend names
  ASSERT_EQ(flows["data"].size(), 100u);
  EXPECT_DOUBLE_EQ(flows["data"][0][0].get<double>(), 0.1);     // 100 us in ms
  EXPECT_NEAR(flows["data"][99][1].get<double>(), 7.61856, 1e-5);  // Gbit/s
  EXPECT_EQ(by_title["cwnd"]["ylabel"], "cwnd (KiB)");
  // Per-core utilisation in percent, not as a fraction.
  const auto& util = by_title["utilisation (percent busy)"];
  EXPECT_EQ(util["ylabel"], "utilisation (%)");
  EXPECT_EQ(util["labels"][1], "cpu0");
  for (const auto& row : util["data"]) EXPECT_GT(row[1].get<double>(), 20) << row;
  EXPECT_EQ(page.find("\"logx\""), std::string::npos);
}

TEST(HtmlReport, LatencyTailIsOneMinusFOnALogAxis) {
  auto run = testing::make_sample_run("tail");
  const auto charts = report_test_charts(render_html_report(run->report, run->stats));
  const auto& c = charts.back();
  EXPECT_EQ(c["title"], "latency: fraction of samples above x");
  EXPECT_EQ(c["logy"], true);
  EXPECT_EQ(c["connect"], true);
  EXPECT_EQ(c["xlabel"], "latency (us)");
  EXPECT_EQ(c["labels"], nlohmann::json({"latency (us)", "blast", "reply"}));
  // Each line starts at 1 at its exact min and falls, never to 0 (no place on a log axis).
  const auto& data = c["data"];
  EXPECT_NEAR(data[0][0].get<double>(), 0.5576, 1e-3);
  for (int line : {1, 2}) {
    double last = 1;
    size_t n = 0;
    for (const auto& row : data) {
      if (row[line].is_null()) continue;
      if (n == 0) {
        EXPECT_EQ(row[line], 1) << row;
      }
      EXPECT_GT(row[line].get<double>(), 0);
      EXPECT_LE(row[line].get<double>(), last);
      last = row[line].get<double>();
      ++n;
    }
    EXPECT_GT(n, 5u);
    EXPECT_LT(last, 0.01) << "the tail reaches below p99";
  }
}

TEST(HtmlReport, EmptyHistogramReadsNotAvailableNotZero) {
  auto run = testing::make_sample_run("empty");
  run->report["metrics"]["workloads.idle.latency"] = {
      {"count", 0}, {"mean", nullptr}, {"min", nullptr}, {"p50", nullptr}, {"p90", nullptr}, {"p99", nullptr},
      {"p99.9", nullptr}, {"max", nullptr}, {"unit", "ps"}, {"meaning", "never sampled"}};
  run->report["metrics"]["workloads.old.latency"] = {{"count", 0}, {"mean", 0}, {"min", 0}, {"p50", 0},
                                                     {"p99", 0}, {"max", 0}, {"unit", "ps"}, {"meaning", "older writer"}};
  const std::string page = render_html_report(run->report, run->stats);
  for (const char* flow : {"idle", "old"}) {
    const auto row = page.substr(page.find("<tr><td><code>" + std::string(flow) + "</code></td>"));
    EXPECT_EQ(row.substr(0, row.find("</tr>")),
              "<tr><td><code>" + std::string(flow) + "</code></td><td class=\"num\">\u2013</td><td class=\"num\">"
              "\u2013</td><td class=\"num\">n/a</td><td class=\"num\">n/a</td><td class=\"num\">n/a</td>");
  }
  EXPECT_NE(page.find("n=0 \u00b7 mean n/a \u00b7 p50 n/a \u00b7 p99 n/a \u00b7 max n/a"), std::string::npos);
  EXPECT_NE(page.find("count 0 \u00b7 min n/a \u00b7 mean n/a"), std::string::npos);
  EXPECT_EQ(page.find("0 s"), std::string::npos);
}

TEST(HtmlReport, ProvenanceTableWhenTheReportHasOne) {
  auto run = testing::make_sample_run("x");
  std::string page = render_html_report(run->report, run->stats);
  EXPECT_EQ(page.find("class=\"provenance\""), std::string::npos);
  run->report["provenance"] = {{"command_line", "hostwire run scenarios/q.yaml --set <a>=1"},
                               {"overrides", {"link0.rate=1Gbps", "duration=1ms"}},
                               {"version", "0.1.0"}, {"revision", "644a24a"}, {"host", "lab1"},
                               {"date", "2026-12-02T20:00:00Z"}};
  page = render_html_report(run->report, run->stats);
  const auto p = page.find("<table class=\"provenance\">");
  ASSERT_NE(p, std::string::npos);
  EXPECT_LT(p, page.find("<h2>Headline</h2>"));  // near the top
  const auto table = page.substr(p, page.find("</table>", p) - p);
  EXPECT_NE(table.find("<tr><td>command line</td><td><code>hostwire run scenarios/q.yaml --set &lt;a&gt;=1</code>"),
            std::string::npos) << table;
  EXPECT_NE(table.find("<td>overrides</td><td><code>link0.rate=1Gbps duration=1ms</code>"), std::string::npos);
  for (const char* s : {"<td>version</td>", "644a24a", "<td>host</td><td><code>lab1</code>", "2026-12-02T20:00:00Z"})
    EXPECT_NE(table.find(s), std::string::npos) << s;
}

TEST(HtmlReport, HeadlineTableShowsThroughputFrameRateAndLatency) {
  auto run = testing::make_sample_run("two endpoints");
  const std::string page = render_html_report(run->report, run->stats);
  const auto headline = page.substr(page.find("<table class=\"headline\">"));
  const auto table = headline.substr(0, headline.find("</table>"));
  EXPECT_NE(table.find("<code>blast</code>"), std::string::npos);
  EXPECT_NE(table.find("<code>reply</code>"), std::string::npos);
  EXPECT_NE(table.find("7.62 Gbit/s"), std::string::npos);
  EXPECT_NE(table.find("1.95 Gbit/s"), std::string::npos);
  EXPECT_NE(table.find("14.88 Mframes/s"), std::string::npos);
  EXPECT_NE(table.find("684.30 kframes/s"), std::string::npos);
  const auto& m = run->report["metrics"]["workloads.reply.latency"];
  EXPECT_NE(table.find(format_si(m["p50"].get<double>(), "ps")), std::string::npos);
  EXPECT_NE(table.find(format_si(m["p99"].get<double>(), "ps")), std::string::npos);
}

TEST(HtmlReport, AllTextIsEscaped) {
  auto run = testing::make_sample_run(kEvil);
  run->report["invariants"]["violations"] = {"frames <lost> & \"found\""};
  const std::string full = render_html_report(run->report, run->stats);
  // The only scripts are the two inlined ones, once, at the end of <body>.
  EXPECT_EQ(count(lower(full), "<script"), 2u);
  EXPECT_NE(full.find(html::chart_scripts() + "</body>"), std::string::npos);
  const std::string page = report_test_without_scripts(full);
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot; &#39;too&#39;"),
            std::string::npos);
  const std::string lc = lower(page);
  EXPECT_EQ(lc.find("<script"), std::string::npos);
  EXPECT_EQ(lc.find("<img"), std::string::npos);
  EXPECT_NE(page.find("evil&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"), std::string::npos);
  EXPECT_NE(page.find("&lt;/table&gt;&lt;script&gt;alert(3)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(page.find("scenarios/&lt;quickstart&gt;.yaml"), std::string::npos);
  EXPECT_NE(page.find("frames &lt;lost&gt; &amp; &quot;found&quot;"), std::string::npos);
  EXPECT_NE(page.find("one-way latency &lt;offered"), std::string::npos);
  // Every '<' in the page starts a tag of the small set the writer emits.
  static const char* const kTags[] = {"!DOCTYPE", "html", "head", "meta", "title", "style", "body", "header", "h1",
                                      "h2", "p", "code", "table", "tr", "th", "td", "div", "ul", "li", "details",
                                      "summary", "figure", "footer", "br"};
  for (size_t p = page.find('<'); p != std::string::npos; p = page.find('<', p + 1)) {
    size_t q = p + 1 + (page[p + 1] == '/');
    size_t e = q;
    while (e < page.size() && (std::isalnum(static_cast<unsigned char>(page[e])) || page[e] == '!')) ++e;
    const std::string tag = page.substr(q, e - q);
    EXPECT_TRUE(std::find(std::begin(kTags), std::end(kTags), tag) != std::end(kTags))
        << "unexpected tag <" << tag << " at " << page.substr(p, 60);
    // ... and carries no event-handler attribute.
    const std::string inside = lower(page.substr(p, page.find('>', p) - p));
    EXPECT_EQ(inside.find(" on"), std::string::npos) << inside;
  }
}

TEST(HtmlReport, EscapeHelper) {
  EXPECT_EQ(html::escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(html::escape("plain µs"), "plain µs");
}

TEST(HtmlReport, NoExternalReferences) {
  auto run = testing::make_sample_run("offline");
  run->report["scenario"]["parameters"].erase("evil\"><img src=x onerror=alert(2)>");
  const std::string page = render_html_report(run->report, run->stats);
  const std::string lc = lower(report_test_without_scripts(page));
  EXPECT_EQ(lc.find("http://"), std::string::npos);
  EXPECT_EQ(lc.find("https://"), std::string::npos);
  EXPECT_EQ(lc.find("//"), std::string::npos);  // no protocol-relative URL either
  for (const char* s : {"<link", "<img", "<iframe", "<object", "src=", "href=", "url(", "@import", "@font-face"})
    EXPECT_EQ(lc.find(s), std::string::npos) << s;
  // Only the inlined scripts may run, by their digests; the library points at no source map.
  EXPECT_NE(page.find("content=\"" + html::content_security_policy() + "\""), std::string::npos);
  EXPECT_EQ(count(html::content_security_policy(), "'sha256-"), 2u);
  EXPECT_EQ(html::content_security_policy().find("unsafe-eval"), std::string::npos);
  EXPECT_EQ(html::chart_scripts().find("sourceMappingURL"), std::string::npos);
  EXPECT_EQ(html::chart_css().find("sourceMappingURL"), std::string::npos);
}

TEST(HtmlReport, DeterministicForTheSameInput) {
  auto a = testing::make_sample_run("same");
  auto b = testing::make_sample_run("same");
  const std::string pa = render_html_report(a->report, a->stats);
  EXPECT_EQ(pa, render_html_report(a->report, a->stats));
  EXPECT_EQ(pa, render_html_report(b->report, b->stats));
  // The wall block (which differs between runs) does not reach the page.
  b->report["wall"] = {{"started_utc", "2030-05-05T05:05:05Z"}, {"seconds", 123.0}};
  EXPECT_EQ(pa, render_html_report(b->report, b->stats));
}

TEST(HtmlReport, InvariantStatus) {
  auto run = testing::make_sample_run("x");
  std::string page = render_html_report(run->report, run->stats);
  EXPECT_NE(page.find("<p class=\"ok\">"), std::string::npos);
  EXPECT_EQ(page.find("class=\"bad\""), std::string::npos);
  run->report["invariants"]["violations"] = {"link0: frames_in != delivered + dropped", "second"};
  page = render_html_report(run->report, run->stats);
  EXPECT_EQ(page.find("<p class=\"ok\">"), std::string::npos);
  EXPECT_NE(page.find("<div class=\"bad\">"), std::string::npos);
  EXPECT_NE(page.find("2 invariant violations"), std::string::npos);
  EXPECT_NE(page.find("<li>link0: frames_in != delivered + dropped</li>"), std::string::npos);
}

TEST(HtmlReport, ParametersAndAllMetricsTables) {
  auto run = testing::make_sample_run("x");
  const std::string page = render_html_report(run->report, run->stats);
  EXPECT_NE(page.find("<details><summary>Resolved parameters (3)</summary>"), std::string::npos);
  EXPECT_NE(page.find("<td><code>link0.rate</code></td><td><code>10Gbps</code></td>"), std::string::npos);
  const auto all = page.substr(page.find("<table class=\"metrics\">"));
  for (const auto& [name, m] : run->report["metrics"].items())
    EXPECT_NE(all.find("<code>" + html::escape(name) + "</code>"), std::string::npos) << name;
  EXPECT_NE(all.find("148802"), std::string::npos);       // exact counter value
  EXPECT_NE(all.find("148.80 kframes"), std::string::npos);  // and the readable one
}

TEST(HtmlReport, AxisScaleFollowsTheSiFormatter) {
  auto same = [](html::AxisScale a, double factor, const std::string& unit) {
    EXPECT_DOUBLE_EQ(a.factor, factor) << a.unit;
    EXPECT_EQ(a.unit, unit);
  };
  same(html::axis_scale(9.41e9, "bit/s"), 1e9, "Gbit/s");
  same(html::axis_scale(2.6e9, "ps"), 1e9, "ms");
  same(html::axis_scale(999996, "ps"), 1e6, "us");  // format_si rounds it up to 1.00 us
  same(html::axis_scale(557600, "ps"), 1e3, "ns");
  same(html::axis_scale(14880200, "frames/s"), 1e6, "Mframes/s");
  same(html::axis_scale(1.5 * 1024 * 1024, "B"), 1024.0 * 1024, "MiB");
  same(html::axis_scale(37, "frames"), 1, "frames");
  same(html::axis_scale(0.73, "1"), 1, "");
  same(html::axis_scale(1.26e6, ""), 1e6, "M");
  same(html::axis_scale(0, "bit/s"), 1, "bit/s");
  same(html::axis_scale(std::nan(""), "ps"), 1, "ps");
  EXPECT_EQ(html::axis_title("throughput", "Gbit/s"), "throughput (Gbit/s)");
  EXPECT_EQ(html::axis_title("utilisation", ""), "utilisation");
}

TEST(HtmlReport, ChartWritesMissingValuesAsNullAndEscapesText) {
  html::Chart c;
  c.title = "t <b>";
  c.x_title = "x";
  c.y_title = "y";
  c.series = {"a\"b", "c"};
  c.x = {1, 2, 3};
  c.y = {{1.5, std::nan(""), 3}, {std::numeric_limits<double>::infinity(), 2, -0.0}};
  c.x_categories = {"false", "true", "x"};
  c.points = true;
  const std::string div = html::chart(c);
  EXPECT_EQ(div.find("nan"), std::string::npos);
  EXPECT_EQ(div.find("inf"), std::string::npos);
  EXPECT_EQ(div.find("<b>"), std::string::npos);
  const auto spec = report_test_charts(div).at(0);
  EXPECT_EQ(spec["title"], "t <b>");
  EXPECT_EQ(spec["labels"], nlohmann::json({"x", "a\"b", "c"}));
  EXPECT_EQ(spec["xticks"], nlohmann::json({"false", "true", "x"}));
  EXPECT_EQ(spec["data"], nlohmann::json::parse("[[1,1.5,null],[2,null,2],[3,3,0]]"));
  EXPECT_EQ(spec["points"], true);
}

TEST(HtmlReport, HeatmapColoursByValueAndShowsMissingCells) {
  html::Heatmap h;
  h.title = "rx_throughput";
  h.x_name = "cores";
  h.y_name = "rings";
  h.unit = "bit/s";
  h.x_values = {"1", "2"};
  h.y_values = {"1", "4"};
  h.cells = {{1e9, 2e9}, {std::nan(""), 9.41e9}};
  const std::string t = html::heatmap(h);
  EXPECT_NE(t.find("<td style=\"background:#f0f5fb;color:#1d2430\">1.00 Gbit/s</td>"), std::string::npos) << t;
  EXPECT_NE(t.find("<td style=\"background:#1f4e8c;color:#fff\">9.41 Gbit/s</td>"), std::string::npos) << t;
  EXPECT_NE(t.find("<td class=\"na\">n/a</td>"), std::string::npos);
  EXPECT_EQ(t.find(">0 bit/s<"), std::string::npos);
  EXPECT_EQ(count(t, "<tr>"), 3u);
}

TEST(HtmlReport, LongSeriesKeepMinimumAndMaximumPerStretch) {
  StatsRegistry s;
  int i = 0;
  s.series("link0.a_to_b.throughput", "bit/s", [&] { return (i % 100 == 0) ? 9e9 : 1e9 + (i % 7) * 1e7; });
  for (i = 1; i <= 200000; ++i) s.sample(Time::from_ns(i * 100));
  const std::string page = render_html_report(nlohmann::ordered_json::object(), s);
  EXPECT_LT(page.size(), 400'000u);
  const auto charts = report_test_charts(page);
  ASSERT_EQ(charts.size(), 1u);
  EXPECT_EQ(charts[0]["title"], "Link throughput per direction");
  const auto& data = charts[0]["data"];
  EXPECT_LE(data.size(), 4000u);
  EXPECT_GT(data.size(), 1000u);
  size_t spikes = 0;
  for (const auto& row : data) spikes += row[1].get<double>() == 9;  // 9 Gbit/s spikes survive
  EXPECT_GT(spikes, 1000u);
}

TEST(HtmlReport, EmptyInputsStillMakeAPage) {
  StatsRegistry s;
  const std::string page = render_html_report(nlohmann::ordered_json::object(), s);
  EXPECT_NE(page.find("<!DOCTYPE html>"), std::string::npos);
  EXPECT_NE(page.find("No time series were sampled."), std::string::npos);
  EXPECT_NE(page.find("No time histograms were recorded."), std::string::npos);
  EXPECT_NE(page.find("</html>"), std::string::npos);
}

TEST(HtmlReport, WriteReportsIoErrors) {
  auto run = testing::make_sample_run("x");
  std::string error;
  EXPECT_FALSE(write_html_report("/nonexistent-dir/sub/report.html", run->report, run->stats, error));
  EXPECT_NE(error.find("/nonexistent-dir/sub/report.html"), std::string::npos);

  const auto path = (std::filesystem::temp_directory_path() /
                     ("hostwire_html_report_test." + std::to_string(::getpid()) + ".html")).string();
  ASSERT_TRUE(write_html_report(path, run->report, run->stats, error)) << error;
  EXPECT_TRUE(error.empty());
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_EQ(ss.str(), render_html_report(run->report, run->stats));
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace hostwire
