// Over-read detection, as picohttpparser does it: each input (and every prefix of it) is
// copied to the very end of a readable page followed by a PROT_NONE page, so reading one
// byte past it crashes, with or without ASan.
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "zp/codec/http1/chunked.h"
#include "zp/codec/http1/date.h"
#include "zp/codec/http1/parser.h"
#include "../../../common/guarded_buffer.h"

namespace {

namespace h1 = zp::codec::http1;

using zp::test::GuardedBuffer;

const std::vector<std::string>& samples() {
  static const std::vector<std::string> s = {
      "GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: x\r\nAccept: */*\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
      "\r\n\r\nGET / HTTP/1.0\r\n\r\n",
      "CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\nX: \x01\r\n\r\n",
      "GET / HTTP/1.1\nHost: a\n\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n",
      "HTTP/1.1 204\r\n\r\n",
      "5;a=\"b\\\"c\";d\r\nhello\r\n0\r\nT: 1\r\n\r\n",
      "ffff\r\n",
      "Sun, 06 Nov 1994 08:49:37 GMT",
      "Sunday, 06-Nov-94 08:49:37 GMT",
      "Sun Nov  6 08:49:37 1994",
  };
  return s;
}

// GuardPage.TheGuardCatchesAnOverRead (codecs/common) checks the guard itself.
TEST(Http1GuardPage, ParsersReadOnlyTheirInput) {
  GuardedBuffer g;
  for (const auto& s : samples()) {
    for (std::size_t n = 0; n <= s.size(); ++n) {
      for (bool lenient : {false, true}) {
        const h1::Limits limits{.allow_bare_lf = lenient};
        const auto in = g.place(std::string_view(s).substr(0, n));
        h1::Header hs[16];
        h1::Request req;
        (void)h1::parse_request(in, req, hs, limits);
        h1::Response resp;
        (void)h1::parse_response(in, resp, hs, limits);
        h1::ChunkedDecoder d{};
        (void)d.decode(in, limits);
        h1::ChunkedDecoder d2{};
        (void)d2.decode_in_place(in, limits);
        (void)h1::parse_http_date(std::string_view(in.data(), in.size()));
      }
    }
  }
}

}  // namespace
