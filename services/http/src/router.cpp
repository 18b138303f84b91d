// Route table and matching: a linear scan over the patterns (route tables are small; the
// static-only table never gets here), best match by exact > parameter > wildcard.
#include "zp/http/router.h"

#include <algorithm>

namespace zp::http {

namespace {

// Splits "/a/b/" into "a", "b", "": calls fn(segment) for each; "/" is one empty segment.
template <class Fn>
void for_each_segment(std::string_view path, Fn&& fn) {
  path.remove_prefix(1);
  for (;;) {
    size_t slash = path.find('/');
    fn(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Router::Pattern* Router::pattern_for(std::string_view text) {
  for (Pattern& p : patterns_)
    if (p.text == text) return &p;
  Pattern p;
  p.text = text;
  if (text.empty() || text.front() != '/') {
    if (error_.empty()) error_ = "pattern \"" + std::string(text) + "\" does not start with '/'";
    return nullptr;
  }
  std::string_view body = text;
  if (body.ends_with("/*")) {
    p.wildcard = true;
    body.remove_suffix(1);  // keeps the '/': "/static/*" → "/static/"; "/*" → "/"
  }
  size_t params = 0;
  if (body != "/" || !p.wildcard) {
    std::string_view segs = p.wildcard ? body.substr(0, body.size() - 1) : body;
    bool bad = false;
    if (segs.empty()) segs = "/";
    for_each_segment(segs, [&](std::string_view s) {
      if (p.wildcard && segs == "/") return;
      Segment seg;
      if (s.find('*') != std::string_view::npos) bad = true;
      if (s.starts_with(':')) {
        seg.param = true;
        seg.text = s.substr(1);
        if (seg.text.empty()) bad = true;
        ++params;
      } else {
        seg.text = s;
        ++p.literals;
      }
      p.segments.push_back(std::move(seg));
    });
    if (bad || params > kMaxParams) {
      if (error_.empty()) error_ = "bad pattern \"" + std::string(text) + "\"";
      return nullptr;
    }
  }
  patterns_.push_back(std::move(p));
  return &patterns_.back();
}

Router& Router::route(std::string_view method, std::string_view pattern, Handler h) {
  if (!is_token(method)) {
    if (error_.empty()) error_ = "bad method \"" + std::string(method) + "\"";
    return *this;
  }
  Pattern* p = pattern_for(pattern);
  if (!p) return *this;
  if (p->is_static || std::any_of(p->methods.begin(), p->methods.end(), [&](auto& m) { return m.first == method; })) {
    if (error_.empty()) error_ = "duplicate route " + std::string(method) + " " + std::string(pattern);
    return *this;
  }
  p->methods.emplace_back(std::string(method), std::move(h));
  return *this;
}

Router& Router::static_files(std::string_view prefix) {
  if (!prefix.ends_with('/')) {
    if (error_.empty()) error_ = "static prefix \"" + std::string(prefix) + "\" does not end with '/'";
    return *this;
  }
  std::string pattern(prefix);
  pattern += '*';
  Pattern* p = pattern_for(pattern);
  if (!p) return *this;
  if (p->is_static || !p->methods.empty()) {
    if (error_.empty()) error_ = "duplicate route for " + pattern;
    return *this;
  }
  p->is_static = true;
  p->mount = prefix.substr(0, prefix.size() - 1);
  return *this;
}

Router& Router::use(MiddlewareFactory m) {
  middlewares_.push_back(std::move(m));
  return *this;
}

bool Router::static_only() const {
  return patterns_.size() == 1 && patterns_[0].is_static && patterns_[0].mount.empty();
}

bool Router::matches(const Pattern& p, std::string_view path, Match* out) {
  size_t i = 0;
  bool ok = true;
  size_t params = 0;
  std::string_view rest = path.substr(1);
  // Walk the pattern's segments over the path's.
  std::string_view walk = path.substr(1);
  for (; i < p.segments.size(); ++i) {
    if (walk.data() == nullptr) return false;
    size_t slash = walk.find('/');
    std::string_view seg = walk.substr(0, slash);
    const Segment& s = p.segments[i];
    if (s.param) {
      if (seg.empty()) return false;
      if (out) out->params[params++] = {s.text, seg};
    } else if (seg != s.text) {
      return false;
    }
    if (slash == std::string_view::npos) {
      walk = {};
      rest = {};
    } else {
      walk.remove_prefix(slash + 1);
      rest = walk;
    }
  }
  if (p.wildcard) {
    // "/static/*" needs the '/' after "static"; "/*" takes every path.
    if (!p.segments.empty() && walk.data() == nullptr) ok = false;
  } else if (walk.data() != nullptr) {
    ok = false;  // path segments left over
  }
  if (ok && out) {
    out->param_count = params;
    out->rest = p.wildcard ? rest : std::string_view();
  }
  return ok;
}

std::string Router::allow_of(const Pattern& p) const {
  if (p.is_static) return "GET, HEAD, OPTIONS";
  std::string allow;
  bool head = false, options = false;
  for (const auto& m : p.methods) {
    head |= m.first == "HEAD";
    options |= m.first == "OPTIONS";
  }
  for (const auto& m : p.methods) {
    if (!allow.empty()) allow += ", ";
    allow += m.first;
    if (m.first == "GET" && !head) allow += ", HEAD";
  }
  if (!options) allow += ", OPTIONS";
  return allow;
}

void Router::match(std::string_view method, std::string_view path, Match& out) const {
  out.kind = Match::not_found;
  out.handler = nullptr;
  out.allow.clear();
  out.param_count = 0;
  out.rest = {};
  const Pattern* best = nullptr;
  const Handler* best_handler = nullptr;
  bool any_path = false;
  auto rank = [](const Pattern& p) { return p.wildcard ? 2 : (p.segments.size() != p.literals ? 1 : 0); };
  auto better = [&](const Pattern& a, const Pattern& b) {  // a beats b
    if (rank(a) != rank(b)) return rank(a) < rank(b);
    return a.literals > b.literals;
  };
  for (const Pattern& p : patterns_) {
    if (!matches(p, path, nullptr)) continue;
    any_path = true;
    const Handler* h = nullptr;
    bool fits = false;
    if (p.is_static) {
      fits = method == "GET" || method == "HEAD" || method == "OPTIONS";
    } else {
      for (const auto& m : p.methods)
        if (m.first == method) h = &m.second;
      if (!h && method == "HEAD")
        for (const auto& m : p.methods)
          if (m.first == "GET") h = &m.second;
      fits = h != nullptr;
    }
    if (!fits) continue;
    if (!best || better(p, *best)) {
      best = &p;
      best_handler = h;
    }
  }
  if (!any_path) return;
  if (!best) {
    if (method == "OPTIONS") out.kind = Match::options;
    else out.kind = Match::method_not_allowed;
    // Allow: the union over every pattern that matched the path, in order, once each.
    std::vector<std::string> seen;
    for (const Pattern& pat : patterns_) {
      if (!matches(pat, path, nullptr)) continue;  // a second pass: only for 405/OPTIONS
      std::string a = allow_of(pat);
      std::string_view rest = a;
      while (!rest.empty()) {
        size_t comma = rest.find(", ");
        std::string m(rest.substr(0, comma));
        if (std::find(seen.begin(), seen.end(), m) == seen.end()) seen.push_back(m);
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 2);
      }
    }
    // OPTIONS last, as in the static handler's "GET, HEAD, OPTIONS".
    auto opt = std::find(seen.begin(), seen.end(), "OPTIONS");
    if (opt != seen.end()) {
      seen.erase(opt);
      seen.push_back("OPTIONS");
    }
    for (const auto& m : seen) {
      if (!out.allow.empty()) out.allow += ", ";
      out.allow += m;
    }
    return;
  }
  matches(*best, path, &out);
  if (best->is_static) {
    out.kind = Match::static_files;
    out.mount = best->mount;
  } else {
    out.kind = Match::route;
    out.handler = best_handler;
  }
}

}  // namespace zp::http
