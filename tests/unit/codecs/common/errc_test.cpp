// codecs/common error categories: every code of wire, lines and base64 has its own message
// (what logs and replies show), values outside the enum say "unknown", and an error_code
// compares equal to its enumerator.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <system_error>

#include "zp/codec/base64.h"
#include "zp/codec/lines.h"
#include "zp/codec/wire.h"

namespace {

namespace codec = zp::codec;

// Messages of codes first..last of `cat`: each non-empty, none equal to `unknown`, all distinct.
void expect_distinct_messages(const std::error_category& cat, int last, const std::string& unknown) {
  std::set<std::string> seen;
  for (int i = 0; i <= last; ++i) {
    const std::string m = cat.message(i);
    EXPECT_FALSE(m.empty()) << cat.name() << " " << i;
    EXPECT_NE(m, unknown) << cat.name() << " " << i;
    EXPECT_TRUE(seen.insert(m).second) << cat.name() << " " << i << " repeats '" << m << "'";
  }
  EXPECT_EQ(cat.message(last + 1), unknown);
  EXPECT_EQ(cat.message(-1), unknown);
}

TEST(codecErrc, WireCategory) {
  const auto& cat = codec::wire::category();
  EXPECT_STREQ(cat.name(), "zp.codec.wire");
  expect_distinct_messages(cat, static_cast<int>(codec::wire::Errc::bad_patch), "unknown wire error");
  const std::error_code ec = codec::wire::make_error_code(codec::wire::Errc::overflow);
  EXPECT_EQ(ec.message(), "write past the end of the output buffer");
  EXPECT_EQ(ec.category(), cat);
  EXPECT_EQ(codec::wire::make_error_code(codec::wire::Errc::bad_seek).message(),
            "seek beyond the end of the input");
}

TEST(codecErrc, LinesCategory) {
  const auto& cat = codec::lines::category();
  EXPECT_STREQ(cat.name(), "zp.codec.lines");
  expect_distinct_messages(cat, static_cast<int>(codec::lines::Errc::line_too_long),
                           "unknown line framing error");
  EXPECT_EQ(codec::lines::make_error_code(codec::lines::Errc::bare_cr).message(),
            "bare CR (carriage return without line feed)");
  EXPECT_EQ(codec::lines::make_error_code(codec::lines::Errc::nul).message(), "NUL byte in line");
}

TEST(codecErrc, Base64Category) {
  const auto& cat = codec::base64::category();
  EXPECT_STREQ(cat.name(), "zp.codec.base64");
  expect_distinct_messages(cat, static_cast<int>(codec::base64::Errc::non_canonical),
                           "unknown base64 error");
  const std::error_code ec = codec::base64::Errc::bad_length;  // is_error_code_enum
  EXPECT_EQ(ec.message(), "base64 length not a multiple of 4");
  EXPECT_EQ(ec, codec::base64::Errc::bad_length);
  EXPECT_NE(ec, codec::base64::Errc::bad_padding);
}

}  // namespace
