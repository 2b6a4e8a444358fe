// Scenarios over HTTP, with the clip served by a throttled in-process server
// (HttpServer in tests/scenario/scenario.h): a slow initial load and a
// mid-stream rebuffering that the application handles as gst-play does, an
// initial load the viewer gives up on, a seek on a server slow to answer
// Range requests, and a connection cut in the middle of the body. Asserts on
// what arrived at the collector.

#include "scenario.h"

#include <algorithm>

using namespace scenario;

namespace {

// `souphttpsrc ! matroskademux ! queue2 (buffering) ! theoradec !
// mediaanalytics ! fakesink sync=true` on `url`.
//
// queue2 sits after the demuxer, as decodebin's buffering multiqueue does:
// before it, its level would count souphttpsrc's buffers, whose size doubles
// on every full read with no limit, so that after a stall one read can hold
// more than the whole queue; the next dequeue empties it and queue2 starts
// another buffering (seen here: BUFFERING 66 %, 55 % a few ms before 100 %,
// every 2 s). After the demuxer it holds frames of a few kB. Its level is
// time only (1 s; bytes, buffers and the rate estimate are off), so it does
// not depend on the frames' sizes nor on the download speed.
std::string buffered_pipeline(const std::string &url, const Collector &c) {
  return "souphttpsrc location=" + url +
         " ! matroskademux ! queue2 use-buffering=true max-size-bytes=0"
         " max-size-buffers=0 max-size-time=1000000000 use-rate-estimate=false"
         " ! theoradec name=dec ! " +
         element_description(c) + " ! fakesink sync=true";
}

// The application asks for PLAYING during an initial load, and handles
// queue2's first BUFFERING (below 100 %: it holds the pipeline in PAUSED)
// before the pipeline can preroll: the first frame waits before the decoder
// until then. queue2 posts that BUFFERING as the frame enters it, and natively
// the application's main loop always handles it before the decoder and the
// sink are done with the frame; under valgrind the test's process may run
// the streaming threads first, and the pipeline would preroll and start
// playing before the application held it: not the scenario.
void play_during_initial_load(Player &p) {
  GstPad *decoder_sink = gst_element_get_static_pad(p.element("dec"), "sink");
  const gulong hold = gst_pad_add_probe(
      decoder_sink,
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BLOCK | GST_PAD_PROBE_TYPE_BUFFER),
      [](GstPad *, GstPadProbeInfo *, gpointer) { return GST_PAD_PROBE_OK; }, nullptr,
      nullptr);
  p.play();
  const bool held = p.run_until(
      [&p] { return !p.buffering().empty() && p.buffering().front().percent < 100; },
      static_cast<int>(late_ms(5000)));
  gst_pad_remove_probe(decoder_sink, hold);
  gst_object_unref(decoder_sink);
  fail_unless(held, "the application saw no initial BUFFERING below 100 %%");
}

}  // namespace

