// The kernel's conn machinery for TCP on a host: conns with event lists (mechanism F), one
// serialisation queue per conn on the core it is bound to, the TCP engine (kernel/tcp) behind
// the tcp_input layer, timers, and the sockets (kernel/socket) applications hold. The timed
// shell: it decides on which core and when each piece of protocol work runs and what it
// costs; the engine decides what happens.
//
// Receive: the driver's NAPI poll hands each TCP frame to receive(); it is queued on its
// conn. At the end of the poll every conn with queued frames gets one work item on its core
// (softirq) costing its event list per frame, plus `handover` when the frame arrived on
// another core (an IPI and a backlog queue). When the item completes the list runs on each
// frame in order; segments the engine emits cost tcp_output + ip_output each, charged in a
// follow-up item, and go to the driver when it completes.
//
// Send: an application's write is a system call on its core (kernel/socket); segments the
// engine emits go through IP output to the driver's TX queue of the conn's core.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <queue>
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
#include "kernel/conn/conn.h"
#include "kernel/conn/event_list.h"
#include "kernel/conn/offload.h"
#include "kernel/conn/parallel_send.h"
#include "kernel/socket/socket.h"
#include "kernel/tcp/connection.h"
#include "net/address.h"

namespace hostwire::kernel {

// Per-packet costs of the protocol layers (cycles), and the cost of handing a packet to the
// conn's core from another one. Registered under "<host>.kernel.".
struct KernelParams {
  Cycles ip_input{250};
  Cycles tcp_input{1000};
  Cycles tcp_listen{1500};
  Cycles tcp_time_wait{400};
  Cycles socket_deliver{300};
  Cycles tap_trace{150};
  Cycles tcp_output{800};
  Cycles ip_output{250};
  Cycles timer{600};
  // UDP's layers, so a datagram costs what a TCP segment's layers do (ip_input/ip_output are
  // shared): one pass of IP + UDP + socket queueing is ~0.5 us, ~1-2 Mpps per core for small
  // packets as stock Linux reaches (Cai et al., "Understanding host network stack overheads",
  // SIGCOMM 2021).
  Cycles udp_input{950};
  Cycles udp_output{1250};
  Cycles handover{2000};
  Cycles toe_post{1500};
  Cycles toe_completion{1800};
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
    v(udp_input, "udp_input", "UDP input per datagram: port lookup, socket checks, cycles");
    v(udp_output, "udp_output", "UDP output per datagram: header, route and socket accounting, cycles");
    v(timer, "timer", "a TCP timer firing (retransmission, delayed ACK, persist, TIME_WAIT), cycles");
    v(handover, "handover", "handing a packet to the conn's core from the core that received it, cycles");
    v(toe_post, "toe_post", "posting an offload or chain descriptor to the NIC's offload engine and its doorbell, cycles");
    v(toe_completion, "toe_completion", "an offload engine completion: interrupt, handler, freeing acknowledged "
      "bytes or restoring the handed-back state, cycles");
    v(tap, "tap", "every new conn starts in the tap state: a trace function sits in its event list");
  }
};

// What the host gives the stack.
struct HostPort {
  cpu::Cpu* cpu = nullptr;
  net::Ipv4Address ip;
  net::MacAddress mac{};
  // Static neighbour table: the MAC for a peer address.
  std::function<net::MacAddress(net::Ipv4Address)> neighbour;
  // IP output: hands a frame to the driver on `core` (its TX queue); `mss` > 0 asks the NIC
  // for TSO. `conn` (may be null) is charged the frame's bytes until its TX completion.
  std::function<void(Frame*, int core, uint16_t mss, Conn* conn)> transmit;
  // Rings the doorbell for what transmit() posted from `core` since the last flush.
  std::function<void(int core)> flush;
  bool checksum_offload = true;  // false: TCP output checksums each segment in software, per byte
  Cycles tx_descriptor{};        // the driver's cost per TX descriptor
  Counter* syscalls = nullptr;   // the host's system-call counter
  toe::OffloadEngine* toe = nullptr;  // the NIC's TCP offload engine, if it has one
  toe::ToeParams toe_params;
};

// The host's socket-layer figures (kernel/socket): wake-ups and the kernel buffering layer's.
struct SocketStats {
  Counter& wakeups;
  Counter& kbuf_messages;
  Counter& kbuf_oversize;
  Counter& kbuf_malformed;
  Counter& kbuf_timeouts;
  Counter& kbuf_fallbacks;
  Counter& kbuf_discarded;
  Gauge& kbuf_bytes;
  int vcd_kbuf_bytes = -1;
  int64_t held = 0;  // bytes kbuf holds over all sockets
};

class TcpStack : public sc_core::sc_module {
 public:
  TcpStack(sc_core::sc_module_name name, SimContext& ctx, const KernelParams& kp, const tcp::TcpParams& tp,
           const ParallelParams& parallel, HostPort port, ThreadIds& threads, const std::string& stat_name);

