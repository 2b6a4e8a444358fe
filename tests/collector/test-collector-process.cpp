// mediaanalytics-collector as a real process (tools/collector/main.cpp): each
// test starts the built binary on a free port, talks HTTP to it with libsoup
// (or with raw sockets where libsoup would not produce the bytes), stops it
// with SIGTERM and asserts on the JSON Lines record it wrote, never on what the
// client believes it sent.

#include "event-schemas.h"

#include <gst/check/gstcheck.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <sys/prctl.h>

#include <csignal>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace {

constexpr char kSessions[] = "/api/v1/sessions";
// The Location of a 201 (spec §3.1), anchored: nothing before or after.
constexpr char kLocationRegex[] = "^/api/v1/sessions/([^/?#]+)$";
// playerTime.ts of the sessionStart in every test.
constexpr int64_t kT0 = 1700000000000;

// Made once per test case by the unchecked fixture (it runs in the parent of
// the forked tests, so it is removed even when a test fails and _exit()s).
std::string g_base_dir;

std::string number(double value) {
  char text[G_ASCII_DTOSTR_BUF_SIZE];
  return g_ascii_dtostr(text, sizeof text, value);
}

std::string player_time(int64_t ts, double playhead) {
  return R"("playerTime":{"playhead":)" + number(playhead) + R"(,"ts":)" +
         std::to_string(ts) + "}";
}

