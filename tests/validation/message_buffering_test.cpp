// The kernel buffering experiment's oracles (mechanisms C and E), each against an analytic count
// or an independent tool: kernel framing gives one call and at most one wake-up per message of
// any size; a stream reader's calls follow ceil(M/R); a low-water mark's wake-ups per byte follow
// N; a delivery timeout adds at most T; messages survive loss, reordering and duplication with
// their boundaries; tshark's HTTP and TLS dissectors agree with our message counts. Each
// simulation runs in its own child process (SystemC elaborates once).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/scenario.h"
#include "platforms/catalog.h"
#include "support/in_child.h"
#include "support/simulate.h"
#include "support/tshark.h"

using namespace hostwire;
using hostwire::testing::in_child;

namespace {

// Runs one tcp_messages workload `m` (host_a -> host_b, 10 Gbps) with `keys`; `extra` is more
// scenario text (parameters, outputs). Returns its metrics without the prefix, latency
// percentiles, a few host counters and the invariants broken.
nlohmann::json run(const std::string& keys, const std::string& duration = "20ms", const std::string& extra = "",
                   const std::string& dir = "") {
  const std::string yaml = "platform: two_hosts\nduration: " + duration + "\n" + extra +
                           "workloads:\n  - {name: m, type: tcp_messages, from: host_a, to: host_b, " + keys + "}\n";
  return in_child([&] {
    HostwireCatalog catalog;
    auto l = load_scenario_text(yaml, "message_buffering_test.yaml", catalog);
    nlohmann::json out;
    if (!l.scenario) {
      std::fprintf(stderr, "%s\n", l.errors.empty() ? "no scenario" : l.errors.front().str().c_str());
      return out;
    }
    SimContext ctx(l.scenario->seed());
    if (!dir.empty()) {
      std::filesystem::create_directories(dir);
      ctx.set_output_dir(dir);
    }
    auto top = catalog.build(*l.scenario, ctx);
    sc_core::sc_start(to_sc(l.scenario->duration()));
    ctx.run_end_hooks();
    const auto j = ctx.stats().metrics_json();
    for (const char* n : {"messages_sent", "messages_received", "rx_calls", "wakeups", "rx_bytes", "corrupt",
                          "malformed", "errors_emsgsize", "errors_eproto", "errors_etimedout", "errors_econnreset",
                          "partial_reads"})
      out[n] = ctx.stats().value(std::string("workloads.m.") + n);
    for (const char* q : {"p50", "p99", "max", "count"}) out[std::string("latency_") + q] = j["workloads.m.message_latency"][q];
    for (const char* n : {"host_b.napi_polls", "host_b.tcp.kbuf.messages", "host_b.tcp.state.kbuf.entered",
                          "link0.a_to_b.dropped_loss", "link0.a_to_b.reordered", "link0.a_to_b.duplicated"})
      out[n] = ctx.stats().value(n);
    out["broken"] = ctx.check_invariants();
    return out;
  });
}

double v(const nlohmann::json& r, const std::string& k) { return r[k].get<double>(); }

void expect_clean(const nlohmann::json& r, const std::string& what) {
  ASSERT_TRUE(r.contains("messages_received")) << what << ": " << r.dump();
  EXPECT_TRUE(r["broken"].empty()) << what << ": " << r["broken"].dump();
  EXPECT_GT(v(r, "messages_received"), 0) << what;
  EXPECT_EQ(v(r, "corrupt"), 0) << what;
  EXPECT_EQ(v(r, "malformed"), 0) << what;
  for (const char* e : {"errors_emsgsize", "errors_eproto", "errors_etimedout", "errors_econnreset"})
    EXPECT_EQ(v(r, e), 0) << what << ": " << e;
}

}  // namespace

TEST(MessageBuffering, KernelFramingGivesOneCallAndAtMostOneWakeUpPerMessageOfAnySize) {
  // From a message inside one segment to the framer's maximum (1 MiB, 725 segments), at rates
  // that leave each message alone on the wire; and back-to-back 64 B messages, dozens a segment.
  struct Case {
    const char* keys;
    const char* duration;
  };
  for (const Case c : {Case{"message_size: 100B, rate: 2000, nodelay: true", "20ms"},
                       Case{"message_size: 1448B, rate: 2000, nodelay: true", "20ms"},
                       Case{"message_size: 64KiB, rate: 2000, nodelay: true", "20ms"},
                       Case{"message_size: 1MiB, rate: 200, nodelay: true", "60ms"},
                       Case{"message_size: 64B, rate: 0", "2ms"}}) {
    const bool paced = std::string(c.keys).find("rate: 0") == std::string::npos;
    const auto r = run(std::string(c.keys) + ", mode: message", c.duration);
    expect_clean(r, c.keys);
    const double got = v(r, "messages_received");
    std::printf("%-48s %6.0f messages, %6.0f calls, %6.0f wake-ups, %6.0f framed\n", c.keys, got, v(r, "rx_calls"),
                v(r, "wakeups"), v(r, "host_b.tcp.kbuf.messages"));
    // One recv per message, exactly (a call may be running when the run ends).
    EXPECT_GE(v(r, "rx_calls"), got) << c.keys;
    EXPECT_LE(v(r, "rx_calls"), got + 1) << c.keys;
    EXPECT_EQ(v(r, "partial_reads"), 0) << c.keys;
    EXPECT_LE(v(r, "wakeups"), got) << c.keys << ": at most one wake-up per message";
    // The kernel framed each message once; back to back it holds framed messages the busy reader
    // has not taken yet.
    EXPECT_GE(v(r, "host_b.tcp.kbuf.messages"), got) << c.keys;
    if (paced) {
      EXPECT_LE(v(r, "host_b.tcp.kbuf.messages"), got + 1) << c.keys;
      // Each message alone on the wire: its reader blocked for it and was woken once for it.
      EXPECT_GE(v(r, "wakeups"), 0.9 * got) << c.keys;
    }
    EXPECT_EQ(v(r, "host_b.tcp.state.kbuf.entered"), 1) << c.keys << ": the conn's list was rewritten once";
  }
}

