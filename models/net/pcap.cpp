#include "net/pcap.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "net/byte_order.h"

namespace hostwire::net {
namespace {

constexpr size_t kWriteBufferBytes = 1 << 20;
constexpr int64_t kPsPerSecond = 1'000'000'000'000;

Error io_error(const char* what, const std::string& detail) {
  return fail(std::string("pcap: ") + what + ": " + detail);
}

}  // namespace

PcapWriter::~PcapWriter() { (void)close(); }

PcapWriter::PcapWriter(PcapWriter&& other) noexcept
    : file_(std::exchange(other.file_, nullptr)),
      buffer_(std::move(other.buffer_)),
      frames_(other.frames_),
      bytes_(other.bytes_) {}

PcapWriter& PcapWriter::operator=(PcapWriter&& other) noexcept {
  if (this != &other) {
    (void)close();
    file_ = std::exchange(other.file_, nullptr);
    buffer_ = std::move(other.buffer_);
    frames_ = other.frames_;
    bytes_ = other.bytes_;
  }
  return *this;
}

Status PcapWriter::open(const std::string& path) {
  if (auto s = close(); !s) return s;
  file_ = std::fopen(path.c_str(), "wb");
  if (!file_) return io_error("cannot create", path + ": " + std::strerror(errno));
  buffer_ = std::make_unique<char[]>(kWriteBufferBytes);
  std::setvbuf(file_, buffer_.get(), _IOFBF, kWriteBufferBytes);
  frames_ = bytes_ = 0;
  uint8_t h[kPcapFileHeaderBytes]{};
  store_le32(h, kPcapMagicNanoseconds);
  store_le16(h + 4, 2);  // version 2.4
  store_le16(h + 6, 4);
  // thiszone and sigfigs (bytes 8-15) are zero, as every modern writer leaves them.
  store_le32(h + 16, kPcapSnapLength);
  store_le32(h + 20, kLinktypeEthernet);
  if (std::fwrite(h, 1, sizeof h, file_) != sizeof h) return io_error("write failed", path);
  return success();
}

Status PcapWriter::write(Time at, const Packet& frame) {
  return write_record(at, frame.header_bytes(), frame.payload.bytes(), frame.original_length);
}

Status PcapWriter::write(Time at, std::span<const uint8_t> frame) { return write_record(at, frame, {}); }

Status PcapWriter::write_record(Time at, std::span<const uint8_t> head, std::span<const uint8_t> tail,
                                uint64_t cut_from) {
  if (!file_) return fail("pcap: write to a closed writer");
  if (at.ps < 0) return fail("pcap: negative timestamp");
  const int64_t seconds = at.ps / kPsPerSecond;
  const uint64_t original = std::max<uint64_t>(cut_from, head.size() + tail.size());
  if (original > UINT32_MAX) return fail("pcap: frame longer than 2^32 bytes");
  head = head.first(std::min<size_t>(head.size(), kPcapSnapLength));
  tail = tail.first(std::min<size_t>(tail.size(), kPcapSnapLength - head.size()));
  const uint32_t captured = static_cast<uint32_t>(head.size() + tail.size());

  uint8_t r[kPcapRecordHeaderBytes];
  store_le32(r, static_cast<uint32_t>(seconds));
  store_le32(r + 4, static_cast<uint32_t>(at.ps % kPsPerSecond / 1000));
  store_le32(r + 8, captured);
  store_le32(r + 12, static_cast<uint32_t>(original));
  // An empty span's data() may be null, which fwrite must not be given even for 0 bytes.
  auto put = [this](std::span<const uint8_t> b) { return b.empty() || std::fwrite(b.data(), 1, b.size(), file_) == b.size(); };
  if (!put(r) || !put(head) || !put(tail)) return fail("pcap: write failed");
  ++frames_;
  bytes_ += captured;
  return success();
}

Status PcapWriter::flush() {
  if (file_ && std::fflush(file_) != 0) return fail("pcap: flush failed");
  return success();
}

Status PcapWriter::close() {
  if (!file_) return success();
  const bool ok = std::fclose(std::exchange(file_, nullptr)) == 0;  // fclose flushes
  buffer_.reset();
  return ok ? success() : fail("pcap: close failed");
}

std::optional<Time> PcapRecord::time(const PcapFileHeader& file) const {
  const int64_t ps_per_unit = file.nanoseconds ? 1000 : 1'000'000;
  if (ts_seconds >= INT64_MAX / kPsPerSecond) return std::nullopt;
  return Time::from_ps(int64_t{ts_seconds} * kPsPerSecond + int64_t{ts_fraction} * ps_per_unit);
}

Result<PcapReader> PcapReader::open(std::span<const uint8_t> bytes) {
  if (bytes.size() < kPcapFileHeaderBytes) return fail("pcap file header past end of file");
  PcapFileHeader h;
  const uint32_t magic = load_le32(bytes.data());
  const uint32_t magic_be = load_be32(bytes.data());
  if (magic == kPcapMagicMicroseconds || magic == kPcapMagicNanoseconds) {
    h.nanoseconds = magic == kPcapMagicNanoseconds;
  } else if (magic_be == kPcapMagicMicroseconds || magic_be == kPcapMagicNanoseconds) {
    h.nanoseconds = magic_be == kPcapMagicNanoseconds;
    h.swapped = true;
  } else {
    return fail("pcap.magic unknown");
  }
  auto load16 = [&](size_t at) { return h.swapped ? load_be16(bytes.data() + at) : load_le16(bytes.data() + at); };
  h.version_major = load16(4);
  h.version_minor = load16(6);
  if (h.version_major != 2) return fail("pcap.version_major != 2");
  PcapReader reader(bytes, h);
  reader.header_.snap_length = reader.load32(16);
  reader.header_.linktype = reader.load32(20) & 0x0FFFFFFF;  // the top bits carry the FCS length
  return reader;
}

uint32_t PcapReader::load32(size_t at) const {
  return header_.swapped ? load_be32(bytes_.data() + at) : load_le32(bytes_.data() + at);
}

Result<std::optional<PcapRecord>> PcapReader::next() {
  if (at_ == bytes_.size()) return std::optional<PcapRecord>{};
  if (bytes_.size() - at_ < kPcapRecordHeaderBytes) return fail("pcap record header past end of file");
  PcapRecord r;
  r.ts_seconds = load32(at_);
  r.ts_fraction = load32(at_ + 4);
  const uint32_t captured = load32(at_ + 8);
  r.original_length = load32(at_ + 12);
  if (r.ts_fraction >= (header_.nanoseconds ? 1'000'000'000u : 1'000'000u))
    return fail("pcap record timestamp fraction >= 1 second");
  if (captured > header_.snap_length) return fail("pcap record captured length > snap length");
  if (captured > r.original_length) return fail("pcap record captured length > original length");
  if (bytes_.size() - at_ - kPcapRecordHeaderBytes < captured) return fail("pcap record data past end of file");
  r.data = bytes_.subspan(at_ + kPcapRecordHeaderBytes, captured);
  at_ += kPcapRecordHeaderBytes + captured;
  return std::optional<PcapRecord>{r};
}

Result<std::vector<PcapRecord>> PcapReader::read_all() {
  std::vector<PcapRecord> records;
  for (;;) {
    auto r = next();
    if (!r) return Error{r.error()};
    if (!r.value()) return records;
    records.push_back(*r.value());
  }
}

Result<std::vector<uint8_t>> read_file(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return io_error("cannot open", path + ": " + std::strerror(errno));
  std::vector<uint8_t> bytes;
  uint8_t chunk[1 << 16];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, f.get())) > 0) bytes.insert(bytes.end(), chunk, chunk + n);
  if (std::ferror(f.get())) return io_error("read failed", path);
  return bytes;
}

}  // namespace hostwire::net
