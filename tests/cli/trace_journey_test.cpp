// The Perfetto timeline follows one packet from the sending application to the receiving one:
// the trace is read back as ui.perfetto.dev reads it (flow events in timestamp order, each bound
// to the slice enclosing it on its track; "s" starts an arrow, "t" continues it, "f" fans out)
// and a TCP segment of bulk_tcp and a UDP datagram of rx_scaling are followed stage by stage.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "support/hostwire_cli.h"

using hostwire::testing::read_json;
using hostwire::testing::run_hostwire;
using hostwire::testing::tmp_dir;

namespace {

struct JourneySlice {
  std::string process, thread, cat, name;
  double ts = 0, dur = 0;
  std::set<uint64_t> packets;  // args.packet and args.packets
};

// The slices and the arrows between them (slice index -> slice indices), as the viewer draws them.
struct JourneyTrace {
  std::vector<JourneySlice> slices;
  std::map<size_t, std::vector<size_t>> arrows;
  int unbound = 0, without_start = 0, duplicate_start = 0;
};

JourneyTrace journey_read(const nlohmann::json& j) {
  JourneyTrace t;
  std::map<int, std::string> processes;
  std::map<std::pair<int, int>, std::string> threads;
  for (const auto& e : j["traceEvents"]) {
    if (e["ph"] != "M") continue;
    if (e["name"] == "process_name") processes[e["pid"]] = e["args"]["name"];
    else threads[{e["pid"], e["tid"]}] = e["args"]["name"];
  }
  std::map<std::pair<int, int>, std::vector<size_t>> by_track;
  struct Flow {
    double ts;
    size_t order;
    std::string ph;
    uint64_t id;
    std::pair<int, int> track;
  };
  std::vector<Flow> flows;
  for (const auto& e : j["traceEvents"]) {
    const std::string ph = e["ph"];
    const std::pair<int, int> track{e.value("pid", 0), e.value("tid", 0)};
    if (ph == "X") {
      JourneySlice s{processes[track.first], threads[track], e["cat"], e["name"], e["ts"], e["dur"], {}};
      if (e["args"].contains("packet") && e["args"]["packet"].get<uint64_t>() != 0) s.packets.insert(e["args"]["packet"].get<uint64_t>());
      if (e["args"].contains("packets"))
        for (const auto& p : e["args"]["packets"]) s.packets.insert(p.get<uint64_t>());
      by_track[track].push_back(t.slices.size());
      t.slices.push_back(s);
    } else if (ph == "s" || ph == "t" || ph == "f") {
      flows.push_back({e["ts"], flows.size(), ph, e["id"], track});
    }
  }
  std::stable_sort(flows.begin(), flows.end(), [](const Flow& a, const Flow& b) { return a.ts < b.ts; });
  std::map<uint64_t, size_t> source;
  for (const Flow& f : flows) {
    // The enclosing slice: on the flow event's track, open at its timestamp, the innermost.
    std::optional<size_t> at;
    for (size_t i : by_track[f.track]) {
      const JourneySlice& s = t.slices[i];
      if (s.ts <= f.ts && f.ts <= s.ts + s.dur && (!at || s.ts >= t.slices[*at].ts)) at = i;
    }
    if (!at) {
      ++t.unbound;
      continue;
    }
    if (f.ph == "s") {
      if (!source.emplace(f.id, *at).second) ++t.duplicate_start;
      continue;
    }
    auto it = source.find(f.id);
    if (it == source.end()) {
      ++t.without_start;
      continue;
    }
    t.arrows[it->second].push_back(*at);
    if (f.ph == "t") it->second = *at;
  }
  return t;
}

struct JourneyStage {
  std::string process_prefix, cat, name;
};

// A path along the arrows from a slice matching stages[0] through every stage in order.
bool journey_find(const JourneyTrace& t, size_t at, const std::vector<JourneyStage>& stages, size_t k,
                  std::vector<size_t>& path) {
  const JourneySlice& s = t.slices[at];
  const JourneyStage& want = stages[k];
  if (s.cat != want.cat || s.name != want.name || s.process.rfind(want.process_prefix, 0) != 0) return false;
  path.push_back(at);
  if (k + 1 == stages.size()) return true;
  if (auto it = t.arrows.find(at); it != t.arrows.end())
    for (size_t next : it->second)
      if (journey_find(t, next, stages, k + 1, path)) return true;
  path.pop_back();
  return false;
}

std::string journey_describe(const JourneyTrace& t, const std::vector<size_t>& path) {
  std::string out;
  for (size_t i : path) {
    const JourneySlice& s = t.slices[i];
    out += std::to_string(s.ts) + " " + s.process + "/" + s.thread + " " + s.cat + ":" + s.name + "\n";
  }
  return out;
}

// Follows the stages; returns the path (empty when there is none) and checks its invariants.
std::vector<size_t> journey_follow(const JourneyTrace& t, const std::vector<JourneyStage>& stages) {
  std::vector<size_t> path;
  for (size_t i = 0; i < t.slices.size() && path.empty(); ++i) journey_find(t, i, stages, 0, path);
  return path;
}

void journey_expect_time_runs_forward(const JourneyTrace& t, const std::vector<size_t>& path) {
  for (size_t k = 1; k < path.size(); ++k)
    EXPECT_LE(t.slices[path[k - 1]].ts, t.slices[path[k]].ts) << "stage " << k << "\n" << journey_describe(t, path);
}


// Runs `hostwire run ARGS --trace DIR/trace.json` and reads the trace, whose every flow event
// must bind to a slice and continue an arrow that started.
JourneyTrace journey_run(const std::string& name, const std::string& args) {
  const std::string d = tmp_dir(name);
  auto r = run_hostwire("run " + args + " --trace " + d + "/trace.json --out " + d);
  EXPECT_EQ(r.code, 0) << r.output;
  JourneyTrace t = journey_read(read_json(d + "/trace.json"));
  EXPECT_EQ(t.unbound, 0);
  EXPECT_EQ(t.without_start, 0);
  EXPECT_EQ(t.duplicate_start, 0);
  return t;
}

}  // namespace

