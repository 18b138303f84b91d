#include "zp/engine/deadline_list.h"

namespace zp {

DeadlineLists::DeadlineLists(Shard& shard, std::initializer_list<int64_t> lengths_ms) : shard_(shard) {
  for (int64_t len : lengths_ms) {
    if (kinds_ == kMaxKinds) break;
    List& list = lists_[kinds_++];
    list.head.prev = list.head.next = &list.head;
    list.length_ms = len;
    list.owner = this;
    list.timer.arg = &list;
    list.timer.fire = &DeadlineLists::fire;
  }
}

DeadlineLists::~DeadlineLists() {
  for (size_t k = 0; k < kinds_; ++k) {
    List& list = lists_[k];
    shard_.timers().remove(list.timer);
    while (list.head.next != &list.head) remove(*list.head.next);
  }
}

void DeadlineLists::set(DeadlineLink& l, size_t kind) {
  List& list = lists_[kind];
  l.at_ms = shard_.now_ms() + list.length_ms;
  // Already last in this list: later deadlines only, the order holds (the common case:
  // a keep-alive connection set to idle again after each response).
  if (l.next == &list.head) return;
  remove(l);
  l.prev = list.head.prev;
  l.next = &list.head;
  list.head.prev->next = &l;
  list.head.prev = &l;
  // The list's timer is armed for its first link (or earlier: it then re-arms itself).
  if (!list.timer.armed) shard_.timers().add(list.timer, l.at_ms);
}

void DeadlineLists::remove(DeadlineLink& l) {
  if (!l.linked()) return;
  l.prev->next = l.next;
  l.next->prev = l.prev;
  l.prev = l.next = nullptr;
}

size_t DeadlineLists::size() const {
  size_t n = 0;
  for (size_t k = 0; k < kinds_; ++k)
    for (const DeadlineLink* l = lists_[k].head.next; l != &lists_[k].head; l = l->next) ++n;
  return n;
}

void DeadlineLists::fire(Timer* t) {
  auto* list = static_cast<List*>(t->arg);
  DeadlineLists& self = *list->owner;
  const int64_t now = self.shard_.now_ms();
  // Unlinked before it is cancelled: a cancel may end the connection, which removes its link.
  while (list->head.next != &list->head && list->head.next->at_ms <= now) {
    DeadlineLink& l = *list->head.next;
    remove(l);
    if (l.ctx) l.ctx->cancel();
  }
  if (list->head.next != &list->head) self.shard_.timers().add(list->timer, list->head.next->at_ms);
}

}  // namespace zp
