// A request URL taken apart for the client: where to connect, what to put in the request
// line and Host, and the pool key. Owns its text (the URL may come from a Location field).
#pragma once

#include <cstdint>
#include <string>

#include "zp/codec/url/url.h"
#include "zp/result.h"

namespace zp::http::client {

struct Target {
  std::string url;          // the absolute URL without fragment
  std::string host;         // without brackets
  codec::url::HostKind host_kind = codec::url::HostKind::reg_name;
  uint16_t port = 80;
  bool tls = false;         // https://
  std::string host_field;   // Host value: host (bracketed if IPv6) and ":port" when given
  std::string request_target;  // origin-form: path (or "/") and "?query"
  std::string origin;       // pool key: "host:port" (bracketed IPv6), "https://host:port" for TLS
};

// Parses an absolute http:// or https:// URL. Errors: codec::url::Errc from the parser, not_absolute
// for a relative reference, Errc::unsupported_scheme, userinfo_in_url, no_host.
Result<Target> parse_target(std::string_view url);

// Resolves a Location value against the current URL (RFC 3986 §5.2) and parses the result.
// Errors as parse_target, or Errc::bad_location when the value is no URI reference.
Result<Target> resolve_location(const Target& base, std::string_view location);

}  // namespace zp::http::client
