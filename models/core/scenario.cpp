#include "core/scenario.h"

#include "core/file.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

namespace hostwire {

InputError list_item_error(const ParamValue& list, const std::string& key, size_t i, const std::string& field,
                           std::string problem) {
  const auto& item = list.items.at(i);
  const auto it = item.find(field);
  return {it != item.end() ? it->second.origin : list.origin, key + "[" + std::to_string(i) + "]." + field,
          std::move(problem)};
}

std::string InputError::str() const {
  std::string s = location + ": ";
  if (!key.empty()) s += key + ": ";
  return s + problem;
}

namespace {
// Keys every scenario has, whatever its platform.
struct GlobalParams {
  Time duration = Time::from_ms(10);
  int64_t seed = 1;
  std::string outputs_dir;
  Time timeseries_interval = Time::from_us(100);
  std::string pcap;
  std::string vcd;
  Time vcd_start{};
  Time vcd_stop{};
  bool trace = false;
  Time trace_start{};
  Time trace_stop{};
  int64_t trace_sample = 1;
  std::string trace_sample_by = "packet";
  int64_t trace_max_events = 1'000'000;
  std::string log;
  template <class V>
  void visit(V& v) {
    v(duration, "duration", "simulated time to run", Limits::positive());
    v(seed, "seed", "scenario seed; every component's random stream derives from it", Limits::range(0, 9.0e18));
    v(outputs_dir, "outputs.dir", "folder for report.json and the other outputs (default: out/<scenario name>)");
    v(timeseries_interval, "outputs.timeseries_interval", "simulated interval between time-series samples",
      Limits::positive());
    v(pcap, "outputs.pcap", "tap points to capture as pcap, comma-separated or a YAML list (e.g. link0.a_to_b)");
    v(vcd, "outputs.vcd", "signals to record in DIR/trace.vcd, name patterns with * (e.g. link0.*, a.mac.*; * for all)");
    v(vcd_start, "outputs.vcd_start", "waveforms: record from this simulated time (earlier changes fold into its values)");
    v(vcd_stop, "outputs.vcd_stop", "waveforms: record until this simulated time (0s: the end)");
    v(trace, "outputs.trace", "write DIR/trace.json: per-packet timeline for ui.perfetto.dev / chrome://tracing");
    v(trace_start, "outputs.trace_start", "timeline: record from this simulated time");
    v(trace_stop, "outputs.trace_stop", "timeline: record until this simulated time (0s: the end)");
    v(trace_sample, "outputs.trace_sample", "timeline: record every Nth packet (by id) or every Nth flow (trace_sample_by)",
      Limits::at_least(1));
    v.choice(trace_sample_by, "outputs.trace_sample_by",
             "timeline: what trace_sample counts: packet (every Nth packet id) or flow (every packet and send of every "
             "Nth TCP conn (by port sum) or UDP flow (by source port))",
             {"packet", "flow"});
    v(trace_max_events, "outputs.trace_max_events", "timeline: stop recording after this many events",
      Limits::at_least(1));
    v(log, "outputs.log", "log levels per component, comma-separated (e.g. link0=debug,*=warn)");
  }
};
}  // namespace

void global_params(std::vector<ParamSpec>& out) { collect_schema<GlobalParams>(out, ""); }

namespace {

constexpr size_t kMaxNodes = 100'000;  // aliases can make a small file expand exponentially
constexpr int kMaxDepth = 64;
constexpr size_t kMaxKeyLength = 1024;
constexpr size_t kMaxErrors = 50;  // past this, more messages help nobody

class Loader {
 public:
  Loader(std::string name, const Catalog& catalog) : name_(std::move(name)), catalog_(catalog) {}

  LoadResult load(const std::string& text, const LoadOptions& opts) {
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::DeepRecursion& e) {
      error(e.mark, "", "nested more than " + std::to_string(e.depth() - 1) + " levels deep");
      return finish();
    } catch (const YAML::Exception& e) {
      error(e.mark, "", e.msg);
      return finish();
    } catch (const std::exception& e) {
      error(YAML::Mark::null_mark(), "", e.what());
      return finish();
    }
    if (!root.IsMap()) {
      error(root.Mark(), "", root.IsNull() ? "the scenario is empty; it needs at least 'platform'"
                                           : "a scenario is a mapping of keys (platform, duration, ...)");
      return finish();
    }
    Scenario& s = scenario_;
    s.file = name_;
    global_params(s.schema);

