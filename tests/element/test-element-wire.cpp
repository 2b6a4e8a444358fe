// The mediaanalytics element end to end: real pipelines (audiotestsrc !
// mediaanalytics ! fakesink sync=true) reporting to the real collector process
// (tests/collector/collector-process.h). Every test asserts on the collector's
// record, i.e. on what arrived, and on the bus messages and properties the
// element gave the application.

#include "element-fixture.h"

#include <gio/gio.h>

#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

using namespace collector_test;
using namespace element_test;

namespace {

// A pipeline `source ! mediaanalytics name=ma ! fakesink sync=true`, configured
// for `endpoint`, its bus observed (element-fixture.h).
struct WirePipeline : Pipeline {
  WirePipeline(const std::string &source, const std::string &endpoint)
      : Pipeline(source + " ! mediaanalytics name=ma ! fakesink sync=true") {
    configure(endpoint, "test-tone", 0, "Test tone");
    eos_timeout = 20 * GST_SECOND;
  }
};

// The record's requests: the expected event types in order, pings included,
// the expected statuses (201 for sessionStart, 204 otherwise), all to one
// session, ts strictly increasing, playheads never going back, and no
// findings. Unlike check_session, the collector keeps running and the
// session's end is not checked.
Lines check_record(Collector &c, const std::vector<std::string> &expected) {
  Lines requests = requests_of(c.record());
  const std::string want = joined(expected);
  fail_unless(types_of(requests) == want, "the record has \"%s\", expected \"%s\"",
              types_of(requests).c_str(), want.c_str());
  const std::string sid = requests[0].str("session");
  fail_unless(!sid.empty(), "the sessionStart opened no session");
  for (size_t i = 0; i < requests.size(); i++) {
    const Line &r = requests[i];
    const int64_t status = i == 0 ? 201 : 204;
    fail_unless(r.num("status") == status,
                "%s: status %" G_GINT64_FORMAT ", expected %" G_GINT64_FORMAT " (%s)",
                r.event_type().c_str(), r.num("status"), status, r.str("error").c_str());
    fail_unless(r.str("session") == sid, "%s went to another session",
                r.event_type().c_str());
    fail_unless(r.findings().empty(), "%s has findings: %s", r.event_type().c_str(),
                r.findings().c_str());
    if (i > 0) {
      fail_unless(ts_of(r) > ts_of(requests[i - 1]),
                  "%s: ts %" G_GINT64_FORMAT " after %" G_GINT64_FORMAT,
                  r.event_type().c_str(), ts_of(r), ts_of(requests[i - 1]));
      fail_unless(playhead_of(r) >= playhead_of(requests[i - 1]),
                  "%s: playhead went back", r.event_type().c_str());
    }
  }
  return requests;
}

// The element's reports, in order, match the record one to one.
void check_reports(Observed &observed, const Lines &requests) {
  std::lock_guard<std::mutex> l(observed.lock);
  fail_unless(observed.events.size() == requests.size(),
              "%zu mediaanalytics-event messages for %zu requests",
              observed.events.size(), requests.size());
  for (size_t i = 0; i < requests.size(); i++) {
    const GstStructure *s = observed.events[i];
    guint status = 0, attempts = 0;
    gint64 ts = 0;
    double playhead = -1;
    fail_unless(gst_structure_get_uint(s, "http-status", &status) &&
                gst_structure_get_uint(s, "attempts", &attempts) &&
                gst_structure_get_int64(s, "ts", &ts) &&
                gst_structure_get_double(s, "playhead", &playhead));
    fail_unless(requests[i].event_type() == gst_structure_get_string(s, "event-type"),
                "message %zu is about %s, the record has %s", i,
                gst_structure_get_string(s, "event-type"),
                requests[i].event_type().c_str());
    fail_unless(status == requests[i].num("status"), "message %zu: status %u", i, status);
    fail_unless(attempts == 1, "message %zu: %u attempts", i, attempts);
    fail_unless(ts == ts_of(requests[i]), "message %zu: ts differs from the body's", i);
    fail_unless(playhead == playhead_of(requests[i]), "message %zu: playhead differs", i);
    fail_unless(requests[i].str("session") == gst_structure_get_string(s, "session-id"),
                "message %zu: session-id differs", i);
  }
}

std::string free_port_url() {
  GSocket *socket = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, nullptr);
  GInetAddress *loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  GSocketAddress *any = g_inet_socket_address_new(loopback, 0);
  fail_unless(g_socket_bind(socket, any, FALSE, nullptr));
  GSocketAddress *bound = g_socket_get_local_address(socket, nullptr);
  const guint16 port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
  g_object_unref(bound);
  g_object_unref(any);
  g_object_unref(loopback);
  g_object_unref(socket);  // closed: nothing listens on it any more
  return "http://127.0.0.1:" + std::to_string(port);
}

}  // namespace

