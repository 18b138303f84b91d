// Fuzz target for codecs/http1. The first byte picks limits and leniency; the rest is a byte
// stream a server would read. Checked properties:
//  - parse_request: outcome invariants (views inside the input, consumed within it, error
//    iff an Errc, framing flags consistent); each prefix of a complete head needs more;
//  - split input: the stream fed in two pieces at an input-chosen point (heads re-parsed
//    from the buffer, bodies through Content-Length or the chunked decoder) gives the same
//    requests, bodies and final outcome as fed whole;
//  - chunked decoding of the raw input: streaming and in-place agree;
//  - round trip: every parsed request, serialized again, parses to the same message;
//  - response parsing and HTTP-date parsing never misbehave; a parsed date re-formats and
//    re-parses to itself.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "zp/codec/http1/chunked.h"
#include "zp/codec/http1/date.h"
#include "zp/codec/http1/parser.h"
#include "zp/codec/http1/serializer.h"

namespace {

namespace h1 = zp::codec::http1;

bool inside(std::string_view v, std::string_view in) {
  return v.empty() || (v.data() >= in.data() && v.data() + v.size() <= in.data() + in.size());
}

struct Outcome {
  std::vector<std::string> messages;
  h1::Status status = h1::Status::complete;
  h1::Errc error = h1::Errc::ok;
  bool operator==(const Outcome&) const = default;
};

void check_round_trip(const h1::Request& req, const h1::Limits& limits) {
  // Rebuild the message from what was parsed; framing and Host go through the serializer.
  std::vector<h1::Header> rest;
  for (const auto& h : req.headers) {
    if (h1::iequals(h.name, "content-length") || h1::iequals(h.name, "transfer-encoding")) continue;
    rest.push_back(h);  // Host stays in place (it may be present and empty)
  }
  const h1::Framing framing = req.chunked ? h1::Framing::chunked
                              : req.content_length ? h1::Framing::content_length
                                                   : h1::Framing::none;
  std::vector<char> buf(req.method.size() + req.target.size() + req.host.size() + 128 +
                        req.headers.size() * 4 + 64);
  for (const auto& h : req.headers) buf.resize(buf.size() + h.name.size() + h.value.size());
  const auto w = h1::write_request_head({.method = req.method, .target = req.target,
                                         .version_minor = req.version_minor,
                                         .headers = rest, .framing = framing,
                                         .content_length = req.content_length.value_or(0)},
                                        buf);
  FUZZ_CHECK(w.error == h1::Errc::ok);
  h1::Request again;
  std::vector<h1::Header> hs(rest.size() + 2);
  h1::Limits relaxed = limits;
  relaxed.max_request_line_bytes = buf.size();
  relaxed.max_header_bytes = buf.size();
  relaxed.max_header_count = hs.size();
  const auto r = h1::parse_request(std::span<const char>(buf.data(), w.size), again, hs, relaxed);
  FUZZ_CHECK(r.status == h1::Status::complete && r.consumed == w.size);
  FUZZ_CHECK(again.method == req.method && again.target == req.target);
  FUZZ_CHECK(again.version_minor == req.version_minor && again.host == req.host);
  FUZZ_CHECK(again.chunked == req.chunked && again.content_length == req.content_length);
  FUZZ_CHECK(again.keep_alive == req.keep_alive && again.expect_continue == req.expect_continue);
  FUZZ_CHECK(again.upgrade == req.upgrade && again.target_form == req.target_form);
  std::size_t k = 0;
  for (const auto& h : again.headers) {
    if (h1::iequals(h.name, "content-length") || h1::iequals(h.name, "transfer-encoding")) continue;
    FUZZ_CHECK(k < rest.size() && h.name == rest[k].name && h.value == rest[k].value);
    ++k;
  }
  FUZZ_CHECK(k == rest.size());
}

Outcome run_stream(std::string_view a, std::string_view b, const h1::Limits& limits, bool check) {
  Outcome o;
  std::string buf, body, current;
  enum class Phase { head, length, chunked } phase = Phase::head;
  std::uint64_t left = 0;
  h1::ChunkedDecoder dec{};
  h1::Request req;
  h1::Header hs[32];
  const auto finish = [&] {
    o.messages.push_back(current + "|" + body);
    body.clear();
    phase = Phase::head;
  };
  for (std::string_view piece : {a, b}) {
    buf.append(piece);
    for (int guard = 0;; ++guard) {
      FUZZ_CHECK(guard < 1 << 20);
      if (phase == Phase::head) {
        if (buf.empty()) break;
        const auto r = h1::parse_request(buf, req, hs, limits);
        FUZZ_CHECK((r.status == h1::Status::error) == (r.error != h1::Errc::ok));
        if (r.status == h1::Status::error) {
          FUZZ_CHECK(r.consumed == 0);
          o.status = h1::Status::error;
          o.error = r.error;
          return o;
        }
        if (r.status == h1::Status::need_more) {
          FUZZ_CHECK(r.consumed == 0);
          break;
        }
        const std::string_view in(buf);
        FUZZ_CHECK(r.consumed > 0 && r.consumed <= buf.size());
        FUZZ_CHECK(inside(req.method, in) && inside(req.target, in) && inside(req.host, in));
        FUZZ_CHECK(!req.method.empty() && !req.target.empty());
        FUZZ_CHECK(req.headers.size() <= limits.max_header_count && req.headers.data() == hs);
        for (const auto& h : req.headers) FUZZ_CHECK(inside(h.name, in) && inside(h.value, in) && !h.name.empty());
        FUZZ_CHECK(!(req.chunked && req.content_length));
        FUZZ_CHECK(!req.content_length || *req.content_length <= limits.max_body_bytes);
        FUZZ_CHECK(req.version_minor == 0 || req.version_minor == 1);
        FUZZ_CHECK(req.version_minor == 0 || !req.host.empty() || h1::find_header(req.headers, "host"));
        if (check) {
          // Every proper prefix of a complete head needs more (limits see the same bytes).
          for (std::size_t k = r.consumed > 64 ? r.consumed - 64 : 0; k < r.consumed; ++k) {
            h1::Request pre;
            const auto p = h1::parse_request(in.substr(0, k), pre, hs, limits);
            FUZZ_CHECK(p.status == h1::Status::need_more);
          }
          (void)h1::parse_request(buf, req, hs, limits);  // restore views
          check_round_trip(req, limits);
        }
        current = std::string(req.method) + " " + std::string(req.target);
        buf.erase(0, r.consumed);
        if (req.chunked) {
          phase = Phase::chunked;
          dec = h1::ChunkedDecoder{};
        } else if (req.content_length && *req.content_length > 0) {
          phase = Phase::length;
          left = *req.content_length;
        } else {
          finish();
        }
      } else if (phase == Phase::length) {
        const std::size_t n = left < buf.size() ? static_cast<std::size_t>(left) : buf.size();
        body.append(buf, 0, n);
        buf.erase(0, n);
        left -= n;
        if (left != 0) break;
        finish();
      } else {
        const auto r = dec.decode(buf, limits);
        if (r.status == h1::Status::error) {
          o.status = h1::Status::error;
          o.error = r.error;
          return o;
        }
        FUZZ_CHECK(r.consumed <= buf.size());
        FUZZ_CHECK(r.data.empty() || (r.data.data() >= buf.data() && r.data.data() + r.data.size() <= buf.data() + r.consumed));
        body.append(r.data.data(), r.data.size());
        buf.erase(0, r.consumed);
        if (r.status == h1::Status::complete) finish();
        else if (buf.empty()) break;
      }
    }
  }
  o.status = phase == Phase::head && buf.empty() ? h1::Status::complete : h1::Status::need_more;
  return o;
}

void fuzz_chunked(std::string_view in, const h1::Limits& limits) {
  h1::ChunkedDecoder d{};
  std::string data;
  std::span<const char> rest(in.data(), in.size());
  h1::Status st = h1::Status::need_more;
  h1::Errc err = h1::Errc::ok;
  std::size_t used = 0;
  for (;;) {
    const auto r = d.decode(rest, limits);
    if (r.status == h1::Status::error) {
      st = r.status;
      err = r.error;
      break;
    }
    data.append(r.data.data(), r.data.size());
    rest = rest.subspan(r.consumed);
    used += r.consumed;
    if (r.status == h1::Status::complete) {
      st = r.status;
      break;
    }
    if (rest.empty() || r.consumed == 0) break;
  }
  FUZZ_CHECK(data.size() <= limits.max_body_bytes);
  std::string copy(in);
  h1::ChunkedDecoder d2{};
  const auto ip = d2.decode_in_place(std::span<char>(copy.data(), copy.size()), limits);
  FUZZ_CHECK(ip.status == st && ip.error == err);
  if (st != h1::Status::error) {
    FUZZ_CHECK(ip.consumed == used && ip.size == data.size());
    FUZZ_CHECK(std::string_view(copy.data(), ip.size) == data);
    FUZZ_CHECK(std::string_view(copy).substr(ip.consumed) == in.substr(used));
  }
}

void fuzz_response(std::string_view in, const h1::Limits& limits) {
  h1::Response resp;
  h1::Header hs[32];
  const auto r = h1::parse_response(in, resp, hs, limits);
  FUZZ_CHECK((r.status == h1::Status::error) == (r.error != h1::Errc::ok));
  if (r.status != h1::Status::complete) return;
  FUZZ_CHECK(r.consumed <= in.size() && resp.status >= 100 && resp.status <= 999);
  FUZZ_CHECK(inside(resp.reason, in));
  FUZZ_CHECK(int{resp.chunked} + int{resp.until_close} + int{resp.content_length.has_value()} + int{resp.no_body} == 1);
}

void fuzz_date(std::string_view in) {
  const auto t = h1::parse_http_date(in);
  if (!t) return;
  char buf[h1::imf_fixdate_bytes];
  h1::format_imf_fixdate(static_cast<std::time_t>(*t), buf);
  FUZZ_CHECK(h1::parse_http_date(std::string_view(buf, sizeof buf)) == t);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t h = data[0];
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  h1::Limits limits;
  limits.allow_bare_lf = (h & 1) != 0;
  if (h & 2) {  // small limits, so the fuzzer reaches them
    limits.max_request_line_bytes = 64;
    limits.max_header_count = 8;
    limits.max_header_bytes = 256;
    limits.max_body_bytes = 512;
    limits.max_chunk_line_bytes = 32;
    limits.max_trailer_bytes = 64;
  }
  const Outcome whole = run_stream(in, {}, limits, true);
  const std::size_t split = in.size() < 2 ? 0 : (static_cast<std::size_t>(h >> 2) * 7919 + in.size() / 2) % (in.size() + 1);
  FUZZ_CHECK(run_stream(in.substr(0, split), in.substr(split), limits, false) == whole);
  fuzz_chunked(in, limits);
  fuzz_response(in, limits);
  fuzz_date(in);
  return 0;
}
