#include "http/objects.h"

#include <algorithm>
#include <cmath>
#include <charconv>

namespace hostwire::http {

namespace {

constexpr std::string_view kPrefix = "/obj/";

uint64_t clamp_size(double v, uint64_t max_size) {
  const double hi = static_cast<double>(std::max<uint64_t>(max_size, 1));
  if (!(v >= 1)) return 1;  // NaN too
  if (v >= hi) return std::max<uint64_t>(max_size, 1);
  return static_cast<uint64_t>(std::llround(v));
}

// One 64-bit word per 8 body bytes: splitmix64's finaliser is a bijection, so within an object
// the words of different offsets differ, and the object's own mixed number keeps objects apart.
uint64_t body_word(uint64_t k, uint64_t w) {
  uint64_t state = k;
  const uint64_t object = splitmix64(state);
  state = object ^ w;
  return splitmix64(state);
}

double zipf_weight(uint64_t k, double alpha) {
  if (alpha == 0) return 1;
  if (alpha == 1) return 1.0 / static_cast<double>(k + 1);
  return std::pow(static_cast<double>(k + 1), -alpha);
}

}  // namespace

ObjectSet::ObjectSet(const ObjectSetConfig& c) : count_(c.count) {
  if (c.sizes == ObjectSetConfig::Sizes::fixed) {
    fixed_size_ = std::clamp<uint64_t>(c.size, 1, std::max<uint64_t>(c.max_size, 1));
    total_bytes_ = fixed_size_ * count_;
    return;
  }
  // A mean of `size`: exp(mu + sigma^2 / 2) = size.
  const double mu = std::log(static_cast<double>(std::max<uint64_t>(c.size, 1))) - c.sigma * c.sigma / 2;
  Rng rng(c.seed, "http.objects");
  sizes_.resize(count_);
  for (auto& s : sizes_) {
    s = clamp_size(std::exp(mu + c.sigma * rng.normal()), c.max_size);
    total_bytes_ += s;
  }
}

uint64_t ObjectSet::size(uint64_t k) const {
  if (k >= count_) return 0;
  return sizes_.empty() ? fixed_size_ : sizes_[k];
}

std::string ObjectSet::uri(uint64_t k) const { return std::string(kPrefix) + std::to_string(k); }

std::optional<uint64_t> ObjectSet::index(std::string_view uri) const {
  if (uri.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  const std::string_view digits = uri.substr(kPrefix.size());
  if (digits.empty() || (digits.size() > 1 && digits[0] == '0') || digits[0] < '0' || digits[0] > '9')
    return std::nullopt;  // from_chars alone would take a "-" sign and stop before trailing bytes
  uint64_t k = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), k);
  if (ec != std::errc() || end != digits.data() + digits.size() || k >= count_) return std::nullopt;
  return k;
}

uint8_t ObjectSet::byte(uint64_t k, uint64_t i) { return static_cast<uint8_t>(body_word(k, i / 8) >> (8 * (i % 8))); }

std::shared_ptr<const std::vector<uint8_t>> ObjectSet::body(uint64_t k) const {
  if (k >= count_) return nullptr;
  auto& kept = bodies_[k];
  if (!kept) {
    auto b = std::make_shared<std::vector<uint8_t>>(size(k));
    for (uint64_t i = 0; i < b->size(); ++i) (*b)[i] = byte(k, i);
    kept = std::move(b);
  }
  return kept;
}

uint64_t ObjectSet::digest(uint64_t k) const {
  if (const auto found = digests_.find(k); found != digests_.end()) return found->second;
  BodyDigest d;
  if (const auto b = body(k)) d.feed(*b);
  return digests_[k] = d.value();
}

void BodyDigest::feed(std::span<const uint8_t> bytes) {
  for (uint8_t c : bytes) {
    h_ ^= c;
    h_ *= 0x100000001b3ULL;
  }
}

ZipfPopularity::ZipfPopularity(uint64_t count, double alpha) : alpha_(alpha) {
  cdf_.resize(count);
  for (uint64_t k = 0; k < count; ++k) cdf_[k] = total_ += zipf_weight(k, alpha);
  for (auto& p : cdf_) p /= total_;
  if (!cdf_.empty()) cdf_.back() = 1;  // no rounding gap for a uniform to fall past
}

uint64_t ZipfPopularity::draw(Rng& rng) const {
  if (cdf_.empty()) return 0;
  const double u = rng.uniform();
  const auto it = std::upper_bound(cdf_.begin(), cdf_.end(), u);
  return std::min<uint64_t>(static_cast<uint64_t>(it - cdf_.begin()), cdf_.size() - 1);
}

double ZipfPopularity::probability(uint64_t k) const {
  if (k >= cdf_.size()) return 0;
  return zipf_weight(k, alpha_) / total_;
}

double ZipfPopularity::top_mass(uint64_t n) const {
  if (n == 0 || cdf_.empty()) return 0;
  return n >= cdf_.size() ? 1 : cdf_[n - 1];
}

}  // namespace hostwire::http
