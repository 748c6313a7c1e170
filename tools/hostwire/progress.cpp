#include "tools/hostwire/progress.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>

#include <fmt/format.h>
#include <systemc>

#include "core/si.h"
#include "core/sim.h"

namespace hostwire::cli {

namespace {

volatile std::sig_atomic_t g_interrupted = 0;
extern "C" void on_interrupt(int) { g_interrupted = 1; }

// Installs the SIGINT handler for the life of a run and restores the previous one after.
class InterruptGuard {
 public:
  InterruptGuard() {
    g_interrupted = 0;
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_);
  }
  ~InterruptGuard() { sigaction(SIGINT, &old_, nullptr); }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  struct sigaction old_ {};
};

constexpr double kQuietWallSeconds = 2.0;  // runs shorter than this draw nothing
constexpr double kRedrawWallSeconds = 0.5;
// Slices are sized from the measured speed so that one takes about this long: short enough to
// answer Ctrl-C and redraw promptly, long enough that sc_start's own cost does not show.
constexpr double kSliceWallSeconds = 0.05;

}  // namespace

std::string progress_text(Time simulated, Time end, double wall_seconds) {
  const double done = end.ps > 0 ? static_cast<double>(simulated.ps) / static_cast<double>(end.ps) : 1.0;
  std::string s = fmt::format("simulated {} of {} ({:.0f} %)", format_si(static_cast<double>(simulated.ps), "ps"),
                              format_si(static_cast<double>(end.ps), "ps"), done * 100);
  if (wall_seconds > 0 && simulated.ps > 0) {
    const double speed = simulated.seconds() / wall_seconds;  // simulated s per wall s
    s += fmt::format(", {} simulated s per wall s, ETA {}", format_si(speed, "1"),
                     format_si((end - simulated).seconds() / speed, "s"));
  }
  return s;
}

bool run_to(Time end, ProgressMode mode) {
  InterruptGuard guard;
  const bool terminal = isatty(STDERR_FILENO) != 0;
  const bool may_draw = mode == ProgressMode::always || (mode == ProgressMode::automatic && terminal);
  const auto wall_start = std::chrono::steady_clock::now();
  auto wall = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count(); };
  double last_draw = -kRedrawWallSeconds;
  bool drawn = false;
  Time slice{std::max<int64_t>(end.ps / 10000, 1000)};
  while (now() < end && !g_interrupted && sc_core::sc_get_status() != sc_core::SC_STOPPED) {
    const Time step{std::min(slice.ps, (end - now()).ps)};
    const double before = wall();
    sc_core::sc_start(to_sc(step));
    const double took = wall() - before;
    // Aim the next slice at kSliceWallSeconds, growing or shrinking by at most a factor of 4.
    const double factor = took > 0 ? std::clamp(kSliceWallSeconds / took, 0.25, 4.0) : 4.0;
    slice.ps = std::max<int64_t>(static_cast<int64_t>(static_cast<double>(slice.ps) * factor), 1000);
    const double w = wall();
    if (may_draw && (mode == ProgressMode::always || w > kQuietWallSeconds) && w - last_draw >= kRedrawWallSeconds) {
      const std::string text = progress_text(now(), end, w);
      if (terminal) std::fprintf(stderr, "\r%s\033[K", text.c_str());
      else std::fprintf(stderr, "%s\n", text.c_str());
      std::fflush(stderr);
      last_draw = w;
      drawn = true;
    }
  }
  if (drawn && terminal) std::fputs("\r\033[K", stderr);  // the summary line replaces it
  return g_interrupted != 0;
}

double run_for_wall(Time end, double wall_seconds) {
  const auto wall_start = std::chrono::steady_clock::now();
  auto wall = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count(); };
  Time slice{std::max<int64_t>(end.ps / 100000, 1000)};
  while (now() < end && wall() < wall_seconds && sc_core::sc_get_status() != sc_core::SC_STOPPED) {
    sc_core::sc_start(to_sc(Time{std::min(slice.ps, (end - now()).ps)}));
    slice.ps *= 2;  // a probe starts small: the first slices include the models' start-up
  }
  return wall();
}

}  // namespace hostwire::cli
