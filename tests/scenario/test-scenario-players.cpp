// The element inside ready-made players, on the local clip: playbin and
// playbin3 with the element as their video-filter, and gst-play-1.0 (a
// separate process) with the element in its --videosink description. None of
// them tells the element anything: id, name and length come from the
// pipeline. Asserts on what arrived at the collector (tests/scenario/scenario.h).

#include "scenario.h"

using namespace scenario;

namespace {

// One played-to-the-end session of the clip, with what a player's pipeline
// gives the element: the file's URI as media.id, the title tag as
// media.name, the duration as media.length.
void check_played_clip(const std::vector<Session> &sessions) {
  const Session &s = single(sessions);
  check_sequence(s, {"sessionStart", "play", "sessionComplete"});
  check_vod_start(s);
  const Event &start = s.nth("sessionStart");
  fail_unless(start.str_param("media.id") == clip_uri(),
              "media.id is \"%s\", expected the file's URI %s:\n%s",
              start.str_param("media.id").c_str(), clip_uri().c_str(),
              s.timeline().c_str());
  fail_unless(start.str_param("media.name") == kClipTitle,
              "media.name is \"%s\", expected the title tag:\n%s",
              start.str_param("media.name").c_str(), s.timeline().c_str());
  // playsink queues a few frames after the filter: the element sees them
  // before they are shown, which the playhead must not count. A few frames
  // (40 ms each) of leeway for the moment of the query.
  check_near(s, "the sessionStart playhead", start.playhead, 0, 0.2);
  check_near(s, "the play playhead", s.nth("play").playhead, 0, 0.2);
  check_complete_at_end(s);
  check_pings(s);
}

// `factory` (playbin or playbin3) on the clip, played to the end.
void play_with(const char *factory) {
  Collector c(collector_args());
  {
    Player p(make_playbin(factory, c));
    p.play();
    p.run_until_eos();
    p.stop();
  }
  check_played_clip(finish(c));
}

}  // namespace

GST_START_TEST(test_playbin_video_filter) {
  play_with("playbin");
}
GST_END_TEST;

GST_START_TEST(test_playbin3_video_filter) {
  play_with("playbin3");
}
GST_END_TEST;

// gst-play-1.0, not interactive, the element in its video sink bin. The
// process gets the test's environment: GST_PLUGIN_PATH_1_0 (the plugin from
// the build tree) and the suite's registry.
GST_START_TEST(test_gst_play) {
  g_autofree char *gst_play = g_find_program_in_path("gst-play-1.0");
  fail_unless(gst_play != nullptr,
              "no gst-play-1.0 in PATH: it comes with gstreamer1.0-plugins-base-apps");
  Collector c(collector_args());
  const Finished run =
      run_process({gst_play, "--no-interactive", "--no-position",
                   "--videosink=" + element_description(c) + " ! fakesink sync=true",
                   "--audiosink=fakesink", clip_path()},
                  30000);
  fail_unless(run.exited && run.status == 0, "gst-play-1.0 %s %d:\n%s",
              run.exited ? "exited with" : "was killed, status", run.status,
              run.out.c_str());
  check_played_clip(finish(c));
}
GST_END_TEST;

static Suite *scenario_players_suite(void) {
  Suite *s = suite_create("scenario-players");
  TCase *tc = add_scenario_tcase(s);
  tcase_add_test(tc, test_playbin_video_filter);
  tcase_add_test(tc, test_playbin3_video_filter);
  tcase_add_test(tc, test_gst_play);
  return s;
}

GST_CHECK_MAIN(scenario_players);
