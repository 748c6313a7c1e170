#include "core/vcd.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <numeric>
#include <stdexcept>

namespace hostwire {
namespace {

constexpr size_t kBufferBytes = 1 << 20;
constexpr int kFirstCode = 33;  // '!'
constexpr int kCodeDigits = 94;  // '!'..'~'

std::vector<std::string_view> split_scopes(std::string_view name) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    size_t dot = name.find('.', start);
    parts.push_back(name.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) return parts;
    start = dot + 1;
  }
}

void append_number(std::string& out, int64_t v) {
  char digits[24];
  auto r = std::to_chars(digits, digits + sizeof digits, v);
  out.append(digits, r.ptr);
}

}  // namespace

VcdWriter::VcdWriter(std::vector<std::string> patterns) : patterns_(std::move(patterns)) {}

VcdWriter::~VcdWriter() { close(); }

bool VcdWriter::matches(std::string_view pattern, std::string_view name) {
  // Iterative glob: on a mismatch, let the last '*' swallow one more character. Linear in
  // practice and never exponential, unlike the recursive version.
  size_t p = 0, n = 0, star = std::string_view::npos, resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p, ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++, resume = n;
    } else if (star != std::string_view::npos) {
      p = star + 1, n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string VcdWriter::identifier_code(size_t index) {
  // Bijective numeration: index 93 is "~", 94 is "!!", so no code is a padded copy of another.
  std::string code;
  for (;;) {
    code.push_back(static_cast<char>(kFirstCode + index % kCodeDigits));
    if (index < kCodeDigits) return code;
    index = index / kCodeDigits - 1;
  }
}

int VcdWriter::wire(const std::string& hier_name, int width) {
  if (width < 1 || width > 64)
    throw std::invalid_argument("vcd: " + hier_name + ": width " + std::to_string(width) + " is not in 1..64");
  return declare(hier_name, width, false);
}

int VcdWriter::real(const std::string& hier_name) { return declare(hier_name, 64, true); }

int VcdWriter::enumeration(const std::string& hier_name, std::vector<std::string> labels) {
  auto printable_word = [](const std::string& l) {
    return !l.empty() && std::none_of(l.begin(), l.end(), [](char c) { return c <= ' ' || c > '~'; });
  };
  if (labels.empty() || !std::all_of(labels.begin(), labels.end(), printable_word))
    throw std::invalid_argument("vcd: signal '" + hier_name + "': labels must be one or more printable words");
  return declare(hier_name, 1, false, std::move(labels));
}

void VcdWriter::set_window(Time start, Time stop) {
  if (is_open()) throw std::logic_error("vcd: window set after open()");
  start_ps_ = std::max<int64_t>(0, start.ps);
  stop_ps_ = std::max<int64_t>(0, stop.ps);
}

int VcdWriter::declare(const std::string& hier_name, int width, bool is_real, std::vector<std::string> labels) {
  if (is_open()) throw std::logic_error("vcd: " + hier_name + ": declared after open()");
  auto bad = [&](const char* why) { return std::invalid_argument("vcd: signal '" + hier_name + "': " + why); };
  // VCD separates tokens by whitespace, so a name with a blank would corrupt the header.
  if (std::any_of(hier_name.begin(), hier_name.end(), [](char c) { return c <= ' ' || c > '~'; }))
    throw bad("whitespace or non-printable character");
  const auto parts = split_scopes(hier_name);
  if (std::any_of(parts.begin(), parts.end(), [](std::string_view p) { return p.empty(); }))
    throw bad("empty scope or name (leading, trailing or doubled dot)");
  if (names_.count(hier_name)) throw bad("declared twice");
  if (scopes_.count(hier_name)) throw bad("already a scope of another signal");
  // Viewers cannot show a scope and a variable of the same name, so reject both orders.
  std::vector<std::string> prefixes;
  for (size_t dot = hier_name.find('.'); dot != std::string::npos; dot = hier_name.find('.', dot + 1)) {
    prefixes.push_back(hier_name.substr(0, dot));
    if (names_.count(prefixes.back())) throw bad("a scope of it is already a signal");
  }
  names_.insert(hier_name);
  scopes_.insert(prefixes.begin(), prefixes.end());

  const bool selected = patterns_.empty() || std::any_of(patterns_.begin(), patterns_.end(), [&](const std::string& p) {
                          return matches(p, hier_name);
                        });
  if (!selected) return kDisabled;
  Signal s;
  s.name = hier_name;
  s.width = width;
  s.is_real = is_real;
  s.labels = std::move(labels);
  s.mask = width == 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
  signals_.push_back(std::move(s));
  return static_cast<int>(signals_.size() - 1);
}

bool VcdWriter::open(const std::string& path, std::string& error) {
  close();
  file_.reset(std::fopen(path.c_str(), "wb"));
  if (!file_) {
    error = "vcd: cannot create " + path + ": " + std::strerror(errno);
    return false;
  }
  std::setvbuf(file_.get(), nullptr, _IONBF, 0);  // buffer_ already batches the writes
  buffer_.clear();
  buffer_.reserve(kBufferBytes + 4096);
  write_failed_ = false;
  now_ps_ = 0;
  dumped_ = false;
  changes_ = time_errors_ = 0;
  write_header();
  flush_buffer();
  if (write_failed_) {
    error = "vcd: write failed: " + path;
    close();
    return false;
  }
  return true;
}

void VcdWriter::write_header() {
  // Scopes sorted by name component by component, so each scope's members are contiguous
  // and the tree is the same whatever order the models declared their signals in.
  std::vector<size_t> order(signals_.size());
  std::iota(order.begin(), order.end(), 0);
  std::vector<std::vector<std::string_view>> parts(signals_.size());
  for (size_t i = 0; i < signals_.size(); ++i) parts[i] = split_scopes(signals_[i].name);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return parts[a] < parts[b]; });

  buffer_ += "$version hostwire $end\n$timescale 1ps $end\n";
  std::vector<std::string_view> open_scopes;
  for (size_t k = 0; k < order.size(); ++k) {
    Signal& s = signals_[order[k]];
    s.code = identifier_code(k);
    s.value = 0;
    const auto& p = parts[order[k]];
    const std::vector<std::string_view> scopes(p.begin(), p.end() - 1);
    size_t common = 0;
    while (common < open_scopes.size() && common < scopes.size() && open_scopes[common] == scopes[common]) ++common;
    for (size_t i = open_scopes.size(); i > common; --i) buffer_ += "$upscope $end\n";
    for (size_t i = common; i < scopes.size(); ++i) buffer_.append("$scope module ").append(scopes[i]).append(" $end\n");
    open_scopes = scopes;
    buffer_.append(s.is_real ? "$var real " : s.labels.empty() ? "$var wire " : "$var string ");
    buffer_.append(std::to_string(s.width)).append(" ");
    buffer_.append(s.code).append(" ").append(p.back());
    if (!s.is_real && s.labels.empty() && s.width > 1) buffer_.append(" [").append(std::to_string(s.width - 1)).append(":0]");
    buffer_ += " $end\n";
  }
  for (size_t i = open_scopes.size(); i > 0; --i) buffer_ += "$upscope $end\n";
  buffer_ += "$enddefinitions $end\n";
  dump_order_ = std::move(order);
  if (start_ps_ == 0) dump_values();  // else at the first change inside the window, or at close
}

