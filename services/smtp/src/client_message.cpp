// compose(): a MIME message from owned strings, with the clock and a random Message-ID (the
// codec has neither), refusing header injection at the API.
#include <sys/random.h>

#include <ctime>

#include "zp/codec/mime/build.h"
#include "zp/smtp/client.h"

namespace zp::smtp {

namespace mime = zp::codec::mime;

namespace {

bool has_ctl(std::string_view s) { return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos; }

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

// 16 hex digits from getrandom (the unique part of the Message-ID and the boundaries).
std::string random_hex() {
  unsigned char b[8] = {};
  std::size_t got = 0;
  while (got < sizeof b) {
    const ssize_t n = ::getrandom(b + got, sizeof b - got, 0);
    if (n <= 0) break;
    got += std::size_t(n);
  }
  if (got < sizeof b) {  // no entropy source: the time still makes it unique enough
    const auto t = std::uint64_t(std::time(nullptr)) ^ std::uint64_t(reinterpret_cast<std::uintptr_t>(&got));
    for (std::size_t i = 0; i < sizeof b; ++i) b[i] = static_cast<unsigned char>(t >> (8 * i));
  }
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : b) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

}  // namespace

Result<std::string> compose(const Compose& m) {
  for (const std::string* f : {&m.from, &m.subject, &m.message_id_domain})
    if (has_ctl(*f)) return make_error_code(ClientErrc::bad_input);
  for (const auto* list : {&m.to, &m.cc})
    for (const auto& a : *list)
      if (has_ctl(a)) return make_error_code(ClientErrc::bad_input);
  for (const auto& a : m.attachments)
    if (has_ctl(a.name) || has_ctl(a.content_type)) return make_error_code(ClientErrc::bad_input);

  const std::string seed = random_hex();
  char id[300];
  const std::string left = std::to_string(std::time(nullptr)) + "." + seed;
  auto idn = mime::format_message_id(left, m.message_id_domain, id);
  if (!idn) return make_error_code(ClientErrc::bad_input);
  std::vector<mime::Attachment> files;
  std::size_t room = 4096 + 3 * (m.subject.size() + m.text.size() + m.html.size());
  for (const auto& a : m.attachments) {
    files.push_back({a.name, a.content_type, std::as_bytes(std::span<const char>(a.data.data(), a.data.size()))});
    room += mime::base64_lines_size(a.data.size()) + 3 * a.name.size() + 512;
  }
  const std::string to = join(m.to);
  const std::string cc = join(m.cc);
  mime::Message msg;
  msg.from = m.from;
  msg.to = to;
  msg.cc = cc;
  msg.subject = m.subject;
  msg.date = mime::utc_from_unix(std::int64_t(std::time(nullptr)));
  msg.message_id = std::string_view(id, *idn);
  msg.text = m.text;
  msg.html = m.html;
  msg.attachments = files;
  msg.boundary_seed = seed;
  std::string out;
  for (int attempt = 0; attempt < 4; ++attempt, room *= 2) {
    out.resize(room);
    auto n = mime::build_message(msg, out);
    if (n) {
      out.resize(*n);
      return out;
    }
    if (n.error() != mime::Errc::buffer_too_small) return make_error_code(ClientErrc::bad_input);
  }
  return make_error_code(ClientErrc::bad_input);
}

}  // namespace zp::smtp
