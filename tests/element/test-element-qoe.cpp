// QoE end to end against the real collector process
// (tests/collector/collector-process.h): qoeData (spec §9.11) on play and
// pauseStart (timeToStart, framesPerSecond, droppedFrames, bitrate) and
// bitrateChange, asserted on the collector's record (what arrived, no
// findings) and on what the pipeline bus carried (the sink's QOS messages).

#include "collector-process.h"

#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

using namespace collector_test;

namespace {

constexpr guint64 kSecond = GST_SECOND;

// ---------------------------------------------------------------------------
// The bus, observed in the posting thread.

struct Observed {
  std::mutex lock;
  std::vector<std::string> problems;  // ERRORs from anyone, WARNINGs from "ma"
  std::vector<std::string> reports;   // event-type of each mediaanalytics-event
  std::vector<guint64> dropped;       // the dropped count of each QOS of "sink"

  size_t count_of(const char *type) {
    std::lock_guard<std::mutex> l(lock);
    size_t n = 0;
    for (const std::string &r : reports)
      n += r == type ? 1 : 0;
    return n;
  }
  // The dropped count of the sink's latest QOS message (0: none yet).
  guint64 last_dropped() {
    std::lock_guard<std::mutex> l(lock);
    return dropped.empty() ? 0 : dropped.back();
  }
};

GstBusSyncReply on_message(GstBus *, GstMessage *message, gpointer data) {
  auto *observed = static_cast<Observed *>(data);
  const std::string source = GST_OBJECT_NAME(GST_MESSAGE_SRC(message));
  switch (GST_MESSAGE_TYPE(message)) {
    case GST_MESSAGE_ELEMENT: {
      const GstStructure *s = gst_message_get_structure(message);
      if (s && gst_structure_has_name(s, "mediaanalytics-event")) {
        std::lock_guard<std::mutex> l(observed->lock);
        observed->reports.push_back(gst_structure_get_string(s, "event-type"));
      }
      break;
    }
    case GST_MESSAGE_QOS: {
      GstFormat format = GST_FORMAT_UNDEFINED;
      guint64 dropped = 0;
      gst_message_parse_qos_stats(message, &format, nullptr, &dropped);
      if (source == "sink" && format == GST_FORMAT_BUFFERS) {
        std::lock_guard<std::mutex> l(observed->lock);
        observed->dropped.push_back(dropped);
      }
      break;
    }
    case GST_MESSAGE_WARNING:
    case GST_MESSAGE_ERROR: {
      const bool error = GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR;
      if (!error && source != "ma")
        break;
      GError *e = nullptr;
      if (error)
        gst_message_parse_error(message, &e, nullptr);
      else
        gst_message_parse_warning(message, &e, nullptr);
      std::lock_guard<std::mutex> l(observed->lock);
      observed->problems.push_back(source + ": " + e->message);
      g_error_free(e);
      break;
    }
    default:
      break;
  }
  return GST_BUS_PASS;
}

// A pipeline from `desc` (its mediaanalytics element named "ma"), reporting
// to `endpoint` with 1 s pings.
struct Pipeline {
  GstElement *pipeline = nullptr;
  GstBus *bus = nullptr;
  Observed observed;

  Pipeline(const std::string &desc, const std::string &endpoint, const char *media_id) {
    GError *error = nullptr;
    pipeline = gst_parse_launch(desc.c_str(), &error);
    fail_unless(pipeline != nullptr && error == nullptr, "%s: %s", desc.c_str(),
                error ? error->message : "no pipeline");
    g_object_set(element("ma"), "endpoint", endpoint.c_str(), "tracking-server",
                 "example.sc.omtrdc.net", "report-suite", "examplersid", "org-id",
                 "0123456789ABCDEF@AdobeOrg", "channel", "test", "media-id", media_id,
                 "ping-interval", kSecond, nullptr);
    bus = gst_element_get_bus(pipeline);
    gst_bus_set_sync_handler(bus, on_message, &observed, nullptr);
  }
  ~Pipeline() {
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_bus_set_sync_handler(bus, nullptr, nullptr, nullptr);
    gst_object_unref(bus);
    gst_object_unref(pipeline);
  }
  Pipeline(const Pipeline &) = delete;
  Pipeline &operator=(const Pipeline &) = delete;

  GstElement *element(const char *name) {
    GstElement *e = gst_bin_get_by_name(GST_BIN(pipeline), name);
    fail_unless(e != nullptr, "no element %s", name);
    gst_object_unref(e);  // the bin keeps it
    return e;
  }

