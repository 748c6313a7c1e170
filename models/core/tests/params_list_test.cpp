// List-valued parameters: a field that holds a list of items, each item a params struct of its
// own, read from a YAML sequence of mappings (or --set key=[{...}]), validated item by item
// with errors at the item field, bound as std::vector<Item>, shown as a JSON array.
#include <gtest/gtest.h>

#include "core/params.h"
#include "core/scenario.h"
#include "core/sweep_grid.h"

using namespace hostwire;

namespace {

struct PortRule {
  int64_t dst_port = 0;
  Rate rate = Rate::from_gbps(1);
  std::string proto = "udp";
  Cycles cost{100};
  template <class V>
  void visit(V& v) {
    v(dst_port, "dst_port", "destination port", Limits::range(1, 65535).required());
    v(rate, "rate", "rate limit for the port");
    v.choice(proto, "proto", "transport", {"udp", "tcp"});
    v(cost, "cost", "classification cost per packet");
  }
};

struct HostGroup {
  std::string name = "g";
  int64_t hosts = 1;
  template <class V>
  void visit(V& v) {
    v(name, "name", "group name", Limits{}.required());
    v(hosts, "hosts", "hosts in the group", Limits::at_least(1));
  }
};

// An item with a list of its own.
struct Tier {
  std::string name = "t";
  std::vector<PortRule> rules = {PortRule{7}};
  template <class V>
  void visit(V& v) {
    v(name, "name", "tier name");
    v.list(rules, "rules", "the tier's rules", 2);
  }
};

struct TestNicParams {
  std::vector<PortRule> rules;
  std::vector<HostGroup> groups = {HostGroup{"left", 2}, HostGroup{"right", 3}};
  Cycles syscall{500};
  std::vector<Tier> tiers;
  template <class V>
  void visit(V& v) {
    v.list(rules, "rules", "per-port rate limits", 4);
    v.list(groups, "groups", "host groups");
    v(syscall, "syscall", "system call cost");
    v.list(tiers, "tiers", "tiers, each with its rules");
  }
};

// One platform, "test", whose only parameters are TestNicParams under host_b.nic.
class TestCatalog : public Catalog {
 public:
  std::vector<std::string> platforms() const override { return {"test"}; }
  void platform_params(const std::string&, std::vector<ParamSpec>& out) const override {
    collect_schema<TestNicParams>(out, "host_b.nic.");
  }
  std::vector<std::string> workload_types(const std::string&) const override { return {}; }
  void workload_params(const std::string&, const std::string&, const std::string&, std::vector<ParamSpec>&) const override {}
  void cross_check(const Scenario&, std::vector<InputError>&) const override {}
};

LoadResult load(const std::string& parameters, std::vector<std::string> overrides = {}) {
  TestCatalog catalog;
  LoadOptions o;
  o.overrides = std::move(overrides);
  const std::string text = "platform: test\n" + (parameters.empty() ? "" : "parameters:\n  host_b:\n    nic:\n" + parameters);
  return load_scenario_text(text, "s.yaml", catalog, o);
}

std::string only_error(const LoadResult& r) {
  EXPECT_FALSE(r.scenario);
  EXPECT_EQ(r.errors.size(), 1u);
  return r.errors.empty() ? "" : r.errors.front().str();
}

const char* kTwoRules =
    "      rules:\n"
    "        - dst_port: 80\n"
    "          rate: 10Gbps\n"
    "        - {dst_port: 443, proto: tcp, cost: 250}\n";

}  // namespace

TEST(ParamsList, SchemaHasTheItemFieldsAndTheDefaultAsAFlowList) {
  std::vector<ParamSpec> specs;
  collect_schema<TestNicParams>(specs, "x.");
  ASSERT_EQ(specs.size(), 4u);
  const ParamSpec& rules = specs[0];
  EXPECT_EQ(rules.key, "x.rules");
  EXPECT_EQ(rules.type, ParamType::List);
  EXPECT_EQ(rules.max_items, 4u);
  EXPECT_EQ(rules.default_text, "[]");
  ASSERT_EQ(rules.item_fields.size(), 4u);
  EXPECT_EQ(rules.item_fields[0].key, "dst_port");  // relative to the item
  EXPECT_TRUE(rules.item_fields[0].required());
  EXPECT_EQ(rules.item_fields[1].default_text, "1Gbps");
  EXPECT_EQ(rules.item_fields[3].type, ParamType::Cycles);
  EXPECT_EQ(rules.item_fields[3].default_text, "100cycles");
  EXPECT_EQ(specs[1].default_text, "[{name: left, hosts: 2}, {name: right, hosts: 3}]");
  EXPECT_EQ(specs[1].max_items, SchemaCollector::kDefaultMaxItems);
  EXPECT_EQ(specs[2].type, ParamType::Cycles);
  EXPECT_STREQ(type_unit(ParamType::Cycles), "cycles");
}

