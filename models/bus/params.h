// Parameters of the host's PCIe link (the bus between root complex and device) and of host
// memory. The host registers BusParams under "<host>.bus." and MemoryParams under
// "<host>.memory.", so `hostwire params` lists them and scenarios set them.
#pragma once

#include "core/params.h"
#include "core/units.h"

namespace hostwire::bus {

struct BusParams {
  // Root port to endpoint and back through one switch-less hop: Neugebauer et al. ("Understanding
  // PCIe performance for end host networking", SIGCOMM 2018) measure DMA read round trips of
  // about 500-900 ns on Xeon hosts; 250 ns each way plus memory puts a small read near 600 ns.
  Time latency = Time::from_ns(250);
  // PCIe Gen3 x8: 8 GT/s x 8 lanes x 128b/130b encoding = 63.015 Gbit/s per direction.
  Rate bandwidth = Rate::from_bps(63'015'000'000);
  Bytes max_payload{256};       // the Max_Payload_Size most server root ports negotiate
  Bytes max_read_request{512};  // Linux's default Max_Read_Request_Size for most devices
  // Gen3 framing: 4 B STP token (with the sequence number) + 16 B 4DW header (64-bit address)
  // + 4 B LCRC. DLLPs (ACK, flow-control updates) are not counted.
  Bytes tlp_overhead{24};

  template <class V>
  void visit(V& v) {
    v(latency, "latency", "one-way latency across the link, after the last byte is sent", Limits::non_negative());
    v(bandwidth, "bandwidth", "usable bandwidth of each direction (after line encoding)", Limits::positive());
    v(max_payload, "max_payload", "Max_Payload_Size: a write or a read completion is cut into TLPs of at most this",
      Limits::range(1, 4096));
    v(max_read_request, "max_read_request", "Max_Read_Request_Size: a read is issued as ceil(bytes / this) request TLPs",
      Limits::range(1, 4096));
    v(tlp_overhead, "tlp_overhead", "link bytes each TLP adds to its data (framing, header, sequence, LCRC)",
      Limits::range(0, 256));
  }
};

struct MemoryParams {
  // DRAM load-to-use latency of a current server socket, page miss included.
  Time latency = Time::from_ns(80);
  // One DDR4-3200 channel: 3200 MT/s x 8 B = 25.6 GB/s.
  Rate bandwidth = Rate::from_bps(204'800'000'000);

  template <class V>
  void visit(V& v) {
    v(latency, "latency", "time from the end of an access's transfer to its data being written or ready",
      Limits::non_negative());
    v(bandwidth, "bandwidth", "rate at which the memory moves the bytes of one access at a time", Limits::positive());
  }
};

}  // namespace hostwire::bus