TEST(TraceJourney, OneTcpSegmentFromTheSendersWriteToTheReadersRecv) {
  const JourneyTrace t = journey_run("journey_tcp", HOSTWIRE_SOURCE_DIR "/scenarios/bulk_tcp.yaml --set duration=200us");
  // two_hosts has no switch; host_a's NIC cuts 64 KiB super-frames (TSO, on by default).
  const std::vector<JourneyStage> stages = {
      {"host_a", "app", "tcp_send"},                   // the application's write(), its copy
      {"host_a", "socket", "send buffer"},             // the segment's first byte waits for the window
      {"host_a", "tcp", "tcp_output"},                 // the conn builds the super-frame
      {"host_a", "driver", "tx queue"},                // queued to the core's TX queue until its descriptor is posted
      {"host_a", "bus", "descriptor fetch"},           // the NIC reads the descriptor (DMA)
      {"host_a", "bus", "payload read"},               // and the frame
      {"host_a", "nic", "segment"},                    // TSO: one segment of the super-frame
      {"host_a", "mac", "queued"},                     // the MAC's transmit queue
      {"link0", "wire", "on the wire"},                // first to last bit
      {"host_b", "mac", "received"},                   // the peer's MAC
      {"host_b", "nic", "classify"},                   // classifier: rules, then RSS
      {"host_b", "bus", "frame and completion"},       // DMA into host memory
      {"host_b", "nic", "in ring"},                    // the completion waits in the RX ring
      {"host_b", "irq", "nic_irq"},                    // the interrupt
      {"host_b", "driver", "napi_poll"},               // the poll that takes it
      {"host_b", "tcp", "conn_input"},                 // the conn's event list (TCP input)
      {"host_b", "socket", "receive queue"},           // bytes wait for the reader
      {"host_b", "app", "tcp_recv"},                   // the application's read() that takes its last byte
  };
  const auto path = journey_follow(t, stages);
  ASSERT_EQ(path.size(), stages.size()) << "no TCP segment went through every stage";
  journey_expect_time_runs_forward(t, path);
  // From the cut on, every stage is that one segment (a core's slice may carry more packets).
  const uint64_t segment = *t.slices[path[6]].packets.begin();
  for (size_t k = 6; k < path.size(); ++k)
    EXPECT_TRUE(t.slices[path[k]].packets.count(segment)) << "stage " << k << "\n" << journey_describe(t, path);
  // The super-frame it was cut from is the one the write's bytes went into.
  const uint64_t super = *t.slices[path[1]].packets.begin();
  EXPECT_NE(super, segment);
  for (size_t k = 1; k < 6; ++k) EXPECT_TRUE(t.slices[path[k]].packets.count(super)) << journey_describe(t, path);
  // A super-frame fans out to all its segments: 64 KiB at MSS 1448 is more than one arrow.
  size_t fan = 0;
  for (size_t next : t.arrows.at(path[5])) fan += t.slices[next].name == "segment";
  EXPECT_GT(fan, 1u);
}

