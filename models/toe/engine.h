// The TCP offload engine (mechanism D): host TCP hands the NIC a conn's send state and blocks
// of stream data by address and length; the engine cuts them into MSS segments with sequence
// numbers, timestamps and checksums, sends within min(cwnd, the peer's window), and takes the
// conn's ACKs itself (the NIC steers them here, not to a host ring). As long as every ACK
// moves SND.UNA forward it keeps sending until its data is gone; on a duplicate ACK, a timer
// (RTO, persist), a segment from the peer that is more than an ACK, an empty buffer or the
// host's request it writes the send state back and raises a completion, and host TCP resumes
// from exactly that state.
//
// The engine runs the same plain-C++ TCP as the host (kernel/tcp, a copy of the conn from
// tcp::Connection::offload_copy()), on its own embedded processor (`clock`, `segment_cycles`,
// `ack_cycles`, one piece of work at a time), with its own memory (`memory`: each conn's state
// and the data it sent and has not seen acknowledged; full memory holds new data back, it
// never loses any) and a table of `max_conns`. Data is read from host memory over the NIC's
// DMA port as segments are built, so it shares the bus for real; frames go out through the
// NIC's transmit packet buffer beside the host's own.
//
// The SystemC shell here is wired by the platform to a NIC (nic/nic.h: its DMA port, transmit
// engine and receive-side steering) and to the host's TCP (kernel/conn/tcp_stack.h), whose
// posts arrive through the functions below and whose completions leave through on_completion.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include <systemc>

#include "core/packet.h"
#include "core/sim.h"
#include "core/stats.h"
#include "kernel/tcp/connection.h"
#include "net/address.h"
#include "net/tcp.h"
#include "nic/dma.h"
#include "nic/tx_engine.h"
#include "toe/params.h"

namespace hostwire::toe {

// A conn the host offloads: its TCP (the engine's copy) and what its frames carry.
struct OffloadRequest {
  uint64_t conn = 0;  // the host's conn id
  std::unique_ptr<tcp::Connection> tcp;
  net::MacAddress src_mac{}, dst_mac{};
  net::Ipv4Address src_ip, dst_ip;
  uint16_t local_port = 0, remote_port = 0;
  uint16_t ip_id = 0;  // the next IPv4 id of the conn's frames
};

// What the engine takes from the peer: an ACK and nothing more (no data, FIN, RST or SYN).
inline bool only_acknowledges(const tcp::Segment& s) {
  return s.payload.length == 0 && (s.header.flags & ~(net::tcp_flag::ack | net::tcp_flag::psh)) == 0;
}

enum class HandBackReason { duplicate_ack, empty, timer, peer_segment, host };
const char* hand_back_reason_name(HandBackReason r);

// What the engine tells the host: progress (bytes below `acked` are acknowledged, free them)
// or the conn handed back with its send state.
struct Completion {
  uint64_t conn = 0;
  bool hand_back = false;
  uint64_t acked = 0;  // SND.UNA as a stream position
  HandBackReason reason = HandBackReason::empty;
  std::optional<tcp::SendState> state;
  uint16_t ip_id = 0;
  std::deque<tcp::Segment> returned;  // ACKs that reached the engine after it decided: the host's, in order
  std::optional<Time> duplicate_ack_at;
};

class OffloadEngine : public sc_core::sc_module {
 public:
  // `tx_buffers`: where the host's send buffers sit in host memory (the DMA reads' addresses).
  OffloadEngine(sc_core::sc_module_name name, SimContext& ctx, const ToeParams& params, nic::DmaPort& dma,
                nic::TxEngine& tx, uint64_t tx_buffers, const std::string& stat_name);

  // --- the host's posts (descriptors the engine reads from host memory) ---
  // False when the table is full or memory cannot hold the state: the conn stays on the host.
  bool offload(OffloadRequest r);
  // More stream bytes for an offloaded conn (the host chains the next block).
  void chain(uint64_t conn, const PayloadSlice& data);
  // A segment the host received for the conn before the NIC steered its ACKs here.
  void segment_from_host(uint64_t conn, const tcp::Segment& s);
  // The host wants the conn back (the application closes or aborts).
  void request_hand_back(uint64_t conn);
  // The engine has the conn and is not handing it back.
  bool holds(uint64_t conn) const {
    auto it = conns_.find(conn);
    return it != conns_.end() && !it->second->leaving;
  }

