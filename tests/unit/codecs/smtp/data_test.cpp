// DATA framing (RFC 5321 4.1.1.4, 4.5.2 transparency), the 2023 SMTP smuggling payloads,
// split input at every point, dot-stuffing round trips, and BDAT chunks (RFC 3030).
#include "zp/codec/smtp/data.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace zp::codec::smtp {
namespace {

struct Decoded {
  DataStatus status = DataStatus::more;
  Errc error = Errc::ok;
  std::string body;
  std::size_t consumed = 0;  // total input used
};

// Feeds `in` in pieces cut at `cuts` (ascending offsets).
Decoded decode_pieces(std::string_view in, const std::vector<std::size_t>& cuts, DataLimits limits = {}) {
  DataDecoder dec(limits);
  Decoded d;
  std::size_t from = 0;
  std::vector<std::size_t> ends = cuts;
  ends.push_back(in.size());
  for (std::size_t end : ends) {
    std::string_view piece = in.substr(from, end - from);
    // A step may stop early (a dot, a normalised line end): call until the piece is used.
    for (;;) {
      const DataResult r = dec.decode(piece);
      d.body.append(r.data);
      d.consumed += r.consumed;
      piece.remove_prefix(r.consumed);
      if (r.status != DataStatus::more) {
        d.status = r.status;
        d.error = r.error;
        return d;
      }
      if (piece.empty()) break;
    }
    from = end;
  }
  return d;
}

Decoded decode_all(std::string_view in, DataLimits limits = {}) { return decode_pieces(in, {}, limits); }

DataLimits normalising() {
  DataLimits l;
  l.normalise_bare = true;
  return l;
}

TEST(SmtpData, EndOnlyAtCrlfDotCrlf) {
  const Decoded d = decode_all("Subject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n");
  EXPECT_EQ(d.status, DataStatus::done);
  EXPECT_EQ(d.error, Errc::ok);
  EXPECT_EQ(d.body, "Subject: hi\r\n\r\nbody\r\n");
  EXPECT_EQ(d.consumed, std::string_view("Subject: hi\r\n\r\nbody\r\n.\r\n").size());
  // The empty message: the DATA line's CRLF starts the first line.
  const Decoded e = decode_all(".\r\n");
  EXPECT_EQ(e.status, DataStatus::done);
  EXPECT_EQ(e.body, "");
  // Not yet.
  EXPECT_EQ(decode_all("body\r\n.").status, DataStatus::more);
  EXPECT_EQ(decode_all("body\r\n.\r").status, DataStatus::more);
  EXPECT_EQ(decode_all("body\r\n").status, DataStatus::more);
}

TEST(SmtpData, DotUnstuffing) {
  // RFC 5321 4.5.2: a leading dot is removed; other dots stay.
  const Decoded d = decode_all("..\r\n...x\r\n.y\r\na.b\r\n. \r\n.\r\n");
  ASSERT_EQ(d.status, DataStatus::done);
  EXPECT_EQ(d.body, ".\r\n..x\r\ny\r\na.b\r\n \r\n");
}

// The SEC Consult 2023 payloads and the variants in hannob/smtpsmug and
// suuhm/smtp_smuggling_checker: none of them may end the data. Each is followed by a
// smuggled second transaction; the real end comes after.
const std::string_view smuggling[] = {
    "\n.\n",        // <LF>.<LF>
    "\r.\r",        // <CR>.<CR>
    "\n.\r\n",      // <LF>.<CRLF>
    "\r\n.\n",      // <CRLF>.<LF>
    "\r.\r\n",      // <CR>.<CRLF>
    "\r\n.\r",      // <CRLF>.<CR>
    "\n.",          // <LF>. then text
    std::string_view("\r\n\x00.\r\n", 6),  // NUL before the dot
};

std::string payload(std::string_view end) {
  std::string s = "Subject: one\r\n\r\nfirst";
  s += end;
  s += "MAIL FROM:<admin@bank.example>\r\nRCPT TO:<victim@local.test>\r\nDATA\r\nFrom: admin@bank.example\r\n\r\nsmuggled\r\n.\r\n";
  return s;
}

TEST(SmtpData, SmugglingPayloadsRejected) {
  for (const std::string_view e : smuggling) {
    const std::string in = payload(e);
    const Decoded d = decode_all(in);
    EXPECT_EQ(d.status, DataStatus::error) << testing::PrintToString(std::string(e));
    EXPECT_TRUE(d.error == Errc::bare_lf || d.error == Errc::bare_cr || d.error == Errc::nul) << errc_name(d.error);
    // The smuggled transaction is never reached as a separate message.
    EXPECT_EQ(d.body.find("MAIL FROM"), std::string::npos);
  }
}

TEST(SmtpData, SmugglingPayloadsNormalisedStayInOneMessage) {
  DataLimits l = normalising();
  l.allow_nul = true;
  for (const std::string_view e : smuggling) {
    const std::string in = payload(e);
    const Decoded d = decode_all(in, l);
    ASSERT_EQ(d.status, DataStatus::done) << testing::PrintToString(std::string(e));
    // The data ended at the real <CRLF>.<CRLF> only: everything, smuggled text included,
    // is one message, with no bare CR or LF left.
    EXPECT_EQ(d.consumed, in.size());
    EXPECT_NE(d.body.find("MAIL FROM:<admin@bank.example>"), std::string::npos);
    EXPECT_TRUE(d.body.ends_with("smuggled\r\n"));
    for (std::size_t i = 0; i < d.body.size(); ++i) {
      if (d.body[i] == '\n') {
        EXPECT_TRUE(i > 0 && d.body[i - 1] == '\r') << i;
      }
      if (d.body[i] == '\r') {
        EXPECT_TRUE(i + 1 < d.body.size() && d.body[i + 1] == '\n') << i;
      }
    }
    // Re-encoded for the next hop, it is still one message.
    DataEncoder enc;
    std::string out(DataEncoder::max_encoded(d.body.size()) + 5, '\0');
    const DataEncoder::Step s = enc.encode(d.body, out);
    ASSERT_EQ(s.consumed, d.body.size());
    const std::size_t t = enc.finish(std::span<char>(out).subspan(s.written));
    out.resize(s.written + t);
    const Decoded again = decode_all(out, l);
    ASSERT_EQ(again.status, DataStatus::done);
    EXPECT_EQ(again.consumed, out.size());
    EXPECT_EQ(again.body, d.body);
  }
}

TEST(SmtpData, NormaliseDoesNotStartLines) {
  // "<LF>.<LF>" normalised: the dot is not at a line start, so it stays.
  const Decoded d = decode_all("a\n.\nb\r\n.\r\n", normalising());
  ASSERT_EQ(d.status, DataStatus::done);
  EXPECT_EQ(d.body, "a\r\n.\r\nb\r\n");
  const Decoded c = decode_all("a\r.\rb\r\n.\r\n", normalising());
  ASSERT_EQ(c.status, DataStatus::done);
  EXPECT_EQ(c.body, "a\r\n.\r\nb\r\n");
}

TEST(SmtpData, EverySplitPointSameResult) {
  const std::string inputs[] = {
      "Subject: x\r\n\r\n..leading\r\nmid.dle\r\n.\r\n",
      payload("\n.\n"),
      payload("\r.\r"),
      payload("\r\n.\n"),
      "a\r\n.\r\n",
      ".\r\n",
      "..\r\n.\r\n",
  };
  for (const DataLimits& limits : {DataLimits{}, normalising()}) {
    for (const std::string& in : inputs) {
      const Decoded whole = decode_all(in, limits);
      for (std::size_t k = 0; k <= in.size(); ++k) {
        const Decoded two = decode_pieces(in, {k}, limits);
        EXPECT_EQ(two.status, whole.status) << k;
        EXPECT_EQ(two.error, whole.error) << k;
        // Octets passed on before an error depend on the split; the caller drops them.
        if (whole.status != DataStatus::error) {
          EXPECT_EQ(two.body, whole.body) << k;
          EXPECT_EQ(two.consumed, whole.consumed) << k;
        }
      }
      // And one octet at a time.
      std::vector<std::size_t> all;
      for (std::size_t k = 1; k < in.size(); ++k) all.push_back(k);
      const Decoded bytes = decode_pieces(in, all, limits);
      EXPECT_EQ(bytes.status, whole.status);
      if (whole.status != DataStatus::error) {
        EXPECT_EQ(bytes.body, whole.body);
      }
    }
  }
}

TEST(SmtpData, Limits) {
  // Text line: 1000 octets with CRLF (RFC 5321 4.5.3.1.6).
  const std::string ok_line(998, 'x');
  Decoded d = decode_all(ok_line + "\r\n.\r\n");
  EXPECT_EQ(d.status, DataStatus::done);
  EXPECT_EQ(d.error, Errc::ok);
  d = decode_all(ok_line + "x\r\nmore\r\n.\r\n");
  EXPECT_EQ(d.status, DataStatus::done);  // the end is still found ...
  EXPECT_EQ(d.error, Errc::line_too_long);  // ... and reported
  // A stuffed dot counts: it was sent.
  d = decode_all("." + ok_line + "\r\n.\r\n");
  EXPECT_EQ(d.error, Errc::line_too_long);
  // Message size.
  DataLimits small;
  small.max_message_bytes = 10;
  d = decode_all("0123456\r\n.\r\n", small);
  EXPECT_EQ(d.error, Errc::ok);
  EXPECT_EQ(d.body, "0123456\r\n");
  d = decode_all("0123456789\r\nabc\r\n.\r\nNEXT", small);
  EXPECT_EQ(d.status, DataStatus::done);
  EXPECT_EQ(d.error, Errc::message_too_large);
  EXPECT_EQ(d.consumed, std::string_view("0123456789\r\nabc\r\n.\r\n").size());
  EXPECT_EQ(reply_for(d.error).code, 552);
  // NUL.
  d = decode_all(std::string_view("a\0b\r\n.\r\n", 8));
  EXPECT_EQ(d.error, Errc::nul);
  DataLimits nul_ok;
  nul_ok.allow_nul = true;
  d = decode_all(std::string_view("a\0b\r\n.\r\n", 8), nul_ok);
  EXPECT_EQ(d.body, std::string("a\0b\r\n", 5));
}

TEST(SmtpData, DecoderAfterEnd) {
  DataDecoder dec;
  DataResult r = dec.decode("x\r\n.\r\nQUIT\r\n");
  ASSERT_EQ(r.status, DataStatus::more);
  std::string_view rest = std::string_view("x\r\n.\r\nQUIT\r\n").substr(r.consumed);
  r = dec.decode(rest);
  ASSERT_EQ(r.status, DataStatus::done);
  EXPECT_EQ(rest.substr(r.consumed), "QUIT\r\n");
  EXPECT_TRUE(dec.finished());
  EXPECT_EQ(dec.decode("more").consumed, 0u);
  EXPECT_EQ(dec.size(), 3u);
  EXPECT_EQ(dec.decode("").status, DataStatus::done);
}

std::string encode(std::string_view body, std::size_t out_chunk = 1 << 16) {
  DataEncoder enc;
  std::string out;
  std::string buf(out_chunk, '\0');
  while (!body.empty()) {
    const DataEncoder::Step s = enc.encode(body, buf);
    out.append(buf.data(), s.written);
    body.remove_prefix(s.consumed);
    if (s.consumed == 0 && s.written == 0) ADD_FAILURE() << "no progress";
    if (s.consumed == 0 && s.written == 0) break;
  }
  char tail[5];
  const std::size_t t = enc.finish(tail);
  out.append(tail, t);
  return out;
}

TEST(SmtpData, EncoderDotStuffsAndTerminates) {
  EXPECT_EQ(encode("a\r\n.b\r\n..\r\n.\r\n"), "a\r\n..b\r\n...\r\n..\r\n.\r\n");
  EXPECT_EQ(encode("no final line end"), "no final line end\r\n.\r\n");
  EXPECT_EQ(encode(""), ".\r\n");
  EXPECT_EQ(encode(".x"), "..x\r\n.\r\n");
  // Bare LF and bare CR never leave us.
  EXPECT_EQ(encode("a\n.\nb"), "a\r\n..\r\nb\r\n.\r\n");
  EXPECT_EQ(encode("a\r.\rb\r"), "a\r\n..\r\nb\r\n.\r\n");
  // A tiny output buffer still makes progress.
  EXPECT_EQ(encode("a\r\n.b\r\n..\r\n", 2), "a\r\n..b\r\n...\r\n.\r\n");
  DataEncoder e;
  char buf[4];
  EXPECT_EQ(e.encode("x", buf).written, 1u);
  EXPECT_EQ(e.finish(buf), 0u);  // "\r\n.\r\n" needs 5
  char five[5];
  EXPECT_EQ(e.finish(five), 5u);
}

TEST(SmtpData, StuffThenUnstuffIsIdentity) {
  const std::string bodies[] = {
      "", "a", "a\r\n", ".\r\n", "..\r\n", ".", "x\r\n.\r\n.\r\n", "line\r\n.dot\r\n\r\n..two\r\nend",
      std::string(5000, '.') + "\r\n" + std::string(3, '.'),
  };
  for (const std::string& b : bodies) {
    const std::string wire = encode(b);
    for (std::size_t k = 0; k <= wire.size(); k += 1 + wire.size() / 50) {
      const Decoded d = decode_pieces(wire, {k}, DataLimits{.max_line_bytes = 10000});
      ASSERT_EQ(d.status, DataStatus::done) << testing::PrintToString(b);
      EXPECT_EQ(d.consumed, wire.size());
      // The decoder gives back the body with its last line ended.
      const std::string expect = b.empty() || b.ends_with("\r\n") ? b : b + "\r\n";
      EXPECT_EQ(d.body, expect);
    }
  }
}

TEST(SmtpBdat, ChunksExactOctets) {
  // RFC 3030 4.2: BDAT 86 then BDAT 44 LAST; the chunk may hold anything, "\r\n.\r\n" included.
  BdatReader rd(1000);
  rd.start(10, false);
  const std::string in = "ab\r\n.\r\ncdeBDAT 3 LAST\r\n";
  BdatReader::Step s = rd.read(std::string_view(in).substr(0, 4));
  EXPECT_EQ(s.consumed, 4u);
  EXPECT_FALSE(s.chunk_done);
  s = rd.read(std::string_view(in).substr(4));
  EXPECT_EQ(s.consumed, 6u);
  EXPECT_EQ(s.data, ".\r\ncde");
  EXPECT_TRUE(s.chunk_done);
  EXPECT_FALSE(s.message_done);
  rd.start(3, true);
  s = rd.read("xyzQUIT\r\n");
  EXPECT_EQ(s.data, "xyz");
  EXPECT_TRUE(s.message_done);
  EXPECT_EQ(rd.size(), 13u);
  // Zero-length LAST chunk.
  BdatReader z;
  z.start(0, true);
  s = z.read("QUIT\r\n");
  EXPECT_EQ(s.consumed, 0u);
  EXPECT_TRUE(s.message_done);
  // Over the limit: the octets are still consumed, then 552.
  BdatReader small(5);
  small.start(8, true);
  s = small.read("12345678NOOP\r\n");
  EXPECT_EQ(s.consumed, 8u);
  EXPECT_EQ(s.error, Errc::message_too_large);
  EXPECT_TRUE(s.data.empty());
  EXPECT_TRUE(s.message_done);
}

}  // namespace
}  // namespace zp::codec::smtp