// The server sends 5 % of the clip (0.3 s of content) at once, the next 30 %
// (up to 2.1 s of content) 1 s later, and the rest 3.5 s after that. queue2
// buffers (use-buffering) and the application, as gst-play does, asks for
// PLAYING at once, pauses below 100 % and resumes at 100 %.
//
// The initial load: the pipeline prerolls on the first 5 % but queue2 stays
// below 100 % for 1 s. The application asked to play: the session starts
// then, and the load is time to start (the gap to the first play), neither a
// bufferStart nor a pauseStart.
//
// The rebuffering: playback drains the first 35 % at about 2 s of content
// (3 s after the start), while the server still stalls for about 1.4 s.
GST_START_TEST(test_rebuffering) {
  Collector c(collector_args());
  std::vector<Player::Buffering> buffering;
  std::string url;
  int64_t asked_utc_ms = 0;
  {
    HttpServer server(clip_path(), HttpPlan{{{0.05, 0}, {0.35, 1000}, {1.0, 3500}}});
    url = server.url();
    Player p(buffered_pipeline(url, c));
    asked_utc_ms = utc_now_ms();
    play_during_initial_load(p);
    p.run_until_eos(30000);
    p.stop();
    buffering = p.buffering();
    fail_unless(server.requests() == 1, "%d requests to the server, expected 1",
                server.requests());
  }
  // The scenario happened as designed: the application saw an initial load
  // before the pipeline ever played, and a rebuffering after.
  bool initial_load = false, rebuffering = false;
  for (const Player::Buffering &b : buffering) {
    initial_load = initial_load || (b.percent < 100 && !b.after_playing);
    rebuffering = rebuffering || (b.percent < 100 && b.after_playing);
  }
  fail_unless(initial_load && rebuffering,
              "the application saw no initial load (%d) or no rebuffering (%d)",
              initial_load, rebuffering);

  const std::vector<Session> sessions = finish(c);
  const Session &s = single(sessions);
  check_sequence(s, {"sessionStart", "play", "bufferStart", "play", "sessionComplete"});
  check_vod_start(s);
  const Event &start = s.nth("sessionStart");
  fail_unless(start.str_param("media.id") == url,
              "media.id is \"%s\", expected the URL %s:\n%s",
              start.str_param("media.id").c_str(), url.c_str(), s.timeline().c_str());
  // The intent to play: the application's set_state(PLAYING); the element
  // may need the preroll (the first 5 % are there at once) to see it.
  check_time_near(s, "the time from the application's play to sessionStart (s)",
                  (start.ts - asked_utc_ms) / 1000.0, 0.0, 0.5);
  // The initial load, time to start: the next part comes 1 s later (and the
  // pipeline, slower under valgrind, may take longer to play it).
  check_time_near(s, "the time from sessionStart to the first play (s)",
                  (s.nth("play").ts - start.ts) / 1000.0, 1.0, 0.4);
  check_near(s, "the first play's playhead", s.nth("play").playhead, 0, 0.1);
  const Event &stalled = s.nth("bufferStart");
  const Event &resumed = s.nth("play", 1);
  // Where the first 35 % run out: 2.1 s of content, less what the demuxer
  // still holds of an unfinished cluster.
  check_near(s, "the bufferStart playhead", stalled.playhead, 2.0, 0.5);
  // Nothing is shown while buffering (a few frames of leeway, as after a
  // pause).
  check_near(s, "the playhead of the play after buffering", resumed.playhead,
             stalled.playhead, 0.2);
  fail_unless(resumed.ts - stalled.ts >= 700,
              "the rebuffering lasted %" G_GINT64_FORMAT " ms, expected about 1.4 s:\n%s",
              resumed.ts - stalled.ts, s.timeline().c_str());
  check_complete_at_end(s);
  check_pings(s);
}
GST_END_TEST;

