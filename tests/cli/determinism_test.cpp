// Every scenario in scenarios/, run twice with one seed, gives byte-identical outputs
// (report.json without its wall-clock block, timeseries.csv, captures, VCD waveforms); another seed
// changes the stochastic metrics.
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/hostwire_cli.h"

namespace fs = std::filesystem;
using hostwire::testing::slurp;

namespace {

// Every output file of a run, report.json without "wall".
std::map<std::string, std::string> run(const fs::path& scenario, const std::string& seed, const std::string& tag) {
  fs::path out = fs::temp_directory_path() / ("hostwire_det_" + scenario.stem().string() + "_" + tag + "_" +
                                              std::to_string(getpid()));
  fs::remove_all(out);
  // A tap every platform of that kind has: the star's links are named after its hosts.
  const std::string tap = slurp(scenario).find("platform: star") != std::string::npos ? "link_server.b_to_a" : "link0.a_to_b";
  std::string cmd = "SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 " HOSTWIRE_BIN " run " + scenario.string() +
                    " --set duration=2ms --set outputs.vcd=* --pcap " + tap + " --seed " + seed + " --out " + out.string() +
                    " > /dev/null 2>&1";
  int status = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << cmd;
  std::map<std::string, std::string> files;
  for (const auto& e : fs::directory_iterator(out)) {
    std::string name = e.path().filename().string();
    if (name == "report.json") {
      auto j = nlohmann::json::parse(slurp(e.path()));
      j.erase("wall");
      j.erase("provenance");  // the command line and date differ by design
      files[name] = j.dump();
    } else if (name == "report.html") {
      std::string page = slurp(e.path());  // its provenance table too (the page shows report.json's)
      const auto p = page.find("<table class=\"provenance\">");
      if (p != std::string::npos) page.erase(p, page.find("</table>", p) + 8 - p);
      files[name] = page;
    } else {
      files[name] = slurp(e.path());
    }
  }
  return files;
}

}  // namespace

TEST(Determinism, EveryScenarioSameSeedSameBytesOtherSeedOtherNumbers) {
  int scenarios = 0;
  for (const auto& e : fs::directory_iterator(HOSTWIRE_SOURCE_DIR "/scenarios")) {
    if (e.path().extension() != ".yaml") continue;
    ++scenarios;
    auto a = run(e.path(), "11", "a"), b = run(e.path(), "11", "b"), c = run(e.path(), "12", "c");
    ASSERT_GE(a.size(), 4u) << e.path();  // report, time series, capture, waveforms
    EXPECT_EQ(a.count("trace.vcd"), 1u);
    // Every VCD the suite writes must convert with GTKWave's vcd2fst.
    if (std::system("command -v vcd2fst > /dev/null 2>&1") == 0) {
      fs::path vcd = fs::temp_directory_path() / ("hostwire_det_" + e.path().stem().string() + ".vcd");
      std::ofstream(vcd, std::ios::binary) << a["trace.vcd"];
      EXPECT_EQ(std::system(("vcd2fst -v " + vcd.string() + " -f " + vcd.string() + ".fst > /dev/null 2>&1").c_str()), 0);
    }
    EXPECT_EQ(a.size(), b.size());
    for (const auto& [name, bytes] : a) EXPECT_TRUE(bytes == b[name]) << e.path() << ": " << name << " differs";
    EXPECT_NE(a["report.json"], c["report.json"]) << e.path() << ": the seed changed nothing";
  }
  EXPECT_GE(scenarios, 2);
}
