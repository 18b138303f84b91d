// base64: RFC 4648 §10 vectors (data file), strict rejections (data file), buffer sizes,
// whitespace skipping, and random round-trips.
#include "zp/codec/base64.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <regex>
#include <string>
#include <vector>

namespace {

namespace b64 = zp::codec::base64;
using b64::Errc;

std::vector<std::string> read_lines(const std::string& name) {
  std::ifstream f(std::string(ZP_CODEC_VECTORS_DIR) + "/" + name);
  EXPECT_TRUE(f) << "missing vector file " << name;
  std::vector<std::string> out;
  for (std::string line; std::getline(f, line);)
    if (!line.empty() && line[0] != '#') out.push_back(line);
  return out;
}

std::string unescape(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    switch (s[++i]) {
      case 'r': out += '\r'; break;
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case '0': out += '\0'; break;
      default: out += s[i];
    }
  }
  return out;
}

std::string encode(std::string_view in) {
  std::string out(b64::encoded_size(in.size()), '\0');
  auto n = b64::encode(std::as_bytes(std::span(in.data(), in.size())), out);
  EXPECT_TRUE(n);
  if (!n) return "<error>";
  out.resize(*n);
  return out;
}

zp::Result<std::string> decode(std::string_view in, b64::DecodeOptions opt = {}) {
  std::string out(b64::decoded_size_max(in.size()), '\0');
  auto n = b64::decode(in, std::as_writable_bytes(std::span(out.data(), out.size())), opt);
  if (!n) return n.error();
  out.resize(*n);
  return out;
}

TEST(Base64, Rfc4648Vectors) {
  const std::regex re(R"re(^BASE64\("(.*)"\) = "(.*)"$)re");
  const auto lines = read_lines("base64_rfc4648.txt");
  ASSERT_EQ(lines.size(), 7u);
  for (const auto& line : lines) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, re)) << line;
    const std::string plain = m[1], coded = m[2];
    EXPECT_EQ(encode(plain), coded);
    auto d = decode(coded);
    ASSERT_TRUE(d) << coded;
    EXPECT_EQ(*d, plain);
    auto ds = decode(coded, {.skip_whitespace = true});
    ASSERT_TRUE(ds) << coded;
    EXPECT_EQ(*ds, plain);
  }
}

Errc errc_named(const std::string& name) {
  for (int e = 0; e <= 5; ++e) {
    static const char* names[] = {"ok", "buffer_too_small", "bad_char", "bad_padding",
                                  "bad_length", "non_canonical"};
    if (name == names[e]) return static_cast<Errc>(e);
  }
  ADD_FAILURE() << "unknown errc " << name;
  return Errc::ok;
}

TEST(Base64, StrictRejections) {
  const std::regex re(R"re(^(\w+) "(.*)"$)re");
  const auto lines = read_lines("base64_reject.txt");
  ASSERT_GE(lines.size(), 10u);
  for (const auto& line : lines) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, re)) << line;
    const Errc want = errc_named(m[1]);
    const std::string in = unescape(m[2]);
    auto d = decode(in);
    ASSERT_FALSE(d) << line;
    EXPECT_EQ(d.error(), want) << line << ": " << d.error().message();
  }
}

TEST(Base64, EncodeNeedsRoom) {
  const std::byte in[4] = {};
  char out[8];
  auto small = b64::encode(in, std::span(out, 7));
  ASSERT_FALSE(small);
  EXPECT_EQ(small.error(), Errc::buffer_too_small);
  EXPECT_STREQ(small.error().category().name(), "zp.codec.base64");
  auto exact = b64::encode(in, std::span(out, 8));
  ASSERT_TRUE(exact);
  EXPECT_EQ(*exact, 8u);
  EXPECT_EQ(std::string_view(out, 8), "AAAAAA==");
  auto empty = b64::encode({}, {});
  ASSERT_TRUE(empty);
  EXPECT_EQ(*empty, 0u);
}