TEST(TraceJourney, OneUdpDatagramFromSendmmsgToRecvmmsg) {
  const JourneyTrace t =
      journey_run("journey_udp", HOSTWIRE_SOURCE_DIR "/scenarios/rx_scaling.yaml --set duration=100us");
  // UDP has no conn: IP and UDP input run inside the NAPI poll, then the socket's queue.
  const std::vector<JourneyStage> stages = {
      {"host_a", "app", "udp_send"},          {"host_a", "driver", "tx queue"},
      {"host_a", "bus", "descriptor fetch"},  {"host_a", "bus", "payload read"},
      {"host_a", "mac", "queued"},            {"link0", "wire", "on the wire"},
      {"host_b", "mac", "received"},          {"host_b", "nic", "classify"},
      {"host_b", "bus", "frame and completion"}, {"host_b", "nic", "in ring"},
      {"host_b", "irq", "nic_irq"},           {"host_b", "driver", "napi_poll"},
      {"host_b", "socket", "receive queue"},  {"host_b", "app", "udp_recv"},
  };
  const auto path = journey_follow(t, stages);
  ASSERT_EQ(path.size(), stages.size()) << "no datagram went through every stage";
  journey_expect_time_runs_forward(t, path);
  const uint64_t datagram = *t.slices[path[1]].packets.begin();
  for (size_t k = 0; k < path.size(); ++k)
    EXPECT_TRUE(t.slices[path[k]].packets.count(datagram)) << "stage " << k << "\n" << journey_describe(t, path);
}

TEST(TraceJourney, SamplingByFlowKeepsWholeFlowsAndTruncationIsReported) {
  const std::string d = tmp_dir("journey_flows");
  auto r = run_hostwire("run " HOSTWIRE_SOURCE_DIR "/scenarios/rx_scaling.yaml --set duration=300us "
                        "--set outputs.trace_sample_by=flow --set outputs.trace_sample=4 --trace " + d + "/trace.json --out " + d);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_EQ(r.output.find("truncated"), std::string::npos) << r.output;
  const JourneyTrace t = journey_read(read_json(d + "/trace.json"));
  std::set<uint64_t> sent, on_wire;
  for (const auto& s : t.slices) {
    if (s.name == "udp_send") sent.insert(s.packets.begin(), s.packets.end());
    if (s.name == "on the wire") on_wire.insert(s.packets.begin(), s.packets.end());
  }
  // A quarter of the 256 flows, and every datagram of those: each one on the wire was sent in a
  // traced call (no datagram of an unsampled flow, none of a sampled flow missing its start).
  const auto report = read_json(d + "/report.json");
  const double frames = report["metrics"]["link0.a_to_b.frames_in"]["value"];
  ASSERT_GT(frames, 100);
  EXPECT_NEAR(static_cast<double>(on_wire.size()) / frames, 0.25, 0.05);
  for (uint64_t id : on_wire) EXPECT_TRUE(sent.count(id)) << id;

  // Past outputs.trace_max_events: one warning line naming the key; report.json says so too.
  const std::string small = tmp_dir("journey_truncated");
  auto cut = run_hostwire("run " HOSTWIRE_SOURCE_DIR "/scenarios/bulk_tcp.yaml --set duration=200us "
                          "--set outputs.trace_max_events=300 --trace " + small + "/t.json --out " + small);
  ASSERT_EQ(cut.code, 0) << cut.output;
  const auto warning = cut.output.find("warning: ");
  ASSERT_NE(warning, std::string::npos) << cut.output;
  const std::string line = cut.output.substr(warning, cut.output.find('\n', warning) - warning);
  EXPECT_NE(line.find("outputs.trace_max_events"), std::string::npos) << line;
  EXPECT_NE(line.find("truncated"), std::string::npos) << line;
  EXPECT_EQ(read_json(small + "/report.json")["outputs"]["trace_truncated"], true);
  const auto trace = read_json(small + "/t.json");  // still valid JSON
  EXPECT_EQ(trace["otherData"]["truncated"], true);
  EXPECT_EQ(trace["otherData"]["events"], 300);
}