// The server sends 5 % of the clip (0.3 s of content), then nothing for 8 s;
// the application asks for PLAYING at once and, as gst-play does, holds the
// pipeline in PAUSED while queue2 is below 100 %. The pipeline prerolls on
// those 5 % but never plays. The viewer gives up after 3 s (NULL).
//
// The application asked to play: that is a session (started at the intent,
// opened once the pipeline prerolled), and the load it abandoned was all time
// to start: no play, no bufferStart, no pauseStart for the application's
// pause; the stop ends it.
GST_START_TEST(test_abandon_during_initial_load) {
  const int kViewerPatienceMs = 3000;
  Collector c(collector_args());
  int64_t asked_utc_ms = 0, stopped_utc_ms = 0;
  {
    // The rest comes after the test ended (the stall outlasts it under
    // valgrind too).
    HttpServer server(
        clip_path(),
        HttpPlan{{{0.05, 0}, {1.0, static_cast<int>(collector_test::scaled_ms(8000))}}});
    Player p(buffered_pipeline(server.url(), c));
    asked_utc_ms = utc_now_ms();
    play_during_initial_load(p);
    // Prerolled and the session open within the viewer's 3 s; under valgrind
    // the preroll alone may take longer, and the viewer waits for both (the
    // sessionStart arrived at the collector), then until 3 s passed.
    p.run_until_state(GST_STATE_PAUSED, kViewerPatienceMs);
    fail_unless(p.run_until([&c] { return c.wait_for_lines(1, 0); },
                            static_cast<int>(late_ms(kViewerPatienceMs))),
                "no sessionStart arrived while the viewer waited");
    p.run_for(static_cast<int>(
        std::max<int64_t>(0, kViewerPatienceMs - (utc_now_ms() - asked_utc_ms))));
    // The scenario happened as designed: prerolled, held in PAUSED for the
    // buffering, never played.
    GstState state = GST_STATE_VOID_PENDING, pending = GST_STATE_VOID_PENDING;
    gst_element_get_state(p.pipeline(), &state, &pending, 0);
    fail_unless(state == GST_STATE_PAUSED && pending == GST_STATE_VOID_PENDING,
                "when the viewer gave up the pipeline is %s (pending %s), expected "
                "PAUSED: prerolled and held for buffering",
                gst_element_state_get_name(state), gst_element_state_get_name(pending));
    fail_if(p.has_played(), "the pipeline played: the server sent too much");
    fail_unless(!p.buffering().empty() && p.buffering().back().percent < 100,
                "the application saw no buffering below 100 %%");
    stopped_utc_ms = utc_now_ms();
    p.stop();
  }
  const std::vector<Session> sessions = finish(c);
  const Session &s = single(sessions);
  check_sequence(s, {"sessionStart", "sessionEnd"});
  check_vod_start(s);
  const Event &start = s.nth("sessionStart");
  const Event &end = s.nth("sessionEnd");
  // Stamped at the application's set_state(PLAYING), not when the preroll
  // let the element open it (the state changes reach the element later under
  // valgrind).
  check_time_near(s, "the time from the application's play to sessionStart (s)",
                  (start.ts - asked_utc_ms) / 1000.0, 0.0, 0.5);
  check_time_near(s, "the time from the application's stop to sessionEnd (s)",
                  (end.ts - stopped_utc_ms) / 1000.0, 0.0, 0.5);
  // Nothing was ever shown but the preroll frame.
  check_near(s, "the sessionStart playhead", start.playhead, 0, 0.1);
  check_near(s, "the sessionEnd playhead", end.playhead, 0, 0.1);
  check_pings(s);
  fail_unless(s.pings().size() >= 2, "%zu pings in a 3 s session:\n%s", s.pings().size(),
              s.timeline().c_str());
  fail_unless(s.closed && s.closed->str("reason") == "sessionEnd",
              "the session was not closed by its sessionEnd:\n%s", s.timeline().c_str());
}
GST_END_TEST;

// At 1 s, a seek to 4 s in the stream of a slow server: every Range request
// waits 1.5 s for its answer (matroskademux, pushed, asks for the index
// first, then for the data). Everything until the new position plays is
// the seek's: pauseStart where the viewer left, play where it landed, and
// neither a bufferStart for queue2's refill after the flush nor a
// pauseStart for the application's pause during it; the pings in between
// carry the one or the other position.
GST_START_TEST(test_seek_over_network) {
  Collector c(collector_args());
  int requests = 0;
  {
    HttpServer server(clip_path(), HttpPlan{{{1.0, 0}}, false, 206, 1500});
    Player p(buffered_pipeline(server.url(), c));
    // The pause for queue2's first BUFFERING comes before the preroll, not
    // in a race with it: under valgrind, a pause that met the sink's
    // ASYNC_DONE left the pipeline PAUSED with its change pending for good
    // (every element PAUSED, the sink prerolled), in about 1 run of 10.
    play_during_initial_load(p);
    p.run_until_position(1.0);
    p.seek(4.0);
    p.run_until_eos(30000);
    p.stop();
    requests = server.requests();
  }
  fail_unless(requests >= 2, "%d requests to the server: the seek asked for no range",
              requests);
  const std::vector<Session> sessions = finish(c);
  const Session &s = single(sessions);
  check_sequence(s, {"sessionStart", "play", "pauseStart", "play", "sessionComplete"});
  check_vod_start(s);
  const Event &pause = s.nth("pauseStart");
  const Event &landed = s.nth("play", 1);
  check_near(s, "the pauseStart playhead", pause.playhead, 1.0, 0.3);
  check_near(s, "the playhead of the play after the seek", landed.playhead, 4.0, 0.2);
  fail_unless(landed.ts - pause.ts >= 1400,
              "the seek took %" G_GINT64_FORMAT " ms, the server alone 1.5 s:\n%s",
              landed.ts - pause.ts, s.timeline().c_str());
  check_complete_at_end(s);
  check_pings(s);
}
GST_END_TEST;

