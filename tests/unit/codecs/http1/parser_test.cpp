// Request/response head parsing: RFC 9112/9110 examples, derived framing (length, chunked,
// keep-alive, Expect, Upgrade), limits, leniency, zero-copy views, need_more on every prefix.
#include "zp/codec/http1/parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

namespace h1 = zp::codec::http1;
using h1::Errc;
using h1::Status;

struct Parsed {
  h1::ParseResult r;
  h1::Request req;
  std::vector<h1::Header> storage = std::vector<h1::Header>(64);
};

Parsed req(std::string_view in, const h1::Limits& limits = {}) {
  Parsed p;
  p.r = h1::parse_request(in, p.req, p.storage, limits);
  return p;
}

Errc req_error(std::string_view in, const h1::Limits& limits = {}) {
  auto p = req(in, limits);
  EXPECT_EQ(p.r.status, Status::error) << in;
  return p.r.error;
}

// RFC 9112 §2.1 example request.
constexpr std::string_view kRfcGet =
    "GET /hello.txt HTTP/1.1\r\n"
    "User-Agent: curl/7.64.1\r\n"
    "Host: www.example.com\r\n"
    "Accept-Language: en, mi\r\n"
    "\r\n";

// RFC 9112 §2.1 example response.
constexpr std::string_view kRfcResponse =
    "HTTP/1.1 200 OK\r\n"
    "Date: Mon, 27 Jul 2009 12:28:53 GMT\r\n"
    "Server: Apache\r\n"
    "Last-Modified: Wed, 22 Jul 2009 19:15:56 GMT\r\n"
    "ETag: \"34aa387-d-1568eb00\"\r\n"
    "Accept-Ranges: bytes\r\n"
    "Content-Length: 51\r\n"
    "Vary: Accept-Encoding\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "Hello World! My content includes a trailing CRLF.\r\n";

TEST(Http1Request, Rfc9112Example) {
  auto p = req(kRfcGet);
  ASSERT_EQ(p.r.status, Status::complete);
  EXPECT_EQ(p.r.consumed, kRfcGet.size());
  EXPECT_EQ(p.req.method, "GET");
  EXPECT_EQ(p.req.method_id, h1::Method::get);
  EXPECT_EQ(p.req.target, "/hello.txt");
  EXPECT_EQ(p.req.target_form, h1::TargetForm::origin);
  EXPECT_EQ(p.req.version_minor, 1);
  ASSERT_EQ(p.req.headers.size(), 3u);
  EXPECT_EQ(p.req.headers[0].name, "User-Agent");
  EXPECT_EQ(p.req.headers[0].value, "curl/7.64.1");
  EXPECT_EQ(p.req.headers[2].value, "en, mi");
  EXPECT_EQ(p.req.host, "www.example.com");
  EXPECT_FALSE(p.req.content_length);
  EXPECT_FALSE(p.req.chunked);
  EXPECT_TRUE(p.req.keep_alive);
  EXPECT_FALSE(p.req.expect_continue);
  EXPECT_FALSE(p.req.upgrade);
  // Zero-copy: views point into the input.
  EXPECT_EQ(p.req.method.data(), kRfcGet.data());
  EXPECT_EQ(p.req.headers[1].value.data(), kRfcGet.data() + kRfcGet.find("www."));
  EXPECT_EQ(h1::find_header(p.req.headers, "accept-language")->value, "en, mi");
  EXPECT_EQ(h1::find_header(p.req.headers, "cookie"), nullptr);
}

TEST(Http1Request, EveryPrefixNeedsMore) {
  for (std::size_t k = 0; k < kRfcGet.size(); ++k) {
    auto p = req(kRfcGet.substr(0, k));
    EXPECT_EQ(p.r.status, Status::need_more) << k;
    EXPECT_EQ(p.r.consumed, 0u);
  }
}

