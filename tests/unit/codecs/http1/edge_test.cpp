// http1 corners: chunk extensions (RFC 9112 §7.1.1: BWS around "=", quoted values with
// quoted-pairs) and their failures, obs-fold in trailers, request-targets of no form
// (RFC 9112 §3.2), empty transfer-codings, bare-LF leniency before the request line, the
// RFC 9110 §15 reason phrases, and the error table's fallbacks.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "zp/codec/http1/chunked.h"
#include "zp/codec/http1/errc.h"
#include "zp/codec/http1/parser.h"
#include "zp/codec/http1/serializer.h"

namespace {

namespace h1 = zp::codec::http1;
using h1::Errc;
using h1::Status;

struct Chunked {
  Status status = Status::need_more;
  Errc error = Errc::ok;
  std::string data;
};

Chunked decode(std::string_view body) {
  h1::ChunkedDecoder d{};
  Chunked out;
  std::span<const char> in(body.data(), body.size());
  while (!in.empty()) {
    auto r = d.decode(in);
    out.status = r.status;
    if (r.status == Status::error) {
      out.error = r.error;
      return out;
    }
    out.data.append(r.data.data(), r.data.size());
    in = in.subspan(r.consumed);
    if (r.status == Status::complete || r.consumed == 0) break;
  }
  return out;
}

TEST(Http1Edge, ChunkExtensionsAccepted) {
  for (const char* body : {"1;a =v\r\nx\r\n0\r\n\r\n", "1;a= \"q\\\"v\" ;b\r\nx\r\n0\r\n\r\n",
                           "1 ; a ; b=c\r\nx\r\n0\r\n\r\n", "1;a\t\r\nx\r\n0\r\n\r\n",
                           "1;a=\"\\\tb\"\t\r\nx\r\n0\r\n\r\n"}) {
    const auto d = decode(body);
    EXPECT_EQ(d.status, Status::complete) << body << " -> " << h1::errc_name(d.error);
    EXPECT_EQ(d.data, "x") << body;
  }
}

TEST(Http1Edge, ChunkExtensionsRejected) {
  const std::pair<std::string, Errc> cases[] = {
      {std::string("1;a\x01\r\nx\r\n", 9), Errc::bad_chunk_extension},  // CTL after a name
      {"1;a\n", Errc::bare_lf},
      {"1;a b\r\n", Errc::bad_chunk_extension},        // a second name without ";"
      {std::string("1;a \0", 5), Errc::nul},
      {"1;a=\"\\\x01\"\r\n", Errc::bad_chunk_extension},  // quoted-pair of a CTL
      {"1;a=\"\\\r", Errc::bare_cr},
      {"1;a=\"v\"x\r\n", Errc::bad_chunk_extension},   // junk after a quoted value
      {"1;a=\"v\" x\r\n", Errc::bad_chunk_extension},
      {"1;a=\"v\"\n", Errc::bare_lf},
      {"0\r\n X-T: v\r\n\r\n", Errc::obs_fold},         // folded trailer line
      {"0\r\n\tX-T: v\r\n\r\n", Errc::obs_fold},
      {"0\r\n@: v\r\n\r\n", Errc::bad_header_name},
  };
  for (const auto& [body, want] : cases) {
    const auto d = decode(body);
    EXPECT_EQ(d.status, Status::error) << body;
    EXPECT_EQ(h1::errc_name(d.error), h1::errc_name(want)) << body;
  }
}

Errc request_error(std::string_view in, const h1::Limits& limits = {}) {
  h1::Request req;
  std::vector<h1::Header> headers(16);
  auto r = h1::parse_request(in, req, headers, limits);
  EXPECT_EQ(r.status, Status::error) << in;
  return r.error;
}

TEST(Http1Edge, TargetsOfNoForm) {
  // Neither origin-form ("/"), absolute-form (scheme ":"), authority-form (CONNECT) nor "*".
  EXPECT_EQ(request_error("GET abc HTTP/1.1\r\nHost: a\r\n\r\n"), Errc::bad_target);
  EXPECT_EQ(request_error("GET a_b:c HTTP/1.1\r\nHost: a\r\n\r\n"), Errc::bad_target);
  EXPECT_EQ(request_error("GET 1http://a/ HTTP/1.1\r\nHost: a\r\n\r\n"), Errc::bad_target);
}

TEST(Http1Edge, EmptyTransferCoding) {
  EXPECT_EQ(request_error("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ;q=1, chunked\r\n\r\n"),
            Errc::bad_transfer_encoding);
}

TEST(Http1Edge, BareLfBeforeTheRequestLineIsLenient) {
  const std::string_view in = "\n\r\nGET / HTTP/1.1\nHost: a\n\n";
  EXPECT_EQ(request_error(in), Errc::bare_lf);
  h1::Limits lenient;
  lenient.allow_bare_lf = true;
  h1::Request req;
  std::vector<h1::Header> headers(16);
  auto r = h1::parse_request(in, req, headers, lenient);
  ASSERT_EQ(r.status, Status::complete) << h1::errc_name(r.error);
  EXPECT_EQ(r.consumed, in.size());
  EXPECT_EQ(req.target, "/");
  EXPECT_EQ(request_error("\rGET / HTTP/1.1\r\n\r\n"), Errc::bare_cr);
}

TEST(Http1Edge, ReasonPhrasesOfRfc9110) {
  // RFC 9110 §15: the registered status codes and their reason phrases.
  const std::pair<int, const char*> table[] = {
      {100, "Continue"}, {101, "Switching Protocols"}, {200, "OK"}, {201, "Created"}, {202, "Accepted"},
      {203, "Non-Authoritative Information"}, {204, "No Content"}, {205, "Reset Content"},
      {206, "Partial Content"}, {300, "Multiple Choices"}, {301, "Moved Permanently"}, {302, "Found"},
      {303, "See Other"}, {304, "Not Modified"}, {307, "Temporary Redirect"}, {308, "Permanent Redirect"},
      {400, "Bad Request"}, {401, "Unauthorized"}, {403, "Forbidden"}, {404, "Not Found"},
      {405, "Method Not Allowed"}, {406, "Not Acceptable"}, {408, "Request Timeout"}, {409, "Conflict"},
      {410, "Gone"}, {411, "Length Required"}, {412, "Precondition Failed"}, {413, "Content Too Large"},
      {414, "URI Too Long"}, {415, "Unsupported Media Type"}, {416, "Range Not Satisfiable"},
      {417, "Expectation Failed"}, {421, "Misdirected Request"}, {422, "Unprocessable Content"},
      {426, "Upgrade Required"}, {429, "Too Many Requests"}, {431, "Request Header Fields Too Large"},
      {500, "Internal Server Error"}, {501, "Not Implemented"}, {502, "Bad Gateway"},
      {503, "Service Unavailable"}, {504, "Gateway Timeout"}, {505, "HTTP Version Not Supported"},
  };
  for (const auto& [code, phrase] : table) EXPECT_EQ(h1::reason_phrase(code), phrase) << code;
  // Unregistered or without a phrase here: the caller supplies one (or sends none).
  for (int code : {0, 99, 102, 306, 418, 599, 600}) EXPECT_EQ(h1::reason_phrase(code), "") << code;
}

TEST(Http1Edge, ErrorTableFallbacks) {
  const auto past = static_cast<Errc>(static_cast<int>(Errc::bad_field) + 1);
  EXPECT_TRUE(h1::errc_name(past).empty());
  const auto s = h1::status_for(past);
  EXPECT_EQ(s.code, 400);
  EXPECT_EQ(s.reason, "Bad Request");
  EXPECT_EQ(h1::make_error_code(past).message(), "Bad Request");
  EXPECT_EQ(h1::errc_name(Errc::bad_field), "bad_field");
}

}  // namespace
