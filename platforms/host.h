// A host, as wiring only: cores, memory and the PCIe bus, a multi-ring NIC, the interrupt
// controller, and the kernel's layers (driver, IP, UDP, TCP conns, sockets). Parameters live
// under the host's name: "host_b.cpu.cores", "host_b.nic.rings_per_vnic",
// "host_b.bus.latency", "host_b.driver.napi_budget", "host_b.tcp.sndbuf".
//
// Where work runs (what Linux does with irq affinity, XPS and SO_INCOMING_CPU sockets):
// queue pair i (RX ring i, TX ring i, MSI-X vector i) belongs to core i mod cores; a thread
// on core c transmits on ring c mod rings; a received datagram goes to the socket of the core
// whose NAPI poll processed it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <systemc>

#include "bus/bus.h"
#include "bus/memory.h"
#include "bus/mmio.h"
#include "core/params.h"
#include "core/scenario.h"
#include "core/sim.h"
#include "cpu/cpu.h"
#include "kernel/conn/tcp_stack.h"
#include "kernel/driver/driver.h"
#include "kernel/ip/ip.h"
#include "kernel/socket/sockets.h"
#include "kernel/tcp/params.h"
#include "kernel/udp/udp.h"
#include "net/address.h"
#include "nic/nic.h"
#include "toe/engine.h"
#include "toe/params.h"
#include "http/module.h"
#include "http/params.h"

namespace hostwire {

struct HostParams {
  cpu::CpuParams cpu;
  bus::BusParams bus;
  bus::MemoryParams memory;
  nic::NicParams nic;
  kernel::DriverParams driver;
  kernel::UdpParams udp;
  kernel::KernelParams kernel;
  tcp::TcpParams tcp;
  kernel::ParallelParams parallel;
  kernel::PacketParams packet;
  toe::ToeParams toe;
  http::HttpParams http;

  // Each part with its key under the host: the one list that both the schema and the binding use.
  template <class F>
  void parts(F&& f) {
    f(cpu, "cpu."), f(bus, "bus."), f(memory, "memory."), f(nic, "nic."), f(driver, "driver."), f(udp, "udp."),
        f(kernel, "kernel."), f(tcp, "tcp."), f(parallel, "tcp.parallel."), f(packet, "packet."),
        f(toe, "nic.toe."), f(http, "http.");
  }
};

void host_params(std::vector<ParamSpec>& out, const std::string& host);
// Checks a host's parameters against each other: `prefix` is its key prefix ("host_a." or a
// star's "host."), `cores` its core count and `cores_key` where that count was set.
// `rules`: also check what depends on the prefix only (the offload engine against the TCP
// parameters, VNIC overrides against `vnics`, the most VNICs a host of the prefix has, -1: its
// nic.vnics) and, with `check_rules`, the NIC's classifier rules: once per prefix.
void check_host_params(const Scenario& s, const std::string& prefix, int64_t cores, const std::string& cores_key,
                       std::vector<InputError>& errors, bool rules = true, bool check_rules = true, int64_t vnics = -1);
// Classifier rules `rules` (the list `list` at `key`): each item's fields, and its targets against
// a NIC of `vnics` VNICs (set at `vnics_key`) of `rings_per_vnic` rings.
void check_nic_rules(const ParamValue& list, const std::string& key, const std::vector<nic::RuleParams>& rules,
                     int64_t vnics, int64_t rings_per_vnic, const std::string& vnics_key, std::vector<InputError>& errors);
HostParams bind_host_params(const ParamValues& values, const std::string& host);
// VNIC `vnic`'s IPv4 address on the host numbered `index` (Host's addressing, below).
net::Ipv4Address host_vnic_ip(uint16_t index, int vnic);
// Each rule's erspan_to (the list `list` at `key`) must be one of `addresses`, the platform's VNICs.
void check_erspan_targets(const ParamValue& list, const std::string& key, const std::vector<nic::RuleParams>& rules,
                          const std::vector<net::Ipv4Address>& addresses, std::vector<InputError>& errors);

class Host : public sc_core::sc_module {
 public:
  // `index` numbers the host's addresses: VNIC v has MAC 02:00:00:<index/256>:<index%256>:<v> and
  // IPv4 10.<v>.<index/256>.<index%256>; VNIC 0's are the host's own (its IP stack's).
  Host(sc_core::sc_module_name name, SimContext& ctx, const HostParams& params, uint16_t index, int64_t max_frame_bytes);
  ~Host() override;

  nic::Nic& nic() { return *nic_; }
  cpu::Cpu& cpu() { return cpu_; }
  const HostParams& params() const { return p_; }
  net::MacAddress mac() const { return mac_; }
  net::Ipv4Address ip() const { return ip_; }
  net::MacAddress vnic_mac(int vnic) const;
  net::Ipv4Address vnic_ip(int vnic) const;
  // The MAC of this host's VNIC with address `ip`, if it has one (the platform's neighbour table).
  std::optional<net::MacAddress> mac_of(net::Ipv4Address ip) const;
  const std::string& host_name() const { return name_; }

  // What applications use.
  kernel::Sockets& sockets() { return *sockets_; }
  // The static neighbour table (no ARP): the platform tells each host its peers' MACs.
  // An address no host has resolves to broadcast, except a NIC rule's erspan_to, which must be a
  // host's (std::invalid_argument otherwise).
  void set_neighbour(std::function<net::MacAddress(net::Ipv4Address)> f);

  // For reports and the conservation check.
  const kernel::TcpStack& tcp() const { return *stack_; }
  const kernel::Driver& driver() const { return *driver_; }
  kernel::Driver& driver() { return *driver_; }  // capture taps hook into it
  const nic::DescriptorRings& rings() const { return *rings_; }
  uint64_t datagrams_in_sockets() const { return udp_->datagrams_queued(); }
  uint64_t frames_in_backlog() const { return driver_->frames_in_backlog(); }
  const http::HttpModule* http_module() const { return http_.get(); }

 private:
  SimContext& ctx_;
  HostParams p_;
  std::string name_;
  uint16_t index_;
  net::MacAddress mac_;
  net::Ipv4Address ip_;
  cpu::Cpu cpu_;
  bus::Bus bus_;
  bus::Memory memory_;
  bus::MmioTarget apic_;
  std::unique_ptr<nic::DescriptorRings> rings_;
  std::unique_ptr<nic::Nic> nic_;
  std::unique_ptr<toe::OffloadEngine> toe_;
  std::unique_ptr<kernel::Driver> driver_;
  std::unique_ptr<kernel::IpLayer> ip_layer_;
  std::unique_ptr<kernel::UdpLayer> udp_;
  std::unique_ptr<kernel::TcpStack> stack_;
  std::unique_ptr<kernel::PacketLayer> packet_;
  std::unique_ptr<kernel::Sockets> sockets_;
  std::unique_ptr<http::HttpModule> http_;  // built when a daemon binds it
  kernel::ThreadIds threads_;
  std::function<net::MacAddress(net::Ipv4Address)> neighbour_;
  Counter& syscalls_;
};

}  // namespace hostwire
