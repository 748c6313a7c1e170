// The switch's forwarding table: which port each destination MAC lives behind. Static
// entries come from the platform; with learning on, the table also remembers the port each
// source MAC was last seen on (as an 802.1D bridge does, but without aging). Broadcast,
// multicast and unknown unicast destinations flood to every port but the one the frame came in
// on; a destination behind the ingress port itself is filtered (the station already saw it).
//
// Plain C++, no SystemC: the Switch module asks it once per frame at ingress.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "net/address.h"

namespace hostwire::wire {

struct Forward {
  enum class Action { to_port, flood, filter };
  Action action = Action::flood;
  int port = -1;  // the egress port for to_port
  friend bool operator==(const Forward&, const Forward&) = default;
};

class ForwardingTable {
 public:
  ForwardingTable(int ports, bool learning) : ports_(ports), learning_(learning) {}

  // A fixed entry: never replaced by learning. Returns false for a group (multicast or
  // broadcast) address or a port out of range.
  bool add_static(const net::MacAddress& mac, int port);

  // Decides where a frame arriving on `ingress` goes, learning its source first, so a frame
  // to the station that sent it is filtered.
  Forward forward(int ingress, const net::MacAddress& dst, const net::MacAddress& src);

  std::optional<int> lookup(const net::MacAddress& mac) const;
  int ports() const { return ports_; }
  size_t entries() const { return entries_.size(); }
  uint64_t floods() const { return floods_; }    // frames flooded (unknown or group destination)
  uint64_t learned() const { return learned_; }  // entries created or moved by learning

  static bool is_group(const net::MacAddress& mac) { return (mac[0] & 1) != 0; }  // I/G bit

 private:
  struct Entry {
    int port;
    bool fixed;
  };
  void learn(const net::MacAddress& src, int port);

  int ports_;
  bool learning_;
  std::map<net::MacAddress, Entry> entries_;
  uint64_t floods_ = 0;
  uint64_t learned_ = 0;
};

}  // namespace hostwire::wire
