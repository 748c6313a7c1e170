#include "nic/rx_path.h"

#include <algorithm>

namespace hostwire::nic {

RxPath::RxPath(SimContext& ctx, Classifier classifier, DescriptorRings& rings, DmaPort& dma,
               Interrupts& interrupts, const std::string& stat_name)
    : ctx_(ctx),
      rings_(rings),
      dma_(dma),
      interrupts_(interrupts),
      log_(stat_name),
      classifier_(std::move(classifier)),
      frames_(ctx.stats().counter(stat_name + ".rx_frames", "frames", "frames the port handed to the classifier")),
      steered_(ctx.stats().counter(stat_name + ".rx_steered", "frames",
                                   "frames a consumer on the NIC took before the rings (the offload engine's ACKs)")),
      dropped_rule_(ctx.stats().counter(stat_name + ".rx_dropped_rule", "frames", "frames a classifier rule dropped")),
      dropped_ring_(ctx.stats().counter(stat_name + ".rx_dropped_ring_full", "frames",
                                        "frames dropped: the chosen RX ring had no free descriptor (all rings)")),
      mirrored_(ctx.stats().counter(stat_name + ".rx_mirrored", "frames",
                                    "mirror copies of received frames handed to a second VNIC's ring")),
      tx_mirrored_(ctx.stats().counter(stat_name + ".tx_mirrored", "frames",
                                       "mirror copies of sent frames (both-directions rules) handed to a VNIC's ring")),
      mirror_dropped_ring_(ctx.stats().counter(stat_name + ".mirror_dropped_ring_full", "frames",
                                               "mirror copies dropped: the mirror VNIC's RX ring had no free descriptor")),
      mirror_dma_bytes_(ctx.stats().counter(stat_name + ".mirror_dma_bytes", "B",
                                            "bytes the DMA engine wrote to host memory for mirror copies (frames and "
                                            "their completions): mirroring's extra PCIe traffic")),
      primary_dropped_ring_(ctx.stats().counter(stat_name + ".primary_dropped_ring_full", "frames",
                                                "received frames (not mirror copies) dropped at a full RX ring")) {
  trace_classifier_ = ctx.trace().track(stat_name, "classifier");
  trace_dma_write_ = ctx.trace().track(stat_name + ".dma", "write (NIC to host)");
  auto& st = ctx.stats();
  for (int r = 0; r < rings_.rings(); ++r) {
    const std::string q = stat_name + ".ring" + std::to_string(r);
    ring_delivered_.push_back(&st.counter(q + ".rx_frames", "frames", "frames delivered into this RX ring"));
    ring_dropped_.push_back(&st.counter(q + ".rx_dropped_full", "frames", "frames dropped: this RX ring was full"));
    const int vcd = ctx.vcd().wire(q + ".rx_occupancy", 32);
    RxRingMemory* ring = &rings_.rx(r);
    ring->on_occupancy([&ctx, vcd](uint32_t n) { ctx.vcd().change(vcd, hostwire::now(), n); });
    st.series(q + ".rx_occupancy", "descriptors", [ring] { return static_cast<double>(ring->occupancy()); });
  }

  ctx.add_invariant([this, stat_name] {
    uint64_t delivered = 0, dropped = 0;
    for (const Counter* c : ring_delivered_) delivered += c->value();
    for (const Counter* c : ring_dropped_) dropped += c->value();
    const uint64_t copies =
        frames_.value() - steered_.value() - dropped_rule_.value() + mirrored_.value() + tx_mirrored_.value();
    if (copies == delivered + dropped) return std::string();
    return fmt::format("{}: {} frames ({} steered, {} rule drops, {} + {} mirror copies) != {} into rings + {} ring drops",
                       stat_name, frames_.value(), steered_.value(), dropped_rule_.value(), mirrored_.value(),
                       tx_mirrored_.value(), delivered, dropped);
  });
}

void RxPath::receive(Packet& p) {
  frames_.add();
  p.received = hostwire::now();
  if (steer_ && steer_(p)) {
    steered_.add();
    return;
  }
  const Decision d = step_ ? step_(p) : classify(p);
  if (ctx_.trace().recording(p.id, p.received))
    ctx_.trace().slice(trace_classifier_, d.drop ? "rule drop" : "classify", "nic", p.received, Time{}, p.id,
                       TraceEventWriter::Flow::join);
  if (d.drop) {
    dropped_rule_.add();
    HW_LOG(log_, debug, "frame {} dropped by rule {}", p.id, d.rule);
  } else if (!deliver(d.primary.ring, p)) {
    primary_dropped_ring_.add();
  }
  mirror(d, p, false);
}

void RxPath::set_policy(int32_t rule, MirrorPolicy policy) {
  mirrors_tx_ = mirrors_tx_ || policy.both_directions;
  policies_.insert_or_assign(rule, std::move(policy));
}

void RxPath::mirror(const Decision& d, const Packet& p, bool transmitted) {
  auto it = d.rule == kDefaultPath ? policies_.end() : policies_.find(d.rule);
  MirrorPolicy* pol = it == policies_.end() ? nullptr : &it->second;
  if (pol && pol->matched) pol->matched->add();
  const bool remote = pol && pol->remote;
  if (!d.mirror && !remote) return;
  if (pol && pol->sample > 1 && pol->rng.next_u64() % pol->sample != 0) {
    if (pol->sampled_out) pol->sampled_out->add();
    return;
  }
  if (pol && pol->mirrored) pol->mirrored->add();
  const Packet* copy = &p;
  Packet cut;
  if (pol && pol->snap != 0 && pol->snap < p.frame_bytes()) {
    // The copy cut to the snap length, as a capture's snaplen: the headers first, then payload.
    cut = p;
    cut.original_length = p.frame_bytes();
    if (pol->snap <= p.header_len) {
      cut.header_len = static_cast<uint16_t>(pol->snap);
      cut.payload = {};
    } else {
      cut.payload = p.payload.sub(0, pol->snap - p.header_len);
    }
    copy = &cut;
  }
  if (d.mirror) {
    (transmitted ? tx_mirrored_ : mirrored_).add();
    deliver_copy(d.mirror->ring, *copy, pol);
  }
  if (remote) pol->remote(*copy);
}

void RxPath::deliver_copy(uint16_t ring, const Packet& p, MirrorPolicy* pol) {
  if (deliver(ring, p)) {
    mirror_dma_bytes_.add(p.frame_bytes() + rings_.descriptor_bytes());
    return;
  }
  mirror_dropped_ring_.add();
  if (pol && pol->dropped_ring_full) pol->dropped_ring_full->add();
}

void RxPath::mirror_transmitted(const Packet& p) {
  FlowKey k = flow_key(p.header_bytes());
  std::swap(k.dst_mac, k.src_mac);
  std::swap(k.dst_ip, k.src_ip);
  std::swap(k.dst_port, k.src_port);
  const Decision d = classifier_.classify(k);
  auto it = d.rule == kDefaultPath ? policies_.end() : policies_.find(d.rule);
  if (it == policies_.end() || !it->second.both_directions || p.mirror_copy) return;
  Packet copy = p;
  copy.received = hostwire::now();  // the copy's timestamp: when the frame started on the wire
  mirror(d, copy, true);
}

bool RxPath::deliver(uint16_t r, const Packet& p) {
  RxRingMemory& ring = rings_.rx(r);
  if (ring.full()) {
    ring_dropped_[r]->add();
    dropped_ring_.add();
    HW_LOG(log_, debug, "frame {} dropped: RX ring {} full", p.id, r);
    return false;
  }
  const uint32_t slot = ring.next_slot();
  const Time now = hostwire::now();
  // The frame into the slot's buffer, then its completion (descriptor write-back) right behind
  // it: posted writes stay in order on the link and in memory, so the completion cannot be seen
  // before the frame, and the engine need not wait for the frame to land before issuing it
  // (waiting would book the link in the future and hold every later transfer behind it).
  const Time frame_done =
      dma_.transfer(tlm::TLM_WRITE_COMMAND, rings_.rx_buffer_address(r, slot), p.frame_bytes(), now);
  Time done = dma_.transfer(tlm::TLM_WRITE_COMMAND, rings_.rx_descriptor_address(r, slot), rings_.descriptor_bytes(), now);
  done = std::max(done, frame_done);
  if (ctx_.trace().recording(p.id, now))
    ctx_.trace().slice(trace_dma_write_, "frame and completion", "bus", now, done - now, p.id,
                       TraceEventWriter::Flow::join);
  ring.write_completion(RxDescriptor{ctx_.frames().copy(p), done});
  ring_delivered_[r]->add();
  if (on_delivered) on_delivered(r, p);
  interrupts_.completion(r, done);
  return true;
}

}  // namespace hostwire::nic
