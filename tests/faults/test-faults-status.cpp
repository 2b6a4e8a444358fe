// The fault matrix (fault-matrix.h): error statuses. 500 and 503 for the
// next N requests (all, or the sessions only), and for a random fraction
// (all, or the events only): retried until accepted, never twice.

#include "fault-matrix.h"

using namespace faults;

GST_START_TEST(test_baseline) {
  baseline_gap_ms();
}
GST_END_TEST;

GST_START_TEST(test_fail_next_500) {
  FaultCase f{"500 for the next 3", {"--fail-next=500:3"}};
  run_case(f);
}
GST_END_TEST;

GST_START_TEST(test_fail_next_503_sessions) {
  FaultCase f{"503 for the next 6 sessions",
              {"--fail-next=503:6", "--fail-scope=sessions"}};
  f.flush_on_abandon = true;
  run_case(f);
}
GST_END_TEST;

GST_START_TEST(test_fail_fraction_503) {
  FaultCase f{"503 for 30 %", {"--fail-fraction=503:0.3", "--seed=7"}};
  f.flush_on_abandon = true;
  run_case(f);
}
GST_END_TEST;

GST_START_TEST(test_fail_fraction_500_events) {
  FaultCase f{"500 for 30 % of events",
              {"--fail-fraction=500:0.3", "--fail-scope=events", "--seed=3"}};
  f.flush_on_abandon = true;
  run_case(f);
}
GST_END_TEST;

static Suite *faults_status_suite(void) {
  Suite *s = suite_create("faults-status");
  TCase *tc = add_faults_tcase(s);
  tcase_add_test(tc, test_baseline);
  tcase_add_test(tc, test_fail_next_500);
  tcase_add_test(tc, test_fail_next_503_sessions);
  tcase_add_test(tc, test_fail_fraction_503);
  tcase_add_test(tc, test_fail_fraction_500_events);
  return s;
}

GST_CHECK_MAIN(faults_status);
