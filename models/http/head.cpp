#include "http/head.h"

namespace hostwire::http {

namespace syntax = net::framers::http;

std::optional<HeadLine> next_line(std::string_view bytes, size_t from) {
  const size_t lf = bytes.find('\n', from);
  if (lf == std::string_view::npos) return std::nullopt;
  size_t end = lf;
  if (end > from && bytes[end - 1] == '\r') --end;
  return HeadLine{bytes.substr(from, end - from), lf + 1};
}

std::optional<size_t> header_section_end(std::string_view bytes, uint64_t limit, bool skip_leading) {
  if (bytes.size() > limit) bytes = bytes.substr(0, limit);
  bool started = !skip_leading;
  size_t at = 0;
  while (auto line = next_line(bytes, at)) {
    at = line->next;
    if (!line->text.empty())
      started = true;
    else if (started)
      return at;
  }
  return std::nullopt;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!syntax::is_tchar(static_cast<uint8_t>(c))) return false;
  return true;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (syntax::lower(static_cast<uint8_t>(a[i])) != syntax::lower(static_cast<uint8_t>(b[i]))) return false;
  return true;
}

namespace {

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && syntax::is_ows(static_cast<uint8_t>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && syntax::is_ows(static_cast<uint8_t>(s.back()))) s.remove_suffix(1);
  return s;
}

// Connection = #connection-option; empty list elements are allowed (RFC 9110 5.6.1).
const char* add_connection_options(std::string_view value, HeadFields& f) {
  while (true) {
    const size_t comma = value.find(',');
    const std::string_view option = trim_ows(value.substr(0, comma));
    if (!option.empty()) {
      if (!is_token(option)) return "Connection option not a token";
      if (equals_ignoring_case(option, "close")) f.close = true;
      if (equals_ignoring_case(option, "keep-alive")) f.keep_alive = true;
    }
    if (comma == std::string_view::npos) return nullptr;
    value.remove_prefix(comma + 1);
  }
}

}  // namespace

const char* parse_fields(std::string_view section, HeadFields& f) {
  size_t at = 0;
  while (auto line = next_line(section, at)) {
    at = line->next;
    const std::string_view text = line->text;
    if (text.empty()) return nullptr;
    // obs-fold, or whitespace before the first field (RFC 9112 2.2, 5.2): either could smuggle a
    // field past a recipient that reads it differently.
    if (syntax::is_ows(static_cast<uint8_t>(text.front()))) return "field line starts with whitespace";
    const size_t colon = text.find(':');
    if (colon == std::string_view::npos) return "field line without ':'";
    const std::string_view name = text.substr(0, colon);
    if (!is_token(name)) return "field name not a token";
    const std::string_view value = trim_ows(text.substr(colon + 1));
    for (char c : value)
      if (!syntax::is_field_char(static_cast<uint8_t>(c))) return "control character in a field value";

    if (equals_ignoring_case(name, "host")) {
      ++f.hosts;
    } else if (equals_ignoring_case(name, "content-length")) {
      f.content_length.start_field();
      for (char c : value) f.content_length.add(static_cast<uint8_t>(c));
      f.content_length.end_field();
      if (!f.content_length.valid()) return "Content-Length invalid or conflicting";
    } else if (equals_ignoring_case(name, "transfer-encoding")) {
      f.transfer_encoding = true;
    } else if (equals_ignoring_case(name, "connection")) {
      if (const char* why = add_connection_options(value, f)) return why;
    }
  }
  return "header section without its empty line";
}

}  // namespace hostwire::http
