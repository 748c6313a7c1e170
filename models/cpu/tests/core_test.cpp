// A core's timing, exactly: run-queue order, preemption by interrupts and softirqs, context
// switches and re-entrant submission. Each TEST elaborates its own modules, so ctest runs each
// in its own process.
#include "cpu/core.h"

#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "cpu/cpu.h"
#include "script.h"

namespace hostwire::cpu {
namespace {

using testing::Script;

struct Completion {
  int id;
  int64_t ps;
  bool operator==(const Completion&) const = default;
};
std::ostream& operator<<(std::ostream& o, const Completion& c) { return o << "{" << c.id << " @ " << c.ps << " ps}"; }

// An item that records its completion; the capture is 12 bytes, inside std::function.
WorkItem item(std::vector<Completion>& log, int id, int64_t cycles, Priority p = Priority::task, int context = -1) {
  WorkItem w;
  w.cycles = cycles;
  w.priority = p;
  w.context = context;
  w.kind = "test";
  w.done = [&log, id] { log.push_back({id, hostwire::now().ps}); };
  return w;
}

CpuParams at(int64_t hz) {
  CpuParams p;
  p.cores = 2;
  p.clock = Frequency{hz};
  return p;
}

constexpr int64_t k2_5GHz = 2'500'000'000;  // 400 ps a cycle: every figure exact
constexpr int64_t k3GHz = 3'000'000'000;    // 333.3 ps a cycle: times round up to the picosecond

TEST(Core, TasksRunInArrivalOrderBackToBack) {
  SimContext ctx(1);
  Core core("core", ctx, at(k2_5GHz), 0, "h.cpu.core0.");
  Script script("script");
  std::vector<Completion> log;
  script.at(Time{}, [&] {
    core.submit(item(log, 1, 1000));
    core.submit(item(log, 2, 2500));
    core.submit(item(log, 3, 7));
    EXPECT_FALSE(core.idle());
    EXPECT_EQ(core.queued(), 2u);
  });
  script.at(Time::from_us(5), [&] { core.submit(item(log, 4, 1)); });  // an idle core starts at once
  sc_core::sc_start(to_sc(Time::from_us(10)));

  // 1000 x 400 ps, then + 2500 x 400 ps, then + 7 x 400 ps.
  const std::vector<Completion> want{{1, 400'000}, {2, 1'400'000}, {3, 1'402'800}, {4, 5'000'400}};
  EXPECT_EQ(log, want);
  EXPECT_TRUE(core.idle());
  EXPECT_EQ(core.items_done(), 4u);
  EXPECT_EQ(core.busy_time(), Time{1'403'200});
  EXPECT_EQ(core.time_for(1000), Time{400'000});
  EXPECT_EQ(ctx.stats().value("h.cpu.core0.items_task"), 4);
  EXPECT_EQ(ctx.stats().value("h.cpu.core0.cycles"), 3508);
  EXPECT_EQ(ctx.stats().value("h.cpu.core0.busy_time"), 1'403'200);
  EXPECT_EQ(ctx.activations(), 4u);  // one process activation per item
  EXPECT_TRUE(ctx.check_invariants().empty());
}

TEST(Core, InterruptDelaysTheRunningItemByEntryPlusHandler) {
  SimContext ctx(1);
  Core core("core", ctx, at(k3GHz), 0, "h.cpu.core0");
  Script script("script");
  std::vector<Completion> log;
  script.at(Time{}, [&] { core.submit(item(log, 1, 1000)); });
  script.at(Time{100'000}, [&] { core.raise_interrupt(item(log, 2, 1)); });
  sc_core::sc_start(to_sc(Time::from_us(10)));

  const Time task = core.time_for(1000);          // ceil(333'333.3) = 333'334 ps
  const Time irq = core.time_for(1000 + 1);       // interrupt_entry + handler: ceil(333'666.7) = 333'667 ps
  ASSERT_EQ(task, Time{333'334});
  ASSERT_EQ(irq, Time{333'667});
  const std::vector<Completion> want{{2, 100'000 + 333'667}, {1, 333'334 + 333'667}};
  EXPECT_EQ(log, want);
  EXPECT_EQ(core.busy_time(), Time{667'001});
  EXPECT_EQ(ctx.stats().value("h.cpu.core0.interrupts"), 1);
  EXPECT_EQ(ctx.stats().value("h.cpu.core0.preemptions"), 1);
  EXPECT_EQ(ctx.stats().value("h.cpu.core0.items_irq"), 1);
  EXPECT_EQ(ctx.stats().value("h.cpu.core0.cycles"), 2001);
}

TEST(Core, NestedInterruptQueuesBehindTheRunningOne) {
  SimContext ctx(1);
  Core core("core", ctx, at(k3GHz), 0, "h.cpu.core0");
  Script script("script");
  std::vector<Completion> log;
  script.at(Time{}, [&] { core.submit(item(log, 1, 1000)); });
  script.at(Time{100'000}, [&] { core.raise_interrupt(item(log, 2, 1)); });
  script.at(Time{200'000}, [&] {
    core.raise_interrupt(item(log, 3, 2000));  // 1000 + 2000 cycles = 1 us exactly
    EXPECT_EQ(core.queued(), 2u);              // the preempted task and this interrupt
  });
  sc_core::sc_start(to_sc(Time::from_us(10)));

  // First interrupt 100'000 + 333'667; the second after it, 1'000'000; then the task's
  // remaining 333'334 - 100'000 = 233'334.
  const std::vector<Completion> want{{2, 433'667}, {3, 1'433'667}, {1, 1'667'001}};
  EXPECT_EQ(log, want);
  EXPECT_EQ(ctx.stats().value("h.cpu.core0.interrupts"), 2);
  EXPECT_EQ(ctx.stats().value("h.cpu.core0.preemptions"), 1);
  EXPECT_EQ(core.busy_time(), Time{1'667'001});
}

TEST(Core, InterruptAtTheInstantAnItemEndsDoesNotStopIt) {
  SimContext ctx(1);
  Core core("core", ctx, at(k2_5GHz), 0, "h.cpu.core0");
  Script script("script");
  std::vector<Completion> log;
  script.at(Time{}, [&] { core.submit(item(log, 1, 2500)); });                 // ends at 1 us
  script.at(Time::from_us(1), [&] { core.raise_interrupt(item(log, 2, 0)); });  // entry only: 400 ns
  sc_core::sc_start(to_sc(Time::from_us(10)));

  const std::vector<Completion> want{{1, 1'000'000}, {2, 1'400'000}};
  EXPECT_EQ(log, want);
  EXPECT_EQ(ctx.stats().value("h.cpu.core0.preemptions"), 0);
  EXPECT_EQ(core.busy_time(), Time{1'400'000});
}

// Two cores finish at the same instant and each completion raises an interrupt on the other
// core. Whichever process SystemC runs first finds the other core's item due but not yet
// completed: that item must complete at its time, not be stopped and resumed for zero time.
TEST(Core, InterruptAtTheInstantAnotherItemEndsDoesNotStopIt) {
  SimContext ctx(1);
  Cpu cpu("cpu", ctx, at(k2_5GHz), "h.cpu");
  Script script("script");
  std::vector<Completion> log;
  script.at(Time{}, [&] {
    for (int c = 0; c < 2; ++c) {
      WorkItem w = item(log, c, 2500);  // ends at 1 us
      w.done = [&log, &cpu, c] {
        log.push_back({c, hostwire::now().ps});
        cpu.core(1 - c).raise_interrupt(item(log, 10 + (1 - c), 0));  // entry only: 400 ns
      };
      cpu.core(c).submit(std::move(w));
    }
  });
  sc_core::sc_start(to_sc(Time::from_us(10)));

  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[0].ps, 1'000'000);
  EXPECT_EQ(log[1].ps, 1'000'000);
  EXPECT_EQ(log[2].ps, 1'400'000);
  EXPECT_EQ(log[3].ps, 1'400'000);
  EXPECT_EQ(ctx.stats().value("h.cpu.core0.preemptions"), 0);
  EXPECT_EQ(ctx.stats().value("h.cpu.core1.preemptions"), 0);
  EXPECT_EQ(cpu.busy_time(), Time{2'800'000});
}

TEST(Core, SoftirqPreemptsATaskButNotAnInterrupt) {
  SimContext ctx(1);
  Core core("core", ctx, at(k2_5GHz), 0, "h.cpu.core0");
  Script script("script");
  std::vector<Completion> log;
  script.at(Time{}, [&] {
    core.submit(item(log, 1, 10'000));  // 4 us
    core.submit(item(log, 5, 1000));    // 400 ns, waiting behind it
  });
  script.at(Time::from_us(1), [&] { core.submit(item(log, 2, 2500, Priority::softirq)); });  // 1 us
  script.at(Time{1'500'000}, [&] { core.raise_interrupt(item(log, 3, 500)); });              // 600 ns
  script.at(Time{1'800'000}, [&] { core.submit(item(log, 4, 250, Priority::softirq)); });    // 100 ns
  sc_core::sc_start(to_sc(Time::from_us(10)));

  // The interrupt runs 1.5-2.1 us; the preempted softirq resumes first (0.5 us left), then the
  // later softirq, then the preempted task's 3 us left (ahead of the task that waited since 0),
  // then that task.
  const std::vector<Completion> want{
      {3, 2'100'000}, {2, 2'600'000}, {4, 2'700'000}, {1, 5'700'000}, {5, 6'100'000}};
  EXPECT_EQ(log, want);
  EXPECT_EQ(ctx.stats().value("h.cpu.core0.preemptions"), 2);
  EXPECT_EQ(ctx.stats().value("h.cpu.core0.items_softirq"), 2);
  EXPECT_EQ(ctx.stats().value("h.cpu.core0.items_task"), 2);
  EXPECT_EQ(core.busy_time(), Time{6'100'000});
}

TEST(Core, PrioritiesOrderABacklog) {
  SimContext ctx(1);
  Core core("core", ctx, at(k2_5GHz), 0, "h.cpu.core0");
  Script script("script");
  std::vector<Completion> log;
  script.at(Time{}, [&] {
    core.raise_interrupt(item(log, 1, 1500));  // 2500 cycles with the entry: 1 us
    core.submit(item(log, 2, 250));
    core.submit(item(log, 3, 250, Priority::softirq));
    core.submit(item(log, 4, 250));
    core.submit(item(log, 5, 250, Priority::softirq));
    core.submit(item(log, 6, 250, Priority::irq));  // irq level without an interrupt's entry cost
    EXPECT_EQ(core.queued(), 5u);
  });
  sc_core::sc_start(to_sc(Time::from_us(10)));

  const std::vector<Completion> want{{1, 1'000'000}, {6, 1'100'000}, {3, 1'200'000},
                                     {5, 1'300'000}, {2, 1'400'000}, {4, 1'500'000}};
  EXPECT_EQ(log, want);
  EXPECT_EQ(ctx.stats().value("h.cpu.core0.preemptions"), 0);
  EXPECT_EQ(ctx.stats().value("h.cpu.core0.interrupts"), 1);
  EXPECT_EQ(ctx.stats().value("h.cpu.core0.items_irq"), 2);
}

TEST(Core, ContextSwitchChargedOnlyBetweenTwoThreadContexts) {
  SimContext ctx(1);
  CpuParams p = at(k2_5GHz);
  p.costs.context_switch = Cycles{1000};  // 400 ns
  Core core("core", ctx, p, 0, "h.cpu.core0");
  Script script("script");
  std::vector<Completion> log;
  script.at(Time{}, [&] {
    const int contexts[] = {-1, 0, 0, -1, 1, 1, 0};  // switches: 0 -> 1 and 1 -> 0
    for (int i = 0; i < 7; ++i) core.submit(item(log, i, 250, Priority::task, contexts[i]));  // 100 ns each
  });
  // Thread 0 again (the context the core holds), interrupted by the kernel: no switch either way.
  script.at(Time::from_us(2), [&] { core.submit(item(log, 7, 2500, Priority::task, 0)); });
  script.at(Time{2'500'000}, [&] { core.raise_interrupt(item(log, 8, 0)); });
  sc_core::sc_start(to_sc(Time::from_us(10)));

  const std::vector<Completion> want{{0, 100'000}, {1, 200'000},   {2, 300'000},   {3, 400'000}, {4, 900'000},
                                     {5, 1'000'000}, {6, 1'500'000}, {8, 2'900'000}, {7, 3'400'000}};
  EXPECT_EQ(log, want);
  EXPECT_EQ(ctx.stats().value("h.cpu.core0.context_switches"), 2);
  EXPECT_EQ(ctx.stats().value("h.cpu.core0.cycles"), 7 * 250 + 2 * 1000 + 2500 + 1000);
}

TEST(Core, ContextSwitchCyclesJoinTheItemsCyclesBeforeRounding) {
  SimContext ctx(1);
  CpuParams p = at(k3GHz);
  p.costs.context_switch = Cycles{1000};
  Core core("core", ctx, p, 0, "h.cpu.core0");
  Script script("script");
  std::vector<Completion> log;
  script.at(Time{}, [&] {
    core.submit(item(log, 0, 1000, Priority::task, 0));  // ceil(333'333.3) = 333'334 ps
    core.submit(item(log, 1, 1000, Priority::task, 1));  // 2000 cycles: 666'667 ps, not 2 x 333'334
  });
  sc_core::sc_start(to_sc(Time::from_us(10)));

  const std::vector<Completion> want{{0, 333'334}, {1, 333'334 + 666'667}};
  EXPECT_EQ(log, want);
}

TEST(Core, DoneMaySubmitToTheSameCoreAndOthers) {
  SimContext ctx(1);
  Cpu cpu("cpu", ctx, at(k2_5GHz), "h.cpu");
  Script script("script");
  constexpr int kChain = 1000;
  int chained = 0;
  std::vector<Completion> other;
  // Each completion on core 0 submits the next link to core 0 and one item to core 1.
  std::function<void()> next = [&] {
    if (++chained == kChain) return;
    WorkItem w;
    w.cycles = 250;  // 100 ns
    w.done = [&next] { next(); };
    cpu.core(0).submit(std::move(w));
    cpu.core(1).submit(item(other, chained, 250));
  };
  script.at(Time{}, [&] {
    WorkItem w;
    w.cycles = 250;
    w.done = [&next] { next(); };
    cpu.core(0).submit(std::move(w));
  });
  sc_core::sc_start(to_sc(Time::from_ms(1)));

  EXPECT_EQ(chained, kChain);
  EXPECT_EQ(cpu.core(0).items_done(), uint64_t{kChain});
  EXPECT_EQ(cpu.core(0).busy_time(), Time::from_ns(100 * kChain));
  ASSERT_EQ(other.size(), size_t{kChain - 1});
  // Core 1 receives item k at k x 100 ns and is free by then: it finishes 100 ns later.
  EXPECT_EQ(other.front(), (Completion{1, 200'000}));
  EXPECT_EQ(other.back(), (Completion{kChain - 1, int64_t{kChain} * 100'000}));
  EXPECT_EQ(ctx.activations(), uint64_t{2 * kChain - 1});  // one per item
  EXPECT_TRUE(ctx.check_invariants().empty());
}

TEST(Core, WorkSubmittedFromDoneQueuesBehindWaitingWorkByPriority) {
  SimContext ctx(1);
  Core core("core", ctx, at(k2_5GHz), 0, "h.cpu.core0");
  Script script("script");
  std::vector<Completion> log;
  script.at(Time{}, [&] {
    WorkItem a = item(log, 1, 250);
    a.done = [&log, &core] {
      log.push_back({1, hostwire::now().ps});
      EXPECT_EQ(core.queued(), 1u);
      core.submit(item(log, 3, 250));
      core.raise_interrupt(item(log, 4, 0));  // 400 ns: first, but it stops nothing
      EXPECT_EQ(core.queued(), 3u);
    };
    core.submit(std::move(a));
    core.submit(item(log, 2, 250));
  });
  sc_core::sc_start(to_sc(Time::from_us(10)));

  const std::vector<Completion> want{{1, 100'000}, {4, 500'000}, {2, 600'000}, {3, 700'000}};
  EXPECT_EQ(log, want);
  EXPECT_EQ(ctx.stats().value("h.cpu.core0.preemptions"), 0);
  EXPECT_TRUE(ctx.check_invariants().empty());
}

}  // namespace
}  // namespace hostwire::cpu
