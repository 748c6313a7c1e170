#include "platforms/capture.h"

#include <filesystem>
#include <stdexcept>

namespace hostwire {

std::vector<std::string> Captures::requested(const Scenario& s) {
  std::vector<std::string> taps;
  std::string text = s.at("outputs.pcap").text;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string t = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    while (!t.empty() && t.front() == ' ') t.erase(t.begin());
    while (!t.empty() && t.back() == ' ') t.pop_back();
    if (!t.empty() && std::find(taps.begin(), taps.end(), t) == taps.end()) taps.push_back(t);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return taps;
}

void Captures::check(const Scenario& s, const std::vector<std::string>& available, std::vector<InputError>& errors) {
  for (const auto& t : requested(s)) {
    if (std::find(available.begin(), available.end(), t) != available.end()) continue;
    std::string list;
    for (const auto& a : available) list += (list.empty() ? "" : ", ") + a;
    std::string msg = "unknown tap point '" + t + "'; this platform has: " + list;
    if (auto n = nearest(t, available)) msg += " (did you mean '" + *n + "'?)";
    errors.push_back({s.at("outputs.pcap").origin, "outputs.pcap", msg});
  }
}

Captures::Hook Captures::open(const std::string& tap) {
  auto w = std::make_unique<net::PcapWriter>();
  const std::string path = (std::filesystem::path(ctx_.output_dir()) / (tap + ".pcap")).string();
  if (auto st = w->open(path); !st) throw std::runtime_error("cannot write capture " + path + ": " + st.error());
  net::PcapWriter* writer = w.get();
  writers_.push_back(std::move(w));
  auto& stats = ctx_.stats();
  stats.formula("capture." + tap + ".frames", "frames", "frames written to " + tap + ".pcap",
                [writer] { return static_cast<double>(writer->frames()); });
  stats.formula("capture." + tap + ".bytes", "B", "frame bytes (no FCS) written to " + tap + ".pcap",
                [writer] { return static_cast<double>(writer->bytes()); });
  ctx_.on_end([writer, path] {
    if (auto st = writer->close(); !st) throw std::runtime_error("cannot finish capture " + path + ": " + st.error());
  });
  return [writer, path](Time at, const Packet& p) {
    if (auto st = writer->write(at, p); !st) throw std::runtime_error("capture " + path + ": " + st.error());
  };
}

}  // namespace hostwire
