// playerTime.ts stamping (gst/client/event-clock.h): strictly increasing by at
// least 1 ms within a session, whatever the wall clock does, and without
// duplicates when several threads stamp at once.
#include <gst/check/gstcheck.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "event-clock.h"

using mediaanalytics::EventClock;

namespace {

constexpr int64_t kT0 = 1700000000000;
constexpr int kPerThread = 100000;

// Runs `stamp_all` on two threads released at the same moment, so that their
// stamping overlaps instead of one thread finishing before the other starts.
template <typename StampAll>
void run_two_threads(StampAll stamp_all, std::vector<int64_t> *first,
                     std::vector<int64_t> *second) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  auto body = [&](std::vector<int64_t> *out) {
    ready.fetch_add(1);
    while (!go.load()) {
      std::this_thread::yield();
    }
    stamp_all(out);
  };
  std::thread a(body, first);
  std::thread b(body, second);
  while (ready.load() < 2) {
    std::this_thread::yield();
  }
  go.store(true);
  a.join();
  b.join();
}

// Whether a thread's own stamps strictly increase.
bool strictly_increasing(const std::vector<int64_t> &stamps) {
  return std::adjacent_find(stamps.begin(), stamps.end(),
                            [](int64_t a, int64_t b) { return b <= a; }) == stamps.end();
}

// Two threads stamp kPerThread events each, reading `now()` for the wall
// clock; each thread's stamps must increase and no two stamps may be equal.
// Returns all the stamps, sorted.
template <typename Now>
std::vector<int64_t> stamps_of_two_threads(EventClock &clock, Now now) {
  std::vector<int64_t> first(kPerThread);
  std::vector<int64_t> second(kPerThread);
  run_two_threads(
      [&clock, &now](std::vector<int64_t> *out) {
        for (int64_t &stamp : *out) {
          stamp = clock.stamp(now());
        }
      },
      &first, &second);
  fail_unless(strictly_increasing(first), "the first thread's stamps do not increase");
  fail_unless(strictly_increasing(second), "the second thread's stamps do not increase");
  std::vector<int64_t> all(first);
  all.insert(all.end(), second.begin(), second.end());
  std::sort(all.begin(), all.end());
  fail_unless(std::adjacent_find(all.begin(), all.end()) == all.end(),
              "two threads got the same stamp");
  return all;
}

}  // namespace

GST_START_TEST(test_first_stamp_is_the_wall_clock) {
  EventClock clock;
  fail_unless(clock.stamp(kT0) == kT0, "the first stamp moved");
}
GST_END_TEST;

GST_START_TEST(test_later_reading_is_taken_as_is) {
  EventClock clock;
  clock.stamp(kT0);
  fail_unless(clock.stamp(kT0 + 500) == kT0 + 500, "a later reading moved");
}
GST_END_TEST;

// Timeline 1 at t=22: adComplete, adBreakComplete and play share one instant.
GST_START_TEST(test_equal_readings_are_one_ms_apart) {
  EventClock clock;
  fail_unless(clock.stamp(kT0 + 22000) == kT0 + 22000, "first at t=22 moved");
  fail_unless(clock.stamp(kT0 + 22000) == kT0 + 22001, "second at t=22 not +1 ms");
  fail_unless(clock.stamp(kT0 + 22000) == kT0 + 22002, "third at t=22 not +2 ms");
  // The clock catches up with the stamps again.
  fail_unless(clock.stamp(kT0 + 22010) == kT0 + 22010, "t=22.010 moved");
}
GST_END_TEST;

// A wall clock stepped back (NTP) never makes ts go back.
GST_START_TEST(test_backwards_reading_still_increases) {
  EventClock clock;
  clock.stamp(kT0 + 5000);
  fail_unless(clock.stamp(kT0) == kT0 + 5001, "ts went back with the clock");
  fail_unless(clock.stamp(kT0 + 1) == kT0 + 5002, "ts went back with the clock");
  fail_unless(clock.stamp(0) == kT0 + 5003, "ts went back to 0");
}
GST_END_TEST;

GST_START_TEST(test_reset_starts_a_new_session) {
  EventClock clock;
  clock.stamp(kT0 + 5000);
  clock.stamp(kT0 + 5000);
  clock.reset();
  fail_unless(clock.stamp(kT0) == kT0, "the new session's first stamp moved");
  fail_unless(clock.stamp(kT0) == kT0 + 1, "the new session does not increase");
}
GST_END_TEST;

GST_START_TEST(test_now_is_utc_milliseconds) {
  const int64_t before = g_get_real_time() / 1000;
  const int64_t now = EventClock::now_utc_ms();
  const int64_t after = g_get_real_time() / 1000;
  fail_unless(before <= now && now <= after, "now_utc_ms() is not the real time in ms");
}
GST_END_TEST;

// Streaming, bus and application threads stamp at once: no two events may share
// a ts, and each thread's own stamps increase.
GST_START_TEST(test_threads_never_share_a_stamp) {
  EventClock clock;
  // Both threads read the same frozen clock, the worst case for collisions.
  std::vector<int64_t> all = stamps_of_two_threads(clock, [] { return kT0; });
  // With a frozen clock every stamp from kT0 to kT0 + 2n - 1 is handed out once.
  fail_unless(all.front() == kT0 && all.back() == kT0 + 2 * kPerThread - 1,
              "stamps span %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT, all.front(),
              all.back());
}
GST_END_TEST;

// The same with a moving clock: each thread reads the real wall clock.
GST_START_TEST(test_threads_with_the_real_clock) {
  EventClock clock;
  stamps_of_two_threads(clock, [] { return EventClock::now_utc_ms(); });
}
GST_END_TEST;

static Suite *event_clock_suite(void) {
  Suite *s = suite_create("client-event-clock");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_first_stamp_is_the_wall_clock);
  tcase_add_test(tc, test_later_reading_is_taken_as_is);
  tcase_add_test(tc, test_equal_readings_are_one_ms_apart);
  tcase_add_test(tc, test_backwards_reading_still_increases);
  tcase_add_test(tc, test_reset_starts_a_new_session);
  tcase_add_test(tc, test_now_is_utc_milliseconds);
  tcase_add_test(tc, test_threads_never_share_a_stamp);
  tcase_add_test(tc, test_threads_with_the_real_clock);
  return s;
}

GST_CHECK_MAIN(event_clock);
