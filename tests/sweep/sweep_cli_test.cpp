// `hostwire sweep`, `run --point`, `sweep --collect` and `hostwire diff` as a user runs them.
// Each case starts the built binary (HOSTWIRE_BIN) in its own process.
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/si.h"
#include "support/hostwire_cli.h"

namespace fs = std::filesystem;
using hostwire::format_si;
using hostwire::testing::read_json;
using hostwire::testing::run_hostwire;
using hostwire::testing::tmp_dir;

namespace {


void write_json(const std::string& path, const nlohmann::json& j) { std::ofstream(path) << j.dump(2); }

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string f; std::getline(ss, f, sep);) out.push_back(f);
  return out;
}

// The tables of a page (where numbers are formatted for people), without the inlined scripts.
std::string sweep_test_tables(const std::string& page) {
  std::string out;
  for (size_t p = page.find("<table"); p != std::string::npos; p = page.find("<table", p + 1))
    out += page.substr(p, page.find("</table>", p) - p) + "\n";
  return out;
}

// Renders `page` in headless Chromium and returns its DOM after the scripts ran ("" when
// chromium is absent); `errors` gets the console, uncaught and CSP lines of its log.
std::string sweep_test_render(const std::string& page, const std::string& dir, std::string& errors) {
  if (!fs::exists("/usr/bin/chromium")) return "";
  const std::string cmd = "timeout 60 /usr/bin/chromium --headless --no-sandbox --disable-gpu --no-first-run "
                          "--disable-background-networking --disable-component-update --disable-dev-shm-usage "
                          "--user-data-dir='" + dir + "/profile' --enable-logging=stderr --v=0 --dump-dom 'file://" +
                          page + "' >'" + dir + "/dom.out' 2>'" + dir + "/dom.err' </dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
  std::istringstream log(hostwire::testing::slurp(dir + "/dom.err"));
  for (std::string l; std::getline(log, l);)
    if (l.find("CONSOLE") != std::string::npos || l.find("Uncaught") != std::string::npos ||
        l.find("Refused to") != std::string::npos || l.find("Content Security Policy") != std::string::npos)
      errors += l + "\n";
  return hostwire::testing::slurp(dir + "/dom.out");
}

const std::string kQuickstart = HOSTWIRE_SOURCE_DIR "/scenarios/quickstart.yaml";
const std::string kGrid =
    "--grid link0.rate=1Gbps,10Gbps --grid workloads.blast.frame_size=64B,1518B --set duration=1ms";

}  // namespace