  // From IP input on `core`: a TCP segment for this host from `source` (the stack owns the frame).
  void receive(Frame* f, net::Ipv4Address source, size_t tcp_offset, int core);
  // End of a poll on `core`: schedule the work queued for conns.
  void poll_end(int core);

  // The socket API's entry points (kernel/socket): a socket for an active open to
  // peer:port, its conn on `thread.core`; a listener whose accepted conns are handed to
  // `accept` (each with a socket of its own, on the core the SYN arrived on).
  TcpSocket& socket(net::Ipv4Address peer, uint16_t port, Thread thread);
  void listen(uint16_t port, std::function<void(TcpSocket&)> accept);

  // For the socket layer.
  void open_active(Conn& c);
  void after_call(Conn& c);  // an application call changed the engine: push output, re-arm timers
  void count_syscall() { if (port_.syscalls) port_.syscalls->add(); }
  // A system call on an application thread: entry and exit plus `work` (its copies, the kernel's
  // part of it), and the wake-up when it resumes a thread that slept; `done` runs when it returns.
  void system_call(const Thread& t, Cycles work, bool woken, const char* kind, std::function<void()> done);
  // What a write of `bytes` costs the calling thread beyond the system call: the copy into the
  // kernel, or nothing on a parallel-send conn (its PEs copy from the pinned user pages).
  Cycles write_cycles(const Conn& c, uint64_t bytes) const {
    return c.parallel ? Cycles{} : costs().copy_cycles(static_cast<int64_t>(bytes));
  }
  void bytes_written(uint64_t n) { app_tx_.add(n); }
  void bytes_read(uint64_t n) { app_rx_.add(n); }
  cpu::Cpu& cpu() { return *port_.cpu; }
  const cpu::CostTable& costs() const { return port_.cpu->costs(); }

  // The driver cleaned TX completions of `c`'s frames: TCP small queues may resume it.
  void tx_freed(Conn& c) {
    tsq_freed(c);
    if (c.bytes_below == 0) offload_.after_call(c);  // the host's frames are out: the NIC may take the conn
  }
  // The application closes or aborts `c`: false when the call must wait (the NIC holds the conn).
  bool close_now(Conn& c, bool abort) { return !offload_.defer_close(c, abort); }
  // The offload engine's completion reached host memory.
  void toe_completion(toe::Completion done) { offload_.completion(std::move(done)); }

  // Rewrites a conn's event list: the conn enters `state` (mechanism F). Logged, counted, traced.
  void enter_state(Conn& c, const std::string& state, const EventList& list, Time now);
  // The state a conn runs while data flows: entered now if the conn is there, and kept across
  // TCP's state changes. base_data_list() is the stack's own (with the tap layer when on).
  void set_data_state(Conn& c, const std::string& state, const EventList& list, Time now);
  // A module's operational state, counted in <host>.tcp.state.<state>.entered like the stack's.
  void add_state(const std::string& state);
  // For a kernel module that serves a listener's conns itself (the HTTP transport): each
  // accepted conn is handed to `accept` with no application socket.
  void listen_kernel(uint16_t port, std::function<void(Conn&)> accept);
  // A kernel module changed a conn from outside its packet pass (data queued, a close): push
  // its output and re-arm its timers.
  void kick(Conn& c) { after_call(c); }
  const EventList& base_data_list() const { return kp_.tap ? established_tap_ : established_; }
  const std::string& base_data_state() const { return base_state_; }
  // A layer's work beyond its fixed cost in the running pass: charged on the conn's core after
  // the pass, before the socket's reader is woken.
  void charge(Conn& c, Cycles cycles) { c.extra_cycles = c.extra_cycles + cycles; }
  // The socket wants on_deadline() at `at` (replacing an earlier request), or no longer.
  void set_socket_deadline(Conn& c, std::optional<Time> at);
  const tcp::TcpParams& tcp_params() const { return tp_; }
  SocketStats& socket_stats() { return socket_stats_; }
  void kbuf_held(int64_t delta);  // bytes kbuf holds changed by `delta`
  void charge_now(Conn& c) { if (c.extra_cycles.n > 0) run_deferred(c); }
  SimContext& context() { return ctx_; }
  // Timeline: the item finishing on `core` worked on packet (or stream) `id`.
  void trace_work(int core, uint64_t id) { port_.cpu->core(core).trace_packet(id); }
  int trace_socket() const { return trace_socket_; }
  const std::string& stat_name() const { return name_; }

  // Bytes the host's applications wrote and read (for cycles per byte).
  uint64_t app_bytes_written() const { return app_tx_.value(); }
  uint64_t app_bytes_read() const { return app_rx_.value(); }

  // The protocol database: a module (kbuf, http, offload) adds its layers here and composes
  // lists from them, then moves a conn into its state with enter_state().
  const ProtocolDatabase& protocols() const { return db_; }
  ProtocolDatabase& protocols() { return db_; }
  size_t conns() const { return conns_.size(); }
  uint64_t frames_queued() const;  // in conns' serialisation queues
  const ParallelSend& parallel() const { return parallel_; }
  // Summed over conns, for per-host reports.
  uint64_t retransmitted_segments() const;
  uint64_t bytes_received() const;  // payload bytes received in order (tcp::Connection::bytes_received)

