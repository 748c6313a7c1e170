// A conn (mechanism F): one connection as the kernel processes it. It is bound to one core,
// where every piece of its protocol work runs in order (the serialisation queue), and it
// carries the event list of its operational state. A module enters another state by
// rewriting the list through TcpStack::enter_state(); nothing on the packet path tests flags.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/stats.h"
#include "core/units.h"
#include "kernel/conn/event_list.h"
#include "kernel/tcp/connection.h"
#include "net/address.h"

namespace hostwire {
struct Frame;  // a TLM payload (core/frame.h); conns only point to it, so their logic stays SystemC-free
}

namespace hostwire::kernel {

class TcpSocket;

// What a kernel module (the HTTP transport) keeps for a conn whose event list runs its layer.
struct ConnModuleState {
  virtual ~ConnModuleState() = default;
};

// A received packet on its way through a conn's event list.
struct Input {
  Frame* frame = nullptr;
  tcp::Segment segment;
  net::Ipv4Address source;
  int arrival_core = 0;
};

class Conn {
 public:
  Conn(uint64_t id, int core, net::Ipv4Address peer, uint16_t local_port, uint16_t remote_port)
      : id(id), core(core), peer(peer), local_port(local_port), remote_port(remote_port) {}

  const uint64_t id;
  // The timeline's key for sampling by flow: the same on both hosts (the ports swap), and
  // consecutive for a client's conns (ephemeral ports count up).
  uint64_t trace_key() const { return uint64_t{local_port} + remote_port; }
  const int core;  // every piece of this conn's protocol work runs here, in order
  const net::Ipv4Address peer;
  const uint16_t local_port;
  uint16_t remote_port;
  std::string state;  // the operational state its event list implements
  EventList list;
  uint64_t list_generation = 0;  // bumped when the list is rewritten
  // The state and list it runs while data flows (ESTABLISHED through the closes): the
  // stack's, or one a module composed (kbuf), which the conn keeps across TCP state changes.
  std::string data_state;
  EventList data_list;
  std::unique_ptr<tcp::Connection> tcp;

  // Serialisation queue: frames waiting for the conn's core.
  std::deque<Input> queue;
  bool dirty = false;           // frames queued in the current poll, work not yet scheduled
  bool work_scheduled = false;  // an item on `core` will process the first `batch` frames
  uint32_t batch = 0;
  bool timer_scheduled = false;
  uint32_t output_batch = 0;
  std::vector<tcp::Segment> outbox;  // emitted, waiting for their output item
  bool output_scheduled = false;
  std::optional<Time> armed;         // the timer the stack holds for it
  uint16_t ip_id = 0;

  // TCP small queues: bytes of this conn's frames below it (qdisc, driver, TX ring, NIC) until
  // their TX completions are cleaned.
  int64_t bytes_below = 0;
  int64_t bytes_outbox = 0;    // payload in `outbox`, on its way to the driver
  int64_t bytes_admitted = 0;  // new data the gate let through in the running engine call
  bool tsq_throttled = false;  // new data held back until completions free room
  int64_t bytes_below_peak = 0;
  int vcd_below = -1;          // VCD signal of bytes_below
  // VCD signals of the engine and the socket buffers, sampled after every engine call.
  int vcd_cwnd = -1, vcd_ssthresh = -1, vcd_srtt = -1, vcd_send_buffer = -1, vcd_receive_buffer = -1;

  TcpSocket* socket = nullptr;  // the socket the application holds, if any
  ConnModuleState* module_state = nullptr;  // a module's, when its layer is in the list
  bool parallel = false;        // new data leaves through the parallel send path (kernel/conn/parallel_send.h)
  // Cycles layers spent beyond their fixed cost in the running pass (a framer's scan); charged
  // in a follow-up item on the conn's core. The socket's wake-up waits for the end of the pass
  // and for that item.
  Cycles extra_cycles{};
  bool wake_deferred = false;
  std::optional<Time> socket_deadline;  // a timer the socket asked for (kbuf assembly, delivery)
};

}  // namespace hostwire::kernel
