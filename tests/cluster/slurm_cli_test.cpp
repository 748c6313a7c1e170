// `hostwire sweep --slurm` as a user runs it, without a Slurm cluster: flag checks, the
// sbatch script run by hand (as Slurm would run each task), and --submit / resubmission /
// --collect against stand-in sbatch, squeue and sacct commands put first in PATH. The same
// against a real Slurm: tests/cluster/cluster_test.sh (label cluster).
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/hostwire_cli.h"

namespace fs = std::filesystem;
using hostwire::testing::read_json;
using hostwire::testing::run_hostwire;
using hostwire::testing::slurp;
using hostwire::testing::tmp_dir;

namespace {

const std::string kQuickstart = HOSTWIRE_SOURCE_DIR "/scenarios/quickstart.yaml";
const std::string kGrid =
    "--grid link0.rate=1Gbps,10Gbps --grid workloads.blast.frame_size=64B,1518B --set duration=1ms";

std::string q(const std::string& s) { return "'" + s + "'"; }

int sh(const std::string& cmd) {
  const int st = std::system(cmd.c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

nlohmann::json without_wall(nlohmann::json j) {
  j.erase("wall");
  j.erase("provenance");  // the command line and date differ by design
  return j;
}

// Runs array task K of DIR/sweep.sbatch as Slurm would (bash, SLURM_ARRAY_TASK_ID=K).
int run_task(const std::string& dir, size_t k) {
  return sh("cd / && SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1 SLURM_ARRAY_TASK_ID=" + std::to_string(k) +
            " SLURM_ARRAY_JOB_ID=77 SLURM_JOB_ID=78 bash " + q(dir + "/sweep.sbatch") + " >/dev/null 2>&1");
}

void write_exe(const fs::path& p, const std::string& text) {
  std::ofstream(p) << text;
  fs::permissions(p, fs::perms::owner_all);
}

}  // namespace

TEST(SlurmCli, BadFlagsAreRefusedNamingTheFlag) {
  const std::string d = tmp_dir("slurm_bad");
  struct Case {
    std::string args, flag;
  } cases[] = {
      {"--slurm --max-parallel 0", "--max-parallel"},
      {"--slurm --partition 'de bug'", "--partition"},
      {"--slurm --time 1h", "--time"},
      {"--slurm --mem 4GB", "--mem"},
      {"--slurm -j 2", "-j"},
      {"--submit", "--submit"},
      {"--max-parallel 2", "--max-parallel"},
      {"--partition debug", "--partition"},
  };
  for (const auto& c : cases) {
    auto r = run_hostwire("sweep " + kQuickstart + " " + kGrid + " --out " + d + "/x " + c.args);
    EXPECT_EQ(r.code, 2) << c.args << "\n" << r.output;
    EXPECT_EQ(r.output.rfind(c.flag + ":", 0), 0u) << c.args << "\n" << r.output;
    EXPECT_FALSE(fs::exists(d + "/x/sweep.sbatch")) << c.args;
  }
  auto r = run_hostwire("sweep --collect " + d + " --slurm");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_EQ(r.output.rfind("--slurm: not with --collect", 0), 0u) << r.output;
  r = run_hostwire("sweep --collect " + d + " --submit");
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_EQ(r.output.rfind("--submit: not with --collect", 0), 0u) << r.output;
}

// The script alone, each task run by hand from another folder, in a folder with a blank in
// its path: the same sweep.csv and reports as a local sweep.
TEST(SlurmCli, ScriptTasksGiveTheLocalSweepsResults) {
  const std::string d = tmp_dir("slurm_script");
  auto r = run_hostwire("sweep " + kQuickstart + " " + kGrid + " -j 2 --out " + d + "/local");
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string s = d + "/by slurm";
  r = run_hostwire("sweep " + kQuickstart + " " + kGrid + " --slurm --max-parallel 3 --partition debug --out " + q(s));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("array 0-3%3 (4 of 4 points)"), std::string::npos) << r.output;
  const std::string script = slurp(s + "/sweep.sbatch");
  EXPECT_NE(script.find("\n#SBATCH --array=0-3%3\n"), std::string::npos) << script;
  EXPECT_NE(script.find("\n#SBATCH --partition=debug\n"), std::string::npos) << script;
  EXPECT_EQ(script.find("--time"), std::string::npos) << script;
  EXPECT_EQ(sh("bash -n " + q(s + "/sweep.sbatch")), 0);
  EXPECT_FALSE(fs::exists(s + "/slurm.json"));  // written, not submitted

  // Without Slurm's task id the script refuses to run.
  EXPECT_NE(sh("bash " + q(s + "/sweep.sbatch") + " >/dev/null 2>&1"), 0);

  r = run_hostwire("sweep --collect " + q(s));
  EXPECT_EQ(r.code, 1) << r.output;  // nothing ran yet
  for (size_t k = 0; k < 4; ++k) ASSERT_EQ(run_task(s, k), 0) << k;
  r = run_hostwire("sweep --collect " + q(s));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(slurp(s + "/sweep.csv"), slurp(d + "/local/sweep.csv"));
  for (int k = 0; k < 4; ++k) {
    const std::string p = "/points/" + std::to_string(k);
    EXPECT_EQ(without_wall(read_json(s + p + "/report.json")), without_wall(read_json(d + "/local" + p + "/report.json")))
        << k;
    auto st = read_json(s + p + "/status.json");
    EXPECT_EQ(st["status"], "ok");
    EXPECT_EQ(st["point"], k);
    EXPECT_EQ(st["exit_code"], 0);
    EXPECT_EQ(st["slurm_array_job_id"], "77");
  }
}

// --submit, resubmission and --collect's Slurm lines, with stand-ins for sbatch/squeue/sacct.
TEST(SlurmCli, SubmitAndResubmitOnlyMissingPoints) {
  const std::string d = tmp_dir("slurm_submit");
  const fs::path bin = fs::path(d) / "bin";
  fs::create_directories(bin);
  write_exe(bin / "sbatch",
            "#!/bin/sh\necho \"$@\" >>\"" + d + "/sbatch.log\"\nn=$(wc -l <\"" + d + "/sbatch.log\")\necho $((4240 + n))\n");
  write_exe(bin / "squeue", "#!/bin/sh\ncat \"" + d + "/squeue.txt\" 2>/dev/null\nexit 0\n");
  write_exe(bin / "sacct", "#!/bin/sh\necho 'Slurm accounting storage is disabled'\nexit 1\n");
  const std::string path = bin.string() + ":" + std::getenv("PATH");
  setenv("PATH", path.c_str(), 1);

  const std::string s = d + "/sweep";
  auto r = run_hostwire("sweep " + kQuickstart + " " + kGrid + " --slurm --submit --max-parallel 2 --mem 1G --out " + s);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("submitted Slurm job 4241: array 0-3%2 (4 points)"), std::string::npos) << r.output;
  EXPECT_NE(slurp(d + "/sbatch.log").find("--parsable"), std::string::npos);
  auto rec = read_json(s + "/slurm.json");
  ASSERT_EQ(rec["submissions"].size(), 1u);
  EXPECT_EQ(rec["submissions"][0]["job_id"], "4241");
  EXPECT_EQ(rec["submissions"][0]["array"], "0-3%2");
  EXPECT_EQ(rec["submissions"][0]["mem"], "1G");

