// Running a scenario to its end in slices of simulated time: between slices `hostwire run`
// draws a progress line on stderr and notices Ctrl-C, so a long run is never silent and an
// interrupted one still writes its report (marked partial). Slicing does not change a result:
// SystemC runs the same events in the same order whether sc_start is called once or many times.
#pragma once

#include <string>

#include "core/units.h"

namespace hostwire::cli {

enum class ProgressMode { automatic, always, never };  // automatic: only when stderr is a terminal

// "simulated 250.00 ms of 1.00 s (25 %), 0.29 simulated s per wall s, ETA 2.60 s"
std::string progress_text(Time simulated, Time end, double wall_seconds);

// Runs the simulation from now until `end`. After two wall seconds (or at once, mode always)
// it redraws the progress line about twice a second (in place on a terminal, a line at a time
// otherwise); SIGINT stops it at the end of the current slice. Returns true if interrupted.
bool run_to(Time end, ProgressMode mode);

// Runs from now toward `end` for about `wall_seconds` of wall time (a probe); returns the wall
// seconds it took. The simulation then stands at now().
double run_for_wall(Time end, double wall_seconds);

}  // namespace hostwire::cli
