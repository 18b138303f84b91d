// Example: the SMTP and MIME codecs without a socket. Shows: a message built into a caller's
// buffer (an RFC 2047 subject, a text part, an attachment), the DATA encoder dot-stuffing it
// and ending it with CRLF.CRLF (a bare LF becomes CRLF: no smuggling at the next hop), and a
// multi-line EHLO reply parsed into its extensions, a refusal into its enhanced code.
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zp/codec/mime/build.h"
#include "zp/codec/smtp/data.h"
#include "zp/codec/smtp/reply.h"

namespace mime = zp::codec::mime;
namespace cs = zp::codec::smtp;

int main() {
  const std::string_view report = "temp,21.5\n";
  const mime::Attachment files[] = {{"report.csv", "text/csv", std::as_bytes(std::span(report.data(), report.size()))}};
  mime::Message m;
  m.from = "Ann <ann@example.org>";
  m.to = "bob@example.net";
  m.subject = "Grüße";
  m.date = {2026, 12, 8, 9, 30, 0, 60};
  m.message_id = "<report.1@example.org>";
  m.text = "Hello Bob,\n.the report is attached.\n";
  m.attachments = files;
  m.boundary_seed = "ex1";
  std::vector<char> buf(4096);
  auto n = mime::build_message(m, buf);
  if (!n) return std::printf("build: %s\n", n.error().message().c_str()), 1;
  const std::string_view msg(buf.data(), *n);
  std::printf("message: %zu bytes, subject line: %.*s\n", msg.size(),
              int(msg.find("\r\n", msg.find("Subject:")) - msg.find("Subject:")), msg.data() + msg.find("Subject:"));

  // DATA: dot-stuffing and the terminator, streaming into a bounded buffer.
  const std::string_view raw = "first line\n.starts with a dot\nlast";
  cs::DataEncoder enc;
  std::vector<char> out(cs::DataEncoder::max_encoded(raw.size()) + 5);
  const auto step = enc.encode(raw, out);
  const std::size_t end = enc.finish(std::span(out).subspan(step.written));
  std::string shown;
  for (char c : std::string_view(out.data(), step.written + end)) shown += c == '\r' ? "\\r" : c == '\n' ? "\\n" : std::string(1, c);
  std::printf("on the wire: %s\n", shown.c_str());

  // Replies: a multi-line EHLO, then a refusal with its enhanced status code.
  const std::string_view ehlo = "250-mx.example.net\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-AUTH PLAIN LOGIN\r\n250 STARTTLS\r\n";
  std::string_view lines[16];
  cs::Reply rep;
  auto r = cs::parse_reply(ehlo, {}, rep, lines);
  if (r.status != cs::Status::ok) return std::printf("EHLO reply did not parse\n"), 1;
  const cs::Extensions ext = cs::parse_ehlo(rep);
  std::printf("EHLO %u: pipelining %d, size %llu, starttls %d, AUTH PLAIN %d, CRAM-MD5 %d\n", rep.code,
              ext.pipelining, static_cast<unsigned long long>(ext.max_size), ext.starttls, ext.has_auth("plain"),
              ext.has_auth("CRAM-MD5"));
  const std::string_view refusal = "550 5.1.1 <nobody@example.net>: user unknown\r\n";
  r = cs::parse_reply(refusal, {}, rep, lines);
  if (r.status != cs::Status::ok) return std::printf("refusal did not parse\n"), 1;
  std::printf("refusal %u, enhanced %u.%u.%u: %.*s\n", rep.code, rep.enhanced.cls, rep.enhanced.subject,
              rep.enhanced.detail, int(rep.text(0).size()), rep.text(0).data());
  return 0;
}
