// The server's response heads as a client reads them back: status, length and persistence survive
// the round trip, an error response's body is as long as it says, and what is not a head is refused.
#include "http/response.h"

#include <gtest/gtest.h>

#include <string>

using namespace hostwire::http;

namespace response_test {

std::span<const uint8_t> as_span(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }
hostwire::net::Result<ResponseHead> parse(std::string_view s) { return parse_response_head(as_span(s)); }

}  // namespace response_test

TEST(HttpResponse, ReasonPhrases) {
  EXPECT_STREQ(reason_phrase(200), "OK");
  EXPECT_STREQ(reason_phrase(400), "Bad Request");
  EXPECT_STREQ(reason_phrase(404), "Not Found");
  EXPECT_STREQ(reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_STREQ(reason_phrase(501), "Not Implemented");
  EXPECT_STREQ(reason_phrase(503), "Service Unavailable");
  EXPECT_STREQ(reason_phrase(299), "Unknown");
}

TEST(HttpResponse, HeadTextAsSpecified) {
  EXPECT_EQ(response_head(200, 4096, true),
            "HTTP/1.1 200 OK\r\nContent-Length: 4096\r\nContent-Type: application/octet-stream\r\n\r\n");
  EXPECT_EQ(response_head(404, 0, false),
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n");
}

TEST(HttpResponse, HeadRoundTrips) {
  for (int status : {200, 400, 404, 431, 501, 503})
    for (bool keep_alive : {true, false}) {
      const uint64_t length = status == 200 ? 123456789012ULL : 17;
      const std::string head = response_head(status, length, keep_alive);
      const auto r = response_test::parse(head);
      ASSERT_TRUE(r.ok()) << r.error() << "\n" << head;
      EXPECT_EQ(r->status, status);
      EXPECT_TRUE(r->has_length);
      EXPECT_EQ(r->content_length, length);
      EXPECT_EQ(r->keep_alive, keep_alive);
      EXPECT_EQ(r->header_bytes, head.size());
    }
}

TEST(HttpResponse, ErrorResponseBodyMatchesItsLength) {
  for (int status : {400, 404, 431, 501, 503})
    for (bool keep_alive : {true, false}) {
      const std::string whole = error_response(status, keep_alive);
      const auto r = response_test::parse(whole);
      ASSERT_TRUE(r.ok()) << r.error();
      EXPECT_EQ(r->status, status);
      EXPECT_EQ(r->keep_alive, keep_alive);
      ASSERT_EQ(r->header_bytes + r->content_length, whole.size());
      EXPECT_EQ(whole.substr(r->header_bytes), std::to_string(status) + " " + reason_phrase(status) + "\n");
    }
}

TEST(HttpResponse, ClientSideReadings) {
  // A bare LF, no length, an empty reason phrase; HTTP/1.0 persists only when asked.
  auto r = response_test::parse("HTTP/1.0 200 \nServer: x\n\nbody");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_FALSE(r->has_length);
  EXPECT_EQ(r->content_length, 0u);
  EXPECT_FALSE(r->keep_alive);
  EXPECT_EQ(r->header_bytes, 25u);
  r = response_test::parse("HTTP/1.0 204 No Content\r\nConnection: keep-alive\r\n\r\n");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->status, 204);
  EXPECT_TRUE(r->keep_alive);
  r = response_test::parse("HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_FALSE(r->keep_alive);
}

TEST(HttpResponse, GarbageRejected) {
  for (std::string_view bad : {
           "",
           "\r\n",
           "garbage\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n",  // no empty line
           "HTTP/1.1 20 OK\r\n\r\n",
           "HTTP/1.1 2000 OK\r\n\r\n",
           "HTTP/1.1 abc OK\r\n\r\n",
           "HTTP/1.1 099 Low\r\n\r\n",
           "HTTP/1.1 200\r\n\r\n",  // the SP before the reason is not optional
           "HTTP/2.0 200 OK\r\n\r\n",
           "HTTP/1.2 200 OK\r\n\r\n",
           "http/1.1 200 OK\r\n\r\n",
           "HTTP/1.1  200 OK\r\n\r\n",
           "HTTP/1.1 200 O\x01K\r\n\r\n",
           "\r\nHTTP/1.1 200 OK\r\n\r\n",  // no leading empty lines in a response
           "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
           "HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n",
           "HTTP/1.1 200 OK\r\nNo colon\r\n\r\n",
       }) {
    const auto r = response_test::parse(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_FALSE(r.error().empty()) << bad;
  }
}
