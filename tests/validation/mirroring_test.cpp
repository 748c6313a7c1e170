// Mirroring a connection to a debug VNIC read by an analyzer (mechanism B): the analyzer's capture
// holds the same frames, bytes and order as the taps of the port's two directions (cut to the
// snap length where set, with the frames' own lengths kept); a slow analyzer loses frames only at
// its own socket, never the primary path's, and every mirror copy is accounted for. Each
// simulation runs in its own child process.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/scenario.h"
#include "platforms/catalog.h"
#include "support/in_child.h"
#include "support/tshark.h"

using namespace hostwire;
using hostwire::testing::in_child;

namespace {

struct Record {
  uint32_t original = 0;
  std::vector<uint8_t> bytes;
};

std::vector<Record> read_pcap(const std::string& path) {
  std::vector<Record> out;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return out;
  uint8_t global[24];
  if (std::fread(global, 1, sizeof global, f) != sizeof global) {
    std::fclose(f);
    return out;
  }
  uint8_t h[16];
  while (std::fread(h, 1, sizeof h, f) == sizeof h) {
    auto le32 = [&](int o) { return uint32_t{h[o]} | uint32_t{h[o + 1]} << 8 | uint32_t{h[o + 2]} << 16 | uint32_t{h[o + 3]} << 24; };
    Record r;
    r.original = le32(12);
    r.bytes.resize(le32(8));
    if (std::fread(r.bytes.data(), 1, r.bytes.size(), f) != r.bytes.size()) break;
    out.push_back(std::move(r));
  }
  std::fclose(f);
  return out;
}

bool from_host_a(const Record& r) { return r.bytes.size() >= 30 && r.bytes[29] == 1; }  // IPv4 source 10.0.0.1

// Request/response from host_a to host_b (stopping at `stop`, run to 6 ms) with a both-directions
// mirror of the conn to host_b's VNIC 1, read by an analyzer on core 3.
nlohmann::json mirrored_run(const std::string& rule_extra, const std::string& analyzer_extra, const std::string& host_b_extra,
                   const std::string& dir) {
  const std::string yaml =
      "platform: two_hosts\nduration: 6ms\nseed: 8\nparameters:\n  link0: {rate: 10Gbps, propagation: 1us}\n"
      "  host_b:\n" + host_b_extra +
      "    nic:\n      vnics: 2\n      rules:\n"
      "        - {src_ip: 10.0.0.1, protocol: tcp, mirror: 1, both_directions: true" + rule_extra + "}\n"
      "workloads:\n  - {name: rr, type: tcp_rr, from: host_a, to: host_b, concurrency: 4, stop: 4ms}\n"
      "  - {name: debug, type: analyzer, to: host_b, vnic: 1, core: 3" + analyzer_extra + "}\n"
      "outputs: {pcap: [link0.a_to_b, link0.b_to_a]}\n";
  return in_child([&]() -> nlohmann::json {
    HostwireCatalog catalog;
    auto l = load_scenario_text(yaml, "mirroring_test.yaml", catalog);
    if (!l.scenario) {
      std::fprintf(stderr, "%s\n", l.errors.front().str().c_str());
      return {};
    }
    SimContext ctx(l.scenario->seed());
    ctx.set_output_dir(dir);
    auto top = catalog.build(*l.scenario, ctx);
    sc_core::sc_start(to_sc(l.scenario->duration()));
    ctx.run_end_hooks();
    nlohmann::json out;
    for (const char* n : {"host_b.nic.rule0.mirrored", "host_b.packet.netdev1.received", "host_b.packet.netdev1.read",
                          "workloads.debug.socket_drops", "workloads.debug.ring_drops", "workloads.debug.frames",
                          "host_b.nic.rx_dropped_ring_full", "workloads.rr.response_rate", "host_b.nic.rx_frames"})
      out[n] = ctx.stats().value(n);
    out["broken"] = ctx.check_invariants();
    return out;
  });
}

double metric(const nlohmann::json& r, const std::string& k) { return r.at(k).get<double>(); }

std::string mirror_dir(const char* what) {
  auto d = std::filesystem::temp_directory_path() / (std::string("hostwire_") + what + "_" + std::to_string(getpid()));
  std::filesystem::create_directories(d);
  return d.string();
}

}  // namespace

