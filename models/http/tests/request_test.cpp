// The server's request parser: what it takes (methods, the persistence rules of HTTP/1.0 and
// 1.1, bare LF, leading empty lines, a body's Content-Length) and what it refuses with 400 or 431,
// and where a header section ends as its bytes arrive.
#include "http/request.h"

#include <gtest/gtest.h>

#include <string>

using namespace hostwire::http;

namespace request_test {

std::span<const uint8_t> as_span(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }
ParsedRequest parse(std::string_view s, uint32_t limit = 8192) { return parse_request(as_span(s), limit); }
std::string why(const ParsedRequest& p) { return p.why ? p.why : "(none)"; }
void expect_bad(std::string_view s) {
  const ParsedRequest p = parse(s);
  EXPECT_EQ(p.error, RequestError::bad_request) << s;
  EXPECT_NE(p.why, nullptr) << s;
  EXPECT_EQ(status_of(p.error), 400);
}

}  // namespace request_test

using request_test::parse;
using request_test::expect_bad;

TEST(HttpRequest, MethodNamesAndStatuses) {
  EXPECT_STREQ(to_string(Method::get), "GET");
  EXPECT_STREQ(to_string(Method::head), "HEAD");
  EXPECT_STREQ(to_string(Method::post), "POST");
  EXPECT_STREQ(to_string(Method::put), "PUT");
  EXPECT_STREQ(to_string(Method::del), "DELETE");
  EXPECT_STREQ(to_string(Method::options), "OPTIONS");
  EXPECT_STREQ(to_string(Method::other), "other");
  EXPECT_EQ(status_of(RequestError::none), 200);
  EXPECT_EQ(status_of(RequestError::bad_request), 400);
  EXPECT_EQ(status_of(RequestError::header_too_long), 431);
}

TEST(HttpRequest, ParsesGet) {
  const std::string s = "GET /obj/17 HTTP/1.1\r\nHost: server\r\nAccept: */*\r\n\r\n";
  const ParsedRequest p = parse(s);
  ASSERT_EQ(p.error, RequestError::none) << request_test::why(p);
  EXPECT_EQ(p.why, nullptr);
  EXPECT_EQ(p.request.method, Method::get);
  EXPECT_EQ(p.request.target, "/obj/17");
  EXPECT_EQ(p.request.version_minor, 1);
  EXPECT_TRUE(p.request.keep_alive);
  EXPECT_EQ(p.request.header_bytes, s.size());
  EXPECT_EQ(p.request.body_bytes, 0u);
}