// The server sends 40 % of the clip, then shuts the connection. souphttpsrc
// asks for the rest with a Range request (it does so even with retries=0),
// which the server answers 503, as an overloaded server would: souphttpsrc
// posts an ERROR (RESOURCE OPEN_READ, what it posts for HTTP errors other
// than 404 and the authorization ones), and the application stops the
// pipeline as gst-launch does.
GST_START_TEST(test_error_mid_stream) {
  Collector c(collector_args());
  {
    HttpServer server(clip_path(), HttpPlan{{{0.4, 0}}, true, 503, 0});
    Player p("souphttpsrc retries=0 location=" + server.url() +
             " ! matroskademux ! theoradec ! " + element_description(c) +
             " ! fakesink sync=true");
    p.play();
    fail_unless(p.run_until([&p] { return p.error() || p.eos(); }, 20000),
                "neither an ERROR nor EOS within 20 s");
    fail_unless(p.error() != nullptr, "EOS instead of an ERROR");
    // The scenario's error: the source cannot open the rest of the stream.
    fail_unless(p.error()->domain == GST_RESOURCE_ERROR &&
                    p.error()->code == GST_RESOURCE_ERROR_OPEN_READ,
                "the ERROR is %s %d from %s: %s", g_quark_to_string(p.error()->domain),
                p.error()->code, p.error_source().c_str(), p.error()->message);
    p.stop();
  }
  const std::vector<Session> sessions = finish(c);
  const Session &s = single(sessions);
  check_sequence(s, {"sessionStart", "play", "error", "sessionEnd"});
  check_vod_start(s);
  const Event &error = s.nth("error");
  // "<domain>.<code nick>" of the GError (docs/error-ids.md).
  fail_unless(error.str_param("media.errorId") == "resource.open-read",
              "media.errorId is \"%s\", expected resource.open-read:\n%s",
              error.str_param("media.errorId").c_str(), s.timeline().c_str());
  fail_unless(error.str_param("media.errorSource") == "external",
              "media.errorSource is \"%s\", expected external:\n%s",
              error.str_param("media.errorSource").c_str(), s.timeline().c_str());
  // 40 % of the bytes is 2.4 s of content; the source reads ahead of the
  // presentation by what the socket and its read size hold: loose.
  fail_unless(error.playhead > 0.5 && error.playhead < 3.0,
              "the error at playhead %.3f, expected in the middle:\n%s", error.playhead,
              s.timeline().c_str());
  // The application stopped at once.
  check_near(s, "the sessionEnd playhead", s.nth("sessionEnd").playhead, error.playhead,
             0.3);
  check_pings(s);
  fail_unless(s.closed && s.closed->str("reason") == "sessionEnd",
              "the session was not closed by its sessionEnd:\n%s", s.timeline().c_str());
}
GST_END_TEST;

static Suite *scenario_network_suite(void) {
  Suite *s = suite_create("scenario-network");
  TCase *tc = add_scenario_tcase(s);
  tcase_add_test(tc, test_rebuffering);
  tcase_add_test(tc, test_abandon_during_initial_load);
  tcase_add_test(tc, test_seek_over_network);
  tcase_add_test(tc, test_error_mid_stream);
  return s;
}

GST_CHECK_MAIN(scenario_network);
