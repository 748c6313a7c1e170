#include "core/trace_event.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

using namespace hostwire;

namespace {
nlohmann::json read(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);  // throws (fails the test) on invalid JSON
}
}  // namespace

TEST(TraceEventWriter, SlicesFlowsCountersAndTrackNamesAreValidJson) {
  const std::string path = ::testing::TempDir() + "trace_basic.json";
  TraceEventWriter w;
  const int wire = w.track("link0", "a_to_b");  // declared before open, named at open
  std::string error;
  ASSERT_TRUE(w.open(path, {}, error)) << error;
  const int rx = w.track("b.mac", "rx");  // declared after open
  w.slice(wire, "on the wire", "wire", Time::from_ps(1'234'567), Time::from_ps(57'600), 7, TraceEventWriter::Flow::join);
  w.slice(rx, "received", "mac", Time::from_ps(2'000'000), Time{}, 7, TraceEventWriter::Flow::join);
  w.counter(wire, "in flight", Time::from_ns(3), 2);
  w.instant(wire, "loss", "wire", Time::from_ns(4), 8);
  ASSERT_TRUE(w.close());
  auto j = read(path);
  auto& ev = j["traceEvents"];
  int meta = 0, slices = 0;
  for (const auto& e : ev) {
    meta += e["ph"] == "M";
    if (e["ph"] == "X" && e["name"] == "on the wire") {
      ++slices;
      EXPECT_DOUBLE_EQ(e["ts"].get<double>(), 1.234567);  // microseconds, picosecond-exact
      EXPECT_DOUBLE_EQ(e["dur"].get<double>(), 0.0576);
      EXPECT_EQ(e["args"]["packet"], 7);
      EXPECT_EQ(e["cat"], "wire");
    }
  }
  EXPECT_EQ(meta, 4);  // two process names, two thread names
  EXPECT_EQ(slices, 1);
  EXPECT_EQ(j["otherData"]["events"], w.events());
  EXPECT_EQ(w.events(), 6u);  // 2 slices + 2 flow events + counter + instant
}

TEST(TraceEventWriter, BoundedByEventsWindowAndSampling) {
  const std::string path = ::testing::TempDir() + "trace_bounded.json";
  TraceEventWriter w;
  const int t = w.track("p", "t");
  std::string error;
  ASSERT_TRUE(w.open(path, TraceLimits{Time::from_ns(10), Time::from_ns(20), 2, false, 5}, error)) << error;
  EXPECT_FALSE(w.recording(4, Time::from_ns(5)));   // before the window
  EXPECT_FALSE(w.recording(4, Time::from_ns(25)));  // after it
  EXPECT_FALSE(w.recording(3, Time::from_ns(15)));  // not sampled
  EXPECT_TRUE(w.recording(4, Time::from_ns(15)));
  for (int i = 0; i < 100; ++i) w.instant(t, "x", "nic", Time::from_ns(15), 4);
  EXPECT_TRUE(w.truncated());
  EXPECT_FALSE(w.recording(4, Time::from_ns(15)));
  ASSERT_TRUE(w.close());
  auto j = read(path);
  EXPECT_EQ(j["otherData"]["events"], 5);
  EXPECT_EQ(j["otherData"]["truncated"], true);
}

TEST(TraceEventWriter, RefusesBadLimitsAndUnwritablePaths) {
  TraceEventWriter w;
  std::string error;
  EXPECT_FALSE(w.open(::testing::TempDir() + "x.json", TraceLimits{{}, {}, 0, false, 10}, error));
  EXPECT_FALSE(w.open("/nonexistent/dir/x.json", {}, error));
  EXPECT_NE(error.find("/nonexistent/dir/x.json"), std::string::npos);
}

namespace {
// The flow events of one id, in the order the viewer reads them (timestamp, then file order).
std::vector<nlohmann::json> trace_event_flows_of(const nlohmann::json& j, uint64_t id) {
  std::vector<nlohmann::json> out;
  for (const auto& e : j["traceEvents"])
    if ((e["ph"] == "s" || e["ph"] == "t" || e["ph"] == "f") && e["id"] == id) out.push_back(e);
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a["ts"].template get<double>() < b["ts"].template get<double>(); });
  return out;
}
}  // namespace

