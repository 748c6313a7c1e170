// The HTTP/1.1 framer against RFC 9112: the message body length rules of 6.3 in order (HEAD,
// 1xx, 204, 304; Transfer-Encoding over Content-Length; a request's empty body; a response
// read until the close), the chunked coding of 7.1 with extensions and trailers, and the
// header section's syntax and limit.
#include "net/framers/http1.h"

#include <gtest/gtest.h>

#include <string>

#include "framer_split.h"

using namespace hostwire::net::framers;
using hostwire::net::framers::testing::as_bytes;
using hostwire::net::framers::testing::frame_whole;

namespace {

FramerSpec http_spec(bool requests, uint64_t max = 1 << 20, uint32_t header_limit = 8192) {
  FramerSpec s;
  s.kind = FramerSpec::Kind::http;
  s.http_requests = requests;
  s.max_message = max;
  s.header_limit = header_limit;
  return s;
}

Status feed(Http1Framer& f, std::string_view bytes) { return f.feed(as_bytes(bytes)); }
Status request(std::string_view bytes) {
  Http1Framer f(http_spec(true));
  return feed(f, bytes);
}
Status response(std::string_view bytes) {
  Http1Framer f(http_spec(false));
  return feed(f, bytes);
}
std::string why(const Status& s) { return s.why ? s.why : "(no error)"; }
// `m` is one whole message.
void expect_one(const Status& s, const std::string& m) {
  EXPECT_TRUE(s.done()) << why(s);
  EXPECT_EQ(s.length, m.size());
}
void expect_one_request(const std::string& m) { expect_one(request(m), m); }
void expect_one_response(const std::string& m) { expect_one(response(m), m); }

const std::string kGet = "GET /index.html HTTP/1.1\r\nHost: www.example.com\r\n\r\n";

// RFC 9112 7.1's grammar, every part of it: chunk-ext with and without a value (a quoted-string
// holding ';' and an escaped quote), BWS before the ';', hex sizes in either case, data that
// itself holds CRLFs, and a trailer section.
const std::string kChunkedHeader =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nTrailer: Expires\r\n\r\n";
const std::string kChunkedBody =
    "4;last-modified\r\nWiki\r\n"
    "5 ; name=\"v;a\\\"l\"\r\npedia\r\n"
    "e\r\n in\r\n\r\nchunks.\r\n"
    "0\r\n"
    "Expires: Wed, 21 Oct 2015 07:28:00 GMT\r\n"
    "\r\n";
constexpr uint64_t kChunkData = 4 + 5 + 14;

}  // namespace

TEST(HttpFramer, RequestWithoutBody) {
  Http1Framer f(http_spec(true));
  const Status s = feed(f, kGet + "GET /next");
  ASSERT_TRUE(s.done()) << why(s);
  EXPECT_EQ(s.length, kGet.size());
  EXPECT_EQ(f.examined(), kGet.size());
}

TEST(HttpFramer, ContentLengthKnownAtTheEmptyLine) {
  const std::string head = "POST /submit HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n";
  Http1Framer f(http_spec(true));
  const Status s = feed(f, head);  // no body byte yet
  ASSERT_TRUE(s.done()) << why(s);
  EXPECT_EQ(s.length, head.size() + 11);
  EXPECT_EQ(f.examined(), head.size());
  EXPECT_EQ(feed(f, "hello world").length, head.size() + 11);  // the body is not looked at
  EXPECT_EQ(f.examined(), head.size());
  EXPECT_EQ(response("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").length, 38u);
}

TEST(HttpFramer, ChunkedWithExtensionsAndTrailers) {
  Http1Framer f(http_spec(false));
  const std::string message = kChunkedHeader + kChunkedBody;
  const Status s = feed(f, message + "HTTP/1.1 ...");
  ASSERT_TRUE(s.done()) << why(s);
  EXPECT_EQ(s.length, message.size());
  EXPECT_EQ(f.examined(), message.size() - kChunkData);  // chunk data is skipped by count
}

TEST(HttpFramer, ChunkedRequestWithoutTrailers) {
  const std::string m = "POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1A\r\n" +
                        std::string(26, 'z') + "\r\n000\r\n\r\n";
  expect_one_request(m);
}

TEST(HttpFramer, TransferEncodingOverridesContentLength) {
  const std::string m = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
  expect_one_response(m);
  // Across fields the list is read in order: the last coding decides, whatever its case.
  const std::string two = "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\ntransfer-encoding: CHUNKED\r\n\r\n0\r\n\r\n";
  expect_one_request(two);
}