// ---------------------------------------------------------------------------

// Played to EOS, then NULL: sessionStart, play, sessionComplete.
GST_START_TEST(test_play_to_eos) {
  Collector c;
  std::string sid;
  {
    WirePipeline p("audiotestsrc num-buffers=50 is-live=false", c.url());
    p.set_state(GST_STATE_PLAYING);
    p.wait_eos();
    p.wait_reports("sessionComplete", 1);
    sid = p.session_id();
    p.set_state(GST_STATE_NULL);
    fail_unless_equals_uint64(p.stat("events-sent"), 3);
    fail_unless_equals_uint64(p.stat("events-generated"), 3);
    fail_unless_equals_uint64(p.stat("events-dropped"), 0);
    fail_unless_equals_uint64(p.stat("sessions-started"), 1);
    fail_unless_equals_uint64(p.stat("buffers-seen"), 50);
    fail_unless(p.session_id() == sid, "session-id changed at NULL");
    fail_unless(p.observed.warning_count() == 0, "%s",
                p.observed.warnings[0].str().c_str());
    fail_unless(p.observed.errors.empty());
    fail_unless(c.stop() == 0);
    Lines requests = check_record(c, {"sessionStart", "play", "sessionComplete"});
    fail_unless(requests[0].str("session") == sid,
                "session-id \"%s\" is not the record's session", sid.c_str());
    check_reports(p.observed, requests);
    JsonObject *params = json_object_get_object_member(body_of(requests[0]), "params");
    fail_unless(
        g_strcmp0(json_object_get_string_member(params, "media.id"), "test-tone") == 0);
    fail_unless(g_strcmp0(json_object_get_string_member(params, "media.playerName"),
                          "GStreamer") == 0);
  }
  auto closed = closed_line(c.record(), sid);
  fail_unless(closed && closed->findings().empty(), "findings at the end: %s",
              closed ? closed->findings().c_str() : "(no session-closed line)");
}
GST_END_TEST;

// Stopped while PLAYING: sessionStart, play, sessionEnd (no pauseStart: the
// PLAYING→PAUSED step of stopping is not a pause).
GST_START_TEST(test_stop_before_eos) {
  Collector c;
  WirePipeline p("audiotestsrc is-live=false", c.url());
  p.set_state(GST_STATE_PLAYING);
  p.wait_reports("play", 1);
  sleep_ms(300);
  p.set_state(GST_STATE_NULL);
  fail_unless_equals_uint64(p.stat("events-sent"), 3);
  fail_unless(c.stop() == 0);
  Lines requests = check_record(c, {"sessionStart", "play", "sessionEnd"});
  check_reports(p.observed, requests);
  fail_unless(playhead_of(requests[2]) > 0.2, "sessionEnd at playhead %f",
              playhead_of(requests[2]));
  auto closed = closed_line(c.record(), requests[0].str("session"));
  fail_unless(closed && closed->str("reason") == "sessionEnd");
}
GST_END_TEST;

