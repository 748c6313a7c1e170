// two_hosts end to end: UDP streams from host_a's send calls through both NICs, the link and
// host_b's NAPI poll to its receive calls, against Ethernet arithmetic and the accounting
// invariants. Each TEST elaborates its own platform, so ctest runs each in its own process;
// tests that compare two runs simulate each in a forked child (SystemC elaborates once per
// process) and read its metrics back through a pipe.
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/scenario.h"
#include "platforms/catalog.h"
#include "support/in_child.h"
#include "support/simulate.h"

using namespace hostwire;

namespace {

using hostwire::testing::in_child;
using hostwire::testing::simulate;

// 1472 B of UDP payload is a 1518 B frame with FCS: 1538 B of line time with preamble and gap.
constexpr double kLineRate = 10e9;
constexpr double kFrameLineBits = (1518 + 20) * 8;
constexpr double kLineGoodput = 1472.0 / 1538.0 * kLineRate;  // 9.5709 Gbit/s

std::string stream(const std::string& duration, const std::string& host_b, const std::string& workload) {
  return "platform: two_hosts\nduration: " + duration + "\nseed: 1\nparameters:\n  link0: {rate: 10Gbps, propagation: 1us}\n" +
         "  host_b: " + host_b + "\nworkloads:\n  - {name: w, type: udp_stream, from: host_a, to: host_b, " + workload + "}\n";
}

// A fast receiver: four 3 GHz cores, four rings, recvmmsg.
const char* kFastReceiver = "{cpu: {cores: 4}, nic: {rings_per_vnic: 4}, udp: {recv_batch: 64}}";

// The counters of host_b's receive path that must add up, and a share check per ring.
void expect_rings_add_up(const hostwire::testing::SimulatedRun& run, int rings) {
  double sum = 0;
  for (int r = 0; r < rings; ++r) sum += run.value("host_b.nic.ring" + std::to_string(r) + ".rx_frames");
  EXPECT_GT(run.value("host_b.nic.mac.rx_frames"), 0);
  EXPECT_EQ(run.value("host_b.nic.rx_frames"), run.value("host_b.nic.mac.rx_frames"));
  EXPECT_EQ(sum + run.value("host_b.nic.rx_dropped_ring_full"), run.value("host_b.nic.mac.rx_frames"));
}

// Runs `yaml` in a child process; returns its metrics (JSON) and broken invariants.
struct ChildRun {
  nlohmann::json metrics;
  std::vector<std::string> broken;
  bool ok = false;
};

ChildRun simulate_in_child(const std::string& yaml) {
  const nlohmann::json j = in_child([&] {
    nlohmann::json out;
    auto run = simulate(yaml);
    if (run.ctx) {
      out["metrics"] = run.ctx->stats().metrics_json();
      out["broken"] = run.ctx->check_invariants();
    }
    return out;
  });
  ChildRun r;
  if (!j.is_object() || !j.contains("metrics")) return r;
  r.metrics = j["metrics"];
  r.broken = j["broken"].get<std::vector<std::string>>();
  r.ok = true;
  return r;
}

// A metric's value in metrics_json(): a number, or an object with a "value".
double metric(const nlohmann::json& metrics, const std::string& name) {
  if (!metrics.contains(name)) return -1;
  const auto& m = metrics[name];
  if (m.is_number()) return m.get<double>();
  if (m.is_object() && m.contains("value") && m["value"].is_number()) return m["value"].get<double>();
  return -1;
}

}  // namespace

