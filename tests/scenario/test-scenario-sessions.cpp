// Where one session ends and the next begins, on the local clip played in
// real time: a playback stopped and started again, and a pause long enough
// for the session to expire (resumed as a new session). Asserts on what
// arrived at the collector (tests/scenario/scenario.h).

#include "scenario.h"

using namespace scenario;

// Stopped at 1 s (NULL), then played again from the start to the end: one
// session per playback, the second a new one (not a resume). In playbin,
// which links the new decoder's pads when it starts again.
GST_START_TEST(test_play_again_after_stop) {
  Collector c(collector_args());
  {
    Player p(make_playbin("playbin", c));
    p.play();
    p.run_until_position(1.0);
    p.stop();
    p.play();
    p.run_until_eos();
    p.stop();
  }
  const std::vector<Session> sessions = finish(c);
  fail_unless(sessions.size() == 2, "%zu sessions arrived, expected 2", sessions.size());
  const Session &first = sessions[0];
  const Session &second = sessions[1];
  check_sequence(first, {"sessionStart", "play", "sessionEnd"});
  check_sequence(second, {"sessionStart", "play", "sessionComplete"});
  check_playhead_near(first, "the sessionEnd playhead", first.nth("sessionEnd").playhead,
                      1.0, 0.3);
  check_vod_start(second);
  const Event &restart = second.nth("sessionStart");
  fail_if(restart.bool_param("media.resume").value_or(false),
          "the second playback is reported as a resume:\n%s", second.timeline().c_str());
  check_near(second, "the second sessionStart playhead", restart.playhead, 0, 0.1);
  check_near(second, "the second play playhead", second.nth("play").playhead, 0, 0.1);
  check_complete_at_end(second);
  check_pings(first);
  check_pings(second);
}
GST_END_TEST;

// idle-timeout 2 s, paused 3.5 s at 1 s, then played to the end: the pause
// ends the first session after 2 s; the resume opens a second one
// (media.resume) at the pause's playhead, which completes.
GST_START_TEST(test_expiry) {
  Collector c(collector_args());
  {
    Player p(file_pipeline(c));
    set_ns_property(p.element("ma"), "idle-timeout", 2 * GST_SECOND);
    p.play();
    p.run_until_position(1.0);
    p.pause();
    p.run_until_state(GST_STATE_PAUSED);
    p.run_for(3500);
    p.play();
    p.run_until_eos();
    p.stop();
  }
  const std::vector<Session> sessions = finish(c);
  fail_unless(sessions.size() == 2, "%zu sessions arrived, expected 2", sessions.size());
  const Session &first = sessions[0];
  const Session &second = sessions[1];
  check_sequence(first, {"sessionStart", "play", "pauseStart", "sessionEnd"});
  check_sequence(second, {"sessionStart", "play", "sessionComplete"});
  check_vod_start(first);
  check_vod_start(second);

  const Event &pause = first.nth("pauseStart");
  const Event &end = first.nth("sessionEnd");
  check_near(first, "the pauseStart playhead", pause.playhead, 1.0, 0.3);
  // The timeout counts from the pause; the element's timer may fire a little
  // late on a loaded machine.
  check_near(first, "the time from pauseStart to sessionEnd (s)",
             (end.ts - pause.ts) / 1000.0, 2.0, 0.5);
  check_near(first, "the sessionEnd playhead", end.playhead, pause.playhead, 0.2);
  fail_unless(first.closed && first.closed->str("reason") == "sessionEnd",
              "the first session was not closed by its sessionEnd:\n%s",
              first.timeline().c_str());
  fail_if(first.nth("sessionStart").bool_param("media.resume").value_or(false),
          "the first session is a resume:\n%s", first.timeline().c_str());

  const Event &restart = second.nth("sessionStart");
  fail_unless(restart.bool_param("media.resume") == std::optional<bool>(true),
              "the second sessionStart has no media.resume true:\n%s",
              second.timeline().c_str());
  fail_unless(
      restart.str_param("media.id") == first.nth("sessionStart").str_param("media.id"),
      "the resumed session reports another media.id:\n%s%s", first.timeline().c_str(),
      second.timeline().c_str());
  // It opens when playback resumes, 3.5 s after the pause began.
  check_near(second, "the time from the pause to the resumed sessionStart (s)",
             (restart.ts - pause.ts) / 1000.0, 3.5, 0.6);
  // As after any pause: a few frames of leeway (test_pause_and_resume).
  check_near(second, "the resumed sessionStart playhead", restart.playhead,
             pause.playhead, 0.2);
  check_near(second, "the play playhead", second.nth("play").playhead, pause.playhead,
             0.2);
  check_complete_at_end(second);
  check_pings(first);
  check_pings(second);
}
GST_END_TEST;

static Suite *scenario_sessions_suite(void) {
  Suite *s = suite_create("scenario-sessions");
  TCase *tc = add_scenario_tcase(s);
  tcase_add_test(tc, test_play_again_after_stop);
  tcase_add_test(tc, test_expiry);
  return s;
}

GST_CHECK_MAIN(scenario_sessions);
