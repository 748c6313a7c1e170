// The object set and its popularity: sizes fixed by the seed, a lognormal with the mean asked
// for, URIs parsed strictly, bodies and their digests, and Zipf draws matching their probabilities.
#include "http/objects.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

using namespace hostwire;
using namespace hostwire::http;

namespace objects_test {

ObjectSetConfig lognormal(uint64_t count, uint64_t seed, uint64_t mean = 4096, double sigma = 1.0) {
  ObjectSetConfig c;
  c.count = count;
  c.sizes = ObjectSetConfig::Sizes::lognormal;
  c.size = mean;
  c.sigma = sigma;
  c.seed = seed;
  return c;
}

uint64_t digest_in_pieces(const std::vector<uint8_t>& body, size_t piece) {
  BodyDigest d;
  for (size_t at = 0; at < body.size(); at += piece)
    d.feed(std::span<const uint8_t>(body).subspan(at, std::min(piece, body.size() - at)));
  return d.value();
}

}  // namespace objects_test

TEST(HttpObjects, FixedSizes) {
  ObjectSetConfig c;
  c.count = 10;
  c.size = 1500;
  const ObjectSet set(c);
  EXPECT_EQ(set.count(), 10u);
  for (uint64_t k = 0; k < 10; ++k) EXPECT_EQ(set.size(k), 1500u);
  EXPECT_EQ(set.size(10), 0u);
  EXPECT_EQ(set.total_bytes(), 15000u);
  c.size = 0;
  EXPECT_EQ(ObjectSet(c).size(3), 1u);  // clamped to [1, max_size]
  c.size = 5000;
  c.max_size = 4000;
  EXPECT_EQ(ObjectSet(c).size(3), 4000u);
}

TEST(HttpObjects, LognormalSizesDeterministicPerSeed) {
  const ObjectSet a(objects_test::lognormal(1000, 7)), b(objects_test::lognormal(1000, 7)),
      other(objects_test::lognormal(1000, 8));
  int differ = 0;
  std::set<uint64_t> distinct;
  for (uint64_t k = 0; k < 1000; ++k) {
    EXPECT_EQ(a.size(k), b.size(k));
    differ += a.size(k) != other.size(k);
    distinct.insert(a.size(k));
  }
  EXPECT_EQ(a.total_bytes(), b.total_bytes());
  EXPECT_GT(differ, 900);
  EXPECT_GT(distinct.size(), 500u);  // really drawn, not one size
}

TEST(HttpObjects, LognormalMeanAndClamp) {
  auto c = objects_test::lognormal(100000, 3);
  const ObjectSet set(c);
  const double mean = static_cast<double>(set.total_bytes()) / 100000;
  EXPECT_NEAR(mean, 4096, 4096 * 0.03);
  uint64_t lo = UINT64_MAX, hi = 0, sum = 0;
  for (uint64_t k = 0; k < set.count(); ++k) {
    lo = std::min(lo, set.size(k));
    hi = std::max(hi, set.size(k));
    sum += set.size(k);
  }
  EXPECT_EQ(sum, set.total_bytes());
  EXPECT_GE(lo, 1u);
  EXPECT_LE(hi, c.max_size);
  // A wide distribution with a tight clamp: both ends are hit and held.
  c = objects_test::lognormal(10000, 3, 100, 3.0);
  c.max_size = 1000;
  const ObjectSet clamped(c);
  uint64_t ones = 0, tops = 0;
  for (uint64_t k = 0; k < clamped.count(); ++k) {
    ASSERT_GE(clamped.size(k), 1u);
    ASSERT_LE(clamped.size(k), 1000u);
    ones += clamped.size(k) == 1;
    tops += clamped.size(k) == 1000;
  }
  EXPECT_GT(ones, 0u);
  EXPECT_GT(tops, 0u);
}

TEST(HttpObjects, UrisAndIndex) {
  ObjectSetConfig c;
  c.count = 200;
  const ObjectSet set(c);
  EXPECT_EQ(set.uri(0), "/obj/0");
  EXPECT_EQ(set.uri(199), "/obj/199");
  for (uint64_t k : {0u, 1u, 10u, 199u}) EXPECT_EQ(set.index(set.uri(k)), k);
  for (std::string_view bad : {"/obj/200", "/obj/", "/obj/00", "/obj/01", "/obj/+1", "/obj/-1", "/obj/1 ", "/obj/1/",
                               "/obj/1?x", "/obj/ 1", "/obj/0x1", "obj/1", "/OBJ/1", "/obj1", "",
                               "/obj/99999999999999999999999"})
    EXPECT_FALSE(set.index(bad)) << bad;
}

TEST(HttpObjects, BodiesAreTheirBytes) {
  ObjectSetConfig c;
  c.count = 4;
  c.size = 1001;  // not a multiple of 8
  const ObjectSet set(c);
  const auto body = set.body(2);
  ASSERT_NE(body, nullptr);
  ASSERT_EQ(body->size(), 1001u);
  for (uint64_t i = 0; i < body->size(); ++i) ASSERT_EQ((*body)[i], ObjectSet::byte(2, i)) << i;
  EXPECT_EQ(set.body(2), body);  // kept and shared
  EXPECT_EQ(set.body(4), nullptr);
  // Along the body the bytes vary; between objects they differ.
  std::set<uint8_t> values(body->begin(), body->end());
  EXPECT_GT(values.size(), 200u);
  int same = 0;
  for (uint64_t i = 0; i < 1001; ++i) same += ObjectSet::byte(1, i) == ObjectSet::byte(2, i);
  EXPECT_LT(same, 20);
}

