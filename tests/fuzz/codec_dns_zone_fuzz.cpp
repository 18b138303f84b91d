// Fuzz target for the codecs/dns zone parser. Any text: parse_zone never crashes and
// either reports an error with a position inside the input, or gives records whose
// presentation (record_to_text) parses back to the same wire records (text -> wire ->
// text -> wire), and which MessageWriter can serialize and parse_message re-read.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "zp/codec/dns/message.h"
#include "zp/codec/dns/text.h"
#include "zp/codec/dns/writer.h"
#include "zp/codec/dns/zone.h"

namespace {

namespace dns = zp::codec::dns;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  dns::ZoneOptions opt;
  opt.origin = "example.com.";
  opt.file_name = "fuzz";
  opt.default_ttl = 3600;
  opt.limits.max_records = 256;
  opt.limits.max_include_depth = 2;
  // A tiny in-memory include tree: "inc" includes the input itself (depth bound).
  opt.include = [text](std::string_view path) -> zp::Result<std::string> {
    if (path == "inc") return std::string(text);
    return zp::fail(ENOENT);
  };
  dns::ZoneRecords recs;
  dns::ZoneError err;
  auto r = dns::parse_zone(text, opt, recs.sink(), &err);
  if (!r) {
    FUZZ_CHECK(err.code != dns::ZoneErrc::ok);
    FUZZ_CHECK(err.line >= 1 && !err.message.empty());
    return 0;
  }
  std::string printed;
  for (std::size_t i = 0; i < recs.size(); ++i) {
    dns::record_to_text(recs[i].view(), printed);
    printed += '\n';
  }
  dns::ZoneRecords again;
  dns::ZoneOptions o2;
  o2.origin = "example.com.";
  auto r2 = dns::parse_zone(printed, o2, again.sink(), &err);
  if (!r2) std::fprintf(stderr, "reparse failed: %s\n%s\n", err.message.c_str(), printed.c_str());
  FUZZ_CHECK(r2);
  FUZZ_CHECK(again.size() == recs.size());
  for (std::size_t i = 0; i < recs.size(); ++i) {
    const auto a = recs[i], b = again[i];
    FUZZ_CHECK(a.type == b.type && a.rclass == b.rclass && a.ttl == b.ttl);
    FUZZ_CHECK(std::string_view(reinterpret_cast<const char*>(a.owner.data()), a.owner.size()) ==
               std::string_view(reinterpret_cast<const char*>(b.owner.data()), b.owner.size()));
    FUZZ_CHECK(std::string_view(reinterpret_cast<const char*>(a.rdata.data()), a.rdata.size()) ==
               std::string_view(reinterpret_cast<const char*>(b.rdata.data()), b.rdata.size()));
  }
  if (recs.size() > 0) {
    std::vector<std::byte> buf(65535);
    dns::MessageWriter w(buf);
    for (std::size_t i = 0; i < recs.size(); ++i) w.add_record(dns::Section::answer, recs[i].view());
    auto out = w.finish();
    FUZZ_CHECK(out);
    std::vector<dns::Record> rrs(300);
    dns::Message m;
    auto pr = dns::parse_message(*out, m, rrs);
    FUZZ_CHECK(pr.ok());
  }
  return 0;
}