void VcdWriter::dump_values() {
  dumped_ = true;
  now_ps_ = start_ps_;
  buffer_.push_back('#');
  append_number(buffer_, start_ps_);
  buffer_ += "\n$dumpvars\n";
  for (size_t k : dump_order_) emit(signals_[k]);
  buffer_ += "$end\n";
}

void VcdWriter::emit(const Signal& s) {
  if (!s.labels.empty()) {
    buffer_.push_back('s');
    buffer_.append(s.labels[s.value]).push_back(' ');
  } else if (s.is_real) {
    // Shortest text that reads back to the same double: exact and deterministic.
    char text[32];
    auto r = std::to_chars(text, text + sizeof text, std::bit_cast<double>(s.value));
    buffer_.push_back('r');
    buffer_.append(text, r.ptr).push_back(' ');
  } else if (s.width == 1) {
    buffer_.push_back(s.value ? '1' : '0');
  } else {
    // Leading zeros dropped: §18.2.1 extends a shorter vector with 0 on the left.
    buffer_.push_back('b');
    for (int bit = s.value ? 63 - std::countl_zero(s.value) : 0; bit >= 0; --bit)
      buffer_.push_back(s.value >> bit & 1 ? '1' : '0');
    buffer_.push_back(' ');
  }
  buffer_.append(s.code).push_back('\n');
}

void VcdWriter::advance_to(int64_t ps) {
  if (ps == now_ps_) return;
  now_ps_ = ps;
  buffer_.push_back('#');
  append_number(buffer_, ps);
  buffer_.push_back('\n');
}

void VcdWriter::record(int handle, Time t, uint64_t bits, bool is_real) {
  Signal& s = signals_[static_cast<size_t>(handle)];
  assert(s.is_real == is_real && "VcdWriter: change() on a real or change_real() on a wire");
  int64_t ps = t.ps;
  if (ps < now_ps_) {
    assert(!"VcdWriter: time went backwards");
    ++time_errors_;
    ps = now_ps_;  // taken as the last time written
  }
  if (s.is_real != is_real) return;
  if (!s.labels.empty()) bits = std::min<uint64_t>(bits, s.labels.size() - 1);
  else if (!is_real) bits &= s.mask;
  if (stop_ps_ > 0 && ps > stop_ps_) return;  // past the window
  if (!dumped_) {
    if (ps < start_ps_) {  // before the window: folded into the values written at its start
      now_ps_ = ps;
      s.value = bits;
      return;
    }
    dump_values();
  }
  if (bits == s.value) return;
  advance_to(ps);
  s.value = bits;
  emit(s);
  ++changes_;
  if (buffer_.size() >= kBufferBytes) flush_buffer();
}

void VcdWriter::flush_buffer() {
  if (!buffer_.empty() && std::fwrite(buffer_.data(), 1, buffer_.size(), file_.get()) != buffer_.size())
    write_failed_ = true;
  buffer_.clear();
}

bool VcdWriter::close(Time end) {
  if (!file_) return close();
  if (!dumped_) dump_values();  // the run ended before the window opened
  int64_t ps = stop_ps_ > 0 ? std::min(end.ps, stop_ps_) : end.ps;
  if (ps < now_ps_) {
    if (end.ps >= start_ps_) ++time_errors_;  // like a change, an earlier end is a caller bug
    ps = now_ps_;  // (a window past the run's end: the file ends at the window's start)
  }
  advance_to(ps);
  return close();
}

bool VcdWriter::close() {
  if (!file_) return true;
  flush_buffer();
  if (std::fclose(file_.release()) != 0) write_failed_ = true;
  return !write_failed_;
}

}  // namespace hostwire