 private:
  // Layer functions of the protocol database.
  static Verdict ip_input(TcpStack& stack, Conn& c, Input& in);
  static Verdict tcp_input(TcpStack& stack, Conn& c, Input& in);
  static Verdict tcp_listen(TcpStack& stack, Conn& c, Input& in);
  static Verdict tcp_time_wait(TcpStack& stack, Conn& c, Input& in);
  static Verdict socket_deliver(TcpStack& stack, Conn& c, Input& in);
  static Verdict tap_trace(TcpStack& stack, Conn& c, Input& in);

  struct Key {
    uint32_t peer;
    uint16_t local_port, remote_port;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const { return (uint64_t{k.peer} << 32 | uint64_t{k.local_port} << 16 | k.remote_port) * 0x9E3779B97F4A7C15ULL >> 16; }
  };
  struct Listener {
    Conn* conn = nullptr;
    std::function<void(TcpSocket&)> accept;
    std::function<void(Conn&)> accept_kernel;
  };
  void open_listener(uint16_t port, Listener l);  // l.conn is made here

  Conn& new_conn(int core, net::Ipv4Address peer, uint16_t local_port, uint16_t remote_port);
  TcpSocket& attach_socket(Conn& c, Thread t);
  void state_changed(Conn& c, tcp::State to, Time now);
  void schedule_work(Conn& c);
  void run_work(Conn& c);
  // One packet through the conn's event list as it is now (a layer that rewrites the list
  // ends the packet's pass).
  void run_list(Conn& c, Input& in);
  void collect_output(Conn& c);
  void run_output(Conn& c);
  void arm_timer(Conn& c);
  std::optional<Time> next_deadline(const Conn& c) const;  // TCP's timer or the socket's
  void run_deferred(Conn& c);
  void timers_due();
  Cycles output_cycles(const Conn& c) const;
  Cycles segment_cycles(int64_t segment_bytes) const;  // one segment's output work, headers included
  // TCP small queues.
  int64_t tsq_limit(const Conn& c) const;
  bool tsq_admit(Conn& c, uint64_t len);
  void tsq_freed(Conn& c);
  void trace_below(Conn& c);
  void trace_engine(Conn& c);  // cwnd, ssthresh, srtt and the socket buffers' bytes
  // Onto `core`'s TX queue; the frame's packet id (0: none was built). `flow_open`: a stage
  // before began its trace arrow.
  uint64_t emit(Conn& c, const tcp::Segment& s, int core, bool flow_open = false);
  void emit(Conn& c, const tcp::Segment& s) { emit(c, s, c.core); }
  void flush(int core) { port_.flush(core); }
  // TCP small queues for the parallel send path: room for another chunk below the conn, else
  // the conn is marked throttled and TX completions resume it.
  bool tsq_room(Conn& c);
  friend class ParallelSend;  // the send path's other half: it emits on PEs' queues
  friend class OffloadHost;   // the host's half of TCP offload: it posts to the NIC and restores

  SimContext& ctx_;
  KernelParams kp_;
  tcp::TcpParams tp_;
  HostPort port_;
  ThreadIds& threads_;
  std::string name_;
  Logger log_;
  ProtocolDatabase db_;
  EventList established_, listening_, time_wait_, established_tap_;
  std::string base_state_;
  std::unordered_map<Key, Conn*, KeyHash> by_key_;
  std::unordered_map<uint16_t, Listener> listeners_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<std::unique_ptr<TcpSocket>> sockets_;
  std::vector<std::vector<Conn*>> dirty_;  // per arrival core: conns with frames queued in this poll
  std::priority_queue<std::pair<int64_t, uint64_t>, std::vector<std::pair<int64_t, uint64_t>>, std::greater<>> timers_;
  sc_core::sc_event timer_event_;
  uint64_t next_id_ = 1;
  uint32_t isn_ = 0x1000;
  int trace_track_;
  int trace_socket_, trace_send_buffer_;  // timeline: the sockets' receive queues and send buffers
  void trace_emit(Conn& c, const tcp::Segment& s, uint64_t id, int core);

  Counter& segments_in_;
  Counter& segments_out_;
  Counter& dropped_no_conn_;
  Counter& dropped_malformed_;
  Counter& handovers_;
  Counter& state_changes_;
  Counter& rst_sent_;
  Counter& app_tx_;
  Counter& app_rx_;
  Counter& tsq_throttled_;
  Counter& layer_drops_;
  Counter& deferred_items_;
  SocketStats socket_stats_;
  std::unordered_map<std::string, Counter*> state_entries_;
  ParallelSend parallel_;  // last: it registers its stats under the stack's name
  OffloadHost offload_;
};

}  // namespace hostwire::kernel
