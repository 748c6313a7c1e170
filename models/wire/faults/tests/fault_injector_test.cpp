#include "wire/faults/fault_injector.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

namespace hostwire::wire {
namespace {

constexpr uint64_t kSeed = 42;
constexpr const char* kStream = "link0.a_to_b.faults";
constexpr uint32_t kFrameBits = 1500 * 8;
constexpr uint64_t kFrames = 1'000'000;
constexpr uint64_t kSeeds[] = {kSeed, 1, 2, 3, 4};  // for rate checks that must hold for any seed

Rng stream(uint64_t seed) { return Rng(seed, kStream); }

// Frames back to back, one per nanosecond of simulated time.
Time frame_time(uint64_t i) { return Time::from_ns(static_cast<int64_t>(i)); }

FaultCounters run(const FaultParams& params, uint64_t seed, uint64_t frames = kFrames, uint32_t bits = kFrameBits) {
  FaultInjector inj(params, stream(seed));
  for (uint64_t i = 0; i < frames; ++i) inj.decide(frame_time(i), bits);
  return inj.counters();
}

// Measured rate of `count` in `frames` within 5 % (relative) of `expected`; printed so the
// numbers show in the test log.
void expect_rate(const char* what, uint64_t count, uint64_t frames, double expected, double tolerance = 0.05) {
  const double measured = static_cast<double>(count) / static_cast<double>(frames);
  std::printf("  %-28s measured %.6f expected %.6f (%+.2f %%)\n", what, measured, expected,
              100 * (measured / expected - 1));
  EXPECT_NEAR(measured, expected, tolerance * expected) << what;
}

bool has_problem(const FaultParams& p, const std::string& key) {
  for (const auto& problem : p.validate())
    if (problem.key == key) return true;
  return false;
}

TEST(FaultInjectorNoFaults, EveryFramePassesAndNoRandomNumberIsDrawn) {
  FaultInjector inj(FaultParams{}, stream(kSeed));
  for (uint64_t i = 0; i < 100'000; ++i) ASSERT_EQ(inj.decide(frame_time(i), kFrameBits), FaultDecision{});
  const auto& c = inj.counters();
  EXPECT_EQ(c.frames_seen, 100'000u);
  EXPECT_EQ(c.dropped(), 0u);
  EXPECT_EQ(c.corrupted + c.reordered + c.duplicated, 0u);
  // The injector's stream is exactly where a fresh one starts.
  Rng used = inj.rng(), fresh = stream(kSeed);
  EXPECT_EQ(used.next_u64(), fresh.next_u64());
}

TEST(FaultInjectorNoFaults, LinkDownAloneDrawsNoRandomNumber) {
  FaultParams p;
  p.link_down = {{Time::from_us(10), Time::from_us(20)}};
  FaultInjector inj(p, stream(kSeed));
  for (uint64_t i = 0; i < 100'000; ++i) inj.decide(frame_time(i), kFrameBits);
  EXPECT_EQ(inj.counters().dropped_link_down, 10'000u);
  Rng used = inj.rng(), fresh = stream(kSeed);
  EXPECT_EQ(used.next_u64(), fresh.next_u64());
}

TEST(FaultInjectorLoss, IndependentLossRateWithinFivePercentForFiveSeeds) {
  FaultParams p;
  p.loss = 1e-2;
  for (uint64_t seed : kSeeds) {
    const auto c = run(p, seed);
    expect_rate("loss", c.dropped_loss, c.frames_seen, p.loss);
    EXPECT_EQ(c.dropped(), c.dropped_loss);
  }
}

// Consecutive burst losses, as lengths, over `frames` frames.
std::vector<uint64_t> loss_bursts(FaultInjector& inj, uint64_t frames) {
  std::vector<uint64_t> bursts;
  uint64_t run_length = 0;
  for (uint64_t i = 0; i < frames; ++i) {
    if (inj.decide(frame_time(i), kFrameBits).drop == DropReason::burst_loss) {
      ++run_length;
    } else if (run_length > 0) {
      bursts.push_back(run_length);
      run_length = 0;
    }
  }
  return bursts;
}

TEST(FaultInjectorBurstLoss, MeanBurstIsOneOverRAndLossRateIsPOverPPlusR) {
  FaultParams p;
  p.burst.p = 0.01;
  p.burst.r = 0.25;
  constexpr uint64_t frames = 2'000'000;
  for (uint64_t seed : kSeeds) {
    FaultInjector inj(p, stream(seed));
    const auto bursts = loss_bursts(inj, frames);
    uint64_t lost = 0;
    for (auto b : bursts) lost += b;
    ASSERT_GT(bursts.size(), 1000u);
    expect_rate("burst mean length (frames)", lost, bursts.size(), 1 / p.burst.r);
    expect_rate("burst loss rate", inj.counters().dropped_burst, frames, p.burst.p / (p.burst.p + p.burst.r));
  }
}

TEST(FaultInjectorBurstLoss, PartialLossInEachStateFollowsStationaryMix) {
  FaultParams p;
  p.burst = {.p = 0.02, .r = 0.1, .loss_in_bad = 0.5, .loss_in_good = 0.002};
  const double bad = p.burst.p / (p.burst.p + p.burst.r);
  const auto c = run(p, kSeed, 2'000'000);
  expect_rate("burst loss, partial states", c.dropped_burst, c.frames_seen,
              bad * p.burst.loss_in_bad + (1 - bad) * p.burst.loss_in_good);
}

TEST(FaultInjectorCorruption, PerFrameRateAndBitIndexUniformInFrame) {
  FaultParams p;
  p.corrupt = 1e-2;
  FaultInjector inj(p, stream(kSeed));
  double bit_sum = 0;
  for (uint64_t i = 0; i < kFrames; ++i) {
    const auto d = inj.decide(frame_time(i), kFrameBits);
    if (!d.corrupted) continue;
    ASSERT_LT(d.corrupt_bit, kFrameBits);
    bit_sum += d.corrupt_bit;
  }
  const auto& c = inj.counters();
  expect_rate("corrupt (per frame)", c.corrupted, c.frames_seen, p.corrupt);
  const double mean_bit = bit_sum / static_cast<double>(c.corrupted);
  EXPECT_NEAR(mean_bit, (kFrameBits - 1) / 2.0, 0.02 * kFrameBits);
}

TEST(FaultInjectorCorruption, BitErrorRateGivesOneMinusOneMinusBerToTheN) {
  struct Case { double ber; uint32_t bits; };
  for (const auto& [ber, bits] : {Case{1e-6, 12'000}, Case{1e-5, 1'000}}) {
    FaultParams p;
    p.ber = ber;
    const auto c = run(p, kSeed, kFrames, bits);
    expect_rate("ber", c.corrupted, c.frames_seen, 1 - std::pow(1 - ber, bits));
  }
  FaultParams all;
  all.ber = 1;
  EXPECT_EQ(run(all, kSeed, 1000).corrupted, 1000u);
  EXPECT_EQ(run(all, kSeed, 1000, 0).corrupted, 0u);  // nothing to flip in an empty frame
}

TEST(FaultInjectorReorderDuplicate, RatesAndDelay) {
  FaultParams p;
  p.duplicate = 1e-2;
  p.reorder = 2e-2;
  p.reorder_delay = Time::from_us(5);
  FaultInjector inj(p, stream(kSeed));
  for (uint64_t i = 0; i < kFrames; ++i) {
    const auto d = inj.decide(frame_time(i), kFrameBits);
    ASSERT_TRUE(d.extra_delay == Time{} || d.extra_delay == p.reorder_delay);
  }
  const auto& c = inj.counters();
  expect_rate("duplicate", c.duplicated, c.frames_seen, p.duplicate);
  expect_rate("reorder", c.reordered, c.frames_seen, p.reorder);
}

TEST(FaultInjectorLinkDown, DropsExactlyTheFramesInsideHalfOpenIntervals) {
  FaultParams p;
  // Unsorted, one overlap and one touching pair: the injector merges them.
  p.link_down = {{Time::from_ns(5'000), Time::from_ns(6'000)},
                 {Time::from_ns(1'000), Time::from_ns(2'000)},
                 {Time::from_ns(1'500), Time::from_ns(2'500)},
                 {Time::from_ns(6'000), Time::from_ns(6'010)}};
  p.loss = 0.1;  // link-down is checked first, ahead of random loss
  FaultInjector inj(p, stream(kSeed));
  uint64_t expected_down = 0;
  for (int64_t t = 0; t < 10'000; ++t) {  // a frame on every interval boundary
    const Time now = Time::from_ns(t);
    bool down = false;
    for (const auto& iv : p.link_down) down |= iv.start <= now && now < iv.end;
    expected_down += down;
    const auto d = inj.decide(now, kFrameBits);
    ASSERT_EQ(d.drop == DropReason::link_down, down) << "t=" << t << "ns";
    ASSERT_EQ(inj.link_up(now), !down);
  }
  EXPECT_EQ(expected_down, 1'500u + 1'010u);
  EXPECT_EQ(inj.counters().dropped_link_down, expected_down);
  EXPECT_TRUE(inj.link_up(Time::from_ps(999'999)));
  EXPECT_FALSE(inj.link_up(Time::from_ps(1'000'000)));
  EXPECT_FALSE(inj.link_up(Time::from_ps(6'009'999)));
  EXPECT_TRUE(inj.link_up(Time::from_ps(6'010'000)));
}

TEST(FaultInjectorOrder, DroppedFramesCarryNoOtherFaultAndCountersAddUp) {
  FaultParams p;
  p.loss = 0.05;
  p.burst = {.p = 0.01, .r = 0.2};
  p.corrupt = 0.05;
  p.duplicate = 0.05;
  p.reorder = 0.05;
  p.reorder_delay = Time::from_ns(100);
  p.link_down = {{Time::from_us(100), Time::from_us(200)}};
  FaultInjector inj(p, stream(kSeed));
  FaultCounters tally;
  for (uint64_t i = 0; i < 300'000; ++i) {
    const auto d = inj.decide(frame_time(i), kFrameBits);
    if (d.dropped()) {
      ASSERT_FALSE(d.corrupted || d.duplicate || d.reordered());
      ++(d.drop == DropReason::link_down ? tally.dropped_link_down
         : d.drop == DropReason::burst_loss ? tally.dropped_burst
                                            : tally.dropped_loss);
    }
    tally.corrupted += d.corrupted;
    tally.duplicated += d.duplicate;
    tally.reordered += d.reordered();
  }
  const auto& c = inj.counters();
  EXPECT_EQ(c.frames_seen, 300'000u);
  EXPECT_EQ(c.dropped_link_down, 100'000u);
  EXPECT_EQ(c.dropped_link_down, tally.dropped_link_down);
  EXPECT_EQ(c.dropped_burst, tally.dropped_burst);
  EXPECT_EQ(c.dropped_loss, tally.dropped_loss);
  EXPECT_EQ(c.corrupted, tally.corrupted);
  EXPECT_EQ(c.duplicated, tally.duplicated);
  EXPECT_EQ(c.reordered, tally.reordered);
  EXPECT_GT(c.dropped_burst, 0u);
  EXPECT_GT(c.dropped_loss, 0u);
}

TEST(FaultInjectorDeterminism, SameSeedSameDecisionsOtherSeedDiffers) {
  FaultParams p;
  p.loss = 0.01;
  p.burst = {.p = 0.005, .r = 0.3};
  p.ber = 1e-6;
  p.duplicate = 0.01;
  p.reorder = 0.01;
  p.reorder_delay = Time::from_us(1);
  FaultInjector a(p, stream(kSeed)), b(p, stream(kSeed)), other(p, stream(kSeed + 1));
  uint64_t differences = 0;
  for (uint64_t i = 0; i < 100'000; ++i) {
    const auto da = a.decide(frame_time(i), kFrameBits);
    ASSERT_EQ(da, b.decide(frame_time(i), kFrameBits)) << "frame " << i;
    differences += !(da == other.decide(frame_time(i), kFrameBits));
  }
  EXPECT_GT(differences, 1000u);
}

TEST(FaultParamsValidate, DefaultsAreValidAndMeanNoFaults) {
  FaultParams p;
  EXPECT_TRUE(p.validate().empty());
  EXPECT_FALSE(p.any());
}

TEST(FaultParamsValidate, RejectsOutOfRangeValuesByFieldName) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  struct Case { const char* key; void (*set)(FaultParams&); };
  const Case cases[] = {
      {"loss", [](FaultParams& p) { p.loss = 1.5; }},
      {"burst.p", [](FaultParams& p) { p.burst.p = -0.1; }},
      {"burst.r", [](FaultParams& p) { p.burst.r = 2; }},
      {"burst.r", [](FaultParams& p) { p.burst.p = 0.1; }},  // r = 0: bursts never end
      {"burst.loss_in_bad", [](FaultParams& p) { p.burst.loss_in_bad = 1.01; }},
      {"burst.loss_in_good", [](FaultParams& p) { p.burst.loss_in_good = -1; }},
      {"corrupt", [](FaultParams& p) { p.corrupt = 7; }},
      {"ber", [](FaultParams& p) { p.ber = -1e-9; }},
      {"reorder", [](FaultParams& p) { p.reorder = 1.1, p.reorder_delay = Time::from_ns(1); }},
      {"reorder_delay", [](FaultParams& p) { p.reorder_delay = Time::from_ns(-1); }},
      {"reorder_delay", [](FaultParams& p) { p.reorder = 0.1; }},  // delay 0 reorders nothing
      {"duplicate", [](FaultParams& p) { p.duplicate = 2; }},
      {"link_down[1]", [](FaultParams& p) {
         p.link_down = {{Time::from_us(1), Time::from_us(2)}, {Time::from_us(5), Time::from_us(5)}};
       }},
      {"link_down[0]", [](FaultParams& p) { p.link_down = {{Time::from_us(-1), Time::from_us(2)}}; }},
  };
  for (const auto& c : cases) {
    FaultParams p;
    c.set(p);
    const auto problems = p.validate();
    ASSERT_EQ(problems.size(), 1u) << c.key;
    EXPECT_EQ(problems[0].key, c.key);
    EXPECT_NE(problems[0].message.find(c.key), std::string::npos) << problems[0].message;
    EXPECT_THROW(FaultInjector(p, stream(kSeed)), std::invalid_argument) << c.key;
  }
  FaultParams p;
  p.loss = nan;
  EXPECT_TRUE(has_problem(p, "loss"));
  EXPECT_EQ(FaultParams{}.validate().size(), 0u);
}

// A frame of 14 header bytes and a 100-byte payload slice at offset 50 of a shared buffer.
struct FrameFixture {
  std::shared_ptr<const std::vector<uint8_t>> buffer;
  Packet packet;
  FrameFixture() {
    auto bytes = std::make_shared<std::vector<uint8_t>>(200);
    for (size_t i = 0; i < bytes->size(); ++i) (*bytes)[i] = static_cast<uint8_t>(i * 37);
    buffer = bytes;
    std::vector<uint8_t> header(14, 0xA5);
    packet.set_header(header);
    packet.payload = PayloadSlice{buffer, 50, 100};
  }
};

int differing_bits(const Packet& a, const Packet& b) {
  std::vector<uint8_t> fa, fb;
  a.copy_frame(fa);
  b.copy_frame(fb);
  EXPECT_EQ(fa.size(), fb.size());
  int n = 0;
  for (size_t i = 0; i < fa.size(); ++i) n += std::popcount(static_cast<uint8_t>(fa[i] ^ fb[i]));
  return n;
}

TEST(FlipBit, HeaderBitFlipsLeastSignificantFirst) {
  FrameFixture f;
  Packet p = f.packet;
  ASSERT_TRUE(flip_bit(p, 3 * 8 + 1));
  EXPECT_EQ(p.header[3], 0xA5 ^ 0x02);
  EXPECT_EQ(differing_bits(p, f.packet), 1);
  EXPECT_TRUE(p.fcs_bad);
  EXPECT_EQ(p.payload.buffer, f.buffer);  // payload untouched, still shared
}

TEST(FlipBit, PayloadBitIsCopiedOnWriteLeavingOtherHoldersIntact) {
  FrameFixture f;
  const std::vector<uint8_t> before = *f.buffer;
  Packet mirror = f.packet;  // another holder of the same slice
  Packet p = f.packet;
  const uint32_t bit = (14 + 10) * 8 + 7;  // payload byte 10, most significant bit
  ASSERT_TRUE(flip_bit(p, bit));
  EXPECT_NE(p.payload.buffer, f.buffer);
  EXPECT_EQ(*f.buffer, before);
  EXPECT_EQ(differing_bits(mirror, f.packet), 0);
  EXPECT_FALSE(mirror.fcs_bad);
  EXPECT_EQ(differing_bits(p, mirror), 1);
  EXPECT_EQ(p.payload.bytes()[10], static_cast<uint8_t>(before[60] ^ 0x80));
  EXPECT_EQ(p.payload.length, 100u);
  EXPECT_EQ(p.payload.buffer->size(), 100u);  // only the slice was copied
  EXPECT_TRUE(p.fcs_bad);
}

TEST(FlipBit, FcsBitsMarkTheFrameAndIndicesPastTheFcsAreRejected) {
  FrameFixture f;
  const uint32_t data_bits = f.packet.frame_bytes() * 8;
  Packet p = f.packet;
  ASSERT_TRUE(flip_bit(p, data_bits + 31));
  EXPECT_TRUE(p.fcs_bad);
  EXPECT_EQ(differing_bits(p, f.packet), 0);
  Packet q = f.packet;
  EXPECT_FALSE(flip_bit(q, data_bits + 32));
  EXPECT_FALSE(q.fcs_bad);
}

TEST(FlipBit, AppliesAnInjectorDecisionToExactlyOneBit) {
  FaultParams params;
  params.corrupt = 1;
  FrameFixture f;
  FaultInjector inj(params, stream(kSeed));
  for (int i = 0; i < 200; ++i) {
    Packet p = f.packet;
    const auto d = inj.decide(frame_time(i), p.frame_bytes() * 8);
    ASSERT_TRUE(d.corrupted);
    ASSERT_TRUE(flip_bit(p, d.corrupt_bit));
    ASSERT_EQ(differing_bits(p, f.packet), 1);
  }
}

TEST(DropReason, Names) {
  EXPECT_STREQ(to_string(DropReason::link_down), "link_down");
  EXPECT_STREQ(to_string(DropReason::burst_loss), "burst_loss");
  EXPECT_STREQ(to_string(DropReason::loss), "loss");
  EXPECT_STREQ(to_string(DropReason::none), "none");
}

}  // namespace
}  // namespace hostwire::wire