TEST(Sweep, FourPointGridGivesFourRowsAndPointRunMatches) {
  const std::string d = tmp_dir("grid");
  auto r = run_hostwire("sweep " + kQuickstart + " " + kGrid + " -j 2 --out " + d);
  ASSERT_EQ(r.code, 0) << r.output;

  auto csv = lines_of(d + "/sweep.csv");
  ASSERT_EQ(csv.size(), 5u) << r.output;
  auto header = split(csv[0], ',');
  ASSERT_GE(header.size(), 4u);
  EXPECT_EQ(header[0], "point");
  EXPECT_EQ(header[1], "link0.rate");
  EXPECT_EQ(header[2], "workloads.blast.frame_size");
  EXPECT_EQ(header[3], "status");
  auto has = [&](const std::string& col) { return std::find(header.begin(), header.end(), col) != header.end(); };
  EXPECT_TRUE(has("workloads.blast.rx_throughput [bit/s]")) << csv[0];
  EXPECT_TRUE(has("workloads.blast.rx_frame_rate [frames/s]")) << csv[0];
  EXPECT_TRUE(has("workloads.blast.latency.p50 [ps]")) << csv[0];
  EXPECT_TRUE(has("workloads.blast.latency.p99 [ps]")) << csv[0];
  EXPECT_TRUE(has("link0.a_to_b.utilisation [1]")) << csv[0];
  EXPECT_TRUE(has("link0.a_to_b.throughput [bit/s]")) << csv[0];
  // First axis slowest.
  EXPECT_EQ(split(csv[1], ',')[1], "1Gbps");
  EXPECT_EQ(split(csv[1], ',')[2], "64B");
  EXPECT_EQ(split(csv[2], ',')[2], "1518B");
  EXPECT_EQ(split(csv[3], ',')[1], "10Gbps");
  for (size_t i = 1; i < csv.size(); ++i) {
    auto f = split(csv[i], ',');
    EXPECT_EQ(f[0], std::to_string(i - 1));
    EXPECT_EQ(f[3], "ok") << csv[i];
    EXPECT_EQ(read_json(d + "/points/" + f[0] + "/status.json")["status"], "ok");
  }
  auto manifest = read_json(d + "/sweep.json");
  EXPECT_EQ(manifest["points"].size(), 4u);
  EXPECT_EQ(manifest["points"][3]["overrides"][0], "link0.rate=10Gbps");
  std::ifstream html(d + "/sweep.html");
  std::string page((std::istreambuf_iterator<char>(html)), {});
  // A chart per metric column, workload metrics first, axis titles with their units in words.
  const size_t columns = header.size() - 4;
  size_t charts = 0;
  for (size_t p = page.find("<div class=\"chart\" role"); p != std::string::npos;
       p = page.find("<div class=\"chart\" role", p + 1))
    ++charts;
  EXPECT_EQ(charts, columns);
  const auto first_h2 = page.find("<h2>");
  EXPECT_EQ(page.substr(first_h2, 14), "<h2>workloads.") << page.substr(first_h2, 80);
  EXPECT_LT(page.find("<h2>workloads.blast.rx_throughput</h2>"), page.find("<h2>link0.a_to_b.throughput</h2>"));
  EXPECT_NE(page.find("&quot;ylabel&quot;:&quot;rx throughput (Gbit/s)&quot;"), std::string::npos);
  EXPECT_NE(page.find("&quot;ylabel&quot;:&quot;latency p99 (us)&quot;"), std::string::npos);
  EXPECT_NE(page.find("&quot;ylabel&quot;:&quot;utilisation (%)&quot;"), std::string::npos);
  EXPECT_NE(page.find("&quot;xticks&quot;:[&quot;1Gbps&quot;,&quot;10Gbps&quot;]"), std::string::npos);
  // Two axes: a heatmap per column, numbers through the SI formatter (no "2.63402e+09 ps").
  const std::string tables = sweep_test_tables(page);
  size_t heatmaps = 0;
  for (size_t p = page.find("<table class=\"heatmap\""); p != std::string::npos;
       p = page.find("<table class=\"heatmap\"", p + 1))
    ++heatmaps;
  EXPECT_EQ(heatmaps, columns);
  EXPECT_EQ(tables.find("e+"), std::string::npos) << tables;
  EXPECT_NE(tables.find(" Gbit/s</td>"), std::string::npos);
  EXPECT_NE(tables.find(" us</td>"), std::string::npos);
  std::string errors;
  const std::string dom = sweep_test_render(d + "/sweep.html", d, errors);
  if (!dom.empty()) {  // headless Chromium draws every chart, with no console error
    EXPECT_EQ(errors, "");
    size_t drawn = 0;
    for (size_t p = dom.find("data-ink=\""); p != std::string::npos; p = dom.find("data-ink=\"", p + 1))
      drawn += std::isdigit(static_cast<unsigned char>(dom[p + 10])) && dom.substr(p + 10, 2) != "0\"";
    EXPECT_EQ(drawn, columns);
  }

  // A point run alone gives the same report (the wall-clock block aside).
  const std::string alone = tmp_dir("alone");
  r = run_hostwire("run " + kQuickstart + " " + kGrid + " --point 3 --out " + alone);
  ASSERT_EQ(r.code, 0) << r.output;
  auto a = read_json(d + "/points/3/report.json"), b = read_json(alone + "/report.json");
  EXPECT_EQ(a["scenario"]["parameters"]["link0.rate"], "10Gbps");
  EXPECT_EQ(a["scenario"]["parameters"]["workloads.blast.frame_size"], "1518B");
  a.erase("wall");
  a.erase("provenance");  // the command line and date differ by design
  b.erase("wall");
  b.erase("provenance");  // the command line and date differ by design
  EXPECT_EQ(a, b);

  // The same two compare equal with hostwire diff; the sweep compares equal to itself.
  r = run_hostwire("diff " + d + "/points/3/report.json " + alone + "/report.json");
  EXPECT_EQ(r.code, 0) << r.output;
  r = run_hostwire("diff " + d + " " + d + "/sweep.csv");
  EXPECT_EQ(r.code, 0) << r.output;
  fs::remove_all(alone);

  // Rerun: every point is done, nothing is run again.
  const auto mtime = fs::last_write_time(d + "/points/2/report.json");
  r = run_hostwire("sweep " + kQuickstart + " " + kGrid + " -j 2 --out " + d);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("4 already done, 0 to run"), std::string::npos) << r.output;
  EXPECT_EQ(fs::last_write_time(d + "/points/2/report.json"), mtime);

  // A lost point: --collect lists it and exits 1; the row says missing.
  fs::remove(d + "/points/1/report.json");
  r = run_hostwire("sweep --collect " + d);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("missing: point 1"), std::string::npos) << r.output;
  EXPECT_EQ(split(lines_of(d + "/sweep.csv")[2], ',')[3], "missing");

  // A rerun runs only that point; then --collect is complete.
  r = run_hostwire("sweep " + kQuickstart + " " + kGrid + " -j 2 --out " + d);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("3 already done, 1 to run"), std::string::npos) << r.output;
  EXPECT_EQ(fs::last_write_time(d + "/points/2/report.json"), mtime);
  r = run_hostwire("sweep --collect " + d);
  EXPECT_EQ(r.code, 0) << r.output;

  // The folder belongs to this sweep: another grid into it is refused.
  r = run_hostwire("sweep " + kQuickstart + " --grid link0.rate=1Gbps,2Gbps --set duration=1ms --out " + d);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("holds another sweep"), std::string::npos) << r.output;
  fs::remove_all(d);
}

