#include "platforms/capture.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>
#include <stdexcept>

#include "platforms/host.h"
#include "wire/link.h"
#include "wire/mac.h"
#include "wire/switch/switch.h"

namespace hostwire {

std::vector<std::string> Captures::requested(const Scenario& s) {
  std::vector<std::string> taps;
  std::string text = s.at("outputs.pcap").text;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string t = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    while (!t.empty() && t.front() == ' ') t.erase(t.begin());
    while (!t.empty() && t.back() == ' ') t.pop_back();
    if (!t.empty() && std::find(taps.begin(), taps.end(), t) == taps.end()) taps.push_back(t);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return taps;
}

void Captures::check(const Scenario& s, const std::vector<std::string>& available, std::vector<InputError>& errors) {
  constexpr size_t kListed = 24;  // a star of many hosts has thousands of taps: name a few
  for (const auto& t : requested(s)) {
    if (std::find(available.begin(), available.end(), t) != available.end()) continue;
    std::string list;
    for (size_t i = 0; i < available.size() && i < kListed; ++i) list += (i ? ", " : "") + available[i];
    if (available.size() > kListed)
      list += fmt::format(", ... ({} in all; `hostwire params outputs.pcap` lists the kinds)", available.size());
    std::string msg = "unknown tap point '" + t + "'; this platform has: " + list;
    if (auto n = nearest(t, available)) msg += " (did you mean '" + *n + "'?)";
    errors.push_back({s.at("outputs.pcap").origin, "outputs.pcap", msg});
  }
}

std::vector<std::string> Captures::link_taps(const std::string& link) {
  return {link + ".a_to_b", link + ".b_to_a", link, link + ".a_to_b.delivered", link + ".b_to_a.delivered"};
}

std::vector<std::string> Captures::host_taps(const std::string& host, int64_t vnics) {
  std::vector<std::string> t{host + ".driver.tx", host + ".mac.tx", host + ".mac.rx"};
  for (int64_t v = 0; v < vnics; ++v) t.push_back(fmt::format("{}.nic.vnic{}", host, v));
  return t;
}

std::vector<std::string> Captures::switch_taps(const std::string& sw, int64_t ports) {
  std::vector<std::string> t;
  for (int64_t i = 0; i < ports; ++i) {
    t.push_back(fmt::format("{}.port{}.ingress", sw, i));
    t.push_back(fmt::format("{}.port{}.egress", sw, i));
  }
  return t;
}

std::string Captures::kinds_text(bool hosts, bool switches) {
  std::string t =
      "<link>.a_to_b / .b_to_a: a direction as frames leave the sender, before faults (first bit); <link>: both "
      "directions in one file, in time order; <link>.<dir>.delivered: what the far end got, after faults (lost "
      "frames absent, corrupted ones as corrupted; last bit in)";
  if (hosts)
    t += "; <host>.driver.tx: frames the driver posts to the NIC, a TSO super-frame as one large TCP segment "
         "(tcpdump on the host); <host>.mac.tx: frames the NIC puts on the wire, after TSO (first bit); "
         "<host>.mac.rx: good frames the NIC received; <host>.nic.vnic<v>: frames the classifier delivered into "
         "VNIC v's rings";
  else
    t += "; a.mac.rx / b.mac.rx: good frames the endpoint's MAC received";
  if (switches) t += "; switch0.port<i>.ingress / .egress: frames arriving on / leaving switch port i (host i's link)";
  return t;
}

void Captures::Tap::write(Time at, const Packet& p) {
  if (auto st = writer.write(at, p); !st) throw std::runtime_error("capture " + path + ": " + st.error());
}

void Captures::Tap::release(Time upto) {
  while (!held.empty() && held.top().at_ps <= upto.ps) {
    write(Time{held.top().at_ps}, held.top().frame);
    held_bytes -= std::min<uint64_t>(held.top().frame.frame_bytes(), net::kPcapSnapLength);
    held.pop();
  }
}

Captures::Hook Captures::open(const std::string& tap) {
  auto owned = std::make_unique<Tap>();
  Tap* t = owned.get();
  t->path = (std::filesystem::path(ctx_.output_dir()) / (tap + ".pcap")).string();
  if (auto st = t->writer.open(t->path); !st) throw std::runtime_error("cannot write capture " + t->path + ": " + st.error());
  taps_.push_back(std::move(owned));
  auto& stats = ctx_.stats();
  stats.formula("capture." + tap + ".frames", "frames", "frames written to " + tap + ".pcap",
                [t] { return static_cast<double>(t->writer.frames() + t->held.size()); });
  stats.formula("capture." + tap + ".bytes", "B", "frame bytes (no FCS) written to " + tap + ".pcap",
                [t] { return static_cast<double>(t->writer.bytes() + t->held_bytes); });
  ctx_.on_end([t] {
    t->release(Time{INT64_MAX});
    if (auto st = t->writer.close(); !st) throw std::runtime_error("cannot finish capture " + t->path + ": " + st.error());
  });
  return [t](Time at, const Packet& p) {
    const Time now = hostwire::now();
    if (t->held.empty() && at <= now) return t->write(at, p);  // the common case: no copy
    t->held.push({at.ps, t->seq++, p});
    t->held_bytes += std::min<uint64_t>(p.frame_bytes(), net::kPcapSnapLength);
    t->release(now);
  };
}

namespace {
// A hook called with the current time.
std::function<void(const Packet&)> stamped_now(const Captures::Hook& hook) {
  return [hook](const Packet& p) { hook(hostwire::now(), p); };
}
std::function<void(const Packet&, Time)> stamped_start(const Captures::Hook& hook) {
  return [hook](const Packet& p, Time start) { hook(start, p); };
}
}  // namespace

bool Captures::attach_link(const std::string& tap, const std::string& link, wire::Link& l, const Hook& hook) {
  if (tap == link) {
    add_tap(l.a_to_b.on_transmit, stamped_start(hook));
    add_tap(l.b_to_a.on_transmit, stamped_start(hook));
    return true;
  }
  for (wire::LinkChannel* ch : {&l.a_to_b, &l.b_to_a}) {
    const std::string dir = link + (ch == &l.a_to_b ? ".a_to_b" : ".b_to_a");
    if (tap == dir) add_tap(ch->on_transmit, stamped_start(hook));
    else if (tap == dir + ".delivered") add_tap(ch->on_deliver, stamped_now(hook));
    else continue;
    return true;
  }
  return false;
}

bool Captures::attach_host(const std::string& tap, Host& h, const Hook& hook) {
  const std::string& name = h.host_name();
  if (tap.size() <= name.size() || tap.compare(0, name.size() + 1, name + ".") != 0) return false;
  const std::string what = tap.substr(name.size() + 1);
  if (what == "driver.tx") add_tap(h.driver().tx_tap, stamped_now(hook));
  else if (what == "mac.tx") add_tap(h.nic().mac.on_tx_start, stamped_now(hook));
  else if (what == "mac.rx") add_tap(h.nic().mac.rx_tap, stamped_now(hook));
  else if (what.starts_with("nic.vnic")) {
    const int vnic = std::stoi(what.substr(8));  // checked against host_taps() before the build
    const int rings = static_cast<int>(h.params().nic.rings_per_vnic);
    std::function<void(uint16_t, const Packet&)> f = [hook, vnic, rings](uint16_t ring, const Packet& p) {
      if (ring / rings == vnic) hook(hostwire::now(), p);
    };
    add_tap(h.nic().rx().on_delivered, std::move(f));
  } else
    return false;
  return true;
}

bool Captures::attach_switch(const std::string& tap, const std::string& sw, wire::Switch& s, const Hook& hook) {
  for (int i = 0; i < s.ports(); ++i) {
    const std::string port = fmt::format("{}.port{}", sw, i);
    if (tap == port + ".ingress") add_tap(s.port(i).rx_tap, stamped_now(hook));
    else if (tap == port + ".egress") add_tap(s.port(i).on_transmit, stamped_start(hook));
    else continue;
    return true;
  }
  return false;
}

bool Captures::attach_mac_rx(const std::string& tap, const std::string& ep, wire::Mac& m, const Hook& hook) {
  if (tap != ep + ".mac.rx") return false;
  add_tap(m.rx_tap, stamped_now(hook));
  return true;
}

}  // namespace hostwire
