// The NIC's receive path: MAC -> classify step -> VNIC ring -> DMA -> completion.
//
// A frame whose last bit arrived goes through the classify step (by default the classifier:
// rules, then destination MAC -> VNIC, then RSS over the VNIC's rings). With a free slot on
// the chosen ring the DMA engine writes the frame into the slot's buffer and its completion
// into the RX ring in host memory; the completion is visible to the driver when that
// write-back lands, and counts toward the queue pair's interrupt. No free slot: the frame is
// dropped and counted on that ring (rx_missed). A mirror action delivers a second copy the
// same way, and a rule's copies may also go to a remote analyzer (nic/remote_mirror.h).
//
// The classify step is the seam before the rings: a consumer that must see or steer frames
// before they reach a VNIC (a mirror or debug tap, the TOE's ACK steering) replaces it and
// may call classify() for the default decision.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/log.h"
#include "core/rng.h"
#include "core/sim.h"
#include "nic/classifier.h"
#include "nic/descriptor_rings.h"
#include "nic/dma.h"
#include "nic/interrupts.h"

namespace hostwire::nic {

class RxPath {
 public:
  using ClassifyStep = std::function<Decision(const Packet&)>;

  RxPath(SimContext& ctx, Classifier classifier, DescriptorRings& rings, DmaPort& dma,
         Interrupts& interrupts, const std::string& stat_name);

  // A good frame from the MAC, as its last bit arrives.
  void receive(Packet& p);

  Classifier& classifier() { return classifier_; }
  // The classifier's decision for `p` (what the default classify step returns).
  Decision classify(const Packet& p) const { return classifier_.classify(p.header_bytes()); }
  // Replaces the classify step; an empty function restores the classifier.
  void set_classify_step(ClassifyStep step) { step_ = std::move(step); }
  // Looked at before anything else: a consumer on the NIC (the TCP offload engine taking its
  // conns' ACKs) returns true for a frame it took; the frame then reaches no ring.
  void set_steer(std::function<bool(const Packet&)> steer) { steer_ = std::move(steer); }

  // What happens to the mirror copies of classifier rule `rule` (an id add_rule returned): 1 in
  // `sample` kept (from `rng`), each cut to `snap` bytes (0: whole), and with `both_directions`
  // the frames this host sends on the flow are copied too (mirror_transmitted()).
  struct MirrorPolicy {
    uint64_t sample = 1;
    uint32_t snap = 0;
    bool both_directions = false;
    Rng rng;
    Counter* matched = nullptr;
    Counter* mirrored = nullptr;
    Counter* sampled_out = nullptr;
    Counter* dropped_ring_full = nullptr;  // copies the mirror VNIC's ring had no slot for
    std::function<void(const Packet&)> remote;  // sends each copy to a remote analyzer too (ERSPAN)
  };
  void set_policy(int32_t rule, MirrorPolicy policy);
  // A frame this host starts sending: copied to the mirror VNIC of a both-directions rule that
  // matches it with addresses and ports swapped (the flow's received frames).
  void mirror_transmitted(const Packet& p);
  bool mirrors_transmitted() const { return mirrors_tx_; }

  // Each frame (or mirror copy) as it is written into RX ring `ring`'s next slot: what the
  // VNIC owning the ring receives (capture taps hook here).
  std::function<void(uint16_t ring, const Packet&)> on_delivered;

 private:
  // False: the ring was full and the frame is dropped (counted on the ring).
  bool deliver(uint16_t ring, const Packet& p);
  void deliver_copy(uint16_t ring, const Packet& p, MirrorPolicy* pol);
  // The mirror copy of `p` for the decision's rule, if its policy keeps it.
  void mirror(const Decision& d, const Packet& p, bool transmitted);

  SimContext& ctx_;
  DescriptorRings& rings_;
  DmaPort& dma_;
  Interrupts& interrupts_;
  Logger log_;
  int trace_classifier_, trace_dma_write_;  // timeline tracks
  Classifier classifier_;
  ClassifyStep step_;
  std::function<bool(const Packet&)> steer_;
  std::vector<Counter*> ring_delivered_;
  std::vector<Counter*> ring_dropped_;

  Counter& frames_;
  Counter& steered_;
  Counter& dropped_rule_;
  Counter& dropped_ring_;
  Counter& mirrored_;
  Counter& tx_mirrored_;
  Counter& mirror_dropped_ring_;
  Counter& mirror_dma_bytes_;
  Counter& primary_dropped_ring_;
  std::unordered_map<int32_t, MirrorPolicy> policies_;
  bool mirrors_tx_ = false;
};

}  // namespace hostwire::nic