TEST(Sweep, FailingPointIsRecordedAndDoesNotStopTheSweep) {
  // 2000B passes the key's own check but not the link's MTU: point 1 fails when it runs.
  const std::string d = tmp_dir("fail");
  auto r = run_hostwire("sweep " + kQuickstart + " --grid workloads.blast.frame_size=64B,2000B --set duration=1ms -j 2 --out " + d);
  EXPECT_EQ(r.code, 1) << r.output;
  auto st0 = read_json(d + "/points/0/status.json"), st1 = read_json(d + "/points/1/status.json");
  EXPECT_EQ(st0["status"], "ok");
  EXPECT_EQ(st1["status"], "failed");
  EXPECT_EQ(st1["exit_code"], 2);
  EXPECT_NE(st1["error"].get<std::string>().find("frame_size"), std::string::npos) << st1.dump(2);
  auto csv = lines_of(d + "/sweep.csv");
  ASSERT_EQ(csv.size(), 3u);
  EXPECT_EQ(split(csv[1], ',')[2], "ok");
  EXPECT_EQ(split(csv[2], ',')[2], "failed");
  // The failed point's values are missing on the page, not 0.
  const std::string page = hostwire::testing::slurp(d + "/sweep.html");
  EXPECT_NE(sweep_test_tables(page).find("<td class=\"na\">n/a</td>"), std::string::npos);
  EXPECT_NE(page.find(",null]"), std::string::npos);  // and a gap in the chart
  r = run_hostwire("sweep --collect " + d);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("failed: point 1"), std::string::npos) << r.output;
  fs::remove_all(d);
}

