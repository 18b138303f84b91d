// Helpers of the DNS codec tests: hex and text to bytes, wire names, message building.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "zp/codec/dns/message.h"
#include "zp/codec/dns/name.h"
#include "zp/codec/dns/text.h"
#include "zp/codec/dns/writer.h"
#include "zp/codec/dns/zone.h"

namespace zp_dns_test {

namespace dns = zp::codec::dns;
using Bytes = std::vector<std::byte>;

inline Bytes hex(std::string_view h) {
  Bytes out;
  int hi = -1;
  for (char c : h) {
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else continue;
    if (hi < 0) hi = v;
    else {
      out.push_back(static_cast<std::byte>(hi * 16 + v));
      hi = -1;
    }
  }
  return out;
}

inline std::string to_hex(std::span<const std::byte> b) {
  static const char d[] = "0123456789abcdef";
  std::string s;
  for (std::byte x : b) {
    s += d[static_cast<unsigned>(x) >> 4];
    s += d[static_cast<unsigned>(x) & 15];
  }
  return s;
}

// Wire form of an absolute presentation name.
inline Bytes wire_name(std::string_view text) {
  Bytes out(255);
  auto n = dns::name_from_text(text, {}, out);
  EXPECT_TRUE(n) << text;
  out.resize(n ? *n : 0);
  return out;
}

inline std::string name_text(const dns::Name& n) {
  std::string s;
  dns::name_to_text(n, s);
  return s;
}

// Parses a zone text into records (origin example.com., default TTL 3600).
inline dns::ZoneRecords zone(std::string_view text, std::string_view origin = "example.com.",
                             dns::ZoneError* err = nullptr) {
  dns::ZoneRecords recs;
  dns::ZoneOptions opt;
  opt.origin = origin;
  opt.default_ttl = 3600;
  dns::ZoneError local;
  auto r = dns::parse_zone(text, opt, recs.sink(), err ? err : &local);
  EXPECT_TRUE(r) << (err ? err->message : local.message);
  return recs;
}

inline std::string rr_text(const dns::Record& rr) {
  std::string s;
  dns::record_to_text(rr, s);
  return s;
}

// A response: header + question (of the first record) + all records in the answer section
// (or the given sections), built with MessageWriter.
inline Bytes build_message(const dns::ZoneRecords& recs, std::uint16_t id = 0x1234,
                           const dns::EdnsOut* edns = nullptr) {
  Bytes buf(65535);
  dns::MessageWriter w(buf);
  dns::Header h;
  h.id = id;
  h.set_flag(dns::Header::qr_bit, true);
  h.set_flag(dns::Header::aa_bit, true);
  w.set_header(h);
  const auto first = recs[0].view();
  EXPECT_TRUE(w.add_question(first.owner, first.type, first.rclass));
  for (std::size_t i = 0; i < recs.size(); ++i) EXPECT_TRUE(w.add_record(dns::Section::answer, recs[i].view()));
  if (edns) {
    EXPECT_TRUE(w.add_opt(*edns));
  }
  auto out = w.finish();
  EXPECT_TRUE(out);
  return out ? Bytes(out->begin(), out->end()) : Bytes{};
}

}  // namespace zp_dns_test