  // Points 0 and 2 ran; 1 is still pending in Slurm; 3 ended without a report.
  ASSERT_EQ(run_task(s, 0), 0);
  ASSERT_EQ(run_task(s, 2), 0);
  std::ofstream(d + "/squeue.txt") << "4241|0|COMPLETED|None\n4241|1|PENDING|JobArrayTaskLimit\n"
                                      "4241|2|COMPLETED|None\n4241|3|TIMEOUT|None\n";
  r = run_hostwire("sweep --collect " + s);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("missing: point 1 "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("slurm: job 4241_1 PENDING (JobArrayTaskLimit); log " + s + "/points/1/slurm-4241_1.out"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("slurm: job 4241_3 TIMEOUT; log " + s + "/points/3/slurm-4241_3.out"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("1 point is still pending or running in Slurm"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--slurm --submit --mem 1G --max-parallel 2"), std::string::npos) << r.output;

  // Resubmission: only point 3 (1 is still queued; 0 and 2 are ok).
  r = run_hostwire("sweep " + kQuickstart + " " + kGrid + " --slurm --submit --max-parallel 2 --out " + s);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("submitted Slurm job 4242: array 3%2 (1 point)"), std::string::npos) << r.output;
  EXPECT_NE(slurp(s + "/sweep.sbatch").find("\n#SBATCH --array=3%2\n"), std::string::npos);

  // Once Slurm forgot both jobs (no accounting): failed and missing points are resubmitted together.
  std::ofstream(d + "/squeue.txt") << "";
  std::ofstream(s + "/points/2/status.json") << R"({"point": 2, "status": "failed", "exit_code": 1})";
  r = run_hostwire("sweep --collect " + s);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("failed: point 2 "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("slurm: job 4242_3 unknown"), std::string::npos) << r.output;
  r = run_hostwire("sweep " + kQuickstart + " " + kGrid + " --slurm --submit --out " + s);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("array 1-3 (3 points)"), std::string::npos) << r.output;
  EXPECT_EQ(read_json(s + "/slurm.json")["submissions"].size(), 3u);

  // sbatch failing: exit 1, nothing recorded.
  write_exe(bin / "sbatch", "#!/bin/sh\necho 'sbatch: error: invalid partition specified: nope' >&2\nexit 1\n");
  r = run_hostwire("sweep " + kQuickstart + " " + kGrid + " --slurm --submit --partition nope --out " + s);
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("sbatch failed: sbatch: error: invalid partition specified: nope"), std::string::npos)
      << r.output;
  EXPECT_EQ(read_json(s + "/slurm.json")["submissions"].size(), 3u);
}