TEST(Sweep, AnAxisOnOneFieldOfOneListItemRunsAndIsCollected) {
  const std::string d = tmp_dir("item_axis");
  std::ofstream(d + "/s.yaml") << "platform: two_hosts\nduration: 200us\nparameters:\n  host_b:\n    nic:\n"
                                  "      vnics: 2\n      rules:\n        - {src_ip: 10.0.0.1/32, mirror: 1}\n"
                                  "workloads:\n  - {name: rr, type: tcp_rr, from: host_a, to: host_b}\n";
  auto r = run_hostwire("sweep " + d + "/s.yaml --grid 'host_b.nic.rules[0].sample=1,64' -j 2 --out " + d + "/sweep");
  ASSERT_EQ(r.code, 0) << r.output;
  for (const auto& [point, sample] : {std::pair{"0", "1"}, std::pair{"1", "64"}}) {
    auto report = read_json(d + "/sweep/points/" + point + "/report.json");
    EXPECT_EQ(report["scenario"]["parameters"]["host_b.nic.rules"][0]["sample"], sample) << point;
  }
  EXPECT_EQ(split(lines_of(d + "/sweep/sweep.csv")[0], ',')[1], "host_b.nic.rules[0].sample");
  fs::remove_all(d);
}

TEST(Sweep, BadInput) {
  auto r = run_hostwire("run " + kQuickstart + " --point 0 --set duration=1ms");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("no sweep"), std::string::npos) << r.output;

  r = run_hostwire("run " + kQuickstart + " --grid link0.rate=1Gbps,10Gbps --point 2");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("point 2 is out of range: the sweep has 2 points (0..1)"), std::string::npos) << r.output;

  r = run_hostwire("check " + kQuickstart + " --grid link0.rat=1Gbps,10Gbps");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--grid: link0.rat: unknown key (did you mean 'link0.rate'?)"), std::string::npos) << r.output;

  r = run_hostwire("check " + kQuickstart + " --grid link0.rate=1Gbps,10");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--grid: link0.rate:"), std::string::npos) << r.output;

  r = run_hostwire("check " + kQuickstart + " --grid link0.rate=1Gbps,10Gbps --grid workloads.blast.frame_size=64B,128B,256B");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("sweep of 6 points"), std::string::npos) << r.output;

  const std::string d = tmp_dir("bad");
  r = run_hostwire("sweep " + kQuickstart + " --grid link0.rate=1Gbps,10Gbps --set link0.rate=5Gbps --out " + d);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("sweep axis"), std::string::npos) << r.output;

  r = run_hostwire("sweep " + kQuickstart + " --out " + d);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("no sweep"), std::string::npos) << r.output;

  r = run_hostwire("sweep --collect " + d + "/nowhere");
  EXPECT_EQ(r.code, 2) << r.output;
  fs::remove_all(d);
}

