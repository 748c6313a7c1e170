// The pieces of `hostwire sweep --slurm` that need no Slurm: array specs, the sbatch script,
// the #SBATCH value checks and the parsing of squeue / sacct output.
#include <gtest/gtest.h>

#include "tools/hostwire/slurm.h"

namespace slurm = hostwire::cli::slurm;

TEST(SlurmArraySpec, RangesListsAndThrottle) {
  EXPECT_EQ(slurm::array_spec({0, 1, 2, 3}, 2u), "0-3%2");
  EXPECT_EQ(slurm::array_spec({0, 1, 2, 3}, std::nullopt), "0-3");
  EXPECT_EQ(slurm::array_spec({3, 1}, std::nullopt), "1,3");
  EXPECT_EQ(slurm::array_spec({1, 3}, 4u), "1,3%4");
  EXPECT_EQ(slurm::array_spec({9, 0, 1, 2, 5, 7, 8, 2}, std::nullopt), "0-2,5,7-9");
  EXPECT_EQ(slurm::array_spec({7}, 1u), "7%1");
  EXPECT_EQ(slurm::array_spec({}, 2u), "");
}

TEST(SlurmArraySpec, ParsesBack) {
  EXPECT_EQ(slurm::parse_array_spec("0-2,5,7-9%3"), (std::vector<size_t>{0, 1, 2, 5, 7, 8, 9}));
  EXPECT_EQ(slurm::parse_array_spec("4"), (std::vector<size_t>{4}));
  EXPECT_FALSE(slurm::parse_array_spec("3-1"));
  EXPECT_FALSE(slurm::parse_array_spec("a"));
  EXPECT_FALSE(slurm::parse_array_spec(""));
  EXPECT_FALSE(slurm::parse_array_spec("1-"));
  EXPECT_FALSE(slurm::parse_array_spec("1,,2"));
  EXPECT_FALSE(slurm::parse_array_spec("1-2x"));
}

TEST(SlurmChecks, PartitionTimeMem) {
  EXPECT_EQ(slurm::check_partition("debug"), "");
  EXPECT_EQ(slurm::check_partition("cpu_long,gpu-a.1"), "");
  EXPECT_NE(slurm::check_partition("de bug"), "");
  EXPECT_NE(slurm::check_partition("a;rm"), "");
  EXPECT_NE(slurm::check_partition(""), "");
  EXPECT_NE(slurm::check_partition("a,,b"), "");
  EXPECT_NE(slurm::check_partition(",a"), "");
  for (const char* t : {"30", "10:00", "1:00:00", "2-0", "2-12:30", "1-00:00:00", "UNLIMITED", "infinite"})
    EXPECT_EQ(slurm::check_time(t), "") << t;
  for (const char* t : {"", "1h", "1:2:3:4", "-5", "ten", "1:123", "1:", "2-", "1-2-3", "10:00:", "unlimitedx"})
    EXPECT_NE(slurm::check_time(t), "") << t;
  for (const char* m : {"0", "512", "512M", "4G", "1T", "100k"}) EXPECT_EQ(slurm::check_mem(m), "") << m;
  for (const char* m : {"", "4GB", "G", "1.5G", "-1"}) EXPECT_NE(slurm::check_mem(m), "") << m;
}