// A valid sessionStart with the 8 required params; `length` is the raw JSON
// of media.length.
std::string session_start(int64_t ts = kT0, double playhead = 0,
                          const std::string &length = "60") {
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

// An event without params (play, ping, sessionEnd, ...).
std::string event(const char *type, int64_t ts, double playhead = 0) {
  return R"({"eventType":")" + std::string(type) + R"(",)" + player_time(ts, playhead) +
         "}";
}

std::string events_path(const std::string &sid) {
  return std::string(kSessions) + "/" + sid + "/events";
}

// The session id of a Location header, or "" when it does not match.
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

void make_base_dir() {
  g_autoptr(GError) error = nullptr;
  g_autofree char *dir = g_dir_make_tmp("test-collector-process-XXXXXX", &error);
  fail_unless(dir != nullptr, "cannot make a temporary directory: %s",
              error ? error->message : "?");
  g_base_dir = dir;
}

void remove_base_dir() {
  if (!g_base_dir.empty())
    remove_tree(g_base_dir);
  g_base_dir.clear();
}

// ---------------------------------------------------------------------------
// What the client saw.

struct Response {
  unsigned status = 0;  // 0: no HTTP answer; see error_*
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  GQuark error_domain = 0;
  int error_code = 0;
  std::string error_message;
  int64_t elapsed_ms = 0;

  bool has_header(const char *name) const {
    for (const auto &h : headers)
      if (g_ascii_strcasecmp(h.first.c_str(), name) == 0)
        return true;
    return false;
  }
  // All values of `name`, joined with ", " as HTTP allows.
  std::string header(const char *name) const {
    std::string value;
    for (const auto &h : headers)
      if (g_ascii_strcasecmp(h.first.c_str(), name) == 0)
        value += (value.empty() ? "" : ", ") + h.second;
    return value;
  }
  const char *error() const { return error_message.c_str(); }
};

// ---------------------------------------------------------------------------
// One line of the record.

class Line {
 public:
  explicit Line(JsonNode *node) : node_(node, json_node_unref) {}

  JsonObject *object() const { return json_node_get_object(node_.get()); }
  bool has(const char *name) const { return json_object_has_member(object(), name); }
  std::string str(const char *name) const {
    JsonNode *m = json_object_get_member(object(), name);
    if (!m || !JSON_NODE_HOLDS_VALUE(m) || json_node_get_value_type(m) != G_TYPE_STRING)
      return {};
    return json_node_get_string(m);
  }
  int64_t num(const char *name) const {
    JsonNode *m = json_object_get_member(object(), name);
    if (!m || !JSON_NODE_HOLDS_VALUE(m) || json_node_get_value_type(m) != G_TYPE_INT64)
      return -1;
    return json_node_get_int(m);
  }
  bool is_request() const { return str("kind") == "request"; }
  bool is_closed() const { return str("kind") == "session-closed"; }
  std::string event_type() const {
    JsonNode *body = json_object_get_member(object(), "body");
    if (!body || !JSON_NODE_HOLDS_OBJECT(body))
      return {};
    return json_object_get_string_member_with_default(json_node_get_object(body),
                                                      "eventType", "");
  }
  std::string violation_key() const {
    JsonNode *v = json_object_get_member(object(), "violation");
    if (!v || !JSON_NODE_HOLDS_OBJECT(v))
      return {};
    return json_object_get_string_member_with_default(json_node_get_object(v), "key", "");
  }
  // The finding codes, space-separated; every finding must have a message.
  std::string findings() const {
    JsonNode *f = json_object_get_member(object(), "findings");
    fail_unless(f && JSON_NODE_HOLDS_ARRAY(f),
                "record line %" G_GINT64_FORMAT " has no findings array", num("seq"));
    std::string codes;
    JsonArray *array = json_node_get_array(f);
    for (guint i = 0; i < json_array_get_length(array); i++) {
      JsonObject *finding = json_array_get_object_element(array, i);
      fail_unless(finding != nullptr, "finding %u is not an object", i);
      const char *message =
          json_object_get_string_member_with_default(finding, "message", "");
      fail_unless(*message != '\0', "finding %u has no message", i);
      codes +=
          (codes.empty() ? "" : " ") +
          std::string(json_object_get_string_member_with_default(finding, "code", "?"));
    }
    return codes;
  }

 private:
  std::shared_ptr<JsonNode> node_;
};

using Lines = std::vector<Line>;

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

void die_with_parent(gpointer) {
  // A failing test _exit()s at once: the collector must not outlive it.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
}

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

class Collector {
 public:
  explicit Collector(const std::vector<std::string> &args = {}) { start(args); }
  ~Collector() {
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
  Collector(const Collector &) = delete;
  Collector &operator=(const Collector &) = delete;

  const std::string &url() const { return url_; }
  const std::string &host() const { return host_; }
  guint16 port() const { return port_; }
  // The process id, while it runs.
  const char *pid() const { return g_subprocess_get_identifier(proc_); }
  // How the last chunked request body was actually sent.
  SoupEncoding last_request_encoding() const { return last_request_encoding_; }

  // One HTTP request on the shared SoupSession. POSTs are flagged idempotent
  // so that libsoup reuses connections for them, unless `flags` says else.
  Response request(const char *method, const std::string &path,
                   const std::string *body = nullptr,
                   const char *content_type = "application/json",
                   int flags = SOUP_MESSAGE_IDEMPOTENT, bool chunked = false) {
    std::string uri = url_ + path;
    g_autoptr(SoupMessage) msg = soup_message_new(method, uri.c_str());
    fail_unless(msg != nullptr, "cannot make a message for %s", uri.c_str());
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

  Response post(const std::string &path, const std::string &body,
                const char *content_type = "application/json",
                int flags = SOUP_MESSAGE_IDEMPOTENT) {
    return request("POST", path, &body, content_type, flags);
  }
  Response get(const std::string &path) { return request("GET", path); }

  // Opens a session; fails the test unless it gets a 201 with a good Location.
  std::string open_session(int64_t ts = kT0, double playhead = 0) {
    Response r = post(kSessions, session_start(ts, playhead));
    fail_unless(r.status == 201, "sessionStart: expected 201, got %u %s (%s)", r.status,
                r.body.c_str(), r.error());
    std::string sid = sid_of_location(r.header("Location"));
    fail_unless(!sid.empty(), "sessionStart: Location \"%s\" does not match %s",
                r.header("Location").c_str(), kLocationRegex);
    return sid;
  }

  // SIGTERM, then waits at most `timeout_ms`; fails the test unless the
  // collector exited by itself within that time. Returns its exit status.
  int stop(int timeout_ms = 5000) {
    fail_unless(running_, "the collector was already stopped");
    g_subprocess_send_signal(proc_, SIGTERM);
    int64_t start = now_ms();
    bool exited = wait(timeout_ms);
    stop_ms_ = now_ms() - start;
    if (!exited) {
      g_subprocess_force_exit(proc_);
      wait(5000);
    }
    fail_unless(exited, "the collector did not exit within %d ms of SIGTERM", timeout_ms);
    fail_unless(
        g_subprocess_get_if_exited(proc_),
        "the collector did not exit normally (signal %d)",
        g_subprocess_get_if_signaled(proc_) ? g_subprocess_get_term_sig(proc_) : 0);
    return g_subprocess_get_exit_status(proc_);
  }
  int64_t stop_ms() const { return stop_ms_; }

  // Whether the process is still running (waits up to `timeout_ms` for it
  // to exit).
  bool alive(int timeout_ms = 0) {
    if (running_ && wait(timeout_ms))
      return false;
    return running_;
  }

  // Every line of the record, parsed; fails the test on any line that is not
  // one JSON object, or on a last line without its newline.
  Lines record() const {
    g_autofree char *contents = nullptr;
    gsize length = 0;
    g_autoptr(GError) error = nullptr;
    fail_unless(g_file_get_contents(record_.c_str(), &contents, &length, &error),
                "cannot read the record: %s", error ? error->message : "?");
    fail_unless(length == 0 || contents[length - 1] == '\n',
                "the record does not end with a newline");
    fail_unless(strlen(contents) == length, "the record contains a NUL byte");
    fail_unless(g_utf8_validate(contents, static_cast<gssize>(length), nullptr),
                "the record is not valid UTF-8");
    Lines lines;
    g_auto(GStrv) texts = g_strsplit(contents, "\n", -1);
    for (char **text = texts; *text; text++) {
      if (**text == '\0')
        continue;
      g_autoptr(GError) parse_error = nullptr;
      JsonNode *node = json_from_string(*text, &parse_error);
      fail_unless(node && JSON_NODE_HOLDS_OBJECT(node),
                  "record line %zu is not a JSON object: %s", lines.size() + 1,
                  parse_error ? parse_error->message : *text);
      lines.emplace_back(node);
    }
    return lines;
  }

  // The rest of the collector's stdout (after the URL line), read to EOF.
  std::string rest_of_stdout() {
    std::string text;
    while (true) {
      gsize length = 0;
      g_autoptr(GError) error = nullptr;
      g_autofree char *line =
          g_data_input_stream_read_line(out_, &length, nullptr, &error);
      if (!line)
        break;
      text.append(line, length);
      text += '\n';
    }
    return text;
  }

 private:
  void start(const std::vector<std::string> &args) {
    const char *binary = g_getenv("MEDIAANALYTICS_COLLECTOR");
    fail_unless(binary && *binary, "MEDIAANALYTICS_COLLECTOR is not set");
    fail_unless(!g_base_dir.empty(), "no temporary directory");
    g_autofree char *dir_template =
        g_build_filename(g_base_dir.c_str(), "run-XXXXXX", nullptr);
    fail_unless(g_mkdtemp(dir_template) != nullptr, "cannot make a run directory");
    g_autofree char *record = g_build_filename(dir_template, "record.jsonl", nullptr);
    record_ = record;

    std::vector<const char *> argv = {binary, "--record", record_.c_str()};
    for (const std::string &a : args)
      argv.push_back(a.c_str());
    argv.push_back(nullptr);
    g_autoptr(GSubprocessLauncher) launcher =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE);
    g_subprocess_launcher_set_child_setup(launcher, die_with_parent, nullptr, nullptr);
    // A GLib or libsoup critical in the collector is a bug: it must fail the
    // test (through the exit status) rather than scroll by.
    g_subprocess_launcher_setenv(launcher, "G_DEBUG", "fatal-criticals", TRUE);
    g_autoptr(GError) error = nullptr;
    proc_ = g_subprocess_launcher_spawnv(launcher, argv.data(), &error);
    fail_unless(proc_ != nullptr, "cannot start %s: %s", binary,
                error ? error->message : "?");
    running_ = true;
    out_ = g_data_input_stream_new(g_subprocess_get_stdout_pipe(proc_));

    gsize length = 0;
    g_autofree char *line =
        g_data_input_stream_read_line_utf8(out_, &length, nullptr, &error);
    fail_unless(line != nullptr, "the collector printed no URL line: %s",
                error ? error->message : "end of output");
    url_ = line;
    g_autoptr(GUri) uri = g_uri_parse(line, G_URI_FLAGS_NONE, nullptr);
    fail_unless(uri != nullptr, "the first line \"%s\" is not a URL", line);
    fail_unless(g_uri_get_port(uri) > 0 && g_uri_get_port(uri) <= 65535,
                "the URL \"%s\" has no usable port", line);
    port_ = static_cast<guint16>(g_uri_get_port(uri));
    host_ = g_uri_get_host(uri) ? g_uri_get_host(uri) : "";

    soup_ = soup_session_new_with_options("timeout", 10, nullptr);
  }

  // Waits up to `timeout_ms` for the process to exit; true if it did.
  bool wait(int timeout_ms) {
    struct State {
      bool done = false;
      bool exited = false;
      bool timed_out = false;
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
    GSource *timer = g_timeout_source_new(static_cast<guint>(timeout_ms));
    g_source_set_callback(
        timer,
        [](gpointer data) -> gboolean {
          static_cast<State *>(data)->timed_out = true;
          return G_SOURCE_REMOVE;
        },
        &state, nullptr);
    g_source_attach(timer, context);
    while (!state.done && !state.timed_out)
      g_main_context_iteration(context, TRUE);
    if (!state.done) {
      g_cancellable_cancel(cancellable);
      while (!state.done)
        g_main_context_iteration(context, TRUE);
    }
    g_source_destroy(timer);
    g_source_unref(timer);
    g_object_unref(cancellable);
    g_main_context_pop_thread_default(context);
    g_main_context_unref(context);
    if (state.exited)
      running_ = false;
    return state.exited;
  }

  GSubprocess *proc_ = nullptr;
  GDataInputStream *out_ = nullptr;
  SoupSession *soup_ = nullptr;
  bool running_ = false;
  std::string url_;
  std::string host_;
  guint16 port_ = 0;
  std::string record_;
  int64_t stop_ms_ = 0;
  SoupEncoding last_request_encoding_ = SOUP_ENCODING_UNRECOGNIZED;
};

// ---------------------------------------------------------------------------
// Raw HTTP, for what libsoup would not send.

struct RawResponse {
  unsigned status = 0;  // 0: the connection closed (or timed out) unanswered
  std::string head;
  std::string body;
};

// Reads one HTTP response (head and Content-Length body) or up to EOF.
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
  g_socket_client_set_timeout(client, 5);
  g_autoptr(GError) error = nullptr;
  GSocketConnection *connection =
      g_socket_client_connect_to_host(client, "127.0.0.1", c.port(), nullptr, &error);
  fail_unless(connection != nullptr, "cannot connect to the collector: %s",
              error ? error->message : "?");
  return connection;
}

// Sends `bytes` on a new connection (then, if `close_write`, half-closes it)
// and reads the answer.
RawResponse raw_exchange(const Collector &c, const std::string &bytes,
                         bool close_write = false) {
  g_autoptr(GSocketConnection) connection = raw_connect(c);
  GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(connection));
  gsize written = 0;
  // The collector may answer and close before it has read everything.
  g_output_stream_write_all(out, bytes.data(), bytes.size(), &written, nullptr, nullptr);
  if (close_write)
    g_socket_shutdown(g_socket_connection_get_socket(connection), FALSE, TRUE, nullptr);
  return read_raw_response(connection);
}

// A string literal with its NUL bytes.
template <size_t N>
std::string with_nuls(const char (&text)[N]) {
  return std::string(text, N - 1);
}

std::string raw_post(const std::string &path, const std::string &body,
                     const char *content_type = "application/json") {
  return "POST " + path +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + content_type +
         "\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

}  // namespace

// ---------------------------------------------------------------------------

GST_START_TEST(test_url_and_schemas) {
  Collector c;
  fail_unless(c.host() == "127.0.0.1", "the URL \"%s\" is not on 127.0.0.1",
              c.url().c_str());
  fail_unless(c.url() == "http://127.0.0.1:" + std::to_string(c.port()),
              "the first line is \"%s\", not http://127.0.0.1:PORT", c.url().c_str());
  fail_unless(c.port() != 0, "port 0 in the URL");

  // What is served is what the collector enforces (test-event-schemas.cpp
  // holds the list of types to spec §5).
  for (const std::string &name : collector::event_types()) {
    const char *type = name.c_str();
    Response r = c.get(std::string("/api/v1/schemas/") + type);
    fail_unless(r.status == 200, "schema %s: expected 200, got %u (%s)", type, r.status,
                r.error());
    fail_unless(g_str_has_prefix(r.header("Content-Type").c_str(), "application/json"),
                "schema %s: Content-Type is \"%s\"", type,
                r.header("Content-Type").c_str());
    g_autoptr(JsonNode) schema = json_from_string(r.body.c_str(), nullptr);
    fail_unless(schema && JSON_NODE_HOLDS_OBJECT(schema),
                "schema %s is not a JSON object", type);
    g_autoptr(JsonNode) enforced = collector::event_schema(name);
    fail_unless(json_node_equal(schema, enforced),
                "schema %s as served differs from the one enforced", type);
  }
  for (const char *type : {"noSuchEvent", "seekStart", "bufferComplete"}) {
    Response r = c.get(std::string("/api/v1/schemas/") + type);
    fail_unless(r.status == 404, "schema %s: expected 404, got %u", type, r.status);
  }

  fail_unless(c.stop() == 0, "the collector did not exit with 0");
  Lines lines = c.record();
  const size_t n_types = collector::event_types().size();
  fail_unless(lines.size() == n_types + 3, "expected %zu record lines, got %zu",
              n_types + 3, lines.size());
  for (size_t i = 0; i < lines.size(); i++) {
    fail_unless(lines[i].is_request(), "line %zu is not a request", i + 1);
    fail_unless(lines[i].str("method") == "GET", "line %zu: method is not GET", i + 1);
    fail_unless(lines[i].str("endpoint") == "schemas", "line %zu: endpoint \"%s\"", i + 1,
                lines[i].str("endpoint").c_str());
    fail_unless(lines[i].num("status") == (i < n_types ? 200 : 404),
                "line %zu: status %" G_GINT64_FORMAT, i + 1, lines[i].num("status"));
  }
}
GST_END_TEST;

GST_START_TEST(test_session_lifecycle) {
  Collector c;
  Response start = c.post(kSessions, session_start());
  fail_unless(start.status == 201, "sessionStart: expected 201, got %u (%s)",
              start.status, start.error());
  std::string sid = sid_of_location(start.header("Location"));
  fail_unless(!sid.empty(), "Location \"%s\" does not match %s",
              start.header("Location").c_str(), kLocationRegex);

  const char *events[] = {"play", "ping", "pauseStart", "play", "sessionEnd"};
  int64_t ts = kT0;
  for (const char *type : events) {
    ts += 1000;
    Response r = c.post(events_path(sid), event(type, ts, (ts - kT0) / 1000.0));
    fail_unless(r.status == 204, "%s: expected 204, got %u (%s)", type, r.status,
                r.error());
  }
  Response after = c.post(events_path(sid), event("ping", ts + 1000, 6));
  fail_unless(after.status == 410, "event after sessionEnd: expected 410, got %u",
              after.status);
  Response unknown = c.post(events_path("no-such-session"), event("play", kT0));
  fail_unless(unknown.status == 404, "unknown session: expected 404, got %u",
              unknown.status);
  fail_unless(c.stop() == 0, "the collector did not exit with 0");

  Lines lines = c.record();
  // sessionStart, 5 events, the closed line, the 410, the 404; no shutdown
  // close: the session was closed already.
  fail_unless(lines.size() == 9, "expected 9 record lines, got %zu", lines.size());
  for (size_t i = 0; i < lines.size(); i++) {
    fail_unless(lines[i].num("seq") == static_cast<int64_t>(i + 1),
                "line %zu has seq %" G_GINT64_FORMAT, i + 1, lines[i].num("seq"));
    fail_unless(lines[i].num("time_us") > 0 && !lines[i].str("time").empty(),
                "line %zu has no time", i + 1);
  }
  const Line &first = lines[0];
  fail_unless(first.is_request() && first.str("method") == "POST" &&
                  first.str("path") == kSessions && first.str("endpoint") == "sessions",
              "line 1 is not the sessionStart POST");
  fail_unless(first.num("status") == 201, "line 1: status %" G_GINT64_FORMAT,
              first.num("status"));
  fail_unless(first.str("session") == sid, "line 1: session \"%s\", expected %s",
              first.str("session").c_str(), sid.c_str());
  fail_unless(first.event_type() == "sessionStart", "line 1 does not hold the body");
  fail_unless(g_str_has_prefix(first.str("peer").c_str(), "127.0.0.1:"),
              "line 1: peer \"%s\"", first.str("peer").c_str());
  for (size_t i = 0; i < G_N_ELEMENTS(events); i++) {
    const Line &l = lines[i + 1];
    fail_unless(l.is_request() && l.str("endpoint") == "events" &&
                    l.str("path") == events_path(sid),
                "line %zu is not an event request", i + 2);
    fail_unless(l.num("status") == 204, "line %zu: status %" G_GINT64_FORMAT, i + 2,
                l.num("status"));
    fail_unless(l.str("session") == sid, "line %zu: session \"%s\"", i + 2,
                l.str("session").c_str());
    fail_unless(l.event_type() == events[i], "line %zu: eventType \"%s\", expected %s",
                i + 2, l.event_type().c_str(), events[i]);
  }
  const Line &closed = lines[6];
  fail_unless(closed.is_closed(), "line 7 is not the session-closed line");
  fail_unless(closed.str("session") == sid, "line 7: session \"%s\"",
              closed.str("session").c_str());
  fail_unless(closed.str("reason") == "sessionEnd", "line 7: reason \"%s\"",
              closed.str("reason").c_str());
  fail_unless(lines[7].num("status") == 410 && lines[7].str("session") == sid,
              "line 8: expected the 410 on %s, got %" G_GINT64_FORMAT " on \"%s\"",
              sid.c_str(), lines[7].num("status"), lines[7].str("session").c_str());
  fail_unless(
      lines[8].num("status") == 404 && lines[8].str("session") == "no-such-session",
      "line 9: expected the 404 on no-such-session, got %" G_GINT64_FORMAT " on \"%s\"",
      lines[8].num("status"), lines[8].str("session").c_str());
}
GST_END_TEST;

GST_START_TEST(test_validation) {
  Collector c({"--max-body=1000"});
  std::string sid = c.open_session();

  Response bad_json = c.post(kSessions, R"({"eventType":"sessionStart",)");
  fail_unless(bad_json.status == 400, "bad JSON: expected 400, got %u", bad_json.status);

  Response wrong_type = c.post(kSessions, session_start(kT0, 0, R"("60")"));
  fail_unless(wrong_type.status == 400, "media.length \"60\": expected 400, got %u",
              wrong_type.status);
  g_autoptr(JsonNode) error_body = json_from_string(wrong_type.body.c_str(), nullptr);
  fail_unless(error_body && JSON_NODE_HOLDS_OBJECT(error_body),
              "the 400 body is not a JSON object: %s", wrong_type.body.c_str());
  JsonObject *violation =
      json_object_get_object_member(json_node_get_object(error_body), "violation");
  fail_unless(violation != nullptr, "the 400 body has no violation: %s",
              wrong_type.body.c_str());
  fail_unless(g_strcmp0(json_object_get_string_member_with_default(violation, "key", ""),
                        "media.length") == 0,
              "the 400 body does not name media.length: %s", wrong_type.body.c_str());

  Response text = c.post(kSessions, session_start(), "text/plain");
  fail_unless(text.status == 415, "text/plain: expected 415, got %u", text.status);

  // Over --max-body, declared by Content-Length: refused before the body is read.
  std::string big = R"({"eventType":"play","pad":")" + std::string(1500, 'x') + "\"}";
  Response too_big = c.post(events_path(sid), big);
  fail_unless(too_big.status == 413, "1.5 kB body: expected 413, got %u (%s)",
              too_big.status, too_big.error());
  // The same, chunked: the collector only learns the size while reading.
  Response too_big_chunked = c.request("POST", events_path(sid), &big, "application/json",
                                       SOUP_MESSAGE_IDEMPOTENT, true);
  fail_unless(c.last_request_encoding() == SOUP_ENCODING_CHUNKED,
              "libsoup did not send the body chunked");
  fail_unless(too_big_chunked.status == 413,
              "chunked 1.5 kB body: expected 413, got %u (%s)", too_big_chunked.status,
              too_big_chunked.error());

  // Still serving.
  Response play = c.post(events_path(sid), event("play", kT0 + 1000, 0));
  fail_unless(play.status == 204, "play after the refusals: expected 204, got %u (%s)",
              play.status, play.error());
  Response again = c.post(kSessions, session_start());
  fail_unless(again.status == 201,
              "sessionStart after the refusals: expected 201, got %u", again.status);
  fail_unless(c.stop() == 0, "the collector did not exit with 0");

  Lines req = requests_of(c.record());
  const int64_t expect[] = {201, 400, 400, 415, 413, 413, 204, 201};
  fail_unless(req.size() == G_N_ELEMENTS(expect),
              "expected %zu request lines, got %zu (one per request)",
              G_N_ELEMENTS(expect), req.size());
  for (size_t i = 0; i < req.size(); i++)
    fail_unless(req[i].num("status") == expect[i],
                "request line %zu: status %" G_GINT64_FORMAT
                ", expected %" G_GINT64_FORMAT,
                i + 1, req[i].num("status"), expect[i]);
  fail_unless(!req[1].str("error").empty() && !req[1].str("raw_body").empty(),
              "the bad-JSON line has no error or raw_body");
  fail_unless(req[2].violation_key() == "media.length",
              "the wrong-type line names \"%s\", not media.length",
              req[2].violation_key().c_str());
  for (size_t i : {3, 4, 5})
    fail_unless(!req[i].str("error").empty(), "request line %zu has no error", i + 1);
}
GST_END_TEST;