TEST(Base64, DecodeNeedsRoom) {
  std::byte out[6];
  for (b64::DecodeOptions opt : {b64::DecodeOptions{false}, b64::DecodeOptions{true}}) {
    auto r = b64::decode("Zm9vYmFy", std::span(out, 5), opt);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), Errc::buffer_too_small);
    auto p = b64::decode("Zm9vYg==", std::span(out, 3), opt);
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error(), Errc::buffer_too_small);
    auto exact = b64::decode("Zm9vYg==", std::span(out, 4), opt);
    ASSERT_TRUE(exact);
    EXPECT_EQ(*exact, 4u);
    // Without room for the next quantum, a bad character in it is still called bad_char.
    auto bad = b64::decode("Zm9vZm-v", std::span(out, 4), opt);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error(), Errc::bad_char);
  }
}

TEST(Base64, WhitespaceSkippingIsAnOption) {
  EXPECT_EQ(decode("Zm9v\r\nYmFy").error(), Errc::bad_char);
  auto d = decode("Zm9v\r\nYmFy", {.skip_whitespace = true});
  ASSERT_TRUE(d);
  EXPECT_EQ(*d, "foobar");
  auto p = decode(" Z g = = \r\n\t", {.skip_whitespace = true});
  ASSERT_TRUE(p);
  EXPECT_EQ(*p, "f");
  EXPECT_EQ(decode("Zg==\r\nZg==", {.skip_whitespace = true}).error(), Errc::bad_padding);
  EXPECT_EQ(decode("Zg== !", {.skip_whitespace = true}).error(), Errc::bad_char);
  EXPECT_EQ(decode("Zm9 v!", {.skip_whitespace = true}).error(), Errc::bad_char);
  EXPECT_EQ(decode("Zm9vY", {.skip_whitespace = true}).error(), Errc::bad_length);
  EXPECT_EQ(decode("Zh==", {.skip_whitespace = true}).error(), Errc::non_canonical);
  EXPECT_EQ(decode("Z=\n==", {.skip_whitespace = true}).error(), Errc::bad_padding);
  auto blank = decode(" \r\n", {.skip_whitespace = true});
  ASSERT_TRUE(blank);
  EXPECT_TRUE(blank->empty());
  // Every strict rejection stays a rejection with whitespace skipping, unless the
  // whitespace was the only problem.
  for (const auto& line : read_lines("base64_reject.txt")) {
    const std::string in = unescape(line.substr(line.find('"') + 1, line.size() - line.find('"') - 2));
    auto strict = decode(in);
    auto lenient = decode(in, {.skip_whitespace = true});
    if (in.find_first_of(" \r\n\t") == std::string::npos) {
      ASSERT_FALSE(lenient) << line;
      EXPECT_EQ(lenient.error(), strict.error()) << line;
    }
  }
}

TEST(Base64, RandomRoundTrip) {
  std::mt19937 rng(4648);
  for (int iter = 0; iter < 2000; ++iter) {
    std::string plain(rng() % 100, '\0');
    for (auto& c : plain) c = static_cast<char>(rng());
    const std::string coded = encode(plain);
    EXPECT_EQ(coded.size(), b64::encoded_size(plain.size()));
    auto d = decode(coded);
    ASSERT_TRUE(d);
    EXPECT_EQ(*d, plain);
    // Folded like a MIME body.
    std::string folded;
    for (char c : coded) {
      folded += c;
      if (rng() % 8 == 0) folded += rng() % 2 ? "\r\n" : " ";
    }
    auto f = decode(folded, {.skip_whitespace = true});
    ASSERT_TRUE(f) << folded;
    EXPECT_EQ(*f, plain);
  }
}

TEST(Base64, NonCanonicalEncodingsAreRejected) {
  // Varying the second character of a one-byte encoding: only canonical forms decode.
  for (int b = 0; b < 256; ++b) {
    const std::string canonical = encode(std::string(1, static_cast<char>(b)));
    int accepted = 0;
    static const char kAlpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) {
      std::string s = canonical;
      s[1] = kAlpha[i];
      if (auto d = decode(s)) {
        ++accepted;
        EXPECT_EQ(encode(*d), s);  // only the canonical form of what it decodes to
      }
    }
    EXPECT_EQ(accepted, 4);  // 2 of the 6 bits carry data: 4 values, 1 encoding each
  }
}

}  // namespace
