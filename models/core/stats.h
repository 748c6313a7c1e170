// Statistics are first-class objects registered by name with a unit and a meaning, dumped
// into report.json at the end (gem5's habit). Models keep a reference and update it on the
// hot path: a counter is one add, a histogram one bucket increment.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/units.h"

namespace hostwire {

class Counter {
 public:
  void add(uint64_t n = 1) { v_ += n; }
  uint64_t value() const { return v_; }

 private:
  uint64_t v_ = 0;
};

class Gauge {
 public:
  void set(double v) { v_ = v; }
  double value() const { return v_; }

 private:
  double v_ = 0;
};

// Log-linear histogram of non-negative integers (e.g. latency in ps): exact below 128, then
// 64 sub-buckets per power of two, so any quantile is within 1/64 (1.6 %) of the truth; min,
// max, count and mean are exact.
class Histogram {
 public:
  Histogram();
  void record(int64_t v);
  uint64_t count() const { return count_; }
  int64_t min() const { return count_ ? min_ : 0; }
  int64_t max() const { return count_ ? max_ : 0; }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }
  // Value at quantile q in [0,1]: the midpoint of the bucket holding it, clamped to [min, max].
  int64_t quantile(double q) const;

  // Non-empty buckets as (upper bound, count), ascending: enough to draw a CDF.
  std::vector<std::pair<uint64_t, uint64_t>> bucket_counts() const {
    std::vector<std::pair<uint64_t, uint64_t>> v;
    for (size_t i = 0; i < buckets_.size(); ++i)
      if (buckets_[i]) v.emplace_back(bucket_high(i), buckets_[i]);
    return v;
  }

  static size_t bucket_of(uint64_t v);
  static uint64_t bucket_low(size_t idx);
  static uint64_t bucket_high(size_t idx);

 private:
  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  __extension__ unsigned __int128 sum_ = 0;
  int64_t min_ = 0, max_ = 0;
};

class StatsRegistry {
 public:
  Counter& counter(const std::string& name, const std::string& unit, const std::string& meaning);
  Gauge& gauge(const std::string& name, const std::string& unit, const std::string& meaning);
  Histogram& histogram(const std::string& name, const std::string& unit, const std::string& meaning);
  // A metric computed at the end from others (a formula, e.g. throughput = bits / time).
  void formula(const std::string& name, const std::string& unit, const std::string& meaning, std::function<double()> f);
  // A time series: `probe` is read every sampling interval.
  void series(const std::string& name, const std::string& unit, std::function<double()> probe);

  void sample(Time now);  // called by the sampler every interval
  size_t series_count() const { return series_.size(); }

  // {"name": {"value": v, "unit": u, "meaning": m}, ...} sorted by name; histograms give
  // count, mean, min, p50, p90, p99, p99.9, max.
  nlohmann::ordered_json metrics_json() const;
  // time_s then one column per series, header "name[unit]". Returns false on I/O error.
  bool write_timeseries_csv(const std::string& path) const;

  // Read access for report writers (HTML plots, VCD): series in registration order.
  struct SeriesView {
    const std::string& name;
    const std::string& unit;
  };
  std::vector<SeriesView> series_list() const {
    std::vector<SeriesView> v;
    for (const auto& s : series_) v.push_back({s.name, s.unit});
    return v;
  }
  const std::vector<int64_t>& sample_times_ps() const { return sample_times_; }
  const std::vector<std::vector<double>>& samples() const { return samples_; }  // [row][series]
  // Histograms by name, sorted.
  std::vector<std::pair<std::string, const Histogram*>> histograms() const {
    std::vector<std::pair<std::string, const Histogram*>> v;
    for (const auto& [name, e] : entries_)
      if (e.histogram) v.emplace_back(name, e.histogram.get());
    return v;
  }

  const Counter* find_counter(const std::string& name) const;
  const Histogram* find_histogram(const std::string& name) const;
  double value(const std::string& name) const;  // counter, gauge or formula; NaN when absent

 private:
  struct Entry {
    std::string unit, meaning;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
    std::function<double()> formula;
  };
  Entry& add(const std::string& name, const std::string& unit, const std::string& meaning);
  struct Series {
    std::string name, unit;
    std::function<double()> probe;
  };
  std::map<std::string, Entry> entries_;
  std::vector<Series> series_;
  std::vector<int64_t> sample_times_;
  std::vector<std::vector<double>> samples_;  // one row per sample time
};

}  // namespace hostwire
