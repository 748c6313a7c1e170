// Parameters: every configurable value of a model is a field of that model's params struct,
// with a unit, a default and a one-line meaning. The struct lists its fields once, in a
// `visit` member; the same list serves `hostwire params`, scenario validation and binding
// values into the model, so a key can never be documented but ignored, or vice versa.
//
//   struct LinkParams {
//     Rate rate = Rate::from_gbps(10);
//     template <class V> void visit(V& v) { v(rate, "rate", "line rate per direction", Limits::positive()); }
//   };
//
// A field can also be a list of items, each item itself a params struct with its own visit():
//
//   struct PortRule {
//     int64_t dst_port = 0;
//     Rate rate = Rate::from_gbps(1);
//     template <class V> void visit(V& v) {
//       v(dst_port, "dst_port", "UDP/TCP destination port", Limits::range(1, 65535).required());
//       v(rate, "rate", "rate limit for the port");
//     }
//   };
//   struct NicParams {
//     std::vector<PortRule> rules;
//     template <class V> void visit(V& v) { v.list(rules, "rules", "per-port rate limits", 16); }
//   };
//
// A scenario gives `rules` as a YAML sequence of maps; PortRule's visit() is the item schema
// (ParamSpec::item_fields), validates each item and binds each item, defaults applied per item.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/units.h"

namespace hostwire {

enum class ParamType { Time, Rate, Bytes, Frequency, Integer, Real, Boolean, Text, Choice, Cycles, List };

// Allowed range in base units (ps, bit/s, B, Hz, cycles, or the plain number).
struct Limits {
  std::optional<double> min, max;
  bool min_exclusive = false;
  // The key has no default: a scenario must set it (meant for the fields of list items,
  // e.g. a rule's port; the loader reports a missing one at the item). The struct's own
  // value is then only a placeholder.
  bool is_required = false;
  Limits required() const {
    Limits l = *this;
    l.is_required = true;
    return l;
  }
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
  // ParamType::List: the schema of one item, keys relative to the item ("dst_port"), and the
  // most items a scenario may give. default_text is then a YAML flow list, "[]" when empty.
  std::vector<ParamSpec> item_fields{};
  size_t max_items = 0;
  bool required() const { return limits.is_required; }
};

// The allowed range as text for people ("0..1", "> 0", ">= 64B"); empty when any value goes.
std::string range_text(const ParamSpec& spec);

const char* type_unit(ParamType t);  // "ps", "bit/s", "B", "Hz", "cycles", "", ...
const char* type_name(ParamType t);  // "time", "rate", "size", ...

struct ParamValue;
// Resolved values by key. A list-valued key holds one ParamValue whose `items` are the
// resolved items, each a ParamValues of its own keyed by the item's field names ("dst_port"),
// every field present (defaults applied); keys are never expanded into "rules[0].dst_port".
using ParamValues = std::map<std::string, ParamValue>;

// A resolved value: canonical text plus the number it denotes, and where it was set.
struct ParamValue {
  std::string text;     // lists: a YAML flow list, [{dst_port: 80, rate: 1Gbps}, ...]
  int64_t integer = 0;  // Time/Rate/Bytes/Frequency/Cycles/Integer/Boolean
  double real = 0;      // Real
  std::string origin;   // "file:line:col", "--set", or "default"
  std::vector<ParamValues> items;  // List only
};

// Parses `text` as a value of `spec`, checks its limits. On failure returns nullopt and
// sets `problem` to a sentence without the key (the caller prefixes location and key).
// Lists are not parsed here (the scenario loader reads them, each item field at its place).
std::optional<ParamValue> parse_param(const ParamSpec& spec, const std::string& text, std::string& problem);

// The canonical text of a list: items in order, each field as "name: canonical value" in the
// item schema's order, as YAML flow: [{dst_port: 80, rate: 1Gbps}]. Parses back to the same list.
// `items[i][j]` is the text of item i's field item_fields[j].
std::string list_text(const std::vector<ParamSpec>& item_fields, const std::vector<std::vector<std::string>>& items);
std::string list_text(const ParamSpec& list, const std::vector<ParamValues>& items);

// A key naming one field of one item of a list: "host_b.nic.rules[2].sample" is list
// "host_b.nic.rules", index 2, field "sample". For a list inside the item the field is itself
// such a key: "tiers[1].rules[0].rate" has field "rules[0].rate".
struct ItemKey {
  std::string list;
  size_t index = 0;
  std::string field;
};
// Splits at the first "[i]."; nullopt when `key` has none (a plain key).
std::optional<ItemKey> split_item_key(const std::string& key);

// Where an item field named by an ItemKey lives in resolved values.
struct ItemField {
  const ParamSpec* spec = nullptr;                                // the field's spec
  std::vector<std::pair<const ParamSpec*, ParamValue*>> lists;  // the lists it is in, outermost first
  ParamValues* item = nullptr;                                    // the item holding it
  std::string field;                                              // its name in the item
  // Replaces the field's value and makes the canonical text of each list it is in again.
  void set(ParamValue v) const;
};

// The spec of `key` among `specs` (the keys of `values`): a key of its own, or the field of one
// item of one of the lists, LIST[i].FIELD, the index checked against the list's resolved items
// (`item`, if given, then says where the field is). Else nullptr, with `problem` a sentence
// without the key: an unknown key, list or field (the nearest suggested), or the index out of range.
const ParamSpec* find_spec(const std::vector<ParamSpec>& specs, ParamValues& values, const std::string& key,
                           std::string& problem, std::optional<ItemField>* item = nullptr);

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
  void operator()(Cycles& f, const char* name, const char* meaning, Limits l = Limits::non_negative()) {
    add(ParamType::Cycles, name, format_quantity(UnitKind::Cycles, f.n), meaning, l);
  }
  void operator()(int64_t& f, const char* name, const char* meaning, Limits l = Limits::non_negative()) {
    add(ParamType::Integer, name, std::to_string(f), meaning, l);
  }
  void operator()(double& f, const char* name, const char* meaning, Limits l = Limits::any());
  void operator()(bool& f, const char* name, const char* meaning, Limits l = {}) {
    add(ParamType::Boolean, name, f ? "true" : "false", meaning, only_required(l));
  }
  void operator()(std::string& f, const char* name, const char* meaning, Limits l = {}) {
    add(ParamType::Text, name, f, meaning, only_required(l));
  }
  // A string restricted to a set of choices.
  void choice(std::string& f, const char* name, const char* meaning, std::vector<std::string> choices);
  // A list of items, each described by Item::visit(). The default is the field's own value.
  template <class Item>
  void list(std::vector<Item>& f, const char* name, const char* meaning, size_t max_items = kDefaultMaxItems) {
    ParamSpec spec{prefix_ + name, ParamType::List, {}, meaning, {}, {}};
    Item item{};
    SchemaCollector item_schema(spec.item_fields, "");
    item.visit(item_schema);
    std::vector<std::vector<std::string>> defaults;
    for (Item x : f) {  // each default item's fields, printed by collecting its schema
      std::vector<ParamSpec> fields;
      SchemaCollector c(fields, "");
      x.visit(c);
      auto& d = defaults.emplace_back();
      for (const auto& fs : fields) d.push_back(fs.default_text);
    }
    spec.default_text = list_text(spec.item_fields, defaults);
    spec.max_items = max_items;
    out_.push_back(std::move(spec));
  }
  static constexpr size_t kDefaultMaxItems = 1024;

