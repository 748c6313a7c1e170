#include "wire/link.h"

#include <algorithm>
#include <cassert>

#include "wire/ethernet_timing.h"

namespace hostwire::wire {

LinkChannel::LinkChannel(sc_core::sc_module_name name, SimContext& ctx, const LinkParams& params,
                         const FaultParams& faults, const std::string& stat_name)
    : sc_module(name),
      in("in"),
      out("out"),
      ctx_(ctx),
      params_(params),
      log_(stat_name),
      faults_(faults, ctx.rng(stat_name + ".faults")),
      frames_in_(ctx.stats().counter(stat_name + ".frames_in", "frames", "frames the sender put on the wire")),
      bytes_in_(ctx.stats().counter(stat_name + ".bytes_in", "B", "frame bytes put on the wire (no preamble, FCS, IFG)")),
      wire_bytes_(ctx.stats().counter(stat_name + ".wire_bytes", "B", "bytes of line time used, with preamble, FCS, padding, IFG")),
      frames_delivered_(ctx.stats().counter(stat_name + ".frames_delivered", "frames", "frames whose last bit reached the far end")),
      bytes_delivered_(ctx.stats().counter(stat_name + ".bytes_delivered", "B", "frame bytes delivered to the far end")),
      busy_ps_(ctx.stats().counter(stat_name + ".busy_time", "ps", "time the line was occupied")),
      dropped_loss_(ctx.stats().counter(stat_name + ".dropped_loss", "frames", "frames lost: independent loss")),
      dropped_burst_(ctx.stats().counter(stat_name + ".dropped_burst", "frames", "frames lost: Gilbert-Elliott burst")),
      dropped_link_down_(ctx.stats().counter(stat_name + ".dropped_link_down", "frames", "frames lost: link down")),
      corrupted_(ctx.stats().counter(stat_name + ".corrupted", "frames", "frames delivered with a flipped bit")),
      duplicated_(ctx.stats().counter(stat_name + ".duplicated", "frames", "extra copies delivered")),
      reordered_(ctx.stats().counter(stat_name + ".reordered", "frames", "frames held back so later ones overtook them")) {
  in.register_nb_transport_fw(this, &LinkChannel::nb_transport_fw);
  SC_HAS_PROCESS(LinkChannel);
  SC_METHOD(deliver_due);
  sensitive << arrival_event_;
  dont_initialize();
  SC_METHOD(busy_end);
  sensitive << busy_end_event_;
  dont_initialize();
  vcd_busy_ = ctx.vcd().wire(stat_name + ".transmitting");
  vcd_in_flight_ = ctx.vcd().wire(stat_name + ".in_flight", 32);
  const auto dot = stat_name.find('.');
  trace_track_ = ctx.trace().track(stat_name.substr(0, dot), stat_name.substr(dot + 1));

  auto& st = ctx.stats();
  // Line time already spent: a frame still on the line at the end counts only its part so far.
  st.formula(stat_name + ".utilisation", "1", "fraction of simulated time the line was busy", [this] {
    const Time t = hostwire::now();
    const int64_t ahead = std::max<int64_t>(0, (next_free_ - t).ps);
    return static_cast<double>(static_cast<int64_t>(busy_ps_.value()) - ahead) / static_cast<double>(t.ps);
  });
  const Counter& delivered = bytes_delivered_;
  st.formula(stat_name + ".throughput", "bit/s", "frame bits delivered per second of simulated time",
             [&delivered] { return static_cast<double>(delivered.value()) * 8 / hostwire::now().seconds(); });
  // Bits delivered during each sampling interval, as a rate.
  st.series(stat_name + ".throughput", "bit/s", [&delivered, last = uint64_t{0}, last_t = int64_t{0}]() mutable {
    int64_t t = hostwire::now().ps;
    double r = t > last_t ? static_cast<double>(delivered.value() - last) * 8e12 / static_cast<double>(t - last_t) : 0;
    last = delivered.value(), last_t = t;
    return r;
  });
  ctx.add_invariant([this, stat_name] {
    uint64_t in = frames_in_.value() + duplicated_.value(), out = frames_delivered_.value(), inside = in_flight();
    uint64_t lost = dropped_loss_.value() + dropped_burst_.value() + dropped_link_down_.value();
    if (in == out + inside + lost) return std::string();
    return fmt::format("{}: frames in {} (with {} duplicates) != delivered {} + in flight {} + lost {}", stat_name, in,
                       duplicated_.value(), out, inside, lost);
  });
}

tlm::tlm_sync_enum LinkChannel::nb_transport_fw(tlm::tlm_generic_payload& gp, tlm::tlm_phase& phase,
                                                sc_core::sc_time& delay) {
  if (phase != tlm::BEGIN_REQ) SC_REPORT_FATAL(name(), "link channel accepts only BEGIN_REQ");
  Time start = hostwire::now() + Time{static_cast<int64_t>(delay.value())};
  if (start < next_free_)
    SC_REPORT_FATAL(name(), fmt::format("frame offered at {} while the line is busy until {}", to_string(start),
                                        to_string(next_free_)).c_str());
  const Packet& p = packet_of(gp);
  const int64_t frame = p.frame_bytes();
  // The frame's last bit leaves after preamble + frame; the line stays reserved for the IFG.
  const Time last_bit = start + params_.rate.time_for_bits((kPreambleSfdBytes + frame_with_fcs(frame)) * 8);
  const Time line_free = start + params_.rate.time_for_bits(wire_bits(frame));
  next_free_ = line_free;

  frames_in_.add();
  bytes_in_.add(static_cast<uint64_t>(frame));
  wire_bytes_.add(static_cast<uint64_t>(wire_bytes(frame)));
  busy_ps_.add(static_cast<uint64_t>((line_free - start).ps));
  if (on_transmit) on_transmit(p, start);
  if (ctx_.vcd().recording(vcd_busy_)) {  // tracing off: no extra event per frame
    ctx_.vcd().change(vcd_busy_, start, 1);
    busy_end_event_.notify(to_sc(last_bit - hostwire::now()));
  }
  HW_LOG(log_, trace, "frame {} ({} B) on the wire {}..{}", p.id, frame, to_string(start), to_string(last_bit));

  // A cut-through receiver has the frame once its first bytes are in; a MAC at its last bit.
  const Time delivered =
      deliver_after_bytes > 0
          ? start + params_.rate.time_for_bytes(kPreambleSfdBytes + std::min(deliver_after_bytes, frame_with_fcs(frame)))
          : last_bit;
  Time arrive = delivered + params_.propagation;
  const FaultDecision fate = faults_.decide(start, static_cast<uint32_t>(frame * 8));
  if (ctx_.trace().recording(p.id, start)) {
    auto& tr = ctx_.trace();
    tr.slice(trace_track_, "on the wire", "wire", start, last_bit - start, p.id, TraceEventWriter::Flow::join);
    if (fate.dropped()) tr.instant(trace_track_, to_string(fate.drop), "wire", last_bit, p.id);
  }
  if (fate.dropped()) {
    Counter& c = fate.drop == DropReason::loss ? dropped_loss_ : fate.drop == DropReason::burst_loss ? dropped_burst_ : dropped_link_down_;
    c.add();
    HW_LOG(log_, debug, "frame {} lost ({})", p.id, to_string(fate.drop));
    gp.release();
  } else {
    if (fate.corrupted) {
      corrupted_.add();
      flip_bit(packet_of(gp), fate.corrupt_bit);
    }
    if (fate.reordered()) {
      reordered_.add();
      arrive = arrive + fate.extra_delay;
    }
    schedule(arrive, &gp);  // the sender's reference passes to the channel
    if (fate.duplicate) {   // the copy follows the original: same time, later sequence
      duplicated_.add();
      schedule(arrive, &ctx_.frames().copy(packet_of(gp))->gp);
    }
  }
  phase = tlm::END_REQ;
  delay += to_sc(line_free - start);
  return tlm::TLM_UPDATED;
}

void LinkChannel::schedule(Time arrive, tlm::tlm_generic_payload* gp) {
  assert(arrive >= hostwire::now() && "no time travel: a frame cannot arrive before it is sent");
  bool earliest = arrivals_.empty() || arrive.ps < arrivals_.top().at_ps;
  arrivals_.push({arrive.ps, seq_++, gp});
  record_in_flight();
  if (earliest) {
    arrival_event_.cancel();
    arrival_event_.notify(to_sc(arrive - hostwire::now()));
  }
}

void LinkChannel::deliver_due() {
  ctx_.activation();
  const int64_t t = hostwire::now().ps;
  while (!arrivals_.empty() && arrivals_.top().at_ps <= t) {
    tlm::tlm_generic_payload* gp = arrivals_.top().gp;
    arrivals_.pop();
    frames_delivered_.add();
    bytes_delivered_.add(packet_of(*gp).frame_bytes());
    if (on_deliver) on_deliver(packet_of(*gp));
    tlm::tlm_phase phase = tlm::BEGIN_REQ;
    sc_core::sc_time zero = sc_core::SC_ZERO_TIME;
    auto status = out->nb_transport_fw(*gp, phase, zero);
    if (status != tlm::TLM_COMPLETED) SC_REPORT_FATAL(name(), "the receiving MAC must complete a frame at once");
    gp->release();
  }
  if (!arrivals_.empty()) arrival_event_.notify(to_sc(Time{arrivals_.top().at_ps - t}));
  record_in_flight();
}

void LinkChannel::record_in_flight() {
  const Time t = hostwire::now();
  ctx_.vcd().change(vcd_in_flight_, t, arrivals_.size());
  if (ctx_.trace().recording(t)) ctx_.trace().counter(trace_track_, "in flight", t, static_cast<double>(arrivals_.size()));
}

void LinkChannel::busy_end() {
  ctx_.activation();
  ctx_.vcd().change(vcd_busy_, hostwire::now(), 0);
}

Link::Link(sc_core::sc_module_name name, SimContext& ctx, const LinkParams& params, const FaultParams& a_to_b_faults,
           const FaultParams& b_to_a_faults)
    : sc_module(name),
      a_to_b("a_to_b", ctx, params, a_to_b_faults, std::string(name) + ".a_to_b"),
      b_to_a("b_to_a", ctx, params, b_to_a_faults, std::string(name) + ".b_to_a") {}

}  // namespace hostwire::wire
