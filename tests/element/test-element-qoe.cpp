// QoE end to end against the real collector process
// (tests/collector/collector-process.h): qoeData (spec §9.11) on play and
// pauseStart (timeToStart, framesPerSecond, droppedFrames, bitrate) and
// bitrateChange, asserted on the collector's record (what arrived, no
// findings) and on what the pipeline bus carried (the sink's QOS messages).

#include "element-fixture.h"

#include <cstdlib>
#include <optional>
#include <string>

using namespace collector_test;
using namespace element_test;

namespace {

constexpr guint64 kSecond = GST_SECOND;

// The events of `requests` but the pings.
Lines events_of(const Lines &requests) {
  Lines events;
  for (const Line &r : requests)
    if (r.event_type() != "ping")
      events.push_back(r);
  return events;
}

// Plays to 0.3 s of the stream, pauses 200 ms and plays again (the resume
// is asked for; the caller waits for what it needs). The pause follows the
// stream, not the play's report, which a slow test process gets late.
void play_pause_play(Pipeline &p) {
  p.set_state(GST_STATE_PLAYING);
  p.wait_position(0.3);
  p.set_state(GST_STATE_PAUSED);
  p.wait_reports("pauseStart");
  sleep_ms(200);
  p.set_state(GST_STATE_PLAYING);
}

}  // namespace

// ---------------------------------------------------------------------------

// The first play carries timeToStart (ms from the sessionStart's ts to its
// own) and the caps' frame rate; the play after a pause has neither (the
// frame rate did not change, the start happened once).
GST_START_TEST(test_time_to_start) {
  Collector c(collector_args());
  {
    Pipeline p(
        "videotestsrc ! video/x-raw,width=64,height=48,framerate=25/1 ! "
        "mediaanalytics name=ma ! fakesink sync=true");
    p.configure(c.url(), "qoe-start", kSecond);
    play_pause_play(p);
    p.wait_reports("play", 2);
    sleep_ms(200);
    p.set_state(GST_STATE_NULL);
    p.expect_no_warnings();
  }
  const Lines events = events_of(
      check_session(c, {"sessionStart", "play", "pauseStart", "play", "sessionEnd"}));
  const Line &first = events[1];
  const std::optional<int64_t> tts = qoe(first, "media.qoe.timeToStart");
  const int64_t expected = ts_of(first) - ts_of(events[0]);
  fail_unless(tts.has_value(), "no timeToStart on %s", describe(first).c_str());
  fail_unless(std::llabs(*tts - expected) <= 1 && expected >= 0,
              "timeToStart %" G_GINT64_FORMAT ", the play is %" G_GINT64_FORMAT
              " ms after the sessionStart: %s",
              *tts, expected, describe(first).c_str());
  fail_unless(qoe(first, "media.qoe.framesPerSecond") == 25, "framesPerSecond: %s",
              describe(first).c_str());
  const Line &again = events[3];
  fail_unless(!qoe(again, "media.qoe.timeToStart"), "timeToStart again: %s",
              describe(again).c_str());
  fail_unless(!qoe(again, "media.qoe.framesPerSecond"),
              "the unchanged framesPerSecond again: %s", describe(again).c_str());
}
GST_END_TEST;

// A sink that really drops frames: identity takes 60 ms per 40 ms frame, so
// every frame reaches the sink late (max-lateness 5 ms) and is dropped,
// which the sink reports in QOS messages. The pauseStart carries the sink's
// latest dropped count: the sink drops nothing once it paused, and it
// pauses before the element (sinks first).
GST_START_TEST(test_dropped_frames) {
  Collector c(collector_args());
  guint64 dropped = 0;
  {
    Pipeline p(
        "videotestsrc ! video/x-raw,width=64,height=48,framerate=25/1 ! "
        "mediaanalytics name=ma ! identity sleep-time=60000 ! "
        "fakesink name=sink sync=true qos=true max-lateness=5000000");
    p.configure(c.url(), "qoe-dropped", kSecond);
    p.set_state(GST_STATE_PLAYING);
    p.wait_reports("play");
    const int64_t until = now_ms() + 5000;
    while (p.observed.last_dropped() < 3 && now_ms() < until)
      sleep_ms(5);
    fail_unless(p.observed.last_dropped() >= 3, "the sink dropped %" G_GUINT64_FORMAT,
                p.observed.last_dropped());
    // The test's sync handler sees each QOS message just before the element's
    // bus tap does (in the same posting thread): let the tap have it too.
    sleep_ms(100);
    p.set_state(GST_STATE_PAUSED);
    dropped = p.observed.last_dropped();
    p.wait_reports("pauseStart");
    fail_unless(p.observed.last_dropped() == dropped, "the sink dropped while paused");
    p.set_state(GST_STATE_NULL);
    p.expect_no_warnings();
  }
  const Lines events =
      events_of(check_session(c, {"sessionStart", "play", "pauseStart", "sessionEnd"}));
  const Line &pause = events[2];
  fail_unless(qoe(pause, "media.qoe.droppedFrames") == static_cast<int64_t>(dropped),
              "the sink's latest QOS says %" G_GUINT64_FORMAT " dropped: %s", dropped,
              describe(pause).c_str());
}
GST_END_TEST;

// A bitrate tag, queued in order with the appsrc frames.
static void push_bitrate(GstElement *src, guint bps) {
  fail_unless(gst_element_send_event(src, gst_event_new_tag(gst_tag_list_new(
                                              GST_TAG_BITRATE, bps, nullptr))),
              "appsrc refused the TAG event");
}

// 1 Mbps from the start goes with the first play; after a pause and resume,
// 3 Mbps at 1 s is a bitrateChange with it in qoeData; 3.1 Mbps right after
// (within 10 %) gives nothing.
GST_START_TEST(test_bitrate_change) {
  Collector c(collector_args());
  {
    Pipeline p(std::string(kAppSrc) + " ! mediaanalytics name=ma ! fakesink sync=true");
    p.configure(c.url(), "qoe-bitrate", kSecond);
    GstElement *src = p.element("src");
    push_bitrate(src, 1000000);
    push_frames(src, 0, 25);
    push_bitrate(src, 3000000);
    push_bitrate(src, 3100000);
    push_frames(src, 25, 50);
    end_frames(src);
    play_pause_play(p);
    p.wait_eos();
    p.wait_reports("sessionComplete");
    p.set_state(GST_STATE_NULL);
    p.expect_no_warnings();
  }
  const Lines events =
      events_of(check_session(c, {"sessionStart", "play", "pauseStart", "play",
                                  "bitrateChange", "sessionComplete"}));
  fail_unless(qoe(events[1], "media.qoe.bitrate") == 1000000, "the first play: %s",
              describe(events[1]).c_str());
  for (size_t i : {2, 3})
    fail_unless(!qoe(events[i], "media.qoe.bitrate"), "the unchanged bitrate again: %s",
                describe(events[i]).c_str());
  const Line &change = events[4];
  fail_unless(qoe(change, "media.qoe.bitrate") == 3000000, "bitrateChange: %s",
              describe(change).c_str());
  fail_unless(playhead_of(change) > 0.8 && playhead_of(change) < 1.2,
              "the 3 Mbps tag is at 1 s of the stream: %s", describe(change).c_str());
}
GST_END_TEST;

static Suite *element_qoe_suite(void) {
  Suite *s = suite_create("element-qoe");
  TCase *tc = add_process_tcase(s);
  tcase_add_test(tc, test_time_to_start);
  tcase_add_test(tc, test_dropped_frames);
  tcase_add_test(tc, test_bitrate_change);
  return s;
}

GST_CHECK_MAIN(element_qoe);
