#include "apps/hostile_stream.h"

#include <algorithm>
#include <array>

#include "apps/stream.h"

namespace hostwire::apps {

namespace {

constexpr std::array<std::pair<Hostile, const char*>, 4> kNames = {
    {{Hostile::none, "none"}, {Hostile::huge_length, "huge_length"}, {Hostile::endless, "endless"},
     {Hostile::garbage, "garbage"}}};

// The announced sizes: a length_prefix length of 2^31 - 1 is over every max_size (16 MiB at
// most); a TLS record length of 0xffff over the protocol's 2^14 + 2048.
constexpr uint64_t kHugeLengthPrefix = 0x7fffffff;
constexpr uint64_t kHugeTlsRecord = 5 + 0xffff;
constexpr size_t kAroseIndexBytes = 16;  // after the length field, as in a good message

// A good message's header with a huge length in it: the first bytes of its layout.
std::string huge_header(const MessageFormat& f, uint64_t index, Time arose) {
  const bool tls = f.settings().framing == Framing::tls;
  std::vector<uint8_t> h;
  f.layout(index, arose, tls ? kHugeTlsRecord : kHugeLengthPrefix).append(h, 0, (tls ? 5 : 4) + kAroseIndexBytes);
  return {h.begin(), h.end()};
}

// The start of a line or request whose end never comes.
std::string endless_head(const MessageFormat& f, uint64_t index, Time arose) {
  const std::string i = std::to_string(index), t = std::to_string(arose.ps);
  if (f.settings().framing == Framing::delimiter) return i + ' ' + t + ' ';
  return "POST /m/" + i + " HTTP/1.1\r\nHost: hostwire\r\nX-Arose: " + t + "\r\nX-Endless: ";
}

}  // namespace

const char* to_string(Hostile h) {
  for (const auto& [kind, n] : kNames)
    if (kind == h) return n;
  return "?";
}

std::optional<Hostile> parse_hostile(std::string_view name) {
  for (const auto& [kind, n] : kNames)
    if (name == n) return kind;
  return std::nullopt;
}

std::string hostile_problem(Hostile h, Framing framing) {
  const bool length_field = framing == Framing::length_prefix || framing == Framing::tls;
  if (h == Hostile::huge_length && !length_field)
    return std::string("huge_length announces a length: framing length_prefix or tls, not ") +
           net::framers::to_string(framing);
  if (h == Hostile::endless && length_field)
    return std::string("endless never writes the end a framer searches for: framing delimiter or http, not ") +
           net::framers::to_string(framing) + " (whose end its length field tells)";
  return {};
}

HostileStream::HostileStream(const MessageFormat& f, Hostile kind, uint64_t index, Time arose, Rng rng)
    : rng_(rng) {
  switch (kind) {
    case Hostile::huge_length:
      head_ = huge_header(f, index, arose);
      body_ = pattern();
      break;
    case Hostile::endless:
      head_ = endless_head(f, index, arose);
      // Neither the delimiter nor CR or LF (outside 0x21-0x7e): the line or field never ends.
      body_ = text_pattern(f.settings().framing == Framing::delimiter ? f.settings().delimiter : "");
      break;
    case Hostile::none:
    case Hostile::garbage:
      break;
  }
}

std::span<const uint8_t> HostileStream::next(size_t n) {
  if (pending_.size() < n) produce(n - pending_.size());
  return std::span<const uint8_t>(pending_).first(n);
}

void HostileStream::took(size_t n) {
  n = std::min(n, pending_.size());
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
  written_ += n;
}

void HostileStream::produce(size_t n) {
  const uint64_t end = produced_ + n;
  for (; produced_ < head_.size() && produced_ < end; ++produced_)
    pending_.push_back(static_cast<uint8_t>(head_[produced_]));
  if (produced_ == end) return;
  if (body_) {
    append_pattern(pending_, *body_, produced_ - head_.size(), end - produced_);
  } else {
    // Eight bytes a draw, low byte first: byte o of the stream is byte o % 8 of draw o / 8,
    // however the calls cut it.
    for (uint64_t o = produced_; o < end; ++o) {
      if (o % 8 == 0) draw_ = rng_.next_u64();
      pending_.push_back(static_cast<uint8_t>(draw_ >> (8 * (o % 8))));
    }
  }
  produced_ = end;
}

}  // namespace hostwire::apps
