// The transport rules of the Sender (gst/client/sender.cpp), through a
// SessionClient against in-process SoupServers on 127.0.0.1 (each in a thread
// of its own): redirects are never followed, and a response body is read
// only up to a bound. Every check is on what the servers received (and sent),
// and on the process's memory.

#include <glib.h>
#include <libsoup/soup.h>

#include <atomic>
#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <gst/check/gstcheck.h>

#include "event-clock.h"
#include "event.h"
#include "sender.h"
#include "session-client-fixture.h"
#include "session-client.h"

using mediaanalytics::DropReason;
using mediaanalytics::SenderWorker;
using mediaanalytics::SessionClient;
using mediaanalytics::SessionClientStats;

using namespace client_test;

namespace {

constexpr char kSessionPath[] = "/api/v1/sessions/s1";

// A SoupServer on 127.0.0.1 in its own thread and main context, answering
// every request with `answer` (which runs in that thread) and counting them.
class LocalServer {
 public:
  using Answer = std::function<void(SoupServerMessage *msg, const char *path)>;

  explicit LocalServer(Answer answer) : answer_(std::move(answer)) {
    g_mutex_init(&lock_);
    g_cond_init(&cond_);
    context_ = g_main_context_new();
    loop_ = g_main_loop_new(context_, FALSE);
    thread_ = g_thread_new("local-server", run, this);
    g_mutex_lock(&lock_);
    while (port_ == 0)
      g_cond_wait(&cond_, &lock_);
    g_mutex_unlock(&lock_);
  }

  ~LocalServer() {
    g_main_context_invoke(
        context_,
        [](gpointer loop) -> gboolean {
          g_main_loop_quit(static_cast<GMainLoop *>(loop));
          return G_SOURCE_REMOVE;
        },
        loop_);
    g_thread_join(thread_);
    g_main_loop_unref(loop_);
    g_main_context_unref(context_);
    g_mutex_clear(&lock_);
    g_cond_clear(&cond_);
  }

  LocalServer(const LocalServer &) = delete;
  LocalServer &operator=(const LocalServer &) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_.load(); }

 private:
  static gpointer run(gpointer data) {
    auto *self = static_cast<LocalServer *>(data);
    g_main_context_push_thread_default(self->context_);
    SoupServer *server = soup_server_new(nullptr, nullptr);
    soup_server_add_handler(server, nullptr, on_request, self, nullptr);
    // Our own socket, so that the port is read from it (soup_server_get_uris()
    // leaks in libsoup 3.2).
    g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) any = g_inet_socket_address_new(loopback, 0);
    g_autoptr(GSocket) socket = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                             G_SOCKET_PROTOCOL_TCP, nullptr);
    fail_unless(socket && g_socket_bind(socket, any, TRUE, nullptr) &&
                    g_socket_listen(socket, nullptr) &&
                    soup_server_listen_socket(
                        server, socket, static_cast<SoupServerListenOptions>(0), nullptr),
                "cannot listen on 127.0.0.1");
    g_autoptr(GSocketAddress) bound = g_socket_get_local_address(socket, nullptr);
    g_mutex_lock(&self->lock_);
    self->port_ = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
    g_cond_broadcast(&self->cond_);
    g_mutex_unlock(&self->lock_);
    g_main_loop_run(self->loop_);
    soup_server_disconnect(server);
    g_object_unref(server);
    while (g_main_context_iteration(self->context_, FALSE)) {
    }
    g_main_context_pop_thread_default(self->context_);
    return nullptr;
  }

  static void on_request(SoupServer *, SoupServerMessage *msg, const char *path,
                         GHashTable *, gpointer data) {
    auto *self = static_cast<LocalServer *>(data);
    self->requests_++;
    self->answer_(msg, path);
  }

  const Answer answer_;
  GMainContext *context_ = nullptr;
  GMainLoop *loop_ = nullptr;
  GThread *thread_ = nullptr;
  GMutex lock_;
  GCond cond_;
  guint16 port_ = 0;  // under lock_ until set
  std::atomic<int> requests_{0};
};

void answer(SoupServerMessage *msg, unsigned status, const char *location = nullptr) {
  soup_server_message_set_status(msg, status, nullptr);
  if (location)
    soup_message_headers_replace(soup_server_message_get_response_headers(msg),
                                 "Location", location);
}

// The endpoint's answers: a session at kSessionPath, 204 to its events.
void answer_as_endpoint(SoupServerMessage *msg, const char *path) {
  if (g_str_has_suffix(path, "/sessions"))
    answer(msg, SOUP_STATUS_CREATED, kSessionPath);
  else
    answer(msg, SOUP_STATUS_NO_CONTENT);
}

// sessionStart, play, ping, sessionEnd, then finish().
SessionClientStats run_session(SessionClient &client) {
  EventClock clock;
  client.submit(start_event(clock));
  client.submit(event_at(clock, EventType::kPlay, 1));
  client.submit(event_at(clock, EventType::kPing, 2));
  client.submit(event_at(clock, EventType::kSessionEnd, 3));
  client.finish(5000);
  return client.stats();
}