TEST(TwoHosts, LineRateUdpWithAFastReceiverReachesTheEthernetGoodputWithoutDrops) {
  auto run = simulate(stream("20ms", kFastReceiver, "flows: 64, payload: 1472B, threads: 2, batch: 16"));
  ASSERT_TRUE(run.ctx);
  // 20 ms / 1230.4 ns = 16,254.9 frame times: the wire is never idle once the sender starts.
  const double frames_on_wire = run.value("link0.a_to_b.frames_in");
  EXPECT_LE(frames_on_wire, 16'255);
  // The first frame leaves after the first sendmmsg of 16 datagrams (16 x 2,091 + 500 cycles at
  // 3 GHz = 11.3 us, about 9 frame times), a doorbell and two DMA reads. Then byte queue limits
  // start from a zero limit and grow at each starved completion: the ramp costs about 70 frame
  // times once (the same 82-frame deficit at 20 ms and 40 ms), after which the wire is never idle.
  EXPECT_GE(frames_on_wire, 16'255 - 100);
  const double received = run.value("workloads.w.rx_datagrams");
  // All but the frames still on the wire or in host_b's rings and sockets at the end were read.
  EXPECT_GE(received, frames_on_wire - 20);
  EXPECT_LE(received, run.value("link0.a_to_b.frames_delivered"));
  // Goodput over the run, within 1 % of 1472/1538 x 10 Gbps (the start-up is well under that).
  EXPECT_NEAR(run.value("workloads.w.rx_goodput"), kLineGoodput, 0.01 * kLineGoodput);
  EXPECT_NEAR(run.value("workloads.w.rx_bytes"), received * 1472, 0.5);
  EXPECT_EQ(run.value("host_b.nic.rx_dropped_ring_full"), 0);
  EXPECT_EQ(run.value("host_b.udp.socket_drops"), 0);
  EXPECT_EQ(run.value("host_a.nic.mac.tx_queue_drops"), 0);
  EXPECT_EQ(run.value("host_b.udp.stray"), 0);
  EXPECT_GE(run.value("workloads.w.tx_datagrams"), frames_on_wire);
}

TEST(TwoHosts, PerRingFramesOfTheReceiverAddUpToWhatItsMacReceivedAndEveryRingGetsAShare) {
  auto run = simulate(stream("2ms", kFastReceiver, "flows: 64, payload: 1472B, threads: 2, batch: 16"));
  ASSERT_TRUE(run.ctx);
  expect_rings_add_up(run, 4);
  const double total = run.value("host_b.nic.mac.rx_frames");
  EXPECT_GT(total, 1000);
  for (int r = 0; r < 4; ++r) {
    const double n = run.value("host_b.nic.ring" + std::to_string(r) + ".rx_frames");
    // 64 flows sent round-robin, Toeplitz-hashed over 4 rings: each ring carries some of them.
    EXPECT_GE(n, total / 16) << "ring " << r;
  }
  EXPECT_TRUE(std::isnan(run.value("host_b.nic.ring4.rx_frames"))) << "only 4 rings";
  EXPECT_EQ(run.value("host_b.nic.rx_dropped_ring_full"), 0);
}

TEST(TwoHosts, SlowReceiverDropsAndTheAccountingStillHolds) {
  auto run = simulate(stream("5ms", "{cpu: {cores: 1, clock: 500MHz}, nic: {rings_per_vnic: 1, rx_ring_size: 256}}",
                             "flows: 8, payload: 1472B, threads: 2, batch: 16"));
  ASSERT_TRUE(run.ctx);  // simulate() has checked every invariant, two_hosts' accounting among them
  expect_rings_add_up(run, 1);
  const double ring_drops = run.value("host_b.nic.rx_dropped_ring_full");
  const double socket_drops = run.value("host_b.udp.socket_drops");
  EXPECT_GT(ring_drops + socket_drops, 0);
  EXPECT_EQ(run.value("host_b.nic.ring0.rx_dropped_full"), ring_drops);
  // The link still runs at line rate; the receiver reads well under it.
  const double delivered = run.value("link0.a_to_b.frames_delivered");
  EXPECT_GE(delivered, 5e-3 * kLineRate / kFrameLineBits - 100);  // 4,063.7 frame times, less the start-up and BQL's ramp
  const double received = run.value("workloads.w.rx_datagrams");
  EXPECT_GT(received, 0);
  EXPECT_LT(received, 0.9 * delivered);
  EXPECT_LT(run.value("workloads.w.rx_goodput"), 0.9 * kLineGoodput);
}

TEST(TwoHosts, FourCoresAndFourRingsReceiveMoreThanOneOfEach) {
  // scenarios/rx_scaling.yaml's settings, 3 ms instead of 20.
  auto scaling = [](int n) {
    return "platform: two_hosts\nduration: 3ms\nseed: 1\nparameters:\n  link0: {rate: 10Gbps, propagation: 1us}\n"
           "  host_a: {cpu: {cores: 4}}\n  host_b: {cpu: {cores: " + std::to_string(n) + ", clock: 1GHz}, nic: "
           "{rings_per_vnic: " + std::to_string(n) + ", rx_ring_size: 512}, udp: {recv_batch: 64}}\n"
           "workloads:\n  - {name: blast, type: udp_stream, from: host_a, to: host_b, flows: 256, payload: 1472B, "
           "threads: 4, batch: 16}\n";
  };
  const ChildRun one = simulate_in_child(scaling(1));
  const ChildRun four = simulate_in_child(scaling(4));
  ASSERT_TRUE(one.ok);
  ASSERT_TRUE(four.ok);
  EXPECT_TRUE(one.broken.empty()) << one.broken.front();
  EXPECT_TRUE(four.broken.empty()) << four.broken.front();
  const double g1 = metric(one.metrics, "workloads.blast.rx_goodput");
  const double g4 = metric(four.metrics, "workloads.blast.rx_goodput");
  ASSERT_GT(g1, 0);
  // One 1 GHz core cannot keep up; four share the flows and approach the link.
  EXPECT_GT(g4, 1.5 * g1) << "1 core/1 ring: " << g1 << " bit/s, 4 cores/4 rings: " << g4 << " bit/s";
  EXPECT_LT(g1, 0.9 * kLineGoodput);
  EXPECT_GT(metric(one.metrics, "host_b.nic.rx_dropped_ring_full") + metric(one.metrics, "host_b.udp.socket_drops"), 0);
}

TEST(TwoHosts, SameScenarioTwiceGivesIdenticalMetrics) {
  const std::string yaml = stream("2ms", "{cpu: {cores: 2, clock: 1GHz}, nic: {rings_per_vnic: 2}}",
                                  "flows: 16, payload: 1000B, pattern: poisson, rate: 8Gbps, threads: 2, batch: 4");
  const ChildRun a = simulate_in_child(yaml);
  const ChildRun b = simulate_in_child(yaml);
  ASSERT_TRUE(a.ok);
  ASSERT_TRUE(b.ok);
  EXPECT_TRUE(a.broken.empty()) << a.broken.front();
  EXPECT_GT(metric(a.metrics, "workloads.w.rx_datagrams"), 100);
  EXPECT_EQ(a.metrics.dump(), b.metrics.dump());
}
