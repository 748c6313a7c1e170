// The host's layers as an architect checks them: TCP small queues and byte queue limits bound
// what sits below a conn, a request/response message leaves in one segment, checksum offload
// is honoured by TCP, and the star platform carries many clients and incast with every frame
// accounted for. Each simulation runs in its own process (SystemC elaborates once).
#include <cstdio>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/scenario.h"
#include "net/frame.h"
#include "net/pcap.h"
#include "platforms/catalog.h"
#include "support/in_child.h"
#include "support/simulate.h"

using namespace hostwire;
using hostwire::testing::in_child;
using hostwire::testing::simulate;

namespace {

// Simulates `yaml` in a child process and returns the named metrics (and the invariants broken).
nlohmann::json metrics_of(const std::string& yaml, const std::vector<std::string>& names) {
  return in_child([&] {
    auto run = simulate(yaml);
    nlohmann::json out;
    if (!run.ctx) return out;
    for (const auto& n : names) out[n] = run.value(n);
    out["broken"] = run.ctx->check_invariants();
    return out;
  });
}

std::string bulk(const std::string& host_a, const std::string& duration = "40ms") {
  return "platform: two_hosts\nduration: " + duration +
         "\nparameters:\n  link0: {rate: 10Gbps, propagation: 1us}\n  host_a: " + host_a +
         "\nworkloads:\n  - {name: bulk, type: tcp_bulk, from: host_a, to: host_b}\n";
}

const std::vector<std::string> kBulkMetrics = {
    "workloads.bulk.srtt", "workloads.bulk.rx_goodput", "workloads.bulk.bytes_below_peak",
    "host_a.tcp.tsq_throttled", "host_a.driver.txq0.ring_bytes_peak", "host_a.driver.txq0.bql_limit_peak",
    "host_a.driver.qdisc_enqueued", "host_a.cycles_per_byte_sent"};

}  // namespace

TEST(TcpSmallQueues, BoundTheBytesBelowAConnAndWithThemItsRtt) {
  const auto linux = metrics_of(bulk("{tcp: {limit_output_bytes: 1MiB}}"), kBulkMetrics);
  const auto small = metrics_of(bulk("{tcp: {limit_output_bytes: 256KiB}}"), kBulkMetrics);
  const auto off = metrics_of(bulk("{tcp: {limit_output_bytes: 0B}}"), kBulkMetrics);
  ASSERT_TRUE(linux.contains("workloads.bulk.srtt") && small.contains("workloads.bulk.srtt") && off.contains("workloads.bulk.srtt"));
  for (const auto* r : {&linux, &small, &off}) EXPECT_TRUE((*r)["broken"].empty()) << (*r)["broken"].dump();
  // A segment leaves while what is below does not exceed the limit: at most one 64 KiB
  // super-frame (and its headers) over it.
  const double superframe = 65536 + 100;
  EXPECT_LE(linux["workloads.bulk.bytes_below_peak"].get<double>(), (1 << 20) + superframe);
  EXPECT_GT(linux["workloads.bulk.bytes_below_peak"].get<double>(), (1 << 20) - superframe);
  EXPECT_LE(small["workloads.bulk.bytes_below_peak"].get<double>(), (256 << 10) + superframe);
  EXPECT_GT(linux["host_a.tcp.tsq_throttled"].get<double>(), 0);
  EXPECT_EQ(off["host_a.tcp.tsq_throttled"].get<double>(), 0);
  // Without TSQ the send buffer's 4 MiB queue up below the conn (srtt ~3.5 ms); with Linux's
  // 1 MiB it is about 1 MiB at 10 Gbps, 0.89 ms, plus the path; a quarter of it, about a quarter.
  const double s_linux = linux["workloads.bulk.srtt"].get<double>(), s_small = small["workloads.bulk.srtt"].get<double>(),
               s_off = off["workloads.bulk.srtt"].get<double>();
  std::printf("srtt: no TSQ %.3f ms, 1 MiB %.3f ms, 256 KiB %.3f ms\n", s_off * 1e3, s_linux * 1e3, s_small * 1e3);
  EXPECT_GT(s_off, 3e-3);
  EXPECT_LT(s_linux, 1.1e-3);
  EXPECT_LT(s_small, 0.5 * s_linux);
  // Goodput does not pay for it.
  const double g = off["workloads.bulk.rx_goodput"].get<double>();
  EXPECT_NEAR(linux["workloads.bulk.rx_goodput"].get<double>(), g, 1e-3 * g);
  EXPECT_NEAR(small["workloads.bulk.rx_goodput"].get<double>(), g, 1e-3 * g);
}

