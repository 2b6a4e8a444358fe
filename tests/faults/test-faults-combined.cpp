// The fault matrix (fault-matrix.h): faults combined. Slow events with
// random 503s; refused connections then expiry; slow sessions answered 500
// first, then forgotten; dropped connections with Locations missing.

#include "fault-matrix.h"

using namespace faults;

GST_START_TEST(test_baseline) {
  baseline_gap_ms();
}
GST_END_TEST;

GST_START_TEST(test_slow_events_and_503) {
  FaultCase f{"events delayed 0.2 s + 503 for 30 %",
              {"--delay-events=200", "--fail-fraction=503:0.3", "--seed=5"}};
  f.flush_on_abandon = true;
  run_case(f);
}
GST_END_TEST;

GST_START_TEST(test_refused_then_expired) {
  FaultCase f{"refused 1.5 s + 410 after 2 s", {"--refuse=8:1500", "--expire-after=2"}};
  f.flush_on_abandon = true;
  f.expect_resume = true;
  run_case(f);
}
GST_END_TEST;

GST_START_TEST(test_slow_failing_sessions_forgotten) {
  // Forgotten 1 s after opening: the sessions the 500s held back open
  // late, and a playback must still be going a second after its own.
  FaultCase f{"sessions delayed 1 s + 500 for 2 + 404 after 1 s",
              {"--delay-sessions=1000", "--fail-next=500:2", "--forget-after=1"}};
  f.flush_on_abandon = true;
  f.expect_resume = true;
  run_case(f);
}
GST_END_TEST;

GST_START_TEST(test_dropped_and_location_missing) {
  FaultCase f{"dropped 0.8 s + Location missing for 2",
              {"--drop=3:800", "--location=missing:2"}};
  f.flush_on_abandon = true;
  run_case(f);
}
GST_END_TEST;

static Suite *faults_combined_suite(void) {
  Suite *s = suite_create("faults-combined");
  TCase *tc = add_faults_tcase(s);
  tcase_add_test(tc, test_baseline);
  tcase_add_test(tc, test_slow_events_and_503);
  tcase_add_test(tc, test_refused_then_expired);
  tcase_add_test(tc, test_slow_failing_sessions_forgotten);
  tcase_add_test(tc, test_dropped_and_location_missing);
  return s;
}

GST_CHECK_MAIN(faults_combined);
