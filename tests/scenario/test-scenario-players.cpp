// The element inside ready-made players, on the local clip: playbin and
// playbin3 with the element as their video-filter, and gst-play-1.0 (a
// separate process) with the element in its --videosink description, and
// playbin on a clip whose audio outlasts its video. None of them tells the
// element anything: id, name and length come from the pipeline. Asserts on
// what arrived at the collector (tests/scenario/scenario.h).

#include "scenario.h"

using namespace scenario;

namespace {

// One played-to-the-end session of the clip, with what a player's pipeline
// gives the element: the file's URI as media.id, the title tag as
// media.name, the duration as media.length.
void check_played_clip(const std::vector<Session> &sessions) {
  // playsink queues a few frames after the filter: the element sees them
  // before they are shown, which the playhead must not count. A few frames
  // (40 ms each) of leeway for the moment of the query.
  check_clip_to_end(single(sessions), 0.2);
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

// A clip of 6 s of audio (raw PCM, which needs no encoder) and only 3 s of
// video (Theora), in Matroska; media.length is the longer, 6 s.
constexpr double kAudioSeconds = 6.0;
constexpr double kVideoSeconds = 3.0;

std::string make_audio_longer_clip() {
  return make_media("audio-longer.mkv",
                    "videotestsrc num-buffers=75 ! "
                    "video/x-raw,width=320,height=240,framerate=25/1 ! theoraenc ! mux. "
                    "audiotestsrc num-buffers=60 samplesperbuffer=1600 ! "
                    "audio/x-raw,format=S16LE,rate=16000,channels=1 ! mux. "
                    "matroskamux name=mux");
}

}  // namespace

GST_START_TEST(test_playbin_video_filter) {
  play_with("playbin");
}
GST_END_TEST;

// playbin, the element as video-filter (stall-threshold 1 s), on a clip whose
// video ends at 3 s while its audio plays on to 6 s. What the element sees
// after the last frame: playsink's streamsynchronizer fills the ended video
// stream with GAP events until every stream's EOS has reached it, then lets
// the video EOS through; the audio's EOS reaches it about a second before the
// audio is played out (playsink's audio chain queues about that much), so the
// element's own EOS comes about 1 s before the end, and nothing after it.
//
// The viewer watches to the end of the content: one play and a
// sessionComplete when the whole pipeline is at EOS (6 s), not when the
// video stops or its EOS passes the element; no stall (bufferStart) while the
// audio plays on alone.
GST_START_TEST(test_playbin_audio_outlasts_video) {
  const std::string clip = make_audio_longer_clip();
  g_autofree char *uri = gst_filename_to_uri(clip.c_str(), nullptr);
  Collector c(collector_args());
  std::vector<int64_t> frames, own_eos;
  {
    Player p(make_playbin("playbin", c, uri));
    // Not in the bin before playsink builds its video chain: playbin's
    // property holds it.
    g_autoptr(GstElement) ma = nullptr;
    g_object_get(p.pipeline(), "video-filter", &ma, nullptr);
    set_ns_property(ma, "stall-threshold", GST_SECOND);
    PadLog passed(ma, "sink");
    p.play();
    p.run_until_eos();
    p.stop();
    frames = passed.times({PadLog::kBuffer});
    own_eos = passed.times({GST_EVENT_EOS});
  }
  const std::vector<Session> sessions = finish(c);
  const Session &s = single(sessions);
  check_sequence(s, {"sessionStart", "play", "sessionComplete"});
  check_vod_start(s, kAudioSeconds);
  const Event &play = s.nth("play");
  const Event &complete = s.nth("sessionComplete");
  // The scenario happened as designed: the frames stopped at 3 s, and the
  // element's own EOS came well before the end of the audio. Both ends of
  // that time are stamped in the test's process (the play when the state
  // change reaches the element, the frames in the streaming thread), either
  // may come late under valgrind: the tolerance grows on both sides there.
  fail_unless(!frames.empty() && own_eos.size() == 1,
              "%zu frames, %zu EOS at the element", frames.size(), own_eos.size());
  check_near(s, "the time from the play to the last frame (s)",
             (frames.back() - play.ts) / 1000.0, kVideoSeconds,
             static_cast<double>(late_ms(300)) / 1000.0);
  fail_unless(
      complete.ts - own_eos.front() >= 500,
      "the element's own EOS came %" G_GINT64_FORMAT
      " ms before sessionComplete: the scenario needs it well before the end:\n%s",
      complete.ts - own_eos.front(), s.timeline().c_str());
  check_time_near(s, "the play playhead", play.playhead, 0, 0.2);
  check_near(s, "the time from the play to sessionComplete (s)",
             (complete.ts - play.ts) / 1000.0, kAudioSeconds, 0.4);
  check_complete_at_end(s);
  check_pings(s);
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
  const collector_test::Finished run = collector_test::run_program(
      {gst_play, "--no-interactive", "--no-position",
       "--videosink=" + element_description(c) + " ! fakesink sync=true",
       "--audiosink=fakesink", clip_path()},
      30000);
  fail_unless(run.exited && run.status == 0, "gst-play-1.0 %s %d:\n%s",
              run.exited ? "exited with" : "was killed, status", run.status,
              (run.out + run.err).c_str());
  check_played_clip(finish(c));
}
GST_END_TEST;

static Suite *scenario_players_suite(void) {
  Suite *s = suite_create("scenario-players");
  TCase *tc = add_scenario_tcase(s);
  tcase_add_test(tc, test_playbin_video_filter);
  tcase_add_test(tc, test_playbin_audio_outlasts_video);
  tcase_add_test(tc, test_playbin3_video_filter);
  tcase_add_test(tc, test_gst_play);
  return s;
}

GST_CHECK_MAIN(scenario_players);
