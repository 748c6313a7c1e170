// The pieces of HTTP/1.1 syntax the framer needs, each fed one byte at a time so that a
// header field may be split across any runs without being buffered: the character classes
// (RFC 9110 5.6.2, 5.5), the recognition of the two field names that decide the framing, and
// the values of Content-Length (RFC 9110 8.6) and Transfer-Encoding (RFC 9112 6.1).
#pragma once

#include <cstdint>

namespace hostwire::net::framers::http {

constexpr bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
constexpr bool is_ows(uint8_t c) { return c == ' ' || c == '\t'; }
constexpr uint8_t lower(uint8_t c) { return c >= 'A' && c <= 'Z' ? static_cast<uint8_t>(c + 32) : c; }
// tchar: "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
// / DIGIT / ALPHA.
bool is_tchar(uint8_t c);
// field-vchar / SP / HTAB: anything but the controls (CR, LF and NUL above all) and DEL.
constexpr bool is_field_char(uint8_t c) { return c == '\t' || (c >= 0x20 && c != 0x7F); }
// 0-15 for a hex digit, else -1.
int hex_value(uint8_t c);

// Which of the framing fields a field name is, recognised as its bytes arrive (case-insensitive).
enum class Field : uint8_t { other, content_length, transfer_encoding };
class FieldName {
 public:
  void start();
  void add(uint8_t c);  // a tchar of the name
  Field field() const;  // after the last byte

 private:
  uint8_t candidates_ = 0;  // bit per name still matched
  uint8_t length_ = 0;      // bytes so far, saturating
};

// The Content-Length fields of one header section: each value 1*DIGIT, or a list of the same
// number ("42, 42", which RFC 9110 8.6 lets a recipient take as 42); a different value in any
// field makes the length invalid. Values saturate at UINT64_MAX (over any maximum).
class ContentLength {
 public:
  void clear() { *this = {}; }
  void start_field();
  void add(uint8_t c);  // a byte of the field's value
  void end_field();
  bool present() const { return present_; }
  bool valid() const { return !invalid_; }
  uint64_t value() const { return value_; }

 private:
  void end_element();
  enum class At : uint8_t { before, digits, after } at_ = At::before;
  bool present_ = false, invalid_ = false, have_value_ = false;
  uint64_t element_ = 0, value_ = 0;
};

// The Transfer-Encoding fields of one header section, a list of transfer-codings across the
// fields in order: what matters is whether the last one is "chunked" (RFC 9112 6.3).
// Parameters are skipped, quoted strings in them included.
class TransferCodings {
 public:
  void clear() { *this = {}; }
  void start_field();
  void add(uint8_t c);
  void end_field();
  bool present() const { return present_; }
  bool valid() const { return !invalid_; }
  bool chunked_last() const { return chunked_last_; }

 private:
  void end_coding();
  enum class At : uint8_t { before, coding, after, parameters, quoted, escaped } at_ = At::before;
  bool present_ = false, invalid_ = false, chunked_last_ = false, matches_ = false;
  uint8_t length_ = 0;
};

}  // namespace hostwire::net::framers::http
