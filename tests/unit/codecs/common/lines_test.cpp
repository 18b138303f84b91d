// CRLF line framing: complete/partial/error outcomes, limits, leniency, and the
// split-input property (a stream fed in two pieces frames into the same lines).
#include "zp/codec/lines.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace {

using zp::codec::lines::Errc;
using zp::codec::lines::Limits;
using zp::codec::lines::next_line;
using zp::codec::lines::Status;

TEST(Lines, CompleteLine) {
  std::string_view in = "HELO example.org\r\nMAIL";
  auto r = next_line(in);
  ASSERT_EQ(r.status, Status::ok);
  EXPECT_EQ(r.line, "HELO example.org");
  EXPECT_EQ(r.consumed, 18u);
  EXPECT_EQ(r.line.data(), in.data());  // zero-copy
  EXPECT_EQ(r.error, Errc::ok);
  auto r2 = next_line(in.substr(r.consumed));
  EXPECT_EQ(r2.status, Status::need_more);
  EXPECT_EQ(r2.consumed, 0u);
}

TEST(Lines, EmptyLine) {
  auto r = next_line(std::string_view("\r\n"));
  ASSERT_EQ(r.status, Status::ok);
  EXPECT_TRUE(r.line.empty());
  EXPECT_EQ(r.consumed, 2u);
}

TEST(Lines, NeedMore) {
  for (std::string_view in : {"", "abc", "abc\r", "\r"}) {
    auto r = next_line(in);
    EXPECT_EQ(r.status, Status::need_more) << in;
    EXPECT_EQ(r.consumed, 0u);
    EXPECT_TRUE(r.line.empty());
  }
}

TEST(Lines, BareLfIsAnErrorUnlessAllowed) {
  auto r = next_line(std::string_view("DATA\nX"));
  EXPECT_EQ(r.status, Status::error);
  EXPECT_EQ(r.error, Errc::bare_lf);
  EXPECT_EQ(r.consumed, 0u);
  Limits lenient{.allow_bare_lf = true};
  auto l = next_line(std::string_view("DATA\nX"), lenient);
  ASSERT_EQ(l.status, Status::ok);
  EXPECT_EQ(l.line, "DATA");
  EXPECT_EQ(l.consumed, 5u);
  auto c = next_line(std::string_view("DATA\r\n"), lenient);
  ASSERT_EQ(c.status, Status::ok);
  EXPECT_EQ(c.line, "DATA");
  EXPECT_EQ(c.consumed, 6u);
}

TEST(Lines, BareCrIsAlwaysAnError) {
  for (bool lenient : {false, true}) {
    Limits lim{.allow_bare_lf = lenient};
    auto r = next_line(std::string_view("a\rb\r\n"), lim);
    EXPECT_EQ(r.status, Status::error);
    EXPECT_EQ(r.error, Errc::bare_cr);
    auto r2 = next_line(std::string_view("a\r\r\n"), lim);
    EXPECT_EQ(r2.error, Errc::bare_cr);
  }
}

TEST(Lines, NulIsRejected) {
  auto r = next_line(std::string_view("RCPT\0TO\r\n", 9));
  EXPECT_EQ(r.status, Status::error);
  EXPECT_EQ(r.error, Errc::nul);
  // Even before a terminator arrives.
  EXPECT_EQ(next_line(std::string_view("ab\0", 3)).error, Errc::nul);
}

