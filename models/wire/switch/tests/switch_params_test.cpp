// SwitchParams as a platform registers it: every key under the switch's prefix, with its
// unit and default.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "core/params.h"
#include "wire/switch/switch_params.h"

using namespace hostwire;

TEST(SwitchParams, SchemaListsEveryKeyWithItsDefault) {
  std::vector<ParamSpec> specs;
  collect_schema<wire::SwitchParams>(specs, "switch0.");
  std::map<std::string, std::string> defaults;
  for (const auto& s : specs) defaults[s.key] = s.default_text;
  const std::map<std::string, std::string> expected{
      {"switch0.ports", "8"},
      {"switch0.egress_buffer", "512KiB"},
      {"switch0.mode", "store_and_forward"},
      {"switch0.forwarding_latency", "500ns"},
      {"switch0.learning", "false"},
      {"switch0.cut_through_bytes", "64B"},
  };
  EXPECT_EQ(defaults, expected);
}

TEST(SwitchParams, BindsValuesFromAScenario) {
  ParamValues values;
  values["switch0.mode"].text = "cut_through";
  values["switch0.egress_buffer"].text = "16KiB";
  values["switch0.egress_buffer"].integer = 16384;
  auto p = bind_params<wire::SwitchParams>(values, "switch0.");
  EXPECT_TRUE(p.cut_through());
  EXPECT_EQ(p.egress_buffer.n, 16384);
  EXPECT_EQ(p.ports, 8);
}
