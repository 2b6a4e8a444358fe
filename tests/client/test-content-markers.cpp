// The bookkeeping of ad breaks, ads, chapters and player states
// (gst/client/content-markers.h): which application calls the ordering rules
// of spec §6 and §11 accept, and which closings they imply.
#include <gst/check/gstcheck.h>

#include <string>
#include <vector>

#include "content-markers.h"

using mediaanalytics::ContentMarkers;
using mediaanalytics::event_type_name;
using mediaanalytics::EventType;
using mediaanalytics::MarkerVerdict;

namespace {

// The closings' wire names, space-separated ("adSkip adBreakComplete").
std::string names(const std::vector<EventType> &types) {
  std::string joined;
  for (EventType type : types) {
    if (!joined.empty())
      joined += ' ';
    joined += event_type_name(type);
  }
  return joined;
}

// Accepted, closing first exactly `expected` (names()). A macro, so that a
// failure names the test's line; the names are held in a local because
// fail_unless_equals_string() keeps the pointer it is given.
#define assert_accepted(call, expected)                                      \
  do {                                                                       \
    const MarkerVerdict verdict_ = (call);                                   \
    fail_unless(verdict_.accepted, "rejected: %s", verdict_.reason.c_str()); \
    fail_unless(verdict_.reason.empty(), "a reason for an accepted call");   \
    const std::string closes_ = names(verdict_.closes);                      \
    fail_unless_equals_string(closes_.c_str(), expected);                    \
  } while (0)

// Rejected, with a reason to show, and nothing to close.
#define assert_rejected(call)                                             \
  do {                                                                    \
    const MarkerVerdict verdict_ = (call);                                \
    fail_unless(!verdict_.accepted, "accepted");                          \
    fail_unless(!verdict_.reason.empty(), "no reason");                   \
    fail_unless(verdict_.closes.empty(), "closings for a rejected call"); \
  } while (0)

// close_all(completed) closes exactly `expected` (names()).
#define assert_closes_all(markers, completed, expected)                \
  do {                                                                 \
    const std::string closes_ = names((markers).close_all(completed)); \
    fail_unless_equals_string(closes_.c_str(), expected);              \
  } while (0)

// No ad, break or chapter open.
#define assert_nothing_open(markers)                                                    \
  fail_unless(!(markers).in_ad() && !(markers).in_break() && !(markers).chapter_open(), \
              "still open")

// A break with its first ad open; when `in_a_chapter`, a chapter started
// before the break.
ContentMarkers in_an_ad(bool in_a_chapter = false) {
  ContentMarkers markers;
  if (in_a_chapter)
    assert_accepted(markers.chapter_start(), "");
  assert_accepted(markers.ad_break_start(), "");
  assert_accepted(markers.ad_start(), "");
  return markers;
}

// Ten distinct states ("state0" to "state9") started and ended: the limit
// reached, none active.
void use_ten_states(ContentMarkers &markers) {
  for (int i = 0; i < 10; ++i) {
    const std::string name = "state" + std::to_string(i);
    assert_accepted(markers.state_start(name), "");
    assert_accepted(markers.state_end(name), "");
  }
}

}  // namespace

// §6 #3: ads only inside a break, even a single one.
GST_START_TEST(test_ad_outside_a_break_is_rejected) {
  ContentMarkers markers;
  assert_rejected(markers.ad_start());
  fail_unless(!markers.in_ad(), "the rejected ad is open");
  fail_unless(!markers.in_break(), "a break opened");
}
GST_END_TEST;

GST_START_TEST(test_ad_close_without_an_ad_is_rejected) {
  ContentMarkers markers;
  assert_rejected(markers.ad_complete());
  assert_rejected(markers.ad_skip());
  assert_accepted(markers.ad_break_start(), "");
  assert_rejected(markers.ad_complete());
  assert_rejected(markers.ad_skip());
  fail_unless(markers.in_break(), "the break closed");
}
GST_END_TEST;

