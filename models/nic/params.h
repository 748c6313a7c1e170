// Parameters of the NIC's logic: rings, RSS and interrupt moderation. The lead registers
// NicParams under the NIC's key ("a.nic."), so `hostwire params` lists these and scenarios set them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/params.h"
#include "core/units.h"
#include "net/result.h"
#include "nic/moderation.h"
#include "nic/rss.h"
#include "nic/rule_params.h"

namespace hostwire::nic {

// A VNIC's settings where they differ from the NIC's (`<host>.nic.vnic_overrides`), e.g. a
// debug VNIC's ring: [{vnic: 1, rx_ring_size: 64}].
struct VnicOverride {
  int64_t vnic = 0;
  int64_t rx_ring_size = 0;

  template <class V>
  void visit(V& v) {
    v(vnic, "vnic", "the VNIC, index", Limits::range(0, 63).required());
    v(rx_ring_size, "rx_ring_size", "descriptors per RX ring of this VNIC (0: the NIC's rx_ring_size)",
      Limits::range(0, 65536));
  }
};

struct NicParams {
  int64_t vnics = 1;
  int64_t rings_per_vnic = 4;
  int64_t rx_ring_size = 512;  // descriptors
  int64_t tx_ring_size = 512;
  int64_t descriptor_fetch_batch = 8;
  std::string rss_key = "6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa";
  bool rss_udp_ports = true;
  Time moderation_time = ModerationParams{}.time_threshold;
  int64_t moderation_packets = ModerationParams{}.packet_threshold;
  Time moderation_min_interval = ModerationParams{}.min_interval;
  // Intel 82599: a 160 KB transmit packet buffer (datasheet 331520, section 3.7.4).
  Bytes tx_buffer{160 * 1024};
  Bytes descriptor_bytes{16};  // legacy and advanced descriptors of Intel NICs, mlx5 CQEs are 64 B
  int64_t dma_outstanding_batches = 4;
  bool tso = true;
  Bytes tso_max_size{65536};  // Linux GSO_MAX_SIZE
  Time register_latency = Time::from_ns(0);
  std::vector<RuleParams> rules;  // the classifier's match-action rules (nic/rule_params.h)
  std::vector<VnicOverride> vnic_overrides;

  template <class V>
  void visit(V& v) {
    v(vnics, "vnics", "virtual NICs on the port, each with its own MAC and RX/TX rings", Limits::range(1, 64));
    // More rings than the 128 indirection-table entries could never all receive.
    v(rings_per_vnic, "rings_per_vnic", "RX rings (and TX rings) per VNIC, spread by RSS", Limits::range(1, 128));
    v(rx_ring_size, "rx_ring_size", "descriptors per RX ring (one slot stays open: size-1 usable)",
      Limits::range(2, 65536));
    v(tx_ring_size, "tx_ring_size", "descriptors per TX ring (one slot stays open: size-1 usable)",
      Limits::range(2, 65536));
    v(descriptor_fetch_batch, "descriptor_fetch_batch", "descriptors the DMA engine reads per fetch",
      Limits::range(1, 65536));
    v(rss_key, "rss_key", "Toeplitz key, 40 bytes as 80 hex digits (':' separators allowed)");
    v(rss_udp_ports, "rss_udp_ports", "hash UDP on addresses and ports (false: addresses only)");
    v(moderation_time, "moderation_time", "interrupt after this long since the first pending completion (rx-usecs)",
      Limits::non_negative());
    v(moderation_packets, "moderation_packets", "interrupt once this many completions are pending (rx-frames)",
      Limits::range(1, 65536));
    v(moderation_min_interval, "moderation_min_interval", "least time between two interrupts of a vector (ITR)",
      Limits::non_negative());
    v(tx_buffer, "tx_buffer", "on-chip transmit packet buffer between the DMA engine and the MAC",
      Limits::at_least(1518));
    v(descriptor_bytes, "descriptor_bytes", "size of one descriptor or completion in host memory",
      Limits::range(4, 256));
    v(dma_outstanding_batches, "dma_outstanding_batches",
      "transmit descriptor batches the DMA engine has in flight at once (reads it pipelines)", Limits::range(1, 64));
    v(tso, "tso", "stateless TCP segmentation offload: TCP hands the NIC super-frames of up to tso_max_size, which "
      "it cuts into MSS frames (false: TCP segments in software)");
    v(tso_max_size, "tso_max_size", "largest super-frame the NIC accepts for TSO (the netdev's gso_max_size)",
      Limits::range(1, 65536));
    v(register_latency, "register_latency", "time a register write (doorbell, unmask) takes inside the NIC after the bus",
      Limits::non_negative());
    v.list(rules, "rules", "classifier rules, looked at before the default path (destination MAC -> VNIC -> RSS): "
           "match fields, an action, a mirror VNIC with sampling and a snap length, install and removal times", 64);
    v.list(vnic_overrides, "vnic_overrides", "per-VNIC settings that differ from the NIC's (a debug VNIC's own "
           "RX ring size)", 64);
  }

  // The text fields are checked here (the params layer only knows they are text).
  net::Result<RssKey> key() const { return parse_rss_key(rss_key); }
  ModerationParams moderation() const { return {moderation_time, moderation_packets, moderation_min_interval}; }
};

}  // namespace hostwire::nic
