// The host's half of TCP offload (mechanism D; the NIC's half is toe/engine.h). An established
// conn whose application left at least `nic.toe.min_block` unsent bytes is handed to the engine:
// the host posts an offload descriptor (the conn's TCP as the engine will run it, and where its
// data sits in host memory) and the conn enters the `offloaded` state. There:
//  - its TCP on the host is stale and untouched: no output (piece mode), no timers, no ACKs
//    (the NIC steers them to the engine; one that reached the host first is forwarded);
//  - what the application writes goes into the conn's buffer as always, and each new block
//    is chained to the engine by address and length (another descriptor), so the pipe stays
//    full; the engine's progress completions free the acknowledged bytes, which wakes writers;
//  - any other segment (data, FIN, RST from the peer) or the application's close asks for
//    the conn back, and the segment waits for it.
// A hand-back completion carries the engine's send state: restore() makes it the host's, the
// conn returns to its data state, what waited is processed, and host TCP goes on from exactly
// there (fast retransmit after a duplicate ACK, the RTO, more data). The time from the duplicate
// ACK to the host's first retransmission is measured.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "core/sim.h"
#include "core/stats.h"
#include "core/units.h"
#include "kernel/conn/conn.h"
#include "kernel/conn/event_list.h"
#include "toe/engine.h"

namespace hostwire::kernel {

class TcpStack;

class OffloadHost {
 public:
  // `engine` may be null (no offload engine on this host's NIC).
  OffloadHost(TcpStack& stack, toe::OffloadEngine* engine, const toe::ToeParams& params, Cycles post,
              Cycles completion);

  bool on() const { return engine_ != nullptr; }
  // The NIC holds the conn's send state: the host's TCP timers do not run.
  bool offloaded(const Conn& c) const {
    auto it = states_.find(c.id);
    return it != states_.end() && it->second.offloaded;
  }
  // After an application call or output on `c`: offload it, or chain what it wrote since.
  void after_call(Conn& c);
  // The application closes or aborts: true when the conn is offloaded and the call waits for it.
  bool defer_close(Conn& c, bool abort);
  // The engine's completion (the NIC wrote it to host memory and interrupted).
  void completion(toe::Completion done);
  // A segment emitted by the host's TCP: the first retransmission after a duplicate-ACK
  // hand-back ends the recovery-time measurement.
  void emitted(Conn& c, const tcp::Segment& s);

 private:
  struct State {  // per conn, while offloaded or just handed back
    Conn* conn = nullptr;        // set once the conn was posted: completions name it by id
    bool offloaded = false;
    bool posting = false;        // an offload post is on its way through the conn's core
    bool leaving = false;        // the host asked for the conn back
    uint64_t posted_end = 0;     // stream position after the last byte given to the engine
    std::deque<Input> waiting;   // segments for the host's TCP, once the conn is back
    int close = 0;               // 1 close, 2 abort, once back
    std::optional<Time> duplicate_ack_at;
    uint64_t hold_until = 0;     // after a duplicate ACK or a timer: the host keeps the conn until SND.UNA passes this
  };
  static Verdict offloaded_input(TcpStack& stack, Conn& c, Input& in);
  bool eligible(const Conn& c);
  void post(Conn& c);
  void chain(Conn& c);
  void ask_back(Conn& c);
  void take_back(Conn& c, toe::Completion& done);
  State& state(const Conn& c) { return states_[c.id]; }

  TcpStack& stack_;
  toe::OffloadEngine* engine_;
  toe::ToeParams p_;
  Cycles post_, completion_;
  EventList offloaded_;
  std::unordered_map<uint64_t, State> states_;
  Counter* posts_ = nullptr;
  Counter* chains_ = nullptr;
  Counter* completions_ = nullptr;
  Counter* hand_backs_ = nullptr;
  Counter* forwarded_ = nullptr;
  Counter* restore_failed_ = nullptr;
  Histogram* recovery_ = nullptr;
};

}  // namespace hostwire::kernel
