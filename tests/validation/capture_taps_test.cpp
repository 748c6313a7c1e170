// Every kind of capture tap (platforms/capture.h) read back with tshark: its frames and bytes
// equal hostwire's capture.<tap>.frames / .bytes and the counters of the point it sits on, no
// frame is malformed, and each tap shows what an architect looking there expects: both link
// directions in time order; after the faults exactly what the receiver's MAC counted; the
// host's super-frames before TSO carrying the same payload as the MSS-sized frames after it;
// what the classifier put in each VNIC's rings; a switch port's ingress and egress.
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/scenario.h"
#include "net/frame.h"
#include "net/pcap.h"
#include "platforms/capture.h"
#include "platforms/catalog.h"
#include "support/in_child.h"
#include "support/tshark.h"

using namespace hostwire;

namespace {

std::string taps_dir(const std::string& name) {
  const auto d = std::filesystem::temp_directory_path() / ("hostwire_taps_" + name + "_" + std::to_string(getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d.string();
}

// Runs the scenario with `taps` captured into `dir`, in a child process; returns the broken
// invariants and the value of each tap's capture.<tap>.frames / .bytes and of each of `metrics`.
nlohmann::json taps_run(const std::string& yaml, const std::string& dir, const std::vector<std::string>& taps,
                        std::vector<std::string> metrics) {
  std::string list;
  for (const auto& t : taps) {
    list += (list.empty() ? "" : ", ") + t;
    metrics.push_back("capture." + t + ".frames"), metrics.push_back("capture." + t + ".bytes");
  }
  return hostwire::testing::in_child([&]() -> nlohmann::json {
    HostwireCatalog catalog;
    auto r = load_scenario_text(yaml + "outputs: {pcap: [" + list + "]}\n", "test.yaml", catalog);
    if (!r.scenario) return {{"exception", r.errors.front().str()}};
    SimContext ctx(r.scenario->seed());
    ctx.set_output_dir(dir);
    auto top = catalog.build(*r.scenario, ctx);
    sc_core::sc_start(to_sc(r.scenario->duration()));
    ctx.run_end_hooks();  // flushes the captures
    nlohmann::json out = {{"broken", ctx.check_invariants()}};
    for (const auto& m : metrics) out[m] = ctx.stats().value(m);
    return out;
  });
}

struct TapsCapture {
  std::vector<hostwire::testing::TsharkFrame> frames;
  std::vector<long> tcp_len;  // TCP payload bytes per frame (0 without TCP)
  long bytes = 0;
  int warnings = 0;  // malformed frames, bad checksums
};

TapsCapture taps_read(const std::string& path) {
  TapsCapture c;
  auto frames = hostwire::testing::tshark_read(path);
  EXPECT_TRUE(frames.has_value()) << "tshark could not read " << path;
  if (!frames) return c;
  c.frames = *frames;
  for (const auto& f : c.frames) c.bytes += f.length, c.warnings += f.has_warning_or_error();
  auto rows = hostwire::testing::tshark_fields(path, {"tcp.len"});
  EXPECT_TRUE(rows && rows->size() == c.frames.size()) << path;
  if (rows)
    for (const auto& r : *rows) c.tcp_len.push_back(std::strtol(r[0].c_str(), nullptr, 10));
  return c;
}

// tshark's count and bytes against hostwire's for `tap`.
void taps_expect_counted(const TapsCapture& c, const nlohmann::json& r, const std::string& tap) {
  EXPECT_EQ(static_cast<double>(c.frames.size()), r["capture." + tap + ".frames"].get<double>()) << tap;
  EXPECT_EQ(static_cast<double>(c.bytes), r["capture." + tap + ".bytes"].get<double>()) << tap;
}

// Each tap's capture read back, its counts checked against hostwire's; with `clean`, tshark must
// find no malformed frame and no bad checksum in any of them.
std::vector<TapsCapture> taps_read_counted(const std::string& dir, const std::vector<std::string>& taps,
                                           const nlohmann::json& r, bool clean) {
  std::vector<TapsCapture> out;
  for (const auto& tap : taps) {
    out.push_back(taps_read(dir + "/" + tap + ".pcap"));
    taps_expect_counted(out.back(), r, tap);
    if (clean) EXPECT_EQ(out.back().warnings, 0) << tap;
  }
  return out;
}

// The run finished with every invariant holding.
::testing::AssertionResult taps_ran_clean(const nlohmann::json& r) {
  if (!r.contains("broken")) return ::testing::AssertionFailure() << "the run failed: " << r.dump();
  if (!r["broken"].empty()) return ::testing::AssertionFailure() << r["broken"].dump();
  return ::testing::AssertionSuccess();
}

// A run with `taps` (taps_run) whose invariants held, and each tap's capture read back
// (taps_read_counted); `ok` false otherwise.
struct TapsRun {
  bool ok = false;
  std::string dir;
  nlohmann::json r;
  std::vector<TapsCapture> c;
};
TapsRun taps_capture(const std::string& name, const std::string& yaml, const std::vector<std::string>& taps,
                     const std::vector<std::string>& metrics, bool clean) {
  TapsRun run;
  const std::string dir = run.dir = taps_dir(name);
  run.r = taps_run(yaml, dir, taps, metrics);
  const auto status = taps_ran_clean(run.r);
  EXPECT_TRUE(status);
  if (!status) return run;
  run.c = taps_read_counted(dir, taps, run.r, clean);
  run.ok = true;
  return run;
}

}  // namespace

TEST(CaptureTaps, ALinkTapHoldsBothDirectionsInTimeOrder) {
  if (!hostwire::testing::tshark_available()) GTEST_SKIP() << "tshark not installed";
  const std::vector<std::string> taps = {"link0", "link0.a_to_b", "link0.b_to_a"};
  const TapsRun run = taps_capture("link",
                                   "platform: two_hosts\nduration: 2ms\nparameters: {link0: {propagation: 2us}}\n"
                                   "workloads:\n  - {name: bulk, type: tcp_bulk, from: host_a, to: host_b}\n",
                                   taps, {"link0.a_to_b.frames_in", "link0.b_to_a.bytes_in"}, true);
  ASSERT_TRUE(run.ok);
  const TapsCapture &both = run.c[0], &ab = run.c[1], &ba = run.c[2];
  EXPECT_GT(ab.frames.size(), 1000u);
  EXPECT_GT(ba.frames.size(), 300u);  // the ACKs
  EXPECT_EQ(both.frames.size(), ab.frames.size() + ba.frames.size());
  EXPECT_EQ(both.bytes, ab.bytes + ba.bytes);
  EXPECT_EQ(static_cast<double>(ab.frames.size()), run.r["link0.a_to_b.frames_in"].get<double>());
  EXPECT_EQ(static_cast<double>(ba.bytes), run.r["link0.b_to_a.bytes_in"].get<double>());
  // In time order, the directions interleaved: data and ACKs alternate in runs.
  auto bytes = net::read_file(run.dir + "/link0.pcap");
  ASSERT_TRUE(bytes.ok());
  auto reader = net::PcapReader::open(*bytes);
  ASSERT_TRUE(reader.ok());
  auto records = reader->read_all();
  ASSERT_TRUE(records.ok());
  int64_t last = -1;
  int switches = 0, out_of_order = 0;
  uint8_t last_src = 0;
  for (const auto& rec : *records) {
    const int64_t t = rec.time(reader->header())->ps;
    out_of_order += t < last;
    last = t;
    const uint8_t src = rec.data[10];  // the source MAC's host byte (02:00:00:00:<host>:<vnic>)
    switches += last_src != 0 && src != last_src;
    last_src = src;
  }
  EXPECT_EQ(out_of_order, 0);
  EXPECT_GT(switches, 300);
}

TEST(CaptureTaps, AfterTheFaultsATapHoldsExactlyWhatTheReceiverGot) {
  if (!hostwire::testing::tshark_available()) GTEST_SKIP() << "tshark not installed";
  // 2 % loss and 0.5 % corruption of UDP frames at line rate; 5 ms: about 4,000 frames.
  const TapsRun run = taps_capture(
      "faults",
      "platform: link_pair\nduration: 5ms\nseed: 7\nparameters: {link0: {a_to_b: {loss: 0.02, corrupt: 0.005}}}\n"
      "workloads:\n  - {name: bulk, type: frame_generator, from: a, to: b, pattern: line_rate, frame_size: 1518B}\n",
      {"link0.a_to_b", "link0.a_to_b.delivered", "b.mac.rx"},
      {"b.mac.rx_arrived", "b.mac.rx_frames", "b.mac.rx_fcs_errors", "link0.a_to_b.frames_in",
       "link0.a_to_b.dropped_loss", "link0.a_to_b.dropped_burst", "link0.a_to_b.corrupted", "link0.a_to_b.duplicated",
       "link0.a_to_b.frames_delivered", "link0.a_to_b.bytes_delivered"},
      false);  // the delivered tap holds corrupted frames
  ASSERT_TRUE(run.ok);
  auto v = [&](const char* k) { return static_cast<long>(run.r[k].get<double>()); };
  const TapsCapture &sent = run.c[0], &got = run.c[1], &good = run.c[2];
  ASSERT_GT(v("link0.a_to_b.dropped_loss"), 20);
  ASSERT_GT(v("link0.a_to_b.corrupted"), 3);
  // The receiver's MAC counted every frame whose last bit arrived, good or not: exactly the tap's.
  EXPECT_EQ(static_cast<long>(got.frames.size()), v("b.mac.rx_arrived"));
  EXPECT_EQ(static_cast<long>(got.frames.size()), v("b.mac.rx_frames") + v("b.mac.rx_fcs_errors"));
  EXPECT_EQ(got.bytes, v("link0.a_to_b.bytes_delivered"));
  // Lost frames are absent: the sender's tap has them, the receiver's does not.
  EXPECT_EQ(static_cast<long>(sent.frames.size()), v("link0.a_to_b.frames_in"));
  EXPECT_EQ(static_cast<long>(got.frames.size()), v("link0.a_to_b.frames_delivered"));
  const long missing = static_cast<long>(sent.frames.size() - got.frames.size()) - v("link0.a_to_b.dropped_loss") -
                       v("link0.a_to_b.dropped_burst") + v("link0.a_to_b.duplicated");
  EXPECT_GE(missing, 0);  // what is left: the frame or so still on the wire at the end
  EXPECT_LE(missing, 1);
  // Corrupted frames are there with their flipped bit: tshark finds bad checksums in some (a bit
  // in a MAC address or padding breaks no checksum), never in the sender's or the good frames.
  auto bad_checksums = [](const TapsCapture& c) {
    long n = 0;
    for (const auto& f : c.frames) n += f.ip_checksum == "0" || f.udp_checksum == "0";
    return n;
  };
  EXPECT_EQ(sent.warnings, 0);
  EXPECT_EQ(good.warnings, 0);
  EXPECT_EQ(bad_checksums(sent), 0);
  EXPECT_EQ(bad_checksums(good), 0);
  EXPECT_GT(bad_checksums(got), 0);
  EXPECT_LE(bad_checksums(got), v("link0.a_to_b.corrupted"));
  EXPECT_LE(got.warnings, v("link0.a_to_b.corrupted"));
}

TEST(CaptureTaps, BeforeTsoTheHostSeesSuperFramesCarryingTheWiresPayload) {
  if (!hostwire::testing::tshark_available()) GTEST_SKIP() << "tshark not installed";
  // 2 MB sent and closed well within the run: every posted byte reaches the wire. Clean: the
  // super-frames too have whole lengths and good checksums.
  const TapsRun run = taps_capture(
      "tso",
      "platform: two_hosts\nduration: 5ms\n"
      "workloads:\n  - {name: bulk, type: tcp_bulk, from: host_a, to: host_b, bytes: 2MB}\n",
      {"host_a.driver.tx", "host_a.mac.tx", "link0.a_to_b"},
      {"host_a.nic.tx_tso_frames", "host_a.nic.mac.tx_frames", "host_a.nic.mac.tx_bytes"}, true);
  ASSERT_TRUE(run.ok);
  const TapsCapture &before = run.c[0], &after = run.c[1], &wire = run.c[2];
  constexpr long kMss = 1448;  // 1460 less 12 B of timestamps
  long super = 0, largest = 0, over_mss_after = 0;
  for (long len : before.tcp_len) super += len > kMss, largest = std::max(largest, len);
  for (long len : after.tcp_len) over_mss_after += len > kMss;
  EXPECT_GT(super, 10);
  EXPECT_GE(largest, 10 * kMss);  // TSO autosizing: ten MSS at this rate
  EXPECT_EQ(over_mss_after, 0);
  EXPECT_GT(run.r["host_a.nic.tx_tso_frames"].get<double>(), 10);
  const long payload_before = std::accumulate(before.tcp_len.begin(), before.tcp_len.end(), 0L);
  const long payload_after = std::accumulate(after.tcp_len.begin(), after.tcp_len.end(), 0L);
  EXPECT_GE(payload_before, 2'000'000);
  EXPECT_EQ(payload_before, payload_after);
  EXPECT_LT(before.frames.size(), after.frames.size());
  // The MAC's tap is what went on the wire.
  EXPECT_EQ(after.frames.size(), wire.frames.size());
  EXPECT_EQ(static_cast<double>(after.frames.size()), run.r["host_a.nic.mac.tx_frames"].get<double>());
  EXPECT_EQ(static_cast<double>(after.bytes), run.r["host_a.nic.mac.tx_bytes"].get<double>());
}

TEST(CaptureTaps, AVnicTapHoldsWhatTheClassifierDeliveredToItsRings) {
  if (!hostwire::testing::tshark_available()) GTEST_SKIP() << "tshark not installed";
  // The server's VNIC 1 gets a mirror copy of client0's conn, both directions (mechanism B).
  const TapsRun run = taps_capture(
      "vnic",
      "platform: star\nduration: 2ms\nparameters:\n  hosts:\n"
      "    - {name: server, cores: 2, rings: 2, vnics: 2, rules: [{src_ip: 10.0.0.2/32, dst_ip: 10.0.0.1/32, "
      "protocol: tcp, mirror: 1, both_directions: true}]}\n"
      "    - {name: client, count: 2, cores: 2}\n"
      "workloads:\n  - {name: rr, type: tcp_rr, from: client, to: server, response_size: 2KiB}\n"
      "  - {name: debug, type: analyzer, to: server, vnic: 1, pcap: false}\n",
      {"server.nic.vnic0", "server.nic.vnic1", "server.mac.rx"},
      {"server.nic.ring0.rx_frames", "server.nic.ring1.rx_frames", "server.nic.ring2.rx_frames",
       "server.nic.ring3.rx_frames", "server.nic.rx_mirrored", "server.nic.tx_mirrored"},
      true);
  ASSERT_TRUE(run.ok);
  auto v = [&](const char* k) { return static_cast<long>(run.r[k].get<double>()); };
  const TapsCapture &vnic0 = run.c[0], &vnic1 = run.c[1], &port = run.c[2];
  // Rings 0-1 are VNIC 0's, 2-3 VNIC 1's (2 rings each).
  EXPECT_EQ(static_cast<long>(vnic0.frames.size()), v("server.nic.ring0.rx_frames") + v("server.nic.ring1.rx_frames"));
  EXPECT_EQ(static_cast<long>(vnic1.frames.size()), v("server.nic.ring2.rx_frames") + v("server.nic.ring3.rx_frames"));
  EXPECT_EQ(static_cast<long>(vnic1.frames.size()), v("server.nic.rx_mirrored") + v("server.nic.tx_mirrored"));
  EXPECT_GT(vnic1.frames.size(), 100u);
  EXPECT_EQ(vnic0.frames.size(), port.frames.size());  // nothing dropped at a ring, nothing else on VNIC 0
  EXPECT_LT(vnic1.frames.size(), vnic0.frames.size() * 2);  // one client's conn, not both
}

TEST(CaptureTaps, SwitchPortTapsHoldEachPortsIngressAndEgress) {
  if (!hostwire::testing::tshark_available()) GTEST_SKIP() << "tshark not installed";
  const TapsRun run = taps_capture("switch",
                                   "platform: star\nduration: 1ms\nparameters:\n  hosts:\n"
                                   "    - {name: server, cores: 2}\n    - {name: client, count: 3, cores: 2}\n"
                                   "workloads:\n  - {name: rr, type: tcp_rr, from: client, to: server}\n",
                                   {"switch0.port0.ingress", "switch0.port0.egress", "link_server"},
                                   {"switch0.port0.frames_in", "switch0.port0.bytes_in", "switch0.port0.frames_out",
                                    "switch0.port0.bytes_out", "link_server.a_to_b.frames_delivered"},
                                   true);
  ASSERT_TRUE(run.ok);
  auto v = [&](const char* k) { return static_cast<long>(run.r[k].get<double>()); };
  const TapsCapture &in = run.c[0], &out = run.c[1], &link = run.c[2];
  EXPECT_GT(in.frames.size(), 50u);
  EXPECT_GT(out.frames.size(), 50u);
  EXPECT_EQ(static_cast<long>(in.frames.size()), v("switch0.port0.frames_in"));
  EXPECT_EQ(in.bytes, v("switch0.port0.bytes_in"));
  EXPECT_EQ(static_cast<long>(out.frames.size()), v("switch0.port0.frames_out"));
  EXPECT_EQ(out.bytes, v("switch0.port0.bytes_out"));
  EXPECT_EQ(static_cast<long>(in.frames.size()), v("link_server.a_to_b.frames_delivered"));
  // The server's link carries what the port received from it and what it sent to it (a frame
  // still on the wire at the end is in the link's tap only).
  EXPECT_GE(link.frames.size(), in.frames.size() + out.frames.size() - 2);
  EXPECT_LE(link.frames.size(), in.frames.size() + out.frames.size() + 2);
}

// Two points feeding one file may stamp a frame ahead of now (a frame whose first bit goes out
// later): the tap holds it until nothing earlier can come, so the file stays in time order,
// and capture.<tap>.frames counts held frames too.
TEST(CaptureTaps, FramesStampedAheadWaitSoTheFileStaysInTimeOrder) {
  const std::string dir = taps_dir("order");
  const auto r = hostwire::testing::in_child([&]() -> nlohmann::json {
    SimContext ctx(1);
    ctx.set_output_dir(dir);
    Captures captures(ctx);
    const auto hook = captures.open("order");
    auto frame = [](uint16_t port) {
      Packet p;
      net::Ipv4Header ip;
      ip.src = net::Ipv4Address::from_octets(10, 0, 0, 1);
      ip.dst = net::Ipv4Address::from_octets(10, 0, 0, 2);
      net::UdpHeader udp;
      udp.src_port = port;
      udp.dst_port = 9;
      auto ok = net::build_udp_frame(p, net::EthernetHeader{}, ip, udp, PayloadSlice{});
      EXPECT_TRUE(ok.ok());
      return p;
    };
    hook(Time::from_ns(30), frame(1));  // ahead: held
    hook(Time{}, frame(2));             // now: written, it is the earliest
    hook(Time::from_ns(10), frame(3));
    const double counted_early = ctx.stats().value("capture.order.frames");
    sc_core::sc_start(to_sc(Time::from_ns(20)));
    hook(hostwire::now(), frame(4));  // releases 3 (10 ns) and 4 (20 ns); 1 waits
    ctx.run_end_hooks();              // and 1 at the end
    return {{"counted_early", counted_early}, {"frames", ctx.stats().value("capture.order.frames")}};
  });
  ASSERT_TRUE(r.contains("frames")) << r.dump();
  EXPECT_EQ(r["counted_early"].get<double>(), 3);
  EXPECT_EQ(r["frames"].get<double>(), 4);
  auto bytes = net::read_file(dir + "/order.pcap");
  ASSERT_TRUE(bytes.ok());
  auto reader = net::PcapReader::open(*bytes);
  ASSERT_TRUE(reader.ok());
  auto records = reader->read_all();
  ASSERT_TRUE(records.ok());
  std::vector<int64_t> times;
  std::vector<int> ports;
  for (const auto& rec : *records) {
    times.push_back(rec.time(reader->header())->ps);
    ports.push_back(rec.data[14 + 20] << 8 | rec.data[14 + 21]);  // UDP source port
  }
  EXPECT_EQ(times, (std::vector<int64_t>{0, 10'000, 20'000, 30'000}));
  EXPECT_EQ(ports, (std::vector<int>{2, 3, 4, 1}));
}
