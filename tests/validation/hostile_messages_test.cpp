// A hostile producer (tcp_messages' `hostile`: huge_length, endless, garbage) against the
// kernel's message framing (mode message), between two hosts: after the good messages the
// stream ends in the policy's error (on_bad: error: one per conn, the conn reset at both ends)
// or becomes a plain stream (on_bad: stream); meanwhile the kernel holds no more than the
// receive buffer; and every byte written is accounted: read, discarded by kbuf, still held, or
// never received in order (in the sender's buffer or in flight when the reset came). Each
// simulation runs in its own child process.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/in_child.h"
#include "support/simulate.h"

using namespace hostwire;
using hostwire::testing::in_child;
using hostwire::testing::simulate;
using hostwire::testing::SimulatedRun;

namespace {

// Small buffers make the memory bound mean something: host_b's receive buffer bounds what kbuf
// may hold, host_a's send buffer what a reset may drop there.
constexpr double kRcvbuf = 256 * 1024;
constexpr double kSndbuf = 256 * 1024;
constexpr double kAfter = 10;       // good messages before the hostile stream
constexpr double kSize = 1024;      // each of them, bytes
const Time kProbe = Time::from_us(5);  // how often the kbuf's held bytes are looked at

const std::vector<std::string> kMetrics = {
    "workloads.m.messages_sent",  "workloads.m.messages_received", "workloads.m.corrupt",
    "workloads.m.malformed",      "workloads.m.errors_emsgsize",   "workloads.m.errors_eproto",
    "workloads.m.errors_etimedout", "workloads.m.errors_econnreset", "workloads.m.stream_fallbacks",
    "workloads.m.tx_bytes",       "workloads.m.tx_hostile_bytes",  "workloads.m.tx_resets",
    "workloads.m.rx_bytes",       "host_b.tcp.kbuf.messages",      "host_b.tcp.kbuf.oversize",
    "host_b.tcp.kbuf.malformed",  "host_b.tcp.kbuf.fallbacks",     "host_b.tcp.kbuf.discarded_bytes",
    "host_b.tcp.kbuf.bytes",      "host_b.tcp.rx_in_order_bytes",  "host_a.tcp.app_tx_bytes",
    "host_a.tcp.state.closed.entered", "host_b.tcp.state.closed.entered"};

// Simulates a hostile tcp_messages workload `m` (mode message, 1 KiB messages at 100k/s, the
// stream after ten) with these keys; its metrics, the most kbuf held at a probe, and the
// invariants broken.
nlohmann::json run(const std::string& keys) {
  const std::string yaml =
      "platform: two_hosts\nduration: 2ms\nparameters:\n  host_a: {tcp: {sndbuf: 256KiB}}\n"
      "  host_b: {tcp: {rcvbuf: 256KiB}}\nworkloads:\n  - {name: m, type: tcp_messages, from: host_a, to: host_b, "
      "mode: message, message_size: 1KiB, rate: 100000, hostile_after: 10, " +
      keys + "}\n";
  return in_child([&] {
    double peak = 0;
    auto r = simulate(yaml, kProbe, [&](const SimulatedRun& s) { peak = std::max(peak, s.value("host_b.tcp.kbuf.bytes")); });
    nlohmann::json out;
    if (!r.ctx) return out;
    for (const auto& n : kMetrics) out[n] = r.value(n);
    out["kbuf_peak"] = peak;
    out["broken"] = r.ctx->check_invariants();
    return out;
  });
}

double v(const nlohmann::json& r, const std::string& k) {
  const std::string key = r.contains(k) ? k : "workloads.m." + k;
  return r.at(key).get<double>();
}

// Every byte host_a's app wrote was read by host_b's, discarded by its kbuf, is still held
// there, or never reached host_b in order (in host_a's send buffer or in flight when a reset
// closed the conn: at most that buffer).
void expect_accounted(const nlohmann::json& r, const std::string& what) {
  const double tx = v(r, "tx_bytes"), rx = v(r, "rx_bytes"), discarded = v(r, "host_b.tcp.kbuf.discarded_bytes"),
               held = v(r, "host_b.tcp.kbuf.bytes"), in_order = v(r, "host_b.tcp.rx_in_order_bytes");
  const double undelivered = tx - in_order;
  std::printf("%s: tx %.0f B = rx %.0f + discarded %.0f + held %.0f + never in order at host_b %.0f; kbuf peak %.0f B\n",
              what.c_str(), tx, rx, discarded, held, undelivered, v(r, "kbuf_peak"));
  EXPECT_EQ(tx, v(r, "host_a.tcp.app_tx_bytes")) << what << ": the workload is host_a's only writer";
  EXPECT_EQ(tx, rx + discarded + held + undelivered) << what << ": host_b received in order " << in_order << " B";
  EXPECT_GE(undelivered, 0) << what;
  EXPECT_LE(undelivered, kSndbuf) << what << ": more than host_a's send buffer never arrived";
  // Bounded memory: kbuf never held more than the receive buffer, nor dropped more at once.
  EXPECT_LE(v(r, "kbuf_peak"), kRcvbuf) << what;
  EXPECT_LE(discarded, kRcvbuf) << what;
}

// Common to every hostile run: the good messages arose and the kernel framed each whole (none
// of the hostile bytes as one); those the reader got were intact; the rest of the stream was
// written.
void expect_good_messages_then_hostile(const nlohmann::json& r, const std::string& what) {
  EXPECT_TRUE(r["broken"].empty()) << what << ": " << r["broken"].dump();
  EXPECT_EQ(v(r, "messages_sent"), kAfter) << what;
  EXPECT_EQ(v(r, "host_b.tcp.kbuf.messages"), kAfter) << what;
  EXPECT_LE(v(r, "messages_received"), kAfter) << what;
  EXPECT_EQ(v(r, "corrupt"), 0) << what;
  EXPECT_GT(v(r, "tx_hostile_bytes"), 0) << what;
  EXPECT_EQ(v(r, "errors_etimedout") + v(r, "errors_econnreset"), 0) << what;
}

enum class Error { emsgsize, eproto, either };

// The stream ended in the policy's error: the reader's call failed once, with the kind its
// framer's verdict names; the conn was reset at both ends and the producer stopped.
void expect_error(const nlohmann::json& r, const std::string& what, Error e) {
  ASSERT_TRUE(r.contains("kbuf_peak")) << what << ": " << r.dump();
  expect_good_messages_then_hostile(r, what);
  const double msgsize = v(r, "errors_emsgsize"), proto = v(r, "errors_eproto");
  std::printf("%s: EMSGSIZE %.0f, EPROTO %.0f; %.0f of %.0f good messages read before it; %.0f B hostile written\n",
              what.c_str(), msgsize, proto, v(r, "messages_received"), kAfter, v(r, "tx_hostile_bytes"));
  EXPECT_EQ(msgsize + proto, 1) << what << ": one error per conn";
  if (e == Error::emsgsize) {
    EXPECT_EQ(msgsize, 1) << what;
  }
  if (e == Error::eproto) {
    EXPECT_EQ(proto, 1) << what;
  }
  EXPECT_EQ(v(r, "host_b.tcp.kbuf.oversize"), msgsize) << what;
  EXPECT_EQ(v(r, "host_b.tcp.kbuf.malformed"), proto) << what;
  EXPECT_EQ(v(r, "host_b.tcp.kbuf.fallbacks"), 0) << what;
  EXPECT_EQ(v(r, "malformed"), 0) << what << ": the kernel framed, not the reader";
  // Good messages the reader had not taken when the error came went with the held bytes (the
  // kernel drops all it holds): Nagle has the last one wait for an ACK, and the stream's first
  // bytes join it in its segment, so the reader gets nine of ten here.
  EXPECT_GE(v(r, "host_b.tcp.kbuf.discarded_bytes"), (kAfter - v(r, "messages_received")) * kSize) << what;
  EXPECT_EQ(v(r, "host_b.tcp.kbuf.bytes"), 0) << what << ": nothing held after the reset";
  // The RST: host_b's conn closed by its reset, host_a's by the RST it got; the producer stopped.
  EXPECT_EQ(v(r, "host_b.tcp.state.closed.entered"), 1) << what;
  EXPECT_EQ(v(r, "host_a.tcp.state.closed.entered"), 1) << what;
  EXPECT_EQ(v(r, "tx_resets"), 1) << what;
  expect_accounted(r, what);
}

}  // namespace