TEST(HttpFramer, TransferEncodingWithoutChunkedLast) {
  // A request's body length is then unknown: an error (RFC 9112 6.3 item 4). A response's body
  // runs to the close.
  EXPECT_STREQ(request("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n").why,
               "Transfer-Encoding without chunked last");
  Http1Framer f(http_spec(false));
  const std::string gzip = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip;q=\"a,chunked\"\r\n\r\nxyz";
  EXPECT_TRUE(feed(f, gzip).need_more());
  EXPECT_EQ(f.finish().length, gzip.size());
  // "chunked" inside a parameter's quoted-string is not a coding; "chunkedx" is not chunked.
  EXPECT_TRUE(request("POST / HTTP/1.1\r\nTransfer-Encoding: chunkedx\r\n\r\n").failed());
  EXPECT_STREQ(request("POST / HTTP/1.1\r\nTransfer-Encoding: chu nked\r\n\r\n").why, "invalid Transfer-Encoding");
}

TEST(HttpFramer, ResponsesWithoutBody) {
  // 204 and 304 have none, whatever their Content-Length says (RFC 9112 6.3 item 1).
  const std::string no_content = "HTTP/1.1 204 No Content\r\nContent-Length: 50\r\n\r\n";
  EXPECT_EQ(response(no_content + "HTTP/1.1").length, no_content.size());
  const std::string not_modified = "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\nContent-Length: 1234\r\n\r\n";
  expect_one_response(not_modified);
}

TEST(HttpFramer, InterimResponsesThenTheFinalOne) {
  Http1Framer f(http_spec(false));
  const std::string cont = "HTTP/1.1 100 Continue\r\n\r\n";
  const std::string hints = "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n";
  const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  const auto framed = frame_whole(f, as_bytes(cont + hints + ok));
  EXPECT_EQ(framed.lengths, (std::vector<uint64_t>{cont.size(), hints.size(), ok.size()}));
  EXPECT_TRUE(framed.end.need_more());
}

TEST(HttpFramer, ResponsesToHead) {
  // Two HEADs pipelined before a GET: their responses' Content-Length is the GET's, no body.
  Http1Framer f(http_spec(false));
  f.expect_head_response();
  f.expect_head_response();
  EXPECT_EQ(f.head_responses_queued(), 2u);
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
  const std::string get = head + "0123456789";
  const std::string interim = "HTTP/1.1 100 Continue\r\n\r\n";  // answers no request
  const auto framed = frame_whole(f, as_bytes(head + interim + head + get));
  EXPECT_EQ(framed.lengths, (std::vector<uint64_t>{head.size(), interim.size(), head.size(), get.size()}));
  EXPECT_EQ(f.head_responses_queued(), 0u);
  // A request framer has no responses to expect.
  Http1Framer req(http_spec(true));
  req.expect_head_response();
  EXPECT_EQ(req.head_responses_queued(), 0u);
}

TEST(HttpFramer, ResponseUntilTheClose) {
  Http1Framer f(http_spec(false));
  const std::string head = "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n";
  EXPECT_TRUE(feed(f, head).need_more());
  EXPECT_TRUE(feed(f, "<html>...").need_more());
  EXPECT_TRUE(feed(f, "</html>").need_more());
  const Status s = f.finish();
  ASSERT_TRUE(s.done());
  EXPECT_EQ(s.length, head.size() + 16);
  EXPECT_EQ(f.examined(), head.size());
  EXPECT_EQ(f.last().length, s.length);
  // Truncated messages are not complete at the close.
  Http1Framer truncated(http_spec(false));
  EXPECT_TRUE(feed(truncated, "HTTP/1.1 200 OK\r\nContent-Le").need_more());
  EXPECT_TRUE(truncated.finish().need_more());
  Http1Framer mid_chunk(http_spec(false));
  EXPECT_TRUE(feed(mid_chunk, kChunkedHeader + "4\r\nWi").need_more());
  EXPECT_TRUE(mid_chunk.finish().need_more());
}

TEST(HttpFramer, BodyUntilTheCloseStillHasTheMaximum) {
  Http1Framer f(http_spec(false, 64));
  EXPECT_TRUE(feed(f, "HTTP/1.1 200 OK\r\n\r\n").need_more());
  EXPECT_TRUE(feed(f, std::string(45, 'x')).need_more());  // 64 B
  EXPECT_STREQ(feed(f, "x").why, "message over the maximum");
}

