// The top level of zproto's config: process settings here, one section per registered
// service, each parsed by that service's own Definition (services/<name>/).
#include "config.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "registry.h"
#include "zp/service/config_reader.h"

namespace zp::cli {
namespace {

using service::ConfigReader;
using service::Node;

std::string known_keys() {
  std::string out = "shards, backend, log_level, log_file, user, group, state_dir";
  for (const service::Definition* d : registered_services()) out += fmt::format(", {}", d->name);
  return out;
}

bool parse_root(ConfigReader& r, Config& cfg) {
  cfg.services.resize(registered_services().size());
  return r.root([&](const Node& f, std::string_view key) {
    if (key == "shards") return r.count(f, cfg.shards, kMaxShards);
    if (key == "backend") {
      std::string s;
      if (!r.string(f, s)) return false;
      auto kind = parse_backend(s);
      if (!kind) return r.invalid(f, fmt::format("\"{}\" is not one of auto, io_uring, epoll", s));
      cfg.backend = *kind;
      return true;
    }
    if (key == "log_level") {
      std::string s;
      if (!r.string(f, s)) return false;
      auto level = log::parse_level(s);
      if (!level) return r.invalid(f, fmt::format("\"{}\" is not one of trace, debug, info, warn, error, off", s));
      cfg.log_level = *level;
      return true;
    }
    if (key == "log_file") return r.string(f, cfg.log_file);
    if (key == "user") return r.string(f, cfg.user);
    if (key == "group") return r.string(f, cfg.group);
    if (key == "state_dir") return r.string(f, cfg.state_dir);
    if (const size_t i = Config::service_index(key); i < cfg.services.size()) {
      cfg.services[i] = registered_services()[i]->parse(r, f);
      return cfg.services[i] != nullptr;
    }
    return r.fail(f.at, fmt::format("unknown key \"{}\" (known keys: {})", f.path, known_keys()));
  });
}

}  // namespace

size_t Config::service_index(std::string_view name) {
  const auto defs = registered_services();
  for (size_t i = 0; i < defs.size(); ++i) {
    if (defs[i]->name == name) return i;
  }
  return defs.size();
}

std::string default_config() {
  std::string out = "{\n  \"backend\": \"auto\",\n  \"log_level\": \"info\"";
  for (const service::Definition* d : registered_services()) {
    if (!d->default_config.empty()) out += fmt::format(",\n  \"{}\": {}", d->name, d->default_config);
  }
  return out + "\n}\n";
}

std::optional<BackendKind> parse_backend(std::string_view name) noexcept {
  if (name == "auto") return BackendKind::automatic;
  if (name == "io_uring") return BackendKind::io_uring;
  if (name == "epoll") return BackendKind::epoll;
  return std::nullopt;
}

std::string_view backend_name(BackendKind kind) noexcept {
  switch (kind) {
    case BackendKind::automatic: return "auto";
    case BackendKind::io_uring: return "io_uring";
    case BackendKind::epoll: return "epoll";
  }
  return "?";
}

ConfigResult parse_config(std::string_view json, std::string_view source) {
  try {
    ConfigReader reader(json, source);
    Config cfg;
    if (!parse_root(reader, cfg)) return {std::nullopt, reader.error()};
    return {std::move(cfg), {}};
  } catch (const std::exception& e) {  // allocation failure in a container or fmt
    return {std::nullopt, fmt::format("{}: {}", source, e.what())};
  }
}

ConfigResult load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {std::nullopt, fmt::format("{}: {}", path, std::strerror(errno))};
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return {std::nullopt, fmt::format("{}: read error", path)};
  return parse_config(text.str(), path);
}

}  // namespace zp::cli
