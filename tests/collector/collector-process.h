// The fixture of the collector process tests (test-collector-http.cpp,
// -faults.cpp, -robustness.cpp, -record.cpp): each test starts the built
// mediaanalytics-collector on a free port, talks HTTP to it with libsoup (or
// with raw sockets where libsoup would not produce the bytes), stops it with a
// signal and asserts on the JSON Lines record it wrote, never on what the
// client believes it sent.
#pragma once

#include <gst/check/gstcheck.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include <csignal>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace collector_test {

inline constexpr char kSessions[] = "/api/v1/sessions";
// The Location of a 201 (spec §3.1), anchored: nothing before or after.
inline constexpr char kLocationRegex[] = "^/api/v1/sessions/([^/?#]+)$";
// playerTime.ts of the sessionStart in every test.
inline constexpr int64_t kT0 = 1700000000000;

// ---------------------------------------------------------------------------
// Request bodies.

std::string number(double value);
std::string player_time(int64_t ts, double playhead);
// A valid sessionStart with the 8 required params; `length` is the raw JSON
// of media.length.
std::string session_start(int64_t ts = kT0, double playhead = 0,
                          const std::string &length = "60");
// An event (play, ping, sessionEnd, ...); `members` is raw JSON appended to
// the body's members, e.g. R"("params":{})".
std::string event(const char *type, int64_t ts, double playhead = 0,
                  const std::string &members = "");
std::string events_path(const std::string &sid);
// The session id of a Location header, or "" when it does not match.
std::string sid_of_location(const std::string &location);

int64_t now_ms();
void sleep_ms(int64_t ms);

// The tests' real-time figures (a delay asked of the collector, a bound on how
// long something may take, how long to wait for something to arrive) are
// written for a native run. Under valgrind the test process runs 10 to 50
// times slower while the collector it talks to does not: the 'valgrind' test
// setup sets MEDIAANALYTICS_TEST_TIME_SCALE, and such figures go through
// scaled_ms(). The scale is 1 when the variable is not set.
double time_scale();
int64_t scaled_ms(int64_t ms);
// A time in ms as the seconds a collector option takes ("--expire-after=" +
// seconds_of(scaled_ms(500))).
std::string seconds_of(int64_t ms);

// ---------------------------------------------------------------------------
// Temporary files: one directory per test case, made by the unchecked fixture
// (it runs in the parent of the forked tests, so it is removed even when a
// test fails and _exit()s), and one subdirectory per collector run.

extern std::string g_base_dir;
void make_base_dir();
void remove_base_dir();
// A new, empty directory under the test case's directory.
std::string make_run_dir();

// The test case every collector process test binary uses: the temporary
// directory fixture, a timeout, and SIGPIPE ignored (a write to a connection
// the collector closed must fail, not kill the test).
TCase *add_process_tcase(Suite *suite, const char *name = "general");

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

  bool has_header(const char *name) const;
  // All values of `name`, joined with ", " as HTTP allows.
  std::string header(const char *name) const;
  const char *error() const { return error_message.c_str(); }
};

// ---------------------------------------------------------------------------
// One line of the record.

class Line {
 public:
  explicit Line(JsonNode *node) : node_(node, json_node_unref) {}

  JsonObject *object() const { return json_node_get_object(node_.get()); }
  bool has(const char *name) const { return json_object_has_member(object(), name); }
  // A string member; "" when missing or not a string.
  std::string str(const char *name) const;
  // An integer member; -1 when missing or not an integer.
  int64_t num(const char *name) const;
  bool is_request() const { return str("kind") == "request"; }
  bool is_closed() const { return str("kind") == "session-closed"; }
  std::string event_type() const;
  std::string violation_key() const;
  // The finding codes, space-separated; every finding must have a message.
  std::string findings() const;
  // The message of the first finding with this code; "" when there is none.
  std::string finding_message(const char *code) const;

 private:
  std::shared_ptr<JsonNode> node_;
};

using Lines = std::vector<Line>;

Lines requests_of(const Lines &lines);
std::optional<Line> closed_line(const Lines &lines, const std::string &sid);

// ---------------------------------------------------------------------------
// The collector process and a client for it.

class Collector {
 public:
  // With --tls-cert/--tls-key among `args` the collector serves https and
  // url() is https://...: the element tests give its CA to the element
  // (tls-ca-file); request() and post() here trust the system's CAs only.
  explicit Collector(const std::vector<std::string> &args = {});
  ~Collector();
  Collector(const Collector &) = delete;
  Collector &operator=(const Collector &) = delete;