// docs/collector.md: `session` is "the session the request opened or was sent
// to", `endpoint` one of sessions/events/schemas/other. That holds for refused
// requests to /api/v1/sessions/{sid}/events too.
GST_START_TEST(test_refused_events_name_their_session) {
  Collector c({"--max-body=1000"});
  std::string sid = c.open_session();
  const std::string path = events_path(sid);
  std::string big = R"({"eventType":"play","pad":")" + std::string(1500, 'x') + "\"}";
  std::string play = event("play", kT0 + 1);
  const unsigned expect[] = {413, 413, 415, 400, 405};
  const char *what[] = {"413 (Content-Length)", "413 (chunked)", "415", "400 (bad JSON)",
                        "405"};
  unsigned got[] = {
      c.post(path, big).status,
      c.request("POST", path, &big, "application/json", SOUP_MESSAGE_IDEMPOTENT, true)
          .status,
      c.post(path, play, "text/plain").status,
      c.post(path, "{\"eventType\":").status,
      c.request("PUT", path, &play).status,
  };
  for (size_t i = 0; i < G_N_ELEMENTS(expect); i++)
    fail_unless(got[i] == expect[i], "%s: got %u", what[i], got[i]);
  fail_unless(c.stop() == 0, "the collector did not exit with 0");

  Lines req = requests_of(c.record());
  fail_unless(req.size() == 1 + G_N_ELEMENTS(expect),
              "expected %zu request lines, got %zu", 1 + G_N_ELEMENTS(expect),
              req.size());
  std::string wrong;
  for (size_t i = 0; i < G_N_ELEMENTS(expect); i++) {
    const Line &l = req[i + 1];
    if (l.str("session") != sid || l.str("endpoint") != "events")
      wrong += std::string("\n  ") + what[i] + ": session \"" + l.str("session") +
               "\", endpoint \"" + l.str("endpoint") + "\"";
  }
  fail_unless(wrong.empty(), "refused requests to %s not attributed to it:%s",
              path.c_str(), wrong.c_str());
}
GST_END_TEST;

