// The message size distributions: sample means near the configured mean, clamps honoured,
// the same stream giving the same sizes.
#include <gtest/gtest.h>

#include <cmath>

#include "apps/message_sizes.h"

using namespace hostwire;
using namespace hostwire::apps;

namespace {

struct Sample {
  double mean = 0;
  uint64_t min = UINT64_MAX, max = 0;
};

Sample sample(const SizeDistribution& d, int n, uint64_t lo = 0, uint64_t hi = UINT64_MAX) {
  Rng rng(42, "sizes");
  Sample s;
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    const uint64_t v = d.draw(rng, lo, hi);
    sum += static_cast<double>(v);
    s.min = std::min(s.min, v);
    s.max = std::max(s.max, v);
  }
  s.mean = sum / n;
  return s;
}

}  // namespace

TEST(SizeDistribution, FixedIsTheSizeAndDrawsNothing) {
  SizeDistribution d;
  d.size = 1500;
  Rng a(1, "x"), b(1, "x");
  for (int i = 0; i < 10; ++i) EXPECT_EQ(d.draw(a), 1500u);
  EXPECT_EQ(a.next_u64(), b.next_u64()) << "a fixed size leaves the stream where it was";
  EXPECT_EQ(d.mean(), 1500);
}

TEST(SizeDistribution, SampleMeansAreWithinAFewPercentOfTheMean) {
  constexpr int kDraws = 200'000;
  SizeDistribution e;
  e.kind = SizeDistribution::Kind::exponential;
  e.size = 4096;
  EXPECT_NEAR(sample(e, kDraws).mean, 4096, 0.02 * 4096);

  for (double sigma : {0.25, 0.5, 1.0}) {
    SizeDistribution l;
    l.kind = SizeDistribution::Kind::lognormal;
    l.size = 2048;
    l.sigma = sigma;
    const Sample s = sample(l, kDraws);
    EXPECT_NEAR(s.mean, 2048, 0.03 * 2048) << "sigma " << sigma;
    EXPECT_GT(s.max, 2048u);
    EXPECT_LT(s.min, 2048u);
  }

  SizeDistribution b;
  b.kind = SizeDistribution::Kind::bimodal;
  b.small = 100;
  b.large = 10'000;
  b.large_fraction = 0.2;
  EXPECT_DOUBLE_EQ(b.mean(), 0.8 * 100 + 0.2 * 10'000);
  const Sample s = sample(b, kDraws);
  EXPECT_NEAR(s.mean, b.mean(), 0.02 * b.mean());
  EXPECT_EQ(s.min, 100u);
  EXPECT_EQ(s.max, 10'000u);

  SizeDistribution u;
  u.kind = SizeDistribution::Kind::uniform;
  u.size = 1000;
  u.size_max = 3000;
  EXPECT_NEAR(sample(u, kDraws).mean, 2000, 0.01 * 2000);
}

TEST(SizeDistribution, LognormalSpreadFollowsSigma) {
  // The log of the sizes has the configured standard deviation.
  SizeDistribution l;
  l.kind = SizeDistribution::Kind::lognormal;
  l.size = 1 << 20;
  l.sigma = 0.75;
  Rng rng(7, "sizes");
  double sum = 0, sum2 = 0;
  constexpr int kDraws = 100'000;
  for (int i = 0; i < kDraws; ++i) {
    const double x = std::log(static_cast<double>(l.draw(rng)));
    sum += x;
    sum2 += x * x;
  }
  const double mean = sum / kDraws, sd = std::sqrt(sum2 / kDraws - mean * mean);
  EXPECT_NEAR(sd, 0.75, 0.02);
  EXPECT_NEAR(mean, std::log(1 << 20) - 0.75 * 0.75 / 2, 0.02);
}

TEST(SizeDistribution, DrawsAreClampedToTheFramingsMinimumAndTheMaximum) {
  SizeDistribution e;
  e.kind = SizeDistribution::Kind::exponential;
  e.size = 1000;
  const Sample s = sample(e, 50'000, 12, 4000);
  EXPECT_EQ(s.min, 12u);
  EXPECT_EQ(s.max, 4000u);
}

TEST(SizeDistribution, KindsByName) {
  for (auto k : {SizeDistribution::Kind::fixed, SizeDistribution::Kind::exponential, SizeDistribution::Kind::uniform,
                 SizeDistribution::Kind::lognormal, SizeDistribution::Kind::bimodal})
    EXPECT_EQ(parse_size_kind(to_string(k)), k);
  EXPECT_FALSE(parse_size_kind("gaussian"));
}
