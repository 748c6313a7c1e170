// The NIC driver: interrupt handler and NAPI per MSI-X vector (with netdev_budget and
// ksoftirqd deferral), a TX queue per core (XPS: core c transmits on ring c mod rings) with a
// qdisc backlog behind it, byte queue limits per TX queue, TX completion cleaning, and the
// NIC's registers (doorbells, interrupt unmask) written over the bus as MMIO.
//
// Received frames go to the netdev's consumer (the host's IP layer): it says what its inline
// protocol work costs in the poll (UDP runs in the softirq; TCP's runs later on its conn's
// core) and takes the frames when the poll completes.
//
// Transmit: xmit() posts a descriptor when the queue runs (ring slot free, BQL room), else
// the frame waits in the qdisc backlog; a frame's bytes are charged to its conn (TCP small
// queues, kernel/conn) and to BQL until the driver cleans its TX completion.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include <systemc>
#include <tlm_utils/simple_initiator_socket.h>

#include "core/log.h"
#include "core/params.h"
#include "core/sim.h"
#include "cpu/cpu.h"
#include "kernel/conn/conn.h"
#include "kernel/driver/dql.h"
#include "nic/descriptor_rings.h"
#include "nic/registers.h"

namespace hostwire::kernel {

struct DriverParams {
  int64_t napi_budget = 64;         // Linux NAPI_POLL_WEIGHT
  int64_t netdev_budget = 300;      // Linux net.core.netdev_budget
  Cycles irq_handler{200};        // cycles: the driver's handler (mask, napi_schedule)
  Cycles poll_overhead{300};      // cycles per NAPI poll call
  Cycles rx_descriptor{150};      // cycles per received descriptor: read the completion, build the skb, refill
  Cycles tx_descriptor{150};      // cycles per transmitted descriptor: map the buffer, write the descriptor
  Cycles tx_clean{80};            // cycles per TX completion cleaned (unmap, free the skb)
  bool tx_checksum_offload = true;  // the NIC fills in UDP/TCP checksums (else the stack checksums per byte)
  bool bql = true;                  // byte queue limits on every TX queue
  Bytes bql_min_limit{0};
  Bytes bql_max_limit{0xffffffffLL / 2 - 0xffffffffLL / 16};  // Linux DQL_MAX_LIMIT
  Time bql_slack_hold = Time::from_s(1);

  template <class V>
  void visit(V& v) {
    v(napi_budget, "napi_budget", "descriptors one NAPI poll processes before yielding, descriptors", Limits::range(1, 65536));
    v(netdev_budget, "netdev_budget",
      "descriptors polled in softirq context before the rest is deferred to ksoftirqd, a thread that shares the core "
      "fairly with applications (what keeps a saturated receiver out of livelock), descriptors",
      Limits::range(1, 1'000'000));
    v(irq_handler, "irq_handler", "the driver's interrupt handler on top of interrupt entry, cycles");
    v(poll_overhead, "poll_overhead", "fixed cost of one NAPI poll call, cycles");
    v(rx_descriptor, "rx_descriptor", "per received descriptor: read the completion, build the packet, refill, cycles");
    v(tx_descriptor, "tx_descriptor", "per transmitted descriptor: map the buffer and write the descriptor, cycles");
    v(tx_clean, "tx_clean", "per TX completion cleaned, cycles");
    v(tx_checksum_offload, "tx_checksum_offload", "the NIC computes transport checksums (false: the stack does, per byte)");
    v(bql, "bql", "byte queue limits: bound the bytes in each TX ring by a limit that adapts to the completion rate "
      "(Linux BQL); the rest waits in the qdisc");
    v(bql_min_limit, "bql_min_limit", "lower bound of the BQL limit (limit_min)", Limits::non_negative());
    v(bql_max_limit, "bql_max_limit", "upper bound of the BQL limit (limit_max)", Limits::at_least(1));
    v(bql_slack_hold, "bql_slack_hold", "how long excess queueing must persist before BQL lowers the limit (hold_time)",
      Limits::positive());
  }
};

// What a netdev hands its received frames to (the host's IP layer, or a capture consumer).
// The driver makes one netdev per VNIC, over that VNIC's rings.
struct NetdevConsumer {
  std::function<int64_t(const Frame&)> poll_cycles;       // inline protocol work per frame in the poll
  std::function<void(Frame*, int core, int ring)> receive;  // the consumer owns the frame reference
  std::function<void(int core)> poll_end;
  // Zero copy (AF_XDP): each frame keeps its RX ring slot until the consumer gives it back
  // with Driver::release_rx(ring), so a consumer that falls behind fills the ring and the NIC
  // drops there, never in a socket.
  bool zero_copy = false;
};

class Driver : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Driver> mmio;  // the cores' register writes (root complex)

  // `rings`: the NIC's descriptor rings in host memory, which the driver writes and reads;
  // `nic_bar`: the bus address of the NIC's registers, its only other way to the NIC.
  // `netdevs`: one per VNIC, each over rings/netdevs consecutive rings.
  Driver(sc_core::sc_module_name name, SimContext& ctx, const DriverParams& params, cpu::Cpu& cpu,
         nic::DescriptorRings& rings, uint64_t nic_bar, int netdevs, const std::string& stat_name);

