// Classifier rules from a scenario (host_b.nic.rules), checked against the link's own frame
// counts: a mirror rule installed at time t copies nothing before t and every matching frame
// (received, and sent with both_directions) from t until its removal; 1-in-N sampling keeps a
// share within statistical bounds of 1/N; a drop rule drops exactly the flow's frames in its
// window. Each simulation runs in its own child process.
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/scenario.h"
#include "platforms/catalog.h"
#include "support/in_child.h"

using namespace hostwire;
using hostwire::testing::in_child;

namespace {

// A request/response conversation host_a -> host_b for 6 ms with `rule` on host_b's NIC (two
// VNICs: the copies go to VNIC 1, whose netdev no one reads, so the driver counts them there);
// the counters named, sampled every 0.5 ms.
nlohmann::json sampled(const std::string& rule, const std::vector<std::string>& names) {
  const std::string yaml =
      "platform: two_hosts\nduration: 6ms\nseed: 4\nparameters:\n  link0: {rate: 10Gbps, propagation: 1us}\n"
      "  host_b:\n    nic:\n      vnics: 2\n      rules:\n        - " + rule + "\n"
      "workloads:\n  - {name: rr, type: tcp_rr, from: host_a, to: host_b}\n";
  return in_child([&]() -> nlohmann::json {
    HostwireCatalog catalog;
    auto l = load_scenario_text(yaml, "classifier_rules_test.yaml", catalog);
    if (!l.scenario) {
      std::fprintf(stderr, "%s\n", l.errors.front().str().c_str());
      return {};
    }
    SimContext ctx(l.scenario->seed());
    auto top = catalog.build(*l.scenario, ctx);
    nlohmann::json out = nlohmann::json::array();
    for (int step = 1; step <= 12; ++step) {
      sc_core::sc_start(to_sc(Time::from_us(500)));
      nlohmann::json row;
      for (const auto& n : names) row[n] = ctx.stats().value(n);
      out.push_back(row);
    }
    if (auto broken = ctx.check_invariants(); !broken.empty()) return {{"broken", broken}};
    return out;
  });
}

double at(const nlohmann::json& rows, int step, const std::string& k) { return rows.at(step - 1).at(k).get<double>(); }

const std::vector<std::string> kCounters = {"host_b.nic.rule0.matched", "host_b.nic.rule0.mirrored",
                                            "host_b.driver.netdev1.rx_frames", "link0.a_to_b.frames_delivered",
                                            "link0.b_to_a.frames_in", "host_b.nic.rule0.sampled_out",
                                            "host_b.nic.rx_dropped_rule"};

}  // namespace

TEST(ClassifierRules, AMirrorInstalledAtTCopiesEveryFrameOfTheFlowUntilItIsRemoved) {
  // Installed at 1.5 ms, removed at 4.5 ms; every frame host_b receives or sends is of the flow.
  const auto r = sampled("{src_ip: 10.0.0.1, protocol: tcp, mirror: 1, both_directions: true, at: 1.5ms, until: 4.5ms}",
                         kCounters);
  ASSERT_TRUE(r.is_array()) << r.dump();
  for (int s : {1, 2, 3}) {  // 0.5 .. 1.5 ms
    EXPECT_EQ(at(r, s, "host_b.nic.rule0.matched"), 0) << s;
    EXPECT_EQ(at(r, s, "host_b.driver.netdev1.rx_frames"), 0) << s;
  }
  const auto frames = [&](int s) { return at(r, s, "link0.a_to_b.frames_delivered") + at(r, s, "link0.b_to_a.frames_in"); };
  // Every frame through host_b's port between 1.5 and 4.5 ms, in and out.
  const double window = frames(9) - frames(3);
  EXPECT_GT(window, 100);
  EXPECT_NEAR(at(r, 9, "host_b.nic.rule0.matched"), window, 2);  // a frame on the wire at either edge
  EXPECT_EQ(at(r, 9, "host_b.nic.rule0.mirrored"), at(r, 9, "host_b.nic.rule0.matched"));
  EXPECT_EQ(at(r, 12, "host_b.driver.netdev1.rx_frames"), at(r, 12, "host_b.nic.rule0.mirrored"));
  for (int s : {10, 11, 12}) EXPECT_EQ(at(r, s, "host_b.nic.rule0.matched"), at(r, 9, "host_b.nic.rule0.matched")) << s;
  EXPECT_GT(frames(12), frames(9) + 50);  // the flow went on after the removal
}

TEST(ClassifierRules, SamplingOneInNKeepsAShareWithinItsBinomialBounds) {
  for (int n : {2, 4, 10}) {
    const auto r = sampled("{src_ip: 10.0.0.1, mirror: 1, both_directions: true, sample: " + std::to_string(n) + "}",
                           kCounters);
    ASSERT_TRUE(r.is_array()) << r.dump();
    const double matched = at(r, 12, "host_b.nic.rule0.matched"), kept = at(r, 12, "host_b.nic.rule0.mirrored");
    const double p = 1.0 / n, sigma = std::sqrt(matched * p * (1 - p));
    EXPECT_GT(matched, 200);
    EXPECT_NEAR(kept, matched * p, 4 * sigma) << "1 in " << n;
    EXPECT_EQ(kept + at(r, 12, "host_b.nic.rule0.sampled_out"), matched);
  }
}

TEST(ClassifierRules, ADropRuleDropsTheFlowsFramesInItsWindowOnly) {
  // host_a's segments to host_b dropped from 2 ms to 2.5 ms: TCP recovers after.
  const auto r = sampled("{src_ip: 10.0.0.1, protocol: tcp, dst_port: \"5201\", action: drop, at: 2ms, until: 2.5ms}",
                         kCounters);
  ASSERT_TRUE(r.is_array()) << r.dump();
  EXPECT_EQ(at(r, 4, "host_b.nic.rx_dropped_rule"), 0);
  const double dropped = at(r, 12, "host_b.nic.rx_dropped_rule");
  EXPECT_GT(dropped, 0);
  EXPECT_EQ(at(r, 5, "host_b.nic.rx_dropped_rule"), dropped);  // nothing after 2.5 ms
  EXPECT_EQ(dropped, at(r, 12, "host_b.nic.rule0.matched"));
}
