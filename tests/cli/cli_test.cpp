// The hostwire command as a user runs it: exit codes, messages, reports, determinism.
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <regex>
#include <fstream>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/hostwire_cli.h"
#include "support/tshark.h"
#include "support/vcd_reader.h"

namespace fs = std::filesystem;
using hostwire::testing::read_json;
using hostwire::testing::run_hostwire;
using hostwire::testing::tmp_dir;

namespace {

std::string write(const std::string& dir, const std::string& name, const std::string& text) {
  std::string path = dir + "/" + name;
  std::ofstream(path) << text;
  return path;
}

const std::string kQuickstart = HOSTWIRE_SOURCE_DIR "/scenarios/quickstart.yaml";

}  // namespace

TEST(Cli, HelpAndVersion) {
  auto h = run_hostwire("--help");
  EXPECT_EQ(h.code, 0);
  EXPECT_NE(h.output.find("hostwire run SCENARIO"), std::string::npos);
  auto v = run_hostwire("--version");
  EXPECT_EQ(v.code, 0);
  EXPECT_EQ(v.output.rfind("hostwire 0.1.0", 0), 0u) << v.output;
}

TEST(Cli, BadFlagsAndCommandsExitTwo) {
  EXPECT_EQ(run_hostwire("").code, 2);
  EXPECT_EQ(run_hostwire("frobnicate").code, 2);
  EXPECT_EQ(run_hostwire("run").code, 2);
  EXPECT_EQ(run_hostwire("run a.yaml b.yaml").code, 2);
  EXPECT_EQ(run_hostwire("run " + kQuickstart + " --seed notanumber").code, 2);
  EXPECT_EQ(run_hostwire("run " + kQuickstart + " --bogus").code, 2);
  auto missing = run_hostwire("check /nonexistent/x.yaml");
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.output.find("/nonexistent/x.yaml: cannot read the scenario file: No such file or directory"),
            std::string::npos)
      << missing.output;
  auto folder = run_hostwire("check " + tmp_dir("a_folder"));
  EXPECT_EQ(folder.code, 2);
  EXPECT_NE(folder.output.find("cannot read the scenario file: Is a directory"), std::string::npos) << folder.output;
  auto unreadable_report = run_hostwire("diff " + kQuickstart + " " + tmp_dir("a_folder"));
  EXPECT_EQ(unreadable_report.code, 2);
  auto log = run_hostwire("run " + kQuickstart + " --log link0=loud --out " + tmp_dir("log"));
  EXPECT_EQ(log.code, 2);
  EXPECT_NE(log.output.find("--log"), std::string::npos);
}

TEST(Cli, ParamsListsEveryKeyWithUnitAndDefault) {
  auto r = run_hostwire("params link0");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.output.find("link0.rate"), std::string::npos);
  EXPECT_NE(r.output.find("rate [bit/s]"), std::string::npos);
  EXPECT_NE(r.output.find("10Gbps"), std::string::npos);
  EXPECT_EQ(r.output.find("a.mac.tx_queue"), std::string::npos);  // filtered by prefix
  auto all = run_hostwire("params");
  EXPECT_NE(all.output.find("workloads.<name>.frame_size"), std::string::npos);
  EXPECT_NE(all.output.find("duration"), std::string::npos);
}

