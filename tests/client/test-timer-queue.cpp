// TimerQueue (gst/client/timer-queue.h): many one-shot timers on one GSource,
// on a GMainContext this test iterates itself.

#include <gst/check/gstcheck.h>

#include <memory>
#include <string>
#include <vector>

#include "collector-process.h"
#include "timer-queue.h"

using mediaanalytics::TimerQueue;

namespace {

// Iterates `context` until `done` or `timeout_ms` passed.
template <typename Done>
void iterate_until(GMainContext *context, Done done, int64_t timeout_ms = 2000) {
  const int64_t until = g_get_monotonic_time() + timeout_ms * 1000;
  while (!done() && g_get_monotonic_time() < until) {
    g_main_context_iteration(context, FALSE);
    g_usleep(200);
  }
}

struct Fixture {
  GMainContext *context = g_main_context_new();
  std::unique_ptr<TimerQueue> queue = std::make_unique<TimerQueue>(context);
  std::string ran;

  ~Fixture() {
    queue.reset();
    g_main_context_unref(context);
  }
};

}  // namespace

// Timers run once each, by due time; equal due times in the order added.
GST_START_TEST(test_order) {
  // A delay is counted from its add(): the due times are `step` apart as long
  // as the four calls, at the test's own pace, take less than that.
  const int64_t step = collector_test::scaled_ms(10);
  Fixture f;
  f.queue->add(3 * step, [&f]() { f.ran += "c"; });
  f.queue->add(step, [&f]() { f.ran += "a"; });
  f.queue->add(3 * step, [&f]() { f.ran += "d"; });
  f.queue->add(2 * step, [&f]() { f.ran += "b"; });
  fail_unless_equals_int(f.queue->size(), 4);
  iterate_until(f.context, [&f]() { return f.ran.size() == 4; });
  g_usleep(50000);
  g_main_context_iteration(f.context, FALSE);
  fail_unless_equals_string(f.ran.c_str(), "abcd");
  fail_unless_equals_int(f.queue->size(), 0);
}
GST_END_TEST;

// A cancelled timer never runs, also when another timer cancels it in the
// same dispatch; cancelling 0 or a timer that ran does nothing.
GST_START_TEST(test_cancel) {
  Fixture f;
  TimerQueue::Id doomed = 0;
  f.queue->add(0, [&]() {
    f.ran += "a";
    f.queue->cancel(doomed);
  });
  doomed = f.queue->add(0, [&f]() { f.ran += "x"; });
  const TimerQueue::Id gone = f.queue->add(5, [&f]() { f.ran += "y"; });
  f.queue->cancel(gone);
  const TimerQueue::Id last = f.queue->add(20, [&f]() { f.ran += "b"; });
  iterate_until(f.context, [&f]() { return f.ran.size() >= 2; });
  f.queue->cancel(last);
  f.queue->cancel(0);
  fail_unless_equals_string(f.ran.c_str(), "ab");
}
GST_END_TEST;

// A timer added by a timer's function runs at a later iteration, even when
// due at once: a function that re-adds itself cannot starve the loop.
GST_START_TEST(test_added_while_running_waits) {
  Fixture f;
  int runs = 0;
  std::function<void()> again = [&]() {
    runs++;
    f.queue->add(0, again);
  };
  f.queue->add(0, again);
  iterate_until(f.context, [&]() { return runs > 0; });
  fail_unless_equals_int(runs, 1);
  g_main_context_iteration(f.context, FALSE);
  fail_unless_equals_int(runs, 2);
}
GST_END_TEST;

// Timers not yet run when the queue goes are destroyed without running.
GST_START_TEST(test_destroyed_unrun) {
  Fixture f;
  auto alive = std::make_shared<int>(0);
  f.queue->add(60000, [&f, alive]() { f.ran += "x"; });
  fail_unless_equals_int(alive.use_count(), 2);
  f.queue.reset();
  fail_unless_equals_int(alive.use_count(), 1);
  fail_unless_equals_string(f.ran.c_str(), "");
}
GST_END_TEST;

static Suite *timer_queue_suite(void) {
  Suite *s = suite_create("timer-queue");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_order);
  tcase_add_test(tc, test_cancel);
  tcase_add_test(tc, test_added_while_running_waits);
  tcase_add_test(tc, test_destroyed_unrun);
  return s;
}

GST_CHECK_MAIN(timer_queue);
