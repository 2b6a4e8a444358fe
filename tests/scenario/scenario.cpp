#include "scenario.h"

#include <gio/gio.h>
#include <libsoup/soup.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <memory>
#include <utility>

using collector_test::now_ms;

namespace scenario {

namespace {

// Set in the parent process by the unchecked fixture, before the tests fork.
std::string g_clip_path;

// The properties of every scenario element, as strings: one list for launch
// lines and for elements made by the test, so that the two cannot drift.
std::vector<std::pair<std::string, std::string>> element_properties(const Collector &c) {
  return {
      {"endpoint", c.url()},
      {"tracking-server", "example.sc.omtrdc.net"},
      {"report-suite", "examplersid"},
      {"org-id", "0123456789ABCDEF@AdobeOrg"},
      {"channel", "scenario"},
      {"ping-interval", std::to_string(static_cast<guint64>(kPingMs) * GST_MSECOND)},
  };
}

// Makes the clip. This runs in the parent of the forked tests, which must not
// start GStreamer streaming threads of its own (a forked child would inherit
// a thread pool whose threads it does not have): make_media() runs
// gst-launch-1.0 in a child process.
void make_clip() {
  // - a moving pattern: a steady bitrate (about 97 kB/s), which the network
  //   scenarios' byte fractions rely on;
  // - the title as a tag event: matroskamux writes it into the file (theoraenc
  //   in Ogg would not keep it), and matroskademux sends it downstream before
  //   the first buffer;
  // - a keyframe every second: accurate seeks decode little before their
  //   target.
  g_clip_path = make_media(
      "clip.mkv", std::string("videotestsrc num-buffers=150 horizontal-speed=4 ! "
                              "video/x-raw,width=320,height=240,framerate=25/1 ! "
                              "taginject 'tags=\"title=\\\"") +
                      kClipTitle +
                      "\\\"\"' ! theoraenc keyframe-freq=25 keyframe-force=25 ! "
                      "matroskamux");
}

void setup_scenario() {
  collector_test::make_base_dir();
  make_clip();
}

void teardown_scenario() {
  collector_test::remove_base_dir();
  g_clip_path.clear();
}

JsonObject *body_of(const Line &line) {
  JsonNode *body = json_object_get_member(line.object(), "body");
  return body && JSON_NODE_HOLDS_OBJECT(body) ? json_node_get_object(body) : nullptr;
}

// The member `key` of the record's body.params, or null.
JsonNode *param_node(const Line &line, const char *key) {
  JsonObject *body = body_of(line);
  JsonObject *params = body && json_object_has_member(body, "params")
                           ? json_object_get_object_member(body, "params")
                           : nullptr;
  return params ? json_object_get_member(params, key) : nullptr;
}

std::string json_text(JsonObject *object) {
  g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), object);
  g_autofree char *text = json_to_string(node, FALSE);
  return text;
}

std::string joined(const std::vector<std::string> &words) {
  std::string out;
  for (const std::string &w : words)
    out += (out.empty() ? "" : " ") + w;
  return out;
}

// A JSON scalar as text, for the timeline.
std::string scalar_text(JsonNode *node) {
  if (!JSON_NODE_HOLDS_VALUE(node))
    return "...";
  switch (json_node_get_value_type(node)) {
    case G_TYPE_STRING:
      return json_node_get_string(node);
    case G_TYPE_BOOLEAN:
      return json_node_get_boolean(node) ? "true" : "false";
    case G_TYPE_INT64:
      return std::to_string(json_node_get_int(node));
    default:
      return collector_test::number(json_node_get_double(node));
  }
}

}  // namespace

// ---------------------------------------------------------------------------
// Settings and media.

std::vector<std::string> collector_args() {
  return {"--main-ping=" + std::to_string(kPingMs)};
}

const std::string &clip_path() {
  fail_unless(!g_clip_path.empty(), "no clip: the test case lacks add_scenario_tcase");
  return g_clip_path;
}

std::string clip_uri() {
  g_autofree char *uri = gst_filename_to_uri(clip_path().c_str(), nullptr);
  return uri;
}

std::string make_media(const char *file_name, const std::string &description) {
  g_autofree char *path =
      g_build_filename(collector_test::g_base_dir.c_str(), file_name, nullptr);
  g_autofree char *quoted_path = g_shell_quote(path);
  const std::string command =
      "gst-launch-1.0 -q " + description + " ! filesink location=" + quoted_path;
  g_auto(GStrv) argv = nullptr;
  g_autoptr(GError) error = nullptr;
  fail_unless(g_shell_parse_argv(command.c_str(), nullptr, &argv, &error), "%s: %s",
              command.c_str(), error ? error->message : "?");
  g_autofree char *err = nullptr;
  int status = 0;
  fail_unless(g_spawn_sync(nullptr, argv, nullptr, G_SPAWN_SEARCH_PATH, nullptr, nullptr,
                           nullptr, &err, &status, &error),
              "cannot run gst-launch-1.0: %s", error ? error->message : "?");
  fail_unless(g_spawn_check_wait_status(status, nullptr),
              "gst-launch-1.0 could not make %s: %s", file_name, err ? err : "");
  return path;
}

TCase *add_scenario_tcase(Suite *suite, int timeout_s) {
  signal(SIGPIPE, SIG_IGN);
  TCase *tc = tcase_create("scenario");
  suite_add_tcase(suite, tc);
  tcase_set_timeout(tc, timeout_s);
  tcase_add_unchecked_fixture(tc, setup_scenario, teardown_scenario);
  return tc;
}

