/// \file
/// Request-path safety for static file serving: turns the path of a request target into a
/// normalized, decoded path that cannot leave the document root. Whole-input, never
/// allocates; the result lives in a caller buffer at least as long as the input.
/// \code
///   char buf[4096];
///   auto p = zp::codec::url::normalize_path("/a/./b/%2e%2e/c.txt", buf);  // Result<string_view>
///   if (p) open_beneath(root, *p);   // "/a/c.txt"
///   else reply(zp::codec::url::path_http_status(p.error()));
/// \endcode
/// Percent-decodes exactly once ("%252e" becomes the literal "%2e", never "."), then removes
/// "." and ".." segments lexically and collapses "//". The root is still to be enforced on the
/// file system (symlinks): open with RESOLVE_BENEATH or equivalent.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <system_error>
#include <type_traits>

#include "zp/result.h"

namespace zp::codec::url {

/// Errors of normalize_path (category "zp.codec.url.path"); path_http_status gives the reply.
enum class PathErrc : int {
  ok = 0,
  not_absolute = 1,      ///< 400: does not start with '/'
  too_long = 2,          ///< 414: longer than PathOptions::max_path_bytes
  bad_char = 3,          ///< 400: a byte a path may not hold raw (space, control, non-ASCII, '\',
                         ///<      '?', '#': pass the path without its query)
  bad_percent = 4,       ///< 400: '%' not followed by two hex digits
  nul = 5,               ///< 400: "%00"
  control = 6,           ///< 400: %-encoded control byte (%01..%1F, %7F)
  backslash = 7,         ///< 400: "%5C" (a Windows separator: "..\" tricks)
  bad_utf8 = 8,          ///< 400: decoded bytes are not UTF-8 (incl. overlong "%c0%ae" for '.')
  encoded_slash = 9,     ///< 404: "%2F" (a name with '/' cannot exist on disk)
  traversal = 10,        ///< 403: ".." would climb above the root
  dotfile = 11,          ///< 404: a segment starting with '.' (hidden file; existence not revealed)
  buffer_too_small = 12, ///< 500: the output buffer is shorter than the input (a caller bug)
};
const std::error_category& path_category() noexcept;  ///< the category of PathErrc
inline std::error_code make_error_code(PathErrc e) noexcept {  ///< an error_code of `e` (lets PathErrc convert to std::error_code)
  return {static_cast<int>(e), path_category()};
}

/// The HTTP status to answer a path failing with `e`: 400, 403, 404, 414 or 500 as listed on
/// PathErrc (200 for ok).
int path_http_status(PathErrc e) noexcept;
/// Same, for an error_code from normalize_path (500 for a code of another category).
int path_http_status(std::error_code e) noexcept;

/// How a request path is normalized and checked.
struct PathOptions {
  std::size_t max_path_bytes = 4096;  ///< longer decoded paths are refused
  /// Off by default: serve segments that start with '.' (".git", ".env", ".htpasswd").
  bool allow_dotfiles = false;
  /// Off by default: allow ".well-known" as the first segment (RFC 8615; ACME http-01)
  /// while other dotfiles stay rejected.
  bool allow_well_known = false;
  /// Off by default: accept decoded bytes that are not valid UTF-8 (legacy file names).
  bool allow_non_utf8 = false;
};

/// Normalizes `raw`, the path of an origin-form request target without its query, into the
/// front of `out` and returns a view of it: starts with '/', holds no "." or ".." segment
/// and no "//", ends with '/' when the input named a directory ("/a/", "/a/.", "/a/b/..").
/// Every byte is decoded once; the result is a file-system path, not a URL path (encode it
/// again with encode_path). Errors as listed on PathErrc; out must hold raw.size() bytes.
Result<std::string_view> normalize_path(std::string_view raw, std::span<char> out,
                                        const PathOptions& options = {}) noexcept;

/// Bytes encode_path writes for `decoded` at most (3 per byte).
constexpr std::size_t encoded_path_size_max(std::size_t n) noexcept { return 3 * n; }
/// Percent-encodes a decoded path for a URL (Location, directory listings): keeps '/',
/// unreserved, sub-delims, ':' and '@'; encodes everything else as %XX (uppercase).
/// normalize_path(encode_path(p)) == p for every p normalize_path returns. Returns the bytes
/// written, or buffer_too_small (category zp.codec.url).
Result<std::size_t> encode_path(std::string_view decoded, std::span<char> out) noexcept;

}  // namespace zp::codec::url

/// \cond internal
template <>
struct std::is_error_code_enum<zp::codec::url::PathErrc> : std::true_type {};
/// \endcond
