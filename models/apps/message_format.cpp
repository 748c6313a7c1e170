#include "apps/message_format.h"

#include <algorithm>
#include <cstring>

namespace hostwire::apps {

namespace {

constexpr uint64_t kLengthPrefixHeader = 12;  // length (4) + arose (8)
constexpr uint64_t kTlsHeader = 5;            // type, version (2), length (2)
constexpr uint8_t kTlsApplicationData = 23;
constexpr std::string_view kHttpLast = "0\r\n\r\n";  // the last chunk, no trailers
constexpr std::string_view kAroseField = "\r\nX-Arose: ";

int decimal_digits(uint64_t v) {
  int d = 1;
  while (v >= 10) v /= 10, ++d;
  return d;
}

int hex_digits(uint64_t v) {
  int d = 1;
  while (v >= 16) v >>= 4, ++d;
  return d;
}

std::string hex(uint64_t v, int width) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(static_cast<size_t>(std::max(width, hex_digits(v))), '0');
  for (size_t i = s.size(); v > 0; v >>= 4) s[--i] = kHex[v & 15];
  return s;
}

void put_be(std::string& s, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) s.push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t load_be64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | p[i];
  return v;
}

// Decimal digits at `p` (leading zeros allowed) up to `stop`; nullopt when there are none or
// they do not end in `stop` within `head`.
std::optional<Time> decimal_until(std::span<const uint8_t> head, size_t p, char stop, size_t* end = nullptr) {
  uint64_t v = 0;
  const size_t first = p;
  for (; p < head.size() && head[p] >= '0' && head[p] <= '9'; ++p) {
    if (v > (UINT64_MAX - 9) / 10) return std::nullopt;
    v = v * 10 + (head[p] - '0');
  }
  if (p == first || p >= head.size() || head[p] != stop || v > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  if (end) *end = p;
  return Time{static_cast<int64_t>(v)};
}

std::string http_head(uint64_t index, Time arose, std::optional<uint64_t> content_length, size_t pad) {
  std::string h = "POST /m/" + std::to_string(index) + " HTTP/1.1\r\nHost: hostwire\r\n";
  h += content_length ? "Content-Length: " + std::to_string(*content_length) + "\r\n"
                      : std::string("Transfer-Encoding: chunked\r\n");
  h += "X-Arose: ";
  h.append(pad, '0');
  h += std::to_string(arose.ps) + "\r\n\r\n";
  return h;
}

}  // namespace

std::shared_ptr<const std::vector<uint8_t>> text_pattern(std::string_view excluded) {
  std::string alphabet;
  for (int c = 0x21; c <= 0x7e; ++c)
    if (excluded.find(static_cast<char>(c)) == std::string_view::npos) alphabet.push_back(static_cast<char>(c));
  auto v = std::make_shared<std::vector<uint8_t>>(*pattern());
  for (auto& b : *v) b = static_cast<uint8_t>(alphabet[b % alphabet.size()]);
  return v;
}

// ---------------------------------------------------------------- layout

void MessageLayout::literal(std::string_view s) {
  if (s.empty()) return;
  runs_.push_back({s.size(), text_.size(), true});
  text_ += s;
  size_ += s.size();
}

void MessageLayout::body(uint64_t n) {
  if (n == 0) return;
  runs_.push_back({n, body_bytes_, false});
  body_bytes_ += n;
  size_ += n;
}

void MessageLayout::append(std::vector<uint8_t>& out, uint64_t from, size_t limit) const {
  uint64_t start = 0;  // of the run
  for (const Run& r : runs_) {
    if (out.size() >= limit) return;
    if (from < start + r.length) {
      const uint64_t skip = from > start ? from - start : 0;
      const uint64_t n = std::min<uint64_t>(r.length - skip, limit - out.size());
      if (r.literal) {
        const auto* p = reinterpret_cast<const uint8_t*>(text_.data()) + r.at + skip;
        out.insert(out.end(), p, p + n);
      } else {
        append_pattern(out, *body_, r.at + skip, n);
      }
    }
    start += r.length;
  }
}

