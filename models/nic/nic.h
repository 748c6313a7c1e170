// The multi-ring NIC: the timed shell around the NIC logic (classifier, RSS, rings,
// moderation, TSO), assembled from parts with one job each:
//
//   rx_path     MAC -> classify step -> VNIC ring -> DMA of frame and completion (nic/rx_path.h)
//   tx engine   doorbell -> descriptor fetch -> frame reads -> TSO -> MAC, behind the TxEngine
//               interface a TCP offload engine implements too (nic/tx_engine.h)
//   interrupts  an MSI-X vector per queue pair, moderated (nic/interrupts.h)
//   registers   TX doorbells and interrupt unmask in the BAR (nic/registers.h)
//   dma         the bus master they share (nic/dma.h)
//
// The descriptor rings are not inside the NIC: they live in host memory (nic/descriptor_rings.h),
// created by the platform and shared with the driver, which reaches the NIC itself only by
// MMIO over the bus. The NIC owns the Ethernet port (a wire::Mac), reaches host memory through
// its DMA initiator socket and exposes its registers as an MMIO target on the same bus.
//
// Batching is where hardware batches: one activation per descriptor batch, per interrupt and
// per register write, none per received frame beyond the wire's own.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "bus/mmio.h"
#include "core/sim.h"
#include "nic/classifier.h"
#include "nic/descriptor_rings.h"
#include "nic/dma.h"
#include "nic/interrupts.h"
#include "nic/params.h"
#include "nic/registers.h"
#include "nic/remote_mirror.h"
#include "nic/rx_path.h"
#include "nic/tcp_monitor.h"
#include "nic/tx_engine.h"
#include "wire/mac.h"

namespace hostwire::nic {

class Nic : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Nic> dma;
  bus::MmioTarget registers;
  wire::Mac mac;

  // `vnic_macs`: one per VNIC (params.vnics of them). `rings`: the ring memory in host memory,
  // params.vnics x params.rings_per_vnic queue pairs, at the addresses (and MSI-X address) of its map.
  Nic(sc_core::sc_module_name name, SimContext& ctx, const NicParams& params, const std::string& stat_name,
      int64_t max_frame_bytes, const std::vector<net::MacAddress>& vnic_macs, DescriptorRings& rings);

  int rings() const { return rings_.rings(); }  // RX rings = TX rings = vectors
  const NicParams& params() const { return p_; }
  Classifier& classifier() { return rx_.classifier(); }
  RxPath& rx() { return rx_; }
  TxEngine& tx() { return *tx_; }
  DmaPort& dma_port() { return dma_port_; }
  // Called after each frame starts on the wire (its transmit-buffer room is free again).
  void on_tx_space(std::function<void()> f) { tx_space_.push_back(std::move(f)); }

  // Frames inside the NIC: fetched by the transmit engine and not yet given to the MAC (the
  // MAC counts its own queue; ring memory counts what it references).
  uint64_t frames_held() const { return tx_->frames_held(); }
  // Addresses for the rules' remote mirror copies: the host's IPv4 address and its neighbour
  // table (the platform's). Throws std::invalid_argument if an erspan_to is no host's.
  void resolve_remote_mirrors(net::Ipv4Address source, const RemoteMirror::Neighbour& neighbour) {
    remote_.resolve(source, neighbour);
  }

 private:
  NicParams p_;
  DescriptorRings& rings_;
  Counter& register_writes_;
  DmaPort dma_port_;
  Interrupts interrupts_;
  RxPath rx_;
  std::unique_ptr<TxEngine> tx_;
  NicRegisters register_file_;
  TcpWireMonitor tcp_monitor_;  // TCP as a capture at the port sees it (nic/tcp_monitor.h)
  RemoteMirror remote_;
  std::vector<std::function<void()>> tx_space_;
  // The scenario's classifier rules (NicParams::rules), installed at their times.
  struct Planned {
    RulePlan plan;
    RxPath::MirrorPolicy policy;
    int32_t id = -1;  // the classifier's, once installed
  };
  std::vector<Planned> planned_;
  void install_rules(SimContext& ctx, const std::string& stat_name);
  void install(size_t rule);
};

}  // namespace hostwire::nic
