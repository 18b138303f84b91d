// The client's error category: a text for each error, and for each refusal its reply code.
#include <string>

#include "zp/engine/tls.h"
#include "zp/smtp/client.h"

namespace zp::smtp {

namespace {

class ClientCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "zp.smtp.client"; }
  std::string message(int v) const override {
    if (v >= int(ClientErrc::reply_base) + 200 && v < int(ClientErrc::reply_base) + 600) {
      const int code = v - int(ClientErrc::reply_base);
      return std::string(code < 500 ? "temporary refusal" : "permanent refusal") + " by the server (reply " +
             std::to_string(code) + ")";
    }
    switch (ClientErrc(v)) {
      case ClientErrc::ok: return "ok";
      case ClientErrc::connection_closed: return "connection closed by the server";
      case ClientErrc::protocol_error: return "protocol error: malformed reply from the server";
      case ClientErrc::bad_address: return "bad server address (want HOST:PORT or [V6]:PORT)";
      case ClientErrc::host_not_found: return "host name not found (no address for it)";
      case ClientErrc::resolver_failed: return "DNS resolution failed (SERVFAIL, REFUSED, timeout or no server)";
      case ClientErrc::null_mx: return "the domain accepts no mail (null MX, RFC 7505)";
      case ClientErrc::bad_input: return "CR, LF or NUL in an address, header field or name (refused)";
      case ClientErrc::bad_mailbox: return "not an RFC 5321 mailbox address";
      case ClientErrc::no_recipients: return "no recipients";
      case ClientErrc::starttls_unavailable: return "STARTTLS required but not offered by the server";
      case ClientErrc::starttls_refused: return "STARTTLS required but refused by the server";
      case ClientErrc::auth_unavailable: return "no authentication mechanism in common with the server";
      case ClientErrc::auth_needs_tls: return "refusing to send credentials without TLS";
      case ClientErrc::auth_failed: return "authentication failed (credentials refused by the server)";
      case ClientErrc::message_too_large: return "message larger than the server's SIZE limit";
      case ClientErrc::eight_bit_unsupported: return "8-bit message but the server does not offer 8BITMIME";
      case ClientErrc::smtputf8_unsupported: return "UTF-8 address but the server does not offer SMTPUTF8";
      case ClientErrc::recipients_refused: return "every recipient was refused";
      case ClientErrc::not_connected: return "not connected";
      case ClientErrc::line_too_long: return "a message line is longer than 998 octets (RFC 5321 4.5.3.1.6)";
      default: return "unknown SMTP client error " + std::to_string(v);
    }
  }
};

}  // namespace

const std::error_category& client_category() noexcept {
  static const ClientCategory c;
  return c;
}

std::error_code reply_error(unsigned code) noexcept { return {int(ClientErrc::reply_base) + int(code), client_category()}; }

unsigned reply_code_of(const Error& e) noexcept {
  if (e.category() != client_category()) return 0;
  const int v = e.value() - int(ClientErrc::reply_base);
  return v >= 200 && v < 600 ? unsigned(v) : 0;
}

bool is_transient(const Error& e) noexcept {
  if (const unsigned code = reply_code_of(e)) return code < 500;
  if (e.category() == client_category()) {
    const auto c = ClientErrc(e.value());
    return c == ClientErrc::connection_closed || c == ClientErrc::resolver_failed;
  }
  if (e.category() == tls::category()) return e == tls::Errc::handshake_timeout || e == tls::Errc::peer_closed;
  return e.category() == std::generic_category() || e.category() == std::system_category();
}

}  // namespace zp::smtp