uint64_t MessageLayout::digest() const {
  StreamDigest d;
  for (const Run& r : runs_) {
    if (r.literal) {
      d.update(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text_.data()) + r.at, r.length));
      continue;
    }
    for (uint64_t at = r.at, left = r.length; left > 0;) {  // the pattern's runs, wrapping
      const size_t p = static_cast<size_t>(at % body_->size());
      const size_t k = static_cast<size_t>(std::min<uint64_t>(left, body_->size() - p));
      d.update(std::span<const uint8_t>(body_->data() + p, k));
      at += k;
      left -= k;
    }
  }
  return d.value();
}

std::vector<uint8_t> MessageLayout::bytes() const {
  std::vector<uint8_t> out;
  append(out, 0, static_cast<size_t>(size_));
  return out;
}

// ---------------------------------------------------------------- format

MessageFormat::MessageFormat(Settings s) : s_(std::move(s)) {
  body_ = s_.framing == Framing::delimiter ? text_pattern(s_.delimiter) : pattern();
}

net::framers::FramerSpec MessageFormat::framer_spec() const {
  net::framers::FramerSpec f;
  f.kind = s_.framing;
  f.max_message = max_size();
  // length_prefix: a 4-byte big-endian length at offset 0 counting the whole message.
  f.width = 4;
  f.big_endian = true;
  f.offset = 0;
  f.counts_header = true;
  f.delimiter = s_.delimiter;
  f.http_requests = true;
  return f;
}

uint64_t MessageFormat::max_size() const {
  return s_.framing == Framing::tls ? std::min(s_.max_size, kTlsMaxRecord) : s_.max_size;
}

uint64_t MessageFormat::min_size(uint64_t index, Time arose) const {
  switch (s_.framing) {
    case Framing::length_prefix:
      return kLengthPrefixHeader;
    case Framing::tls:
      return kTlsHeader + 8;  // the arose time at least
    case Framing::delimiter:
      return static_cast<uint64_t>(decimal_digits(index) + decimal_digits(static_cast<uint64_t>(arose.ps)) + 2) +
             s_.delimiter.size();
    case Framing::http:
      return s_.http_chunked ? http_head(index, arose, std::nullopt, 0).size() + kHttpLast.size()
                             : http_head(index, arose, 0, 0).size();
  }
  return 0;
}

MessageLayout MessageFormat::layout(uint64_t index, Time arose, uint64_t size) const {
  MessageLayout m(*body_);
  size = std::max(size, min_size(index, arose));
  switch (s_.framing) {
    case Framing::length_prefix: {
      std::string h;
      put_be(h, size, 4);
      binary(m, std::move(h), arose, index, size);
      break;
    }
    case Framing::tls: {
      std::string h{static_cast<char>(kTlsApplicationData), 3, 3};
      put_be(h, size - kTlsHeader, 2);
      binary(m, std::move(h), arose, index, size);
      break;
    }
    case Framing::delimiter: {
      const std::string h = std::to_string(index) + ' ' + std::to_string(arose.ps) + ' ';
      m.literal(h);
      m.body(size - h.size() - s_.delimiter.size());
      m.literal(s_.delimiter);
      break;
    }
    case Framing::http:
      s_.http_chunked ? http_chunked(m, index, arose, size) : http(m, index, arose, size);
      break;
  }
  return m;
}

void MessageFormat::binary(MessageLayout& m, std::string header, Time arose, uint64_t index, uint64_t size) {
  // After the framing's header, arose and index (8 bytes each, big-endian), cut short in a
  // message too small for them; then the body.
  put_be(header, static_cast<uint64_t>(arose.ps), 8);
  put_be(header, index, 8);
  header.resize(std::min<uint64_t>(header.size(), size));
  m.literal(header);
  m.body(size - header.size());
}

void MessageFormat::http(MessageLayout& m, uint64_t index, Time arose, uint64_t size) const {
  // The header's length depends on the digits of the body's: the body of n bytes with
  // digits(n) == d. Where no d fits (n would be 10^d exactly), one more zero before the
  // arose time shifts the size by one.
  const uint64_t fixed = http_head(index, arose, 0, 0).size() - 1;  // without the length's digits
  for (size_t pad = 0; pad <= 1; ++pad)
    for (int d = 1; d <= 20; ++d) {
      const uint64_t head = fixed + static_cast<uint64_t>(d) + pad;
      if (size < head) break;
      if (decimal_digits(size - head) != d) continue;
      m.literal(http_head(index, arose, size - head, pad));
      m.body(size - head);
      return;
    }
  m.literal(http_head(index, arose, 0, 0));  // unreachable: size >= min_size has a fit
}

