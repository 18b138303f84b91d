// The HTTPS default: a self-signed certificate made in the state directory at first start
// when a TLS listener names none.
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "zp/http/service.h"
#include "zp/engine/log.h"
#include "zp/engine/tls.h"

namespace zp::http {

std::string ensure_self_signed(std::vector<TlsListen>& listeners, const std::string& state_dir) {
  bool needed = false;
  for (const auto& l : listeners) needed |= l.tls.certs.empty();
  if (!needed) return {};
  const std::string dir = state_dir + "/tls";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fmt::format("state directory {}: {}", dir, ec.message());
  ::chmod(dir.c_str(), 0700);
  const std::string cert = dir + "/self-signed.pem", key = dir + "/self-signed.key";
  if (::access(cert.c_str(), R_OK) != 0 || ::access(key.c_str(), R_OK) != 0) {
    char host[256] = {};
    std::vector<std::string> names = {"localhost"};
    if (::gethostname(host, sizeof host - 1) == 0 && host[0] && std::strcmp(host, "localhost") != 0)
      names.emplace_back(host);
    if (auto r = tls::make_self_signed(cert, key, names, 825); !r)
      return fmt::format("cannot create a self-signed certificate in {}: {}", dir, r.error().message());
    ZP_LOG_WARN("https: no certificate configured: created a self-signed one for {} in {} "
                "(clients will not trust it; configure \"cert\" and \"key\" for production)",
                fmt::join(names, ", "), cert);
  } else {
    ZP_LOG_INFO("https: no certificate configured: using the self-signed one in {}", cert);
  }
  for (auto& l : listeners)
    if (l.tls.certs.empty()) l.tls.certs.push_back({cert, key});
  return {};
}

}  // namespace zp::http
