/// \file
/// Context: one request as a route handler or a middleware sees it — the parsed head, the
/// route's parameters, the body (whole and bounded, or in pieces) — and the response it
/// builds (a buffered body from a string, a file under the root, or a streamed body).
/// \code
///   router.get("/users/:id", [](zp::http::Context& c) -> zp::Task<void> {
///     c.send(200, "user " + std::string(c.param("id")) + "\n");
///     co_return; });
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "zp/codec/http1/parser.h"
#include "zp/engine/shard.h"
#include "zp/engine/task.h"
#include "zp/result.h"

namespace zp::http {

namespace detail {
struct Exchange;
}

/// One request and its response, as handlers and middlewares see them (see the file comment).
class Context {
 public:
  explicit Context(detail::Exchange& ex) : ex_(ex) {}  ///< made by the server for each request
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // ---- the request (views live until the response is sent) ----
  const codec::http1::Request& request() const;  ///< the parsed request head
  std::string_view method() const;  ///< the method as sent ("GET")
  codec::http1::Method method_id() const;  ///< the method as a known value
  std::string_view target() const;  ///< as sent, not decoded
  /// The percent-decoded path without "." and ".." segments ("/users/7"); "" for "*".
  std::string_view path() const;
  /// The raw query after '?' (not decoded); "" when there is none.
  std::string_view query() const;
  /// The first request field named `name` (case-insensitive); nullopt when absent.
  std::optional<std::string_view> header(std::string_view name) const;
  /// The value of the route's ":name" segment (decoded); "" when the route has none.
  std::string_view param(std::string_view name) const;
  /// What the route's trailing "*" matched (decoded, without the leading '/'); "" if none.
  std::string_view rest() const;
  /// The client's address without the port ("127.0.0.1", "::1"), "-" when unknown.
  std::string_view peer() const;
  Shard& shard() const;  ///< the shard running this request

  // ---- the request body ----
  /// Whether the request carries a body (Content-Length > 0 or chunked).
  bool has_body() const;
  /// Content-Length when the request declared one.
  std::optional<uint64_t> content_length() const;
  /// The whole body (at most max_bytes; "" without a body). Errors: EMSGSIZE when longer
  /// than max_bytes (the server then answers 413 unless the handler responded) or than the
  /// server's max_body_bytes; ETIMEDOUT past body_timeout_ms (408); EPROTO for bad chunked
  /// framing (400); ECONNRESET when the client left. The view lives until the response is
  /// sent. After read_some() it returns only what is left.
  Task<Result<std::string_view>> read_body(size_t max_bytes);
  /// The next piece of the body; "" once it has all been read. The view lives until the
  /// next read. Errors as read_body.
  Task<Result<std::string_view>> read_some();

  // ---- the response ----
  /// Sets a response field (the value is copied), replacing an earlier one of that name;
  /// fields set before the handler answers also go on static-file and error responses.
  /// Content-Length, Transfer-Encoding and Connection are the server's.
  void set_header(std::string_view name, std::string_view value);
  /// Adds a response field even when one of that name exists (Set-Cookie).
  void add_header(std::string_view name, std::string_view value);
  /// The value of a response field set so far; nullopt when not set.
  std::optional<std::string_view> response_header(std::string_view name) const;
  /// Answers with `body` (sent after the handler returns; HEAD sends only the head).
  void send(int status, std::string body, std::string_view content_type = "text/plain; charset=utf-8");
  /// The same for a body that outlives the request (a literal, data owned by the handler's
  /// captures): not copied.
  void send_view(int status, std::string_view body, std::string_view content_type = "text/plain; charset=utf-8");
  /// Answers with a file below the server's root (`rel` is a decoded path without the
  /// leading '/'), with conditionals and ranges like the static handler. 404/403 when it
  /// cannot be served.
  void send_file(std::string_view rel);
  /// Starts a streamed response: sends the head now; the body follows in write() calls and
  /// ends with end_stream() (or when the handler returns). Without `length` the body is
  /// chunked (HTTP/1.1) or ends at close (HTTP/1.0). Errors from the socket (EPIPE...).
  Task<Result<void>> begin_stream(int status, std::string_view content_type,
                                  std::optional<uint64_t> length = std::nullopt);
  Task<Result<void>> write(std::string_view data);  ///< sends a piece of a streamed body
  Task<Result<void>> end_stream();  ///< ends a streamed body (the last chunk)

  /// The status answered so far (0: none yet), and whether a response was given.
  int status() const;
  bool responded() const;  ///< whether a response was given
  /// Response body bytes sent or to be sent (0 for HEAD).
  uint64_t body_bytes() const;

  detail::Exchange& exchange() { return ex_; }  ///< internal: the server's state of this exchange

 private:
  detail::Exchange& ex_;
};

}  // namespace zp::http
