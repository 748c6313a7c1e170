// Mirror copies sent to an analyzer on another host (a classifier rule's `erspan_to`): each
// copy, already sampled and cut to its snap length, is encapsulated as ERSPAN type II over GRE
// (net/erspan.h) and sent out of this NIC's own port, where it shares the wire with the
// host's traffic. The copy takes room in the transmit packet buffer like any frame; when the
// buffer has none it is dropped and counted, so a busy port never drops a host frame for a
// copy. A copy longer than the link's largest frame allows is cut to fit (the T bit).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/packet.h"
#include "core/sim.h"
#include "core/stats.h"
#include "net/address.h"
#include "net/erspan.h"
#include "nic/tx_engine.h"

namespace hostwire::nic {

class RemoteMirror {
 public:
  RemoteMirror(SimContext& ctx, TxEngine& tx, net::MacAddress port_mac, uint32_t max_frame_bytes,
               const std::string& stat_name);

  // A session to the analyzer at `to`; returns its index for send(). The stat name is the rule's.
  size_t add_session(net::Ipv4Address to, uint16_t session_id, const std::string& rule_stat);
  // The outer headers' addresses: this host's IPv4 address and the neighbour table. Throws
  // std::invalid_argument naming the rule when an analyzer's address is no host's.
  using Neighbour = std::function<std::optional<net::MacAddress>(net::Ipv4Address)>;
  void resolve(net::Ipv4Address source, const Neighbour& neighbour);

  void send(size_t session, const Packet& copy);

 private:
  struct Session {
    net::ErspanSession erspan;
    uint32_t sequence = 0;
    std::string rule;
    Counter* frames = nullptr;
    Counter* dropped = nullptr;
  };
  SimContext& ctx_;
  TxEngine& tx_;
  net::MacAddress port_mac_;
  uint32_t max_frame_bytes_;
  bool resolved_ = false;
  std::vector<Session> sessions_;
  Counter& frames_;
  Counter& bytes_;
  Counter& truncated_;
  Counter& dropped_buffer_;
};

}  // namespace hostwire::nic