uint64_t dropped(const SessionClientStats &stats, DropReason reason) {
  return stats.dropped_by[static_cast<int>(reason)];
}

// The process's peak resident set size (VmHWM), in bytes. The peak, not
// the current size: a body read whole and freed again would leave no trace
// in the current size (glibc returns large blocks to the system at once).
int64_t peak_rss_bytes() {
  g_autofree char *status = nullptr;
  fail_unless(g_file_get_contents("/proc/self/status", &status, nullptr, nullptr),
              "cannot read /proc/self/status");
  const char *line = strstr(status, "VmHWM:");
  fail_unless(line != nullptr, "no VmHWM in /proc/self/status");
  return g_ascii_strtoll(line + strlen("VmHWM:"), nullptr, 10) * 1024;
}

}  // namespace

// ---------------------------------------------------------------------------

// The events of an open session are answered 301 to another server (which
// libsoup would follow with a GET, the event lost): each is sent once, to the
// endpoint only, and dropped as rejected with a warning that says where the
// redirect pointed. (libsoup follows no 307 or 308 of a POST by itself; the
// Sender turns every redirect off all the same.)
GST_START_TEST(test_redirected_events_not_followed) {
  LocalServer elsewhere(answer_as_endpoint);
  const std::string target = elsewhere.url() + kSessionPath + "/events";
  LocalServer endpoint([&target](SoupServerMessage *msg, const char *path) {
    if (g_str_has_suffix(path, "/sessions"))
      answer(msg, SOUP_STATUS_CREATED, kSessionPath);
    else
      answer(msg, SOUP_STATUS_MOVED_PERMANENTLY, target.c_str());
  });
  Seen seen;
  SessionClient client(options_for(endpoint.url(), &seen));
  const SessionClientStats stats = run_session(client);
  fail_unless_equals_int(endpoint.requests(), 4);
  fail_unless_equals_int(elsewhere.requests(), 0);
  fail_unless_equals_uint64(stats.sent, 1);
  fail_unless_equals_uint64(dropped(stats, DropReason::kRejected), 3);
  fail_unless_equals_uint64(stats.retried, 0);
  const std::string warnings = seen.warning_text(WarningKind::kRejected);
  fail_unless(warnings.find("HTTP 301: the endpoint redirected to \"" + target +
                            "\" and redirects are not followed") != std::string::npos,
              "the warnings do not say where the redirect pointed: %s", warnings.c_str());
}
GST_END_TEST;

// A sessionStart answered 302 (which libsoup would follow with a GET): sent
// once, nothing reaches the other server, no session, the rest dropped.
GST_START_TEST(test_redirected_start_not_followed) {
  LocalServer elsewhere(answer_as_endpoint);
  const std::string target = elsewhere.url() + "/api/v1/sessions";
  LocalServer endpoint([&target](SoupServerMessage *msg, const char *) {
    answer(msg, SOUP_STATUS_FOUND, target.c_str());
  });
  Seen seen;
  SessionClient client(options_for(endpoint.url(), &seen));
  const SessionClientStats stats = run_session(client);
  fail_unless_equals_int(endpoint.requests(), 1);
  fail_unless_equals_int(elsewhere.requests(), 0);
  fail_unless_equals_uint64(stats.sent, 0);
  fail_unless_equals_uint64(stats.sessions_started, 0);
  fail_unless_equals_uint64(dropped(stats, DropReason::kRejected), 1);
  fail_unless_equals_uint64(dropped(stats, DropReason::kNoSession), 3);
  const std::string warnings = seen.warning_text(WarningKind::kRejected);
  fail_unless(warnings.find("sessionStart rejected with HTTP 302: the endpoint "
                            "redirected to \"" +
                            target + "\"") != std::string::npos,
              "no redirect warning: %s", warnings.c_str());
}
GST_END_TEST;

// The body a server streams after a response's headers: kHugeBody bytes in
// chunks, each appended when the previous one was written.
constexpr std::size_t kChunk = 64 * 1024;
constexpr std::size_t kHugeBody = 64 * 1024 * 1024;

struct Streamer {
  std::atomic<std::size_t> written{0};
  char chunk[kChunk];
  Streamer() { memset(chunk, 'x', sizeof(chunk)); }
};

void append_chunk(SoupServerMessage *msg, gpointer data) {
  auto *streamer = static_cast<Streamer *>(data);
  SoupMessageBody *body = soup_server_message_get_response_body(msg);
  if (streamer->written.load() >= kHugeBody) {
    soup_message_body_complete(body);
    return;
  }
  streamer->written += kChunk;
  soup_message_body_append(body, SOUP_MEMORY_STATIC, streamer->chunk, kChunk);
}

