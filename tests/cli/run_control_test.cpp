// What `hostwire run` and `check` tell a user while and before a run: human numbers, the
// progress line, Ctrl-C leaving a partial report, provenance, and the errors for flags that
// would otherwise be ignored.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/si.h"
#include "support/hostwire_cli.h"

namespace fs = std::filesystem;
using hostwire::format_si;
using hostwire::testing::read_json;
using hostwire::testing::run_hostwire;
using hostwire::testing::run_shell;
using hostwire::testing::tmp_dir;

namespace {

const std::string kRunQuickstart = std::string(HOSTWIRE_SOURCE_DIR) + "/scenarios/quickstart.yaml";
const std::string kRunBulk = std::string(HOSTWIRE_SOURCE_DIR) + "/scenarios/bulk_tcp.yaml";

TEST(RunControl, TheSummaryPrintsHumanNumbers) {
  const std::string d = tmp_dir("human");
  auto r = run_hostwire("run " + kRunQuickstart + " --out " + d);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("simulated 10.00 ms in "), std::string::npos) << r.output;
  const auto j = read_json(d + "/report.json");
  const double gbps = j["metrics"]["workloads.blast.rx_throughput"]["value"].get<double>();
  const double fps = j["metrics"]["workloads.blast.rx_frame_rate"]["value"].get<double>();
  EXPECT_NE(r.output.find("blast: " + format_si(gbps, "bit/s") + ", " + format_si(fps, "frames/s")), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find(" Gbit/s, "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(" Mframes/s"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("e+0"), std::string::npos) << r.output;  // no exponents
  EXPECT_EQ(j["simulated_time"]["text"], "10.00 ms");
  EXPECT_EQ(j["simulated_time"]["value"], 10'000'000'000);  // exact in JSON
  fs::remove_all(d);
}

TEST(RunControl, ReportRecordsProvenance) {
  const std::string d = tmp_dir("provenance");
  auto r = run_hostwire("run " + kRunQuickstart + " --set duration=1ms --set 'link0.rate=25Gbps' --out " + d);
  ASSERT_EQ(r.code, 0) << r.output;
  const auto p = read_json(d + "/report.json")["provenance"];
  const std::string cmd = p["command_line"];
  EXPECT_NE(cmd.find("run " + kRunQuickstart + " --set duration=1ms --set link0.rate=25Gbps --out " + d), std::string::npos)
      << cmd;
  EXPECT_EQ(p["overrides"], nlohmann::json::array({"duration=1ms", "link0.rate=25Gbps"}));
  EXPECT_EQ(p["version"], "0.1.0");
  EXPECT_FALSE(p["revision"].get<std::string>().empty());
  EXPECT_FALSE(p["host"].get<std::string>().empty());
  EXPECT_EQ(p["date"].get<std::string>().size(), 20u);  // 2026-12-02T20:35:11Z
  fs::remove_all(d);
}

TEST(RunControl, ProgressLineWhenAskedOrOnATerminal) {
  const std::string d = tmp_dir("progress");
  // Asked for, into a pipe: one line per redraw, from the start.
  auto r = run_hostwire("run " + kRunQuickstart + " --set duration=20ms --progress --out " + d + "/a");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find(" of 20.00 ms ("), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(" simulated s per wall s, ETA "), std::string::npos) << r.output;
  // Not a terminal and not asked: quiet, even for a run over two seconds.
  r = run_hostwire("run " + kRunBulk + " --set duration=1s --out " + d + "/b");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output.find("ETA"), std::string::npos) << r.output;
  // A 1 s bulk run on a terminal (script gives it a pty): redrawn in place, then cleared.
  r = run_shell("script -qec '" HOSTWIRE_BIN " run " + kRunBulk + " --set duration=1s --out " + d + "/c' /dev/null");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("\rsimulated "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(" of 1.00 s ("), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("\r\033[K"), std::string::npos) << r.output;
  // --no-progress wins over a terminal; both flags at once are an error.
  r = run_hostwire("run " + kRunQuickstart + " --progress --no-progress --out " + d + "/d");
  EXPECT_EQ(r.code, 2) << r.output;
  fs::remove_all(d);
}

TEST(RunControl, InterruptWritesAPartialReportAndExits130) {
  const std::string d = tmp_dir("interrupt");
  auto r = run_shell(std::string(HOSTWIRE_BIN) + " run " + kRunBulk + " --set duration=20s --out " + d +
                     " & pid=$!; sleep 1.5; kill -INT $pid; wait $pid; echo rc=$?");
  EXPECT_NE(r.output.find("rc=130"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("(interrupted: partial report)"), std::string::npos) << r.output;
  ASSERT_TRUE(fs::exists(d + "/report.json"));
  EXPECT_TRUE(fs::exists(d + "/report.html"));
  EXPECT_TRUE(fs::exists(d + "/timeseries.csv"));
  const auto j = read_json(d + "/report.json");
  ASSERT_TRUE(j.contains("partial")) << j.dump();
  const int64_t at = j["partial"]["simulated"]["value"];
  EXPECT_GT(at, 0);
  EXPECT_LT(at, 20'000'000'000'000);
  EXPECT_EQ(j["partial"]["of"]["value"], 20'000'000'000'000);
  EXPECT_EQ(j["simulated_time"]["value"], at);
  EXPECT_TRUE(j["invariants"]["violations"].empty()) << j["invariants"].dump();  // conservation holds mid-run
  EXPECT_GT(j["metrics"]["workloads.bulk.rx_throughput"]["value"].get<double>(), 9e9);
  fs::remove_all(d);
}

TEST(RunControl, CheckEstimatesTheWallTimeAndWarnsOfALongRun) {
  auto r = run_hostwire("check " + kRunQuickstart);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("a run takes about "), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("warning"), std::string::npos) << r.output;
  r = run_hostwire("check " + kRunBulk + " --set duration=1000s");
  ASSERT_EQ(r.code, 0) << r.output;  // a warning, not an error
  EXPECT_NE(r.output.find("warning: the run is long"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("2 points, about "), std::string::npos) << r.output;  // bulk_tcp sweeps tso
}

TEST(RunControl, FlagsThatWouldBeIgnoredAreErrors) {
  const std::string d = tmp_dir("ignored");
  auto r = run_hostwire("run " + kRunQuickstart + " --log linkk0=debug --out " + d);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--log: 'linkk0': no component of that name in this scenario (did you mean 'link0'?)"),
            std::string::npos)
      << r.output;
  r = run_hostwire("run " + kRunQuickstart + " --set duration=1ms --log link0.a_to_b=info --log a=warn --out " + d);
  EXPECT_EQ(r.code, 0) << r.output;  // a component, and a scope of components
  r = run_hostwire("run " + kRunQuickstart + " --grid link0.rate=10Gbps,25Gbps --out " + d);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--grid: run simulates one point of a grid; add --point K"), std::string::npos) << r.output;
  r = run_hostwire("run " + kRunQuickstart + " --set duration=1ms --grid link0.rate=10Gbps,25Gbps --point 1 --out " + d);
  EXPECT_EQ(r.code, 0) << r.output;
  fs::remove_all(d);
}

}  // namespace