GST_START_TEST(test_ad_closes_by_complete_or_skip) {
  ContentMarkers markers = in_an_ad();
  assert_accepted(markers.ad_complete(), "");
  fail_unless(!markers.in_ad(), "still in the ad");
  fail_unless(markers.in_break(), "the break closed with its ad");
  assert_accepted(markers.ad_start(), "");
  assert_accepted(markers.ad_skip(), "");
  fail_unless(!markers.in_ad(), "still in the skipped ad");
  // §5.1: exactly one close per ad.
  assert_rejected(markers.ad_complete());
}
GST_END_TEST;

// §6 #5: the previous ad's close and the next adStart go back to back.
GST_START_TEST(test_ad_start_with_an_ad_open_completes_it) {
  ContentMarkers markers = in_an_ad();
  assert_accepted(markers.ad_start(), "adComplete");
  fail_unless(markers.in_ad() && markers.in_break(), "not in the second ad");
}
GST_END_TEST;

GST_START_TEST(test_break_complete_without_a_break_is_rejected) {
  ContentMarkers markers;
  assert_rejected(markers.ad_break_complete());
  assert_accepted(markers.ad_break_start(), "");
  assert_accepted(markers.ad_break_complete(), "");
  assert_rejected(markers.ad_break_complete());
}
GST_END_TEST;

// The ad did not report its end: it was skipped.
GST_START_TEST(test_break_complete_with_an_ad_open_skips_it) {
  ContentMarkers markers = in_an_ad();
  assert_accepted(markers.ad_break_complete(), "adSkip");
  fail_unless(!markers.in_ad() && !markers.in_break(), "still open");
}
GST_END_TEST;

// §5.1: breaks come in pairs; a new one closes the open one first.
GST_START_TEST(test_break_start_with_a_break_open_closes_it) {
  ContentMarkers markers;
  assert_accepted(markers.ad_break_start(), "");
  assert_accepted(markers.ad_break_start(), "adBreakComplete");
  fail_unless(markers.in_break(), "the new break is not open");
}
GST_END_TEST;

GST_START_TEST(test_break_start_with_an_ad_open_skips_it_and_closes_the_break) {
  ContentMarkers markers = in_an_ad();
  assert_accepted(markers.ad_break_start(), "adSkip adBreakComplete");
  fail_unless(markers.in_break() && !markers.in_ad(), "not in the new break alone");
  fail_unless(markers.awaiting_ad(), "the new break does not await its first ad");
}
GST_END_TEST;

// §6 #4: only between adBreakStart and the break's first adStart.
GST_START_TEST(test_awaiting_ad_only_before_the_first_ad) {
  ContentMarkers markers;
  fail_unless(!markers.awaiting_ad(), "awaiting without a break");
  assert_accepted(markers.ad_break_start(), "");
  fail_unless(markers.awaiting_ad(), "not awaiting after adBreakStart");
  assert_accepted(markers.ad_start(), "");
  fail_unless(!markers.awaiting_ad(), "awaiting in the ad");
  assert_accepted(markers.ad_complete(), "");
  fail_unless(!markers.awaiting_ad(), "awaiting between two ads");
  assert_accepted(markers.ad_break_complete(), "");
  fail_unless(!markers.awaiting_ad(), "awaiting after the break");
  assert_accepted(markers.ad_break_start(), "");
  fail_unless(markers.awaiting_ad(), "the next break does not await its ad");
}
GST_END_TEST;

GST_START_TEST(test_break_seen_once_a_break_opened) {
  ContentMarkers markers;
  fail_unless(!markers.break_seen(), "seen before any break");
  assert_rejected(markers.ad_break_complete());
  fail_unless(!markers.break_seen(), "seen after a rejected call");
  assert_accepted(markers.ad_break_start(), "");
  assert_accepted(markers.ad_break_complete(), "");
  fail_unless(markers.break_seen(), "not seen after the break closed");
}
GST_END_TEST;

// §6 #7: chapters never overlap.
GST_START_TEST(test_chapter_overlap_is_rejected) {
  ContentMarkers markers;
  assert_accepted(markers.chapter_start(), "");
  assert_rejected(markers.chapter_start());
  fail_unless(markers.chapter_open(), "the open chapter was lost");
  assert_accepted(markers.chapter_complete(), "");
  assert_accepted(markers.chapter_start(), "");
  assert_accepted(markers.chapter_skip(), "");
  fail_unless(!markers.chapter_open(), "still open after chapterSkip");
}
GST_END_TEST;

