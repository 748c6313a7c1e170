#include "nic/params.h"

#include <algorithm>

#include <gtest/gtest.h>

namespace hostwire::nic {
namespace {

const ParamSpec* find(const std::vector<ParamSpec>& specs, const std::string& key) {
  auto it = std::find_if(specs.begin(), specs.end(), [&](const ParamSpec& s) { return s.key == key; });
  return it == specs.end() ? nullptr : &*it;
}

TEST(NicParams, SchemaListsEveryKeyWithItsUnitAndDefault) {
  std::vector<ParamSpec> specs;
  collect_schema<NicParams>(specs, "a.nic.");
  ASSERT_EQ(specs.size(), 18u);
  const ParamSpec* rules = find(specs, "a.nic.rules");
  ASSERT_TRUE(rules);
  EXPECT_EQ(rules->type, ParamType::List);
  EXPECT_EQ(rules->default_text, "[]");
  EXPECT_EQ(rules->item_fields.size(), 20u);
  const ParamSpec* overrides = find(specs, "a.nic.vnic_overrides");
  ASSERT_TRUE(overrides);
  EXPECT_EQ(overrides->item_fields.size(), 2u);
  const ParamSpec* buffer = find(specs, "a.nic.tx_buffer");
  ASSERT_TRUE(buffer);
  EXPECT_EQ(buffer->type, ParamType::Bytes);
  EXPECT_EQ(buffer->default_text, "160KiB");
  const ParamSpec* tso = find(specs, "a.nic.tso");
  ASSERT_TRUE(tso);
  EXPECT_EQ(tso->type, ParamType::Boolean);
  const ParamSpec* tso_size = find(specs, "a.nic.tso_max_size");
  ASSERT_TRUE(tso_size);
  EXPECT_EQ(tso_size->default_text, "64KiB");
  const ParamSpec* t = find(specs, "a.nic.moderation_time");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->type, ParamType::Time);
  EXPECT_EQ(t->default_text, "16us");
  const ParamSpec* rings = find(specs, "a.nic.rings_per_vnic");
  ASSERT_TRUE(rings);
  EXPECT_EQ(rings->type, ParamType::Integer);
  EXPECT_EQ(rings->limits.max, 128);
  const ParamSpec* key = find(specs, "a.nic.rss_key");
  ASSERT_TRUE(key);
  EXPECT_EQ(key->type, ParamType::Text);
  for (const auto& s : specs) EXPECT_FALSE(s.meaning.empty()) << s.key;
}

TEST(NicParams, DefaultsAreTheMicrosoftKeyAndMlx5Moderation) {
  const NicParams p;
  auto key = p.key();
  ASSERT_TRUE(key.ok()) << key.error();
  EXPECT_EQ(*key, kMicrosoftRssKey);
  const ModerationParams m = p.moderation();
  EXPECT_EQ(m.time_threshold, ModerationParams{}.time_threshold);
  EXPECT_EQ(m.packet_threshold, 32);
  EXPECT_EQ(m.min_interval, Time{});
}

TEST(NicParams, BindingOverridesAndLimits) {
  std::vector<ParamSpec> specs;
  collect_schema<NicParams>(specs, "nic.");
  ParamValues values;
  std::string problem;
  auto set = [&](const std::string& key, const std::string& text) {
    const ParamSpec* s = find(specs, key);
    ASSERT_TRUE(s) << key;
    auto v = parse_param(*s, text, problem);
    ASSERT_TRUE(v) << key << ": " << problem;
    values[key] = *v;
  };
  set("nic.rings_per_vnic", "8");
  set("nic.moderation_time", "50us");
  set("nic.rss_key", std::string(80, '0'));
  const auto p = bind_params<NicParams>(values, "nic.");
  EXPECT_EQ(p.rings_per_vnic, 8);
  EXPECT_EQ(p.moderation().time_threshold, Time::from_us(50));
  EXPECT_EQ(*p.key(), RssKey{});
  EXPECT_FALSE(parse_param(*find(specs, "nic.rx_ring_size"), "1", problem));  // a ring needs 2 slots
  EXPECT_FALSE(parse_param(*find(specs, "nic.moderation_packets"), "0", problem));
  NicParams bad;
  bad.rss_key = "6d5a";
  EXPECT_FALSE(bad.key().ok());
}

}  // namespace
}  // namespace hostwire::nic
