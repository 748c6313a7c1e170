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

#include "core/units.h"

namespace hostwire {

struct TraceLimits {
  Time start{};               // events before this are dropped
  Time stop{};                // and after this (0: no end)
  int64_t packet_sample = 1;  // trace packets whose id is a multiple of this
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
    return file_ && !full_ && packet_id % static_cast<uint64_t>(limits_.packet_sample) == 0 && in_window(at);
  }
  bool recording(Time at) const { return file_ && !full_ && in_window(at); }

  // A track is a (process, thread) pair in the viewer: "link0" / "a_to_b".
  int track(const std::string& process, const std::string& thread);

  // A slice of a packet's life on a track; flow: first stage starts the arrow, later stages
  // continue it, the last ends it (all with id = the packet's id).
  enum class Flow { none, begin, step, end };
  void slice(int track, const char* name, Time start, Time duration, uint64_t packet_id, Flow flow);
  void instant(int track, const char* name, Time at, uint64_t packet_id);
  void counter(int track, const char* name, Time at, double value);
  // A slice that is not a packet's (a request, a transaction): category `cat` and `args`, the
  // members of its args object as JSON text ("\"uri\":\"/obj/3\",\"preempt\":true").
  void slice(int track, const char* name, const char* cat, Time start, Time duration, const std::string& args);

  bool close();  // writes the closing brackets; false on an I/O error
  uint64_t events() const { return events_ - metadata_; }  // recorded, metadata aside
  bool truncated() const { return full_; }

 private:
  bool in_window(Time at) const { return at >= limits_.start && (limits_.stop.ps == 0 || at <= limits_.stop); }
  bool begin_event();  // counts the event, writes the separator; false when the limit is hit
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
};

}  // namespace hostwire