TEST(Cli, ParamsSearchesKeysAndMeaningsAndShowsRangesAndPlatforms) {
  // By meaning ("Gilbert-Elliott" is in no key), case-insensitive, with the range column.
  auto r = run_hostwire("params gilbert-elliott --platform link_pair");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("RANGE"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("link0.a_to_b.burst_p"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("0..1"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("link0.rate"), std::string::npos) << r.output;
  // Each key under the platform (and workload type) it belongs to; defaults read as typed.
  r = run_hostwire("params initial_window");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("platform two_hosts: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("host_a.tcp.initial_window"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("1..1000"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("platform link_pair"), std::string::npos) << r.output;  // no match there: no heading
  r = run_hostwire("params object_size");
  EXPECT_NE(r.output.find("workload type web"), std::string::npos) << r.output;
  // Reals print shortest ("0.3"), never with 17 digits ("0.29999999999999999").
  r = run_hostwire("params");
  EXPECT_FALSE(std::regex_search(r.output, std::regex("[0-9]\\.[0-9]{9,}"))) << r.output;
  // Nothing matches: an error with the nearest key.
  r = run_hostwire("params link0.ratee");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("no key or meaning contains 'link0.ratee' (did you mean 'link0.rate'?)"), std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("KEY"), std::string::npos) << r.output;
  r = run_hostwire("params --platform nope");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("(platforms: "), std::string::npos) << r.output;
}

TEST(Cli, CheckValidatesWithoutSimulating) {
  std::string d = tmp_dir("check");
  auto ok = run_hostwire("check " + kQuickstart);
  EXPECT_EQ(ok.code, 0) << ok.output;
  EXPECT_NE(ok.output.find(": ok (platform link_pair"), std::string::npos);
  std::string bad = write(d, "bad.yaml", "platform: link_pair\nparameters:\n  link0:\n    rate: 10\n");
  auto r = run_hostwire("check " + bad);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find(bad + ":4:11: link0.rate: missing unit"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("nothing simulated"), std::string::npos);
  auto o = run_hostwire("check " + kQuickstart + " --set link0.mtu=20B");
  EXPECT_EQ(o.code, 2);
  EXPECT_NE(o.output.find("--set: link0.mtu: '20B' must be at least 68B"), std::string::npos) << o.output;
}

TEST(Cli, ReportHoldsTheResolvedScenarioWithOverrides) {
  std::string d = tmp_dir("report");
  auto r = run_hostwire("run " + kQuickstart + " --set duration=1ms --set link0.rate=25Gbps --seed 7 --out " + d);
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
    auto r = run_hostwire("run " + kQuickstart + " --set duration=2ms --seed " + seed + " --out " + d);
    EXPECT_EQ(r.code, 0) << r.output;
    auto j = read_json(d + "/report.json");
    j.erase("wall");
    j.erase("provenance");  // the command line and date differ by design
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

TEST(Cli, CapturesOpenCleanlyInTsharkAndMatchTheCounters) {
  if (!hostwire::testing::tshark_available()) GTEST_SKIP() << "tshark not installed";
  std::string d = tmp_dir("pcap");
  const std::string lossy = HOSTWIRE_SOURCE_DIR "/scenarios/lossy_link.yaml";
  auto r = run_hostwire("run " + lossy + " --set duration=1ms --pcap a.mac.rx --pcap b.mac.rx --out " + d);
  ASSERT_EQ(r.code, 0) << r.output;
  auto j = read_json(d + "/report.json");
  auto metric = [&](const std::string& k) { return j["metrics"][k]["value"].get<double>(); };
  // Each tap against hostwire's own counters for that point.
  const std::vector<std::tuple<std::string, std::string, std::string>> taps = {
      {"link0.a_to_b", "link0.a_to_b.frames_in", "link0.a_to_b.bytes_in"},
      {"link0.b_to_a", "link0.b_to_a.frames_in", "link0.b_to_a.bytes_in"},
      {"a.mac.rx", "a.mac.rx_frames", "a.mac.rx_bytes"},
      {"b.mac.rx", "b.mac.rx_frames", "b.mac.rx_bytes"}};
  for (const auto& [tap, frames_key, bytes_key] : taps) {
    auto rows = hostwire::testing::tshark_read(d + "/" + tap + ".pcap");
    ASSERT_TRUE(rows) << tap;
    long bytes = 0;
    int warnings = 0, bad_checksums = 0;
    for (const auto& row : *rows) {
      bytes += row.length;
      warnings += row.has_warning_or_error();
      bad_checksums += row.ip_checksum != "1" || row.udp_checksum != "1";
    }
    EXPECT_GT(rows->size(), 100u) << tap;
    EXPECT_EQ(warnings, 0) << tap;
    EXPECT_EQ(bad_checksums, 0) << tap;
    EXPECT_EQ(static_cast<double>(rows->size()), metric(frames_key)) << tap;
    EXPECT_EQ(static_cast<double>(bytes), metric(bytes_key)) << tap;
    EXPECT_EQ(static_cast<double>(rows->size()), metric("capture." + tap + ".frames")) << tap;
  }
  // The run lost and corrupted frames, and said so.
  EXPECT_GT(metric("link0.a_to_b.dropped_loss"), 0);
  EXPECT_GT(metric("b.mac.rx_fcs_errors"), 0);
}

TEST(Cli, CapturesAreByteIdenticalForTheSameSeed) {
  auto capture = [](const std::string& name) {
    std::string d = tmp_dir(name);
    auto r = run_hostwire("run " HOSTWIRE_SOURCE_DIR "/scenarios/lossy_link.yaml --set duration=1ms --pcap link0 "
                          "--pcap link0.b_to_a.delivered --out " + d);
    EXPECT_EQ(r.code, 0) << r.output;
    std::stringstream ss;
    for (const char* tap : {"link0.a_to_b", "link0", "link0.b_to_a.delivered"}) {
      std::ifstream in(d + "/" + tap + ".pcap", std::ios::binary);
      ss << in.rdbuf() << '|';
    }
    return ss.str();
  };
  std::string a = capture("pcap_det_a"), b = capture("pcap_det_b");
  EXPECT_GT(a.size(), 1000u);
  EXPECT_EQ(a, b);
}

TEST(Cli, UnknownTapPointIsBadInput) {
  auto r = run_hostwire("check " + kQuickstart + " --pcap link0.a_to_c");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("unknown tap point 'link0.a_to_c'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("did you mean 'link0.a_to_b'?"), std::string::npos) << r.output;
}

TEST(Cli, ParamsListsEachPlatformsTapPoints) {
  auto r = run_hostwire("params outputs.pcap");
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* kind : {"<link>.<dir>.delivered", "<host>.driver.tx", "<host>.mac.tx", "<host>.nic.vnic<v>",
                           "switch0.port<i>.ingress", "a.mac.rx / b.mac.rx", "both directions in one file"})
    EXPECT_NE(r.output.find(kind), std::string::npos) << kind << "\n" << r.output;
  for (const char* platform : {"platform link_pair", "platform two_hosts", "platform star"})
    EXPECT_NE(r.output.find(platform), std::string::npos) << platform;
}

TEST(Cli, UnknownTapPointOnAStarNamesTheNearestOne) {
  auto r = run_hostwire("check " HOSTWIRE_SOURCE_DIR "/scenarios/star_rr.yaml --pcap switch0.port3.ingres");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("unknown tap point 'switch0.port3.ingres'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("did you mean 'switch0.port3.ingress'?"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("in all; `hostwire params outputs.pcap` lists the kinds"), std::string::npos) << r.output;
  r = run_hostwire("check " HOSTWIRE_SOURCE_DIR "/scenarios/star_rr.yaml --pcap server.nic.vnic0 --pcap link_client3 "
                   "--pcap switch0.port16.egress");
  EXPECT_EQ(r.code, 0) << r.output;
}

TEST(Cli, QuickstartCaptureOpensCleanlyInTshark) {
  if (!hostwire::testing::tshark_available()) GTEST_SKIP() << "tshark not installed";
  std::string d = tmp_dir("qs_pcap");
  auto r = run_hostwire("run " + kQuickstart + " --set duration=100us --pcap link0.a_to_b --pcap link0.b_to_a --out " + d);
  ASSERT_EQ(r.code, 0) << r.output;
  for (const char* tap : {"link0.a_to_b", "link0.b_to_a"}) {
    auto rows = hostwire::testing::tshark_read(d + "/" + tap + ".pcap");
    ASSERT_TRUE(rows);
    EXPECT_GT(rows->size(), 10u);
    for (const auto& row : *rows) {
      ASSERT_FALSE(row.has_warning_or_error()) << tap << ": " << row.expert_message;
      ASSERT_EQ(row.ip_checksum + row.udp_checksum, "11") << tap;
    }
  }
}

TEST(Cli, HostileScenarioFilesFailCleanlyNamingTheFile) {
  std::string d = tmp_dir("hostile");
  std::string garbage;
  uint64_t x = 12345;
  for (int i = 0; i < 4096; ++i) x = x * 6364136223846793005ULL + 1442695040888963407ULL, garbage += char(x >> 56);
  std::string aliases = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 0; i < 9; ++i)
    aliases += "b" + std::to_string(i) + ": &b" + std::to_string(i) + " [" +
               std::string(i ? "*b" + std::to_string(i - 1) : "*a") + ", " + (i ? "*b" + std::to_string(i - 1) : "*a") +
               ", " + (i ? "*b" + std::to_string(i - 1) : "*a") + "]\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"empty.yaml", ""},
      {"garbage.yaml", garbage},
      {"unclosed.yaml", "platform: [link_pair\nduration: {1ms\n"},
      {"duplicate.yaml", "platform: link_pair\nduration: 1ms\nduration: 2ms\n"},
      {"aliases.yaml", "platform: link_pair\n" + aliases + "sweep:\n  link0.rate: *b8\n"},
      {"deep.yaml", "platform: link_pair\nparameters: " + std::string(10000, '[') + std::string(10000, ']') + "\n"},
      {"longkey.yaml", "platform: link_pair\n" + std::string(1 << 20, 'k') + ": 1\n"},
      {"overflow.yaml", "platform: link_pair\nseed: 99999999999999999999999\nduration: 99999999999999999999s\n"},
  };
  for (const auto& [name, text] : cases) {
    std::string path = write(d, name, text);
    auto r = run_hostwire("check " + path);
    EXPECT_EQ(r.code, 2) << name << ": " << r.output.substr(0, 300);
    EXPECT_NE(r.output.find(path), std::string::npos) << name << ": " << r.output.substr(0, 300);
    EXPECT_LT(r.output.size(), 20000u) << name;  // bounded: no megabyte echo, no error flood
  }
  auto missing = run_hostwire("check " + d + "/missing.yaml");
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.output.find("missing.yaml: cannot read the scenario file: No such file or directory"), std::string::npos);
}

