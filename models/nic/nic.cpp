#include "nic/nic.h"

#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include "nic/tso.h"
#include "wire/ethernet_timing.h"

namespace hostwire::nic {

namespace {
wire::MacParams port_params(const NicParams& p) {
  // The MAC's transmit queue is the NIC's packet buffer: the DMA engine fills it only while it
  // has room, so the MAC itself never drops.
  wire::MacParams m;
  m.tx_queue = p.tx_buffer;
  return m;
}

Classifier make_classifier(const NicParams& p, const std::vector<net::MacAddress>& macs) {
  auto key = p.key();
  if (!key) throw std::invalid_argument("nic.rss_key: " + key.error());
  Classifier c(*key, RssHashTypes{true, p.rss_udp_ports});
  for (size_t v = 0; v < macs.size(); ++v) {
    Vnic vnic;
    vnic.mac = macs[v];
    vnic.first_ring = static_cast<uint16_t>(v * static_cast<size_t>(p.rings_per_vnic));
    vnic.rings = static_cast<uint16_t>(p.rings_per_vnic);
    auto r = c.add_vnic(vnic);
    if (!r) throw std::invalid_argument("nic: " + r.error());
  }
  return c;
}
}  // namespace

Nic::Nic(sc_core::sc_module_name name, SimContext& ctx, const NicParams& params, const std::string& stat_name,
         int64_t max_frame_bytes, const std::vector<net::MacAddress>& vnic_macs, const NicMemoryMap& map)
    : sc_module(name),
      dma("dma"),
      registers("registers", ctx, params.register_latency, stat_name + ".registers"),
      mac("mac", ctx, port_params(params), stat_name + ".mac", max_frame_bytes),
      ctx_(ctx),
      p_(params),
      map_(map),
      log_(stat_name),
      stat_name_(stat_name),
      max_frame_bytes_(max_frame_bytes),
      classifier_(make_classifier(params, vnic_macs)),
      rx_frames_(ctx.stats().counter(stat_name + ".rx_frames", "frames", "frames the port handed to the classifier")),
      rx_dropped_rule_(ctx.stats().counter(stat_name + ".rx_dropped_rule", "frames", "frames a classifier rule dropped")),
      rx_dropped_ring_(ctx.stats().counter(stat_name + ".rx_dropped_ring_full", "frames",
                                           "frames dropped: the chosen RX ring had no free descriptor (all rings)")),
      rx_mirrored_(ctx.stats().counter(stat_name + ".rx_mirrored", "frames", "mirror copies delivered to a second VNIC")),
      tx_descriptors_(ctx.stats().counter(stat_name + ".tx_descriptors", "descriptors", "TX descriptors fetched")),
      tx_frames_(ctx.stats().counter(stat_name + ".tx_frames", "frames", "frames handed to the MAC")),
      tx_segments_(ctx.stats().counter(stat_name + ".tx_tso_segments", "frames", "frames cut from TSO super-frames")),
      tx_tso_frames_(ctx.stats().counter(stat_name + ".tx_tso_frames", "frames", "TSO super-frames cut into segments")),
      tx_dropped_oversize_(ctx.stats().counter(stat_name + ".tx_dropped_oversize", "frames",
                                               "TX frames dropped: larger than the MTU and TSO off or not TCP")),
      tx_batches_(ctx.stats().counter(stat_name + ".tx_batches", "batches", "descriptor fetches by the DMA engine")),
      interrupts_(ctx.stats().counter(stat_name + ".interrupts", "interrupts", "MSI-X interrupts raised (all vectors)")),
      register_writes_count_(ctx.stats().counter(stat_name + ".register_writes", "writes",
                                                 "doorbell and unmask writes that reached the NIC")) {
  const int n = static_cast<int>(vnic_macs.size() * static_cast<size_t>(p_.rings_per_vnic));
  if (static_cast<int64_t>(vnic_macs.size()) != p_.vnics)
    throw std::invalid_argument(stat_name + ": " + std::to_string(p_.vnics) + " VNICs need as many MAC addresses");
  auto& st = ctx.stats();
  for (int r = 0; r < n; ++r) {
    const std::string q = stat_name + ".ring" + std::to_string(r);
    auto rx = std::make_unique<RxQueue>(static_cast<uint32_t>(p_.rx_ring_size));
    rx->delivered = &st.counter(q + ".rx_frames", "frames", "frames delivered into this RX ring");
    rx->dropped = &st.counter(q + ".rx_dropped_full", "frames", "frames dropped: this RX ring was full");
    rx->vcd = ctx.vcd().wire(q + ".rx_occupancy", 32);
    RxRing<RxDescriptor>* ring = &rx->ring;
    st.series(q + ".rx_occupancy", "descriptors", [ring] { return static_cast<double>(ring->occupancy()); });
    rx_.push_back(std::move(rx));
    auto tx = std::make_unique<TxQueue>(static_cast<uint32_t>(p_.tx_ring_size));
    tx->frames = &st.counter(q + ".tx_frames", "frames", "frames sent from this TX ring");
    tx_.push_back(std::move(tx));
    vectors_.push_back(std::make_unique<Vector>(p_.moderation()));
    registers.on_write(kTxDoorbell + 8 * static_cast<uint64_t>(r),
                       [this, r](uint64_t v, Time at) { register_write(kTxDoorbell + 8 * static_cast<uint64_t>(r), v, at); });
    registers.on_write(kIrqUnmask + 8 * static_cast<uint64_t>(r),
                       [this, r](uint64_t v, Time at) { register_write(kIrqUnmask + 8 * static_cast<uint64_t>(r), v, at); });
    sc_core::sc_spawn_options opt;
    opt.spawn_method();
    opt.set_sensitivity(&vectors_.back()->timer);
    opt.dont_initialize();
    sc_core::sc_spawn([this, r] { moderation_timer(r); }, sc_core::sc_gen_unique_name("moderation"), &opt);
    st.formula(q + ".interrupt_rate", "interrupts/s", "interrupts raised on this ring's vector per second",
               [v = vectors_.back().get()] { return static_cast<double>(v->moderator.interrupts()) / hostwire::now().seconds(); });
  }
  st.formula(stat_name + ".interrupt_rate", "interrupts/s", "MSI-X interrupts per second (all vectors)",
             [this] { return static_cast<double>(interrupts_.value()) / hostwire::now().seconds(); });
  vcd_tx_buffer_ = ctx.vcd().wire(stat_name + ".tx_buffer_bytes", 32);

  mac.on_receive = [this](Packet& p) { receive(p); };
  mac.on_tx_start = [this](const Packet& p) { buffer_freed(p); };

  SC_HAS_PROCESS(Nic);
  SC_METHOD(tx_engine);
  sensitive << tx_wake_;
  dont_initialize();
  SC_METHOD(registers_due);
  sensitive << register_due_;
  dont_initialize();

  ctx.add_invariant([this] {
    uint64_t delivered = 0, dropped = 0;
    for (const auto& q : rx_) delivered += q->delivered->value(), dropped += q->dropped->value();
    const uint64_t copies = rx_frames_.value() - rx_dropped_rule_.value() + rx_mirrored_.value();
    if (copies == delivered + dropped) return std::string();
    return fmt::format("{}: {} frames classified ({} rule drops, {} mirror copies) != {} into rings + {} ring drops",
                       stat_name_, rx_frames_.value(), rx_dropped_rule_.value(), rx_mirrored_.value(), delivered, dropped);
  });
}

// ---------------------------------------------------------------- DMA

Time Nic::dma_transfer(tlm::tlm_command cmd, uint64_t address, uint32_t bytes, Time issue, uint8_t* data) {
  // Timing-only transfer (null data): the frame's bytes travel by reference with the descriptor.
  gp_.set_command(cmd);
  gp_.set_address(address);
  gp_.set_data_ptr(data);
  gp_.set_data_length(bytes);
  gp_.set_streaming_width(bytes);
  gp_.set_byte_enable_ptr(nullptr);
  gp_.set_dmi_allowed(false);
  gp_.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  const Time t = hostwire::now();
  sc_core::sc_time delay = to_sc(issue > t ? issue - t : Time{});
  dma->b_transport(gp_, delay);
  if (gp_.is_response_error())
    SC_REPORT_ERROR(name(), fmt::format("DMA to 0x{:x} ({} B) failed: {}", address, bytes, gp_.get_response_string()).c_str());
  return t + Time{static_cast<int64_t>(delay.value())};
}

// ---------------------------------------------------------------- receive

void Nic::receive(Packet& p) {
  rx_frames_.add();
  const Decision d = classifier_.classify(p.header_bytes());
  if (d.drop) {
    rx_dropped_rule_.add();
    HW_LOG(log_, debug, "frame {} dropped by rule {}", p.id, d.rule);
  } else {
    deliver(d.primary.ring, p);
  }
  if (d.mirror) {
    rx_mirrored_.add();
    deliver(d.mirror->ring, p);
  }
}

void Nic::deliver(uint16_t r, const Packet& p) {
  RxQueue& q = *rx_[r];
  if (q.ring.full()) {
    q.dropped->add();
    rx_dropped_ring_.add();
    HW_LOG(log_, debug, "frame {} dropped: RX ring {} full", p.id, r);
    return;
  }
  const uint32_t slot = q.ring.indices().tail();
  const Time now = hostwire::now();
  // The frame into the slot's buffer, then its completion (descriptor write-back) right behind
  // it: posted writes stay in order on the link and in memory, so the completion cannot be seen
  // before the frame, and the engine need not wait for the frame to land before issuing it
  // (waiting would book the link in the future and hold every later transfer behind it).
  const Time frame_done = dma_transfer(
      tlm::TLM_WRITE_COMMAND, map_.rx_buffers + (static_cast<uint64_t>(r) * q.ring.size() + slot) * map_.buffer_stride,
      p.frame_bytes(), now);
  Time done = dma_transfer(tlm::TLM_WRITE_COMMAND,
                           map_.rx_descriptors + (static_cast<uint64_t>(r) * q.ring.size() + slot) * static_cast<uint64_t>(p_.descriptor_bytes.n),
                           static_cast<uint32_t>(p_.descriptor_bytes.n), now);
  done = std::max(done, frame_done);
  q.ring.deliver(RxDescriptor{ctx_.frames().copy(p), done});
  q.delivered->add();
  ctx_.vcd().change(q.vcd, now, q.ring.occupancy());
  completion(r, done);
}

uint32_t Nic::rx_visible(int r, Time t, uint32_t max) const {
  const auto& ring = rx_[r]->ring;
  const RingBatch b = ring.peek(max);
  // Completions become visible in ring order (write-backs complete in issue order).
  uint32_t n = 0;
  for (const RingSegment& s : b.segments)
    for (uint32_t i = 0; i < s.count; ++i, ++n)
      if (ring.at(s.first + i).visible_at > t) return n;
  return n;
}

RxDescriptor Nic::rx_take(int r) {
  RxQueue& q = *rx_[r];
  RxDescriptor d;
  q.ring.fetch(std::span<RxDescriptor>(&d, 1));
  ctx_.vcd().change(q.vcd, hostwire::now(), q.ring.occupancy());
  return d;
}

// ---------------------------------------------------------------- interrupts

void Nic::completion(int v, Time at) {
  Vector& vec = *vectors_[v];
  // Write-backs complete in order on the bus; keep the moderator's clock monotonic anyway.
  at = std::max(at, vec.last_completion);
  vec.last_completion = at;
  if (vec.moderator.on_packet(at)) {
    // Decided now for a completion that lands at `at`: the message goes out then.
    vec.moderator.mask();
    vec.timer.cancel();
    const Time now = hostwire::now();
    if (at <= now) {
      raise(v);
    } else {
      vec.raise_pending = true;
      vec.raise_at = at;
      vec.timer.notify(to_sc(at - now));
    }
    return;
  }
  if (auto d = vec.moderator.deadline()) {
    const Time now = hostwire::now();
    vec.timer.notify(to_sc(*d > now ? *d - now : Time{}));
  }
}

void Nic::moderation_timer(int v) {
  ctx_.activation();
  Vector& vec = *vectors_[v];
  const Time now = hostwire::now();
  if (vec.raise_pending) {
    if (now < vec.raise_at) {
      vec.timer.notify(to_sc(vec.raise_at - now));
      return;
    }
    vec.raise_pending = false;
    raise(v);
    return;
  }
  if (vec.moderator.on_timer(now)) {
    raise(v);
    return;
  }
  if (auto d = vec.moderator.deadline()) vec.timer.notify(to_sc(*d > now ? *d - now : Time{}));
}

void Nic::raise(int v) {
  // Masked until the driver's poll has drained the ring (NAPI); MSI-X is a posted write.
  const Time now = hostwire::now();
  vectors_[v]->moderator.mask();
  vectors_[v]->timer.cancel();
  interrupts_.add();
  msi_data_ = static_cast<uint32_t>(v);
  dma_transfer(tlm::TLM_WRITE_COMMAND, map_.msix + 4 * static_cast<uint64_t>(v), 4, now,
               reinterpret_cast<uint8_t*>(&msi_data_));
  HW_LOG(log_, trace, "vector {} interrupt at {}", v, to_string(now));
}

// ---------------------------------------------------------------- registers

void Nic::register_write(uint64_t offset, uint64_t value, Time arrival) {
  // Writes take effect when they arrive, in order; the bus delivers them in issue order.
  const Time now = hostwire::now();
  if (offset < kIrqUnmask) {
    // A doorbell only matters to the DMA engine: a busy engine picks it up when its batch
    // completes, so only an idle one needs waking at the arrival.
    doorbells_.push_back({arrival, offset, value});
    if (batches_.empty() && !stalled_on_buffer_) tx_wake_.notify(to_sc(arrival > now ? arrival - now : Time{}));
    return;
  }
  register_writes_.push_back({arrival, offset, value});
  register_due_.notify(to_sc(arrival > now ? arrival - now : Time{}));  // an earlier pending one stays
}

void Nic::registers_due() {
  ctx_.activation();
  const Time now = hostwire::now();
  while (!register_writes_.empty() && register_writes_.front().arrival <= now) {
    apply_register(register_writes_.front());
    register_writes_.pop_front();
  }
  if (!register_writes_.empty()) register_due_.notify(to_sc(register_writes_.front().arrival - now));
}

void Nic::apply_register(const RegisterWrite& w) {
  // The only register besides the doorbells: re-enabling a vector after the NAPI poll.
  register_writes_count_.add();
  const Time now = hostwire::now();
  const int v = static_cast<int>((w.offset - kIrqUnmask) / 8);
  // Completions the driver has not processed yet count as pending from now.
  const uint32_t backlog = rx_[v]->ring.occupancy() + tx_completed(v, Time{INT64_MAX});
  Vector& vec = *vectors_[v];
  if (vec.moderator.unmask(now, backlog))
    raise(v);
  else if (auto d = vec.moderator.deadline())
    vec.timer.notify(to_sc(*d > now ? *d - now : Time{}));
}

// ---------------------------------------------------------------- transmit

bool Nic::tx_post(int r, const TxDescriptor& d) {
  TxQueue& q = *tx_[r];
  if (q.in_use >= q.ring.indices().capacity() || !q.ring.post(d)) return false;
  q.ring.ring_doorbell();  // the slot is written; the NIC learns of it from the doorbell register
  ++q.in_use;
  return true;
}

uint32_t Nic::tx_completed(int r, Time t) const {
  uint32_t n = 0;
  for (const auto& [at, count] : tx_[r]->completions) {
    if (at > t) break;
    n += count;
  }
  return n;
}

void Nic::tx_clean(int r, uint32_t n) {
  TxQueue& q = *tx_[r];
  while (n > 0) {
    auto& front = q.completions.front();
    const uint32_t k = std::min(n, front.second);
    front.second -= k;
    n -= k;
    q.in_use -= k;
    if (front.second == 0) q.completions.pop_front();
  }
}

void Nic::tx_engine() {
  ctx_.activation();
  const Time now = hostwire::now();
  while (!doorbells_.empty() && doorbells_.front().arrival <= now) {
    const RegisterWrite& w = doorbells_.front();
    register_writes_count_.add();
    tx_[static_cast<size_t>((w.offset - kTxDoorbell) / 8)]->doorbelled += static_cast<uint32_t>(w.value);
    doorbells_.pop_front();
  }
  // Batches whose descriptors have arrived issue their frame reads now (issuing them at a
  // future time would book the link ahead and hold every other transfer behind it).
  for (TxBatch& b : batches_)
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
    for (const TxBatch& b : batches_) next = std::min(next, b.done);
    tx_wake_.notify(to_sc(next > now ? next - now : Time{}));
  } else if (!doorbells_.empty() && !stalled_on_buffer_) {
    tx_wake_.notify(to_sc(doorbells_.front().arrival - now));
  }
}