namespace {

slurm::ScriptSpec spec() {
  slurm::ScriptSpec s;
  s.scenario = "scenarios/quickstart.yaml";
  s.job_name = "hostwire-quickstart";
  s.array = "0-3%2";
  s.cwd = "/home/me/my work";
  s.dir = "out/my sweep";
  s.dir_absolute = "/home/me/my work/out/my sweep";
  s.run = {"/opt/hostwire/bin/hostwire", "run", "scenarios/quickstart.yaml"};
  s.flags = {"--grid", "link0.rate=1Gbps,10Gbps", "--set", "duration=1ms", "--seed", "7"};
  s.points = 4;
  return s;
}

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text + "\n").find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST(SlurmScript, ArrayOutputAndTheRunCommand) {
  const std::string t = slurm::render_script(spec());
  EXPECT_EQ(t.rfind("#!/bin/bash\n", 0), 0u);
  EXPECT_TRUE(has_line(t, "#SBATCH --array=0-3%2")) << t;
  EXPECT_TRUE(has_line(t, "#SBATCH --job-name=hostwire-quickstart")) << t;
  // A path with a blank is double-quoted on #SBATCH lines (sbatch's own rule), single-quoted for bash.
  EXPECT_TRUE(has_line(t, "#SBATCH --output=\"/home/me/my work/out/my sweep/points/%a/slurm-%A_%a.out\"")) << t;
  EXPECT_TRUE(has_line(t, "cd '/home/me/my work' || exit 1")) << t;
  EXPECT_TRUE(has_line(t, "P='out/my sweep/points'/\"$K\"")) << t;
  EXPECT_TRUE(has_line(t, "/opt/hostwire/bin/hostwire run scenarios/quickstart.yaml --point \"$K\" --out \"$P\" --grid "
                          "link0.rate=1Gbps,10Gbps --set duration=1ms --seed 7 </dev/null >\"$P/stdout.txt\" "
                          "2>\"$P/stderr.txt\""))
      << t;
  EXPECT_NE(t.find("K=${SLURM_ARRAY_TASK_ID:?"), std::string::npos);
  EXPECT_NE(t.find("status.json"), std::string::npos);
  // Only the options given.
  EXPECT_EQ(t.find("--partition"), std::string::npos);
  EXPECT_EQ(t.find("--time"), std::string::npos);
  EXPECT_EQ(t.find("--mem"), std::string::npos);
}

TEST(SlurmScript, OptionsWhenGivenAndPercentInPaths) {
  auto s = spec();
  s.partition = "debug";
  s.time = "1:00:00";
  s.mem = "2G";
  s.dir_absolute = "/data/100%/sweep";
  s.array = "1,3";
  const std::string t = slurm::render_script(s);
  EXPECT_TRUE(has_line(t, "#SBATCH --partition=debug")) << t;
  EXPECT_TRUE(has_line(t, "#SBATCH --time=1:00:00")) << t;
  EXPECT_TRUE(has_line(t, "#SBATCH --mem=2G")) << t;
  EXPECT_TRUE(has_line(t, "#SBATCH --array=1,3")) << t;
  EXPECT_TRUE(has_line(t, "#SBATCH --output=/data/100%%/sweep/points/%a/slurm-%A_%a.out")) << t;
}

TEST(SlurmScript, QuotesForBash) {
  EXPECT_EQ(slurm::shell_quote("plain/path-1.yaml"), "plain/path-1.yaml");
  EXPECT_EQ(slurm::shell_quote("a b"), "'a b'");
  EXPECT_EQ(slurm::shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(slurm::shell_quote("$HOME"), "'$HOME'");
  EXPECT_EQ(slurm::shell_quote(""), "''");
}

TEST(SlurmQuery, ParsesSqueueAndSacct) {
  std::map<std::pair<std::string, size_t>, slurm::TaskState> m;
  slurm::parse_squeue("12|0|COMPLETED|None\n12|1|RUNNING|None\n12|2-3%1|PENDING|JobArrayTaskLimit\n", m);
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[std::make_pair(std::string("12"), size_t{0})].state, "COMPLETED");
  EXPECT_EQ(m[std::make_pair(std::string("12"), size_t{1})].state, "RUNNING");
  EXPECT_EQ(m[std::make_pair(std::string("12"), size_t{3})].state, "PENDING");
  EXPECT_EQ(m[std::make_pair(std::string("12"), size_t{3})].reason, "JobArrayTaskLimit");
  EXPECT_TRUE(slurm::is_active("PENDING"));
  EXPECT_TRUE(slurm::is_active("RUNNING"));
  EXPECT_FALSE(slurm::is_active("COMPLETED"));
  EXPECT_FALSE(slurm::is_active("FAILED"));
  // sacct fills in what squeue no longer knows, and does not override squeue.
  slurm::parse_sacct("12_0|FAILED|1:0\n9_4|TIMEOUT|0:15\n9_[5-6]|PENDING|0:0\n9_7|CANCELLED by 0|0:9\n", m);
  EXPECT_EQ(m[std::make_pair(std::string("12"), size_t{0})].state, "COMPLETED");
  EXPECT_EQ(m[std::make_pair(std::string("9"), size_t{4})].state, "TIMEOUT");
  EXPECT_EQ(m[std::make_pair(std::string("9"), size_t{4})].reason, "exit code 0:15");
  EXPECT_EQ(m[std::make_pair(std::string("9"), size_t{6})].state, "PENDING");
  EXPECT_EQ(m[std::make_pair(std::string("9"), size_t{7})].state, "CANCELLED");
}