  void set_state(GstState state) {
    fail_unless(gst_element_set_state(pipeline, state) != GST_STATE_CHANGE_FAILURE,
                "set_state(%s) failed", gst_element_state_get_name(state));
    fail_unless(gst_element_get_state(pipeline, nullptr, nullptr, 10 * GST_SECOND) ==
                    GST_STATE_CHANGE_SUCCESS,
                "the pipeline did not reach %s", gst_element_state_get_name(state));
  }

  // Waits until `count` mediaanalytics-event messages of `type` were posted.
  void wait_reports(const char *type, size_t count = 1) {
    const int64_t until = now_ms() + 10000;
    while (observed.count_of(type) < count && now_ms() < until)
      sleep_ms(5);
    fail_unless(observed.count_of(type) >= count, "%zu %s reports, expected %zu",
                observed.count_of(type), type, count);
  }

  void wait_eos() {
    GstMessage *m = gst_bus_timed_pop_filtered(
        bus, 10 * GST_SECOND,
        static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
    fail_unless(m != nullptr && GST_MESSAGE_TYPE(m) == GST_MESSAGE_EOS, "no EOS");
    gst_message_unref(m);
  }

  void expect_quiet() {
    std::lock_guard<std::mutex> l(observed.lock);
    std::string all;
    for (const std::string &p : observed.problems)
      all += "[" + p + "] ";
    fail_unless(observed.problems.empty(), "the bus carried %s", all.c_str());
  }
};

// ---------------------------------------------------------------------------
// The record.

JsonObject *body_of(const Line &line) {
  fail_unless(line.has("body"), "a request without a JSON body");
  return json_object_get_object_member(line.object(), "body");
}
int64_t ts_of(const Line &line) {
  return json_object_get_int_member(
      json_object_get_object_member(body_of(line), "playerTime"), "ts");
}
double playhead_of(const Line &line) {
  return json_object_get_double_member(
      json_object_get_object_member(body_of(line), "playerTime"), "playhead");
}
// The integer `key` of the line's qoeData; none when it (or qoeData) is missing.
std::optional<int64_t> qoe(const Line &line, const char *key) {
  JsonObject *body = body_of(line);
  if (!json_object_has_member(body, "qoeData"))
    return std::nullopt;
  JsonObject *data = json_object_get_object_member(body, "qoeData");
  JsonNode *n = json_object_get_member(data, key);
  if (!n)
    return std::nullopt;
  fail_unless(JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64,
              "%s of a %s is not an integer", key, line.event_type().c_str());
  return json_node_get_int(n);
}
// A line for messages: type, playhead, ts and qoeData.
std::string describe(const Line &line) {
  std::string out = line.event_type() + "@" + std::to_string(playhead_of(line)) + " ts " +
                    std::to_string(ts_of(line));
  JsonObject *body = body_of(line);
  if (json_object_has_member(body, "qoeData")) {
    JsonNode *node = json_object_get_member(body, "qoeData");
    gchar *text = json_to_string(node, FALSE);
    out += std::string(" ") + text;
    g_free(text);
  }
  return out;
}

// Stops the collector and checks its record: one session whose events other
// than pings are `expected`, each accepted (201, then 204) without findings,
// none at the session's end. Returns those events, pings left out.
Lines check_session(Collector &c, const std::vector<std::string> &expected) {
  fail_unless(c.stop() == 0, "the collector did not exit cleanly");
  const Lines record = c.record();
  const Lines requests = requests_of(record);
  fail_unless(!requests.empty(), "nothing was sent");
  const std::string sid = requests[0].str("session");
  Lines events;
  std::string types, wanted, all;
  for (size_t i = 0; i < requests.size(); i++) {
    const Line &r = requests[i];
    fail_unless(r.num("status") == (i == 0 ? 201 : 204), "request %zu (%s): status %d", i,
                r.event_type().c_str(), static_cast<int>(r.num("status")));
    fail_unless(r.str("session") == sid, "request %zu went to another session", i);
    fail_unless(r.findings().empty(), "request %zu (%s) has findings: %s", i,
                r.event_type().c_str(), r.findings().c_str());
    if (r.event_type() == "ping")
      continue;
    events.push_back(r);
    types += " " + r.event_type();
    all += " | " + describe(r);
  }
  for (const std::string &t : expected)
    wanted += " " + t;
  fail_unless(types == wanted, "the record has%s, expected%s; the record:%s",
              types.c_str(), wanted.c_str(), all.c_str());
  auto closed = closed_line(record, sid);
  fail_unless(closed.has_value(), "no session-closed line");
  fail_unless(closed->findings().empty(), "findings at the session's end: %s",
              closed->findings().c_str());
  return events;
}

std::vector<std::string> collector_args() {
  return {"--main-ping=1000"};
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
        "mediaanalytics name=ma ! fakesink sync=true",
        c.url(), "qoe-start");
    p.set_state(GST_STATE_PLAYING);
    p.wait_reports("play");
    sleep_ms(300);
    p.set_state(GST_STATE_PAUSED);
    p.wait_reports("pauseStart");
    sleep_ms(200);
    p.set_state(GST_STATE_PLAYING);
    p.wait_reports("play", 2);
    sleep_ms(200);
    p.set_state(GST_STATE_NULL);
    p.expect_quiet();
  }
  const Lines events =
      check_session(c, {"sessionStart", "play", "pauseStart", "play", "sessionEnd"});
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
        "fakesink name=sink sync=true qos=true max-lateness=5000000",
        c.url(), "qoe-dropped");
    p.set_state(GST_STATE_PLAYING);
    p.wait_reports("play");
    const int64_t until = now_ms() + 5000;
    while (p.observed.last_dropped() < 3 && now_ms() < until)
      sleep_ms(5);
    fail_unless(p.observed.last_dropped() >= 3, "the sink dropped %" G_GUINT64_FORMAT,
                p.observed.last_dropped());
    p.set_state(GST_STATE_PAUSED);
    dropped = p.observed.last_dropped();
    p.wait_reports("pauseStart");
    fail_unless(p.observed.last_dropped() == dropped, "the sink dropped while paused");
    p.set_state(GST_STATE_NULL);
    p.expect_quiet();
  }
  const Lines events =
      check_session(c, {"sessionStart", "play", "pauseStart", "sessionEnd"});
  const Line &pause = events[2];
  fail_unless(qoe(pause, "media.qoe.droppedFrames") == static_cast<int64_t>(dropped),
              "the sink's latest QOS says %" G_GUINT64_FORMAT " dropped: %s", dropped,
              describe(pause).c_str());
}
GST_END_TEST;

