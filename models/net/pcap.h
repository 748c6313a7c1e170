// Classic libpcap capture files (https://www.tcpdump.org/manpages/pcap-savefile.5.html,
// draft-ietf-opsawg-pcap): a 24-byte file header, then per frame a 16-byte record header
// and the captured bytes. Captures open in Wireshark and tshark.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/packet.h"
#include "core/units.h"
#include "net/result.h"

namespace hostwire::net {

inline constexpr uint32_t kPcapMagicMicroseconds = 0xA1B2C3D4;
inline constexpr uint32_t kPcapMagicNanoseconds = 0xA1B23C4D;
inline constexpr uint32_t kLinktypeEthernet = 1;
inline constexpr uint32_t kPcapSnapLength = 65535;
inline constexpr size_t kPcapFileHeaderBytes = 24;
inline constexpr size_t kPcapRecordHeaderBytes = 16;

// Writes nanosecond-resolution captures of Ethernet frames without FCS, little-endian
// (the same bytes on every host, so runs stay byte-for-byte reproducible). Frames longer
// than the snap length are cut, keeping their original length in the record.
class PcapWriter {
 public:
  PcapWriter() = default;
  ~PcapWriter();
  PcapWriter(PcapWriter&& other) noexcept;
  PcapWriter& operator=(PcapWriter&& other) noexcept;
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  // Creates (truncates) the file and writes the file header.
  Status open(const std::string& path);
  bool is_open() const { return file_ != nullptr; }

  // Simulated time becomes seconds + nanoseconds, truncated (a frame is never stamped
  // later than it happened). Negative times are errors.
  // Header bytes, then payload bytes; a copy cut to a snap length (Packet::original_length)
  // records the frame's length before the cut, as a capture with a snaplen does.
  Status write(Time at, const Packet& frame);
  Status write(Time at, std::span<const uint8_t> frame);

  Status flush();
  Status close();  // flushes; closing a closed writer is fine

  uint64_t frames() const { return frames_; }
  uint64_t bytes() const { return bytes_; }  // frame bytes stored in the file (after snap length)

 private:
  Status write_record(Time at, std::span<const uint8_t> head, std::span<const uint8_t> tail, uint64_t original = 0);

  std::FILE* file_ = nullptr;
  std::unique_ptr<char[]> buffer_;
  uint64_t frames_ = 0;
  uint64_t bytes_ = 0;
};

struct PcapFileHeader {
  bool nanoseconds = false;  // which magic: 0xA1B23C4D, or 0xA1B2C3D4 (microseconds)
  bool swapped = false;      // written on a host of the other byte order
  uint16_t version_major = 2;
  uint16_t version_minor = 4;
  uint32_t snap_length = 0;
  uint32_t linktype = 0;
};

struct PcapRecord {
  uint32_t ts_seconds = 0;
  uint32_t ts_fraction = 0;  // microseconds or nanoseconds, per the file header
  uint32_t original_length = 0;
  std::span<const uint8_t> data;  // into the reader's bytes

  // Simulated time of the record; nullopt past what Time holds (about 106 days in ps).
  std::optional<Time> time(const PcapFileHeader& file) const;
};

// Reads a capture held in memory. Strict and total: any inconsistency (bad magic, a
// record cut short, a captured length over the snap length or the original length, a
// fraction of a second out of range) is an error, never a crash.
class PcapReader {
 public:
  // The reader and its records point into `bytes`, which must outlive them.
  static Result<PcapReader> open(std::span<const uint8_t> bytes);
  static Result<PcapReader> open(std::vector<uint8_t>&&) = delete;  // would dangle

  const PcapFileHeader& header() const { return header_; }
  // The next record, std::nullopt at the end of the file.
  Result<std::optional<PcapRecord>> next();
  // Every remaining record, or the first error.
  Result<std::vector<PcapRecord>> read_all();

 private:
  PcapReader(std::span<const uint8_t> bytes, PcapFileHeader header) : bytes_(bytes), header_(header) {}
  uint32_t load32(size_t at) const;

  std::span<const uint8_t> bytes_;
  PcapFileHeader header_;
  size_t at_ = kPcapFileHeaderBytes;
};

// The whole file, for PcapReader::open.
Result<std::vector<uint8_t>> read_file(const std::string& path);

}  // namespace hostwire::net