TEST(ParamsList, ItemsAreValidatedAndBoundWithDefaultsPerItem) {
  auto r = load(kTwoRules);
  ASSERT_TRUE(r.scenario) << r.errors.front().str();
  const Scenario& s = *r.scenario;
  EXPECT_EQ(s.values.size(), s.schema.size());
  const ParamValue& v = s.at("host_b.nic.rules");
  EXPECT_EQ(v.origin, "s.yaml:6:9");
  ASSERT_EQ(v.items.size(), 2u);
  EXPECT_EQ(v.items[0].at("dst_port").integer, 80);
  EXPECT_EQ(v.items[0].at("rate").origin, "s.yaml:7:17");
  EXPECT_EQ(v.items[0].at("proto").origin, "default");
  EXPECT_EQ(v.items[1].at("cost").text, "250cycles");
  EXPECT_EQ(v.text,
            "[{dst_port: 80, rate: 10Gbps, proto: udp, cost: 100cycles}, "
            "{dst_port: 443, rate: 1Gbps, proto: tcp, cost: 250cycles}]");

  const auto p = bind_params<TestNicParams>(s.values, "host_b.nic.");
  ASSERT_EQ(p.rules.size(), 2u);
  EXPECT_EQ(p.rules[0].dst_port, 80);
  EXPECT_EQ(p.rules[0].rate, Rate::from_gbps(10));
  EXPECT_EQ(p.rules[0].proto, "udp");
  EXPECT_EQ(p.rules[1].dst_port, 443);
  EXPECT_EQ(p.rules[1].rate, Rate::from_gbps(1));
  EXPECT_EQ(p.rules[1].proto, "tcp");
  EXPECT_EQ(p.rules[1].cost, Cycles{250});
  // The default list, resolved and bound like a given one.
  ASSERT_EQ(p.groups.size(), 2u);
  EXPECT_EQ(p.groups[1].name, "right");
  EXPECT_EQ(p.groups[1].hosts, 3);
  EXPECT_EQ(s.at("host_b.nic.groups").origin, "default");
  EXPECT_EQ(p.syscall, Cycles{500});
}

TEST(ParamsList, AnEmptyListBindsToNoItems) {
  auto r = load("      groups: []\n");
  ASSERT_TRUE(r.scenario) << r.errors.front().str();
  EXPECT_TRUE(bind_params<TestNicParams>(r.scenario->values, "host_b.nic.").groups.empty());
  EXPECT_EQ(r.scenario->at("host_b.nic.groups").text, "[]");
}

TEST(ParamsList, BadValueInAnItemIsReportedAtTheItemField) {
  EXPECT_EQ(only_error(load("      rules:\n        - dst_port: 80\n        - dst_port: 81\n          rate: 10GHz\n"))
                .rfind("s.yaml:8:17: host_b.nic.rules[1].rate: unknown unit 'GHz' for a rate", 0),
            0u);
  EXPECT_EQ(only_error(load("      rules:\n        - {dst_port: 80}\n        - {dst_port: 81}\n        - {dst_port: 70000}\n")),
            "s.yaml:8:22: host_b.nic.rules[2].dst_port: '70000' must be at most 65535");
  EXPECT_EQ(only_error(load("      rules:\n        - {dst_port: 80, proto: tpc}\n")),
            "s.yaml:6:33: host_b.nic.rules[0].proto: 'tpc' is not one of: udp, tcp (did you mean 'tcp'?)");
  EXPECT_EQ(only_error(load("      rules:\n        - {dst_port: 80, cost: 1.5}\n")),
            "s.yaml:6:32: host_b.nic.rules[0].cost: '1.5' is not a whole number of cycles");
}

