// What the TLS files share: the wolfSSL contexts of a ServerContext/ClientContext and the
// pool of plaintext blocks that decrypted records are handed out in (RecvBuf leases).
#pragma once

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "zp/engine/tls.h"

namespace zp::tls {

// One TLS record's plaintext at most.
inline constexpr size_t kPlainBlockBytes = 16384;

struct PlainBlock;

// Plaintext blocks of one context (one shard: no locks). Counted: it lives until the context
// and every block handed out are gone, so a RecvBuf may outlive its connection.
struct PlainPool {
  uint32_t refs = 1;  // the context + blocks out
  size_t max_free = 64;
  std::vector<PlainBlock*> free_list;
  PlainBlock* take();
  void give(PlainBlock* b);
  void unref();
};

struct PlainBlock final : BufferOwner {
  PlainPool* pool = nullptr;
  std::byte* data() { return reinterpret_cast<std::byte*>(this + 1); }
  void buffer_release(uint32_t) override { pool->give(this); }
  static PlainBlock* make(PlainPool* p) {
    void* mem = ::operator new(sizeof(PlainBlock) + kPlainBlockBytes, std::nothrow);
    if (!mem) return nullptr;
    auto* b = new (mem) PlainBlock();
    b->pool = p;
    return b;
  }
  static void destroy(PlainBlock* b) {
    b->~PlainBlock();
    ::operator delete(b);
  }
};

struct ContextImpl {
  bool server = false;
  ServerConfig scfg;
  ClientConfig ccfg;
  struct Entry {
    WOLFSSL_CTX* ctx = nullptr;
    std::vector<std::string> names;  // SNI names this certificate serves
    void* tickets = nullptr;         // the ticket callback's state (tickets.cpp)
  };
  std::vector<Entry> entries;  // server: one per certificate; client: one
  std::string alpn_list;       // "h2,http/1.1" as wolfSSL wants it
  PlainPool* pool = nullptr;
  size_t max_out() const { return server ? scfg.max_queued_output_bytes : ccfg.max_queued_output_bytes; }
  int64_t timeout_ms() const { return server ? scfg.handshake_timeout_ms : ccfg.handshake_timeout_ms; }
  // The context for an SNI name (the first certificate when none matches).
  WOLFSSL_CTX* pick(std::string_view sni) const;
  ~ContextImpl();
};

// wolfSSL_Init's first call is not thread-safe (shards create their contexts at once): this
// runs it once per process (a magic static) and never undoes it (wolfSSL_Cleanup would pull
// the library from under live connections). False if it failed.
bool init_once();

// Session tickets on ctx with the process's rotating keys; the state to free_tickets().
void* enable_tickets(WOLFSSL_CTX* ctx, uint32_t lifetime_s);
void free_tickets(void* state);

// "*.example.org" matches one label ("a.example.org", not "a.b.example.org"); case-insensitive.
bool name_matches(std::string_view pattern, std::string_view host);

}  // namespace zp::tls
