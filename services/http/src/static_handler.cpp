#include "static_handler.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <ctime>
#include <vector>

#include "zp/codec/http1/serializer.h"
#include "zp/codec/url/path.h"

namespace zp::http {

namespace h1 = codec::http1;

void Response::reset() {
  head_size = 0;
  status = 0;
  body_bytes = 0;
  owned_body.clear();
  entry.reset();
  body = {};
  file = nullptr;
  file_offset = file_length = 0;
  iov_count_ = 0;
}

namespace {

constexpr std::string_view kAllow = "GET, HEAD, OPTIONS";

struct Builder {
  Builder(const ServerOptions& o, h1::DateCache& d, Response& r) : opts(o), dates(d), resp(r) {}
  const ServerOptions& opts;
  h1::DateCache& dates;
  Response& resp;
  // Not zeroed: only the first n are ever read (48 would be 1.5 KB of stores per request).
  union {
    h1::Header fields[48];
  };
  size_t n = 0;
  void add(std::string_view name, std::string_view value) {
    if (n < std::size(fields)) fields[n++] = {name, value};
  }
  // Fields from middlewares first; the handler's own come after (Content-Type...).
  void add_all(std::span<const h1::Header> fs) {
    for (const h1::Header& f : fs) add(f.name, f.value);
  }
  // Writes the head; body_bytes is the Content-Length (also for HEAD).
  void head(int status, uint64_t body_bytes, bool close, h1::Framing framing = h1::Framing::content_length) {
    if (!opts.server_name.empty()) add("Server", opts.server_name);
    h1::ResponseHead h;
    h.status = status;
    h.headers = std::span<const h1::Header>(fields, n);
    h.framing = framing;
    h.content_length = body_bytes;
    h.close = close;
    h.date = dates.get(std::time(nullptr));
    auto w = h1::write_response_head(h, std::span<char>(resp.head, sizeof resp.head));
    resp.head_size = w.error == h1::Errc::ok ? w.size : 0;
    resp.status = status;
    resp.body_bytes = framing == h1::Framing::content_length ? body_bytes : 0;
  }
};

// A short text body for statuses without content of their own.
bool simple(Builder& b, int status, bool close, bool head_only, std::string_view extra_name = {},
            std::string_view extra_value = {}) {
  if (!extra_name.empty()) b.add(extra_name, extra_value);
  b.resp.owned_body = std::to_string(status);
  b.resp.owned_body += ' ';
  b.resp.owned_body += h1::reason_phrase(status);
  b.resp.owned_body += '\n';
  b.add("Content-Type", "text/plain; charset=utf-8");
  b.head(status, b.resp.owned_body.size(), close);
  if (!head_only) b.resp.body = b.resp.owned_body;
  b.resp.finish();
  return !close;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// If-None-Match: weak comparison against our (strong) tag; "*" matches any.
bool etag_matches(std::string_view list, std::string_view etag) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = trim(list.substr(0, comma));
    if (item == "*") return true;
    if (item.starts_with("W/")) item.remove_prefix(2);
    if (item == etag) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

// Accept-Encoding: is `coding` acceptable (present with q > 0)?
bool accepts(std::string_view list, std::string_view coding) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = trim(list.substr(0, comma));
    std::string_view name = trim(item.substr(0, item.find(';')));
    if (h1::iequals(name, coding)) {
      size_t q = item.find("q=");
      if (q == std::string_view::npos) return true;
      std::string_view v = trim(item.substr(q + 2));
      return !(v.starts_with("0") && v.find_first_of("123456789") == std::string_view::npos);
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

struct ByteRange {
  uint64_t first;
  uint64_t last;  // inclusive
};

// "bytes=a-b, c-, -n". Returns false for a syntax we ignore (serve the whole file);
// `ranges` empty with true means unsatisfiable (416).
bool parse_ranges(std::string_view v, uint64_t size, std::vector<ByteRange>& ranges) {
  v = trim(v);
  if (!v.starts_with("bytes=")) return false;
  v.remove_prefix(6);
  size_t count = 0;
  while (!v.empty()) {
    size_t comma = v.find(',');
    std::string_view item = trim(v.substr(0, comma));
    if (++count > 16) return false;  // many ranges: a resource-exhaustion trick; send it whole
    size_t dash = item.find('-');
    if (dash == std::string_view::npos) return false;
    std::string_view a = item.substr(0, dash), b = item.substr(dash + 1);
    uint64_t x = 0, y = 0;
    auto num = [](std::string_view s, uint64_t& out) {
      if (s.empty()) return false;
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
      return ec == std::errc() && p == s.data() + s.size();
    };
    if (a.empty()) {  // suffix: the last y bytes
      if (!num(b, y)) return false;
      if (y > 0 && size > 0) ranges.push_back({y >= size ? 0 : size - y, size - 1});
    } else {
      if (!num(a, x)) return false;
      if (b.empty()) y = size ? size - 1 : 0;
      else if (!num(b, y) || y < x) return false;
      if (x < size) ranges.push_back({x, std::min(y, size - 1)});
    }
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
  return true;
}

void html_escape(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
}

// An HTML index of the directory `dir` (a normalized path ending in '/'), at most 10,000
// entries; names are escaped for HTML and percent-encoded in links.
bool listing(FileStore& files, Builder& b, std::string_view dir, bool close, bool head_only) {
  auto names = files.list(dir.substr(1), 10000);
  if (!names) return simple(b, names.error().value() == EACCES ? 403 : 404, close, head_only);
  std::string& out = b.resp.owned_body;
  out = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Index of ";
  html_escape(out, dir);
  out += "</title></head>\n<body><h1>Index of ";
  html_escape(out, dir);
  out += "</h1>\n<ul>\n";
  if (dir != "/") out += "<li><a href=\"../\">../</a></li>\n";
  for (const std::string& name : *names) {
    char href[3 * 256 + 1];
    auto n = codec::url::encode_path(name, std::span<char>(href, sizeof href));
    if (!n) continue;
    out += "<li><a href=\"./";
    out.append(href, *n);  // "./" keeps a name with ':' from reading as a scheme
    out += "\">";
    html_escape(out, name);
    out += "</a></li>\n";
  }
  out += "</ul>\n</body></html>\n";
  b.add("Content-Type", "text/html; charset=utf-8");
  b.add("Cache-Control", "no-cache");
  b.head(200, out.size(), close);
  if (!head_only) b.resp.body = out;
  b.resp.finish();
  return !close;
}

bool serve_path(FileStore& files, Builder& b, const h1::Request& req, std::string_view path_in,
                int64_t now_ms, bool close, bool head_only);

}  // namespace

void error_response(const ServerOptions& opts, h1::DateCache& dates, h1::Errc e, Response& resp) {
  Builder b{opts, dates, resp};
  auto s = h1::status_for(e);
  simple(b, s.code, true, false);
}

void simple_response(const ServerOptions& opts, h1::DateCache& dates, int status, bool close, bool head_only,
                     std::span<const h1::Header> fields, Response& resp, std::string_view extra_name,
                     std::string_view extra_value) {
  Builder b{opts, dates, resp};
  b.add_all(fields);
  simple(b, status, close, head_only, extra_name, extra_value);
}

bool handle_request(FileStore& files, const ServerOptions& opts, h1::DateCache& dates, int64_t now_ms,
                    const h1::Request& req, Response& resp, const StaticExtras& extras) {
  Builder b{opts, dates, resp};
  b.add_all(extras.fields);
  const bool head_only = req.method_id == h1::Method::head;
  // The caller reads (or drops) a body, or asks to close when it cannot.
  const bool close = !req.keep_alive || extras.close;
  // HTTP/1.0 persists only when the response says so (RFC 9112 §9.3): without it an
  // HTTP/1.0 client (ab -k) waits for the close that never comes.
  if (req.version_minor == 0 && !close) b.add("Connection", "keep-alive");

  if (req.method_id == h1::Method::options) {
    b.add("Allow", kAllow);
    b.head(204, 0, close, h1::Framing::none);
    resp.finish();
    return !close;
  }
  if (req.method_id != h1::Method::get && req.method_id != h1::Method::head)
    return simple(b, 405, close, false, "Allow", kAllow);

  // The path of the target, without its query; absolute-form carries scheme and authority.
  std::string_view target = req.target;
  if (req.target_form == h1::TargetForm::absolute) {
    size_t p = target.find("://");
    size_t slash = p == std::string_view::npos ? std::string_view::npos : target.find('/', p + 3);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  } else if (req.target_form != h1::TargetForm::origin) {
    return simple(b, 400, true, head_only);
  }
  std::string_view raw_path = target.substr(0, target.find_first_of("?#"));
  char decoded[4096];
  codec::url::PathOptions popt;
  popt.allow_dotfiles = opts.allow_dotfiles;
  popt.allow_well_known = true;
  popt.max_path_bytes = sizeof decoded;
  if (raw_path.size() > sizeof decoded) return simple(b, 414, close, head_only);
  auto path = codec::url::normalize_path(raw_path, decoded, popt);
  if (!path) return simple(b, codec::url::path_http_status(path.error()), close, head_only);

  return serve_path(files, b, req, *path, now_ms, close, head_only);
}

namespace {

// The file part of the static handler: `path` is decoded and normalized ("/a/b.txt").
bool serve_path(FileStore& files, Builder& b, const h1::Request& req, std::string_view path_in,
                int64_t now_ms, bool close, bool head_only) {
  const ServerOptions& opts = b.opts;
  Response& resp = b.resp;
  const std::string_view* path = &path_in;
  std::string rel(path->substr(1));
  bool dir_request = rel.empty() || rel.back() == '/';
  if (dir_request) rel += opts.index;
  auto got = files.get(rel, now_ms);
  if (!got && dir_request && opts.directory_listing && got.error().value() == ENOENT) {
    return listing(files, b, *path, close, head_only);
  }
  if (!got) {
    int e = got.error().value();
    int status = e == EACCES || e == EPERM ? 403 : 404;  // ELOOP/EXDEV (escapes): 404 too
    return simple(b, status, close, head_only);
  }
  std::shared_ptr<const FileEntry> entry = *got;
  if (entry->directory) {
    if (dir_request) return simple(b, 403, close, head_only);  // index is a directory
    // "/dir" → "/dir/" (encode the decoded path again for the Location URL).
    char loc[3 * 4096 + 2];
    auto n = codec::url::encode_path(*path, std::span<char>(loc, sizeof loc - 1));
    if (!n) return simple(b, 500, true, head_only);
    loc[*n] = '/';
    return simple(b, 301, close, head_only, "Location", std::string_view(loc, *n + 1));
  }

  // Precompressed sibling chosen by Accept-Encoding.
  const FileEntry* rep = entry.get();
  std::string_view encoding;
  if (entry->br || entry->gz) {
    b.add("Vary", "Accept-Encoding");
    if (const h1::Header* ae = h1::find_header(req.headers, "Accept-Encoding")) {
      if (entry->br && accepts(ae->value, "br")) {
        rep = entry->br.get();
        encoding = "br";
      } else if (entry->gz && accepts(ae->value, "gzip")) {
        rep = entry->gz.get();
        encoding = "gzip";
      }
    }
  }
  // Validators of the representation sent (the compressed one has its own bytes).
  b.add("Last-Modified", rep->last_modified);
  b.add("ETag", rep->etag);
  if (!opts.cache_control.empty()) b.add("Cache-Control", opts.cache_control);

  // Conditionals (RFC 9110 §13.2.2): If-None-Match wins over If-Modified-Since.
  if (const h1::Header* inm = h1::find_header(req.headers, "If-None-Match")) {
    if (etag_matches(inm->value, rep->etag)) {
      b.head(304, 0, close, h1::Framing::none);
      resp.finish();
      return !close;
    }
  } else if (const h1::Header* ims = h1::find_header(req.headers, "If-Modified-Since")) {
    auto t = h1::parse_http_date(ims->value);
    if (t && rep->mtime_sec <= *t) {
      b.head(304, 0, close, h1::Framing::none);
      resp.finish();
      return !close;
    }
  }

  b.add("Content-Type", entry->mime);
  if (!encoding.empty()) b.add("Content-Encoding", encoding);
  b.add("Accept-Ranges", "bytes");

  // Range (GET only), honoured when If-Range (if any) still matches.
  std::vector<ByteRange> ranges;
  const h1::Header* range = req.method_id == h1::Method::get ? h1::find_header(req.headers, "Range") : nullptr;
  if (range) {
    if (const h1::Header* ir = h1::find_header(req.headers, "If-Range")) {
      std::string_view v = trim(ir->value);
      bool fresh = v.starts_with('"') ? v == rep->etag : (h1::parse_http_date(v) == rep->mtime_sec);
      if (!fresh) range = nullptr;
    }
  }
  if (range && parse_ranges(range->value, rep->size, ranges)) {
    if (ranges.empty()) {
      char cr[48];
      int n = std::snprintf(cr, sizeof cr, "bytes */%llu", (unsigned long long)rep->size);
      return simple(b, 416, close, false, "Content-Range", std::string_view(cr, size_t(n)));
    }
    if (ranges.size() == 1) {
      char cr[80];
      const ByteRange& r = ranges[0];
      int n = std::snprintf(cr, sizeof cr, "bytes %llu-%llu/%llu", (unsigned long long)r.first,
                            (unsigned long long)r.last, (unsigned long long)rep->size);
      b.add("Content-Range", std::string_view(cr, size_t(n)));
      uint64_t len = r.last - r.first + 1;
      b.head(206, len, close);
      if (rep->in_memory) {
        resp.entry = entry;
        resp.body = std::string_view(rep->data).substr(r.first, len);
      } else {
        resp.entry = entry;
        resp.file = rep;
        resp.file_offset = r.first;
        resp.file_length = len;
      }
      resp.finish();
      return !close;
    }
    if (rep->in_memory) {
      // multipart/byteranges (RFC 9110 §14.6).
      static constexpr std::string_view boundary = "zp8f3a1c9e27b4d065";
      std::string& out = resp.owned_body;
      for (const ByteRange& r : ranges) {
        char part[256];
        int n = std::snprintf(part, sizeof part, "\r\n--%.*s\r\nContent-Type: %.*s\r\nContent-Range: bytes %llu-%llu/%llu\r\n\r\n",
                              int(boundary.size()), boundary.data(), int(entry->mime.size()), entry->mime.data(),
                              (unsigned long long)r.first, (unsigned long long)r.last, (unsigned long long)rep->size);
        out.append(part, size_t(n));
        out.append(std::string_view(rep->data).substr(r.first, r.last - r.first + 1));
      }
      out += "\r\n--";
      out += boundary;
      out += "--\r\n";
      // Replace the Content-Type given above by the multipart one.
      for (size_t i = 0; i < b.n; ++i)
        if (b.fields[i].name == "Content-Type") b.fields[i].value = "multipart/byteranges; boundary=zp8f3a1c9e27b4d065";
      b.head(206, out.size(), close);
      resp.body = out;
      resp.finish();
      return !close;
    }
    // Several ranges of a large file: the whole file instead (a server MAY ignore Range).
  }

  b.head(200, rep->size, close);
  if (!head_only) {
    resp.entry = entry;
    if (rep->in_memory) {
      resp.body = rep->data;
    } else {
      resp.file = rep;
      resp.file_offset = 0;
      resp.file_length = rep->size;
    }
  }
  resp.finish();
  return !close;
}

}  // namespace

bool serve_file(FileStore& files, const ServerOptions& opts, h1::DateCache& dates, int64_t now_ms,
                const h1::Request& req, std::string_view rel, Response& resp, const StaticExtras& extras) {
  Builder b{opts, dates, resp};
  b.add_all(extras.fields);
  const bool close = !req.keep_alive || extras.close;
  if (req.version_minor == 0 && !close) b.add("Connection", "keep-alive");
  std::string path = "/";
  path += rel;
  return serve_path(files, b, req, path, now_ms, close, req.method_id == h1::Method::head);
}

}  // namespace zp::http
