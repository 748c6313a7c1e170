// The message-stream workload (tcp_messages) end to end between two hosts: every framing's
// messages arrive intact and are counted once, whatever the consumer's mode; the counters the
// kernel buffering experiment reads (calls, wake-ups, user cycles per message) behave as the
// modes say; the byte accounting holds. Each simulation runs in its own child process.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/scenario.h"
#include "platforms/catalog.h"
#include "support/in_child.h"
#include "support/simulate.h"

using namespace hostwire;
using hostwire::testing::in_child;
using hostwire::testing::simulate;

namespace {

const std::vector<std::string> kMetrics = {
    "messages_sent",        "messages_received",    "corrupt",          "malformed",
    "rx_bytes",             "tx_bytes",             "rx_calls",         "wakeups",
    "user_cycles",          "rx_calls_per_message", "wakeups_per_message", "user_cycles_per_message",
    "kernel_cycles_per_message", "errors_emsgsize", "errors_eproto",    "errors_etimedout",
    "errors_econnreset",    "partial_reads"};

// Simulates one tcp_messages workload `m` with these keys for `duration`; its metrics without the
// prefix, the latency histograms' p50 and count, and the invariants broken.
nlohmann::json run(const std::string& keys, const std::string& duration = "5ms") {
  const std::string yaml = "platform: two_hosts\nduration: " + duration +
                           "\nworkloads:\n  - {name: m, type: tcp_messages, from: host_a, to: host_b, " + keys + "}\n";
  return in_child([&] {
    auto r = simulate(yaml);
    nlohmann::json out;
    if (!r.ctx) return out;
    for (const auto& n : kMetrics) out[n] = r.value("workloads.m." + n);
    const auto j = r.ctx->stats().metrics_json();
    for (const char* h : {"message_latency", "e2e_latency"}) {
      out[std::string(h) + "_p50"] = j["workloads.m." + std::string(h)]["p50"];
      out[std::string(h) + "_count"] = j["workloads.m." + std::string(h)]["count"];
    }
    out["broken"] = r.ctx->check_invariants();
    return out;
  });
}

double v(const nlohmann::json& r, const std::string& k) { return r[k].get<double>(); }

// Every message read was intact and counted once, nothing failed, and (at Poisson arrivals
// below the path's capacity, `paced`) all but the last few microseconds' messages arrived.
// Back to back, the messages that arose include those still in the send buffer.
void expect_all_intact(const nlohmann::json& r, const std::string& what, bool paced = true) {
  ASSERT_TRUE(r.contains("messages_received")) << what << ": " << r.dump();
  EXPECT_TRUE(r["broken"].empty()) << what << ": " << r["broken"].dump();
  const double sent = v(r, "messages_sent"), got = v(r, "messages_received");
  EXPECT_GT(got, 50) << what;
  EXPECT_LE(got, sent) << what;
  if (paced) {
    EXPECT_GE(got, 0.95 * sent) << what;
  }
  EXPECT_EQ(v(r, "corrupt"), 0) << what;
  EXPECT_EQ(v(r, "malformed"), 0) << what;
  for (const char* e : {"errors_emsgsize", "errors_eproto", "errors_etimedout", "errors_econnreset"})
    EXPECT_EQ(v(r, e), 0) << what << ": " << e;
  EXPECT_LE(v(r, "rx_bytes"), v(r, "tx_bytes")) << what;
  EXPECT_EQ(v(r, "message_latency_count"), got) << what;
  EXPECT_EQ(v(r, "e2e_latency_count"), got) << what;
  EXPECT_LE(v(r, "message_latency_p50"), v(r, "e2e_latency_p50")) << what << ": the RX time comes after the arising";
}

}  // namespace

TEST(TcpMessagesFramings, EveryFramingArrivesIntactThroughUserSpaceFraming) {
  for (const std::string f : {"framing: length_prefix", "framing: delimiter", "framing: delimiter, delimiter: \"\\r\\n\"",
                              "framing: http", "framing: http, http_chunked: true, http_chunk_size: 300B",
                              "framing: tls"}) {
    const auto r = run(f + ", size_dist: exponential, message_size: 2KiB, rate: 200000, read_size: 4KiB");
    expect_all_intact(r, f);
    // The user-space parser examined every message at least once.
    EXPECT_GT(v(r, "user_cycles"), 0) << f;
  }
}