  // --- the NIC's side ---
  // A received frame: true when it is an offloaded conn's and the engine took it.
  bool steer(const Packet& p);
  // The transmit packet buffer freed room (a frame started on the wire).
  void tx_space();

  std::function<void(Completion)> on_completion;

  uint64_t conns() const { return conns_.size(); }
  int64_t memory_used() const { return memory_used_; }

 private:
  struct Offloaded {
    uint64_t id = 0;
    std::unique_ptr<tcp::Connection> tcp;
    net::MacAddress src_mac{}, dst_mac{};
    net::Ipv4Address src_ip, dst_ip;
    uint16_t ip_id = 0;
    uint16_t local_port = 0, remote_port = 0;
    uint64_t reported = 0;    // SND.UNA last told to the host
    int64_t held = 0;         // NIC memory: state + sent, unacknowledged data
    int64_t admitted = 0;     // new data the gate let out since `held` was last counted
    bool ready = false;       // its state has arrived by DMA
    bool leaving = false;     // hand-back decided; its completion is on the way
    std::deque<tcp::Segment> late;  // ACKs taken before the decision and processed after it
    int64_t in_transit = 0;   // segments built or being read, not yet in the MAC's queue
    bool paced = false;       // new data held back by build_ahead: push it when the queue drains
    std::function<void()> after_transit;  // the hand-back completion, once they all are
    std::optional<Time> timer_at;
  };
  struct Key {
    uint32_t peer;
    uint16_t local_port, remote_port;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      return (uint64_t{k.peer} << 32 | uint64_t{k.local_port} << 16 | k.remote_port) * 0x9E3779B97F4A7C15ULL >> 16;
    }
  };

  // The embedded processor: `cycles` of work after what it is doing, then `done`.
  void compute(Cycles cycles, std::function<void()> done);
  void at(Time t, std::function<void()> f);
  void fire();
  void on_ack(Offloaded& c, const tcp::Segment& s);
  // Segments the conn's TCP emitted: each built on the processor, its payload read by DMA,
  // then to the MAC.
  void drain_output(Offloaded& c);
  void transmit(Frame* f, uint64_t conn);
  void queued(uint64_t conn, int64_t bytes);  // a frame of `conn` entered the MAC's queue
  void account(Offloaded& c);
  void arm_timer(Offloaded& c);
  void hand_back(Offloaded& c, HandBackReason why, std::optional<Time> dup_at = std::nullopt);
  void take(Offloaded& c, const tcp::Segment& s);  // an ACK on the processor
  void report_progress(Offloaded& c);
  // `bytes` written to host memory (a progress note, or the handed-back state), then the
  // completion; a hand-back's conn leaves the table when it lands.
  void complete(Completion done, uint32_t bytes);
  void trace_memory();

  SimContext& ctx_;
  ToeParams p_;
  nic::DmaPort& dma_;
  nic::TxEngine& tx_;
  uint64_t tx_buffers_;
  std::string name_;
  std::unordered_map<uint64_t, std::unique_ptr<Offloaded>> conns_;
  std::unordered_map<Key, Offloaded*, KeyHash> by_key_;
  int64_t memory_used_ = 0;
  Time busy_until_{};
  std::multimap<Time, std::function<void()>> pending_;
  sc_core::sc_event wake_;
  std::deque<std::pair<Frame*, uint64_t>> blocked_;  // frames (and their conn) waiting for buffer room, in order
  int64_t ahead_bytes_ = 0;  // bytes of segments emitted and not yet in the MAC's queue

  Counter& offloads_;
  Counter& refused_table_;
  Counter& refused_memory_;
  Counter& acks_in_;
  Counter& segments_out_;
  Counter& retransmits_;
  Counter& bytes_out_;
  Counter& dma_bytes_;
  Counter& busy_ps_;
  Counter& memory_stalls_;
  Counter& paced_;
  Counter& progress_;
  std::map<HandBackReason, Counter*> hand_backs_;
  Gauge& memory_peak_;
  int vcd_busy_ = -1, vcd_outstanding_ = -1;
};

}  // namespace hostwire::toe
