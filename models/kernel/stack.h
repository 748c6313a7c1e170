// The kernel's TCP/IP stack on a host: conns with event lists (mechanism F), one
// serialisation queue per conn on the core it is bound to, the TCP engine (kernel/tcp) behind
// the tcp_input layer, sockets with blocking send and receive calls, and the applications
// that use them. The timed shell: it decides on which core and when each piece of protocol
// work runs and what it costs; the engine decides what happens.
//
// Receive: the driver's NAPI poll hands each TCP frame to receive(); it is queued on its
// conn. At the end of the poll every conn with queued frames gets one work item on its core
// (softirq) costing its event list per frame, plus `handover` when the frame arrived on
// another core (an IPI and a backlog queue). When the item completes the list runs on each
// frame in order; segments the engine emits cost tcp_output + ip_output each, charged in a
// follow-up item, and go to the driver when it completes.
//
// Send: an application's write is a system call on its core (syscall + copy per byte of what
// fits in the send buffer); a full send buffer blocks the thread until ACKs free space.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <queue>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include <systemc>

#include "core/frame.h"
#include "core/log.h"
#include "core/params.h"
#include "core/rng.h"
#include "core/sim.h"
#include "cpu/cpu.h"
#include "kernel/event_list.h"
#include "kernel/tcp/connection.h"
#include "net/address.h"

namespace hostwire::kernel {

// Per-packet costs of the protocol layers (cycles), and the cost of handing a packet to the
// conn's core from another one. Registered under "<host>.kernel.".
struct KernelParams {
  int64_t ip_input = 250;
  int64_t tcp_input = 1000;
  int64_t tcp_listen = 1500;
  int64_t tcp_time_wait = 400;
  int64_t socket_deliver = 300;
  int64_t tap_trace = 150;
  int64_t tcp_output = 800;
  int64_t ip_output = 250;
  int64_t timer = 600;
  int64_t handover = 2000;
  bool tap = false;

  template <class V>
  void visit(V& v) {
    v(ip_input, "ip_input", "IPv4 input per packet: header checks, route lookup, cycles");
    v(tcp_input, "tcp_input", "TCP input per segment on an established conn (ACK processing, reassembly), cycles");
    v(tcp_listen, "tcp_listen", "a listening conn's SYN processing (request sock, SYN-ACK), cycles");
    v(tcp_time_wait, "tcp_time_wait", "a TIME_WAIT conn's only work: acknowledge, cycles");
    v(socket_deliver, "socket_deliver", "queue data on the socket and wake the reader, cycles");
    v(tap_trace, "tap_trace", "the tap state's trace function per packet, cycles");
    v(tcp_output, "tcp_output", "TCP output per segment sent (headers, timers, SACK state), cycles");
    v(ip_output, "ip_output", "IPv4 output per packet (route, neighbour, queue to the driver), cycles");
    v(timer, "timer", "a TCP timer firing (retransmission, delayed ACK, persist, TIME_WAIT), cycles");
    v(handover, "handover", "handing a packet to the conn's core from the core that received it, cycles");
    v(tap, "tap", "every new conn starts in the tap state: a trace function sits in its event list");
  }
};

struct Input {
  Frame* frame = nullptr;
  tcp::Segment segment;
  int arrival_core = 0;
};

class TcpStack;

class Conn {
 public:
  Conn(uint64_t id, int core, net::Ipv4Address peer, uint16_t local_port, uint16_t remote_port)
      : id(id), core(core), peer(peer), local_port(local_port), remote_port(remote_port) {}

  const uint64_t id;
  const int core;  // every piece of this conn's protocol work runs here, in order
  const net::Ipv4Address peer;
  const uint16_t local_port;
  uint16_t remote_port;
  std::string state;  // the operational state its event list implements
  EventList list;
  std::unique_ptr<tcp::Connection> tcp;

  // Serialisation queue: frames waiting for the conn's core.
  std::deque<Input> queue;
  bool dirty = false;           // frames queued in the current poll, work not yet scheduled
  bool work_scheduled = false;  // an item on `core` will process the first `batch` frames
  uint32_t batch = 0;
  bool timer_scheduled = false;
  uint32_t output_batch = 0;
  uint64_t list_generation = 0;  // bumped when the list is rewritten
  std::vector<tcp::Segment> outbox;  // emitted, waiting for their output item
  bool output_scheduled = false;
  std::optional<Time> armed;         // the timer the stack holds for it
  uint16_t ip_id = 0;

  // The socket's users.
  struct App* app = nullptr;
  Counter* state_changes = nullptr;
};

// A digest of a byte stream that does not depend on how the stream was cut into calls: 8-byte
// words (little-endian) mixed in order, a partial word carried to the next update. Fast enough
// to run on every byte a 10 Gbps flow moves.
class StreamDigest {
 public:
  void update(std::span<const uint8_t> bytes);
  uint64_t value() const;  // includes the carried partial word and the length
  uint64_t bytes() const { return length_; }

