#include "core/vcd.h"

#include <gtest/gtest.h>

#include "support/vcd_reader.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

using namespace hostwire;
using hostwire::testing::read_vcd;

namespace {

std::string temp_path(const std::string& name) { return ::testing::TempDir() + name; }

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

using Changes = std::vector<std::pair<int64_t, std::string>>;

// The signals of the timing story, in nested scopes, with known transitions.
void write_sample(VcdWriter& w, const std::string& path) {
  const int busy = w.wire("link0.a_to_b.busy");
  const int ring = w.wire("host_b.nic.rx_ring0.occupancy", 12);
  const int cwnd = w.real("host_a.tcp.flow0.cwnd");
  const int core = w.wire("host_b.cpu.core0.busy");
  std::string error;
  ASSERT_TRUE(w.open(path, error)) << error;
  w.change(busy, Time::from_ns(1), 1);
  w.change(ring, Time::from_ns(1), 3);
  w.change_real(cwnd, Time::from_ns(1), 14600.5);
  w.change(busy, Time::from_ns(2), 0);
  w.change(core, Time::from_ns(2), 1);
  w.change(ring, Time::from_ns(5), 2);
  w.change_real(cwnd, Time::from_ns(5), 0.1);
  w.change(core, Time::from_ps(5001), 0);
  ASSERT_TRUE(w.close(Time::from_ns(10)));
}

}  // namespace

TEST(VcdWriter, NestedScopesReadBackWithTransitionsAtTheTimesWritten) {
  const auto path = temp_path("vcd_sample.vcd");
  VcdWriter w;
  write_sample(w, path);
  EXPECT_EQ(w.signals(), 4u);
  EXPECT_EQ(w.changes(), 8u);

  auto t = read_vcd(slurp(path));
  ASSERT_EQ(t.error, "");
  EXPECT_EQ(t.version, "hostwire");
  EXPECT_EQ(t.timescale, "1ps");
  ASSERT_EQ(t.vars.size(), 4u);
  EXPECT_EQ(t.vars["link0.a_to_b.busy"].type, "wire");
  EXPECT_EQ(t.vars["link0.a_to_b.busy"].width, 1);
  EXPECT_EQ(t.vars["host_b.nic.rx_ring0.occupancy"].width, 12);
  EXPECT_EQ(t.vars["host_a.tcp.flow0.cwnd"].type, "real");
  // Every signal starts at 0 in $dumpvars, then changes exactly when told.
  EXPECT_EQ(t.of("link0.a_to_b.busy"), (Changes{{0, "0"}, {1000, "1"}, {2000, "0"}}));
  EXPECT_EQ(t.of("host_b.nic.rx_ring0.occupancy"), (Changes{{0, "0"}, {1000, "11"}, {5000, "10"}}));
  EXPECT_EQ(t.of("host_a.tcp.flow0.cwnd"), (Changes{{0, "0"}, {1000, "14600.5"}, {5000, "0.1"}}));
  EXPECT_EQ(t.of("host_b.cpu.core0.busy"), (Changes{{0, "0"}, {2000, "1"}, {5001, "0"}}));
  EXPECT_EQ(t.times, (std::vector<int64_t>{0, 1000, 2000, 5000, 5001, 10000}));  // ends at close(end)
}

// Pins the layout (docs/vcd_notes.md shows the same file): scopes sorted by name, codes
// given in that order, no $date, initial values at #0.
TEST(VcdWriter, FileLayoutIsExact) {
  const auto path = temp_path("vcd_layout.vcd");
  {
    VcdWriter w;
    const int busy = w.wire("link0.a_to_b.busy");
    const int ring = w.wire("host_b.nic.rx_ring0", 4);
    const int cwnd = w.real("cwnd");
    const int down = w.wire("link0.down");
    std::string error;
    ASSERT_TRUE(w.open(path, error)) << error;
    w.change(busy, Time::from_ps(10), 1);
    w.change(ring, Time::from_ps(10), 5);
    w.change_real(cwnd, Time::from_ps(20), 2.5);
    w.change(down, Time::from_ps(20), 1);
  }  // the destructor closes
  EXPECT_EQ(slurp(path),
            "$version hostwire $end\n"
            "$timescale 1ps $end\n"
            "$var real 64 ! cwnd $end\n"
            "$scope module host_b $end\n"
            "$scope module nic $end\n"
            "$var wire 4 \" rx_ring0 [3:0] $end\n"
            "$upscope $end\n"
            "$upscope $end\n"
            "$scope module link0 $end\n"
            "$scope module a_to_b $end\n"
            "$var wire 1 # busy $end\n"
            "$upscope $end\n"
            "$var wire 1 $ down $end\n"
            "$upscope $end\n"
            "$enddefinitions $end\n"
            "#0\n"
            "$dumpvars\n"
            "r0 !\n"
            "b0 \"\n"
            "0#\n"
            "0$\n"
            "$end\n"
            "#10\n"
            "1#\n"
            "b101 \"\n"
            "#20\n"
            "r2.5 !\n"
            "1$\n");
}

