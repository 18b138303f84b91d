/// \file
/// HTTP/1.1 message-head serializers: into a caller buffer, or as a gather list (IoVec) that
/// references the caller's header names/values without copying them. Never allocate. Every
/// field is checked so a caller's bytes cannot split the message (CR, LF, NUL, CTLs).
/// \code
///   Header hs[] = {{"Content-Type", "text/plain"}};
///   auto w = write_response_head({.status = 200, .headers = hs, .content_length = 5}, buf);
///   // w.size bytes: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n"
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "zp/codec/http1/chunked.h"
#include "zp/codec/http1/errc.h"

namespace zp::codec::http1 {

/// How the body is framed; the serializer writes the matching field itself, and rejects
/// (bad_field) a Content-Length or Transfer-Encoding in `headers` unless framing is none.
enum class Framing : std::uint8_t {
  none,            ///< no framing field (1xx/204/304, HEAD replies that omit it, no body)
  content_length,  ///< "Content-Length: <content_length>"
  chunked,         ///< "Transfer-Encoding: chunked"
};

/// What write_response_head() and the gather serializer write: the status line and fields.
struct ResponseHead {
  int status = 200;                ///< 100..999
  std::string_view reason{};         ///< empty: the standard phrase for status (or none)
  int version_minor = 1;  ///< `HTTP/1.<minor>`
  std::span<const Header> headers{};  ///< extra fields, in order
  Framing framing = Framing::content_length;  ///< how the body is delimited
  std::uint64_t content_length = 0;  ///< with Framing::content_length
  bool close = false;              ///< adds "Connection: close"
  std::string_view date{};           ///< non-empty: adds "Date: <date>" (see DateCache)
};

/// What write_request_head() writes: the request line and fields.
struct RequestHead {
  std::string_view method = "GET";  ///< the method token
  std::string_view target = "/";  ///< the request target
  int version_minor = 1;  ///< `HTTP/1.<minor>`
  std::string_view host{};           ///< non-empty: "Host: <host>" first (required for HTTP/1.1)
  std::span<const Header> headers{};  ///< extra fields, in order
  Framing framing = Framing::none;  ///< how the body is delimited
  std::uint64_t content_length = 0;  ///< with Framing::content_length
  bool close = false;  ///< adds "Connection: close"
};

/// Outcome of a serializer.
///  ok (error == Errc::ok): size bytes written.
///  buffer_too_small: nothing usable written; size = bytes needed (for write_*), or 0.
///  bad_field: a method/target/name/value/reason would break the framing; nothing usable.
struct [[nodiscard]] WriteResult {
  Errc error = Errc::ok;  ///< Errc::ok, or buffer_too_small and the like
  std::size_t size = 0;  ///< octets written
};

/// Writes the response head (status line, Date, fields, framing field, Connection, empty line).
WriteResult write_response_head(const ResponseHead& head, std::span<char> out) noexcept;
/// Writes the request head (request line, Host, fields, framing field, Connection, empty line).
WriteResult write_request_head(const RequestHead& head, std::span<char> out) noexcept;

/// One gather entry; same layout as POSIX struct iovec (the engine static_asserts that).
struct IoVec {
  const void* base = nullptr;  ///< start of the bytes
  std::size_t len = 0;  ///< their size
};

/// Outcome of a gather serializer: iov_count entries of `iov` describe total_bytes, of which
/// scratch_used bytes were written to `scratch` (start line and framing fields). The caller's
/// strings are referenced, not copied: keep them alive until sent. error as WriteResult.
struct [[nodiscard]] GatherResult {
  Errc error = Errc::ok;  ///< Errc::ok, or what failed
  std::size_t iov_count = 0;  ///< iovecs filled
  std::size_t scratch_used = 0;  ///< scratch octets used (the head's generated parts)
  std::size_t total_bytes = 0;  ///< bytes the iovecs cover
};

/// Gather form of write_response_head: needs 4 entries per field plus 2, and scratch for the
/// status line, Date and framing fields (reason + date + 128 bytes is always enough).
GatherResult gather_response_head(const ResponseHead& head, std::span<char> scratch,
                                  std::span<IoVec> iov) noexcept;
/// Gather form of write_request_head: 4 entries per field plus 2; scratch holds the request
/// line and Host (method + target + host + 128 bytes is always enough).
GatherResult gather_request_head(const RequestHead& head, std::span<char> scratch,
                                 std::span<IoVec> iov) noexcept;

/// A chunk as three entries: "<hex>\r\n" (written to `scratch`), the data, "\r\n".
/// data must be non-empty. error: buffer_too_small if iov has fewer than 3 entries.
GatherResult gather_chunk(std::span<const char> data,
                          std::span<char, max_chunk_header_bytes> scratch,
                          std::span<IoVec> iov) noexcept;

/// Writes the last chunk with trailer fields: "0\r\n" fields "\r\n".
WriteResult write_last_chunk(std::span<const Header> trailers, std::span<char> out) noexcept;

/// The standard reason phrase for a status code (RFC 9110 §15), or "" when unknown.
std::string_view reason_phrase(int status) noexcept;

}  // namespace zp::codec::http1