TEST(Http1Request, TargetForms) {  // RFC 9112 §3.2.1-3.2.4
  auto o = req("GET /where?q=now HTTP/1.1\r\nHost: www.example.org\r\n\r\n");
  ASSERT_EQ(o.r.status, Status::complete);
  EXPECT_EQ(o.req.target, "/where?q=now");
  auto a = req("GET http://www.example.org/pub/WWW/TheProject.html HTTP/1.1\r\nHost: www.example.org\r\n\r\n");
  ASSERT_EQ(a.r.status, Status::complete);
  EXPECT_EQ(a.req.target_form, h1::TargetForm::absolute);
  auto c = req("CONNECT www.example.com:80 HTTP/1.1\r\nHost: www.example.com:80\r\n\r\n");
  ASSERT_EQ(c.r.status, Status::complete);
  EXPECT_EQ(c.req.target_form, h1::TargetForm::authority);
  EXPECT_EQ(c.req.method_id, h1::Method::connect);
  auto s = req("OPTIONS * HTTP/1.1\r\nHost: www.example.org:8001\r\n\r\n");
  ASSERT_EQ(s.r.status, Status::complete);
  EXPECT_EQ(s.req.target_form, h1::TargetForm::asterisk);
  EXPECT_EQ(req_error("GET * HTTP/1.1\r\nHost: a\r\n\r\n"), Errc::bad_target);
  EXPECT_EQ(req_error("CONNECT /x HTTP/1.1\r\nHost: a\r\n\r\n"), Errc::bad_target);
}

TEST(Http1Request, KeepAliveRules) {
  EXPECT_TRUE(req("GET / HTTP/1.1\r\nHost: a\r\n\r\n").req.keep_alive);
  EXPECT_FALSE(req("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").req.keep_alive);
  EXPECT_FALSE(req("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, Close\r\n\r\n").req.keep_alive);
  EXPECT_FALSE(req("GET / HTTP/1.0\r\n\r\n").req.keep_alive);
  EXPECT_TRUE(req("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").req.keep_alive);
  EXPECT_FALSE(req("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").req.keep_alive);
  EXPECT_TRUE(req("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n").req.keep_alive);
}

TEST(Http1Request, ExpectAndUpgrade) {
  auto e = req("PUT /f HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\nExpect: 100-Continue\r\n\r\n");
  ASSERT_EQ(e.r.status, Status::complete);
  EXPECT_TRUE(e.req.expect_continue);
  EXPECT_EQ(*e.req.content_length, 10u);
  // RFC 9110 §10.1.1: ignored in HTTP/1.0.
  auto e10 = req("PUT /f HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n");
  ASSERT_EQ(e10.r.status, Status::complete);
  EXPECT_FALSE(e10.req.expect_continue);
  EXPECT_EQ(req_error("GET / HTTP/1.1\r\nHost: a\r\nExpect: bogus\r\n\r\n"), Errc::unsupported_expectation);
  // RFC 9110 §7.8 example.
  auto u = req("GET /hello HTTP/1.1\r\nHost: www.example.com\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n");
  ASSERT_EQ(u.r.status, Status::complete);
  EXPECT_TRUE(u.req.upgrade);
  EXPECT_EQ(u.req.upgrade_protocols, "websocket");
  EXPECT_FALSE(req("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n").req.upgrade);
}

