// Fuzz target for codecs/url. The first byte picks options; the rest is split at the first
// '\n' into a base and a reference (the whole rest is also used alone):
//  - parse: accepted input serializes back to itself and reparses equal; redacted() is no
//    longer and holds no '@' before the host;
//  - resolve(base, ref): the target parses, serializes to itself, has no dot segments
//    when the reference had a path, and resolving "" against it gives it back (sans '#');
//  - IPv4/IPv6 literals agree with inet_pton;
//  - normalize_path: accepted paths start with '/', never hold "/../", "/./" or "//" or
//    climb above the root, are no longer than the input, and encode_path -> normalize_path
//    gives them back (decoding happens once, and once is idempotent on encoded output);
//  - remove_dot_segments never grows its input; MIME lookup always answers.
#include <arpa/inet.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "zp/codec/url/mime.h"
#include "zp/codec/url/path.h"
#include "zp/codec/url/url.h"

namespace {

namespace url = zp::codec::url;

std::string serialize(const url::Url& u) {
  std::string out(url::serialized_size(u), '\0');
  auto n = url::serialize(u, out);
  FUZZ_CHECK(n && *n == out.size());
  return out;
}

bool has_dot_segment(std::string_view path) {
  std::size_t i = 0;
  while (i <= path.size()) {
    std::size_t e = path.find('/', i);
    if (e == std::string_view::npos) e = path.size();
    const std::string_view seg = path.substr(i, e - i);
    if (seg == "." || seg == "..") return true;
    i = e + 1;
  }
  return false;
}

void fuzz_parse(std::string_view s, const url::Limits& lim) {
  auto r = url::parse(s, lim);
  if (!r) return;
  const std::string out = serialize(*r);
  FUZZ_CHECK(out == s);
  auto again = url::parse(out, lim);
  FUZZ_CHECK(again && *again == *r);
  std::string red(out.size(), '\0');
  auto n = url::redacted(*r, red);
  FUZZ_CHECK(n && *n <= out.size());
  if (r->has_authority) {
    auto ru = url::parse(std::string_view(red.data(), *n), lim);
    FUZZ_CHECK(ru && !ru->has_userinfo && ru->host == r->host && ru->path == r->path);
  }
}

void fuzz_resolve(std::string_view base_s, std::string_view ref_s, const url::Limits& lim) {
  auto base = url::parse(base_s, lim);
  auto ref = url::parse(ref_s, lim);
  if (!base || !ref) return;
  std::string out(url::resolved_size_max(*base, *ref), '\0');
  auto n = url::resolve(*base, *ref, out);
  if (!base->is_absolute()) {
    FUZZ_CHECK(!n && n.error() == url::Errc::not_absolute);
    return;
  }
  FUZZ_CHECK(n);
  out.resize(*n);
  url::Limits wide = lim;
  wide.max_url_bytes = out.size();
  auto t = url::parse(out, wide);
  FUZZ_CHECK(t && t->is_absolute());
  FUZZ_CHECK(serialize(*t) == out);
  if (!ref->path.empty()) {
    std::string_view p = t->path;
    if (!t->has_authority && p.substr(0, 4) == "/.//") p.remove_prefix(2);
    FUZZ_CHECK(!has_dot_segment(p));
  }
  FUZZ_CHECK(t->has_fragment == ref->has_fragment);
  // Resolving the empty reference against the target gives the target without fragment.
  const url::Url empty{};
  std::string again(url::resolved_size_max(*t, empty), '\0');
  auto m = url::resolve(*t, empty, again);
  FUZZ_CHECK(m);
  again.resize(*m);
  std::string_view want = out;
  if (t->has_fragment) want = want.substr(0, want.size() - t->fragment.size() - 1);
  FUZZ_CHECK(again == want);
}

void fuzz_ip(std::string_view s) {
  if (s.size() > 64 || s.find('\0') != std::string_view::npos) return;
  const std::string z(s);
  unsigned char ref[16];
  std::array<std::uint8_t, 16> a6{};
  const bool ok6 = url::parse_ipv6(s, &a6);
  FUZZ_CHECK(ok6 == (inet_pton(AF_INET6, z.c_str(), ref) == 1));
  if (ok6) FUZZ_CHECK(std::memcmp(a6.data(), ref, 16) == 0);
  std::array<std::uint8_t, 4> a4{};
  const bool ok4 = url::parse_ipv4(s, &a4);
  FUZZ_CHECK(ok4 == (inet_pton(AF_INET, z.c_str(), ref) == 1));
  if (ok4) FUZZ_CHECK(std::memcmp(a4.data(), ref, 4) == 0);
}

void fuzz_path(std::string_view raw, const url::PathOptions& opt) {
  std::string out(raw.size(), '\0');
  auto r = url::normalize_path(raw, out, opt);
  if (!r) return;
  const std::string_view p = *r;
  FUZZ_CHECK(!p.empty() && p[0] == '/' && p.size() <= raw.size());
  FUZZ_CHECK(!has_dot_segment(p));
  FUZZ_CHECK(p.find("//") == std::string_view::npos);
  FUZZ_CHECK(p.find('\0') == std::string_view::npos);
  if (!opt.allow_dotfiles) FUZZ_CHECK(p.find("/.") == std::string_view::npos || opt.allow_well_known);
  std::string enc(url::encoded_path_size_max(p.size()), '\0');
  auto n = url::encode_path(p, enc);
  FUZZ_CHECK(n);
  enc.resize(*n);
  std::string back(enc.size(), '\0');
  url::PathOptions o2 = opt;
  o2.max_path_bytes = enc.size();
  auto r2 = url::normalize_path(enc, back, o2);
  FUZZ_CHECK(r2 && *r2 == p);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t flags = data[0];
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  url::Limits lim;
  lim.allow_zone_id = flags & 1;
  lim.allow_numeric_reg_name = flags & 2;
  url::PathOptions popt;
  popt.allow_dotfiles = flags & 4;
  popt.allow_well_known = flags & 8;
  popt.allow_non_utf8 = flags & 16;

  fuzz_parse(in, lim);
  fuzz_path(in, popt);
  fuzz_ip(in);
  const std::size_t nl = in.find('\n');
  if (nl != std::string_view::npos) {
    const std::string_view base = in.substr(0, nl), ref = in.substr(nl + 1);
    fuzz_parse(base, lim);
    fuzz_parse(ref, lim);
    fuzz_resolve(base, ref, lim);
    fuzz_path(ref, popt);
  }
  std::string rds(in);
  FUZZ_CHECK(url::remove_dot_segments(rds) <= in.size());

  static const url::MimeTable table;
  FUZZ_CHECK(!table.lookup(in).empty());
  FUZZ_CHECK(!table.for_path(in).empty());
  return 0;
}
