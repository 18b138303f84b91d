/// \file
/// Reading zproto's JSON configuration with positions in every error: the shared part of
/// every service's config section (simdjson On-Demand, error codes, no exceptions).
/// \code
///   bool parse_section(ConfigReader& r, const Node& n, Options& o) {
///     return r.object(n, [&](const Node& f, std::string_view key) {
///       if (key == "listen") return r.host_ports(f, o.listen);
///       if (key == "idle_timeout_ms") return r.count(f, o.idle_timeout_ms, 86400000);
///       return r.unknown_key(f, n.path, {"listen", "idle_timeout_ms"});
///     });
///   }
/// \endcode
/// Errors read "<source>:<line>:<column>: key \"http.tls[1].cert\": ...". Positions come from
/// pointers into the padded copy of the input: a key's raw_json_string points just past its
/// opening quote, a value's raw_json_token() at its first byte, and the document's
/// current_location() at a parse error.
#pragma once

#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace zp::service {

namespace od = simdjson::ondemand;

/// One value in the config, where it starts, and its dotted path ("http.tls[1]").
struct Node {
  od::value& value;  ///< the value (simdjson on-demand: read it once)
  const char* at;  ///< where it starts in the text, for error positions
  std::string_view path;  ///< its dotted path
};

/// "a, b, c" (lists of known keys in error messages).
std::string join_names(std::initializer_list<std::string_view> names);

/// Reads a JSON config with positions and paths in every error ("source:line:col: what").
class ConfigReader {
 public:
  /// A reader over `json`; `source` names it in errors.
  ConfigReader(std::string_view json, std::string_view source);
  ConfigReader(const ConfigReader&) = delete;
  ConfigReader& operator=(const ConfigReader&) = delete;

  /// Parses the document, which must be one JSON object, calling fn(field, key) per key.
  template <class Fn>
  bool root(Fn&& fn) {
    if (auto e = parser_.iterate(padded_).get(doc_)) return fail_json(e);
    doc_ok_ = true;
    od::object obj;
    if (auto e = doc_.get_object().get(obj)) {
      if (e == simdjson::INCORRECT_TYPE) return fail(text_start(), "the config must be a JSON object");
      return fail_json(e);
    }
    if (!fields(obj, "", fn)) return false;
    return at_end();
  }

  /// An object's fields: fn(field, key) -> bool, with paths "<n.path>.<key>". Duplicate
  /// keys are errors. `expected` names the accepted shapes in a type error.
  template <class Fn>
  bool object(const Node& n, Fn&& fn, std::string_view expected = "an object") {
    od::object obj;
    if (n.value.get_object().get(obj)) return fail_type(n, expected);
    return fields(obj, std::string(n.path) + ".", fn);
  }

  /// An array's elements: fn(element) -> bool, with paths "<n.path>[i]".
  template <class Fn>
  bool array(const Node& n, std::string_view expected, Fn&& fn) {
    od::array arr;
    if (n.value.get_array().get(arr)) return fail_type(n, expected);
    size_t index = 0;
    for (auto elem_result : arr) {
      od::value elem;
      if (auto e = std::move(elem_result).get(elem)) return fail_json(e);
      const std::string path = std::string(n.path) + "[" + std::to_string(index++) + "]";
      if (!fn(Node{elem, elem.raw_json_token().data(), path})) return false;
    }
    return true;
  }

  /// [{...}, {...}]: each element an object; begin(element) -> bool runs first (to start a
  /// new item), then fn(field, key) per key of it, then end(element) -> bool (to check it).
  template <class Begin, class Fn, class End>
  bool array_of_objects(const Node& n, std::string_view expected, Begin&& begin, Fn&& fn, End&& end) {
    return array(n, expected, [&](const Node& elem) {
      return begin(elem) && object(elem, fn) && end(elem);
    });
  }

  bool string(const Node& n, std::string& out);  ///< a string; false (an error) for another type
  bool boolean(const Node& n, bool& out);  ///< a boolean; false (an error) for another type
  bool count(const Node& n, uint64_t& out, uint64_t max);  ///< an integer 0..max; false (an error) otherwise
  template <class T>
  bool count(const Node& n, T& out, uint64_t max) {  ///< the same into any integer type
    uint64_t v = 0;
    if (!count(n, v, max)) return false;
    out = T(v);
    return true;
  }
  /// As count(), at least `min`.
  template <class T>
  bool count_at_least(const Node& n, T& out, uint64_t min, uint64_t max) {
    if (!count(n, out, max)) return false;
    if (uint64_t(out) < min) return fail(n.at, key_msg(n, "must be at least " + std::to_string(min)));
    return true;
  }
  /// A number with 0 < n <= max.
  bool positive(const Node& n, double& out, double max);
  /// A string that can go into a response header field: printable ASCII and tabs.
  bool field_value(const Node& n, std::string& out);
  /// "HOST:PORT" / "[V6]:PORT" (is_host_port).
  bool host_port(const Node& n, std::string& out);
  /// ["HOST:PORT", ...], appended to out.
  bool host_ports(const Node& n, std::vector<std::string>& out);

  /// `key "<path>": <what>` at the node.
  bool invalid(const Node& n, std::string_view what) { return fail(n.at, key_msg(n, what)); }
  /// `unknown key "<path>" (known keys in "<section>": ...)`.
  bool unknown_key(const Node& field, std::string_view section, std::initializer_list<std::string_view> known);
  bool fail(const char* at, std::string_view what);  ///< records an error at `at`; always false
  bool fail_json(simdjson::error_code e);  ///< records a JSON syntax error; always false
  bool fail_type(const Node& n, std::string_view expected);  ///< records "must be <expected>"; always false

  /// "<source>:<line>:<column>: <what>" after a failure.
  const std::string& error() const { return error_; }

 private:
  template <class Fn>
  bool fields(od::object& obj, const std::string& prefix, Fn& fn) {
    std::vector<std::string> seen;
    for (auto field_result : obj) {
      od::field field;
      if (auto e = std::move(field_result).get(field)) return fail_json(e);
      const char* key_at = field.key().raw() - 1;  // at the opening quote
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return fail_json(e);
      std::string path = prefix + std::string(key);
      if (std::find(seen.begin(), seen.end(), path) != seen.end()) {
        return fail(key_at, "duplicate key \"" + path + "\"");
      }
      seen.push_back(path);
      od::value value = field.value();
      if (!fn(Node{value, key_at, path}, key)) return false;
    }
    return true;
  }
  static std::string key_msg(const Node& n, std::string_view what);
  std::string where(const char* at) const;
  const char* text_start() const;
  bool at_end();

  std::string_view text_;
  simdjson::padded_string padded_;
  std::string_view source_;
  od::parser parser_;
  od::document doc_;
  bool doc_ok_ = false;
  std::string error_;
};

/// True for "HOST:PORT" / "[V6]:PORT" with a port in 1..65535 and a non-empty host.
bool is_host_port(std::string_view addr) noexcept;

}  // namespace zp::service
