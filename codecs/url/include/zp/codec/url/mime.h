/// \file
/// MIME types by file extension for static serving: a built-in table (about 100 common
/// types, text types with "; charset=utf-8") plus overrides from the server config.
/// Lookup is case-insensitive and never allocates; add() allocates (config time only).
/// \code
///   zp::codec::url::MimeTable t;                       // built-in table only
///   (void)t.add("map", "application/json");            // override / extend
///   std::string_view ct = t.for_path("/css/site.CSS");  // "text/css; charset=utf-8"
/// \endcode
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zp/result.h"

namespace zp::codec::url {

/// The type of a file whose extension is unknown.
inline constexpr std::string_view default_mime_type = "application/octet-stream";
/// Extensions longer than this are never found (nor accepted by MimeTable::add).
inline constexpr std::size_t max_extension_bytes = 16;

/// One row of the MIME table.
struct MimeEntry {
  std::string_view extension;  ///< lowercase, without '.'
  std::string_view type;  ///< the media type ("text/css; charset=utf-8")
};

/// The built-in table, sorted by extension (static storage).
std::span<const MimeEntry> builtin_mime_types() noexcept;

/// The built-in type of `ext` (without '.', any case), or an empty view when unknown.
std::string_view builtin_mime_type(std::string_view ext) noexcept;

/// The extension of the last segment of `path` without its '.', or an empty view when the
/// segment has none ("/a/README", "/a/.profile", "/a/b.").  "x.tar.gz" gives "gz".
std::string_view extension_of(std::string_view path) noexcept;

/// Built-in table plus overrides. Views returned by lookup() live until the next add() or
/// set_default() (or the table's destruction).
class MimeTable {
 public:
  MimeTable() = default;

  /// Maps `ext` (without or with one leading '.', any case) to `type`, replacing a built-in
  /// or earlier entry. Fails with std::errc::invalid_argument when ext is empty, longer than
  /// max_extension_bytes or holds '/' or '.', or when type is empty or holds CR, LF or NUL.
  Result<void> add(std::string_view ext, std::string_view type);
  /// The type for unknown extensions (default application/octet-stream); same checks on type.
  Result<void> set_default(std::string_view type);

  /// The override for `ext`, else the built-in type, else the default. Never allocates.
  std::string_view lookup(std::string_view ext) const noexcept;
  /// lookup(extension_of(path)).
  std::string_view for_path(std::string_view path) const noexcept { return lookup(extension_of(path)); }

 private:
  struct Override {
    std::string extension;  // lowercase
    std::string type;
  };
  std::vector<Override> overrides_;  ///< sorted by extension
  std::string default_{default_mime_type};
};

}  // namespace zp::codec::url
