// Multipart bodies (RFC 2046 5.1.1 example, RFC 2049 appendix A nesting): streaming
// boundaries at every split point, the nested structure walk and its limits.
#include "zp/codec/mime/multipart.h"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

namespace zp::codec::mime {
namespace {

// RFC 2046 5.1.1.
const std::string rfc2046_body =
    "This is the preamble.  It is to be ignored, though it\r\nis a handy place for composition agents to include an\r\n"
    "explanatory note to non-MIME conformant readers.\r\n\r\n--simple boundary\r\n\r\n"
    "This is implicitly typed plain US-ASCII text.\r\nIt does NOT end with a linebreak.\r\n--simple boundary\r\n"
    "Content-type: text/plain; charset=us-ascii\r\n\r\nThis is explicitly typed plain US-ASCII text.\r\n"
    "It DOES end with a linebreak.\r\n\r\n--simple boundary--\r\n\r\nThis is the epilogue.  It is also to be ignored.\r\n";

struct Parts {
  std::vector<std::string> parts;
  std::string preamble;
  bool ended = false;
  std::size_t consumed = 0;
};

// Feeds `body` cut at `cut`, keeping unconsumed octets as a caller would.
Parts run(std::string_view body, std::string_view boundary, std::size_t cut) {
  MultipartParser mp(boundary);
  Parts out;
  std::string buf(body.substr(0, cut));
  std::size_t fed = cut;
  for (int guard = 0; guard < 100000; ++guard) {
    const PartEvent ev = mp.next(buf);
    out.consumed += ev.consumed;
    if (ev.event == Event::part_begin) out.parts.emplace_back();
    if (ev.event == Event::part_data) out.parts.back().append(ev.data);
    if (ev.event == Event::preamble) out.preamble.append(ev.data);
    buf.erase(0, ev.consumed);
    if (ev.event == Event::end) {
      out.ended = true;
      return out;
    }
    if (ev.event == Event::error) return out;
    if (ev.event == Event::need_more) {
      if (fed == body.size()) return out;
      buf.append(body.substr(fed));
      fed = body.size();
    }
  }
  ADD_FAILURE() << "no progress";
  return out;
}

TEST(MimeMultipart, Rfc2046Example) {
  const Parts p = run(rfc2046_body, "simple boundary", rfc2046_body.size());
  ASSERT_TRUE(p.ended);
  ASSERT_EQ(p.parts.size(), 2u);
  EXPECT_EQ(p.parts[0], "\r\nThis is implicitly typed plain US-ASCII text.\r\nIt does NOT end with a linebreak.");
  EXPECT_EQ(p.parts[1],
            "Content-type: text/plain; charset=us-ascii\r\n\r\nThis is explicitly typed plain US-ASCII text.\r\n"
            "It DOES end with a linebreak.\r\n");
  EXPECT_TRUE(p.preamble.starts_with("This is the preamble."));
  EXPECT_EQ(rfc2046_body.substr(p.consumed), "\r\n\r\nThis is the epilogue.  It is also to be ignored.\r\n");
}

TEST(MimeMultipart, EverySplitPoint) {
  const Parts whole = run(rfc2046_body, "simple boundary", rfc2046_body.size());
  for (std::size_t k = 0; k <= rfc2046_body.size(); ++k) {
    const Parts p = run(rfc2046_body, "simple boundary", k);
    ASSERT_TRUE(p.ended) << k;
    EXPECT_EQ(p.parts, whole.parts) << k;
    EXPECT_EQ(p.preamble, whole.preamble) << k;
    EXPECT_EQ(p.consumed, whole.consumed) << k;
  }
}

TEST(MimeMultipart, BoundaryRules) {
  // Delimiter at the very start, transport padding, and a look-alike that is data.
  const std::string body = "--b \t\r\none\r\n--bx not a delimiter\r\n--b\r\ntwo\r\n--b--";
  const Parts p = run(body, "b", body.size());
  ASSERT_TRUE(p.ended);
  ASSERT_EQ(p.parts.size(), 2u);
  EXPECT_EQ(p.parts[0], "one\r\n--bx not a delimiter");
  EXPECT_EQ(p.parts[1], "two");
  EXPECT_TRUE(valid_boundary("simple boundary"));
  EXPECT_TRUE(valid_boundary("=_zp_0_m"));
  EXPECT_FALSE(valid_boundary(""));
  EXPECT_FALSE(valid_boundary("ends with space "));
  EXPECT_FALSE(valid_boundary(std::string(71, 'a')));
  EXPECT_FALSE(valid_boundary("bad\"quote"));
  MultipartParser bad("");
  EXPECT_EQ(bad.next("x").event, Event::error);
  // No close delimiter: the parser asks for more, never invents an end.
  const Parts open = run("--b\r\npart\r\n", "b", 11);
  EXPECT_FALSE(open.ended);
}

// RFC 2049 appendix A, shortened: nested multiparts.
const std::string nested =
    "MIME-Version: 1.0\r\nFrom: Nathaniel Borenstein <nsb@nsb.fv.com>\r\nSubject: A multipart example\r\n"
    "Content-Type: multipart/mixed;\r\n boundary=unique-boundary-1\r\n\r\n"
    "This is the preamble area of a multipart message.\r\n\r\n--unique-boundary-1\r\n\r\n"
    "  ... Some text appears here ...\r\n--unique-boundary-1\r\nContent-type: text/plain; charset=US-ASCII\r\n\r\n"
    "This could have been part of the previous part.\r\n--unique-boundary-1\r\n"
    "Content-Type: multipart/parallel; boundary=unique-boundary-2\r\n\r\n--unique-boundary-2\r\n"
    "Content-Type: audio/basic\r\nContent-Transfer-Encoding: base64\r\n\r\nAAAA\r\n--unique-boundary-2\r\n"
    "Content-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\n\r\nBBBB\r\n--unique-boundary-2--\r\n\r\n"
    "--unique-boundary-1\r\nContent-type: text/enriched\r\n\r\nThis is <bold>enriched.</bold>\r\n"
    "--unique-boundary-1--\r\n";

TEST(MimeStructure, Rfc2049Nested) {
  std::array<Entity, 16> e{};
  auto n = parse_structure(nested, {}, e);
  ASSERT_TRUE(n) << n.error().message();
  ASSERT_EQ(*n, 7u);
  EXPECT_EQ(e[0].type, "multipart");
  EXPECT_EQ(e[1].subtype, "plain");  // implicit text/plain
  EXPECT_EQ(e[1].body, "  ... Some text appears here ...");
  EXPECT_EQ(e[3].subtype, "parallel");
  EXPECT_EQ(e[4].subtype, "basic");
  EXPECT_EQ(e[4].cte, Cte::base64);
  EXPECT_EQ(e[4].body, "AAAA");
  EXPECT_EQ(e[4].depth, 2);
  EXPECT_EQ(e[4].parent, 3);
  EXPECT_EQ(e[5].subtype, "jpeg");
  EXPECT_EQ(e[6].subtype, "enriched");
  EXPECT_EQ(e[6].parent, 0);
}

TEST(MimeStructure, Limits) {
  std::array<Entity, 16> e{};
  StructureLimits shallow;
  shallow.max_depth = 1;
  EXPECT_EQ(parse_structure(nested, shallow, e).error(), make_error_code(Errc::too_deep));
  StructureLimits few;
  few.max_parts = 3;
  EXPECT_EQ(parse_structure(nested, few, e).error(), make_error_code(Errc::too_many_parts));
  std::array<Entity, 2> two{};
  EXPECT_EQ(parse_structure(nested, {}, two).error(), make_error_code(Errc::too_many_parts));
  // Deep nesting bomb: each level opens another multipart.
  std::string bomb = "Content-Type: text/plain\r\n\r\nx";
  for (int i = 49; i >= 0; --i) {
    const std::string b = "b" + std::to_string(i);
    bomb = "Content-Type: multipart/mixed; boundary=" + b + "\r\n\r\n--" + b + "\r\n" + bomb + "\r\n--" + b + "--\r\n";
  }
  EXPECT_EQ(parse_structure(bomb, {}, e).error(), make_error_code(Errc::too_deep));
  EXPECT_EQ(parse_structure("Content-Type: multipart/mixed\r\n\r\nx", {}, e).error(), make_error_code(Errc::bad_boundary));
  EXPECT_EQ(parse_structure("Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\nx\r\n", {}, e).error(),
            make_error_code(Errc::no_close_delimiter));
  auto n = parse_structure("Subject: only a header\r\n", {}, e);
  ASSERT_TRUE(n);
  EXPECT_EQ(e[0].body, "");
}

}  // namespace
}  // namespace zp::codec::mime