 private:
  // Word i of the stream goes to lane i mod 4: four independent multiply chains, so the
  // digest runs at memory speed, and the result still depends only on the bytes.
  void mix(uint64_t w) {
    uint64_t& h = lanes_[words_++ & 3];
    h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
    h ^= h >> 29;
  }
  uint64_t lanes_[4] = {0xcbf29ce484222325ULL, 0x84222325cbf29ce4ULL, 0x2545F4914F6CDD1DULL, 0x9E3779B97F4A7C15ULL};
  uint64_t words_ = 0;
  uint64_t carry_ = 0;
  unsigned carried_ = 0;  // bytes in carry_
  uint64_t length_ = 0;
};

// Messages on a byte stream for request/response applications: a 4-byte big-endian length
// (the whole message, header included), then the body.
struct MessageFramer {
  uint32_t need = 0;   // bytes left of the current message; 0: a header is next
  uint8_t header[4]{};
  uint8_t have = 0;    // header bytes seen
  // Feeds bytes; calls `done(size)` for each message completed. False on a bad length (< 4).
  template <class F>
  bool feed(std::span<const uint8_t> bytes, F&& done) {
    size_t i = 0;
    while (i < bytes.size()) {
      if (need == 0) {
        header[have++] = bytes[i++];
        if (have < 4) continue;
        have = 0;
        const uint32_t size = uint32_t{header[0]} << 24 | uint32_t{header[1]} << 16 | uint32_t{header[2]} << 8 | header[3];
        if (size < 4) return false;
        need = size - 4;
        current = size;
        if (need == 0) done(current);
        continue;
      }
      const uint32_t take = static_cast<uint32_t>(std::min<size_t>(need, bytes.size() - i));
      need -= take;
      i += take;
      if (need == 0) done(current);
    }
    return true;
  }
  uint32_t current = 0;
};

// Response sizes of a request/response server.
struct SizeDistribution {
  enum class Kind { fixed, exponential, uniform } kind = Kind::fixed;
  uint32_t size = 1024;      // fixed size, exponential mean, or uniform minimum (bytes, header included)
  uint32_t size_max = 1024;  // uniform maximum
};

// A TCP application bound to one conn: a bulk sender or a sink, or either end of a
// request/response exchange (an echo server answers each request with a copy of its size).
struct App {
  enum class Kind { bulk_sender, sink, rr_client, rr_server } kind = Kind::sink;
  std::string name;     // workload stat prefix
  int core = 0;
  int context = 0;      // its thread
  Conn* conn = nullptr;
  bool busy = false;    // in a system call
  bool blocked = false;
  bool closed = false;
  Time start{};
  // Bulk sender.
  uint64_t total = 0;   // bytes to send (0: unlimited)
  uint64_t written = 0;
  uint32_t write_size = 65536;
  uint32_t pending = 0;
  StreamDigest tx_digest;
  // Sink.
  uint32_t read_size = 65536;
  uint64_t read = 0;
  StreamDigest rx_digest;
  Counter* bytes = nullptr;
  Counter* syscalls = nullptr;
  std::vector<uint8_t> buffer;
  // Request/response: messages waiting to be written (sizes), bytes of the first one written.
  std::deque<uint32_t> out_messages;
  uint32_t out_offset = 0;
  uint64_t out_bytes = 0;  // bytes of out_messages not yet written
  MessageFramer framer;
  std::deque<Time> outstanding;  // client: when each unanswered request arose
  uint32_t request_size = 64;
  double request_rate = 0;       // requests/s, Poisson; 0: closed loop with `concurrency`
  int64_t concurrency = 1;
  Time stop{};
  bool echo = false;
  SizeDistribution responses;
  Rng rng;
  bool receiving = false;        // the running call is a receive (else a send)
  Counter* requests = nullptr;
  Counter* answered = nullptr;
  Histogram* latency = nullptr;
  sc_core::sc_event* arrival = nullptr;
};

// What the host gives the stack.
struct HostPort {
  cpu::Cpu* cpu = nullptr;
  net::Ipv4Address ip;
  net::MacAddress mac{};
  // Static neighbour table: the MAC for a peer address.
  std::function<net::MacAddress(net::Ipv4Address)> neighbour;
  // Hands a frame to the driver on `core` (its TX queue); `mss` > 0 asks the NIC for TSO.
  std::function<void(Frame*, int core, uint16_t mss)> transmit;
  // Rings the doorbell for what transmit() posted from `core` since the last flush.
  std::function<void(int core)> flush;
  bool tso = false;
  Counter* syscalls = nullptr;  // the host's system-call counter
};

class TcpStack : public sc_core::sc_module {
 public:
  TcpStack(sc_core::sc_module_name name, SimContext& ctx, const KernelParams& kp, const tcp::TcpParams& tp,
           HostPort port, const std::string& stat_name);