GST_START_TEST(test_keep_alive) {
  Collector c;
  std::string sid = c.open_session();
  const int n = 2000;
  int not_keep_alive = 0;
  for (int i = 1; i <= n; i++) {
    Response r = c.post(events_path(sid), event("ping", kT0 + i * 1000, i));
    fail_unless(r.status == 204, "event %d: expected 204, got %u (%s)", i, r.status,
                r.error());
    g_autofree char *connection = g_ascii_strdown(r.header("Connection").c_str(), -1);
    if (!strstr(connection, "keep-alive"))
      not_keep_alive++;
  }
  fail_unless(not_keep_alive == 0, "%d of the 204 answers lack Connection: keep-alive",
              not_keep_alive);
  fail_unless(c.stop() == 0, "the collector did not exit with 0");

  std::set<std::string> peers;
  int events = 0;
  for (const Line &l : requests_of(c.record())) {
    if (l.str("endpoint") != "events")
      continue;
    events++;
    fail_unless(l.num("status") == 204, "an event line has status %" G_GINT64_FORMAT,
                l.num("status"));
    peers.insert(l.str("peer"));
  }
  fail_unless(events == n, "the record has %d event lines, expected %d", events, n);
  fail_unless(peers.size() == 1, "the events came over %zu connections, expected 1",
              peers.size());
}
GST_END_TEST;

// The server side of keep-alive, whatever the client library: many events
// written one after the other on one TCP connection are all answered.
GST_START_TEST(test_keep_alive_raw_connection) {
  Collector c;
  std::string sid = c.open_session();
  g_autoptr(GSocketConnection) connection = raw_connect(c);
  GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(connection));
  for (int i = 1; i <= 500; i++) {
    std::string body = event("ping", kT0 + i * 1000, i);
    std::string request = "POST " + events_path(sid) +
                          " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "Content-Type: application/json\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body;
    fail_unless(g_output_stream_write_all(out, request.data(), request.size(), nullptr,
                                          nullptr, nullptr),
                "event %d: the collector closed the connection", i);
    RawResponse r = read_raw_response(connection);
    fail_unless(r.status == 204, "event %d: expected 204, got %u", i, r.status);
  }
  fail_unless(c.stop() == 0, "the collector did not exit with 0");
}
GST_END_TEST;

GST_START_TEST(test_fault_delay_sessions) {
  Collector c({"--delay-sessions=300"});
  Response start = c.post(kSessions, session_start());
  fail_unless(start.status == 201, "sessionStart: got %u", start.status);
  fail_unless(start.elapsed_ms >= 300, "the 201 took %" G_GINT64_FORMAT " ms, not >= 300",
              start.elapsed_ms);
  std::string sid = sid_of_location(start.header("Location"));
  Response play = c.post(events_path(sid), event("play", kT0 + 1));
  fail_unless(play.status == 204, "play: got %u", play.status);
  fail_unless(play.elapsed_ms < 300, "an event was delayed too (%" G_GINT64_FORMAT " ms)",
              play.elapsed_ms);
  fail_unless(c.stop() == 0, "the collector did not exit with 0");
  Lines req = requests_of(c.record());
  fail_unless(
      req.size() == 2 && req[0].num("status") == 201 && req[1].num("status") == 204,
      "the record does not hold the 201 and the 204");
}
GST_END_TEST;

