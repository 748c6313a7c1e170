#include "core/stats.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

namespace hostwire {

namespace {
constexpr size_t kLinear = 128;   // exact buckets
constexpr size_t kSub = 64;       // sub-buckets per power of two above that
constexpr size_t kBuckets = kLinear + 57 * kSub;
}  // namespace

Histogram::Histogram() : buckets_(kBuckets, 0) {}

size_t Histogram::bucket_of(uint64_t v) {
  if (v < kLinear) return static_cast<size_t>(v);
  int e = 63 - std::countl_zero(v);  // >= 7
  int shift = e - 6;                 // v >> shift is in [64, 128)
  return kLinear + static_cast<size_t>(shift - 1) * kSub + static_cast<size_t>((v >> shift) - kSub);
}

uint64_t Histogram::bucket_low(size_t idx) {
  if (idx < kLinear) return idx;
  size_t shift = (idx - kLinear) / kSub + 1, m = (idx - kLinear) % kSub + kSub;
  return static_cast<uint64_t>(m) << shift;
}

uint64_t Histogram::bucket_high(size_t idx) {
  if (idx < kLinear) return idx;
  size_t shift = (idx - kLinear) / kSub + 1, m = (idx - kLinear) % kSub + kSub;
  return ((static_cast<uint64_t>(m) + 1) << shift) - 1;
}

void Histogram::record(int64_t v) {
  if (v < 0) v = 0;  // durations are never negative; guard the bucket index anyway
  ++buckets_[bucket_of(static_cast<uint64_t>(v))];
  if (count_ == 0 || v < min_) min_ = v;
  if (count_ == 0 || v > max_) max_ = v;
  ++count_;
  sum_ += static_cast<uint64_t>(v);
}

int64_t Histogram::quantile(double q) const {
  if (count_ == 0) return 0;
  // Rank of the sample at quantile q (nearest-rank definition).
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  if (rank < 1) rank = 1;
  uint64_t seen = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      uint64_t lo = bucket_low(i), hi = bucket_high(i);
      int64_t mid = static_cast<int64_t>(lo + (hi - lo) / 2);
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

StatsRegistry::Entry& StatsRegistry::add(const std::string& name, const std::string& unit, const std::string& meaning) {
  auto [it, inserted] = entries_.try_emplace(name);
  if (!inserted) throw std::logic_error("statistic registered twice: " + name);
  it->second.unit = unit;
  it->second.meaning = meaning;
  return it->second;
}

Counter& StatsRegistry::counter(const std::string& name, const std::string& unit, const std::string& meaning) {
  auto& e = add(name, unit, meaning);
  e.counter = std::make_unique<Counter>();
  return *e.counter;
}

Gauge& StatsRegistry::gauge(const std::string& name, const std::string& unit, const std::string& meaning) {
  auto& e = add(name, unit, meaning);
  e.gauge = std::make_unique<Gauge>();
  return *e.gauge;
}

Histogram& StatsRegistry::histogram(const std::string& name, const std::string& unit, const std::string& meaning) {
  auto& e = add(name, unit, meaning);
  e.histogram = std::make_unique<Histogram>();
  return *e.histogram;
}

void StatsRegistry::formula(const std::string& name, const std::string& unit, const std::string& meaning,
                            std::function<double()> f) {
  add(name, unit, meaning).formula = std::move(f);
}

void StatsRegistry::series(const std::string& name, const std::string& unit, std::function<double()> probe) {
  series_.push_back({name, unit, std::move(probe)});
}

void StatsRegistry::sample(Time now) {
  sample_times_.push_back(now.ps);
  auto& row = samples_.emplace_back();
  row.reserve(series_.size());
  for (auto& s : series_) row.push_back(s.probe());
}

namespace {
// JSON has no NaN/inf: report them as null rather than emit an invalid file.
nlohmann::ordered_json number(double v) {
  if (!std::isfinite(v)) return nullptr;
  return v;
}
}  // namespace

nlohmann::ordered_json StatsRegistry::metrics_json() const {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [name, e] : entries_) {
    nlohmann::ordered_json m;
    if (e.counter) m["value"] = e.counter->value();
    else if (e.gauge) m["value"] = number(e.gauge->value());
    else if (e.formula) m["value"] = number(e.formula());
    else if (e.histogram) {
      const Histogram& h = *e.histogram;
      m["count"] = h.count();
      // An empty histogram has no mean or quantiles: null, so nothing reads it as a best case of 0.
      auto q = [&](auto v) { return h.count() ? nlohmann::ordered_json(v) : nlohmann::ordered_json(nullptr); };
      m["mean"] = h.count() ? number(h.mean()) : nullptr;
      m["min"] = q(h.min());
      m["p50"] = q(h.quantile(0.50));
      m["p90"] = q(h.quantile(0.90));
      m["p99"] = q(h.quantile(0.99));
      m["p99.9"] = q(h.quantile(0.999));
      m["max"] = q(h.max());
    }
    m["unit"] = e.unit;
    m["meaning"] = e.meaning;
    out[name] = std::move(m);
  }
  return out;
}

bool StatsRegistry::write_timeseries_csv(const std::string& path) const {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return false;
  std::fputs("time_s", f);
  for (const auto& s : series_) std::fprintf(f, ",%s[%s]", s.name.c_str(), s.unit.c_str());
  std::fputc('\n', f);
  for (size_t i = 0; i < sample_times_.size(); ++i) {
    std::fprintf(f, "%.12g", static_cast<double>(sample_times_[i]) * 1e-12);
    for (double v : samples_[i]) std::fprintf(f, ",%.10g", v);
    std::fputc('\n', f);
  }
  return std::fclose(f) == 0;
}

const Counter* StatsRegistry::find_counter(const std::string& name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : it->second.counter.get();
}

const Histogram* StatsRegistry::find_histogram(const std::string& name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : it->second.histogram.get();
}

double StatsRegistry::value(const std::string& name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) return std::numeric_limits<double>::quiet_NaN();
  const Entry& e = it->second;
  if (e.counter) return static_cast<double>(e.counter->value());
  if (e.gauge) return e.gauge->value();
  if (e.formula) return e.formula();
  return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace hostwire