  const std::string &url() const { return url_; }
  const std::string &host() const { return host_; }
  guint16 port() const { return port_; }
  const std::string &record_path() const { return record_; }
  // The process id, while it runs.
  const char *pid() const { return g_subprocess_get_identifier(proc_); }
  // How the last chunked request body was actually sent.
  SoupEncoding last_request_encoding() const { return last_request_encoding_; }

  // One HTTP request on the shared SoupSession. POSTs are flagged idempotent
  // so that libsoup reuses connections for them, unless `flags` says else.
  Response request(const char *method, const std::string &path,
                   const std::string *body = nullptr,
                   const char *content_type = "application/json",
                   int flags = SOUP_MESSAGE_IDEMPOTENT, bool chunked = false);
  Response post(const std::string &path, const std::string &body,
                const char *content_type = "application/json",
                int flags = SOUP_MESSAGE_IDEMPOTENT) {
    return request("POST", path, &body, content_type, flags);
  }
  Response get(const std::string &path) { return request("GET", path); }

  // Opens a session; fails the test unless it gets a 201 with a good Location.
  std::string open_session(int64_t ts = kT0, double playhead = 0);

  // Sends `signal` (SIGTERM or SIGINT), then waits at most `timeout_ms`; fails
  // the test unless the collector exited by itself within that time. Returns
  // its exit status.
  int stop(int timeout_ms = 5000, int signal = SIGTERM);
  int64_t stop_ms() const { return stop_ms_; }

  // Whether the process is still running (waits up to `timeout_ms` for it
  // to exit).
  bool alive(int timeout_ms = 0);

  // Every line of the record, parsed; fails the test on any line that is not
  // one JSON object, or on a last line without its newline.
  Lines record() const;
  // Waits up to `timeout_ms` for the record to hold at least `count` lines;
  // true if it does.
  bool wait_for_lines(size_t count, int timeout_ms) const;

  // The rest of the collector's stdout (after the URL line), read to EOF.
  std::string rest_of_stdout();

 private:
  void start(const std::vector<std::string> &args);
  // Waits up to `timeout_ms` for the process to exit; true if it did.
  bool wait(int timeout_ms);

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

// A run of a program that is expected to end by itself (the collector with
// invalid options or --print-timeline, gst-play-1.0): its exit status and
// its output.
struct Finished {
  bool exited = false;  // false: killed after the timeout, or killed by a signal
  int status = -1;
  std::string out;
  std::string err;
};
Finished run_to_exit(const std::vector<std::string> &args, int timeout_ms = 5000);
// The same for any program (`program[0]`, searched in PATH): killed when the
// test dies or after `timeout_ms`; a GLib critical in it is fatal.
Finished run_program(const std::vector<std::string> &program, int timeout_ms = 5000);

// A "got-headers" handler for a client SoupMessage: libsoup 3.2 does not
// reuse a connection after a 204 without Content-Length (it takes the empty
// body as ended by EOF); this declares its length 0, as RFC 9110 makes it.
void declare_empty_no_content(SoupMessage *msg, gpointer);

// ---------------------------------------------------------------------------
// Raw HTTP, for what libsoup would not send.

struct RawResponse {
  unsigned status = 0;  // 0: the connection closed (or timed out) unanswered
  std::string head;
  std::string body;
};

// Reads one HTTP response (head and Content-Length body) or up to EOF.
RawResponse read_raw_response(GSocketConnection *connection);
// A new connection to the collector's host and port (5 s I/O timeout, scaled).
GSocketConnection *raw_connect(const Collector &c);
// Writes all of `bytes`; false when the connection is closed.
bool raw_send(GSocketConnection *connection, const std::string &bytes);
// Sends `bytes` on a new connection (then, if `close_write`, half-closes it)
// and reads the answer.
RawResponse raw_exchange(const Collector &c, const std::string &bytes,
                         bool close_write = false);
// A POST with a Content-Length; `keep_alive` false adds Connection: close.
std::string raw_post(const std::string &path, const std::string &body,
                     const char *content_type = "application/json",
                     bool keep_alive = false);

// A string literal with its NUL bytes.
template <size_t N>
std::string with_nuls(const char (&text)[N]) {
  return std::string(text, N - 1);
}

}  // namespace collector_test
