// Seek scenarios on the local file played in real time (filesrc ! decodebin !
// mediaanalytics ! fakesink sync=true): a seek while playing, a seek while
// paused, a seek that changes the rate to 2.0, and an instant rate change to
// 2.0 (no seek at all). The seeks are flushing and accurate, as a player's
// seek bar does them. Asserts on what arrived at the collector
// (tests/scenario/scenario.h).

#include "scenario.h"

using namespace scenario;

namespace {

// The pings between `from_ms` and `to_ms` (UTC, the record's ts; at least
// two of them) say that the playhead moved at `rate` in between.
void check_ping_speed(const Session &s, int64_t from_ms, int64_t to_ms, double rate) {
  std::vector<const Event *> pings;
  for (const Event *ping : s.pings())
    if (ping->ts > from_ms && ping->ts < to_ms)
      pings.push_back(ping);
  fail_unless(pings.size() >= 2, "%zu pings at rate %.1f, expected 2 or more:\n%s",
              pings.size(), rate, s.timeline().c_str());
  const double span_s = (pings.back()->ts - pings.front()->ts) / 1000.0;
  // A ping's playhead is observed a moment before the ping is stamped: a few
  // ms natively (the 0.25 covers it), longer under valgrind, where the
  // sending thread may wait for the CPU in between (late_ms()). Each of the
  // two stamps may then move the speed by `rate` × that moment / the span.
  const double observed_early_s = static_cast<double>(late_ms(10) - 10) / 1000.0;
  check_near(s, "the playhead's speed between the pings",
             (pings.back()->playhead - pings.front()->playhead) / span_s, rate,
             0.25 + 2 * rate * observed_early_s / span_s);
}

}  // namespace

// At 1 s, a seek to 4 s while playing: pauseStart where the viewer left,
// play where the seek landed.
GST_START_TEST(test_seek_while_playing) {
  const std::vector<Session> sessions = play_file([](Player &p) {
    p.run_until_position(1.0);
    p.seek(4.0);
    p.run_until_eos();
  });
  const Session &s = single(sessions);
  // The seek was asked once the position had reached 1 s.
  const Interruption seek = check_interrupted(s, 1.0);
  const Event &pause = seek.pause;
  const Event &landed = seek.resume;
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
  const std::vector<Session> sessions = play_file([](Player &p) {
    p.run_until_position(1.0);
    p.pause();
    p.run_until_state(GST_STATE_PAUSED);
    p.seek(4.0);
    // Prerolled at the new position.
    p.run_until_position(4.0 - 0.01);
    p.run_for(1000);
    p.play();
    p.run_until_eos();
  });
  const Session &s = single(sessions);
  const auto [pause, resume] = check_interrupted(s, 1.0);
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
  const std::vector<Session> sessions = play_file([](Player &p) {
    p.run_until_position(0.5);
    p.seek(p.position(), 2.0);
    p.run_until_eos();
  });
  const Session &s = single(sessions);
  const auto [pause, fast] = check_interrupted(s, 0.5);
  const Event &complete = s.nth("sessionComplete");
  check_near(s, "the playhead of the play at rate 2", fast.playhead, pause.playhead, 0.2);
  // 5.5 s of content at rate 2 take 2.75 s: two or three pings on the 1 s
  // grid.
  check_ping_speed(s, fast.ts, complete.ts, 2.0);
  check_near(s, "the playhead's speed from the play at rate 2 to the end",
             (complete.playhead - fast.playhead) / ((complete.ts - fast.ts) / 1000.0),
             2.0, 0.3);
  check_complete_at_end(s);
  check_pings(s, {1.0, 2.0});
}
GST_END_TEST;

// At 1 s, an instant rate change to 2.0 (GST_SEEK_FLAG_INSTANT_RATE_CHANGE:
// no flush, no new position), as a player's fast-forward does it where the
// demuxer can. matroskademux (1.22) takes it: it sends the change downstream
// in-band, and the pipeline moves the sinks' clock mapping to the new rate at
// once. (identity, in the path, would refuse it: the file pipeline has none.)
//
// Nothing was flushed and no position changed: not a seek. The viewer kept
// watching, only faster: no pauseStart, no second play, and from the change
// on the playhead moves 2 s per second.
GST_START_TEST(test_instant_rate_change) {
  int64_t changed_utc_ms = 0;
  double changed_at = 0;
  const std::vector<Session> sessions = play_file([&](Player &p) {
    p.run_until_position(1.0);
    changed_at = p.position();
    changed_utc_ms = utc_now_ms();
    fail_unless(p.change_rate_instantly(2.0),
                "the pipeline refused the instant rate change");
    p.run_until_eos();
  });
  const Session &s = single(sessions);
  check_sequence(s, {"sessionStart", "play", "sessionComplete"});
  check_vod_start(s);
  const Event &play = s.nth("play");
  const Event &complete = s.nth("sessionComplete");
  check_time_near(s, "the play playhead", play.playhead, 0, 0.1);
  // The change took: 1 s at rate 1, then 5 s of content at rate 2 end 3.5 s
  // after the play (6 s without it).
  check_near(s, "the time from the play to sessionComplete (s)",
             (complete.ts - play.ts) / 1000.0, 3.5, 0.3);
  // 2.5 s at rate 2 from about 1 s after the sessionStart: the pings at 2 s
  // and 3 s on the grid.
  check_ping_speed(s, changed_utc_ms, complete.ts, 2.0);
  check_near(s, "the playhead's speed from the change to the end",
             (complete.playhead - changed_at) / ((complete.ts - changed_utc_ms) / 1000.0),
             2.0, 0.3);
  check_complete_at_end(s);
  check_pings(s, {}, {{changed_utc_ms, 2.0}});
}
GST_END_TEST;

static Suite *scenario_seek_suite(void) {
  Suite *s = suite_create("scenario-seek");
  TCase *tc = add_scenario_tcase(s);
  tcase_add_test(tc, test_seek_while_playing);
  tcase_add_test(tc, test_seek_while_paused);
  tcase_add_test(tc, test_rate_2);
  tcase_add_test(tc, test_instant_rate_change);
  return s;
}

GST_CHECK_MAIN(scenario_seek);