// ---------------------------------------------------------------------------
// The element.

void configure(GstElement *ma, const Collector &c) {
  for (const auto &p : element_properties(c))
    gst_util_set_object_arg(G_OBJECT(ma), p.first.c_str(), p.second.c_str());
}

void set_ns_property(GstElement *ma, const char *name, guint64 value) {
  GParamSpec *spec = g_object_class_find_property(G_OBJECT_GET_CLASS(ma), name);
  fail_unless(spec != nullptr, "mediaanalytics has no property '%s'", name);
  fail_unless(spec->value_type == G_TYPE_UINT64, "'%s' is not a guint64", name);
  g_object_set(ma, name, value, nullptr);
}

std::string element_description(const Collector &c) {
  std::string out = "mediaanalytics name=ma";
  for (const auto &p : element_properties(c))
    out += " " + p.first + "=\"" + p.second + "\"";
  return out;
}

std::string file_pipeline(const Collector &c) {
  return "filesrc location=\"" + clip_path() + "\" ! decodebin ! " +
         element_description(c) + " ! fakesink sync=true";
}

GstElement *make_playbin(const char *factory, const Collector &c,
                         const std::string &uri) {
  GstElement *playbin = gst_element_factory_make(factory, nullptr);
  fail_unless(playbin != nullptr, "no %s", factory);
  GstElement *ma = gst_element_factory_make("mediaanalytics", "ma");
  fail_unless(ma != nullptr, "no mediaanalytics element");
  configure(ma, c);
  GstElement *video_sink = gst_element_factory_make("fakesink", "video-sink");
  g_object_set(video_sink, "sync", TRUE, nullptr);
  GstElement *audio_sink = gst_element_factory_make("fakesink", "audio-sink");
  g_object_set(audio_sink, "sync", TRUE, nullptr);
  g_object_set(playbin, "uri", uri.c_str(), "video-filter", ma, "video-sink", video_sink,
               "audio-sink", audio_sink, nullptr);
  return playbin;
}

// ---------------------------------------------------------------------------
// The application.

Player::Player(GstElement *pipeline)
    : pipeline_(GST_ELEMENT(gst_object_ref_sink(pipeline))) {
  context_ = g_main_context_new();
  GstBus *bus = gst_element_get_bus(pipeline_);
  bus_watch_ = gst_bus_create_watch(bus);
  g_source_set_callback(bus_watch_, G_SOURCE_FUNC(on_message), this, nullptr);
  g_source_attach(bus_watch_, context_);
  gst_object_unref(bus);
}

Player::Player(const std::string &description)
    : Player([&description] {
        GError *error = nullptr;
        GstElement *pipeline = gst_parse_launch(description.c_str(), &error);
        fail_unless(pipeline != nullptr && error == nullptr, "%s: %s",
                    description.c_str(), error ? error->message : "no pipeline");
        return pipeline;
      }()) {}

Player::~Player() {
  gst_element_set_state(pipeline_, GST_STATE_NULL);
  g_source_destroy(bus_watch_);
  g_source_unref(bus_watch_);
  g_main_context_unref(context_);
  gst_object_unref(pipeline_);
  if (error_)
    g_error_free(error_);
}

GstElement *Player::element(const char *name) const {
  GstElement *e = gst_bin_get_by_name(GST_BIN(pipeline_), name);
  fail_unless(e != nullptr, "no element named %s in the pipeline", name);
  gst_object_unref(e);  // the pipeline keeps it
  return e;
}

void Player::set_state(GstState state) {
  const GstStateChangeReturn ret = gst_element_set_state(pipeline_, state);
  fail_unless(ret != GST_STATE_CHANGE_FAILURE, "set_state(%s) failed",
              gst_element_state_get_name(state));
  // As gst-launch: a live pipeline does not preroll, and its BUFFERING
  // messages need no state management.
  if (ret == GST_STATE_CHANGE_NO_PREROLL)
    live_ = true;
}

void Player::play() {
  target_ = GST_STATE_PLAYING;
  if (!waiting_for_buffer_)
    set_state(GST_STATE_PLAYING);
}

void Player::pause() {
  target_ = GST_STATE_PAUSED;
  set_state(GST_STATE_PAUSED);
}

void Player::seek(double position_s, double rate) {
  const auto flags =
      static_cast<GstSeekFlags>(GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_ACCURATE);
  const gint64 position = static_cast<gint64>(position_s * GST_SECOND);
  fail_unless(gst_element_seek(pipeline_, rate, GST_FORMAT_TIME, flags, GST_SEEK_TYPE_SET,
                               position, GST_SEEK_TYPE_NONE, GST_CLOCK_TIME_NONE),
              "the seek to %f s at rate %f was refused", position_s, rate);
}

bool Player::change_rate_instantly(double rate) {
  // No flush and no position: the only flags an instant rate change takes
  // besides it are trick modes.
  return gst_element_seek(pipeline_, rate, GST_FORMAT_TIME,
                          GST_SEEK_FLAG_INSTANT_RATE_CHANGE, GST_SEEK_TYPE_NONE, 0,
                          GST_SEEK_TYPE_NONE, GST_CLOCK_TIME_NONE);
}

void Player::stop() {
  target_ = GST_STATE_NULL;
  fail_unless(
      gst_element_set_state(pipeline_, GST_STATE_NULL) == GST_STATE_CHANGE_SUCCESS,
      "the pipeline did not stop");
}

gboolean Player::on_message(GstBus *, GstMessage *message, gpointer self) {
  static_cast<Player *>(self)->handle(message);
  return G_SOURCE_CONTINUE;
}