TEST(ParamsList, UnknownItemFieldSuggestsTheNearest) {
  auto r = load("      rules:\n        - {dst_port: 80}\n        - {dst_prot: 81}\n");
  ASSERT_EQ(r.errors.size(), 2u);  // the typo, and so the required field is missing
  EXPECT_EQ(r.errors[0].str(),
            "s.yaml:7:12: host_b.nic.rules[1].dst_prot: unknown key (did you mean 'host_b.nic.rules[1].dst_port'?)");
  EXPECT_EQ(r.errors[1].str(), "s.yaml:7:11: host_b.nic.rules[1].dst_port: missing; every item needs it");
}

TEST(ParamsList, MissingRequiredFieldIsReportedAtTheItem) {
  EXPECT_EQ(only_error(load("      rules:\n        - {dst_port: 80}\n        - rate: 1Gbps\n")),
            "s.yaml:7:11: host_b.nic.rules[1].dst_port: missing; every item needs it");
}

TEST(ParamsList, NotASequenceOrAnItemNotAMapping) {
  EXPECT_EQ(only_error(load("      rules: 80\n")),
            "s.yaml:5:14: host_b.nic.rules: expected a list of items, not a single value (write - dst_port: ... for "
            "each item, or [] for none)");
  EXPECT_EQ(only_error(load("      rules:\n        dst_port: 80\n")).rfind(
                "s.yaml:6:9: host_b.nic.rules: expected a list of items, not a single mapping", 0),
            0u);
  EXPECT_EQ(only_error(load("      rules:\n        - {dst_port: 80}\n        - 81\n")),
            "s.yaml:7:11: host_b.nic.rules[1]: each item is a mapping of fields (dst_port, rate, proto, cost)");
  EXPECT_EQ(only_error(load("      rules:\n        - {dst_port: [80]}\n")),
            "s.yaml:6:22: host_b.nic.rules[0].dst_port: expected a single value, not a list or mapping");
}

TEST(ParamsList, TooManyItemsNamesTheLimitAtTheFirstItemTooMany) {
  EXPECT_EQ(only_error(load("      rules: [{dst_port: 1}, {dst_port: 2}, {dst_port: 3}, {dst_port: 4}, {dst_port: 5}]\n")),
            "s.yaml:5:75: host_b.nic.rules: at most 4 items; this list has 5");
}

TEST(ParamsList, DuplicateFieldInAnItem) {
  EXPECT_EQ(only_error(load("      rules:\n        - {dst_port: 80, dst_port: 81}\n")),
            "s.yaml:6:26: host_b.nic.rules[0].dst_port: duplicate key");
}

TEST(ParamsList, SetTakesAWholeListInFlowSyntax) {
  auto r = load(kTwoRules, {"host_b.nic.rules=[{dst_port: 53}, {dst_port: 8080, rate: 25Gbps}]"});
  ASSERT_TRUE(r.scenario) << r.errors.front().str();
  const auto p = bind_params<TestNicParams>(r.scenario->values, "host_b.nic.");
  ASSERT_EQ(p.rules.size(), 2u);
  EXPECT_EQ(p.rules[0].dst_port, 53);
  EXPECT_EQ(p.rules[1].rate, Rate::from_gbps(25));
  EXPECT_EQ(r.scenario->at("host_b.nic.rules").origin, "--set");
  EXPECT_EQ(r.scenario->at("host_b.nic.rules").items[1].at("rate").origin, "--set");

  // The canonical text is itself a valid --set value for the same list.
  const std::string canonical = r.scenario->at("host_b.nic.rules").text;
  auto again = load("", {"host_b.nic.rules=" + canonical});
  ASSERT_TRUE(again.scenario) << again.errors.front().str();
  EXPECT_EQ(again.scenario->at("host_b.nic.rules").text, canonical);

  EXPECT_EQ(only_error(load("", {"host_b.nic.rules=[{dst_port: 53}, {dst_port: 0}]"})),
            "--set: host_b.nic.rules[1].dst_port: '0' must be at least 1");
  auto typo = load("", {"host_b.nic.rules=[{dst_prt: 53}]"});
  ASSERT_EQ(typo.errors.size(), 2u);
  EXPECT_EQ(typo.errors[0].str(),
            "--set: host_b.nic.rules[0].dst_prt: unknown key (did you mean 'host_b.nic.rules[0].dst_port'?)");
  EXPECT_EQ(typo.errors[1].str(), "--set: host_b.nic.rules[0].dst_port: missing; every item needs it");
  EXPECT_EQ(only_error(load("", {"host_b.nic.rules=[{dst_port: 53"})).rfind("--set: host_b.nic.rules: not a YAML list", 0),
            0u);
  EXPECT_EQ(only_error(load("", {"host_b.nic.rules=80"})).rfind(
                "--set: host_b.nic.rules: expected a list of items, not a single value", 0),
            0u);
}

