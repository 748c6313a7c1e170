#include "core/trace_event.h"

#include <algorithm>
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

bool TraceEventWriter::reserve() {
  if (static_cast<int64_t>(events_ - metadata_) >= limits_.max_events) {
    full_ = true;
    return false;
  }
  ++events_;
  return true;
}

void TraceEventWriter::separator() {
  if (written_++) std::fputs(",\n", file_);
}

bool TraceEventWriter::begin_event() {
  if (!reserve()) return false;
  separator();
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
  names_.try_emplace(tid, process, thread);
  if (file_ && new_process) write_process_name(pid, process);
  if (file_ && new_thread) write_thread_name(pid, tid, thread);
  return tid;
}

// Metadata names the tracks; it does not count against the limit, so names always appear.
void TraceEventWriter::write_process_name(int pid, const std::string& name) {
  ++metadata_;
  ++events_;
  separator();
  std::fprintf(file_, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%d,\"tid\":0,\"args\":{\"name\":%s}}", pid,
               json_string(name).c_str());
}

void TraceEventWriter::write_thread_name(int pid, int tid, const std::string& name) {
  ++metadata_;
  ++events_;
  separator();
  std::fprintf(file_, "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%d,\"tid\":%d,\"args\":{\"name\":%s}}", pid,
               tid, json_string(name).c_str());
}

int TraceEventWriter::lane(int track, Time start, Time duration) {
  constexpr size_t kMaxLanes = 32;
  Lanes& l = lanes_[track];
  if (l.tids.empty()) l.tids.push_back(track), l.ends.push_back(0);
  size_t best = 0;
  for (size_t i = 0; i < l.tids.size(); ++i) {
    if (l.ends[i] <= start.ps) {  // free
      best = i;
      goto found;
    }
    if (l.ends[i] < l.ends[best]) best = i;
  }
  if (l.tids.size() < kMaxLanes) {
    const auto& [process, thread] = names_[track];
    best = l.tids.size();
    l.tids.push_back(this->track(process, thread + " #" + std::to_string(best + 1)));
    l.ends.push_back(0);
  }
found:
  // An instant holds its lane for a picosecond: two at one time would bind the same arrows.
  l.ends[best] = std::max(l.ends[best], start.ps + std::max<int64_t>(duration.ps, 1));
  return l.tids[best];
}

void TraceEventWriter::write_args(uint64_t packet_id) {
  std::fprintf(file_, ",\"args\":{\"packet\":%llu}}", static_cast<unsigned long long>(packet_id));
}

void TraceEventWriter::bind(int track, uint64_t id, Time at, bool fan_out) {
  if (!reserve()) return;
  auto [it, fresh] = bindings_.try_emplace(id);
  if (fresh) flow_order_.push_back(id);
  it->second.push_back({at.ps, track, fan_out});
}

// v1 flow events, per id in timestamp order: "s" at its earliest slice, "t" at each later one
// (an arrow from the one before), "f" with bp "e" where it fans out. Each binds to the slice
// enclosing its timestamp on its track: the slice starts there and lanes keep it alone.
void TraceEventWriter::write_flows() {
  for (uint64_t id : flow_order_) {
    auto& b = bindings_[id];
    std::stable_sort(b.begin(), b.end(), [](const Binding& x, const Binding& y) {
      return x.ts != y.ts ? x.ts < y.ts : !x.fan_out && y.fan_out;
    });
    bool started = false;
    for (const Binding& e : b) {
      if (e.fan_out && !started) continue;  // nothing yet to draw the arrow from
      const char* ph = e.fan_out ? "f" : started ? "t" : "s";
      started = true;
      separator();
      std::fprintf(file_, "{\"ph\":\"%s\",\"name\":\"packet\",\"cat\":\"flow\",\"id\":%llu,\"pid\":%d,\"tid\":%d%s", ph,
                   static_cast<unsigned long long>(id), pid_of_track_[e.tid], e.tid, e.fan_out ? ",\"bp\":\"e\"" : "");
      write_ts("ts", Time{e.ts});
      std::fputs("}", file_);
    }
  }
  bindings_.clear();
  flow_order_.clear();
}

