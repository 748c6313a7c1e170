// The multi-ring NIC: the timed shell around the NIC logic (classifier, RSS, rings,
// moderation). It owns the Ethernet port (a wire::Mac), reaches host memory through a DMA
// initiator socket on the bus, and exposes its registers (TX doorbells, interrupt unmask) as
// an MMIO target on the same bus.
//
// Receive: a frame whose last bit arrived is classified (rules, then destination MAC -> VNIC,
// then RSS over the VNIC's rings). With a free descriptor on the chosen ring, the DMA engine
// writes the frame and then its completion into host memory; the descriptor becomes visible
// to the driver when that write-back completes. No free descriptor: the frame is dropped and
// counted on that ring (rx_missed). A mirror action delivers a second copy the same way.
//
// Transmit: the driver posts descriptors and rings the doorbell (an MMIO write). When the
// doorbell arrives the DMA engine fetches up to `descriptor_fetch_batch` descriptors in one
// read, then each frame's bytes, into the on-chip packet buffer; up to
// `dma_outstanding_batches` such batches are in flight at once. A batch whose reads complete
// goes to the MAC queue, and its completions are written back to host memory. The engine
// only fetches while the packet buffer has room, so the MAC never drops: a full buffer stalls
// the rings, and full rings push back on the driver.
//
// Interrupts: one MSI-X vector per queue pair (RX ring i and TX ring i), moderated by packet
// count and time; the NIC raises it with a posted write to the interrupt controller's address
// and masks it until the driver's NAPI poll has drained the ring and writes the unmask register.
//
// Batching is where hardware batches: one activation per descriptor batch, per interrupt and
// per register write, none per received frame beyond the wire's own.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include "bus/mmio.h"
#include "core/log.h"
#include "core/sim.h"
#include "nic/classifier.h"
#include "nic/moderation.h"
#include "nic/params.h"
#include "nic/ring.h"
#include "wire/mac.h"

namespace hostwire::nic {

struct RxDescriptor {
  Frame* frame = nullptr;
  Time visible_at{};  // when the completion write-back reaches host memory
};

struct TxDescriptor {
  Frame* frame = nullptr;
  uint16_t mss = 0;  // > 0: a TSO super-frame to cut into MSS-sized frames
};

// Where the NIC's structures live in host memory (bus addresses).
struct NicMemoryMap {
  uint64_t rx_descriptors = 0x1000'0000;
  uint64_t tx_descriptors = 0x1100'0000;
  uint64_t rx_buffers = 0x2000'0000;
  uint64_t tx_buffers = 0x6000'0000;
  uint64_t buffer_stride = 2048;  // one receive buffer per descriptor slot
  uint64_t msix = 0xfee0'0000;    // the interrupt controller: vector v writes to msix + 4 * v
};

class Nic : public sc_core::sc_module {
 public:
  // Register offsets in the NIC's BAR.
  static constexpr uint64_t kTxDoorbell = 0x1000;  // + 8 * ring: number of descriptors newly posted
  static constexpr uint64_t kIrqUnmask = 0x2000;   // + 8 * vector: re-enable after the NAPI poll

  tlm_utils::simple_initiator_socket<Nic> dma;
  bus::MmioTarget registers;
  wire::Mac mac;

  // `vnic_macs`: one per VNIC (params.vnics of them).
  Nic(sc_core::sc_module_name name, SimContext& ctx, const NicParams& params, const std::string& stat_name,
      int64_t max_frame_bytes, const std::vector<net::MacAddress>& vnic_macs, const NicMemoryMap& map = {});

  int rings() const { return static_cast<int>(rx_.size()); }  // RX rings = TX rings = vectors
  const NicParams& params() const { return p_; }
  Classifier& classifier() { return classifier_; }

  // --- the driver's side of the rings (host memory the driver reads and writes) ---
  // RX descriptors (at most `max`) the NIC has completed and whose write-back reached memory by `t`.
  uint32_t rx_visible(int ring, Time t, uint32_t max) const;
  // The i-th completed RX descriptor from the oldest, without taking it (i < rx_visible()).
  const RxDescriptor& rx_peek(int ring, uint32_t i) const {
    const auto& r = rx_[ring]->ring;
    return r.at(r.indices().advance(r.indices().head(), i));
  }
  // Takes the oldest completed RX descriptor (the caller owns its frame reference).
  RxDescriptor rx_take(int ring);
  uint32_t rx_occupancy(int ring) const { return rx_[ring]->ring.occupancy(); }
  // Posts a TX descriptor; false when the ring has no free slot (back-pressure).
  bool tx_post(int ring, const TxDescriptor& d);
  uint32_t tx_free(int ring) const { return tx_[ring]->ring.indices().capacity() - tx_[ring]->in_use; }
  // TX completions written back by `t` and not yet cleaned; clean them (frees ring slots).
  uint32_t tx_completed(int ring, Time t) const;
  void tx_clean(int ring, uint32_t n);