TEST(Cli, VcdFromScenarioPatternsOrFlag) {
  std::string d = tmp_dir("vcd");
  auto r = run_hostwire("run " + kQuickstart + " --set duration=5us --set outputs.vcd=link0.*,a.mac.* --out " + d);
  ASSERT_EQ(r.code, 0) << r.output;
  std::ifstream in(d + "/trace.vcd");
  std::string vcd((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(vcd.find("$var wire 1 "), std::string::npos);
  EXPECT_NE(vcd.find(" transmitting $end"), std::string::npos);
  EXPECT_EQ(vcd.find("$scope module b $end"), std::string::npos);  // b.mac.* not selected
  EXPECT_EQ(read_json(d + "/report.json")["outputs"]["vcd"], "trace.vcd");
  if (std::system("command -v vcd2fst > /dev/null 2>&1") == 0) {  // GTKWave's converter accepts it
    EXPECT_EQ(std::system(("vcd2fst -v " + d + "/trace.vcd -f " + d + "/trace.fst > /dev/null 2>&1").c_str()), 0);
  }
  auto bad = run_hostwire("run " + kQuickstart + " --set duration=5us --vcd /nonexistent/dir/x.vcd --out " + d);
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.output.find("--vcd"), std::string::npos) << bad.output;
}

// A VCD time window: the file opens at vcd_start with the state the run was in (a frame on
// the line: 2 us is 51.2 ns into the 30th 67.2 ns frame slot, 57.6 ns of which carry bits) and ends at vcd_stop.
TEST(Cli, VcdWindowOpensWithTheStateAtItsStartAndEndsAtItsStop) {
  std::string d = tmp_dir("vcd_window");
  auto r = run_hostwire("run " + kQuickstart + " --set duration=5us --set outputs.vcd=link0.a_to_b.* " +
                        "--set outputs.vcd_start=2us --set outputs.vcd_stop=4us --out " + d);
  ASSERT_EQ(r.code, 0) << r.output;
  std::ifstream in(d + "/trace.vcd");
  const auto vcd = hostwire::testing::read_vcd(std::string((std::istreambuf_iterator<char>(in)), {}));
  ASSERT_EQ(vcd.error, "");
  ASSERT_FALSE(vcd.times.empty());
  EXPECT_EQ(vcd.times.front(), 2'000'000);
  EXPECT_EQ(vcd.times.back(), 4'000'000);
  const auto line = vcd.of("link0.a_to_b.transmitting");
  ASSERT_GE(line.size(), 2u);
  EXPECT_EQ(line[0], (std::pair<int64_t, std::string>{2'000'000, "1"}));
  EXPECT_EQ(line[1], (std::pair<int64_t, std::string>{2'006'400, "0"}));  // that frame's last bit

  auto bad = run_hostwire("run " + kQuickstart + " --set duration=5us --set outputs.vcd=* " +
                          "--set outputs.vcd_start=2us --set outputs.vcd_stop=1us --out " + d);
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.output.find("outputs.vcd_stop: 1us is not after outputs.vcd_start"), std::string::npos) << bad.output;
}