TEST(HttpRequest, ParsesHeadAndOtherMethods) {
  EXPECT_EQ(parse("HEAD /x HTTP/1.1\r\nHost: h\r\n\r\n").request.method, Method::head);
  EXPECT_EQ(parse("DELETE /x HTTP/1.1\r\nHost: h\r\n\r\n").request.method, Method::del);
  EXPECT_EQ(parse("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n").request.method, Method::options);
  // An unknown method token parses (the server answers 501); method names are case-sensitive.
  const ParsedRequest brew = parse("BREW /pot HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(brew.error, RequestError::none);
  EXPECT_EQ(brew.request.method, Method::other);
  EXPECT_EQ(parse("get /x HTTP/1.1\r\nHost: h\r\n\r\n").request.method, Method::other);
}

TEST(HttpRequest, KeepAliveRulesOfHttp11) {
  EXPECT_TRUE(parse("GET / HTTP/1.1\r\nHost: h\r\n\r\n").request.keep_alive);
  EXPECT_FALSE(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").request.keep_alive);
  EXPECT_FALSE(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: CLOSE\r\n\r\n").request.keep_alive);
  EXPECT_FALSE(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, close\r\n\r\n").request.keep_alive);
  EXPECT_FALSE(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n")
                   .request.keep_alive);
  EXPECT_TRUE(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade, closed\r\n\r\n").request.keep_alive);
}

TEST(HttpRequest, KeepAliveRulesOfHttp10) {
  const ParsedRequest plain = parse("GET / HTTP/1.0\r\n\r\n");  // no Host needed in 1.0
  ASSERT_EQ(plain.error, RequestError::none) << request_test::why(plain);
  EXPECT_EQ(plain.request.version_minor, 0);
  EXPECT_FALSE(plain.request.keep_alive);
  EXPECT_TRUE(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").request.keep_alive);
  EXPECT_FALSE(parse("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").request.keep_alive);
}

TEST(HttpRequest, MissingOrRepeatedHostIsBadInHttp11) {
  expect_bad("GET / HTTP/1.1\r\n\r\n");
  expect_bad("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nhOsT:\r\n\r\n").error, RequestError::none);  // empty Host is a Host
}

TEST(HttpRequest, VersionOtherThan10Or11IsBad) {
  expect_bad("GET / HTTP/1.2\r\nHost: h\r\n\r\n");
  expect_bad("GET / HTTP/2.0\r\nHost: h\r\n\r\n");
  expect_bad("GET / http/1.1\r\nHost: h\r\n\r\n");
  expect_bad("GET / HTTP/1.1 \r\nHost: h\r\n\r\n");
  expect_bad("GET / HTTP/1.10\r\nHost: h\r\n\r\n");
  expect_bad("GET /\r\nHost: h\r\n\r\n");  // HTTP/0.9-style
}

TEST(HttpRequest, RequestLineSyntax) {
  expect_bad("GET /a b HTTP/1.1\r\nHost: h\r\n\r\n");   // SP in the target
  expect_bad("GET  / HTTP/1.1\r\nHost: h\r\n\r\n");     // two SP
  expect_bad("GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n");     // HTAB is not SP
  expect_bad("GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n"); // CTL in the target
  expect_bad("GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n");  // not ASCII
  expect_bad("G(T / HTTP/1.1\r\nHost: h\r\n\r\n");      // method not a token
  expect_bad(" GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  expect_bad("GET / HTTP/1.1\rHost: h\r\n\r\n");        // lone CR
}

TEST(HttpRequest, ObsFoldAndWhitespaceBeforeFieldsAreBad) {
  expect_bad("GET / HTTP/1.1\r\nHost: h\r\nX-A: one\r\n two\r\n\r\n");
  expect_bad("GET / HTTP/1.1\r\nHost: h\r\nX-A: one\r\n\ttwo\r\n\r\n");
  expect_bad("GET / HTTP/1.1\r\n Host: h\r\n\r\n");
  expect_bad("GET / HTTP/1.1\r\nHost : h\r\n\r\n");
}

TEST(HttpRequest, HeaderSectionOverTheLimitIs431) {
  const std::string s = "GET / HTTP/1.1\r\nHost: h\r\nX-Pad: " + std::string(100, 'p') + "\r\n\r\n";
  EXPECT_EQ(parse(s, static_cast<uint32_t>(s.size())).error, RequestError::none);  // exactly the limit fits
  const ParsedRequest over = parse(s, static_cast<uint32_t>(s.size() - 1));
  EXPECT_EQ(over.error, RequestError::header_too_long);
  EXPECT_EQ(status_of(over.error), 431);
  // Over the limit without its end: 431, not 400.
  const std::string cut = s.substr(0, s.size() - 4);
  EXPECT_EQ(parse(cut, 64).error, RequestError::header_too_long);
  // Within the limit without its end: malformed.
  EXPECT_EQ(parse(cut, 8192).error, RequestError::bad_request);
  // Leading empty lines count toward the limit too.
  const std::string leading = "\r\n\r\n" + s;
  EXPECT_EQ(parse(leading, static_cast<uint32_t>(s.size())).error, RequestError::header_too_long);
}

TEST(HttpRequest, BareLfLineEndsAccepted) {
  const std::string s = "GET /obj/3 HTTP/1.1\nHost: h\nConnection: close\n\n";
  const ParsedRequest p = parse(s);
  ASSERT_EQ(p.error, RequestError::none) << request_test::why(p);
  EXPECT_EQ(p.request.target, "/obj/3");
  EXPECT_FALSE(p.request.keep_alive);
  EXPECT_EQ(p.request.header_bytes, s.size());
  EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: h\n\r\n").request.header_bytes, 26u);  // mixed
}

TEST(HttpRequest, LeadingEmptyLinesSkippedAndCounted) {
  const std::string s = "\r\n\n\r\nGET /x HTTP/1.1\r\nHost: h\r\n\r\n";
  const ParsedRequest p = parse(s);
  ASSERT_EQ(p.error, RequestError::none) << request_test::why(p);
  EXPECT_EQ(p.request.target, "/x");
  EXPECT_EQ(p.request.header_bytes, s.size());
}

TEST(HttpRequest, BytesAfterTheEmptyLineAreNotTheHeads) {
  const std::string head = "POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n";
  const ParsedRequest p = parse(head + "hello");
  ASSERT_EQ(p.error, RequestError::none) << request_test::why(p);
  EXPECT_EQ(p.request.method, Method::post);
  EXPECT_EQ(p.request.header_bytes, head.size());
  EXPECT_EQ(p.request.body_bytes, 5u);
}

TEST(HttpRequest, ContentLengthGivesBodyBytes) {
  EXPECT_EQ(parse("PUT /x HTTP/1.1\r\nHost: h\r\ncontent-length: 1234\r\n\r\n").request.body_bytes, 1234u);
  EXPECT_EQ(parse("PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 7, 7\r\n\r\n").request.body_bytes, 7u);
  EXPECT_EQ(parse("PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n").request.body_bytes,
            7u);
  expect_bad("PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 7\r\nContent-Length: 8\r\n\r\n");
  expect_bad("PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 7, 8\r\n\r\n");
  expect_bad("PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: +7\r\n\r\n");
  expect_bad("PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n");
  expect_bad("PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n");
}

TEST(HttpRequest, TransferEncodingIsBad) {
  expect_bad("POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n");
  expect_bad("POST /x HTTP/1.1\r\nHost: h\r\ntransfer-encoding: gzip\r\nContent-Length: 3\r\n\r\n");
}

TEST(HttpRequest, EmptyOrIncompleteInputIsBad) {
  expect_bad("");
  expect_bad("\r\n\r\n");
  expect_bad("GET / HTTP/1.1\r\nHost: h\r\n");
}

TEST(HttpRequest, FormatRequestRoundTrips) {
  for (bool keep_alive : {true, false}) {
    const std::string s = format_request(Method::get, "/obj/42", "server:80", keep_alive);
    EXPECT_EQ(s, keep_alive ? "GET /obj/42 HTTP/1.1\r\nHost: server:80\r\n\r\n"
                            : "GET /obj/42 HTTP/1.1\r\nHost: server:80\r\nConnection: close\r\n\r\n");
    const ParsedRequest p = parse(s);
    ASSERT_EQ(p.error, RequestError::none) << request_test::why(p);
    EXPECT_EQ(p.request.method, Method::get);
    EXPECT_EQ(p.request.target, "/obj/42");
    EXPECT_EQ(p.request.keep_alive, keep_alive);
    EXPECT_EQ(p.request.header_bytes, s.size());
  }
  const ParsedRequest head = parse(format_request(Method::head, "/obj/1", "h", true));
  EXPECT_EQ(head.request.method, Method::head);
}

TEST(HttpRequest, FindHeaderEndOnSplitInput) {
  const std::string s = "\r\nGET /obj/9 HTTP/1.1\r\nHost: h\r\n\r\nGET /next";
  const size_t end = s.size() - 9;
  for (size_t n = 0; n <= s.size(); ++n) {
    bool too_long = true;
    const auto found = find_header_end(request_test::as_span(s.substr(0, n)), 8192, &too_long);
    EXPECT_FALSE(too_long) << n;
    if (n < end)
      EXPECT_FALSE(found) << n;
    else
      EXPECT_EQ(found, end) << n;
  }
  EXPECT_EQ(find_header_end(request_test::as_span("GET / HTTP/1.0\n\n"), 100, nullptr), 16u);
}

TEST(HttpRequest, FindHeaderEndReportsTooLong) {
  const std::string s = "GET / HTTP/1.1\r\nHost: h\r\nX-Pad: " + std::string(50, 'p') + "\r\n\r\n";
  const auto limit = static_cast<uint32_t>(s.size());
  bool too_long = true;
  EXPECT_EQ(find_header_end(request_test::as_span(s), limit, &too_long), s.size());
  EXPECT_FALSE(too_long);
  // One byte short of its end at the limit: more bytes cannot help.
  EXPECT_FALSE(find_header_end(request_test::as_span(s), limit - 1, &too_long));
  EXPECT_TRUE(too_long);
  // Fewer bytes than the limit and no end yet: wait for more.
  EXPECT_FALSE(find_header_end(request_test::as_span(s.substr(0, 20)), limit, &too_long));
  EXPECT_FALSE(too_long);
  // Exactly the limit seen, no end: too long.
  EXPECT_FALSE(find_header_end(request_test::as_span(s.substr(0, 20)), 20, &too_long));
  EXPECT_TRUE(too_long);
}
