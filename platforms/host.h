// A host: cores, memory and the PCIe bus, a multi-ring NIC, the interrupt controller, a
// minimal NIC driver (xmit with doorbells, NAPI poll, TX completion cleaning) and a UDP
// socket path with sender and receiver threads. Parameters live under the host's name:
// "host_b.cpu.cores", "host_b.nic.rings_per_vnic", "host_b.bus.latency", "host_b.driver.napi_budget".
//
// Where work runs (what Linux does with irq affinity, XPS and SO_INCOMING_CPU sockets):
// queue pair i (RX ring i, TX ring i, MSI-X vector i) belongs to core i mod cores; a sender
// thread on core c transmits on ring c mod rings; a received datagram goes to the socket of
// the core whose NAPI poll processed it, read by the receiver thread pinned to that core.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm_utils/simple_initiator_socket.h>

#include "bus/bus.h"
#include "bus/memory.h"
#include "bus/mmio.h"
#include "core/log.h"
#include "core/params.h"
#include "core/sim.h"
#include "cpu/cpu.h"
#include "kernel/stack.h"
#include "kernel/tcp/params.h"
#include "net/address.h"
#include "nic/nic.h"

namespace hostwire {

struct DriverParams {
  int64_t napi_budget = 64;         // Linux NAPI_POLL_WEIGHT
  int64_t netdev_budget = 300;      // Linux net.core.netdev_budget
  int64_t irq_handler = 200;        // cycles: the driver's handler (mask, napi_schedule)
  int64_t poll_overhead = 300;      // cycles per NAPI poll call
  int64_t rx_descriptor = 150;      // cycles per received descriptor: read the completion, build the skb, refill
  int64_t tx_descriptor = 150;      // cycles per transmitted descriptor: map the buffer, write the descriptor
  int64_t tx_clean = 80;            // cycles per TX completion cleaned (unmap, free the skb)
  bool tx_checksum_offload = true;  // the NIC fills in UDP/TCP checksums (else the stack checksums per byte)

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
  }
};

struct UdpParams {
  Bytes rcvbuf{212992};  // Linux net.core.rmem_default
  int64_t recv_batch = 1;

  template <class V>
  void visit(V& v) {
    v(rcvbuf, "rcvbuf", "receive buffer of each UDP socket; a datagram that does not fit is dropped", Limits::at_least(1));
    v(recv_batch, "recv_batch", "datagrams one receive system call takes at most (recvmmsg), datagrams",
      Limits::range(1, 1024));
  }
};

struct HostParams {
  cpu::CpuParams cpu;
  bus::BusParams bus;
  bus::MemoryParams memory;
  nic::NicParams nic;
  DriverParams driver;
  UdpParams udp;
  kernel::KernelParams kernel;
  tcp::TcpParams tcp;
};

void host_params(std::vector<ParamSpec>& out, const std::string& host);
HostParams bind_host_params(const ParamValues& values, const std::string& host);

// Receive-side statistics of one workload (kept by every receiving host's sockets).
struct UdpFlowStats {
  Counter* datagrams = nullptr;
  Counter* bytes = nullptr;  // UDP payload bytes
  Histogram* latency = nullptr;
};

// What a UDP sender thread sends: a workload's share of flows.
struct UdpStream {
  std::string name;         // the workload's stat prefix, "workload.blast."
  int core = 0;             // the sender thread's core
  std::vector<Packet> flows;  // a header template per flow (addresses, ports, checksum over the payload)
  std::vector<uint32_t> flow_ids;
  PayloadSlice payload;
  std::string pattern = "line_rate";  // line_rate, constant, poisson
  Time interval{};          // mean gap between syscalls for constant / poisson
  Time start{}, stop{};
  int64_t count = 0;        // datagrams this thread sends (0: unlimited)
  int64_t batch = 1;        // datagrams per sendmmsg
  uint32_t workload = 0;
  uint64_t seed_stream = 0;
};

class Host : public sc_core::sc_module {
 public:
  Host(sc_core::sc_module_name name, SimContext& ctx, const HostParams& params, uint8_t index, int64_t max_frame_bytes);
  ~Host() override;

