#include "nic/tx_engine.h"

#include <algorithm>

#include "nic/tso.h"

namespace hostwire::nic {

DescriptorTxEngine::DescriptorTxEngine(SimContext& ctx, const NicParams& params, int64_t max_frame_bytes,
                                       TxPorts ports, const std::string& stat_name)
    : ctx_(ctx),
      p_(params),
      max_frame_bytes_(max_frame_bytes),
      ports_(ports),
      log_(stat_name),
      doorbelled_(static_cast<size_t>(ports.rings.rings()), 0),
      descriptors_(ctx.stats().counter(stat_name + ".tx_descriptors", "descriptors", "TX descriptors fetched")),
      frames_(ctx.stats().counter(stat_name + ".tx_frames", "frames", "frames handed to the MAC")),
      segments_(ctx.stats().counter(stat_name + ".tx_tso_segments", "frames", "frames cut from TSO super-frames")),
      tso_frames_(ctx.stats().counter(stat_name + ".tx_tso_frames", "frames", "TSO super-frames cut into segments")),
      dropped_oversize_(ctx.stats().counter(stat_name + ".tx_dropped_oversize", "frames",
                                            "TX frames dropped: larger than the MTU and TSO off or not TCP")),
      batches_count_(ctx.stats().counter(stat_name + ".tx_batches", "batches", "descriptor fetches by the DMA engine")) {
  for (int r = 0; r < ports_.rings.rings(); ++r)
    ring_frames_.push_back(&ctx.stats().counter(stat_name + ".ring" + std::to_string(r) + ".tx_frames", "frames",
                                                "frames sent from this TX ring"));
  vcd_buffer_ = ctx.vcd().wire(stat_name + ".tx_buffer_bytes", 32);
  trace_dma_read_ = ctx.trace().track(stat_name + ".dma", "read (host to NIC)");
  trace_tso_ = ctx.trace().track(stat_name, "tso");
  sc_core::sc_spawn_options opt;
  opt.spawn_method();
  opt.set_sensitivity(&wake_);
  opt.dont_initialize();
  sc_core::sc_spawn([this] { run(); }, "tx_engine", &opt);
}

void DescriptorTxEngine::trace_buffer(Time now) { ctx_.vcd().change(vcd_buffer_, now, static_cast<uint64_t>(buffer_used_)); }

void DescriptorTxEngine::doorbell(int ring, uint32_t descriptors, Time arrival) {
  // A doorbell only matters to the engine: a busy engine picks it up when its batch completes,
  // so only an idle one needs waking at the arrival.
  const Time now = hostwire::now();
  doorbells_.push_back({arrival, ring, descriptors});
  if (batches_.empty() && !stalled_on_buffer_) wake_.notify(to_sc(arrival > now ? arrival - now : Time{}));
}

void DescriptorTxEngine::run() {
  ctx_.activation();
  const Time now = hostwire::now();
  while (!doorbells_.empty() && doorbells_.front().arrival <= now) {
    ports_.register_writes.add();
    doorbelled_[static_cast<size_t>(doorbells_.front().ring)] += doorbells_.front().descriptors;
    doorbells_.pop_front();
  }
  // Batches whose descriptors have arrived issue their frame reads now (issuing them at a
  // future time would book the link ahead and hold every other transfer behind it).
  for (Batch& b : batches_)
    if (!b.frames_read && b.done <= now) read_frames(b);
  // Frames go to the MAC in ring order: a batch finishes only after those before it.
  while (!batches_.empty() && batches_.front().frames_read && batches_.front().done <= now) {
    finish_batch(batches_.front());
    batches_.pop_front();
  }
  while (batches_.size() < static_cast<size_t>(p_.dma_outstanding_batches) && start_batch()) {
  }
  if (!batches_.empty()) {
    Time next = batches_.front().done;
    for (const Batch& b : batches_) next = std::min(next, b.done);
    wake_.notify(to_sc(next > now ? next - now : Time{}));
  } else if (!doorbells_.empty() && !stalled_on_buffer_) {
    wake_.notify(to_sc(doorbells_.front().arrival - now));
  }
}

bool DescriptorTxEngine::start_batch() {
  const int n = ports_.rings.rings();
  for (int k = 0; k < n; ++k) {
    const int r = (next_ring_ + k) % n;
    uint32_t& doorbelled = doorbelled_[static_cast<size_t>(r)];
    if (doorbelled == 0) continue;
    TxRingMemory& ring = ports_.rings.tx(r);
    // Round-robin among rings with work, one batch each turn.
    const uint32_t want = std::min<uint32_t>(doorbelled, static_cast<uint32_t>(p_.descriptor_fetch_batch));
    const RingBatch rb = ring.peek(want);
    int64_t bytes = 0;
    uint32_t taken = 0;
    for (const RingSegment& s : rb.segments) {
      for (uint32_t i = 0; i < s.count; ++i) {
        const TxDescriptor& d = ring.at(s.first + i);
        int64_t fb = d.frame->packet.frame_bytes();
        if (d.mss > 0 && p_.tso && fb > max_frame_bytes_) {
          // Each segment repeats the headers: hold room for what the MAC will get.
          const int64_t payload = d.frame->packet.payload.length;
          fb += ((payload + d.mss - 1) / d.mss - 1) * d.frame->packet.header_len;
        }
        if (buffer_used_ + bytes + fb > p_.tx_buffer.n) goto full;
        bytes += fb;
        ++taken;
      }
    }
  full:
    // Wait for room for the whole batch (the buffer drains at line rate) rather than fetch
    // one descriptor per frame that leaves; a part is worth fetching once it fills a quarter
    // of the buffer (large TSO frames), and an empty buffer takes what fits.
    if (taken == 0 || (taken < rb.count && buffer_used_ > 0 && bytes * 4 < p_.tx_buffer.n)) {
      stalled_on_buffer_ = true;
      return false;
    }
    next_ring_ = (r + 1) % n;
    const Time now = hostwire::now();
    // One read for the descriptors (two when the batch wraps); the frames follow when they arrive.
    const RingBatch fetched = ring.batch(ring.head(), taken);
    Batch b;
    b.ring = r;
    b.done = now;
    for (uint32_t s = 0; s < fetched.segment_count(); ++s)
      b.done = ports_.dma.transfer(tlm::TLM_READ_COMMAND, ports_.rings.tx_descriptor_address(r, fetched.segments[s].first),
                                   fetched.segments[s].count * ports_.rings.descriptor_bytes(), now);
    b.fetched.resize(taken);
    ring.fetch(b.fetched);
    if (ctx_.trace().recording(now))
      for (const TxDescriptor& d : b.fetched)
        if (ctx_.trace().recording(d.frame->packet.id, now))
          ctx_.trace().slice(trace_dma_read_, "descriptor fetch", "bus", now, b.done - now, d.frame->packet.id,
                             TraceEventWriter::Flow::join);
    doorbelled -= taken;
    b.descriptors = taken;
    b.reserved = bytes;  // buffer space held from now; read_frames() settles it
    buffer_used_ += bytes;
    trace_buffer(now);
    descriptors_.add(taken);
    batches_count_.add();
    batches_.push_back(std::move(b));
    return true;
  }
  return false;
}

void DescriptorTxEngine::read_frames(Batch& b) {
  const Time now = hostwire::now();
  Time done = now;
  int64_t bytes = 0;
  for (const TxDescriptor& d : b.fetched) {
    const uint32_t fb = d.frame->packet.frame_bytes();
    const Time read = ports_.dma.transfer(tlm::TLM_READ_COMMAND, ports_.rings.map().tx_buffers, fb, now);
    done = std::max(done, read);
    const uint64_t id = d.frame->packet.id;
    const bool traced = ctx_.trace().recording(id, now);
    if (traced)
      ctx_.trace().slice(trace_dma_read_, "payload read", "bus", now, read - now, id, TraceEventWriter::Flow::join);
    if (d.mss > 0 && p_.tso && fb > static_cast<uint32_t>(max_frame_bytes_)) {
      segments_scratch_.clear();
      auto cut = tso_segment(d.frame->packet, d.mss, segments_scratch_);
      if (cut) {
        for (const Packet& sp : segments_scratch_) {
          Frame* f = ctx_.frames().copy(sp);
          // The first segment continues the super-frame's trace arrow (its id); the others start their own.
          const bool continues = sp.flow_open && &sp == &segments_scratch_.front();
          f->packet.id = continues ? d.frame->packet.id : ctx_.next_packet_id();
          f->packet.flow_open = continues;
          if (traced) {
            // The super-frame's arrow fans out to each segment cut from it.
            ctx_.trace().inherit(id, f->packet.id);
            if (continues)
              ctx_.trace().slice(trace_tso_, "segment", "nic", read, Time{}, id, TraceEventWriter::Flow::join);
            else if (ctx_.trace().recording(f->packet.id, read))
              ctx_.trace().slice(trace_tso_, "segment", "nic", read, Time{}, f->packet.id, {}, {id});
          }
          bytes += f->packet.frame_bytes();
          b.frames.push_back(f);
        }
        segments_.add(segments_scratch_.size());
        tso_frames_.add();
        d.frame->gp.release();
        continue;
      }
      HW_LOG(log_, warn, "TSO of frame {} failed: {}", d.frame->packet.id, cut.error());
    }
    if (fb > static_cast<uint32_t>(max_frame_bytes_)) {
      dropped_oversize_.add();
      d.frame->gp.release();
      continue;
    }
    bytes += fb;
    b.frames.push_back(d.frame);
  }
  b.fetched.clear();
  // Segments carry their own headers: the buffer holds what the MAC will send.
  buffer_used_ += bytes - b.reserved;
  trace_buffer(now);
  b.frames_read = true;
  b.done = done;
}

void DescriptorTxEngine::finish_batch(Batch& b) {
  for (Frame* f : b.frames) {
    frames_.add();
    ring_frames_[static_cast<size_t>(b.ring)]->add();
    ports_.mac.send(f);
  }
  // Completions written back in one burst (to the ring's first slot); they count toward the
  // queue pair's moderation.
  const Time now = hostwire::now();
  const Time visible = ports_.dma.transfer(tlm::TLM_WRITE_COMMAND, ports_.rings.tx_descriptor_address(b.ring, 0),
                                           b.descriptors * ports_.rings.descriptor_bytes(), now);
  ports_.rings.tx(b.ring).write_back(visible, b.descriptors);
  ports_.interrupts.completion(b.ring, visible);
}

void DescriptorTxEngine::frame_started(const Packet& p) {
  buffer_used_ -= p.frame_bytes();
  trace_buffer(hostwire::now());
  // Wake the engine once half the buffer is free, so it fetches whole batches, not one frame.
  if (stalled_on_buffer_ && buffer_used_ * 2 <= p_.tx_buffer.n) {
    stalled_on_buffer_ = false;
    wake_.notify(sc_core::SC_ZERO_TIME);
  }
}

bool DescriptorTxEngine::send_generated(Frame* f) {
  const int64_t bytes = f->packet.frame_bytes();
  if (buffer_used_ + bytes > p_.tx_buffer.n) return false;
  buffer_used_ += bytes;
  trace_buffer(hostwire::now());
  ports_.mac.send(f);
  return true;
}

uint64_t DescriptorTxEngine::frames_held() const {
  uint64_t n = 0;
  for (const auto& b : batches_) n += b.frames.size() + b.fetched.size();
  return n;
}

}  // namespace hostwire::nic