TEST(MessageBuffering, LargeMessagesWakeAStreamReaderPerPollButAFramingOneOncePerMessage) {
  // 256 KiB at 10 Gbps is 215 us on the wire, many interrupt-moderation intervals: a stream
  // reader is woken (and reads) as the bytes come, the kernel-framing one once, when it is whole.
  const auto stream = run("message_size: 256KiB, rate: 2000, mode: stream", "40ms");
  const auto framed = run("message_size: 256KiB, rate: 2000, mode: message", "40ms");
  expect_clean(stream, "stream");
  expect_clean(framed, "message");
  const double sw = v(stream, "wakeups") / v(stream, "messages_received");
  const double fw = v(framed, "wakeups") / v(framed, "messages_received");
  std::printf("256 KiB messages: wake-ups per message stream %.2f, message %.2f\n", sw, fw);
  EXPECT_GT(sw, 2.0);
  EXPECT_LE(fw, 1.0);
}

TEST(MessageBuffering, AStreamReaderMakesCeilMOverRCallsPerMessage) {
  // 1000 B messages (one segment each) at 2,000/s read 256 B at a time: ceil(1000/256) = 4 calls a
  // message, whether a message is alone in the buffer or a few arrived in one poll (k messages take
  // ceil(1000 k / 256) = 4 k calls for k <= 10).
  const auto r = run("message_size: 1000B, rate: 2000, mode: stream, read_size: 256B, nodelay: true");
  expect_clean(r, "stream");
  const double got = v(r, "messages_received");
  std::printf("1000 B / 256 B reads: %.0f messages, %.0f calls\n", got, v(r, "rx_calls"));
  EXPECT_NEAR(v(r, "rx_calls"), 4 * got, 4);  // the last message may be part-read when the run ends
  // Wake-ups are per poll, not per message: never more than the polls that brought data.
  EXPECT_LE(v(r, "wakeups"), v(r, "host_b.napi_polls"));

  // Back to back, Nagle coalesces messages into full segments: a poll brings several messages
  // and the reader wakes once for them all.
  const auto burst = run("message_size: 200B, rate: 0, mode: stream", "2ms");
  expect_clean(burst, "burst");
  std::printf("back-to-back 200 B: %.0f messages, %.0f wake-ups, %.0f polls\n", v(burst, "messages_received"),
              v(burst, "wakeups"), v(burst, "host_b.napi_polls"));
  EXPECT_LE(v(burst, "wakeups"), v(burst, "host_b.napi_polls"));
  EXPECT_LT(v(burst, "wakeups") * 10, v(burst, "messages_received"));
}

TEST(MessageBuffering, ALowWaterMarkWakesTheReaderOncePerNBytesWithPoissonArrivals) {
  // SO_RCVLOWAT 4000 B over 1000 B messages arriving at 2,000/s (Poisson): the reader wakes when
  // the fourth message since its last read is in, and takes all four: a wake-up per 4000 B.
  const auto r = run("message_size: 1000B, rate: 2000, nodelay: true, mode: condition, cond_min_bytes: 4000B", "100ms");
  expect_clean(r, "rcvlowat");
  const double per_byte = v(r, "wakeups") / v(r, "rx_bytes");
  std::printf("rcvlowat 4000 B: %.0f wake-ups for %.0f B: %.3g per byte (analytic %.3g)\n", v(r, "wakeups"),
              v(r, "rx_bytes"), per_byte, 1.0 / 4000);
  EXPECT_NEAR(per_byte, 1.0 / 4000, 0.05 / 4000);
}