TEST(ByteQueueLimits, HoldTheTxRingToTheLimitAndTheRestInTheQdisc) {
  const auto on = metrics_of(bulk("{tcp: {limit_output_bytes: 0B}}"), kBulkMetrics);
  const auto bql_off = metrics_of(bulk("{tcp: {limit_output_bytes: 0B}, driver: {bql: false}}"), kBulkMetrics);
  ASSERT_TRUE(on.contains("host_a.driver.txq0.ring_bytes_peak") && bql_off.contains("host_a.driver.txq0.ring_bytes_peak"));
  const double limit = on["host_a.driver.txq0.bql_limit_peak"].get<double>();
  const double ring = on["host_a.driver.txq0.ring_bytes_peak"].get<double>();
  std::printf("BQL: limit peak %.0f B, ring peak %.0f B (without BQL: %.0f B)\n", limit, ring,
              bql_off["host_a.driver.txq0.ring_bytes_peak"].get<double>());
  EXPECT_GT(limit, 0);
  EXPECT_LE(ring, limit + 65536 + 100);  // the queue stops once it is over the limit
  EXPECT_GT(on["host_a.driver.qdisc_enqueued"].get<double>(), 0);
  // Without BQL the ring fills with super-frames (its 511 slots hold far more).
  EXPECT_GT(bql_off["host_a.driver.txq0.ring_bytes_peak"].get<double>(), 4 * ring);
}

TEST(ChecksumOffload, OffCostsTcpTheTablesChecksumCostPerByte) {
  // The same 4 MiB with software segmentation in both runs (TSO needs checksum offload): only
  // the checksum differs. The sender's work cycles, less context switches and interrupt
  // entries (whose number follows the timing), grow by the checksum of every segment.
  const std::string flow = "platform: two_hosts\nduration: 20ms\nparameters:\n  host_a: {nic: {tso: false}HOST}\n"
                           "workloads:\n  - {name: bulk, type: tcp_bulk, from: host_a, to: host_b, bytes: 4MiB}\n";
  const std::vector<std::string> names = {"host_a.cpu.core0.cycles", "host_a.cpu.core0.context_switches",
                                          "host_a.cpu.core0.interrupts", "workloads.bulk.rx_bytes"};
  auto run = [&](const std::string& extra) {
    std::string y = flow;
    y.replace(y.find("HOST"), 4, extra);
    return metrics_of(y, names);
  };
  const auto on = run(""), off = run(", driver: {tx_checksum_offload: false}");
  ASSERT_TRUE(on.contains("host_a.cpu.core0.cycles") && off.contains("host_a.cpu.core0.cycles"));
  ASSERT_EQ(on["workloads.bulk.rx_bytes"].get<double>(), 4 << 20);
  ASSERT_EQ(off["workloads.bulk.rx_bytes"].get<double>(), 4 << 20);
  auto work = [](const nlohmann::json& r) {
    return r["host_a.cpu.core0.cycles"].get<double>() - 6000 * r["host_a.cpu.core0.context_switches"].get<double>() -
           1000 * r["host_a.cpu.core0.interrupts"].get<double>();
  };
  const double extra = (work(off) - work(on)) / (4 << 20);
  // checksum_per_byte 0.25 over each segment's 1448 payload and 32 header bytes, per payload byte.
  const double expected = 0.25 * (1448.0 + 32) / 1448;
  std::printf("software checksum: +%.4f cycles per byte sent (table: %.4f)\n", extra, expected);
  EXPECT_NEAR(extra, expected, 0.05 * expected);
}

TEST(TcpRr, AnEchoWithDefaultsAnswersInMicrosecondsAndNoMessageIsSplit) {
  const std::string dir = (std::filesystem::temp_directory_path() / "hostwire_rr_echo").string();
  std::filesystem::remove_all(dir);
  const auto r = in_child([&] {
    HostwireCatalog catalog;
    auto l = load_scenario_text(
        "platform: two_hosts\nduration: 20ms\noutputs: {pcap: [link0.a_to_b]}\nworkloads:\n"
        "  - {name: echo, type: tcp_rr, from: host_a, to: host_b, concurrency: 1, request_size: 1KiB, echo: true}\n",
        "echo.yaml", catalog);
    nlohmann::json out;
    if (!l.scenario) return out;
    SimContext ctx(l.scenario->seed());
    std::filesystem::create_directories(dir);
    ctx.set_output_dir(dir);
    auto top = catalog.build(*l.scenario, ctx);
    sc_core::sc_start(to_sc(l.scenario->duration()));
    out["p50"] = ctx.stats().metrics_json()["workloads.echo.latency"]["p50"];
    out["responses"] = ctx.stats().value("workloads.echo.responses");
    return out;
  });
  ASSERT_TRUE(r.contains("p50")) << r.dump();
  // Before: the 4-byte length went out alone and the body waited for the peer's 40 ms delayed ACK.
  EXPECT_LT(r["p50"].get<double>(), 100e6);  // ps
  EXPECT_GT(r["responses"].get<double>(), 100);
  auto bytes = net::read_file(dir + "/link0.a_to_b.pcap");
  ASSERT_TRUE(bytes) << bytes.error();
  auto reader = net::PcapReader::open(*bytes);
  ASSERT_TRUE(reader);
  auto records = reader->read_all();
  ASSERT_TRUE(records);
  size_t data = 0;
  for (const auto& rec : *records) {
    auto f = net::parse_frame(rec.data);
    ASSERT_TRUE(f) << f.error();
    if (!f->tcp) continue;
    const size_t len = f->payload_length;
    EXPECT_NE(len, 4u) << "a 4-byte segment: a length header sent on its own";
    if (len == 0) continue;
    ++data;
    EXPECT_EQ(len, 1024u);
  }
  EXPECT_GT(data, 100u);
}

