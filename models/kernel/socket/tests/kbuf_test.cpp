// The kernel buffering layer's decisions, without SystemC: a fake receive queue takes bytes in
// arbitrary runs, and Kbuf says which whole messages (or bytes) the reader may have and what
// its scanning cost.
#include "kernel/socket/kbuf.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <string>
#include <vector>

#include "net/byte_order.h"

namespace hostwire::kernel {
namespace {

namespace fr = net::framers;

class FakeQueue final : public HeldBytes {
 public:
  void push(std::span<const uint8_t> run) { runs_.emplace_back(run.begin(), run.end()); bytes_ += run.size(); }
  void push(const std::string& s) { push(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size())); }
  uint64_t readable() const override { return bytes_ - taken_; }
  void peek(const Visit& f) const override {
    uint64_t skip = taken_;
    for (const auto& r : runs_) {
      if (skip >= r.size()) {
        skip -= r.size();
        continue;
      }
      if (!f(std::span<const uint8_t>(r).subspan(skip))) return;
      skip = 0;
    }
  }
  uint64_t window() const override { return window_; }
  void take(uint64_t n) { taken_ += n; }
  uint64_t window_ = 1 << 30;

 private:
  std::deque<std::vector<uint8_t>> runs_;
  uint64_t bytes_ = 0, taken_ = 0;
};

// Messages of a 4-byte big-endian length (the body's) then the body.
std::vector<uint8_t> length_prefixed(const std::vector<uint32_t>& bodies) {
  std::vector<uint8_t> out;
  uint8_t seed = 1;
  for (uint32_t b : bodies) {
    uint8_t h[4];
    net::store_be32(h, b);
    out.insert(out.end(), h, h + 4);
    for (uint32_t i = 0; i < b; ++i) out.push_back(seed++);
  }
  return out;
}

MessageFraming length_prefix_framing() {
  MessageFraming m;
  m.framer.kind = fr::FramerSpec::Kind::length_prefix;
  m.framer.width = 4;
  m.framer.max_message = 1 << 20;
  return m;
}

struct Reader {
  FakeQueue q;
  Kbuf k;
  uint64_t head = 0;
  explicit Reader(const cpu::CostTable& c, uint64_t rcvbuf = 1 << 20, uint64_t mss = 1460) : k(c, rcvbuf, mss) {}
  // Takes every ready piece; returns their lengths.
  std::vector<uint64_t> take_pieces(Time now = {}) {
    std::vector<uint64_t> got;
    while (auto p = k.next_piece()) {
      got.push_back(p->length);
      q.take(p->length);
      head += p->length;
      k.consumed(p->length, head, q.readable(), now);
    }
    return got;
  }
};

TEST(Kbuf, DeliversEachWholeMessageOnceHoweverTheBytesArrive) {
  const cpu::CostTable costs;
  const std::vector<uint32_t> bodies = {0, 1, 100, 5000, 3, 70000, 17};
  const auto stream = length_prefixed(bodies);
  // Runs of 1 byte, of a segment (1448), and the whole stream at once: many segments per
  // message and many messages per segment.
  for (size_t run : {size_t{1}, size_t{7}, size_t{1448}, stream.size()}) {
    Reader r(costs);
    r.k.set_framing(length_prefix_framing(), 0);
    std::vector<uint64_t> got;
    uint32_t messages = 0;
    Cycles cycles{};
    for (size_t off = 0; off < stream.size(); off += run) {
      r.q.push(std::span<const uint8_t>(stream).subspan(off, std::min(run, stream.size() - off)));
      const auto o = r.k.on_bytes(r.q, r.head, Time{});
      EXPECT_EQ(o.error, SocketError::none);
      messages += o.messages;
      cycles = cycles + o.cycles;
      for (uint64_t n : r.take_pieces()) got.push_back(n);
    }
    ASSERT_EQ(got.size(), bodies.size()) << "run " << run;
    for (size_t i = 0; i < bodies.size(); ++i) EXPECT_EQ(got[i], bodies[i] + 4u) << "message " << i << " run " << run;
    EXPECT_EQ(messages, bodies.size());
    // A length-prefix framer examines the headers only: 4 B a message, plus the per-message cost
    // (each scan rounds its fraction of a cycle up).
    const int64_t expected = static_cast<int64_t>(bodies.size()) * costs.frame_per_message.n +
                             costs.frame_cycles(static_cast<int64_t>(4 * bodies.size())).n;
    const auto scans = static_cast<int64_t>((stream.size() + run - 1) / run);
    EXPECT_GE(cycles.n, expected) << "run " << run;
    EXPECT_LE(cycles.n, expected + scans) << "run " << run;
  }
}

TEST(Kbuf, AMessageLongerThanTheReceiveBufferFailsWithEmsgsizeOrFallsBackToAStream) {
  const cpu::CostTable costs;
  const auto stream = length_prefixed({10, 5000});
  for (auto policy : {BadMessagePolicy::error, BadMessagePolicy::stream}) {
    Reader r(costs, 4096);
    auto m = length_prefix_framing();
    m.on_bad = policy;
    r.k.set_framing(m, 0);
    r.q.push(stream);
    const auto o = r.k.on_bytes(r.q, 0, Time{});
    EXPECT_TRUE(o.oversize);
    EXPECT_EQ(o.messages, 1u);  // the first message was whole before the bad one
    if (policy == BadMessagePolicy::error) {
      EXPECT_EQ(o.error, SocketError::msgsize);
      EXPECT_FALSE(o.fell_back);
    } else {
      EXPECT_EQ(o.error, SocketError::none);
      EXPECT_TRUE(o.fell_back);
    }
  }
}

TEST(Kbuf, AnUnfinishedLineThatFillsTheReceiveBufferIsEmsgsizeOnlyOnceTheWindowIsShut) {
  const cpu::CostTable costs;
  Reader r(costs, 4096, 1448);
  MessageFraming m;
  m.framer.kind = fr::FramerSpec::Kind::delimiter;
  m.framer.max_message = 1 << 20;  // over the buffer: the framer's own limit never comes
  r.k.set_framing(m, 0);
  r.q.push(std::string(4000, 'x'));
  EXPECT_EQ(r.k.on_bytes(r.q, 0, Time{}).error, SocketError::none) << "the window is still open: more may come";
  r.q.window_ = 0;  // the peer filled what we offered; the 96 B left are under one MSS: it stays shut
  const auto o = r.k.on_bytes(r.q, 0, Time{});
  EXPECT_TRUE(o.oversize);
  EXPECT_EQ(o.error, SocketError::msgsize);
}

TEST(Kbuf, MalformedInputIsEprotoNeverAWrongBoundary) {
  const cpu::CostTable costs;
  Reader r(costs);
  MessageFraming m;
  m.framer.kind = fr::FramerSpec::Kind::tls;
  r.k.set_framing(m, 0);
  const uint8_t good[] = {23, 3, 3, 0, 2, 0xaa, 0xbb};
  const uint8_t bad[] = {99, 3, 3, 0, 2, 0xaa, 0xbb};  // no such content type
  r.q.push(good);
  r.q.push(bad);
  const auto o = r.k.on_bytes(r.q, 0, Time{});
  EXPECT_EQ(o.messages, 1u);
  EXPECT_TRUE(o.malformed);
  EXPECT_EQ(o.error, SocketError::proto);
  EXPECT_EQ(r.take_pieces(), (std::vector<uint64_t>{7}));
}

TEST(Kbuf, AnAssemblyTimeoutFailsOrDeliversWhatArrivedThenTheRest) {
  const cpu::CostTable costs;
  const auto stream = length_prefixed({1000});
  for (auto policy : {TimeoutPolicy::error, TimeoutPolicy::deliver}) {
    Reader r(costs);
    auto m = length_prefix_framing();
    m.assembly_timeout = Time::from_us(100);
    m.on_timeout = policy;
    r.k.set_framing(m, 0);
    r.q.push(std::span<const uint8_t>(stream).first(300));
    (void)r.k.on_bytes(r.q, 0, Time::from_us(10));
    ASSERT_TRUE(r.k.deadline());
    EXPECT_EQ(*r.k.deadline(), Time::from_us(110));
    EXPECT_FALSE(r.k.next_piece());
    const auto o = r.k.on_deadline(r.q, 0, Time::from_us(110));
    EXPECT_TRUE(o.timed_out);
    if (policy == TimeoutPolicy::error) {
      EXPECT_EQ(o.error, SocketError::timedout);
      continue;
    }
    auto p = r.k.next_piece();
    ASSERT_TRUE(p);
    EXPECT_EQ(p->length, 300u);
    EXPECT_FALSE(p->complete);
    EXPECT_EQ(r.take_pieces(Time::from_us(110)), (std::vector<uint64_t>{300}));
    r.q.push(std::span<const uint8_t>(stream).subspan(300));
    (void)r.k.on_bytes(r.q, r.head, Time::from_us(150));
    p = r.k.next_piece();
    ASSERT_TRUE(p);
    EXPECT_EQ(p->length, 704u);  // the rest of the 1004-byte message, which now ends
    EXPECT_TRUE(p->complete);
  }
}

TEST(Kbuf, AnUnfinishedMessageAtThePeersCloseIsDroppedAndCounted) {
  const cpu::CostTable costs;
  Reader r(costs);
  r.k.set_framing(length_prefix_framing(), 0);
  const auto stream = length_prefixed({10, 100});
  r.q.push(std::span<const uint8_t>(stream).first(14 + 50));
  (void)r.k.on_bytes(r.q, 0, Time{});
  EXPECT_EQ(r.k.on_eof(0, r.q.readable()), 50u);
  EXPECT_EQ(r.take_pieces(), (std::vector<uint64_t>{14}));
}

TEST(Kbuf, DeliveryConditionsHoldWhicheverComesFirst) {
  const cpu::CostTable costs;
  {  // at least N bytes
    Reader r(costs);
    DeliveryCondition d;
    d.min_bytes = 100;
    r.k.set_condition(d, 0, 0, Time{});
    r.q.push(std::string(99, 'x'));
    (void)r.k.on_bytes(r.q, 0, Time{});
    EXPECT_FALSE(r.k.condition_holds(r.q.readable()));
    r.q.push(std::string(1, 'x'));
    (void)r.k.on_bytes(r.q, 0, Time{});
    EXPECT_TRUE(r.k.condition_holds(r.q.readable()));
  }
  {  // K messages
    Reader r(costs);
    DeliveryCondition d;
    d.messages = 2;
    d.framer = length_prefix_framing().framer;
    r.k.set_condition(d, 0, 0, Time{});
    const auto stream = length_prefixed({5, 5});
    r.q.push(std::span<const uint8_t>(stream).first(12));
    (void)r.k.on_bytes(r.q, 0, Time{});
    EXPECT_FALSE(r.k.condition_holds(r.q.readable()));
    r.q.push(std::span<const uint8_t>(stream).subspan(12));
    (void)r.k.on_bytes(r.q, 0, Time{});
    EXPECT_TRUE(r.k.condition_holds(r.q.readable()));
    r.q.take(9);  // the reader takes the first message: one is left
    r.k.consumed(9, 9, r.q.readable(), Time{});
    EXPECT_FALSE(r.k.condition_holds(r.q.readable()));
  }
  {  // a delimiter seen, split across runs
    Reader r(costs);
    DeliveryCondition d;
    d.delimiter = "\r\n\r\n";
    r.k.set_condition(d, 0, 0, Time{});
    r.q.push("GET / HTTP/1.1\r\n\r");
    (void)r.k.on_bytes(r.q, 0, Time{});
    EXPECT_FALSE(r.k.condition_holds(r.q.readable()));
    r.q.push("\n");
    (void)r.k.on_bytes(r.q, 0, Time{});
    EXPECT_TRUE(r.k.condition_holds(r.q.readable()));
  }
  {  // a timeout since the first byte buffered, with a low-water mark that is not met
    Reader r(costs);
    DeliveryCondition d;
    d.min_bytes = 1000;
    d.timeout = Time::from_us(50);
    r.k.set_condition(d, 0, 0, Time{});
    r.q.push("abc");
    (void)r.k.on_bytes(r.q, 0, Time::from_us(10));
    EXPECT_EQ(*r.k.deadline(), Time::from_us(60));
    (void)r.k.on_bytes(r.q, 0, Time::from_us(20));  // later bytes do not move it
    EXPECT_EQ(*r.k.deadline(), Time::from_us(60));
    EXPECT_FALSE(r.k.condition_holds(r.q.readable()));
    (void)r.k.on_deadline(r.q, 0, Time::from_us(60));
    EXPECT_TRUE(r.k.condition_holds(r.q.readable()));
  }
}

}  // namespace
}  // namespace hostwire::kernel