  // From the driver's poll on `core`: a TCP/IPv4 frame for this host (the stack owns it now).
  void receive(Frame* f, int core);
  // End of a poll on `core`: schedule the work queued for conns.
  void poll_end(int core);

  // Applications.
  App& listen_sink(uint16_t port, const std::string& name);
  App& connect_bulk(net::Ipv4Address peer, uint16_t port, int core, uint64_t bytes, uint32_t write_size,
                    Time start, const std::string& name);
  // Request/response: the server answers each request (echo: with as many bytes as it got).
  App& listen_server(uint16_t port, const std::string& name, const SizeDistribution& responses, bool echo);
  // The client issues requests of `request_size` bytes at `rate` per second (Poisson), or keeps
  // `concurrency` outstanding when rate is 0; latency is from a request's arrival to the end
  // of its response.
  App& connect_client(net::Ipv4Address peer, uint16_t port, int core, uint32_t request_size, double rate,
                      int64_t concurrency, Time start, Time stop, const std::string& name);
  // Bytes the host's applications wrote and read (for cycles per byte).
  uint64_t app_bytes_written() const { return app_tx_.value(); }
  uint64_t app_bytes_read() const { return app_rx_.value(); }

  // The application instance accept() made for a listener's workload (nullptr before the SYN).
  const App* accepted(const std::string& name) const;
  const ProtocolDatabase& protocols() const { return db_; }
  size_t conns() const { return conns_.size(); }
  uint64_t frames_queued() const;  // in conns' serialisation queues
  // Summed over conns, for per-host reports.
  uint64_t retransmitted_segments() const;

  // The byte at stream offset `o` of every bulk sender (a fixed pseudo-random pattern).
  static const std::shared_ptr<const std::vector<uint8_t>>& pattern();

 private:
  // Layer functions (LayerFn): `stack` is this.
  static Verdict ip_input(void* stack, Conn& c, Input& in);
  static Verdict tcp_input(void* stack, Conn& c, Input& in);
  static Verdict tcp_listen(void* stack, Conn& c, Input& in);
  static Verdict tcp_time_wait(void* stack, Conn& c, Input& in);
  static Verdict socket_deliver(void* stack, Conn& c, Input& in);
  static Verdict tap_trace(void* stack, Conn& c, Input& in);

  struct Key {
    uint32_t peer;
    uint16_t local_port, remote_port;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const { return (uint64_t{k.peer} << 32 | uint64_t{k.local_port} << 16 | k.remote_port) * 0x9E3779B97F4A7C15ULL >> 16; }
  };

  Conn& new_conn(int core, net::Ipv4Address peer, uint16_t local_port, uint16_t remote_port);
  void enter_state(Conn& c, const std::string& state, Time now);
  void schedule_work(Conn& c);
  void run_work(Conn& c);
  void collect_output(Conn& c);
  void run_output(Conn& c);
  void arm_timer(Conn& c);
  void timers_due();
  void app_step(App& a);
  void app_done(App& a);
  void app_wake(App& a);
  void rr_step(App& a);
  void rr_done(App& a);
  void rr_arrival(App& a);
  void start_connect(App& a);
  Conn& listener(uint16_t port);
  App& new_app(App::Kind kind, const std::string& name);
  int64_t output_cycles(const Conn& c) const;
  void emit(Conn& c, const tcp::Segment& s);

  SimContext& ctx_;
  KernelParams kp_;
  tcp::TcpParams tp_;
  HostPort port_;
  std::string name_;
  Logger log_;
  ProtocolDatabase db_;
  EventList established_, listening_, time_wait_, established_tap_;
  std::unordered_map<Key, Conn*, KeyHash> by_key_;
  std::unordered_map<uint16_t, Conn*> listeners_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<std::unique_ptr<App>> apps_;
  std::vector<std::vector<Conn*>> dirty_;  // per arrival core: conns with frames queued in this poll
  std::priority_queue<std::pair<int64_t, uint64_t>, std::vector<std::pair<int64_t, uint64_t>>, std::greater<>> timers_;
  sc_core::sc_event timer_event_;
  uint64_t next_id_ = 1;
  uint32_t isn_ = 0x1000;
  int trace_track_;

  Counter& segments_in_;
  Counter& segments_out_;
  Counter& dropped_no_conn_;
  Counter& dropped_malformed_;
  Counter& handovers_;
  Counter& state_changes_;
  Counter& rst_sent_;
  Counter& app_tx_;
  Counter& app_rx_;
};

}  // namespace hostwire::kernel