    // Top-level keys first, so that platform and workloads are known before parameters.
    static const std::vector<std::string> kTop = {"platform", "description", "duration", "seed", "parameters",
                                                  "workloads", "outputs", "sweep"};
    std::map<std::string, YAML::Node> top;
    for (auto it = root.begin(); it != root.end(); ++it) {
      if (!budget(it->first)) return finish();
      std::string key;
      if (!scalar_key(it->first, key)) continue;
      if (std::find(kTop.begin(), kTop.end(), key) == kTop.end()) {
        unknown_key(it->first.Mark(), key, kTop);
        continue;
      }
      if (top.count(key)) {
        error(it->first.Mark(), key, "duplicate key (first given on line " + std::to_string(top[key].Mark().line + 1) + ")");
        continue;
      }
      top[key] = it->second;
    }

    if (!top.count("platform")) {
      error(root.Mark(), "platform", "missing; choose one of: " + join(catalog_.platforms()));
      return finish();
    }
    std::string platform;
    if (!scalar(top["platform"], "platform", platform)) return finish();
    auto plats = catalog_.platforms();
    if (std::find(plats.begin(), plats.end(), platform) == plats.end()) {
      std::string msg = "unknown platform '" + platform + "'; choose one of: " + join(plats);
      if (auto n = nearest(platform, plats)) msg += " (did you mean '" + *n + "'?)";
      error(top["platform"].Mark(), "platform", msg);
      return finish();
    }
    s.platform = platform;
    catalog_.platform_params(platform, s.schema);
    if (top.count("description")) scalar(top["description"], "description", s.description);

    if (top.count("workloads")) load_workloads(top["workloads"]);
    index_schema();

    for (const char* k : {"duration", "seed"})
      if (top.count(k)) set_from_node(k, top[k]);
    if (top.count("parameters")) flatten(top["parameters"], "", 0, /*under=*/"parameters");
    if (top.count("outputs")) flatten(top["outputs"], "outputs.", 0, "outputs");

    for (const auto& o : opts.overrides) apply_override(o);
    if (opts.seed) {
      std::string problem;
      auto v = parse_param(*spec_by_key_.at("seed"), std::to_string(*opts.seed), problem);
      if (v) v->origin = "--seed", s.values["seed"] = *v;
      else errors_.push_back({"--seed", "seed", problem});
    }
    // After --set, so that an axis LIST[i].FIELD is checked against the list as resolved.
    if (top.count("sweep")) load_sweep(top["sweep"]);

    // Defaults for every key not set.
    for (const auto& spec : s.schema) {
      if (s.values.count(spec.key)) continue;
      if (spec.required()) {
        errors_.push_back({name_, spec.key, "missing; this key has no default"});
        continue;
      }
      if (auto v = default_value(spec, spec.key)) s.values[spec.key] = std::move(*v);
    }
    if (errors_.empty()) catalog_.cross_check(s, errors_);
    return finish();
  }

 private:
  LoadResult finish() {
    LoadResult r;
    if (errors_.empty()) r.scenario = std::move(scenario_);
    r.errors = std::move(errors_);
    return r;
  }

