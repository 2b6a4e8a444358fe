#include "collector-process.h"

#include <glib/gstdio.h>
#include <sys/prctl.h>

#include <cstdio>
#include <cstring>

// fail_unless() that touches gst-check only when it fails: fail_unless()
// marks a point in check's messaging even when the condition holds, which
// aborts a program that is not a check test (the benchmarks use this
// fixture too). The message is printed first for those programs.
#define require(ok, ...)         \
  do {                           \
    if (G_UNLIKELY(!(ok))) {     \
      g_printerr(__VA_ARGS__);   \
      g_printerr("\n");          \
      ck_abort_msg(__VA_ARGS__); \
    }                            \
  } while (0)

namespace collector_test {

std::string g_base_dir;

// ---------------------------------------------------------------------------
// Request bodies.

std::string number(double value) {
  char text[G_ASCII_DTOSTR_BUF_SIZE];
  return g_ascii_dtostr(text, sizeof text, value);
}

std::string player_time(int64_t ts, double playhead) {
  return R"("playerTime":{"playhead":)" + number(playhead) + R"(,"ts":)" +
         std::to_string(ts) + "}";
}

std::string session_start(int64_t ts, double playhead, const std::string &length) {
  return R"({"eventType":"sessionStart",)" + player_time(ts, playhead) +
         R"(,"params":{)"
         R"("analytics.trackingServer":"example.sc.omtrdc.net",)"
         R"("analytics.reportSuite":"examplersid",)"
         R"("visitor.marketingCloudOrgId":"0123456789ABCDEF01234567@AdobeOrg",)"
         R"("media.id":"test-media","media.length":)" +
         length +
         R"(,"media.contentType":"vod","media.playerName":"test-player",)"
         R"("media.channel":"test-channel"}})";
}

std::string event(const char *type, int64_t ts, double playhead,
                  const std::string &members) {
  return R"({"eventType":")" + std::string(type) + R"(",)" + player_time(ts, playhead) +
         (members.empty() ? "" : "," + members) + "}";
}

std::string events_path(const std::string &sid) {
  return std::string(kSessions) + "/" + sid + "/events";
}

std::string sid_of_location(const std::string &location) {
  g_autoptr(GRegex) regex =
      g_regex_new(kLocationRegex, G_REGEX_DEFAULT, G_REGEX_MATCH_DEFAULT, nullptr);
  g_autoptr(GMatchInfo) match = nullptr;
  if (!g_regex_match(regex, location.c_str(), G_REGEX_MATCH_DEFAULT, &match))
    return {};
  g_autofree char *sid = g_match_info_fetch(match, 1);
  return sid;
}

int64_t now_ms() {
  return g_get_monotonic_time() / 1000;
}

void sleep_ms(int64_t ms) {
  if (ms > 0)
    g_usleep(static_cast<gulong>(ms * 1000));
}

double time_scale() {
  static const double scale = [] {
    const char *text = g_getenv("MEDIAANALYTICS_TEST_TIME_SCALE");
    double value = text ? g_ascii_strtod(text, nullptr) : 1.0;
    return value >= 1.0 ? value : 1.0;
  }();
  return scale;
}

int64_t scaled_ms(int64_t ms) {
  return static_cast<int64_t>(static_cast<double>(ms) * time_scale());
}

std::string seconds_of(int64_t ms) {
  return number(static_cast<double>(ms) / 1000.0);
}

// ---------------------------------------------------------------------------
// Temporary files.

namespace {

void remove_tree(const std::string &path) {
  if (g_file_test(path.c_str(), G_FILE_TEST_IS_DIR)) {
    if (GDir *dir = g_dir_open(path.c_str(), 0, nullptr)) {
      while (const char *name = g_dir_read_name(dir))
        remove_tree(path + G_DIR_SEPARATOR_S + name);
      g_dir_close(dir);
    }
    g_rmdir(path.c_str());
  } else {
    g_unlink(path.c_str());
  }
}

}  // namespace

void make_base_dir() {
  g_autoptr(GError) error = nullptr;
  g_autofree char *dir = g_dir_make_tmp("test-collector-process-XXXXXX", &error);
  require(dir != nullptr, "cannot make a temporary directory: %s",
          error ? error->message : "?");
  g_base_dir = dir;
}

void remove_base_dir() {
  if (!g_base_dir.empty())
    remove_tree(g_base_dir);
  g_base_dir.clear();
}

std::string make_run_dir() {
  require(!g_base_dir.empty(), "no temporary directory");
  g_autofree char *dir_template =
      g_build_filename(g_base_dir.c_str(), "run-XXXXXX", nullptr);
  require(g_mkdtemp(dir_template) != nullptr, "cannot make a run directory");
  return dir_template;
}

TCase *add_process_tcase(Suite *suite, const char *name) {
  signal(SIGPIPE, SIG_IGN);
  TCase *tc = tcase_create(name);
  suite_add_tcase(suite, tc);
  tcase_set_timeout(tc, 60);
  tcase_add_unchecked_fixture(tc, make_base_dir, remove_base_dir);
  return tc;
}

// ---------------------------------------------------------------------------
// What the client saw.

bool Response::has_header(const char *name) const {
  for (const auto &h : headers)
    if (g_ascii_strcasecmp(h.first.c_str(), name) == 0)
      return true;
  return false;
}

std::string Response::header(const char *name) const {
  std::string value;
  for (const auto &h : headers)
    if (g_ascii_strcasecmp(h.first.c_str(), name) == 0)
      value += (value.empty() ? "" : ", ") + h.second;
  return value;
}

// ---------------------------------------------------------------------------
// One line of the record.

std::string Line::str(const char *name) const {
  JsonNode *m = json_object_get_member(object(), name);
  if (!m || !JSON_NODE_HOLDS_VALUE(m) || json_node_get_value_type(m) != G_TYPE_STRING)
    return {};
  return json_node_get_string(m);
}

int64_t Line::num(const char *name) const {
  JsonNode *m = json_object_get_member(object(), name);
  if (!m || !JSON_NODE_HOLDS_VALUE(m) || json_node_get_value_type(m) != G_TYPE_INT64)
    return -1;
  return json_node_get_int(m);
}

std::string Line::event_type() const {
  JsonNode *body = json_object_get_member(object(), "body");
  if (!body || !JSON_NODE_HOLDS_OBJECT(body))
    return {};
  return json_object_get_string_member_with_default(json_node_get_object(body),
                                                    "eventType", "");
}

std::string Line::violation_key() const {
  JsonNode *v = json_object_get_member(object(), "violation");
  if (!v || !JSON_NODE_HOLDS_OBJECT(v))
    return {};
  return json_object_get_string_member_with_default(json_node_get_object(v), "key", "");
}

std::string Line::findings() const {
  JsonNode *f = json_object_get_member(object(), "findings");
  require(f && JSON_NODE_HOLDS_ARRAY(f),
          "record line %" G_GINT64_FORMAT " has no findings array", num("seq"));
  std::string codes;
  JsonArray *array = json_node_get_array(f);
  for (guint i = 0; i < json_array_get_length(array); i++) {
    JsonObject *finding = json_array_get_object_element(array, i);
    require(finding != nullptr, "finding %u is not an object", i);
    const char *message =
        json_object_get_string_member_with_default(finding, "message", "");
    require(*message != '\0', "finding %u has no message", i);
    codes +=
        (codes.empty() ? "" : " ") +
        std::string(json_object_get_string_member_with_default(finding, "code", "?"));
  }
  return codes;
}

std::string Line::finding_message(const char *code) const {
  JsonNode *f = json_object_get_member(object(), "findings");
  if (!f || !JSON_NODE_HOLDS_ARRAY(f))
    return {};
  JsonArray *array = json_node_get_array(f);
  for (guint i = 0; i < json_array_get_length(array); i++) {
    JsonObject *finding = json_array_get_object_element(array, i);
    if (finding &&
        g_strcmp0(json_object_get_string_member_with_default(finding, "code", ""),
                  code) == 0)
      return json_object_get_string_member_with_default(finding, "message", "");
  }
  return {};
}

Lines requests_of(const Lines &lines) {
  Lines out;
  for (const Line &l : lines)
    if (l.is_request())
      out.push_back(l);
  return out;
}

std::optional<Line> closed_line(const Lines &lines, const std::string &sid) {
  for (const Line &l : lines)
    if (l.is_closed() && l.str("session") == sid)
      return l;
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// The collector process and a client for it.

namespace {

void die_with_parent(gpointer) {
  // A failing test _exit()s at once: the collector must not outlive it.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
}

GSubprocessLauncher *new_launcher(GSubprocessFlags flags) {
  GSubprocessLauncher *launcher = g_subprocess_launcher_new(flags);
  g_subprocess_launcher_set_child_setup(launcher, die_with_parent, nullptr, nullptr);
  // A GLib or libsoup critical in the collector is a bug: it must fail the
  // test (through the exit status) rather than scroll by.
  g_subprocess_launcher_setenv(launcher, "G_DEBUG", "fatal-criticals", TRUE);
  return launcher;
}

const char *collector_binary() {
  const char *binary = g_getenv("MEDIAANALYTICS_COLLECTOR");
  require(binary && *binary, "MEDIAANALYTICS_COLLECTOR is not set");
  return binary;
}

// Iterates a private main context until `done` is set or `timeout_ms` have
// passed; true if `done` was set.
bool iterate_until(GMainContext *context, const bool &done, int timeout_ms) {
  bool timed_out = false;
  GSource *timer = g_timeout_source_new(static_cast<guint>(timeout_ms));
  g_source_set_callback(
      timer,
      [](gpointer data) -> gboolean {
        *static_cast<bool *>(data) = true;
        return G_SOURCE_REMOVE;
      },
      &timed_out, nullptr);
  g_source_attach(timer, context);
  while (!done && !timed_out)
    g_main_context_iteration(context, TRUE);
  g_source_destroy(timer);
  g_source_unref(timer);
  return done;
}

}  // namespace

// A 204 has no body, and servers (libsoup's own, as RFC 9110 demands) send it
// without Content-Length. libsoup 3.2's client then takes the body as ended by
// EOF and will not reuse the connection. Declaring the empty body as soon as
// the headers are in lets it reuse the connection, as a client of the real
// endpoint must.
void declare_empty_no_content(SoupMessage *msg, gpointer) {
  SoupMessageHeaders *headers = soup_message_get_response_headers(msg);
  if (soup_message_get_status(msg) == SOUP_STATUS_NO_CONTENT &&
      soup_message_headers_get_encoding(headers) == SOUP_ENCODING_EOF)
    soup_message_headers_set_content_length(headers, 0);
}

Collector::Collector(const std::vector<std::string> &args) {
  start(args);
}

Collector::~Collector() {
  if (proc_ && running_) {
    g_subprocess_force_exit(proc_);
    wait(5000);
  }
  if (soup_)
    g_object_unref(soup_);
  if (out_)
    g_object_unref(out_);
  if (proc_)
    g_object_unref(proc_);
}

Response Collector::request(const char *method, const std::string &path,
                            const std::string *body, const char *content_type, int flags,
                            bool chunked) {
  std::string uri = url_ + path;
  g_autoptr(SoupMessage) msg = soup_message_new(method, uri.c_str());
  require(msg != nullptr, "cannot make a message for %s", uri.c_str());
  soup_message_set_flags(msg, static_cast<SoupMessageFlags>(flags));
  g_signal_connect(msg, "got-headers", G_CALLBACK(declare_empty_no_content), nullptr);
  if (body) {
    g_autoptr(GBytes) bytes = g_bytes_new(body->data(), body->size());
    if (chunked) {
      g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes(bytes);
      soup_message_set_request_body(msg, content_type, stream, -1);
    } else {
      soup_message_set_request_body_from_bytes(msg, content_type, bytes);
    }
  }
  Response r;
  int64_t start = now_ms();
  g_autoptr(GError) error = nullptr;
  g_autoptr(GBytes) answer = soup_session_send_and_read(soup_, msg, nullptr, &error);
  r.elapsed_ms = now_ms() - start;
  if (!answer) {
    r.error_domain = error->domain;
    r.error_code = error->code;
    r.error_message = error->message;
    return r;
  }
  r.status = soup_message_get_status(msg);
  gsize size = 0;
  const char *data = static_cast<const char *>(g_bytes_get_data(answer, &size));
  r.body.assign(data ? data : "", size);
  soup_message_headers_foreach(
      soup_message_get_response_headers(msg),
      [](const char *name, const char *value, gpointer out) {
        static_cast<Response *>(out)->headers.emplace_back(name, value);
      },
      &r);
  if (chunked)
    last_request_encoding_ =
        soup_message_headers_get_encoding(soup_message_get_request_headers(msg));
  return r;
}

std::string Collector::open_session(int64_t ts, double playhead) {
  Response r = post(kSessions, session_start(ts, playhead));
  require(r.status == 201, "sessionStart: expected 201, got %u %s (%s)", r.status,
          r.body.c_str(), r.error());
  std::string sid = sid_of_location(r.header("Location"));
  require(!sid.empty(), "sessionStart: Location \"%s\" does not match %s",
          r.header("Location").c_str(), kLocationRegex);
  return sid;
}

int Collector::stop(int timeout_ms, int signal) {
  require(running_, "the collector was already stopped");
  g_subprocess_send_signal(proc_, signal);
  int64_t start = now_ms();
  bool exited = wait(timeout_ms);
  stop_ms_ = now_ms() - start;
  if (!exited) {
    g_subprocess_force_exit(proc_);
    wait(5000);
  }
  require(exited, "the collector did not exit within %d ms of signal %d", timeout_ms,
          signal);
  require(g_subprocess_get_if_exited(proc_),
          "the collector did not exit normally (signal %d)",
          g_subprocess_get_if_signaled(proc_) ? g_subprocess_get_term_sig(proc_) : 0);
  return g_subprocess_get_exit_status(proc_);
}

bool Collector::alive(int timeout_ms) {
  if (running_ && wait(timeout_ms))
    return false;
  return running_;
}

Lines Collector::record() const {
  g_autofree char *contents = nullptr;
  gsize length = 0;
  g_autoptr(GError) error = nullptr;
  require(g_file_get_contents(record_.c_str(), &contents, &length, &error),
          "cannot read the record: %s", error ? error->message : "?");
  require(length == 0 || contents[length - 1] == '\n',
          "the record does not end with a newline");
  require(strlen(contents) == length, "the record contains a NUL byte");
  require(g_utf8_validate(contents, static_cast<gssize>(length), nullptr),
          "the record is not valid UTF-8");
  Lines lines;
  g_auto(GStrv) texts = g_strsplit(contents, "\n", -1);
  for (char **text = texts; *text; text++) {
    if (**text == '\0')
      continue;
    g_autoptr(GError) parse_error = nullptr;
    JsonNode *node = json_from_string(*text, &parse_error);
    require(node && JSON_NODE_HOLDS_OBJECT(node),
            "record line %zu is not a JSON object: %s", lines.size() + 1,
            parse_error ? parse_error->message : *text);
    lines.emplace_back(node);
  }
  return lines;
}

bool Collector::wait_for_lines(size_t count, int timeout_ms) const {
  int64_t deadline = now_ms() + timeout_ms;
  while (true) {
    g_autofree char *contents = nullptr;
    gsize length = 0;
    size_t lines = 0;
    if (g_file_get_contents(record_.c_str(), &contents, &length, nullptr))
      for (gsize i = 0; i < length; i++)
        lines += contents[i] == '\n';
    if (lines >= count)
      return true;
    if (now_ms() >= deadline)
      return false;
    sleep_ms(20);
  }
}

std::string Collector::rest_of_stdout() {
  std::string text;
  while (true) {
    gsize length = 0;
    g_autoptr(GError) error = nullptr;
    g_autofree char *line = g_data_input_stream_read_line(out_, &length, nullptr, &error);
    if (!line)
      break;
    text.append(line, length);
    text += '\n';
  }
  return text;
}

void Collector::start(const std::vector<std::string> &args) {
  const char *binary = collector_binary();
  std::string dir = make_run_dir();
  g_autofree char *record = g_build_filename(dir.c_str(), "record.jsonl", nullptr);
  record_ = record;

  std::vector<const char *> argv = {binary, "--record", record_.c_str()};
  for (const std::string &a : args)
    argv.push_back(a.c_str());
  argv.push_back(nullptr);
  g_autoptr(GSubprocessLauncher) launcher = new_launcher(G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GError) error = nullptr;
  proc_ = g_subprocess_launcher_spawnv(launcher, argv.data(), &error);
  require(proc_ != nullptr, "cannot start %s: %s", binary, error ? error->message : "?");
  running_ = true;
  out_ = g_data_input_stream_new(g_subprocess_get_stdout_pipe(proc_));

  gsize length = 0;
  g_autofree char *line =
      g_data_input_stream_read_line_utf8(out_, &length, nullptr, &error);
  require(line != nullptr, "the collector printed no URL line: %s",
          error ? error->message : "end of output");
  url_ = line;
  g_autoptr(GUri) uri = g_uri_parse(line, G_URI_FLAGS_NONE, nullptr);
  require(uri != nullptr, "the first line \"%s\" is not a URL", line);
  require(g_uri_get_port(uri) > 0 && g_uri_get_port(uri) <= 65535,
          "the URL \"%s\" has no usable port", line);
  port_ = static_cast<guint16>(g_uri_get_port(uri));
  host_ = g_uri_get_host(uri) ? g_uri_get_host(uri) : "";

  // The I/O timeout outlasts any delay a test asks of the collector (scaled).
  soup_ = soup_session_new_with_options(
      "timeout", static_cast<guint>(scaled_ms(10000) / 1000), nullptr);
}

bool Collector::wait(int timeout_ms) {
  struct State {
    bool done = false;
    bool exited = false;
  } state;
  GMainContext *context = g_main_context_new();
  g_main_context_push_thread_default(context);
  GCancellable *cancellable = g_cancellable_new();
  g_subprocess_wait_async(
      proc_, cancellable,
      [](GObject *source, GAsyncResult *result, gpointer data) {
        auto *s = static_cast<State *>(data);
        s->exited = g_subprocess_wait_finish(G_SUBPROCESS(source), result, nullptr);
        s->done = true;
      },
      &state);
  if (!iterate_until(context, state.done, timeout_ms)) {
    g_cancellable_cancel(cancellable);
    while (!state.done)
      g_main_context_iteration(context, TRUE);
  }
  g_object_unref(cancellable);
  g_main_context_pop_thread_default(context);
  g_main_context_unref(context);
  if (state.exited)
    running_ = false;
  return state.exited;
}

Finished run_to_exit(const std::vector<std::string> &args, int timeout_ms) {
  std::vector<std::string> argv = {collector_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_program(argv, timeout_ms);
}

Finished run_program(const std::vector<std::string> &program, int timeout_ms) {
  const char *binary = program[0].c_str();
  std::vector<const char *> argv;
  for (const std::string &a : program)
    argv.push_back(a.c_str());
  argv.push_back(nullptr);
  g_autoptr(GSubprocessLauncher) launcher = new_launcher(static_cast<GSubprocessFlags>(
      G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE));
  g_autoptr(GError) error = nullptr;
  g_autoptr(GSubprocess) proc =
      g_subprocess_launcher_spawnv(launcher, argv.data(), &error);
  require(proc != nullptr, "cannot start %s: %s", binary, error ? error->message : "?");

  struct State {
    bool done = false;
    GBytes *out = nullptr;
    GBytes *err = nullptr;
  } state;
  GMainContext *context = g_main_context_new();
  g_main_context_push_thread_default(context);
  g_subprocess_communicate_async(
      proc, nullptr, nullptr,
      [](GObject *source, GAsyncResult *result, gpointer data) {
        auto *s = static_cast<State *>(data);
        g_subprocess_communicate_finish(G_SUBPROCESS(source), result, &s->out, &s->err,
                                        nullptr);
        s->done = true;
      },
      &state);
  Finished f;
  if (!iterate_until(context, state.done, timeout_ms)) {
    // Still running: kill it; the pipes then reach EOF and communicate ends.
    g_subprocess_force_exit(proc);
    while (!state.done)
      g_main_context_iteration(context, TRUE);
  } else {
    g_subprocess_wait(proc, nullptr, nullptr);
    f.exited = g_subprocess_get_if_exited(proc);
    f.status = f.exited ? g_subprocess_get_exit_status(proc) : -1;
  }
  g_main_context_pop_thread_default(context);
  g_main_context_unref(context);
  for (auto [bytes, text] :
       {std::pair{state.out, &f.out}, std::pair{state.err, &f.err}}) {
    if (!bytes)
      continue;
    gsize size = 0;
    const char *data = static_cast<const char *>(g_bytes_get_data(bytes, &size));
    text->assign(data ? data : "", size);
    g_bytes_unref(bytes);
  }
  return f;
}

// ---------------------------------------------------------------------------
// Raw HTTP.

RawResponse read_raw_response(GSocketConnection *connection) {
  GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(connection));
  std::string data;
  size_t head_end = std::string::npos;
  size_t want = std::string::npos;  // total bytes of head + body once known
  char buffer[16384];
  while (want == std::string::npos || data.size() < want) {
    gssize n = g_input_stream_read(in, buffer, sizeof buffer, nullptr, nullptr);
    if (n <= 0)
      break;
    data.append(buffer, static_cast<size_t>(n));
    if (head_end == std::string::npos) {
      head_end = data.find("\r\n\r\n");
      if (head_end == std::string::npos)
        continue;
      std::string head = data.substr(0, head_end);
      g_autofree char *lower = g_ascii_strdown(head.c_str(), -1);
      const char *cl = strstr(lower, "\r\ncontent-length:");
      size_t length = cl ? strtoul(cl + strlen("\r\ncontent-length:"), nullptr, 10) : 0;
      want = head_end + 4 + length;
    }
  }
  RawResponse r;
  if (head_end == std::string::npos)
    return r;
  r.head = data.substr(0, head_end);
  r.body = data.substr(head_end + 4);
  unsigned status = 0;
  if (sscanf(r.head.c_str(), "HTTP/1.%*d %u", &status) == 1)
    r.status = status;
  return r;
}

GSocketConnection *raw_connect(const Collector &c) {
  g_autoptr(GSocketClient) client = g_socket_client_new();
  g_socket_client_set_timeout(client, static_cast<guint>(scaled_ms(5000) / 1000));
  g_autoptr(GError) error = nullptr;
  GSocketConnection *connection = g_socket_client_connect_to_host(
      client, c.host().c_str(), c.port(), nullptr, &error);
  require(connection != nullptr, "cannot connect to the collector: %s",
          error ? error->message : "?");
  return connection;
}

bool raw_send(GSocketConnection *connection, const std::string &bytes) {
  GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(connection));
  return g_output_stream_write_all(out, bytes.data(), bytes.size(), nullptr, nullptr,
                                   nullptr);
}

RawResponse raw_exchange(const Collector &c, const std::string &bytes, bool close_write) {
  g_autoptr(GSocketConnection) connection = raw_connect(c);
  // The collector may answer and close before it has read everything.
  raw_send(connection, bytes);
  if (close_write)
    g_socket_shutdown(g_socket_connection_get_socket(connection), FALSE, TRUE, nullptr);
  return read_raw_response(connection);
}

std::string raw_post(const std::string &path, const std::string &body,
                     const char *content_type, bool keep_alive) {
  return "POST " + path +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + content_type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         (keep_alive ? "" : "Connection: close\r\n") + "\r\n" + body;
}

}  // namespace collector_test
