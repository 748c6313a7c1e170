// Frames travel between a MAC and the wire as TLM-2.0 generic payloads carrying the Packet
// in an extension. A Frame bundles the payload object, its extension and the Packet so one
// pool allocation serves all three, and the payload's reference count returns it to the
// pool (tlm_mm_interface), never `new` per frame.
#pragma once

#include <memory>
#include <vector>

#include <tlm>

#include "core/packet.h"

namespace hostwire {

struct Frame;

struct FrameExtension : tlm::tlm_extension<FrameExtension> {
  Packet* packet = nullptr;
  Frame* frame = nullptr;  // the pool unit this payload belongs to
  tlm::tlm_extension_base* clone() const override { return new FrameExtension(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    packet = static_cast<const FrameExtension&>(other).packet;
    frame = static_cast<const FrameExtension&>(other).frame;
  }
};

struct Frame {
  tlm::tlm_generic_payload gp;
  FrameExtension ext;
  Packet packet;
};

inline Packet& packet_of(tlm::tlm_generic_payload& gp) { return *gp.get_extension<FrameExtension>()->packet; }

class FramePool : public tlm::tlm_mm_interface {
 public:
  FramePool() = default;
  FramePool(const FramePool&) = delete;
  FramePool& operator=(const FramePool&) = delete;
  ~FramePool() override {
    for (auto& f : all_) f->gp.clear_extension(&f->ext);  // the extension is a member, not heap-owned
  }

  // A frame with a fresh Packet and a reference count of one.
  Frame* get() {
    Frame* f;
    if (free_.empty()) {
      all_.push_back(std::make_unique<Frame>());
      f = all_.back().get();
      f->gp.set_mm(this);
      f->ext.packet = &f->packet;
      f->ext.frame = f;
      f->gp.set_extension(&f->ext);
    } else {
      f = free_.back();
      free_.pop_back();
      f->packet.reset();
    }
    f->gp.set_command(tlm::TLM_WRITE_COMMAND);
    f->gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    f->gp.acquire();
    ++live_;
    return f;
  }
  // A second frame carrying a copy of `src` (header bytes copied, payload shared).
  Frame* copy(const Packet& src) {
    Frame* f = get();
    f->packet = src;
    return f;
  }
  void free(tlm::tlm_generic_payload* gp) override {
    free_.push_back(gp->get_extension<FrameExtension>()->frame);
    --live_;
  }
  size_t live() const { return live_; }

 private:
  std::vector<std::unique_ptr<Frame>> all_;
  std::vector<Frame*> free_;
  size_t live_ = 0;
};

}  // namespace hostwire