bool Nic::start_batch() {
  const int n = rings();
  for (int k = 0; k < n; ++k) {
    const int r = (next_tx_ring_ + k) % n;
    TxQueue& q = *tx_[r];
    if (q.doorbelled == 0) continue;
    // Round-robin among rings with work, one batch each turn.
    const uint32_t want = std::min<uint32_t>(q.doorbelled, static_cast<uint32_t>(p_.descriptor_fetch_batch));
    const RingBatch rb = q.ring.peek(want);
    int64_t bytes = 0;
    uint32_t taken = 0;
    for (const RingSegment& s : rb.segments) {
      for (uint32_t i = 0; i < s.count; ++i) {
        const TxDescriptor& d = q.ring.at(s.first + i);
        int64_t fb = d.frame->packet.frame_bytes();
        if (d.mss > 0 && p_.tso && fb > max_frame_bytes_) {
          // Each segment repeats the headers: hold room for what the MAC will get.
          const int64_t payload = d.frame->packet.payload.length;
          fb += ((payload + d.mss - 1) / d.mss - 1) * d.frame->packet.header_len;
        }
        if (tx_buffer_used_ + bytes + fb > p_.tx_buffer.n) goto full;
        bytes += fb;
        ++taken;
      }
    }
  full:
    // Wait for room for the whole batch (the buffer drains at line rate) rather than fetch
    // one descriptor per frame that leaves; a part is worth fetching once it fills a quarter
    // of the buffer (large TSO frames), and an empty buffer takes what fits.
    if (taken == 0 || (taken < rb.count && tx_buffer_used_ > 0 && bytes * 4 < p_.tx_buffer.n)) {
      stalled_on_buffer_ = true;
      return false;
    }
    next_tx_ring_ = (r + 1) % n;
    const Time now = hostwire::now();
    // One read for the descriptors (two when the batch wraps); the frames follow when they arrive.
    const RingBatch fetched = q.ring.indices().batch(q.ring.indices().head(), taken);
    TxBatch b;
    b.ring = r;
    b.done = now;
    for (uint32_t s = 0; s < fetched.segment_count(); ++s)
      b.done = dma_transfer(tlm::TLM_READ_COMMAND,
                            map_.tx_descriptors + (static_cast<uint64_t>(r) * q.ring.size() + fetched.segments[s].first) *
                                                      static_cast<uint64_t>(p_.descriptor_bytes.n),
                            fetched.segments[s].count * static_cast<uint32_t>(p_.descriptor_bytes.n), now);
    b.fetched.resize(taken);
    q.ring.fetch(b.fetched);
    q.doorbelled -= taken;
    b.descriptors = taken;
    b.reserved = bytes;  // buffer space held from now; read_frames() settles it
    tx_buffer_used_ += bytes;
    ctx_.vcd().change(vcd_tx_buffer_, now, static_cast<uint64_t>(tx_buffer_used_));
    tx_descriptors_.add(taken);
    tx_batches_.add();
    batches_.push_back(std::move(b));
    return true;
  }
  return false;
}