  // Frames the NIC holds: in TX batches, the packet buffer and MAC queue are counted by the
  // MAC and here; in RX rings until the driver takes them.
  uint64_t frames_held() const;

 private:
  struct RxQueue {
    RxRing<RxDescriptor> ring;
    Counter* delivered;
    Counter* dropped;
    int vcd;
    explicit RxQueue(uint32_t size) : ring(size) {}
  };
  struct TxQueue {
    TxRing<TxDescriptor> ring;
    uint32_t in_use = 0;       // posted and not yet cleaned by the driver
    uint32_t doorbelled = 0;   // announced by doorbells that have arrived, not yet fetched
    std::deque<std::pair<Time, uint32_t>> completions;  // (visible at, count), not yet cleaned
    Counter* frames;
    explicit TxQueue(uint32_t size) : ring(size) {}
  };
  struct TxBatch {
    Time done{};               // descriptors in (frames_read false), then frames in
    int ring = 0;
    uint32_t descriptors = 0;
    bool frames_read = false;  // the frame reads have been issued
    int64_t reserved = 0;      // packet-buffer bytes held for the batch until its frames are read
    std::vector<TxDescriptor> fetched;
    std::vector<Frame*> frames;  // after segmentation: what goes to the MAC
  };
  struct RegisterWrite {
    Time arrival{};
    uint64_t offset = 0;
    uint64_t value = 0;
  };
  struct Vector {
    InterruptModerator moderator;
    sc_core::sc_event timer;
    Time last_completion{};
    bool raise_pending = false;  // decided, the MSI-X write goes out at raise_at
    Time raise_at{};
    explicit Vector(const ModerationParams& m) : moderator(m) {}
  };

  void receive(Packet& p);
  void deliver(uint16_t ring, const Packet& p);
  Time dma_transfer(tlm::tlm_command cmd, uint64_t address, uint32_t bytes, Time issue, uint8_t* data = nullptr);
  void completion(int vector, Time at);
  void moderation_timer(int vector);
  void raise(int vector);  // the MSI-X write, now
  void register_write(uint64_t offset, uint64_t value, Time arrival);
  void registers_due();
  void apply_register(const RegisterWrite& w);
  void tx_engine();
  bool start_batch();
  void read_frames(TxBatch& b);
  void finish_batch(TxBatch& b);
  void buffer_freed(const Packet& p);

  SimContext& ctx_;
  NicParams p_;
  NicMemoryMap map_;
  Logger log_;
  std::string stat_name_;
  int64_t max_frame_bytes_;
  Classifier classifier_;
  std::vector<std::unique_ptr<RxQueue>> rx_;
  std::vector<std::unique_ptr<TxQueue>> tx_;
  std::vector<std::unique_ptr<Vector>> vectors_;
  std::deque<RegisterWrite> register_writes_;  // interrupt unmasks on their way
  std::deque<RegisterWrite> doorbells_;        // TX doorbells on their way
  sc_core::sc_event register_due_;
  std::deque<TxBatch> batches_;
  std::vector<Packet> segments_scratch_;
  int next_tx_ring_ = 0;
  int64_t tx_buffer_used_ = 0;
  bool stalled_on_buffer_ = false;
  sc_core::sc_event tx_wake_;
  tlm::tlm_generic_payload gp_;
  uint32_t msi_data_ = 0;  // the MSI-X message data: the vector

  Counter& rx_frames_;
  Counter& rx_dropped_rule_;
  Counter& rx_dropped_ring_;
  Counter& rx_mirrored_;
  Counter& tx_descriptors_;
  Counter& tx_frames_;
  Counter& tx_segments_;
  Counter& tx_tso_frames_;
  Counter& tx_dropped_oversize_;
  Counter& tx_batches_;
  Counter& interrupts_;
  Counter& register_writes_count_;
  int vcd_tx_buffer_;
};

}  // namespace hostwire::nic