GST_START_TEST(test_fault_delay_events) {
  Collector c({"--delay-events=300"});
  Response start = c.post(kSessions, session_start());
  fail_unless(start.status == 201, "sessionStart: got %u", start.status);
  fail_unless(start.elapsed_ms < 300,
              "the sessionStart was delayed too (%" G_GINT64_FORMAT " ms)",
              start.elapsed_ms);
  std::string sid = sid_of_location(start.header("Location"));
  for (int i = 1; i <= 2; i++) {
    Response play = c.post(events_path(sid), event("play", kT0 + i));
    fail_unless(play.status == 204, "event %d: got %u", i, play.status);
    fail_unless(play.elapsed_ms >= 300,
                "event %d took %" G_GINT64_FORMAT " ms, not >= 300", i, play.elapsed_ms);
  }
  fail_unless(c.stop() == 0, "the collector did not exit with 0");
  Lines req = requests_of(c.record());
  fail_unless(
      req.size() == 3 && req[1].num("status") == 204 && req[2].num("status") == 204,
      "the record does not hold the two 204s");
}
GST_END_TEST;

GST_START_TEST(test_fault_fail_next) {
  Collector c({"--fail-next=503:2"});
  for (int i = 1; i <= 2; i++) {
    Response r = c.post(kSessions, session_start());
    fail_unless(r.status == 503, "POST %d: expected 503, got %u (%s)", i, r.status,
                r.error());
    fail_unless(!r.has_header("Location"), "the 503 has a Location");
  }
  std::string sid = c.open_session();
  Response play = c.post(events_path(sid), event("play", kT0 + 1));
  fail_unless(play.status == 204, "play after the faults: got %u", play.status);
  fail_unless(c.stop() == 0, "the collector did not exit with 0");

  Lines req = requests_of(c.record());
  fail_unless(req.size() == 4, "expected 4 request lines, got %zu", req.size());
  for (size_t i = 0; i < 2; i++) {
    fail_unless(req[i].num("status") == 503, "line %zu: status %" G_GINT64_FORMAT, i + 1,
                req[i].num("status"));
    fail_unless(req[i].str("fault") == "status", "line %zu: fault \"%s\"", i + 1,
                req[i].str("fault").c_str());
  }
  fail_unless(
      req[2].num("status") == 201 && !req[2].has("fault") && req[2].str("session") == sid,
      "line 3 is not a clean 201 for %s", sid.c_str());
  fail_unless(req[3].num("status") == 204 && !req[3].has("fault"),
              "line 4 is not a clean 204");
}
GST_END_TEST;

GST_START_TEST(test_fault_fail_scope_events) {
  Collector c({"--fail-next=500:1", "--fail-scope=events"});
  std::string sid = c.open_session();
  Response first = c.post(events_path(sid), event("play", kT0 + 1));
  fail_unless(first.status == 500, "first event: expected 500, got %u", first.status);
  Response second = c.post(events_path(sid), event("play", kT0 + 2));
  fail_unless(second.status == 204, "second event: expected 204, got %u", second.status);
  fail_unless(c.stop() == 0, "the collector did not exit with 0");

  Lines req = requests_of(c.record());
  fail_unless(req.size() == 3, "expected 3 request lines, got %zu", req.size());
  fail_unless(req[0].num("status") == 201 && !req[0].has("fault"),
              "the sessionStart line is not a clean 201");
  fail_unless(req[1].num("status") == 500 && req[1].str("fault") == "status",
              "the first event line is not the injected 500");
  fail_unless(req[2].num("status") == 204 && !req[2].has("fault"),
              "the second event line is not a clean 204");
}
GST_END_TEST;

// Statuses of sessionStarts until one is accepted, then of 200 events.
std::vector<unsigned> fail_fraction_run() {
  Collector c({"--fail-fraction=500:0.5", "--seed=7"});
  std::vector<unsigned> statuses;
  std::string sid;
  for (int i = 0; i < 50 && sid.empty(); i++) {
    Response r = c.post(kSessions, session_start());
    statuses.push_back(r.status);
    if (r.status == 201)
      sid = sid_of_location(r.header("Location"));
  }
  fail_unless(!sid.empty(), "no sessionStart accepted in 50 tries");
  int failed = 0;
  for (int i = 1; i <= 200; i++) {
    Response r = c.post(events_path(sid), event("ping", kT0 + i * 1000, i));
    fail_unless(r.status == 204 || r.status == 500, "event %d: got %u (%s)", i, r.status,
                r.error());
    failed += r.status == 500;
    statuses.push_back(r.status);
  }
  fail_unless(failed >= 50 && failed <= 150, "%d of 200 events failed, expected 25..75%%",
              failed);
  fail_unless(c.stop() == 0, "the collector did not exit with 0");
  Lines req = requests_of(c.record());
  fail_unless(req.size() == statuses.size(), "the record has %zu requests, sent %zu",
              req.size(), statuses.size());
  for (size_t i = 0; i < req.size(); i++) {
    fail_unless(req[i].num("status") == statuses[i],
                "request %zu: recorded %" G_GINT64_FORMAT ", answered %u", i + 1,
                req[i].num("status"), statuses[i]);
    fail_unless((statuses[i] == 500) == (req[i].str("fault") == "status"),
                "request %zu: fault \"%s\" with status %u", i + 1,
                req[i].str("fault").c_str(), statuses[i]);
  }
  return statuses;
}

GST_START_TEST(test_fault_fail_fraction) {
  std::vector<unsigned> first = fail_fraction_run();
  std::vector<unsigned> second = fail_fraction_run();
  fail_unless(first == second, "the same seed gave different failures over two runs");
}
GST_END_TEST;

GST_START_TEST(test_fault_drop) {
  Collector c({"--drop=2:500"});
  std::string sid = c.open_session();
  Response play = c.post(events_path(sid), event("play", kT0 + 1));
  fail_unless(play.status == 204, "request 2: expected 204, got %u", play.status);

  int64_t t3 = now_ms();
  Response dropped = c.post(events_path(sid), event("ping", kT0 + 2));
  fail_unless(dropped.status == 0, "request 3: expected no answer, got %u",
              dropped.status);
  fail_unless(dropped.error_domain == G_IO_ERROR,
              "request 3: expected an I/O error, got %s (%s)",
              g_quark_to_string(dropped.error_domain), dropped.error());
  Response also = c.post(events_path(sid), event("ping", kT0 + 3));
  fail_unless(also.status == 0, "request 4 within the window: expected no answer, got %u",
              also.status);

  sleep_ms(t3 + 600 - now_ms());
  Response later = c.post(events_path(sid), event("ping", kT0 + 4));
  fail_unless(later.status == 204, "request after the window: expected 204, got %u (%s)",
              later.status, later.error());
  fail_unless(c.stop() == 0, "the collector did not exit with 0");

  Lines req = requests_of(c.record());
  fail_unless(req.size() >= 5, "expected at least 5 request lines, got %zu", req.size());
  size_t drops = 0;
  for (size_t i = 2; i + 1 < req.size(); i++) {
    fail_unless(req[i].str("fault") == "drop-connection",
                "request line %zu: fault \"%s\", expected drop-connection", i + 1,
                req[i].str("fault").c_str());
    drops++;
  }
  fail_unless(drops >= 2, "%zu dropped requests recorded, expected 2", drops);
  fail_unless(req.back().num("status") == 204 && !req.back().has("fault"),
              "the last request line is not a clean 204");
}
GST_END_TEST;