void MessageFormat::http_chunked(MessageLayout& m, uint64_t index, Time arose, uint64_t size) const {
  // After the header and before the last chunk, `rest` bytes of chunks "<hex>\r\n<data>\r\n".
  // No chunk is shorter than 6 bytes: a rest of 1-5 goes into zeros before the arose time.
  const uint64_t head = http_head(index, arose, std::nullopt, 0).size();
  uint64_t rest = size - head - kHttpLast.size();
  const size_t pad = rest < 6 ? static_cast<size_t>(rest) : 0;
  rest -= pad;
  m.literal(http_head(index, arose, std::nullopt, pad));
  const uint64_t c = std::max<uint64_t>(s_.http_chunk_size, 1);
  const uint64_t full = c + static_cast<uint64_t>(hex_digits(c)) + 4;
  uint64_t chunks = rest / full, last = rest % full;
  if (last > 0 && last < 6) --chunks, last += full;  // the last two chunks as one longer chunk
  const std::string line = hex(c, 0) + "\r\n";
  for (uint64_t i = 0; i < chunks; ++i) {
    m.literal(line);
    m.body(c);
    m.literal("\r\n");
  }
  if (last > 0) {
    // The fewest hex digits w with hex_digits(last - 4 - w) <= w (zero-padded up to w).
    int w = 1;
    while (hex_digits(last - 4 - static_cast<uint64_t>(w)) > w) ++w;
    const uint64_t n = last - 4 - static_cast<uint64_t>(w);
    m.literal(hex(n, w) + "\r\n");
    m.body(n);
    m.literal("\r\n");
  }
  m.literal(kHttpLast);
}

std::optional<Time> MessageFormat::arose(std::span<const uint8_t> head) const {
  switch (s_.framing) {
    case Framing::length_prefix:
    case Framing::tls: {
      const size_t at = s_.framing == Framing::tls ? kTlsHeader : 4;
      if (head.size() < at + 8) return std::nullopt;
      const uint64_t v = load_be64(head.data() + at);
      if (v > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
      return Time{static_cast<int64_t>(v)};
    }
    case Framing::delimiter: {
      size_t end = 0;
      if (!decimal_until(head, 0, ' ', &end)) return std::nullopt;
      return decimal_until(head, end + 1, ' ');
    }
    case Framing::http: {
      const auto it = std::search(head.begin(), head.end(), kAroseField.begin(), kAroseField.end());
      if (it == head.end()) return std::nullopt;
      return decimal_until(head, static_cast<size_t>(it - head.begin()) + kAroseField.size(), '\r');
    }
  }
  return std::nullopt;
}

std::string MessageFormat::delimiter_problem(std::string_view d) {
  if (d.empty() || d.size() > 16) return "a delimiter is 1 to 16 bytes; this one is " + std::to_string(d.size());
  for (char c : d)
    if ((c >= '0' && c <= '9') || c == ' ')
      return "may hold no digit or space: a line's text header (\"<index> <arose> \") is made of them";
  return {};
}

// ---------------------------------------------------------------- the consumer's side

void MessageAssembly::add(std::span<const uint8_t> bytes) {
  const size_t room = MessageFormat::kHeadBytes - std::min(head_.size(), MessageFormat::kHeadBytes);
  head_.insert(head_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(std::min(room, bytes.size())));
  digest_.update(bytes);
}

MessageAssembly::Verdict MessageAssembly::finish(const MessageFormat& f, uint64_t index) {
  Verdict v;
  v.arose = f.arose(head_);
  if (v.arose) {
    const MessageLayout expected = f.layout(index, *v.arose, digest_.bytes());
    v.intact = expected.size() == digest_.bytes() && expected.digest() == digest_.value();
  }
  digest_ = StreamDigest();
  head_.clear();
  return v;
}

}  // namespace hostwire::apps
