// A self-signed ECDSA P-256 certificate with wolfSSL certgen: the HTTPS server's default
// when no certificate is configured (written once into the state directory).
#include <fcntl.h>
#include <unistd.h>
#include "internal.h"  // wolfssl/options.h first

#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/random.h>

#include <cstring>
#include <memory>
#include <string>

#include "zp/engine/log.h"

namespace zp::tls {

namespace {

// DER length octets.
void put_len(std::string& out, size_t n) {
  if (n < 128) {
    out += char(n);
  } else if (n < 256) {
    out += char(0x81);
    out += char(n);
  } else {
    out += char(0x82);
    out += char(n >> 8);
    out += char(n & 0xff);
  }
}

// subjectAltName's GeneralNames: SEQUENCE OF [2] dNSName.
std::string alt_names_der(const std::vector<std::string>& names) {
  std::string body;
  for (const auto& n : names) {
    body += char(0x82);
    put_len(body, n.size());
    body += n;
  }
  std::string out(1, char(0x30));
  put_len(out, body.size());
  return out + body;
}

Result<void> write_private(const std::string& path, const unsigned char* data, size_t len, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return fail(errno);
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::write(fd, data + done, len - done);
    if (n < 0) {
      int e = errno;
      ::close(fd);
      return fail(e);
    }
    done += size_t(n);
  }
  if (::fsync(fd) < 0 || ::close(fd) < 0) return fail(errno);
  return {};
}

}  // namespace

Result<void> make_self_signed(const std::string& cert_file, const std::string& key_file,
                              const std::vector<std::string>& names, int days) {
  if (names.empty() || days <= 0) return fail(EINVAL);
  if (!init_once()) return fail(EIO);
  for (const auto& n : names)
    if (n.empty() || n.size() > 253) return fail(EINVAL);
  WC_RNG rng;
  if (wc_InitRng(&rng) != 0) return fail(EIO);
  ecc_key key;
  wc_ecc_init(&key);
  auto cleanup = [&] {
    wc_ecc_free(&key);
    wc_FreeRng(&rng);
  };
  if (wc_ecc_make_key_ex(&rng, 32, &key, ECC_SECP256R1) != 0) {
    cleanup();
    return fail(EIO);
  }
  auto cert = std::make_unique<Cert>();  // large (room for 16 KiB of names): not on the stack
  wc_InitCert(cert.get());
  std::strncpy(cert->subject.commonName, names[0].c_str(), CTC_NAME_SIZE - 1);
  std::strncpy(cert->subject.org, "zproto self-signed", CTC_NAME_SIZE - 1);
  cert->daysValid = days;
  cert->selfSigned = 1;
  cert->isCA = 0;
  cert->sigType = CTC_SHA256wECDSA;
  std::string san = alt_names_der(names);
  if (san.size() > sizeof cert->altNames) {
    cleanup();
    return fail(EINVAL);
  }
  std::memcpy(cert->altNames, san.data(), san.size());
  cert->altNamesSz = int(san.size());
  std::vector<unsigned char> der(8192);
  int n = wc_MakeCert_ex(cert.get(), der.data(), word32(der.size()), ECC_TYPE, &key, &rng);
  if (n > 0) n = wc_SignCert_ex(cert->bodySz, cert->sigType, der.data(), word32(der.size()), ECC_TYPE, &key, &rng);
  std::vector<unsigned char> pem(16384);
  int pem_len = n > 0 ? wc_DerToPem(der.data(), word32(n), pem.data(), word32(pem.size()), CERT_TYPE) : -1;
  std::vector<unsigned char> kder(512);
  int kn = wc_EccKeyToDer(&key, kder.data(), word32(kder.size()));
  std::vector<unsigned char> kpem(2048);
  int kpem_len = kn > 0 ? wc_DerToPem(kder.data(), word32(kn), kpem.data(), word32(kpem.size()), ECC_PRIVATEKEY_TYPE) : -1;
  cleanup();
  if (pem_len <= 0 || kpem_len <= 0) {
    ZP_LOG_ERROR("tls: certificate generation failed (wolfSSL {} / {})", n, kn);
    return fail(EIO);
  }
  if (auto r = write_private(key_file, kpem.data(), size_t(kpem_len), 0600); !r) return r;
  return write_private(cert_file, pem.data(), size_t(pem_len), 0644);
}

}  // namespace zp::tls
