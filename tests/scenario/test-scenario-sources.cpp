// Scenarios with sources that are not files: an appsrc that stops pushing for
// a while (a stall the element must see by itself), an appsrc that sends GAP
// events instead of frames for a while (no stall), and a live source.
// Asserts on what arrived at the collector (tests/scenario/scenario.h).

#include "scenario.h"

#include <gst/app/gstappsrc.h>

#include <algorithm>

using namespace scenario;

namespace {

// The appsrc scenarios' items (frames, or GAP events in their place) last
// 250 ms (4 fps).
constexpr GstClockTime kItem = GST_SECOND / 4;
// The element's stall-threshold in the appsrc scenarios.
constexpr int64_t kStallThresholdMs = 1000;

// A non-live `appsrc name=src format=time` of 160x120 I420 at 4 fps !
// mediaanalytics ! fakesink sync=true, with stall-threshold 1 s and
// `duration_s` as the appsrc's duration (the duration query answers it:
// media.length).
GstElement *appsrc_pipeline(const Collector &c, double duration_s) {
  const std::string description =
      "appsrc name=src format=time caps=\"video/x-raw,format=I420,width=160,"
      "height=120,framerate=4/1\" ! " +
      element_description(c) + " ! fakesink sync=true";
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch(description.c_str(), &error);
  fail_unless(pipeline != nullptr && error == nullptr, "%s: %s", description.c_str(),
              error ? error->message : "no pipeline");
  GstElement *ma = gst_bin_get_by_name(GST_BIN(pipeline), "ma");
  set_ns_property(ma, "stall-threshold", kStallThresholdMs * GST_MSECOND);
  gst_object_unref(ma);
  GstElement *src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  g_object_set(src, "duration", static_cast<guint64>(duration_s * GST_SECOND), nullptr);
  gst_object_unref(src);
  return pipeline;
}

// Queues frame `i` (at i × kItem) on `src`.
void push_frame(GstAppSrc *src, int i) {
  GstBuffer *frame = gst_buffer_new_allocate(nullptr, 160 * 120 * 3 / 2, nullptr);
  gst_buffer_memset(frame, 0, static_cast<guint8>(16 * i), 160 * 120 * 3 / 2);
  GST_BUFFER_PTS(frame) = static_cast<GstClockTime>(i) * kItem;
  GST_BUFFER_DURATION(frame) = kItem;
  fail_unless(gst_app_src_push_buffer(src, frame) == GST_FLOW_OK,
              "appsrc refused frame %d", i);
}

// Queues frames `from` to `to` - 1 on `src`.
void push_frames(GstAppSrc *src, int from, int to) {
  for (int i = from; i < to; i++)
    push_frame(src, i);
}

// Queues a GAP event in the place of frame `i`. Sent to the element, not
// pushed on its src pad: appsrc (1.22) queues serialized events in order with
// the buffers and its streaming thread pushes them, whereas a push from the
// application's thread would race with that thread (a serialized event must
// come from the streaming thread, in order with the data).
void push_gap(GstAppSrc *src, int i) {
  fail_unless(gst_element_send_event(
                  GST_ELEMENT(src),
                  gst_event_new_gap(static_cast<GstClockTime>(i) * kItem, kItem)),
              "appsrc refused the GAP event of item %d", i);
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
    Player p(appsrc_pipeline(c, 3.0));
    GstAppSrc *src = GST_APP_SRC(p.element("src"));
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
  // may fire a little late on a loaded machine, and the pipeline starts
  // later under valgrind.
  const double stall_s = (stalled.ts - start.ts) / 1000.0;
  const double stall_late_s = static_cast<double>(late_ms(400)) / 1000.0;
  fail_unless(stall_s >= 2.5 - 0.1 && stall_s <= 3.0 + stall_late_s,
              "bufferStart %.3f s after the start, expected 2.5 to 3 s (+ %.3f):\n%s",
              stall_s, stall_late_s, s.timeline().c_str());
  // What is shown during the stall is the last frame: the playhead stays at
  // its end, 2 s, however long the stall lasts.
  check_near(s, "the bufferStart playhead", stalled.playhead, 2.0, 0.3);
  check_near(s, "the playhead of the play after the stall", resumed.playhead, 2.0, 0.3);
  // The frames came back 2.5 s after the presentation stopped (which is
  // later under valgrind, where the pipeline starts later).
  check_time_near(s, "the time from the start to the play after the stall (s)",
                  (resumed.ts - start.ts) / 1000.0, 4.5, 0.4);
  check_complete_at_end(s);
  check_pings(s);
}
GST_END_TEST;

// An appsrc that the application feeds as the stream's time comes, as a
// live-ish source (a receiver, a generator) does: frames for 1.5 s, then for
// 2 s GAP events in their place (nothing to show, the stream's time goes on:
// a sparse stream, a source that lost its input), then frames again for
// 0.5 s and EOS; stall-threshold 1 s. Each item is queued one item ahead of
// its time, so that the sink never waits for one.
//
// A GAP is data: the element sees something every 250 ms throughout, the
// stream never stalls. One play, no bufferStart, sessionComplete at the end;
// the playhead moves on through the GAPs (the sink's clock runs through
// them).
GST_START_TEST(test_gap_is_data) {
  const int kFramesUntil = 6, kGapsUntil = 14, kItems = 16;  // 1.5 s, 3.5 s, 4 s
  Collector c(collector_args());
  std::vector<int64_t> gaps, data, buffers;
  {
    Player p(appsrc_pipeline(c, 4.0));
    GstAppSrc *src = GST_APP_SRC(p.element("src"));
    PadLog passed(p.element("ma"), "sink");
    const int64_t t0 = collector_test::now_ms();
    int next = 0;
    p.play();
    const bool all_queued = p.run_until(
        [&] {
          for (; next < kItems && collector_test::now_ms() >= t0 + (next - 1) * 250;
               next++) {
            if (next >= kFramesUntil && next < kGapsUntil)
              push_gap(src, next);
            else
              push_frame(src, next);
          }
          return next == kItems;
        },
        10000);
    fail_unless(all_queued, "only %d of %d items queued in 10 s", next, kItems);
    gst_app_src_end_of_stream(src);
    p.run_until_eos();
    p.stop();
    gaps = passed.times({GST_EVENT_GAP});
    buffers = passed.times({PadLog::kBuffer});
    data = passed.times({PadLog::kBuffer, GST_EVENT_GAP});
  }
  // The scenario happened as designed, seen at the element's sink pad. Its
  // buffers-seen would not show it: it counts buffers only, the same 8
  // whether the GAPs came or not, and GAPs that came in one burst at the end
  // would not keep a stall away either. Every GAP passed, and passed in time:
  // without them the element waited 2 s for a buffer (twice the
  // threshold), with them never longer than about an item. Under valgrind
  // the streaming thread may pass an item late, but never as late as the
  // threshold: the scenario would not be the one designed.
  fail_unless(gaps.size() == kGapsUntil - kFramesUntil, "%zu GAP events at the element",
              gaps.size());
  fail_unless(PadLog::longest_wait(buffers) >= 1900,
              "the longest wait for a buffer is %" G_GINT64_FORMAT " ms, expected 2 s",
              PadLog::longest_wait(buffers));
  const int64_t longest_data_wait = std::min(late_ms(500), kStallThresholdMs - 1);
  fail_unless(PadLog::longest_wait(data) <= longest_data_wait,
              "the longest wait for a buffer or a GAP is %" G_GINT64_FORMAT
              " ms, expected about 250 ms (at most %" G_GINT64_FORMAT " ms)",
              PadLog::longest_wait(data), longest_data_wait);

  const std::vector<Session> sessions = finish(c);
  const Session &s = single(sessions);
  check_sequence(s, {"sessionStart", "play", "sessionComplete"});
  check_vod_start(s, 4.0);
  const Event &play = s.nth("play");
  const Event &complete = s.nth("sessionComplete");
  check_time_near(s, "the play playhead", play.playhead, 0, 0.1);
  check_near(s, "the time from the play to sessionComplete (s)",
             (complete.ts - play.ts) / 1000.0, 4.0, 0.4);
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
  tcase_add_test(tc, test_gap_is_data);
  tcase_add_test(tc, test_live);
  return s;
}

GST_CHECK_MAIN(scenario_sources);
