#include "core/params.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

namespace hostwire {

namespace {
// The shortest text that parses back to the same double ("0.3", not "0.29999999999999999").
std::string real_text(double v) { return fmt::format("{}", v); }
}  // namespace


const char* type_unit(ParamType t) {
  switch (t) {
    case ParamType::Time: return unit_name(UnitKind::Time);
    case ParamType::Rate: return unit_name(UnitKind::Rate);
    case ParamType::Bytes: return unit_name(UnitKind::Bytes);
    case ParamType::Frequency: return unit_name(UnitKind::Frequency);
    case ParamType::Cycles: return unit_name(UnitKind::Cycles);
    default: return "";
  }
}

const char* type_name(ParamType t) {
  switch (t) {
    case ParamType::Time: return "time";
    case ParamType::Rate: return "rate";
    case ParamType::Bytes: return "size";
    case ParamType::Frequency: return "frequency";
    case ParamType::Integer: return "integer";
    case ParamType::Real: return "number";
    case ParamType::Boolean: return "boolean";
    case ParamType::Text: return "text";
    case ParamType::Choice: return "choice";
    case ParamType::Cycles: return "cycles";
    case ParamType::List: return "list";
  }
  return "";
}

namespace {

std::optional<UnitKind> unit_kind(ParamType t) {
  switch (t) {
    case ParamType::Time: return UnitKind::Time;
    case ParamType::Rate: return UnitKind::Rate;
    case ParamType::Bytes: return UnitKind::Bytes;
    case ParamType::Frequency: return UnitKind::Frequency;
    case ParamType::Cycles: return UnitKind::Cycles;
    default: return std::nullopt;
  }
}

std::string describe_bound(const ParamSpec& spec, double v) {
  if (auto k = unit_kind(spec.type)) return format_quantity(*k, static_cast<int64_t>(v));
  return real_text(v);
}

// Checks `v` against the spec's limits; empty string when it is inside them.
std::string check_limits(const ParamSpec& spec, double v) {
  const Limits& l = spec.limits;
  if (l.min) {
    bool below = l.min_exclusive ? v <= *l.min : v < *l.min;
    if (below) {
      if (*l.min == 0) return l.min_exclusive ? "must be greater than zero" : "must not be negative";
      return std::string("must be at least ") + describe_bound(spec, *l.min);
    }
  }
  if (l.max && v > *l.max) return std::string("must be at most ") + describe_bound(spec, *l.max);
  return {};
}

}  // namespace

std::string range_text(const ParamSpec& spec) {
  const Limits& l = spec.limits;
  if (l.min && l.max) return describe_bound(spec, *l.min) + ".." + describe_bound(spec, *l.max);
  if (l.min) return (l.min_exclusive ? "> " : ">= ") + describe_bound(spec, *l.min);
  if (l.max) return "<= " + describe_bound(spec, *l.max);
  return {};
}

std::optional<ParamValue> parse_param(const ParamSpec& spec, const std::string& text, std::string& problem) {
  ParamValue out;
  if (auto kind = unit_kind(spec.type)) {
    auto q = parse_quantity(*kind, text);
    if (!q.value) {
      problem = q.error;
      return std::nullopt;
    }
    out.integer = *q.value;
    out.text = format_quantity(*kind, out.integer);
    problem = check_limits(spec, static_cast<double>(out.integer));
    if (!problem.empty()) problem = "'" + text + "' " + problem;
    return problem.empty() ? std::optional(out) : std::nullopt;
  }
  switch (spec.type) {
    case ParamType::List:
      problem = "is a list of items; give it as a YAML sequence of mappings, e.g. [{" +
                (spec.item_fields.empty() ? std::string("key: value") : spec.item_fields.front().key + ": ...") + "}]";
      return std::nullopt;
    case ParamType::Integer: {
      int64_t v = 0;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec == std::errc::result_out_of_range) {
        problem = "'" + text + "' is out of range";
        return std::nullopt;
      }
      if (ec != std::errc() || ptr != text.data() + text.size()) {
        problem = "'" + text + "' is not a whole number";
        return std::nullopt;
      }
      out.integer = v;
      out.text = std::to_string(v);
      problem = check_limits(spec, static_cast<double>(v));
      break;
    }
    case ParamType::Real: {
      double v = 0;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(v)) {
        problem = "'" + text + "' is not a finite number";
        return std::nullopt;
      }
      out.real = v;
      out.text = real_text(v);
      problem = check_limits(spec, v);
      break;
    }
    case ParamType::Boolean:
      if (text == "true" || text == "on" || text == "yes") {
        out.integer = 1, out.text = "true";
      } else if (text == "false" || text == "off" || text == "no") {
        out.integer = 0, out.text = "false";
      } else {
        problem = "'" + text + "' is not a boolean (true or false)";
        return std::nullopt;
      }
      break;
    case ParamType::Choice:
      if (std::find(spec.choices.begin(), spec.choices.end(), text) == spec.choices.end()) {
        std::string list;
        for (const auto& c : spec.choices) list += (list.empty() ? "" : ", ") + c;
        problem = "'" + text + "' is not one of: " + list;
        if (auto n = nearest(text, spec.choices)) problem += " (did you mean '" + *n + "'?)";
        return std::nullopt;
      }
      out.text = text;
      break;
    default:
      out.text = text;
      break;
  }
  if (!problem.empty()) {
    problem = "'" + text + "' " + problem;
    return std::nullopt;
  }
  return out;
}

