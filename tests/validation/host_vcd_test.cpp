// A host's waveforms as an architect reads them, from one bulk TCP run written to a VCD and
// read back: the conn's cwnd, ssthresh and srtt, the TX ring filling before the doorbell, the
// MSI-X line at the moderation count or timer, NAPI and ksoftirqd states and core priorities
// by name, DMA in flight. The file converts with GTKWave's vcd2fst.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include <gtest/gtest.h>

#include "core/scenario.h"
#include "platforms/catalog.h"
#include "support/vcd_reader.h"

using namespace hostwire;

namespace {

using HostVcdChanges = std::vector<std::pair<int64_t, std::string>>;

// The value a signal holds just before time t (its last change earlier than t).
std::string host_vcd_before(const HostVcdChanges& c, int64_t t) {
  std::string v;
  for (const auto& [at, value] : c)
    if (at < t) v = value;
  return v;
}

int64_t host_vcd_first(const HostVcdChanges& c, const std::string& value, int64_t after = -1) {
  for (const auto& [at, v] : c)
    if (at > after && v == value) return at;
  return -1;
}

// Times the 1-bit signal rises (0 -> 1), in order.
std::vector<int64_t> host_vcd_rises(const HostVcdChanges& c) {
  std::vector<int64_t> out;
  for (size_t i = 1; i < c.size(); ++i)
    if (c[i].second == "1" && c[i - 1].second == "0") out.push_back(c[i].first);
  return out;
}

uint64_t host_vcd_number(const std::string& bits) { return bits.empty() ? 0 : std::stoull(bits, nullptr, 2); }

}  // namespace

