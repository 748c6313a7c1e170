// Parameters of the TCP offload engine on the NIC (`<host>.nic.toe.`): its embedded processor,
// its memory and its conn table. The host side's costs (posting a block, taking a completion)
// are the kernel's (`<host>.kernel.toe_post`, `toe_completion`).
#pragma once

#include <cstdint>

#include "core/params.h"
#include "core/units.h"

namespace hostwire::toe {

struct ToeParams {
  bool enabled = false;
  Frequency clock{1'000'000'000};
  Cycles segment_cycles{400};
  Cycles ack_cycles{300};
  Bytes memory{4 * 1024 * 1024};
  int64_t max_conns = 64;
  Bytes state_bytes{512};
  Bytes min_block{64 * 1024};
  Bytes build_ahead{64 * 1024};

  template <class V>
  void visit(V& v) {
    v(enabled, "enabled", "a TCP offload engine on the NIC: an established conn with a write of min_block or more "
      "waiting is handed to it (stateful offload), with its ACKs");
    v(clock, "clock", "the engine's embedded processor clock", Limits::positive());
    v(segment_cycles, "segment_cycles", "engine cycles to build one segment: headers, sequence number, timestamps, "
      "checksums, the MAC descriptor");
    v(ack_cycles, "ack_cycles", "engine cycles to process one ACK: scoreboard, RTT, congestion window");
    v(memory, "memory", "on-NIC memory for offloaded conns' state and their unacknowledged data; when full the "
      "engine sends no new data until ACKs free some", Limits::at_least(4096));
    v(max_conns, "max_conns", "conns the engine's table holds at once; a conn beyond stays on the host, counts",
      Limits::range(1, 1 << 20));
    v(state_bytes, "state_bytes", "one conn's state in NIC memory, read by DMA at offload and written back at "
      "hand-back", Limits::range(64, 1 << 20));
    v(build_ahead, "build_ahead", "bytes of segments the engine builds ahead of the MAC's queue; past it new data "
      "waits for the wire (as TCP small queues pace a host), so the NIC never hoards a window", Limits::at_least(1538));
    v(min_block, "min_block", "unsent bytes a conn must hold after a write to be offloaded; also how much the "
      "engine acknowledges before it tells the host to free the buffer", Limits::range(1448, 1LL << 30));
  }
};

}  // namespace hostwire::toe
