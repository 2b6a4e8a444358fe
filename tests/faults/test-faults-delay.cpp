// The fault matrix (fault-matrix.h): slow answers. The sessions answer held
// 0.1 s and 10 s (longer than the former 5 s request-timeout: one session,
// nothing lost), events held 0.5 s, and events held 5 s while the
// applications stop (going to NULL stays within flush-timeout).
//
// A delay that a check must see is scaled (collector_test::scaled_ms) as the
// bounds it is compared with are: the events' 0.5 s, which the gap limit (2 ×
// the baseline's gap, which valgrind makes longer) must catch if a streaming
// thread waited for it, and the 5 s held at shutdown, which the shutdown
// limit (scaled flush-timeout + margin) must catch if going to NULL waited
// for it. The others are not: the 0.1 s is below the gap limit anyway, and
// the 10 s of issue 6 is compared with the element's request-timeout (30 s,
// the collector's time against the element's, neither slowed down; 10 s
// scaled would exceed it). Under valgrind the scaled flush-timeout (20 s)
// outlasts those 10 s: the abandon there may wait for the answer and send
// its events, which the case allows; the shutdown that must not wait for a
// held request is the 5 s case's.

#include "fault-matrix.h"

#include <string>

using namespace faults;
using collector_test::scaled_ms;

GST_START_TEST(test_baseline) {
  baseline_gap_ms();
}
GST_END_TEST;

GST_START_TEST(test_sessions_delayed_100ms) {
  FaultCase f{"sessions delayed 0.1 s", {"--delay-sessions=100"}};
  run_case(f);
}
GST_END_TEST;

// Issue 6: with a 5 s request-timeout every sessionStart timed out and was
// sent again. The default (30 s) waits for the answer: one session per
// playback and nothing lost; an abandon at 1.5 s, while its sessionStart is
// still held, drops its events at flush-timeout.
GST_START_TEST(test_sessions_delayed_10s) {
  FaultCase f{"sessions delayed 10 s", {"--delay-sessions=10000"}};
  f.flush_on_abandon = true;
  run_case(f);
}
GST_END_TEST;

GST_START_TEST(test_events_delayed_500ms) {
  FaultCase f{"events delayed 0.5 s",
              {"--delay-events=" + std::to_string(scaled_ms(500))}};
  f.flush_on_abandon = true;
  run_case(f);
}
GST_END_TEST;

// Every application stops as soon as its playback ends, with a request held
// by the collector: shutdown within flush-timeout, the rest dropped (flush).
GST_START_TEST(test_events_held_at_shutdown) {
  FaultCase f{"events held 5 s, stopped at once",
              {"--delay-events=" + std::to_string(scaled_ms(5000))}};
  f.may_drop = {"flush"};
  f.settle_ms = 0;
  run_case(f);
}
GST_END_TEST;

static Suite *faults_delay_suite(void) {
  Suite *s = suite_create("faults-delay");
  TCase *tc = add_faults_tcase(s);
  tcase_add_test(tc, test_baseline);
  tcase_add_test(tc, test_sessions_delayed_100ms);
  tcase_add_test(tc, test_sessions_delayed_10s);
  tcase_add_test(tc, test_events_delayed_500ms);
  tcase_add_test(tc, test_events_held_at_shutdown);
  return s;
}

GST_CHECK_MAIN(faults_delay);
