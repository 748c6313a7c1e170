#include "net/framers/http1.h"

#include <algorithm>
#include <string_view>

namespace hostwire::net::framers {

using namespace http;

namespace {

constexpr std::string_view kVersion = "HTTP/1.";  // HTTP-name is case-sensitive (RFC 9112 2.3)

}  // namespace

Http1Framer::Http1Framer(const FramerSpec& spec) : Framer(spec) { reset(); }

void Http1Framer::reset() {
  at_ = requests() ? At::leading : At::version;
  progress_ = 0;
  in_section_ = true;
  in_trailers_ = false;
  status_ = 0;
  field_ = Field::other;
  content_length_.clear();
  codings_.clear();
  chunk_ = pos_ = skipped_ = section_start_ = 0;
  last_ = Status::more();
}

void Http1Framer::expect_head_response() {
  if (!requests() && heads_ < UINT32_MAX) ++heads_;
}

Status Http1Framer::feed(std::span<const uint8_t> bytes) {
  size_t i = 0;
  while (last_.need_more() && i < bytes.size()) {
    if (at_ == At::chunk_data || at_ == At::until_close) {
      i += static_cast<size_t>(skip(bytes.size() - i));
      continue;
    }
    ++pos_;
    if (in_section_ && pos_ - section_start_ > spec_.header_limit)
      last_ = Status::over_limit(in_trailers_ ? "trailer section over header_limit"
                                              : "header section over header_limit");
    else if (pos_ > spec_.max_message)
      last_ = Status::over_limit("message over the maximum");
    else
      last_ = step(bytes[i++]);
  }
  return last_;
}

uint64_t Http1Framer::skip(uint64_t available) {
  if (at_ == At::until_close) {
    // One byte past the maximum is enough to know the message is too long.
    const uint64_t n = std::min(available, spec_.max_message - pos_ + 1);
    pos_ += n;
    skipped_ += n;
    if (pos_ > spec_.max_message) last_ = Status::over_limit("message over the maximum");
    return n;
  }
  // The chunk-size line checked that the data fits in the maximum.
  const uint64_t n = std::min(available, chunk_);
  pos_ += n;
  skipped_ += n;
  chunk_ -= n;
  if (chunk_ == 0) at_ = At::chunk_data_end;
  return n;
}

Status Http1Framer::finish() {
  if (last_.need_more() && at_ == At::until_close) last_ = Status::message(pos_);
  return last_;
}

Status Http1Framer::step(uint8_t c) {
  switch (at_) {
    case At::leading:
      if (c == '\r') return cr(Line::leading);
      if (c == '\n') return Status::more();
      at_ = At::method;
      [[fallthrough]];
    case At::method:
      if (is_tchar(c)) {
        progress_ = 1;
        return Status::more();
      }
      if (c != ' ' || progress_ == 0) return Status::fail("invalid method");
      at_ = At::target;
      progress_ = 0;
      return Status::more();
    case At::target:
      if (c == ' ' && progress_ > 0) {
        at_ = At::version;
        progress_ = 0;
        return Status::more();
      }
      if (c <= ' ' || c == 0x7F) return Status::fail("invalid request-target");
      progress_ = 1;
      return Status::more();
    case At::version:
      return version(c);
    case At::status_code:
      if (progress_ < 3) {
        if (!is_digit(c)) return Status::fail("invalid status-code");
        status_ = static_cast<uint16_t>(status_ * 10 + (c - '0'));
        if (++progress_ == 3 && (status_ < 100 || status_ > 599)) return Status::fail("invalid status-code");
        return Status::more();
      }
      // The reason-phrase is optional, and so in practice is the SP before it.
      if (c == ' ') {
        at_ = At::reason;
        return Status::more();
      }
      [[fallthrough]];
    case At::reason:
      if (c == '\r') return cr(Line::start);
      if (c == '\n') return end_line(Line::start);
      if (at_ == At::status_code || !is_field_char(c)) return Status::fail("invalid status-line");
      return Status::more();
    case At::line_end:
      if (c != '\n') return Status::fail("bare CR");
      return end_line(ended_);
    case At::field_start:
      if (c == '\r') return cr(Line::section_end);
      if (c == '\n') return end_line(Line::section_end);
      // RFC 9112 5.2: obs-fold (and whitespace before the first field, 2.2) may be rejected.
      if (is_ows(c)) return Status::fail("whitespace before a field name (obs-fold)");
      if (!is_tchar(c)) return Status::fail("invalid field name");
      at_ = At::field_name;
      name_.start();
      name_.add(c);
      return Status::more();
    case At::field_name:
      if (is_tchar(c)) {
        name_.add(c);
        return Status::more();
      }
      // RFC 9112 5.1: no whitespace between the name and the colon (a smuggling vector).
      if (c != ':') return Status::fail(is_ows(c) ? "whitespace before a field's colon" : "invalid field name");
      at_ = At::field_value;
      // Trailers do not frame the message (RFC 9110 6.5.1).
      field_ = in_trailers_ ? Field::other : name_.field();
      if (field_ == Field::content_length) content_length_.start_field();
      if (field_ == Field::transfer_encoding) codings_.start_field();
      return Status::more();
    case At::field_value:
      if (c == '\r') return cr(Line::field);
      if (c == '\n') return end_line(Line::field);
      if (!is_field_char(c)) return Status::fail("invalid field value");
      if (field_ == Field::content_length) content_length_.add(c);
      if (field_ == Field::transfer_encoding) codings_.add(c);
      return Status::more();
    case At::chunk_size:
      if (const int d = hex_value(c); d >= 0) {
        // The data must fit in the maximum: known as soon as the size says otherwise.
        const uint64_t room = spec_.max_message - pos_;
        if (room < static_cast<uint64_t>(d) || chunk_ > (room - d) / 16)
          return Status::over_limit("message over the maximum");
        chunk_ = chunk_ * 16 + d;
        progress_ = 1;
        return Status::more();
      }
      if (progress_ == 0) return Status::fail("invalid chunk-size");
      at_ = At::chunk_ext_bws;
      [[fallthrough]];
    case At::chunk_ext_bws:
      if (is_ows(c)) return Status::more();
      if (c == ';') {
        at_ = At::chunk_ext;
        return Status::more();
      }
      [[fallthrough]];
    case At::chunk_ext:
      // Chunk framing takes CRLF only: a bare LF here is how chunked-parsing differences
      // between a proxy and a server are exploited.
      if (c == '\r') return cr(Line::chunk_size);
      if (at_ != At::chunk_ext || !is_field_char(c)) return Status::fail("invalid chunk line");
      return Status::more();
    case At::chunk_data_end:
      if (c != '\r') return Status::fail("chunk data without CRLF");
      return cr(Line::chunk_data);
    case At::chunk_data:
    case At::until_close:
      break;  // skipped by count in feed()
  }
  return Status::fail("http framer state");
}

Status Http1Framer::version(uint8_t c) {
  if (progress_ < kVersion.size()) {
    if (c != static_cast<uint8_t>(kVersion[progress_])) return Status::fail("invalid HTTP-version");
    ++progress_;
    return Status::more();
  }
  if (progress_ == kVersion.size()) {
    if (!is_digit(c)) return Status::fail("invalid HTTP-version");
    ++progress_;
    return Status::more();
  }
  // A request-line ends after the version; a status-line goes on with the status code.
  if (requests()) {
    if (c == '\r') return cr(Line::start);
    if (c == '\n') return end_line(Line::start);
    return Status::fail("invalid request-line");
  }
  if (c != ' ') return Status::fail("invalid status-line");
  at_ = At::status_code;
  progress_ = 0;
  return Status::more();
}

Status Http1Framer::cr(Line line) {
  ended_ = line;
  at_ = At::line_end;
  return Status::more();
}

Status Http1Framer::end_line(Line line) {
  switch (line) {
    case Line::leading:
      at_ = At::leading;
      return Status::more();
    case Line::start:
      at_ = At::field_start;
      return Status::more();
    case Line::field:
      if (field_ == Field::content_length) content_length_.end_field();
      if (field_ == Field::transfer_encoding) codings_.end_field();
      at_ = At::field_start;
      return Status::more();
    case Line::section_end:
      if (in_trailers_) return Status::message(pos_);
      in_section_ = false;
      return end_header_section();
    case Line::chunk_size:
      if (chunk_ > 0) {
        at_ = At::chunk_data;
        return Status::more();
      }
      // The last-chunk: the trailer section follows.
      in_section_ = in_trailers_ = true;
      section_start_ = pos_;
      at_ = At::field_start;
      return Status::more();
    case Line::chunk_data:
      at_ = At::chunk_size;
      progress_ = 0;
      return Status::more();
  }
  return Status::fail("http framer state");
}

// RFC 9112 6.3, in its order.
Status Http1Framer::end_header_section() {
  if (!requests()) {
    if (status_ < 200) return Status::message(pos_);  // interim: the final response follows
    const bool head = heads_ > 0;
    if (head) --heads_;
    if (head || status_ == 204 || status_ == 304) return Status::message(pos_);
  }
  if (codings_.present()) {  // it overrides any Content-Length
    if (!codings_.valid()) return Status::fail("invalid Transfer-Encoding");
    if (codings_.chunked_last()) {
      at_ = At::chunk_size;
      progress_ = 0;
      return Status::more();
    }
    if (requests()) return Status::fail("Transfer-Encoding without chunked last");
    at_ = At::until_close;
    return Status::more();
  }
  if (content_length_.present()) {
    if (!content_length_.valid()) return Status::fail("invalid Content-Length");
    if (content_length_.value() > spec_.max_message - pos_) return Status::over_limit("message over the maximum");
    return Status::message(pos_ + content_length_.value());
  }
  if (requests()) return Status::message(pos_);
  at_ = At::until_close;
  return Status::more();
}

}  // namespace hostwire::net::framers