TEST(VcdWriter, RepeatedValuesWriteNothing) {
  const auto path = temp_path("vcd_repeat.vcd");
  VcdWriter w;
  const int busy = w.wire("link0.busy");
  const int cwnd = w.real("tcp.cwnd");
  std::string error;
  ASSERT_TRUE(w.open(path, error)) << error;
  w.change(busy, Time::from_ps(5), 0);  // equal to the initial value
  w.change(busy, Time::from_ps(10), 1);
  w.change(busy, Time::from_ps(20), 1);
  w.change(busy, Time::from_ps(30), 1);
  w.change_real(cwnd, Time::from_ps(30), 0.0);
  w.change_real(cwnd, Time::from_ps(40), -0.0);  // a different double, so it is a change
  w.change_real(cwnd, Time::from_ps(50), -0.0);
  w.change(busy, Time::from_ps(60), 0);
  ASSERT_TRUE(w.close());
  EXPECT_EQ(w.changes(), 3u);

  auto t = read_vcd(slurp(path));
  ASSERT_EQ(t.error, "");
  EXPECT_EQ(t.of("link0.busy"), (Changes{{0, "0"}, {10, "1"}, {60, "0"}}));
  EXPECT_EQ(t.of("tcp.cwnd"), (Changes{{0, "0"}, {40, "-0"}}));
  // Suppressed changes write no timestamp either.
  EXPECT_EQ(t.times, (std::vector<int64_t>{0, 10, 40, 60}));
}

TEST(VcdWriter, TimestampOnlyWhenTimeAdvances) {
  const auto path = temp_path("vcd_time.vcd");
  VcdWriter w;
  std::vector<int> h;
  for (int i = 0; i < 3; ++i) h.push_back(w.wire("s" + std::to_string(i)));
  std::string error;
  ASSERT_TRUE(w.open(path, error)) << error;
  for (int i = 0; i < 3; ++i) w.change(h[i], Time::from_ps(7), 1);  // three changes, one "#7"
  w.change(h[1], Time::from_ps(9), 0);
  ASSERT_TRUE(w.close(Time::from_ps(9)));  // end already reached: no second "#9"
  const std::string text = slurp(path);
  EXPECT_EQ(text.substr(text.find("$end\n#7")), "$end\n#7\n1!\n1\"\n1#\n#9\n0\"\n");
}

// A model that stamps an earlier time has a bug: debug builds stop at the assert; release
// builds keep the file valid (the change lands at the last time written) and count it.
TEST(VcdWriter, EarlierTimeIsClampedAndCounted) {
  const auto path = temp_path("vcd_backwards.vcd");
  VcdWriter w;
  const int s = w.wire("s");
  std::string error;
  ASSERT_TRUE(w.open(path, error)) << error;
  w.change(s, Time::from_ps(100), 1);
  EXPECT_DEBUG_DEATH(w.change(s, Time::from_ps(50), 0), "time went backwards");
#ifdef NDEBUG
  w.change(s, Time::from_ps(-1), 0);  // suppressed (already 0), still counted
  w.change(s, Time::from_ps(200), 1);
  ASSERT_TRUE(w.close());
  EXPECT_EQ(w.time_errors(), 2u);
  auto t = read_vcd(slurp(path));
  ASSERT_EQ(t.error, "");
  EXPECT_EQ(t.of("s"), (Changes{{0, "0"}, {100, "1"}, {100, "0"}, {200, "1"}}));
  EXPECT_EQ(t.times, (std::vector<int64_t>{0, 100, 200}));
#endif
}