TEST(HttpFramer, HeaderSectionLimit) {
  const std::string m = "GET / HTTP/1.1\r\nHost: abc\r\n\r\n";  // 29 B
  Http1Framer exact(http_spec(true, 1 << 20, 29)), over(http_spec(true, 1 << 20, 28));
  EXPECT_EQ(feed(exact, m).length, 29u);
  const Status e = feed(over, m);
  ASSERT_TRUE(e.failed());
  EXPECT_STREQ(e.why, "header section over header_limit");
  EXPECT_TRUE(e.too_long);
  EXPECT_EQ(over.examined(), 29u);  // the first byte past the limit
  // A header that never ends fails at the limit, not at the maximum.
  Http1Framer endless(http_spec(true, 1 << 20, 100));
  EXPECT_TRUE(feed(endless, "GET / HTTP/1.1\r\nX: ").need_more());
  EXPECT_TRUE(feed(endless, std::string(200, 'a')).failed());
  EXPECT_EQ(endless.examined(), 101u);
  // The trailer section has the same limit of its own.
  Http1Framer trailers(http_spec(false, 1 << 20, 100));
  EXPECT_STREQ(feed(trailers, kChunkedHeader + "0\r\nX: " + std::string(100, 'a')).why,
               "trailer section over header_limit");
}

TEST(HttpFramer, BadContentLength) {
  for (const char* value : {"abc", "-1", "+5", "1 2", "0x10", "", " ", "5,", ",5", "5, 6", "1.0"}) {
    const Status e = request(std::string("POST / HTTP/1.1\r\nContent-Length: ") + value + "\r\n\r\n");
    EXPECT_STREQ(e.why, "invalid Content-Length") << "'" << value << "'";
    EXPECT_FALSE(e.too_long);
  }
  // Two fields that disagree; two that agree, and a list of the same value (RFC 9110 8.6).
  EXPECT_STREQ(request("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n").why,
               "invalid Content-Length");
  const std::string same = "POST / HTTP/1.1\r\nContent-Length: 5\r\ncontent-length:  5 , 5\t\r\n\r\n";
  EXPECT_EQ(request(same).length, same.size() + 5);
  // A huge value is over the maximum, not wrapped: 2^64 + 5 would be 5.
  EXPECT_STREQ(request("POST / HTTP/1.1\r\nContent-Length: 18446744073709551621\r\n\r\n").why,
               "message over the maximum");
}

TEST(HttpFramer, OverTheMaximumAsSoonAsKnown) {
  const std::string head = "POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n";  // 40 B
  Http1Framer fits(http_spec(true, 140)), over(http_spec(true, 139));
  EXPECT_EQ(feed(fits, head).length, 140u);
  const Status e = feed(over, head);
  EXPECT_STREQ(e.why, "message over the maximum");
  EXPECT_TRUE(e.too_long);
  // A chunk-size fails at its digit that passes the maximum, before any of its data.
  Http1Framer chunked(http_spec(false, 200));
  EXPECT_TRUE(feed(chunked, kChunkedHeader + "F").need_more());
  EXPECT_STREQ(feed(chunked, "F").why, "message over the maximum");
  Http1Framer wide(http_spec(false, UINT64_MAX));
  EXPECT_STREQ(feed(wide, kChunkedHeader + "FFFFFFFFFFFFFFFFF").why, "message over the maximum");
}

TEST(HttpFramer, FieldNamesAreCaseInsensitive) {
  const std::string m = "POST / HTTP/1.1\r\ncONTENT-lENGTH: 3\r\n\r\nabc";
  expect_one_request(m);
  // Names that only begin like a framing field are other fields.
  const std::string other = "POST / HTTP/1.1\r\nContent-Lengths: 3\r\nContent-Length-X: 4\r\n\r\n";
  expect_one_request(other);
}

TEST(HttpFramer, LineEndings) {
  // A bare LF ends the start line and fields (RFC 9112 2.2 lets a recipient accept it).
  const std::string lf = "GET / HTTP/1.1\nHost: a\n\n";
  expect_one_request(lf);
  // A bare CR never does.
  EXPECT_STREQ(request("GET / HTTP/1.1\rHost: a\r\n\r\n").why, "bare CR");
  EXPECT_STREQ(request("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n").why, "bare CR");
  // Chunked framing is CRLF only.
  EXPECT_STREQ(response(kChunkedHeader + "4\nWiki\r\n0\r\n\r\n").why, "invalid chunk line");
  EXPECT_STREQ(response(kChunkedHeader + "4\r\nWiki\n0\r\n\r\n").why, "chunk data without CRLF");
  EXPECT_STREQ(response(kChunkedHeader + "4\r\nWikiX\r\n").why, "chunk data without CRLF");
  // Empty lines before a request-line are skipped and belong to the message.
  const std::string leading = "\r\n\n" + kGet;
  expect_one_request(leading);
}