TEST(HostVcd, ConnEnginesRingsInterruptsAndNapiAtKnownTimes) {
  HostwireCatalog catalog;
  // host_b: an interrupt per 4 completions or 200 us after the first; a small netdev_budget so
  // polls past it go to ksoftirqd. host_a: 4 segments of initial window, MSS 1460 (no timestamps).
  auto r = load_scenario_text(
      "platform: two_hosts\nduration: 3ms\nseed: 1\nparameters:\n"
      "  link0: {rate: 10Gbps, propagation: 1us}\n"
      "  host_a: {tcp: {initial_window: 4, timestamps: false}}\n"
      "  host_b: {nic: {moderation_packets: 4, moderation_time: 200us}, driver: {netdev_budget: 8},"
      " tcp: {timestamps: false}}\n"
      "workloads:\n  - {name: bulk, type: tcp_bulk, from: host_a, to: host_b}\n",
      "host_vcd.yaml", catalog);
  ASSERT_TRUE(r.scenario) << r.errors.front().str();
  SimContext ctx(r.scenario->seed());
  auto top = catalog.build(*r.scenario, ctx);
  const std::string path = ::testing::TempDir() + "host_vcd_test.vcd";
  std::string error;
  ASSERT_TRUE(ctx.vcd().open(path, error)) << error;
  sc_core::sc_start(to_sc(r.scenario->duration()));
  ASSERT_TRUE(ctx.vcd().close(now()));
  EXPECT_EQ(ctx.vcd().time_errors(), 0u);
  std::ifstream in(path);
  const auto trace = hostwire::testing::read_vcd(std::string(std::istreambuf_iterator<char>(in), {}));
  ASSERT_EQ(trace.error, "");

  // --- the sender's engine: the first RTT sample is the handshake's.
  const auto srtt = trace.of("host_a.tcp.conn1.srtt");
  const auto cwnd = trace.of("host_a.tcp.conn1.cwnd");
  const auto ssthresh = trace.of("host_a.tcp.conn1.ssthresh");
  ASSERT_GE(srtt.size(), 2u);
  const int64_t sampled = srtt[1].first;  // srtt leaves 0 at the SYN-ACK
  const uint64_t first_srtt = host_vcd_number(srtt[1].second);
  // The SYN's first bit on a_to_b and the SYN-ACK's last bit arriving back bound the RTT.
  const int64_t syn_on_wire = host_vcd_first(trace.of("link0.a_to_b.transmitting"), "1");
  const int64_t synack_last_bit = host_vcd_first(trace.of("link0.b_to_a.transmitting"), "0", 0);
  ASSERT_GT(syn_on_wire, -1);
  ASSERT_GT(synack_last_bit, syn_on_wire);
  EXPECT_GE(static_cast<int64_t>(first_srtt), synack_last_bit + 1'000'000 - syn_on_wire);
  EXPECT_LE(static_cast<int64_t>(first_srtt), sampled);
  // After the handshake: cwnd is the initial window, 4 x MSS 1460; ssthresh "arbitrarily high".
  EXPECT_EQ(host_vcd_number(host_vcd_before(cwnd, sampled + 1)), 4u * 1460u);
  EXPECT_EQ(host_vcd_number(host_vcd_before(ssthresh, sampled + 1)), 0xffffffffu);
  // Slow start: cwnd grows past the initial window within the run.
  EXPECT_GT(host_vcd_number(cwnd.back().second), 4u * 1460u);
  // The bulk writer keeps its socket's send buffer non-empty.
  const auto sndbuf = trace.of("host_a.tcp.conn1.send_buffer_bytes");
  EXPECT_TRUE(std::any_of(sndbuf.begin(), sndbuf.end(), [](const auto& c) { return host_vcd_number(c.second) > 0; }));
  // Nothing flows back: the sender's receive buffer stays empty.
  EXPECT_EQ(trace.of("host_a.tcp.conn1.receive_buffer_bytes"), (HostVcdChanges{{0, "0"}}));
  // host_b's conn1 is the listener (built before the run: its engine is not traced); the conn
  // it accepts during the run, conn2, has no signals (VCD declarations precede the run).
  EXPECT_EQ(trace.of("host_b.tcp.conn1.cwnd"), (HostVcdChanges{{0, "0"}}));
  EXPECT_EQ(trace.vars.count("host_b.tcp.conn2.cwnd"), 0u);

  // --- transmit: the driver posts (ring occupancy rises), then rings the doorbell (an MMIO write
  // downstream), then the NIC reads the descriptor (a DMA read in flight).
  int ring = -1;
  for (int i = 0; i < 8 && ring < 0; ++i)
    if (trace.of("host_a.nic.ring" + std::to_string(i) + ".tx_occupancy").size() > 1) ring = i;
  ASSERT_GE(ring, 0);
  const auto tx_occupancy = trace.of("host_a.nic.ring" + std::to_string(ring) + ".tx_occupancy");
  const int64_t posted = tx_occupancy[1].first;
  EXPECT_EQ(tx_occupancy[1].second, "1");
  const int64_t doorbell = host_vcd_first(trace.of("host_a.bus.downstream.transferring"), "1");
  const int64_t descriptor_read = host_vcd_first(trace.of("host_a.bus.dma_reads_in_flight"), "1");
  EXPECT_LE(posted, doorbell);
  EXPECT_LT(doorbell, descriptor_read);
  EXPECT_EQ(host_vcd_before(tx_occupancy, descriptor_read + 1), "1");  // still posted while the NIC reads it
  for (const auto& [t, v] : tx_occupancy) EXPECT_LT(host_vcd_number(v), 512u) << t;  // tx_ring_size

  // --- receive interrupts on host_b: every assertion of the MSI-X line is the 4th pending
  // completion, the moderation timer expiring (200 us after the first pending one), or the driver's
  // unmask finding completions already pending.
  int vector = -1;
  for (int i = 0; i < 8 && vector < 0; ++i)
    if (host_vcd_rises(trace.of("host_b.nic.msix" + std::to_string(i) + ".raised")).size() > 2) vector = i;
  ASSERT_GE(vector, 0);
  const std::string msix = "host_b.nic.msix" + std::to_string(vector);
  const auto raised = trace.of(msix + ".raised");
  const auto pending = trace.of(msix + ".pending");
  const auto timer = trace.of(msix + ".moderation_timer");
  int by_count = 0, by_timer = 0, at_unmask = 0;
  int64_t lowered = 0;  // the last time the driver unmasked the vector
  for (size_t i = 1; i < raised.size(); ++i) {
    const int64_t t = raised[i].first;
    if (raised[i].second != "1") {
      lowered = t;
      continue;
    }
    // What happened since the unmask: the most completions pending, the first arming of the timer.
    uint64_t most = 0;
    for (const auto& [at, v] : pending)
      if (at >= lowered && at < t) most = std::max(most, host_vcd_number(v));
    const int64_t armed = host_vcd_first(timer, "1", lowered - 1);
    if (raised[i - 1].first == t) {  // lowered by the unmask and raised again in the same instant
      ++at_unmask;
    } else if (most >= 3) {  // the 4th completion raised it (the pending count clears with it)
      ++by_count;
    } else {
      ASSERT_GE(armed, lowered) << "an assertion at " << t << " ps with " << most << " pending and no timer";
      // From the first pending completion's write-back, which lands a little after it was armed.
      EXPECT_GE(t - armed, 200'000'000) << t;
      EXPECT_LT(t - armed, 201'000'000) << t;
      ++by_timer;
    }
  }
  EXPECT_GT(by_count, 0);
  EXPECT_GT(by_timer, 0);  // the SYN waits alone for the timer
  std::printf("msix%d: %d assertions at the count, %d by the timer, %d at an unmask\n", vector, by_count, by_timer,
              at_unmask);

  // --- NAPI and ksoftirqd by name: scheduled after the interrupt, then polling, then idle.
  const auto napi = trace.of("host_b.driver.napi" + std::to_string(vector) + ".state");
  ASSERT_EQ(trace.vars.at("host_b.driver.napi" + std::to_string(vector) + ".state").type, "string");
  std::set<std::string> names;
  for (const auto& [t, v] : napi) names.insert(v);
  EXPECT_EQ(names, (std::set<std::string>{"idle", "scheduled", "polling"}));
  EXPECT_EQ(napi.front().second, "idle");
  EXPECT_GT(host_vcd_first(napi, "scheduled"), host_vcd_rises(raised).front());
  for (size_t i = 1; i < napi.size(); ++i) {
    if (napi[i].second == "polling") EXPECT_EQ(napi[i - 1].second, "scheduled") << napi[i].first;
    if (napi[i].second == "idle") EXPECT_EQ(napi[i - 1].second, "polling") << napi[i].first;
  }
  const auto ksoftirqd = trace.of("host_b.driver.ksoftirqd" + std::to_string(vector % 4) + ".state");
  EXPECT_GT(host_vcd_first(ksoftirqd, "runnable"), 0);  // past netdev_budget the poll is deferred
  EXPECT_GT(host_vcd_first(ksoftirqd, "running"), host_vcd_first(ksoftirqd, "runnable"));

  std::set<std::string> priorities;
  for (const auto& [t, v] : trace.of("host_b.cpu.core" + std::to_string(vector % 4) + ".priority")) priorities.insert(v);
  EXPECT_TRUE(priorities.count("irq") && priorities.count("softirq") && priorities.count("idle"));

  // --- DMA: frames written into host_b's memory, descriptors read from host_a's.
  const auto writes = trace.of("host_b.bus.dma_writes_in_flight");
  EXPECT_TRUE(std::any_of(writes.begin(), writes.end(), [](const auto& c) { return host_vcd_number(c.second) > 0; }));
  EXPECT_EQ(host_vcd_number(trace.of("host_a.bus.dma_reads_in_flight").front().second), 0u);

  if (std::system("command -v vcd2fst > /dev/null 2>&1") != 0) GTEST_SKIP() << "vcd2fst (gtkwave) not installed";
  const std::string fst = path + ".fst";
  EXPECT_EQ(std::system(("vcd2fst -v '" + path + "' -f '" + fst + "' > /dev/null 2>&1").c_str()), 0);
  EXPECT_GT(std::filesystem::file_size(fst), 0u);
}
