// Scenarios on a local file played in real time (filesrc ! decodebin !
// mediaanalytics ! fakesink sync=true): to the end, with a pause, abandoned. Asserts on
// what arrived at the collector (tests/scenario/scenario.h).

#include "scenario.h"

using namespace scenario;

// Played to the end: one session, with the length, type, id and name the
// pipeline gives.
GST_START_TEST(test_play_to_end) {
  const std::vector<Session> sessions = play_file([](Player &p) { p.run_until_eos(); });
  const Session &s = single(sessions);
  check_clip_to_end(s, 0.1);
  // A completed session stays open on the back end: the collector closes it
  // when it stops.
  fail_unless(s.closed && s.closed->str("reason") == "collector-shutdown",
              "the session was closed by \"%s\":\n%s",
              s.closed ? s.closed->str("reason").c_str() : "nothing",
              s.timeline().c_str());
}
GST_END_TEST;

// Paused 2 s at 2 s, then played to the end: pauseStart and play at the same
// playhead, pings at that playhead during the pause.
GST_START_TEST(test_pause_and_resume) {
  const std::vector<Session> sessions = play_file([](Player &p) {
    p.run_until_position(2.0);
    p.pause();
    p.run_until_state(GST_STATE_PAUSED);
    p.run_for(2000);
    p.play();
    p.run_until_eos();
  });
  const Session &s = single(sessions);
  // The application paused once the position had reached 2 s; the pause
  // takes a few frames at most.
  const auto [pause, resume] = check_interrupted(s, 2.0);
  // Nothing moves during a pause. The leeway (a few frames of 40 ms) is for
  // an element that takes the playhead from the buffers it passes: the sink
  // holds one frame as its preroll and the element already passed the next.
  check_near(s, "the playhead of the play after the pause", resume.playhead,
             pause.playhead, 0.2);
  check_near(s, "the pause's length (s)", (resume.ts - pause.ts) / 1000.0, 2.0, 0.5);
  size_t pings_in_pause = 0;
  for (const Event *ping : s.pings())
    if (ping->ts > pause.ts && ping->ts < resume.ts) {
      pings_in_pause++;
      check_near(s, "a ping's playhead during the pause", ping->playhead, pause.playhead,
                 0.2);
    }
  fail_unless(pings_in_pause >= 1, "no ping during the 2 s pause:\n%s",
              s.timeline().c_str());
  check_complete_at_end(s);
  check_pings(s);
}
GST_END_TEST;

// Stopped after 2 s: the session ends there.
GST_START_TEST(test_abandon) {
  const std::vector<Session> sessions =
      play_file([](Player &p) { p.run_until_position(2.0); });
  const Session &s = single(sessions);
  check_sequence(s, {"sessionStart", "play", "sessionEnd"});
  check_vod_start(s);
  check_near(s, "the sessionEnd playhead", s.nth("sessionEnd").playhead, 2.0, 0.3);
  check_pings(s);
  fail_unless(s.closed && s.closed->str("reason") == "sessionEnd",
              "the session was not closed by its sessionEnd:\n%s", s.timeline().c_str());
}
GST_END_TEST;

static Suite *scenario_vod_suite(void) {
  Suite *s = suite_create("scenario-vod");
  TCase *tc = add_scenario_tcase(s);
  tcase_add_test(tc, test_play_to_end);
  tcase_add_test(tc, test_pause_and_resume);
  tcase_add_test(tc, test_abandon);
  return s;
}

GST_CHECK_MAIN(scenario_vod);
