#include "timer-queue.h"

#include <utility>

namespace mediaanalytics {

namespace {

struct QueueSource {
  GSource base;
  TimerQueue *queue;
};

}  // namespace

TimerQueue::TimerQueue(GMainContext *context) {
  static GSourceFuncs funcs = {nullptr, nullptr, &TimerQueue::dispatch,
                               nullptr, nullptr, nullptr};
  source_ = g_source_new(&funcs, sizeof(QueueSource));
  reinterpret_cast<QueueSource *>(source_)->queue = this;
  g_source_set_name(source_, "mediaanalytics timers");
  g_source_set_ready_time(source_, -1);
  g_source_attach(source_, context);
}

TimerQueue::~TimerQueue() {
  // Destroying a timer's function may release what owns other timers: it
  // finds the queue consistent, empty and still attached.
  ByDue pending = std::move(by_due_);
  by_due_.clear();
  by_id_.clear();
  pending.clear();
  g_source_destroy(source_);
  g_source_unref(source_);
}

TimerQueue::Id TimerQueue::add(int64_t delay_ms, std::function<void()> fn) {
  const int64_t due = g_get_monotonic_time() + (delay_ms > 0 ? delay_ms * 1000 : 0);
  const Id id = next_id_++;
  auto it = by_due_.emplace(due, Entry{id, std::move(fn)});
  by_id_.emplace(id, it);
  // Only an earlier time is set: g_source_set_ready_time() wakes the context
  // up (an eventfd write and one more poll) every time it is called.
  if (armed_ < 0 || due < armed_) {
    armed_ = due;
    g_source_set_ready_time(source_, due);
  }
  return id;
}

void TimerQueue::cancel(Id id) {
  auto found = by_id_.find(id);
  if (found == by_id_.end()) {
    return;
  }
  ByDue::node_type node = by_due_.extract(found->second);
  by_id_.erase(found);
  // The ready time is left as it is (see add()): the source may then wake
  // up early once, find nothing due and set the next time. Request timeouts
  // are almost always cancelled, so this saves a wakeup per request. The
  // function is destroyed last, with the queue consistent.
}

gboolean TimerQueue::dispatch(GSource *source, GSourceFunc, gpointer) {
  reinterpret_cast<QueueSource *>(source)->queue->run_due();
  return G_SOURCE_CONTINUE;
}

// The timers due now, earliest first, one at a time: a timer's function may
// add and cancel timers (itself included) as it likes. Timers it adds wait for
// the next iteration even when due at once, as a new GSource would (the ready
// time is then in the past: the source is ready again at once).
void TimerQueue::run_due() {
  const int64_t now = g_get_monotonic_time();
  const Id last = next_id_ - 1;
  while (!by_due_.empty() && by_due_.begin()->first <= now &&
         by_due_.begin()->second.id <= last) {
    ByDue::node_type node = by_due_.extract(by_due_.begin());
    by_id_.erase(node.mapped().id);
    node.mapped().fn();
  }
  rearm();
}

void TimerQueue::rearm() {
  armed_ = by_due_.empty() ? -1 : by_due_.begin()->first;
  g_source_set_ready_time(source_, armed_);
}

}  // namespace mediaanalytics
