#include "wire/switch/switch_port.h"

#include <algorithm>
#include <cassert>

#include "wire/ethernet_timing.h"

namespace hostwire::wire {

SwitchPort::SwitchPort(sc_core::sc_module_name name, SimContext& ctx, Bytes egress_buffer, const std::string& stat_name)
    : sc_module(name),
      rx("rx"),
      tx("tx"),
      ctx_(ctx),
      log_(stat_name),
      buffer_bytes_(egress_buffer.n),
      frames_in_(ctx.stats().counter(stat_name + ".frames_in", "frames", "frames arrived on this port (at their first bytes for cut-through)")),
      bytes_in_(ctx.stats().counter(stat_name + ".bytes_in", "B", "frame bytes (no FCS) arrived on this port")),
      frames_out_(ctx.stats().counter(stat_name + ".frames_out", "frames", "frames this port put on its leaving link")),
      bytes_out_(ctx.stats().counter(stat_name + ".bytes_out", "B", "frame bytes (no FCS) put on the leaving link")),
      dropped_frames_(ctx.stats().counter(stat_name + ".dropped_buffer_full", "frames",
                                          "frames dropped: the egress buffer had no room")),
      dropped_bytes_(ctx.stats().counter(stat_name + ".dropped_buffer_full_bytes", "B",
                                         "frame bytes (no FCS) dropped: the egress buffer had no room")),
      peak_queue_bytes_(ctx.stats().gauge(stat_name + ".peak_queue_bytes", "B",
                                          "most frame bytes waiting in the egress queue at once")) {
  rx.register_nb_transport_fw(this, &SwitchPort::rx_frame);
  vcd_queue_bytes_ = ctx.vcd().wire(stat_name + ".egress_queue_bytes", 32);
  trace_queue_ = ctx.trace().track(stat_name, "egress queue");
  SC_HAS_PROCESS(SwitchPort);
  SC_METHOD(line_free);
  sensitive << line_free_event_;
  dont_initialize();
}

tlm::tlm_sync_enum SwitchPort::rx_frame(tlm::tlm_generic_payload& gp, tlm::tlm_phase& phase, sc_core::sc_time&) {
  phase = tlm::END_RESP;
  frames_in_.add();
  bytes_in_.add(packet_of(gp).frame_bytes());
  if (rx_tap) rx_tap(packet_of(gp));
  if (on_arrival) on_arrival(gp);
  return tlm::TLM_COMPLETED;
}

bool SwitchPort::enqueue(tlm::tlm_generic_payload* gp, Time last_in) {
  const int64_t bytes = packet_of(*gp).frame_bytes();
  if (queued_bytes_ + bytes > buffer_bytes_) {
    dropped_frames_.add();
    dropped_bytes_.add(static_cast<uint64_t>(bytes));
    HW_LOG(log_, debug, "frame {} dropped: egress buffer full ({} B queued)", packet_of(*gp).id, queued_bytes_);
    gp->release();
    return false;
  }
  const Time frame_time = egress_rate.bps > 0 ? egress_rate.time_for_bytes(kPreambleSfdBytes + frame_with_fcs(bytes)) : Time{};
  queue_.push_back({gp, last_in - frame_time, ctx_.trace().is_open() ? hostwire::now() : Time{}});
  queued_bytes_ += bytes;
  peak_queue_bytes_.set(std::max(peak_queue_bytes_.value(), static_cast<double>(queued_bytes_)));
  record_queue();
  if (!line_busy_) transmit_head();
  return true;
}

void SwitchPort::transmit_head() {
  const Time t = hostwire::now();
  if (queue_.front().not_before > t) {  // hold the line until enough of the frame is in
    line_busy_ = true;
    line_free_event_.notify(to_sc(queue_.front().not_before - t));
    return;
  }
  tlm::tlm_generic_payload* gp = queue_.front().gp;
  const Time queued_at = queue_.front().at;
  queue_.pop_front();
  const Packet& p = packet_of(*gp);
  if (ctx_.trace().recording(p.id, queued_at))
    ctx_.trace().slice(trace_queue_, "egress queue", "switch", queued_at, t - queued_at, p.id,
                       TraceEventWriter::Flow::join);
  queued_bytes_ -= p.frame_bytes();
  assert(queued_bytes_ >= 0 && (queued_bytes_ == 0) == queue_.empty());
  record_queue();
  frames_out_.add();
  bytes_out_.add(p.frame_bytes());
  if (on_transmit) on_transmit(p, hostwire::now());
  HW_LOG(log_, trace, "frame {} ({} B) leaves, {} B still queued", p.id, p.frame_bytes(), queued_bytes_);
  // The link takes our reference; its END_REQ delay is the frame's whole line time (IFG too).
  tlm::tlm_phase phase = tlm::BEGIN_REQ;
  sc_core::sc_time line_time = sc_core::SC_ZERO_TIME;
  if (tx->nb_transport_fw(*gp, phase, line_time) != tlm::TLM_UPDATED || phase != tlm::END_REQ)
    SC_REPORT_FATAL(name(), "the leaving link must answer END_REQ");
  line_busy_ = true;
  line_free_event_.notify(line_time);
}

void SwitchPort::line_free() {
  ctx_.activation();
  line_busy_ = false;
  if (!queue_.empty()) transmit_head();
}

void SwitchPort::record_queue() {
  ctx_.vcd().change(vcd_queue_bytes_, hostwire::now(), static_cast<uint64_t>(queued_bytes_));
}

}  // namespace hostwire::wire
