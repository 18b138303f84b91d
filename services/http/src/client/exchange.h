// One request/response exchange on a connection: serialize and send the head and body,
// read the response head (skipping 1xx), read the body with the framing the head names
// (Content-Length, chunked, until close, none for HEAD/1xx/204/304), and judge whether
// the connection may be reused.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pool.h"
#include "target.h"
#include "zp/codec/http1/errc.h"
#include "zp/engine/task.h"
#include "zp/http/client.h"
#include "zp/result.h"

namespace zp::http::client {

struct ExchangeArgs {
  const Target* target = nullptr;
  const Request* request = nullptr;
  std::string_view method;
  bool send_body = true;         // false after a redirect turned the request into a GET
  bool discard_redirects = false;  // a 3xx with Location will be followed: drop its body
  const Options* options = nullptr;
};

struct ExchangeResult {
  Response response;
  bool reusable = false;   // the connection may go back to the pool
  bool retryable = false;  // failed before any response byte (send error or EOF at once)
};

// Runs one exchange on c (its transport connected). Errors: socket errors, ETIMEDOUT
// (read_timeout_ms of silence), codec::http1::Errc for a malformed response,
// Errc::unexpected_eof, body_too_large, bad_response, bad_request, the sink's or producer's
// error. After an error the connection must be closed.
Task<Result<void>> exchange(Conn& c, const ExchangeArgs& args, ExchangeResult& out);

// True for 301, 302, 303, 307, 308.
constexpr bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

}  // namespace zp::http::client