TEST(HostileMessages, AHugeLengthFailsTheReadersCallWithEmsgsize) {
  for (const std::string f : {"length_prefix", "tls"})
    expect_error(run("hostile: huge_length, framing: " + f), f, Error::emsgsize);
}

TEST(HostileMessages, ALineOrHeaderThatNeverEndsFailsWithEmsgsizeAtItsLimit) {
  // The line at max_size (below the receive buffer: see the next test), the header at 8 KiB.
  expect_error(run("hostile: endless, framing: delimiter, max_size: 64KiB"), "delimiter", Error::emsgsize);
  expect_error(run("hostile: endless, framing: http"), "http", Error::emsgsize);
}

TEST(HostileMessages, GarbageFailsWithOneErrorPerConn) {
  // Four random bytes are a length_prefix length, almost always over the maximum (EMSGSIZE) or
  // below the header (EPROTO); an HTTP method or a TLS header is malformed at once.
  expect_error(run("hostile: garbage, framing: length_prefix"), "length_prefix", Error::either);
  expect_error(run("hostile: garbage, framing: http"), "http", Error::eproto);
  expect_error(run("hostile: garbage, framing: tls"), "tls", Error::eproto);
}

TEST(HostileMessages, ALineLongerThanTheReceiveBufferIsHeldWithinItThenFailsWithEmsgsize) {
  // max_size over tcp.rcvbuf: the line fills the receive buffer and the window closes before
  // the framer's maximum. The kernel holds it within the buffer, then, the window shut for
  // good, fails the reader with EMSGSIZE and resets the conn.
  const auto r = run("hostile: endless, framing: delimiter, max_size: 1MiB");
  ASSERT_TRUE(r.contains("kbuf_peak")) << r.dump();
  expect_good_messages_then_hostile(r, "delimiter over rcvbuf");
  EXPECT_EQ(v(r, "messages_received"), kAfter);
  EXPECT_GT(v(r, "kbuf_peak"), kRcvbuf / 2) << "the line was held";
  EXPECT_LE(v(r, "kbuf_peak"), kRcvbuf);
  EXPECT_EQ(v(r, "errors_emsgsize"), 1) << "a line that fills the buffer can never end";
  std::printf("a line over the receive buffer: peak %.0f B held, %.0f B discarded, EMSGSIZE %.0f\n", v(r, "kbuf_peak"),
              v(r, "host_b.tcp.kbuf.discarded_bytes"), v(r, "errors_emsgsize"));
  expect_accounted(r, "delimiter over rcvbuf");
}

