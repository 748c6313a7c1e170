#include "net/framers/http_fields.h"

#include <iterator>
#include <string_view>

namespace hostwire::net::framers::http {

namespace {

constexpr std::string_view kNames[] = {"content-length", "transfer-encoding"};
constexpr std::string_view kChunked = "chunked";

}  // namespace

bool is_tchar(uint8_t c) {
  if (is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

int hex_value(uint8_t c) {
  if (is_digit(c)) return c - '0';
  const uint8_t l = lower(c);
  return l >= 'a' && l <= 'f' ? l - 'a' + 10 : -1;
}

void FieldName::start() {
  candidates_ = (1u << std::size(kNames)) - 1;
  length_ = 0;
}

void FieldName::add(uint8_t c) {
  for (size_t k = 0; k < std::size(kNames); ++k)
    if (length_ >= kNames[k].size() || lower(c) != static_cast<uint8_t>(kNames[k][length_]))
      candidates_ &= static_cast<uint8_t>(~(1u << k));
  if (length_ < UINT8_MAX) ++length_;
}

Field FieldName::field() const {
  for (size_t k = 0; k < std::size(kNames); ++k)
    if ((candidates_ >> k & 1) && length_ == kNames[k].size()) return static_cast<Field>(k + 1);
  return Field::other;
}

void ContentLength::start_field() {
  present_ = true;
  at_ = At::before;
}

void ContentLength::add(uint8_t c) {
  if (is_digit(c)) {
    if (at_ == At::after) invalid_ = true;  // "4 2"
    if (at_ == At::before) element_ = 0;
    at_ = At::digits;
    const uint64_t d = c - '0';
    element_ = element_ > (UINT64_MAX - d) / 10 ? UINT64_MAX : element_ * 10 + d;
  } else if (is_ows(c)) {
    if (at_ == At::digits) at_ = At::after;
  } else if (c == ',' && at_ != At::before) {
    end_element();
  } else {
    invalid_ = true;  // a sign, a letter, an empty list element
  }
}

void ContentLength::end_field() {
  if (at_ == At::before)
    invalid_ = true;  // an empty value, or one ending in ","
  else
    end_element();
}

void ContentLength::end_element() {
  if (have_value_ && element_ != value_) invalid_ = true;
  value_ = element_;
  have_value_ = true;
  at_ = At::before;
}

void TransferCodings::start_field() {
  present_ = true;
  at_ = At::before;
}

void TransferCodings::add(uint8_t c) {
  switch (at_) {
    case At::before:
      if (is_tchar(c)) {
        at_ = At::coding;
        length_ = 0;
        matches_ = true;
        break;
      }
      // Empty list elements are allowed (RFC 9110 5.6.1).
      if (!is_ows(c) && c != ',') invalid_ = true;
      return;
    case At::coding:
      if (is_tchar(c)) break;
      end_coding();
      at_ = c == ',' ? At::before : c == ';' ? At::parameters : At::after;
      if (!is_ows(c) && c != ',' && c != ';') invalid_ = true;
      return;
    case At::after:
      if (c == ',') at_ = At::before;
      else if (c == ';') at_ = At::parameters;
      else if (!is_ows(c)) invalid_ = true;
      return;
    case At::parameters:
      if (c == ',') at_ = At::before;
      else if (c == '"') at_ = At::quoted;
      return;
    case At::quoted:
      if (c == '\\') at_ = At::escaped;
      else if (c == '"') at_ = At::parameters;
      return;
    case At::escaped:
      at_ = At::quoted;
      return;
  }
  // A byte of a coding's name.
  matches_ = matches_ && length_ < kChunked.size() && lower(c) == static_cast<uint8_t>(kChunked[length_]);
  if (length_ < UINT8_MAX) ++length_;
}

void TransferCodings::end_coding() { chunked_last_ = matches_ && length_ == kChunked.size(); }

void TransferCodings::end_field() {
  if (at_ == At::coding) end_coding();
  if (at_ == At::quoted || at_ == At::escaped) invalid_ = true;  // an unterminated quoted-string
  at_ = At::before;
}

}  // namespace hostwire::net::framers::http
