// The zproto server configuration: a JSON file parsed into Config.
//   auto r = zp::cli::load_config_file("/etc/zproto/zproto.json");
//   if (!r) { fmt::print(stderr, "{}\n", r.error); return 2; }
//   run(*r.config);
//
// Schema (every key optional; unknown keys are errors):
//   { "shards": 4,                       // 0 or absent: one per online core
//     "backend": "auto",                 // "auto" | "io_uring" | "epoll"
//     "log_level": "info",               // trace | debug | info | warn | error | off
//     "log_file": "/var/log/zproto.log", // absent or "": stderr
//     "user": "zproto", "group": "zproto",  // privilege drop when started as root
//     "state_dir": "/var/lib/zproto",    // generated state (the self-signed certificate);
//                                        // default /var/lib/zproto as root, else
//                                        // $XDG_STATE_HOME/zproto or ~/.local/state/zproto
//     "echo": {...}, "http": {...}, "dns": {...} }
// and one key per registered service, whose section its own folder defines
// (services/<name>/include/zp/<name>/service.h documents each). When several services name
// an admin_listen, one listener per distinct address serves all their counters.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "zp/engine/backend.h"
#include "zp/engine/log.h"
#include "zp/service/service.h"

namespace zp::cli {

inline constexpr unsigned kMaxShards = 1024;

struct Config {
  unsigned shards = 0;  // 0: one per online core
  BackendKind backend = BackendKind::automatic;
  log::Level log_level = log::Level::info;
  std::string log_file;  // empty: stderr
  std::string user;      // empty: keep the starting user
  std::string group;     // empty: the user's primary group
  std::string state_dir; // empty: default_state_dir()
  // One entry per registered service (registered_services() order); null: not configured.
  std::vector<std::unique_ptr<service::Service>> services;

  // The configured service of that name as its type (tests), or null.
  template <class T>
  T* service_as(std::string_view name) const {
    const size_t i = service_index(name);
    return i < services.size() ? dynamic_cast<T*>(services[i].get()) : nullptr;
  }
  // Its index in registered_services(), or size() when there is none of that name.
  static size_t service_index(std::string_view name);
};

// Used when no --config is given: every registered service's default section (the docs/
// folder over HTTP on 127.0.0.1:8080 and HTTPS on 127.0.0.1:8443 with a self-signed
// certificate made at first start, echo on 127.0.0.1:7007, the demo zone zproto.test.
// (docs/demo.zone) over DNS on 127.0.0.1:5353), everything else default.
std::string default_config();

struct [[nodiscard]] ConfigResult {
  std::optional<Config> config;  // set on success
  // On failure: "<source>:<line>:<column>: <what>", naming the offending key.
  std::string error;
  explicit operator bool() const { return config.has_value(); }
};

// Parses JSON text. `source` names the input in error messages (a path or "<default>").
// Never throws.
ConfigResult parse_config(std::string_view json, std::string_view source = "<config>");
// Reads and parses a file; a read error is reported as "<path>: <strerror>".
ConfigResult load_config_file(const std::string& path);

// "auto" | "io_uring" | "epoll"; std::nullopt otherwise.
std::optional<BackendKind> parse_backend(std::string_view name) noexcept;
std::string_view backend_name(BackendKind kind) noexcept;

// Where generated state goes: /var/lib/zproto for root, else $XDG_STATE_HOME/zproto or
// $HOME/.local/state/zproto (./.zproto-state without HOME).
std::string default_state_dir();

}  // namespace zp::cli
