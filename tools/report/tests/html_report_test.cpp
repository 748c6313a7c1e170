#include "tools/report/html_report.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
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

TEST(HtmlReport, PageHasOneSvgPlotPerGroupWithPolylines) {
  auto run = testing::make_sample_run("two endpoints");
  const std::string page = render_html_report(run->report, run->stats);
  // flows, links, utilisation, occupancy, cwnd, latency CDF
  EXPECT_EQ(count(page, "<svg"), 6u);
  EXPECT_EQ(count(page, "</svg>"), 6u);
  EXPECT_EQ(count(page, "<polyline points=\""), 10u);  // 8 series, 2 CDFs
  for (const char* title : {">Throughput per flow<", ">Link throughput per direction<", ">utilisation<",
                            ">occupancy<", ">cwnd<", ">latency CDF<"})
    EXPECT_NE(page.find(title), std::string::npos) << title;
  // Axis titles carry SI-prefixed units.
  EXPECT_NE(page.find("throughput [Gbit/s]"), std::string::npos);
  EXPECT_NE(page.find("simulated time [ms]"), std::string::npos);
  EXPECT_NE(page.find("cwnd [kB]"), std::string::npos);
  EXPECT_NE(page.find("latency [\u00b5s]"), std::string::npos);  // latency CDF x axis
  // Legends use the short names.
  EXPECT_NE(page.find(">blast</text>"), std::string::npos);
  EXPECT_NE(page.find(">a_to_b</text>"), std::string::npos);
  EXPECT_NE(page.find(">cpu0</text>"), std::string::npos);
}

TEST(HtmlReport, HeadlineTableShowsThroughputFrameRateAndLatency) {
  auto run = testing::make_sample_run("two endpoints");
  const std::string page = render_html_report(run->report, run->stats);
  const auto headline = page.substr(page.find("<table class=\"headline\">"));
  const auto table = headline.substr(0, headline.find("</table>"));
  EXPECT_NE(table.find("<code>blast</code>"), std::string::npos);
  EXPECT_NE(table.find("<code>reply</code>"), std::string::npos);
  EXPECT_NE(table.find("7.619 Gbit/s"), std::string::npos);
  EXPECT_NE(table.find("1.948 Gbit/s"), std::string::npos);
  EXPECT_NE(table.find("14.88 M frames/s"), std::string::npos);
  EXPECT_NE(table.find("684.3 k frames/s"), std::string::npos);
  const auto& m = run->report["metrics"]["workloads.reply.latency"];
  EXPECT_NE(table.find(html::format_si(m["p50"].get<double>(), "ps")), std::string::npos);
  EXPECT_NE(table.find(html::format_si(m["p99"].get<double>(), "ps")), std::string::npos);
}

TEST(HtmlReport, AllTextIsEscaped) {
  auto run = testing::make_sample_run(kEvil);
  run->report["invariants"]["violations"] = {"frames <lost> & \"found\""};
  const std::string page = render_html_report(run->report, run->stats);
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
                                      "summary", "svg", "text", "g", "line", "polyline", "footer", "br"};
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
  const std::string xmlns = "xmlns=\"http://www.w3.org/2000/svg\"";
  std::string rest = page;
  for (size_t p; (p = rest.find(xmlns)) != std::string::npos;) rest.erase(p, xmlns.size());
  const std::string lc = lower(rest);
  EXPECT_EQ(lc.find("http://"), std::string::npos);
  EXPECT_EQ(lc.find("https://"), std::string::npos);
  EXPECT_EQ(lc.find("//"), std::string::npos);  // no protocol-relative URL either
  for (const char* s : {"<link", "<img", "<iframe", "<object", "src=", "href=", "url(", "@import", "@font-face"})
    EXPECT_EQ(lc.find(s), std::string::npos) << s;
  EXPECT_NE(page.find("Content-Security-Policy"), std::string::npos);
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
  EXPECT_NE(all.find("148.8 k frames"), std::string::npos);  // and the readable one
}