void Nic::read_frames(TxBatch& b) {
  const Time now = hostwire::now();
  Time done = now;
  int64_t bytes = 0;
  for (const TxDescriptor& d : b.fetched) {
    const uint32_t fb = d.frame->packet.frame_bytes();
    done = std::max(done, dma_transfer(tlm::TLM_READ_COMMAND, map_.tx_buffers, fb, now));
    if (d.mss > 0 && p_.tso && fb > static_cast<uint32_t>(max_frame_bytes_)) {
      segments_scratch_.clear();
      auto cut = tso_segment(d.frame->packet, d.mss, segments_scratch_);
      if (cut) {
        for (const Packet& sp : segments_scratch_) {
          Frame* f = ctx_.frames().copy(sp);
          f->packet.id = ctx_.next_packet_id();
          bytes += f->packet.frame_bytes();
          b.frames.push_back(f);
        }
        tx_segments_.add(segments_scratch_.size());
        tx_tso_frames_.add();
        d.frame->gp.release();
        continue;
      }
      HW_LOG(log_, warn, "TSO of frame {} failed: {}", d.frame->packet.id, cut.error());
    }
    if (fb > static_cast<uint32_t>(max_frame_bytes_)) {
      tx_dropped_oversize_.add();
      d.frame->gp.release();
      continue;
    }
    bytes += fb;
    b.frames.push_back(d.frame);
  }
  b.fetched.clear();
  // Segments carry their own headers: the buffer holds what the MAC will send.
  tx_buffer_used_ += bytes - b.reserved;
  ctx_.vcd().change(vcd_tx_buffer_, now, static_cast<uint64_t>(tx_buffer_used_));
  b.frames_read = true;
  b.done = done;
}

