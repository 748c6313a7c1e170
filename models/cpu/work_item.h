// A piece of work for a core, as the kernel schedules it: a cost in cycles, a priority level
// (hard interrupt, softirq, thread), the thread it runs in, and what to do when it is done.
#pragma once

#include <cstdint>
#include <functional>

namespace hostwire::cpu {

// Linux's execution levels: a hard interrupt preempts softirqs and threads; a softirq (NAPI
// poll, timers) preempts threads; within a level work runs in arrival order.
enum class Priority { irq, softirq, task };
inline constexpr int kPriorities = 3;

inline const char* to_string(Priority p) {
  switch (p) {
    case Priority::irq: return "irq";
    case Priority::softirq: return "softirq";
    case Priority::task: return "task";
  }
  return "?";
}

struct WorkItem {
  int64_t cycles = 0;
  Priority priority = Priority::task;
  // The thread whose state the work needs (an application thread's id): going from one context
  // >= 0 to another on a core costs a context switch. -1 is the kernel, which runs on whatever
  // thread's stack is loaded (interrupts, softirqs), so it never costs one.
  int context = -1;
  const char* kind = "";  // label on the timeline ("napi_poll", "udp_send"); a string literal, JSON-safe
  uint64_t packet = 0;    // packet the work is for, so the timeline samples it with that packet; 0: none
  const char* layer = "kernel";  // the timeline's category for it ("tcp", "driver", "irq", "socket")
  // Runs at the simulated time the work completes. It may submit more work to any core,
  // this one included. Captures of at most 16 bytes stay inside std::function (no allocation).
  std::function<void()> done = nullptr;
  // Called as started.fn(started.self, started.arg) when the work first starts on the core (not
  // when it resumes after a preemption): the driver's NAPI waveform. A plain pointer rather than
  // a std::function, so the work that leaves it unset (all but traced polls) moves as cheaply.
  struct Started {
    void (*fn)(void* self, int64_t arg) = nullptr;
    void* self = nullptr;
    int64_t arg = 0;
  } started;
};

}  // namespace hostwire::cpu
