// The subscription trie: inserting and removing filters level by level.
#include "zp/mqtt/topic_tree.h"

#include <algorithm>

namespace zp::mqtt {

TopicTree::TopicTree() : root_(std::make_unique<Node>()) {}
TopicTree::~TopicTree() = default;

bool TopicTree::subscribe(std::string_view filter, const Subscriber& s) {
  Node* n = root_.get();
  std::size_t pos = 0;
  for (;;) {
    const std::size_t end = filter.find('/', pos);
    const std::string_view level = filter.substr(pos, end == std::string_view::npos ? end : end - pos);
    auto it = n->children.find(level);
    if (it == n->children.end()) {
      auto child = std::make_unique<Node>();
      child->parent = n;
      child->level = std::string(level);
      it = n->children.emplace(child->level, std::move(child)).first;
    }
    n = it->second.get();
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  const auto same = std::find_if(n->subs.begin(), n->subs.end(), [&](const Subscriber& x) { return x.session == s.session; });
  if (same != n->subs.end()) {
    *same = s;
    return false;
  }
  const bool first = n->subs.empty();
  n->subs.push_back(s);
  ++subscriptions_;
  if (first) ++filters_;
  return first;
}

TopicTree::Removed TopicTree::unsubscribe(std::string_view filter, std::uint32_t session) {
  Node* n = root_.get();
  std::size_t pos = 0;
  for (;;) {
    const std::size_t end = filter.find('/', pos);
    const std::string_view level = filter.substr(pos, end == std::string_view::npos ? end : end - pos);
    const auto it = n->children.find(level);
    if (it == n->children.end()) return {};
    n = it->second.get();
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  const auto same = std::find_if(n->subs.begin(), n->subs.end(), [&](const Subscriber& x) { return x.session == session; });
  if (same == n->subs.end()) return {};
  *same = n->subs.back();
  n->subs.pop_back();
  --subscriptions_;
  const bool empty = n->subs.empty();
  if (empty) --filters_;
  // Prune the branch back to the first node that still holds something.
  while (n != root_.get() && n->subs.empty() && n->children.empty()) {
    Node* parent = n->parent;
    parent->children.erase(parent->children.find(std::string_view(n->level)));  // destroys n
    n = parent;
  }
  return {.removed = true, .filter_empty = empty};
}

}  // namespace zp::mqtt