GST_START_TEST(test_chapter_close_without_a_chapter_is_rejected) {
  ContentMarkers markers;
  assert_rejected(markers.chapter_complete());
  assert_rejected(markers.chapter_skip());
  assert_accepted(markers.chapter_start(), "");
  assert_accepted(markers.chapter_complete(), "");
  assert_rejected(markers.chapter_skip());
}
GST_END_TEST;

// Chapters and ads are bookkept apart: a break does not touch the chapter.
GST_START_TEST(test_break_leaves_the_chapter_alone) {
  ContentMarkers markers = in_an_ad(/*in_a_chapter=*/true);
  assert_accepted(markers.ad_break_complete(), "adSkip");
  fail_unless(markers.chapter_open(), "the break closed the chapter");
}
GST_END_TEST;

GST_START_TEST(test_state_started_twice_is_rejected) {
  ContentMarkers markers;
  assert_accepted(markers.state_start("mute"), "");
  assert_rejected(markers.state_start("mute"));
  fail_unless(markers.active_states() == std::vector<std::string>{"mute"},
              "active states changed");
}
GST_END_TEST;

GST_START_TEST(test_state_end_when_not_active_is_rejected) {
  ContentMarkers markers;
  assert_rejected(markers.state_end("mute"));
  assert_accepted(markers.state_start("mute"), "");
  assert_accepted(markers.state_end("mute"), "");
  assert_rejected(markers.state_end("mute"));
  fail_unless(markers.active_states().empty(), "a state is still active");
}
GST_END_TEST;

GST_START_TEST(test_active_states_in_start_order) {
  ContentMarkers markers;
  assert_accepted(markers.state_start("fullScreen"), "");
  assert_accepted(markers.state_start("mute"), "");
  assert_accepted(markers.state_start("closedCaptioning"), "");
  assert_accepted(markers.state_end("mute"), "");
  const std::vector<std::string> expected{"fullScreen", "closedCaptioning"};
  fail_unless(markers.active_states() == expected, "wrong active states");
}
GST_END_TEST;

// §11: only the first 10 distinct states count, open or closed; one started
// many times counts once.
GST_START_TEST(test_eleventh_distinct_state_is_rejected) {
  ContentMarkers markers;
  use_ten_states(markers);
  fail_unless(ContentMarkers::kMaxStates == 10, "the limit is not 10");
  assert_rejected(markers.state_start("state10"));
  fail_unless(markers.active_states().empty(), "the 11th state is active");
}
GST_END_TEST;

GST_START_TEST(test_one_of_the_ten_restarts) {
  ContentMarkers markers;
  use_ten_states(markers);
  assert_accepted(markers.state_start("state3"), "");
  fail_unless(markers.active_states() == std::vector<std::string>{"state3"},
              "state3 not active again");
}
GST_END_TEST;

// Before a sessionComplete what is open completed, in the order ad, break,
// chapter; afterwards nothing is open.
GST_START_TEST(test_close_all_completed) {
  ContentMarkers markers = in_an_ad(/*in_a_chapter=*/true);
  assert_closes_all(markers, true, "adComplete adBreakComplete chapterComplete");
  assert_nothing_open(markers);
  fail_unless(!markers.awaiting_ad(), "awaiting an ad");
}
GST_END_TEST;

// Before a sessionEnd what is open was left: skipped.
GST_START_TEST(test_close_all_ended) {
  ContentMarkers markers = in_an_ad(/*in_a_chapter=*/true);
  assert_closes_all(markers, false, "adSkip adBreakComplete chapterSkip");
  assert_nothing_open(markers);
}
GST_END_TEST;

// Only what is open is closed: a break awaiting its ad, or nothing at all.
GST_START_TEST(test_close_all_closes_only_what_is_open) {
  ContentMarkers markers;
  fail_unless(markers.close_all(true).empty(), "closings with nothing open");
  assert_accepted(markers.ad_break_start(), "");
  assert_closes_all(markers, false, "adBreakComplete");
  fail_unless(markers.close_all(false).empty(), "closed twice");
}
GST_END_TEST;

