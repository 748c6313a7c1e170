// Two connections joined by a simulated path, for testing the TCP engine without SystemC: per
// direction a bottleneck that serialises at a rate behind a drop-tail queue of limited bytes,
// a one-way delay, and seeded faults (Bernoulli loss, reordering, duplication, corruption that
// the receiver's checksum would drop). A small event loop delivers segments, fires the
// connections' timers and runs two applications: a bulk sender that writes as fast as the send
// buffer takes, and a sink that reads everything (optionally slowly) and hashes the stream
// with FNV-1a 64 to compare with the sender's digest.
//
// A is the active opener (the client), B listens. Header-only, plain C++.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/rng.h"
#include "core/units.h"
#include "kernel/tcp/connection.h"

namespace hostwire::tcp::harness {

inline constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;
inline uint64_t fnv1a(uint64_t h, std::span<const uint8_t> bytes) {
  for (uint8_t b : bytes) {
    h ^= b;
    h *= 0x100000001b3ULL;
  }
  return h;
}

struct PathParams {
  Rate rate = Rate::from_gbps(1);
  Time delay = Time::from_us(50);  // one-way propagation
  int64_t queue_bytes = 4 << 20;   // drop-tail limit of the bottleneck queue (wire bytes)
  double loss = 0;                 // probability a segment is lost after it leaves the queue
  double reorder = 0;              // probability a segment is held back by reorder_delay
  Time reorder_delay = Time::from_us(100);
  double duplicate = 0;  // probability a segment arrives twice
  double corrupt = 0;    // probability a segment is corrupted (and dropped by the receiver's checksum)
};

enum class Dir { a_to_b = 0, b_to_a = 1 };

// One segment as the path saw it.
struct WireRecord {
  Time at{};
  Dir dir{};
  uint32_t seq = 0, ack = 0, len = 0, payload = 0;
  uint16_t flags = 0, window = 0;
  uint8_t sack_blocks = 0;
  bool dropped = false;
};

struct PathStats {
  uint64_t segments = 0;       // entered the path
  uint64_t data_segments = 0;  // with payload
  uint64_t occupying = 0;      // SYN, FIN or payload: they occupy sequence space
  uint64_t seen_twice = 0;     // occupying segments whose first sequence number had been seen before
  uint64_t pure_acks = 0;      // no payload, no SYN/FIN/RST
  uint64_t dropped = 0;        // by the drop hook, the queue or a fault
  uint64_t queue_drops = 0;
  uint64_t payload_bytes = 0;
};

class Pipe {
 public:
  Pipe(const TcpParams& a_params, const TcpParams& b_params, PathParams ab = {}, PathParams ba = {},
       uint64_t seed = 1, uint32_t a_iss = 1000, uint32_t b_iss = 500000,
       std::unique_ptr<CongestionControl> a_cc = nullptr, std::unique_ptr<CongestionControl> b_cc = nullptr)
      : a(a_params, std::move(a_cc), a_iss, 40000, 80),
        b(b_params, std::move(b_cc), b_iss, 80, 40000),
        path_{PathState(ab, Rng(seed, "a_to_b")), PathState(ba, Rng(seed, "b_to_a"))} {}

  Connection a, b;

  // The engine that plays A on the path (default: `a`): segments for A reach it, its timers
  // fire and its output leaves. For hand-over tests (another engine sends for A a while); the
  // applications stay on `a`. Null returns the role to `a`.
  void set_a_engine(Connection* c) {
    a_engine_ = c;
    pump();
  }
  Connection& a_engine() { return a_engine_ ? *a_engine_ : a; }
  // Called in every pump, after the applications and before the engines' output leaves: a
  // test can act on the connections (and queue segments in their output) there.
  std::function<void(Time now)> on_pump;

  // Return true to drop the segment (deterministic losses); `index` counts segments entering
  // that direction from 0.
  std::function<bool(const Segment&, Dir, uint64_t index)> drop;
  // Called for every segment entering the path (before any drop).
  std::function<void(const Segment&, Dir, Time)> on_wire;
  bool record = false;
  std::vector<WireRecord> wire;

  const PathStats& stats(Dir d) const { return path_[static_cast<int>(d)].stats; }
  Time now() const { return now_; }

  // Opens the connection at time `at`: B listens, A connects.
  void connect(Time at = Time{}) {
    now_ = at;
    b.open_passive();
    a.open_active(at);
    pump();
  }

