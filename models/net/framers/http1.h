// HTTP/1.1 messages (RFC 9112): the start line and header section are parsed byte by byte as
// they arrive, with nothing buffered; the body's length then follows RFC 9112 6.3. A
// Content-Length body is not looked at (the message's length is known at the empty line);
// chunk data is skipped by count, the chunk-size lines and trailers between parsed.
#pragma once

#include "net/framers/framer.h"
#include "net/framers/http_fields.h"

namespace hostwire::net::framers {

class Http1Framer final : public Framer {
 public:
  explicit Http1Framer(const FramerSpec& spec);

  framers::Status feed(std::span<const uint8_t> bytes) override;
  // A response with neither Content-Length nor chunked ends here (RFC 9112 6.3 item 8).
  framers::Status finish() override;
  void reset() override;  // keeps the queued HEAD responses
  framers::Status last() const override { return last_; }
  // Start line, fields, chunk-size lines and trailers; not the body bytes.
  uint64_t examined() const override { return pos_ - skipped_; }
  // The next final (non-1xx) response whose header section is not complete yet answers a HEAD;
  // each call queues one more.
  void expect_head_response() override;

  uint32_t head_responses_queued() const { return heads_; }

 private:
  enum class At : uint8_t {
    leading,  // before a request-line: empty lines are skipped (RFC 9112 2.2)
    method,
    target,
    version,  // "HTTP/1." DIGIT, of a request-line or a status-line
    status_code,
    reason,
    line_end,  // a CR: LF must follow
    field_start,
    field_name,
    field_value,
    chunk_size,
    chunk_ext_bws,  // after the size: BWS, then ";" or the line's end
    chunk_ext,
    chunk_data,      // skipped by count
    chunk_data_end,  // the CRLF after the data
    until_close,     // a response body that ends at the close, skipped by count
  };
  // The line a line end completes.
  enum class Line : uint8_t { leading, start, field, section_end, chunk_size, chunk_data };

  framers::Status step(uint8_t c);  // one examined byte
  framers::Status version(uint8_t c);
  framers::Status cr(Line line);
  framers::Status end_line(Line line);
  framers::Status end_header_section();
  uint64_t skip(uint64_t available);  // body bytes passed over by count
  bool requests() const { return spec_.http_requests; }

  At at_ = At::leading;
  Line ended_ = Line::start;
  uint8_t progress_ = 0;  // bytes of the current token or literal (saturating)
  bool in_section_ = true;  // in the header section or a trailer section (header_limit applies)
  bool in_trailers_ = false;
  uint16_t status_ = 0;
  http::Field field_ = http::Field::other;
  http::FieldName name_;
  http::ContentLength content_length_;
  http::TransferCodings codings_;
  uint64_t chunk_ = 0;  // the chunk-size being read, then the chunk data left
  uint64_t pos_ = 0;    // bytes of the message so far
  uint64_t skipped_ = 0;
  uint64_t section_start_ = 0;
  uint32_t heads_ = 0;
  framers::Status last_;
};

}  // namespace hostwire::net::framers
