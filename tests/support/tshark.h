// Reads a capture with tshark, the oracle for hostwire's frames: every checksum checked,
// one row per frame with its length, expert infos and checksum statuses.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace hostwire::testing {

struct TsharkFrame {
  long length = 0;
  std::string expert_severity;  // comma-separated values from epan/proto.h
  std::string expert_message;
  std::string ip_checksum;  // "1" good, "0" bad, "" absent
  std::string udp_checksum;
  std::string tcp_checksum;

  // PI_WARN 0x00600000 and PI_ERROR 0x00800000: malformed frames, bad checksums and the like.
  bool has_warning_or_error() const {
    return expert_severity.find("6291456") != std::string::npos || expert_severity.find("8388608") != std::string::npos;
  }
};

inline bool tshark_available() { return std::system("command -v tshark > /dev/null 2>&1") == 0; }

// nullopt when tshark fails to read the file.
inline std::optional<std::vector<TsharkFrame>> tshark_read(const std::string& path) {
  const std::string command = "tshark -r '" + path +
                              "' -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE"
                              " -o tcp.analyze_sequence_numbers:FALSE"
                              " -T fields -E separator=/t -e frame.len -e _ws.expert.severity -e _ws.expert.message"
                              " -e ip.checksum.status -e udp.checksum.status -e tcp.checksum.status 2>/dev/null";
  std::FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return std::nullopt;
  std::string output;
  char chunk[65536];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, pipe)) > 0) output.append(chunk, n);
  if (pclose(pipe) != 0) return std::nullopt;
  std::vector<TsharkFrame> frames;
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> f;
    std::istringstream cells(line);
    for (std::string cell; std::getline(cells, cell, '\t');) f.push_back(cell);
    f.resize(6);
    frames.push_back({std::strtol(f[0].c_str(), nullptr, 10), f[1], f[2], f[3], f[4], f[5]});
  }
  return frames;
}

}  // namespace hostwire::testing
