#include "zp/service/service.h"

#include <fmt/format.h>

#include <exception>

#include "zp/engine/net.h"

namespace zp::service {

std::string join_addresses(const std::vector<std::string>& addrs) {
  std::string out;
  for (const auto& a : addrs) out += (out.empty() ? "" : ", ") + a;
  return out;
}

std::string check_socket_addrs(std::string_view flag, const std::vector<std::string>& addrs) {
  for (const auto& a : addrs) {
    if (!SocketAddr::parse(a)) return fmt::format("{} {}: not HOST:PORT", flag, a);
  }
  return {};
}

SectionResult parse_section(const Definition& def, std::string_view json, std::string_view source) {
  try {
    ConfigReader r(json, source);
    SectionResult out;
    const bool ok = r.root([&](const Node& f, std::string_view key) {
      if (key != def.name) return r.unknown_key(f, "", {def.name});
      out.service = def.parse(r, f);
      return out.service != nullptr;
    });
    if (!ok) return {nullptr, r.error()};
    if (!out.service) return {nullptr, fmt::format("{}: no \"{}\" section", source, def.name)};
    return out;
  } catch (const std::exception& e) {  // allocation failure in a container or fmt
    return {nullptr, fmt::format("{}: {}", source, e.what())};
  }
}

SectionResult parse_default_section(const Definition& def) {
  return parse_section(def, fmt::format("{{\"{}\": {}}}", def.name, def.default_config), "<default config>");
}

}  // namespace zp::service
