// Helpers for the connection engine's tests: a congestion control with a fixed window (so
// segment counts are exact), and hand-made segments for driving one connection directly.
#pragma once

#include <cstdint>
#include <memory>
#include <ostream>
#include <vector>

#include "kernel/tcp/congestion.h"
#include "kernel/tcp/connection.h"

namespace hostwire {
// Readable times in gtest messages.
inline void PrintTo(Time t, std::ostream* os) { *os << to_string(t); }
}  // namespace hostwire

namespace hostwire::tcp::engine_test {

// cwnd never changes, and the calls the connection makes are counted.
class FixedWindow final : public CongestionControl {
 public:
  explicit FixedWindow(uint64_t bytes) : cwnd_(bytes) {}
  const char* name() const override { return "fixed"; }
  void on_ack(const AckEvent& a) override {
    ++acks;
    last = a;
  }
  void on_enter_recovery(Time, uint64_t flight) override {
    ++recoveries;
    recovery_flight = flight;
  }
  void on_exit_recovery(Time, uint64_t) override { ++exits; }
  void on_rto(Time, uint64_t) override { ++rtos; }
  uint64_t cwnd() const override { return cwnd_; }
  uint64_t ssthresh() const override { return cwnd_; }

  uint64_t acks = 0, recoveries = 0, exits = 0, rtos = 0, recovery_flight = 0;
  AckEvent last;

 private:
  uint64_t cwnd_;
};

inline std::unique_ptr<CongestionControl> fixed(uint64_t bytes) { return std::make_unique<FixedWindow>(bytes); }

inline TcpParams plain_params() {
  TcpParams p;
  p.congestion = "newreno";
  return p;
}

// Moves out what a connection emitted.
inline std::vector<Segment> take(Connection& c) {
  std::vector<Segment> v = std::move(c.output());
  c.output().clear();
  return v;
}

}  // namespace hostwire::tcp::engine_test

namespace hostwire::tcp::engine_test {

// A segment from a hand-driven peer (ports 80 -> 40000, as the pipe's B to A).
inline Segment make_segment(uint32_t seq, uint32_t ack, uint16_t flags, uint16_t window = 65535,
                            uint32_t payload_bytes = 0) {
  Segment s;
  s.header.src_port = 80;
  s.header.dst_port = 40000;
  s.header.seq = seq;
  s.header.ack = ack;
  s.header.flags = flags;
  s.header.window = window;
  if (payload_bytes > 0) s.payload = PayloadSlice{std::make_shared<std::vector<uint8_t>>(payload_bytes), 0, payload_bytes};
  return s;
}

// Options off on both sides: the simplest handshake, for tests that hand-drive a connection.
inline TcpParams bare_params() {
  TcpParams p;
  p.sack = false;
  p.timestamps = false;
  p.window_scaling = false;
  p.congestion = "newreno";
  return p;
}

}  // namespace hostwire::tcp::engine_test
