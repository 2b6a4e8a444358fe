#include "element-fixture.h"

using namespace collector_test;

namespace element_test {

std::vector<std::string> collector_args(bool ad_pings, int64_t ping_ms) {
  const std::string interval = std::to_string(ping_ms);
  std::vector<std::string> args = {"--main-ping=" + interval};
  if (ad_pings)
    args.push_back("--ad-ping=" + interval);
  return args;
}

// ---------------------------------------------------------------------------
// The bus.

std::string Message::str() const {
  return source + ": " + text + " (" + debug + ")";
}

Observed::~Observed() {
  for (GstStructure *s : events)
    gst_structure_free(s);
}

size_t Observed::report_count() {
  std::lock_guard<std::mutex> l(lock);
  return events.size();
}

size_t Observed::count_of(const char *type) {
  std::lock_guard<std::mutex> l(lock);
  size_t n = 0;
  for (GstStructure *s : events)
    if (g_strcmp0(gst_structure_get_string(s, "event-type"), type) == 0)
      n++;
  return n;
}

void Observed::wait_reports(const char *type, size_t count, int64_t timeout_ms) {
  const int64_t until = now_ms() + scaled_ms(timeout_ms);
  while (count_of(type) < count && now_ms() < until)
    sleep_ms(5);
  fail_unless(count_of(type) >= count, "%zu %s reports, expected %zu", count_of(type),
              type, count);
}

size_t Observed::warning_count() {
  std::lock_guard<std::mutex> l(lock);
  return warnings.size();
}

guint64 Observed::last_dropped() {
  std::lock_guard<std::mutex> l(lock);
  return dropped.empty() ? 0 : dropped.back();
}

std::string Observed::last_warning() {
  std::lock_guard<std::mutex> l(lock);
  return warnings.empty() ? "" : warnings.back().str();
}

std::string Observed::all_warnings() {
  std::lock_guard<std::mutex> l(lock);
  return describe(warnings);
}

std::string Observed::describe(const std::vector<Message> &messages) {
  std::string out;
  for (const Message &m : messages)
    out += "[" + m.str() + "] ";
  return out;
}

void Observed::expect_quiet() {
  std::lock_guard<std::mutex> l(lock);
  fail_unless(warnings.empty(), "WARNINGs: %s", describe(warnings).c_str());
  fail_unless(errors.empty(), "ERRORs: %s", describe(errors).c_str());
}

GstBusSyncReply on_message(GstBus *, GstMessage *message, gpointer data) {
  auto *observed = static_cast<Observed *>(data);
  const GstMessageType type = GST_MESSAGE_TYPE(message);
  if (type == GST_MESSAGE_ELEMENT) {
    const GstStructure *s = gst_message_get_structure(message);
    if (s && gst_structure_has_name(s, "mediaanalytics-event")) {
      std::lock_guard<std::mutex> l(observed->lock);
      observed->events.push_back(gst_structure_copy(s));
      observed->event_thread = g_thread_self();
    }
  } else if (type == GST_MESSAGE_QOS) {
    GstFormat format = GST_FORMAT_UNDEFINED;
    guint64 dropped = 0;
    gst_message_parse_qos_stats(message, &format, nullptr, &dropped);
    if (g_strcmp0(GST_OBJECT_NAME(GST_MESSAGE_SRC(message)), "sink") == 0 &&
        format == GST_FORMAT_BUFFERS) {
      std::lock_guard<std::mutex> l(observed->lock);
      observed->dropped.push_back(dropped);
    }
  } else if (type == GST_MESSAGE_WARNING || type == GST_MESSAGE_ERROR) {
    GError *error = nullptr;
    gchar *debug = nullptr;
    if (type == GST_MESSAGE_WARNING)
      gst_message_parse_warning(message, &error, &debug);
    else
      gst_message_parse_error(message, &error, &debug);
    Message m{GST_OBJECT_NAME(GST_MESSAGE_SRC(message)), error->message,
              debug ? debug : ""};
    {
      std::lock_guard<std::mutex> l(observed->lock);
      if (type == GST_MESSAGE_ERROR)
        observed->errors.push_back(m);
      else if (m.source == "ma")
        observed->warnings.push_back(m);
    }
    g_error_free(error);
    g_free(debug);
  }
  return GST_BUS_PASS;
}

// ---------------------------------------------------------------------------
// The pipeline.

void configure_element(GstElement *ma, const std::string &endpoint, const char *media_id,
                       guint64 ping_interval, const char *media_name,
                       guint64 ad_ping_interval) {
  g_object_set(ma, "endpoint", endpoint.c_str(), "tracking-server",
               "example.sc.omtrdc.net", "report-suite", "examplersid", "org-id",
               "0123456789ABCDEF@AdobeOrg", "channel", "test", "media-id", media_id,
               nullptr);
  if (media_name)
    g_object_set(ma, "media-name", media_name, nullptr);
  if (ping_interval)
    g_object_set(ma, "ping-interval", ping_interval, nullptr);
  if (ad_ping_interval)
    g_object_set(ma, "ad-ping-interval", ad_ping_interval, nullptr);
}

Pipeline::Pipeline(const std::string &desc) {
  GError *error = nullptr;
  pipeline = gst_parse_launch(desc.c_str(), &error);
  fail_unless(pipeline != nullptr && error == nullptr, "%s: %s", desc.c_str(),
              error ? error->message : "no pipeline");
  ma = gst_bin_get_by_name(GST_BIN(pipeline), "ma");
  fail_unless(ma != nullptr, "no element ma in %s", desc.c_str());
  bus = gst_element_get_bus(pipeline);
  gst_bus_set_sync_handler(bus, on_message, &observed, nullptr);
}

Pipeline::~Pipeline() {
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_bus_set_sync_handler(bus, nullptr, nullptr, nullptr);
  gst_object_unref(bus);
  gst_object_unref(ma);
  gst_object_unref(pipeline);
}

GstElement *Pipeline::element(const char *name) {
  GstElement *e = gst_bin_get_by_name(GST_BIN(pipeline), name);
  fail_unless(e != nullptr, "no element %s", name);
  gst_object_unref(e);  // the bin keeps it
  return e;
}

void Pipeline::set_preroll_wait(guint64 ns) {
  g_object_set(ma, "preroll-wait", ns, nullptr);
}

void Pipeline::set_state(GstState state) {
  fail_unless(gst_element_set_state(pipeline, state) != GST_STATE_CHANGE_FAILURE,
              "set_state(%s) failed: %s", gst_element_state_get_name(state),
              Observed::describe(observed.errors).c_str());
  fail_unless(
      gst_element_get_state(pipeline, nullptr, nullptr, scaled_ms(10000) * GST_MSECOND) ==
          GST_STATE_CHANGE_SUCCESS,
      "the pipeline did not reach %s", gst_element_state_get_name(state));
}

double Pipeline::position(bool required) {
  gint64 pos = -1;
  const bool known = gst_element_query_position(pipeline, GST_FORMAT_TIME, &pos);
  if (required)
    fail_unless(known, "no position");
  else if (!known || pos < 0)
    return -1;
  return static_cast<double>(pos) / GST_SECOND;
}

void Pipeline::wait_position(double seconds) {
  const int64_t until = now_ms() + scaled_ms(10000);
  while (position() < seconds && now_ms() < until)
    sleep_ms(5);
  fail_unless(position() >= seconds, "the position stays at %f, not %f", position(),
              seconds);
}

void Pipeline::end_stream() {
  fail_unless(gst_element_send_event(pipeline, gst_event_new_eos()));
  wait_eos();
}

void Pipeline::wait_eos() {
  GstMessage *m = gst_bus_timed_pop_filtered(
      bus, static_cast<GstClockTime>(static_cast<double>(eos_timeout) * time_scale()),
      static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless(m != nullptr, "no EOS");
  fail_unless(GST_MESSAGE_TYPE(m) == GST_MESSAGE_EOS, "an ERROR instead of EOS: %s",
              Observed::describe(observed.errors).c_str());
  gst_message_unref(m);
}

std::string Pipeline::session_id() {
  gchar *sid = nullptr;
  g_object_get(ma, "session-id", &sid, nullptr);
  std::string out = sid ? sid : "";
  g_free(sid);
  return out;
}

guint64 Pipeline::stat(const char *field) {
  GstStructure *stats = nullptr;
  g_object_get(ma, "stats", &stats, nullptr);
  fail_unless(stats != nullptr);
  guint64 value = 0;
  fail_unless(gst_structure_get_uint64(stats, field, &value), "no %s", field);
  gst_structure_free(stats);
  return value;
}

// ---------------------------------------------------------------------------
// The presentation.

void Presentation::watch(GstElement *sink) {
  g_object_set(sink, "signal-handoffs", TRUE, nullptr);
  g_signal_connect(sink, "handoff", G_CALLBACK(on_handoff), this);
}

void Presentation::on_handoff(GstElement *, GstBuffer *buffer, GstPad *, gpointer data) {
  auto *self = static_cast<Presentation *>(data);
  const int64_t utc_ms = g_get_real_time() / 1000;
  std::lock_guard<std::mutex> l(self->lock_);
  self->presented_.emplace_back(GST_BUFFER_PTS(buffer), utc_ms);
}

int64_t Presentation::utc_ms_at(double seconds) {
  const auto at = static_cast<GstClockTime>(seconds * GST_SECOND + 0.5);
  std::lock_guard<std::mutex> l(lock_);
  const std::pair<GstClockTime, int64_t> *latest = nullptr;
  for (const auto &frame : presented_)
    if (GST_CLOCK_TIME_IS_VALID(frame.first) && frame.first <= at &&
        (!latest || frame.first >= latest->first))
      latest = &frame;
  fail_unless(latest != nullptr, "nothing before %.3f s was presented", seconds);
  return latest->second + static_cast<int64_t>((at - latest->first) / GST_MSECOND);
}

double Presentation::latest_seconds() {
  std::lock_guard<std::mutex> l(lock_);
  std::optional<GstClockTime> latest;
  for (const auto &frame : presented_)
    if (GST_CLOCK_TIME_IS_VALID(frame.first) && (!latest || frame.first > *latest))
      latest = frame.first;
  fail_unless(latest.has_value(), "nothing was presented");
  return static_cast<double>(*latest) / GST_SECOND;
}

// ---------------------------------------------------------------------------
// The application API.

GstStructure *structure(const char *text) {
  if (text == nullptr)
    return nullptr;
  GstStructure *s = gst_structure_from_string(text, nullptr);
  fail_unless(s != nullptr, "cannot parse the structure \"%s\"", text);
  return s;
}

gboolean emit_structures(GstElement *ma, const char *signal, const char *params,
                         const char *custom, bool with_custom) {
  GstStructure *p = structure(params);
  GstStructure *c = structure(custom);
  gboolean accepted = FALSE;
  if (with_custom)
    g_signal_emit_by_name(ma, signal, p, c, &accepted);
  else
    g_signal_emit_by_name(ma, signal, p, &accepted);
  if (p)
    gst_structure_free(p);
  if (c)
    gst_structure_free(c);
  return accepted;
}

gboolean ad_break_start(GstElement *ma, const char *params) {
  return emit_structures(ma, "ad-break-start", params, nullptr, false);
}
gboolean ad_start(GstElement *ma, const char *params, const char *custom) {
  return emit_structures(ma, "ad-start", params, custom, true);
}
gboolean chapter_start(GstElement *ma, const char *params, const char *custom) {
  return emit_structures(ma, "chapter-start", params, custom, true);
}
gboolean state_call(GstElement *ma, const char *signal, const char *name) {
  gboolean accepted = FALSE;
  g_signal_emit_by_name(ma, signal, name, &accepted);
  return accepted;
}
gboolean track_error(GstElement *ma, const char *id, const char *source) {
  gboolean accepted = FALSE;
  g_signal_emit_by_name(ma, "track-error", id, source, &accepted);
  return accepted;
}
gboolean closing_call(GstElement *ma, const char *signal) {
  gboolean accepted = FALSE;
  g_signal_emit_by_name(ma, signal, &accepted);
  return accepted;
}

// ---------------------------------------------------------------------------
// The appsrc.

void push_frames(GstElement *src, int from, int to) {
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

void end_frames(GstElement *src) {
  GstFlowReturn ret = GST_FLOW_ERROR;
  g_signal_emit_by_name(src, "end-of-stream", &ret);
  fail_unless(ret == GST_FLOW_OK);
}

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
JsonObject *params_of(const Line &line) {
  JsonObject *body = body_of(line);
  fail_unless(json_object_has_member(body, "params"), "%s has no params",
              line.event_type().c_str());
  return json_object_get_object_member(body, "params");
}
std::string json_of(JsonObject *object) {
  JsonNode *node = json_node_alloc();
  json_node_init_object(node, object);
  gchar *text = json_to_string(node, FALSE);
  json_node_unref(node);
  std::string out = text;
  g_free(text);
  return out;
}
std::string member_json(const Line &line, const char *name) {
  JsonObject *body = body_of(line);
  if (!json_object_has_member(body, name))
    return "";
  return json_of(json_object_get_object_member(body, name));
}
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
std::string describe(const Line &line) {
  char playhead[32];
  g_snprintf(playhead, sizeof playhead, "%.3f", playhead_of(line));
  std::string out =
      line.event_type() + "@" + playhead + " " + member_json(line, "params");
  const std::string qoe_data = member_json(line, "qoeData");
  if (!qoe_data.empty())
    out += " qoeData " + qoe_data;
  return out;
}
std::string describe_all(const Lines &requests) {
  std::string out;
  for (const Line &r : requests)
    if (r.event_type() != "ping")
      out += (out.empty() ? "" : " | ") + describe(r);
  return out;
}

std::string joined(const std::vector<std::string> &types) {
  std::string out;
  for (const std::string &t : types)
    out += (out.empty() ? "" : " ") + t;
  return out;
}
std::string types_of(const Lines &requests, bool with_pings) {
  std::vector<std::string> types;
  for (const Line &r : requests)
    if (with_pings || r.event_type() != "ping")
      types.push_back(r.event_type());
  return joined(types);
}

Lines check_session(Collector &c, const std::vector<std::vector<std::string>> &accepted) {
  fail_unless(c.stop() == 0, "the collector did not exit cleanly");
  const Lines record = c.record();
  Lines requests = requests_of(record);
  const std::string types = types_without_pings(requests);
  bool matched = false;
  std::string wanted;
  for (const std::vector<std::string> &expected : accepted) {
    matched = matched || types == joined(expected);
    wanted += (wanted.empty() ? "\"" : " or \"") + joined(expected) + "\"";
  }
  fail_unless(matched, "the record has \"%s\", expected %s; the record: %s",
              types.c_str(), wanted.c_str(), describe_all(requests).c_str());
  const std::string sid = requests[0].str("session");
  fail_unless(!sid.empty(), "the sessionStart opened no session");
  for (size_t i = 0; i < requests.size(); i++) {
    const Line &r = requests[i];
    const int64_t status = i == 0 ? 201 : 204;
    fail_unless(r.num("status") == status, "request %zu (%s): status %" G_GINT64_FORMAT,
                i, r.event_type().c_str(), r.num("status"));
    fail_unless(r.str("session") == sid, "request %zu went to another session", i);
    fail_unless(r.findings().empty(), "request %zu (%s) has findings: %s", i,
                r.event_type().c_str(), r.findings().c_str());
    fail_unless(i == 0 || ts_of(r) > ts_of(requests[i - 1]),
                "request %zu (%s): ts %" G_GINT64_FORMAT " after %" G_GINT64_FORMAT, i,
                r.event_type().c_str(), ts_of(r), ts_of(requests[i - 1]));
  }
  auto closed = closed_line(record, sid);
  fail_unless(closed.has_value(), "no session-closed line");
  fail_unless(closed->findings().empty(), "findings at the session's end: %s",
              closed->findings().c_str());
  return requests;
}

Lines check_session(Collector &c, const std::vector<std::string> &expected) {
  return check_session(c, std::vector<std::vector<std::string>>{expected});
}

size_t index_of(const Lines &requests, const char *type, int n) {
  for (size_t i = 0; i < requests.size(); i++)
    if (requests[i].event_type() == type && n-- == 0)
      return i;
  fail("no %s in the record", type);
  return 0;
}

}  // namespace element_test
