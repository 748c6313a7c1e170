// Value Change Dump writer (IEEE 1364-2005 §18) for the timing story of a run: link busy,
// ring occupancy, core busy, cwnd... Files open in GTKWave (and convert with vcd2fst).
//
// Plain C++, no SystemC: models report changes with their own hostwire::Time, so tracing
// works the same from a SystemC process, a protocol unit test or an offline replay.
//
// Output is deterministic byte for byte (no $date, scopes sorted by name, identifier codes
// given in that order), so two runs of the same scenario and seed give identical files.
#pragma once

#include <bit>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/units.h"

namespace hostwire {

class VcdWriter {
 public:
  // Handle of a declared signal that the patterns did not select: its changes cost one compare.
  static constexpr int kDisabled = -1;

  // `patterns` select signals by hierarchical name with `*` (any run of characters, dots
  // included, so "link0.*" takes the whole link) and `?` (one character); empty = all.
  explicit VcdWriter(std::vector<std::string> patterns = {});
  ~VcdWriter();  // closes
  VcdWriter(const VcdWriter&) = delete;
  VcdWriter& operator=(const VcdWriter&) = delete;

  // Declarations, before open(). Dots in the name are scopes ("link0.a_to_b.busy" is var
  // "busy" in module "a_to_b" in module "link0"). Throws std::invalid_argument for a
  // duplicate name, a name that is also a scope of another ("a.b" and "a.b.c"), an empty
  // component, whitespace or control characters, or a width outside 1..64; throws
  // std::logic_error while open. Names are checked even when not selected, so a bad
  // name fails in every run, not only in the one that traces it.
  int wire(const std::string& hier_name, int width = 1);  // bit vector, $var wire
  int real(const std::string& hier_name);                 // double, $var real
  // A state shown by name ($var string, values "s<label>", as GTKWave and vcd2fst read them):
  // change(handle, t, i) records labels[i]; the initial value is labels[0]. Labels are
  // non-empty printable words (no blanks); an index past the end is taken as the last label.
  int enumeration(const std::string& hier_name, std::vector<std::string> labels);
  bool enabled(int handle) const { return handle >= 0; }
  // Selected and the file is open: worth scheduling work (events) to record this signal.
  bool recording(int handle) const { return handle >= 0 && is_open(); }

  // Records only [start, stop] (stop 0: to the end). Changes before start are folded into
  // the values written at #start, so the waveform opens with the state the run was in; changes
  // after stop are dropped and close() ends the file at stop. Call before open().
  void set_window(Time start, Time stop);

  // Creates (truncates) the file and writes the header, the scope tree, and the initial
  // value of every selected signal (0, or an enumeration's first label) at #0, or at the
  // window's start. On failure returns false and sets `error`.
  bool open(const std::string& path, std::string& error);
  bool is_open() const { return file_ != nullptr; }

  // Records a value at time t. Times must not go backwards: an earlier time is a bug in
  // the caller (assert in debug; in release it is taken as the last time written and
  // counted in time_errors()). A value equal to the signal's current one writes nothing;
  // "#t" is written only when time advances. Wire values are truncated to the width.
  // Ignored for disabled handles and when the writer is not open (tracing off).
  void change(int handle, Time t, uint64_t value) {
    if (handle >= 0 && file_) record(handle, t, value, false);
  }
  void change_real(int handle, Time t, double value) {
    if (handle >= 0 && file_) record(handle, t, std::bit_cast<uint64_t>(value), true);
  }

  // Flushes and closes; close(end) first writes "#end" so viewers show the run's full
  // length. Returns false if any write failed since open() (e.g. disk full). Closing a
  // closed writer is fine.
  bool close();
  bool close(Time end);

  size_t signals() const { return signals_.size(); }  // selected signals (those in the file)
  uint64_t changes() const { return changes_; }       // value changes written after $dumpvars
  uint64_t time_errors() const { return time_errors_; }

  // Glob match of a whole name (see the constructor).
  static bool matches(std::string_view pattern, std::string_view name);
  // The i-th identifier code: bijective base 94 over printable ASCII '!'..'~', so codes
  // are as short as possible ("!".."~", then "!!"...) and never repeat.
  static std::string identifier_code(size_t index);

 private:
  struct Signal {
    std::string name;
    int width = 1;  // 64 for reals, as $var real declares
    bool is_real = false;
    std::vector<std::string> labels;  // an enumeration's names; empty for wires and reals
    uint64_t mask = 0;
    uint64_t value = 0;  // current value; a real's bit pattern, so -0.0 and NaNs compare exactly
    std::string code;
  };

  int declare(const std::string& hier_name, int width, bool is_real, std::vector<std::string> labels = {});
  void write_header();
  void record(int handle, Time t, uint64_t bits, bool is_real);
  void advance_to(int64_t ps);  // writes "#ps" when time advances
  void dump_values();  // "$dumpvars" with every signal's current value, at the window's start
  void emit(const Signal& s);  // the value line of s's current value
  void flush_buffer();

  std::vector<std::string> patterns_;
  std::set<std::string> names_;   // every declared name, selected or not
  std::set<std::string> scopes_;  // every scope prefix of those names
  std::vector<Signal> signals_;
  std::vector<size_t> dump_order_;  // signals in header order, for $dumpvars
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file_{nullptr, &std::fclose};
  std::string buffer_;  // formatted here and written in large blocks: no per-change stdio call
  bool write_failed_ = false;
  int64_t now_ps_ = 0;  // last time written (or, before the window, last time seen)
  int64_t start_ps_ = 0, stop_ps_ = 0;  // the window; stop 0 = no end
  bool dumped_ = false;                 // $dumpvars written
  uint64_t changes_ = 0;
  uint64_t time_errors_ = 0;
};

}  // namespace hostwire