// PLAYING → PAUSED → PLAYING: pauseStart, then play again.
GST_START_TEST(test_pause_resume) {
  Collector c;
  WirePipeline p("audiotestsrc is-live=false", c.url());
  p.set_state(GST_STATE_PLAYING);
  p.wait_reports("play", 1);
  sleep_ms(200);
  p.set_state(GST_STATE_PAUSED);
  p.wait_reports("pauseStart", 1);
  sleep_ms(200);
  p.set_state(GST_STATE_PLAYING);
  p.wait_reports("play", 2);
  sleep_ms(200);
  p.set_state(GST_STATE_NULL);
  fail_unless(c.stop() == 0);
  Lines requests =
      check_record(c, {"sessionStart", "play", "pauseStart", "play", "sessionEnd"});
  check_reports(p.observed, requests);
  fail_unless(ts_of(requests[3]) - ts_of(requests[2]) >= 150,
              "the pause lasted %" G_GINT64_FORMAT " ms",
              ts_of(requests[3]) - ts_of(requests[2]));
}
GST_END_TEST;

// The collector holds sessionStart 500 ms: what happened meanwhile waits in
// the client and arrives after the 201, in order.
GST_START_TEST(test_queue_until_session) {
  Collector c({"--delay-sessions=500"});
  WirePipeline p("audiotestsrc num-buffers=10 is-live=false", c.url());
  p.set_state(GST_STATE_PLAYING);
  p.wait_eos();
  p.wait_reports("sessionComplete", 1);
  p.set_state(GST_STATE_NULL);
  fail_unless(c.stop() == 0);
  Lines requests = check_record(c, {"sessionStart", "play", "sessionComplete"});
  check_reports(p.observed, requests);
  // 10 buffers are 232 ms of audio, played while the sessionStart was held:
  // the events are stamped when they happen, not when they can be sent. The
  // bound leaves room for a loaded CI machine (a slow start of the stream);
  // the order and the hold itself are checked above and below.
  fail_unless(ts_of(requests[2]) - ts_of(requests[0]) < 2000,
              "sessionComplete happened %" G_GINT64_FORMAT " ms after sessionStart",
              ts_of(requests[2]) - ts_of(requests[0]));
  const int64_t held_us = requests[1].num("time_us") - requests[0].num("time_us");
  fail_unless(held_us >= 450000,
              "play arrived %" G_GINT64_FORMAT " us after sessionStart", held_us);
}
GST_END_TEST;

// Nothing listens at the endpoint: the pipeline plays to EOS untouched, NULL
// comes back within flush-timeout + 1 s, and the element warns.
GST_START_TEST(test_unreachable_endpoint) {
  WirePipeline p("audiotestsrc num-buffers=50 is-live=false", free_port_url());
  g_object_set(p.ma, "flush-timeout", static_cast<guint64>(GST_SECOND), nullptr);
  p.set_state(GST_STATE_PLAYING);
  p.wait_eos();
  const int64_t t0 = now_ms();
  p.set_state(GST_STATE_NULL);
  const int64_t took = now_ms() - t0;
  fail_unless(took < 2000, "NULL took %" G_GINT64_FORMAT " ms", took);
  fail_unless(p.observed.errors.empty(), "an ERROR: %s",
              p.observed.errors[0].str().c_str());
  fail_unless(p.observed.warning_count() >= 1, "no WARNING message");
  fail_unless_equals_uint64(p.stat("events-sent"), 0);
  fail_unless_equals_uint64(p.stat("events-generated"), 3);
  fail_unless_equals_uint64(p.stat("events-dropped"), 3);
  fail_unless(p.stat("events-retried") >= 1);
  fail_unless(p.session_id().empty());
  fail_unless_equals_uint64(p.stat("buffers-seen"), 50);
}
GST_END_TEST;