TEST(HostileMessages, UnderOnBadStreamGarbageTurnsTheConnIntoAPlainStream) {
  for (const std::string f : {"length_prefix", "http", "tls"}) {
    const auto r = run("hostile: garbage, on_bad: stream, framing: " + f);
    ASSERT_TRUE(r.contains("kbuf_peak")) << f << ": " << r.dump();
    expect_good_messages_then_hostile(r, f);
    EXPECT_EQ(v(r, "stream_fallbacks"), 1) << f;
    EXPECT_EQ(v(r, "host_b.tcp.kbuf.fallbacks"), 1) << f;
    EXPECT_EQ(v(r, "host_b.tcp.kbuf.oversize") + v(r, "host_b.tcp.kbuf.malformed"), 1) << f;
    EXPECT_EQ(v(r, "errors_emsgsize") + v(r, "errors_eproto"), 0) << f << ": no error";
    EXPECT_EQ(v(r, "host_b.tcp.kbuf.discarded_bytes"), 0) << f << ": the kernel dropped nothing";
    EXPECT_EQ(v(r, "messages_received"), kAfter) << f;
    // The garbage flowed to the reader as a stream; its own framer (the framing's, in user
    // space) then found it malformed and aborted the conn.
    const double hostile_read = v(r, "rx_bytes") - kAfter * kSize;
    std::printf("%s, on_bad stream: %.0f B of garbage read as a stream; reader's framer aborted %.0f conn\n", f.c_str(),
                hostile_read, v(r, "malformed"));
    EXPECT_GT(hostile_read, 0) << f;
    EXPECT_EQ(v(r, "malformed"), 1) << f;
    expect_accounted(r, f + ", on_bad stream");
  }
}
