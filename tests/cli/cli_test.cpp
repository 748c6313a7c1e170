// The hostwire command as a user runs it: exit codes, messages, reports, determinism.
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace fs = std::filesystem;

namespace {

struct Result {
  int code;
  std::string output;  // stdout and stderr
};

Result hostwire(const std::string& args) {
  std::string cmd = "SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 " HOSTWIRE_BIN " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::string tmp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("hostwire_cli_" + name + "_" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d.string();
}

std::string write(const std::string& dir, const std::string& name, const std::string& text) {
  std::string path = dir + "/" + name;
  std::ofstream(path) << text;
  return path;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

const std::string kQuickstart = HOSTWIRE_SOURCE_DIR "/scenarios/quickstart.yaml";

}  // namespace

TEST(Cli, HelpAndVersion) {
  auto h = hostwire("--help");
  EXPECT_EQ(h.code, 0);
  EXPECT_NE(h.output.find("hostwire run SCENARIO"), std::string::npos);
  auto v = hostwire("--version");
  EXPECT_EQ(v.code, 0);
  EXPECT_EQ(v.output.rfind("hostwire 0.1.0", 0), 0u) << v.output;
}

TEST(Cli, BadFlagsAndCommandsExitTwo) {
  EXPECT_EQ(hostwire("").code, 2);
  EXPECT_EQ(hostwire("frobnicate").code, 2);
  EXPECT_EQ(hostwire("run").code, 2);
  EXPECT_EQ(hostwire("run a.yaml b.yaml").code, 2);
  EXPECT_EQ(hostwire("run " + kQuickstart + " --seed notanumber").code, 2);
  EXPECT_EQ(hostwire("run " + kQuickstart + " --bogus").code, 2);
  auto missing = hostwire("check /nonexistent/x.yaml");
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.output.find("/nonexistent/x.yaml: cannot open the scenario file"), std::string::npos);
  auto log = hostwire("run " + kQuickstart + " --log link0=loud --out " + tmp_dir("log"));
  EXPECT_EQ(log.code, 2);
  EXPECT_NE(log.output.find("--log"), std::string::npos);
}

TEST(Cli, ParamsListsEveryKeyWithUnitAndDefault) {
  auto r = hostwire("params link0");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.output.find("link0.rate"), std::string::npos);
  EXPECT_NE(r.output.find("rate [bit/s]"), std::string::npos);
  EXPECT_NE(r.output.find("10Gbps"), std::string::npos);
  EXPECT_EQ(r.output.find("a.mac.tx_queue"), std::string::npos);  // filtered by prefix
  auto all = hostwire("params");
  EXPECT_NE(all.output.find("workloads.<name>.frame_size"), std::string::npos);
  EXPECT_NE(all.output.find("duration"), std::string::npos);
}

TEST(Cli, CheckValidatesWithoutSimulating) {
  std::string d = tmp_dir("check");
  auto ok = hostwire("check " + kQuickstart);
  EXPECT_EQ(ok.code, 0) << ok.output;
  EXPECT_NE(ok.output.find(": ok (platform link_pair"), std::string::npos);
  std::string bad = write(d, "bad.yaml", "platform: link_pair\nparameters:\n  link0:\n    rate: 10\n");
  auto r = hostwire("check " + bad);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find(bad + ":4:11: link0.rate: missing unit"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("nothing simulated"), std::string::npos);
  auto o = hostwire("check " + kQuickstart + " --set link0.mtu=20B");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.output.find("--set: link0.mtu: '20B' must be at least 68B"), std::string::npos) << o.output;
}

TEST(Cli, ReportHoldsTheResolvedScenarioWithOverrides) {
  std::string d = tmp_dir("report");
  auto r = hostwire("run " + kQuickstart + " --set duration=1ms --set link0.rate=25Gbps --seed 7 --out " + d);
  ASSERT_EQ(r.code, 0) << r.output;
  auto j = read_json(d + "/report.json");
  EXPECT_EQ(j["seed"], 7);
  EXPECT_EQ(j["scenario"]["parameters"]["link0.rate"], "25Gbps");
  EXPECT_EQ(j["scenario"]["parameters"]["duration"], "1ms");
  EXPECT_EQ(j["scenario"]["parameters"]["link0.mtu"], "1500B");  // defaults too
  EXPECT_EQ(j["simulated_time"]["value"], 1'000'000'000);
  EXPECT_GT(j["kernel"]["delta_cycles"].get<uint64_t>(), 0u);
  EXPECT_GT(j["metrics"]["workloads.blast.rx_frames"]["value"].get<uint64_t>(), 0u);
  EXPECT_EQ(j["metrics"]["workloads.blast.rx_throughput"]["unit"], "bit/s");
  EXPECT_TRUE(j["invariants"]["violations"].empty());
  EXPECT_TRUE(fs::exists(d + "/timeseries.csv"));
  std::ifstream csv(d + "/timeseries.csv");
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header.rfind("time_s,", 0), 0u);
  EXPECT_NE(header.find("link0.a_to_b.throughput[bit/s]"), std::string::npos);
}

TEST(Cli, SameSeedSameReportDifferentSeedDifferentNumbers) {
  auto run = [](const std::string& seed, const std::string& name) {
    std::string d = tmp_dir(name);
    auto r = hostwire("run " + kQuickstart + " --set duration=2ms --seed " + seed + " --out " + d);
    EXPECT_EQ(r.code, 0) << r.output;
    auto j = read_json(d + "/report.json");
    j.erase("wall");
    std::ifstream csv(d + "/timeseries.csv");
    std::stringstream ss;
    ss << csv.rdbuf();
    return std::make_pair(j.dump(), ss.str());
  };
  auto a = run("5", "det_a"), b = run("5", "det_b"), c = run("6", "det_c");
  EXPECT_EQ(a.first, b.first);
  EXPECT_EQ(a.second, b.second);
  EXPECT_NE(a.first, c.first);  // the Poisson/IMIX workload depends on the seed
}