TEST(MessageBuffering, ADeliveryTimeoutAddsAtMostItsTimeToAnyMessagesLatency) {
  // A low-water mark no message stream reaches, bounded by a 150 us timeout: every message is
  // held, and none longer than the timeout more than a plain stream reader takes.
  const std::string load = "message_size: 1000B, rate: 5000, nodelay: true, ";
  const auto plain = run(load + "mode: stream");
  const auto held = run(load + "mode: condition, cond_min_bytes: 1MiB, cond_timeout: 150us");
  expect_clean(plain, "stream");
  expect_clean(held, "timeout");
  const double t = 150e6;  // ps
  std::printf("message latency max: stream %.1f us, 150 us timeout %.1f us\n", v(plain, "latency_max") / 1e6,
              v(held, "latency_max") / 1e6);
  EXPECT_LE(v(held, "latency_max"), v(plain, "latency_max") + t);
  EXPECT_GT(v(held, "latency_p50"), v(plain, "latency_p50") + 0.3 * t) << "the timeout does hold messages";
}

TEST(MessageBuffering, EveryMessageArrivesIntactWithItsBoundaryUnderLossReorderingAndDuplication) {
  const std::string faults =
      "parameters:\n  link0:\n    rate: 10Gbps\n    a_to_b: {loss: 0.01, reorder: 0.01, reorder_delay: 20us, duplicate: 0.01}\n";
  for (const std::string f : {"framing: length_prefix", "framing: delimiter", "framing: http, http_chunked: true",
                              "framing: tls"}) {
    // Messages arise for 300 ms; the run goes on until every retransmission (RTOs of 200 ms and
    // more among them) is through, so each one must arrive.
    const auto r = run(f + ", size_dist: exponential, message_size: 3KiB, max_size: 16389B, rate: 20000, "
                           "stop: 300ms, nodelay: true, mode: message",
                       "2s", faults);
    expect_clean(r, f);
    std::printf("%-36s %4.0f of %4.0f messages; lost %.0f, reordered %.0f, duplicated %.0f frames\n", f.c_str(),
                v(r, "messages_received"), v(r, "messages_sent"), v(r, "link0.a_to_b.dropped_loss"),
                v(r, "link0.a_to_b.reordered"), v(r, "link0.a_to_b.duplicated"));
    EXPECT_GT(v(r, "link0.a_to_b.dropped_loss"), 0) << f;
    EXPECT_GT(v(r, "link0.a_to_b.reordered"), 0) << f;
    EXPECT_GT(v(r, "link0.a_to_b.duplicated"), 0) << f;
    EXPECT_EQ(v(r, "messages_received"), v(r, "messages_sent")) << f;
    EXPECT_EQ(v(r, "rx_calls"), v(r, "messages_received")) << f;
  }
}

namespace {
// How many frames of a capture a tshark display filter selects (each dissected as `decode_as`).
long tshark_count(const std::string& pcap, const std::string& decode_as, const std::string& filter,
                  const std::string& field) {
  const std::string cmd = "tshark -r '" + pcap + "' -d tcp.port==5201," + decode_as + " -Y '" + filter +
                          "' -T fields -e " + field + " 2>/dev/null";
  std::FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  long n = 0;
  char line[65536];
  // A frame carrying several records lists one value per record, comma-separated.
  while (std::fgets(line, sizeof line, p)) {
    const std::string l(line);
    if (l.find_first_not_of("\r\n") == std::string::npos) continue;
    n += 1 + static_cast<long>(std::count(l.begin(), l.end(), ','));
  }
  return pclose(p) == 0 ? n : -1;
}
}  // namespace

TEST(MessageBuffering, TsharkParsesEveryHttpRequestAndCountsEveryTlsRecordWeSent) {
  if (!hostwire::testing::tshark_available()) GTEST_SKIP() << "tshark is not installed (tools/setup.sh installs it)";
  for (const std::string framing : {"http", "tls"}) {
    const std::string dir = (std::filesystem::temp_directory_path() / ("hostwire_kbuf_" + framing)).string();
    std::filesystem::remove_all(dir);
    const auto r = run("framing: " + framing + ", size_dist: exponential, message_size: 2KiB, max_size: 16389B, "
                                              "rate: 50000, nodelay: true, mode: message",
                       "5ms", "outputs: {pcap: [link0.a_to_b]}\n", dir);
    expect_clean(r, framing);
    const std::string pcap = dir + "/link0.a_to_b.pcap";
    const bool http = framing == "http";
    const long messages = tshark_count(pcap, framing, http ? "http.request" : "tls.record", http ? "http.request.method"
                                                                                               : "tls.record.content_type");
    const long malformed = tshark_count(pcap, framing, "_ws.malformed || _ws.expert.severity >= 6291456", "frame.number");
    std::printf("%s: tshark finds %ld messages, hostwire received %.0f of %.0f sent; %ld malformed\n", framing.c_str(),
                messages, v(r, "messages_received"), v(r, "messages_sent"), malformed);
    EXPECT_EQ(malformed, 0) << framing;
    // The capture holds what left host_a; the receiver counted what arrived whole. The last
    // message may still be on its way when the run ends.
    EXPECT_GE(messages, static_cast<long>(v(r, "messages_received"))) << framing;
    EXPECT_LE(messages, static_cast<long>(v(r, "messages_received")) + 1) << framing;
    std::filesystem::remove_all(dir);
  }
}
