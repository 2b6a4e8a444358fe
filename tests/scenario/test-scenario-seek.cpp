// Seek scenarios on the local file played in real time (filesrc ! decodebin !
// mediaanalytics ! fakesink sync=true): a seek while playing, a seek while
// paused, and a seek that changes the rate to 2.0. The seeks are flushing and
// accurate, as a player's seek bar does them. Asserts on what arrived at the
// collector (tests/scenario/scenario.h).

#include "scenario.h"

using namespace scenario;

// At 1 s, a seek to 4 s while playing: pauseStart where the viewer left,
// play where the seek landed.
GST_START_TEST(test_seek_while_playing) {
  Collector c(collector_args());
  {
    Player p(file_pipeline(c));
    p.play();
    p.run_until_position(1.0);
    p.seek(4.0);
    p.run_until_eos();
    p.stop();
  }
  const std::vector<Session> sessions = finish(c);
  const Session &s = single(sessions);
  check_sequence(s, {"sessionStart", "play", "pauseStart", "play", "sessionComplete"});
  check_vod_start(s);
  const Event &pause = s.nth("pauseStart");
  const Event &landed = s.nth("play", 1);
  // The seek was asked once the position had reached 1 s.
  check_near(s, "the pauseStart playhead", pause.playhead, 1.0, 0.3);
  // An accurate seek: the first frame out is the one at 4 s.
  check_near(s, "the playhead of the play after the seek", landed.playhead, 4.0, 0.2);
  // A local file decodes from the keyframe a second before at most: the
  // seek lands well within a second.
  fail_unless(landed.ts - pause.ts < 1000, "the seek took %" G_GINT64_FORMAT " ms:\n%s",
              landed.ts - pause.ts, s.timeline().c_str());
  check_complete_at_end(s);
  check_pings(s);
}
GST_END_TEST;

// Paused at 1 s, a seek to 4 s, 1 s more of pause, then played to the end:
// the seek adds nothing to the pause, the play is where it landed.
GST_START_TEST(test_seek_while_paused) {
  Collector c(collector_args());
  {
    Player p(file_pipeline(c));
    p.play();
    p.run_until_position(1.0);
    p.pause();
    p.run_until_state(GST_STATE_PAUSED);
    p.seek(4.0);
    // Prerolled at the new position.
    p.run_until_position(4.0 - 0.01);
    p.run_for(1000);
    p.play();
    p.run_until_eos();
    p.stop();
  }
  const std::vector<Session> sessions = finish(c);
  const Session &s = single(sessions);
  check_sequence(s, {"sessionStart", "play", "pauseStart", "play", "sessionComplete"});
  check_vod_start(s);
  const Event &pause = s.nth("pauseStart");
  const Event &resume = s.nth("play", 1);
  check_near(s, "the pauseStart playhead", pause.playhead, 1.0, 0.3);
  check_near(s, "the playhead of the play after the seek", resume.playhead, 4.0, 0.2);
  fail_unless(resume.ts - pause.ts >= 1000,
              "the pause lasted %" G_GINT64_FORMAT " ms:\n%s", resume.ts - pause.ts,
              s.timeline().c_str());
  check_complete_at_end(s);
  check_pings(s);
}
GST_END_TEST;

// At 0.5 s, a seek to where it is with rate 2.0, then played to the end: the
// seek is a pauseStart and a play as any seek while playing; from then on
// the playhead (stream time) moves 2 s per second of wall time.
GST_START_TEST(test_rate_2) {
  Collector c(collector_args());
  {
    Player p(file_pipeline(c));
    p.play();
    p.run_until_position(0.5);
    p.seek(p.position(), 2.0);
    p.run_until_eos();
    p.stop();
  }
  const std::vector<Session> sessions = finish(c);
  const Session &s = single(sessions);
  check_sequence(s, {"sessionStart", "play", "pauseStart", "play", "sessionComplete"});
  check_vod_start(s);
  const Event &pause = s.nth("pauseStart");
  const Event &fast = s.nth("play", 1);
  const Event &complete = s.nth("sessionComplete");
  check_near(s, "the pauseStart playhead", pause.playhead, 0.5, 0.3);
  check_near(s, "the playhead of the play at rate 2", fast.playhead, pause.playhead, 0.2);
  // 5.5 s of content at rate 2 take 2.75 s: two or three pings on the 1 s
  // grid.
  std::vector<const Event *> fast_pings;
  for (const Event *ping : s.pings())
    if (ping->ts > fast.ts && ping->ts < complete.ts)
      fast_pings.push_back(ping);
  fail_unless(fast_pings.size() >= 2, "%zu pings at rate 2, expected 2 or more:\n%s",
              fast_pings.size(), s.timeline().c_str());
  const double span_s = (fast_pings.back()->ts - fast_pings.front()->ts) / 1000.0;
  check_near(s, "the playhead's speed between the pings at rate 2",
             (fast_pings.back()->playhead - fast_pings.front()->playhead) / span_s, 2.0,
             0.25);
  check_near(s, "the playhead's speed from the play at rate 2 to the end",
             (complete.playhead - fast.playhead) / ((complete.ts - fast.ts) / 1000.0),
             2.0, 0.3);
  check_complete_at_end(s);
  check_pings(s, {1.0, 2.0});
}
GST_END_TEST;

static Suite *scenario_seek_suite(void) {
  Suite *s = suite_create("scenario-seek");
  TCase *tc = add_scenario_tcase(s);
  tcase_add_test(tc, test_seek_while_playing);
  tcase_add_test(tc, test_seek_while_paused);
  tcase_add_test(tc, test_rate_2);
  return s;
}

GST_CHECK_MAIN(scenario_seek);