// States are not closed by the session's end: they stay active for the next.
GST_START_TEST(test_close_all_keeps_the_states) {
  ContentMarkers markers;
  assert_accepted(markers.state_start("mute"), "");
  fail_unless(markers.close_all(false).empty(), "a state was closed");
  fail_unless(markers.active_states() == std::vector<std::string>{"mute"},
              "mute no longer active");
}
GST_END_TEST;

// §11: states do not carry over; the active ones are sent again and are the
// new session's first distinct states.
GST_START_TEST(test_new_session_keeps_active_states_and_recounts) {
  ContentMarkers markers;
  for (int i = 0; i < 10; ++i)
    assert_accepted(markers.state_start("state" + std::to_string(i)), "");
  for (int i = 3; i < 10; ++i)
    assert_accepted(markers.state_end("state" + std::to_string(i)), "");
  assert_rejected(markers.state_start("new0"));
  markers.new_session();
  const std::vector<std::string> active{"state0", "state1", "state2"};
  fail_unless(markers.active_states() == active, "the active states changed");
  // Three known, so seven new names fit and the eighth does not.
  for (int i = 0; i < 7; ++i)
    assert_accepted(markers.state_start("new" + std::to_string(i)), "");
  assert_rejected(markers.state_start("new7"));
  // A state of the old session that was not active is new here, and over.
  assert_rejected(markers.state_start("state5"));
}
GST_END_TEST;

// Nothing is open on the back end of a new session.
GST_START_TEST(test_new_session_forgets_ads_and_chapters) {
  ContentMarkers markers = in_an_ad();
  assert_accepted(markers.chapter_start(), "");
  markers.new_session();
  assert_nothing_open(markers);
  fail_unless(!markers.break_seen(), "the old session's break is seen");
  fail_unless(markers.close_all(false).empty(), "closings in the new session");
  assert_rejected(markers.ad_start());
}
GST_END_TEST;

static Suite *content_markers_suite(void) {
  Suite *s = suite_create("client-content-markers");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_ad_outside_a_break_is_rejected);
  tcase_add_test(tc, test_ad_close_without_an_ad_is_rejected);
  tcase_add_test(tc, test_ad_closes_by_complete_or_skip);
  tcase_add_test(tc, test_ad_start_with_an_ad_open_completes_it);
  tcase_add_test(tc, test_break_complete_without_a_break_is_rejected);
  tcase_add_test(tc, test_break_complete_with_an_ad_open_skips_it);
  tcase_add_test(tc, test_break_start_with_a_break_open_closes_it);
  tcase_add_test(tc, test_break_start_with_an_ad_open_skips_it_and_closes_the_break);
  tcase_add_test(tc, test_awaiting_ad_only_before_the_first_ad);
  tcase_add_test(tc, test_break_seen_once_a_break_opened);
  tcase_add_test(tc, test_chapter_overlap_is_rejected);
  tcase_add_test(tc, test_chapter_close_without_a_chapter_is_rejected);
  tcase_add_test(tc, test_break_leaves_the_chapter_alone);
  tcase_add_test(tc, test_state_started_twice_is_rejected);
  tcase_add_test(tc, test_state_end_when_not_active_is_rejected);
  tcase_add_test(tc, test_active_states_in_start_order);
  tcase_add_test(tc, test_eleventh_distinct_state_is_rejected);
  tcase_add_test(tc, test_one_of_the_ten_restarts);
  tcase_add_test(tc, test_close_all_completed);
  tcase_add_test(tc, test_close_all_ended);
  tcase_add_test(tc, test_close_all_closes_only_what_is_open);
  tcase_add_test(tc, test_close_all_keeps_the_states);
  tcase_add_test(tc, test_new_session_keeps_active_states_and_recounts);
  tcase_add_test(tc, test_new_session_forgets_ads_and_chapters);
  return s;
}

GST_CHECK_MAIN(content_markers);