// An application that drops the element without setting it to NULL (a bug
// GStreamer itself complains about) must not hang on the request in flight
// nor on what is still queued: dispose does not wait for the network.
GST_START_TEST(test_dispose_without_null) {
  Collector c({"--delay-events=100000"});
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch(
      "audiotestsrc is-live=true ! mediaanalytics name=ma flush-timeout=2000000000 "
      "tracking-server=t.example report-suite=rs org-id=X@AdobeOrg channel=test "
      "! fakesink sync=true",
      &error);
  fail_unless(pipeline != nullptr, "no pipeline: %s", error ? error->message : "?");
  GstElement *ma = gst_bin_get_by_name(GST_BIN(pipeline), "ma");
  g_object_set(ma, "endpoint", c.url().c_str(), nullptr);
  gst_object_unref(ma);
  fail_unless(
      gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE,
      "cannot play");
  // The sessionStart is answered; the play that follows is held by the
  // collector (and recorded only when it is handled, long after this test).
  fail_unless(c.wait_for_lines(1, 10000), "the sessionStart did not arrive");
  sleep_ms(300);
  fail_unless(
      gst_element_set_state(pipeline, GST_STATE_READY) == GST_STATE_CHANGE_SUCCESS,
      "cannot go to READY");
  // The queued bus messages hold references to the elements: drop them, so
  // that the last unref below really disposes the pipeline.
  GstBus *bus = gst_element_get_bus(pipeline);
  gst_bus_set_flushing(bus, TRUE);
  gst_object_unref(bus);
  int64_t start = now_ms();
  ASSERT_CRITICAL(gst_object_unref(pipeline));
  int64_t took = now_ms() - start;
  fail_unless(took < 1000, "dropping the element took %" G_GINT64_FORMAT " ms", took);
  fail_unless(c.stop() == 0, "the collector did not exit with 0");
}
GST_END_TEST;

// The flush at NULL against an endpoint that accepts the events and never
// answers them (the collector holds them 100 s): NULL returns within
// flush-timeout (500 ms) + 1 s, the undelivered events are dropped and
// counted, and a flush-incomplete WARNING is posted.
GST_START_TEST(test_flush_timeout_unanswered) {
  Collector c({"--delay-events=100000"});
  WirePipeline p("audiotestsrc num-buffers=10 is-live=false", c.url());
  g_object_set(p.ma, "flush-timeout", static_cast<guint64>(500 * GST_MSECOND), nullptr);
  p.set_state(GST_STATE_PLAYING);
  p.wait_eos();
  // The sessionStart is answered (only /events requests are held).
  p.wait_reports("sessionStart", 1);
  const int64_t t0 = now_ms();
  p.set_state(GST_STATE_NULL);
  const int64_t took = now_ms() - t0;
  fail_unless(took < 1500, "NULL took %" G_GINT64_FORMAT " ms", took);
  fail_unless(p.observed.errors.empty(), "an ERROR: %s",
              p.observed.errors[0].str().c_str());
  fail_unless_equals_uint64(p.stat("events-generated"), 3);
  fail_unless_equals_uint64(p.stat("events-sent"), 1);
  fail_unless_equals_uint64(p.stat("events-dropped"), 2);  // play, sessionComplete
  fail_unless_equals_uint64(p.stat("events-queued"), 0);
  fail_unless_equals_uint64(p.observed.report_count(), 1);
  bool flush_warning = false;
  {
    std::lock_guard<std::mutex> l(p.observed.lock);
    for (const Message &w : p.observed.warnings)
      flush_warning =
          flush_warning || w.str().find("flush-incomplete") != std::string::npos;
  }
  fail_unless(flush_warning, "no flush-incomplete WARNING (%zu warnings)",
              p.observed.warning_count());
  fail_unless(c.stop() == 0, "the collector did not exit with 0");
}
GST_END_TEST;

