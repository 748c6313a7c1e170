// Scenario files: YAML in, a fully resolved and validated Scenario out, or a list of errors
// each naming the file, line, column and key. Nothing here runs a simulation: `hostwire
// check` and the tests use it without SystemC.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/params.h"

namespace hostwire {

struct InputError {
  std::string location;  // "file:line:col", or "--set" / "--seed" for command-line input
  std::string key;       // the offending key (may be empty for file-level problems)
  std::string problem;
  std::string str() const;
};

// A problem with field `field` of item `i` of the list `list` (set at `key`): located at the
// field where the item gives it, else at the list; keyed "key[i].field".
InputError list_item_error(const ParamValue& list, const std::string& key, size_t i, const std::string& field,
                           std::string problem);

// What the loader needs to know about the models: which platforms exist, their parameters,
// and which workload types a platform accepts with their parameters. platforms/ implements it.
class Catalog {
 public:
  virtual ~Catalog() = default;
  virtual std::vector<std::string> platforms() const = 0;
  virtual void platform_params(const std::string& platform, std::vector<ParamSpec>& out) const = 0;
  virtual std::vector<std::string> workload_types(const std::string& platform) const = 0;
  // Specs of one workload of `type`, with keys under `prefix` ("workloads.<name>.").
  virtual void workload_params(const std::string& platform, const std::string& type, const std::string& prefix,
                               std::vector<ParamSpec>& out) const = 0;
  // Checks that span several keys (a frame larger than the link's MTU); report against the key to fix.
  virtual void cross_check(const struct Scenario& s, std::vector<InputError>& errors) const = 0;
};

struct Workload {
  std::string name;
  std::string type;
  std::string prefix() const { return "workloads." + name + "."; }
};

struct SweepAxis {
  std::string key;
  std::vector<std::string> values;  // canonical texts, each valid for the key
};

struct Scenario {
  std::string file;
  std::string description;
  std::string platform;
  std::vector<Workload> workloads;
  std::vector<ParamSpec> schema;  // every key this scenario accepts
  ParamValues values;             // every key of the schema, resolved (defaults included)
  std::vector<SweepAxis> sweep;

  uint64_t seed() const { return static_cast<uint64_t>(values.at("seed").integer); }
  Time duration() const { return Time{values.at("duration").integer}; }
  const ParamValue& at(const std::string& key) const { return values.at(key); }
  // The resolved scenario for report.json: every key with its canonical value, sorted.
  nlohmann::ordered_json to_json() const;
};

struct LoadOptions {
  std::vector<std::string> overrides;  // "key=value" from --set, applied in order after the file
  std::optional<uint64_t> seed;        // --seed
};

struct LoadResult {
  std::optional<Scenario> scenario;
  std::vector<InputError> errors;
};

LoadResult load_scenario_file(const std::string& path, const Catalog& catalog, const LoadOptions& opts = {});
// `name` stands for the file in messages.
LoadResult load_scenario_text(const std::string& text, const std::string& name, const Catalog& catalog,
                              const LoadOptions& opts = {});

// Why a list-valued key is refused as a sweep axis (in `sweep:` and with --grid). One field of
// one item, LIST[i].FIELD, can be an axis (and --set) like any other key.
inline constexpr const char* kListIsNoSweepAxis =
    "a list parameter cannot be a sweep axis; sweep one field of one item instead, as LIST[i].FIELD (e.g. "
    "LIST[0].FIELD for the first item), write one scenario per list, or set the whole list with --set";

// Keys every scenario has, whatever its platform: duration, seed, outputs.*.
void global_params(std::vector<ParamSpec>& out);

}  // namespace hostwire
