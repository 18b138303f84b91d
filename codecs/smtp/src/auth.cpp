// SMTP AUTH payloads: see zp/codec/smtp/auth.h.
#include "zp/codec/smtp/auth.h"

#include <array>
#include <cstring>

#include "text.h"
#include "zp/codec/base64.h"

namespace zp::codec::smtp {
namespace {

constexpr std::size_t max_field = 255;  // RFC 4616 2

Result<std::string_view> decode(std::string_view b64, std::span<char> buf) noexcept {
  if (is_cancel(b64)) return make_error_code(Errc::auth_cancelled);
  if (b64 == "=") return std::string_view{};
  if (base64::decoded_size_max(b64.size()) > buf.size()) return make_error_code(Errc::buffer_too_small);
  auto n = base64::decode(b64, std::as_writable_bytes(buf));
  if (!n) return make_error_code(Errc::bad_base64);
  return std::string_view(buf.data(), *n);
}

}  // namespace

Result<PlainCredentials> decode_plain(std::string_view b64, std::span<char> buf) noexcept {
  auto d = decode(b64, buf);
  if (!d) return d.error();
  const std::string_view s = *d;
  const std::size_t a = s.find('\0');
  if (a == std::string_view::npos) return make_error_code(Errc::bad_auth_payload);
  const std::size_t b = s.find('\0', a + 1);
  if (b == std::string_view::npos || s.find('\0', b + 1) != std::string_view::npos) return make_error_code(Errc::bad_auth_payload);
  PlainCredentials c{s.substr(0, a), s.substr(a + 1, b - a - 1), s.substr(b + 1)};
  if (c.authcid.empty() || c.password.empty()) return make_error_code(Errc::bad_auth_payload);
  if (c.authzid.size() > max_field || c.authcid.size() > max_field || c.password.size() > max_field)
    return make_error_code(Errc::bad_auth_payload);
  return c;
}

Result<std::string_view> decode_login(std::string_view b64, std::span<char> buf) noexcept {
  auto d = decode(b64, buf);
  if (!d) return d.error();
  if (d->empty() || d->find('\0') != std::string_view::npos) return make_error_code(Errc::bad_auth_payload);
  return *d;
}

Result<CramMd5Response> decode_cram_md5(std::string_view b64, std::span<char> buf) noexcept {
  auto d = decode(b64, buf);
  if (!d) return d.error();
  const std::string_view s = *d;
  const std::size_t sp = s.rfind(' ');
  if (sp == std::string_view::npos || sp == 0 || s.size() - sp - 1 != 32) return make_error_code(Errc::bad_auth_payload);
  CramMd5Response r{s.substr(0, sp), s.substr(sp + 1)};
  for (char c : r.digest)
    if (!detail::is_digit(c) && !(c >= 'a' && c <= 'f')) return make_error_code(Errc::bad_auth_payload);
  for (char c : r.user)
    if (c == '\0') return make_error_code(Errc::bad_auth_payload);
  return r;
}

Result<std::size_t> encode_plain(std::string_view authzid, std::string_view authcid, std::string_view password,
                                 std::span<char> out) noexcept {
  if (authcid.empty() || password.empty()) return make_error_code(Errc::bad_auth_payload);
  for (std::string_view f : {authzid, authcid, password}) {
    if (f.find('\0') != std::string_view::npos || f.size() > max_field) return make_error_code(Errc::bad_auth_payload);
  }
  std::array<char, 3 * max_field + 2> raw{};
  std::size_t n = 0;
  const auto put = [&](std::string_view f) {
    if (!f.empty()) std::memcpy(raw.data() + n, f.data(), f.size());  // a null view is UB for memcpy
    n += f.size();
  };
  put(authzid);
  raw[n++] = '\0';
  put(authcid);
  raw[n++] = '\0';
  put(password);
  auto e = base64::encode(std::as_bytes(std::span<const char>(raw.data(), n)), out);
  if (!e) return make_error_code(Errc::buffer_too_small);
  return *e;
}

}  // namespace zp::codec::smtp