// A bus sync handler that blocks on the first mediaanalytics-event (on the
// process-wide sending thread) until the test opens the gate; and a record of
// where the element was disposed.
struct Gate {
  GMutex lock;
  GCond cond;
  bool entered = false;
  bool open = false;
  GThread *sender_thread = nullptr;  // where the handler blocked
  bool disposed = false;
  GThread *disposed_on = nullptr;

  Gate() {
    g_mutex_init(&lock);
    g_cond_init(&cond);
  }
  ~Gate() {
    g_cond_clear(&cond);
    g_mutex_clear(&lock);
  }
  // Waits up to `timeout_ms` for `*flag`.
  bool wait_for(const bool *flag, int timeout_ms) {
    const gint64 until = g_get_monotonic_time() + timeout_ms * G_TIME_SPAN_MILLISECOND;
    g_mutex_lock(&lock);
    while (!*flag && g_cond_wait_until(&cond, &lock, until)) {
    }
    const bool done = *flag;
    g_mutex_unlock(&lock);
    return done;
  }
  void release() {
    g_mutex_lock(&lock);
    open = true;
    g_cond_broadcast(&cond);
    g_mutex_unlock(&lock);
  }
};

GstBusSyncReply blocking_handler(GstBus *, GstMessage *message, gpointer data) {
  auto *gate = static_cast<Gate *>(data);
  if (GST_MESSAGE_TYPE(message) != GST_MESSAGE_ELEMENT ||
      !gst_message_has_name(message, "mediaanalytics-event"))
    return GST_BUS_PASS;
  g_mutex_lock(&gate->lock);
  if (!gate->entered) {
    gate->entered = true;
    gate->sender_thread = g_thread_self();
    g_cond_broadcast(&gate->cond);
    while (!gate->open)
      g_cond_wait(&gate->cond, &gate->lock);
  }
  g_mutex_unlock(&gate->lock);
  return GST_BUS_PASS;
}

void on_disposed(gpointer data, GObject *) {
  auto *gate = static_cast<Gate *>(data);
  g_mutex_lock(&gate->lock);
  gate->disposed = true;
  gate->disposed_on = g_thread_self();
  g_cond_broadcast(&gate->cond);
  g_mutex_unlock(&gate->lock);
}

