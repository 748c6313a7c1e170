#include "http/request.h"

#include <array>
#include <utility>

#include "http/head.h"

namespace hostwire::http {

namespace {

constexpr std::array<std::pair<Method, const char*>, 6> kMethods = {{
    {Method::get, "GET"},
    {Method::head, "HEAD"},
    {Method::post, "POST"},
    {Method::put, "PUT"},
    {Method::del, "DELETE"},
    {Method::options, "OPTIONS"},
}};

// Method names are case-sensitive (RFC 9110 9.1); an unknown token is still a request (501).
Method method_named(std::string_view name) {
  for (const auto& [m, text] : kMethods)
    if (name == text) return m;
  return Method::other;
}

bool is_visible_ascii(char c) { return c > 0x20 && c < 0x7F; }

ParsedRequest request_error(RequestError e, const char* why) {
  ParsedRequest p;
  p.error = e;
  p.why = why;
  return p;
}

ParsedRequest bad_request(const char* why) { return request_error(RequestError::bad_request, why); }

// request-line = method SP request-target SP HTTP-version; the error, or nullptr.
const char* parse_request_line(std::string_view line, Request& r) {
  const size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return "request-line without SP";
  const std::string_view method = line.substr(0, sp1);
  if (!is_token(method)) return "method not a token";
  const size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return "request-line without a second SP";
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (target.empty()) return "empty request-target";
  for (char c : target)
    if (!is_visible_ascii(c)) return "request-target not visible ASCII";
  const std::string_view version = line.substr(sp2 + 1);
  if (version == "HTTP/1.1")
    r.version_minor = 1;
  else if (version == "HTTP/1.0")
    r.version_minor = 0;
  else if (version.find(' ') != std::string_view::npos)
    return "SP in the request-target";
  else
    return "HTTP version not 1.0 or 1.1";
  r.method = method_named(method);
  r.target = std::string(target);
  return nullptr;
}

}  // namespace

const char* to_string(Method m) {
  for (const auto& [method, text] : kMethods)
    if (method == m) return text;
  return "other";
}

int status_of(RequestError e) {
  switch (e) {
    case RequestError::none:
      return 200;
    case RequestError::bad_request:
      return 400;
    case RequestError::header_too_long:
      return 431;
  }
  return 400;
}

ParsedRequest parse_request(std::span<const uint8_t> head, uint32_t header_limit) {
  const std::string_view text = as_text(head);
  // Found without the limit first, so that a section just over it is told apart from one cut short.
  const auto end = header_section_end(text, text.size(), true);
  if (!end) {
    if (text.size() > header_limit)
      return request_error(RequestError::header_too_long, "header section over header_limit");
    return bad_request("header section without its empty line");
  }
  if (*end > header_limit) return request_error(RequestError::header_too_long, "header section over header_limit");

  size_t at = 0;
  std::optional<HeadLine> line;
  while ((line = next_line(text, at)) && line->text.empty()) at = line->next;  // leading empty lines

  ParsedRequest p;
  if (const char* why = parse_request_line(line->text, p.request)) return bad_request(why);
  HeadFields fields;
  if (const char* why = parse_fields(text.substr(line->next, *end - line->next), fields)) return bad_request(why);
  if (fields.transfer_encoding) return bad_request("Transfer-Encoding in a request");
  if (fields.hosts > 1) return bad_request("more than one Host field");
  if (fields.hosts == 0 && p.request.version_minor >= 1) return bad_request("HTTP/1.1 request without Host");
  p.request.keep_alive = persists(p.request.version_minor, fields);
  p.request.header_bytes = *end;
  p.request.body_bytes = fields.content_length.present() ? fields.content_length.value() : 0;
  return p;
}

std::optional<uint64_t> find_header_end(std::span<const uint8_t> bytes, uint32_t header_limit, bool* too_long) {
  const auto end = header_section_end(as_text(bytes), header_limit, true);
  if (too_long) *too_long = !end && bytes.size() >= header_limit;
  if (!end) return std::nullopt;
  return *end;
}

std::string format_request(Method m, std::string_view target, std::string_view host, bool keep_alive) {
  std::string s;
  s.reserve(target.size() + host.size() + 64);
  s.append(to_string(m)).append(" ").append(target).append(" HTTP/1.1\r\nHost: ").append(host).append("\r\n");
  if (!keep_alive) s.append("Connection: close\r\n");
  s.append("\r\n");
  return s;
}

}  // namespace hostwire::http
