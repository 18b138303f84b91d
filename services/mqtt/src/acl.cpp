// mosquitto's acl_file: parse, then answer per topic or filter.
#include "acl.h"

#include <algorithm>

#include "zp/codec/mqtt/encoding.h"

namespace zp::mqtt::detail {

namespace cm = zp::codec::mqtt;

namespace {

std::string at_line(std::string_view name, std::size_t line, std::string_view what) {
  return std::string(name) + ":" + std::to_string(line) + ": " + std::string(what);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// The first word and the rest (trimmed).
std::pair<std::string_view, std::string_view> word(std::string_view s) {
  const std::size_t sp = s.find_first_of(" \t");
  if (sp == std::string_view::npos) return {s, {}};
  return {s.substr(0, sp), trim(s.substr(sp + 1))};
}

std::string_view level(std::string_view s, std::size_t& pos, bool& last) {
  const std::size_t slash = s.find('/', pos);
  std::string_view l = s.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
  last = slash == std::string_view::npos;
  pos = last ? s.size() : slash + 1;
  return l;
}

// %c and %u replaced; false when a value could widen the rule (it holds a wildcard or '/').
bool substitute(std::string_view pattern, const Identity& who, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '%' && i + 1 < pattern.size() && (pattern[i + 1] == 'c' || pattern[i + 1] == 'u')) {
      std::string_view v;
      if (pattern[i + 1] == 'c') {
        v = who.client_id;
      } else {
        if (!who.username) return false;
        v = *who.username;
      }
      if (v.empty() || v.find_first_of("+#/") != std::string_view::npos) return false;
      out.append(v);
      ++i;
    } else {
      out.push_back(pattern[i]);
    }
  }
  return true;
}

}  // namespace

bool filter_covers(std::string_view rule, std::string_view filter) noexcept {
  if (!filter.empty() && filter.front() == '$' && !rule.empty() && (rule.front() == '+' || rule.front() == '#')) return false;
  std::size_t rp = 0, fp = 0;
  for (;;) {
    bool rlast = false, flast = false;
    const std::string_view r = level(rule, rp, rlast);
    if (r == "#") return true;  // the rest, whatever it is (the parent level included)
    const std::string_view f = level(filter, fp, flast);
    if (f == "#") return false;  // only a '#' rule covers a '#'
    if (r == "+") {
      // covers any single level, '+' included
    } else if (f == "+" || r != f) {
      return false;
    }
    if (rlast || flast) {
      if (rlast && flast) return true;
      // The filter goes on: "a" does not cover "a/b". The rule goes on: "a/#" covers "a".
      if (flast && !rlast) {
        bool l = false;
        std::size_t p = rp;
        return level(rule, p, l) == "#" && l;
      }
      return false;
    }
  }
}

std::string AclFile::parse(std::string_view text, std::string_view name, const AccessLimits& limits, AclFile& out) {
  out = AclFile{};
  Rules* current = &out.anonymous_;
  std::size_t line_no = 0;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view raw = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (++line_no > limits.max_lines) return at_line(name, line_no, "more than " + std::to_string(limits.max_lines) + " lines");
    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    const auto [keyword, rest] = word(line);
    if (keyword == "user") {
      if (rest.empty()) return at_line(name, line_no, "\"user\" needs a name");
      if (rest.size() > limits.max_username)
        return at_line(name, line_no, "user name longer than " + std::to_string(limits.max_username) + " bytes");
      current = &out.users_[std::string(rest)];
      continue;
    }
    if (keyword != "topic" && keyword != "pattern")
      return at_line(name, line_no, "unknown keyword \"" + std::string(keyword) + "\" (user, topic, pattern)");
    if (rest.empty()) return at_line(name, line_no, "\"" + std::string(keyword) + "\" needs a topic");
    Rule rule;
    std::string_view topic = rest;
    const auto [access, after] = word(rest);
    if (access == "read" || access == "write" || access == "readwrite" || access == "deny") {
      if (after.empty()) return at_line(name, line_no, "\"" + std::string(access) + "\" needs a topic");
      rule.access = access == "read" ? read : access == "write" ? write : access == "readwrite" ? readwrite : deny;
      topic = after;
    }
    if (cm::check_topic_filter(topic, cm::TopicLimits{}) != cm::Errc::ok)
      return at_line(name, line_no, "\"" + std::string(topic) + "\" is not a topic filter");
    rule.topic.assign(topic);
    (keyword == "pattern" ? out.patterns_ : *current).push_back(std::move(rule));
  }
  // Deny rules are looked at first, as mosquitto does.
  auto deny_first = [](Rules& r) {
    std::stable_partition(r.begin(), r.end(), [](const Rule& x) { return x.access == deny; });
  };
  deny_first(out.anonymous_);
  deny_first(out.patterns_);
  for (auto& [u, r] : out.users_) deny_first(r);
  return {};
}

// 1 granted, 0 denied, -1 no rule matched.
int AclFile::check(const Rules& rules, const Identity* subst, std::uint8_t want, std::string_view topic, bool filter) {
  std::string expanded;
  for (const Rule& r : rules) {
    std::string_view t = r.topic;
    if (subst) {
      if (!substitute(r.topic, *subst, expanded)) continue;
      t = expanded;
    }
    if (filter) {
      // A deny inside the filter does not refuse the SUBSCRIBE (its topics are refused at delivery).
      if (!filter_covers(t, topic)) continue;
    } else if (!cm::topic_matches(t, topic)) {
      continue;
    }
    if (r.access == deny) return 0;
    if (r.access & want) return 1;
  }
  return -1;
}

bool AclFile::allows(const Identity& who, std::uint8_t want, std::string_view topic, bool filter) const {
  const Rules* own = &anonymous_;
  if (who.username) {
    const auto it = users_.find(*who.username);
    own = it == users_.end() ? nullptr : &it->second;
  }
  if (own) {
    const int r = check(*own, nullptr, want, topic, filter);
    if (r == 1) return true;
    if (r == 0) return false;
  }
  return check(patterns_, &who, want, topic, filter) == 1;
}

}  // namespace zp::mqtt::detail
