// Router matching without sockets: exact paths, ":param" segments, "*" wildcards and their
// precedence, 404 / 405 with Allow, HEAD falling back to GET, OPTIONS, static mounts, and
// the patterns the router refuses.
#include <gtest/gtest.h>

#include <string>

#include "zp/http/router.h"

namespace zp::http {
namespace {

Task<void> noop(Context&) { co_return; }

using M = Router::Match;

struct Matched {
  M::Kind kind;
  const Handler* handler;
  std::string allow;
  std::string rest;
  std::string params;  // "name=value;..."
};

Matched run(const Router& r, std::string_view method, std::string_view path) {
  M m;
  r.match(method, path, m);
  Matched out{m.kind, m.handler, m.allow, std::string(m.rest), {}};
  for (size_t i = 0; i < m.param_count; ++i)
    out.params += std::string(m.params[i].name) + "=" + std::string(m.params[i].value) + ";";
  return out;
}

// A handler that says which one it is: route() stores a copy, found again through target().
struct Tag {
  int id;
  Task<void> operator()(Context&) const { co_return; }
};

int tag_of(const Router& r, std::string_view method, std::string_view path) {
  M m;
  r.match(method, path, m);
  if (m.kind != M::route) return -int(m.kind) - 1;
  const Tag* t = m.handler->target<Tag>();
  return t ? t->id : -100;
}

TEST(HttpRouter, ExactParamAndWildcardWithPrecedence) {
  Router r;
  r.get("/users/me", noop).get("/users/:id", noop).get("/users/:id/posts/:post", noop).get("/files/*", noop);
  r.get("/", noop);
  EXPECT_EQ(run(r, "GET", "/users/me").params, "");  // exact beats :id
  EXPECT_EQ(run(r, "GET", "/users/me").kind, M::route);
  EXPECT_EQ(run(r, "GET", "/users/42").params, "id=42;");
  EXPECT_EQ(run(r, "GET", "/users/42/posts/7").params, "id=42;post=7;");
  EXPECT_EQ(run(r, "GET", "/users/").kind, M::not_found);       // a parameter is never empty
  EXPECT_EQ(run(r, "GET", "/users/42/").kind, M::not_found);    // no trailing segment
  EXPECT_EQ(run(r, "GET", "/users").kind, M::not_found);
  EXPECT_EQ(run(r, "GET", "/files/a/b/c.txt").rest, "a/b/c.txt");
  EXPECT_EQ(run(r, "GET", "/files/").kind, M::route);
  EXPECT_EQ(run(r, "GET", "/files/").rest, "");
  EXPECT_EQ(run(r, "GET", "/files").kind, M::not_found);        // "/files/*" needs the '/'
  EXPECT_EQ(run(r, "GET", "/").kind, M::route);
  EXPECT_EQ(run(r, "GET", "/nope").kind, M::not_found);
}

TEST(HttpRouter, PrecedenceIsIndependentOfRegistrationOrder) {
  Router r;
  r.get("/*", Tag{1}).get("/a/*", Tag{2}).get("/a/:x", Tag{3}).get("/a/b", Tag{4});
  EXPECT_EQ(tag_of(r, "GET", "/a/b"), 4);
  EXPECT_EQ(tag_of(r, "GET", "/a/c"), 3);
  EXPECT_EQ(tag_of(r, "GET", "/a/c/d"), 2);  // the longer wildcard prefix wins
  EXPECT_EQ(tag_of(r, "GET", "/z"), 1);
  EXPECT_EQ(tag_of(r, "GET", "/"), 1);
}

TEST(HttpRouter, MethodNotAllowedListsTheMethodsOfThePath) {
  Router r;
  r.get("/items/:id", noop).put("/items/:id", noop).del("/items/:id", noop).post("/items", noop);
  auto m = run(r, "POST", "/items/3");
  EXPECT_EQ(m.kind, M::method_not_allowed);
  EXPECT_EQ(m.allow, "GET, HEAD, PUT, DELETE, OPTIONS");
  m = run(r, "GET", "/items");
  EXPECT_EQ(m.kind, M::method_not_allowed);
  EXPECT_EQ(m.allow, "POST, OPTIONS");
  m = run(r, "OPTIONS", "/items/3");
  EXPECT_EQ(m.kind, M::options);
  EXPECT_EQ(m.allow, "GET, HEAD, PUT, DELETE, OPTIONS");
  // Methods are case-sensitive tokens: "get" is not GET.
  EXPECT_EQ(run(r, "get", "/items/3").kind, M::method_not_allowed);
  EXPECT_EQ(run(r, "GET", "/other").kind, M::not_found);
}

TEST(HttpRouter, AllowIsTheUnionOverMatchingPatterns) {
  Router r;
  r.get("/users/me", noop).del("/users/:id", noop);
  // DELETE /users/me: the exact pattern lacks DELETE, the parameter one has it.
  EXPECT_EQ(run(r, "DELETE", "/users/me").kind, M::route);
  auto m = run(r, "PUT", "/users/me");
  EXPECT_EQ(m.kind, M::method_not_allowed);
  EXPECT_EQ(m.allow, "GET, HEAD, DELETE, OPTIONS");
}

TEST(HttpRouter, HeadFallsBackToGetUnlessItHasItsOwn) {
  Router r;
  r.get("/a", Tag{1}).get("/b", Tag{2}).route("HEAD", "/b", Tag{3});
  EXPECT_EQ(tag_of(r, "HEAD", "/a"), 1);
  EXPECT_EQ(tag_of(r, "HEAD", "/b"), 3);
  EXPECT_EQ(tag_of(r, "GET", "/b"), 2);
  EXPECT_EQ(run(r, "POST", "/b").allow, "GET, HEAD, OPTIONS");
  EXPECT_EQ(run(r, "POST", "/a").allow, "GET, HEAD, OPTIONS");
}

TEST(HttpRouter, StaticMountsAndTheFastPathFlag) {
  Router only;
  only.static_files("/");
  EXPECT_TRUE(only.static_only());
  EXPECT_EQ(run(only, "GET", "/any/file.txt").kind, M::static_files);
  EXPECT_EQ(run(only, "HEAD", "/").kind, M::static_files);
  EXPECT_EQ(run(only, "OPTIONS", "/x").kind, M::static_files);
  auto m = run(only, "POST", "/x");
  EXPECT_EQ(m.kind, M::method_not_allowed);
  EXPECT_EQ(m.allow, "GET, HEAD, OPTIONS");

  Router mixed;
  mixed.get("/api/:v", noop).static_files("/assets/").static_files("/");
  EXPECT_FALSE(mixed.static_only());
  EXPECT_EQ(run(mixed, "GET", "/api/1").kind, M::route);
  M mm;
  mixed.match("GET", "/assets/app.js", mm);
  EXPECT_EQ(mm.kind, M::static_files);
  EXPECT_EQ(mm.mount, "/assets");
  EXPECT_EQ(mm.rest, "app.js");
  mixed.match("GET", "/index.html", mm);
  EXPECT_EQ(mm.kind, M::static_files);
  EXPECT_EQ(mm.mount, "");
  // A parameter route beats the static wildcard; another method on it falls to the mount.
  EXPECT_EQ(run(mixed, "HEAD", "/api/1").kind, M::route);
  EXPECT_EQ(run(mixed, "OPTIONS", "/api/1").kind, M::static_files);
}

TEST(HttpRouter, BadPatternsAreRecorded) {
  auto err = [](auto&& add) {
    Router r;
    add(r);
    return r.error();
  };
  EXPECT_EQ(err([](Router& r) { r.get("/ok/:id/*", noop); }), "");
  EXPECT_NE(err([](Router& r) { r.get("nope", noop); }), "");
  EXPECT_NE(err([](Router& r) { r.get("/a/*/b", noop); }), "");
  EXPECT_NE(err([](Router& r) { r.get("/a*", noop); }), "");
  EXPECT_NE(err([](Router& r) { r.get("/a/:", noop); }), "");
  EXPECT_NE(err([](Router& r) { r.get("/a", noop).get("/a", noop); }), "");
  EXPECT_NE(err([](Router& r) { r.route("BAD METHOD", "/a", noop); }), "");
  EXPECT_NE(err([](Router& r) { r.static_files("/assets"); }), "");
  EXPECT_NE(err([](Router& r) { r.get("/:a/:b/:c/:d/:e/:f/:g/:h/:i", noop); }), "");
}

}  // namespace
}  // namespace zp::http
