// The client's error category.
#include <string>

#include "zp/http/client.h"

namespace zp::http::client {

namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "zp.http.client"; }
  std::string message(int v) const override {
    switch (static_cast<Errc>(v)) {
      case Errc::ok: return "ok";
      case Errc::unsupported_scheme: return "unsupported URL scheme (only http:// and https://)";
      case Errc::userinfo_in_url: return "credentials in the URL are refused";
      case Errc::no_host: return "the URL names no host";
      case Errc::host_not_found: return "host not found";
      case Errc::resolver_failed: return "DNS resolution failed (SERVFAIL, REFUSED, timeout or no server)";
      case Errc::too_many_redirects: return "too many redirects";
      case Errc::bad_location: return "redirect without a usable Location";
      case Errc::body_too_large: return "response body over the size limit";
      case Errc::unexpected_eof: return "connection closed before the response was complete";
      case Errc::bad_response: return "malformed response";
      case Errc::too_many_origins: return "connection pool full (too many origins in use)";
      case Errc::bad_request: return "the request cannot be sent (bad method, field or body)";
    }
    return "unknown http client error";
  }
};

}  // namespace

const std::error_category& category() noexcept {
  static const Category c;
  return c;
}

}  // namespace zp::http::client
