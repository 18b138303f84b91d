// The TLS error vocabulary (category "zp.tls"): every failure has its own words, a peer's
// fatal alert is named by its RFC 8446 §6 / IANA registry name, unknown alerts by number.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "zp/engine/tls.h"

namespace {

using zp::tls::Errc;

TEST(TlsErrc, EveryFailureHasItsOwnMessage) {
  const auto& cat = zp::tls::category();
  EXPECT_STREQ(cat.name(), "zp.tls");
  std::set<std::string> seen;
  for (int i = 0; i <= int(Errc::bad_config); ++i) {
    const std::string m = cat.message(i);
    EXPECT_NE(m, "unknown TLS error") << i;
    EXPECT_TRUE(seen.insert(m).second) << i << " repeats '" << m << "'";
  }
  EXPECT_EQ(zp::tls::make_error(Errc::unknown_ca).message(),
            "certificate verify failed: unknown CA (self-signed or untrusted issuer)");
  EXPECT_EQ(zp::tls::make_error(Errc::truncated).message(),
            "the peer closed the TLS connection without close_notify");
  EXPECT_EQ(cat.message(int(Errc::bad_config) + 1), "unknown TLS error");
  EXPECT_EQ(cat.message(int(Errc::alert_base) + 256), "unknown TLS error");
  EXPECT_EQ(cat.message(-1), "unknown TLS error");
}

TEST(TlsErrc, AlertsByName) {
  // RFC 8446 §6 (and RFC 7301 §3.2 for no_application_protocol).
  const std::pair<int, const char*> alerts[] = {
      {0, "close_notify"}, {10, "unexpected_message"}, {20, "bad_record_mac"}, {22, "record_overflow"},
      {40, "handshake_failure"}, {42, "bad_certificate"}, {43, "unsupported_certificate"},
      {44, "certificate_revoked"}, {45, "certificate_expired"}, {46, "certificate_unknown"},
      {47, "illegal_parameter"}, {48, "unknown_ca"}, {49, "access_denied"}, {50, "decode_error"},
      {51, "decrypt_error"}, {70, "protocol_version"}, {71, "insufficient_security"},
      {80, "internal_error"}, {86, "inappropriate_fallback"}, {90, "user_canceled"},
      {109, "missing_extension"}, {110, "unsupported_extension"}, {112, "unrecognized_name"},
      {116, "certificate_required"}, {120, "no_application_protocol"},
  };
  for (const auto& [code, name] : alerts) {
    EXPECT_EQ(zp::tls::alert_name(code), name) << code;
    EXPECT_EQ(zp::tls::alert_error(code).message(),
              std::string("TLS handshake failed: the peer sent the alert ") + name);
  }
  EXPECT_EQ(zp::tls::alert_name(21), "alert 21");  // decryption_failed: TLS 1.0 only, not ours
  EXPECT_EQ(zp::tls::alert_error(255).message(), "TLS handshake failed: the peer sent the alert alert 255");
  EXPECT_EQ(zp::tls::alert_error(48).category(), zp::tls::category());
}

}  // namespace
