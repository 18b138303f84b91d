/// \file
/// A service as `zproto serve` runs it: its config section, its `serve <name>` flags, its
/// part of the embedded default config, its start on every shard and its metrics. Each
/// service defines one Definition in its own folder; the CLI and the config loader only
/// iterate the registry (see docs/architecture.md, "Adding a protocol").
/// \code
///   const zp::service::Definition& zp::echo::service_definition();
/// \endcode
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "zp/engine/shard.h"
#include "zp/result.h"
#include "zp/service/config_reader.h"

namespace CLI {
class App;
}

namespace zp::service {

/// What is known once the config and the flags are read, before anything starts.
struct Environment {
  unsigned shards = 1;    ///< shards that will run (never 0)
  std::string state_dir;  ///< for generated state (a self-signed certificate)
};

/// One configured service.
class Service {
 public:
  virtual ~Service() = default;
  /// Before logging starts: read what must exist (zone files). An error here is a
  /// configuration error: the text is printed and zproto exits with 2. "" when fine.
  virtual std::string load(const Environment&) { return {}; }
  /// After logging starts, before the shards: make generated state (certificates). An error
  /// is logged and zproto exits with 1. "" when fine.
  virtual std::string prepare(const Environment&) { return {}; }
  /// For the start-up log line: "http on 127.0.0.1:8080 from docs".
  virtual std::string summary() const = 0;
  /// On every shard's own thread, from Runtime::run's setup.
  virtual Result<void> start(Shard& shard) = 0;
  /// The admin listener (GET /metrics) this service asks for, "" none; one listener per
  /// distinct address serves the counters of every running service.
  virtual std::string admin_listen() const { return {}; }
  /// Its counters in the Prometheus text format (valid after load()); empty: none.
  virtual std::function<std::string()> metrics() const { return {}; }
};

/// The flags of `zproto serve <name>`, bound to a CLI subcommand.
class Flags {
 public:
  virtual ~Flags() = default;
  /// Applies the flags given to the service from the config (`svc` is null when the config
  /// has no section for it: then the flags and the defaults describe it). An error text, or "".
  virtual std::string apply(std::unique_ptr<Service>& svc) = 0;
};

/// One service's entry in the registry (one zp_add_service line).
struct Definition {
  std::string_view name;            ///< the config key and the `serve` verb
  std::string_view help;            ///< of `zproto serve <name>`
  std::string_view default_config;  ///< its JSON value in the embedded default config; "": absent
  /// Reads the section (`"<name>": {...}`); null with r.error() set on failure.
  std::unique_ptr<Service> (*parse)(ConfigReader& r, const Node& section);
  /// Declares the flags on `zproto serve <name>`'s subcommand.
  std::unique_ptr<Flags> (*add_flags)(CLI::App& command);
};

/// \name Helpers every Definition uses
/// @{
/// "a, b, c": listen addresses in summary().
std::string join_addresses(const std::vector<std::string>& addrs);
/// Checks `zproto serve` flag values that must be numeric "HOST:PORT" / "[V6]:PORT" (what
/// SocketAddr::parse, and so bind, accepts): "" when all are, else "--flag VALUE: not HOST:PORT".
std::string check_socket_addrs(std::string_view flag, const std::vector<std::string>& addrs);
/// Service::metrics() for counters that render themselves (m->render()); empty without m.
template <class M>
std::function<std::string()> renderer(std::shared_ptr<M> m) {
  if (!m) return {};
  return [m = std::move(m)] { return m->render(); };
}
/// Definition::add_flags for a Flags subclass constructed from the command.
template <class F>
std::unique_ptr<Flags> make_flags(CLI::App& command) {
  return std::make_unique<F>(command);
}
/// @}

/// What parsing a service's section gave.
struct [[nodiscard]] SectionResult {
  std::unique_ptr<Service> service;  ///< set on success
  std::string error;                 ///< "<source>:<line>:<column>: <what>" otherwise
  explicit operator bool() const { return service != nullptr; }  ///< true on success
  /// The service as its own type (tests), or null.
  template <class T>
  T* as() const { return dynamic_cast<T*>(service.get()); }
};

/// Parses a document that holds only this service's section, {"<name>": {...}} (tests, and
/// embedders that read one section without the rest of zproto's config). Never throws.
SectionResult parse_section(const Definition& def, std::string_view json, std::string_view source = "<config>");
/// The service's own default section (Definition::default_config) parsed.
SectionResult parse_default_section(const Definition& def);

}  // namespace zp::service
