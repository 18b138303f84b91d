// Test helpers for the http1 codec: C-escape decoding for the vector files, and a stream
// driver that feeds bytes in pieces the way a connection would (heads re-parsed from the
// buffer, bodies framed by Content-Length or the chunked decoder), so the split-input
// property can be stated as "every split gives the same Outcome".
#pragma once

#include <algorithm>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "zp/codec/http1/chunked.h"
#include "zp/codec/http1/parser.h"

namespace zp_test_http1 {

namespace h1 = zp::codec::http1;

// Decodes \r \n \t \0 \\ \" \xHH and \{N:text} (N copies of the decoded text).
inline std::string unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    const char c = s[++i];
    switch (c) {
      case 'r': out += '\r'; break;
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case '0': out += '\0'; break;
      case 'x': {
        out += static_cast<char>(std::strtoul(std::string(s.substr(i + 1, 2)).c_str(), nullptr, 16));
        i += 2;
        break;
      }
      case '{': {
        const std::size_t colon = s.find(':', i);
        const std::size_t close = s.find('}', colon);
        const auto n = std::strtoul(std::string(s.substr(i + 1, colon - i - 1)).c_str(), nullptr, 10);
        const std::string unit = unescape(s.substr(colon + 1, close - colon - 1));
        for (unsigned long k = 0; k < n; ++k) out += unit;
        i = close;
        break;
      }
      default: out += c;
    }
  }
  return out;
}

struct Outcome {
  std::vector<std::string> messages;  // "METHOD target|body" per complete request
  h1::Status status = h1::Status::complete;
  h1::Errc error = h1::Errc::ok;
  bool operator==(const Outcome&) const = default;
};

inline std::string describe(const Outcome& o) {
  std::string s;
  for (const auto& m : o.messages) s += "[" + m + "] ";
  s += o.status == h1::Status::complete ? "complete" : o.status == h1::Status::need_more ? "need_more" : "error:";
  if (o.status == h1::Status::error) s += std::string(h1::errc_name(o.error));
  return s;
}

// Feeds `pieces` in order; returns the requests seen and how the stream ended (complete:
// every byte belonged to a finished message).
inline Outcome run_stream(const std::vector<std::string_view>& pieces, const h1::Limits& limits = {}) {
  Outcome o;
  std::string buf, body, current;
  enum class Phase { head, length, chunked } phase = Phase::head;
  std::uint64_t left = 0;
  h1::ChunkedDecoder dec{};
  h1::Request req;
  std::vector<h1::Header> hs(256);
  const auto finish = [&] {
    o.messages.push_back(current + "|" + body);
    body.clear();
    phase = Phase::head;
  };
  for (std::string_view piece : pieces) {
    buf.append(piece);
    for (;;) {
      if (phase == Phase::head) {
        if (buf.empty()) break;
        const auto r = h1::parse_request(buf, req, hs, limits);
        if (r.status == h1::Status::error) {
          o.status = h1::Status::error;
          o.error = r.error;
          return o;
        }
        if (r.status == h1::Status::need_more) break;
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
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, buf.size()));
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
        body.append(r.data.data(), r.data.size());
        buf.erase(0, r.consumed);
        if (r.status == h1::Status::complete) {
          finish();
        } else if (buf.empty()) {
          break;
        }
      }
    }
  }
  o.status = phase == Phase::head && buf.empty() ? h1::Status::complete : h1::Status::need_more;
  return o;
}

}  // namespace zp_test_http1
