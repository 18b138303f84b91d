// mosquitto's acl_file: "topic [read|write|readwrite|deny] TOPIC" lines (before any "user"
// line: for clients without a user name), "user NAME" starting one user's rules, and
// "pattern [ACCESS] TOPIC" for every client with %c (client id) and %u (user name). A
// client gets what one of its rules (then the patterns) grants; a matching deny refuses
// first; nothing matching refuses.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "zp/mqtt/access.h"

namespace zp::mqtt::detail {

class AclFile {
 public:
  enum : std::uint8_t { deny = 0, read = 1, write = 2, readwrite = 3 };

  // Parses an ACL text; "" on success, else "<name>:<line>: what".
  static std::string parse(std::string_view text, std::string_view name, const AccessLimits& limits, AclFile& out);
  // `want` read or write; `filter`: the topic is a SUBSCRIBE filter (a rule must cover it).
  bool allows(const Identity& who, std::uint8_t want, std::string_view topic, bool filter) const;

 private:
  struct Rule {
    std::string topic;
    std::uint8_t access = readwrite;
  };
  using Rules = std::vector<Rule>;  // deny rules first
  static int check(const Rules& rules, const Identity* subst, std::uint8_t want, std::string_view topic, bool filter);

  Rules anonymous_;
  std::unordered_map<std::string, Rules> users_;
  Rules patterns_;
};

// True when every topic name that `filter` matches is matched by `rule` too (both valid
// filters; '$' topics are not covered by a rule starting with a wildcard).
bool filter_covers(std::string_view rule, std::string_view filter) noexcept;

}  // namespace zp::mqtt::detail
