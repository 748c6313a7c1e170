// The NIC's transmit side behind one interface, so the stateless engine here and a TCP offload
// engine (toe/) plug into the NIC the same way: the registers hand an engine the doorbells of
// its rings, the engine reads descriptors and frames from host memory over DMA, produces
// frames to the MAC, writes completions back into the TX rings and counts them toward the
// queue pair's interrupt vector.
//
// DescriptorTxEngine, the NIC's own engine: doorbell -> descriptor fetch -> frame reads ->
// segmentation (TSO) -> MAC. It fetches up to `descriptor_fetch_batch` descriptors in one read
// (two when the batch wraps the ring), then each frame's bytes, into the on-chip packet buffer;
// up to `dma_outstanding_batches` such batches are in flight at once. A batch whose reads
// complete goes to the MAC queue, and its completions are written back to host memory. The
// engine only fetches while the packet buffer has room, so the MAC never drops: a full buffer
// stalls the rings, and full rings push back on the driver.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include <systemc>

#include "core/log.h"
#include "core/sim.h"
#include "nic/descriptor_rings.h"
#include "nic/dma.h"
#include "nic/interrupts.h"
#include "nic/params.h"
#include "wire/mac.h"

namespace hostwire::nic {

// What the NIC gives a transmit engine.
struct TxPorts {
  DescriptorRings& rings;    // TX descriptors to read, completions to write back
  DmaPort& dma;              // the NIC's bus master
  wire::Mac& mac;            // frames out; its transmit queue is the packet buffer
  Interrupts& interrupts;    // completions count toward queue pair i's vector
  Counter& register_writes;  // the NIC's register writes that took effect: one per doorbell taken
};

class TxEngine {
 public:
  virtual ~TxEngine() = default;
  // Ring `ring`'s doorbell was written with `descriptors` newly posted; it takes effect at
  // `arrival` (now, or later while the write still crosses the bus).
  virtual void doorbell(int ring, uint32_t descriptors, Time arrival) = 0;
  // The MAC started sending `p`, a frame this engine gave it: its packet-buffer space is free.
  virtual void frame_started(const Packet& p) = 0;
  // A frame the NIC made itself (a remote mirror copy) for the MAC: it takes packet-buffer
  // room like the engine's own frames. False, and the caller keeps the frame, when there is none.
  virtual bool send_generated(Frame* f) = 0;
  // Frames the engine holds: read from ring memory and not yet given to the MAC.
  virtual uint64_t frames_held() const = 0;
};

class DescriptorTxEngine final : public TxEngine {
 public:
  DescriptorTxEngine(SimContext& ctx, const NicParams& params, int64_t max_frame_bytes, TxPorts ports,
                     const std::string& stat_name);

  void doorbell(int ring, uint32_t descriptors, Time arrival) override;
  void frame_started(const Packet& p) override;
  bool send_generated(Frame* f) override;
  uint64_t frames_held() const override;

 private:
  struct Doorbell {
    Time arrival{};
    int ring = 0;
    uint32_t descriptors = 0;
  };
  // A batch through its stages: descriptors being read (frames_read false), frames being read,
  // then to the MAC with its completions written back.
  struct Batch {
    Time done{};
    int ring = 0;
    uint32_t descriptors = 0;
    bool frames_read = false;  // the frame reads have been issued
    int64_t reserved = 0;      // packet-buffer bytes held for the batch until its frames are read
    std::vector<TxDescriptor> fetched;
    std::vector<Frame*> frames;  // after segmentation: what goes to the MAC
  };

  void run();
  bool start_batch();
  void read_frames(Batch& b);
  void finish_batch(Batch& b);
  void trace_buffer(Time now);

  SimContext& ctx_;
  NicParams p_;
  int64_t max_frame_bytes_;
  TxPorts ports_;
  Logger log_;
  int trace_dma_read_, trace_tso_;  // timeline tracks
  std::deque<Doorbell> doorbells_;   // on their way
  std::vector<uint32_t> doorbelled_;  // per ring: announced by doorbells that arrived, not yet fetched
  std::deque<Batch> batches_;
  std::vector<Packet> segments_scratch_;
  int next_ring_ = 0;
  int64_t buffer_used_ = 0;
  bool stalled_on_buffer_ = false;
  sc_core::sc_event wake_;

  std::vector<Counter*> ring_frames_;
  Counter& descriptors_;
  Counter& frames_;
  Counter& segments_;
  Counter& tso_frames_;
  Counter& dropped_oversize_;
  Counter& batches_count_;
  int vcd_buffer_;
};

}  // namespace hostwire::nic
