// TCP offload (mechanism D): host_a's bulk conn handed to the NIC's offload engine. Without
// loss the host processes no ACK of the offloaded data, goodput is at the framing limit and the
// host's cycles per byte at most half of software segmentation's; under loss each duplicate-ACK
// episode is one hand-back, the stream arrives intact and tshark finds the sender's frames
// clean; a slow engine is the bottleneck; a full conn table and full NIC memory lose nothing.
// Each simulation runs in its own child process.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/scenario.h"
#include "platforms/catalog.h"
#include "support/in_child.h"
#include "support/scenario_metrics.h"
#include "support/tshark.h"
#include "support/validation_row.h"
#include "support/vcd_reader.h"

using namespace hostwire;
using hostwire::testing::record_validation_row;

namespace {

const std::vector<std::string> kOffloadMetrics = {
    "workloads.bulk.rx_goodput", "workloads.bulk.stream_intact", "workloads.bulk.retransmitted_segments",
    "workloads.bulk.spurious_retransmits", "workloads.bulk.rx_bytes", "workloads.second.stream_intact",
    "host_a.cycles_per_byte_sent", "host_a.tcp.segments_in", "host_a.nic.toe.acks_processed",
    "host_a.nic.toe.offloads", "host_a.nic.toe.hand_backs.duplicate_ack", "host_a.nic.toe.hand_backs.empty",
    "host_a.nic.toe.hand_backs.host", "host_a.nic.toe.hand_backs.timer", "host_a.nic.toe.utilisation",
    "host_a.nic.toe.refused_table_full", "host_a.nic.toe.memory_stalls", "host_a.nic.toe.memory_peak",
    "host_a.nic.toe.segments_out", "host_a.tcp.toe.restore_failed", "host_a.tcp.toe.hand_backs",
    "link0.a_to_b.dropped_loss", "host_b.tcp.duplicate_segments", "host_a.nic.tx_reordered_segments",
    "host_a.tcp.toe.recovery_time"};

// host_a sends to host_b over 10 Gbit/s (1 us propagation) with `parameters` and `workloads`.
nlohmann::json offload_run(const std::string& parameters, const std::string& workloads, const std::string& duration,
                           const std::string& dir = "") {
  const std::string yaml = "platform: two_hosts\nduration: " + duration +
                           "\nseed: 5\nparameters:\n  link0: {rate: 10Gbps, propagation: 1us}\n" + parameters +
                           "workloads:\n" + workloads + (dir.empty() ? "" : "outputs: {pcap: [link0.a_to_b]}\n");
  return hostwire::testing::metrics_in_child(yaml, "offload_test.yaml", kOffloadMetrics, dir);
}

double at(const nlohmann::json& r, const std::string& k) { return r.at(k).is_null() ? -1 : r.at(k).get<double>(); }

const std::string kBulk = "  - {name: bulk, type: tcp_bulk, from: host_a, to: host_b}\n";
const std::string kToe = "  host_a:\n    nic: {tso: false, toe: {enabled: true}}\n    driver: {tx_checksum_offload: false}\n";

}  // namespace

TEST(Offload, WithoutLossTheHostProcessesNoAckAtTheFramingLimitForHalfTheCycles) {
  const auto software = offload_run("  host_a:\n    nic: {tso: false}\n    driver: {tx_checksum_offload: false}\n",
                                    kBulk, "50ms");
  const auto toe = offload_run(kToe, kBulk, "50ms");
  ASSERT_TRUE(software.contains("broken") && toe.contains("broken")) << toe.dump();
  EXPECT_TRUE(toe["broken"].empty()) << toe["broken"].dump();
  EXPECT_EQ(at(toe, "host_a.nic.toe.offloads"), 1);
  EXPECT_GT(at(toe, "host_a.nic.toe.acks_processed"), 10000);
  EXPECT_LE(at(toe, "host_a.tcp.segments_in"), 10);  // the handshake's and before the offload: none after
  EXPECT_GT(at(software, "host_a.tcp.segments_in"), 10000);
  // 1448 of every 1538 bytes on the wire (MSS 1448 with timestamps), within 0.5 %.
  const double limit = 10e9 * 1448 / 1538;
  EXPECT_GT(at(toe, "workloads.bulk.rx_goodput"), 0.995 * limit);
  EXPECT_LT(at(toe, "workloads.bulk.rx_goodput"), limit);
  record_validation_row({"TCP goodput with the send offloaded to the NIC's engine (mechanism D), no loss",
                         "1448/1538 x 10 Gbit/s", "TCP/IP over Ethernet: 1448 B of payload per 1538 B frame time",
                         at(toe, "workloads.bulk.rx_goodput"), limit, 0.005, "bit/s"});
  // Segmentation, checksums and ACK processing moved to the NIC: the host's cost per byte halves.
  EXPECT_LE(at(toe, "host_a.cycles_per_byte_sent"), 0.5 * at(software, "host_a.cycles_per_byte_sent"));
  EXPECT_GT(at(toe, "host_a.nic.toe.utilisation"), 0.2);
  EXPECT_EQ(at(toe, "host_a.nic.toe.hand_backs.duplicate_ack"), 0);
}