  std::string where(const YAML::Mark& m) const {
    if (!fixed_location_.empty()) return fixed_location_;  // a list given with --set
    if (m.is_null()) return name_;
    return name_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
  }
  void error(const YAML::Mark& m, const std::string& key, const std::string& problem) {
    if (errors_.size() == kMaxErrors) errors_.push_back({name_, "", "too many errors; stopped reading"});
    if (errors_.size() > kMaxErrors) return;
    errors_.push_back({where(m), key, problem});
  }
  static std::string join(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  }
  void unknown_key(const YAML::Mark& m, const std::string& key, const std::vector<std::string>& valid) {
    key_error(m, key, unknown("key", key, valid));
  }
  void key_error(const YAML::Mark& m, const std::string& key, const std::string& problem) {
    error(m, key.size() > 80 ? key.substr(0, 80) + "..." : key, problem);
  }
  bool budget(const YAML::Node& n) {
    if (errors_.size() > kMaxErrors) return false;
    if (++nodes_ <= kMaxNodes) return true;
    if (nodes_ == kMaxNodes + 1) error(n.Mark(), "", "scenario too large: more than 100000 nodes (alias expansion?)");
    return false;
  }
  bool scalar_key(const YAML::Node& n, std::string& out) {
    if (!n.IsScalar()) {
      error(n.Mark(), "", "keys must be plain names");
      return false;
    }
    out = n.Scalar();
    if (out.size() > kMaxKeyLength) {
      error(n.Mark(), out.substr(0, 40) + "...", "key longer than 1024 characters");
      return false;
    }
    return true;
  }
  bool scalar(const YAML::Node& n, const std::string& key, std::string& out) {
    if (!n.IsScalar()) {
      error(n.Mark(), key, n.IsNull() ? "needs a value" : "expected a single value, not a list or mapping");
      return false;
    }
    out = n.Scalar();
    return true;
  }

  void index_schema() {
    spec_by_key_.clear();
    keys_.clear();
    for (const auto& spec : scenario_.schema) {
      spec_by_key_[spec.key] = &spec;
      keys_.push_back(spec.key);
    }
  }

  // The value of a scalar key given as `n`: one scalar, or for text a YAML list of names
  // joined with commas (e.g. outputs.pcap). Reports and returns nullopt otherwise.
  std::optional<ParamValue> scalar_value(const ParamSpec& spec, const std::string& key, const YAML::Node& n) {
    std::string text;
    if (spec.type == ParamType::Text && n.IsSequence()) {
      for (const auto& e : n) {
        if (!budget(e)) return std::nullopt;
        std::string item;
        if (!scalar(e, key, item)) return std::nullopt;
        text += (text.empty() ? "" : ",") + item;
      }
    } else if (!scalar(n, key, text)) {
      return std::nullopt;
    }
    std::string problem;
    auto v = parse_param(spec, text, problem);
    if (!v) {
      error(n.Mark(), key, problem);
      return std::nullopt;
    }
    v->origin = where(n.Mark());
    return v;
  }

  // A list-valued key given as `n`: a sequence of mappings, each validated against the item
  // schema; every problem is reported at the item field with a key like "x.rules[2].dst_port".
  std::optional<ParamValue> list_value(const ParamSpec& spec, const std::string& key, const YAML::Node& n,
                                       int depth = 0) {
    if (depth > kMaxDepth) {
      error(n.Mark(), key, "nested too deeply");
      return std::nullopt;
    }
    if (!n.IsSequence()) {
      error(n.Mark(), key,
            std::string(n.IsNull() ? "needs a value" : n.IsMap() ? "expected a list of items, not a single mapping"
                                                                 : "expected a list of items, not a single value") +
                " (write - " + (spec.item_fields.empty() ? "key" : spec.item_fields.front().key) +
                ": ... for each item, or [] for none)");
      return std::nullopt;
    }
    if (spec.max_items && n.size() > spec.max_items) {
      error(n[spec.max_items].Mark(), key,
            "at most " + std::to_string(spec.max_items) + " items; this list has " + std::to_string(n.size()));
      return std::nullopt;
    }
    const size_t errors_before = errors_.size();
    ParamValue out;
    out.origin = where(n.Mark());
    for (size_t i = 0; i < n.size(); ++i) {
      const YAML::Node item = n[i];
      if (!budget(item)) return std::nullopt;
      const std::string ikey = key + "[" + std::to_string(i) + "]";
      if (!item.IsMap()) {
        error(item.Mark(), ikey, "each item is a mapping of fields (" + field_names(spec) + ")");
        continue;
      }
      ParamValues fields;
      for (auto it = item.begin(); it != item.end(); ++it) {
        if (!budget(it->first)) return std::nullopt;
        std::string f;
        if (!scalar_key(it->first, f)) continue;
        const std::string fkey = ikey + "." + f;
        auto fs = std::find_if(spec.item_fields.begin(), spec.item_fields.end(), [&](const ParamSpec& x) { return x.key == f; });
        if (fs == spec.item_fields.end()) {
          std::vector<std::string> valid;
          for (const auto& x : spec.item_fields) valid.push_back(ikey + "." + x.key);
          unknown_key(it->first.Mark(), fkey, valid);
          continue;
        }
        if (fields.count(f)) {
          error(it->first.Mark(), fkey, "duplicate key");
          continue;
        }
        const YAML::Node v = it->second;  // a copy: `it->second` lives in a proxy
        auto pv = fs->type == ParamType::List ? list_value(*fs, fkey, v, depth + 1) : scalar_value(*fs, fkey, v);
        if (pv) fields[f] = std::move(*pv);
        else fields[f] = {};  // reported; marks the field as given
      }
      for (const auto& fs : spec.item_fields) {
        if (fields.count(fs.key)) continue;
        if (fs.required()) {
          error(item.Mark(), ikey + "." + fs.key, "missing; every item needs it");
          continue;
        }
        if (auto v = default_value(fs, ikey + "." + fs.key)) fields[fs.key] = std::move(*v);
      }
      out.items.push_back(std::move(fields));
    }
    if (errors_.size() != errors_before) return std::nullopt;
    out.text = list_text(spec, out.items);
    return out;
  }

