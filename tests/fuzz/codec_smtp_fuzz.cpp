// Fuzz target for codecs/smtp.
//  - parse_command: an accepted line is the input's first CRLF-ended line, with no bare CR
//    or LF; any shorter prefix only asks for more;
//  - parse_reply: an accepted reply serializes back to a reply that parses the same;
//  - DataDecoder: fed whole and in two pieces it gives the same body and end; the body has
//    no bare CR/LF; a body re-encoded by DataEncoder decodes to itself (stuffing round trip);
//    the decoder never ends at anything but <CRLF>.<CRLF>.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "zp/codec/smtp/command.h"
#include "zp/codec/smtp/data.h"
#include "zp/codec/smtp/reply.h"

namespace smtp = zp::codec::smtp;

namespace {

void check_command(std::string_view in) {
  smtp::Command cmd;
  const smtp::ParseResult r = smtp::parse_command(in, {}, cmd);
  if (r.consumed == 0) return;
  FUZZ_CHECK(r.consumed >= 2 && r.consumed <= 512 && r.consumed <= in.size());
  const std::string_view line = in.substr(0, r.consumed);
  FUZZ_CHECK(line.ends_with("\r\n"));
  FUZZ_CHECK(line.find('\n') == r.consumed - 1);
  FUZZ_CHECK(line.find('\r') == r.consumed - 2);
  smtp::Command again;
  FUZZ_CHECK(smtp::parse_command(in.substr(0, r.consumed - 1), {}, again).status == smtp::Status::need_more);
  if (r.status == smtp::Status::ok && (cmd.verb == smtp::Verb::mail || cmd.verb == smtp::Verb::rcpt) && !cmd.path.null) {
    FUZZ_CHECK(cmd.path.local_part.size() <= 64);
    FUZZ_CHECK(cmd.path.domain.size() <= 255);
  }
}

void check_reply(std::string_view in) {
  std::array<std::string_view, 16> lines{};
  smtp::Reply rep;
  const smtp::ParseResult r = smtp::parse_reply(in, {}, rep, lines);
  if (r.status != smtp::Status::ok) return;
  std::vector<char> out(smtp::reply_size("", rep.lines));
  const auto n = smtp::serialize_reply(rep.code, "", rep.lines, out);
  FUZZ_CHECK(n.ok() && *n == out.size());
  std::array<std::string_view, 16> lines2{};
  smtp::Reply rep2;
  const smtp::ParseResult r2 = smtp::parse_reply(std::string_view(out.data(), out.size()), {}, rep2, lines2);
  FUZZ_CHECK(r2.status == smtp::Status::ok && r2.consumed == out.size());
  FUZZ_CHECK(rep2.code == rep.code && rep2.lines.size() == rep.lines.size());
  for (std::size_t i = 0; i < rep.lines.size(); ++i) FUZZ_CHECK(rep2.lines[i] == rep.lines[i]);
}

struct Out {
  smtp::DataStatus status = smtp::DataStatus::more;
  smtp::Errc error = smtp::Errc::ok;
  std::string body;
  std::size_t consumed = 0;
};

Out decode(std::string_view in, std::size_t cut, const smtp::DataLimits& limits) {
  smtp::DataDecoder dec(limits);
  Out o;
  const std::string_view pieces[2] = {in.substr(0, cut), in.substr(cut)};
  for (std::string_view p : pieces) {
    for (;;) {
      const smtp::DataResult r = dec.decode(p);
      o.body.append(r.data);
      o.consumed += r.consumed;
      p.remove_prefix(r.consumed);
      if (r.status != smtp::DataStatus::more) {
        o.status = r.status;
        o.error = r.error;
        return o;
      }
      if (p.empty()) break;
    }
  }
  return o;
}

void check_data(std::string_view in, std::size_t cut, bool normalise) {
  smtp::DataLimits limits;
  limits.normalise_bare = normalise;
  limits.max_line_bytes = 1 << 20;
  const Out whole = decode(in, in.size(), limits);
  const Out split = decode(in, cut, limits);
  FUZZ_CHECK(whole.status == split.status && whole.error == split.error);
  // Octets passed on before an error depend on the split; the caller drops them.
  if (whole.status != smtp::DataStatus::error) FUZZ_CHECK(whole.body == split.body);
  if (whole.status == smtp::DataStatus::done) {
    FUZZ_CHECK(split.consumed == whole.consumed);
    // Only <CRLF>.<CRLF> (or ".\r\n" at the very start) ends the data.
    const std::string_view used = in.substr(0, whole.consumed);
    FUZZ_CHECK(used == ".\r\n" || used.ends_with("\r\n.\r\n"));
  }
  if (whole.status == smtp::DataStatus::error) return;
  for (std::size_t i = 0; i < whole.body.size(); ++i) {
    if (whole.body[i] == '\n') FUZZ_CHECK(i > 0 && whole.body[i - 1] == '\r');
    if (whole.body[i] == '\r' && i + 1 < whole.body.size()) FUZZ_CHECK(whole.body[i + 1] == '\n');
  }
  if (whole.status != smtp::DataStatus::done) return;
  smtp::DataEncoder enc;
  std::string wire(smtp::DataEncoder::max_encoded(whole.body.size()) + 5, '\0');
  const smtp::DataEncoder::Step s = enc.encode(whole.body, wire);
  FUZZ_CHECK(s.consumed == whole.body.size());
  const std::size_t t = enc.finish(std::span<char>(wire).subspan(s.written));
  FUZZ_CHECK(t > 0);
  wire.resize(s.written + t);
  const Out back = decode(wire, wire.size() / 2, limits);
  FUZZ_CHECK(back.status == smtp::DataStatus::done && back.consumed == wire.size());
  FUZZ_CHECK(back.body == whole.body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  check_command(in);
  check_reply(in);
  const std::size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  check_data(in, cut, false);
  check_data(in, cut, true);
  return 0;
}