TEST(Offload, UnderLossEachDuplicateAckEpisodeIsOneHandBackAndTheStreamArrivesIntact) {
  const std::string dir = (std::filesystem::temp_directory_path() / ("hostwire_offload_" + std::to_string(getpid()))).string();
  std::filesystem::create_directories(dir);
  const auto r = offload_run(kToe + "    tcp: {congestion: newreno}\n  link0.a_to_b: {loss: 0.003}\n",
                             "  - {name: bulk, type: tcp_bulk, from: host_a, to: host_b, bytes: 8MiB}\n", "60ms", dir);
  ASSERT_TRUE(r.contains("broken")) << r.dump();
  EXPECT_TRUE(r["broken"].empty()) << r["broken"].dump();
  EXPECT_EQ(at(r, "workloads.bulk.stream_intact"), 1);  // every byte read, digests equal
  const double episodes = at(r, "host_a.nic.toe.hand_backs.duplicate_ack");
  EXPECT_GE(episodes, 5);
  // Each duplicate-ACK hand-back was followed by the host's own retransmission, once.
  EXPECT_EQ(at(r, "host_a.tcp.toe.recovery_time"), episodes);  // the histogram's count
  EXPECT_EQ(at(r, "host_a.tcp.toe.restore_failed"), 0);
  EXPECT_EQ(at(r, "host_a.tcp.toe.hand_backs"), at(r, "host_a.nic.toe.offloads"));
  // Nothing resent that had arrived, nothing out of order on the wire: no range lost,
  // doubled or reordered across hand-backs.
  EXPECT_EQ(at(r, "workloads.bulk.retransmitted_segments"), at(r, "link0.a_to_b.dropped_loss"));
  EXPECT_EQ(at(r, "workloads.bulk.spurious_retransmits"), 0);
  EXPECT_EQ(at(r, "host_b.tcp.duplicate_segments"), 0);
  EXPECT_EQ(at(r, "host_a.nic.tx_reordered_segments"), 0);
  if (hostwire::testing::tshark_available()) {
    const auto t = hostwire::testing::tshark_analysis(dir + "/link0.a_to_b.pcap");
    ASSERT_TRUE(t.ok);
    EXPECT_EQ(t.malformed, 0);
    EXPECT_EQ(t.spurious_retransmission, 0);
    EXPECT_EQ(t.lost_segment, 0);  // the sender's capture: every sequence range, none skipped
    // tshark's label for each retransmission (out of order, at a 2 us RTT) counts exactly ours.
    EXPECT_EQ(t.any_retransmission, at(r, "workloads.bulk.retransmitted_segments"));
  }
  std::filesystem::remove_all(dir);
}

TEST(Offload, ASlowEngineClockMakesTheNicTheBottleneck) {
  // 100 MHz: 400 cycles a segment is 4 us, about 2.9 Gbit/s of payload at most.
  const auto r = offload_run("  host_a:\n    nic: {tso: false, toe: {enabled: true, clock: 100MHz}}\n", kBulk, "30ms");
  ASSERT_TRUE(r.contains("broken")) << r.dump();
  EXPECT_TRUE(r["broken"].empty()) << r["broken"].dump();
  EXPECT_GT(at(r, "host_a.nic.toe.utilisation"), 0.95);
  EXPECT_LT(at(r, "workloads.bulk.rx_goodput"), 3.0e9);
}

