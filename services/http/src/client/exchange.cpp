// The exchange: request out, response in, on one connection. The receive buffer belongs
// to the connection (a response may arrive in the same segment as the end of the last).
#include "exchange.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "zp/codec/http1/chunked.h"
#include "zp/codec/http1/parser.h"
#include "zp/codec/http1/serializer.h"
#include "zp/engine/file.h"
#include "zp/engine/shard.h"

namespace zp::http::client {

namespace h1 = codec::http1;

namespace {

constexpr size_t kInitialBuffer = 16 * 1024;
constexpr size_t kMinRead = 4096;
constexpr size_t kFileChunk = 64 * 1024;
constexpr size_t kStreamChunk = 16 * 1024;
// A redirect body we would have to read beyond this is not drained: the connection closes.
constexpr uint64_t kMaxDrainBytes = 1u << 20;

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char ch : s) {
    if (ch <= 32 || ch >= 127 || std::strchr("\"(),/:;<=>?@[\\]{}", ch)) return false;
  }
  return true;
}

Task<Result<size_t>> timed_read(Transport& t, std::span<char> out, int64_t timeout_ms) {
  if (timeout_ms > 0) co_return co_await with_timeout(std::chrono::milliseconds(timeout_ms), t.read_some(out));
  co_return co_await t.read_some(out);
}

Task<Result<void>> timed_write(Transport& t, std::span<const iovec> iov, int64_t timeout_ms) {
  if (timeout_ms > 0) co_return co_await with_timeout(std::chrono::milliseconds(timeout_ms), t.write_all(iov));
  co_return co_await t.write_all(iov);
}

// Reads more into c.buf after c.end (making room first); the bytes read, 0 at EOF.
Task<Result<size_t>> fill(Conn& c, size_t max_buffer, int64_t timeout_ms) {
  if (c.begin == c.end) c.begin = c.end = 0;
  if (c.buf.size() - c.end < kMinRead) {
    if (c.begin > 0) {
      std::memmove(c.buf.data(), c.buf.data() + c.begin, c.end - c.begin);
      c.end -= c.begin;
      c.begin = 0;
    }
    if (c.buf.size() - c.end < kMinRead && c.buf.size() < max_buffer)
      c.buf.resize(std::min(max_buffer, std::max(c.buf.size() * 2, kInitialBuffer)));
    if (c.end == c.buf.size()) co_return make_error_code(h1::Errc::headers_too_large);
  }
  co_return co_await timed_read(*c.transport, std::span<char>(c.buf.data() + c.end, c.buf.size() - c.end),
                                timeout_ms);
}

iovec iov_of(std::string_view s) { return iovec{const_cast<char*>(s.data()), s.size()}; }

