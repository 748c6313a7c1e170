// What every framer shares: the kinds' names, the validation of a spec (the errors a
// setsockopt or a scenario shows), and make_framer.
#include "net/framers/framer.h"

#include <gtest/gtest.h>

#include "net/framers/delimiter.h"
#include "net/framers/http1.h"
#include "net/framers/length_prefix.h"
#include "net/framers/tls_record.h"

using namespace hostwire::net::framers;

namespace {

std::string error_of(const FramerSpec& spec) { return validate(spec).error(); }

FramerSpec of(FramerSpec::Kind k) {
  FramerSpec s;
  s.kind = k;
  return s;
}

}  // namespace

TEST(FramerKind, NamesRoundTrip) {
  for (auto k : {FramerSpec::Kind::length_prefix, FramerSpec::Kind::delimiter, FramerSpec::Kind::http,
                 FramerSpec::Kind::tls}) {
    auto parsed = parse_kind(to_string(k));
    ASSERT_TRUE(parsed.ok()) << parsed.error();
    EXPECT_EQ(*parsed, k);
  }
  EXPECT_STREQ(to_string(FramerSpec::Kind::length_prefix), "length_prefix");
}

TEST(FramerKind, UnknownNameListsTheValidOnes) {
  auto parsed = parse_kind("kcm");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error(), "framer.kind 'kcm' is not one of length_prefix, delimiter, http, tls");
  EXPECT_FALSE(parse_kind("HTTP").ok());  // names are exact
}

TEST(FramerValidate, DefaultsOfEveryKindAreValid) {
  for (auto k : {FramerSpec::Kind::length_prefix, FramerSpec::Kind::delimiter, FramerSpec::Kind::http,
                 FramerSpec::Kind::tls})
    EXPECT_TRUE(validate(of(k)).ok()) << to_string(k) << ": " << error_of(of(k));
}

TEST(FramerValidate, LengthPrefixWidthAndMaximum) {
  auto s = of(FramerSpec::Kind::length_prefix);
  for (uint8_t w : {0, 3, 5, 16}) {
    s.width = w;
    EXPECT_EQ(error_of(s), "framer.width must be 1, 2, 4 or 8") << int{w};
  }
  s.width = 4;
  s.offset = 6;
  s.max_message = 9;
  EXPECT_EQ(error_of(s), "framer.max_message must be at least the header (10 B)");
  s.max_message = 10;
  EXPECT_TRUE(validate(s).ok());
}

TEST(FramerValidate, DelimiterSize) {
  auto s = of(FramerSpec::Kind::delimiter);
  s.delimiter = "";
  EXPECT_EQ(error_of(s), "framer.delimiter must be 1-16 bytes");
  s.delimiter = std::string(17, 'x');
  EXPECT_EQ(error_of(s), "framer.delimiter must be 1-16 bytes");
  s.delimiter = std::string(16, 'x');
  EXPECT_TRUE(validate(s).ok());
  s.max_message = 15;
  EXPECT_EQ(error_of(s), "framer.max_message must be at least the delimiter (16 B)");
}

TEST(FramerValidate, HttpAndTlsLimits) {
  auto h = of(FramerSpec::Kind::http);
  h.header_limit = 0;
  EXPECT_EQ(error_of(h), "framer.header_limit must be at least 1 B");
  h.header_limit = 8192;
  h.max_message = 0;
  EXPECT_EQ(error_of(h), "framer.max_message must be at least 1 B");
  auto t = of(FramerSpec::Kind::tls);
  t.max_message = 4;
  EXPECT_EQ(error_of(t), "framer.max_message must be at least the header (5 B)");
}

TEST(FramerValidate, OnlyTheKindsOwnSettingsCount) {
  auto s = of(FramerSpec::Kind::http);
  s.width = 3;
  s.delimiter = "";
  EXPECT_TRUE(validate(s).ok());
}

TEST(FramerMake, EachKindItsFramer) {
  EXPECT_NE(dynamic_cast<LengthPrefixFramer*>(make_framer(of(FramerSpec::Kind::length_prefix)).get()), nullptr);
  EXPECT_NE(dynamic_cast<DelimiterFramer*>(make_framer(of(FramerSpec::Kind::delimiter)).get()), nullptr);
  EXPECT_NE(dynamic_cast<Http1Framer*>(make_framer(of(FramerSpec::Kind::http)).get()), nullptr);
  EXPECT_NE(dynamic_cast<TlsRecordFramer*>(make_framer(of(FramerSpec::Kind::tls)).get()), nullptr);
  auto f = make_framer(of(FramerSpec::Kind::tls));
  EXPECT_EQ(f->spec().kind, FramerSpec::Kind::tls);
  EXPECT_TRUE(f->last().need_more());
  EXPECT_EQ(f->examined(), 0u);
}
