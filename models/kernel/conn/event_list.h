// A conn's event list (mechanism F): the ordered protocol-layer functions that process a
// packet of that connection, picked from a protocol database by the layers the connection
// needs. A conn in another operational state runs another list: a listening conn's differs
// from an established one's, a conn in TIME_WAIT only acknowledges, a tapped conn has a trace
// function inserted. Rewriting the list is how a module changes the conn's state; nothing on
// the packet path tests state flags.
//
// Plain C++: the functions are plain function pointers with a cost in cycles, so running a
// list is a short loop and its cost is known before the work is scheduled on a core.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/units.h"
#include "net/result.h"

namespace hostwire::kernel {

// What a layer function decides for the packet: hand it to the next layer, stop (the layer
// consumed it), or drop it (the stack counts it in <host>.tcp.layer_drops).
enum class Verdict : uint8_t { next, consumed, drop };

struct Input;     // the packet being processed (kernel/conn/conn.h)
class Conn;
class TcpStack;  // the services a layer may use: wake the socket, emit, rewrite the list (kernel/conn/tcp_stack.h)

using LayerFn = Verdict (*)(TcpStack& stack, Conn& conn, Input& in);

struct Layer {
  std::string name;      // "ip_input", "tcp_input", "socket_deliver", "tcp_time_wait", "tap_trace"
  std::string protocol;  // the layer it belongs to: "ipv4", "tcp", "socket", "tap"
  Cycles cycles{};       // per packet on the conn's core
  LayerFn fn = nullptr;
};

struct EventList {
  std::vector<const Layer*> layers;
  Cycles cycles() const;
  std::string describe() const;  // "ip_input > tcp_input > socket_deliver"
  // This list with `layer` inserted before the layer named `before` (at the end without one).
  EventList with_before(const Layer* layer, std::string_view before) const;
};

class ProtocolDatabase {
 public:
  // Names are unique; a later add() of a known name replaces its cost and function.
  void add(Layer layer);
  const Layer* find(std::string_view name) const;
  // The list of the named layers in the given order; an error names an unknown layer.
  net::Result<EventList> list(std::initializer_list<std::string_view> names) const;
  net::Result<EventList> list(const std::vector<std::string>& names) const;
  std::vector<std::string> names() const;

 private:
  std::vector<std::unique_ptr<Layer>> layers_;  // stable addresses: lists point into it
};

}  // namespace hostwire::kernel