// Serializes and sends the request head and body.
Task<Result<void>> send_request(Conn& c, const ExchangeArgs& a) {
  const Request& req = *a.request;
  const Options& o = *a.options;
  if (!is_token(a.method)) co_return make_error_code(Errc::bad_request);
  const int bodies = int(!req.body.empty()) + int(!req.body_file.empty()) + int(bool(req.body_stream));
  if (bodies > 1) co_return make_error_code(Errc::bad_request);

  std::string_view host = a.target->host_field;
  bool has_ua = false, has_accept = false, close = !o.keep_alive;
  std::vector<h1::Header> fields;
  fields.reserve(req.headers.size() + 2);
  for (const Field& f : req.headers) {
    if (h1::iequals(f.name, "Host")) {
      host = f.value;
      continue;
    }
    // A body the redirect dropped takes its description with it.
    if (!a.send_body && (h1::iequals(f.name, "Content-Type") || h1::iequals(f.name, "Content-Encoding")))
      continue;
    if (h1::iequals(f.name, "User-Agent")) has_ua = true;
    if (h1::iequals(f.name, "Accept")) has_accept = true;
    if (h1::iequals(f.name, "Connection") && h1::iequals(f.value, "close")) {
      close = true;
      continue;  // the serializer writes it
    }
    fields.push_back({f.name, f.value});
  }
  if (!has_ua && !o.user_agent.empty()) fields.push_back({"User-Agent", o.user_agent});
  if (!has_accept) fields.push_back({"Accept", "*/*"});

  h1::RequestHead head;
  head.method = a.method;
  head.target = a.target->request_target;
  head.host = host;
  head.headers = fields;
  head.close = close;

  File file;
  uint64_t file_size = 0;
  const bool method_has_body = a.method == "POST" || a.method == "PUT" || a.method == "PATCH";
  if (a.send_body && !req.body_file.empty()) {
    auto f = File::open(req.body_file);
    if (!f) co_return f.error();
    auto st = f->stat();
    if (!st) co_return st.error();
    if (!st->regular) co_return make_error_code(Errc::bad_request);
    file = std::move(*f);
    file_size = st->size;
    head.framing = h1::Framing::content_length;
    head.content_length = file_size;
  } else if (a.send_body && req.body_stream) {
    head.framing = h1::Framing::chunked;
  } else if ((a.send_body && !req.body.empty()) || method_has_body) {
    head.framing = h1::Framing::content_length;
    head.content_length = a.send_body ? req.body.size() : 0;
  }

  std::string text(256 + head.target.size() + head.host.size(), '\0');
  for (const auto& f : fields) text.resize(text.size() + f.name.size() + f.value.size() + 4);
  auto w = h1::write_request_head(head, std::span<char>(text.data(), text.size()));
  if (w.error == h1::Errc::buffer_too_small && w.size > 0) {
    text.resize(w.size);
    w = h1::write_request_head(head, std::span<char>(text.data(), text.size()));
  }
  if (w.error != h1::Errc::ok) co_return make_error_code(Errc::bad_request);
  text.resize(w.size);
  if (o.on_request_head) o.on_request_head(text);

  const int64_t tmo = o.read_timeout_ms;
  if (head.framing == h1::Framing::content_length && file_size == 0 && req.body_file.empty()) {
    iovec iov[2] = {iov_of(text), iov_of(a.send_body ? std::string_view(req.body) : std::string_view())};
    co_return co_await timed_write(*c.transport, std::span<const iovec>(iov, iov[1].iov_len ? 2 : 1), tmo);
  }
  iovec hv[1] = {iov_of(text)};
  if (auto r = co_await timed_write(*c.transport, hv, tmo); !r) co_return r;
  if (head.framing == h1::Framing::content_length) {  // a file
    std::vector<char> chunk(std::min<uint64_t>(kFileChunk, std::max<uint64_t>(file_size, 1)));
    uint64_t off = 0;
    while (off < file_size) {
      const size_t want = size_t(std::min<uint64_t>(chunk.size(), file_size - off));
      auto n = co_await file.read_at(std::as_writable_bytes(std::span<char>(chunk.data(), want)), off);
      if (!n) co_return n.error();
      if (*n == 0) co_return fail(EIO);  // the file shrank under us: the length was promised
      iovec iov[1] = {{chunk.data(), *n}};
      if (auto r = co_await timed_write(*c.transport, iov, tmo); !r) co_return r;
      off += *n;
    }
  } else if (head.framing == h1::Framing::chunked) {
    std::vector<char> chunk(kStreamChunk);
    char size_line[h1::max_chunk_header_bytes];
    for (;;) {
      auto n = req.body_stream(std::span<char>(chunk.data(), chunk.size()));
      if (!n) co_return n.error();
      if (*n == 0) break;
      const size_t len = std::min(*n, chunk.size());
      const size_t hl = h1::write_chunk_header(len, size_line);
      iovec iov[3] = {{size_line, hl}, {chunk.data(), len}, iov_of(h1::chunk_data_end)};
      if (auto r = co_await timed_write(*c.transport, iov, tmo); !r) co_return r;
    }
    iovec iov[1] = {iov_of(h1::last_chunk)};
    if (auto r = co_await timed_write(*c.transport, iov, tmo); !r) co_return r;
  }
  co_return Result<void>{};
}

}  // namespace

