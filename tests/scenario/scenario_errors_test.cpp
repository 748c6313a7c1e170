// Every kind of bad scenario input gives `file:line:col: key: problem` and no scenario.
#include <gtest/gtest.h>

#include "core/scenario.h"
#include "platforms/catalog.h"

using namespace hostwire;

namespace {

LoadResult load(const std::string& text, std::vector<std::string> overrides = {}) {
  HostwireCatalog catalog;
  LoadOptions o;
  o.overrides = std::move(overrides);
  return load_scenario_text(text, "s.yaml", catalog, o);
}

std::string only_error(const LoadResult& r) {
  EXPECT_FALSE(r.scenario);
  EXPECT_EQ(r.errors.size(), 1u);
  return r.errors.empty() ? "" : r.errors.front().str();
}

const char* kGood = R"(platform: link_pair
duration: 1ms
parameters:
  link0:
    rate: 10Gbps
workloads:
  - name: w
    type: frame_generator
    frame_size: 128B
)";

}  // namespace

TEST(ScenarioLoad, GoodFileResolvesEveryKey) {
  auto r = load(kGood);
  ASSERT_TRUE(r.scenario) << (r.errors.empty() ? "" : r.errors[0].str());
  const Scenario& s = *r.scenario;
  EXPECT_EQ(s.at("link0.rate").integer, 10'000'000'000);
  EXPECT_EQ(s.at("link0.rate").origin, "s.yaml:5:11");
  EXPECT_EQ(s.at("workloads.w.frame_size").integer, 128);
  EXPECT_EQ(s.at("link0.mtu").origin, "default");
  EXPECT_EQ(s.duration().ps, 1'000'000'000);
  // Every key of the schema has a value, so the report can show the whole resolved scenario.
  EXPECT_EQ(s.values.size(), s.schema.size());
}

TEST(ScenarioLoad, UnknownKeySuggestsTheNearest) {
  std::string e = only_error(load("platform: link_pair\nparameters:\n  link0:\n    rat: 10Gbps\n"));
  EXPECT_EQ(e, "s.yaml:4:5: link0.rat: unknown key (did you mean 'link0.rate'?)");
}

TEST(ScenarioLoad, UnknownTopLevelKeySuggests) {
  EXPECT_EQ(only_error(load("platform: link_pair\ndurration: 1ms\n")),
            "s.yaml:2:1: durration: unknown key (did you mean 'duration'?)");
}

TEST(ScenarioLoad, WrongUnitNamesTheAcceptedUnits) {
  std::string e = only_error(load("platform: link_pair\nparameters:\n  link0:\n    rate: 10GHz\n"));
  EXPECT_EQ(e.rfind("s.yaml:4:11: link0.rate: unknown unit 'GHz' for a rate", 0), 0u) << e;
}

TEST(ScenarioLoad, BareNumberWhereAUnitIsNeeded) {
  std::string e = only_error(load("platform: link_pair\nduration: 10\n"));
  EXPECT_EQ(e.rfind("s.yaml:2:11: duration: missing unit", 0), 0u) << e;
}

TEST(ScenarioLoad, ImpossibleValues) {
  EXPECT_EQ(only_error(load("platform: link_pair\nparameters:\n  link0:\n    rate: -1Gbps\n")),
            "s.yaml:4:11: link0.rate: '-1Gbps' must be greater than zero");
  EXPECT_EQ(only_error(load("platform: link_pair\nparameters:\n  link0:\n    mtu: 67B\n")),
            "s.yaml:4:10: link0.mtu: '67B' must be at least 68B");
  EXPECT_EQ(only_error(load("platform: link_pair\nduration: 0s\n")),
            "s.yaml:2:11: duration: '0s' must be greater than zero");
}

TEST(ScenarioLoad, FrameLargerThanTheMtuIsRejectedAtItsKey) {
  std::string e = only_error(load(std::string(kGood) + "    frame_size_max: 2000B\n    sizes: uniform\n"));
  EXPECT_EQ(e.rfind("s.yaml:10:21: workloads.w.frame_size_max: 2000B exceeds the largest frame", 0), 0u) << e;
}

TEST(ScenarioLoad, ChoiceSuggestsTheNearest) {
  std::string e = only_error(load(std::string(kGood) + "    pattern: linerate\n"));
  EXPECT_NE(e.find("s.yaml:10:14: workloads.w.pattern: 'linerate' is not one of: line_rate, constant, poisson "
                   "(did you mean 'line_rate'?)"),
            std::string::npos)
      << e;
}

TEST(ScenarioLoad, OverridesApplyAndAreChecked) {
  auto r = load(kGood, {"link0.rate=25Gbps", "workloads.w.frame_size=256B", "duration=50ms"});
  ASSERT_TRUE(r.scenario);
  EXPECT_EQ(r.scenario->at("link0.rate").integer, 25'000'000'000);
  EXPECT_EQ(r.scenario->at("link0.rate").origin, "--set");
  EXPECT_EQ(r.scenario->at("workloads.w.frame_size").integer, 256);
  EXPECT_EQ(r.scenario->duration(), Time::from_ms(50));

  EXPECT_EQ(only_error(load(kGood, {"link0.rte=1Gbps"})), "--set: link0.rte: unknown key (did you mean 'link0.rate'?)");
  EXPECT_EQ(only_error(load(kGood, {"link0.mtu=10B"})), "--set: link0.mtu: '10B' must be at least 68B");
  EXPECT_EQ(only_error(load(kGood, {"link0.rate"})), "--set: link0.rate: expected key=value");
}

TEST(ScenarioLoad, OverrideIsCrossCheckedToo) {
  std::string e = only_error(load(kGood, {"workloads.w.frame_size=9000B"}));
  EXPECT_EQ(e.rfind("--set: workloads.w.frame_size: 9000B exceeds", 0), 0u) << e;
}

TEST(ScenarioLoad, DuplicateKeys) {
  std::string e = only_error(load("platform: link_pair\nduration: 1ms\nduration: 2ms\n"));
  EXPECT_EQ(e.rfind("s.yaml:3:1: duration: duplicate key", 0), 0u) << e;
  e = only_error(load("platform: link_pair\nparameters:\n  link0:\n    rate: 1Gbps\n  link0.rate: 2Gbps\n"));
  EXPECT_EQ(e.rfind("s.yaml:5:3: link0.rate: set twice", 0), 0u) << e;
}

TEST(ScenarioLoad, MissingOrUnknownPlatform) {
  EXPECT_EQ(only_error(load("duration: 1ms\n")).rfind("s.yaml:1:1: platform: missing", 0), 0u);
  EXPECT_EQ(only_error(load("platform: link_par\n")),
            "s.yaml:1:11: platform: unknown platform 'link_par'; choose one of: link_pair, two_hosts, star (did you mean "
            "'link_pair'?)");
}

TEST(ScenarioLoad, SyntaxErrorsAndNonMappings) {
  auto r = load("platform: [link_pair\n");
  ASSERT_FALSE(r.scenario);
  EXPECT_EQ(r.errors[0].location.rfind("s.yaml:", 0), 0u) << r.errors[0].str();
  EXPECT_NE(only_error(load("")).find("empty"), std::string::npos);
  EXPECT_NE(only_error(load("- a\n- b\n")).find("mapping"), std::string::npos);
  EXPECT_NE(only_error(load("platform: link_pair\nduration: [1ms]\n")).find("expected a single value"), std::string::npos);
}

TEST(ScenarioLoad, WorkloadErrors) {
  EXPECT_EQ(only_error(load("platform: link_pair\nworkloads:\n  - name: w\n    type: frame_gen\n")),
            "s.yaml:4:11: workloads.w.type: unknown workload type 'frame_gen'; one of: frame_generator (did you mean "
            "'frame_generator'?)");
  auto r = load("platform: link_pair\nworkloads:\n  - {name: w, type: frame_generator}\n  - {name: w, type: frame_generator}\n");
  ASSERT_FALSE(r.scenario);
  EXPECT_NE(r.errors[0].str().find("duplicate workload name"), std::string::npos);
  EXPECT_EQ(only_error(load("platform: link_pair\nworkloads:\n  - {name: w, type: frame_generator, from: a, to: a}\n")),
            "s.yaml:3:51: workloads.w.to: a frame workload needs two different endpoints (from is 'a')");
}

TEST(ScenarioLoad, SweepIsParsedAndValidated) {
  auto r = load(std::string(kGood) + "sweep:\n  link0.rate: [1Gbps, 10Gbps]\n  workloads.w.frame_size: [64B, 1518B]\n");
  ASSERT_TRUE(r.scenario);
  ASSERT_EQ(r.scenario->sweep.size(), 2u);
  EXPECT_EQ(r.scenario->sweep[0].values, (std::vector<std::string>{"1Gbps", "10Gbps"}));
  EXPECT_EQ(only_error(load(std::string(kGood) + "sweep:\n  link0.rate: [1Gbps, 10]\n")).rfind("s.yaml:11:23: link0.rate: missing unit", 0), 0u);
  EXPECT_EQ(only_error(load(std::string(kGood) + "sweep:\n  link0.rat: [1Gbps]\n")),
            "s.yaml:11:3: link0.rat: unknown key (did you mean 'link0.rate'?)");
}

TEST(ScenarioLoad, AliasBombIsRefusedQuickly) {
  // Each level refers ten times to the one below: 10^12 leaves if expanded.
  std::string bomb = "platform: link_pair\nparameters:\n  link0:\n    a: &a {rate: 1Gbps}\n";
  std::string prev = "a";
  for (int i = 0; i < 12; ++i) {
    std::string name = "l" + std::to_string(i);
    bomb += "    " + name + ": &" + name + " {";
    for (int k = 0; k < 10; ++k) bomb += (k ? ", k" : "k") + std::to_string(k) + ": *" + prev;
    bomb += "}\n";
    prev = name;
  }
  auto r = load(bomb);
  ASSERT_FALSE(r.scenario);
  EXPECT_LE(r.errors.size(), 51u);
  const std::string last = r.errors.back().str();
  EXPECT_TRUE(last.find("too many errors") != std::string::npos || last.find("too large") != std::string::npos) << last;
}

TEST(ScenarioLoad, NodeBudgetStopsExpansionEvenWithoutErrors) {
  // Valid keys only: a sweep axis whose list aliases a huge list.
  std::string bomb = "platform: link_pair\nx: &x [1Gbps, 1Gbps, 1Gbps, 1Gbps, 1Gbps, 1Gbps, 1Gbps, 1Gbps]\n";
  auto r = load(bomb + "sweep:\n  link0.rate: *x\n");
  ASSERT_FALSE(r.scenario);  // x is an unknown top-level key
  std::string big = "platform: link_pair\nsweep:\n  link0.rate: [";
  for (int i = 0; i < 120000; ++i) big += i ? ", 1Gbps" : "1Gbps";
  r = load(big + "]\n");
  ASSERT_FALSE(r.scenario);
  EXPECT_NE(r.errors.back().str().find("too large"), std::string::npos) << r.errors.back().str();
}

TEST(ScenarioLoad, MegabyteKeyIsRefusedWithoutEchoingIt) {
  std::string key(1 << 20, 'k');
  auto r = load("platform: link_pair\n" + key + ": 1\n");
  ASSERT_FALSE(r.scenario);
  EXPECT_LT(r.errors[0].str().size(), 200u);
}

TEST(ScenarioLoad, UdpStreamPayloadBeyondTheMtuIsRejectedAtItsKey) {
  const char* text =
      "platform: two_hosts\nduration: 1ms\nworkloads:\n  - name: w\n    type: udp_stream\n    payload: 1473B\n";
  // 1472 B is the largest: 1473 + 8 (UDP) + 20 (IPv4) = 1501 > 1500.
  EXPECT_EQ(only_error(load(text)),
            "s.yaml:6:14: workloads.w.payload: 1473B + 28 B of UDP/IPv4 headers exceeds the 1500B MTU of link0 (the "
            "path has no IP fragmentation)");
  auto r = load(text, {"workloads.w.payload=1472B"});
  EXPECT_TRUE(r.scenario) << (r.errors.empty() ? "" : r.errors[0].str());
}

TEST(ScenarioLoad, UdpStreamWithMoreThreadsThanCoresIsRejectedAtItsKey) {
  const char* text =
      "platform: two_hosts\nduration: 1ms\nparameters:\n  host_a:\n    cpu:\n      cores: 2\nworkloads:\n"
      "  - name: w\n    type: udp_stream\n    threads: 3\n";
  EXPECT_EQ(only_error(load(text)),
            "s.yaml:10:14: workloads.w.threads: 3 sender threads but host_a has 2 cores (host_a.cpu.cores)");
  auto r = load(text, {"workloads.w.threads=2"});
  EXPECT_TRUE(r.scenario) << (r.errors.empty() ? "" : r.errors[0].str());
}

TEST(ScenarioLoad, ParallelSendNeedsACoreForEveryPe) {
  const char* text =
      "platform: two_hosts\nduration: 1ms\nparameters:\n  host_a:\n    cpu: {cores: 4}\n"
      "    tcp: {parallel: {pes: 6, first_core: 1}}\n";
  EXPECT_EQ(only_error(load(text)),
            "s.yaml:6:27: host_a.tcp.parallel.pes: 6 processing elements but the host has 4 cores (host_a.cpu.cores): "
            "each PE is a core of its own");
  EXPECT_EQ(only_error(load(text, {"host_a.tcp.parallel.pes=4", "host_a.tcp.parallel.first_core=4"})),
            "--set: host_a.tcp.parallel.first_core: core 4 but the host has 4 cores (host_a.cpu.cores)");
  auto r = load(text, {"host_a.tcp.parallel.pes=4"});
  EXPECT_TRUE(r.scenario) << (r.errors.empty() ? "" : r.errors[0].str());
}

TEST(ScenarioLoad, AnOffloadEngineThatCouldNeverTakeAConnIsRefused) {
  const char* text = "platform: two_hosts\nduration: 1ms\nparameters:\n  host_a:\n    nic: {toe: {enabled: true}}\n";
  EXPECT_TRUE(load(text).scenario);
  EXPECT_EQ(only_error(load(text, {"host_a.tcp.parallel.pes=2"})),
            "s.yaml:5:26: host_a.nic.toe.enabled: the offload engine and parallel send (host_a.tcp.parallel.pes = 2) "
            "both take the conns' send path; use one");
  EXPECT_EQ(only_error(load(text, {"host_a.tcp.sndbuf=64KiB", "host_a.nic.toe.min_block=128KiB"})),
            "--set: host_a.nic.toe.min_block: 131072 B but a conn holds at most 65536 B (host_a.tcp.sndbuf): no conn "
            "would be offloaded");
}

TEST(ScenarioLoad, AStarGroupsOwnVnicsAndRulesAreCheckedAtTheirPlace) {
  // The server group has a debug VNIC and a mirror rule of its own; the clients have neither.
  const char* text =
      "platform: star\nduration: 1ms\nparameters:\n  hosts:\n"
      "    - {name: server, vnics: 2, rules: [{src_ip: 10.0.0.2, mirror: 1}]}\n"
      "    - {name: client, count: 2}\n"
      "workloads:\n  - {name: debug, type: analyzer, to: server, vnic: 1}\n";
  auto r = load(text);
  ASSERT_TRUE(r.scenario) << (r.errors.empty() ? "" : r.errors[0].str());
  EXPECT_EQ(r.scenario->at("hosts").items[0].at("rules").items[0].at("mirror").integer, 1);
  EXPECT_EQ(only_error(load(text, {"hosts[0].rules[0].mirror=2"})),
            "--set: hosts[0].rules[0].mirror: VNIC 2 but the NIC has 2 (hosts[0].vnics)");
  EXPECT_EQ(only_error(load(text, {"workloads.debug.to=client[0]"})),
            "s.yaml:8:53: workloads.debug.vnic: VNIC 1 but client[0] has 1 (host.nic.vnics)");
  EXPECT_EQ(only_error(load(text, {"hosts[0].rules[0].erspan_to=10.1.0.2"})),
            "--set: hosts[0].rules[0].erspan_to: 10.1.0.2 is no VNIC's address (VNIC v of the host at port i is "
            "10.v.<i/256>.<i%256>: 10.0.0.1, 10.1.0.1, 10.0.0.2, 10.0.0.3)");
}

TEST(ScenarioLoad, StarHostGroupsAreAListWithLocatedErrorsPerItem) {
  const std::string text =
      "platform: star\n"
      "parameters:\n"
      "  hosts:\n"
      "    - {name: server}\n"
      "    - {name: client, count: 16, cores: two}\n"
      "    - {name: edge, cuont: 2}\n"
      "workloads:\n"
      "  - {name: rr, type: tcp_rr, from: clinet, to: server}\n";
  auto r = load(text);
  ASSERT_FALSE(r.scenario);
  std::vector<std::string> e;
  for (const auto& x : r.errors) e.push_back(x.str());
  ASSERT_GE(e.size(), 2u);
  EXPECT_EQ(e[0], "s.yaml:5:40: hosts[1].cores: 'two' is not a whole number");
  EXPECT_EQ(e[1], "s.yaml:6:20: hosts[2].cuont: unknown key (did you mean 'hosts[2].count'?)");
  // With the items fixed, the workload's host names are checked against the groups.
  auto fixed = load(
      "platform: star\nparameters:\n  hosts:\n    - {name: server}\n    - {name: client, count: 16, cores: 2}\n"
      "workloads:\n  - {name: rr, type: tcp_rr, from: clinet, to: server}\n"
      "  - name: one\n    type: tcp_rr\n    from: server\n    to: client[16]\n");
  ASSERT_FALSE(fixed.scenario);
  ASSERT_EQ(fixed.errors.size(), 2u);
  EXPECT_EQ(fixed.errors[0].str(), "s.yaml:7:36: workloads.rr.from: no host or group 'clinet' (did you mean 'client'?)");
  EXPECT_EQ(fixed.errors[1].str(), "s.yaml:11:9: workloads.one.to: 'client[16]': group 'client' has 16 host(s), [0] to [15]");
}

namespace {

// A tcp_messages workload between the two hosts, its keys in block style (one a line from line 6).
std::string messages(const std::string& keys) {
  return "platform: two_hosts\nduration: 1ms\nworkloads:\n  - name: m\n    type: tcp_messages\n" + keys;
}

}  // namespace

TEST(ScenarioLoad, TcpMessagesFramingsAndModesAreChoices) {
  EXPECT_EQ(only_error(load(messages("    framing: json\n"))),
            "s.yaml:6:14: workloads.m.framing: 'json' is not one of: length_prefix, delimiter, http, tls");
  EXPECT_NE(only_error(load(messages("    mode: mesage\n"))).find("(did you mean 'message'?)"), std::string::npos);
  EXPECT_NE(only_error(load(messages("    framng: tls\n"))).find("did you mean 'workloads.m.framing'?"), std::string::npos);
  auto good = load(messages("    framing: http\n    http_chunked: true\n    size_dist: lognormal\n    size_sigma: 0.5\n"
                            "    mode: message\n    batch: 8\n    on_bad: stream\n"));
  EXPECT_TRUE(good.scenario) << (good.errors.empty() ? "" : good.errors[0].str());
}

TEST(ScenarioLoad, TcpMessagesTlsRecordsAreAtMost16389Bytes) {
  const std::string over = " is over 16389B, the largest TLS record (a 5-byte header and 16384 B of application data)";
  EXPECT_EQ(only_error(load(messages("    framing: tls\n    message_size: 16390B\n"))),
            "s.yaml:7:19: workloads.m.message_size: 16390B" + over);
  EXPECT_TRUE(load(messages("    framing: tls\n    message_size: 16389B\n")).scenario);
  EXPECT_EQ(only_error(load(messages("    framing: tls\n    size_dist: bimodal\n    size_large: 64KiB\n"))),
            "s.yaml:8:17: workloads.m.size_large: 64KiB" + over);
}

TEST(ScenarioLoad, TcpMessagesSizesFitTheMaximum) {
  EXPECT_EQ(only_error(load(messages("    message_size: 2MiB\n"))),
            "s.yaml:6:19: workloads.m.message_size: 2MiB is over max_size 1MiB");
  EXPECT_TRUE(load(messages("    message_size: 2MiB\n    max_size: 4MiB\n")).scenario);
  EXPECT_EQ(only_error(load(messages("    framing: http\n    max_size: 100B\n    message_size: 100B\n"))),
            "s.yaml:7:15: workloads.m.max_size: 100B cannot hold every http message's header: at least 106 B");
  EXPECT_EQ(only_error(load(messages("    size_dist: bimodal\n    size_small: 8KiB\n    size_large: 4KiB\n"))),
            "s.yaml:7:17: workloads.m.size_small: is larger than size_large");
}

TEST(ScenarioLoad, TcpMessagesDelimiterCannotAppearInALinesHeader) {
  EXPECT_EQ(only_error(load(messages("    framing: delimiter\n    delimiter: \"\\r\\n0\"\n"))),
            "s.yaml:7:16: workloads.m.delimiter: may hold no digit or space: a line's text header (\"<index> "
            "<arose> \") is made of them");
  EXPECT_TRUE(load(messages("    framing: delimiter\n    delimiter: \"\\r\\n\"\n")).scenario);
}

TEST(ScenarioLoad, TcpMessagesHostileStreamsNeedAFramingTheyCanDefeat) {
  EXPECT_EQ(only_error(load(messages("    framing: delimiter\n    hostile: huge_length\n"))),
            "s.yaml:7:14: workloads.m.hostile: huge_length announces a length: framing length_prefix or tls, not "
            "delimiter");
  EXPECT_EQ(only_error(load(messages("    hostile: endless\n"))),
            "s.yaml:6:14: workloads.m.hostile: endless never writes the end a framer searches for: framing delimiter "
            "or http, not length_prefix (whose end its length field tells)");
  EXPECT_NE(only_error(load(messages("    hostile: huge\n")))
                .find("'huge' is not one of: none, huge_length, endless, garbage"),
            std::string::npos);
  EXPECT_NE(only_error(load(messages("    hostile: garbage\n    hostile_after: -1\n"))).find("workloads.m.hostile_after"),
            std::string::npos);
  for (const char* good : {"    framing: tls\n    hostile: huge_length\n    hostile_after: 0\n",
                           "    framing: http\n    hostile: endless\n", "    framing: delimiter\n    hostile: garbage\n"}) {
    auto r = load(messages(good));
    EXPECT_TRUE(r.scenario) << good << (r.errors.empty() ? "" : r.errors[0].str());
  }
}

TEST(ScenarioLoad, TcpMessagesConditionModeNeedsACondition) {
  EXPECT_EQ(only_error(load(messages("    mode: condition\n"))),
            "s.yaml:6:11: workloads.m.mode: condition needs a delivery condition: set cond_min_bytes, cond_messages, "
            "cond_delimiter or cond_timeout");
  EXPECT_TRUE(load(messages("    mode: condition\n    cond_messages: 4\n    cond_timeout: 50us\n")).scenario);
  EXPECT_EQ(only_error(load(messages("    mode: condition\n    cond_delimiter: \"0123456789abcdefg\"\n"))),
            "s.yaml:7:21: workloads.m.cond_delimiter: a delimiter is 1 to 16 bytes; this one is 17");
}

TEST(ScenarioLoad, TcpMessagesKeysOfAnotherModeOrFramingAreIgnoredSoModesCanBeSwept) {
  // One scenario sets every mode's keys and sweeps the mode (and the framing).
  const std::string text = messages(
      "    batch: 8\n    cond_messages: 4\n    delimiter: \"\\r\\n\"\n    size_sigma: 2\n"
      "sweep:\n  workloads.m.mode: [stream, message, condition]\n  workloads.m.framing: [length_prefix, delimiter]\n");
  auto r = load(text);
  EXPECT_TRUE(r.scenario) << (r.errors.empty() ? "" : r.errors[0].str());
}

namespace {

// host_b mirrors one flow to its VNIC 1, one frame in 8; the rule is on line 8.
const char* kMirrorRule =
    "platform: two_hosts\nduration: 1ms\nparameters:\n  host_b:\n    nic:\n      vnics: 2\n      rules:\n"
    "        - {src_ip: 10.0.0.2/32, mirror: 1, sample: 8}\n";

}  // namespace

TEST(ScenarioLoad, OneFieldOfOneNicRuleCanBeSetAndItsErrorsNameTheKey) {
  auto r = load(kMirrorRule, {"host_b.nic.rules[0].sample=64"});
  ASSERT_TRUE(r.scenario) << r.errors.front().str();
  EXPECT_TRUE(load(kMirrorRule, {"host_b.nic.rules[0].erspan_to=10.1.0.2"}).scenario);  // a VNIC of a host
  const ParamValue& rules = r.scenario->at("host_b.nic.rules");
  EXPECT_EQ(rules.items[0].at("sample").integer, 64);
  EXPECT_EQ(rules.items[0].at("sample").origin, "--set");
  EXPECT_EQ(rules.items[0].at("mirror").origin, "s.yaml:8:41");
  EXPECT_NE(rules.text.find("sample: 64"), std::string::npos) << rules.text;
  EXPECT_EQ(r.scenario->to_json()["parameters"]["host_b.nic.rules"][0]["sample"], "64");

  const std::vector<std::pair<std::string, std::string>> set_and_error = {
      {"host_b.nic.rules[1].sample=64", "host_b.nic.rules[1].sample: host_b.nic.rules has 1 item; [0] to [0]"},
      {"host_a.nic.rules[0].sample=64", "host_a.nic.rules[0].sample: host_a.nic.rules has no items"},
      {"host_b.nic.rules[0].sampel=64",
       "host_b.nic.rules[0].sampel: unknown field (did you mean 'host_b.nic.rules[0].sample'?)"},
      {"host_b.nic.rulse[0].sample=64", "host_b.nic.rulse[0].sample: unknown list (did you mean 'host_b.nic.rules'?)"},
      {"host_b.nic.rules[0].sample=0", "host_b.nic.rules[0].sample: '0' must be at least 1"},
      // The platform's checks bind the changed item, and blame --set for it.
      {"host_b.nic.rules[0].mirror=2", "host_b.nic.rules[0].mirror: VNIC 2 but the NIC has 2 (host_b.nic.vnics)"},
      // A remote analyzer must be some host's VNIC: host_a is 10.0.0.1, host_b's are 10.0.0.2 and 10.1.0.2.
      {"host_b.nic.rules[0].erspan_to=10.1.0.1",
       "host_b.nic.rules[0].erspan_to: 10.1.0.1 is no VNIC's address (VNIC v of the host at port i is "
       "10.v.<i/256>.<i%256>: 10.0.0.1, 10.0.0.2, 10.1.0.2)"},
      {"host_b.nic.rules[0].erspan_to=10.1.0", "host_b.nic.rules[0].erspan_to: '10.1.0' is not an IPv4 address (10.1.0.3)"},
  };
  for (const auto& [set, error] : set_and_error) EXPECT_EQ(only_error(load(kMirrorRule, {set})), "--set: " + error);
}

TEST(ScenarioLoad, OneFieldOfOneNicRuleCanBeASweepAxis) {
  const std::string text = std::string(kMirrorRule) + "sweep:\n  host_b.nic.rules[0].sample: [1, 8, 64]\n";
  auto r = load(text);
  ASSERT_TRUE(r.scenario) << r.errors.front().str();
  ASSERT_EQ(r.scenario->sweep.size(), 1u);
  EXPECT_EQ(r.scenario->sweep[0].values, (std::vector<std::string>{"1", "8", "64"}));
  auto point = load(text, {"host_b.nic.rules[0].sample=64"});  // what point 2 is given
  ASSERT_TRUE(point.scenario) << point.errors.front().str();
  EXPECT_EQ(point.scenario->at("host_b.nic.rules").items[0].at("sample").integer, 64);

  EXPECT_EQ(only_error(load(std::string(kMirrorRule) + "sweep:\n  host_b.nic.rules[1].sample: [1]\n")),
            "s.yaml:10:3: host_b.nic.rules[1].sample: host_b.nic.rules has 1 item; [0] to [0]");
  EXPECT_EQ(only_error(load(std::string(kMirrorRule) + "sweep:\n  host_b.nic.rules[0].sample: [1, 0]\n")),
            "s.yaml:10:35: host_b.nic.rules[0].sample: '0' must be at least 1");
  EXPECT_EQ(only_error(load(std::string(kMirrorRule) + "sweep:\n  host_b.nic.rules: [[]]\n"))
                .rfind("s.yaml:10:3: host_b.nic.rules: a list parameter cannot be a sweep axis; sweep one field", 0),
            0u);
}
