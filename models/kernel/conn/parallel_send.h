// Parallel send (mechanism A): one conn's new data partitioned into chunks, each prepared and
// sent by a processing element (PE, a core) of its own, in parallel. No shipped stack does this
// (Linux binds a conn's processing to one core); the model answers when one fat flow needs more
// than one core and what splitting it costs.
//
// The conn runs in piece mode (kernel/tcp send_path.h): its own engine keeps ACK processing,
// retransmissions, timers, window probes and the bare FIN on the conn's core. New data leaves
// only as chunks:
//  - serial step, on the conn's core: a `reserve` item takes the next chunk's sequence range
//    from the send path (as much as the windows allow, up to `chunk` bytes, in order) and hands
//    it to a PE, picked round-robin or least loaded. It is the only serial step of new data. A
//    PE on another core pays kernel.handover to take the chunk (the IPI and its queue).
//  - each PE, on its own core at softirq level: copies the chunk from the user's pages (the
//    write pinned them, as MSG_ZEROCOPY does, so the system call itself copies nothing), sums it
//    unless the NIC offloads checksums, builds each segment's headers (TCP and IP output, the
//    driver's descriptor) and posts them: one frame per MSS, or a TSO super-frame per chunk.
//  - order `free`: a PE posts to its own core's TX queue and ring at once; rings drain
//    independently, so chunks may leave out of sequence order (the NIC counts it:
//    <host>.nic.tx_reordered_segments) and the receiver sees reordering.
//    Order `doorbell`: a chunk's frames go to the conn's ring only after the previous chunk's
//    (one ring drains in order, so the wire order is the sequence order); a chunk finished early
//    waits, and a PE on another core pays `ring_lock` for the queue's lock and tail.
// TCP small queues hold back the serial step on what was posted (the frames below the conn), as
// for the ordinary path; what the PEs hold is bounded by `queue` chunks each. The whole feature
// has one switch, `tcp.parallel.pes` (0: the ordinary send path).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/params.h"
#include "core/stats.h"
#include "core/units.h"
#include "kernel/conn/conn.h"
#include "kernel/tcp/send_path.h"

namespace hostwire::kernel {

class TcpStack;

// Registered under "<host>.tcp.parallel.".
struct ParallelParams {
  int64_t pes = 0;
  Bytes chunk{64 * 1024};
  int64_t first_core = -1;
  std::string assign = "round_robin";
  std::string order = "free";
  int64_t queue = 2;
  Cycles reserve{400};
  Cycles ring_lock{300};

  template <class V>
  void visit(V& v) {
    v(pes, "pes", "processing elements (count) that prepare and send one conn's new data in parallel; 0: off, "
      "the ordinary single-core send path", Limits::range(0, 1024));
    v(chunk, "chunk", "bytes of sequence space a PE prepares at once (rounded down to whole MSS)",
      Limits::range(1, 1LL << 30));
    v(queue, "queue", "chunks (count) a PE may hold, the one it prepares included; the serial step waits for "
      "room", Limits::range(1, 1024));
    v(first_core, "first_core", "PE i runs on core (first_core + i) mod cores; -1: the conn's own core is PE 0",
      Limits::range(-1, 1023));
    v.choice(assign, "assign", "which PE gets the next chunk: in turn, or the one with the fewest bytes in hand",
             {"round_robin", "least_loaded"});
    v.choice(order, "order", "free: a PE posts to its own TX ring at once (chunks may leave out of order); "
             "doorbell: a chunk goes to the conn's ring only after the previous one (wire order = sequence order)",
             {"free", "doorbell"});
    v(reserve, "reserve", "the serial step per chunk on the conn's core: reserve its sequence range and queue it "
      "to a PE (a PE on another core also pays kernel.handover to take it), cycles");
    v(ring_lock, "ring_lock", "order doorbell: a PE on another core takes the conn's TX queue lock and tail "
      "(cache lines from the conn's core), per chunk, cycles");
  }
};

// The stack's parallel send path: per conn, the chunks under way; per PE, what it did.
class ParallelSend {
 public:
  ParallelSend(TcpStack& stack, const ParallelParams& p);

  bool on() const { return p_.pes > 0; }
  const ParallelParams& params() const { return p_; }
  // New data may be able to leave (a write, an ACK, a timer, TX completions): start the serial
  // step if the windows and TCP small queues allow a chunk and none is being reserved.
  void pump(Conn& c);

 private:
  struct Chunk {
    uint64_t id = 0;
    int pe = 0;
    uint64_t bytes = 0;
    std::vector<tcp::SendPiece> pieces;
    std::vector<tcp::Segment> segments;  // built by the PE, waiting for their turn (doorbell)
    bool prepared = false;
    Time reserved_at{};
  };
  struct ConnState {
    bool reserving = false;
    uint64_t next_id = 0;
    std::deque<Chunk> posting;  // doorbell: chunks in sequence order until posted
  };
  struct Pe {
    int core = 0;
    uint64_t in_hand = 0;  // bytes assigned, not yet prepared
    int64_t chunks_in_hand = 0;
    Counter* chunks = nullptr;
    Counter* bytes = nullptr;
    Counter* cycles = nullptr;
    int track = -1;  // its chunks on the timeline
  };

  int core_of(const Conn& c, int pe) const;
  bool worth_a_chunk(Conn& c) const;  // and tells congestion control whether cwnd holds the chunk back
  void reserve(Conn& c);
  int pick(const Conn& c);  // -1: every PE holds `queue` chunks
  int64_t prep_cycles(const Conn& c, const Chunk& k, int core) const;
  void prepared(Conn& c, Chunk k);
  void post(Conn& c, Chunk& k, int core);
  uint64_t chunk_bytes(const Conn& c) const;

  TcpStack& stack_;
  ParallelParams p_;
  std::unordered_map<uint64_t, ConnState> conns_;
  std::vector<Pe> pes_;
  int next_pe_ = 0;
  Counter* chunks_ = nullptr;
  Counter* chunk_bytes_ = nullptr;
  Counter* serial_cycles_ = nullptr;
  Counter* prep_cycles_ = nullptr;
  Counter* stale_ = nullptr;
  Counter* waited_ = nullptr;
};

}  // namespace hostwire::kernel
