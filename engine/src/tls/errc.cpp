// The TLS error category: one value per failure, with words a person can act on.
#include <string>

#include "zp/engine/tls.h"

namespace zp::tls {

namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "zp.tls"; }
  std::string message(int v) const override {
    if (v >= int(Errc::alert_base) && v < int(Errc::alert_base) + 256)
      return "TLS handshake failed: the peer sent the alert " + alert_name(v - int(Errc::alert_base));
    switch (static_cast<Errc>(v)) {
      case Errc::ok: return "ok";
      case Errc::handshake_timeout: return "TLS handshake timed out";
      case Errc::not_tls: return "the peer does not speak TLS (plain text or garbage on a TLS port)";
      case Errc::bad_record: return "malformed or undecryptable TLS record";
      case Errc::protocol_version: return "no common TLS version (TLS 1.2 and 1.3 only)";
      case Errc::no_shared_cipher: return "no common TLS cipher suite";
      case Errc::cert_expired: return "certificate verify failed: certificate has expired";
      case Errc::cert_not_yet_valid: return "certificate verify failed: certificate is not yet valid";
      case Errc::unknown_ca: return "certificate verify failed: unknown CA (self-signed or untrusted issuer)";
      case Errc::name_mismatch: return "certificate verify failed: certificate is not valid for this host name";
      case Errc::bad_certificate: return "certificate verify failed: bad signature or certificate";
      case Errc::no_peer_certificate: return "the peer sent no certificate and one is required";
      case Errc::peer_closed: return "the peer closed the connection during the TLS handshake";
      case Errc::truncated: return "the peer closed the TLS connection without close_notify";
      case Errc::handshake_failed: return "TLS handshake failed";
      case Errc::too_large: return "TLS message or queued output over its size limit";
      case Errc::bad_cert_file: return "unreadable or invalid certificate file (PEM expected)";
      case Errc::bad_key_file: return "unreadable or invalid private key file, or not the certificate's key";
      case Errc::bad_ca_file: return "unreadable or invalid CA file";
      case Errc::bad_config: return "invalid TLS configuration (versions, ciphers, ALPN or certificates)";
      case Errc::alert_base: break;
    }
    return "unknown TLS error";
  }
};

}  // namespace

const std::error_category& category() noexcept {
  static const Category c;
  return c;
}

std::string alert_name(int a) {
  switch (a) {
    case 0: return "close_notify";
    case 10: return "unexpected_message";
    case 20: return "bad_record_mac";
    case 22: return "record_overflow";
    case 40: return "handshake_failure";
    case 42: return "bad_certificate";
    case 43: return "unsupported_certificate";
    case 44: return "certificate_revoked";
    case 45: return "certificate_expired";
    case 46: return "certificate_unknown";
    case 47: return "illegal_parameter";
    case 48: return "unknown_ca";
    case 49: return "access_denied";
    case 50: return "decode_error";
    case 51: return "decrypt_error";
    case 70: return "protocol_version";
    case 71: return "insufficient_security";
    case 80: return "internal_error";
    case 86: return "inappropriate_fallback";
    case 90: return "user_canceled";
    case 109: return "missing_extension";
    case 110: return "unsupported_extension";
    case 112: return "unrecognized_name";
    case 116: return "certificate_required";
    case 120: return "no_application_protocol";
  }
  return "alert " + std::to_string(a);
}

}  // namespace zp::tls