TEST(HttpObjects, DigestIndependentOfSplit) {
  ObjectSetConfig c;
  c.count = 3;
  c.size = 3000;
  const ObjectSet set(c);
  const auto body = set.body(1);
  const uint64_t whole = objects_test::digest_in_pieces(*body, body->size());
  EXPECT_EQ(set.digest(1), whole);
  for (size_t piece : {1u, 2u, 7u, 8u, 1448u, 2999u}) EXPECT_EQ(objects_test::digest_in_pieces(*body, piece), whole);
  BodyDigest empty_feeds;
  empty_feeds.feed({});
  EXPECT_EQ(empty_feeds.value(), BodyDigest().value());
  // Order matters: two bytes swapped change it; one byte changed changes it.
  std::vector<uint8_t> swapped(*body);
  std::swap(swapped[10], swapped[11]);
  ASSERT_NE(swapped[10], swapped[11]);
  EXPECT_NE(objects_test::digest_in_pieces(swapped, 100), whole);
  std::vector<uint8_t> changed(*body);
  changed.back() ^= 1;
  EXPECT_NE(objects_test::digest_in_pieces(changed, 100), whole);
}

TEST(HttpObjects, DigestIsFnv1a) {
  // The published FNV-1a 64-bit values of "" and "a", so that a body's digest can be checked by
  // any tool that knows the hash.
  EXPECT_EQ(BodyDigest().value(), 0xcbf29ce484222325ULL);
  const uint8_t a = 'a';
  BodyDigest d;
  d.feed({&a, 1});
  EXPECT_EQ(d.value(), 0xaf63dc4c8601ec8cULL);
}

TEST(HttpObjects, DifferentObjectsDiffer) {
  ObjectSetConfig c;
  c.count = 1000;
  c.size = 64;
  const ObjectSet set(c);
  std::set<uint64_t> digests;
  for (uint64_t k = 0; k < set.count(); ++k) digests.insert(set.digest(k));
  EXPECT_EQ(digests.size(), 1000u);
}

TEST(HttpZipf, AlphaZeroIsUniform) {
  const uint64_t k = 100;
  const ZipfPopularity z(k, 0);
  for (uint64_t i = 0; i < k; ++i) EXPECT_DOUBLE_EQ(z.probability(i), 0.01);
  Rng rng(11, "zipf");
  std::vector<uint64_t> counts(k);
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const uint64_t d = z.draw(rng);
    ASSERT_LT(d, k);
    ++counts[d];
  }
  // Chi-square with 99 degrees of freedom: mean 99, sd 14.
  double chi2 = 0;
  const double expect = n / static_cast<double>(k);
  for (uint64_t c : counts) chi2 += (c - expect) * (c - expect) / expect;
  EXPECT_LT(chi2, 99 + 5 * 14);
  EXPECT_GT(chi2, 99 - 5 * 14);
}

TEST(HttpZipf, AlphaOneRatios) {
  const ZipfPopularity z(1000, 1.0);
  EXPECT_NEAR(z.probability(0) / z.probability(1), 2.0, 1e-9);
  EXPECT_NEAR(z.probability(0) / z.probability(9), 10.0, 1e-9);
  EXPECT_GT(z.probability(0), z.probability(1));
  EXPECT_EQ(z.probability(1000), 0);
  // H(1000) = 7.4855: probability(0) = 1 / H.
  EXPECT_NEAR(z.probability(0), 1 / 7.485470860550345, 1e-9);
}

TEST(HttpZipf, TopMassMonotoneToOne) {
  const ZipfPopularity z(5000, 0.8);
  EXPECT_EQ(z.top_mass(0), 0);
  double last = 0, sum = 0;
  for (uint64_t n = 1; n <= 5000; ++n) {
    const double m = z.top_mass(n);
    ASSERT_GE(m, last) << n;
    sum += z.probability(n - 1);
    ASSERT_NEAR(m, sum, 1e-9) << n;
    last = m;
  }
  EXPECT_EQ(z.top_mass(5000), 1.0);
  EXPECT_EQ(z.top_mass(99999), 1.0);
  EXPECT_NEAR(z.top_mass(1), z.probability(0), 1e-15);
}

TEST(HttpZipf, DrawsMatchProbabilities) {
  const uint64_t k = 1000;
  const ZipfPopularity z(k, 1.0);
  Rng rng(5, "zipf");
  std::vector<uint64_t> counts(k);
  const int n = 200000;
  for (int i = 0; i < n; ++i) ++counts[z.draw(rng)];
  for (uint64_t r : {0u, 1u, 2u, 5u, 10u, 100u}) {
    const double p = z.probability(r), sd = std::sqrt(n * p * (1 - p));
    EXPECT_NEAR(static_cast<double>(counts[r]), n * p, 5 * sd) << r;
  }
  // The top 10's share against top_mass(10).
  uint64_t top = 0;
  for (uint64_t r = 0; r < 10; ++r) top += counts[r];
  const double m = z.top_mass(10);
  EXPECT_NEAR(static_cast<double>(top) / n, m, 5 * std::sqrt(m * (1 - m) / n));
  // The same stream gives the same draws.
  Rng a(9, "zipf"), b(9, "zipf");
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(z.draw(a), z.draw(b));
}

TEST(HttpZipf, SteepAlphaAndEdges) {
  const ZipfPopularity steep(10, 3.0);
  EXPECT_NEAR(steep.probability(0) / steep.probability(1), 8.0, 1e-9);
  const ZipfPopularity one(1, 1.0);
  Rng rng(1, "zipf");
  EXPECT_EQ(one.draw(rng), 0u);
  EXPECT_EQ(one.probability(0), 1.0);
  EXPECT_EQ(one.top_mass(1), 1.0);
  const ZipfPopularity none(0, 1.0);
  EXPECT_EQ(none.draw(rng), 0u);
  EXPECT_EQ(none.top_mass(5), 0);
}