  static std::string field_names(const ParamSpec& list) {
    std::vector<std::string> names;
    for (const auto& f : list.item_fields) names.push_back(f.key);
    return join(names);
  }

  // A value from YAML text outside the file (--set, or a list's default), reported at `location`.
  std::optional<ParamValue> value_from_text(const ParamSpec& spec, const std::string& key, const std::string& text,
                                            const std::string& location) {
    if (spec.type != ParamType::List) {
      std::string problem;
      auto v = parse_param(spec, text, problem);
      if (v) v->origin = location;
      else errors_.push_back({location, key, problem});
      return v;
    }
    YAML::Node n;
    try {
      n = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      errors_.push_back({location, key, "not a YAML list (" + e.msg + "); write [{field: value, ...}, ...]"});
      return std::nullopt;
    }
    const std::string outer = fixed_location_;  // a nested list's default inside a --set list
    fixed_location_ = location;
    auto v = list_value(spec, key, n);
    fixed_location_ = outer;
    return v;
  }

  // The key's default; a bad one is our bug, but still reported, not crashed on.
  std::optional<ParamValue> default_value(const ParamSpec& spec, const std::string& key) {
    return value_from_text(spec, key, spec.default_text, "default");
  }

  // The spec of `key`, a schema key or LIST[i].FIELD (see find_spec), a list not set so far
  // taking its default first.
  const ParamSpec* key_spec(const std::string& key, std::string& problem, std::optional<ItemField>* item = nullptr) {
    if (auto it = spec_by_key_.find(key); it != spec_by_key_.end()) return it->second;
    if (auto k = split_item_key(key)) {
      auto list = spec_by_key_.find(k->list);
      if (list != spec_by_key_.end() && list->second->type == ParamType::List && !scenario_.values.count(k->list))
        if (auto v = default_value(*list->second, k->list)) scenario_.values[k->list] = std::move(*v);
    }
    return find_spec(scenario_.schema, scenario_.values, key, problem, item);
  }

  // Sets `key` from a YAML value node; the key must be in the schema.
  void set_from_node(const std::string& key, const YAML::Node& n, const YAML::Mark* key_mark = nullptr) {
    auto it = spec_by_key_.find(key);
    const YAML::Mark mark = key_mark ? *key_mark : n.Mark();
    if (it == spec_by_key_.end()) {
      unknown_key(mark, key, keys_);
      return;
    }
    if (set_count_[key]++) {
      error(mark, key, "set twice in the file");
      return;
    }
    auto v = it->second->type == ParamType::List ? list_value(*it->second, key, n) : scalar_value(*it->second, key, n);
    if (v) scenario_.values[key] = std::move(*v);
  }

