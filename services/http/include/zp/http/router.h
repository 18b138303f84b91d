/// \file
/// Router: method + path patterns to coroutine handlers, plus static-file mounts and the
/// middleware chain. Patterns are exact ("/health"), with parameters ("/users/:id") or end
/// in a wildcard ("/static/*": the rest of the path). Precedence: exact > parameter >
/// wildcard (more literal segments first); no pattern: 404; a pattern without the method:
/// 405 with Allow; HEAD falls back to GET; OPTIONS is answered 204 with Allow.
/// \code
///   zp::http::Router r;
///   r.get("/hello/:name", [](zp::http::Context& c) -> zp::Task<void> { c.send(200, "hi\n"); co_return; });
///   r.static_files("/");                       // the rest from ServerOptions::root
///   zp::http::start(shard, options, std::make_shared<zp::http::Router>(std::move(r)));
/// \endcode
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zp/engine/task.h"
#include "zp/http/context.h"
#include "zp/http/middleware.h"

namespace zp::http {

/// A route handler. It may run on every shard at once: keep mutable state per shard.
using Handler = std::function<Task<void>(Context&)>;

/// A ":name" segment's value in a matched route.
struct RouteParam {
  std::string_view name;  ///< the parameter's name
  std::string_view value;  ///< its decoded value
};

/// Routes, static mounts and middlewares (see the file comment).
class Router {
 public:
  static constexpr size_t kMaxParams = 8;  ///< ":name" segments a pattern may have

  /// Adds a handler for `method` (any token, case-sensitive) on `pattern`. A bad pattern (not
  /// starting with '/', '*' not last, an empty ":" name, more than kMaxParams parameters) or
  /// a duplicate method+pattern is recorded in error() and makes start() fail.
  Router& route(std::string_view method, std::string_view pattern, Handler h);
  Router& get(std::string_view p, Handler h) { return route("GET", p, std::move(h)); }  ///< route("GET", p, h)
  Router& post(std::string_view p, Handler h) { return route("POST", p, std::move(h)); }  ///< route("POST", p, h)
  Router& put(std::string_view p, Handler h) { return route("PUT", p, std::move(h)); }  ///< route("PUT", p, h)
  Router& del(std::string_view p, Handler h) { return route("DELETE", p, std::move(h)); }  ///< route("DELETE", p, h)
  Router& patch(std::string_view p, Handler h) { return route("PATCH", p, std::move(h)); }  ///< route("PATCH", p, h)
  /// Serves files for GET/HEAD/OPTIONS below `prefix` (ending in '/'): the file at the same
  /// path below ServerOptions::root ("/assets/app.js" → `<root>/assets/app.js`).
  Router& static_files(std::string_view prefix = "/");
  /// Appends a middleware (runs after the ones ServerOptions selects, in the order added).
  Router& use(MiddlewareFactory m);

  /// "" when every route was accepted, else the first problem.
  const std::string& error() const { return error_; }
  std::span<const MiddlewareFactory> middlewares() const { return middlewares_; }  ///< the middlewares added with use()
  /// True when the router is only a static mount at "/" (the server's fast path).
  bool static_only() const;

  /// What match() found.
  struct Match {
    /// What matched, and how the server answers.
    enum Kind { not_found /**< 404 */, method_not_allowed /**< 405 with Allow */, options /**< 204 with Allow */, route /**< a handler */, static_files /**< a static mount */ } kind = not_found; /**< what matched */
    const Handler* handler = nullptr;  ///< kind == route
    std::string_view mount;            ///< kind == static_files: the prefix (without its '/')
    std::string allow;                 ///< method_not_allowed / options: "GET, HEAD, ..."
    RouteParam params[kMaxParams];  ///< the route's parameters
    size_t param_count = 0;  ///< how many of them
    std::string_view rest;             ///< what '*' matched
  };
  /// Matches a decoded path ("/users/7"); views in the result point into `path` and the router.
  void match(std::string_view method, std::string_view path, Match& out) const;

 private:
  struct Segment {
    std::string text;  // a literal, or the parameter's name
    bool param = false;
  };
  struct Pattern {
    std::string text;
    std::vector<Segment> segments;
    bool wildcard = false;
    size_t literals = 0;
    bool is_static = false;
    std::string mount;
    std::vector<std::pair<std::string, Handler>> methods;
  };
  Pattern* pattern_for(std::string_view text);
  static bool matches(const Pattern& p, std::string_view path, Match* out);
  std::string allow_of(const Pattern& p) const;

  std::vector<Pattern> patterns_;
  std::vector<MiddlewareFactory> middlewares_;
  std::string error_;
};

}  // namespace zp::http