void Player::handle(GstMessage *message) {
  switch (GST_MESSAGE_TYPE(message)) {
    case GST_MESSAGE_EOS:
      eos_ = true;
      break;
    case GST_MESSAGE_ERROR:
      if (!error_) {
        gst_message_parse_error(message, &error_, nullptr);
        error_source_ = GST_OBJECT_NAME(GST_MESSAGE_SRC(message));
      }
      break;
    case GST_MESSAGE_STATE_CHANGED:
      if (GST_MESSAGE_SRC(message) == GST_OBJECT(pipeline_)) {
        GstState state;
        gst_message_parse_state_changed(message, nullptr, &state, nullptr);
        has_played_ = has_played_ || state == GST_STATE_PLAYING;
      }
      break;
    case GST_MESSAGE_BUFFERING: {
      int percent = 0;
      gst_message_parse_buffering(message, &percent);
      buffering_log_.push_back({percent, has_played_});
      if (live_)
        break;
      // What gst-launch-1.0 and gst-play-1.0 do: pause while the queue
      // fills, resume at 100 % if the application wants PLAYING.
      if (percent < 100) {
        if (!waiting_for_buffer_ && target_ == GST_STATE_PLAYING)
          set_state(GST_STATE_PAUSED);
        waiting_for_buffer_ = true;
      } else {
        waiting_for_buffer_ = false;
        if (target_ == GST_STATE_PLAYING)
          set_state(GST_STATE_PLAYING);
      }
      break;
    }
    default:
      break;
  }
}

bool Player::run_until(const std::function<bool()> &done, int timeout_ms) {
  const int64_t deadline = now_ms() + timeout_ms;
  while (true) {
    while (g_main_context_iteration(context_, FALSE)) {
    }
    if (done())
      return true;
    if (now_ms() >= deadline)
      return false;
    // Sleeps until a bus message comes, or 5 ms, whichever is first: the
    // condition may depend on something else than the bus (a position).
    GSource *tick = g_timeout_source_new(5);
    g_source_set_callback(
        tick, [](gpointer) -> gboolean { return G_SOURCE_REMOVE; }, nullptr, nullptr);
    g_source_attach(tick, context_);
    g_main_context_iteration(context_, TRUE);
    g_source_destroy(tick);
    g_source_unref(tick);
  }
}

void Player::run_for(int ms) {
  run_until([] { return false; }, ms);
}

// The deadline of a wait for something the pipeline does: later under
// valgrind (late_ms), where the pipeline is slower.
static int deadline_ms(int timeout_ms) {
  return static_cast<int>(late_ms(timeout_ms));
}

void Player::run_until_eos(int timeout_ms) {
  const int deadline = deadline_ms(timeout_ms);
  run_until([this] { return eos_ || error_; }, deadline);
  fail_unless(error_ == nullptr, "an ERROR from %s instead of EOS: %s",
              error_source_.c_str(), error_ ? error_->message : "");
  fail_unless(eos_, "no EOS within %d ms", deadline);
}

void Player::run_until_state(GstState state, int timeout_ms) {
  const int deadline = deadline_ms(timeout_ms);
  const bool reached = run_until(
      [this, state] {
        GstState current, pending;
        return gst_element_get_state(pipeline_, &current, &pending, 0) ==
                   GST_STATE_CHANGE_SUCCESS &&
               current == state && pending == GST_STATE_VOID_PENDING;
      },
      deadline);
  fail_unless(reached, "the pipeline did not reach %s within %d ms (%s)",
              gst_element_state_get_name(state), deadline, describe().c_str());
}

void Player::run_until_position(double position_s, int timeout_ms) {
  const int deadline = deadline_ms(timeout_ms);
  const bool reached =
      run_until([this, position_s] { return position() >= position_s; }, deadline);
  fail_unless(reached, "the position did not reach %f s within %d ms (it is %f s; %s)",
              position_s, deadline, position(), describe().c_str());
}

std::string Player::describe() const {
  GstState current = GST_STATE_VOID_PENDING, pending = GST_STATE_VOID_PENDING;
  const GstStateChangeReturn ret =
      gst_element_get_state(pipeline_, &current, &pending, 0);
  std::string out = std::string("pipeline ") + gst_element_state_get_name(current) +
                    ", pending " + gst_element_state_get_name(pending) + " (" +
                    gst_element_state_change_return_get_name(ret) + "), wanted " +
                    gst_element_state_get_name(target_) +
                    (waiting_for_buffer_ ? ", waiting for buffering" : "") + ", " +
                    std::to_string(buffering_log_.size()) +
                    " BUFFERING messages (the last ones; p: after PLAYING):";
  const size_t shown = std::min<size_t>(buffering_log_.size(), 12);
  for (size_t i = buffering_log_.size() - shown; i < buffering_log_.size(); i++)
    out += " " + std::to_string(buffering_log_[i].percent) +
           (buffering_log_[i].after_playing ? "p" : "");
  // Each element's own state, and the last frame a sink has (an element
  // still pending tells which one holds the pipeline up).
  out += "; elements:";
  GstIterator *it = gst_bin_iterate_recurse(GST_BIN(pipeline_));
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    auto *element = GST_ELEMENT(g_value_get_object(&item));
    GstState el_current, el_pending;
    gst_element_get_state(element, &el_current, &el_pending, 0);
    g_autofree char *name = gst_element_get_name(element);
    out += std::string(" ") + name + "=" + gst_element_state_get_name(el_current);
    if (el_pending != GST_STATE_VOID_PENDING)
      out += std::string("->") + gst_element_state_get_name(el_pending);
    if (g_object_class_find_property(G_OBJECT_GET_CLASS(element), "last-sample")) {
      GstSample *sample = nullptr;
      g_object_get(element, "last-sample", &sample, nullptr);
      GstBuffer *buffer = sample ? gst_sample_get_buffer(sample) : nullptr;
      out += buffer ? " (last frame " + std::to_string(GST_BUFFER_PTS(buffer)) + " ns)"
                    : std::string(" (no frame)");
      if (sample)
        gst_sample_unref(sample);
    }
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it);
  return out;
}

