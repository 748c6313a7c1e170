#include "http/response.h"

#include <array>
#include <string_view>
#include <utility>

#include "http/head.h"

namespace hostwire::http {

namespace {

constexpr std::array<std::pair<int, const char*>, 6> kReasons = {{
    {200, "OK"},
    {400, "Bad Request"},
    {404, "Not Found"},
    {431, "Request Header Fields Too Large"},
    {501, "Not Implemented"},
    {503, "Service Unavailable"},
}};

bool is_reason_char(char c) {
  const auto u = static_cast<uint8_t>(c);
  return u == '\t' || (u >= 0x20 && u != 0x7F);  // HTAB / SP / VCHAR / obs-text
}

// status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 4).
const char* parse_status_line(std::string_view line, int& version_minor, int& status) {
  constexpr std::string_view kName = "HTTP/1.";
  if (line.size() < 13 || line.substr(0, kName.size()) != kName) return "status-line not HTTP/1.x";
  const char minor = line[7];
  if (minor != '0' && minor != '1') return "HTTP version not 1.0 or 1.1";
  if (line[8] != ' ' || line[12] != ' ') return "status-line malformed";
  status = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') return "status code not 3 digits";
    status = status * 10 + (line[i] - '0');
  }
  if (status < 100) return "status code under 100";
  for (char c : line.substr(13))
    if (!is_reason_char(c)) return "control character in the reason phrase";
  version_minor = minor - '0';
  return nullptr;
}

}  // namespace

const char* reason_phrase(int status) {
  for (const auto& [code, text] : kReasons)
    if (code == status) return text;
  return "Unknown";
}

std::string response_head(int status, uint64_t content_length, bool keep_alive) {
  std::string s = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
  s += "Content-Length: " + std::to_string(content_length) + "\r\n";
  s += status == 200 ? "Content-Type: application/octet-stream\r\n" : "Content-Type: text/plain\r\n";
  if (!keep_alive) s += "Connection: close\r\n";
  s += "\r\n";
  return s;
}

std::string error_response(int status, bool keep_alive) {
  const std::string body = std::to_string(status) + " " + reason_phrase(status) + "\n";
  return response_head(status, body.size(), keep_alive) + body;
}

net::Result<ResponseHead> parse_response_head(std::span<const uint8_t> head) {
  const std::string_view text = as_text(head);
  const auto end = header_section_end(text, text.size(), false);
  if (!end) return net::fail("response head without its empty line");
  const auto line = next_line(text, 0);
  int minor = 1;
  ResponseHead r;
  if (const char* why = parse_status_line(line->text, minor, r.status)) return net::fail(why);
  HeadFields fields;
  if (const char* why = parse_fields(text.substr(line->next, *end - line->next), fields)) return net::fail(why);
  if (fields.transfer_encoding) return net::fail("Transfer-Encoding in a response");
  r.has_length = fields.content_length.present();
  r.content_length = r.has_length ? fields.content_length.value() : 0;
  r.keep_alive = persists(minor, fields);
  r.header_bytes = *end;
  return r;
}

}  // namespace hostwire::http