std::string list_text(const std::vector<ParamSpec>& item_fields, const std::vector<std::vector<std::string>>& items) {
  YAML::Emitter e;
  e << YAML::Flow << YAML::BeginSeq;
  for (const auto& item : items) {
    e << YAML::Flow << YAML::BeginMap;
    for (size_t i = 0; i < item.size() && i < item_fields.size(); ++i) {
      e << YAML::Key << item_fields[i].key << YAML::Value;
      // A nested list's text is YAML already; anything else is one scalar, quoted if need be.
      if (item_fields[i].type == ParamType::List) e << YAML::Load(item[i]);
      else e << item[i];
    }
    e << YAML::EndMap;
  }
  e << YAML::EndSeq;
  return e.c_str();
}

std::string list_text(const ParamSpec& list, const std::vector<ParamValues>& items) {
  std::vector<std::vector<std::string>> texts;
  for (const auto& item : items) {
    auto& t = texts.emplace_back();
    for (const auto& spec : list.item_fields) {
      auto it = item.find(spec.key);
      t.push_back(it == item.end() ? spec.default_text : it->second.text);
    }
  }
  return list_text(list.item_fields, texts);
}

std::optional<ItemKey> split_item_key(const std::string& key) {
  const size_t open = key.find('[');
  if (open == 0 || open == std::string::npos) return std::nullopt;
  const size_t close = key.find(']', open);
  if (close == std::string::npos || key.compare(close, 2, "].") != 0 || close + 2 == key.size()) return std::nullopt;
  ItemKey k{key.substr(0, open), 0, key.substr(close + 2)};
  const char* end = key.data() + close;
  auto [ptr, ec] = std::from_chars(key.data() + open + 1, end, k.index);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return k;
}

void ItemField::set(ParamValue v) const {
  (*item)[field] = std::move(v);
  for (auto l = lists.rbegin(); l != lists.rend(); ++l) l->second->text = list_text(*l->first, l->second->items);
}