double Player::position() const {
  gint64 position = -1;
  if (!gst_element_query_position(pipeline_, GST_FORMAT_TIME, &position) || position < 0)
    return -1;
  return static_cast<double>(position) / GST_SECOND;
}

// ---------------------------------------------------------------------------
// What passed a pad.

int64_t utc_now_ms() {
  return g_get_real_time() / 1000;
}

PadLog::PadLog(GstElement *element, const char *pad_name) {
  pad_ = gst_element_get_static_pad(element, pad_name);
  fail_unless(pad_ != nullptr, "%s has no pad %s", GST_OBJECT_NAME(element), pad_name);
  probe_ =
      gst_pad_add_probe(pad_,
                        static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER |
                                                     GST_PAD_PROBE_TYPE_BUFFER_LIST |
                                                     GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
                        on_probe, this, nullptr);
}

PadLog::~PadLog() {
  gst_pad_remove_probe(pad_, probe_);
  gst_object_unref(pad_);
}

GstPadProbeReturn PadLog::on_probe(GstPad *, GstPadProbeInfo *info, gpointer self) {
  auto *log = static_cast<PadLog *>(self);
  const GstEventType kind = (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM)
                                ? GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info))
                                : kBuffer;
  std::lock_guard<std::mutex> lock(log->lock_);
  log->entries_.push_back({utc_now_ms(), kind});
  return GST_PAD_PROBE_OK;
}

std::vector<int64_t> PadLog::times(std::initializer_list<GstEventType> kinds) const {
  std::lock_guard<std::mutex> lock(lock_);
  std::vector<int64_t> out;
  for (const Entry &e : entries_)
    if (std::find(kinds.begin(), kinds.end(), e.kind) != kinds.end())
      out.push_back(e.utc_ms);
  return out;
}

int64_t PadLog::longest_wait(const std::vector<int64_t> &times) {
  int64_t longest = 0;
  for (size_t i = 1; i < times.size(); i++)
    longest = std::max(longest, times[i] - times[i - 1]);
  return longest;
}

// ---------------------------------------------------------------------------
// The throttled HTTP server.

namespace {

// One response in progress: how much of the body went out, and where the
// plan is.
struct Transfer {
  HttpServer::State *server = nullptr;
  SoupServerMessage *msg = nullptr;  // owned ref
  size_t part = 0;                   // the part being sent (or next to send)
  size_t appended = 0;               // bytes handed to libsoup
  size_t written = 0;                // bytes libsoup wrote
  bool finished = false;
  GSource *timer = nullptr;  // the next part's delay

  ~Transfer() {
    if (timer) {
      g_source_destroy(timer);
      g_source_unref(timer);
    }
    g_object_unref(msg);
  }
};

}  // namespace

struct HttpServer::State {
  HttpPlan plan;
  GBytes *data = nullptr;
  GMainContext *context = nullptr;
  GMainLoop *loop = nullptr;
  std::atomic<int> requests{0};
  std::vector<std::unique_ptr<Transfer>> transfers;  // server thread only

  // The handshake with the constructor.
  GMutex lock;
  GCond cond;
  bool ready = false;
  guint16 port = 0;
  std::string error;
};

