// The syntax both heads share: line ends (CRLF, bare LF, a lone CR kept), where a section ends
// with and without leading empty lines, field lines and the Connection and Content-Length values.
#include "http/head.h"

#include <gtest/gtest.h>

#include <initializer_list>

using namespace hostwire::http;

namespace head_test {

const char* fields_of(std::string_view section, HeadFields& f) { return parse_fields(section, f); }

}  // namespace head_test

TEST(HttpHead, LinesEndAtLfWithOrWithoutCr) {
  const std::string_view s = "ab\r\ncd\nef\rg\n";
  auto a = next_line(s, 0);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->text, "ab");
  auto b = next_line(s, a->next);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->text, "cd");
  auto c = next_line(s, b->next);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->text, "ef\rg");  // a CR not before LF is the line's, for the checks to reject
  EXPECT_EQ(c->next, s.size());
  EXPECT_FALSE(next_line(s, c->next));
  EXPECT_FALSE(next_line("no end", 0));
}

TEST(HttpHead, SectionEndSkipsLeadingEmptyLinesOnlyWhenAsked) {
  const std::string_view s = "\r\n\nGET / HTTP/1.1\r\n\r\nrest";
  EXPECT_EQ(header_section_end(s, 1000, true), s.size() - 4);
  EXPECT_EQ(header_section_end(s, 1000, false), 2u);
  // The limit cuts the search: the end must lie within it.
  EXPECT_EQ(header_section_end(s, s.size() - 4, true), s.size() - 4);
  EXPECT_FALSE(header_section_end(s, s.size() - 5, true));
}

TEST(HttpHead, TokensAndCaseInsensitiveNames) {
  EXPECT_TRUE(is_token("keep-alive"));
  EXPECT_TRUE(is_token("!#$%&'*+-.^_`|~09azAZ"));
  EXPECT_FALSE(is_token(""));
  EXPECT_FALSE(is_token("a b"));
  EXPECT_FALSE(is_token("a:b"));
  EXPECT_FALSE(is_token("a\"b"));
  EXPECT_TRUE(equals_ignoring_case("Content-LENGTH", "content-length"));
  EXPECT_FALSE(equals_ignoring_case("content-lengt", "content-length"));
  EXPECT_FALSE(equals_ignoring_case("content_length", "content-length"));
}

TEST(HttpHead, FieldsCollectTheFramingAndPersistenceFields) {
  HeadFields f;
  EXPECT_EQ(head_test::fields_of("Host: a\r\ncontent-length:  12 \r\nCONNECTION: ,Upgrade,, Keep-Alive\r\n"
                                 "X-Other: v\t\r\n\r\n",
                                 f),
            nullptr);
  EXPECT_EQ(f.hosts, 1u);
  EXPECT_TRUE(f.content_length.present());
  EXPECT_EQ(f.content_length.value(), 12u);
  EXPECT_TRUE(f.keep_alive);
  EXPECT_FALSE(f.close);
  EXPECT_FALSE(f.transfer_encoding);
  EXPECT_TRUE(persists(0, f));
  f.close = true;
  EXPECT_FALSE(persists(1, f));
  EXPECT_FALSE(persists(0, f));
}

TEST(HttpHead, ContentLengthListOfOneNumberIsThatNumber) {
  HeadFields f;
  EXPECT_EQ(head_test::fields_of("Content-Length: 42, 42\r\nContent-Length: 42\r\n\r\n", f), nullptr);
  EXPECT_EQ(f.content_length.value(), 42u);
}

TEST(HttpHead, ObsFoldNamedAsSuch) {
  // Caught before the colon and name checks would refuse it less clearly (" b: c" is not a name).
  HeadFields f;
  const char* why = head_test::fields_of("A: b\r\n b: c\r\n\r\n", f);
  ASSERT_NE(why, nullptr);
  EXPECT_STREQ(why, "field line starts with whitespace");
}

TEST(HttpHead, MalformedFieldLinesAreRejected) {
  for (std::string_view bad : std::initializer_list<std::string_view>{
           " Host: a\r\n\r\n",           // whitespace before a field line
           "A: b\r\n\tc\r\n\r\n",        // obs-fold
           "Host a\r\n\r\n",             // no colon
           "Host : a\r\n\r\n",           // whitespace before the colon
           ": a\r\n\r\n",                // empty name
           "A: b\rc\r\n\r\n",            // lone CR in a value
           std::string_view("A: b\0c\r\n\r\n", 11),  // NUL in a value
           "Connection: close;x\r\n\r\n",  // option not a token
           "Content-Length: -1\r\n\r\n",
           "Content-Length: 1\r\nContent-Length: 2\r\n\r\n",
           "A: b\r\n",  // no empty line
       }) {
    HeadFields f;
    EXPECT_NE(head_test::fields_of(bad, f), nullptr) << bad;
  }
}
