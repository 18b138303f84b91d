// The client side of the SASL mechanisms SMTP AUTH uses (RFC 4954): the base64 responses of
// PLAIN (RFC 4616), LOGIN, CRAM-MD5 (RFC 2195, HMAC-MD5 from wolfSSL) and XOAUTH2, and the
// choice of a mechanism from the server's AUTH list. Pure functions.
#pragma once

#include <string>
#include <string_view>

#include "zp/result.h"
#include "zp/smtp/client.h"

namespace zp::smtp::detail {

// base64 of `raw`.
std::string base64(std::string_view raw);
// base64(authzid NUL user NUL password); bad_input for a NUL inside or an empty field.
Result<std::string> plain_response(std::string_view user, std::string_view password);
// base64(user SP hex(HMAC-MD5(password, challenge))), `challenge_b64` as the 334 carried it;
// protocol_error when it is not base64.
Result<std::string> cram_md5_response(std::string_view user, std::string_view password, std::string_view challenge_b64);
// base64("user=" user ^A "auth=Bearer " token ^A ^A).
std::string xoauth2_response(std::string_view user, std::string_view token);
// The mechanism to use with the server's AUTH list `offered` ("PLAIN LOGIN"); automatic
// when there is none in common.
AuthMechanism choose_mechanism(const Credentials& c, std::string_view offered, bool tls);
// "PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2".
std::string_view mechanism_name(AuthMechanism m);

}  // namespace zp::smtp::detail
