// One host core as a processing element: it runs one work item at a time from a run queue per
// priority level, and higher levels preempt lower ones (an interrupt stops a softirq or a
// thread, which resumes afterwards with exactly the time it still needed).
//
// Timing is occupancy, not ticking: the core knows when the running item completes and one
// event is notified for that instant, so an item costs one process activation; a preemption
// cancels the event and notifies it again for the new item.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <vector>
#include <string>

#include <systemc>

#include "core/log.h"
#include "core/sim.h"
#include "cpu/params.h"
#include "cpu/work_item.h"

namespace hostwire::cpu {

class Core : public sc_core::sc_module {
 public:
  // `stat_name` names the core in reports, waveforms and logs, e.g. "host_b.cpu.core2"
  // (a trailing dot is dropped).
  Core(sc_core::sc_module_name name, SimContext& ctx, const CpuParams& params, int index,
       const std::string& stat_name);

  // Queues the item behind others of its priority; it starts at once on an idle core, and
  // preempts a running item of a lower priority.
  void submit(WorkItem item);
  // An interrupt: item.cycles plus costs.interrupt_entry at irq priority. It preempts whatever
  // softirq or thread runs; behind a running interrupt it waits its turn (interrupts nest no deeper).
  void raise_interrupt(WorkItem item);
  // From inside the finishing item's done(): the packets (or stream ids) it worked on, whose
  // arrows pass through its slice on the timeline; `link`: an id whose arrow fans out to the
  // slice (a send's bytes to the segment carrying them). Callers check recording() first.
  void trace_packet(uint64_t id) {
    if (finishing_) trace_packets_.push_back(id);
  }
  void trace_link(uint64_t id) {
    if (finishing_) trace_links_.push_back(id);
  }

  bool idle() const { return !running_ && queued_ == 0; }
  size_t queued() const { return queued_; }  // waiting or preempted, not the running item
  Time busy_time() const;                    // until now, with the running item's elapsed part
  Frequency clock() const { return clock_; }
  Time time_for(int64_t cycles) const { return clock_.time_for_cycles(cycles); }
  uint64_t items_done() const { return items_done_; }
  uint64_t cycles() const;            // charged so far (<stat_name>.cycles)
  uint64_t context_switches() const;  // <stat_name>.context_switches
  int index() const { return index_; }
  const CostTable& costs() const { return costs_; }
  const std::string& stat_name() const { return stat_name_; }

 private:
  struct Slot {
    WorkItem item;
    int64_t remaining_ps = -1;  // time still needed by a preempted item; -1: not started yet
  };
  static int level(Priority p) { return static_cast<int>(p); }  // 0 is the highest

  void complete();    // SC_METHOD: the running item's completion time has come
  void start_next();  // runs the highest-priority waiting item, if the core is free
  void preempt();
  void end_segment(Time t);
  void trace_slice(const WorkItem& item, Time start, Time end);  // the running item leaves the core at t: busy time, timeline
  void record_state(Time t, uint64_t priority_code);

  SimContext& ctx_;
  CostTable costs_;
  Frequency clock_;
  int index_;
  std::string stat_name_;
  Logger log_;

  std::array<std::deque<Slot>, kPriorities> queues_;
  size_t queued_ = 0;
  Slot current_;
  bool running_ = false;
  bool finishing_ = false;  // inside a done() callback: submissions only queue
  int context_ = -1;        // the thread whose state the core holds (-1: none yet)
  Time segment_start_{};    // when the running item (re)started
  Time finish_at_{};
  int64_t busy_ps_ = 0;     // finished segments
  uint64_t items_done_ = 0;
  sc_core::sc_event finish_event_;

  int vcd_busy_;      // 1 while an item runs
  int vcd_priority_;  // 0 idle, 1 task, 2 softirq, 3 irq
  int trace_track_;   // timeline: a slice per item per stretch it ran
  std::vector<uint64_t> trace_packets_, trace_links_;  // what the finishing item's done() reported

  Counter& submitted_;
  std::array<Counter*, kPriorities> items_;
  Counter& cycles_;
  Counter& interrupts_;
  Counter& context_switches_;
  Counter& preemptions_;
};

}  // namespace hostwire::cpu
