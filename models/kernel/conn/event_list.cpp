#include "kernel/conn/event_list.h"

#include <memory>

namespace hostwire::kernel {

Cycles EventList::cycles() const {
  Cycles c{};
  for (const Layer* l : layers) c = c + l->cycles;
  return c;
}

std::string EventList::describe() const {
  std::string s;
  for (const Layer* l : layers) {
    if (!s.empty()) s += " > ";
    s += l->name;
  }
  return s;
}

EventList EventList::with_before(const Layer* layer, std::string_view before) const {
  EventList e = *this;
  auto at = e.layers.begin();
  while (at != e.layers.end() && (*at)->name != before) ++at;
  e.layers.insert(at, layer);
  return e;
}

void ProtocolDatabase::add(Layer layer) {
  for (auto& l : layers_)
    if (l->name == layer.name) {
      *l = std::move(layer);
      return;
    }
  layers_.push_back(std::make_unique<Layer>(std::move(layer)));
}

const Layer* ProtocolDatabase::find(std::string_view name) const {
  for (const auto& l : layers_)
    if (l->name == name) return l.get();
  return nullptr;
}

net::Result<EventList> ProtocolDatabase::list(std::initializer_list<std::string_view> names) const {
  EventList e;
  for (std::string_view n : names) {
    const Layer* l = find(n);
    if (!l) return net::fail("no layer '" + std::string(n) + "' in the protocol database");
    e.layers.push_back(l);
  }
  return e;
}

net::Result<EventList> ProtocolDatabase::list(const std::vector<std::string>& names) const {
  EventList e;
  for (const auto& n : names) {
    const Layer* l = find(n);
    if (!l) return net::fail("no layer '" + n + "' in the protocol database");
    e.layers.push_back(l);
  }
  return e;
}

std::vector<std::string> ProtocolDatabase::names() const {
  std::vector<std::string> v;
  for (const auto& l : layers_) v.push_back(l->name);
  return v;
}

}  // namespace hostwire::kernel
