#include "core/stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/rng.h"

using namespace hostwire;

TEST(Histogram, ExactBelow128AndBucketsCoverEveryValue) {
  for (uint64_t v = 0; v < 128; ++v) EXPECT_EQ(Histogram::bucket_of(v), v);
  Rng r(1, "buckets");
  for (int i = 0; i < 100000; ++i) {
    uint64_t v = r.next_u64() >> (i % 63);
    size_t b = Histogram::bucket_of(v);
    ASSERT_LE(Histogram::bucket_low(b), v);
    ASSERT_GE(Histogram::bucket_high(b), v);
  }
}

TEST(Histogram, QuantilesWithinOneSixtyFourthAndExactExtremes) {
  Histogram h;
  std::vector<int64_t> values;
  Rng r(2, "latency");
  for (int i = 0; i < 100000; ++i) {
    int64_t v = 500'000 + static_cast<int64_t>(r.exponential(200'000));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    int64_t truth = values[static_cast<size_t>(std::ceil(q * values.size())) - 1];
    EXPECT_NEAR(static_cast<double>(h.quantile(q)), static_cast<double>(truth), truth / 64.0) << q;
  }
  EXPECT_EQ(h.min(), values.front());
  EXPECT_EQ(h.max(), values.back());
  EXPECT_EQ(h.count(), values.size());
}

TEST(StatsRegistry, MetricsCarryUnitsAndRefuseDuplicates) {
  StatsRegistry st;
  st.counter("x.frames", "frames", "frames seen").add(3);
  st.gauge("x.level", "B", "bytes").set(1.5);
  st.formula("x.rate", "bit/s", "a formula", [] { return 42.0; });
  st.histogram("x.lat", "ps", "latency").record(7);
  auto j = st.metrics_json();
  EXPECT_EQ(j["x.frames"]["value"], 3);
  EXPECT_EQ(j["x.frames"]["unit"], "frames");
  EXPECT_EQ(j["x.level"]["value"], 1.5);
  EXPECT_EQ(j["x.rate"]["value"], 42.0);
  EXPECT_EQ(j["x.lat"]["p99.9"], 7);
  EXPECT_EQ(j.begin().key(), "x.frames");  // sorted by name
  EXPECT_THROW(st.counter("x.frames", "frames", "again"), std::logic_error);
}

TEST(StatsRegistry, AnEmptyHistogramHasNoQuantilesNotZero) {
  StatsRegistry st;
  st.histogram("x.lat", "ps", "latency");
  auto j = st.metrics_json();
  EXPECT_EQ(j["x.lat"]["count"], 0);
  for (const char* k : {"mean", "min", "p50", "p90", "p99", "p99.9", "max"}) EXPECT_TRUE(j["x.lat"][k].is_null()) << k;
}

TEST(StatsRegistry, TimeSeriesCsvHasOneRowPerSample) {
  StatsRegistry st;
  double v = 0;
  st.series("a.level", "B", [&v] { return v; });
  st.series("b.rate", "bit/s", [&v] { return 2 * v; });
  for (int i = 1; i <= 3; ++i) {
    v = i;
    st.sample(Time::from_us(100 * i));
  }
  const std::string path = ::testing::TempDir() + "series.csv";
  ASSERT_TRUE(st.write_timeseries_csv(path));
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), "time_s,a.level[B],b.rate[bit/s]\n0.0001,1,2\n0.0002,2,4\n0.0003,3,6\n");
}
