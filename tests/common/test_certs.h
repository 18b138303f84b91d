// A test PKI generated at test time (tests/common/make_test_certs.sh, openssl): a CA, valid,
// expired, wrong-name, self-signed, chained and untrusted-chain certificates, a client one.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace zp::test {

// Creates the certificates in a fresh temporary folder; its path, or "" on failure.
inline std::string make_test_certs() {
  std::string dir = (std::filesystem::temp_directory_path() / ("zp_certs_" + std::to_string(::getpid()) + "_" +
                                                                std::to_string(std::rand())))
                        .string();
  std::string cmd = std::string("'") + ZP_MAKE_CERTS + "' '" + dir + "'";
  if (std::system(cmd.c_str()) != 0) return {};
  return dir;
}

}  // namespace zp::test
