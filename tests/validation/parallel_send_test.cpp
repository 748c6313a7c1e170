// The parallel-send experiment's oracles (mechanism A): goodput for N processing elements
// follows min(N f / c, the link's payload limit) with c the preparation cost per byte; order
// doorbell puts nothing out of order on the wire; order free reorders, and tshark's sequence
// analysis of the capture counts what hostwire counts; the stream survives 1 % loss in every
// mode; one PE is the ordinary send path. Each simulation runs in its own child process.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/scenario.h"
#include "platforms/catalog.h"
#include "support/in_child.h"
#include "support/tshark.h"

using namespace hostwire;
using hostwire::testing::in_child;

namespace {

// host_a sends to host_b over `rate` with the PEs on cores 1..8 (the conn on core 0), software
// segmentation and checksums (the PEs' work is then all per byte), a PCIe Gen4 x16 bus; host_b
// is a receiver that is never the bottleneck (a 30 GHz clock: one conn's receive path is one
// core, and there is no GRO) and acknowledges every 16 segments as a GRO receiver would.
std::string scenario(const std::string& rate, const std::string& parallel, const std::string& extra = "") {
  return "platform: two_hosts\nduration: 1s\nseed: 5\nparameters:\n"
         "  link0: {rate: " + rate + ", propagation: 1us" + extra + "}\n"
         "  host_a:\n"
         "    cpu: {cores: 9}\n    bus: {bandwidth: 252.06Gbps}\n    nic: {rings_per_vnic: 9, tso: false}\n"
         "    driver: {tx_checksum_offload: false}\n"
         "    tcp: {parallel: " + parallel + "}\n"
         "  host_b:\n"
         "    cpu: {clock: 30GHz}\n    bus: {bandwidth: 252.06Gbps}\n    tcp: {ack_every: 16, delayed_ack: 50us}\n";
}

// Runs `yaml` (with `workload` appended) to `end`; the goodput between `warm` and `end` and the
// counters named. `dir`: where captures go.
nlohmann::json run(const std::string& yaml, const std::string& workload, Time warm, Time end,
                   std::vector<std::string> names, const std::string& dir = "") {
  return in_child([&]() -> nlohmann::json {
    HostwireCatalog catalog;
    auto l = load_scenario_text(yaml + "workloads:\n  - " + workload + "\n", "parallel_send_test.yaml", catalog);
    if (!l.scenario) {
      std::fprintf(stderr, "%s\n", l.errors.front().str().c_str());
      return {};
    }
    SimContext ctx(l.scenario->seed());
    if (!dir.empty()) ctx.set_output_dir(dir);
    auto top = catalog.build(*l.scenario, ctx);
    sc_core::sc_start(to_sc(warm));
    const double at_warm = ctx.stats().value("workloads.bulk.rx_bytes");
    sc_core::sc_start(to_sc(end - warm));
    ctx.run_end_hooks();
    nlohmann::json out;
    out["goodput"] = (ctx.stats().value("workloads.bulk.rx_bytes") - at_warm) * 8 / (end - warm).seconds();
    for (const auto& n : names) out[n] = ctx.stats().value(n);
    out["broken"] = ctx.check_invariants();
    return out;
  });
}

const std::string kBulk = "{name: bulk, type: tcp_bulk, from: host_a, to: host_b}";

double v(const nlohmann::json& r, const std::string& k) { return r.at(k).get<double>(); }

std::string temp_dir(const char* what) {
  auto d = std::filesystem::temp_directory_path() / (std::string("hostwire_") + what + "_" + std::to_string(getpid()));
  std::filesystem::create_directories(d);
  return d.string();
}

// tshark's sequence analysis of both directions of the conversation, merged in time order:
// `data` (a tap of host_a's data) with the ACKs as they leave host_b.
hostwire::testing::TcpAnalysis both_directions(const std::string& dir, const std::string& data) {
  const std::string merged = dir + "/" + data + "+acks.pcap";
  if (std::system(("mergecap -w '" + merged + "' '" + dir + "/" + data + ".pcap' '" + dir + "/link0.b_to_a.pcap'")
                      .c_str()) != 0)
    return {};
  return hostwire::testing::tshark_analysis(merged);
}

// The two capture runs: 4 ms at 40 Gbps with 4 PEs in `order`; the data captured where it leaves
// host_a and where it reaches host_b.
nlohmann::json captured(const std::string& order, const std::string& dir, std::vector<std::string> names) {
  return run(scenario("40Gbps", "{pes: 4, first_core: 1, order: " + order + "}") +
                 "outputs: {pcap: [link0.a_to_b, link0.b_to_a, host_b.mac.rx]}\n",
             kBulk, Time::from_ms(1), Time::from_ms(5), std::move(names), dir);
}

}  // namespace