GST_START_TEST(test_fault_refuse) {
  Collector c({"--refuse=2:700"});
  std::string sid = c.open_session();
  Response play = c.post(events_path(sid), event("play", kT0 + 1));
  fail_unless(play.status == 204, "request 2: expected 204, got %u", play.status);

  int64_t t3 = now_ms();
  Response third = c.post(events_path(sid), event("ping", kT0 + 2));
  fail_unless(third.status == 0, "request 3: expected no answer, got %u", third.status);

  // New connections until one is served: refused first, accepted after ~700 ms.
  bool refused = false;
  int64_t served_at = -1;
  for (int i = 3; served_at < 0 && now_ms() - t3 < 3000; i++) {
    Response r = c.post(events_path(sid), event("ping", kT0 + i), "application/json",
                        SOUP_MESSAGE_NEW_CONNECTION);
    if (r.status == 204)
      served_at = now_ms() - t3;
    else if (r.status == 0 && r.error_domain == G_IO_ERROR &&
             r.error_code == G_IO_ERROR_CONNECTION_REFUSED)
      refused = true;
    else
      fail_unless(r.status == 0, "during the refusal: got HTTP %u", r.status);
    sleep_ms(25);
  }
  fail_unless(refused, "no connection was refused after request 3");
  fail_unless(served_at >= 0, "connections were still refused 3 s later");
  fail_unless(served_at >= 650, "served again after %" G_GINT64_FORMAT " ms, before 700",
              served_at);
  fail_unless(c.stop() == 0, "the collector did not exit with 0");

  Lines req = requests_of(c.record());
  fail_unless(req.size() >= 4, "expected at least 4 request lines, got %zu", req.size());
  fail_unless(req[2].str("fault") == "refuse-connections",
              "request line 3: fault \"%s\", expected refuse-connections",
              req[2].str("fault").c_str());
  fail_unless(req.back().num("status") == 204 && !req.back().has("fault"),
              "the last request line is not a clean 204");
}
GST_END_TEST;

GST_START_TEST(test_fault_expire_after) {
  Collector c({"--expire-after=0.5"});
  std::string sid = c.open_session();
  int64_t opened = now_ms();
  Response play = c.post(events_path(sid), event("play", kT0 + 1));
  fail_unless(play.status == 204, "play at once: expected 204, got %u", play.status);
  sleep_ms(opened + 700 - now_ms());
  Response late = c.post(events_path(sid), event("ping", kT0 + 700, 0.7));
  fail_unless(late.status == 410, "event after 0.7 s: expected 410, got %u", late.status);
  fail_unless(c.stop() == 0, "the collector did not exit with 0");

  Lines lines = c.record();
  std::optional<Line> closed = closed_line(lines, sid);
  fail_unless(closed.has_value(), "no session-closed line for %s", sid.c_str());
  fail_unless(closed->str("reason") == "expired-forced", "closed with reason \"%s\"",
              closed->str("reason").c_str());
  Lines req = requests_of(lines);
  fail_unless(req.back().num("status") == 410 && req.back().str("session") == sid,
              "the record does not hold the 410");
}
GST_END_TEST;

GST_START_TEST(test_fault_idle_timeout) {
  Collector c({"--idle-timeout=0.5"});
  std::string sid = c.open_session();
  sleep_ms(250);
  Response play = c.post(events_path(sid), event("play", kT0 + 250, 0));
  fail_unless(play.status == 204, "play after 0.25 s: expected 204, got %u", play.status);
  sleep_ms(750);
  Response late = c.post(events_path(sid), event("ping", kT0 + 1000, 0.75));
  fail_unless(late.status == 410, "event after 0.75 s idle: expected 410, got %u",
              late.status);
  fail_unless(c.stop() == 0, "the collector did not exit with 0");
  std::optional<Line> closed = closed_line(c.record(), sid);
  fail_unless(closed.has_value(), "no session-closed line for %s", sid.c_str());
  fail_unless(closed->str("reason") == "expired-idle", "closed with reason \"%s\"",
              closed->str("reason").c_str());
}
GST_END_TEST;

GST_START_TEST(test_fault_stall_timeout) {
  Collector c({"--stall-timeout=0.6"});
  std::string sid = c.open_session(kT0, 5);
  int64_t opened = now_ms();
  int64_t gone_at = -1;
  for (int i = 1; gone_at < 0 && now_ms() - opened < 2000; i++) {
    sleep_ms(opened + i * 100 - now_ms());
    Response r = c.post(events_path(sid), event("ping", kT0 + i * 100, 5));
    if (r.status == 410)
      gone_at = now_ms() - opened;
    else
      fail_unless(r.status == 204, "ping %d: expected 204 or 410, got %u", i, r.status);
  }
  fail_unless(gone_at >= 0, "the stalled session was still open after 2 s");
  fail_unless(gone_at >= 550 && gone_at <= 1100,
              "410 after %" G_GINT64_FORMAT " ms, expected about 600", gone_at);
  fail_unless(c.stop() == 0, "the collector did not exit with 0");
  std::optional<Line> closed = closed_line(c.record(), sid);
  fail_unless(closed.has_value(), "no session-closed line for %s", sid.c_str());
  fail_unless(closed->str("reason") == "expired-playhead-stalled",
              "closed with reason \"%s\"", closed->str("reason").c_str());
}
GST_END_TEST;

// A session whose expiry is first noticed by a request to it (rather than by
// the collector's periodic sweep) must still get its session-closed line.
GST_START_TEST(test_expiry_noticed_by_request_is_recorded) {
  Collector c({"--idle-timeout=0.3"});
  std::vector<std::string> sids;
  for (int i = 0; i < 3; i++) {
    std::string sid = c.open_session();
    int64_t opened = now_ms();
    // Just past the deadline: before the sweep's next tick, most of the time.
    sleep_ms(opened + 303 - now_ms());
    Response r = c.post(events_path(sid), event("ping", kT0 + 303));
    fail_unless(r.status == 410, "ping after 0.303 s idle: expected 410, got %u",
                r.status);
    sids.push_back(sid);
  }
  fail_unless(c.stop() == 0, "the collector did not exit with 0");
  Lines lines = c.record();
  for (const std::string &sid : sids) {
    std::optional<Line> closed = closed_line(lines, sid);
    fail_unless(closed.has_value(), "no session-closed line for the expired session %s",
                sid.c_str());
    fail_unless(closed->str("reason") == "expired-idle", "%s closed with reason \"%s\"",
                sid.c_str(), closed->str("reason").c_str());
  }
}
GST_END_TEST;

GST_START_TEST(test_fault_location_missing) {
  Collector c({"--location=missing:1"});
  Response first = c.post(kSessions, session_start());
  fail_unless(first.status == 201, "first sessionStart: expected 201, got %u",
              first.status);
  fail_unless(!first.has_header("Location"), "the first 201 has a Location: %s",
              first.header("Location").c_str());
  std::string sid = c.open_session();
  Response play = c.post(events_path(sid), event("play", kT0 + 1));
  fail_unless(play.status == 204, "play on the second session: got %u", play.status);
  fail_unless(c.stop() == 0, "the collector did not exit with 0");

  Lines req = requests_of(c.record());
  fail_unless(req.size() == 3, "expected 3 request lines, got %zu", req.size());
  fail_unless(req[0].num("status") == 201 && req[0].str("fault") == "location-missing" &&
                  !req[0].has("session"),
              "line 1 is not a faulted 201 without a session");
  fail_unless(
      req[1].num("status") == 201 && !req[1].has("fault") && req[1].str("session") == sid,
      "line 2 is not a clean 201 for %s", sid.c_str());
}
GST_END_TEST;

