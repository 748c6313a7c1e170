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

// One row per frame of `path`, one cell per field in `fields` (tshark's -e names; a field
// absent from a frame is an empty cell, one present several times holds its values
// comma-separated). `options` go before -T (such as "-o ip.check_checksum:TRUE").
// nullopt when tshark fails to read the file.
inline std::optional<std::vector<std::vector<std::string>>> tshark_fields(const std::string& path,
                                                                           const std::vector<std::string>& fields,
                                                                           const std::string& options = "") {
  std::string command = "tshark -r '" + path + "' " + options + " -T fields -E separator=/t";
  for (const auto& f : fields) command += " -e " + f;
  command += " 2>/dev/null";
  std::FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return std::nullopt;
  std::string output;
  char chunk[65536];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, pipe)) > 0) output.append(chunk, n);
  if (pclose(pipe) != 0) return std::nullopt;
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> cells;
    std::istringstream in(line);
    for (std::string cell; std::getline(in, cell, '\t');) cells.push_back(cell);
    cells.resize(fields.size());
    rows.push_back(std::move(cells));
  }
  return rows;
}

// nullopt when tshark fails to read the file.
inline std::optional<std::vector<TsharkFrame>> tshark_read(const std::string& path) {
  auto rows = tshark_fields(path,
                            {"frame.len", "_ws.expert.severity", "_ws.expert.message", "ip.checksum.status",
                             "udp.checksum.status", "tcp.checksum.status"},
                            "-o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE"
                            " -o tcp.analyze_sequence_numbers:FALSE");
  if (!rows) return std::nullopt;
  std::vector<TsharkFrame> frames;
  for (auto& f : *rows) frames.push_back({std::strtol(f[0].c_str(), nullptr, 10), f[1], f[2], f[3], f[4], f[5]});
  return frames;
}

// What tshark's TCP sequence analysis flags in a capture (one pass): frames per label.
struct TcpAnalysis {
  long retransmission = 0, fast_retransmission = 0, out_of_order = 0, lost_segment = 0, malformed = 0;
  long spurious_retransmission = 0;
  long any_retransmission = 0;  // frames with one of retransmission, fast retransmission, out of order
  bool ok = false;
};

// `path` may hold both directions of a conversation (mergecap): tshark then also sees the ACKs,
// which its spurious-retransmission label needs (data retransmitted after it was acknowledged).
inline TcpAnalysis tshark_analysis(const std::string& path) {
  const std::string labels[] = {"tcp.analysis.retransmission", "tcp.analysis.fast_retransmission",
                                "tcp.analysis.out_of_order",    "tcp.analysis.lost_segment",
                                "_ws.malformed",                "tcp.analysis.spurious_retransmission"};
  constexpr int kLabels = 6;
  std::string filter, fields;
  for (const auto& l : labels) filter += (filter.empty() ? "" : " || ") + l, fields += " -e " + l;
  const std::string command = "tshark -r '" + path + "' -o tcp.analyze_sequence_numbers:TRUE -Y '" + filter +
                              "' -T fields -E separator=, -E occurrence=f" + fields + " 2>/dev/null";
  TcpAnalysis a;
  std::FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return a;
  char line[256];
  while (std::fgets(line, sizeof line, pipe)) {
    bool set[kLabels] = {};
    int column = 0;
    for (const char* c = line; *c && column < kLabels; ++c) {
      if (*c == ',') ++column;
      else if (*c != '\n') set[column] = true;
    }
    a.retransmission += set[0], a.fast_retransmission += set[1], a.out_of_order += set[2];
    a.lost_segment += set[3], a.malformed += set[4], a.spurious_retransmission += set[5];
    a.any_retransmission += set[0] || set[1] || set[2];
  }
  a.ok = pclose(pipe) == 0;
  return a;
}

}  // namespace hostwire::testing
