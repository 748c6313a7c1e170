#include "nic/rule_params.h"

#include <string>

#include <gtest/gtest.h>

namespace hostwire::nic {
namespace {

std::string problem_of(const RuleParams& p) {
  std::string field, problem;
  EXPECT_FALSE(plan_rule(p, field, problem));
  return field + ": " + problem;
}

TEST(RuleParams, EveryMatchFieldAndActionBecomesTheClassifierRule) {
  RuleParams p;
  p.priority = -3;
  p.dst_mac = "02:00:00:00:00:02";
  p.src_mac = "02:00:00:00:00:00/ff:ff:ff:00:00:00";
  p.vlan = 100;
  p.dst_ip = "10.0.0.2";
  p.src_ip = "10.0.1.0/24";
  p.protocol = "tcp";
  p.dst_port = "5000-5999";
  p.src_port = "40000";
  p.dscp = 46;
  p.action = "to_ring";
  p.target = 3;
  p.mirror = 1;
  p.both_directions = true;
  p.sample = 10;
  p.snap = Bytes{96};
  p.at = Time::from_ms(2);
  p.until = Time::from_ms(5);
  std::string field, problem;
  const auto plan = plan_rule(p, field, problem);
  ASSERT_TRUE(plan) << field << ": " << problem;
  const Match& m = plan->rule.match;
  EXPECT_EQ(plan->rule.priority, -3);
  EXPECT_EQ(m.dst_mac->addr, (net::MacAddress{2, 0, 0, 0, 0, 2}));
  EXPECT_EQ(m.src_mac->mask, (net::MacAddress{0xff, 0xff, 0xff, 0, 0, 0}));
  EXPECT_TRUE(m.vlan->tagged);
  EXPECT_EQ(m.vlan->vid, 100);
  EXPECT_EQ(m.dst_ip->addr, net::Ipv4Address::from_octets(10, 0, 0, 2));
  EXPECT_EQ(m.dst_ip->length, 32);
  EXPECT_EQ(m.src_ip->length, 24);
  EXPECT_EQ(*m.ip_protocol, 6);
  EXPECT_EQ(m.dst_port->first, 5000);
  EXPECT_EQ(m.dst_port->last, 5999);
  EXPECT_EQ(m.src_port->first, 40000);
  EXPECT_EQ(m.src_port->last, 40000);
  EXPECT_EQ(*m.dscp, 46);
  EXPECT_EQ(plan->rule.action.kind, Action::Kind::to_ring);
  EXPECT_EQ(plan->rule.action.target, 3);
  EXPECT_EQ(*plan->rule.action.mirror_vnic, 1);
  EXPECT_TRUE(plan->both_directions);
  EXPECT_EQ(plan->sample, 10u);
  EXPECT_EQ(plan->snap, 96u);
  EXPECT_EQ(plan->at, Time::from_ms(2));
  EXPECT_EQ(plan->until, Time::from_ms(5));
}

TEST(RuleParams, AnEmptyRuleMatchesEverythingOnTheDefaultPath) {
  std::string field, problem;
  const auto plan = plan_rule(RuleParams{}, field, problem);
  ASSERT_TRUE(plan);
  EXPECT_FALSE(plan->rule.match.dst_ip || plan->rule.match.vlan || plan->rule.match.dscp || plan->rule.match.ip_protocol);
  EXPECT_EQ(plan->rule.action.kind, Action::Kind::pass);
  EXPECT_FALSE(plan->rule.action.mirror_vnic);
  RuleParams untagged;
  untagged.vlan = 0;
  EXPECT_FALSE(plan_rule(untagged, field, problem)->rule.match.vlan->tagged);
}

TEST(RuleParams, BadFieldsAreNamedWithTheReason) {
  RuleParams p;
  p.dst_ip = "10.0.0.256";
  EXPECT_EQ(problem_of(p), "dst_ip: '10.0.0.256' is not an IPv4 address or prefix (10.0.0.1, 10.0.0.0/24)");
  p = {};
  p.src_ip = "10.0.0.0/33";
  EXPECT_EQ(problem_of(p), "src_ip: '10.0.0.0/33' is not an IPv4 address or prefix (10.0.0.1, 10.0.0.0/24)");
  p = {};
  p.dst_mac = "02:00:00:00:00";
  EXPECT_EQ(problem_of(p), "dst_mac: '02:00:00:00:00' is not a MAC address (02:00:00:00:00:01) or address/mask");
  p = {};
  p.protocol = "tcp";
  p.dst_port = "90-80";
  EXPECT_EQ(problem_of(p), "dst_port: '90-80' is not a port (0-65535) or an inclusive range first-last");
  p = {};
  p.src_port = "80";
  EXPECT_EQ(problem_of(p), "src_port: ports need protocol tcp or udp");
  p = {};
  p.snap = Bytes{64};
  EXPECT_EQ(problem_of(p), "snap: applies to the mirror copy: the rule needs a mirror VNIC or erspan_to");
  p.erspan_to = "10.1.0.300";
  EXPECT_EQ(problem_of(p), "erspan_to: '10.1.0.300' is not an IPv4 address (10.1.0.3)");
  p.erspan_to = "10.1.0.3";
  std::string field, problem;
  const auto plan = plan_rule(p, field, problem);  // a remote copy is a mirror copy too
  ASSERT_TRUE(plan) << field << ": " << problem;
  EXPECT_EQ(plan->erspan_to, net::parse_ipv4("10.1.0.3"));
  EXPECT_EQ(plan->snap, 64u);
  p = {};
  p.mirror = 1;
  p.snap = Bytes{10};
  EXPECT_EQ(problem_of(p), "snap: a copy needs at least its 14-byte Ethernet header");
  p = {};
  p.at = Time::from_ms(3);
  p.until = Time::from_ms(3);
  EXPECT_EQ(problem_of(p), "until: the rule is removed before it is installed (at)");
}

TEST(RuleParams, DscpMatchesTheTosBytesUpperSixBits) {
  Classifier c;
  ASSERT_TRUE(c.add_vnic(Vnic{{2, 0, 0, 0, 0, 1}, 0, 4, std::nullopt}));
  RuleParams p;
  p.dscp = 46;  // EF
  p.action = "drop";
  std::string field, problem;
  ASSERT_TRUE(c.add_rule(plan_rule(p, field, problem)->rule));
  FlowKey k;
  k.dst_mac = mac_bits({2, 0, 0, 0, 0, 1});
  k.layers = layer::ipv4;
  k.dscp = 46;
  EXPECT_TRUE(c.classify(k).drop);
  k.dscp = 0;
  EXPECT_FALSE(c.classify(k).drop);
  k.dscp = 46;
  k.layers = 0;  // not IPv4: no DSCP to match
  EXPECT_FALSE(c.classify(k).drop);
}

}  // namespace
}  // namespace hostwire::nic