  // Nested mappings become dotted keys: parameters: {link0: {rate: 10Gbps}} sets link0.rate.
  void flatten(const YAML::Node& n, const std::string& prefix, int depth, const std::string& under) {
    if (!budget(n)) return;
    if (depth > kMaxDepth) {
      error(n.Mark(), prefix, "nested too deeply");
      return;
    }
    if (!n.IsMap()) {
      error(n.Mark(), under, "expected a mapping of keys");
      return;
    }
    std::set<std::string> seen;
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (!budget(it->first)) return;
      std::string k;
      if (!scalar_key(it->first, k)) continue;
      std::string key = prefix + k;
      if (!seen.insert(k).second) {
        error(it->first.Mark(), key, "duplicate key");
        continue;
      }
      // A copy: `it->second` lives in a proxy that dies with this statement.
      const YAML::Node v = it->second;
      YAML::Mark km = it->first.Mark();
      if (v.IsMap() && !spec_by_key_.count(key)) flatten(v, key + ".", depth + 1, key);
      else set_from_node(key, v, &km);
    }
  }

  void load_workloads(const YAML::Node& n) {
    if (!n.IsSequence()) {
      error(n.Mark(), "workloads", "expected a list of workloads (- name: ..., type: ...)");
      return;
    }
    auto types = catalog_.workload_types(scenario_.platform);
    for (const auto& w : n) {
      if (!budget(w)) return;
      if (!w.IsMap()) {
        error(w.Mark(), "workloads", "each workload is a mapping with name and type");
        continue;
      }
      Workload wl;
      if (!w["name"]) {
        error(w.Mark(), "workloads", "a workload needs a name");
        continue;
      }
      if (!w["type"]) {
        error(w.Mark(), "workloads", "a workload needs a type; one of: " + join(types));
        continue;
      }
      if (!scalar(w["name"], "workloads.name", wl.name) || !scalar(w["type"], "workloads.type", wl.type)) continue;
      if (wl.name.empty() || wl.name.find_first_of(".= ,") != std::string::npos) {
        error(w["name"].Mark(), "workloads.name", "'" + wl.name + "' must be a name without dots, spaces, commas or '='");
        continue;
      }
      for (const auto& other : scenario_.workloads)
        if (other.name == wl.name) error(w["name"].Mark(), "workloads.name", "duplicate workload name '" + wl.name + "'");
      if (std::find(types.begin(), types.end(), wl.type) == types.end()) {
        std::string msg = "unknown workload type '" + wl.type + "'; one of: " + join(types);
        if (auto near = nearest(wl.type, types)) msg += " (did you mean '" + *near + "'?)";
        error(w["type"].Mark(), wl.prefix() + "type", msg);
        continue;
      }
      scenario_.workloads.push_back(wl);
      catalog_.workload_params(scenario_.platform, wl.type, wl.prefix(), scenario_.schema);
      pending_workloads_.push_back(w);
    }
    index_schema();
    for (size_t i = 0; i < pending_workloads_.size(); ++i) {
      const auto& w = pending_workloads_[i];
      std::set<std::string> seen;
      for (auto it = w.begin(); it != w.end(); ++it) {
        std::string k;
        if (!scalar_key(it->first, k) || k == "name" || k == "type") continue;
        if (!seen.insert(k).second) {
          error(it->first.Mark(), scenario_.workloads[i].prefix() + k, "duplicate key");
          continue;
        }
        YAML::Mark km = it->first.Mark();
        set_from_node(scenario_.workloads[i].prefix() + k, it->second, &km);
      }
    }
  }

