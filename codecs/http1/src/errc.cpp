// Error category of the http1 codec and the status/reason each error is answered with.
#include <string>

#include "zp/codec/http1/errc.h"

namespace zp::codec::http1 {
namespace {

class Http1Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "zp.codec.http1"; }
  std::string message(int ev) const override {
    return std::string(status_for(static_cast<Errc>(ev)).reason);
  }
};

}  // namespace

const std::error_category& category() noexcept {
  static const Http1Category c;
  return c;
}

HttpStatus status_for(Errc e) noexcept {
  switch (e) {
    case Errc::ok: return {200, "OK"};
    case Errc::bad_request_line: return {400, "Bad Request: malformed request line"};
    case Errc::bad_method: return {400, "Bad Request: invalid method"};
    case Errc::bad_target: return {400, "Bad Request: invalid request-target"};
    case Errc::bad_version: return {400, "Bad Request: malformed HTTP version"};
    case Errc::bad_header_name: return {400, "Bad Request: invalid field name"};
    case Errc::space_before_colon: return {400, "Bad Request: whitespace before colon"};
    case Errc::obs_fold: return {400, "Bad Request: obsolete line folding"};
    case Errc::space_after_start_line: return {400, "Bad Request: whitespace after start line"};
    case Errc::bad_header_value: return {400, "Bad Request: invalid character in field value"};
    case Errc::bare_cr: return {400, "Bad Request: bare CR"};
    case Errc::bare_lf: return {400, "Bad Request: bare LF"};
    case Errc::nul: return {400, "Bad Request: NUL byte"};
    case Errc::missing_host: return {400, "Bad Request: missing Host"};
    case Errc::duplicate_host: return {400, "Bad Request: duplicate Host"};
    case Errc::bad_host: return {400, "Bad Request: invalid Host"};
    case Errc::bad_content_length: return {400, "Bad Request: invalid Content-Length"};
    case Errc::conflicting_content_length: return {400, "Bad Request: conflicting Content-Length"};
    case Errc::content_length_and_transfer_encoding:
      return {400, "Bad Request: Content-Length with Transfer-Encoding"};
    case Errc::transfer_encoding_in_http10: return {400, "Bad Request: Transfer-Encoding in HTTP/1.0"};
    case Errc::chunked_not_final: return {400, "Bad Request: chunked is not the final transfer coding"};
    case Errc::chunked_twice: return {400, "Bad Request: chunked applied more than once"};
    case Errc::bad_transfer_encoding: return {400, "Bad Request: invalid Transfer-Encoding"};
    case Errc::bad_chunk_size: return {400, "Bad Request: invalid chunk size"};
    case Errc::bad_chunk_extension: return {400, "Bad Request: invalid chunk extension"};
    case Errc::chunk_line_too_long: return {400, "Bad Request: chunk line too long"};
    case Errc::bad_chunk_terminator: return {400, "Bad Request: chunk data not followed by CRLF"};
    case Errc::unsupported_transfer_coding: return {501, "Not Implemented: transfer coding"};
    case Errc::unsupported_version: return {505, "HTTP Version Not Supported"};
    case Errc::body_too_large: return {413, "Content Too Large"};
    case Errc::request_line_too_long: return {414, "URI Too Long"};
    case Errc::too_many_headers: return {431, "Request Header Fields Too Large: too many fields"};
    case Errc::headers_too_large: return {431, "Request Header Fields Too Large"};
    case Errc::trailers_too_large: return {431, "Request Header Fields Too Large: trailer section"};
    case Errc::unsupported_expectation: return {417, "Expectation Failed"};
    case Errc::bad_status_line: return {502, "Bad Gateway: malformed status line"};
    case Errc::buffer_too_small: return {500, "Internal Server Error: buffer too small"};
    case Errc::bad_field: return {500, "Internal Server Error: invalid field"};
  }
  return {400, "Bad Request"};
}

std::string_view errc_name(Errc e) noexcept {
  switch (e) {
    case Errc::ok: return "ok";
    case Errc::bad_request_line: return "bad_request_line";
    case Errc::bad_method: return "bad_method";
    case Errc::bad_target: return "bad_target";
    case Errc::bad_version: return "bad_version";
    case Errc::bad_header_name: return "bad_header_name";
    case Errc::space_before_colon: return "space_before_colon";
    case Errc::obs_fold: return "obs_fold";
    case Errc::space_after_start_line: return "space_after_start_line";
    case Errc::bad_header_value: return "bad_header_value";
    case Errc::bare_cr: return "bare_cr";
    case Errc::bare_lf: return "bare_lf";
    case Errc::nul: return "nul";
    case Errc::missing_host: return "missing_host";
    case Errc::duplicate_host: return "duplicate_host";
    case Errc::bad_host: return "bad_host";
    case Errc::bad_content_length: return "bad_content_length";
    case Errc::conflicting_content_length: return "conflicting_content_length";
    case Errc::content_length_and_transfer_encoding: return "content_length_and_transfer_encoding";
    case Errc::transfer_encoding_in_http10: return "transfer_encoding_in_http10";
    case Errc::chunked_not_final: return "chunked_not_final";
    case Errc::chunked_twice: return "chunked_twice";
    case Errc::bad_transfer_encoding: return "bad_transfer_encoding";
    case Errc::bad_chunk_size: return "bad_chunk_size";
    case Errc::bad_chunk_extension: return "bad_chunk_extension";
    case Errc::chunk_line_too_long: return "chunk_line_too_long";
    case Errc::bad_chunk_terminator: return "bad_chunk_terminator";
    case Errc::unsupported_transfer_coding: return "unsupported_transfer_coding";
    case Errc::unsupported_version: return "unsupported_version";
    case Errc::body_too_large: return "body_too_large";
    case Errc::request_line_too_long: return "request_line_too_long";
    case Errc::too_many_headers: return "too_many_headers";
    case Errc::headers_too_large: return "headers_too_large";
    case Errc::trailers_too_large: return "trailers_too_large";
    case Errc::unsupported_expectation: return "unsupported_expectation";
    case Errc::bad_status_line: return "bad_status_line";
    case Errc::buffer_too_small: return "buffer_too_small";
    case Errc::bad_field: return "bad_field";
  }
  return {};
}

}  // namespace zp::codec::http1
