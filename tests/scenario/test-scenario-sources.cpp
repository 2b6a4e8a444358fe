// Scenarios with sources that are not files: an appsrc that stops pushing for
// a while (a stall the element must see by itself), and a live source.
// Asserts on what arrived at the collector (tests/scenario/scenario.h).

#include "scenario.h"

#include <gst/app/gstappsrc.h>

using namespace scenario;

namespace {

// Queues frames `from` to `to` - 1 of 250 ms (4 fps) on `src`.
void push_frames(GstAppSrc *src, int from, int to) {
  for (int i = from; i < to; i++) {
    GstBuffer *frame = gst_buffer_new_allocate(nullptr, 160 * 120 * 3 / 2, nullptr);
    gst_buffer_memset(frame, 0, static_cast<guint8>(16 * i), 160 * 120 * 3 / 2);
    GST_BUFFER_PTS(frame) = static_cast<GstClockTime>(i) * GST_SECOND / 4;
    GST_BUFFER_DURATION(frame) = GST_SECOND / 4;
    fail_unless(gst_app_src_push_buffer(src, frame) == GST_FLOW_OK,
                "appsrc refused frame %d", i);
  }
}

}  // namespace

// A non-live appsrc with 2 s of frames at 4 fps, then nothing for 2.5 s, then
// 1 s more and EOS; stall-threshold 1 s. The frames come every 250 ms
// (the sink holds each until its time): ordinary spacing, no stall. After the
// 2 s, the sink shows the last frame and waits: a stall (bufferStart at
// playhead 2 s), and the first frame after it is a play at 2 s.
//
// The frames after the stall are late for the clock (it kept running), so
// the sink shows them at once and EOS follows right after the play: a stalled
// download without buffering looks like that.
GST_START_TEST(test_stall) {
  Collector c(collector_args());
  {
    Player p(
        "appsrc name=src format=time caps=\"video/x-raw,format=I420,width=160,"
        "height=120,framerate=4/1\" ! " +
        element_description(c) + " ! fakesink sync=true");
    set_ns_property(p.element("ma"), "stall-threshold", GST_SECOND);
    GstAppSrc *src = GST_APP_SRC(p.element("src"));
    // The duration query answers it: media.length 3.
    g_object_set(src, "duration", static_cast<guint64>(3 * GST_SECOND), nullptr);
    push_frames(src, 0, 8);
    p.play();
    // The sink's position stops at the end of the last frame it has.
    p.run_until_position(2.0 - 0.01);
    p.run_for(2500);
    push_frames(src, 8, 12);
    gst_app_src_end_of_stream(src);
    p.run_until_eos();
    p.stop();
  }
  const std::vector<Session> sessions = finish(c);
  const Session &s = single(sessions);
  check_sequence(s, {"sessionStart", "play", "bufferStart", "play", "sessionComplete"});
  check_vod_start(s, 3.0);
  const Event &start = s.nth("sessionStart");
  const Event &stalled = s.nth("bufferStart");
  const Event &resumed = s.nth("play", 1);
  // The presentation stops 2 s after the start; the threshold is 1 s. The
  // issue counts it from the last buffer (no buffer for longer than the
  // threshold): the last frame reaches the element when the one before it
  // is shown, at 1.5 s, so 2.5 s after the start is right too. The timer
  // may fire a little late on a loaded machine.
  const double stall_s = (stalled.ts - start.ts) / 1000.0;
  fail_unless(stall_s >= 2.5 - 0.1 && stall_s <= 3.0 + 0.4,
              "bufferStart %.3f s after the start, expected 2.5 to 3 s:\n%s", stall_s,
              s.timeline().c_str());
  // What is shown during the stall is the last frame: the playhead stays at
  // its end, 2 s, however long the stall lasts.
  check_near(s, "the bufferStart playhead", stalled.playhead, 2.0, 0.3);
  check_near(s, "the playhead of the play after the stall", resumed.playhead, 2.0, 0.3);
  // The frames came back 2.5 s after the presentation stopped.
  check_near(s, "the time from the start to the play after the stall (s)",
             (resumed.ts - start.ts) / 1000.0, 4.5, 0.4);
  check_complete_at_end(s);
  check_pings(s);
}
GST_END_TEST;

// A live test source for 3 s, then EOS: a Live session whose every playhead
// is the UTC second of the day (spec §8), media.length 86400.
GST_START_TEST(test_live) {
  Collector c(collector_args());
  {
    Player p(
        "videotestsrc is-live=true ! video/x-raw,width=160,height=120,"
        "framerate=25/1 ! " +
        element_description(c) + " ! fakesink sync=true");
    p.play();
    p.run_until_position(3.0);
    fail_unless(gst_element_send_event(p.pipeline(), gst_event_new_eos()),
                "the pipeline refused EOS");
    p.run_until_eos();
    p.stop();
  }
  const std::vector<Session> sessions = finish(c);
  const Session &s = single(sessions);
  check_sequence(s, {"sessionStart", "play", "sessionComplete"});
  const Event &start = s.nth("sessionStart");
  fail_unless(start.str_param("media.contentType") == "Live",
              "media.contentType is \"%s\", expected Live:\n%s",
              start.str_param("media.contentType").c_str(), s.timeline().c_str());
  fail_unless(start.num_param("media.length") == std::optional<double>(86400),
              "media.length is not 86400:\n%s", s.timeline().c_str());
  check_live_playheads(s);
  check_ping_grid(s);
  fail_unless(s.pings().size() >= 2, "%zu pings in 3 s:\n%s", s.pings().size(),
              s.timeline().c_str());
}
GST_END_TEST;

static Suite *scenario_sources_suite(void) {
  Suite *s = suite_create("scenario-sources");
  TCase *tc = add_scenario_tcase(s);
  tcase_add_test(tc, test_stall);
  tcase_add_test(tc, test_live);
  return s;
}

GST_CHECK_MAIN(scenario_sources);