// The deadlock the review found: an application's bus sync handler blocks
// while the element posts a report (on the shared sending thread); the
// application sets the pipeline to NULL and drops it meanwhile, so the
// element's last reference goes on the sending thread when the handler
// returns. The element must be disposed there without hanging that thread:
// a second element of the process, which shares it, still gets its events
// delivered and reported.
GST_START_TEST(test_blocked_sync_handler_dropped_pipeline) {
  Collector c;
  // Created first and kept in READY (it holds a client, hence the shared
  // sending thread), so that the first element cannot be the last user of
  // that thread and nothing can replace a hung thread with a new one.
  WirePipeline second("audiotestsrc num-buffers=10 is-live=false", c.url());
  second.set_state(GST_STATE_READY);

  static Gate gate;  // outlives the bus, whatever thread drops it
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch(
      "audiotestsrc is-live=false ! mediaanalytics name=ma ! fakesink sync=true", &error);
  fail_unless(pipeline != nullptr, "no pipeline: %s", error ? error->message : "?");
  GstElement *ma = gst_bin_get_by_name(GST_BIN(pipeline), "ma");
  g_object_set(ma, "endpoint", c.url().c_str(), "tracking-server", "t.example",
               "report-suite", "rs", "org-id", "X@AdobeOrg", "channel", "test",
               "media-id", "blocked", "flush-timeout",
               static_cast<guint64>(200 * GST_MSECOND), nullptr);
  g_object_weak_ref(G_OBJECT(ma), on_disposed, &gate);
  GstBus *bus = gst_element_get_bus(pipeline);
  gst_bus_set_sync_handler(bus, blocking_handler, &gate, nullptr);
  fail_unless(
      gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE,
      "cannot play");
  fail_unless(gate.wait_for(&gate.entered, 10000), "no mediaanalytics-event posted");
  fail_unless(gate.sender_thread != g_thread_self());

  // While the handler blocks: NULL (the client's shutdown cannot be
  // acknowledged by the blocked thread, so it takes up to the client's
  // bounded wait), then every reference of the application goes.
  const int64_t t0 = now_ms();
  fail_unless(gst_element_set_state(pipeline, GST_STATE_NULL) == GST_STATE_CHANGE_SUCCESS,
              "cannot go to NULL");
  const int64_t took = now_ms() - t0;
  fail_unless(took < 5000, "NULL took %" G_GINT64_FORMAT " ms", took);
  gst_object_unref(ma);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
  fail_if(gate.disposed, "the element went while its message was being posted");

  // The handler returns: the last reference goes on the sending thread.
  gate.release();
  fail_unless(gate.wait_for(&gate.disposed, 5000),
              "the element was not disposed after the handler returned");
  fail_unless(gate.disposed_on == gate.sender_thread,
              "the element was not disposed on the sending thread");

  // The sending thread still serves the other element.
  second.set_state(GST_STATE_PLAYING);
  second.wait_eos();
  second.wait_reports("sessionComplete", 1, 5000);
  fail_unless(second.observed.event_thread == gate.sender_thread,
              "the second element reported from another thread");
  const std::string sid = second.session_id();
  second.set_state(GST_STATE_NULL);
  fail_unless_equals_uint64(second.stat("events-sent"), 3);
  fail_unless(second.observed.errors.empty());
  fail_unless(c.stop() == 0);
  Lines mine;
  for (const Line &line : requests_of(c.record()))
    if (line.str("session") == sid)
      mine.push_back(line);
  fail_unless(types_of(mine) == "sessionStart play sessionComplete",
              "the second session has \"%s\"", types_of(mine).c_str());
  check_reports(second.observed, mine);
}
GST_END_TEST;

// `duration_ms` of audio in buffers of 441 samples at 44100 Hz (10 ms).
static std::string audio_of(int64_t duration_ms) {
  return "audiotestsrc num-buffers=" + std::to_string(duration_ms / 10) +
         " samplesperbuffer=441 is-live=false";
}

// A collector expecting pings every `ping_ms`, and a gap of half that
// beyond them.
static std::vector<std::string> ping_collector_args(int64_t ping_ms) {
  return {"--main-ping=" + std::to_string(ping_ms),
          "--gap-slack=" + std::to_string(ping_ms / 2)};
}

// ping-interval=1 s, a 3.5 s stream played to EOS: pings at +1, +2 and +3 s
// from the sessionStart, in order with the rest, with no gap finding. The
// figures grow with the time scale (the stream's too): the sessionStart is
// stamped at the intent, and a slow preroll must not bring a fourth ping.
GST_START_TEST(test_pings_to_eos) {
  const int64_t ping_ms = scaled_ms(1000);
  Collector c(ping_collector_args(ping_ms));
  {
    WirePipeline p(audio_of(scaled_ms(3500)), c.url());
    g_object_set(p.ma, "ping-interval", static_cast<guint64>(ping_ms) * GST_MSECOND,
                 nullptr);
    p.set_state(GST_STATE_PLAYING);
    p.wait_eos();
    p.wait_reports("sessionComplete", 1);
    p.set_state(GST_STATE_NULL);
    fail_unless(p.observed.warning_count() == 0, "%s",
                p.observed.warnings[0].str().c_str());
    fail_unless(c.stop() == 0);
    Lines requests = check_record(
        c, {"sessionStart", "play", "ping", "ping", "ping", "sessionComplete"});
    check_reports(p.observed, requests);
    const int64_t t0 = ts_of(requests[0]);
    for (size_t i = 2; i < 5; i++) {
      const int64_t want = t0 + ping_ms * static_cast<int64_t>(i - 1);
      fail_unless(std::llabs(ts_of(requests[i]) - want) <= scaled_ms(300),
                  "ping %zu at +%" G_GINT64_FORMAT " ms from sessionStart", i - 1,
                  ts_of(requests[i]) - t0);
    }
    fail_unless(playhead_of(requests[4]) > playhead_of(requests[2]),
                "the playhead did not move between the pings");
    auto closed = closed_line(c.record(), requests[0].str("session"));
    fail_unless(closed && closed->findings().empty(), "findings at the end: %s",
                closed ? closed->findings().c_str() : "(no session-closed line)");
  }
}
GST_END_TEST;