TEST(ParallelSend, GoodputFollowsNTimesClockOverCostUpToTheLink) {
  // 40 Gbps: one 3 GHz core prepares about 16.9 Gbit/s (c = 1.42 cycles/B), so 1 and 2 PEs are
  // CPU-bound and 4 and 8 reach the link's payload limit, 40 x 1448/1538 = 37.66 Gbit/s.
  constexpr double kClock = 3e9, kLink = 40e9 * 1448.0 / 1538.0;
  for (int n : {1, 2, 4, 8}) {
    const auto r = run(scenario("40Gbps", "{pes: " + std::to_string(n) + ", first_core: 1, order: doorbell}"), kBulk,
                       Time::from_ms(8), Time::from_ms(20),
                       {"host_a.tcp.parallel.prep_cycles_per_byte", "host_a.tcp.parallel.serial_share",
                        "host_a.tcp.parallel.chunks", "host_a.cpu.core0.utilisation"});
    ASSERT_TRUE(r.contains("goodput")) << n;
    EXPECT_TRUE(r["broken"].empty()) << r["broken"].dump();
    // c from the cost table: copy 0.3 + checksum 0.25 x (1448 + 32)/1448 per byte, TCP and IP
    // output and the descriptor (800 + 250 + 150) per 1448-byte segment, and per 65160-byte
    // chunk the handover to the PE's core (2000) and the conn's ring lock (300).
    const double c = 0.3 + 0.25 * 1480.0 / 1448.0 + 1200.0 / 1448.0 + 2300.0 / 65160.0;
    EXPECT_NEAR(v(r, "host_a.tcp.parallel.prep_cycles_per_byte"), c, 0.01 * c);
    const double expected = std::min(n * kClock / c * 8, kLink);
    std::printf("pes %d: goodput %.3f Gbit/s, expected min(N f/c, link) = %.3f; serial share %.4f; conn core %.2f\n",
                n, v(r, "goodput") / 1e9, expected / 1e9, v(r, "host_a.tcp.parallel.serial_share"),
                v(r, "host_a.cpu.core0.utilisation"));
    EXPECT_NEAR(v(r, "goodput") / expected, 1.0, 0.05) << n << " PEs";
    EXPECT_GT(v(r, "host_a.tcp.parallel.serial_share"), 0.0);
    EXPECT_LT(v(r, "host_a.tcp.parallel.serial_share"), 0.05);
  }
}