namespace {

size_t part_end(const HttpServer::State *state, size_t part) {
  const size_t size = g_bytes_get_size(state->data);
  const double until = state->plan.parts[part].until;
  return std::min(size, static_cast<size_t>(static_cast<double>(size) * until));
}

// Hands part `t->part` to libsoup. libsoup pauses the response by itself
// when its body runs out; `unpause` it then (not from the handler, where the
// response has not started).
void send_part(Transfer *t, bool unpause) {
  GBytes *data = t->server->data;
  const size_t end = part_end(t->server, t->part);
  SoupMessageBody *body = soup_server_message_get_response_body(t->msg);
  g_autoptr(GBytes) bytes = g_bytes_new_from_bytes(data, t->appended, end - t->appended);
  soup_message_body_append_bytes(body, bytes);
  t->appended = end;
  if (end == g_bytes_get_size(data))
    soup_message_body_complete(body);
  if (unpause)
    soup_server_message_unpause(t->msg);
}

// Sends the part `t->part` after its delay.
void schedule_part(Transfer *t, bool in_handler) {
  const int delay_ms = t->server->plan.parts[t->part].delay_ms;
  if (delay_ms <= 0) {
    send_part(t, !in_handler);
    return;
  }
  if (t->timer) {
    g_source_destroy(t->timer);
    g_source_unref(t->timer);
  }
  t->timer = g_timeout_source_new(static_cast<guint>(delay_ms));
  g_source_set_callback(
      t->timer,
      [](gpointer data) -> gboolean {
        auto *t = static_cast<Transfer *>(data);
        if (!t->finished)
          send_part(t, true);
        return G_SOURCE_REMOVE;
      },
      t, nullptr);
  g_source_attach(t->timer, t->server->context);
}

void on_wrote_body_data(SoupServerMessage *, guint size, gpointer data) {
  auto *t = static_cast<Transfer *>(data);
  t->written += size;
  if (t->finished || t->written < t->appended ||
      t->appended == g_bytes_get_size(t->server->data))
    return;
  // The part is on the wire: the next one, or the cut.
  const HttpPlan &plan = t->server->plan;
  if (++t->part < plan.parts.size()) {
    schedule_part(t, false);
  } else if (plan.cut) {
    // The rest never comes: the client reads what was sent, then the end
    // of the connection, before Content-Length bytes.
    g_socket_shutdown(soup_server_message_get_socket(t->msg), FALSE, TRUE, nullptr);
  }
}

void on_finished(SoupServerMessage *, gpointer data) {
  static_cast<Transfer *>(data)->finished = true;
}

// A Range request, answered after the plan's delay: 206 with the range, or
// the plan's status. The whole response waits (headers included), as with a
// slow server.
void answer_range(HttpServer::State *state, SoupServerMessage *msg) {
  const goffset size = static_cast<goffset>(g_bytes_get_size(state->data));
  if (state->plan.range_status == SOUP_STATUS_PARTIAL_CONTENT) {
    SoupRange *ranges = nullptr;
    int count = 0;
    SoupMessageHeaders *request = soup_server_message_get_request_headers(msg);
    if (!soup_message_headers_get_ranges(request, size, &ranges, &count) || count != 1) {
      soup_server_message_set_status(msg, SOUP_STATUS_REQUESTED_RANGE_NOT_SATISFIABLE,
                                     nullptr);
      if (ranges)
        soup_message_headers_free_ranges(request, ranges);
      return;
    }
    const goffset start = ranges[0].start, end = ranges[0].end;
    soup_message_headers_free_ranges(request, ranges);
    soup_server_message_set_status(msg, SOUP_STATUS_PARTIAL_CONTENT, nullptr);
    SoupMessageHeaders *headers = soup_server_message_get_response_headers(msg);
    soup_message_headers_set_content_type(headers, "video/x-matroska", nullptr);
    soup_message_headers_set_content_range(headers, start, end, size);
    soup_message_headers_replace(headers, "Accept-Ranges", "bytes");
    g_autoptr(GBytes) part = g_bytes_new_from_bytes(
        state->data, static_cast<gsize>(start), static_cast<gsize>(end - start + 1));
    soup_message_body_append_bytes(soup_server_message_get_response_body(msg), part);
    soup_message_body_complete(soup_server_message_get_response_body(msg));
  } else {
    soup_server_message_set_status(msg, state->plan.range_status, nullptr);
  }
  if (state->plan.range_delay_ms <= 0)
    return;
  soup_server_message_pause(msg);
  // A client that gave up meanwhile (a flushing seek, a stop) finishes the
  // message: it must not be unpaused then.
  g_signal_connect(msg, "finished", G_CALLBACK(+[](SoupServerMessage *m, gpointer) {
                     g_object_set_data(G_OBJECT(m), "scenario-finished", m);
                   }),
                   nullptr);
  GSource *timer = g_timeout_source_new(static_cast<guint>(state->plan.range_delay_ms));
  g_source_set_callback(
      timer,
      [](gpointer data) -> gboolean {
        if (!g_object_get_data(G_OBJECT(data), "scenario-finished"))
          soup_server_message_unpause(SOUP_SERVER_MESSAGE(data));
        return G_SOURCE_REMOVE;
      },
      g_object_ref(msg), g_object_unref);
  g_source_attach(timer, state->context);
  g_source_unref(timer);
}

void handle_clip(SoupServer *, SoupServerMessage *msg, const char *, GHashTable *,
                 gpointer data) {
  auto *state = static_cast<HttpServer::State *>(data);
  if (g_strcmp0(soup_server_message_get_method(msg), "GET") != 0) {
    soup_server_message_set_status(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, nullptr);
    return;
  }
  state->requests++;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers(msg);
  if (state->plan.range_status != 0 &&
      soup_message_headers_get_one(soup_server_message_get_request_headers(msg),
                                   "Range")) {
    answer_range(state, msg);
    return;
  }
  const size_t size = g_bytes_get_size(state->data);
  soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
  soup_message_headers_set_content_type(headers, "video/x-matroska", nullptr);
  soup_message_headers_set_content_length(headers, static_cast<goffset>(size));
  soup_message_headers_replace(headers, "Accept-Ranges",
                               state->plan.range_status != 0 ? "bytes" : "none");
  soup_message_body_set_accumulate(soup_server_message_get_response_body(msg), FALSE);
  auto t = std::make_unique<Transfer>();
  t->server = state;
  t->msg = SOUP_SERVER_MESSAGE(g_object_ref(msg));
  g_signal_connect(msg, "wrote-body-data", G_CALLBACK(on_wrote_body_data), t.get());
  g_signal_connect(msg, "finished", G_CALLBACK(on_finished), t.get());
  schedule_part(t.get(), true);
  state->transfers.push_back(std::move(t));
}

gpointer serve(gpointer data) {
  auto *state = static_cast<HttpServer::State *>(data);
  g_main_context_push_thread_default(state->context);
  SoupServer *server = soup_server_new("server-header", "scenario-http ", nullptr);
  // Bound here rather than with soup_server_listen_local, to read the port
  // from the socket.
  g_autoptr(GError) error = nullptr;
  g_autoptr(GSocket) socket = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                           G_SOCKET_PROTOCOL_TCP, &error);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new(loopback, 0);
  bool ok = socket && g_socket_bind(socket, any, TRUE, &error) &&
            g_socket_listen(socket, &error) &&
            soup_server_listen_socket(server, socket,
                                      static_cast<SoupServerListenOptions>(0), &error);
  g_mutex_lock(&state->lock);
  if (ok) {
    g_autoptr(GSocketAddress) bound = g_socket_get_local_address(socket, nullptr);
    state->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
  } else {
    state->error = error ? error->message : "cannot listen";
  }
  state->ready = true;
  g_cond_broadcast(&state->cond);
  g_mutex_unlock(&state->lock);
  if (ok) {
    soup_server_add_handler(server, "/clip.mkv", handle_clip, state, nullptr);
    g_main_loop_run(state->loop);
  }
  soup_server_disconnect(server);
  state->transfers.clear();
  g_object_unref(server);
  g_main_context_pop_thread_default(state->context);
  return nullptr;
}

}  // namespace