GST_START_TEST(test_fault_location_malformed) {
  Collector c({"--location=malformed"});
  for (int i = 1; i <= 2; i++) {
    Response r = c.post(kSessions, session_start());
    fail_unless(r.status == 201, "sessionStart %d: expected 201, got %u", i, r.status);
    fail_unless(r.has_header("Location"), "sessionStart %d: no Location", i);
    fail_unless(sid_of_location(r.header("Location")).empty(),
                "sessionStart %d: Location \"%s\" is well formed", i,
                r.header("Location").c_str());
  }
  fail_unless(c.stop() == 0, "the collector did not exit with 0");
  for (const Line &l : requests_of(c.record()))
    fail_unless(l.num("status") == 201 && l.str("fault") == "location-malformed",
                "a request line is not a faulted 201");
}
GST_END_TEST;

GST_START_TEST(test_malformed_input) {
  Collector c;
  std::string sid = c.open_session();
  const std::string events = events_path(sid);

  // Garbage request line and a header section that never ends: an error
  // answer or a closed connection, nothing else. (libsoup's server takes the
  // end of input for the end of the headers, so a truncated head gets a 4xx.)
  RawResponse garbage = raw_exchange(c, "HELLO\x01\x02 WORLD\r\n\r\n");
  fail_unless(garbage.status == 0 || garbage.status == 400,
              "garbage request line: got %u", garbage.status);
  RawResponse no_end = raw_exchange(
      c, "POST /api/v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: a\r\n", true);
  fail_unless(no_end.status == 0 || (no_end.status >= 400 && no_end.status < 500),
              "header section without end: got %u", no_end.status);
  std::string endless = "POST /api/v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (int i = 0; endless.size() < 1024 * 1024; i++)
    endless += "X-Pad-" + std::to_string(i) + ": " + std::string(100, 'a') + "\r\n";
  RawResponse huge_head = raw_exchange(c, endless, true);
  fail_unless(
      huge_head.status == 0 || (huge_head.status >= 400 && huge_head.status < 500),
      "1 MB header section without end: got %u", huge_head.status);

  // NUL bytes in the request line, in a header and in the body.
  RawResponse nul_line = raw_exchange(
      c, with_nuls("POST /api/v1/sess\0ions HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  fail_unless(nul_line.status == 0 || nul_line.status == 400 || nul_line.status == 404,
              "NUL in the request line: got %u", nul_line.status);
  RawResponse nul_header = raw_exchange(
      c, with_nuls("POST /api/v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\0b\r\n"
                   "Content-Length: 0\r\nContent-Type: application/json\r\n\r\n"));
  fail_unless(nul_header.status == 0 || nul_header.status == 400,
              "NUL in a header: got %u", nul_header.status);
  std::string nul_body = event("play", kT0 + 1);
  nul_body.insert(5, 1, '\0');
  RawResponse nul = raw_exchange(c, raw_post(events, nul_body));
  fail_unless(nul.status == 400, "NUL in the body: expected 400, got %u", nul.status);

  // Bodies that are not one JSON object.
  std::string invalid_utf8 = session_start();
  invalid_utf8.replace(invalid_utf8.find("test-media"), 4, "\xff\xfe\xc3\x28");
  Response utf8 = c.post(kSessions, invalid_utf8);
  fail_unless(utf8.status == 400, "invalid UTF-8 in sessionStart: expected 400, got %u",
              utf8.status);
  std::string invalid_utf8_event = event("play", kT0 + 1);
  invalid_utf8_event.replace(invalid_utf8_event.find("play"), 4, "pl\xe9y");
  Response utf8_event = c.post(events, invalid_utf8_event);
  fail_unless(utf8_event.status == 400, "invalid UTF-8 in an event: expected 400, got %u",
              utf8_event.status);
  Response array = c.post(kSessions, "[" + session_start() + "]");
  fail_unless(array.status == 400, "array body on sessions: expected 400, got %u",
              array.status);
  Response array_event = c.post(events, "[" + event("play", kT0 + 1) + "]");
  fail_unless(array_event.status == 400, "array body on events: expected 400, got %u",
              array_event.status);
  const int depth = 10000;
  std::string deep = std::string(depth, '[') + std::string(depth, ']');
  Response deep_sessions = c.post(kSessions, deep);
  fail_unless(deep_sessions.status == 400,
              "10000 nested arrays on sessions: expected 400, got %u (%s)",
              deep_sessions.status, deep_sessions.error());
  Response deep_events = c.post(events, deep);
  fail_unless(deep_events.status == 400,
              "10000 nested arrays on events: expected 400, got %u (%s)",
              deep_events.status, deep_events.error());
  std::string deep_object = event("play", kT0 + 1);
  deep_object.insert(deep_object.size() - 1,
                     ",\"x\":" + std::string(depth, '[') + std::string(depth, ']'));
  Response deep_member = c.post(events, deep_object);
  fail_unless(deep_member.status == 400,
              "an event with 10000 nested arrays in a member: expected 400, got %u (%s)",
              deep_member.status, deep_member.error());

  // Wrong methods and unknown paths.
  for (const char *method : {"GET", "PUT", "DELETE"}) {
    Response r = c.request(method, kSessions);
    fail_unless(r.status == 405, "%s %s: expected 405, got %u", method, kSessions,
                r.status);
    fail_unless(strstr(r.header("Allow").c_str(), "POST") != nullptr,
                "%s %s: Allow is \"%s\"", method, kSessions, r.header("Allow").c_str());
  }
  Response get_events = c.request("GET", events);
  fail_unless(get_events.status == 405, "GET on events: expected 405, got %u",
              get_events.status);
  for (const char *path :
       {"/", "/api/v1", "/api/v1/nope", "/api/v2/sessions", "/api/v1/sessions/",
        "/api/v1/sessions//events", "/api/v1/sessions/a/b/events",
        "/api/v1/sessions/a/events/more"}) {
    Response r = c.post(path, event("play", kT0 + 1));
    fail_unless(r.status == 404, "POST %s: expected 404, got %u", path, r.status);
  }

  // 5 MB over the default 1 MB limit, with a Content-Length and chunked
  // (test_oversized_body_* look closer at the first).
  const size_t five_mb = 5 * 1024 * 1024;
  std::string five_mb_body =
      R"({"eventType":"play","pad":")" + std::string(five_mb, 'x') + "\"}";
  Response big = c.post(events, five_mb_body);
  fail_unless(big.status == 413, "5 MB with Content-Length: expected 413, got %u (%s)",
              big.status, big.error());
  Response big_chunked = c.request("POST", events, &five_mb_body, "application/json",
                                   SOUP_MESSAGE_IDEMPOTENT, true);
  fail_unless(big_chunked.status == 413, "5 MB chunked: expected 413, got %u (%s)",
              big_chunked.status, big_chunked.error());

  // Still alive and serving.
  Response start = c.post(kSessions, session_start());
  fail_unless(start.status == 201,
              "sessionStart after all that: expected 201, got %u (%s)", start.status,
              start.error());
  fail_unless(c.alive(), "the collector is gone");
  fail_unless(c.stop() == 0, "the collector did not exit with 0 on SIGTERM");
  Lines lines = c.record();  // every line is valid JSON (asserted by record())
  fail_unless(
      lines.back().is_closed() && lines.back().str("reason") == "collector-shutdown",
      "the record does not end with the shutdown close");
}
GST_END_TEST;

// docs/collector.md: malformed input gets a 4xx "without stopping". 100000
// nested arrays are a 200 kB body, well within the default --max-body.
GST_START_TEST(test_very_deep_nesting_does_not_crash) {
  Collector c;
  const int depth = 100000;
  std::string deep = std::string(depth, '[') + std::string(depth, ']');
  Response r = c.post(kSessions, deep);
  fail_unless(r.status == 400, "100000 nested arrays: expected 400, got %u (%s)",
              r.status, r.error());
  fail_unless(c.alive(200), "the collector died on 100000 nested arrays");
  fail_unless(c.stop() == 0, "the collector did not exit with 0");
}
GST_END_TEST;