TEST(Mirroring, TheAnalyzersCaptureIsThePortsTrafficFrameForFrameInEachDirection) {
  for (int snap : {0, 96}) {
    SCOPED_TRACE(snap);
    const std::string dir = mirror_dir("mirror_capture");
    const auto r = mirrored_run(snap ? ", snap: " + std::to_string(snap) + "B" : "", "", "", dir);
    ASSERT_TRUE(r.contains("broken")) << r.dump();
    EXPECT_TRUE(r["broken"].empty()) << r["broken"].dump();
    const auto debug = read_pcap(dir + "/debug.pcap");
    const auto in = read_pcap(dir + "/link0.a_to_b.pcap"), out = read_pcap(dir + "/link0.b_to_a.pcap");
    ASSERT_GT(in.size(), 100u);
    EXPECT_EQ(debug.size(), in.size() + out.size());  // the flow stopped at 4 ms: everything was read
    EXPECT_EQ(metric(r, "workloads.debug.frames"), static_cast<double>(debug.size()));
    // Each direction in order: what host_b received (the a_to_b tap) and what it sent.
    size_t i = 0, o = 0;
    for (const Record& d : debug) {
      const bool received = from_host_a(d);
      const std::vector<Record>& tap = received ? in : out;
      size_t& k = received ? i : o;
      ASSERT_LT(k, tap.size());
      const Record& t = tap[k++];
      const size_t want = snap ? std::min<size_t>(snap, t.bytes.size()) : t.bytes.size();
      ASSERT_EQ(d.bytes.size(), want) << "frame " << k << (received ? " in" : " out");
      EXPECT_TRUE(std::equal(d.bytes.begin(), d.bytes.end(), t.bytes.begin())) << "frame " << k;
      EXPECT_EQ(d.original, t.bytes.size()) << "frame " << k;
    }
    EXPECT_EQ(i, in.size());
    EXPECT_EQ(o, out.size());
    if (snap == 0 && hostwire::testing::tshark_available()) {
      const auto t = hostwire::testing::tshark_analysis(dir + "/debug.pcap");
      ASSERT_TRUE(t.ok);
      EXPECT_EQ(t.malformed, 0);
      EXPECT_EQ(t.any_retransmission, 0);  // both directions, in order: nothing looks repaired or reordered
    }
    std::filesystem::remove_all(dir);
  }
}

TEST(Mirroring, ASlowAnalyzerLosesFramesAtItsOwnSocketOnlyAndEveryCopyIsAccounted) {
  // 400,000 cycles per frame (133 us at 3 GHz) against a frame every ~6 us, into a 64 KiB socket.
  const std::string dir = mirror_dir("mirror_slow");
  const auto slow = mirrored_run("", ", cost: 400000, pcap: false", "    packet: {rcvbuf: 64KiB}\n", dir);
  const auto fast = mirrored_run("", ", pcap: false", "", dir);
  ASSERT_TRUE(slow.contains("broken") && fast.contains("broken"));
  EXPECT_TRUE(slow["broken"].empty()) << slow["broken"].dump();
  EXPECT_GT(metric(slow, "workloads.debug.socket_drops"), 100);
  EXPECT_EQ(metric(slow, "host_b.nic.rx_dropped_ring_full"), 0);  // no RX ring of the NIC dropped, primary or debug
  // Every copy reached the debug netdev, and each was read, dropped at the socket, or still waits.
  EXPECT_EQ(metric(slow, "host_b.nic.rule0.mirrored"), metric(slow, "host_b.packet.netdev1.received"));
  EXPECT_LE(metric(slow, "host_b.packet.netdev1.read") + metric(slow, "workloads.debug.socket_drops"),
            metric(slow, "host_b.packet.netdev1.received"));
  // The primary conversation is the same with a fast or a slow analyzer (it runs on its own core).
  EXPECT_EQ(metric(slow, "workloads.rr.response_rate"), metric(fast, "workloads.rr.response_rate"));
  EXPECT_EQ(metric(fast, "workloads.debug.socket_drops"), 0);
  std::filesystem::remove_all(dir);
}