HttpServer::HttpServer(const std::string &path, HttpPlan plan) : state_(new State) {
  state_->plan = plan;
  g_autoptr(GError) error = nullptr;
  GMappedFile *file = g_mapped_file_new(path.c_str(), FALSE, &error);
  fail_unless(file != nullptr, "cannot read %s: %s", path.c_str(),
              error ? error->message : "?");
  state_->data = g_mapped_file_get_bytes(file);
  g_mapped_file_unref(file);
  state_->context = g_main_context_new();
  state_->loop = g_main_loop_new(state_->context, FALSE);
  g_mutex_init(&state_->lock);
  g_cond_init(&state_->cond);
  thread_ = g_thread_new("scenario-http", serve, state_);
  g_mutex_lock(&state_->lock);
  while (!state_->ready)
    g_cond_wait(&state_->cond, &state_->lock);
  g_mutex_unlock(&state_->lock);
  fail_unless(state_->error.empty(), "the HTTP server cannot listen: %s",
              state_->error.c_str());
  url_ = "http://127.0.0.1:" + std::to_string(state_->port) + "/clip.mkv";
}

HttpServer::~HttpServer() {
  g_main_context_invoke(
      state_->context,
      [](gpointer loop) -> gboolean {
        g_main_loop_quit(static_cast<GMainLoop *>(loop));
        return G_SOURCE_REMOVE;
      },
      state_->loop);
  g_thread_join(thread_);
  g_main_loop_unref(state_->loop);
  g_main_context_unref(state_->context);
  g_bytes_unref(state_->data);
  g_mutex_clear(&state_->lock);
  g_cond_clear(&state_->cond);
  delete state_;
}

int HttpServer::requests() const {
  return state_->requests.load();
}

// ---------------------------------------------------------------------------
// The record.

std::string Event::str_param(const char *key) const {
  JsonNode *node = param_node(line, key);
  if (!node || !JSON_NODE_HOLDS_VALUE(node) ||
      json_node_get_value_type(node) != G_TYPE_STRING)
    return {};
  return json_node_get_string(node);
}

std::optional<double> Event::num_param(const char *key) const {
  JsonNode *node = param_node(line, key);
  if (!node || !JSON_NODE_HOLDS_VALUE(node))
    return std::nullopt;
  const GType type = json_node_get_value_type(node);
  if (type != G_TYPE_INT64 && type != G_TYPE_DOUBLE)
    return std::nullopt;
  return json_node_get_double(node);
}

std::optional<bool> Event::bool_param(const char *key) const {
  JsonNode *node = param_node(line, key);
  if (!node || !JSON_NODE_HOLDS_VALUE(node) ||
      json_node_get_value_type(node) != G_TYPE_BOOLEAN)
    return std::nullopt;
  return json_node_get_boolean(node) != FALSE;
}

std::vector<std::string> Session::sequence() const {
  std::vector<std::string> out;
  for (const Event &e : events)
    if (e.type != "ping")
      out.push_back(e.type);
  return out;
}

std::vector<const Event *> Session::pings() const {
  std::vector<const Event *> out;
  for (const Event &e : events)
    if (e.type == "ping")
      out.push_back(&e);
  return out;
}

const Event &Session::nth(const char *type, size_t nth) const {
  size_t seen = 0;
  for (const Event &e : events)
    if (e.type == type && seen++ == nth)
      return e;
  fail("session %s has no %s #%zu:\n%s", id.c_str(), type, nth, timeline().c_str());
  return events.front();  // not reached: fail() ends the test
}

std::string Session::timeline() const {
  std::string out;
  const int64_t t0 = events.empty() ? 0 : events.front().ts;
  for (const Event &e : events) {
    char head[96];
    g_snprintf(head, sizeof head, "  %+8.3f s  playhead %9.3f  %-16s",
               static_cast<double>(e.ts - t0) / 1000.0, e.playhead, e.type.c_str());
    out += head;
    JsonObject *body = body_of(e.line);
    if (body && json_object_has_member(body, "params")) {
      JsonObject *params = json_object_get_object_member(body, "params");
      GList *members = json_object_get_members(params);
      for (GList *m = members; m; m = m->next) {
        const char *key = static_cast<const char *>(m->data);
        const char *shown = g_str_has_prefix(key, "media.") ? key + 6 : key;
        out += std::string(" ") + shown + "=" +
               scalar_text(json_object_get_member(params, key));
      }
      g_list_free(members);
    }
    out += "\n";
  }
  if (closed)
    out += "  closed: " + closed->str("reason") + "\n";
  return out;
}