TEST(Offload, AFullConnTableAndFullNicMemoryLoseNothing) {
  // One table entry for two conns: the second stays on the host.
  const auto table = offload_run(
      "  host_a:\n    nic: {toe: {enabled: true, max_conns: 1}}\n",
      "  - {name: bulk, type: tcp_bulk, from: host_a, to: host_b, bytes: 8MiB}\n"
      "  - {name: second, type: tcp_bulk, from: host_a, to: host_b, bytes: 8MiB, core: 1}\n",
      "40ms");
  ASSERT_TRUE(table.contains("broken")) << table.dump();
  EXPECT_TRUE(table["broken"].empty()) << table["broken"].dump();
  EXPECT_GE(at(table, "host_a.nic.toe.refused_table_full"), 1);
  EXPECT_EQ(at(table, "workloads.bulk.stream_intact"), 1);
  EXPECT_EQ(at(table, "workloads.second.stream_intact"), 1);
  // 64 KiB of NIC memory for state and unacknowledged data: new data waits for ACKs.
  const auto memory = offload_run("  host_a:\n    nic: {toe: {enabled: true, memory: 64KiB}}\n",
                                  "  - {name: bulk, type: tcp_bulk, from: host_a, to: host_b, bytes: 8MiB}\n", "40ms");
  ASSERT_TRUE(memory.contains("broken")) << memory.dump();
  EXPECT_TRUE(memory["broken"].empty()) << memory["broken"].dump();
  EXPECT_GT(at(memory, "host_a.nic.toe.memory_stalls"), 0);
  EXPECT_LE(at(memory, "host_a.nic.toe.memory_peak"), 64 * 1024);
  EXPECT_EQ(at(memory, "workloads.bulk.stream_intact"), 1);
  EXPECT_EQ(at(memory, "workloads.bulk.retransmitted_segments"), 0);
}

TEST(Offload, TheEnginesWaveformsShowItsProcessorAndItsMemoryInTimeOrder) {
  // At 1 GHz the engine is busy about half the time, in stretches; its memory holds what is in flight.
  const std::string dir = (std::filesystem::temp_directory_path() / ("hostwire_offload_vcd_" + std::to_string(getpid()))).string();
  std::filesystem::create_directories(dir);
  const std::string yaml =
      "platform: two_hosts\nduration: 2ms\nparameters:\n  link0: {rate: 10Gbps, propagation: 1us}\n"
      "  host_a:\n    nic: {toe: {enabled: true}}\n"
      "workloads:\n  - {name: bulk, type: tcp_bulk, from: host_a, to: host_b}\n";
  const auto r = hostwire::testing::in_child([&]() -> nlohmann::json {
    HostwireCatalog catalog;
    auto l = load_scenario_text(yaml, "offload_vcd_test.yaml", catalog);
    if (!l.scenario) return {};
    SimContext ctx(l.scenario->seed());
    ctx.set_vcd_patterns({"host_a.nic.toe.*"});
    auto top = catalog.build(*l.scenario, ctx);
    std::string error;
    if (!ctx.vcd().open(dir + "/trace.vcd", error)) return {{"error", error}};
    sc_core::sc_start(to_sc(l.scenario->duration()));
    const bool closed = ctx.vcd().close(l.scenario->duration());
    return {{"broken", ctx.check_invariants()}, {"time_errors", ctx.vcd().time_errors()}, {"closed", closed}};
  });
  ASSERT_TRUE(r.contains("broken")) << r.dump();
  EXPECT_TRUE(r["broken"].empty()) << r["broken"].dump();
  EXPECT_EQ(r["time_errors"], 0);  // every change at or after the last: the waveform is in time order
  std::ifstream in(dir + "/trace.vcd");
  std::stringstream text;
  text << in.rdbuf();
  const auto vcd = hostwire::testing::read_vcd(text.str());
  ASSERT_TRUE(vcd.error.empty()) << vcd.error;
  EXPECT_TRUE(std::is_sorted(vcd.times.begin(), vcd.times.end()));  // the writer saw no time go backwards
  const auto busy = vcd.of("host_a.nic.toe.processing");
  ASSERT_GT(busy.size(), 4u);
  int rises = 0;
  for (const auto& [t, v] : busy) rises += v == "1";
  EXPECT_GT(rises, 1);
  const auto memory = vcd.of("host_a.nic.toe.memory_used");
  ASSERT_FALSE(memory.empty());
  EXPECT_NE(memory.back().second, "0");  // data in flight at the end
  std::filesystem::remove_all(dir);
}
