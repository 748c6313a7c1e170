// Renders the page in headless Chromium: it must load offline without console errors (no
// uncaught exception, no CSP violation, no failed resource), every chart must be drawn, and the
// screenshot must differ from the same page without its charts.
// Skipped when /usr/bin/chromium is absent. Set HOSTWIRE_HTML_SCREENSHOT=path to keep the PNG.
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tools/report/html_report.h"
#include "tools/report/tests/sample_report.h"

namespace hostwire {
namespace {

namespace fs = std::filesystem;
constexpr const char* kChromium = "/usr/bin/chromium";

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

class HtmlReportChromium : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kChromium)) GTEST_SKIP() << kChromium << " not installed (apt-get install chromium)";
    std::string tmpl = (fs::temp_directory_path() / "hostwire_html_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty() && !::testing::Test::HasFailure()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

  // Runs chromium on file://page with extra arguments; stdout and stderr go to files in dir_.
  // Returns the exit status (124 when `timeout` killed it).
  int chromium(const fs::path& page, const std::string& args, const std::string& tag) {
    const fs::path profile = dir_ / ("profile-" + tag);
    const std::string cmd = "timeout 60 " + std::string(kChromium) +
                            " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
                            " --disable-background-networking --disable-component-update --disable-sync"
                            " --disable-dev-shm-usage --user-data-dir='" + profile.string() +
                            "' --enable-logging=stderr --v=0 --window-size=1280,2000 " + args + " 'file://" +
                            page.string() + "' >'" + (dir_ / (tag + ".out")).string() + "' 2>'" +
                            (dir_ / (tag + ".err")).string() + "' </dev/null";
    const int rc = std::system(cmd.c_str());
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + (WIFSIGNALED(rc) ? WTERMSIG(rc) : 0);
  }

  // Lines of a chromium stderr log that report a problem with the page.
  static std::string page_errors(const std::string& log) {
    std::istringstream in(log);
    std::string line, bad;
    for (std::string l; std::getline(in, l);) {
      if (l.find("Uncaught") != std::string::npos || l.find("CONSOLE") != std::string::npos ||
          l.find("Refused to") != std::string::npos || l.find("Content Security Policy") != std::string::npos ||
          l.find("ERR_FILE_NOT_FOUND") != std::string::npos)
        bad += l + "\n";
    }
    return bad;
  }

  fs::path dir_;
};

// Every drawn chart of a --dump-dom output: the data-ink="N" that charts.js sets once it drew
// the chart (N pixels with ink on its canvases), in page order.
std::vector<long> chromium_test_ink(const std::string& dom) {
  std::vector<long> out;
  const std::string key = "data-ink=\"";
  for (size_t p = dom.find(key); p != std::string::npos; p = dom.find(key, p + 1))
    if (std::isdigit(static_cast<unsigned char>(dom[p + key.size()])))  // not charts.js's own comment
      out.push_back(std::stol(dom.substr(p + key.size())));
  return out;
}

TEST_F(HtmlReportChromium, RendersOfflineWithoutConsoleErrorsAndEveryChartIsDrawn) {
  auto run = testing::make_sample_run("<script>alert(1)</script> two endpoints on a 10 Gbps link");
  const fs::path page = dir_ / "report.html";
  std::string error;
  ASSERT_TRUE(write_html_report(page.string(), run->report, run->stats, error)) << error;
  // The same page without its scripts: the charts' boxes stay empty.
  std::string text = slurp(page);
  const auto at = text.find(html::chart_scripts());
  ASSERT_NE(at, std::string::npos);
  const fs::path bare = dir_ / "bare.html";
  std::ofstream(bare) << text.substr(0, at) + text.substr(at + html::chart_scripts().size());

  const fs::path png = dir_ / "report.png", bare_png = dir_ / "bare.png";
  ASSERT_EQ(chromium(page, "--screenshot='" + png.string() + "'", "shot"), 0) << slurp(dir_ / "shot.err");
  ASSERT_EQ(chromium(bare, "--screenshot='" + bare_png.string() + "'", "bare"), 0) << slurp(dir_ / "bare.err");
  EXPECT_EQ(page_errors(slurp(dir_ / "shot.err")), "");

  ASSERT_TRUE(fs::exists(png));
  const std::string bytes = slurp(png);
  ASSERT_GT(bytes.size(), 8u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  // Drawn lines, axes and legends compress far worse than the same page with empty chart boxes.
  const auto bare_size = fs::file_size(bare_png);
  EXPECT_GT(bytes.size(), 20'000u);
  EXPECT_GT(bytes.size(), bare_size * 5 / 4) << "page " << bytes.size() << " B, without charts " << bare_size << " B";
  EXPECT_NE(bytes, slurp(bare_png));
  if (const char* keep = std::getenv("HOSTWIRE_HTML_SCREENSHOT"); keep && *keep)
    fs::copy_file(png, keep, fs::copy_options::overwrite_existing);

  ASSERT_EQ(chromium(page, "--dump-dom", "dom"), 0) << slurp(dir_ / "dom.err");
  EXPECT_EQ(page_errors(slurp(dir_ / "dom.err")), "");
  const std::string dom = slurp(dir_ / "dom.out");
  // Six charts (flows, links, utilisation, occupancy, cwnd, latency tail), each drawn with ink.
  const auto ink = chromium_test_ink(dom);
  ASSERT_EQ(ink.size(), 6u) << "charts.js did not draw every chart";
  for (long n : ink) EXPECT_GT(n, 2000) << "a chart is blank";
  size_t canvases = 0;
  for (size_t p = dom.find("<canvas"); p != std::string::npos; p = dom.find("<canvas", p + 1)) ++canvases;
  EXPECT_GE(canvases, 6u);
  EXPECT_NE(dom.find("dygraph-title"), std::string::npos);
  EXPECT_NE(dom.find("Throughput per flow"), std::string::npos);
  EXPECT_NE(dom.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(dom.find("7.62 Gbit/s"), std::string::npos);
}

}  // namespace
}  // namespace hostwire