TEST(ParamsList, ReportJsonShowsAnArrayOfObjectsWithCanonicalValues) {
  auto r = load(kTwoRules);
  ASSERT_TRUE(r.scenario);
  const auto j = r.scenario->to_json();
  const auto& rules = j["parameters"]["host_b.nic.rules"];
  ASSERT_TRUE(rules.is_array());
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].dump(), R"({"dst_port":"80","rate":"10Gbps","proto":"udp","cost":"100cycles"})");
  EXPECT_EQ(rules[1]["cost"], "250cycles");
  EXPECT_EQ(j["parameters"]["host_b.nic.groups"].dump(), R"([{"name":"left","hosts":"2"},{"name":"right","hosts":"3"}])");
  EXPECT_EQ(j["parameters"]["host_b.nic.syscall"], "500cycles");
  auto empty = load("      rules: []\n");
  ASSERT_TRUE(empty.scenario);
  EXPECT_EQ(empty.scenario->to_json()["parameters"]["host_b.nic.rules"].dump(), "[]");
}

TEST(ParamsList, AListCannotBeASweepAxis) {
  TestCatalog catalog;
  auto r = load_scenario_text("platform: test\nsweep:\n  host_b.nic.rules: [[], [{dst_port: 1}]]\n", "s.yaml", catalog);
  EXPECT_EQ(only_error(r).rfind("s.yaml:3:3: host_b.nic.rules: a list parameter cannot be a sweep axis", 0), 0u);
  auto plain = load("");
  ASSERT_TRUE(plain.scenario);
  const auto errors = apply_grid(*plain.scenario, {"host_b.nic.rules=[],[{dst_port: 1}]"});
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].str().rfind("--grid: host_b.nic.rules: a list parameter cannot be a sweep axis", 0), 0u);
  EXPECT_NE(errors[0].problem.find("as LIST[i].FIELD"), std::string::npos) << errors[0].problem;
}

TEST(ParamsList, CyclesTakeABareNumberOrTheUnit) {
  auto r = load("      syscall: 600\n");
  ASSERT_TRUE(r.scenario) << r.errors.front().str();
  EXPECT_EQ(r.scenario->at("host_b.nic.syscall").text, "600cycles");
  EXPECT_EQ(bind_params<TestNicParams>(r.scenario->values, "host_b.nic.").syscall, Cycles{600});
  r = load("", {"host_b.nic.syscall=700cycles"});
  ASSERT_TRUE(r.scenario);
  EXPECT_EQ(r.scenario->at("host_b.nic.syscall").integer, 700);
  EXPECT_EQ(only_error(load("      syscall: -1\n")), "s.yaml:5:16: host_b.nic.syscall: '-1' must not be negative");
  EXPECT_EQ(only_error(load("      syscall: 5ns\n")).rfind("s.yaml:5:16: host_b.nic.syscall: unknown unit 'ns'", 0), 0u);
}

TEST(ParamsList, TextThatLooksLikeYamlRoundTripsThroughTheCanonicalText) {
  EXPECT_EQ(only_error(load("      groups:\n        - {hosts: 2}\n")),
            "s.yaml:6:11: host_b.nic.groups[0].name: missing; every item needs it");
  auto r = load("      groups:\n        - {name: 'a, b: [c]'}\n        - {name: ''}\n        - {name: '#x'}\n");
  ASSERT_TRUE(r.scenario) << r.errors.front().str();
  const std::string canonical = r.scenario->at("host_b.nic.groups").text;
  auto again = load("", {"host_b.nic.groups=" + canonical});
  ASSERT_TRUE(again.scenario) << canonical << ": " << again.errors.front().str();
  const auto p = bind_params<TestNicParams>(again.scenario->values, "host_b.nic.");
  ASSERT_EQ(p.groups.size(), 3u) << canonical;
  EXPECT_EQ(p.groups[0].name, "a, b: [c]");
  EXPECT_EQ(p.groups[1].name, "");
  EXPECT_EQ(p.groups[2].name, "#x");
}

