// The sweep grid: point order (first axis slowest), overrides, and --grid validation.
#include <gtest/gtest.h>

#include "core/sweep_grid.h"

using namespace hostwire;

namespace {

Scenario make() {
  Scenario s;
  s.file = "t.yaml";
  s.schema = {
      ParamSpec{"link0.rate", ParamType::Rate, "10Gbps", "line rate", Limits::positive(), {}},
      ParamSpec{"workloads.w.frame_size", ParamType::Bytes, "64B", "frame", Limits::range(64, 65535), {}},
      ParamSpec{"workloads.w.pattern", ParamType::Choice, "line_rate", "pattern", {}, {"line_rate", "constant", "poisson"}},
  };
  s.sweep = {{"link0.rate", {"1Gbps", "10Gbps", "25Gbps"}}, {"workloads.w.frame_size", {"64B", "1518B"}}};
  return s;
}

}  // namespace

TEST(SweepGrid, CountAndOrderFirstAxisSlowest) {
  Scenario s = make();
  ASSERT_EQ(point_count(s), 6u);
  using V = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(point_values(s, 0), (V{{"link0.rate", "1Gbps"}, {"workloads.w.frame_size", "64B"}}));
  EXPECT_EQ(point_values(s, 1), (V{{"link0.rate", "1Gbps"}, {"workloads.w.frame_size", "1518B"}}));
  EXPECT_EQ(point_values(s, 2), (V{{"link0.rate", "10Gbps"}, {"workloads.w.frame_size", "64B"}}));
  EXPECT_EQ(point_values(s, 5), (V{{"link0.rate", "25Gbps"}, {"workloads.w.frame_size", "1518B"}}));
  EXPECT_EQ(point_overrides(s, 3), (std::vector<std::string>{"link0.rate=10Gbps", "workloads.w.frame_size=1518B"}));
  EXPECT_EQ(point_label(s, 4), "link0.rate=25Gbps workloads.w.frame_size=64B");
}

TEST(SweepGrid, NoSweepHasNoPoints) {
  Scenario s = make();
  s.sweep.clear();
  EXPECT_EQ(point_count(s), 0u);
}

TEST(SweepGrid, GridReplacesAxisInPlaceAndAppendsNewOnes) {
  Scenario s = make();
  auto errors = apply_grid(s, {"workloads.w.pattern=constant,poisson", "link0.rate=2.5Gbps,100Gbps"});
  ASSERT_TRUE(errors.empty()) << errors[0].str();
  ASSERT_EQ(s.sweep.size(), 3u);
  EXPECT_EQ(s.sweep[0].key, "link0.rate");
  EXPECT_EQ(s.sweep[0].values, (std::vector<std::string>{"2.5Gbps", "100Gbps"}));
  EXPECT_EQ(s.sweep[1].key, "workloads.w.frame_size");
  EXPECT_EQ(s.sweep[2].key, "workloads.w.pattern");
  EXPECT_EQ(point_count(s), 8u);
}

TEST(SweepGrid, GridValuesAreCanonical) {
  Scenario s = make();
  ASSERT_TRUE(apply_grid(s, {"link0.rate=1000Mbps"}).empty());
  std::string problem;
  auto v = parse_param(s.schema[0], "1000Mbps", problem);
  ASSERT_TRUE(v);
  EXPECT_EQ(s.sweep[0].values, std::vector<std::string>{v->text});
}

TEST(SweepGrid, GridErrorsNameTheKeyAndLeaveTheSweepAlone) {
  Scenario s = make();
  const auto before = s.sweep;
  auto e = apply_grid(s, {"link0.rat=1Gbps"});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].location, "--grid");
  EXPECT_EQ(e[0].key, "link0.rat");
  EXPECT_NE(e[0].problem.find("did you mean 'link0.rate'"), std::string::npos) << e[0].problem;

  e = apply_grid(s, {"link0.rate=1Gbps,10GHz"});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].key, "link0.rate");
  EXPECT_NE(e[0].problem.find("GHz"), std::string::npos) << e[0].problem;

  e = apply_grid(s, {"workloads.w.frame_size=64B,32B"});  // below the key's limit, as in a file
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].key, "workloads.w.frame_size");

  e = apply_grid(s, {"workloads.w.pattern=constant,,poisson"});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_NE(e[0].problem.find("empty value"), std::string::npos);

  e = apply_grid(s, {"link0.rate=1Gbps", "link0.rate=2Gbps"});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_NE(e[0].problem.find("twice"), std::string::npos);

  EXPECT_FALSE(apply_grid(s, {"link0.rate"}).empty());
  EXPECT_FALSE(apply_grid(s, {"link0.rate="}).empty());
  EXPECT_FALSE(apply_grid(s, {"link0.rate=1Gbps", "bogus=1"}).empty());  // one bad grid: nothing applied
  EXPECT_EQ(s.sweep.size(), before.size());
  EXPECT_EQ(s.sweep[0].values, before[0].values);
}

TEST(SweepGrid, GridAxisOnOneFieldOfOneItemOfAList) {
  Scenario s = make();
  ParamSpec rules{"nic.rules", ParamType::List, "[]", "rules", {}, {}};
  rules.item_fields = {ParamSpec{"sample", ParamType::Integer, "1", "1 in N", Limits::range(1, 1000), {}}};
  s.schema.push_back(rules);
  ParamValue one_rule;
  one_rule.items = {{{"sample", ParamValue{"1", 1}}}};
  s.values["nic.rules"] = one_rule;

  auto e = apply_grid(s, {"nic.rules[0].sample=8,0064"});
  ASSERT_TRUE(e.empty()) << e[0].str();
  ASSERT_EQ(s.sweep.size(), 3u);
  EXPECT_EQ(s.sweep[2].key, "nic.rules[0].sample");
  EXPECT_EQ(s.sweep[2].values, (std::vector<std::string>{"8", "64"}));  // canonical, as for any key
  EXPECT_EQ(point_overrides(s, 1).back(), "nic.rules[0].sample=64");

  const auto before = s.sweep;
  const auto grid_problem = [&](const std::string& g) {
    auto errors = apply_grid(s, {g});
    EXPECT_EQ(errors.size(), 1u) << g;
    return errors.empty() ? "" : errors[0].str();
  };
  EXPECT_EQ(grid_problem("nic.rules[1].sample=2"), "--grid: nic.rules[1].sample: nic.rules has 1 item; [0] to [0]");
  EXPECT_EQ(grid_problem("nic.rules[0].sampel=2"),
            "--grid: nic.rules[0].sampel: unknown field (did you mean 'nic.rules[0].sample'?)");
  EXPECT_EQ(grid_problem("nic.rulez[0].sample=2"), "--grid: nic.rulez[0].sample: unknown list (did you mean 'nic.rules'?)");
  EXPECT_EQ(grid_problem("nic.rules[0].sample=2,0"), "--grid: nic.rules[0].sample: '0' must be at least 1");
  EXPECT_EQ(grid_problem("nic.rules=[]").rfind(std::string("--grid: nic.rules: ") + kListIsNoSweepAxis, 0), 0u);
  EXPECT_EQ(s.sweep.size(), before.size());
}
