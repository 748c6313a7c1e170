#include "core/trace_event.h"

#include <cerrno>
#include <cstring>

namespace hostwire {

namespace {
constexpr size_t kBufferBytes = 1 << 20;

// Names are ours (hierarchical names, stage names), but escape anyway: the file must stay JSON.
std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\', out += c;
    else if (static_cast<unsigned char>(c) < 0x20) out += ' ';
    else out += c;
  }
  return out + "\"";
}
}  // namespace

TraceEventWriter::~TraceEventWriter() { close(); }

bool TraceEventWriter::open(const std::string& path, const TraceLimits& limits, std::string& error) {
  if (limits.packet_sample < 1 || limits.max_events < 1) {
    error = "trace sampling and event limit must be at least 1";
    return false;
  }
  file_ = std::fopen(path.c_str(), "w");
  if (!file_) {
    error = "cannot write " + path + ": " + std::strerror(errno);
    return false;
  }
  buffer_ = std::make_unique<char[]>(kBufferBytes);
  std::setvbuf(file_, buffer_.get(), _IOFBF, kBufferBytes);
  limits_ = limits;
  // Timestamps are in microseconds; ours are picoseconds, written with 6 decimals (exact).
  std::fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n", file_);
  // Tracks declared while the models were built.
  for (const auto& [process, pid] : pids_) write_process_name(pid, process);
  for (const auto& [key, tid] : tracks_) write_thread_name(key.first, tid, key.second);
  return true;
}

bool TraceEventWriter::begin_event() {
  if (static_cast<int64_t>(events_ - metadata_) >= limits_.max_events) {
    full_ = true;
    return false;
  }
  if (events_++) std::fputs(",\n", file_);
  return true;
}

void TraceEventWriter::write_ts(const char* key, Time t) {
  std::fprintf(file_, ",\"%s\":%lld.%06lld", key, static_cast<long long>(t.ps / 1000000),
               static_cast<long long>(t.ps % 1000000));
}

int TraceEventWriter::track(const std::string& process, const std::string& thread) {
  auto [pit, new_process] = pids_.try_emplace(process, static_cast<int>(pids_.size()) + 1);
  const int pid = pit->second;
  auto [tit, new_thread] = tracks_.try_emplace({pid, thread}, static_cast<int>(tracks_.size()) + 1);
  const int tid = tit->second;
  pid_of_track_[tid] = pid;
  if (file_ && new_process) write_process_name(pid, process);
  if (file_ && new_thread) write_thread_name(pid, tid, thread);
  return tid;
}

// Metadata names the tracks; it does not count against the limit, so names always appear.
void TraceEventWriter::write_process_name(int pid, const std::string& name) {
  ++metadata_;
  if (events_++) std::fputs(",\n", file_);
  std::fprintf(file_, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%d,\"tid\":0,\"args\":{\"name\":%s}}", pid,
               json_string(name).c_str());
}

void TraceEventWriter::write_thread_name(int pid, int tid, const std::string& name) {
  ++metadata_;
  if (events_++) std::fputs(",\n", file_);
  std::fprintf(file_, "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%d,\"tid\":%d,\"args\":{\"name\":%s}}", pid,
               tid, json_string(name).c_str());
}

void TraceEventWriter::slice(int track, const char* name, Time start, Time duration, uint64_t packet_id, Flow flow) {
  if (!file_ || !begin_event()) return;
  const int pid = pid_of_track_[track];
  std::fprintf(file_, "{\"ph\":\"X\",\"name\":\"%s\",\"cat\":\"packet\",\"pid\":%d,\"tid\":%d", name, pid, track);
  write_ts("ts", start);
  write_ts("dur", duration);
  std::fprintf(file_, ",\"args\":{\"packet\":%llu}}", static_cast<unsigned long long>(packet_id));
  if (flow == Flow::none || !begin_event()) return;
  // The arrow binds to the slice that encloses its timestamp on the same track.
  const char* ph = flow == Flow::begin ? "s" : flow == Flow::step ? "t" : "f";
  std::fprintf(file_, "{\"ph\":\"%s\",\"name\":\"packet\",\"cat\":\"packet\",\"id\":%llu,\"pid\":%d,\"tid\":%d%s", ph,
               static_cast<unsigned long long>(packet_id), pid, track, flow == Flow::end ? ",\"bp\":\"e\"" : "");
  write_ts("ts", start);
  std::fputs("}", file_);
}

void TraceEventWriter::slice(int track, const char* name, const char* cat, Time start, Time duration,
                             const std::string& args) {
  if (!file_ || !begin_event()) return;
  std::fprintf(file_, "{\"ph\":\"X\",\"name\":\"%s\",\"cat\":\"%s\",\"pid\":%d,\"tid\":%d", name, cat,
               pid_of_track_[track], track);
  write_ts("ts", start);
  write_ts("dur", duration);
  std::fprintf(file_, ",\"args\":{%s}}", args.c_str());
}

void TraceEventWriter::instant(int track, const char* name, Time at, uint64_t packet_id) {
  if (!file_ || !begin_event()) return;
  std::fprintf(file_, "{\"ph\":\"i\",\"s\":\"t\",\"name\":\"%s\",\"cat\":\"packet\",\"pid\":%d,\"tid\":%d", name,
               pid_of_track_[track], track);
  write_ts("ts", at);
  std::fprintf(file_, ",\"args\":{\"packet\":%llu}}", static_cast<unsigned long long>(packet_id));
}

void TraceEventWriter::counter(int track, const char* name, Time at, double value) {
  if (!file_ || !begin_event()) return;
  std::fprintf(file_, "{\"ph\":\"C\",\"name\":\"%s\",\"pid\":%d,\"tid\":%d", name, pid_of_track_[track], track);
  write_ts("ts", at);
  std::fprintf(file_, ",\"args\":{\"value\":%.17g}}", value);
}

bool TraceEventWriter::close() {
  if (!file_) return !io_error_;
  std::fprintf(file_, "\n],\"otherData\":{\"events\":%llu,\"truncated\":%s}}\n", static_cast<unsigned long long>(events()),
               full_ ? "true" : "false");
  io_error_ |= std::ferror(file_) != 0;
  io_error_ |= std::fclose(file_) != 0;
  file_ = nullptr;
  return !io_error_;
}

}  // namespace hostwire
