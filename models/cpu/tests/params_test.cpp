#include "cpu/params.h"

#include <algorithm>

#include <gtest/gtest.h>

namespace hostwire::cpu {
namespace {

const ParamSpec* find(const std::vector<ParamSpec>& specs, const std::string& key) {
  auto it = std::find_if(specs.begin(), specs.end(), [&](const ParamSpec& s) { return s.key == key; });
  return it == specs.end() ? nullptr : &*it;
}

TEST(CpuParams, SchemaListsEveryKeyWithItsUnitAndDefault) {
  std::vector<ParamSpec> specs;
  collect_schema<CpuParams>(specs, "host_b.cpu.");
  struct Want {
    const char* key;
    ParamType type;
    const char* default_text;
  };
  const Want want[] = {
      {"host_b.cpu.cores", ParamType::Integer, "4"},
      {"host_b.cpu.clock", ParamType::Frequency, "3GHz"},
      {"host_b.cpu.cost.syscall", ParamType::Cycles, "500cycles"},
      {"host_b.cpu.cost.interrupt_entry", ParamType::Cycles, "1000cycles"},
      {"host_b.cpu.cost.context_switch", ParamType::Cycles, "6000cycles"},
      {"host_b.cpu.cost.copy_per_byte", ParamType::Real, "0.3"},
      {"host_b.cpu.cost.checksum_per_byte", ParamType::Real, "0.25"},
      {"host_b.cpu.cost.cache_miss", ParamType::Cycles, "250cycles"},
      {"host_b.cpu.cost.wakeup", ParamType::Cycles, "3000cycles"},
      {"host_b.cpu.cost.frame_per_byte", ParamType::Real, "0.5"},
      {"host_b.cpu.cost.frame_per_message", ParamType::Cycles, "400cycles"},
      {"host_b.cpu.cost.parse_per_byte", ParamType::Real, "0.5"},
  };
  ASSERT_EQ(specs.size(), std::size(want));
  for (const auto& w : want) {
    const ParamSpec* s = find(specs, w.key);
    ASSERT_TRUE(s) << w.key;
    EXPECT_EQ(s->type, w.type) << w.key;
    EXPECT_EQ(s->default_text, w.default_text) << w.key;
    EXPECT_FALSE(s->meaning.empty()) << w.key;
    // Counts name their unit in the meaning; quantities carry it in their type.
    if (s->type == ParamType::Integer || s->type == ParamType::Real) {
      EXPECT_TRUE(s->meaning.find("cycles") != std::string::npos || s->meaning.find("cores") != std::string::npos)
          << w.key << ": " << s->meaning;
    }
  }
  EXPECT_STREQ(type_unit(find(specs, "host_b.cpu.clock")->type), "Hz");
  EXPECT_EQ(find(specs, "host_b.cpu.cores")->limits.min, 1);
}

TEST(CpuParams, BindingOverridesAndLimits) {
  std::vector<ParamSpec> specs;
  collect_schema<CpuParams>(specs, "cpu.");
  ParamValues values;
  std::string problem;
  auto set = [&](const std::string& key, const std::string& text) {
    const ParamSpec* s = find(specs, key);
    ASSERT_TRUE(s) << key;
    auto v = parse_param(*s, text, problem);
    ASSERT_TRUE(v) << key << ": " << problem;
    values[key] = *v;
  };
  set("cpu.cores", "16");
  set("cpu.clock", "2.5GHz");
  set("cpu.cost.syscall", "700");
  set("cpu.cost.copy_per_byte", "0.5");
  const auto p = bind_params<CpuParams>(values, "cpu.");
  EXPECT_EQ(p.cores, 16);
  EXPECT_EQ(p.clock, Frequency{2'500'000'000});
  EXPECT_EQ(p.costs.syscall, Cycles{700});
  EXPECT_EQ(p.costs.copy_per_byte, 0.5);
  EXPECT_EQ(p.costs.interrupt_entry, CostTable{}.interrupt_entry);  // unset keys keep their defaults
  EXPECT_EQ(p.costs.copy_cycles(1500), Cycles{750});
  EXPECT_EQ(p.costs.checksum_cycles(1501), Cycles{376});  // 375.25 rounds up
  EXPECT_FALSE(parse_param(*find(specs, "cpu.cores"), "0", problem));
  EXPECT_FALSE(parse_param(*find(specs, "cpu.clock"), "3", problem));  // units are mandatory
  EXPECT_FALSE(parse_param(*find(specs, "cpu.cost.cache_miss"), "-1", problem));
}

}  // namespace
}  // namespace hostwire::cpu