TEST(ParallelSend, OnePeIsTheOrdinarySendPath) {
  // The conn's own core as its one PE: the same work, split into the serial step and the chunk.
  // CPU-bound at 100 Gbps (software segmentation) and link-bound at 10 Gbps (TSO).
  struct Case {
    const char* name;
    std::string yaml;
  };
  const std::string cpu_bound = "platform: two_hosts\nduration: 1s\nseed: 2\nparameters:\n"
                                "  link0: {rate: 100Gbps, propagation: 1us}\n"
                                "  host_a: {nic: {tso: false}, driver: {tx_checksum_offload: false}, tcp: {parallel: ";
  const std::string link_bound = "platform: two_hosts\nduration: 1s\nseed: 2\nparameters:\n"
                                 "  link0: {rate: 10Gbps, propagation: 1us}\n  host_a: {tcp: {parallel: ";
  for (const auto& [name, head] : {std::pair{"cpu-bound", cpu_bound}, std::pair{"link-bound", link_bound}}) {
    const std::string tail = "}}\n  host_b: {cpu: {clock: 30GHz}}\n";
    // From 20 ms on: past slow start and the first swings of CUBIC, which the two paths take at
    // slightly different moments.
    const auto off = run(head + "{pes: 0}" + tail, kBulk, Time::from_ms(20), Time::from_ms(60), {});
    const auto one = run(head + "{pes: 1}" + tail, kBulk, Time::from_ms(20), Time::from_ms(60), {});
    ASSERT_TRUE(off.contains("goodput") && one.contains("goodput"));
    std::printf("%s: parallel off %.4f Gbit/s, one PE %.4f Gbit/s\n", name, v(off, "goodput") / 1e9,
                v(one, "goodput") / 1e9);
    EXPECT_NEAR(v(one, "goodput") / v(off, "goodput"), 1.0, 0.01) << name;
    EXPECT_TRUE(one["broken"].empty()) << one["broken"].dump();
  }
}

TEST(ParallelSend, DoorbellOrderPutsNothingOutOfOrderAndTsharkAgrees) {
  if (!hostwire::testing::tshark_available()) GTEST_SKIP() << "tshark not installed";
  const std::string dir = temp_dir("parallel_doorbell");
  const auto r = captured("doorbell", dir,
                     {"host_a.nic.tx_reordered_segments", "host_b.tcp.out_of_order_segments",
                      "host_b.nic.rx_acked_segments", "workloads.bulk.spurious_retransmits",
                      "workloads.bulk.retransmitted_segments", "host_a.tcp.parallel.doorbell_waits",
                      "host_a.tcp.parallel.chunks"});
  ASSERT_TRUE(r.contains("goodput"));
  EXPECT_EQ(v(r, "host_a.nic.tx_reordered_segments"), 0);
  EXPECT_EQ(v(r, "host_b.tcp.out_of_order_segments"), 0);
  EXPECT_EQ(v(r, "host_b.nic.rx_acked_segments"), 0);
  EXPECT_EQ(v(r, "workloads.bulk.spurious_retransmits"), 0);
  EXPECT_EQ(v(r, "workloads.bulk.retransmitted_segments"), 0);
  EXPECT_GT(v(r, "host_a.tcp.parallel.chunks"), 100);
  const auto t = both_directions(dir, "link0.a_to_b");
  ASSERT_TRUE(t.ok);
  EXPECT_EQ(t.out_of_order, 0);
  EXPECT_EQ(t.spurious_retransmission, 0);
  EXPECT_EQ(t.any_retransmission, 0);
  EXPECT_EQ(t.malformed, 0);
  std::filesystem::remove_all(dir);
}

