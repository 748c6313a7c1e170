// Per-packet timelines in the Chrome trace-event JSON format, which ui.perfetto.dev and
// chrome://tracing open: a track per stage (a MAC's transmit queue, a link direction, a MAC's
// receive side, later cores and rings), a slice per packet per stage, flow arrows joining one
// packet's slices across stages, and counter tracks.
//
// Bounded: only packets in the time window, only every Nth packet, and at most max_events
// events; past the limit the writer stops recording and says so, and the file stays valid JSON.
// Plain C++ (no SystemC); a model asks recording(packet) before building anything.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/units.h"

namespace hostwire {

struct TraceLimits {
  Time start{};               // events before this are dropped
  Time stop{};                // and after this (0: no end)
  int64_t packet_sample = 1;  // trace every Nth packet (by id) or every Nth flow (by flow key)
  bool by_flow = false;       // sample flows: every packet of every Nth conn / workload flow
  int64_t max_events = 1'000'000;
};

class TraceEventWriter {
 public:
  TraceEventWriter() = default;
  ~TraceEventWriter();
  TraceEventWriter(const TraceEventWriter&) = delete;
  TraceEventWriter& operator=(const TraceEventWriter&) = delete;

  bool open(const std::string& path, const TraceLimits& limits, std::string& error);
  bool is_open() const { return file_ != nullptr; }
  // Worth recording this packet now? (open, sampled, inside the window, below the limit)
  bool recording(uint64_t packet_id, Time at) const {
    return file_ && !full_ && sampled(packet_id) && in_window(at);
  }
  bool recording(Time at) const { return file_ && !full_ && in_window(at); }

  // Where a packet (or a send's bytes) comes into being, with the key of the conn or workload
  // flow it belongs to: sampling by flow keeps it when the key is a multiple of N. Sampling by
  // packet ignores the key. A TSO segment inherits its super-frame's admission.
  void admit(uint64_t id, uint64_t flow_key) {
    if (file_ && limits_.by_flow && flow_key % static_cast<uint64_t>(limits_.packet_sample) == 0) admitted_.insert(id);
  }
  void inherit(uint64_t parent, uint64_t child) {
    if (file_ && limits_.by_flow && admitted_.count(parent)) admitted_.insert(child);
  }
  // An id for a byte-stream stage (a send()'s bytes before any segment carries them); its own
  // space, so packet ids (and everything counted from them) do not move when tracing is on.
  uint64_t stream_id() { return kStreamIds + ++streams_; }
  static constexpr uint64_t kStreamIds = uint64_t{1} << 48;

  // A track is a (process, thread) pair in the viewer: "link0" / "a_to_b".
  int track(const std::string& process, const std::string& thread);

  // A slice of a packet's life on a track, in category `cat` (the layer: "tcp", "nic", "wire").
  // Flow::join puts it on the packet's arrow: the packet's first slice starts the arrow and
  // each later one continues it from the one before (v1 flow events "s" then "t", id = the
  // packet's id). Flow::none leaves it off. Slices that overlap on a track go to lanes of it
  // ("rx ring", "rx ring #2"), as the viewer nests a track's slices and would drop overlaps.
  enum class Flow { none, join };
  void slice(int track, const char* name, const char* cat, Time start, Time duration, uint64_t packet_id, Flow flow);
  // A slice of work for several packets at once (a NAPI poll, a batch of segments, a recv()):
  // every id in `packets` joins its arrow here; `links` are ids whose arrows fan out to this
  // slice without moving on (a send's bytes to each segment that carries them, a TSO
  // super-frame to its segments), as Perfetto draws one arrow per "f" event of an id.
  void slice(int track, const char* name, const char* cat, Time start, Time duration, uint64_t packet_id,
             const std::vector<uint64_t>& packets, const std::vector<uint64_t>& links);
  void instant(int track, const char* name, const char* cat, Time at, uint64_t packet_id);
  void counter(int track, const char* name, Time at, double value);
  // A slice that is not a packet's (a request, a transaction): category `cat` and `args`, the
  // members of its args object as JSON text ("\"uri\":\"/obj/3\",\"preempt\":true").
  void slice(int track, const char* name, const char* cat, Time start, Time duration, const std::string& args);

  bool close();  // writes the closing brackets; false on an I/O error
  uint64_t events() const { return events_ - metadata_; }  // recorded, metadata aside
  bool truncated() const { return full_; }

 private:
  bool sampled(uint64_t id) const {
    return limits_.by_flow ? admitted_.count(id) != 0 : id % static_cast<uint64_t>(limits_.packet_sample) == 0;
  }
  int lane(int track, Time start, Time duration);
  void bind(int track, uint64_t id, Time at, bool fan_out);
  void write_args(uint64_t packet_id);
  bool in_window(Time at) const { return at >= limits_.start && (limits_.stop.ps == 0 || at <= limits_.stop); }
  bool reserve();      // counts an event; false when the limit is hit
  void separator();
  bool begin_event();  // counts the event, writes the separator; false when the limit is hit
  void write_flows();
  void write_ts(const char* key, Time t);
  void write_process_name(int pid, const std::string& name);
  void write_thread_name(int pid, int tid, const std::string& name);

  std::FILE* file_ = nullptr;
  std::unique_ptr<char[]> buffer_;
  TraceLimits limits_;
  bool full_ = false;
  bool io_error_ = false;
  uint64_t events_ = 0;    // every object written, metadata included
  uint64_t metadata_ = 0;  // track names written at open
  std::map<std::string, int> pids_;
  std::map<std::pair<int, std::string>, int> tracks_;  // (pid, thread) -> tid
  std::map<int, int> pid_of_track_;
  std::unordered_set<uint64_t> admitted_;  // by flow: the ids sampled
  // Flow events wait until close: the viewer reads the file in timestamp order, and an arrow
  // must start ("s") at an id's earliest slice, which is not always the first one written (a
  // core's slice is written when its work ends, after the stages that work started).
  struct Binding {
    int64_t ts;
    int tid;
    bool fan_out;  // "f": an arrow from the id's slice before this one, without moving on
  };
  std::unordered_map<uint64_t, std::vector<Binding>> bindings_;
  std::vector<uint64_t> flow_order_;  // ids in the order first bound: a deterministic file
  uint64_t written_ = 0;              // objects in the file (separators)
  uint64_t streams_ = 0;
  struct Lanes {
    std::vector<int> tids;      // lane 0 is the track itself
    std::vector<int64_t> ends;  // where each lane's last slice ends (ps)
  };
  std::map<int, Lanes> lanes_;
  std::map<int, std::pair<std::string, std::string>> names_;  // tid -> (process, thread)
};

}  // namespace hostwire