TEST(VcdWriter, PatternsSelectSignals) {
  const auto path = temp_path("vcd_patterns.vcd");
  VcdWriter w({"host_b.nic.rx_ring*", "link?.*"});
  const int ring0 = w.wire("host_b.nic.rx_ring0", 8);
  const int ring1 = w.wire("host_b.nic.rx_ring1.occupancy", 8);
  const int tx = w.wire("host_b.nic.tx_ring0", 8);
  const int link = w.wire("link0.a_to_b.busy");
  const int link10 = w.wire("link10.busy");  // '?' is exactly one character
  const int cwnd = w.real("host_a.tcp.cwnd");
  EXPECT_TRUE(w.enabled(ring0));
  EXPECT_TRUE(w.enabled(ring1));
  EXPECT_TRUE(w.enabled(link));
  EXPECT_FALSE(w.enabled(tx));
  EXPECT_FALSE(w.enabled(link10));
  EXPECT_FALSE(w.enabled(cwnd));
  EXPECT_EQ(w.signals(), 3u);
  std::string error;
  ASSERT_TRUE(w.open(path, error)) << error;
  w.change(ring0, Time::from_ps(1), 4);
  w.change(tx, Time::from_ps(2), 4);
  w.change_real(cwnd, Time::from_ps(3), 1.5);
  w.change(link, Time::from_ps(4), 1);
  ASSERT_TRUE(w.close());
  EXPECT_EQ(w.changes(), 2u);

  auto t = read_vcd(slurp(path));
  ASSERT_EQ(t.error, "");
  std::set<std::string> names;
  for (const auto& [name, v] : t.vars) names.insert(name);
  EXPECT_EQ(names, (std::set<std::string>{"host_b.nic.rx_ring0", "host_b.nic.rx_ring1.occupancy", "link0.a_to_b.busy"}));
  EXPECT_EQ(t.times, (std::vector<int64_t>{0, 1, 4}));  // unselected changes leave no trace
}

TEST(VcdWriter, GlobMatchesWholeNames) {
  EXPECT_TRUE(VcdWriter::matches("*", ""));
  EXPECT_TRUE(VcdWriter::matches("*", "a.b.c"));
  EXPECT_TRUE(VcdWriter::matches("link0.*", "link0.a_to_b.busy"));
  EXPECT_FALSE(VcdWriter::matches("link0.*", "link0"));
  EXPECT_FALSE(VcdWriter::matches("link0", "link0.busy"));  // whole name, not a prefix
  EXPECT_TRUE(VcdWriter::matches("*.busy", "host_b.cpu.core0.busy"));
  EXPECT_TRUE(VcdWriter::matches("*core?.busy", "host_b.cpu.core7.busy"));
  EXPECT_FALSE(VcdWriter::matches("*core?.busy", "host_b.cpu.core17.busy"));
  EXPECT_TRUE(VcdWriter::matches("a*b*c", "aXbYbZc"));
  EXPECT_FALSE(VcdWriter::matches("a*b*c", "aXbYbZ"));
  EXPECT_TRUE(VcdWriter::matches("**a**", "a"));
  // Backtracking stays linear: this would take ages with a naive recursive matcher.
  EXPECT_FALSE(VcdWriter::matches("*a*a*a*a*a*a*a*a*b", std::string(200, 'a')));
}

TEST(VcdWriter, WideVectorsUseBinaryWithoutLeadingZeros) {
  const auto path = temp_path("vcd_wide.vcd");
  VcdWriter w;
  const int v64 = w.wire("kbuf.bytes", 64);
  const int v4 = w.wire("nibble", 4);
  std::string error;
  ASSERT_TRUE(w.open(path, error)) << error;
  w.change(v64, Time::from_ps(1), 0b1010);
  w.change(v64, Time::from_ps(2), ~uint64_t{0});
  w.change(v64, Time::from_ps(3), uint64_t{1} << 63);
  w.change(v4, Time::from_ps(3), 0x1F);  // truncated to the width: 0xF
  w.change(v4, Time::from_ps(4), 0x2F);  // still 0xF after truncation: no change
  ASSERT_TRUE(w.close());

  const std::string text = slurp(path);
  EXPECT_NE(text.find("$var wire 64 ! bytes [63:0] $end"), std::string::npos);
  EXPECT_NE(text.find("#1\nb1010 !\n"), std::string::npos);
  auto t = read_vcd(text);
  ASSERT_EQ(t.error, "");
  EXPECT_EQ(t.of("kbuf.bytes"),
            (Changes{{0, "0"}, {1, "1010"}, {2, std::string(64, '1')}, {3, "1" + std::string(63, '0')}}));
  EXPECT_EQ(t.of("nibble"), (Changes{{0, "0"}, {3, "1111"}}));
}

