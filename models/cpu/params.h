// Parameters of the host's cores: how many, their clock, and one table of what the kernel's
// recurring pieces of work cost in cycles. The host registers CpuParams under "<host>.cpu.",
// so the cost table's keys read "<host>.cpu.cost.syscall" and so on.
//
// The defaults are round figures from published measurements on ~3 GHz x86 servers, meant
// as a believable starting point, not as any one machine: an architect calibrates them (perf,
// bpftrace) for the host in question. Sources are named next to each field.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include "core/params.h"
#include "core/units.h"

namespace hostwire::cpu {

struct CostTable {
  // getpid()-style round trip: ~70 ns before Meltdown/Spectre; ~100-200 ns with KPTI and
  // retpolines (Gregg, "KPTI/KAISER Meltdown initial performance regressions", 2018;
  // Soares & Stumm, FlexSC, OSDI 2010, for the pre-mitigation direct cost).
  Cycles syscall{500};
  // Hardware interrupt delivery, entry and exit to the handler's first useful instruction:
  // on the order of 1000 cycles (Tsafrir, "The context-switch overhead inflicted by hardware
  // interrupts", ExpCS 2007).
  Cycles interrupt_entry{1000};
  // Switching threads on a core, direct cost plus the cache and TLB refill it causes:
  // 2-5 us on Linux (Li, Ding & Shen, "Quantifying the cost of context switch", ExpCS 2007;
  // Bendersky, "Measuring context switching and memory overheads for Linux threads", 2018).
  Cycles context_switch{6000};
  // copy_to_user / copy_from_user of packet data: ~10 GB/s per core for data already in the LLC
  // after DMA (DDIO), so ~0.3 cycles per byte at 3 GHz (Cai et al. 2021: data copy dominates
  // large transfers).
  double copy_per_byte = 0.3;
  // Software Internet checksum (csum_partial's add-with-carry loop, 8 B per 1-2 cycles) when the
  // NIC does not offload it.
  double checksum_per_byte = 0.25;
  // A load that misses every cache level: ~80 ns DRAM load-to-use on server parts (Intel
  // Memory Latency Checker idle latency 70-90 ns), e.g. the first touch of headers the NIC wrote.
  Cycles cache_miss{250};
  // Waking a thread blocked in a system call: try_to_wake_up, the run-queue work and the switch
  // in on its core, ~1 us (Lozi et al., "The Linux scheduler: a decade of wasted cores", EuroSys
  // 2016, and perf sched measurements put wake-up-to-run at 1-3 us on an idle core).
  Cycles wakeup{3000};
  // Finding message boundaries: a framer's scan of the bytes it examines (a delimiter search or
  // an HTTP header parse runs at ~1-2 GB/s, picohttpparser-class code: ~0.5 cycles/B at 3 GHz),
  // and per message found the work of splitting it off the receive queue (KCM's strparser: an
  // skb clone and a BPF run, some hundreds of cycles).
  double frame_per_byte = 0.5;  // in the kernel's kbuf layer
  Cycles frame_per_message{400};
  double parse_per_byte = 0.5;  // the same scan in a user-space parser

  // Cycles to copy or checksum `bytes`, rounded up (a fraction of a cycle still occupies one).
  Cycles copy_cycles(int64_t bytes) const { return per_byte(copy_per_byte, bytes); }
  Cycles checksum_cycles(int64_t bytes) const { return per_byte(checksum_per_byte, bytes); }
  Cycles frame_cycles(int64_t bytes) const { return per_byte(frame_per_byte, bytes); }
  Cycles parse_cycles(int64_t bytes) const { return per_byte(parse_per_byte, bytes); }

  template <class V>
  void visit(V& v) {
    v(syscall, "syscall", "system call entry and exit (one round trip), cycles", Limits::non_negative());
    v(interrupt_entry, "interrupt_entry", "hardware interrupt entry and exit, charged on top of the handler, cycles",
      Limits::non_negative());
    v(context_switch, "context_switch", "switching a core between two threads, cycles", Limits::non_negative());
    v(copy_per_byte, "copy_per_byte", "user<->kernel data copy, cycles per byte", Limits::non_negative());
    v(checksum_per_byte, "checksum_per_byte", "software Internet checksum, cycles per byte", Limits::non_negative());
    v(cache_miss, "cache_miss", "one load served from DRAM, cycles", Limits::non_negative());
    v(wakeup, "wakeup", "waking a thread blocked in a system call and switching it in, cycles", Limits::non_negative());
    v(frame_per_byte, "frame_per_byte", "kernel message framing: bytes a framer examines, cycles per byte",
      Limits::non_negative());
    v(frame_per_message, "frame_per_message", "kernel message framing: splitting off each message found, cycles",
      Limits::non_negative());
    v(parse_per_byte, "parse_per_byte", "user-space message parsing: bytes a parser examines, cycles per byte",
      Limits::non_negative());
  }

 private:
  static Cycles per_byte(double cycles_per_byte, int64_t bytes) {
    return Cycles{static_cast<int64_t>(std::ceil(cycles_per_byte * static_cast<double>(bytes)))};
  }
};

// Passes a nested struct's fields to a visitor under a key prefix ("cost." + "syscall"), so a
// scenario nests them: {cpu: {cost: {syscall: 600}}}. The visitors copy the name at once.
template <class V>
struct PrefixedVisitor {
  V& v;
  const char* prefix;
  template <class F>
  void operator()(F& field, const char* name, const char* meaning, Limits limits) {
    const std::string key = std::string(prefix) + name;
    v(field, key.c_str(), meaning, limits);
  }
};

struct CpuParams {
  int64_t cores = 4;
  Frequency clock{3'000'000'000};
  CostTable costs;

  template <class V>
  void visit(V& v) {
    v(cores, "cores", "cores of the host, each running one work item at a time, cores", Limits::range(1, 1024));
    v(clock, "clock", "clock frequency of every core", Limits::positive());
    PrefixedVisitor<V> cost{v, "cost."};
    costs.visit(cost);
  }
};

}  // namespace hostwire::cpu
