/// \file
/// The TLS server object of a config section, shared by the services that listen with TLS
/// (HTTP's "tls", MQTT's "tls"): cert, key, certs, client_ca, versions, ciphers, ALPN, ...
/// \code
///   if (key == "tls") return zp::service::parse_tls_server(r, f, o.tls, nullptr);
/// \endcode
#pragma once

#include <string>
#include <vector>

#include "zp/engine/tls.h"
#include "zp/service/config_reader.h"

namespace zp::service {

/// Reads a TLS server object into `cfg` ("cert"/"key" go first in cfg.certs). With `listen`
/// non-null it also takes a "listen" key (addresses appended there); without, that key is
/// unknown. Checks that cert and key go together and the versions are in order.
bool parse_tls_server(ConfigReader& r, const Node& n, tls::ServerConfig& cfg, std::vector<std::string>* listen);

}  // namespace zp::service
