// Human-readable numbers for consoles and pages: the value scaled to an SI prefix and
// printed with two decimals ("2.60 ms", "14.88 Mframes/s", "9.41 Gbit/s", "1.50 MiB").
// One formatter for the console, report.html, sweep.html, diff and params; JSON and CSV keep
// exact base units, so nothing is ever parsed back from this text.
#pragma once

#include <string>
#include <string_view>

namespace hostwire {

// `unit` is the metric's unit as registered ("ps", "s", "B", "bit/s", "frames/s", "cycles",
// "%", "1" or "" for a plain number). Times are given in their unit (ps, ns, us, ms or s) and printed
// in the largest of s, ms, us, ns, ps that keeps the value at least 1; bytes take binary
// prefixes (KiB, MiB, GiB); every other unit takes k, M, G, T glued to it ("Mframes/s").
// Integers below 10,000 print exactly ("37 frames", "1448 B"); NaN and infinities print "n/a".
std::string format_si(double value, std::string_view unit);

}  // namespace hostwire
