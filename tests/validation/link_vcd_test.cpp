// The link's waveform: transmitting exactly while each frame's bits are on the line, read back from
// the VCD the run wrote, and the file converts with GTKWave's vcd2fst.
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "core/scenario.h"
#include "platforms/catalog.h"
#include "support/vcd_reader.h"

using namespace hostwire;

TEST(LinkVcd, BusyForEachFramesSerialisationTime) {
  HostwireCatalog catalog;
  auto r = load_scenario_text(
      "platform: link_pair\nduration: 2us\nparameters: {link0: {rate: 10Gbps, propagation: 1us}}\n"
      "workloads:\n  - {name: w, type: frame_generator, pattern: line_rate, frame_size: 64B, count: 3}\n",
      "vcd.yaml", catalog);
  ASSERT_TRUE(r.scenario);
  SimContext ctx(r.scenario->seed());
  ctx.set_vcd_patterns({"link0.a_to_b.*"});
  auto top = catalog.build(*r.scenario, ctx);
  const std::string path = ::testing::TempDir() + "link_vcd_test.vcd";
  std::string error;
  ASSERT_TRUE(ctx.vcd().open(path, error)) << error;
  sc_core::sc_start(to_sc(r.scenario->duration()));
  ASSERT_TRUE(ctx.vcd().close(now()));

  std::ifstream in(path);
  auto trace = hostwire::testing::read_vcd(std::string(std::istreambuf_iterator<char>(in), {}));
  ASSERT_EQ(trace.error, "");
  EXPECT_EQ(trace.vars.count("link0.b_to_a.transmitting"), 0u);  // not selected
  // (8 + 64) B = 57.6 ns of bits, then a 12 B (9.6 ns) gap: busy 0..57.6, 67.2..124.8, 134.4..192 ns.
  using Changes = std::vector<std::pair<int64_t, std::string>>;
  EXPECT_EQ(trace.of("link0.a_to_b.transmitting"),
            (Changes{{0, "0"}, {0, "1"}, {57'600, "0"}, {67'200, "1"}, {124'800, "0"}, {134'400, "1"}, {192'000, "0"}}));
  // Frames in propagation: up to 3, each leaving 1 us after its last bit.
  auto in_flight = trace.of("link0.a_to_b.in_flight");
  ASSERT_FALSE(in_flight.empty());
  EXPECT_EQ(in_flight.back(), (std::pair<int64_t, std::string>{1'192'000, "0"}));

  if (std::system("command -v vcd2fst > /dev/null 2>&1") != 0) GTEST_SKIP() << "vcd2fst (gtkwave) not installed";
  const std::string fst = path + ".fst";
  EXPECT_EQ(std::system(("vcd2fst -v '" + path + "' -f '" + fst + "' > /dev/null 2>&1").c_str()), 0);
  EXPECT_GT(std::filesystem::file_size(fst), 0u);
}