 private:
  static Limits only_required(Limits l) { return l.is_required ? Limits{}.required() : Limits{}; }
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
  void operator()(Cycles& f, const char* name, const char*, Limits = {}) { if (auto* v = find(name)) f.n = v->integer; }
  void operator()(int64_t& f, const char* name, const char*, Limits = {}) { if (auto* v = find(name)) f = v->integer; }
  void operator()(double& f, const char* name, const char*, Limits = {}) { if (auto* v = find(name)) f = v->real; }
  void operator()(bool& f, const char* name, const char*, Limits = {}) { if (auto* v = find(name)) f = v->integer != 0; }
  void operator()(std::string& f, const char* name, const char*, Limits = {}) { if (auto* v = find(name)) f = v->text; }
  void choice(std::string& f, const char* name, const char*, const std::vector<std::string>&) {
    if (auto* v = find(name)) f = v->text;
  }
  // Each resolved item bound onto a default-constructed Item.
  template <class Item>
  void list(std::vector<Item>& f, const char* name, const char*, size_t = 0) {
    const ParamValue* v = find(name);
    if (!v) return;
    f.clear();
    for (const ParamValues& item : v->items) {
      Item x{};
      ParamBinder b(item, "");
      x.visit(b);
      f.push_back(std::move(x));
    }
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

// For listings (`hostwire params`): `specs` with each list followed by its item fields, keyed
// "<list>[].<field>" (nested lists likewise), so every key a scenario can write has a row.
std::vector<ParamSpec> with_item_fields(const std::vector<ParamSpec>& specs);

// Levenshtein distance, for "did you mean" suggestions.
size_t edit_distance(const std::string& a, const std::string& b);
// The candidate closest to `key`, if it is close enough to be a plausible typo.
std::optional<std::string> nearest(const std::string& key, const std::vector<std::string>& candidates);
// "unknown <what>", with the nearest candidate suggested: "unknown key (did you mean 'link0.rate'?)".
std::string unknown(const std::string& what, const std::string& key, const std::vector<std::string>& candidates);

}  // namespace hostwire