TEST(TcpMessagesFramings, ALengthPrefixParserPaysForItsFourBytesADelimiterForEveryByte) {
  // parse_per_byte 0.5: a length field of 4 bytes is 2 cycles a message; a 1 KiB line about 512.
  const auto lp = run("message_size: 1KiB, rate: 100000");
  const auto dl = run("framing: delimiter, message_size: 1KiB, rate: 100000");
  expect_all_intact(lp, "length_prefix");
  expect_all_intact(dl, "delimiter");
  std::printf("user cycles per message: length_prefix %.1f, delimiter %.1f\n", v(lp, "user_cycles_per_message"),
              v(dl, "user_cycles_per_message"));
  EXPECT_NEAR(v(lp, "user_cycles_per_message"), 2, 1);
  EXPECT_NEAR(v(dl, "user_cycles_per_message"), 512, 8);
}

TEST(TcpMessagesModes, AStreamReaderOfLargeMessagesNeedsACallPerReadSize) {
  // Back-to-back 64 KiB messages read 16 KiB at a time: at least four calls a message.
  const auto r = run("message_size: 64KiB, read_size: 16KiB");
  expect_all_intact(r, "stream 64KiB / 16KiB", false);
  std::printf("64 KiB messages, 16 KiB reads: %.2f calls and %.2f wake-ups per message\n", v(r, "rx_calls_per_message"),
              v(r, "wakeups_per_message"));
  EXPECT_GE(v(r, "rx_calls_per_message"), 4 * 0.98);
}

TEST(TcpMessagesModes, KernelFramingReadsOneMessagePerCallOrABatch) {
  const auto one = run("message_size: 8KiB, rate: 100000, mode: message");
  expect_all_intact(one, "message");
  EXPECT_NEAR(v(one, "rx_calls_per_message"), 1, 0.02);
  EXPECT_LE(v(one, "wakeups_per_message"), 1.0);
  EXPECT_EQ(v(one, "user_cycles"), 0) << "the kernel framed them";
  EXPECT_EQ(v(one, "partial_reads"), 0);

  const auto batch = run("message_size: 512B, mode: message, batch: 16");
  expect_all_intact(batch, "message batch 16", false);
  std::printf("back-to-back 512 B messages, batch 16: %.3f calls per message\n", v(batch, "rx_calls_per_message"));
  EXPECT_LT(v(batch, "rx_calls_per_message"), 0.5);
  EXPECT_GE(v(batch, "rx_calls_per_message"), 1.0 / 16 - 1e-9);
}

TEST(TcpMessagesModes, ADeliveryConditionOfFourMessagesWakesTheReaderOnceInFourAtMost) {
  const auto plain = run("framing: http, message_size: 1KiB, rate: 200000");
  const auto four = run("framing: http, message_size: 1KiB, rate: 200000, mode: condition, cond_messages: 4, "
                        "cond_timeout: 200us");
  expect_all_intact(plain, "stream");
  expect_all_intact(four, "condition");
  std::printf("wake-ups per message: stream %.3f, four messages %.3f; calls per message %.3f, %.3f\n",
              v(plain, "wakeups_per_message"), v(four, "wakeups_per_message"), v(plain, "rx_calls_per_message"),
              v(four, "rx_calls_per_message"));
  // Nagle already coalesces the stream's messages into fewer segments; four complete messages
  // (or 200 us) make a wake-up at most every fourth message.
  EXPECT_LE(v(four, "wakeups_per_message"), 0.25 + 0.01);
  EXPECT_LT(v(four, "wakeups_per_message"), v(plain, "wakeups_per_message"));
  EXPECT_GT(v(four, "message_latency_p50"), v(plain, "message_latency_p50")) << "holding messages costs latency";
}

TEST(TcpMessagesSizes, ReceivedBytesPerMessageFollowTheDistributionsMean) {
  for (const std::string d : {"size_dist: exponential, message_size: 4KiB", "size_dist: lognormal, message_size: 4KiB, size_sigma: 0.5",
                              "size_dist: bimodal, size_small: 256B, size_large: 16KiB, large_fraction: 0.25"}) {
    const auto r = run(d + ", rate: 50000", "20ms");
    expect_all_intact(r, d);
    const double mean = v(r, "rx_bytes") / v(r, "messages_received");
    const double expected = d.find("bimodal") != std::string::npos ? 0.75 * 256 + 0.25 * 16384 : 4096;
    std::printf("%s: %.0f B per message\n", d.c_str(), mean);
    EXPECT_NEAR(mean, expected, 0.1 * expected) << d;
  }
}