void TraceEventWriter::slice(int track, const char* name, const char* cat, Time start, Time duration,
                             uint64_t packet_id, Flow flow) {
  if (!file_) return;
  const int tid = lane(track, start, duration);
  if (!begin_event()) return;
  std::fprintf(file_, "{\"ph\":\"X\",\"name\":\"%s\",\"cat\":\"%s\",\"pid\":%d,\"tid\":%d", name, cat,
               pid_of_track_[tid], tid);
  write_ts("ts", start);
  write_ts("dur", duration);
  write_args(packet_id);
  if (flow == Flow::join && packet_id) bind(tid, packet_id, start, false);
}

void TraceEventWriter::slice(int track, const char* name, const char* cat, Time start, Time duration,
                             uint64_t packet_id, const std::vector<uint64_t>& packets,
                             const std::vector<uint64_t>& links) {
  if (!file_) return;
  const int tid = lane(track, start, duration);
  if (!begin_event()) return;
  std::fprintf(file_, "{\"ph\":\"X\",\"name\":\"%s\",\"cat\":\"%s\",\"pid\":%d,\"tid\":%d", name, cat,
               pid_of_track_[tid], tid);
  write_ts("ts", start);
  write_ts("dur", duration);
  std::fprintf(file_, ",\"args\":{\"packet\":%llu", static_cast<unsigned long long>(packet_id));
  if (!packets.empty()) {
    std::fputs(",\"packets\":[", file_);
    for (size_t i = 0; i < packets.size(); ++i)
      std::fprintf(file_, "%s%llu", i ? "," : "", static_cast<unsigned long long>(packets[i]));
    std::fputs("]", file_);
  }
  std::fputs("}}", file_);
  for (uint64_t id : links) bind(tid, id, start, true);
  if (packet_id) bind(tid, packet_id, start, false);
  for (uint64_t id : packets)
    if (id != packet_id) bind(tid, id, start, false);
}

void TraceEventWriter::slice(int track, const char* name, const char* cat, Time start, Time duration,
                             const std::string& args) {
  if (!file_) return;
  const int tid = lane(track, start, duration);
  if (!begin_event()) return;
  std::fprintf(file_, "{\"ph\":\"X\",\"name\":\"%s\",\"cat\":\"%s\",\"pid\":%d,\"tid\":%d", name, cat,
               pid_of_track_[tid], tid);
  write_ts("ts", start);
  write_ts("dur", duration);
  std::fprintf(file_, ",\"args\":{%s}}", args.c_str());
}

void TraceEventWriter::instant(int track, const char* name, const char* cat, Time at, uint64_t packet_id) {
  if (!file_ || !begin_event()) return;
  std::fprintf(file_, "{\"ph\":\"i\",\"s\":\"t\",\"name\":\"%s\",\"cat\":\"%s\",\"pid\":%d,\"tid\":%d", name, cat,
               pid_of_track_[track], track);
  write_ts("ts", at);
  write_args(packet_id);
}

void TraceEventWriter::counter(int track, const char* name, Time at, double value) {
  if (!file_ || !begin_event()) return;
  std::fprintf(file_, "{\"ph\":\"C\",\"name\":\"%s\",\"pid\":%d,\"tid\":%d", name, pid_of_track_[track], track);
  write_ts("ts", at);
  std::fprintf(file_, ",\"args\":{\"value\":%.17g}}", value);
}

bool TraceEventWriter::close() {
  if (!file_) return !io_error_;
  write_flows();
  std::fprintf(file_, "\n],\"otherData\":{\"events\":%llu,\"truncated\":%s}}\n", static_cast<unsigned long long>(events()),
               full_ ? "true" : "false");
  io_error_ |= std::ferror(file_) != 0;
  io_error_ |= std::fclose(file_) != 0;
  file_ = nullptr;
  return !io_error_;
}

}  // namespace hostwire