std::vector<Session> finish(Collector &c) {
  fail_unless(c.stop() == 0, "the collector did not exit with 0");
  std::vector<Session> sessions;
  auto find = [&sessions](const std::string &id) -> Session * {
    for (Session &s : sessions)
      if (s.id == id)
        return &s;
    return nullptr;
  };
  for (const Line &line : c.record()) {
    if (line.is_closed()) {
      fail_unless(line.findings().empty(), "session %s closed with findings: %s",
                  line.str("session").c_str(), json_text(line.object()).c_str());
      if (Session *s = find(line.str("session")))
        s->closed = line;
      continue;
    }
    if (!line.is_request())
      continue;
    const std::string text = json_text(line.object());
    JsonObject *body = body_of(line);
    fail_unless(body != nullptr, "a request without a JSON body: %s", text.c_str());
    fail_unless(line.findings().empty(), "a request with findings: %s", text.c_str());
    Event e{line, line.event_type(), 0, 0};
    JsonObject *player_time = json_object_get_object_member(body, "playerTime");
    e.ts = json_object_get_int_member(player_time, "ts");
    e.playhead = json_object_get_double_member(player_time, "playhead");
    const int64_t status = e.type == "sessionStart" ? 201 : 204;
    fail_unless(line.num("status") == status,
                "a request answered %" G_GINT64_FORMAT ", expected %" G_GINT64_FORMAT
                ": %s",
                line.num("status"), status, text.c_str());
    const std::string sid = line.str("session");
    fail_unless(!sid.empty(), "a request to no session: %s", text.c_str());
    Session *s = find(sid);
    if (!s) {
      fail_unless(e.type == "sessionStart", "a session opened by %s: %s", e.type.c_str(),
                  text.c_str());
      sessions.push_back(Session{sid, {}, std::nullopt});
      s = &sessions.back();
    }
    if (!s->events.empty())
      fail_unless(e.ts > s->events.back().ts, "ts not increasing in session %s:\n%s%s",
                  sid.c_str(), s->timeline().c_str(), text.c_str());
    s->events.push_back(std::move(e));
  }
  fail_unless(!sessions.empty(), "no session arrived at the collector");
  return sessions;
}

void check_sequence(const Session &s, const std::vector<std::string> &expected) {
  const std::string got = joined(s.sequence());
  fail_unless(got == joined(expected),
              "session %s: \"%s\" arrived (pings left out), expected \"%s\":\n%s",
              s.id.c_str(), got.c_str(), joined(expected).c_str(), s.timeline().c_str());
}

void check_near(const Session &s, const char *what, double actual, double expected,
                double tolerance) {
  fail_unless(std::fabs(actual - expected) <= tolerance,
              "%s is %.3f, expected %.3f ± %.3f; session %s:\n%s", what, actual, expected,
              tolerance, s.id.c_str(), s.timeline().c_str());
}

int64_t late_ms(int64_t native_ms) {
  return collector_test::scaled_ms(native_ms);
}

namespace {

double late_s(double native_s) {
  return static_cast<double>(late_ms(static_cast<int64_t>(native_s * 1000))) / 1000.0;
}

void check_within(const Session &s, const char *what, double actual, double expected,
                  double below, double above) {
  fail_unless(actual >= expected - below && actual <= expected + above,
              "%s is %.3f, expected %.3f - %.3f to %.3f + %.3f; session %s:\n%s", what,
              actual, expected, below, expected, above, s.id.c_str(),
              s.timeline().c_str());
}

}  // namespace

void check_time_near(const Session &s, const char *what, double actual, double expected,
                     double tolerance) {
  check_within(s, what, actual, expected, tolerance, late_s(tolerance));
}

void check_playhead_near(const Session &s, const char *what, double actual,
                         double expected, double tolerance) {
  check_within(s, what, actual, expected, late_s(tolerance), tolerance);
}

const Session &single(const std::vector<Session> &sessions) {
  if (sessions.size() != 1) {
    std::string all;
    for (const Session &s : sessions)
      all += "session " + s.id + ":\n" + s.timeline();
    fail("%zu sessions arrived, expected 1:\n%s", sessions.size(), all.c_str());
  }
  return sessions.front();
}

void check_ping_grid(const Session &s) {
  // A tick may come late on a loaded machine (the sending thread shares
  // 2 cores with the pipelines of the other test binaries), and later under
  // valgrind (a CPU-bound streaming thread, a preroll or an accurate seek's
  // decoding, holds the serialized process); never early.
  const int64_t late = late_ms(400);
  const int64_t t0 = s.events.front().ts;
  const Event *last = nullptr;  // the last non-ping event
  for (const Event &e : s.events)
    if (e.type != "ping")
      last = &e;
  int64_t k = 0;
  for (const Event *p : s.pings()) {
    k++;
    const int64_t due = t0 + k * kPingMs;
    fail_unless(p->ts >= due - 50 && p->ts <= due + late,
                "session %s: ping %" G_GINT64_FORMAT " at %+.3f s, due at %+.3f s:\n%s",
                s.id.c_str(), k, static_cast<double>(p->ts - t0) / 1000.0,
                static_cast<double>(due - t0) / 1000.0, s.timeline().c_str());
    fail_unless(p->ts < last->ts, "session %s: a ping after %s:\n%s", s.id.c_str(),
                last->type.c_str(), s.timeline().c_str());
  }
  const int64_t next_due = t0 + (k + 1) * kPingMs;
  fail_unless(next_due + late >= last->ts,
              "session %s: ping %" G_GINT64_FORMAT " (due at %+.3f s) is missing:\n%s",
              s.id.c_str(), k + 1, static_cast<double>(next_due - t0) / 1000.0,
              s.timeline().c_str());
}

