// Context (what handlers see), the request body reader, and the router's end of the chain.
#include <sys/uio.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>

#include "exchange.h"
#include "zp/codec/http1/serializer.h"

namespace zp::http {

namespace h1 = codec::http1;
using detail::Exchange;

namespace detail {

namespace {

// One receive within the body deadline: its own task so with_timeout can bound it.
Task<Result<RecvBuf>> recv_piece(Stream* s) { co_return co_await s->recv_more(); }

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

}  // namespace

void BodyReader::start(Stream& s, const h1::Request& req, std::string_view after_head, const h1::Limits& l,
                       int64_t deadline) {
  stream = &s;
  limits = &l;
  rest = after_head;
  used_in = 0;
  more = RecvBuf();
  from_more = false;
  received = 0;
  decoder = {};
  error_status = 0;
  error = {};
  continue_sent = false;
  deadline_ms = deadline;
  if (req.chunked) {
    kind = Kind::chunked;
    done = false;
  } else if (req.content_length && *req.content_length > 0) {
    kind = Kind::length;
    remaining = *req.content_length;
    done = false;
  } else {
    kind = Kind::none;
    done = true;
  }
  expect_continue = req.expect_continue && !done;
}

Task<Result<std::string_view>> BodyReader::next() {
  if (error_status) co_return error;
  while (!done) {
    if (rest.empty()) {
      if (expect_continue && !continue_sent) {
        continue_sent = true;
        auto w = co_await stream->send(std::as_bytes(std::span(kContinue.data(), kContinue.size())));
        if (!w) {
          error_status = 400;
          error = w.error();
          co_return error;
        }
      }
      int64_t left = deadline_ms - Shard::current()->now_ms();
      Result<RecvBuf> b = fail(ETIMEDOUT);
      if (left > 0) b = co_await with_timeout(std::chrono::milliseconds(left), recv_piece(stream));
      if (!b || b->eof()) {
        bool timed_out = !b && b.error() == std::errc::timed_out;
        error_status = timed_out ? 408 : 400;
        error = timed_out ? errno_error(ETIMEDOUT) : (b ? errno_error(ECONNRESET) : b.error());
        co_return error;
      }
      more = std::move(*b);
      rest = more.text();
      from_more = true;
    }
    if (kind == Kind::length) {
      size_t n = size_t(std::min<uint64_t>(rest.size(), remaining));
      std::string_view piece = rest.substr(0, n);
      rest.remove_prefix(n);
      if (!from_more) used_in += n;
      remaining -= n;
      received += n;
      if (remaining == 0) done = true;
      co_return piece;
    }
    auto r = decoder.decode(std::span<const char>(rest.data(), rest.size()), *limits);
    if (r.status == h1::Status::error) {
      error_status = h1::status_for(r.error).code;
      error = r.error == h1::Errc::body_too_large ? errno_error(EMSGSIZE) : errno_error(EPROTO);
      co_return error;
    }
    rest.remove_prefix(r.consumed);
    if (!from_more) used_in += r.consumed;
    if (r.status == h1::Status::complete) done = true;
    if (!r.data.empty()) {
      received += r.data.size();
      co_return std::string_view(r.data.data(), r.data.size());
    }
  }
  co_return std::string_view();
}

Task<bool> BodyReader::discard(uint64_t max_bytes) {
  // Without "100 Continue" the client may never send the body: nothing to wait for.
  if (expect_continue && !continue_sent) co_return done;
  uint64_t dropped = 0;
  while (!done && !error_status) {
    if (kind == Kind::length && remaining > max_bytes - std::min(max_bytes, dropped)) co_return false;
    auto piece = co_await next();
    if (!piece) co_return false;
    dropped += piece->size();
    if (dropped > max_bytes) co_return false;
  }
  co_return done && !error_status;
}

void Exchange::reset_request() {
  req = nullptr;
  path = query = {};
  match.kind = Router::Match::not_found;
  match.param_count = 0;
  match.rest = {};
  body_buf.clear();
  fields.clear();
  content_type.clear();
  status = 0;
  head_built = streaming = stream_chunked = stream_ended = false;
  close = false;
  stream_bytes = 0;
}

bool Exchange::close_now() const {
  if (close || !req->keep_alive) return true;
  if (body.done || body.error_status) return body.error_status != 0;
  if (body.expect_continue && !body.continue_sent) return true;
  return body.kind == BodyReader::Kind::length && body.remaining > kMaxDiscardBytes;
}

size_t Exchange::header_views(std::span<h1::Header> out) const {
  size_t n = 0;
  for (const auto& [name, value] : fields) {
    if (n == out.size()) break;
    out[n++] = {name, value};
  }
  return n;
}

void Exchange::build_head(uint64_t content_length, h1::Framing framing) {
  h1::Header hs[48];
  size_t n = header_views(std::span(hs, std::size(hs) - 3));
  if (!content_type.empty() && status != 204 && status != 304) hs[n++] = {"Content-Type", content_type};
  if (!opts->server_name.empty()) hs[n++] = {"Server", opts->server_name};
  const bool closing = close_now();
  if (req->version_minor == 0 && !closing) hs[n++] = {"Connection", "keep-alive"};
  h1::ResponseHead h;
  h.status = status;
  h.headers = std::span<const h1::Header>(hs, n);
  h.framing = framing;
  h.content_length = content_length;
  h.close = closing;
  h.date = dates->get(std::time(nullptr));
  auto w = h1::write_response_head(h, std::span<char>(resp->head, sizeof resp->head));
  if (w.error != h1::Errc::ok) {
    // A field that would split the message, or too many bytes: a bare 500 instead.
    h1::ResponseHead e;
    e.status = 500;
    e.close = true;
    e.date = h.date;
    w = h1::write_response_head(e, std::span<char>(resp->head, sizeof resp->head));
    h.close = true;  // the head sent says close: RFC 9112 §9.6, the server must then close
    status = 500;
    resp->body = {};
    content_length = 0;
  }
  close = closing || h.close;
  resp->head_size = w.size;
  resp->status = status;
  resp->body_bytes = head_only() ? 0 : content_length;
  head_built = true;
}

namespace {

// Whether a chunked body the answer left unread is still to be read: it is read (and
// dropped) before the answer goes out, so that malformed framing gets its 400/413 and the
// connection closes, as nginx does, instead of the route's answer and a silent close.
// Not when the head is out (a stream) or "100 Continue" was not sent (the client may never
// send the body); a Content-Length body has no framing to check and is dropped after.
bool unread_chunked_body(const Exchange& ex) {
  const BodyReader& b = ex.body;
  return b.kind == BodyReader::Kind::chunked && !b.done && !b.error_status && !ex.streaming &&
         !(b.expect_continue && !b.continue_sent);
}

}  // namespace

Task<void> dispatch(Context& c) {
  Exchange& ex = c.exchange();
  const h1::Request& req = *ex.req;
  using M = Router::Match;
  if (ex.path.empty()) {  // "*" (OPTIONS) or a path that failed to decode: status in ex.status
    if (req.target_form == h1::TargetForm::asterisk && req.method_id == h1::Method::options) {
      c.send_view(204, {}, {});
    } else {
      int status = ex.status ? ex.status : 400;
      c.send(status, std::to_string(status) + " " + std::string(h1::reason_phrase(status)) + "\n");
    }
  } else {
    ex.router->match(req.method, ex.path, ex.match);
    switch (ex.match.kind) {
      case M::not_found:
        c.send(404, "404 Not Found\n");
        break;
      case M::method_not_allowed:
        c.set_header("Allow", ex.match.allow);
        c.send(405, "405 Method Not Allowed\n");
        break;
      case M::options:
        c.set_header("Allow", ex.match.allow);
        c.send_view(204, {}, {});
        break;
      case M::static_files: {
        h1::Header hs[40];
        size_t n = ex.header_views(hs);
        StaticExtras x{std::span<const h1::Header>(hs, n), ex.close_now()};
        ex.close = !handle_request(*ex.files, *ex.opts, *ex.dates, ex.shard->now_ms(), req, *ex.resp, x);
        ex.status = ex.resp->status;
        ex.head_built = true;
        break;
      }
      case M::route:
        co_await (*ex.match.handler)(c);
        break;
    }
  }
  if (unread_chunked_body(ex) && !co_await ex.body.discard(kMaxDiscardBytes)) {
    ex.close = true;  // too long to drop, or malformed: the connection closes after the answer
    if (ex.body.error_status) {
      // Malformed (or cut short): its status replaces the answer, which is not out yet.
      ex.resp->reset();
      ex.head_built = false;
    }
  }
  if (!ex.head_built) finish_unanswered(c);
}

void finish_unanswered(Context& c) {
  Exchange& ex = c.exchange();
  if (ex.head_built) return;
  int status = ex.body.error_status ? ex.body.error_status : 500;
  if (ex.body.error_status) ex.close = true;
  c.send(status, std::to_string(status) + " " + std::string(h1::reason_phrase(status)) + "\n");
}

}  // namespace detail

// ---- Context ----

const h1::Request& Context::request() const { return *ex_.req; }
std::string_view Context::method() const { return ex_.req->method; }
h1::Method Context::method_id() const { return ex_.req->method_id; }
std::string_view Context::target() const { return ex_.req->target; }
std::string_view Context::path() const { return ex_.path; }
std::string_view Context::query() const { return ex_.query; }
std::optional<std::string_view> Context::header(std::string_view name) const {
  const h1::Header* h = h1::find_header(ex_.req->headers, name);
  if (!h) return std::nullopt;
  return h->value;
}
std::string_view Context::param(std::string_view name) const {
  for (size_t i = 0; i < ex_.match.param_count; ++i)
    if (ex_.match.params[i].name == name) return ex_.match.params[i].value;
  return {};
}
std::string_view Context::rest() const { return ex_.match.rest; }
std::string_view Context::peer() const { return ex_.peer; }
Shard& Context::shard() const { return *ex_.shard; }

bool Context::has_body() const { return ex_.body.kind != detail::BodyReader::Kind::none; }
std::optional<uint64_t> Context::content_length() const { return ex_.req->content_length; }

Task<Result<std::string_view>> Context::read_some() {
  auto r = co_await ex_.body.next();
  co_return r;
}

Task<Result<std::string_view>> Context::read_body(size_t max_bytes) {
  detail::BodyReader& b = ex_.body;
  if (b.kind == detail::BodyReader::Kind::length && b.remaining > max_bytes - std::min<size_t>(max_bytes, ex_.body_buf.size())) {
    b.error_status = 413;
    b.error = errno_error(EMSGSIZE);
    co_return b.error;
  }
  bool first = true;
  for (;;) {
    auto piece = co_await b.next();
    if (!piece) co_return piece.error();
    // The whole body in one piece of the connection's buffer: no copy.
    if (first && b.done && ex_.body_buf.empty()) co_return *piece;
    first = false;
    if (piece->empty()) break;
    if (ex_.body_buf.size() + piece->size() > max_bytes) {
      b.error_status = 413;
      b.error = errno_error(EMSGSIZE);
      co_return b.error;
    }
    ex_.body_buf.append(*piece);
    if (b.done) break;
  }
  co_return std::string_view(ex_.body_buf);
}

void Context::set_header(std::string_view name, std::string_view value) {
  for (auto& f : ex_.fields) {
    if (h1::iequals(f.first, name)) {
      f.second.assign(value);
      return;
    }
  }
  add_header(name, value);
}

void Context::add_header(std::string_view name, std::string_view value) {
  ex_.fields.emplace_back(std::string(name), std::string(value));
}

std::optional<std::string_view> Context::response_header(std::string_view name) const {
  for (const auto& f : ex_.fields)
    if (h1::iequals(f.first, name)) return std::string_view(f.second);
  return std::nullopt;
}

void Context::send(int status, std::string body, std::string_view content_type) {
  ex_.resp->owned_body = std::move(body);
  send_view(status, ex_.resp->owned_body, content_type);
}

void Context::send_view(int status, std::string_view body, std::string_view content_type) {
  if (ex_.head_built) return;  // answered already (a stream, a file): the first answer stands
  ex_.status = status;
  ex_.content_type.assign(content_type);
  const bool no_body = status == 204 || status == 304 || (status >= 100 && status < 200);
  ex_.resp->body = ex_.head_only() || no_body ? std::string_view() : body;
  ex_.build_head(no_body ? 0 : body.size(), no_body ? h1::Framing::none : h1::Framing::content_length);
  ex_.resp->finish();
}

void Context::send_file(std::string_view rel) {
  if (ex_.head_built) return;
  h1::Header hs[40];
  size_t n = ex_.header_views(hs);
  StaticExtras x{std::span<const h1::Header>(hs, n), ex_.close_now()};
  ex_.close = !serve_file(*ex_.files, *ex_.opts, *ex_.dates, ex_.shard->now_ms(), *ex_.req, rel, *ex_.resp, x);
  ex_.status = ex_.resp->status;
  ex_.head_built = true;
}

Task<Result<void>> Context::begin_stream(int status, std::string_view content_type, std::optional<uint64_t> length) {
  if (ex_.head_built) co_return fail(EALREADY);
  ex_.status = status;
  ex_.content_type.assign(content_type);
  ex_.streaming = true;
  h1::Framing framing = h1::Framing::content_length;
  if (!length) {
    if (ex_.req->version_minor == 0) {
      ex_.close = true;  // HTTP/1.0 has no chunked coding: the body ends at close
      framing = h1::Framing::none;
    } else {
      framing = h1::Framing::chunked;
      ex_.stream_chunked = true;
    }
  }
  ex_.resp->body = {};
  ex_.build_head(length.value_or(0), framing);
  ex_.resp->finish();
  auto w = co_await ex_.stream->sendv(ex_.resp->iov());
  if (!w) {
    ex_.close = true;
    ex_.stream_ended = true;
    co_return w.error();
  }
  if (ex_.head_only()) ex_.stream_ended = true;  // HEAD: the head was all
  co_return Result<void>();
}

Task<Result<void>> Context::write(std::string_view data) {
  if (!ex_.streaming) co_return fail(EINVAL);
  if (ex_.stream_ended || data.empty()) co_return Result<void>();
  ex_.stream_bytes += data.size();
  if (!ex_.stream_chunked) {
    auto w = co_await ex_.stream->send(std::as_bytes(std::span(data.data(), data.size())));
    if (!w) {
      ex_.close = true;
      co_return w.error();
    }
    co_return Result<void>();
  }
  char size_line[h1::max_chunk_header_bytes];
  size_t n = h1::write_chunk_header(data.size(), std::span<char>(size_line, sizeof size_line));
  iovec iov[3] = {{size_line, n},
                  {const_cast<char*>(data.data()), data.size()},
                  {const_cast<char*>(h1::chunk_data_end.data()), h1::chunk_data_end.size()}};
  auto w = co_await ex_.stream->sendv(iov);
  if (!w) {
    ex_.close = true;
    co_return w.error();
  }
  co_return Result<void>();
}

Task<Result<void>> Context::end_stream() {
  if (!ex_.streaming) co_return fail(EINVAL);
  if (ex_.stream_ended) co_return Result<void>();
  ex_.stream_ended = true;
  if (!ex_.stream_chunked) co_return Result<void>();
  auto w = co_await ex_.stream->send(std::as_bytes(std::span(h1::last_chunk.data(), h1::last_chunk.size())));
  if (!w) {
    ex_.close = true;
    co_return w.error();
  }
  co_return Result<void>();
}

int Context::status() const { return ex_.status; }
bool Context::responded() const { return ex_.head_built; }
uint64_t Context::body_bytes() const {
  if (ex_.head_only()) return 0;
  return ex_.streaming ? ex_.stream_bytes : (ex_.head_built ? ex_.resp->body_bytes : 0);
}

}  // namespace zp::http