// A 201 whose body is 64 MiB: the client keeps the status and the Location,
// reads at most kMaxResponseBody of the body, drops the connection, and goes
// on with the session; the process's memory does not grow by the body.
GST_START_TEST(test_huge_body_bounded) {
  Streamer streamer;
  LocalServer endpoint([&streamer](SoupServerMessage *msg, const char *path) {
    if (!g_str_has_suffix(path, "/sessions")) {
      answer(msg, SOUP_STATUS_NO_CONTENT);
      return;
    }
    answer(msg, SOUP_STATUS_CREATED, kSessionPath);
    soup_message_headers_set_encoding(soup_server_message_get_response_headers(msg),
                                      SOUP_ENCODING_CHUNKED);
    // Written chunks are not kept: the server's memory stays flat.
    soup_message_body_set_accumulate(soup_server_message_get_response_body(msg), FALSE);
    g_signal_connect(msg, "wrote-chunk", G_CALLBACK(append_chunk), &streamer);
    append_chunk(msg, &streamer);
  });
  Seen seen;
  SessionClient client(options_for(endpoint.url(), &seen));
  const int64_t peak_before = peak_rss_bytes();
  const SessionClientStats stats = run_session(client);
  const int64_t grown = peak_rss_bytes() - peak_before;
  fail_unless_equals_uint64(stats.sessions_started, 1);
  fail_unless_equals_uint64(stats.sent, 4);
  fail_unless_equals_uint64(stats.dropped, 0);
  fail_unless_equals_int(endpoint.requests(), 4);
  {
    std::lock_guard<std::mutex> g(seen.lock);
    fail_unless(!seen.reports.empty() &&
                seen.reports[0].type == EventType::kSessionStart);
    fail_unless_equals_uint64(seen.reports[0].body.size(),
                              SenderWorker::kMaxResponseBody);
    fail_unless(seen.reports[0].session_id == "s1", "session \"%s\"",
                seen.reports[0].session_id.c_str());
  }
  fail_unless(streamer.written.load() < kHugeBody,
              "the server wrote the whole body: the client read it all");
  fail_unless(grown < static_cast<int64_t>(kHugeBody / 4),
              "the peak RSS grew by %" G_GINT64_FORMAT " bytes", grown);
  std::printf(
      "huge body: server wrote %zu of %zu bytes; peak RSS grew by %" G_GINT64_FORMAT
      " bytes\n",
      streamer.written.load(), kHugeBody, grown);
}
GST_END_TEST;

// What a hostile server writes reaches the application's warnings and bus
// messages without control characters: a terminal escape in a 400's body
// and in a Location that is refused.
GST_START_TEST(test_server_text_cleaned) {
  const std::string escape = "\x1b]0;owned\x07\x1b[2J";
  LocalServer endpoint([&escape](SoupServerMessage *msg, const char *path) {
    if (g_str_has_suffix(path, "/sessions")) {
      answer(msg, SOUP_STATUS_CREATED, ("/api/v1/sessions/" + escape).c_str());
      return;
    }
    answer(msg, SOUP_STATUS_BAD_REQUEST);
  });
  LocalServer rejecting([&escape](SoupServerMessage *msg, const char *path) {
    if (g_str_has_suffix(path, "/sessions")) {
      answer(msg, SOUP_STATUS_CREATED, kSessionPath);
      return;
    }
    answer(msg, SOUP_STATUS_BAD_REQUEST);
    const std::string body = "bad " + escape + "\nparams";
    soup_server_message_set_response(msg, "text/plain", SOUP_MEMORY_COPY, body.data(),
                                     body.size());
  });
  Seen seen;
  {
    SessionClient client(options_for(endpoint.url(), &seen));
    run_session(client);
  }
  {
    SessionClient client(options_for(rejecting.url(), &seen));
    run_session(client);
  }
  std::lock_guard<std::mutex> g(seen.lock);
  bool rejected_body = false;
  for (const ClientWarning &w : seen.warnings) {
    fail_unless(w.message.find('\x1b') == std::string::npos &&
                    w.message.find('\x07') == std::string::npos,
                "a warning carries the server's control characters: %s",
                w.message.c_str());
    rejected_body |= w.message.find("bad ]0;owned[2J params") != std::string::npos;
  }
  fail_unless(rejected_body, "no warning quotes the 400's cleaned body");
  for (const RequestReport &r : seen.reports)
    fail_unless(r.body.find('\x1b') == std::string::npos, "a report's body: %s",
                r.body.c_str());
}
GST_END_TEST;

static Suite *transport_suite(void) {
  Suite *s = suite_create("transport");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, test_redirected_events_not_followed);
  tcase_add_test(tc, test_redirected_start_not_followed);
  tcase_add_test(tc, test_huge_body_bounded);
  tcase_add_test(tc, test_server_text_cleaned);
  return s;
}

GST_CHECK_MAIN(transport);