namespace {
struct Required {
  int64_t port = 0;
  template <class V>
  void visit(V& v) { v(port, "port", "a port", Limits::at_least(1).required()); }
};
}  // namespace

TEST(ParamsList, RequiredKeyOutsideAListMustBeSet) {
  struct RequiredCatalog : TestCatalog {
    void platform_params(const std::string&, std::vector<ParamSpec>& out) const override {
      collect_schema<Required>(out, "x.");
    }
  } catalog;
  EXPECT_EQ(only_error(load_scenario_text("platform: test\n", "s.yaml", catalog)),
            "s.yaml: x.port: missing; this key has no default");
  EXPECT_TRUE(load_scenario_text("platform: test\nparameters: {x: {port: 9}}\n", "s.yaml", catalog).scenario);
}

TEST(ParamsList, ListingShowsEachItemFieldUnderTheListKey) {
  std::vector<ParamSpec> specs;
  collect_schema<TestNicParams>(specs, "x.");
  std::vector<std::string> keys;
  for (const auto& s : with_item_fields(specs)) keys.push_back(s.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"x.rules", "x.rules[].dst_port", "x.rules[].rate", "x.rules[].proto",
                                            "x.rules[].cost", "x.groups", "x.groups[].name", "x.groups[].hosts",
                                            "x.syscall", "x.tiers", "x.tiers[].name", "x.tiers[].rules",
                                            "x.tiers[].rules[].dst_port", "x.tiers[].rules[].rate",
                                            "x.tiers[].rules[].proto", "x.tiers[].rules[].cost"}));
  const auto rows = with_item_fields(specs);
  EXPECT_EQ(rows[2].default_text, "1Gbps");
  EXPECT_EQ(rows[3].choices, (std::vector<std::string>{"udp", "tcp"}));
  EXPECT_TRUE(rows[1].required());
  EXPECT_TRUE(rows[6].required());  // a text field too
  EXPECT_FALSE(rows[7].required());
}

TEST(ParamsList, AnItemMayHoldAListOfItsOwn) {
  auto r = load("", {"host_b.nic.tiers=[{name: a}, {name: b, rules: [{dst_port: 9}, {dst_port: 10, rate: 5Gbps}]}]"});
  ASSERT_TRUE(r.scenario) << r.errors.front().str();
  const ParamValue& tiers = r.scenario->at("host_b.nic.tiers");
  ASSERT_EQ(tiers.items.size(), 2u);
  EXPECT_EQ(tiers.items[0].at("rules").origin, "default");
  EXPECT_EQ(tiers.items[0].at("rules").items[0].at("dst_port").integer, 7);
  EXPECT_EQ(tiers.items[1].at("name").origin, "--set");  // still --set after the nested default
  EXPECT_EQ(tiers.items[1].at("rules").items[1].at("rate").origin, "--set");
  EXPECT_EQ(tiers.text,
            "[{name: a, rules: [{dst_port: 7, rate: 1Gbps, proto: udp, cost: 100cycles}]}, {name: b, rules: "
            "[{dst_port: 9, rate: 1Gbps, proto: udp, cost: 100cycles}, {dst_port: 10, rate: 5Gbps, proto: udp, cost: "
            "100cycles}]}]");
  const auto p = bind_params<TestNicParams>(r.scenario->values, "host_b.nic.");
  ASSERT_EQ(p.tiers.size(), 2u);
  ASSERT_EQ(p.tiers[0].rules.size(), 1u);
  EXPECT_EQ(p.tiers[0].rules[0].dst_port, 7);
  ASSERT_EQ(p.tiers[1].rules.size(), 2u);
  EXPECT_EQ(p.tiers[1].rules[1].rate, Rate::from_gbps(5));
  const auto j = r.scenario->to_json()["parameters"]["host_b.nic.tiers"];
  EXPECT_EQ(j[1]["rules"][0]["dst_port"], "9");

  EXPECT_EQ(only_error(load("      tiers:\n        - name: a\n          rules:\n            - {dst_port: 0}\n")),
            "s.yaml:8:26: host_b.nic.tiers[0].rules[0].dst_port: '0' must be at least 1");
  EXPECT_EQ(only_error(load("", {"host_b.nic.tiers=[{rules: [{}, {}, {}]}]"})),
            "--set: host_b.nic.tiers[0].rules: at most 2 items; this list has 3");
}

