// The fault matrix (fault-matrix.h): the connection. Refused for a while
// (from the first request, and mid-playback) then back; connections dropped
// unanswered mid-request for a while.

#include "fault-matrix.h"

using namespace faults;

GST_START_TEST(test_baseline) {
  baseline_gap_ms();
}
GST_END_TEST;

GST_START_TEST(test_refused_from_start) {
  FaultCase f{"refused 1 s from the start", {"--refuse=0:1000"}};
  f.flush_on_abandon = true;
  run_case(f);
}
GST_END_TEST;

GST_START_TEST(test_refused_mid_playback) {
  FaultCase f{"refused 2 s mid-playback", {"--refuse=12:2000"}};
  f.flush_on_abandon = true;
  run_case(f);
}
GST_END_TEST;

GST_START_TEST(test_dropped_mid_playback) {
  FaultCase f{"dropped 1.5 s mid-playback", {"--drop=12:1500"}};
  f.flush_on_abandon = true;
  run_case(f);
}
GST_END_TEST;

static Suite *faults_connection_suite(void) {
  Suite *s = suite_create("faults-connection");
  TCase *tc = add_faults_tcase(s);
  tcase_add_test(tc, test_baseline);
  tcase_add_test(tc, test_refused_from_start);
  tcase_add_test(tc, test_refused_mid_playback);
  tcase_add_test(tc, test_dropped_mid_playback);
  return s;
}

GST_CHECK_MAIN(faults_connection);
