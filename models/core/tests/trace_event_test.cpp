#include "core/trace_event.h"

#include <gtest/gtest.h>

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
  w.slice(wire, "on the wire", Time::from_ps(1'234'567), Time::from_ps(57'600), 7, TraceEventWriter::Flow::step);
  w.slice(rx, "received", Time::from_ps(2'000'000), Time{}, 7, TraceEventWriter::Flow::end);
  w.counter(wire, "in flight", Time::from_ns(3), 2);
  w.instant(wire, "loss", Time::from_ns(4), 8);
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
  ASSERT_TRUE(w.open(path, TraceLimits{Time::from_ns(10), Time::from_ns(20), 2, 5}, error)) << error;
  EXPECT_FALSE(w.recording(4, Time::from_ns(5)));   // before the window
  EXPECT_FALSE(w.recording(4, Time::from_ns(25)));  // after it
  EXPECT_FALSE(w.recording(3, Time::from_ns(15)));  // not sampled
  EXPECT_TRUE(w.recording(4, Time::from_ns(15)));
  for (int i = 0; i < 100; ++i) w.instant(t, "x", Time::from_ns(15), 4);
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
  EXPECT_FALSE(w.open(::testing::TempDir() + "x.json", TraceLimits{{}, {}, 0, 10}, error));
  EXPECT_FALSE(w.open("/nonexistent/dir/x.json", {}, error));
  EXPECT_NE(error.find("/nonexistent/dir/x.json"), std::string::npos);
}