TEST(HtmlReport, FormatSi) {
  EXPECT_EQ(html::format_si(7618662400.0, "bit/s"), "7.619 Gbit/s");
  EXPECT_EQ(html::format_si(557600, "ps"), "557.6 ns");
  EXPECT_EQ(html::format_si(1957887, "ps"), "1.958 \u00b5s");
  EXPECT_EQ(html::format_si(999960, "ps"), "1 \u00b5s");
  EXPECT_EQ(html::format_si(10000000000.0, "ps"), "10 ms");
  EXPECT_EQ(html::format_si(14880200, "frames/s"), "14.88 M frames/s");
  EXPECT_EQ(html::format_si(12, "frames"), "12 frames");
  EXPECT_EQ(html::format_si(65536, "B"), "65.54 kB");
  EXPECT_EQ(html::format_si(0.20579584, "1"), "0.2058");
  EXPECT_EQ(html::format_si(0, "bit/s"), "0 bit/s");
  EXPECT_EQ(html::format_si(-2500, "Hz"), "-2.5 kHz");
  EXPECT_EQ(html::format_si(std::nan(""), "B"), "n/a");
}

TEST(HtmlReport, PlotHelperHandlesGapsFlatAndEmptySeries) {
  html::PlotSpec spec{"flat", "time", "ps", "value", "bit/s"};
  html::PlotSeries flat{"flat", {0, 1e6, 2e6}, {5e9, 5e9, 5e9}};
  html::PlotSeries gap{"gap", {0, 1e6, 2e6, 3e6}, {1e9, std::nan(""), 2e9, 3e9}};
  const std::string svg = html::svg_line_plot(spec, {flat, gap});
  EXPECT_EQ(count(svg, "<polyline"), 3u);  // flat, and the gap splits the second in two
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
  EXPECT_NE(svg.find("value [Gbit/s]"), std::string::npos);
  EXPECT_NE(svg.find("time [\u00b5s]"), std::string::npos);
  html::PlotSpec log_spec{"log", "latency", "ps", "fraction", "1", true};
  const std::string log_svg = html::svg_line_plot(log_spec, {{"cdf", {2e3, 5e5, 3e7}, {0, 0.5, 1}}});
  for (const char* tick : {">1 ns<", ">10 ns<", ">100 ns<", ">1 \u00b5s<", ">10 \u00b5s<", ">100 \u00b5s<"})
    EXPECT_NE(log_svg.find(tick), std::string::npos) << tick;
  EXPECT_NE(log_svg.find(">latency<"), std::string::npos);  // log axis: the unit is on each tick
  html::PlotSpec zero_spec{"idle", "time", "ps", "utilisation", "1"};
  const std::string zero = html::svg_line_plot(zero_spec, {{"core0", {1e6, 2e6}, {0, 0}}});
  EXPECT_NE(zero.find(">1.0</text>"), std::string::npos);  // all zero: y axis 0..1, not -1..1
  EXPECT_EQ(zero.find(">-"), std::string::npos);
  const std::string huge = html::svg_line_plot(spec, {{"big", {0, 1}, {-1.7e308, 1.7e308}}});
  EXPECT_EQ(huge.find("nan"), std::string::npos);
  EXPECT_EQ(huge.find("inf"), std::string::npos);
  const std::string none = html::svg_line_plot(spec, {});
  EXPECT_NE(none.find("no data"), std::string::npos);
  EXPECT_EQ(none.find("<polyline"), std::string::npos);
}

TEST(HtmlReport, LongSeriesAreReducedPerPixelColumn) {
  StatsRegistry s;
  int i = 0;
  s.series("link0.a_to_b.throughput", "bit/s", [&] { return (i % 100 == 0) ? 9e9 : 1e9 + (i % 7) * 1e7; });
  for (i = 1; i <= 200000; ++i) s.sample(Time::from_ns(i * 100));
  const std::string page = render_html_report(nlohmann::ordered_json::object(), s);
  EXPECT_LT(page.size(), 200'000u);
  EXPECT_EQ(count(page, "<polyline"), 1u);
  EXPECT_NE(page.find("Link throughput per direction"), std::string::npos);
  EXPECT_NE(page.find(">8</text>"), std::string::npos);  // the 9 Gbit/s spikes survive (axis reaches 8+)
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