// server.cpp answers a too-large Content-Length "before the body is read". A
// client that asks with Expect: 100-continue gets that 413 instead of the 100
// and never has to send the 5 MB.
GST_START_TEST(test_oversized_body_answered_from_head) {
  Collector c;
  g_autoptr(GSocketConnection) connection = raw_connect(c);
  std::string head =
      "POST /api/v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n"
      "Content-Type: application/json\r\nContent-Length: " +
      std::to_string(5 * 1024 * 1024) + "\r\n\r\n";
  fail_unless(
      g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(connection)),
                                head.data(), head.size(), nullptr, nullptr, nullptr),
      "cannot send the head");
  gboolean answered =
      g_socket_condition_timed_wait(g_socket_connection_get_socket(connection), G_IO_IN,
                                    2 * G_USEC_PER_SEC, nullptr, nullptr);
  fail_unless(answered, "no answer within 2 s to a head declaring 5 MB");
  RawResponse r = read_raw_response(connection);
  fail_unless(r.status == 413, "expected 413, got %u", r.status);
  fail_unless(c.stop() == 0, "the collector did not exit with 0");
  Lines req = requests_of(c.record());
  fail_unless(req.size() == 1 && req[0].num("status") == 413,
              "the record does not hold exactly the one 413");
}
GST_END_TEST;

// The peak resident set (VmHWM) of process `pid`, in kB; -1 if unknown.
int64_t peak_rss_kb(const char *pid) {
  g_autofree char *path = g_strdup_printf("/proc/%s/status", pid);
  g_autofree char *status = nullptr;
  if (!g_file_get_contents(path, &status, nullptr, nullptr))
    return -1;
  const char *hwm = strstr(status, "VmHWM:");
  return hwm ? g_ascii_strtoll(hwm + strlen("VmHWM:"), nullptr, 10) : -1;
}

// docs/collector.md: a body larger than --max-body is refused with 413 and
// "never kept in memory", also when the client sends it whole (no Expect:
// 100-continue) with a Content-Length.
GST_START_TEST(test_oversized_body_not_kept_in_memory) {
  Collector c;
  g_autofree char *pid = g_strdup(c.pid());
  int64_t before = peak_rss_kb(pid);
  fail_unless(before > 0, "cannot read the collector's VmHWM");
  const size_t size = 64 * 1024 * 1024;
  g_autoptr(GSocketConnection) connection = raw_connect(c);
  GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(connection));
  std::string head =
      "POST /api/v1/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
      "Content-Type: application/json\r\nContent-Length: " +
      std::to_string(size) + "\r\n\r\n";
  bool ok =
      g_output_stream_write_all(out, head.data(), head.size(), nullptr, nullptr, nullptr);
  const std::string block(1024 * 1024, ' ');
  for (size_t sent = 0; ok && sent < size; sent += block.size())
    ok = g_output_stream_write_all(out, block.data(), block.size(), nullptr, nullptr,
                                   nullptr);
  RawResponse r = read_raw_response(connection);
  fail_unless(r.status == 413 || r.status == 0, "64 MB body: got %u", r.status);
  int64_t after = peak_rss_kb(pid);
  fail_unless(after - before < 32 * 1024,
              "the collector's peak RSS grew by %" G_GINT64_FORMAT
              " kB while refusing a 64 MB body (--max-body is 1 MB)",
              after - before);
  fail_unless(c.stop() == 0, "the collector did not exit with 0");
}
GST_END_TEST;

GST_START_TEST(test_shutdown) {
  Collector c({"--timeline"});
  std::string sid = c.open_session();
  Response play = c.post(events_path(sid), event("play", kT0 + 1000, 0));
  fail_unless(play.status == 204, "play: got %u", play.status);
  Response ping = c.post(events_path(sid), event("ping", kT0 + 11000, 10));
  fail_unless(ping.status == 204, "ping: got %u", ping.status);

  fail_unless(c.stop(5000) == 0, "the collector did not exit with 0");
  fail_unless(c.stop_ms() < 5000, "stopping took %" G_GINT64_FORMAT " ms", c.stop_ms());
  Lines lines = c.record();
  fail_unless(!lines.empty() && lines.back().is_closed(),
              "the record does not end with a session-closed line");
  fail_unless(lines.back().str("session") == sid, "the last line closes \"%s\", not %s",
              lines.back().str("session").c_str(), sid.c_str());
  fail_unless(lines.back().str("reason") == "collector-shutdown",
              "the last line's reason is \"%s\"", lines.back().str("reason").c_str());

  std::string timeline = c.rest_of_stdout();
  fail_unless(timeline.find("Session " + sid) != std::string::npos,
              "the timeline has no \"Session %s\":\n%s", sid.c_str(), timeline.c_str());
  for (const char *name : {"sessionStart", "play", "ping", "collector-shutdown"})
    fail_unless(timeline.find(name) != std::string::npos,
                "the timeline does not mention %s:\n%s", name, timeline.c_str());
}
GST_END_TEST;

GST_START_TEST(test_findings_recorded) {
  Collector c;
  std::string sid = c.open_session();
  Response play = c.post(events_path(sid), event("play", kT0 + 1000, 0));
  fail_unless(play.status == 204, "play: got %u", play.status);
  Response back = c.post(events_path(sid), event("play", kT0 + 500, 0));
  fail_unless(back.status == 204,
              "play with an earlier ts: got %u (findings never refuse)", back.status);
  fail_unless(c.stop() == 0, "the collector did not exit with 0");

  Lines req = requests_of(c.record());
  fail_unless(req.size() == 3, "expected 3 request lines, got %zu", req.size());
  fail_unless(req[1].findings().empty(), "the first play has findings: %s",
              req[1].findings().c_str());
  fail_unless(req[2].findings().find("ts-not-increasing") != std::string::npos,
              "the play with an earlier ts has findings \"%s\", no ts-not-increasing",
              req[2].findings().c_str());
}
GST_END_TEST;

static Suite *collector_process_suite(void) {
  // A write to a connection the collector closed must fail, not kill the test.
  signal(SIGPIPE, SIG_IGN);
  Suite *s = suite_create("collector-process");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_set_timeout(tc, 60);
  tcase_add_unchecked_fixture(tc, make_base_dir, remove_base_dir);
  tcase_add_test(tc, test_url_and_schemas);
  tcase_add_test(tc, test_session_lifecycle);
  tcase_add_test(tc, test_validation);
  tcase_add_test(tc, test_refused_events_name_their_session);
  tcase_add_test(tc, test_keep_alive);
  tcase_add_test(tc, test_keep_alive_raw_connection);
  tcase_add_test(tc, test_fault_delay_sessions);
  tcase_add_test(tc, test_fault_delay_events);
  tcase_add_test(tc, test_fault_fail_next);
  tcase_add_test(tc, test_fault_fail_scope_events);
  tcase_add_test(tc, test_fault_fail_fraction);
  tcase_add_test(tc, test_fault_drop);
  tcase_add_test(tc, test_fault_refuse);
  tcase_add_test(tc, test_fault_expire_after);
  tcase_add_test(tc, test_fault_idle_timeout);
  tcase_add_test(tc, test_fault_stall_timeout);
  tcase_add_test(tc, test_expiry_noticed_by_request_is_recorded);
  tcase_add_test(tc, test_fault_location_missing);
  tcase_add_test(tc, test_fault_location_malformed);
  tcase_add_test(tc, test_malformed_input);
  tcase_add_test(tc, test_very_deep_nesting_does_not_crash);
  tcase_add_test(tc, test_oversized_body_answered_from_head);
  tcase_add_test(tc, test_oversized_body_not_kept_in_memory);
  tcase_add_test(tc, test_shutdown);
  tcase_add_test(tc, test_findings_recorded);
  return s;
}

GST_CHECK_MAIN(collector_process);
