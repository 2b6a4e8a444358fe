// The fault matrix (fault-matrix.h): the session. 410 mid-session (expired),
// 404 mid-session (forgotten, as by a restarted server) and 404 at random: a
// new session with media.resume=true; a 201 with a missing Location once
// (sent again, one session) and a malformed one always (no session: every
// event dropped as no-session, none sent).

#include "fault-matrix.h"

using namespace faults;

GST_START_TEST(test_baseline) {
  baseline_gap_ms();
}
GST_END_TEST;

GST_START_TEST(test_expired_410) {
  FaultCase f{"410 mid-session", {"--expire-after=1.2"}};
  f.expect_resume = true;
  run_case(f);
}
GST_END_TEST;

GST_START_TEST(test_forgotten_404) {
  FaultCase f{"404 mid-session", {"--forget-after=1.2"}};
  f.expect_resume = true;
  run_case(f);
}
GST_END_TEST;

// 404 at random: a resume's own requests (the state it re-sends) meet it
// too; an event that meets it after max_resumes new sessions is dropped as
// rejected, and counted.
GST_START_TEST(test_random_404) {
  FaultCase f{"404 for 30 % of events",
              {"--fail-fraction=404:0.3", "--fail-scope=events", "--seed=11"}};
  f.expect_resume = true;
  f.may_drop = {"rejected"};
  run_case(f);
}
GST_END_TEST;

GST_START_TEST(test_location_missing_once) {
  FaultCase f{"Location missing once", {"--location=missing:1"}};
  run_case(f);
}
GST_END_TEST;

GST_START_TEST(test_location_malformed_always) {
  FaultCase f{"Location malformed always", {"--location=malformed"}};
  f.may_drop = {"no-session"};
  run_case(f);
}
GST_END_TEST;

static Suite *faults_session_suite(void) {
  Suite *s = suite_create("faults-session");
  TCase *tc = add_faults_tcase(s);
  tcase_add_test(tc, test_baseline);
  tcase_add_test(tc, test_expired_410);
  tcase_add_test(tc, test_forgotten_404);
  tcase_add_test(tc, test_random_404);
  tcase_add_test(tc, test_location_missing_once);
  tcase_add_test(tc, test_location_malformed_always);
  return s;
}

GST_CHECK_MAIN(faults_session);