TEST(Star, SixteenClientsAndOneServerRunTcpRrFromTheScenarioFile) {
  const auto r = in_child([] {
    HostwireCatalog catalog;
    auto l = load_scenario_file(HOSTWIRE_SOURCE_DIR "/scenarios/star_rr.yaml", catalog);
    nlohmann::json out;
    if (!l.scenario) return out;
    SimContext ctx(l.scenario->seed());
    auto top = catalog.build(*l.scenario, ctx);
    sc_core::sc_start(to_sc(Time::from_ms(5)));
    for (int i = 0; i < 16; ++i) out["conns"].push_back(ctx.stats().value("client" + std::to_string(i) + ".tcp.segments_in"));
    out["responses"] = ctx.stats().value("workloads.rr.responses");
    out["server_conns"] = ctx.stats().value("server.tcp.segments_in");
    out["broken"] = ctx.check_invariants();
    return out;
  });
  ASSERT_TRUE(r.contains("responses")) << r.dump();
  EXPECT_TRUE(r["broken"].empty()) << r["broken"].dump();
  for (const auto& c : r["conns"]) EXPECT_GT(c.get<double>(), 50) << "every client talks to the server";
  // 16 closed loops of one echo each, ~60 us per exchange: ~260 k responses/s.
  EXPECT_GT(r["responses"].get<double>(), 16 * 5e-3 / 100e-6);
}

TEST(Star, SixteenToOneIncastDropsAtTheSwitchAndEveryFrameIsAccountedFor) {
  const auto r = metrics_of(
      "platform: star\nduration: 5ms\nparameters:\n  hosts:\n    - {name: server, cores: 4, rings: 4}\n"
      "    - {name: client, count: 16}\n  switch0: {egress_buffer: 64KiB}\n"
      "workloads:\n  - {name: incast, type: tcp_bulk, from: client, to: server}\n",
      {"switch0.port0.dropped_buffer_full", "switch0.dropped_buffer_full", "switch0.port0.peak_queue_bytes",
       "workloads.incast.retransmitted_segments", "workloads.incast.rx_bytes"});
  ASSERT_TRUE(r.contains("switch0.port0.dropped_buffer_full")) << r.dump();
  // simulate() checked the star's frame conservation (switch drops included) and asserted it.
  EXPECT_TRUE(r["broken"].empty()) << r["broken"].dump();
  const double drops = r["switch0.port0.dropped_buffer_full"].get<double>();
  EXPECT_GT(drops, 0);
  EXPECT_EQ(drops, r["switch0.dropped_buffer_full"].get<double>()) << "only the server's port overflows";
  EXPECT_LE(r["switch0.port0.peak_queue_bytes"].get<double>(), 64 * 1024);
  EXPECT_GT(r["workloads.incast.retransmitted_segments"].get<double>(), 0) << "TCP repairs the drops";
  EXPECT_GT(r["workloads.incast.rx_bytes"].get<double>(), 0);
}

TEST(TcpMessages, AnAppKindWrittenOnlyAgainstTheSocketApiCountsMessagesAndTheirLatency) {
  // 1 KiB messages at 100,000/s for 10 ms: about 1,000 messages. A receive call takes what has
  // arrived, so Poisson bursts share calls: fewer calls than messages, never many more.
  const auto r = metrics_of(
      "platform: two_hosts\nduration: 10ms\nworkloads:\n"
      "  - {name: m, type: tcp_messages, from: host_a, to: host_b, message_size: 1KiB, rate: 100000}\n",
      {"workloads.m.messages_sent", "workloads.m.messages_received", "workloads.m.rx_calls_per_message",
       "workloads.m.rx_bytes"});
  ASSERT_TRUE(r.contains("workloads.m.messages_received")) << r.dump();
  EXPECT_TRUE(r["broken"].empty()) << r["broken"].dump();
  const double sent = r["workloads.m.messages_sent"].get<double>(), got = r["workloads.m.messages_received"].get<double>();
  EXPECT_NEAR(sent, 1000, 100);  // Poisson: within about 3 sigma
  EXPECT_LE(got, sent);
  EXPECT_GE(got, sent - 5);      // all but the last few microseconds' worth arrived
  EXPECT_LE(r["workloads.m.rx_bytes"].get<double>(), sent * 1024);
  EXPECT_GE(r["workloads.m.rx_calls_per_message"].get<double>(), 0.3);
  EXPECT_LE(r["workloads.m.rx_calls_per_message"].get<double>(), 1.1);
}
