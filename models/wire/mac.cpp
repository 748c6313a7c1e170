#include "wire/mac.h"

#include <cassert>

namespace hostwire::wire {

Mac::Mac(sc_core::sc_module_name name, SimContext& ctx, const MacParams& params, const std::string& stat_name,
         int64_t max_frame_bytes)
    : sc_module(name),
      tx("tx"),
      rx("rx"),
      ctx_(ctx),
      params_(params),
      log_(stat_name),
      max_frame_bytes_(max_frame_bytes),
      tx_frames_(ctx.stats().counter(stat_name + ".tx_frames", "frames", "frames handed to the wire")),
      tx_bytes_(ctx.stats().counter(stat_name + ".tx_bytes", "B", "frame bytes handed to the wire")),
      tx_queue_drops_(ctx.stats().counter(stat_name + ".tx_queue_drops", "frames", "frames dropped: transmit queue full")),
      rx_frames_(ctx.stats().counter(stat_name + ".rx_frames", "frames", "good frames received")),
      rx_bytes_(ctx.stats().counter(stat_name + ".rx_bytes", "B", "bytes of good frames received")),
      rx_fcs_errors_(ctx.stats().counter(stat_name + ".rx_fcs_errors", "frames", "frames dropped: FCS check failed")),
      rx_oversize_(ctx.stats().counter(stat_name + ".rx_oversize", "frames", "frames dropped: longer than the MTU allows")),
      offered_frames_(ctx.stats().counter(stat_name + ".tx_offered", "frames", "frames offered to the transmit queue")),
      rx_arrived_(ctx.stats().counter(stat_name + ".rx_arrived", "frames", "frames whose last bit arrived from the wire")) {
  rx.register_nb_transport_fw(this, &Mac::rx_frame);
  vcd_tx_queue_ = ctx.vcd().wire(stat_name + ".tx_queue_bytes", 32);
  trace_tx_ = ctx.trace().track(stat_name, "tx queue");
  trace_rx_ = ctx.trace().track(stat_name, "rx");
  SC_HAS_PROCESS(Mac);
  SC_METHOD(wire_free);
  sensitive << wire_free_event_;
  dont_initialize();
  ctx.add_invariant([this, stat_name] {
    uint64_t offered = offered_frames_.value(), sent = tx_frames_.value(), drops = tx_queue_drops_.value();
    if (offered == sent + drops + queue_.size()) return std::string();
    return fmt::format("{}: offered {} != sent {} + queued {} + dropped {}", stat_name, offered, sent, queue_.size(),
                       drops);
  });
  ctx.add_invariant([this, stat_name] {
    uint64_t arrived = rx_arrived_.value(), good = rx_frames_.value(), bad = rx_fcs_errors_.value() + rx_oversize_.value();
    if (arrived == good + bad) return std::string();
    return fmt::format("{}: arrived {} != received {} + dropped {} (fcs, oversize)", stat_name, arrived, good, bad);
  });
}

bool Mac::send(Frame* frame) {
  offered_frames_.add();
  const int64_t bytes = frame->packet.frame_bytes();
  if (queued_bytes_ + bytes > params_.tx_queue.n) {
    tx_queue_drops_.add();
    HW_LOG(log_, debug, "frame {} dropped: transmit queue full ({} B queued)", frame->packet.id, queued_bytes_);
    frame->gp.release();
    return false;
  }
  queue_.push_back({frame, ctx_.trace().is_open() ? hostwire::now() : Time{}});  // the clock for the timeline only
  queued_bytes_ += bytes;
  ctx_.vcd().change(vcd_tx_queue_, hostwire::now(), static_cast<uint64_t>(queued_bytes_));
  if (!tx_busy_) start_next();
  return true;
}

void Mac::start_next() {
  tx_busy_ = true;  // before on_tx_start: a frame it queues (a mirror copy) waits its turn
  const auto [f, queued_at] = queue_.front();
  queue_.pop_front();
  queued_bytes_ -= f->packet.frame_bytes();
  assert(queued_bytes_ >= 0 && (queued_bytes_ == 0) == queue_.empty());
  ctx_.vcd().change(vcd_tx_queue_, hostwire::now(), static_cast<uint64_t>(queued_bytes_));
  tx_frames_.add();
  tx_bytes_.add(f->packet.frame_bytes());
  if (on_tx_start) on_tx_start(f->packet);
  if (ctx_.trace().recording(f->packet.id, queued_at))
    ctx_.trace().slice(trace_tx_, "queued", "mac", queued_at, hostwire::now() - queued_at, f->packet.id,
                       TraceEventWriter::Flow::join);
  tlm::tlm_phase phase = tlm::BEGIN_REQ;
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  auto status = tx->nb_transport_fw(f->gp, phase, delay);
  if (status != tlm::TLM_UPDATED || phase != tlm::END_REQ) SC_REPORT_FATAL(name(), "the wire must answer END_REQ");
  wire_free_event_.notify(delay);
}

void Mac::wire_free() {
  ctx_.activation();
  tx_busy_ = false;
  if (!queue_.empty()) {
    start_next();
    return;
  }
  for (auto& f : on_tx_idle) f();
}

tlm::tlm_sync_enum Mac::rx_frame(tlm::tlm_generic_payload& gp, tlm::tlm_phase& phase, sc_core::sc_time&) {
  Packet& p = packet_of(gp);
  phase = tlm::END_RESP;
  rx_arrived_.add();
  if (ctx_.trace().recording(p.id, hostwire::now()))
    ctx_.trace().slice(trace_rx_, p.fcs_bad ? "fcs error" : "received", "mac", hostwire::now(), Time{}, p.id,
                       TraceEventWriter::Flow::join);
  if (p.fcs_bad) {
    rx_fcs_errors_.add();
    HW_LOG(log_, debug, "frame {} dropped: bad FCS", p.id);
  } else if (p.frame_bytes() > max_frame_bytes_) {
    rx_oversize_.add();
    HW_LOG(log_, debug, "frame {} dropped: {} B exceeds {} B", p.id, p.frame_bytes(), max_frame_bytes_);
  } else {
    rx_frames_.add();
    rx_bytes_.add(p.frame_bytes());
    if (rx_tap) rx_tap(p);
    if (on_receive) on_receive(p);
  }
  return tlm::TLM_COMPLETED;
}

}  // namespace hostwire::wire
