// Message-head serializers. Every caller-supplied byte is validated against the grammar it
// lands in, so no method, target, reason, field name or value can inject a CR/LF.
#include "zp/codec/http1/serializer.h"

#include <cstring>

#include "chars.h"
#include "zp/codec/http1/parser.h"

namespace zp::codec::http1 {
namespace {

using detail::is;
using detail::kHost;
using detail::kTarget;
using detail::kToken;
using detail::kValue;

// Appends while there is room and keeps counting past it, so a failed write reports the size
// it needed.
struct Out {
  char* p;
  std::size_t cap;
  std::size_t n = 0;
  void put(std::string_view s) noexcept {
    if (n + s.size() <= cap && !s.empty()) std::memcpy(p + n, s.data(), s.size());
    n += s.size();
  }
  void put_u64(std::uint64_t v) noexcept {
    char tmp[20];
    std::size_t k = 0;
    do {
      tmp[k++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    char rev[20];
    for (std::size_t i = 0; i < k; ++i) rev[i] = tmp[k - 1 - i];
    put(std::string_view(rev, k));
  }
  bool fits() const noexcept { return n <= cap; }
};

bool all_of(std::string_view s, std::uint8_t cls) noexcept {
  for (char c : s)
    if (!is(c, cls)) return false;
  return true;
}
bool valid_token(std::string_view s) noexcept { return !s.empty() && all_of(s, kToken); }
// Names and values fit the grammar; when the serializer writes the framing field itself,
// the caller's fields may not add another (two framings are a smuggling vector).
bool valid_fields(std::span<const Header> hs, Framing framing = Framing::none) noexcept {
  for (const Header& h : hs) {
    if (!valid_token(h.name) || !all_of(h.value, kValue)) return false;
    if (framing != Framing::none && (h.name.size() == 14 || h.name.size() == 17) &&
        (iequals(h.name, "content-length") || iequals(h.name, "transfer-encoding")))
      return false;
  }
  return true;
}

void put_fields(Out& o, std::span<const Header> hs) noexcept {
  for (const Header& h : hs) {
    o.put(h.name);
    o.put(": ");
    o.put(h.value);
    o.put("\r\n");
  }
}

void put_framing(Out& o, Framing f, std::uint64_t cl, bool close) noexcept {
  if (f == Framing::content_length) {
    o.put("Content-Length: ");
    o.put_u64(cl);
    o.put("\r\n");
  } else if (f == Framing::chunked) {
    o.put("Transfer-Encoding: chunked\r\n");
  }
  if (close) o.put("Connection: close\r\n");
}

Errc check_response(const ResponseHead& h) noexcept {
  if (h.status < 100 || h.status > 999 || h.version_minor < 0 || h.version_minor > 1) return Errc::bad_field;
  if (h.framing == Framing::chunked && h.version_minor == 0) return Errc::bad_field;
  if (!all_of(h.reason, kValue) || !all_of(h.date, kValue) || !valid_fields(h.headers, h.framing)) return Errc::bad_field;
  return Errc::ok;
}

void put_status_line(Out& o, const ResponseHead& h) noexcept {
  o.put(h.version_minor == 1 ? "HTTP/1.1 " : "HTTP/1.0 ");
  const char code[3] = {static_cast<char>('0' + h.status / 100), static_cast<char>('0' + h.status / 10 % 10),
                        static_cast<char>('0' + h.status % 10)};
  o.put(std::string_view(code, 3));
  o.put(" ");
  o.put(h.reason.empty() ? reason_phrase(h.status) : h.reason);
  o.put("\r\n");
  if (!h.date.empty()) {
    o.put("Date: ");
    o.put(h.date);
    o.put("\r\n");
  }
}

Errc check_request(const RequestHead& h) noexcept {
  if (!valid_token(h.method) || h.target.empty() || !all_of(h.target, kTarget) || !all_of(h.host, kHost) ||
      h.version_minor < 0 || h.version_minor > 1 || !valid_fields(h.headers, h.framing) ||
      (h.framing == Framing::chunked && h.version_minor == 0))
    return Errc::bad_field;
  return Errc::ok;
}

void put_request_line(Out& o, const RequestHead& h) noexcept {
  o.put(h.method);
  o.put(" ");
  o.put(h.target);
  o.put(h.version_minor == 1 ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n");
  if (!h.host.empty()) {
    o.put("Host: ");
    o.put(h.host);
    o.put("\r\n");
  }
}

// The gather layout shared by both heads: start line (scratch), 4 entries per field, then
// framing fields and the empty line (scratch).
template <class Head, class PutStart>
GatherResult gather_head(const Head& h, std::span<char> scratch, std::span<IoVec> iov, PutStart put_start) noexcept {
  if (iov.size() < 2 + 4 * h.headers.size()) return {Errc::buffer_too_small, 0, 0, 0};
  Out o{scratch.data(), scratch.size()};
  std::size_t k = 0, total = 0;
  put_start(o, h);
  if (!o.fits()) return {Errc::buffer_too_small, 0, 0, 0};
  iov[k++] = {scratch.data(), o.n};
  total += o.n;
  for (const Header& f : h.headers) {
    iov[k++] = {f.name.data(), f.name.size()};
    iov[k++] = {": ", 2};
    iov[k++] = {f.value.data(), f.value.size()};
    iov[k++] = {"\r\n", 2};
    total += f.name.size() + f.value.size() + 4;
  }
  const std::size_t tail = o.n;
  put_framing(o, h.framing, h.content_length, h.close);
  o.put("\r\n");
  if (!o.fits()) return {Errc::buffer_too_small, 0, 0, 0};
  iov[k++] = {scratch.data() + tail, o.n - tail};
  total += o.n - tail;
  return {Errc::ok, k, o.n, total};
}

}  // namespace

WriteResult write_response_head(const ResponseHead& h, std::span<char> out) noexcept {
  if (const Errc e = check_response(h); e != Errc::ok) return {e, 0};
  Out o{out.data(), out.size()};
  put_status_line(o, h);
  put_fields(o, h.headers);
  put_framing(o, h.framing, h.content_length, h.close);
  o.put("\r\n");
  if (!o.fits()) return {Errc::buffer_too_small, o.n};
  return {Errc::ok, o.n};
}

WriteResult write_request_head(const RequestHead& h, std::span<char> out) noexcept {
  if (const Errc e = check_request(h); e != Errc::ok) return {e, 0};
  Out o{out.data(), out.size()};
  put_request_line(o, h);
  put_fields(o, h.headers);
  put_framing(o, h.framing, h.content_length, h.close);
  o.put("\r\n");
  if (!o.fits()) return {Errc::buffer_too_small, o.n};
  return {Errc::ok, o.n};
}

GatherResult gather_response_head(const ResponseHead& h, std::span<char> scratch,
                                  std::span<IoVec> iov) noexcept {
  if (const Errc e = check_response(h); e != Errc::ok) return {e, 0, 0, 0};
  return gather_head(h, scratch, iov, put_status_line);
}

GatherResult gather_request_head(const RequestHead& h, std::span<char> scratch, std::span<IoVec> iov) noexcept {
  if (const Errc e = check_request(h); e != Errc::ok) return {e, 0, 0, 0};
  return gather_head(h, scratch, iov, put_request_line);
}

GatherResult gather_chunk(std::span<const char> data, std::span<char, max_chunk_header_bytes> scratch,
                          std::span<IoVec> iov) noexcept {
  if (data.empty()) return {Errc::bad_field, 0, 0, 0};
  if (iov.size() < 3) return {Errc::buffer_too_small, 0, 0, 0};
  const std::size_t n = write_chunk_header(data.size(), scratch);
  iov[0] = {scratch.data(), n};
  iov[1] = {data.data(), data.size()};
  iov[2] = {chunk_data_end.data(), chunk_data_end.size()};
  return {Errc::ok, 3, n, n + data.size() + 2};
}

WriteResult write_last_chunk(std::span<const Header> trailers, std::span<char> out) noexcept {
  if (!valid_fields(trailers)) return {Errc::bad_field, 0};
  Out o{out.data(), out.size()};
  o.put("0\r\n");
  put_fields(o, trailers);
  o.put("\r\n");
  if (!o.fits()) return {Errc::buffer_too_small, o.n};
  return {Errc::ok, o.n};
}

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Content";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "";
  }
}

}  // namespace zp::codec::http1