  // A sends `bytes` of seeded pseudo-random data to B (copied, or zero-copy slices of one
  // buffer), in writes of at most `write_size` bytes, and closes when all is written if asked.
  void bulk(uint64_t bytes, bool close_when_done = true, bool zero_copy = false, size_t write_size = 1 << 20,
            uint64_t seed = 7) {
    auto data = std::make_shared<std::vector<uint8_t>>(bytes);
    Rng r(seed, "bulk");
    for (size_t i = 0; i < data->size(); i += 8) {
      const uint64_t v = r.next_u64();
      for (size_t k = 0; k < 8 && i + k < data->size(); ++k) (*data)[i + k] = static_cast<uint8_t>(v >> (8 * k));
    }
    src_ = data;
    src_written_ = 0;
    src_close_ = close_when_done;
    src_zero_copy_ = zero_copy;
    src_write_size_ = write_size;
    sent_digest_ = fnv1a(kFnvOffset, *data);
    pump();
  }
  const std::vector<uint8_t>& source() const { return *src_; }  // what bulk() sends
  uint64_t sent_digest() const { return sent_digest_; }
  uint64_t received_digest() const { return recv_digest_; }
  uint64_t received_bytes() const { return recv_bytes_; }
  uint64_t written_bytes() const { return src_written_; }

  // The sink at B reads everything at once (default), or `chunk` bytes every `interval`.
  void slow_reader(uint64_t chunk, Time interval) {
    read_chunk_ = chunk;
    read_interval_ = interval;
    next_read_ = now_ + interval;
  }
  void fast_reader() {
    read_chunk_ = 0;
    next_read_.reset();
    pump();
  }
  bool sink_close = true;      // B closes once it has read the peer's FIN
  bool reader_paused = false;  // B's application reads nothing while set

  // Runs the event loop until `until` (inclusive) or until nothing is left to happen.
  void run_until(Time until) {
    pump();  // whatever the test did to a connection directly goes out first
    while (step(until)) {
    }
    if (now_ < until) now_ = until;
  }
  // Runs until `done()` holds (checked after every event) or `limit`; true when it held.
  bool run_until(const std::function<bool()>& done, Time limit) {
    pump();
    if (done()) return true;
    while (step(limit))
      if (done()) return true;
    return done();
  }
  bool both_closed() const { return a.state() == State::closed && b.state() == State::closed; }

  // Delivers a segment to A or B now, as if it arrived from the path (for hand-made segments).
  void inject(Dir to_side_of, const Segment& s) {
    (to_side_of == Dir::a_to_b ? b : a_engine()).on_segment(s, now_);
    pump();
  }

 private:
  struct PathState {
    PathState(const PathParams& params, Rng r) : p(params), rng(r) {}
    PathParams p;
    Rng rng;
    Time next_free{};
    uint64_t index = 0;
    PathStats stats;
    std::unordered_map<uint32_t, uint32_t> seen;  // first sequence number -> times seen
  };
  struct Event {
    Time at;
    uint64_t order;
    Dir dir;
    Segment seg;
  };
  struct Later {
    bool operator()(const Event& x, const Event& y) const {
      return x.at != y.at ? x.at > y.at : x.order > y.order;
    }
  };

  bool step(Time limit) {
    std::optional<Time> t;
    auto consider = [&](std::optional<Time> x) {
      if (x && (!t || *x < *t)) t = x;
    };
    if (!events_.empty()) consider(events_.top().at);
    consider(a_engine().next_timer());
    consider(b.next_timer());
    consider(next_read_);
    if (!t || *t > limit) return false;
    now_ = std::max(now_, *t);
    if (!events_.empty() && events_.top().at <= now_) {
      Event e = events_.top();
      events_.pop();
      (e.dir == Dir::a_to_b ? b : a_engine()).on_segment(e.seg, now_);
    } else if (a_engine().next_timer() && *a_engine().next_timer() <= now_) {
      a_engine().on_timer(now_);
    } else if (b.next_timer() && *b.next_timer() <= now_) {
      b.on_timer(now_);
    } else if (next_read_ && *next_read_ <= now_) {
      read_budget_ += read_chunk_;
      next_read_ = now_ + read_interval_;
    }
    pump();
    return true;
  }

  // Applications act, then whatever the connections emitted enters the path.
  void pump() {
    for (int round = 0; round < 4; ++round) {
      app_send();
      app_receive();
      if (on_pump) on_pump(now_);
      const bool any = !a_engine().output().empty() || !b.output().empty();
      drain(a_engine(), Dir::a_to_b);
      drain(b, Dir::b_to_a);
      if (!any) break;
    }
  }

