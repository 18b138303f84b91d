// Fuzz target for codecs/mime.
//  - parse_header: an accepted header ends with an empty line and every field lies inside it;
//    any shorter prefix only asks for more;
//  - parse_content_type over the input: parameters are within the caller's storage;
//  - parse_structure: entities' views lie inside the message, depth within the limit;
//  - MultipartParser: fed whole and cut in two it yields the same parts;
//  - qp_encode then qp_decode gives the input back (with CRLF for LF).
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "zp/codec/mime/build.h"
#include "zp/codec/mime/header.h"
#include "zp/codec/mime/multipart.h"

namespace mime = zp::codec::mime;

namespace {

bool inside(std::string_view outer, std::string_view v) {
  return v.empty() || (v.data() >= outer.data() && v.data() + v.size() <= outer.data() + outer.size());
}

std::vector<std::string> parts(std::string_view body, std::size_t cut) {
  mime::MultipartParser mp("b");
  std::vector<std::string> out;
  std::string buf(body.substr(0, cut));
  bool all = cut == body.size();
  for (int guard = 0; guard < 1 << 20; ++guard) {
    const mime::PartEvent ev = mp.next(buf);
    if (ev.event == mime::Event::part_begin) out.emplace_back();
    if (ev.event == mime::Event::part_data) out.back().append(ev.data);
    buf.erase(0, ev.consumed);
    if (ev.event == mime::Event::end || ev.event == mime::Event::error) break;
    if (ev.event == mime::Event::need_more) {
      if (all) break;
      buf.append(body.substr(cut));
      all = true;
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  std::array<mime::Field, 32> fields{};
  const mime::HeaderResult h = mime::parse_header(in, {}, fields);
  if (h.status == mime::Status::ok) {
    FUZZ_CHECK(h.consumed >= 2 && h.consumed <= size && in.substr(0, h.consumed).ends_with("\r\n"));
    for (std::size_t i = 0; i < h.count; ++i) FUZZ_CHECK(inside(in.substr(0, h.consumed), fields[i].value));
    FUZZ_CHECK(mime::parse_header(in.substr(0, h.consumed - 1), {}, fields).status == mime::Status::need_more);
  }

  std::array<mime::Param, 8> params{};
  std::array<char, 256> scratch{};
  mime::ContentType ct;
  if (mime::parse_content_type(in, ct, params, scratch) == mime::Errc::ok) {
    FUZZ_CHECK(!ct.type.empty() && !ct.subtype.empty() && ct.params.size() <= params.size());
  }

  std::array<mime::Entity, 32> ents{};
  const mime::StructureLimits limits{.max_depth = 4, .max_parts = 32};
  const auto n = mime::parse_structure(in, limits, ents);
  if (n) {
    for (std::size_t i = 0; i < *n; ++i) {
      FUZZ_CHECK(inside(in, ents[i].header) && inside(in, ents[i].body));
      FUZZ_CHECK(ents[i].depth <= 4);
    }
  }

  const std::size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  FUZZ_CHECK(parts(in, in.size()) == parts(in, cut));

  std::string enc(size * 3 + size / 20 * 3 + 8, '\0');
  const auto e = mime::qp_encode(in, enc);
  FUZZ_CHECK(e.ok());
  std::string dec(*e, '\0');
  const auto d = mime::qp_decode(std::string_view(enc.data(), *e), dec);
  FUZZ_CHECK(d.ok());
  // LF alone becomes CRLF; everything else comes back.
  std::string expect;
  for (std::size_t i = 0; i < size; ++i) {
    if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r')) expect += '\r';
    expect += in[i];
  }
  FUZZ_CHECK(std::string_view(dec.data(), *d) == expect);
  return 0;
}