TEST(Http1Request, Framing) {
  auto c = req("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
  ASSERT_EQ(c.r.status, Status::complete);
  EXPECT_TRUE(c.req.chunked);
  EXPECT_FALSE(c.req.content_length);
  auto l = req("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(l.r.status, Status::complete);
  EXPECT_EQ(l.req.content_length, 0u);
  EXPECT_EQ(req_error("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
            Errc::unsupported_transfer_coding);
  EXPECT_EQ(h1::status_for(Errc::unsupported_transfer_coding).code, 501);
}

TEST(Http1Request, WhitespaceAroundValuesIsTrimmed) {
  auto p = req("GET / HTTP/1.1\r\nHost:a\r\nX: \t v a l \t \r\nY:\r\n\r\n");
  ASSERT_EQ(p.r.status, Status::complete);
  EXPECT_EQ(p.req.headers[0].value, "a");
  EXPECT_EQ(p.req.headers[1].value, "v a l");
  EXPECT_EQ(p.req.headers[2].value, "");
}

TEST(Http1Request, ConsumedStopsAtTheBody) {
  std::string_view in = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET";
  auto p = req(in);
  ASSERT_EQ(p.r.status, Status::complete);
  EXPECT_EQ(in.substr(p.r.consumed), "abcGET");
}

TEST(Http1Request, Limits) {
  const std::string line = "GET /" + std::string(100, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n";
  // Request line is 114 bytes without CRLF.
  EXPECT_EQ(req(line, {.max_request_line_bytes = 114}).r.status, Status::complete);
  EXPECT_EQ(req_error(line, {.max_request_line_bytes = 113}), Errc::request_line_too_long);
  // A too-long line is an error before it is complete.
  EXPECT_EQ(req_error(std::string_view(line).substr(0, 60), {.max_request_line_bytes = 50}),
            Errc::request_line_too_long);
  EXPECT_EQ(req(std::string_view(line).substr(0, 50), {.max_request_line_bytes = 50}).r.status,
            Status::need_more);
  EXPECT_EQ(h1::status_for(Errc::request_line_too_long).code, 414);

  const std::string three = "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n";
  EXPECT_EQ(req(three, {.max_header_count = 3}).r.status, Status::complete);
  EXPECT_EQ(req_error(three, {.max_header_count = 2}), Errc::too_many_headers);
  {  // The caller's array bounds the count too.
    h1::Request r;
    h1::Header two[2];
    auto res = h1::parse_request(three, r, two);
    EXPECT_EQ(res.status, Status::error);
    EXPECT_EQ(res.error, Errc::too_many_headers);
  }
  // Header section: "Host: a\r\nA: 1\r\nB: 2\r\n\r\n" = 23 bytes.
  EXPECT_EQ(req(three, {.max_header_bytes = 23}).r.status, Status::complete);
  EXPECT_EQ(req_error(three, {.max_header_bytes = 22}), Errc::headers_too_large);
  EXPECT_EQ(h1::status_for(Errc::headers_too_large).code, 431);
  const std::string body = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n";
  EXPECT_EQ(req_error(body, {.max_body_bytes = 1000}), Errc::body_too_large);
  EXPECT_EQ(req(body, {.max_body_bytes = 1001}).r.status, Status::complete);
  EXPECT_EQ(h1::status_for(Errc::body_too_large).code, 413);
}

TEST(Http1Request, BareLfIsLenientOnlyWhenAsked) {
  std::string_view in = "GET / HTTP/1.1\nHost: a\nX: y\r\n\n";
  EXPECT_EQ(req_error(in), Errc::bare_lf);
  auto p = req(in, {.allow_bare_lf = true});
  ASSERT_EQ(p.r.status, Status::complete);
  EXPECT_EQ(p.r.consumed, in.size());
  EXPECT_EQ(p.req.headers[1].value, "y");
  // A bare CR stays an error.
  EXPECT_EQ(req_error("GET / HTTP/1.1\nHost: a\rX\n\n", {.allow_bare_lf = true}), Errc::bare_cr);
}

TEST(Http1Request, ErrorStatusMapping) {
  EXPECT_EQ(h1::status_for(Errc::ok).code, 200);
  for (int i = 1; i <= static_cast<int>(Errc::bad_field); ++i) {
    const auto e = static_cast<Errc>(i);
    const auto s = h1::status_for(e);
    EXPECT_FALSE(h1::errc_name(e).empty()) << i;
    EXPECT_TRUE(s.code == 400 || s.code == 413 || s.code == 414 || s.code == 417 || s.code == 431 ||
                s.code == 500 || s.code == 501 || s.code == 502 || s.code == 505)
        << i;
    EXPECT_FALSE(s.reason.empty());
    EXPECT_TRUE(h1::must_close(e));
    const std::error_code ec = e;
    EXPECT_EQ(ec.message(), s.reason);
    EXPECT_STREQ(ec.category().name(), "zp.codec.http1");
  }
  EXPECT_EQ(h1::status_for(Errc::content_length_and_transfer_encoding).reason,
            "Bad Request: Content-Length with Transfer-Encoding");
  EXPECT_EQ(h1::status_for(Errc::unsupported_version).code, 505);
}

// --- responses

struct ParsedResponse {
  h1::ParseResult r;
  h1::Response resp;
  std::vector<h1::Header> storage = std::vector<h1::Header>(64);
};

ParsedResponse resp(std::string_view in, const h1::Limits& limits = {}) {
  ParsedResponse p;
  p.r = h1::parse_response(in, p.resp, p.storage, limits);
  return p;
}

TEST(Http1Response, Rfc9112Example) {
  auto p = resp(kRfcResponse);
  ASSERT_EQ(p.r.status, Status::complete);
  EXPECT_EQ(p.resp.status, 200);
  EXPECT_EQ(p.resp.reason, "OK");
  EXPECT_EQ(p.resp.headers.size(), 8u);
  EXPECT_EQ(p.resp.headers[3].value, "\"34aa387-d-1568eb00\"");
  ASSERT_TRUE(p.resp.content_length);
  EXPECT_EQ(*p.resp.content_length, 51u);
  EXPECT_EQ(kRfcResponse.substr(p.r.consumed).size(), 51u);
  EXPECT_TRUE(p.resp.keep_alive);
  for (std::size_t k = 0; k < p.r.consumed; ++k)
    EXPECT_EQ(resp(kRfcResponse.substr(0, k)).r.status, Status::need_more) << k;
}

TEST(Http1Response, Framing) {
  auto c = resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
  ASSERT_EQ(c.r.status, Status::complete);
  EXPECT_TRUE(c.resp.chunked);
  auto u = resp("HTTP/1.1 200 OK\r\n\r\n");
  ASSERT_EQ(u.r.status, Status::complete);
  EXPECT_TRUE(u.resp.until_close);
  EXPECT_FALSE(u.resp.keep_alive);
  auto g = resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n");
  ASSERT_EQ(g.r.status, Status::complete);
  EXPECT_TRUE(g.resp.until_close);
  for (std::string_view s : {"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
                             "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
                             "HTTP/1.1 100 Continue\r\n\r\n"}) {
    auto n = resp(s);
    ASSERT_EQ(n.r.status, Status::complete) << s;
    EXPECT_TRUE(n.resp.no_body);
    EXPECT_FALSE(n.resp.chunked || n.resp.until_close || n.resp.content_length);
    EXPECT_TRUE(n.resp.keep_alive);
  }
  auto up = resp("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
  ASSERT_EQ(up.r.status, Status::complete);
  EXPECT_TRUE(up.resp.upgrade);
  auto bad = resp("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(bad.r.error, Errc::content_length_and_transfer_encoding);
  auto noreason = resp("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(noreason.r.status, Status::complete);
  EXPECT_EQ(noreason.resp.reason, "");
  auto http10 = resp("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(http10.r.status, Status::complete);
  EXPECT_FALSE(http10.resp.keep_alive);
}

TEST(Http1Response, Errors) {
  EXPECT_EQ(resp("HTTP/1.1 20 OK\r\n\r\n").r.error, Errc::bad_status_line);
  EXPECT_EQ(resp("HTTP/1.1 099 OK\r\n\r\n").r.error, Errc::bad_status_line);
  EXPECT_EQ(resp("HTTP/1.1  200 OK\r\n\r\n").r.error, Errc::bad_status_line);
  EXPECT_EQ(resp("HTTP/1.1 200 O\x01K\r\n\r\n").r.error, Errc::bad_status_line);
  EXPECT_EQ(resp("HTTP/2.0 200 OK\r\n\r\n").r.error, Errc::unsupported_version);
  EXPECT_EQ(resp("ICY 200 OK\r\n\r\n").r.error, Errc::bad_status_line);
  EXPECT_EQ(resp("HTTP/1.1 200 OK\r\nX : y\r\n\r\n").r.error, Errc::space_before_colon);
  EXPECT_EQ(resp("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n").r.error,
            Errc::conflicting_content_length);
  EXPECT_EQ(h1::status_for(Errc::bad_status_line).code, 502);
}

}  // namespace
