// RFC 3629 well-formedness, the check codecs/mqtt, url, smtp and mime share.
#include "zp/codec/utf8.h"

#include <gtest/gtest.h>

namespace zp::codec {
namespace {

using namespace std::string_view_literals;

TEST(Utf8, WellFormedSequencesAndTheirLengths) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("plain ascii"));
  EXPECT_TRUE(valid_utf8("\0"sv));  // U+0000 is well-formed; MQTT refuses it on top
  EXPECT_EQ(utf8_sequence_length("\xC3\xA9", 0), 2u);          // é U+00E9
  EXPECT_EQ(utf8_sequence_length("\xE2\x82\xAC", 0), 3u);      // € U+20AC
  EXPECT_EQ(utf8_sequence_length("\xF0\x9F\x98\x80", 0), 4u);  // U+1F600
  EXPECT_EQ(utf8_sequence_length("\xF4\x8F\xBF\xBF", 0), 4u);  // U+10FFFF, the last one
  EXPECT_TRUE(valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
}

TEST(Utf8, IllFormedSequencesAreRefused) {
  // RFC 3629 §10's examples and the edges of each range.
  for (std::string_view bad : {"\x80"sv, "\xBF"sv,           // a continuation byte first
                               "\xC0\xAF"sv, "\xC1\xBF"sv,   // overlong 2-byte
                               "\xE0\x80\xAF"sv,             // overlong 3-byte
                               "\xF0\x80\x80\xAF"sv,         // overlong 4-byte
                               "\xED\xA0\x80"sv, "\xED\xBF\xBF"sv,  // surrogates U+D800, U+DFFF
                               "\xF4\x90\x80\x80"sv,         // U+110000
                               "\xF5\x80\x80\x80"sv, "\xFF"sv,
                               "\xE2\x82"sv,                 // truncated
                               "\xC3\x28"sv}) {              // a bad continuation
    EXPECT_FALSE(valid_utf8(bad)) << testing::PrintToString(bad);
    EXPECT_EQ(utf8_sequence_length(bad, 0), 0u) << testing::PrintToString(bad);
  }
  EXPECT_FALSE(valid_utf8("ok then \xED\xA0\x80"));
}

}  // namespace
}  // namespace zp::codec