namespace {

// The item field `key` (LIST[i].FIELD, nested or not) names; see find_spec.
std::optional<ItemField> find_item_field(const std::vector<ParamSpec>& specs, ParamValues& values,
                                         const std::string& key, std::string& problem) {
  ItemField out;
  const std::vector<ParamSpec>* level = &specs;
  ParamValues* at = &values;
  std::string prefix;  // the key up to the current level, "host_b.nic.tiers[1]."
  std::string rest = key;
  for (auto k = split_item_key(rest); k; k = split_item_key(rest)) {
    const ParamSpec* list = nullptr;
    std::vector<std::string> lists;
    for (const auto& s : *level) {
      if (s.type != ParamType::List) continue;
      lists.push_back(prefix + s.key);
      if (s.key == k->list) list = &s;
    }
    const std::string name = prefix + k->list;
    if (!list) {
      problem = unknown("list", name, lists);
      return std::nullopt;
    }
    auto v = at->find(k->list);
    const size_t n = v == at->end() ? 0 : v->second.items.size();
    if (k->index >= n) {
      problem = n == 0 ? name + " has no items"
                       : name + " has " + std::to_string(n) + (n == 1 ? " item" : " items") + "; [0] to [" +
                             std::to_string(n - 1) + "]";
      return std::nullopt;
    }
    out.lists.emplace_back(list, &v->second);
    at = &v->second.items[k->index];
    level = &list->item_fields;
    prefix = name + "[" + std::to_string(k->index) + "].";
    rest = k->field;
  }
  std::vector<std::string> fields;
  for (const auto& s : *level) {
    fields.push_back(prefix + s.key);
    if (s.key == rest) out.spec = &s;
  }
  if (!out.spec) {
    problem = unknown("field", prefix + rest, fields);
    return std::nullopt;
  }
  out.item = at;
  out.field = rest;
  return out;
}

}  // namespace

const ParamSpec* find_spec(const std::vector<ParamSpec>& specs, ParamValues& values, const std::string& key,
                           std::string& problem, std::optional<ItemField>* item) {
  std::vector<std::string> keys;
  for (const auto& s : specs) {
    if (s.key == key) return &s;
    keys.push_back(s.key);
  }
  if (!split_item_key(key)) {
    problem = unknown("key", key, keys);
    return nullptr;
  }
  auto f = find_item_field(specs, values, key, problem);
  if (!f) return nullptr;
  const ParamSpec* spec = f->spec;
  if (item) *item = std::move(f);
  return spec;
}

void SchemaCollector::operator()(double& f, const char* name, const char* meaning, Limits l) {
  add(ParamType::Real, name, real_text(f), meaning, l);
}

void SchemaCollector::choice(std::string& f, const char* name, const char* meaning, std::vector<std::string> choices) {
  add(ParamType::Choice, name, f, meaning, {}, std::move(choices));
}

void SchemaCollector::add(ParamType t, const char* name, std::string def, const char* meaning, Limits l,
                          std::vector<std::string> choices) {
  out_.push_back(ParamSpec{prefix_ + name, t, std::move(def), meaning, l, std::move(choices)});
}

std::vector<ParamSpec> with_item_fields(const std::vector<ParamSpec>& specs) {
  std::vector<ParamSpec> out;
  for (const auto& spec : specs) {
    out.push_back(spec);
    if (spec.type != ParamType::List) continue;
    std::vector<ParamSpec> items = spec.item_fields;
    for (auto& f : items) f.key = spec.key + "[]." + f.key;
    for (auto& f : with_item_fields(items)) out.push_back(std::move(f));
  }
  return out;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::optional<std::string> nearest(const std::string& key, const std::vector<std::string>& candidates) {
  // Typos worth suggesting: at most a third of the key changed (and at least one edit allowed).
  if (key.size() > 256) return std::nullopt;  // a megabyte-long key is no typo
  size_t best = SIZE_MAX;
  std::optional<std::string> out;
  for (const auto& c : candidates) {
    if (c.size() > 256) continue;
    // A key typed short ("frame_gen" for "frame_generator") is as plausible as a typo.
    size_t d = key.size() >= 4 && c.rfind(key, 0) == 0 ? 1 : edit_distance(key, c);
    if (d < best) best = d, out = c;
  }
  if (!out || best > std::max<size_t>(2, key.size() / 3)) return std::nullopt;
  return out;
}

std::string unknown(const std::string& what, const std::string& key, const std::vector<std::string>& candidates) {
  std::string msg = "unknown " + what;
  if (auto n = nearest(key, candidates)) msg += " (did you mean '" + *n + "'?)";
  return msg;
}

}  // namespace hostwire
