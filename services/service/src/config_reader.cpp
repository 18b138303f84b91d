#include "zp/service/config_reader.h"

#include <fmt/format.h>

#include <charconv>

#include "zp/engine/net.h"

namespace zp::service {

namespace {

// Sockets are bound or sent to as given: a host name would only fail later, at start.
constexpr std::string_view kNumericHost = "the host must be an IP address (names are not resolved)";

std::string_view type_name(od::json_type t) {
  switch (t) {
    case od::json_type::array: return "array";
    case od::json_type::object: return "object";
    case od::json_type::number: return "number";
    case od::json_type::string: return "string";
    case od::json_type::boolean: return "boolean";
    case od::json_type::null: return "null";
  }
  return "value";
}

}  // namespace

std::string join_names(std::initializer_list<std::string_view> names) {
  std::string out;
  for (auto n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

ConfigReader::ConfigReader(std::string_view json, std::string_view source)
    : text_(json), padded_(json), source_(source) {}

std::string ConfigReader::where(const char* at) const {
  size_t offset = text_.size();
  if (at && at >= padded_.data() && at <= padded_.data() + text_.size()) {
    offset = size_t(at - padded_.data());
  }
  const std::string_view before = text_.substr(0, offset);
  const size_t line = 1 + size_t(std::count(before.begin(), before.end(), '\n'));
  const size_t nl = before.rfind('\n');
  const size_t column = nl == std::string_view::npos ? offset + 1 : offset - nl;
  return fmt::format("{}:{}:{}", source_, line, column);
}

const char* ConfigReader::text_start() const {
  const size_t i = text_.find_first_not_of(" \t\r\n");
  return padded_.data() + (i == std::string_view::npos ? text_.size() : i);
}

bool ConfigReader::at_end() {
  // At the end of input current_location() reports OUT_OF_BOUNDS; a position means more
  // tokens follow the object.
  auto loc = doc_.current_location();
  if (!loc.error()) return fail(loc.value_unsafe(), "invalid JSON: unexpected content after the top-level object");
  return true;
}

std::string ConfigReader::key_msg(const Node& n, std::string_view what) {
  return fmt::format("key \"{}\": {}", n.path, what);
}

bool ConfigReader::fail(const char* at, std::string_view what) {
  error_ = fmt::format("{}: {}", where(at), what);
  return false;
}

bool ConfigReader::fail_json(simdjson::error_code e) {
  const char* at = nullptr;
  if (doc_ok_) {
    auto loc = doc_.current_location();
    if (!loc.error()) at = loc.value_unsafe();
  }
  return fail(at, fmt::format("invalid JSON: {}", simdjson::error_message(e)));
}

bool ConfigReader::fail_type(const Node& n, std::string_view expected) {
  od::json_type t{};
  if (auto e = n.value.type().get(t)) return fail_json(e);
  return fail(n.at, fmt::format("key \"{}\": expected {}, got {}", n.path, expected, type_name(t)));
}

bool ConfigReader::unknown_key(const Node& field, std::string_view section,
                               std::initializer_list<std::string_view> known) {
  if (section.empty()) {
    return fail(field.at, fmt::format("unknown key \"{}\" (known keys: {})", field.path, join_names(known)));
  }
  return fail(field.at, fmt::format("unknown key \"{}\" (known keys in \"{}\": {})", field.path, section,
                                    join_names(known)));
}

bool ConfigReader::string(const Node& n, std::string& out) {
  std::string_view s;
  if (n.value.get_string().get(s)) return fail_type(n, "a string");
  out.assign(s);
  return true;
}

bool ConfigReader::boolean(const Node& n, bool& out) {
  if (n.value.get_bool().get(out)) return fail_type(n, "true or false");
  return true;
}

bool ConfigReader::count(const Node& n, uint64_t& out, uint64_t max) {
  uint64_t v = 0;
  if (n.value.get_uint64().get(v)) return fail_type(n, "a non-negative integer");
  if (v > max) return invalid(n, fmt::format("{} is out of range (0..{})", v, max));
  out = v;
  return true;
}

bool ConfigReader::positive(const Node& n, double& out, double max) {
  if (n.value.get_double().get(out)) return fail_type(n, "a number");
  if (!(out > 0) || out > max) return invalid(n, fmt::format("{} is out of range (0 < n <= {})", out, max));
  return true;
}

bool ConfigReader::field_value(const Node& n, std::string& out) {
  if (!string(n, out)) return false;
  for (char c : out) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return invalid(n, "control characters are not allowed");
  }
  return true;
}

bool ConfigReader::host_port(const Node& n, std::string& out) {
  if (!string(n, out)) return false;
  if (!is_host_port(out)) return invalid(n, fmt::format("\"{}\" is not HOST:PORT", out));
  if (!SocketAddr::parse(out)) return invalid(n, fmt::format("\"{}\": {}", out, kNumericHost));
  return true;
}

bool ConfigReader::host_ports(const Node& n, std::vector<std::string>& out) {
  return array(n, "an array of \"HOST:PORT\" strings", [&](const Node& elem) {
    std::string addr;
    if (!string(elem, addr)) return false;
    if (!is_host_port(addr)) {
      return invalid(elem, fmt::format("\"{}\" is not HOST:PORT (port 1..65535, IPv6 in brackets)", addr));
    }
    if (!SocketAddr::parse(addr)) return invalid(elem, fmt::format("\"{}\": {}", addr, kNumericHost));
    out.push_back(std::move(addr));
    return true;
  });
}

bool is_host_port(std::string_view addr) noexcept {
  std::string_view host, port;
  if (!addr.empty() && addr.front() == '[') {
    const size_t close = addr.find("]:");
    if (close == std::string_view::npos) return false;
    host = addr.substr(1, close - 1);
    port = addr.substr(close + 2);
  } else {
    const size_t colon = addr.rfind(':');
    if (colon == std::string_view::npos) return false;
    host = addr.substr(0, colon);
    port = addr.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return false;  // bare IPv6: needs brackets
  }
  if (host.empty() || port.empty() || port.size() > 5) return false;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  return ec == std::errc() && end == port.data() + port.size() && value >= 1 && value <= 65535;
}

}  // namespace zp::service
