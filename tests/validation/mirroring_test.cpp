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
#include "net/erspan.h"
#include "net/ipv4.h"
#include "support/scenario_metrics.h"
#include "support/tshark.h"

using namespace hostwire;

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
                            const std::string& dir, const std::string& nic_extra = "") {
  const std::string yaml =
      "platform: two_hosts\nduration: 6ms\nseed: 8\nparameters:\n  link0: {rate: 10Gbps, propagation: 1us}\n"
      "  host_b:\n" + host_b_extra +
      "    nic:\n      vnics: 2\n      rules:\n"
      "        - {src_ip: 10.0.0.1, protocol: tcp, mirror: 1, both_directions: true" + rule_extra + "}\n" + nic_extra +
      "workloads:\n  - {name: rr, type: tcp_rr, from: host_a, to: host_b, concurrency: 4, stop: 4ms}\n"
      "  - {name: debug, type: analyzer, to: host_b, vnic: 1, core: 3" + analyzer_extra + "}\n"
      "outputs: {pcap: [link0.a_to_b, link0.b_to_a]}\n";
  return hostwire::testing::metrics_in_child(
      yaml, "mirroring_test.yaml",
      {"host_b.nic.rule0.mirrored", "host_b.packet.netdev1.received", "host_b.packet.netdev1.read",
                          "workloads.debug.socket_drops", "workloads.debug.ring_drops", "workloads.debug.frames",
                          "host_b.nic.rx_dropped_ring_full", "workloads.rr.response_rate", "host_b.nic.rx_frames",
                          "host_b.nic.rule0.dropped_ring_full", "host_b.nic.primary_dropped_ring_full",
                          "host_b.nic.mirror_dropped_ring_full", "host_b.nic.mirror_dma_bytes",
                          "workloads.debug.pending"}, dir);
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

TEST(Mirroring, AZeroCopyAnalyzerThatFallsBehindFillsTheDebugRingAndOnlyItDrops) {
  // Zero copy: each frame keeps its slot of the debug VNIC's 16-slot ring until the analyzer,
  // at 200,000 cycles (67 us) a frame, is done with it. The ring overflows; the primary rings
  // (host_b's VNIC 0) drop nothing, and every copy was read or dropped at the debug ring.
  const std::string dir = mirror_dir("mirror_zero_copy");
  const auto slow = mirrored_run("", ", cost: 200000, pcap: false",
                                 "    packet: {zero_copy: true}\n", dir,
                                 "      vnic_overrides: [{vnic: 1, rx_ring_size: 16}]\n");
  ASSERT_TRUE(slow.contains("broken")) << slow.dump();
  EXPECT_TRUE(slow["broken"].empty()) << slow["broken"].dump();
  const double mirrored = metric(slow, "host_b.nic.rule0.mirrored");
  const double ring_drops = metric(slow, "host_b.nic.rule0.dropped_ring_full");
  EXPECT_GT(ring_drops, 100);
  EXPECT_EQ(metric(slow, "workloads.debug.ring_drops"), ring_drops);
  EXPECT_EQ(metric(slow, "host_b.nic.mirror_dropped_ring_full"), ring_drops);
  EXPECT_EQ(metric(slow, "host_b.nic.primary_dropped_ring_full"), 0);
  EXPECT_EQ(metric(slow, "host_b.nic.rx_dropped_ring_full"), ring_drops);  // no other ring dropped
  EXPECT_EQ(metric(slow, "workloads.debug.socket_drops"), 0);              // zero copy: the ring is the buffer
  // The flow stopped at 4 ms and the analyzer caught up by 6 ms: mirrored = read + dropped, exactly.
  EXPECT_EQ(mirrored, metric(slow, "workloads.debug.frames") + ring_drops);
  EXPECT_EQ(metric(slow, "workloads.debug.pending"), 0);
  EXPECT_EQ(metric(slow, "host_b.packet.netdev1.read"), metric(slow, "host_b.packet.netdev1.received"));
  std::filesystem::remove_all(dir);
}

namespace {
// Request/response from client to server on a star, the server's NIC sending a copy of the
// conn's frames in both directions to the analyzer on the probe's VNIC 1 (10.1.0.3), as ERSPAN.
nlohmann::json remote_run(const std::string& dir) {
  const std::string yaml =
      "platform: star\nduration: 6ms\nseed: 8\nparameters:\n"
      "  hosts: [{name: server}, {name: client}, {name: probe}]\n  link: {rate: 10Gbps, propagation: 1us}\n"
      "  host:\n    nic:\n      vnics: 2\n      rules:\n"
      "        - {src_ip: 10.0.0.2, dst_ip: 10.0.0.1, protocol: tcp, erspan_to: 10.1.0.3, erspan_session: 7, "
      "both_directions: true}\n"
      "workloads:\n  - {name: rr, type: tcp_rr, from: client, to: server, concurrency: 4, response_size: 4000B, stop: 4ms}\n"
      "  - {name: debug, type: analyzer, to: probe, vnic: 1, core: 3}\n"
      "outputs: {pcap: [link_server.a_to_b, link_server.b_to_a]}\n";
  return hostwire::testing::metrics_in_child(
      yaml, "mirroring_remote_test.yaml",
      {"server.nic.erspan_frames", "server.nic.erspan_bytes", "server.nic.erspan_truncated",
                          "server.nic.erspan_dropped_buffer_full", "server.nic.rule0.mirrored",
                          "server.nic.rule0.erspan_frames", "switch0.port2.frames_out", "switch0.port2.bytes_out",
                          "workloads.debug.frames", "client.nic.erspan_frames", "probe.nic.rx_frames"}, dir);
}

bool is_gre(const Record& r) { return r.bytes.size() > 23 && r.bytes[23] == net::kIpProtocolGre; }
}  // namespace

TEST(Mirroring, ARemoteAnalyzerDecodesTheErspanCopiesAndTheSwitchCarriesThem) {
  const std::string dir = mirror_dir("mirror_remote");
  const auto r = remote_run(dir);
  ASSERT_TRUE(r.contains("broken")) << r.dump();
  EXPECT_TRUE(r["broken"].empty()) << r["broken"].dump();
  const double copies = metric(r, "server.nic.erspan_frames");
  EXPECT_GT(copies, 100);
  EXPECT_EQ(metric(r, "server.nic.erspan_dropped_buffer_full"), 0);
  EXPECT_EQ(metric(r, "server.nic.rule0.mirrored"), copies);
  EXPECT_EQ(metric(r, "client.nic.erspan_frames"), 0);  // the rule is on every host; only the server's matches
  // The switch's accounting: the probe's port carried exactly the copies, and the analyzer read them.
  EXPECT_EQ(metric(r, "switch0.port2.frames_out"), copies);
  EXPECT_EQ(metric(r, "switch0.port2.bytes_out"), metric(r, "server.nic.erspan_bytes"));
  EXPECT_EQ(metric(r, "workloads.debug.frames"), copies);
  EXPECT_GT(metric(r, "server.nic.erspan_truncated"), 0);  // 1514-byte frames do not fit 50 bytes more

  // Each inner frame is the server port's frame, in order per direction, cut to 1464 bytes with
  // the T bit where it did not fit; the GRE sequence counts up from 0 without a gap.
  const auto probe = read_pcap(dir + "/debug.pcap");
  auto sent = read_pcap(dir + "/link_server.a_to_b.pcap");
  const auto received = read_pcap(dir + "/link_server.b_to_a.pcap");
  const size_t with_copies = sent.size();
  std::erase_if(sent, is_gre);  // the server's port carries the copies too
  EXPECT_EQ(with_copies - sent.size(), probe.size());
  ASSERT_EQ(probe.size(), sent.size() + received.size());
  size_t s = 0, v = 0;
  uint32_t sequence = 0;
  for (const Record& rec : probe) {
    auto e = net::parse_erspan(rec.bytes);
    ASSERT_TRUE(e) << e.error();
    EXPECT_EQ(e->sequence, sequence++);
    EXPECT_EQ(e->erspan.session_id, 7);
    EXPECT_TRUE(e->ipv4_checksum_ok);
    const bool from_server = e->inner.size() > 29 && e->inner[29] == 1;  // inner IPv4 source 10.0.0.1
    const std::vector<Record>& tap = from_server ? sent : received;
    size_t& k = from_server ? s : v;
    ASSERT_LT(k, tap.size());
    const Record& t = tap[k++];
    const size_t fit = std::min<size_t>(t.bytes.size(), net::erspan_inner_bytes_fit(1514));
    ASSERT_EQ(e->inner.size(), fit) << "copy " << sequence;
    EXPECT_TRUE(std::equal(e->inner.begin(), e->inner.end(), t.bytes.begin())) << "copy " << sequence;
    EXPECT_EQ(e->erspan.truncated, fit < t.bytes.size()) << "copy " << sequence;
  }
  EXPECT_EQ(s, sent.size());
  EXPECT_EQ(v, received.size());

  if (hostwire::testing::tshark_available()) {
    // tshark decodes the encapsulation and, inside it, the conn's own TCP frames.
    auto rows = hostwire::testing::tshark_fields(dir + "/debug.pcap", {"erspan.spanid", "gre.proto", "ip.src", "tcp.srcport"});
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), probe.size());
    for (const auto& row : *rows) {
      EXPECT_EQ(row[0], "7");
      EXPECT_EQ(row[1], "0x88be");
      EXPECT_TRUE(row[2] == "10.0.0.1,10.0.0.1" || row[2] == "10.0.0.1,10.0.0.2") << row[2];  // outer, inner
      EXPECT_FALSE(row[3].empty());
    }
  }
  std::filesystem::remove_all(dir);
}