  const DriverParams& params() const { return p_; }
  int netdevs() const { return static_cast<int>(consumers_.size()); }
  // Binds netdev `n` (VNIC n) to its consumer; until then its frames are dropped and counted.
  void set_consumer(int netdev, NetdevConsumer c) { consumers_.at(static_cast<size_t>(netdev)) = std::move(c); }
  // A zero-copy consumer is done with a frame of RX ring `ring`: its slot goes back to the NIC.
  void release_rx(int ring) { rings_.rx(ring).release(); }
  // Called with the bytes each conn gets back when its frames' TX completions are cleaned.
  void on_tx_freed(std::function<void(Conn&, int64_t bytes)> f) { tx_freed_ = std::move(f); }

  // The interrupt controller saw vector `v`'s MSI-X message land at `at`.
  void msi(int vector, Time at);

  // --- transmit, on the TX queue of `core` ---
  // Hands a frame to the queue (the driver owns the reference); `mss` > 0 asks for TSO.
  void xmit(Frame* f, int core, uint16_t mss, Conn* conn);
  // Rings the doorbell for what was posted from `core` since the last flush (xmit_more).
  void flush(int core);
  // The queue is stopped (ring full, BQL limit reached, or frames already waiting): a sender
  // that must not queue in the qdisc waits; `wake` runs once when it runs again.
  bool tx_stopped(int core) const;
  // Each frame as its descriptor is posted to a TX ring, a TSO super-frame as one whole TCP
  // segment (nic::tso_whole_segment): where tcpdump on the host sees what the NIC is handed.
  std::function<void(const Packet&)> tx_tap;
  void wait_tx(int core, std::function<void()> wake);

  uint64_t frames_in_backlog() const;
  const Counter& interrupts() const { return irqs_; }
  int64_t bql_limit(int ring) const { return queues_[static_cast<size_t>(ring)].dql.limit(); }
  int64_t bql_in_flight(int ring) const { return queues_[static_cast<size_t>(ring)].dql.in_flight(); }

 private:
  struct Poll {
    bool scheduled = false;
    bool deferred = false;      // polling from ksoftirqd (thread priority) instead of softirq
    int64_t softirq_work = 0;   // descriptors polled in softirq since the interrupt
    uint32_t rx = 0, tx = 0;    // what the running poll takes
    int vcd_state = -1;         // NAPI state: idle, scheduled, polling
  };
  struct Ksoftirqd {            // a core's softirq thread, as the waveform shows it
    int queued = 0;             // deferred polls waiting for the thread to run
    bool running = false;
    int vcd_state = -1;         // sleeping, runnable, running
  };
  struct Posted {               // the driver's shadow of a TX descriptor (tx_buffer_info)
    Conn* conn = nullptr;
    int64_t bytes = 0;
  };
  struct Pending {
    Frame* frame = nullptr;
    uint16_t mss = 0;
    Conn* conn = nullptr;
    int64_t bytes = 0;
    Time at{};  // handed to the driver (ndo_start_xmit): the start of its "tx queue" slice
  };
  struct TxQueue {
    int trace = -1;  // timeline track
    std::deque<Pending> backlog;  // the qdisc while the queue is stopped
    std::deque<Posted> posted;    // in ring order, until cleaned
    uint32_t unannounced = 0;     // posted since the last doorbell
    DynamicQueueLimit dql;
    std::vector<std::function<void()>> waiting;
    int vcd_backlog = -1, vcd_ring = -1, vcd_limit = -1;
    int64_t ring_bytes_peak = 0, limit_peak = 0;
  };

  // The host stack transmits on netdev 0: core c on its ring c mod rings-per-netdev (XPS).
  int ring_of(int core) const { return core % rings_per_netdev_; }
  int netdev_of(int ring) const { return ring / rings_per_netdev_; }
  bool queue_runs(const TxQueue& q, int ring) const;
  bool stopped(int ring) const;  // backlog waiting, or the ring cannot take a descriptor
  bool post(int ring, const Pending& p);
  void tap_posted(const Frame& f, uint16_t mss);
  void drain_backlog(int ring);
  void clean(int ring, uint32_t n);
  void irqs_due();
  void on_interrupt(int vector);
  void napi_poll(int vector, bool from_irq = false);  // from_irq: its interrupt's slice carries the frames
  void poll_done(int vector);
  void doorbell(int ring, uint32_t posted);
  void unmask(int vector);
  void mmio_write(uint64_t address, uint64_t value);
  void trace_queue(int ring);
  enum class NapiState { idle, scheduled, polling };
  void trace_napi(int vector, NapiState state);
  void trace_ksoftirqd(int core);

  SimContext& ctx_;
  DriverParams p_;
  cpu::Cpu& cpu_;
  nic::DescriptorRings& rings_;
  uint64_t nic_bar_;
  std::string name_;
  std::vector<int> trace_rx_rings_;  // timeline track per RX ring
  Logger log_;
  std::vector<NetdevConsumer> consumers_;
  int rings_per_netdev_ = 1;
  std::vector<Counter*> netdev_rx_;
  Counter* unbound_ = nullptr;
  std::function<void(Conn&, int64_t)> tx_freed_;
  tlm::tlm_generic_payload mmio_gp_;
  uint64_t mmio_data_ = 0;

  std::deque<std::pair<Time, int>> irq_queue_;  // MSI-X messages on their way: (arrival, vector)
  sc_core::sc_event irq_due_;
  std::vector<Poll> polls_;
  std::vector<Ksoftirqd> ksoftirqd_;  // per core
  std::vector<TxQueue> queues_;

  Counter& irqs_;
  Counter& polls_count_;
  Counter& deferred_polls_;
  Counter& backlogged_;
};

}  // namespace hostwire::kernel
