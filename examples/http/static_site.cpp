// Example: serving a directory of static files.
// Shows: zp::http::start with ServerOptions::root (no Router: the static fast path), the
// index file for "/", MIME types by extension, Cache-Control, a conditional GET answered
// 304 from the ETag, a byte range (206), and the path rules: dotfiles and escapes from the
// root are not served. The site is a temporary directory made and removed by the program.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "../common/free_port.h"
#include "zp/engine/backend.h"
#include "zp/engine/shard.h"
#include "zp/http/client.h"
#include "zp/http/server.h"

namespace {

namespace fs = std::filesystem;
namespace http = zp::http;

void write_file(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// Prints one exchange: status, type, length and (for small text) the body.
void show(const char* what, const zp::Result<http::client::Response>& r) {
  if (!r) {
    std::printf("%-26s error %s\n", what, r.error().message().c_str());
    return;
  }
  std::printf("%-26s %d  %-24s %zu bytes\n", what, r->status, std::string(r->header("Content-Type")).c_str(),
              r->body.size());
}

zp::Task<void> browse(http::Client& client, std::string base) {
  auto index = co_await client.get(base + "/");
  show("GET /", index);
  if (index) std::printf("  Cache-Control: %s\n", std::string(index->header("Cache-Control")).c_str());

  auto css = co_await client.get(base + "/css/site.css");
  show("GET /css/site.css", css);
  if (css) {
    // The browser's revalidation: the ETag it kept, sent back as If-None-Match.
    http::client::Request again{.url = base + "/css/site.css"};
    again.headers.push_back({"If-None-Match", std::string(css->header("ETag"))});
    show("GET /css/site.css (etag)", co_await client.request(std::move(again)));
  }

  http::client::Request range{.url = base + "/notes.txt"};
  range.headers.push_back({"Range", "bytes=0-4"});
  auto part = co_await client.request(std::move(range));
  show("GET /notes.txt bytes 0-4", part);
  if (part) std::printf("  body: \"%s\"\n", part->body.c_str());

  show("GET /.secret", co_await client.get(base + "/.secret"));
  show("GET /%2e%2e/outside.txt", co_await client.get(base + "/%2e%2e/outside.txt"));
}

}  // namespace

int main() {
  char tmpl[] = "/tmp/zp-example-site-XXXXXX";
  if (!mkdtemp(tmpl)) return std::perror("mkdtemp"), 1;
  const fs::path dir = tmpl;
  const fs::path root = dir / "www";
  write_file(root / "index.html", "<!doctype html><title>zproto</title><link rel=stylesheet href=/css/site.css>\n");
  write_file(root / "css/site.css", "body { font-family: sans-serif; }\n");
  write_file(root / "notes.txt", "hello, static world\n");
  write_file(root / ".secret", "not for the web\n");
  write_file(dir / "outside.txt", "beside the root, not below it\n");

  int rc = 0;
  {
    auto backend = zp::make_backend(zp::BackendKind::automatic, {});
    if (!backend) return std::fprintf(stderr, "backend: %s\n", backend.error().message().c_str()), 1;
    zp::Shard shard(0, 1, std::move(*backend));
    http::ServerOptions so;
    so.root = root.string();
    so.cache_control = "max-age=60";
    auto port = example::start_on_free_port([&](std::string addr) {
      so.listen = {addr};
      return http::start(shard, so);
    });
    if (port) {
      http::Client client(shard);
      shard.block_on(browse(client, "http://127.0.0.1:" + std::to_string(*port)));
    } else {
      std::fprintf(stderr, "server: %s\n", port.error().message().c_str());
      rc = 1;
    }
    shard.request_stop(0);
    shard.run();
  }
  fs::remove_all(dir);
  if (rc == 0) std::printf("stopped cleanly, %s removed\n", dir.filename().c_str());
  return rc;
}