  void app_send() {
    if (!src_) return;
    if (a.state() != State::established && a.state() != State::close_wait) return;
    while (src_written_ < src_->size()) {
      const size_t want = std::min<uint64_t>(src_write_size_, src_->size() - src_written_);
      size_t n;
      if (src_zero_copy_) {
        n = a.send_shared(PayloadSlice{src_, static_cast<uint32_t>(src_written_), static_cast<uint32_t>(want)}, now_);
      } else {
        n = a.send(std::span<const uint8_t>(src_->data() + src_written_, want), now_);
      }
      src_written_ += n;
      if (n < want) break;
    }
    if (src_written_ == src_->size() && src_close_) {
      src_close_ = false;
      a.close(now_);
    }
  }

  void app_receive() {
    if (reader_paused) return;
    uint8_t buf[16384];
    for (;;) {
      size_t want = sizeof buf;
      if (read_chunk_ > 0) want = std::min<uint64_t>(want, read_budget_);
      if (want == 0 || b.readable() == 0) break;
      const size_t n = b.receive(std::span<uint8_t>(buf, want), now_);
      if (n == 0) break;
      recv_digest_ = fnv1a(recv_digest_, std::span<const uint8_t>(buf, n));
      recv_bytes_ += n;
      if (read_chunk_ > 0) read_budget_ -= n;
    }
    if (sink_close && b.eof() && b.state() == State::close_wait) b.close(now_);
  }

  void drain(Connection& c, Dir d) {
    auto& out = c.output();
    for (Segment& s : out) transmit(d, std::move(s));
    out.clear();
  }

  void transmit(Dir d, Segment&& s) {
    PathState& ps = path_[static_cast<int>(d)];
    const uint64_t index = ps.index++;
    ps.stats.segments++;
    ps.stats.payload_bytes += s.payload.length;
    if (s.payload.length > 0) ps.stats.data_segments++;
    if (s.len() > 0) {
      ps.stats.occupying++;
      if (ps.seen[s.header.seq]++ > 0) ps.stats.seen_twice++;
    } else if (!s.has(net::tcp_flag::rst)) {
      ps.stats.pure_acks++;
    }
    if (on_wire) on_wire(s, d, now_);
    WireRecord rec{now_, d, s.header.seq, s.header.ack, s.len(), s.payload.length, s.header.flags,
                   s.header.window, s.header.options.sack_blocks, false};
    auto dropped = [&](bool queue) {
      ps.stats.dropped++;
      if (queue) ps.stats.queue_drops++;
      rec.dropped = true;
      if (record) wire.push_back(rec);
    };
    if (drop && drop(s, d, index)) return dropped(false);
    // Bottleneck: wire bytes with IPv4 and Ethernet framing (preamble, header, FCS, gap).
    const int64_t bytes = static_cast<int64_t>(s.payload.length + s.header.length() + 20 + 38);
    const Time start = std::max(now_, ps.next_free);
    const int64_t backlog = static_cast<int64_t>((start - now_).seconds() * static_cast<double>(ps.p.rate.bps) / 8);
    if (backlog + bytes > ps.p.queue_bytes) return dropped(true);
    ps.next_free = start + ps.p.rate.time_for_bytes(bytes);
    if (ps.rng.bernoulli(ps.p.loss) || ps.rng.bernoulli(ps.p.corrupt)) return dropped(false);
    Time arrive = ps.next_free + ps.p.delay;
    if (ps.rng.bernoulli(ps.p.reorder)) arrive = arrive + ps.p.reorder_delay;
    if (record) wire.push_back(rec);
    if (ps.rng.bernoulli(ps.p.duplicate)) events_.push(Event{arrive, order_++, d, s});
    events_.push(Event{arrive, order_++, d, std::move(s)});
  }

  Connection* a_engine_ = nullptr;
  PathState path_[2];
  std::priority_queue<Event, std::vector<Event>, Later> events_;
  uint64_t order_ = 0;
  Time now_{};

  std::shared_ptr<std::vector<uint8_t>> src_;
  uint64_t src_written_ = 0;
  bool src_close_ = false, src_zero_copy_ = false;
  size_t src_write_size_ = 1 << 20;
  uint64_t sent_digest_ = kFnvOffset, recv_digest_ = kFnvOffset, recv_bytes_ = 0;

  uint64_t read_chunk_ = 0, read_budget_ = 0;
  Time read_interval_{};
  std::optional<Time> next_read_;
};

}  // namespace hostwire::tcp::harness