  void load_sweep(const YAML::Node& n) {
    if (!n.IsMap()) {
      error(n.Mark(), "sweep", "expected a mapping of key: [values]");
      return;
    }
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (!budget(it->first)) return;
      std::string key;
      if (!scalar_key(it->first, key)) continue;
      std::string problem;
      const ParamSpec* spec = key_spec(key, problem);
      if (!spec) {
        key_error(it->first.Mark(), key, problem);
        continue;
      }
      for (const auto& axis : scenario_.sweep)
        if (axis.key == key) error(it->first.Mark(), key, "duplicate sweep axis");
      const YAML::Node vals = it->second;  // a copy, as above
      if (spec->type == ParamType::List) {
        error(it->first.Mark(), key, kListIsNoSweepAxis);
        continue;
      }
      if (!vals.IsSequence() || vals.size() == 0) {
        error(vals.Mark(), key, "a sweep axis is a non-empty list of values");
        continue;
      }
      SweepAxis axis{key, {}};
      for (const auto& v : vals) {
        if (!budget(v)) return;
        std::string text;
        if (!scalar(v, key, text)) continue;
        auto pv = parse_param(*spec, text, problem);
        if (!pv) error(v.Mark(), key, problem);
        else axis.values.push_back(pv->text);
      }
      scenario_.sweep.push_back(std::move(axis));
    }
  }

  void apply_override(const std::string& o) {
    auto eq = o.find('=');
    if (eq == std::string::npos || eq == 0) {
      errors_.push_back({"--set", o, "expected key=value"});
      return;
    }
    std::string key = o.substr(0, eq), text = o.substr(eq + 1), problem;
    std::optional<ItemField> item;
    const ParamSpec* spec = key_spec(key, problem, &item);
    if (!spec) {
      errors_.push_back({"--set", key, problem});
      return;
    }
    auto v = value_from_text(*spec, key, text, "--set");
    if (v && item) item->set(std::move(*v));
    else if (v) scenario_.values[key] = std::move(*v);
  }

  std::string name_;
  const Catalog& catalog_;
  Scenario scenario_;
  std::vector<InputError> errors_;
  std::map<std::string, const ParamSpec*> spec_by_key_;
  std::vector<std::string> keys_;
  std::map<std::string, int> set_count_;
  std::vector<YAML::Node> pending_workloads_;
  size_t nodes_ = 0;
  std::string fixed_location_;  // set while reading a list from --set or a default
};

}  // namespace

nlohmann::ordered_json Scenario::to_json() const {
  nlohmann::ordered_json j;
  j["file"] = file;
  if (!description.empty()) j["description"] = description;
  j["platform"] = platform;
  j["seed"] = seed();
  j["duration"] = values.at("duration").text;
  auto& w = j["workloads"] = nlohmann::ordered_json::array();
  for (const auto& wl : workloads) w.push_back({{"name", wl.name}, {"type", wl.type}});
  auto& p = j["parameters"] = nlohmann::ordered_json::object();
  std::map<std::string, const ParamSpec*> lists;
  for (const auto& spec : schema)
    if (spec.type == ParamType::List) lists[spec.key] = &spec;
  // A list is an array of objects, each item's fields in the item schema's order.
  auto list_json = [](const ParamSpec& spec, const ParamValue& v, auto& self) -> nlohmann::ordered_json {
    auto a = nlohmann::ordered_json::array();
    for (const auto& item : v.items) {
      auto o = nlohmann::ordered_json::object();
      for (const auto& f : spec.item_fields) {
        auto it = item.find(f.key);
        if (it == item.end()) continue;
        o[f.key] = f.type == ParamType::List ? self(f, it->second, self) : nlohmann::ordered_json(it->second.text);
      }
      a.push_back(std::move(o));
    }
    return a;
  };
  for (const auto& [k, v] : values) {  // std::map: sorted, so deterministic
    auto l = lists.find(k);
    p[k] = l == lists.end() ? nlohmann::ordered_json(v.text) : list_json(*l->second, v, list_json);
  }
  auto& sw = j["sweep"] = nlohmann::ordered_json::object();
  for (const auto& axis : sweep) sw[axis.key] = axis.values;
  return j;
}

LoadResult load_scenario_text(const std::string& text, const std::string& name, const Catalog& catalog,
                              const LoadOptions& opts) {
  return Loader(name, catalog).load(text, opts);
}

LoadResult load_scenario_file(const std::string& path, const Catalog& catalog, const LoadOptions& opts) {
  std::string reason;
  auto text = read_whole_file(path, reason);
  if (!text) {
    LoadResult r;
    r.errors.push_back({path, "", "cannot read the scenario file: " + reason});
    return r;
  }
  return load_scenario_text(*text, path, catalog, opts);
}

}  // namespace hostwire
