#include "wire/switch/switch.h"

#include <algorithm>

#include "wire/ethernet_timing.h"

namespace hostwire::wire {

namespace {
net::MacAddress mac_at(const Packet& p, size_t offset) {
  net::MacAddress m;
  std::copy_n(p.header + offset, m.size(), m.begin());
  return m;
}
}  // namespace

Switch::Switch(sc_core::sc_module_name name, SimContext& ctx, const SwitchParams& params, const std::string& stat_name)
    : sc_module(name),
      ctx_(ctx),
      params_(params),
      log_(stat_name),
      table_(static_cast<int>(params.ports), params.learning),
      frames_in_(ctx.stats().counter(stat_name + ".frames_in", "frames", "frames arrived on all ports")),
      bytes_in_(ctx.stats().counter(stat_name + ".bytes_in", "B", "frame bytes (no FCS) arrived on all ports")),
      flood_copies_(ctx.stats().counter(stat_name + ".flood_copies", "frames",
                                        "extra copies made to flood a frame to more than one port")),
      filtered_(ctx.stats().counter(stat_name + ".filtered", "frames",
                                    "frames not forwarded: the destination is behind the port they came in on")),
      dropped_fcs_(ctx.stats().counter(stat_name + ".dropped_fcs", "frames",
                                       "frames dropped at ingress with a bad FCS (store-and-forward only)")) {
  if (params.cut_through() && params.cut_through_bytes.n < kEthernetHeaderBytes)
    SC_REPORT_FATAL(name, "cut_through_bytes must cover the destination and source MACs");
  for (int i = 0; i < params.ports; ++i) {
    const std::string port_name = "port" + std::to_string(i);
    ports_.push_back(std::make_unique<SwitchPort>(port_name.c_str(), ctx, params.egress_buffer, stat_name + "." + port_name));
    ports_.back()->on_arrival = [this, i](tlm::tlm_generic_payload& gp) { ingress(i, gp); };
  }
  SC_HAS_PROCESS(Switch);
  SC_METHOD(pipeline_exit);
  sensitive << pipeline_event_;
  dont_initialize();

  auto& st = ctx.stats();
  auto sum = [this](uint64_t (SwitchPort::*f)() const) {
    return [this, f] {
      uint64_t n = 0;
      for (const auto& p : ports_) n += ((*p).*f)();
      return static_cast<double>(n);
    };
  };
  st.formula(stat_name + ".frames_out", "frames", "frames put on the leaving links of all ports", sum(&SwitchPort::frames_out));
  st.formula(stat_name + ".dropped_buffer_full", "frames", "frames dropped on all ports: egress buffer full",
             sum(&SwitchPort::dropped));
  st.formula(stat_name + ".floods", "frames", "frames flooded: unknown, broadcast or multicast destination",
             [this] { return static_cast<double>(table_.floods()); });
  st.formula(stat_name + ".learned", "entries", "forwarding entries created or moved by learning",
             [this] { return static_cast<double>(table_.learned()); });
  // Every frame that came in (and every flood copy) left, is inside, or was dropped for a reason.
  ctx.add_invariant([this, stat_name] {
    uint64_t out = 0, dropped = 0;
    for (const auto& p : ports_) out += p->frames_out(), dropped += p->dropped();
    const uint64_t in = frames_in_.value() + flood_copies_.value(), held = frames_held();
    const uint64_t gone = filtered_.value() + dropped_fcs_.value();
    if (in == out + held + dropped + gone) return std::string();
    return fmt::format("{}: frames in {} (with {} flood copies) != out {} + held {} + dropped {} (buffer) + {} (filtered, fcs)",
                       stat_name, in, flood_copies_.value(), out, held, dropped, gone);
  });
}

void Switch::connect(int i, LinkChannel& arriving, LinkChannel& leaving) {
  SwitchPort& p = port(i);
  arriving.out.bind(p.rx);
  p.tx.bind(leaving.in);
  p.ingress_rate = arriving.rate();
  p.egress_rate = leaving.rate();
  if (params_.cut_through()) arriving.deliver_after_bytes = params_.cut_through_bytes.n;
}

void Switch::start_of_simulation() {
  if (!params_.cut_through()) return;
  for (int i = 0; i < ports(); ++i)
    if (port(i).ingress_rate.bps <= 0 || port(i).egress_rate.bps <= 0)
      SC_REPORT_FATAL(name(), fmt::format("port{} has no link rates: connect it with Switch::connect", i).c_str());
}

uint64_t Switch::frames_held() const {
  uint64_t n = pipeline_.size();
  for (const auto& p : ports_) n += p->queued_frames();
  return n;
}

Time Switch::last_bit_in(int port, const Packet& p) const {
  const Time t = hostwire::now();
  if (!params_.cut_through()) return t;
  // Only the first cut_through_bytes are in; the rest follows at the ingress rate.
  const int64_t rest = std::max<int64_t>(0, frame_with_fcs(p.frame_bytes()) - params_.cut_through_bytes.n);
  return t + ports_[static_cast<size_t>(port)]->ingress_rate.time_for_bytes(rest);
}

void Switch::ingress(int port, tlm::tlm_generic_payload& gp) {
  const Packet& p = packet_of(gp);
  frames_in_.add();
  bytes_in_.add(p.frame_bytes());
  if (p.header_len < 2 * 6) SC_REPORT_FATAL(name(), "a frame without destination and source MACs");
  if (p.fcs_bad && !params_.cut_through()) {
    dropped_fcs_.add();
    HW_LOG(log_, debug, "frame {} dropped at port{}: bad FCS", p.id, port);
    return;  // the link releases its reference
  }
  const Forward where = table_.forward(port, mac_at(p, 0), mac_at(p, 6));
  if (where.action == Forward::Action::filter || (where.action == Forward::Action::flood && ports() == 1)) {
    filtered_.add();
    return;
  }
  gp.acquire();  // the link releases its reference when we return
  const Time t = hostwire::now();
  if (pipeline_.empty()) pipeline_event_.notify(to_sc(params_.forwarding_latency));
  pipeline_.push_back({t + params_.forwarding_latency, last_bit_in(port, p), &gp, port, where});
}

void Switch::pipeline_exit() {
  ctx_.activation();
  const Time t = hostwire::now();
  while (!pipeline_.empty() && pipeline_.front().ready <= t) {
    const Pending f = pipeline_.front();
    pipeline_.pop_front();
    to_egress(f);
  }
  if (!pipeline_.empty()) pipeline_event_.notify(to_sc(pipeline_.front().ready - t));
}

void Switch::to_egress(const Pending& f) {
  if (f.where.action == Forward::Action::to_port) {
    port(f.where.port).enqueue(f.gp, f.last_in);
    return;
  }
  // Flood: a copy to every other port, the original to the last of them.
  const int last = f.ingress == ports() - 1 ? ports() - 2 : ports() - 1;
  HW_LOG(log_, debug, "frame {} from port{} floods", packet_of(*f.gp).id, f.ingress);
  for (int i = 0; i < ports(); ++i) {
    if (i == f.ingress) continue;
    if (i == last) {
      port(i).enqueue(f.gp, f.last_in);
    } else {
      flood_copies_.add();
      port(i).enqueue(&ctx_.frames().copy(packet_of(*f.gp))->gp, f.last_in);
    }
  }
}

}  // namespace hostwire::wire
