#include "bridge_config.h"

#include <fmt/format.h>

#include <algorithm>

#include "zp/codec/mqtt/encoding.h"

namespace zp::mqtt::detail {

namespace {

namespace cm = codec::mqtt;

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

// A string of at most `max` bytes that MQTT can carry (UTF-8, no U+0000).
bool mqtt_string(service::ConfigReader& r, const service::Node& f, std::string& out, std::size_t max) {
  if (!r.string(f, out)) return false;
  if (out.size() > max) return r.invalid(f, fmt::format("longer than {} bytes", max));
  if (!cm::valid_utf8(out)) return r.invalid(f, "must be UTF-8 without U+0000");
  return true;
}

bool optional_string(service::ConfigReader& r, const service::Node& f, std::optional<std::string>& out) {
  std::string s;
  if (!mqtt_string(r, f, s, 65535)) return false;
  out = std::move(s);
  return true;
}

bool prefix(service::ConfigReader& r, const service::Node& f, std::string& out) {
  if (!mqtt_string(r, f, out, BridgeLimits::max_prefix)) return false;
  if (out.find_first_of("+#") != std::string::npos) return r.invalid(f, "a prefix must not contain wildcards (+ or #)");
  return true;
}

// "tls": {"ca_file": ..., "cert": ..., "key": ..., "verify": true, "server_name": ...}
bool parse_tls(service::ConfigReader& r, const service::Node& n, BridgeConfig& b) {
  tls::ClientConfig t;
  const bool ok = r.object(n, [&](const service::Node& f, std::string_view key) {
    if (key == "ca_file") return r.string(f, t.ca_file);
    if (key == "cert") return r.string(f, t.cert_file);
    if (key == "key") return r.string(f, t.key_file);
    if (key == "verify") return r.boolean(f, t.verify);
    if (key == "server_name") {
      if (!r.string(f, b.tls_server_name)) return false;
      if (b.tls_server_name.empty()) return r.invalid(f, "must name a host");
      return true;
    }
    return r.unknown_key(f, n.path, {"ca_file", "cert", "key", "verify", "server_name"});
  });
  if (!ok) return false;
  if (t.cert_file.empty() != t.key_file.empty()) return r.invalid(n, "\"cert\" and \"key\" go together");
  b.tls = std::move(t);
  return true;
}

bool parse_topics(service::ConfigReader& r, const service::Node& n, BridgeConfig& b) {
  bool have_filter = false;
  std::string path;
  return r.array_of_objects(
      n, "an array of topic objects",
      [&](const service::Node& elem) {
        if (b.topics.size() >= BridgeLimits::max_topics)
          return r.invalid(elem, fmt::format("more than {} topics", BridgeLimits::max_topics));
        b.topics.emplace_back();
        have_filter = false;
        path = std::string(elem.path);
        return true;
      },
      [&](const service::Node& f, std::string_view key) {
        BridgeTopic& t = b.topics.back();
        if (key == "filter") {
          if (!r.string(f, t.filter)) return false;
          if (t.filter.empty()) return r.invalid(f, "must not be empty");
          if (cm::check_topic_filter(t.filter, cm::TopicLimits{}) != cm::Errc::ok)
            return r.invalid(f, fmt::format("\"{}\" is not a topic filter", t.filter));
          if (!cm::split_shared(t.filter).group.empty()) return r.invalid(f, "a shared subscription cannot be bridged");
          have_filter = true;
          return true;
        }
        if (key == "direction") {
          std::string d;
          if (!r.string(f, d)) return false;
          if (d == "out") t.direction = BridgeDirection::out;
          else if (d == "in") t.direction = BridgeDirection::in;
          else if (d == "both") t.direction = BridgeDirection::both;
          else return r.invalid(f, fmt::format("\"{}\": must be \"out\", \"in\" or \"both\"", d));
          return true;
        }
        if (key == "qos") return r.count(f, t.qos, 2);
        if (key == "local_prefix") return prefix(r, f, t.local_prefix);
        if (key == "remote_prefix") return prefix(r, f, t.remote_prefix);
        return r.unknown_key(f, path, {"filter", "direction", "qos", "local_prefix", "remote_prefix"});
      },
      [&](const service::Node& elem) {
        const BridgeTopic& t = b.topics.back();
        if (!have_filter) return r.invalid(elem, "\"filter\" is required");
        for (const std::string* p : {&t.local_prefix, &t.remote_prefix}) {
          const std::string full = *p + t.filter;
          if (cm::check_topic_filter(full, cm::TopicLimits{}) != cm::Errc::ok || !cm::split_shared(full).group.empty())
            return r.invalid(elem, fmt::format("\"{}\" (prefix + filter) is not a topic filter", full));
        }
        return true;
      });
}

constexpr std::string_view kBridgeKeys[] = {"name", "address", "version", "client_id", "clean_start",
                                            "session_expiry", "keepalive", "username", "password", "tls",
                                            "topics", "max_inflight", "reconnect_initial_ms", "reconnect_max_ms",
                                            "local_client_id", "local_username", "local_password"};

}  // namespace

bool parse_bridges(service::ConfigReader& r, const service::Node& n, std::vector<BridgeConfig>& out) {
  bool have_address = false, have_topics = false;
  std::string path;
  return r.array_of_objects(
      n, "an array of bridge objects",
      [&](const service::Node& elem) {
        if (out.size() >= BridgeLimits::max_bridges)
          return r.invalid(elem, fmt::format("more than {} bridges", BridgeLimits::max_bridges));
        out.emplace_back();
        have_address = have_topics = false;
        path = std::string(elem.path);
        return true;
      },
      [&](const service::Node& f, std::string_view key) {
        BridgeConfig& b = out.back();
        if (key == "name") {
          if (!r.string(f, b.name)) return false;
          if (b.name.empty() || b.name.size() > BridgeLimits::max_name || !std::all_of(b.name.begin(), b.name.end(), name_char))
            return r.invalid(f, fmt::format("must be 1..{} of A-Z a-z 0-9 - _ .", BridgeLimits::max_name));
          return true;
        }
        if (key == "address") {
          if (!r.string(f, b.address)) return false;
          if (!service::is_host_port(b.address))
            return r.invalid(f, fmt::format("\"{}\" is not HOST:PORT (port 1..65535, IPv6 in brackets)", b.address));
          have_address = true;
          return true;
        }
        if (key == "version") {
          std::string v;
          if (!r.string(f, v)) return false;
          if (v == "5") b.version = cm::Version::v5;
          else if (v == "311") b.version = cm::Version::v311;
          else return r.invalid(f, fmt::format("\"{}\": must be \"5\" or \"311\"", v));
          return true;
        }
        if (key == "client_id") {
          if (!mqtt_string(r, f, b.client_id, BridgeLimits::max_client_id)) return false;
          if (b.client_id.empty()) return r.invalid(f, "must not be empty");
          return true;
        }
        if (key == "clean_start") return r.boolean(f, b.clean_start);
        if (key == "session_expiry") return r.count(f, b.session_expiry_s, 0xFFFFFFFFu);
        if (key == "keepalive") return r.count(f, b.keepalive_s, 65535);
        if (key == "username") return optional_string(r, f, b.username);
        if (key == "password") return optional_string(r, f, b.password);
        if (key == "tls") return parse_tls(r, f, b);
        if (key == "topics") {
          if (!parse_topics(r, f, b)) return false;
          if (b.topics.empty()) return r.invalid(f, "must name at least one topic");
          have_topics = true;
          return true;
        }
        if (key == "max_inflight") return r.count_at_least(f, b.max_inflight, 1, 65535);
        if (key == "reconnect_initial_ms") return r.count_at_least(f, b.reconnect_initial_ms, 1, 3600000);
        if (key == "reconnect_max_ms") return r.count_at_least(f, b.reconnect_max_ms, 1, 3600000);
        if (key == "local_client_id") {
          if (!mqtt_string(r, f, b.local_client_id, BridgeLimits::max_client_id)) return false;
          if (b.local_client_id.empty()) return r.invalid(f, "must not be empty");
          return true;
        }
        if (key == "local_username") return optional_string(r, f, b.local_username);
        if (key == "local_password") return optional_string(r, f, b.local_password);
        return r.unknown_key(f, path,
                             {kBridgeKeys[0], kBridgeKeys[1], kBridgeKeys[2], kBridgeKeys[3], kBridgeKeys[4],
                              kBridgeKeys[5], kBridgeKeys[6], kBridgeKeys[7], kBridgeKeys[8], kBridgeKeys[9],
                              kBridgeKeys[10], kBridgeKeys[11], kBridgeKeys[12], kBridgeKeys[13], kBridgeKeys[14],
                              kBridgeKeys[15], kBridgeKeys[16]});
      },
      [&](const service::Node& elem) {
        BridgeConfig& b = out.back();
        if (b.name.empty()) return r.invalid(elem, "\"name\" is required");
        if (!have_address) return r.invalid(elem, "\"address\" is required");
        if (!have_topics) return r.invalid(elem, "\"topics\" is required");
        if (b.reconnect_max_ms < b.reconnect_initial_ms)
          return r.invalid(elem, "\"reconnect_max_ms\" is below \"reconnect_initial_ms\"");
        if (b.version == cm::Version::v311 && b.session_expiry_s != 0)
          return r.invalid(elem, "\"session_expiry\" is MQTT 5 only (3.1.1: \"clean_start\": false keeps the session)");
        // The defaults (as mosquitto: the local id from the remote one).
        if (b.client_id.empty()) b.client_id = "zproto-bridge-" + b.name;
        if (b.local_client_id.empty()) b.local_client_id = "local." + b.client_id;
        for (std::size_t i = 0; i + 1 < out.size(); ++i) {
          if (out[i].name == b.name) return r.invalid(elem, fmt::format("a second bridge named \"{}\"", b.name));
          if (out[i].local_client_id == b.local_client_id)
            return r.invalid(elem, fmt::format("\"local_client_id\" \"{}\" is used by bridge \"{}\" too",
                                               b.local_client_id, out[i].name));
        }
        return true;
      });
}

}  // namespace zp::mqtt::detail
