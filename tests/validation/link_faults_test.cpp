// Link faults through the whole platform: measured rates match their parameters, and every
// frame is accounted for (the end-of-run invariants hold).
#include <gtest/gtest.h>

#include "core/scenario.h"
#include "platforms/catalog.h"
#include "support/simulate.h"

using namespace hostwire;

namespace {

hostwire::testing::SimulatedRun simulate(const std::string& faults, const std::string& duration = "100ms") {
  return hostwire::testing::simulate("platform: link_pair\nduration: " + duration +
                                     "\nparameters: {link0: {rate: 10Gbps, a_to_b: {" + faults + "}}}\n"
                                     "workloads:\n  - {name: w, type: frame_generator, pattern: line_rate, frame_size: 64B}\n");
}

}  // namespace

TEST(LinkFaults, LossAndCorruptionAreCountedAndEveryFrameAccountedFor) {
  auto run = simulate("loss: 0.01, corrupt: 0.001");
  const double in = run.value("link0.a_to_b.frames_in");
  ASSERT_GT(in, 1e6);
  EXPECT_NEAR(run.value("link0.a_to_b.dropped_loss") / in, 0.01, 0.01 * 0.05);
  // Corruption applies to frames that survived loss.
  EXPECT_NEAR(run.value("link0.a_to_b.corrupted") / (in * 0.99), 0.001, 0.001 * 0.15);
  // Corrupted frames reach the far MAC and fail its FCS check: none is delivered.
  EXPECT_EQ(run.value("b.mac.rx_fcs_errors"), run.value("link0.a_to_b.corrupted"));
  EXPECT_EQ(run.value("workloads.w.rx_frames"), run.value("b.mac.rx_frames"));
}

TEST(LinkFaults, DuplicatesArriveAndReorderedFramesArriveLate) {
  auto run = simulate("duplicate: 0.01, reorder: 0.01, reorder_delay: 2us", "10ms");
  const double in = run.value("link0.a_to_b.frames_in");
  EXPECT_NEAR(run.value("link0.a_to_b.duplicated") / in, 0.01, 0.002);
  EXPECT_NEAR(run.value("link0.a_to_b.reordered") / in, 0.01, 0.002);
  const Histogram* lat = run.ctx->stats().find_histogram("workloads.w.latency");
  // 64 B: (8 + 64) B at 10G = 57.6 ns, plus 500 ns default propagation; a reordered frame 2 us more.
  EXPECT_EQ(lat->min(), 557'600);
  EXPECT_EQ(lat->max(), 2'557'600);
}

TEST(LinkFaults, LinkDownDropsEveryFrameInTheInterval) {
  auto run = simulate("link_down: '1ms..3ms'", "5ms");
  const double in = run.value("link0.a_to_b.frames_in");
  // Line rate: 2 ms of 5 ms down.
  EXPECT_NEAR(run.value("link0.a_to_b.dropped_link_down") / in, 0.4, 0.001);
}

TEST(LinkFaults, GilbertElliottBurstLoss) {
  auto run = simulate("burst_p: 0.001, burst_r: 0.1");
  const double in = run.value("link0.a_to_b.frames_in");
  // Long-run loss p / (p + r).
  EXPECT_NEAR(run.value("link0.a_to_b.dropped_burst") / in, 0.001 / 0.101, 0.0099 * 0.1);
}