TEST(VcdWriter, RealsReadBackExactly) {
  const auto path = temp_path("vcd_reals.vcd");
  VcdWriter w;
  const int r = w.real("r");
  const std::vector<double> values = {0.1, 1.0 / 3, -2.5e-300, 1e21, 14600, std::numeric_limits<double>::max(),
                                      std::numeric_limits<double>::denorm_min()};
  std::string error;
  ASSERT_TRUE(w.open(path, error)) << error;
  for (size_t i = 0; i < values.size(); ++i) w.change_real(r, Time::from_ps(static_cast<int64_t>(i + 1)), values[i]);
  ASSERT_TRUE(w.close());
  auto t = read_vcd(slurp(path));
  ASSERT_EQ(t.error, "");
  auto got = t.of("r");
  ASSERT_EQ(got.size(), values.size() + 1);
  for (size_t i = 0; i < values.size(); ++i) EXPECT_EQ(std::strtod(got[i + 1].second.c_str(), nullptr), values[i]);
  EXPECT_EQ(got[1].second, "0.1");  // shortest text, not 0.10000000000000001
}

TEST(VcdWriter, SameCallsGiveIdenticalBytes) {
  const auto a = temp_path("vcd_same_a.vcd"), b = temp_path("vcd_same_b.vcd");
  {
    VcdWriter w1, w2;
    write_sample(w1, a);
    write_sample(w2, b);
  }
  const std::string text = slurp(a);
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(text, slurp(b));
}

TEST(VcdWriter, RejectsBadDeclarations) {
  VcdWriter w({"only.this"});
  w.wire("a.b.c");
  EXPECT_THROW(w.wire("a.b.c"), std::invalid_argument);     // duplicate, even unselected
  EXPECT_THROW(w.real("a.b.c"), std::invalid_argument);     // duplicate across kinds
  EXPECT_THROW(w.wire("a.b"), std::invalid_argument);       // already a scope
  EXPECT_THROW(w.wire("a.b.c.d"), std::invalid_argument);   // its scope is a signal
  EXPECT_THROW(w.wire("x", 0), std::invalid_argument);
  EXPECT_THROW(w.wire("x", 65), std::invalid_argument);
  EXPECT_THROW(w.wire(""), std::invalid_argument);
  EXPECT_THROW(w.wire("a..b"), std::invalid_argument);
  EXPECT_THROW(w.wire(".a"), std::invalid_argument);
  EXPECT_THROW(w.wire("a."), std::invalid_argument);
  EXPECT_THROW(w.wire("has space"), std::invalid_argument);
  EXPECT_NO_THROW(w.wire("x", 64));  // the failed declarations above did not take the name
  EXPECT_NO_THROW(w.wire("a.b.e"));

  std::string error;
  ASSERT_TRUE(w.open(temp_path("vcd_reject.vcd"), error)) << error;
  EXPECT_THROW(w.wire("late"), std::logic_error);
}

TEST(VcdWriter, OpenFailureSaysWhyAndChangesAreIgnored) {
  VcdWriter w;
  const int s = w.wire("s");
  w.change(s, Time::from_ps(1), 1);  // not open: tracing off, nothing happens
  std::string error;
  EXPECT_FALSE(w.open("/nonexistent-dir/x.vcd", error));
  EXPECT_NE(error.find("/nonexistent-dir/x.vcd"), std::string::npos) << error;
  EXPECT_FALSE(w.is_open());
  w.change(s, Time::from_ps(2), 1);
  EXPECT_EQ(w.changes(), 0u);
  EXPECT_TRUE(w.close());
}

TEST(VcdWriter, IdentifierCodesAreDistinctPrintableAndShort) {
  EXPECT_EQ(VcdWriter::identifier_code(0), "!");
  EXPECT_EQ(VcdWriter::identifier_code(93), "~");
  EXPECT_EQ(VcdWriter::identifier_code(94), "!!");
  EXPECT_EQ(VcdWriter::identifier_code(94 + 94 * 94 - 1), "~~");
  EXPECT_EQ(VcdWriter::identifier_code(94 + 94 * 94), "!!!");
  std::set<std::string> seen;
  for (size_t i = 0; i < 94 + 94 * 94 + 500; ++i) {
    const std::string code = VcdWriter::identifier_code(i);
    for (char c : code) ASSERT_TRUE(c >= '!' && c <= '~') << i;
    ASSERT_TRUE(seen.insert(code).second) << "code " << code << " repeats at " << i;
  }
}