// PLAYING 1.2 s, PAUSED 2.2 s, PLAYING to EOS (2.5 s of audio): the pings
// (1 s) go on during the pause, at the playhead of the pause. Every figure
// grows with the time scale (the stream's length too): the four pings and the
// EOS before a fifth must not depend on the test process's pace.
GST_START_TEST(test_pings_while_paused) {
  const int64_t ping_ms = scaled_ms(1000);
  Collector c(ping_collector_args(ping_ms));
  {
    WirePipeline p(audio_of(scaled_ms(2500)), c.url());
    g_object_set(p.ma, "ping-interval", static_cast<guint64>(ping_ms) * GST_MSECOND,
                 nullptr);
    const int64_t start = now_ms();
    p.set_state(GST_STATE_PLAYING);
    sleep_ms(start + scaled_ms(1200) - now_ms());
    p.set_state(GST_STATE_PAUSED);
    sleep_ms(scaled_ms(2200));
    p.set_state(GST_STATE_PLAYING);
    p.wait_eos();
    p.wait_reports("sessionComplete", 1);
    p.set_state(GST_STATE_NULL);
    fail_unless(p.observed.warning_count() == 0, "%s",
                p.observed.warnings[0].str().c_str());
    fail_unless(c.stop() == 0);
    Lines requests = check_record(c, {"sessionStart", "play", "ping", "pauseStart",
                                      "ping", "ping", "play", "ping", "sessionComplete"});
    check_reports(p.observed, requests);
    const int64_t t0 = ts_of(requests[0]);
    const size_t pings[] = {2, 4, 5, 7};
    for (size_t k = 0; k < 4; k++) {
      const int64_t want = t0 + ping_ms * static_cast<int64_t>(k + 1);
      fail_unless(std::llabs(ts_of(requests[pings[k]]) - want) <= scaled_ms(300),
                  "ping %zu at +%" G_GINT64_FORMAT " ms from sessionStart", k + 1,
                  ts_of(requests[pings[k]]) - t0);
    }
    fail_unless(playhead_of(requests[4]) == playhead_of(requests[5]),
                "the playhead moved during the pause: %f, %f", playhead_of(requests[4]),
                playhead_of(requests[5]));
    fail_unless(playhead_of(requests[7]) > playhead_of(requests[5]));
    auto closed = closed_line(c.record(), requests[0].str("session"));
    fail_unless(closed && closed->findings().empty(), "findings at the end: %s",
                closed ? closed->findings().c_str() : "(no session-closed line)");
  }
}
GST_END_TEST;

static Suite *element_wire_suite(void) {
  Suite *s = suite_create("element-wire");
  TCase *tc = add_process_tcase(s);
  tcase_add_test(tc, test_play_to_eos);
  tcase_add_test(tc, test_stop_before_eos);
  tcase_add_test(tc, test_pause_resume);
  tcase_add_test(tc, test_queue_until_session);
  tcase_add_test(tc, test_unreachable_endpoint);
  tcase_add_test(tc, test_dispose_without_null);
  tcase_add_test(tc, test_flush_timeout_unanswered);
  tcase_add_test(tc, test_blocked_sync_handler_dropped_pipeline);
  tcase_add_test(tc, test_pings_to_eos);
  tcase_add_test(tc, test_pings_while_paused);
  return s;
}

GST_CHECK_MAIN(element_wire);
