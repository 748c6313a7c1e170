// Framing a whole stream message after message, the stream cut into runs anywhere: what the
// kernel's buffering layer does with a conn's bytes. Every framer must give the same result
// whatever the cuts; the tests and the fuzz targets check that with this one loop.
#pragma once

#include <algorithm>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

#include "net/framers/framer.h"

namespace hostwire::net::framers::testing {

inline std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

struct Framed {
  std::vector<uint64_t> lengths;   // each message found, in stream order
  std::vector<uint64_t> examined;  // what the framer examined of each
  // How the stream ended: need_more (at a boundary, or truncated), message (the last message
  // goes on past the stream's end, or ended at the close), or error.
  Status end;
  uint64_t end_examined = 0;
  const char* broken = nullptr;  // the first property the framer broke

  bool operator==(const Framed& o) const {
    const auto why = [](const char* w) { return w ? w : ""; };
    return lengths == o.lengths && examined == o.examined && end.kind == o.end.kind && end.length == o.end.length && end.too_long == o.end.too_long &&
           std::strcmp(why(end.why), why(o.end.why)) == 0 && end_examined == o.end_examined;
  }
};

// Runs `framer` over `stream`; `piece(at)` is the size of the run that starts at stream byte
// `at` (at least 1, clipped to the stream). After each message the framer is reset and fed
// again from the message's end, as the kernel does with the bytes of the run past it.
template <class Piece>
Framed frame_stream(Framer& framer, std::span<const uint8_t> stream, Piece&& piece) {
  Framed out;
  const auto broke = [&](bool violated, const char* what) {
    if (violated && !out.broken) out.broken = what;
  };
  const auto sticks = [&](const Status& s, size_t at) {
    // Once decided, the framer says the same whatever comes next.
    const Status again = framer.feed(stream.subspan(at, std::min<size_t>(stream.size() - at, 3)));
    broke(again.kind != s.kind || again.length != s.length || again.why != s.why || again.too_long != s.too_long,
          "status changed after the end");
    const Status closed = framer.finish();
    broke(closed.kind != s.kind || closed.length != s.length, "finish() changed a decided status");
  };
  framer.reset();
  size_t start = 0, at = 0;
  for (;;) {
    Status s;
    const bool closing = at == stream.size();
    if (closing) {
      s = framer.finish();
      broke(s.done() && s.length != at - start, "a message at the close is not what was fed");
    } else {
      const size_t n = std::clamp<size_t>(piece(at), 1, stream.size() - at);
      s = framer.feed(stream.subspan(at, n));
      at += n;
      broke(s.need_more() && framer.examined() > at - start, "examined more than was fed");
    }
    const Status last = framer.last();
    broke(last.kind != s.kind || last.length != s.length, "last() is not what feed() said");
    if (s.failed()) broke(s.why == nullptr, "an error without a reason");
    broke(s.too_long && !s.failed(), "too_long without an error");
    if (s.need_more() && !closing) continue;
    if (s.done()) {
      broke(s.length == 0 || s.length > framer.spec().max_message, "message length out of range");
      broke(framer.examined() > s.length, "examined more than the message");
      sticks(s, at);
      out.lengths.push_back(s.length);
      out.examined.push_back(framer.examined());
      if (s.length > 0 && s.length <= stream.size() - start) {
        start += static_cast<size_t>(s.length);
        at = start;
        framer.reset();
        broke(!framer.last().need_more() || framer.examined() != 0, "reset() left state behind");
        continue;
      }
    } else if (s.failed()) {
      sticks(s, at);
    }
    out.end = s;
    out.end_examined = framer.examined();
    break;
  }
  return out;
}

// The whole rest of the stream in one run.
inline Framed frame_whole(Framer& f, std::span<const uint8_t> stream) {
  return frame_stream(f, stream, [](size_t) { return SIZE_MAX; });
}

// Cut at the sorted positions `cuts` (and nowhere else).
inline Framed frame_cut(Framer& f, std::span<const uint8_t> stream, const std::vector<size_t>& cuts) {
  return frame_stream(f, stream, [&](size_t at) {
    const auto next = std::upper_bound(cuts.begin(), cuts.end(), at);
    return next == cuts.end() ? SIZE_MAX : *next - at;
  });
}

}  // namespace hostwire::net::framers::testing
