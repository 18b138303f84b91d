// Session tickets with per-process rotating keys: one random master secret per process
// (made at first use, never changed), a ticket key per time epoch derived from it
// (HMAC-SHA256), ChaCha20-Poly1305 for the ticket. Every shard derives the same keys, so a
// ticket from one shard resumes on another, and a reload keeps tickets valid; no key is
// shared mutable state. A ticket of the previous epoch is accepted and replaced.
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/chacha20_poly1305.h>
#include <wolfssl/wolfcrypt/hmac.h>
#include <wolfssl/wolfcrypt/random.h>

#include <array>
#include <cstring>
#include <ctime>

#include "internal.h"

namespace zp::tls {

namespace {

constexpr unsigned char kMagic[4] = {'z', 'p', 't', '1'};

struct Master {
  std::array<unsigned char, 32> secret{};
  std::array<unsigned char, 4> id{};  // tells our tickets from another process's
  bool ok = false;
};

const Master& master() {
  static const Master m = [] {
    Master x;
    WC_RNG rng;
    if (wc_InitRng(&rng) != 0) return x;
    x.ok = wc_RNG_GenerateBlock(&rng, x.secret.data(), word32(x.secret.size())) == 0 &&
           wc_RNG_GenerateBlock(&rng, x.id.data(), word32(x.id.size())) == 0;
    wc_FreeRng(&rng);
    return x;
  }();
  return m;
}

bool derive(uint64_t epoch, unsigned char out[32]) {
  const Master& m = master();
  if (!m.ok) return false;
  Hmac h;
  unsigned char e[8];
  for (int i = 0; i < 8; ++i) e[i] = static_cast<unsigned char>(epoch >> (56 - 8 * i));
  bool ok = wc_HmacInit(&h, nullptr, INVALID_DEVID) == 0 && wc_HmacSetKey(&h, WC_SHA256, m.secret.data(), 32) == 0 &&
            wc_HmacUpdate(&h, reinterpret_cast<const byte*>("zproto ticket key"), 17) == 0 &&
            wc_HmacUpdate(&h, e, 8) == 0 && wc_HmacFinal(&h, out) == 0;
  wc_HmacFree(&h);
  return ok;
}

struct TicketState {
  WC_RNG rng;
  bool rng_ok = false;
  uint32_t lifetime_s = 3600;
  // The last derived key (one context = one shard: no lock).
  uint64_t cached_epoch = ~uint64_t(0);
  unsigned char cached_key[32] = {};
  bool key_for(uint64_t epoch, unsigned char out[32]) {
    if (epoch != cached_epoch) {
      if (!derive(epoch, cached_key)) return false;
      cached_epoch = epoch;
    }
    std::memcpy(out, cached_key, 32);
    return true;
  }
};

void aad_of(const unsigned char name[WOLFSSL_TICKET_NAME_SZ], const unsigned char iv[WOLFSSL_TICKET_IV_SZ], int len,
            unsigned char out[WOLFSSL_TICKET_NAME_SZ + WOLFSSL_TICKET_IV_SZ + 2]) {
  std::memcpy(out, name, WOLFSSL_TICKET_NAME_SZ);
  std::memcpy(out + WOLFSSL_TICKET_NAME_SZ, iv, WOLFSSL_TICKET_IV_SZ);
  out[WOLFSSL_TICKET_NAME_SZ + WOLFSSL_TICKET_IV_SZ] = static_cast<unsigned char>(len >> 8);
  out[WOLFSSL_TICKET_NAME_SZ + WOLFSSL_TICKET_IV_SZ + 1] = static_cast<unsigned char>(len);
}

int ticket_cb(WOLFSSL*, unsigned char name[WOLFSSL_TICKET_NAME_SZ], unsigned char iv[WOLFSSL_TICKET_IV_SZ],
              unsigned char mac[WOLFSSL_TICKET_MAC_SZ], int enc, unsigned char* ticket, int in_len, int* out_len,
              void* arg) {
  auto* st = static_cast<TicketState*>(arg);
  if (!st || in_len < 0 || in_len > 0xffff) return WOLFSSL_TICKET_RET_FATAL;
  const uint64_t now_epoch = uint64_t(std::time(nullptr)) / st->lifetime_s;
  unsigned char key[32];
  unsigned char aad[WOLFSSL_TICKET_NAME_SZ + WOLFSSL_TICKET_IV_SZ + 2];
  if (enc) {
    if (!st->rng_ok || !st->key_for(now_epoch, key)) return WOLFSSL_TICKET_RET_FATAL;
    std::memset(name, 0, WOLFSSL_TICKET_NAME_SZ);
    std::memcpy(name, kMagic, 4);
    std::memcpy(name + 4, master().id.data(), 4);
    for (int i = 0; i < 8; ++i) name[8 + i] = static_cast<unsigned char>(now_epoch >> (56 - 8 * i));
    std::memset(iv, 0, WOLFSSL_TICKET_IV_SZ);
    if (wc_RNG_GenerateBlock(&st->rng, iv, CHACHA20_POLY1305_AEAD_IV_SIZE) != 0) return WOLFSSL_TICKET_RET_FATAL;
    std::memset(mac, 0, WOLFSSL_TICKET_MAC_SZ);
    aad_of(name, iv, in_len, aad);
    if (wc_ChaCha20Poly1305_Encrypt(key, iv, aad, sizeof aad, ticket, word32(in_len), ticket, mac) != 0)
      return WOLFSSL_TICKET_RET_FATAL;
    *out_len = in_len;
    return WOLFSSL_TICKET_RET_OK;
  }
  // Decrypt: ours, from this or the previous epoch, and authentic; else a full handshake.
  if (std::memcmp(name, kMagic, 4) != 0 || std::memcmp(name + 4, master().id.data(), 4) != 0)
    return WOLFSSL_TICKET_RET_REJECT;
  uint64_t epoch = 0;
  for (int i = 0; i < 8; ++i) epoch = (epoch << 8) | name[8 + i];
  if (epoch != now_epoch && epoch + 1 != now_epoch) return WOLFSSL_TICKET_RET_REJECT;
  if (!st->key_for(epoch, key)) return WOLFSSL_TICKET_RET_REJECT;
  aad_of(name, iv, in_len, aad);
  if (wc_ChaCha20Poly1305_Decrypt(key, iv, aad, sizeof aad, ticket, word32(in_len), mac, ticket) != 0)
    return WOLFSSL_TICKET_RET_REJECT;
  *out_len = in_len;
  return epoch == now_epoch ? WOLFSSL_TICKET_RET_OK : WOLFSSL_TICKET_RET_CREATE;
}

}  // namespace

void* enable_tickets(WOLFSSL_CTX* ctx, uint32_t lifetime_s) {
  auto* st = new TicketState();
  st->rng_ok = wc_InitRng(&st->rng) == 0;
  st->lifetime_s = lifetime_s ? lifetime_s : 3600;
  wolfSSL_CTX_set_TicketEncCb(ctx, &ticket_cb);
  wolfSSL_CTX_set_TicketEncCtx(ctx, st);
  // A ticket lives two epochs at most (issued early in one, accepted through the next).
  wolfSSL_CTX_set_TicketHint(ctx, int(st->lifetime_s));
  return st;
}

void free_tickets(void* p) {
  auto* st = static_cast<TicketState*>(p);
  if (!st) return;
  if (st->rng_ok) wc_FreeRng(&st->rng);
  delete st;
}

}  // namespace zp::tls
