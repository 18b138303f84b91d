// The state of one request between the connection loop, the middleware chain, the router
// and the handler: the request, its body reader, and the response being built. It lives in
// the connection's pooled Work block (reused, so its strings keep their capacity).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "static_handler.h"
#include "zp/codec/http1/chunked.h"
#include "zp/codec/http1/date.h"
#include "zp/codec/http1/parser.h"
#include "zp/codec/http1/serializer.h"
#include "zp/engine/net.h"
#include "zp/http/context.h"
#include "zp/http/middleware.h"
#include "zp/http/router.h"

namespace zp::http::detail {

// Reads a request body from what followed the head in the connection's buffer and then
// from the socket (recv_more, within the body deadline). Content-Length or chunked; pieces
// are views, valid until the next call.
struct BodyReader {
  enum class Kind : uint8_t { none, length, chunked };
  Stream* stream = nullptr;
  Kind kind = Kind::none;
  uint64_t remaining = 0;          // length: bytes still to come
  uint64_t received = 0;           // data bytes delivered
  codec::http1::ChunkedDecoder decoder{};
  const codec::http1::Limits* limits = nullptr;
  std::string_view rest;           // unread input (in the connection's buffer or `more`)
  size_t used_in = 0;              // bytes used of the connection's own input
  RecvBuf more;                    // a buffer received while reading the body
  bool from_more = false;          // rest points into `more`
  bool done = true;
  bool expect_continue = false;    // send "100 Continue" before the first read
  bool continue_sent = false;
  int64_t deadline_ms = 0;         // on the shard's clock
  int error_status = 0;            // 400/408/413 once the body failed (sticky)
  std::error_code error;

  void start(Stream& s, const codec::http1::Request& req, std::string_view after_head,
             const codec::http1::Limits& l, int64_t deadline);
  // The next piece, "" at the end; errors as Context::read_some.
  Task<Result<std::string_view>> next();
  // Reads and drops what is left, at most max_bytes; whether the body ended.
  Task<bool> discard(uint64_t max_bytes);
};

struct Exchange {
  // Per server shard (set once).
  const ServerOptions* opts = nullptr;
  FileStore* files = nullptr;
  codec::http1::DateCache* dates = nullptr;
  std::span<const Middleware> chain;
  const Router* router = nullptr;
  Shard* shard = nullptr;
  // Per connection.
  Stream* stream = nullptr;
  std::string_view peer;
  // Per request.
  const codec::http1::Request* req = nullptr;
  std::string_view path;
  std::string_view query;
  Router::Match match;
  BodyReader body;
  std::string body_buf;            // read_body's copy when the body came in pieces
  Response* resp = nullptr;
  std::vector<std::pair<std::string, std::string>> fields;  // response fields set so far
  std::string content_type;
  int status = 0;
  bool head_built = false;         // resp->head is final (static handler, stream begun)
  bool streaming = false;
  bool stream_chunked = false;
  bool stream_ended = false;
  bool close = false;              // the connection closes after this response
  uint64_t stream_bytes = 0;
  char path_buf[4096];

  void reset_request();
  bool head_only() const { return req->method_id == codec::http1::Method::head; }
  // The Connection decision for a head written now: closes when the client asked, when an
  // unread body is too large to drop, or when "100 Continue" was never sent for it.
  bool close_now() const;
  // Writes resp->head for a handler's (non-static) response; body from resp->body.
  void build_head(uint64_t content_length, codec::http1::Framing framing);
  // The fields as h1 headers (views into `fields`), plus one optional extra; n <= out.size().
  size_t header_views(std::span<codec::http1::Header> out) const;
};

// The largest unread body the server reads and drops after a response to keep the
// connection; beyond it the connection closes.
inline constexpr uint64_t kMaxDiscardBytes = 1u << 20;

// Gives a response where none was given: the body's error status (400/408/413) when reading
// it failed, else 500; the connection then closes when the body is in doubt.
void finish_unanswered(Context& c);

// The router's end of the chain: 404/405/OPTIONS, the static handler, or the route's handler.
Task<void> dispatch(Context& c);

}  // namespace zp::http::detail