Task<Result<void>> exchange(Conn& c, const ExchangeArgs& a, ExchangeResult& out) {
  const Options& o = *a.options;
  const Request& req = *a.request;
  if (c.buf.empty()) c.buf.resize(kInitialBuffer);
  const size_t max_buffer = std::max(kInitialBuffer, o.limits.max_request_line_bytes + o.limits.max_header_bytes + 4);

  out.retryable = true;  // until the first response byte
  if (auto r = co_await send_request(c, a); !r) {
    // A producer's or file's error is ours, not the connection's: never retried.
    if (r.error().category() != std::generic_category() || r.error() == std::errc::io_error) out.retryable = false;
    co_return r;
  }

  // ---- head
  std::vector<h1::Header> hs(std::max<size_t>(1, o.limits.max_header_count));
  h1::Response head;
  size_t head_bytes = 0;
  for (;;) {
    auto pr = h1::parse_response(std::span<const char>(c.buf.data() + c.begin, c.end - c.begin), head, hs, o.limits);
    if (pr.status == h1::Status::error) {
      out.retryable = false;
      co_return make_error_code(pr.error);
    }
    if (pr.status == h1::Status::complete) {
      if (head.status >= 100 && head.status < 200) {
        if (head.status == 101) co_return make_error_code(Errc::bad_response);  // we asked for no upgrade
        if (o.on_response_head) o.on_response_head({c.buf.data() + c.begin, pr.consumed});
        c.begin += pr.consumed;
        continue;  // 100 Continue, 103 Early Hints: the real response follows
      }
      head_bytes = pr.consumed;
      break;
    }
    auto n = co_await fill(c, max_buffer, o.read_timeout_ms);
    if (!n) {
      if (n.error() == std::errc::timed_out || n.error() == std::errc::operation_canceled) out.retryable = false;
      co_return n.error();
    }
    if (*n == 0) co_return make_error_code(Errc::unexpected_eof);
    out.retryable = false;
    c.end += *n;
  }

  Response& resp = out.response;
  resp.status = head.status;
  resp.version_minor = head.version_minor;
  resp.reason.assign(head.reason);
  resp.headers.reserve(head.headers.size());
  for (const auto& h : head.headers) resp.headers.push_back({std::string(h.name), std::string(h.value)});
  if (o.on_response_head) o.on_response_head({c.buf.data() + c.begin, head_bytes});
  c.begin += head_bytes;

  const bool discard = a.discard_redirects && is_redirect(head.status) && h1::find_header(head.headers, "Location");
  const bool collect = !discard && !req.on_body;
  const uint64_t bound = discard ? std::min<uint64_t>(kMaxDrainBytes, o.max_body_bytes)
                                 : (collect ? o.max_body_bytes : UINT64_MAX);
  uint64_t delivered = 0;
  auto deliver = [&](std::span<const char> d) -> Result<void> {
    delivered += d.size();
    if (delivered > bound) return make_error_code(Errc::body_too_large);
    if (discard || d.empty()) return {};
    if (req.on_body) return req.on_body(d);
    resp.body.append(d.data(), d.size());
    return {};
  };
  bool reusable = head.keep_alive && o.keep_alive;

  if (a.method == "HEAD" || head.no_body) {
    // No body, whatever the fields say.
  } else if (head.chunked) {
    h1::ChunkedDecoder d{};
    h1::Limits lim = o.limits;
    lim.max_body_bytes = bound;
    for (bool done = false; !done;) {
      while (c.begin < c.end) {
        auto r = d.decode(std::span<const char>(c.buf.data() + c.begin, c.end - c.begin), lim);
        if (r.status == h1::Status::error) {
          if (r.error == h1::Errc::body_too_large) co_return make_error_code(Errc::body_too_large);
          co_return make_error_code(r.error);
        }
        c.begin += r.consumed;
        if (!r.data.empty()) {
          if (auto dr = deliver(r.data); !dr) co_return dr;
        }
        if (r.status == h1::Status::complete) {
          done = true;
          break;
        }
        if (r.consumed == 0) break;
      }
      if (done) break;
      auto n = co_await fill(c, max_buffer, o.read_timeout_ms);
      if (!n) co_return n.error();
      if (*n == 0) co_return make_error_code(Errc::unexpected_eof);
      c.end += *n;
    }
  } else if (head.content_length) {
    uint64_t left = *head.content_length;
    if (left > bound) {
      if (!discard) co_return make_error_code(Errc::body_too_large);
      left = 0;  // a redirect body too large to drain: close instead
      reusable = false;
    }
    const size_t have = size_t(std::min<uint64_t>(left, c.end - c.begin));
    if (auto dr = deliver({c.buf.data() + c.begin, have}); !dr) co_return dr;
    c.begin += have;
    left -= have;
    if (collect && left > 0) {
      // Straight into the body: one copy less for large bodies.
      size_t at = resp.body.size();
      resp.body.resize(at + size_t(left));
      while (left > 0) {
        auto n = co_await timed_read(*c.transport, std::span<char>(resp.body.data() + at, size_t(left)),
                                     o.read_timeout_ms);
        if (!n) co_return n.error();
        if (*n == 0) co_return make_error_code(Errc::unexpected_eof);
        at += *n;
        left -= *n;
      }
    } else {
      while (left > 0) {
        c.begin = c.end = 0;
        auto n = co_await fill(c, max_buffer, o.read_timeout_ms);
        if (!n) co_return n.error();
        if (*n == 0) co_return make_error_code(Errc::unexpected_eof);
        c.end += *n;
        const size_t take = size_t(std::min<uint64_t>(left, *n));
        if (auto dr = deliver({c.buf.data(), take}); !dr) co_return dr;
        c.begin += take;
        left -= take;
      }
    }
  } else if (head.until_close) {
    reusable = false;
    if (discard) {
      c.begin = c.end;
    } else {
      for (;;) {
        if (auto dr = deliver({c.buf.data() + c.begin, c.end - c.begin}); !dr) co_return dr;
        c.begin = c.end = 0;
        auto n = co_await fill(c, max_buffer, o.read_timeout_ms);
        if (!n) co_return n.error();
        if (*n == 0) break;
        c.end += *n;
      }
    }
  }
  // Bytes beyond the response: the framing is in doubt, do not reuse.
  if (c.begin != c.end || c.transport->has_buffered()) reusable = false;
  ++c.requests;
  out.reusable = reusable;
  co_return Result<void>{};
}

}  // namespace zp::http::client
