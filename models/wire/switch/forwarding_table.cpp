#include "wire/switch/forwarding_table.h"

namespace hostwire::wire {

bool ForwardingTable::add_static(const net::MacAddress& mac, int port) {
  if (is_group(mac) || port < 0 || port >= ports_) return false;
  entries_[mac] = Entry{port, true};
  return true;
}

void ForwardingTable::learn(const net::MacAddress& src, int port) {
  if (is_group(src)) return;  // a group address is never a frame's sender
  auto [it, fresh] = entries_.try_emplace(src, Entry{port, false});
  if (fresh) {
    ++learned_;
  } else if (!it->second.fixed && it->second.port != port) {  // the station moved
    it->second.port = port;
    ++learned_;
  }
}

Forward ForwardingTable::forward(int ingress, const net::MacAddress& dst, const net::MacAddress& src) {
  if (learning_) learn(src, ingress);
  auto it = is_group(dst) ? entries_.end() : entries_.find(dst);
  if (it == entries_.end()) {
    ++floods_;
    return Forward{Forward::Action::flood, -1};
  }
  if (it->second.port == ingress) return Forward{Forward::Action::filter, ingress};
  return Forward{Forward::Action::to_port, it->second.port};
}

std::optional<int> ForwardingTable::lookup(const net::MacAddress& mac) const {
  auto it = entries_.find(mac);
  if (it == entries_.end()) return std::nullopt;
  return it->second.port;
}

}  // namespace hostwire::wire
