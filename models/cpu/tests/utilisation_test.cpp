// Utilisation per core and per CPU: the end-of-run formula, the sampled time series, and the
// busy wire in the waveform.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

#include <gtest/gtest.h>

#include "cpu/cpu.h"
#include "script.h"
#include "support/vcd_reader.h"

namespace hostwire::cpu {
namespace {

using testing::Script;

WorkItem work(int64_t cycles) {
  WorkItem w;
  w.cycles = cycles;
  w.kind = "work";
  return w;
}

// Column of a series in the registry's samples.
std::vector<double> column(const StatsRegistry& st, const std::string& name) {
  const auto list = st.series_list();
  size_t i = 0;
  while (i < list.size() && list[i].name != name) ++i;
  std::vector<double> v;
  if (i == list.size()) return v;
  for (const auto& row : st.samples()) v.push_back(row[i]);
  return v;
}

// 1 GHz: a cycle is 1 ns. Core 0 is busy 0.5-2 us and 5-6.5 us: 3 us of 10. Core 1 is busy
// 3.25-4.25 us and from 9.5 us to past the end (0.5 us of it inside the run).
struct Bench {
  SimContext ctx{1};
  Cpu cpu{"cpu", ctx, [] {
            CpuParams p;
            p.cores = 2;
            p.clock = Frequency{1'000'000'000};
            return p;
          }(),
          "h.cpu"};
  Script script{"script"};
  Sampler sampler{"sampler", ctx, Time::from_us(1)};
  Bench() {
    script.at(Time{500'000}, [this] { cpu.core(0).submit(work(1500)); });
    script.at(Time::from_us(5), [this] { cpu.core(0).submit(work(1500)); });
    script.at(Time{3'250'000}, [this] { cpu.core(1).submit(work(1000)); });
    script.at(Time{9'500'000}, [this] { cpu.core(1).submit(work(2000)); });
  }
};

TEST(Utilisation, FormulaIsBusyTimeOverSimulatedTime) {
  Bench run;
  sc_core::sc_start(to_sc(Time::from_us(10)));
  const auto& st = run.ctx.stats();
  EXPECT_EQ(st.value("h.cpu.core0.utilisation"), 0.30);
  EXPECT_EQ(st.value("h.cpu.core0.busy_time"), 3'000'000);
  // The item still running at the end counts the part it ran.
  EXPECT_EQ(st.value("h.cpu.core1.busy_time"), 1'500'000);
  EXPECT_EQ(st.value("h.cpu.core1.utilisation"), 0.15);
  EXPECT_EQ(st.value("h.cpu.utilisation"), 0.225);  // 4.5 us of 2 x 10 us
  EXPECT_EQ(run.cpu.busy_time(), Time{4'500'000});
  EXPECT_FALSE(run.cpu.core(1).idle());
}

TEST(Utilisation, SeriesGivesTheBusyFractionOfEachInterval) {
  Bench run;
  // sc_start(t) stops before what is due at t: 1 ps more takes the sample at 10 us.
  sc_core::sc_start(to_sc(Time{10'000'001}));
  const auto& st = run.ctx.stats();
  const auto& times = st.sample_times_ps();
  ASSERT_EQ(times.size(), 10u);
  for (size_t i = 0; i < times.size(); ++i) EXPECT_EQ(times[i], int64_t(i + 1) * 1'000'000);

  const std::vector<double> core0{0.5, 1, 0, 0, 0, 1, 0.5, 0, 0, 0};
  const std::vector<double> core1{0, 0, 0, 0.75, 0.25, 0, 0, 0, 0, 0.5};  // the last row: an item still running
  EXPECT_EQ(column(st, "h.cpu.core0.utilisation"), core0);
  EXPECT_EQ(column(st, "h.cpu.core1.utilisation"), core1);
  std::vector<double> mean;
  for (size_t i = 0; i < core0.size(); ++i) mean.push_back((core0[i] + core1[i]) / 2);
  EXPECT_EQ(column(st, "h.cpu.utilisation"), mean);

  // Rows x the 1 us interval add up to each core's busy time within the sampled 10 us.
  double core0_us = 0, core1_us = 0;
  for (double u : column(st, "h.cpu.core0.utilisation")) core0_us += u;
  for (double u : column(st, "h.cpu.core1.utilisation")) core1_us += u;
  EXPECT_EQ(core0_us, 3.0);
  EXPECT_EQ(core1_us, 1.5);
}

TEST(Utilisation, RunningWireAndPriorityNamesInTheWaveform) {
  Bench run;
  // A softirq interrupted by an interrupt on core 0 between its two tasks.
  run.script.at(Time::from_us(3), [&run] {
    WorkItem w = work(500);
    w.priority = Priority::softirq;
    run.cpu.core(0).submit(std::move(w));
  });
  run.script.at(Time{3'100'000}, [&run] { run.cpu.core(0).raise_interrupt(work(0)); });
  const std::string path = ::testing::TempDir() + "cpu_busy.vcd";
  std::string error;
  ASSERT_TRUE(run.ctx.vcd().open(path, error)) << error;
  sc_core::sc_start(to_sc(Time::from_us(10)));
  ASSERT_TRUE(run.ctx.vcd().close(Time::from_us(10)));
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  const auto vcd = hostwire::testing::read_vcd(text.str());
  ASSERT_TRUE(vcd.error.empty()) << vcd.error;
  using Changes = std::vector<std::pair<int64_t, std::string>>;
  // The 1 us interrupt (entry only) runs 3.1-4.1 us; the softirq resumes until 4.5 us.
  EXPECT_EQ(vcd.of("h.cpu.core0.running"),
            (Changes{{0, "0"}, {500'000, "1"}, {2'000'000, "0"}, {3'000'000, "1"}, {4'500'000, "0"},
                     {5'000'000, "1"}, {6'500'000, "0"}}));
  EXPECT_EQ(vcd.of("h.cpu.core0.priority"),
            (Changes{{0, "idle"}, {500'000, "task"}, {2'000'000, "idle"}, {3'000'000, "softirq"}, {3'100'000, "irq"},
                     {4'100'000, "softirq"}, {4'500'000, "idle"}, {5'000'000, "task"}, {6'500'000, "idle"}}));
  std::remove(path.c_str());
}

}  // namespace
}  // namespace hostwire::cpu