TEST(Diff, ExitCodesAndTolerances) {
  const std::string d = tmp_dir("diff");
  auto r = run_hostwire("run " + kQuickstart + " --set duration=1ms --out " + d + "/a");
  ASSERT_EQ(r.code, 0) << r.output;
  r = run_hostwire("run " + kQuickstart + " --set duration=1ms --out " + d + "/b");
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string a = d + "/a/report.json", b = d + "/b/report.json";

  // Two runs differ only in wall-clock fields, which are ignored.
  r = run_hostwire("diff " + a + " " + b);
  EXPECT_EQ(r.code, 0) << r.output;
  r = run_hostwire("diff " + d + "/a " + d + "/b");  // run folders work too
  EXPECT_EQ(r.code, 0) << r.output;

  // Drift one metric by +3 %.
  auto j = read_json(b);
  const double v = j["metrics"]["workloads.blast.rx_throughput"]["value"].get<double>();
  j["metrics"]["workloads.blast.rx_throughput"]["value"] = v * 1.03;
  const std::string c = d + "/c.json";
  write_json(c, j);

  r = run_hostwire("diff " + a + " " + c);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("workloads.blast.rx_throughput"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("+3%"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("FAIL"), std::string::npos) << r.output;
  // Values read as people read them, with the project's one formatter.
  EXPECT_NE(r.output.find(format_si(v * 1.03, "bit/s")), std::string::npos) << r.output;

  // A histogram that became empty (quantiles null) is a change, shown as n/a.
  auto e = read_json(a);
  std::string hist;
  for (auto& [name, m] : e["metrics"].items())
    if (m.contains("p50") && m["p50"].is_number()) {
      hist = name;
      m["p50"] = nullptr;
      break;
    }
  ASSERT_FALSE(hist.empty());
  write_json(d + "/e.json", e);
  r = run_hostwire("diff " + a + " " + d + "/e.json");
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find(hist + ".p50"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("n/a"), std::string::npos) << r.output;

  r = run_hostwire("diff " + a + " " + c + " --tolerance workloads.blast.rx_throughput=5%");
  EXPECT_EQ(r.code, 0) << r.output;
  r = run_hostwire("diff " + a + " " + c + " --tolerance '*.rx_throughput=1%'");
  EXPECT_EQ(r.code, 1) << r.output;
  r = run_hostwire("diff " + a + " " + c + " --tolerance '*.rx_throughput=1%' --tolerance workloads.blast.rx_throughput=4%");
  EXPECT_EQ(r.code, 0) << r.output;  // the exact name wins over a glob
  r = run_hostwire("diff " + a + " " + c + " --default-tolerance 3.5%");
  EXPECT_EQ(r.code, 0) << r.output;
  r = run_hostwire("diff " + a + " " + c + " --tolerance 'workloads.*=ignore'");
  EXPECT_EQ(r.code, 0) << r.output;

  // Bad input: 2.
  r = run_hostwire("diff " + a + " " + d + "/missing.json");
  EXPECT_EQ(r.code, 2) << r.output;
  r = run_hostwire("diff " + a + " " + c + " --tolerance workloads.blast.rx_thruput=5%");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("workloads.blast.rx_thruput"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("did you mean 'workloads.blast.rx_throughput'"), std::string::npos) << r.output;
  r = run_hostwire("diff " + a + " " + c + " --tolerance workloads.blast.rx_throughput=5");
  EXPECT_EQ(r.code, 2) << r.output;
  r = run_hostwire("diff " + a);
  EXPECT_EQ(r.code, 2) << r.output;
  std::ofstream(d + "/junk.json") << "{not json";
  r = run_hostwire("diff " + a + " " + d + "/junk.json");
  EXPECT_EQ(r.code, 2) << r.output;
  fs::remove_all(d);
}

TEST(Diff, ListParametersInTheScenarioAreComparedItemByItem) {
  const std::string d = tmp_dir("diff_lists");
  auto report = [](nlohmann::json rules) {
    return nlohmann::json{{"metrics", nlohmann::json::object()},
                          {"scenario", {{"parameters", {{"link0.rate", "10Gbps"}, {"x.rules", std::move(rules)}}}}}};
  };
  const nlohmann::json one = {{"dst_port", "80"}, {"rate", "1Gbps"}};
  // json::array, not braces: {one} is a copy of `one` for some compilers (nlohmann's brace rule).
  write_json(d + "/a.json", report(nlohmann::json::array({one})));
  write_json(d + "/b.json", report(nlohmann::json::array({{{"dst_port", "81"}, {"rate", "1Gbps"}}, one})));
  auto r = run_hostwire("diff " + d + "/a.json " + d + "/b.json");
  EXPECT_EQ(r.code, 0) << r.output;  // scenario differences are notes, not failures
  EXPECT_NE(r.output.find("note: scenario parameter x.rules: 1 item -> 2 items"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("note: scenario parameter x.rules[0].dst_port: \"80\" -> \"81\""), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("note: scenario parameter x.rules[1].dst_port: (absent) -> \"80\""), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("x.rules[0].rate"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("link0.rate"), std::string::npos) << r.output;
  r = run_hostwire("diff " + d + "/a.json " + d + "/a.json");
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output.find("note:"), std::string::npos) << r.output;
  fs::remove_all(d);
}