TEST(Lines, MaxLineBytes) {
  Limits lim{.max_line_bytes = 4};
  EXPECT_EQ(next_line(std::string_view("abcd\r\n"), lim).status, Status::ok);
  EXPECT_EQ(next_line(std::string_view("abcd"), lim).status, Status::need_more);
  EXPECT_EQ(next_line(std::string_view("abcd\r"), lim).status, Status::need_more);
  auto r = next_line(std::string_view("abcde"), lim);  // no terminator can save it
  EXPECT_EQ(r.status, Status::error);
  EXPECT_EQ(r.error, Errc::line_too_long);
  EXPECT_EQ(next_line(std::string_view("abcde\r\n"), lim).error, Errc::line_too_long);
  Limits lenient{.max_line_bytes = 4, .allow_bare_lf = true};
  EXPECT_EQ(next_line(std::string_view("abcd\n"), lenient).status, Status::ok);
  EXPECT_EQ(next_line(std::string_view("abcde\n"), lenient).error, Errc::line_too_long);
  Limits zero{.max_line_bytes = 0};
  EXPECT_EQ(next_line(std::string_view("\r\n"), zero).status, Status::ok);
  EXPECT_EQ(next_line(std::string_view("a"), zero).error, Errc::line_too_long);
  Limits unlimited{.max_line_bytes = SIZE_MAX};
  EXPECT_EQ(next_line(std::string_view("abc"), unlimited).status, Status::need_more);
}

TEST(Lines, ErrorCategory) {
  std::error_code ec = Errc::line_too_long;
  EXPECT_STREQ(ec.category().name(), "zp.codec.lines");
  EXPECT_EQ(ec.message(), "line too long");
}

// What a connection sees: bytes arrive in chunks and are appended to a buffer; complete
// lines are taken off its front. Returns the lines, then "!<errc>" or "?<rest>".
std::vector<std::string> frame(const std::vector<std::string_view>& chunks, const Limits& lim) {
  std::vector<std::string> out;
  std::string buf;
  for (auto chunk : chunks) {
    buf.append(chunk);
    for (;;) {
      auto r = next_line(std::span<const char>(buf.data(), buf.size()), lim);
      if (r.status == Status::ok) {
        EXPECT_GT(r.consumed, r.line.size());
        out.emplace_back(r.line);
        buf.erase(0, r.consumed);
        continue;
      }
      if (r.status == Status::error) {
        out.push_back("!" + std::to_string(static_cast<int>(r.error)));
        return out;
      }
      break;
    }
  }
  out.push_back("?" + buf);
  return out;
}

void expect_split_invariant(std::string_view in, const Limits& lim) {
  const auto whole = frame({in}, lim);
  for (std::size_t k = 0; k <= in.size(); ++k) {
    EXPECT_EQ(frame({in.substr(0, k), in.substr(k)}, lim), whole)
        << "split at " << k << " of " << testing::PrintToString(std::string(in));
  }
  // And byte by byte.
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < in.size(); ++i) bytes.push_back(in.substr(i, 1));
  EXPECT_EQ(frame(bytes, lim), whole);
}

TEST(LinesSplit, SmtpTranscript) {
  const std::string_view smtp =
      "EHLO client.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\n"
      "DATA\r\nSubject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n";
  expect_split_invariant(smtp, {});
  expect_split_invariant(smtp, {.max_line_bytes = 10});
  expect_split_invariant(smtp, {.allow_bare_lf = true});
  EXPECT_EQ(frame({smtp}, {}).size(), 10u);
}

TEST(LinesSplit, Errors) {
  const std::string_view cases[] = {"ok\r\nbare\nlf\r\n", "ok\r\nbare\rcr\r\n",
                                    std::string_view("a\r\nb\0c\r\n", 8),
                                    "short\r\nlooooooooong\r\n", "x\r\n\r"};
  for (std::string_view in : cases) {
    expect_split_invariant(in, {.max_line_bytes = 8});
    expect_split_invariant(in, {.max_line_bytes = 8, .allow_bare_lf = true});
  }
}

TEST(LinesSplit, RandomStreams) {
  std::mt19937 rng(4648);
  const char alphabet[] = {'a', 'b', '\r', '\n', '\0', ' '};
  for (int iter = 0; iter < 300; ++iter) {
    std::string s(rng() % 40, 'a');
    // Mostly well-formed: CRLF-heavy so the streams get past their first line.
    for (auto& c : s) c = alphabet[rng() % (rng() % 8 == 0 ? 6 : 4)];
    const Limits lim{.max_line_bytes = rng() % 10, .allow_bare_lf = rng() % 2 == 0};
    expect_split_invariant(s, lim);
  }
}

}  // namespace