TEST(TraceEventWriter, AnArrowStartsAtTheEarliestSliceWhateverOrderTheyAreWritten) {
  const std::string path = ::testing::TempDir() + "trace_order.json";
  TraceEventWriter w;
  const int core = w.track("host_a", "cpu0"), ring = w.track("host_a.driver", "txq0");
  std::string error;
  ASSERT_TRUE(w.open(path, {}, error)) << error;
  // A core's slice is written when its work ends, after the stage its work started.
  w.slice(ring, "tx queue", "driver", Time::from_ns(20), Time::from_ns(5), 9, TraceEventWriter::Flow::join);
  w.slice(core, "tcp_output", "tcp", Time::from_ns(10), Time::from_ns(12), 0, {9}, {});
  ASSERT_TRUE(w.close());
  const auto flows = trace_event_flows_of(read(path), 9);
  ASSERT_EQ(flows.size(), 2u);
  EXPECT_EQ(flows[0]["ph"], "s");
  EXPECT_DOUBLE_EQ(flows[0]["ts"].get<double>(), 0.010);
  EXPECT_EQ(flows[0]["tid"], core);
  EXPECT_EQ(flows[1]["ph"], "t");
  EXPECT_EQ(flows[1]["tid"], ring);
}

TEST(TraceEventWriter, ASendFansOutToEverySegmentItsBytesRideIn) {
  const std::string path = ::testing::TempDir() + "trace_fan.json";
  TraceEventWriter w;
  const int app = w.track("host_a", "cpu0"), sock = w.track("host_a.socket", "send buffer");
  std::string error;
  ASSERT_TRUE(w.open(path, {}, error)) << error;
  const uint64_t send = w.stream_id();
  EXPECT_GE(send, TraceEventWriter::kStreamIds);
  w.slice(app, "tcp_send", "app", Time::from_ns(1), Time::from_ns(3), 0, {send}, {});
  w.slice(sock, "send buffer", "socket", Time::from_ns(4), Time::from_ns(2), 21, {}, {send});
  w.slice(sock, "send buffer", "socket", Time::from_ns(4), Time::from_ns(6), 22, {}, {send});
  ASSERT_TRUE(w.close());
  const auto j = read(path);
  const auto flows = trace_event_flows_of(j, send);
  ASSERT_EQ(flows.size(), 3u);
  EXPECT_EQ(flows[0]["ph"], "s");
  EXPECT_EQ(flows[1]["ph"], "f");  // one arrow per segment, each from the send
  EXPECT_EQ(flows[2]["ph"], "f");
  EXPECT_EQ(flows[1]["bp"], "e");
  // Both segments start at 4 ns: the second went to a lane of its own, so each arrow binds to
  // its own segment's slice.
  EXPECT_NE(flows[1]["tid"], flows[2]["tid"]);
  EXPECT_EQ(trace_event_flows_of(j, 21).at(0)["ph"], "s");
  int lanes = 0;
  for (const auto& e : j["traceEvents"])
    lanes += e["ph"] == "M" && e["name"] == "thread_name" && e["args"]["name"] == "send buffer #2";
  EXPECT_EQ(lanes, 1);
}

TEST(TraceEventWriter, SamplingByFlowKeepsEveryPacketOfEveryNthFlow) {
  const std::string path = ::testing::TempDir() + "trace_flows.json";
  TraceEventWriter w;
  std::string error;
  ASSERT_TRUE(w.open(path, TraceLimits{{}, {}, 3, true, 1000}, error)) << error;
  w.admit(5, 3);   // flow 3: kept
  w.admit(6, 4);   // flow 4: not
  w.admit(12, 4);  // a multiple of 3 by id, but flow 4
  w.inherit(5, 50);
  w.inherit(6, 60);
  EXPECT_TRUE(w.recording(5, {}));
  EXPECT_TRUE(w.recording(50, {}));
  EXPECT_FALSE(w.recording(6, {}));
  EXPECT_FALSE(w.recording(60, {}));
  EXPECT_FALSE(w.recording(12, {}));
  EXPECT_FALSE(w.recording(3, {}));  // never admitted
  ASSERT_TRUE(w.close());
}
