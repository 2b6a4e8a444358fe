// Many one-shot timers on one GSource.
//
// Every element of a process keeps timers on the one sending thread (its
// ping grid, its wakeup, a retry, the timeout of its request in flight). As
// GSources they would make every iteration of the thread's main loop look at
// all of them (g_main_context_prepare() and check() visit each source), so
// the cost of sending one event would grow with the number of elements. Here
// they are entries ordered by due time behind a single source whose ready
// time is the earliest one: a main loop iteration costs the same with 1 or
// 1,000 elements.
//
// Threading: everything runs on the thread that iterates the context.
#pragma once

#include <glib.h>

#include <cstdint>
#include <functional>
#include <map>
#include <unordered_map>

namespace mediaanalytics {

class TimerQueue {
 public:
  using Id = uint64_t;  // 0 is never a timer

  // Attaches its source to `context` (at the default priority).
  explicit TimerQueue(GMainContext *context);
  // Detaches the source; timers not yet run are destroyed without running.
  ~TimerQueue();
  TimerQueue(const TimerQueue &) = delete;
  TimerQueue &operator=(const TimerQueue &) = delete;

  // Runs `fn` once, `delay_ms` from now (at the next iteration when <= 0).
  // Timers due at the same time run in the order they were added.
  Id add(int64_t delay_ms, std::function<void()> fn);
  // Forgets a timer that has not run yet; a no-op for 0 or one that ran.
  void cancel(Id id);
  size_t size() const { return by_id_.size(); }

 private:
  struct Entry {
    Id id;
    std::function<void()> fn;
  };
  using ByDue = std::multimap<int64_t, Entry>;  // monotonic µs

  static gboolean dispatch(GSource *source, GSourceFunc, gpointer);
  void run_due();
  void rearm();

  GSource *source_;
  ByDue by_due_;
  std::unordered_map<Id, ByDue::iterator> by_id_;
  Id next_id_ = 1;
  int64_t armed_ = -1;  // the source's ready time (µs), -1: none
};

}  // namespace mediaanalytics