TEST(ParamsList, SetOfOneItemFieldChangesTheBoundValueAndTheListText) {
  auto r = load(kTwoRules, {"host_b.nic.rules[1].rate=25Gbps"});
  ASSERT_TRUE(r.scenario) << r.errors.front().str();
  const ParamValue& v = r.scenario->at("host_b.nic.rules");
  EXPECT_EQ(v.items[1].at("rate").origin, "--set");
  EXPECT_EQ(v.items[0].at("rate").origin, "s.yaml:7:17");
  EXPECT_EQ(v.origin, "s.yaml:6:9");
  EXPECT_EQ(v.text,
            "[{dst_port: 80, rate: 10Gbps, proto: udp, cost: 100cycles}, "
            "{dst_port: 443, rate: 25Gbps, proto: tcp, cost: 250cycles}]");
  auto p = bind_params<TestNicParams>(r.scenario->values, "host_b.nic.");
  ASSERT_EQ(p.rules.size(), 2u);
  EXPECT_EQ(p.rules[0].rate, Rate::from_gbps(10));
  EXPECT_EQ(p.rules[1].rate, Rate::from_gbps(25));
  EXPECT_EQ(r.scenario->to_json()["parameters"]["host_b.nic.rules"][1]["rate"], "25Gbps");

  // After an earlier --set of the whole list, in order; a default list; a list inside an item.
  r = load(kTwoRules, {"host_b.nic.rules=[{dst_port: 53}]", "host_b.nic.rules[0].dst_port=54",
                       "host_b.nic.groups[1].hosts=5", "host_b.nic.tiers=[{name: a}]",
                       "host_b.nic.tiers[0].rules[0].rate=5Gbps"});
  ASSERT_TRUE(r.scenario) << r.errors.front().str();
  p = bind_params<TestNicParams>(r.scenario->values, "host_b.nic.");
  ASSERT_EQ(p.rules.size(), 1u);
  EXPECT_EQ(p.rules[0].dst_port, 54);
  EXPECT_EQ(p.groups[1].hosts, 5);
  EXPECT_EQ(r.scenario->at("host_b.nic.groups").text, "[{name: left, hosts: 2}, {name: right, hosts: 5}]");
  EXPECT_EQ(r.scenario->at("host_b.nic.groups").origin, "default");
  ASSERT_EQ(p.tiers.size(), 1u);
  EXPECT_EQ(p.tiers[0].rules[0].rate, Rate::from_gbps(5));
  EXPECT_EQ(r.scenario->at("host_b.nic.tiers").text,
            "[{name: a, rules: [{dst_port: 7, rate: 5Gbps, proto: udp, cost: 100cycles}]}]");
}