TEST(Cli, LogLevelsPerComponentStampedWithSimulatedTime) {
  std::string d = tmp_dir("logs");
  auto r = run_hostwire("run " HOSTWIRE_SOURCE_DIR "/scenarios/lossy_link.yaml --set duration=200us --log link0.a_to_b=debug --out " + d);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("] link0.a_to_b: frame "), std::string::npos) << r.output.substr(0, 500);
  EXPECT_NE(r.output.find("lost (loss)"), std::string::npos);
  EXPECT_EQ(r.output.find("] link0.b_to_a: "), std::string::npos);  // not raised for the other direction
}

TEST(Cli, PacketTimelineForPerfettoFollowsEachFrameAcrossStages) {
  std::string d = tmp_dir("trace");
  auto r = run_hostwire("run " + kQuickstart + " --set duration=20us --set outputs.trace=true --out " + d);
  ASSERT_EQ(r.code, 0) << r.output;
  auto j = read_json(d + "/trace.json");
  std::map<uint64_t, std::string> flow_phases;  // packet id -> phases seen, in order
  int wire_slices = 0;
  for (const auto& e : j["traceEvents"]) {
    const std::string ph = e["ph"];
    if (ph == "s" || ph == "t" || ph == "f") flow_phases[e["id"].get<uint64_t>()] += ph;
    if (ph == "X" && e["name"] == "on the wire" && e["pid"] == 1 && e["tid"] == 1) {
      ++wire_slices;
      // The blast flow sends 64 B frames: (8 + 64) B at 10 Gbps = 57.6 ns on the line.
      if (e["dur"].get<double>() < 0.06) {
        EXPECT_DOUBLE_EQ(e["dur"].get<double>(), 0.0576);
      }
    }
  }
  EXPECT_GT(wire_slices, 100);
  // Delivered frames: queue -> wire -> receiver, an arrow that starts and continues twice.
  int complete = 0;
  for (const auto& [id, phases] : flow_phases) complete += phases == "stt";
  EXPECT_GT(complete, 100);
  auto report = read_json(d + "/report.json");
  EXPECT_EQ(report["outputs"]["trace"], "trace.json");
  EXPECT_EQ(report["outputs"]["trace_truncated"], false);

  std::string small = tmp_dir("trace_small");
  auto bounded = run_hostwire("run " + kQuickstart + " --set duration=20us --set outputs.trace_max_events=50 --trace " +
                              small + "/t.json --out " + small);
  ASSERT_EQ(bounded.code, 0) << bounded.output;
  auto t = read_json(small + "/t.json");
  EXPECT_EQ(t["otherData"]["events"], 50);
  EXPECT_EQ(t["otherData"]["truncated"], true);
  EXPECT_NE(bounded.output.find("truncated: recording stopped at outputs.trace_max_events = 50"), std::string::npos)
      << bounded.output;
}

TEST(Cli, WorkedExampleInTheScenarioDocsValidates) {
  // docs/scenarios.md must match the code: its first ```yaml block is a valid scenario.
  std::string doc = hostwire::testing::slurp(HOSTWIRE_SOURCE_DIR "/docs/scenarios.md");
  auto start = doc.find("```yaml\n");
  ASSERT_NE(start, std::string::npos);
  start += 8;
  auto end = doc.find("```", start);
  std::string path = write(tmp_dir("docs"), "example.yaml", doc.substr(start, end - start));
  auto r = run_hostwire("check " + path);
  EXPECT_EQ(r.code, 0) << r.output;
}