TEST(ParallelSend, FreeOrderReordersAndTsharkCountsWhatHostwireCounts) {
  if (!hostwire::testing::tshark_available()) GTEST_SKIP() << "tshark not installed";
  const std::string dir = temp_dir("parallel_free");
  const auto r = captured("free", dir,
                     {"host_a.nic.tx_reordered_segments", "host_a.nic.tx_retransmitted_segments",
                      "host_b.tcp.out_of_order_segments", "host_b.tcp.duplicate_segments",
                      "host_b.nic.rx_acked_segments", "workloads.bulk.spurious_retransmits",
                      "workloads.bulk.retransmitted_segments"});
  ASSERT_TRUE(r.contains("goodput"));
  EXPECT_TRUE(r["broken"].empty()) << r["broken"].dump();
  EXPECT_GT(v(r, "host_a.nic.tx_reordered_segments"), 10);
  const auto t = both_directions(dir, "link0.a_to_b");
  const auto at_b = both_directions(dir, "host_b.mac.rx");
  ASSERT_TRUE(t.ok && at_b.ok);
  std::printf("hostwire: reordered %g, retransmitted %g, spurious %g (sender, Eifel), receiver out of order %g, "
              "duplicates %g, arrived acknowledged %g; tshark: out of order %ld, retransmission %ld, spurious %ld (at "
              "host_b's port %ld)\n",
              v(r, "host_a.nic.tx_reordered_segments"), v(r, "host_a.nic.tx_retransmitted_segments"),
              v(r, "workloads.bulk.spurious_retransmits"), v(r, "host_b.tcp.out_of_order_segments"),
              v(r, "host_b.tcp.duplicate_segments"), v(r, "host_b.nic.rx_acked_segments"), t.out_of_order,
              t.retransmission, t.spurious_retransmission, at_b.spurious_retransmission);
  // With both directions in the capture tshark tells a late first transmission (out of order)
  // from a repair (retransmission) as the NIC's monitor does.
  EXPECT_EQ(static_cast<double>(t.out_of_order), v(r, "host_a.nic.tx_reordered_segments"));
  EXPECT_EQ(static_cast<double>(t.retransmission), v(r, "host_a.nic.tx_retransmitted_segments"));
  EXPECT_EQ(v(r, "host_a.nic.tx_retransmitted_segments"), v(r, "workloads.bulk.retransmitted_segments"));
  // Spurious: tshark flags data that arrives after its receiver acknowledged it. At host_b's port
  // (data as it arrives, ACKs as they leave) that is what host_b's NIC counts, exactly; host_b's
  // stack had all of them already (its duplicates), and a few more that arrived while it was
  // still processing the first copy. The sender's Eifel test finds the retransmissions whose
  // original arrived first (it misses one sent within the original's 1 us timestamp tick).
  EXPECT_GT(at_b.spurious_retransmission, 0);
  EXPECT_EQ(static_cast<double>(at_b.spurious_retransmission), v(r, "host_b.nic.rx_acked_segments"));
  EXPECT_LE(v(r, "host_b.nic.rx_acked_segments"), v(r, "host_b.tcp.duplicate_segments"));
  EXPECT_LE(v(r, "workloads.bulk.spurious_retransmits"), v(r, "host_b.tcp.duplicate_segments"));
  EXPECT_GE(v(r, "workloads.bulk.spurious_retransmits"), 0.9 * v(r, "host_b.tcp.duplicate_segments"));
  EXPECT_LE(t.spurious_retransmission, at_b.spurious_retransmission);
  EXPECT_LE(v(r, "workloads.bulk.spurious_retransmits"), v(r, "host_b.tcp.duplicate_segments"));
  EXPECT_GE(v(r, "workloads.bulk.spurious_retransmits"), 0.9 * v(r, "host_b.tcp.duplicate_segments"));
  EXPECT_EQ(t.malformed, 0);
  std::filesystem::remove_all(dir);
}

TEST(ParallelSend, TheStreamArrivesIntactInEveryModeUnderOnePercentLoss) {
  for (const char* order : {"free", "doorbell"}) {
    for (const char* assign : {"round_robin", "least_loaded"}) {
      const auto r = run(scenario("40Gbps", std::string("{pes: 4, first_core: 1, order: ") + order +
                                                ", assign: " + assign + "}",
                                  ", a_to_b: {loss: 0.01}"),
                         "{name: bulk, type: tcp_bulk, from: host_a, to: host_b, bytes: 8MB}", Time::from_ms(1),
                         Time::from_ms(400),
                         {"workloads.bulk.stream_intact", "workloads.bulk.rx_bytes",
                          "workloads.bulk.retransmitted_segments", "link0.a_to_b.dropped_loss",
                          "host_a.tcp.parallel.chunks"});
      ASSERT_TRUE(r.contains("goodput")) << order;
      EXPECT_TRUE(r["broken"].empty()) << order << " " << assign << ": " << r["broken"].dump();
      EXPECT_EQ(v(r, "workloads.bulk.stream_intact"), 1) << order << " " << assign;
      EXPECT_EQ(v(r, "workloads.bulk.rx_bytes"), 8e6) << order << " " << assign;
      EXPECT_GT(v(r, "link0.a_to_b.dropped_loss"), 20) << order;
      EXPECT_GE(v(r, "workloads.bulk.retransmitted_segments"), v(r, "link0.a_to_b.dropped_loss")) << order;
    }
  }
}
