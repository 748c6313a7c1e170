// The files the server holds and clients fetch, so clients can check every body: their sizes
// (fixed or lognormal, from the scenario's seed), their bytes (a function of object and offset,
// so no file has to be stored to be checked), and how often each is asked for (Zipf).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/rng.h"

namespace hostwire::http {

struct ObjectSetConfig {
  uint64_t count = 1000;  // K objects, URIs "/obj/0" .. "/obj/<K-1>"
  enum class Sizes : uint8_t { fixed, lognormal } sizes = Sizes::fixed;
  uint64_t size = 4096;         // fixed size, or the lognormal's mean (bytes)
  double sigma = 1.0;           // lognormal: std deviation of ln(size)
  uint64_t max_size = 1 << 20;  // sizes clamped to [1, max_size]
  uint64_t seed = 1;            // the scenario's seed: sizes are drawn from Rng(seed, "http.objects")
};

class ObjectSet {
 public:
  explicit ObjectSet(const ObjectSetConfig& c);

  uint64_t count() const { return count_; }
  uint64_t size(uint64_t k) const;  // 0 for k >= count
  std::string uri(uint64_t k) const;  // "/obj/<k>"
  // Parses "/obj/<k>" with k < count, else nullopt (no leading zeros except "0", no sign, no trailing bytes).
  std::optional<uint64_t> index(std::string_view uri) const;
  // Byte `i` of object k's body: a deterministic function of (k, i) that differs between objects and along the body.
  static uint8_t byte(uint64_t k, uint64_t i);
  // The body of object k (built on first use and kept; shared so that many responses reference
  // it); nullptr for k >= count.
  std::shared_ptr<const std::vector<uint8_t>> body(uint64_t k) const;
  uint64_t digest(uint64_t k) const;  // BodyDigest over body(k) (kept once computed)
  uint64_t total_bytes() const { return total_bytes_; }

 private:
  uint64_t count_;
  uint64_t fixed_size_ = 0;      // with Sizes::fixed
  std::vector<uint64_t> sizes_;  // with Sizes::lognormal, one per object
  uint64_t total_bytes_ = 0;
  mutable std::unordered_map<uint64_t, std::shared_ptr<const std::vector<uint8_t>>> bodies_;
  mutable std::unordered_map<uint64_t, uint64_t> digests_;
};

// A digest of a byte sequence fed in any split (feed order matters, split does not): 64-bit FNV-1a.
class BodyDigest {
 public:
  void feed(std::span<const uint8_t> bytes);
  uint64_t value() const { return h_; }

 private:
  uint64_t h_ = 0xcbf29ce484222325ULL;
};

// Object popularity: Zipf(alpha) over ranks 0..K-1 (rank 0 most popular; alpha 0 is uniform). draw()
// uses one uniform from the Rng and a binary search over a precomputed CDF (K up to 10^7).
class ZipfPopularity {
 public:
  ZipfPopularity(uint64_t count, double alpha);
  uint64_t draw(Rng& rng) const;  // 0 when count is 0
  double probability(uint64_t k) const;
  // Hit ratio of an ideal cache holding the `n` most popular objects: sum of their probabilities.
  double top_mass(uint64_t n) const;

 private:
  double alpha_;
  double total_ = 0;         // sum of the unnormalised weights (k+1)^-alpha
  std::vector<double> cdf_;  // cdf_[k]: probability of a rank <= k; the last exactly 1
};

}  // namespace hostwire::http