// More signals than two-character codes cover, all in one file: every one reads back.
TEST(VcdWriter, ManySignalsGetDistinctCodes) {
  const auto path = temp_path("vcd_many.vcd");
  const int n = 94 * 94 + 200;
  VcdWriter w;
  std::vector<int> h;
  for (int i = 0; i < n; ++i) h.push_back(w.wire("ring" + std::to_string(i / 100) + ".q" + std::to_string(i % 100)));
  std::string error;
  ASSERT_TRUE(w.open(path, error)) << error;
  for (int i = 0; i < n; ++i) w.change(h[i], Time::from_ps(1 + i / 1000), 1);
  ASSERT_TRUE(w.close());

  auto t = read_vcd(slurp(path));
  ASSERT_EQ(t.error, "");
  ASSERT_EQ(t.vars.size(), static_cast<size_t>(n));
  std::set<std::string> codes;
  for (const auto& [name, v] : t.vars) codes.insert(v.code);
  EXPECT_EQ(codes.size(), static_cast<size_t>(n));
  EXPECT_EQ(t.of("ring88.q37"), (Changes{{0, "0"}, {1 + 8837 / 1000, "1"}}));
}

// GTKWave's own converter must accept the file. vcd2fst exits 0 even on garbage, so the
// FST is also converted back with fst2vcd and its transitions compared with what was written.
TEST(VcdWriter, GtkwaveToolsReadTheFile) {
  if (std::system("command -v vcd2fst > /dev/null 2>&1") != 0) GTEST_SKIP() << "vcd2fst (gtkwave) not installed";
  const auto vcd = temp_path("vcd_gtkwave.vcd"), fst = temp_path("vcd_gtkwave.fst"),
             back = temp_path("vcd_gtkwave_back.vcd");
  std::remove(fst.c_str());
  VcdWriter w;
  write_sample(w, vcd);
  ASSERT_EQ(std::system(("vcd2fst -v '" + vcd + "' -f '" + fst + "' > /dev/null 2>&1").c_str()), 0);
  ASSERT_FALSE(slurp(fst).empty());

  if (std::system("command -v fst2vcd > /dev/null 2>&1") != 0) return;
  ASSERT_EQ(std::system(("fst2vcd -f '" + fst + "' -o '" + back + "' > /dev/null 2>&1").c_str()), 0);
  auto ours = read_vcd(slurp(vcd)), theirs = read_vcd(slurp(back));
  ASSERT_EQ(theirs.error, "");
  ASSERT_EQ(theirs.vars.size(), ours.vars.size());
  for (const auto& [name, v] : ours.vars) {
    ASSERT_TRUE(theirs.vars.count(name)) << name;
    EXPECT_EQ(theirs.vars[name].width, v.width) << name;
    EXPECT_EQ(theirs.of(name), ours.of(name)) << name;
  }
}

// States by name: a $var string whose values are the labels, starting at the first label.
TEST(VcdWriter, EnumerationsAreWrittenAsNamedStrings) {
  const auto path = temp_path("vcd_enum.vcd");
  VcdWriter w;
  const int napi = w.enumeration("host_a.driver.rxq0.napi", {"idle", "scheduled", "polling"});
  std::string error;
  ASSERT_TRUE(w.open(path, error)) << error;
  w.change(napi, Time::from_ns(1), 1);
  w.change(napi, Time::from_ns(2), 2);
  w.change(napi, Time::from_ns(2), 2);  // same value: nothing
  w.change(napi, Time::from_ns(3), 7);  // past the end: the last label
  w.change(napi, Time::from_ns(4), 0);
  ASSERT_TRUE(w.close(Time::from_ns(5)));
  const std::string text = slurp(path);
  EXPECT_NE(text.find("$var string 1 ! napi $end"), std::string::npos) << text;
  EXPECT_NE(text.find("spolling !\n"), std::string::npos) << text;
  auto t = read_vcd(text);
  ASSERT_EQ(t.error, "");
  EXPECT_EQ(t.vars["host_a.driver.rxq0.napi"].type, "string");
  EXPECT_EQ(t.of("host_a.driver.rxq0.napi"),
            (Changes{{0, "idle"}, {1000, "scheduled"}, {2000, "polling"}, {4000, "idle"}}));
  EXPECT_EQ(w.changes(), 3u);

  VcdWriter bad;
  EXPECT_THROW(bad.enumeration("e", {}), std::invalid_argument);
  EXPECT_THROW(bad.enumeration("e", {"two words"}), std::invalid_argument);
  EXPECT_THROW(bad.enumeration("e", {"ok", ""}), std::invalid_argument);
}