  nic::Nic& nic() { return *nic_; }
  cpu::Cpu& cpu() { return cpu_; }
  net::MacAddress mac() const { return mac_; }
  net::Ipv4Address ip() const { return ip_; }
  const std::string& host_name() const { return name_; }

  // Adds a sender thread; `sent` counts datagrams handed to the NIC.
  void add_sender(const UdpStream& s, Counter& sent);
  // Receivers: datagrams of workload w are counted into `stats` (index w).
  void set_receive_stats(std::vector<UdpFlowStats> stats) { rx_stats_ = std::move(stats); }

  kernel::TcpStack& tcp() { return *stack_; }
  // The static neighbour table (no ARP): the platform tells each host its peers' MACs.
  void set_neighbour(std::function<net::MacAddress(net::Ipv4Address)> f) { neighbour_ = std::move(f); }

  uint64_t datagrams_in_sockets() const;
  uint64_t frames_in_backlog() const;
  uint64_t socket_drops() const { return socket_drops_.value(); }
  uint64_t stray() const { return stray_.value(); }

 private:
  struct Socket {  // one per core: SO_REUSEPORT with SO_INCOMING_CPU
    std::deque<Frame*> queue;
    int64_t bytes = 0;
    bool reader_busy = false;  // the receiver thread is in a recv call
  };
  struct Sender;

  void irqs_due();
  void on_interrupt(int vector);
  void napi_poll(int vector);
  void poll_done(int vector);
  void stack_receive(Frame* f, int core);
  void reader_wake(int core);
  void reader_done(int core);
  void doorbell(int ring, uint32_t posted);
  void unmask(int vector);
  void mmio_write(uint64_t address, uint64_t value);
  void sender_step(Sender& s);
  void sender_done(Sender& s);
  void sender_timer(Sender& s);
  void wake_senders(int ring);
  void xmit(Frame* f, int core, uint16_t mss);
  void flush_doorbells(int core);
  void drain_backlog(int ring);

  SimContext& ctx_;
  HostParams p_;
  std::string name_;
  Logger log_;
  net::MacAddress mac_;
  net::Ipv4Address ip_;
  cpu::Cpu cpu_;
  bus::Bus bus_;
  bus::Memory memory_;
  bus::MmioTarget apic_;
  std::unique_ptr<nic::Nic> nic_;
  tlm_utils::simple_initiator_socket<Host> mmio_;  // the cores' register writes (root complex)
  tlm::tlm_generic_payload mmio_gp_;
  uint64_t mmio_data_ = 0;

  struct Poll {
    bool scheduled = false;
    bool deferred = false;      // polling from ksoftirqd (thread priority) instead of softirq
    int64_t softirq_work = 0;   // descriptors polled in softirq since the interrupt
    uint32_t rx = 0, tx = 0;    // what the running poll takes
  };
  std::deque<std::pair<Time, int>> irq_queue_;  // MSI-X messages on their way: (arrival, vector)
  sc_core::sc_event irq_due_;
  std::vector<Poll> polls_;
  std::vector<Socket> sockets_;
  std::vector<uint32_t> reading_;  // datagrams the running recv call takes, per core
  std::vector<std::unique_ptr<Sender>> senders_;
  std::vector<std::vector<Sender*>> blocked_;  // per TX ring
  std::vector<UdpFlowStats> rx_stats_;
  std::unique_ptr<kernel::TcpStack> stack_;
  std::function<net::MacAddress(net::Ipv4Address)> neighbour_;
  std::vector<std::deque<std::pair<Frame*, uint16_t>>> backlog_;  // per TX ring: the qdisc while the ring is full
  std::vector<uint32_t> unannounced_;  // per TX ring: posted since the last doorbell

  Counter& syscalls_;
  Counter& irqs_;
  Counter& polls_count_;
  Counter& deferred_polls_;
  Counter& socket_drops_;
  Counter& stray_;
  Counter& received_;
};

}  // namespace hostwire
