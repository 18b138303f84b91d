/// \file
/// The broker's subscription index on one shard: topic filters in a trie of levels, each
/// node holding the subscriptions of its filter. Matching a topic walks its levels once,
/// following the exact level, '+' and '#' children (MQTT 4.7), and never allocates.
/// \code
///   zp::mqtt::TopicTree tree;
///   tree.subscribe("sensors/+/temp", {.session = 7, .qos = 1});
///   tree.match("sensors/k1/temp", [](const zp::mqtt::Subscriber& s) { deliver(s.session, s.qos); });
/// \endcode
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace zp::mqtt {

/// One subscription as the tree stores it: which session, and its options.
struct Subscriber {
  std::uint32_t session = 0;          ///< the session's slot on this shard
  std::uint8_t qos = 0;               ///< maximum QoS granted
  std::uint8_t options = 0;           ///< MQTT 5 option bits (no local, retain as published)
  std::uint32_t subscription_id = 0;  ///< MQTT 5 subscription identifier, 0 for none
};

/// Topic filters of one shard and the sessions subscribed to each.
class TopicTree {
 public:
  TopicTree();
  ~TopicTree();
  TopicTree(const TopicTree&) = delete;
  TopicTree& operator=(const TopicTree&) = delete;

  /// Adds `s` under `filter` (a valid filter: the codec checked it), or replaces the
  /// options of the same session's existing subscription (MQTT-3.8.4-3). True when the
  /// filter had no subscription before: the shard now has interest in it.
  bool subscribe(std::string_view filter, const Subscriber& s);

  /// What unsubscribe did.
  struct Removed {
    bool removed = false;       ///< the session was subscribed to the filter
    bool filter_empty = false;  ///< and the filter has no subscription left
  };
  /// Removes `session`'s subscription to `filter`; prunes nodes left empty.
  Removed unsubscribe(std::string_view filter, std::uint32_t session);

  /// Calls fn(const Subscriber&) for every subscription whose filter matches topic name
  /// `topic`, once per (filter, session). A session subscribed through two overlapping
  /// filters is reported twice; the caller merges (3.1.1: highest QoS; 5.0: per id).
  template <class Fn>
  void match(std::string_view topic, Fn&& fn) const {
    // A topic starting with '$' is not matched by a filter starting with a wildcard (MQTT-4.7.2-1).
    const bool dollar = !topic.empty() && topic.front() == '$';
    walk(*root_, topic, 0, dollar, fn);
  }

  std::size_t filter_count() const noexcept { return filters_; }              ///< filters with >= 1 subscription
  std::size_t subscription_count() const noexcept { return subscriptions_; }  ///< (filter, session) pairs

 private:
  struct Node;
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  using Children = std::unordered_map<std::string, std::unique_ptr<Node>, Hash, std::equal_to<>>;
  struct Node {
    Children children;
    Node* parent = nullptr;
    std::string level;
    std::vector<Subscriber> subs;
    const Node* child(std::string_view l) const {
      const auto it = children.find(l);
      return it == children.end() ? nullptr : it->second.get();
    }
  };

  template <class Fn>
  static void emit(const Node& n, Fn& fn) {
    for (const Subscriber& s : n.subs) fn(s);
  }

  // Matches the levels of `topic` from `pos` at node `n`; `root_rule` blocks the wildcard
  // children of the root for '$' topics.
  template <class Fn>
  static void walk(const Node& n, std::string_view topic, std::size_t pos, bool root_rule, Fn& fn) {
    const std::size_t end = topic.find('/', pos);
    const std::string_view level = topic.substr(pos, end == std::string_view::npos ? end : end - pos);
    if (!root_rule) {
      if (const Node* hash = n.child("#")) emit(*hash, fn);  // this level and every one below
    }
    const Node* exact = n.child(level);
    const Node* plus = root_rule ? nullptr : n.child("+");
    if (end == std::string_view::npos) {
      for (const Node* m : {exact, plus}) {
        if (!m) continue;
        emit(*m, fn);
        if (const Node* hash = m->child("#")) emit(*hash, fn);  // "a/#" matches "a" (4.7.1.2)
      }
      return;
    }
    if (exact) walk(*exact, topic, end + 1, false, fn);
    if (plus) walk(*plus, topic, end + 1, false, fn);
  }

  std::unique_ptr<Node> root_;
  std::size_t filters_ = 0;
  std::size_t subscriptions_ = 0;
};

}  // namespace zp::mqtt