void check_pings(const Session &s, const std::vector<double> &rates,
                 const std::vector<RateChange> &changes) {
  check_ping_grid(s);
  // The state the viewer is in is that of the latest non-ping event before
  // the ping.
  const int64_t t0 = s.events.front().ts;
  size_t plays = 0;
  const Event *before = nullptr;
  for (size_t i = 0; i < s.events.size(); i++) {
    const Event &e = s.events[i];
    if (e.type != "ping") {
      before = &e;
      plays += e.type == "play";
      continue;
    }
    const Event *after = nullptr;
    for (size_t j = i + 1; j < s.events.size() && !after; j++)
      if (s.events[j].type != "ping")
        after = &s.events[j];
    if (before->type == "play") {
      double rate = plays <= rates.size() ? rates[plays - 1] : 1.0;
      // The presentation runs at `rate` from the play on, and at a changed
      // rate from each change on; it cannot be past where the next event (a
      // pause, a stall, the end) finds it.
      double expected = before->playhead;
      int64_t from = before->ts;
      for (const RateChange &change : changes)
        if (change.utc_ms > from && change.utc_ms < e.ts) {
          expected += static_cast<double>(change.utc_ms - from) / 1000.0 * rate;
          from = change.utc_ms;
          rate = change.rate;
        }
      expected += static_cast<double>(e.ts - from) / 1000.0 * rate;
      if (after)
        expected = std::min(expected, after->playhead);
      // The play is stamped when the data flows again, in the test's
      // process: under valgrind that may be late, behind the clock the
      // pings' playhead comes from, which puts `expected` low.
      g_autofree char *what =
          g_strdup_printf("the playhead of the ping at %+.3f s while playing",
                          static_cast<double>(e.ts - t0) / 1000.0);
      check_time_near(s, what, e.playhead, expected, 0.5 * std::max(1.0, rate));
    } else {
      // Not moving (starting, paused, buffering, seeking, after an error):
      // the playhead of the event before, or already that of the event after
      // (a seek while paused lands before the play).
      double low = before->playhead, high = before->playhead;
      if (after) {
        low = std::min(low, after->playhead);
        high = std::max(high, after->playhead);
      }
      fail_unless(e.playhead >= low - 0.5 && e.playhead <= high + 0.5,
                  "session %s: a ping at %+.3f s after %s says %.3f, expected within "
                  "[%.3f, %.3f] ± 0.5:\n%s",
                  s.id.c_str(), static_cast<double>(e.ts - t0) / 1000.0,
                  before->type.c_str(), e.playhead, low, high, s.timeline().c_str());
    }
  }
}

void check_live_playheads(const Session &s) {
  for (const Event &e : s.events) {
    const double second_of_day = static_cast<double>(e.ts % (86400 * 1000)) / 1000.0;
    double diff =
        std::fmod(e.playhead - second_of_day + 86400.0 * 1.5, 86400.0) - 43200.0;
    fail_unless(std::fabs(diff) <= 1.0,
                "session %s: %s at ts %" G_GINT64_FORMAT
                " has playhead %.3f, the UTC second of the day is %.3f:\n%s",
                s.id.c_str(), e.type.c_str(), e.ts, e.playhead, second_of_day,
                s.timeline().c_str());
  }
}

void check_vod_start(const Session &s, double length) {
  const Event &start = s.nth("sessionStart");
  fail_unless(start.str_param("media.contentType") == "VOD",
              "media.contentType is \"%s\", expected VOD:\n%s",
              start.str_param("media.contentType").c_str(), s.timeline().c_str());
  const std::optional<double> got = start.num_param("media.length");
  fail_unless(got.has_value(), "no numeric media.length:\n%s", s.timeline().c_str());
  check_near(s, "media.length", *got, length, 0.1);
}

void check_complete_at_end(const Session &s) {
  const std::optional<double> length = s.nth("sessionStart").num_param("media.length");
  fail_unless(length.has_value(), "no numeric media.length:\n%s", s.timeline().c_str());
  const Event &complete = s.nth("sessionComplete");
  fail_unless(complete.playhead < *length,
              "sessionComplete at playhead %.3f, not below media.length %.3f:\n%s",
              complete.playhead, *length, s.timeline().c_str());
  check_near(s, "the sessionComplete playhead", complete.playhead, *length, 0.5);
}

void check_clip_to_end(const Session &s, double playhead_leeway) {
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
  check_near(s, "the sessionStart playhead", start.playhead, 0, playhead_leeway);
  check_time_near(s, "the play playhead", s.nth("play").playhead, 0, playhead_leeway);
  check_complete_at_end(s);
  check_pings(s);
}

Interruption check_interrupted(const Session &s, double paused_at) {
  check_sequence(s, {"sessionStart", "play", "pauseStart", "play", "sessionComplete"});
  check_vod_start(s);
  const Interruption i{s.nth("pauseStart"), s.nth("play", 1)};
  check_near(s, "the pauseStart playhead", i.pause.playhead, paused_at, 0.3);
  return i;
}

std::vector<Session> play_file(const std::function<void(Player &)> &drive) {
  Collector c(collector_args());
  {
    Player p(file_pipeline(c));
    p.play();
    drive(p);
    p.stop();
  }
  return finish(c);
}

}  // namespace scenario
