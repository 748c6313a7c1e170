// Renders the page in headless Chromium: it must load offline without console errors (no
// script, no CSP violation, no failed resource), and the screenshot must not be blank.
// Skipped when /usr/bin/chromium is absent. Set HOSTWIRE_HTML_SCREENSHOT=path to keep the PNG.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

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

TEST_F(HtmlReportChromium, RendersOfflineWithoutConsoleErrorsAndTheScreenshotIsNotBlank) {
  auto run = testing::make_sample_run("<script>alert(1)</script> two endpoints on a 10 Gbps link");
  const fs::path page = dir_ / "report.html";
  std::string error;
  ASSERT_TRUE(write_html_report(page.string(), run->report, run->stats, error)) << error;
  const fs::path blank = dir_ / "blank.html";
  std::ofstream(blank) << "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body></body></html>\n";

  const fs::path png = dir_ / "report.png", blank_png = dir_ / "blank.png";
  ASSERT_EQ(chromium(page, "--screenshot='" + png.string() + "'", "shot"), 0) << slurp(dir_ / "shot.err");
  ASSERT_EQ(chromium(blank, "--screenshot='" + blank_png.string() + "'", "blank"), 0) << slurp(dir_ / "blank.err");
  EXPECT_EQ(page_errors(slurp(dir_ / "shot.err")), "");

  ASSERT_TRUE(fs::exists(png));
  const std::string bytes = slurp(png);
  ASSERT_GT(bytes.size(), 8u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  // A rendered page with plots and tables compresses far worse than an empty white page.
  const auto blank_size = fs::file_size(blank_png);
  EXPECT_GT(bytes.size(), 20'000u);
  EXPECT_GT(bytes.size(), 3 * blank_size) << "page " << bytes.size() << " B, blank page " << blank_size << " B";
  EXPECT_NE(bytes.find_first_not_of(bytes[64], 64), std::string::npos);
  if (const char* keep = std::getenv("HOSTWIRE_HTML_SCREENSHOT"); keep && *keep)
    fs::copy_file(png, keep, fs::copy_options::overwrite_existing);

  ASSERT_EQ(chromium(page, "--dump-dom", "dom"), 0) << slurp(dir_ / "dom.err");
  EXPECT_EQ(page_errors(slurp(dir_ / "dom.err")), "");
  const std::string dom = slurp(dir_ / "dom.out");
  EXPECT_NE(dom.find("<svg"), std::string::npos);
  EXPECT_NE(dom.find("<polyline"), std::string::npos);
  EXPECT_NE(dom.find("Throughput per flow"), std::string::npos);
  EXPECT_NE(dom.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(dom.find("<script"), std::string::npos);
  EXPECT_NE(dom.find("7.619 Gbit/s"), std::string::npos);
}

}  // namespace
}  // namespace hostwire
