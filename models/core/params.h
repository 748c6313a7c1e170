// Parameters: every configurable value of a model is a field of that model's params struct,
// with a unit, a default and a one-line meaning. The struct lists its fields once, in a
// `visit` member; the same list serves `hostwire params`, scenario validation and binding
// values into the model, so a key can never be documented but ignored, or vice versa.
//
//   struct LinkParams {
//     Rate rate = Rate::from_gbps(10);
//     template <class V> void visit(V& v) { v(rate, "rate", "line rate per direction", Limits::positive()); }
//   };
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/units.h"

namespace hostwire {

enum class ParamType { Time, Rate, Bytes, Frequency, Integer, Real, Boolean, Text, Choice };

// Allowed range in base units (ps, bit/s, B, Hz, or the plain number).
struct Limits {
  std::optional<double> min, max;
  bool min_exclusive = false;
  static Limits any() { return {}; }
  static Limits non_negative() { return {0.0, std::nullopt, false}; }
  static Limits positive() { return {0.0, std::nullopt, true}; }
  static Limits range(double lo, double hi) { return {lo, hi, false}; }
  static Limits at_least(double lo) { return {lo, std::nullopt, false}; }
  static Limits probability() { return {0.0, 1.0, false}; }
};

struct ParamSpec {
  std::string key;      // full hierarchical key, e.g. "link0.rate"
  ParamType type;
  std::string default_text;  // printed in canonical form
  std::string meaning;
  Limits limits;
  std::vector<std::string> choices;  // for ParamType::Choice
};

const char* type_unit(ParamType t);  // "ps", "bit/s", "B", "Hz", "", ...
const char* type_name(ParamType t);  // "time", "rate", "size", ...

// A resolved value: canonical text plus the number it denotes, and where it was set.
struct ParamValue {
  std::string text;
  int64_t integer = 0;  // Time/Rate/Bytes/Frequency/Integer/Boolean
  double real = 0;      // Real
  std::string origin;   // "file:line:col", "--set", or "default"
};

// Parses `text` as a value of `spec`, checks its limits. On failure returns nullopt and
// sets `problem` to a sentence without the key (the caller prefixes location and key).
std::optional<ParamValue> parse_param(const ParamSpec& spec, const std::string& text, std::string& problem);

using ParamValues = std::map<std::string, ParamValue>;

// Collects the specs of a params struct under a prefix ("link0.").
class SchemaCollector {
 public:
  SchemaCollector(std::vector<ParamSpec>& out, std::string prefix) : out_(out), prefix_(std::move(prefix)) {}
  void operator()(Time& f, const char* name, const char* meaning, Limits l = Limits::non_negative()) {
    add(ParamType::Time, name, format_quantity(UnitKind::Time, f.ps), meaning, l);
  }
  void operator()(Rate& f, const char* name, const char* meaning, Limits l = Limits::positive()) {
    add(ParamType::Rate, name, format_quantity(UnitKind::Rate, f.bps), meaning, l);
  }
  void operator()(Bytes& f, const char* name, const char* meaning, Limits l = Limits::non_negative()) {
    add(ParamType::Bytes, name, format_quantity(UnitKind::Bytes, f.n), meaning, l);
  }
  void operator()(Frequency& f, const char* name, const char* meaning, Limits l = Limits::positive()) {
    add(ParamType::Frequency, name, format_quantity(UnitKind::Frequency, f.hz), meaning, l);
  }
  void operator()(int64_t& f, const char* name, const char* meaning, Limits l = Limits::non_negative()) {
    add(ParamType::Integer, name, std::to_string(f), meaning, l);
  }
  void operator()(double& f, const char* name, const char* meaning, Limits l = Limits::any());
  void operator()(bool& f, const char* name, const char* meaning, Limits = {}) {
    add(ParamType::Boolean, name, f ? "true" : "false", meaning, {});
  }
  void operator()(std::string& f, const char* name, const char* meaning, Limits = {}) {
    add(ParamType::Text, name, f, meaning, {});
  }
  // A string restricted to a set of choices.
  void choice(std::string& f, const char* name, const char* meaning, std::vector<std::string> choices);

 private:
  void add(ParamType t, const char* name, std::string def, const char* meaning, Limits l, std::vector<std::string> choices = {});
  std::vector<ParamSpec>& out_;
  std::string prefix_;
};

// Writes resolved values into a params struct. Keys absent from `values` keep their defaults.
class ParamBinder {
 public:
  ParamBinder(const ParamValues& values, std::string prefix) : values_(values), prefix_(std::move(prefix)) {}
  void operator()(Time& f, const char* name, const char*, Limits = {}) { if (auto* v = find(name)) f.ps = v->integer; }
  void operator()(Rate& f, const char* name, const char*, Limits = {}) { if (auto* v = find(name)) f.bps = v->integer; }
  void operator()(Bytes& f, const char* name, const char*, Limits = {}) { if (auto* v = find(name)) f.n = v->integer; }
  void operator()(Frequency& f, const char* name, const char*, Limits = {}) { if (auto* v = find(name)) f.hz = v->integer; }
  void operator()(int64_t& f, const char* name, const char*, Limits = {}) { if (auto* v = find(name)) f = v->integer; }
  void operator()(double& f, const char* name, const char*, Limits = {}) { if (auto* v = find(name)) f = v->real; }
  void operator()(bool& f, const char* name, const char*, Limits = {}) { if (auto* v = find(name)) f = v->integer != 0; }
  void operator()(std::string& f, const char* name, const char*, Limits = {}) { if (auto* v = find(name)) f = v->text; }
  void choice(std::string& f, const char* name, const char*, const std::vector<std::string>&) {
    if (auto* v = find(name)) f = v->text;
  }

 private:
  const ParamValue* find(const char* name) const {
    auto it = values_.find(prefix_ + name);
    return it == values_.end() ? nullptr : &it->second;
  }
  const ParamValues& values_;
  std::string prefix_;
};

template <class P>
void collect_schema(std::vector<ParamSpec>& out, const std::string& prefix) {
  P p{};
  SchemaCollector c(out, prefix);
  p.visit(c);
}

template <class P>
P bind_params(const ParamValues& values, const std::string& prefix) {
  P p{};
  ParamBinder b(values, prefix);
  p.visit(b);
  return p;
}

// Levenshtein distance, for "did you mean" suggestions.
size_t edit_distance(const std::string& a, const std::string& b);
// The candidate closest to `key`, if it is close enough to be a plausible typo.
std::optional<std::string> nearest(const std::string& key, const std::vector<std::string>& candidates);

}  // namespace hostwire