TEST(ParamsList, SetOfOneItemFieldErrorsNameTheKey) {
  EXPECT_EQ(only_error(load(kTwoRules, {"host_b.nic.rulez[0].rate=1Gbps"})),
            "--set: host_b.nic.rulez[0].rate: unknown list (did you mean 'host_b.nic.rules'?)");
  EXPECT_EQ(only_error(load(kTwoRules, {"host_b.nic.rules[0].raet=1Gbps"})),
            "--set: host_b.nic.rules[0].raet: unknown field (did you mean 'host_b.nic.rules[0].rate'?)");
  EXPECT_EQ(only_error(load(kTwoRules, {"host_b.nic.rules[2].rate=1Gbps"})),
            "--set: host_b.nic.rules[2].rate: host_b.nic.rules has 2 items; [0] to [1]");
  EXPECT_EQ(only_error(load("", {"host_b.nic.rules=[{dst_port: 1}]", "host_b.nic.rules[1].rate=1Gbps"})),
            "--set: host_b.nic.rules[1].rate: host_b.nic.rules has 1 item; [0] to [0]");
  EXPECT_EQ(only_error(load("", {"host_b.nic.rules[0].rate=1Gbps"})),
            "--set: host_b.nic.rules[0].rate: host_b.nic.rules has no items");
  EXPECT_EQ(only_error(load(kTwoRules, {"host_b.nic.rules[0].rate=10GHz"}))
                .rfind("--set: host_b.nic.rules[0].rate: unknown unit 'GHz' for a rate", 0),
            0u);
  EXPECT_EQ(only_error(load(kTwoRules, {"host_b.nic.rules[0].dst_port=0"})),
            "--set: host_b.nic.rules[0].dst_port: '0' must be at least 1");
  EXPECT_EQ(only_error(load("", {"host_b.nic.tiers=[{name: a}]", "host_b.nic.tiers[0].rules[1].cost=1"})),
            "--set: host_b.nic.tiers[0].rules[1].cost: host_b.nic.tiers[0].rules has 1 item; [0] to [0]");
  EXPECT_EQ(only_error(load("", {"host_b.nic.syscall[0].x=1"})), "--set: host_b.nic.syscall[0].x: unknown list");
}

TEST(ParamsList, ASweepOverOneItemFieldGivesPointsWithDifferentBoundValues) {
  TestCatalog catalog;
  const std::string text = std::string("platform: test\nparameters:\n  host_b:\n    nic:\n") + kTwoRules +
                           "sweep:\n  host_b.nic.rules[1].cost: [100, 200cycles]\n";
  auto r = load_scenario_text(text, "s.yaml", catalog);
  ASSERT_TRUE(r.scenario) << r.errors.front().str();
  ASSERT_EQ(r.scenario->sweep.size(), 1u);
  EXPECT_EQ(r.scenario->sweep[0].key, "host_b.nic.rules[1].cost");
  EXPECT_EQ(r.scenario->sweep[0].values, (std::vector<std::string>{"100cycles", "200cycles"}));
  ASSERT_EQ(point_count(*r.scenario), 2u);
  std::vector<Cycles> costs;
  for (size_t k = 0; k < 2; ++k) {
    LoadOptions o;
    o.overrides = point_overrides(*r.scenario, k);
    auto point = load_scenario_text(text, "s.yaml", catalog, o);
    ASSERT_TRUE(point.scenario) << point.errors.front().str();
    costs.push_back(bind_params<TestNicParams>(point.scenario->values, "host_b.nic.").rules[1].cost);
  }
  EXPECT_EQ(costs, (std::vector<Cycles>{Cycles{100}, Cycles{200}}));

  EXPECT_EQ(only_error(load(std::string(kTwoRules) + "sweep:\n  host_b.nic.rules[2].cost: [1]\n")),
            "s.yaml:10:3: host_b.nic.rules[2].cost: host_b.nic.rules has 2 items; [0] to [1]");
  EXPECT_EQ(only_error(load(std::string(kTwoRules) + "sweep:\n  host_b.nic.rules[1].cost: [100, 1.5]\n")),
            "s.yaml:10:35: host_b.nic.rules[1].cost: '1.5' is not a whole number of cycles");
  // The index is checked against the list as --set left it.
  const std::string one_rule = "host_b.nic.rules=[{dst_port: 1}]";
  EXPECT_TRUE(load("      syscall: 500\nsweep:\n  host_b.nic.rules[0].cost: [1]\n", {one_rule}).scenario);
  EXPECT_EQ(only_error(load(std::string(kTwoRules) + "sweep:\n  host_b.nic.rules[1].cost: [1]\n", {one_rule})),
            "s.yaml:10:3: host_b.nic.rules[1].cost: host_b.nic.rules has 1 item; [0] to [0]");
  // A list inside an item is still a list.
  EXPECT_EQ(only_error(load("      syscall: 500\nsweep:\n  host_b.nic.tiers[0].rules: [[]]\n",
                            {"host_b.nic.tiers=[{name: a}]"}))
                .rfind("s.yaml:7:3: host_b.nic.tiers[0].rules: a list parameter cannot be a sweep axis", 0),
            0u);
}
