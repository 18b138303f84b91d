/// \file
/// SMTP AUTH payloads (RFC 4954): SASL PLAIN (RFC 4616), LOGIN (the de-facto one) and the
/// CRAM-MD5 response format (RFC 2195), decoded from base64 into a caller's buffer, and
/// the client-side encodings. Verifying a CRAM-MD5 digest (HMAC-MD5) is not a codec's job.
/// \code
///   char buf[768];
///   auto c = zp::codec::smtp::decode_plain(cmd.initial_response, buf);
///   if (c) check(c->authcid, c->password);   // views into buf
/// \endcode
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "zp/codec/smtp/errc.h"
#include "zp/result.h"

namespace zp::codec::smtp {

/// The server's LOGIN prompts, base64 of "Username:" and "Password:".
inline constexpr std::string_view login_user_prompt = "VXNlcm5hbWU6";
inline constexpr std::string_view login_password_prompt = "UGFzc3dvcmQ6";  ///< base64 of "Password:"

/// True when a client's answer to a challenge is "*" (cancel, RFC 4954 4).
constexpr bool is_cancel(std::string_view line) noexcept { return line == "*"; }

/// PLAIN credentials: views into the caller's buffer.
struct PlainCredentials {
  std::string_view authzid;   ///< authorization identity; empty when not given
  std::string_view authcid;   ///< authentication identity (user name)
  std::string_view password;  ///< password
};

/// Decodes a PLAIN message ("=" is the empty response) into `buf`: authzid NUL authcid
/// NUL passwd, authcid and passwd non-empty, each at most 255 octets, no NUL inside.
/// Errors: auth_cancelled ("*"), bad_base64, bad_auth_payload, buffer_too_small.
Result<PlainCredentials> decode_plain(std::string_view b64, std::span<char> buf) noexcept;

/// Decodes one LOGIN answer (user name or password) into `buf`; non-empty, no NUL.
/// Errors: auth_cancelled, bad_base64, bad_auth_payload, buffer_too_small.
Result<std::string_view> decode_login(std::string_view b64, std::span<char> buf) noexcept;

/// A CRAM-MD5 response: user SP 32 lower-case hex digits.
struct CramMd5Response {
  std::string_view user;    ///< user name (views into the caller's buffer)
  std::string_view digest;  ///< HMAC-MD5 as 32 lower-case hex digits
};
/// Decodes a CRAM-MD5 response into `buf`. Errors as decode_login.
Result<CramMd5Response> decode_cram_md5(std::string_view b64, std::span<char> buf) noexcept;

/// Writes base64(authzid NUL authcid NUL password) to `out` (client side); bad_auth_payload
/// when a field holds NUL or authcid/password is empty, buffer_too_small.
Result<std::size_t> encode_plain(std::string_view authzid, std::string_view authcid, std::string_view password,
                                 std::span<char> out) noexcept;

}  // namespace zp::codec::smtp