TEST(HttpFramer, BadFieldSyntax) {
  EXPECT_STREQ(request("GET / HTTP/1.1\r\nHost : a\r\n\r\n").why, "whitespace before a field's colon");
  EXPECT_STREQ(request("GET / HTTP/1.1\r\nX: a\r\n  folded\r\n\r\n").why, "whitespace before a field name (obs-fold)");
  EXPECT_STREQ(request("GET / HTTP/1.1\r\n Host: a\r\n\r\n").why, "whitespace before a field name (obs-fold)");
  EXPECT_STREQ(request("GET / HTTP/1.1\r\n: a\r\n\r\n").why, "invalid field name");
  EXPECT_STREQ(request("GET / HTTP/1.1\r\nHo(st: a\r\n\r\n").why, "invalid field name");
  EXPECT_STREQ(request(std::string("GET / HTTP/1.1\r\nX: a\0b\r\n\r\n", 26)).why, "invalid field value");
  EXPECT_STREQ(response(kChunkedHeader + "4;x\x01y\r\n").why, "invalid chunk line");
  EXPECT_STREQ(response(kChunkedHeader + "4 x\r\n").why, "invalid chunk line");
  EXPECT_STREQ(response(kChunkedHeader + ";x\r\n").why, "invalid chunk-size");
}

TEST(HttpFramer, StartLines) {
  EXPECT_TRUE(request("OPTIONS * HTTP/1.0\r\n\r\n").done());
  EXPECT_TRUE(request("CONNECT server.example.com:80 HTTP/1.1\r\n\r\n").done());
  EXPECT_STREQ(request("GET /  HTTP/1.1\r\n\r\n").why, "invalid HTTP-version");
  EXPECT_STREQ(request("GET / HTTP/2.0\r\n\r\n").why, "invalid HTTP-version");
  EXPECT_STREQ(request("GET / http/1.1\r\n\r\n").why, "invalid HTTP-version");
  EXPECT_STREQ(request("GET / HTTP/1.1 \r\n\r\n").why, "invalid request-line");
  EXPECT_STREQ(request(" GET / HTTP/1.1\r\n\r\n").why, "invalid method");
  EXPECT_STREQ(request("G(T / HTTP/1.1\r\n\r\n").why, "invalid method");
  EXPECT_STREQ(request("GET /a\tb HTTP/1.1\r\n\r\n").why, "invalid request-target");
  EXPECT_STREQ(request("\x16\x03\x01").why, "invalid method");  // TLS on the HTTP port
  // The reason-phrase may be empty or missing.
  EXPECT_TRUE(response("HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n").done());
  EXPECT_TRUE(response("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n").done());
  EXPECT_STREQ(response("HTTP/1.1 20 OK\r\n\r\n").why, "invalid status-code");
  EXPECT_STREQ(response("HTTP/1.1 600 What\r\n\r\n").why, "invalid status-code");
  EXPECT_STREQ(response("HTTP/1.1 099 Low\r\n\r\n").why, "invalid status-code");
  EXPECT_STREQ(response("HTTP/1.1 2000 OK\r\n\r\n").why, "invalid status-line");
  EXPECT_STREQ(response("HTTP/1.1  200 OK\r\n\r\n").why, "invalid status-code");
  EXPECT_STREQ(response("\r\nHTTP/1.1 200 OK\r\n\r\n").why, "invalid HTTP-version");
}

TEST(HttpFramer, PipelinedRequests) {
  Http1Framer f(http_spec(true));
  const std::string post = "POST /a HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd";
  const std::string chunked = "PUT /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n";
  const auto framed = frame_whole(f, as_bytes(kGet + post + chunked + kGet));
  EXPECT_EQ(framed.lengths, (std::vector<uint64_t>{kGet.size(), post.size(), chunked.size(), kGet.size()}));
  EXPECT_EQ(framed.examined, (std::vector<uint64_t>{kGet.size(), post.size() - 4, chunked.size() - 3, kGet.size()}));
  EXPECT_TRUE(framed.end.need_more());
  EXPECT_EQ(framed.broken, nullptr);
}
