// Serializers: exact bytes, buffer-too-small reporting, field validation (no response
// splitting), gather lists, and the round trip serialize → parse.
#include "zp/codec/http1/serializer.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "zp/codec/http1/parser.h"

namespace {

namespace h1 = zp::codec::http1;
using h1::Errc;
using h1::Status;

std::string flatten(std::span<const h1::IoVec> iov) {
  std::string s;
  for (const auto& v : iov) s.append(static_cast<const char*>(v.base), v.len);
  return s;
}

TEST(Http1Serialize, ResponseHead) {
  const h1::Header hs[] = {{"Content-Type", "text/plain"}};
  char buf[256];
  auto w = h1::write_response_head({.status = 200, .headers = hs, .content_length = 5}, buf);
  ASSERT_EQ(w.error, Errc::ok);
  EXPECT_EQ(std::string_view(buf, w.size),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n");
  auto c = h1::write_response_head({.status = 404, .framing = h1::Framing::chunked, .close = true,
                                    .date = "Sun, 06 Nov 1994 08:49:37 GMT"},
                                   buf);
  ASSERT_EQ(c.error, Errc::ok);
  EXPECT_EQ(std::string_view(buf, c.size),
            "HTTP/1.1 404 Not Found\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
  auto n = h1::write_response_head({.status = 304, .reason = "Not Changed", .framing = h1::Framing::none}, buf);
  EXPECT_EQ(std::string_view(buf, n.size), "HTTP/1.1 304 Not Changed\r\n\r\n");
}

TEST(Http1Serialize, RequestHead) {
  const h1::Header hs[] = {{"Accept", "*/*"}};
  char buf[256];
  auto w = h1::write_request_head({.method = "POST", .target = "/x?y", .host = "example.com:8080",
                                   .headers = hs, .framing = h1::Framing::content_length, .content_length = 12},
                                  buf);
  ASSERT_EQ(w.error, Errc::ok);
  EXPECT_EQ(std::string_view(buf, w.size),
            "POST /x?y HTTP/1.1\r\nHost: example.com:8080\r\nAccept: */*\r\nContent-Length: 12\r\n\r\n");
}

TEST(Http1Serialize, BufferTooSmallReportsTheSizeNeeded) {
  char big[256];
  auto full = h1::write_response_head({.status = 200}, big);
  ASSERT_EQ(full.error, Errc::ok);
  for (std::size_t n = 0; n < full.size; ++n) {
    std::vector<char> small(n);
    auto w = h1::write_response_head({.status = 200}, small);
    EXPECT_EQ(w.error, Errc::buffer_too_small);
    EXPECT_EQ(w.size, full.size);
  }
}

TEST(Http1Serialize, RejectsFieldsThatWouldSplitTheMessage) {
  char buf[256];
  for (std::string_view v : {std::string_view("a\r\nSet-Cookie: x"), std::string_view("a\nb"), std::string_view("a\rb"),
                             std::string_view("a\0b", 3), std::string_view("\x7f")}) {
    const h1::Header hs[] = {{"X", v}};
    EXPECT_EQ(h1::write_response_head({.headers = hs}, buf).error, Errc::bad_field);
    EXPECT_EQ(h1::write_last_chunk(hs, buf).error, Errc::bad_field);
  }
  const h1::Header bad_name[] = {{"X Y", "v"}};
  EXPECT_EQ(h1::write_response_head({.headers = bad_name}, buf).error, Errc::bad_field);
  const h1::Header empty_name[] = {{"", "v"}};
  EXPECT_EQ(h1::write_response_head({.headers = empty_name}, buf).error, Errc::bad_field);
  EXPECT_EQ(h1::write_response_head({.status = 99}, buf).error, Errc::bad_field);
  // A second framing field from the caller is refused unless the serializer writes none.
  const h1::Header framing[] = {{"content-length", "5"}};
  EXPECT_EQ(h1::write_response_head({.headers = framing}, buf).error, Errc::bad_field);
  EXPECT_EQ(h1::write_request_head({.headers = framing, .framing = h1::Framing::chunked}, buf).error,
            Errc::bad_field);
  EXPECT_EQ(h1::write_response_head({.status = 304, .headers = framing, .framing = h1::Framing::none}, buf).error,
            Errc::ok);
  const h1::Header te[] = {{"Transfer-Encoding", "chunked"}};
  EXPECT_EQ(h1::write_response_head({.headers = te}, buf).error, Errc::bad_field);
  EXPECT_EQ(h1::write_response_head({.reason = "OK\r\nX: y"}, buf).error, Errc::bad_field);
  EXPECT_EQ(h1::write_request_head({.method = "GE T"}, buf).error, Errc::bad_field);
  EXPECT_EQ(h1::write_request_head({.target = "/a b"}, buf).error, Errc::bad_field);
  EXPECT_EQ(h1::write_request_head({.target = ""}, buf).error, Errc::bad_field);
  EXPECT_EQ(h1::write_request_head({.host = "a\r\nb"}, buf).error, Errc::bad_field);
  EXPECT_EQ(h1::write_response_head({.version_minor = 0, .framing = h1::Framing::chunked}, buf).error,
            Errc::bad_field);
}

TEST(Http1Serialize, GatherMatchesWrite) {
  const h1::Header hs[] = {{"Content-Type", "text/html"}, {"ETag", "\"abc\""}, {"X-Empty", ""}};
  const h1::ResponseHead head{.status = 206, .headers = hs, .content_length = 1234, .close = true,
                              .date = "Sun, 06 Nov 1994 08:49:37 GMT"};
  char buf[512], scratch[256];
  h1::IoVec iov[16];
  auto w = h1::write_response_head(head, buf);
  auto g = h1::gather_response_head(head, scratch, iov);
  ASSERT_EQ(g.error, Errc::ok);
  EXPECT_EQ(g.iov_count, 2 + 4 * 3u);
  EXPECT_EQ(flatten(std::span(iov, g.iov_count)), std::string_view(buf, w.size));
  EXPECT_EQ(g.total_bytes, w.size);
  // Values are referenced, not copied.
  EXPECT_EQ(iov[3].base, hs[0].value.data());
  h1::IoVec few[5];
  EXPECT_EQ(h1::gather_response_head(head, scratch, few).error, Errc::buffer_too_small);
  char tiny[8];
  EXPECT_EQ(h1::gather_response_head(head, tiny, iov).error, Errc::buffer_too_small);

  const h1::RequestHead rh{.method = "PUT", .target = "/up", .host = "h:1", .headers = hs,
                           .framing = h1::Framing::chunked};
  auto rw = h1::write_request_head(rh, buf);
  auto rg = h1::gather_request_head(rh, scratch, iov);
  ASSERT_EQ(rg.error, Errc::ok);
  EXPECT_EQ(flatten(std::span(iov, rg.iov_count)), std::string_view(buf, rw.size));
  EXPECT_EQ(rg.total_bytes, rw.size);

  char chdr[h1::max_chunk_header_bytes];
  std::string_view data = "0123456789abcdefX";
  auto c = h1::gather_chunk(std::span<const char>(data.data(), data.size()), chdr, iov);
  ASSERT_EQ(c.error, Errc::ok);
  EXPECT_EQ(flatten(std::span(iov, c.iov_count)), "11\r\n0123456789abcdefX\r\n");
  EXPECT_EQ(c.total_bytes, 4 + data.size() + 2);
}

TEST(Http1Serialize, LastChunkWithTrailers) {
  const h1::Header tr[] = {{"X-Checksum", "42"}};
  char buf[64];
  auto w = h1::write_last_chunk(tr, buf);
  ASSERT_EQ(w.error, Errc::ok);
  EXPECT_EQ(std::string_view(buf, w.size), "0\r\nX-Checksum: 42\r\n\r\n");
}

// Random messages: serialize, parse, compare.
TEST(Http1Serialize, RoundTrip) {
  std::mt19937 rng(3);
  const auto rand_token = [&](std::size_t max) {
    static constexpr std::string_view tchars =
        "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    std::string s(1 + rng() % max, 'x');
    for (auto& c : s) c = tchars[rng() % tchars.size()];
    return s;
  };
  const auto rand_value = [&](std::size_t max) {
    std::string s(rng() % max, 'x');
    for (auto& c : s) {
      const unsigned r = rng() % 97;
      c = r < 94 ? static_cast<char>(0x21 + r) : r == 94 ? ' ' : r == 95 ? '\t' : static_cast<char>(0x80 + rng() % 128);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.erase(0, 1);
    return s;
  };
  for (int iter = 0; iter < 500; ++iter) {
    std::vector<std::string> names, values;
    const std::size_t n = rng() % 20;
    for (std::size_t i = 0; i < n; ++i) {
      std::string name = rand_token(20);
      // Keep the framing and connection fields to the serializer.
      if (h1::iequals(name, "host") || h1::iequals(name, "content-length") || h1::iequals(name, "transfer-encoding") ||
          h1::iequals(name, "connection") || h1::iequals(name, "expect") || h1::iequals(name, "upgrade"))
        name += "-x";
      names.push_back(name);
      values.push_back(rand_value(60));
    }
    std::vector<h1::Header> hs;
    for (std::size_t i = 0; i < n; ++i) hs.push_back({names[i], values[i]});
    const auto framing = static_cast<h1::Framing>(rng() % 3);
    const std::uint64_t cl = rng() % 100000;
    const bool close = rng() % 2;
    std::string target = "/" + rand_token(40);
    std::string method = rand_token(10);
    if (method == "CONNECT") method = "GET";

    std::vector<char> buf(8192);
    auto w = h1::write_request_head({.method = method, .target = target, .host = "example.org",
                                     .headers = hs, .framing = framing, .content_length = cl, .close = close},
                                    buf);
    ASSERT_EQ(w.error, Errc::ok);
    h1::Request req;
    std::vector<h1::Header> storage(64);
    auto r = h1::parse_request(std::span<const char>(buf.data(), w.size), req, storage);
    ASSERT_EQ(r.status, Status::complete) << h1::errc_name(r.error);
    EXPECT_EQ(r.consumed, w.size);
    EXPECT_EQ(req.method, method);
    EXPECT_EQ(req.target, target);
    EXPECT_EQ(req.host, "example.org");
    EXPECT_EQ(req.keep_alive, !close);
    EXPECT_EQ(req.chunked, framing == h1::Framing::chunked);
    EXPECT_EQ(req.content_length.has_value(), framing == h1::Framing::content_length);
    if (req.content_length) {
      EXPECT_EQ(*req.content_length, cl);
    }
    ASSERT_GE(req.headers.size(), n + 1);
    for (std::size_t i = 0; i < n; ++i) {
      EXPECT_EQ(req.headers[i + 1].name, names[i]);
      EXPECT_EQ(req.headers[i + 1].value, values[i]);
    }

    const int status = 100 + static_cast<int>(rng() % 900);
    std::string reason = rand_value(30);
    auto wr = h1::write_response_head({.status = status, .reason = reason, .headers = hs, .framing = framing,
                                       .content_length = cl, .close = close},
                                      buf);
    ASSERT_EQ(wr.error, Errc::ok);
    h1::Response resp;
    auto rr = h1::parse_response(std::span<const char>(buf.data(), wr.size), resp, storage);
    ASSERT_EQ(rr.status, Status::complete) << h1::errc_name(rr.error);
    EXPECT_EQ(resp.status, status);
    EXPECT_EQ(resp.reason, reason.empty() ? h1::reason_phrase(status) : reason);
    for (std::size_t i = 0; i < n; ++i) {
      EXPECT_EQ(resp.headers[i].name, names[i]);
      EXPECT_EQ(resp.headers[i].value, values[i]);
    }
    if (!resp.no_body) {
      EXPECT_EQ(resp.chunked, framing == h1::Framing::chunked);
      if (framing == h1::Framing::content_length) {
        EXPECT_EQ(resp.content_length, cl);
      }
    }
  }
}

}  // namespace
