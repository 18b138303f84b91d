/// \file
/// The `zproto mail send` verb, mail(1)-alike: the flags (the CLI parses them into this
/// struct) and the run over the SMTP client. The body is read from standard input unless
/// --body is given; the password from the environment (ZPROTO_SMTP_PASSWORD, or the variable
/// --password-env names) or a file (--password-file), never from the command line.
/// \code
///   echo hi | zproto mail send --from a@example.org --to b@example.net --subject test
///   zproto mail send --server smtp.example.org:587 --starttls --user ann --to b@example.net
///       --from ann@example.org --subject report --attach report.pdf --body "See attached."   (one line)
/// \endcode
#pragma once

#include <string>
#include <vector>

namespace zp::smtp::cli {

/// Exit code when some recipients were refused and the message went to the others.
inline constexpr int kExitPartial = 3;

/// `zproto mail send`.
struct SendFlags {
  std::vector<std::string> to{};      ///< --to: recipients (repeatable, or comma-separated)
  std::vector<std::string> cc{};      ///< --cc: copy recipients (in the Cc: header and the envelope)
  std::vector<std::string> bcc{};     ///< --bcc: envelope only
  std::string from{};                 ///< --from: "a@example.org" or "Ann &lt;a@example.org&gt;"
  std::string subject{};              ///< --subject (UTF-8)
  std::string body{};                 ///< --body: the text (else standard input)
  bool body_given = false;            ///< --body was given (even empty)
  std::vector<std::string> attach{};  ///< --attach: files (repeatable)
  std::string server{};               ///< --server HOST[:PORT]; "": each recipient domain's MX hosts
  bool starttls = false;              ///< --starttls: STARTTLS required (never downgraded)
  bool tls = false;                   ///< --tls: implicit TLS (port 465 by default)
  bool no_tls = false;                ///< --no-tls: never STARTTLS (default: opportunistic)
  std::string cafile{};               ///< --cafile: trust these CAs (PEM)
  bool insecure = false;              ///< --insecure: no certificate or name check
  std::string user{};                 ///< --user: authenticate as
  std::string password_env = "ZPROTO_SMTP_PASSWORD";  ///< --password-env: the variable holding the password
  std::string password_file{};        ///< --password-file: the password is this file's first line
  std::string mechanism = "auto";     ///< --auth: auto, plain, login, cram-md5, xoauth2 (the "password" is the token)
  bool plaintext_auth = false;        ///< --allow-plaintext-auth: credentials without TLS
  std::string helo{};                 ///< --helo: EHLO name (default: the host name)
  int timeout_s = 0;                  ///< --timeout: seconds per step (0: RFC 5321's)
  bool verbose = false;               ///< -v: the session and each reply on stderr
};

/// Sends; 0 delivered to every recipient, kExitPartial some refused, 1 failure (one line on
/// stderr), 2 usage error.
int run_send(const SendFlags& flags);

}  // namespace zp::smtp::cli