// appsrc frames (25/s), with bitrate tags queued in order with them.
static void push_frames(GstElement *src, int from, int to) {
  for (int i = from; i < to; i++) {
    GstBuffer *buffer = gst_buffer_new_allocate(nullptr, 64 * 48 * 4, nullptr);
    gst_buffer_memset(buffer, 0, 0x80, 64 * 48 * 4);
    GST_BUFFER_PTS(buffer) = i * GST_SECOND / 25;
    GST_BUFFER_DURATION(buffer) = GST_SECOND / 25;
    GstFlowReturn ret = GST_FLOW_ERROR;
    g_signal_emit_by_name(src, "push-buffer", buffer, &ret);
    gst_buffer_unref(buffer);
    fail_unless(ret == GST_FLOW_OK, "push-buffer: %s", gst_flow_get_name(ret));
  }
}
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
    Pipeline p(
        "appsrc name=src format=time max-bytes=0 "
        "caps=video/x-raw,format=BGRx,width=64,height=48,framerate=25/1 ! "
        "mediaanalytics name=ma ! fakesink sync=true",
        c.url(), "qoe-bitrate");
    GstElement *src = p.element("src");
    push_bitrate(src, 1000000);
    push_frames(src, 0, 25);
    push_bitrate(src, 3000000);
    push_bitrate(src, 3100000);
    push_frames(src, 25, 50);
    GstFlowReturn ret = GST_FLOW_ERROR;
    g_signal_emit_by_name(src, "end-of-stream", &ret);
    fail_unless(ret == GST_FLOW_OK);
    p.set_state(GST_STATE_PLAYING);
    p.wait_reports("play");
    sleep_ms(300);
    p.set_state(GST_STATE_PAUSED);
    p.wait_reports("pauseStart");
    sleep_ms(200);
    p.set_state(GST_STATE_PLAYING);
    p.wait_eos();
    p.wait_reports("sessionComplete");
    p.set_state(GST_STATE_NULL);
    p.expect_quiet();
  }
  const Lines events = check_session(c, {"sessionStart", "play", "pauseStart", "play",
                                         "bitrateChange", "sessionComplete"});
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