void Nic::finish_batch(TxBatch& b) {
  TxQueue& q = *tx_[b.ring];
  for (Frame* f : b.frames) {
    tx_frames_.add();
    q.frames->add();
    mac.send(f);
  }
  // Completions written back in one burst; they count toward the queue pair's moderation.
  const Time now = hostwire::now();
  const uint32_t wb = b.descriptors * static_cast<uint32_t>(p_.descriptor_bytes.n);
  const Time visible = dma_transfer(tlm::TLM_WRITE_COMMAND,
                                    map_.tx_descriptors + static_cast<uint64_t>(b.ring) * q.ring.size() *
                                                              static_cast<uint64_t>(p_.descriptor_bytes.n),
                                    wb, now);
  q.completions.emplace_back(visible, b.descriptors);
  completion(b.ring, visible);
}

void Nic::buffer_freed(const Packet& p) {
  tx_buffer_used_ -= p.frame_bytes();
  ctx_.vcd().change(vcd_tx_buffer_, hostwire::now(), static_cast<uint64_t>(tx_buffer_used_));
  // Wake the engine once half the buffer is free, so it fetches whole batches, not one frame.
  if (stalled_on_buffer_ && tx_buffer_used_ * 2 <= p_.tx_buffer.n) {
    stalled_on_buffer_ = false;
    tx_wake_.notify(sc_core::SC_ZERO_TIME);
  }
}

uint64_t Nic::frames_held() const {
  uint64_t n = 0;
  for (const auto& q : rx_) n += q->ring.occupancy();
  for (const auto& b : batches_) n += b.frames.size() + b.fetched.size();
  for (const auto& q : tx_) n += q->ring.occupancy();
  return n;
}

}  // namespace hostwire::nic
