// The link against Ethernet arithmetic: frame rates at line rate and one-way latency,
// exactly. Each TEST elaborates its own platform, so ctest runs each in its own process.
#include <gtest/gtest.h>

#include "core/scenario.h"
#include "platforms/catalog.h"
#include "support/simulate.h"
#include "support/validation_row.h"

using namespace hostwire;

namespace {

using hostwire::testing::record_validation_row;
using hostwire::testing::simulate;

std::string line_rate(const std::string& frame_size) {
  return "platform: link_pair\nduration: 1s\nparameters: {link0: {rate: 10Gbps, propagation: 0s}}\n"
         "workloads:\n  - {name: w, type: frame_generator, pattern: line_rate, frame_size: " + frame_size + "}\n";
}

}  // namespace

TEST(LinkTiming, BackToBack64ByteFramesAt10G) {
  auto run = simulate(line_rate("64B"));
  // 10e9 / ((8 + 64 + 12) * 8) = 14,880,952.38 frames per second.
  double frames = run.ctx->stats().value("workloads.w.rx_frames");
  EXPECT_NEAR(frames, 14'880'952, 1.0);
  EXPECT_TRUE(record_validation_row({"Ethernet framing, 64 B frames at 10 Gbit/s, frames in 1 s",
                                     "10e9 / ((8 + 64 + 12) x 8)", "IEEE 802.3: preamble+SFD 8 B, IFG 12 B", frames,
                                     10e9 / ((8 + 64 + 12) * 8), 1e-6, "frames"}));
}

TEST(LinkTiming, BackToBack1518ByteFramesAt10G) {
  auto run = simulate(line_rate("1518B"));
  // 10e9 / ((8 + 1518 + 12) * 8) = 812,743.8 frames per second.
  double frames = run.ctx->stats().value("workloads.w.rx_frames");
  EXPECT_NEAR(frames, 812'743, 1.0);
  EXPECT_TRUE(record_validation_row({"Ethernet framing, 1518 B frames at 10 Gbit/s, frames in 1 s",
                                     "10e9 / ((8 + 1518 + 12) x 8)", "IEEE 802.3: preamble+SFD 8 B, IFG 12 B", frames,
                                     10e9 / ((8 + 1518 + 12) * 8), 2e-6, "frames"}));
}

TEST(LinkTiming, OneWayLatencyIsSerialisationPlusPropagationToThePicosecond) {
  // 3 Gbps makes a bit last 333.33 ps: the frame's time rounds up to the next picosecond.
  auto run = simulate(
      "platform: link_pair\nduration: 1ms\nparameters: {link0: {rate: 3Gbps, propagation: 1234567ps}}\n"
      "workloads:\n  - {name: w, type: frame_generator, pattern: constant, rate: 100Mbps, frame_size: 200B}\n");
  const Histogram* h = run.ctx->stats().find_histogram("workloads.w.latency");
  ASSERT_NE(h, nullptr);
  ASSERT_GT(h->count(), 10u);
  // Preamble+SFD (8 B) and the 200 B frame (FCS included) at 3 Gbps, then propagation.
  const int64_t bits = (8 + 200) * 8;
  const int64_t serialisation = (bits * 1'000'000'000'000 + 3'000'000'000 - 1) / 3'000'000'000;
  EXPECT_EQ(h->min(), serialisation + 1'234'567);
  EXPECT_EQ(h->max(), serialisation + 1'234'567);
}

TEST(LinkTiming, RuntFramesArePaddedToTheMinimumOnTheWire) {
  auto run = simulate(
      "platform: link_pair\nduration: 10us\nparameters: {link0: {rate: 10Gbps, propagation: 0s}}\n"
      "workloads:\n  - {name: w, type: frame_generator, pattern: line_rate, frame_size: 64B, count: 3}\n");
  // 3 frames x (8 + 64 + 12) B of line time.
  EXPECT_EQ(run.ctx->stats().value("link0.a_to_b.wire_bytes"), 3 * 84);
  EXPECT_EQ(run.ctx->stats().value("link0.a_to_b.busy_time"), 3 * 67'200);
}
