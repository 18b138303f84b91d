// SASL responses for SMTP AUTH. CRAM-MD5's HMAC-MD5 is wolfSSL's (no MD5 of our own).
#include "client_auth.h"

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/hmac.h>

#include <array>
#include <vector>

#include "zp/codec/base64.h"
#include "zp/codec/smtp/auth.h"
#include "zp/codec/smtp/reply.h"

namespace zp::smtp::detail {

namespace b64 = zp::codec::base64;

std::string base64(std::string_view raw) {
  std::string out(b64::encoded_size(raw.size()), '\0');
  auto n = b64::encode(std::as_bytes(std::span<const char>(raw.data(), raw.size())), out);
  out.resize(n ? *n : 0);
  return out;
}

Result<std::string> plain_response(std::string_view user, std::string_view password) {
  std::string out(b64::encoded_size(user.size() + password.size() + 2), '\0');
  auto n = codec::smtp::encode_plain({}, user, password, out);
  if (!n) return make_error_code(ClientErrc::bad_input);
  out.resize(*n);
  return out;
}

Result<std::string> cram_md5_response(std::string_view user, std::string_view password,
                                      std::string_view challenge_b64) {
  std::vector<std::byte> challenge(b64::decoded_size_max(challenge_b64.size()) + 1);
  auto n = b64::decode(challenge_b64, challenge);
  if (!n || *n == 0) return make_error_code(ClientErrc::protocol_error);
  Hmac h;
  std::array<unsigned char, WC_MD5_DIGEST_SIZE> digest{};
  bool ok = wc_HmacInit(&h, nullptr, INVALID_DEVID) == 0;
  if (ok) {
    ok = wc_HmacSetKey(&h, WC_MD5, reinterpret_cast<const byte*>(password.data()), word32(password.size())) == 0 &&
         wc_HmacUpdate(&h, reinterpret_cast<const byte*>(challenge.data()), word32(*n)) == 0 &&
         wc_HmacFinal(&h, digest.data()) == 0;
    wc_HmacFree(&h);
  }
  if (!ok) return make_error_code(ClientErrc::auth_unavailable);
  static constexpr char hex[] = "0123456789abcdef";
  std::string answer(user);
  answer += ' ';
  for (unsigned char c : digest) {
    answer += hex[c >> 4];
    answer += hex[c & 15];
  }
  return base64(answer);
}

std::string xoauth2_response(std::string_view user, std::string_view token) {
  std::string raw = "user=";
  raw += user;
  raw += "\x01" "auth=Bearer ";
  raw += token;
  raw += "\x01\x01";
  return base64(raw);
}

std::string_view mechanism_name(AuthMechanism m) {
  switch (m) {
    case AuthMechanism::plain: return "PLAIN";
    case AuthMechanism::login: return "LOGIN";
    case AuthMechanism::cram_md5: return "CRAM-MD5";
    case AuthMechanism::xoauth2: return "XOAUTH2";
    case AuthMechanism::automatic: break;
  }
  return "";
}

AuthMechanism choose_mechanism(const Credentials& c, std::string_view offered, bool tls) {
  codec::smtp::Extensions ext;
  ext.auth = offered;
  if (c.mechanism != AuthMechanism::automatic)
    return ext.has_auth(mechanism_name(c.mechanism)) ? c.mechanism : AuthMechanism::automatic;
  if (!c.oauth_token.empty()) return ext.has_auth("XOAUTH2") ? AuthMechanism::xoauth2 : AuthMechanism::automatic;
  // Over plaintext (allowed by the caller) the password itself should not travel.
  if (!tls && ext.has_auth("CRAM-MD5")) return AuthMechanism::cram_md5;
  for (AuthMechanism m : {AuthMechanism::plain, AuthMechanism::login, AuthMechanism::cram_md5})
    if (ext.has_auth(mechanism_name(m))) return m;
  return AuthMechanism::automatic;
}

}  // namespace zp::smtp::detail
