#include "cpu/core.h"

#include <cassert>
#include <utility>

namespace hostwire::cpu {

namespace {

std::string without_trailing_dot(std::string s) {
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

// Waveform code of what runs, an index into the priority names (idle, task, softirq, irq).
uint64_t priority_code(Priority p) { return static_cast<uint64_t>(kPriorities - static_cast<int>(p)); }

}  // namespace

Core::Core(sc_core::sc_module_name name, SimContext& ctx, const CpuParams& params, int index,
           const std::string& stat_name)
    : sc_module(name),
      ctx_(ctx),
      costs_(params.costs),
      clock_(params.clock),
      index_(index),
      stat_name_(without_trailing_dot(stat_name)),
      log_(stat_name_),
      submitted_(ctx.stats().counter(stat_name_ + ".items_submitted", "items", "work items submitted to the core")),
      cycles_(ctx.stats().counter(stat_name_ + ".cycles", "cycles",
                                  "cycles charged to started items, interrupt entries and context switches included")),
      interrupts_(ctx.stats().counter(stat_name_ + ".interrupts", "interrupts", "hardware interrupts raised on the core")),
      context_switches_(ctx.stats().counter(stat_name_ + ".context_switches", "switches",
                                            "switches between two different thread contexts")),
      preemptions_(ctx.stats().counter(stat_name_ + ".preemptions", "items",
                                       "times a running item was stopped for a higher priority")) {
  auto& st = ctx.stats();
  for (Priority p : {Priority::irq, Priority::softirq, Priority::task})
    items_[level(p)] = &st.counter(stat_name_ + ".items_" + to_string(p), "items",
                                   std::string("work items completed at ") + to_string(p) + " priority");
  st.formula(stat_name_ + ".busy_time", "ps", "time the core ran work items", [this] {
    return static_cast<double>(busy_time().ps);
  });
  st.formula(stat_name_ + ".utilisation", "1", "fraction of simulated time the core was busy", [this] {
    const int64_t t = hostwire::now().ps;
    return t > 0 ? static_cast<double>(busy_time().ps) / static_cast<double>(t) : 0.0;
  });
  // Fraction of the last sampling interval the core was busy: the probe keeps the busy time it
  // saw last and starts from there next time.
  st.series(stat_name_ + ".utilisation", "1", [this, last_busy = int64_t{0}, last_t = int64_t{0}]() mutable {
    const int64_t t = hostwire::now().ps, busy = busy_time().ps;
    const double u = t > last_t ? static_cast<double>(busy - last_busy) / static_cast<double>(t - last_t) : 0.0;
    last_busy = busy, last_t = t;
    return u;
  });

  vcd_busy_ = ctx.vcd().wire(stat_name_ + ".running");
  vcd_priority_ = ctx.vcd().enumeration(stat_name_ + ".priority", {"idle", "task", "softirq", "irq"});
  const auto dot = stat_name_.rfind('.');
  trace_track_ = dot == std::string::npos ? ctx.trace().track(stat_name_, "core")
                                          : ctx.trace().track(stat_name_.substr(0, dot), stat_name_.substr(dot + 1));

  SC_HAS_PROCESS(Core);
  SC_METHOD(complete);
  sensitive << finish_event_;
  dont_initialize();

  ctx.add_invariant([this] {
    uint64_t done = 0;
    for (const Counter* c : items_) done += c->value();
    const uint64_t in = submitted_.value(), running = running_ ? 1 : 0;
    if (in == done + queued_ + running) return std::string();
    return fmt::format("{}: submitted {} != completed {} + queued {} + running {}", stat_name_, in, done, queued_,
                       running);
  });
}

void Core::raise_interrupt(WorkItem item) {
  interrupts_.add();
  item.cycles += costs_.interrupt_entry.n;
  item.priority = Priority::irq;
  submit(std::move(item));
}

void Core::submit(WorkItem item) {
  assert(item.cycles >= 0);
  submitted_.add();
  const int l = level(item.priority);
  queues_[l].push_back(Slot{std::move(item), -1});
  ++queued_;
  if (finishing_) return;  // complete() starts the most urgent item once done() returns
  if (!running_) {
    start_next();
  } else if (l < level(current_.item.priority)) {
    preempt();
  }
}

void Core::preempt() {
  const Time t = hostwire::now();
  const int64_t remaining = finish_at_.ps - t.ps;
  // Completing at this very instant: its completion is already due, and complete() then
  // starts the more urgent item; stopping it would only add a zero-length resume.
  if (remaining <= 0) return;
  end_segment(t);
  preemptions_.add();
  HW_LOG(log_, debug, "{} '{}' preempted, {} ps left", to_string(current_.item.priority), current_.item.kind,
         remaining);
  current_.remaining_ps = remaining;
  // The stopped item resumes before later work of its level: it had started first.
  queues_[level(current_.item.priority)].push_front(std::move(current_));
  ++queued_;
  running_ = false;
  finish_event_.cancel();
  start_next();
}

void Core::start_next() {
  if (running_) return;
  int l = 0;
  while (l < kPriorities && queues_[l].empty()) ++l;
  const Time t = hostwire::now();
  if (l == kPriorities) {
    record_state(t, 0);
    return;
  }
  current_ = std::move(queues_[l].front());
  queues_[l].pop_front();
  --queued_;
  WorkItem& item = current_.item;

  int64_t switch_cycles = 0;
  if (item.context >= 0) {
    if (context_ >= 0 && item.context != context_) {
      switch_cycles = costs_.context_switch.n;
      context_switches_.add();
    }
    context_ = item.context;
  }
  int64_t remaining;
  const bool first_start = current_.remaining_ps < 0;
  if (first_start) {
    // Charged as one sum of cycles, so the rounding to the picosecond happens once.
    remaining = time_for(item.cycles + switch_cycles).ps;
    cycles_.add(static_cast<uint64_t>(item.cycles + switch_cycles));
  } else {
    remaining = current_.remaining_ps + (switch_cycles ? time_for(switch_cycles).ps : 0);
    cycles_.add(static_cast<uint64_t>(switch_cycles));
  }
  running_ = true;
  segment_start_ = t;
  finish_at_ = Time{t.ps + remaining};
  HW_LOG(log_, trace, "{} '{}' runs until {}", to_string(item.priority), item.kind, to_string(finish_at_));
  record_state(t, priority_code(item.priority));
  finish_event_.cancel();
  finish_event_.notify(to_sc(Time{remaining}));
  if (first_start && item.started.fn) item.started.fn(item.started.self, item.started.arg);
}

void Core::complete() {
  ctx_.activation();
  const Time t = hostwire::now();
  if (!running_ || finish_at_ > t) return;  // not due: nothing to do (a preemption moved it)
  busy_ps_ += t.ps - segment_start_.ps;
  const Time stretch = segment_start_;
  running_ = false;
  ++items_done_;
  items_[level(current_.item.priority)]->add();
  Slot finished = std::move(current_);
  if (finished.item.done) {
    finishing_ = true;
    finished.item.done();
    finishing_ = false;
  }
  // Written after done(): the packets a TCP output or a NAPI poll made or took are known now.
  if (!trace_packets_.empty() || !trace_links_.empty()) {
    ctx_.trace().slice(trace_track_, finished.item.kind, finished.item.layer, stretch, t - stretch, finished.item.packet,
                       trace_packets_, trace_links_);
    trace_packets_.clear();
    trace_links_.clear();
  } else {
    trace_slice(finished.item, stretch, t);
  }
  start_next();
}

void Core::end_segment(Time t) {
  busy_ps_ += t.ps - segment_start_.ps;
  trace_slice(current_.item, segment_start_, t);
}

void Core::trace_slice(const WorkItem& item, Time start, Time end) {
  if (item.packet ? ctx_.trace().recording(item.packet, start) : ctx_.trace().recording(start))
    ctx_.trace().slice(trace_track_, item.kind, item.layer, start, end - start, item.packet,
                       item.packet ? TraceEventWriter::Flow::join : TraceEventWriter::Flow::none);
}

void Core::record_state(Time t, uint64_t code) {
  ctx_.vcd().change(vcd_busy_, t, code != 0);
  ctx_.vcd().change(vcd_priority_, t, code);
}

Time Core::busy_time() const {
  return Time{busy_ps_ + (running_ ? hostwire::now().ps - segment_start_.ps : 0)};
}

uint64_t Core::cycles() const { return cycles_.value(); }
uint64_t Core::context_switches() const { return context_switches_.value(); }

}  // namespace hostwire::cpu