// A window: what happened before its start is the value at #start; nothing after its stop.
TEST(VcdWriter, WindowFoldsEarlierChangesIntoItsStartAndEndsAtItsStop) {
  const auto path = temp_path("vcd_window.vcd");
  VcdWriter w;
  const int ring = w.wire("ring", 8), line = w.wire("line"), state = w.enumeration("state", {"idle", "busy"});
  w.set_window(Time::from_ns(10), Time::from_ns(20));
  std::string error;
  ASSERT_TRUE(w.open(path, error)) << error;
  w.change(ring, Time::from_ns(1), 3);
  w.change(state, Time::from_ns(2), 1);
  w.change(line, Time::from_ns(3), 1);
  w.change(line, Time::from_ns(4), 0);  // a pulse wholly before the window leaves nothing
  w.change(ring, Time::from_ns(10), 4);  // at the start: after the folded value
  w.change(ring, Time::from_ns(15), 5);
  w.change(ring, Time::from_ns(21), 6);  // past the stop
  ASSERT_TRUE(w.close(Time::from_ns(30)));
  EXPECT_EQ(w.time_errors(), 0u);
  auto t = read_vcd(slurp(path));
  ASSERT_EQ(t.error, "");
  EXPECT_EQ(t.of("ring"), (Changes{{10'000, "11"}, {10'000, "100"}, {15'000, "101"}}));
  EXPECT_EQ(t.of("state"), (Changes{{10'000, "busy"}}));
  EXPECT_EQ(t.of("line"), (Changes{{10'000, "0"}}));
  EXPECT_EQ(t.times, (std::vector<int64_t>{10'000, 15'000, 20'000}));  // ends at the stop

  // A run that ends before the window opens still gives a well-formed file.
  VcdWriter late;
  const int x = late.wire("x");
  late.set_window(Time::from_ns(100), Time{});
  ASSERT_TRUE(late.open(path, error)) << error;
  late.change(x, Time::from_ns(1), 1);
  ASSERT_TRUE(late.close(Time::from_ns(50)));
  EXPECT_EQ(late.time_errors(), 0u);
  auto u = read_vcd(slurp(path));
  ASSERT_EQ(u.error, "");
  EXPECT_EQ(u.of("x"), (Changes{{100'000, "1"}}));
}

// vcd2fst keeps string variables: converted back with fst2vcd, the labels are the same.
TEST(VcdWriter, GtkwaveToolsKeepEnumerationLabels) {
  if (std::system("command -v vcd2fst > /dev/null 2>&1") != 0) GTEST_SKIP() << "vcd2fst (gtkwave) not installed";
  if (std::system("command -v fst2vcd > /dev/null 2>&1") != 0) GTEST_SKIP() << "fst2vcd (gtkwave) not installed";
  const auto vcd = temp_path("vcd_enum_gtkwave.vcd"), fst = temp_path("vcd_enum_gtkwave.fst"),
             back = temp_path("vcd_enum_gtkwave_back.vcd");
  VcdWriter w;
  const int prio = w.enumeration("core0.priority", {"idle", "user", "softirq", "hardirq"});
  const int run = w.wire("core0.running");
  w.set_window(Time::from_ns(1), Time{});
  std::string error;
  ASSERT_TRUE(w.open(vcd, error)) << error;
  w.change(prio, Time::from_ps(500), 1);
  w.change(run, Time::from_ps(500), 1);
  w.change(prio, Time::from_ns(2), 3);
  w.change(prio, Time::from_ns(3), 0);
  ASSERT_TRUE(w.close(Time::from_ns(4)));
  ASSERT_EQ(std::system(("vcd2fst -v '" + vcd + "' -f '" + fst + "' > /dev/null 2>&1").c_str()), 0);
  ASSERT_EQ(std::system(("fst2vcd -f '" + fst + "' -o '" + back + "' > /dev/null 2>&1").c_str()), 0);
  auto theirs = read_vcd(slurp(back));
  ASSERT_EQ(theirs.error, "");
  EXPECT_EQ(theirs.of("core0.priority"), (Changes{{1000, "user"}, {2000, "hardirq"}, {3000, "idle"}}));
  EXPECT_EQ(theirs.of("core0.running"), (Changes{{1000, "1"}}));
}
