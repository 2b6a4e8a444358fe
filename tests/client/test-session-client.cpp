// SessionClient and Sender (gst/client) against the real collector process:
// every test asserts on the collector's record, not on what the client
// believes it sent.

#include <glib.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "collector-process.h"
#include "event-clock.h"
#include "event.h"
#include "sender.h"
#include "session-client-fixture.h"
#include "session-client.h"

using namespace client_test;
using namespace collector_test;
using mediaanalytics::DropReason;
using mediaanalytics::Sender;
using mediaanalytics::SessionClient;

namespace {

// Holds the process's sender thread in a callback until opened, so that
// what is submitted meanwhile waits in the client's intake, deterministically.
class WorkerGate {
 public:
  WorkerGate() : sender_(Sender::acquire()), state_(std::make_shared<State>()) {
    // The callback shares the state: once opened, it may still be leaving
    // its wait (relocking, then unlocking the mutex) after the gate is gone.
    sender_->invoke([state = state_]() {
      std::unique_lock<std::mutex> g(state->lock);
      state->entered = true;
      state->cond.notify_all();
      state->cond.wait(g, [&state]() { return state->open; });
    });
    std::unique_lock<std::mutex> g(state_->lock);
    state_->cond.wait(g, [this]() { return state_->entered; });
  }
  ~WorkerGate() { open(); }

  void open() {
    std::lock_guard<std::mutex> g(state_->lock);
    state_->open = true;
    state_->cond.notify_all();
  }

 private:
  struct State {
    std::mutex lock;
    std::condition_variable cond;
    bool entered = false;
    bool open = false;
  };
  std::shared_ptr<Sender> sender_;
  std::shared_ptr<State> state_;
};

// The usual session: sessionStart, play at playhead 1, then `pings` pings at
// playheads 2, 3, ...
void submit_session(SessionClient &client, EventClock &clock, int pings) {
  client.submit(start_event(clock));
  client.submit(event_at(clock, EventType::kPlay, 1));
  for (int i = 2; i < 2 + pings; i++)
    client.submit(event_at(clock, EventType::kPing, i));
}

JsonObject *body_of(const Line &line) {
  if (!json_object_has_member(line.object(), "body"))
    return nullptr;
  JsonNode *body = json_object_get_member(line.object(), "body");
  return JSON_NODE_HOLDS_OBJECT(body) ? json_node_get_object(body) : nullptr;
}

double playhead_of(const Line &line) {
  JsonObject *body = body_of(line);
  fail_unless(body != nullptr, "a request without a JSON body");
  JsonObject *pt = json_object_get_object_member(body, "playerTime");
  return json_object_get_double_member(pt, "playhead");
}

int64_t ts_of(const Line &line) {
  JsonObject *body = body_of(line);
  fail_unless(body != nullptr, "a request without a JSON body");
  JsonObject *pt = json_object_get_object_member(body, "playerTime");
  return json_object_get_int_member(pt, "ts");
}

bool resume_of(const Line &line) {
  JsonObject *body = body_of(line);
  if (!body || !json_object_has_member(body, "params"))
    return false;
  JsonObject *params = json_object_get_object_member(body, "params");
  return json_object_has_member(params, "media.resume") &&
         json_object_get_boolean_member(params, "media.resume");
}

// The state names of a statesUpdate's params.statesStart (or statesEnd),
// joined with spaces.
std::string states_of(const Line &line, const char *key) {
  JsonObject *body = body_of(line);
  if (!body || !json_object_has_member(body, "params"))
    return "";
  JsonObject *params = json_object_get_object_member(body, "params");
  if (!json_object_has_member(params, key))
    return "";
  std::string names;
  JsonArray *states = json_object_get_array_member(params, key);
  for (guint i = 0; i < json_array_get_length(states); i++) {
    JsonObject *state = json_array_get_object_element(states, i);
    names += (names.empty() ? "" : " ") +
             std::string(json_object_get_string_member(state, "media.state.name"));
  }
  return names;
}

// A port nothing listens on: bound to learn it, then closed.
guint16 unused_port() {
  g_autoptr(GSocket) socket = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                           G_SOCKET_PROTOCOL_TCP, nullptr);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new(loopback, 0);
  fail_unless(g_socket_bind(socket, any, TRUE, nullptr));
  g_autoptr(GSocketAddress) bound = g_socket_get_local_address(socket, nullptr);
  guint16 port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
  g_socket_close(socket, nullptr);
  return port;
}

int thread_count() {
  g_autofree char *status = nullptr;
  if (!g_file_get_contents("/proc/self/status", &status, nullptr, nullptr))
    return -1;
  const char *p = strstr(status, "Threads:");
  return p ? atoi(p + 8) : -1;
}

// The sender threads of the process (named "mediaanalytics").
int sender_threads() {
  g_autoptr(GDir) dir = g_dir_open("/proc/self/task", 0, nullptr);
  if (!dir)
    return -1;
  int n = 0;
  while (const char *task = g_dir_read_name(dir)) {
    g_autofree char *path = g_strdup_printf("/proc/self/task/%s/comm", task);
    g_autofree char *comm = nullptr;
    if (g_file_get_contents(path, &comm, nullptr, nullptr) &&
        g_str_has_prefix(comm, "mediaanalytics"))
      n++;
  }
  return n;
}

// Waits up to `timeout_ms` for the process to have no sender thread.
bool wait_no_sender_thread(int timeout_ms) {
  for (int waited = 0; sender_threads() != 0; waited += 10) {
    if (waited >= timeout_ms)
      return false;
    sleep_ms(10);
  }
  return true;
}

// A sessionStart the schema rejects (400): media.channel is required.
Event invalid_start_event(EventClock &clock) {
  Event e = start_event(clock);
  Event bad;
  bad.type = e.type;
  bad.ts_ms = e.ts_ms;
  bad.playhead = e.playhead;
  bad.params.set("analytics.trackingServer", "example.sc.omtrdc.net")
      .set("analytics.reportSuite", "example-rsid")
      .set("visitor.marketingCloudOrgId", "0123456789ABCDEF@AdobeOrg")
      .set("media.id", "content-bad")
      .set("media.length", 600.0)
      .set("media.contentType", "VOD")
      .set("media.playerName", "test-player");
  return bad;
}

// The collector option that expires every session 0.5 s (scaled) after it
// opened: what a test sends first, at its own pace, must be answered before.
std::string expire_after_option() {
  return "--expire-after=" + seconds_of(scaled_ms(500));
}

// Runs an empty call on the sender thread and waits for it: what the worker
// had to do before (e.g. post the next request after a report) is done.
void sync_worker() {
  std::shared_ptr<Sender> sender = Sender::acquire();
  std::mutex lock;
  std::condition_variable cond;
  bool ran = false;
  sender->invoke([&]() {
    std::lock_guard<std::mutex> g(lock);
    ran = true;
    cond.notify_all();
  });
  std::unique_lock<std::mutex> g(lock);
  cond.wait(g, [&]() { return ran; });
}

// What the collector's sockets (local port `port`) received, by the kernel's
// count, and whether the collector has read all of it: from ss(8). nullopt
// when ss is not available.
struct Received {
  uint64_t bytes = 0;
  bool all_read = true;
};
std::optional<Received> collector_received(guint16 port) {
  g_autofree char *ss = g_find_program_in_path("ss");
  if (!ss)
    return std::nullopt;
  std::string filter = "( sport = :" + std::to_string(port) + " )";
  const char *argv[] = {ss, "-tinH", "state", "established", filter.c_str(), nullptr};
  g_autofree char *out = nullptr;
  gint status = 0;
  if (!g_spawn_sync(nullptr, const_cast<char **>(argv), nullptr,
                    G_SPAWN_STDERR_TO_DEV_NULL, nullptr, nullptr, &out, nullptr, &status,
                    nullptr) ||
      !g_spawn_check_wait_status(status, nullptr))
    return std::nullopt;
  Received r;
  g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
  for (char **l = lines; *l; l++) {
    const char *line = *l;
    while (*line == ' ' || *line == '\t')
      line++;
    if (g_ascii_isdigit(*line)) {
      r.all_read = r.all_read && g_ascii_strtoull(line, nullptr, 10) == 0;  // Recv-Q
    } else if (const char *b = strstr(line, "bytes_received:")) {
      r.bytes += g_ascii_strtoull(b + strlen("bytes_received:"), nullptr, 10);
    }
  }
  return r;
}

}  // namespace

// ---------------------------------------------------------------------------

// The environment's http_proxy is used (this forked test starts the sending
// thread, which reads it): an endpoint whose host does not even resolve is
// reached through the collector acting as the proxy.
GST_START_TEST(test_environment_proxy) {
  Collector c;
  g_setenv("http_proxy", c.url().c_str(), TRUE);
  Seen seen;
  EventClock clock;
  {
    SessionClient client(options_for("http://analytics.invalid", &seen));
    client.submit(start_event(clock));
    client.submit(event_at(clock, EventType::kPlay, 1));
    fail_unless(client.finish(5000), "not delivered through the proxy");
  }
  g_unsetenv("http_proxy");
  fail_unless(c.stop() == 0);
  Lines req = requests_of(c.record());
  fail_unless_equals_int(req.size(), 2);
  fail_unless(req[0].event_type() == "sessionStart" && req[0].num("status") == 201);
  fail_unless(req[1].event_type() == "play" && req[1].num("status") == 204);
}
GST_END_TEST;

// no_proxy names the hosts reached directly, as a comma separated list with
// spaces (an empty entry must not end it): the collector is reached although
// http_proxy points at a port where nothing listens.
GST_START_TEST(test_environment_no_proxy) {
  Collector c;
  g_setenv("http_proxy", "http://127.0.0.1:9", TRUE);
  g_setenv("no_proxy", "example.com, ,localhost", TRUE);
  Seen seen;
  EventClock clock;
  {
    const std::string by_name = "http://localhost:" + std::to_string(c.port());
    SessionClient client(options_for(by_name, &seen));
    client.submit(start_event(clock));
    fail_unless(client.finish(5000), "not delivered directly");
  }
  g_unsetenv("http_proxy");
  g_unsetenv("no_proxy");
  fail_unless(c.stop() == 0);
  Lines req = requests_of(c.record());
  fail_unless_equals_int(req.size(), 1);
  fail_unless(req[0].num("status") == 201);
}
GST_END_TEST;

// The events submitted while the sessionStart waits for its 201 are queued,
// then sent in order, and the ones submitted after it (live) follow them.
GST_START_TEST(test_queue_until_session) {
  // The hold, the time the test submits for, and the pace it submits at
  // scale together: as many events are queued, then live, at any speed of
  // the test process (the sessionStart goes out at its pace).
  const int64_t delay_ms = scaled_ms(500);
  Collector c({"--delay-sessions=" + std::to_string(delay_ms)});
  Seen seen;
  EventClock clock;
  SessionClientOptions o = options_for(c.url(), &seen);
  o.request_timeout_ms = scaled_ms(o.request_timeout_ms);  // outlasts the hold
  SessionClient client(o);
  client.submit(start_event(clock));
  // Submitted before the client had the 201 (it may come in while one is
  // submitted: that one counts as queued, conservatively, and its request
  // is after the 201 either way).
  int queued = -1;
  std::vector<int64_t> submitted_us(1, 0);  // by playhead
  int n = 0;
  for (int64_t until = now_ms() + scaled_ms(1200); now_ms() < until;) {
    bool answered = seen.reports_of(EventType::kSessionStart) > 0;
    if (answered && queued < 0)
      queued = n;
    n++;
    submitted_us.push_back(g_get_real_time());
    client.submit(event_at(clock, n % 2 ? EventType::kPing : EventType::kPlay, n));
    sleep_ms(scaled_ms(20));
  }
  fail_unless(queued >= 5, "only %d events queued before the 201", queued);
  fail_unless(n - queued >= 5, "only %d live events", n - queued);
  fail_unless(client.finish(10000), "not everything was delivered");
  auto stats = client.stats();
  fail_unless(stats.sent == static_cast<uint64_t>(n) + 1 && stats.dropped == 0,
              "sent %" G_GUINT64_FORMAT " of %d", stats.sent, n + 1);
  fail_unless(c.stop() == 0);

  Lines req = requests_of(c.record());
  fail_unless(req.size() == static_cast<size_t>(n) + 1, "expected %d requests, got %zu",
              n + 1, req.size());
  fail_unless(req[0].event_type() == "sessionStart" && req[0].num("status") == 201);
  std::string sid = req[0].str("session");
  int64_t answered_us = req[0].num("time_us") + delay_ms * 1000;
  int64_t last_ts = ts_of(req[0]);
  for (size_t i = 1; i < req.size(); i++) {
    fail_unless(req[i].num("status") == 204, "request %zu: %" G_GINT64_FORMAT, i,
                req[i].num("status"));
    fail_unless(req[i].str("session") == sid, "request %zu on another session", i);
    // Each once, in submission order: the queued ones, then the live ones.
    fail_unless(playhead_of(req[i]) == static_cast<double>(i), "request %zu out of order",
                i);
    fail_unless(req[i].num("time_us") >= answered_us, "request %zu sent before the 201",
                i);
    // A live one goes after it was submitted (nothing sent ahead of time).
    fail_unless(req[i].num("time_us") >= submitted_us[i], "request %zu before its submit",
                i);
    fail_unless(ts_of(req[i]) > last_ts, "ts not increasing at %zu", i);
    last_ts = ts_of(req[i]);
  }
}
GST_END_TEST;

GST_START_TEST(test_bad_location_retried) {
  for (const char *mode : {"missing", "malformed"}) {
    Collector c({std::string("--location=") + mode + ":1"});
    Seen seen;
    EventClock clock;
    SessionClient client(options_for(c.url(), &seen));
    submit_session(client, clock, 1);
    fail_unless(client.finish(10000), "%s: not delivered", mode);
    fail_unless(seen.warnings_of(WarningKind::kBadLocation) == 1, "%s: no warning", mode);
    fail_unless(client.stats().sessions_started == 1);
    fail_unless(c.stop() == 0);
    Lines req = requests_of(c.record());
    fail_unless(req.size() == 4, "%s: %zu requests", mode, req.size());
    fail_unless(req[0].event_type() == "sessionStart" &&
                req[0].str("fault") == std::string("location-") + mode);
    fail_unless(req[1].event_type() == "sessionStart" && req[1].num("status") == 201);
    std::string sid = req[1].str("session");
    fail_unless(!sid.empty());
    for (size_t i = 2; i < 4; i++) {
      fail_unless(req[i].str("session") == sid && req[i].num("status") == 204);
      fail_unless(playhead_of(req[i]) == static_cast<double>(i - 1));
    }
  }
}
GST_END_TEST;

// Every 201 without a usable Location: a bounded number of attempts (each
// may have opened a session server-side), one warning each, then the session
// is given up until the next sessionStart.
GST_START_TEST(test_bad_location_given_up) {
  Collector c({"--location=missing"});
  Seen seen;
  EventClock clock;
  SessionClient client(options_for(c.url(), &seen));
  submit_session(client, clock, 2);
  client.finish(10000);
  auto stats = client.stats();
  fail_unless(stats.queued == 0 && stats.sent == 0 && stats.sessions_started == 0);
  fail_unless(stats.dropped == 4 &&
                  stats.dropped_by[static_cast<int>(DropReason::kNoSession)] == 4,
              "dropped %" G_GUINT64_FORMAT, stats.dropped);
  fail_unless(stats.retried == 2, "retried %" G_GUINT64_FORMAT, stats.retried);
  fail_unless(seen.warnings_of(WarningKind::kBadLocation) == 1,
              "%zu bad-location warnings", seen.warnings_of(WarningKind::kBadLocation));
  fail_unless(seen.warnings_of(WarningKind::kNoSession) == 1, "%zu no-session warnings",
              seen.warnings_of(WarningKind::kNoSession));
  {
    std::lock_guard<std::mutex> g(seen.lock);
    fail_unless(seen.warnings.size() == 2, "%zu warnings", seen.warnings.size());
  }
  // Give it time to go on, which it must not (at its own pace: scaled).
  sleep_ms(scaled_ms(300));
  fail_unless(c.stop() == 0);
  Lines req = requests_of(c.record());
  fail_unless(req.size() == 3, "%zu requests", req.size());
  for (const auto &l : req)
    fail_unless(l.event_type() == "sessionStart" && l.num("status") == 201 &&
                l.str("fault") == "location-missing");
  // With the backoff (50 ms, jitter 0.5): 37 ms, then 75 ms.
  fail_unless(req[1].num("time_us") - req[0].num("time_us") >= 30000 &&
              req[2].num("time_us") - req[1].num("time_us") >= 70000);

  // A later sessionStart tries again (and gives up again).
  Collector c2({"--location=missing"});
  Seen seen2;
  SessionClient again(options_for(c2.url(), &seen2));
  again.submit(start_event(clock));
  again.submit(event_at(clock, EventType::kPlay, 1));
  again.submit(start_event(clock));
  again.submit(event_at(clock, EventType::kPlay, 2));
  again.finish(10000);
  fail_unless(again.stats().dropped_by[static_cast<int>(DropReason::kNoSession)] == 4);
  fail_unless(seen2.warnings_of(WarningKind::kBadLocation) == 2);
  fail_unless(seen2.warnings_of(WarningKind::kNoSession) == 2);
  fail_unless(c2.stop() == 0);
  fail_unless(requests_of(c2.record()).size() == 6);
}
GST_END_TEST;

// A sessionStart the server rejects: no session until the next sessionStart,
// which opens one normally. One no-session warning per sessionStart.
GST_START_TEST(test_rejected_start) {
  Collector c;
  Seen seen;
  EventClock clock;
  SessionClient client(options_for(c.url(), &seen));
  client.submit(invalid_start_event(clock));
  client.submit(event_at(clock, EventType::kPlay, 1));
  client.submit(event_at(clock, EventType::kPing, 2));
  client.submit(start_event(clock));
  client.submit(event_at(clock, EventType::kPlay, 3));
  client.submit(event_at(clock, EventType::kPing, 4));
  client.submit(invalid_start_event(clock));
  client.submit(event_at(clock, EventType::kPing, 5));
  fail_unless(client.finish(10000));
  auto stats = client.stats();
  fail_unless(stats.sent == 3 && stats.sessions_started == 1, "sent %" G_GUINT64_FORMAT,
              stats.sent);
  fail_unless(stats.dropped_by[static_cast<int>(DropReason::kRejected)] == 2 &&
                  stats.dropped_by[static_cast<int>(DropReason::kNoSession)] == 3 &&
                  stats.dropped == 5,
              "dropped %" G_GUINT64_FORMAT, stats.dropped);
  fail_unless(seen.warnings_of(WarningKind::kRejected) == 2);
  fail_unless(seen.warnings_of(WarningKind::kNoSession) == 2, "%zu no-session warnings",
              seen.warnings_of(WarningKind::kNoSession));
  {
    std::lock_guard<std::mutex> g(seen.lock);
    bool found = false;
    for (const auto &r : seen.reports)
      if (r.type == EventType::kSessionStart && r.http_status == 400) {
        fail_unless(r.session_id.empty());
        fail_unless(r.body.find("media.channel") != std::string::npos, "400 body: %s",
                    r.body.c_str());
        found = true;
      }
    fail_unless(found, "no report of the 400");
  }
  fail_unless(c.stop() == 0);
  Lines req = requests_of(c.record());
  fail_unless(req.size() == 5, "%zu requests", req.size());
  fail_unless(req[0].event_type() == "sessionStart" && req[0].num("status") == 400);
  fail_unless(req[1].event_type() == "sessionStart" && req[1].num("status") == 201);
  std::string sid = req[1].str("session");
  fail_unless(!sid.empty());
  for (size_t i = 2; i < 4; i++) {
    fail_unless(req[i].str("session") == sid && req[i].num("status") == 204);
    fail_unless(playhead_of(req[i]) == static_cast<double>(i + 1));
  }
  fail_unless(req[4].event_type() == "sessionStart" && req[4].num("status") == 400);
}
GST_END_TEST;

GST_START_TEST(test_rejected_event_dropped) {
  Collector c;
  Seen seen;
  EventClock clock;
  SessionClient client(options_for(c.url(), &seen));
  client.submit(start_event(clock));
  client.submit(event_at(clock, EventType::kPlay, 1));
  // adBreakStart without its required params: the schema rejects it.
  client.submit(event_at(clock, EventType::kAdBreakStart, 2));
  client.submit(event_at(clock, EventType::kPing, 3));
  client.submit(event_at(clock, EventType::kPing, 4));
  client.finish(10000);
  auto stats = client.stats();
  fail_unless(stats.dropped_by[static_cast<int>(DropReason::kRejected)] == 1);
  fail_unless(stats.sent == 4);
  {
    std::lock_guard<std::mutex> g(seen.lock);
    bool found = false;
    for (const auto &r : seen.reports)
      if (r.type == EventType::kAdBreakStart) {
        fail_unless(r.http_status == 400, "adBreakStart: %u", r.http_status);
        fail_unless(r.body.find("params") != std::string::npos, "400 body: %s",
                    r.body.c_str());
        found = true;
      }
    fail_unless(found, "no report of the 400");
  }
  fail_unless(c.stop() == 0);
  Lines req = requests_of(c.record());
  fail_unless(req.size() == 5, "%zu requests", req.size());
  int breaks = 0;
  for (size_t i = 1; i < req.size(); i++) {
    fail_unless(playhead_of(req[i]) == static_cast<double>(i));
    if (req[i].event_type() == "adBreakStart") {
      breaks++;
      fail_unless(req[i].num("status") == 400);
    } else {
      fail_unless(req[i].num("status") == 204);
    }
  }
  fail_unless(breaks == 1);
}
GST_END_TEST;

GST_START_TEST(test_expired_session_resumed) {
  Collector c({expire_after_option()});
  Seen seen;
  EventClock clock;
  SessionClient client(options_for(c.url(), &seen));
  client.submit(start_event(clock));
  client.submit(event_at(clock, EventType::kPlay, 1));
  // The session expires 0.5 s (scaled) after it opened: wait for the collector to
  // record it closed (start, play, then the session-closed line).
  fail_unless(seen.wait_report(EventType::kPlay), "play was not answered");
  fail_unless(c.wait_for_lines(3, static_cast<int>(scaled_ms(10000))),
              "the session did not expire");
  {
    Lines lines = c.record();
    fail_unless(lines.size() == 3 && lines[2].is_closed() &&
                    lines[2].str("reason") == "expired-forced",
                "%zu lines", lines.size());
  }
  client.submit(event_at(clock, EventType::kPing, 2));
  client.submit(event_at(clock, EventType::kPing, 3));
  fail_unless(client.finish(10000), "not delivered");
  fail_unless(client.stats().sessions_started == 2);
  fail_unless(c.stop() == 0);
  Lines req = requests_of(c.record());
  // start, play, ping(2) 410, resume start, play again (the session was
  // playing: spec §4.3 "continue, e.g. with play"), ping(2), ping(3)
  fail_unless(req.size() == 7, "%zu requests", req.size());
  std::string sid1 = req[0].str("session");
  fail_unless(req[2].num("status") == 410 && playhead_of(req[2]) == 2.0);
  fail_unless(req[3].event_type() == "sessionStart" && req[3].num("status") == 201);
  fail_unless(resume_of(req[3]), "the second sessionStart is no resume");
  fail_unless(!resume_of(req[0]));
  fail_unless(playhead_of(req[3]) == 2.0, "resume playhead %f", playhead_of(req[3]));
  // Stamped just before the event it resumes for, the state in between.
  fail_unless(ts_of(req[3]) == ts_of(req[2]) - 2, "resume ts %" G_GINT64_FORMAT,
              ts_of(req[3]));
  fail_unless(req[4].event_type() == "play" && req[4].num("status") == 204,
              "the playing state was not re-sent: %s", req[4].event_type().c_str());
  fail_unless(ts_of(req[4]) == ts_of(req[2]) - 1 && playhead_of(req[4]) == 2.0,
              "re-sent play at ts %" G_GINT64_FORMAT ", playhead %f", ts_of(req[4]),
              playhead_of(req[4]));
  std::string sid2 = req[3].str("session");
  fail_unless(sid2 != sid1 && !sid2.empty());
  for (size_t i = 4; i < 7; i++)
    fail_unless(req[i].str("session") == sid2 && req[i].num("status") == 204);
  for (size_t i = 5; i < 7; i++)
    fail_unless(playhead_of(req[i]) == static_cast<double>(i - 3));
  // The re-sent play is the client's own: not counted as sent.
  fail_unless(client.stats().sent == 4, "sent %" G_GUINT64_FORMAT, client.stats().sent);
  // The new session is clean in the collector's eyes: its start first, ts
  // increasing after it.
  for (size_t i = 3; i < 7; i++)
    fail_unless(req[i].findings().empty(), "request %zu: findings %s", i,
                req[i].findings().c_str());
}
GST_END_TEST;

// Player states do not carry over to a new session (spec §4.3 step 3,
// §11): the session the client reopens gets the states still active,
// before the playback state and the event.
GST_START_TEST(test_resumed_session_gets_active_states) {
  Collector c({expire_after_option()});
  Seen seen;
  EventClock clock;
  SessionClient client(options_for(c.url(), &seen));
  client.submit(start_event(clock));
  client.submit(event_at(clock, EventType::kPlay, 1));
  Event states = event_at(clock, EventType::kStatesUpdate, 1);
  states.states_start = {"fullScreen", "mute"};
  client.submit(states);
  Event unmute = event_at(clock, EventType::kStatesUpdate, 1);
  unmute.states_end = {"mute"};
  client.submit(unmute);
  fail_unless(seen.wait_report(EventType::kStatesUpdate), "states were not answered");
  fail_unless(c.wait_for_lines(5, static_cast<int>(scaled_ms(10000))),
              "the session did not expire");
  client.submit(event_at(clock, EventType::kPing, 2));
  fail_unless(client.finish(10000), "not delivered");
  fail_unless(c.stop() == 0);
  Lines req = requests_of(c.record());
  // start, play, states, states, ping 410; resume start, states, play, ping
  fail_unless(req.size() == 9, "%zu requests", req.size());
  fail_unless(req[4].num("status") == 410);
  fail_unless(req[5].event_type() == "sessionStart" && resume_of(req[5]));
  fail_unless(req[6].event_type() == "statesUpdate" && req[6].num("status") == 204,
              "the active states were not re-sent: %s", req[6].event_type().c_str());
  fail_unless(states_of(req[6], "statesStart") == "fullScreen", "re-sent states \"%s\"",
              states_of(req[6], "statesStart").c_str());
  fail_unless(states_of(req[6], "statesEnd").empty());
  fail_unless(req[7].event_type() == "play" && req[8].event_type() == "ping");
  for (size_t i = 5; i < 9; i++) {
    fail_unless(req[i].str("session") == req[5].str("session"));
    fail_unless(req[i].findings().empty(), "request %zu: findings %s", i,
                req[i].findings().c_str());
    if (i > 5)
      fail_unless(ts_of(req[i]) == ts_of(req[i - 1]) + 1, "request %zu: ts", i);
  }
  // Only the ping was submitted after the expiry: the rest is the client's.
  fail_unless(client.stats().sent == 5, "sent %" G_GUINT64_FORMAT, client.stats().sent);
}
GST_END_TEST;

GST_START_TEST(test_persistent_404_bounded) {
  Collector c({"--fail-next=404:50", "--fail-scope=events"});
  Seen seen;
  EventClock clock;
  SessionClient client(options_for(c.url(), &seen));
  submit_session(client, clock, 0);
  client.finish(10000);
  auto stats = client.stats();
  fail_unless(stats.queued == 0);
  fail_unless(stats.dropped == 1 &&
                  stats.dropped_by[static_cast<int>(DropReason::kRejected)] == 1,
              "dropped %" G_GUINT64_FORMAT, stats.dropped);
  fail_unless(stats.sent == 1, "sent %" G_GUINT64_FORMAT, stats.sent);
  fail_unless(stats.sessions_started == 4, "%" G_GUINT64_FORMAT " sessions",
              stats.sessions_started);
  fail_unless(seen.warnings_of(WarningKind::kRejected) == 1);
  fail_unless(c.stop() == 0);
  Lines req = requests_of(c.record());
  // start, then 3 times: play 404, resume start; then play 404 and no more.
  fail_unless(req.size() == 8, "%zu requests", req.size());
  for (size_t i = 0; i < req.size(); i += 2) {
    fail_unless(req[i].event_type() == "sessionStart" && req[i].num("status") == 201);
    fail_unless(resume_of(req[i]) == (i > 0), "request %zu: resume flag", i);
    fail_unless(req[i + 1].event_type() == "play" && req[i + 1].num("status") == 404);
  }
  // The first resume goes at once, the next ones after the backoff (with the
  // jitter of 0.5: 37 ms, then 75 ms).
  int64_t gap2 = req[4].num("time_us") - req[3].num("time_us");
  int64_t gap3 = req[6].num("time_us") - req[5].num("time_us");
  fail_unless(gap2 >= 30000 && gap3 >= 70000,
              "resumes %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT " us apart", gap2,
              gap3);
}
GST_END_TEST;

GST_START_TEST(test_server_error_retried) {
  Collector c({"--fail-next=500:2", "--fail-scope=events"});
  EventClock clock;
  SessionClient client(options_for(c.url(), nullptr));
  submit_session(client, clock, 1);
  fail_unless(client.finish(10000), "not delivered");
  fail_unless(client.stats().retried == 2, "retried %" G_GUINT64_FORMAT,
              client.stats().retried);
  fail_unless(c.stop() == 0);
  Lines req = requests_of(c.record());
  fail_unless(req.size() == 5, "%zu requests", req.size());
  fail_unless(req[1].num("status") == 500 && req[2].num("status") == 500 &&
              req[3].num("status") == 204);
  for (size_t i = 1; i < 4; i++)
    fail_unless(playhead_of(req[i]) == 1.0);
  fail_unless(playhead_of(req[4]) == 2.0 && req[4].num("status") == 204);
}
GST_END_TEST;

GST_START_TEST(test_connection_refused) {
  Collector c({"--refuse=1:1000"});
  Seen seen;
  EventClock clock;
  SessionClient client(options_for(c.url(), &seen));
  submit_session(client, clock, 1);
  fail_unless(client.finish(10000), "not delivered");
  fail_unless(seen.warnings_of(WarningKind::kUnreachable) == 1, "no unreachable warning");
  fail_unless(client.stats().retried >= 3);
  fail_unless(c.stop() == 0);
  Lines req = requests_of(c.record());
  std::vector<double> delivered;
  for (const auto &l : req)
    if (l.event_type() != "sessionStart" && l.num("status") == 204)
      delivered.push_back(playhead_of(l));
  fail_unless(delivered == std::vector<double>({1.0, 2.0}), "%zu delivered",
              delivered.size());

  // Nobody listening at all: warnings, and finish() gives up at its deadline.
  std::string url = "http://127.0.0.1:" + std::to_string(unused_port());
  Seen seen2;
  SessionClient lost(options_for(url, &seen2));
  lost.submit(start_event(clock));
  for (int i = 0; i < 100 && seen2.warnings_of(WarningKind::kUnreachable) == 0; i++)
    sleep_ms(20);
  fail_unless(seen2.warnings_of(WarningKind::kUnreachable) == 1);
  fail_unless(!lost.finish(100));
  fail_unless(lost.stats().dropped == 1);
}
GST_END_TEST;

GST_START_TEST(test_flush_at_finish) {
  // finish() must have the sessionStart answered within its deadline, at the
  // test's own pace; the hold and the request timeout stay far beyond it.
  const int64_t deadline_ms = scaled_ms(500);
  Collector c({"--delay-events=" + std::to_string(scaled_ms(100000))});
  EventClock clock;
  SessionClientOptions o = options_for(c.url(), nullptr);
  o.request_timeout_ms = scaled_ms(o.request_timeout_ms);
  SessionClient client(o);
  client.submit(start_event(clock));
  for (int i = 1; i <= 5; i++)
    client.submit(event_at(clock, EventType::kPing, i));
  int64_t t = now_ms();
  fail_unless(!client.finish(deadline_ms), "finish says all was delivered");
  int64_t took = now_ms() - t;
  // Its deadline, not the collector's 100 s.
  // (The wait is on the monotonic clock: never shorter. The upper bound
  // leaves room for a loaded machine, far below the collector's 100 s.)
  fail_unless(took >= deadline_ms - 10 && took < scaled_ms(5000),
              "finish took %" G_GINT64_FORMAT " ms", took);
  auto stats = client.stats();
  fail_unless(stats.sent == 1 && stats.dropped == 5 &&
                  stats.dropped_by[static_cast<int>(DropReason::kFlush)] == 5,
              "sent %" G_GUINT64_FORMAT " dropped %" G_GUINT64_FORMAT, stats.sent,
              stats.dropped);
  fail_unless(stats.queued == 0);
  fail_unless(c.stop() == 0);
  Lines req = requests_of(c.record());
  fail_unless(req[0].num("status") == 201);
  for (size_t i = 1; i < req.size(); i++)
    fail_unless(req[i].num("status") == 0, "an event was answered");
  fail_unless(req.size() <= 2, "%zu requests", req.size());
}
GST_END_TEST;

GST_START_TEST(test_many_clients_one_thread) {
  Collector c;
  const int kClients = 200;
  int before = thread_count();
  EventClock clocks[kClients];
  std::vector<std::unique_ptr<SessionClient>> clients;
  int most = before;
  for (int i = 0; i < kClients; i++) {
    clients.emplace_back(new SessionClient(options_for(c.url(), nullptr)));
    clients.back()->submit(start_event(clocks[i], "content-" + std::to_string(i)));
  }
  for (int k = 1; k <= 5; k++) {
    for (int i = 0; i < kClients; i++)
      clients[i]->submit(event_at(clocks[i], EventType::kPing, k));
    most = std::max(most, thread_count());
  }
  for (auto &client : clients) {
    fail_unless(client->finish(20000), "a client did not deliver");
    most = std::max(most, thread_count());
  }
  fail_unless(most - before <= 3, "threads grew from %d to %d", before, most);
  clients.clear();
  fail_unless(c.stop() == 0);
  Lines req = requests_of(c.record());
  fail_unless(req.size() == 6 * kClients, "%zu requests", req.size());
  std::map<std::string, std::vector<double>> by_session;
  for (const auto &l : req) {
    fail_unless(l.num("status") == (l.event_type() == "sessionStart" ? 201 : 204));
    by_session[l.str("session")].push_back(
        l.event_type() == "sessionStart" ? -1.0 : playhead_of(l));
  }
  fail_unless(by_session.size() == kClients);
  for (const auto &s : by_session)
    fail_unless(s.second == std::vector<double>({-1, 1, 2, 3, 4, 5}),
                "session %s out of order", s.first.c_str());
}
GST_END_TEST;

GST_START_TEST(test_connection_reuse) {
  Collector c;
  EventClock clock;
  SessionClient client(options_for(c.url(), nullptr));
  client.submit(start_event(clock));
  for (int i = 1; i <= 500; i++)
    client.submit(event_at(clock, EventType::kPing, i));
  fail_unless(client.finish(30000), "not delivered");
  fail_unless(c.stop() == 0);
  Lines req = requests_of(c.record());
  fail_unless(req.size() == 501, "%zu requests", req.size());
  std::set<std::string> peers;
  for (size_t i = 1; i < req.size(); i++) {
    fail_unless(req[i].num("status") == 204);
    fail_unless(playhead_of(req[i]) == static_cast<double>(i));
    peers.insert(req[i].str("peer"));
  }
  fail_unless(peers.size() == 1, "the events came over %zu connections", peers.size());
}
GST_END_TEST;

GST_START_TEST(test_backoff_bounds) {
  mediaanalytics::Backoff low(200, 10000, []() { return 0.0; });
  mediaanalytics::Backoff high(200, 10000, []() { return 0.999999; });
  fail_unless(low.nominal_ms(1) == 200 && low.nominal_ms(2) == 400 &&
              low.nominal_ms(6) == 6400 && low.nominal_ms(7) == 10000 &&
              low.nominal_ms(1000) == 10000);
  for (unsigned a = 1; a < 40; a++) {
    fail_unless(low.delay_ms(a) == low.nominal_ms(a) / 2);
    fail_unless(high.delay_ms(a) < high.nominal_ms(a) &&
                high.delay_ms(a) >= low.delay_ms(a));
  }
}
GST_END_TEST;

GST_START_TEST(test_overflow_drops_pings_first) {
  Collector c;
  Seen seen;
  EventClock clock;
  SessionClientOptions o = options_for(c.url(), &seen);
  o.max_queue = 5;
  SessionClient client(o);
  {
    // All 12 wait in the intake; the worker then takes them in at once.
    WorkerGate gate;
    submit_session(client, clock, 8);
    client.submit(event_at(clock, EventType::kPauseStart, 10));
    client.submit(event_at(clock, EventType::kSessionEnd, 11));
    fail_unless(client.stats().dropped == 0);
  }
  fail_unless(client.finish(10000));
  auto stats = client.stats();
  fail_unless(stats.generated == 12 && stats.sent == 5);
  fail_unless(stats.dropped_by[static_cast<int>(DropReason::kOverflow)] == 7 &&
                  stats.dropped == 7,
              "dropped %" G_GUINT64_FORMAT, stats.dropped);
  fail_unless(seen.warnings_of(WarningKind::kQueueOverflow) == 1);
  fail_unless(c.stop() == 0);
  Lines req = requests_of(c.record());
  fail_unless(req.size() == stats.sent);
  std::vector<std::string> types;
  double last = -1;
  for (const auto &l : req) {
    fail_unless(playhead_of(l) > last || l.event_type() == "sessionStart");
    last = playhead_of(l);
    types.push_back(l.event_type());
  }
  // The newest ping survives: each new event pushed the oldest one out.
  fail_unless(types == std::vector<std::string>(
                           {"sessionStart", "play", "ping", "pauseStart", "sessionEnd"}),
              "a non-ping was dropped");
  fail_unless(playhead_of(req[2]) == 9.0, "ping %f kept", playhead_of(req[2]));
}
GST_END_TEST;

GST_START_TEST(test_intake_bounded) {
  Collector c;
  Seen seen;
  EventClock clock;
  SessionClientOptions o = options_for(c.url(), &seen);
  o.max_queue = 5;
  SessionClient client(o);
  const uint64_t cap = o.max_queue + SessionClient::kIntakeMargin;
  const uint64_t kPings = 200;
  {
    WorkerGate gate;  // the worker is stuck: nothing leaves the intake
    client.submit(start_event(clock));
    client.submit(event_at(clock, EventType::kPlay, 1));
    for (uint64_t i = 0; i < kPings; i++)
      client.submit(event_at(clock, EventType::kPing, 2.0 + static_cast<double>(i)));
    // Over the bound, only pings are dropped.
    client.submit(event_at(clock, EventType::kPauseStart, 300));
    client.submit(event_at(clock, EventType::kSessionEnd, 301));
    auto stats = client.stats();
    fail_unless(
        stats.dropped_by[static_cast<int>(DropReason::kOverflow)] == kPings - (cap - 2),
        "dropped at submit %" G_GUINT64_FORMAT, stats.dropped);
    fail_unless(stats.queued == cap + 2, "queued %" G_GUINT64_FORMAT, stats.queued);
  }
  fail_unless(client.finish(10000));
  auto stats = client.stats();
  fail_unless(
      stats.generated == kPings + 4 && stats.sent == 5 && stats.dropped == kPings - 1 &&
          stats.dropped_by[static_cast<int>(DropReason::kOverflow)] == stats.dropped,
      "sent %" G_GUINT64_FORMAT " dropped %" G_GUINT64_FORMAT, stats.sent, stats.dropped);
  fail_unless(seen.warnings_of(WarningKind::kQueueOverflow) == 1, "%zu warnings",
              seen.warnings_of(WarningKind::kQueueOverflow));
  fail_unless(c.stop() == 0);
  Lines req = requests_of(c.record());
  std::vector<std::string> types;
  for (const auto &l : req)
    types.push_back(l.event_type());
  fail_unless(types == std::vector<std::string>(
                           {"sessionStart", "play", "ping", "pauseStart", "sessionEnd"}));
}
GST_END_TEST;

GST_START_TEST(test_submit_after_finish) {
  Collector c;
  Seen seen;
  EventClock clock;
  SessionClient client(options_for(c.url(), &seen));
  client.submit(start_event(clock));
  client.submit(event_at(clock, EventType::kPlay, 1));
  fail_unless(client.finish(10000));
  for (int i = 2; i <= 4; i++)
    client.submit(event_at(clock, EventType::kPing, i));
  for (int i = 0; i < 200 && seen.warnings_of(WarningKind::kFlushIncomplete) == 0; i++)
    sleep_ms(10);
  sleep_ms(scaled_ms(100));  // no second warning (at the worker's pace: scaled)
  fail_unless(seen.warnings_of(WarningKind::kFlushIncomplete) == 1);
  {
    std::lock_guard<std::mutex> g(seen.lock);
    fail_unless(seen.warnings.back().message.find("after finish()") != std::string::npos,
                "%s", seen.warnings.back().message.c_str());
  }
  auto stats = client.stats();
  fail_unless(stats.generated == 5 && stats.sent == 2 && stats.queued == 0 &&
              stats.dropped_by[static_cast<int>(DropReason::kFlush)] == 3);
  fail_unless(c.stop() == 0);
  fail_unless(requests_of(c.record()).size() == 2);
}
GST_END_TEST;

// A producer keeps submitting while finish() runs: every event is either
// delivered before finish() returns true, or dropped as submitted after it.
GST_START_TEST(test_submit_races_finish) {
  for (int round = 0; round < 5; round++) {
    Collector c;
    Seen seen;
    EventClock clock;
    SessionClient client(options_for(c.url(), &seen));
    client.submit(start_event(clock));
    std::atomic<bool> stop{false};
    std::thread producer([&]() {
      for (int i = 1; !stop.load(); i++) {
        client.submit(event_at(clock, EventType::kPing, i));
        g_usleep(500);
      }
    });
    sleep_ms(30 + 10 * round);
    bool delivered = client.finish(10000);
    auto at_finish = client.stats();
    sleep_ms(20);
    stop.store(true);
    producer.join();
    fail_unless(delivered, "round %d: not delivered", round);
    auto stats = client.stats();
    fail_unless(at_finish.queued == 0 && stats.queued == 0);
    // Nothing was left to drop when finish() returned true: every drop is a
    // submit after it (checked below: counts once the producer stopped, and
    // no warning but the late-submit one). A snapshot taken while the
    // producer runs cannot show it: stats() reads its counters one by one.
    fail_unless(stats.sent == at_finish.sent, "round %d: sent after finish()", round);
    fail_unless(stats.sent + stats.dropped == stats.generated);
    fail_unless(stats.dropped == stats.dropped_by[static_cast<int>(DropReason::kFlush)]);
    fail_unless(c.stop() == 0);
    Lines req = requests_of(c.record());
    fail_unless(req.size() == stats.sent,
                "round %d: %zu requests, %" G_GUINT64_FORMAT " sent", round, req.size(),
                stats.sent);
    for (const auto &l : req)
      fail_unless(l.num("status") == (l.event_type() == "sessionStart" ? 201 : 204));
    std::lock_guard<std::mutex> g(seen.lock);
    for (const auto &w : seen.warnings)
      fail_unless(w.kind == WarningKind::kFlushIncomplete &&
                      w.message.find("after finish()") != std::string::npos,
                  "round %d: warning %s", round, w.message.c_str());
  }
}
GST_END_TEST;

GST_START_TEST(test_destroy_without_finish) {
  Collector c({"--delay-events=100000"});
  Seen seen;
  EventClock clock;
  int64_t t;
  int64_t destroyed_at_us;
  {
    // What the collector had received when the 201 came (in the report,
    // before the client sends ping 1).
    std::mutex before_lock;
    std::optional<Received> before;
    SessionClientOptions o = options_for(c.url(), &seen);
    o.on_report = [&, report = o.on_report](const RequestReport &r) {
      if (r.type == EventType::kSessionStart) {
        std::lock_guard<std::mutex> g(before_lock);
        before = collector_received(c.port());
      }
      report(r);
    };
    SessionClient client(o);
    client.submit(start_event(clock));
    for (int i = 1; i <= 3; i++)
      client.submit(event_at(clock, EventType::kPing, i));
    // The 201 is in, so ping 1 goes out at once: wait until the collector
    // has read it (it holds the answer, and records it only then).
    fail_unless(seen.wait_report(EventType::kSessionStart));
    std::lock_guard<std::mutex> g(before_lock);
    sync_worker();  // ping 1 was posted
    if (before) {
      bool arrived = false;
      for (int waited = 0; !arrived && waited < 5000; waited += 5) {
        std::optional<Received> now = collector_received(c.port());
        arrived = now && now->bytes > before->bytes && now->all_read;
        if (!arrived)
          sleep_ms(5);
      }
      fail_unless(arrived, "ping 1 did not reach the collector");
      sleep_ms(50);  // from its socket to its arrival stamp
    } else {
      sleep_ms(500);  // no ss(8): the old guess
    }
    fail_unless(client.stats().sent == 1 && client.stats().queued == 3);
    t = now_ms();
    destroyed_at_us = g_get_real_time();
  }
  int64_t took = now_ms() - t;
  fail_unless(took < 2000, "destroying the client took %" G_GINT64_FORMAT " ms", took);
  fail_unless(c.stop() == 0);
  // Ping 1 was in flight: it arrived before the destruction and was never
  // answered; the others never went.
  Lines req = requests_of(c.record());
  fail_unless(req.size() == 2, "%zu requests", req.size());
  fail_unless(req[1].event_type() == "ping" && playhead_of(req[1]) == 1.0);
  fail_unless(req[1].num("status") == 0, "ping answered %" G_GINT64_FORMAT,
              req[1].num("status"));
  fail_unless(req[1].num("time_us") < destroyed_at_us, "ping 1 arrived late");
}
GST_END_TEST;

// finish() in a callback, on the worker: it cannot wait there, so it closes
// and drops at once; the Sender and its other clients go on.
GST_START_TEST(test_finish_on_worker) {
  Collector c;
  Seen seen, other_seen;
  EventClock clock, other_clock;
  SessionClient other(options_for(c.url(), &other_seen));
  other.submit(start_event(other_clock, "other"));
  fail_unless(other_seen.wait_report(EventType::kSessionStart));

  std::atomic<SessionClient *> self{nullptr};
  std::atomic<int> finished{-1};
  SessionClientOptions o = options_for(c.url(), &seen);
  o.on_report = [&, report = o.on_report](const RequestReport &r) {
    report(r);
    if (r.type == EventType::kSessionStart && finished.load() < 0)
      finished.store(self.load()->finish(10000) ? 1 : 0);
  };
  SessionClient client(o);
  self.store(&client);
  {
    // All four in the intake before the sessionStart can be answered.
    WorkerGate gate;
    client.submit(start_event(clock));
    for (int i = 1; i <= 3; i++)
      client.submit(event_at(clock, EventType::kPing, i));
  }
  for (int i = 0; i < 500 && finished.load() < 0; i++)
    sleep_ms(10);
  fail_unless(finished.load() == 0, "finish() in the callback: %d", finished.load());
  auto stats = client.stats();
  fail_unless(stats.sent == 1 && stats.queued == 0 &&
                  stats.dropped_by[static_cast<int>(DropReason::kFlush)] == 3 &&
                  stats.dropped == 3,
              "sent %" G_GUINT64_FORMAT " dropped %" G_GUINT64_FORMAT, stats.sent,
              stats.dropped);
  fail_unless(seen.warnings_of(WarningKind::kFlushIncomplete) == 1);
  {
    std::lock_guard<std::mutex> g(seen.lock);
    fail_unless(seen.warnings.size() == 1 &&
                    seen.warnings[0].message.find("dropped 3") != std::string::npos,
                "%s", seen.warnings.empty() ? "" : seen.warnings[0].message.c_str());
  }
  // A second finish() (here off the worker) has nothing left to do.
  int64_t t = now_ms();
  client.finish(10000);
  fail_unless(now_ms() - t < 2000);
  client.submit(event_at(clock, EventType::kPing, 4));  // after finish(): dropped

  // The other client on the same Sender is unaffected.
  for (int i = 1; i <= 3; i++)
    other.submit(event_at(other_clock, EventType::kPing, i));
  fail_unless(other.finish(10000), "the other client did not deliver");
  fail_unless(other.stats().sent == 4 && other.stats().dropped == 0);
  fail_unless(other_seen.warnings.empty());
  fail_unless(client.stats().dropped_by[static_cast<int>(DropReason::kFlush)] == 4);
  fail_unless(c.stop() == 0);
  Lines req = requests_of(c.record());
  std::map<std::string, int> per_session;
  for (const auto &l : req) {
    fail_unless(l.num("status") == (l.event_type() == "sessionStart" ? 201 : 204));
    per_session[l.str("session")]++;
  }
  // The finished client's sessionStart only; the other's start and 3 pings.
  fail_unless(req.size() == 5 && per_session.size() == 2, "%zu requests", req.size());
}
GST_END_TEST;

// The last owner of a client drops it in a callback (as when an element's
// last reference goes on the worker): the destructor runs there, drops and
// reports what was left, and neither hangs nor stops the other clients.
GST_START_TEST(test_destroy_on_worker) {
  Collector c;
  Seen seen, other_seen;
  EventClock clock, other_clock;
  SessionClient other(options_for(c.url(), &other_seen));
  other.submit(start_event(other_clock, "other"));
  fail_unless(other_seen.wait_report(EventType::kSessionStart));

  for (EventType when : {EventType::kSessionStart, EventType::kPing}) {
    Seen seen_here;
    std::atomic<SessionClient *> owned{nullptr};
    std::atomic<bool> destroyed{false};
    std::atomic<bool> all_submitted{false};
    std::atomic<int> late_calls{0};
    SessionClientOptions o = options_for(c.url(), &seen_here);
    o.on_report = [&, report = o.on_report](const RequestReport &r) {
      if (destroyed.load())
        late_calls++;
      report(r);
      if (r.type == when) {
        // The test thread still submits through its pointer: the client may
        // go only once it is done (a loaded machine answers the sessionStart
        // before the pings are submitted).
        while (!all_submitted.load())
          g_usleep(1000);
        delete owned.exchange(nullptr);  // the ownership was handed over
        destroyed.store(true);
      }
    };
    o.on_warning = [&, warning = o.on_warning](const ClientWarning &w) {
      if (destroyed.load())
        late_calls++;
      warning(w);
    };
    auto *client = new SessionClient(o);
    owned.store(client);
    client->submit(start_event(clock));
    for (int i = 1; i <= 4; i++)
      client->submit(event_at(clock, EventType::kPing, i));
    all_submitted.store(true);
    for (int i = 0; i < 500 && !destroyed.load(); i++)
      sleep_ms(10);
    fail_unless(destroyed.load(), "the callback did not destroy the client");
    sync_worker();
    sleep_ms(scaled_ms(100));  // nothing more from the destroyed client (scaled)
    fail_unless(late_calls.load() == 0);
    // Destroyed at the sessionStart's report: the 4 pings; at ping 1's: 3.
    int left = when == EventType::kSessionStart ? 4 : 3;
    std::lock_guard<std::mutex> g(seen_here.lock);
    fail_unless(seen_here.warnings.size() == 1 &&
                    seen_here.warnings[0].kind == WarningKind::kFlushIncomplete &&
                    seen_here.warnings[0].message.find(
                        "dropped " + std::to_string(left)) != std::string::npos,
                "%zu warnings", seen_here.warnings.size());
  }

  for (int i = 1; i <= 3; i++)
    other.submit(event_at(other_clock, EventType::kPing, i));
  fail_unless(other.finish(10000), "the other client did not deliver");
  fail_unless(other.stats().sent == 4 && other.stats().dropped == 0);
  fail_unless(c.stop() == 0);
  Lines req = requests_of(c.record());
  // other: 4; the first destroyed client: its start; the second: start, ping 1.
  fail_unless(req.size() == 7, "%zu requests", req.size());
  for (const auto &l : req)
    fail_unless(l.num("status") == (l.event_type() == "sessionStart" ? 201 : 204));
}
GST_END_TEST;

// The application's callback blocks past every bound of the destructor: the
// destructor returns anyway, and no callback runs after it.
GST_START_TEST(test_no_callback_after_destroy) {
  Sender::set_join_bound_ms(100);
  Collector c;
  std::mutex lock;
  std::condition_variable cond;
  bool blocked = false, release = false;
  std::atomic<bool> destroyed{false};
  std::atomic<int> late_calls{0};
  EventClock clock;
  SessionClientOptions o = options_for(c.url(), nullptr);
  o.on_report = [&](const RequestReport &) {
    if (destroyed.load())
      late_calls++;
    std::unique_lock<std::mutex> g(lock);
    if (!blocked) {
      blocked = true;
      cond.notify_all();
      cond.wait(g, [&]() { return release; });
    }
  };
  o.on_warning = [&](const ClientWarning &) {
    if (destroyed.load())
      late_calls++;
  };
  auto client = std::make_unique<SessionClient>(o);
  client->submit(start_event(clock));
  for (int i = 1; i <= 3; i++)
    client->submit(event_at(clock, EventType::kPing, i));
  {
    std::unique_lock<std::mutex> g(lock);
    cond.wait(g, [&]() { return blocked; });
  }
  // The worker is stuck in on_report (the sessionStart's): the shutdown is
  // not acknowledged in time and the join times out (and says so).
  int64_t t = now_ms();
  ASSERT_WARNING(client.reset());
  int64_t took = now_ms() - t;
  fail_unless(took < 5000, "destroying took %" G_GINT64_FORMAT " ms", took);
  destroyed.store(true);
  {
    std::lock_guard<std::mutex> g(lock);
    release = true;
    cond.notify_all();
  }
  // The worker goes on: the rest of on_done, the pending pump and shutdown,
  // then it winds down on its own.
  fail_unless(wait_no_sender_thread(3000), "the worker thread did not exit");
  fail_unless(late_calls.load() == 0, "%d callbacks after the destructor",
              late_calls.load());
  fail_unless(c.stop() == 0);
  // Nothing went out after the sessionStart.
  fail_unless(requests_of(c.record()).size() == 1);
}
GST_END_TEST;

// The Sender's worker outlives a Sender whose join timed out, and one
// destroyed on the worker itself, and still uses its own state safely.
GST_START_TEST(test_sender_detached) {
  Sender::set_join_bound_ms(100);
  fail_unless(sender_threads() == 0);
  std::atomic<bool> release{false}, entered{false}, ran_after{false};
  {
    std::shared_ptr<Sender> sender = Sender::acquire();
    fail_unless(sender_threads() == 1);
    mediaanalytics::SenderWorker *worker = sender->worker().get();
    sender->invoke([&, worker]() {
      entered.store(true);
      while (!release.load())
        g_usleep(1000);
      // The Sender is gone by now; its worker's state is not.
      fail_unless(worker->on_worker());
      worker->invoke([&]() { ran_after.store(true); });
    });
    while (!entered.load())
      sleep_ms(1);
    ASSERT_WARNING(sender.reset());
  }
  release.store(true);
  fail_unless(wait_no_sender_thread(3000), "the worker thread did not exit");
  fail_unless(ran_after.load(), "the worker did not drain its context");

  // The last share dropped in a callback on the worker.
  std::shared_ptr<Sender> sender = Sender::acquire();
  fail_unless(sender_threads() == 1);
  std::atomic<bool> done{false};
  sender->invoke([held = sender, &done]() mutable {
    fail_unless(held->on_worker());
    done.store(true);
    held.reset();  // not the last share yet
  });
  while (!done.load())
    sleep_ms(1);
  auto *last = new std::shared_ptr<Sender>(std::move(sender));
  (*last)->invoke([last]() { delete last; });  // ~Sender on the worker
  fail_unless(wait_no_sender_thread(3000), "the worker thread did not exit");
}
GST_END_TEST;

namespace {

// The ping grid: ticks at anchor + k * interval (k >= 1), collected with their
// monotonic times (ms).
struct Ticks {
  std::mutex lock;
  std::vector<int64_t> at;
  int64_t slow_first_ms = 0;  // the first callback sleeps this long

  size_t count() {
    std::lock_guard<std::mutex> g(lock);
    return at.size();
  }
  std::vector<int64_t> copy() {
    std::lock_guard<std::mutex> g(lock);
    return at;
  }
};

SessionClientOptions ping_options(Ticks *ticks) {
  SessionClientOptions o;
  o.endpoint = "http://127.0.0.1:9";  // nothing is submitted
  o.on_ping_due = [ticks]() {
    bool first;
    {
      std::lock_guard<std::mutex> g(ticks->lock);
      ticks->at.push_back(g_get_monotonic_time() / 1000);
      first = ticks->at.size() == 1;
    }
    if (first && ticks->slow_first_ms > 0)
      g_usleep(static_cast<gulong>(ticks->slow_first_ms * 1000));
  };
  return o;
}

}  // namespace

// A 200 ms grid: ticks at +200, +400, ... from the anchor; none after
// stop_pings(); set_ping_interval() re-anchors at the next tick.
GST_START_TEST(test_ping_grid) {
  Ticks ticks;
  SessionClient client(ping_options(&ticks));
  const int64_t anchor = g_get_monotonic_time() / 1000;
  client.start_pings(anchor, 200);
  sleep_ms(1100);
  std::vector<int64_t> at = ticks.copy();
  fail_unless(at.size() == 5, "%zu ticks in 1.1 s of a 200 ms grid", at.size());
  for (size_t i = 0; i < at.size(); i++) {
    const int64_t due = anchor + 200 * static_cast<int64_t>(i + 1);
    fail_unless(at[i] >= due && at[i] - due < 80,
                "tick %zu at %+" G_GINT64_FORMAT " ms from its due time", i, at[i] - due);
  }

  client.stop_pings();
  sync_worker();
  const size_t stopped_at = ticks.count();
  sleep_ms(600);
  fail_unless(ticks.count() == stopped_at, "%zu ticks after stop_pings()",
              ticks.count() - stopped_at);

  // Re-anchored at the next tick: +200 (old interval), then every 300 ms.
  {
    std::lock_guard<std::mutex> g(ticks.lock);
    ticks.at.clear();
  }
  const int64_t anchor2 = g_get_monotonic_time() / 1000;
  client.start_pings(anchor2, 200);
  sleep_ms(100);
  client.set_ping_interval(300);
  sleep_ms(1050);  // +1150: ticks at +200, +500, +800, +1100
  client.stop_pings();
  sync_worker();
  at = ticks.copy();
  const int64_t want[] = {200, 500, 800, 1100};
  fail_unless(at.size() == 4, "%zu ticks after the interval change", at.size());
  for (size_t i = 0; i < 4; i++)
    fail_unless(at[i] - anchor2 >= want[i] && at[i] - anchor2 - want[i] < 80,
                "tick %zu at +%" G_GINT64_FORMAT " ms, expected +%" G_GINT64_FORMAT, i,
                at[i] - anchor2, want[i]);
  fail_unless(client.stats().generated == 0, "the grid submitted events itself");
}
GST_END_TEST;

// A callback slower than the interval: the ticks it made late are skipped,
// not run in a burst, and the later ones stay on the grid.
// A grid anchored in the past whose earlier ticks the caller made itself
// (the element backfills them when a session opens after the intent): the
// first tick handed over runs at once though late, then the grid goes on.
GST_START_TEST(test_ping_grid_from_the_past) {
  Ticks ticks;
  SessionClient client(ping_options(&ticks));
  const int64_t now = g_get_monotonic_time() / 1000;
  const int64_t anchor = now - 650;  // ticks 1..3 are past; 3 was due 50 ms ago
  client.start_pings(anchor, 200, 3);
  sleep_ms(500);
  client.stop_pings();
  sync_worker();
  std::vector<int64_t> at = ticks.copy();
  fail_unless(at.size() == 3, "%zu ticks, expected late 3, then 4 and 5", at.size());
  fail_unless(at[0] - now < 80, "tick 3 ran %" G_GINT64_FORMAT " ms after the start",
              at[0] - now);
  for (size_t i = 1; i < at.size(); i++) {
    const int64_t due = anchor + 200 * static_cast<int64_t>(i + 3);
    fail_unless(at[i] >= due && at[i] - due < 80,
                "tick %zu at %+" G_GINT64_FORMAT " ms from its due time", i + 3,
                at[i] - due);
  }
}
GST_END_TEST;

GST_START_TEST(test_ping_slow_callback) {
  Ticks ticks;
  ticks.slow_first_ms = 500;  // +200 .. +700: +400 and +600 are missed
  SessionClient client(ping_options(&ticks));
  const int64_t anchor = g_get_monotonic_time() / 1000;
  client.start_pings(anchor, 200);
  sleep_ms(1300);
  client.stop_pings();
  sync_worker();
  std::vector<int64_t> at = ticks.copy();
  fail_unless(at.size() == 4, "%zu ticks, expected +200, +800, +1000, +1200", at.size());
  const int64_t want[] = {200, 800, 1000, 1200};
  for (size_t i = 0; i < at.size(); i++) {
    fail_unless(at[i] - anchor >= want[i] && at[i] - anchor - want[i] < 80,
                "tick %zu at +%" G_GINT64_FORMAT " ms, expected +%" G_GINT64_FORMAT, i,
                at[i] - anchor, want[i]);
    if (i > 0)
      fail_unless(at[i] - at[i - 1] >= 150,
                  "a burst: ticks %zu and %zu %" G_GINT64_FORMAT " ms apart", i - 1, i,
                  at[i] - at[i - 1]);
  }
}
GST_END_TEST;

// finish() stops the grid.
GST_START_TEST(test_ping_stops_at_finish) {
  Ticks ticks;
  SessionClient client(ping_options(&ticks));
  client.start_pings(g_get_monotonic_time() / 1000, 100);
  sleep_ms(250);
  fail_unless(ticks.count() >= 1);
  client.finish(0);
  const size_t at_finish = ticks.count();
  sleep_ms(400);
  fail_unless(ticks.count() == at_finish, "ticks after finish()");
}
GST_END_TEST;

static Suite *session_client_suite(void) {
  Suite *s = suite_create("session-client");
  TCase *tc = add_process_tcase(s);
  tcase_add_test(tc, test_queue_until_session);
  tcase_add_test(tc, test_environment_proxy);
  tcase_add_test(tc, test_environment_no_proxy);
  tcase_add_test(tc, test_bad_location_retried);
  tcase_add_test(tc, test_bad_location_given_up);
  tcase_add_test(tc, test_rejected_start);
  tcase_add_test(tc, test_rejected_event_dropped);
  tcase_add_test(tc, test_expired_session_resumed);
  tcase_add_test(tc, test_resumed_session_gets_active_states);
  tcase_add_test(tc, test_persistent_404_bounded);
  tcase_add_test(tc, test_server_error_retried);
  tcase_add_test(tc, test_connection_refused);
  tcase_add_test(tc, test_flush_at_finish);
  tcase_add_test(tc, test_many_clients_one_thread);
  tcase_add_test(tc, test_connection_reuse);
  tcase_add_test(tc, test_backoff_bounds);
  tcase_add_test(tc, test_overflow_drops_pings_first);
  tcase_add_test(tc, test_intake_bounded);
  tcase_add_test(tc, test_submit_after_finish);
  tcase_add_test(tc, test_submit_races_finish);
  tcase_add_test(tc, test_destroy_without_finish);
  tcase_add_test(tc, test_finish_on_worker);
  tcase_add_test(tc, test_destroy_on_worker);
  tcase_add_test(tc, test_no_callback_after_destroy);
  tcase_add_test(tc, test_sender_detached);
  tcase_add_test(tc, test_ping_grid);
  tcase_add_test(tc, test_ping_grid_from_the_past);
  tcase_add_test(tc, test_ping_slow_callback);
  tcase_add_test(tc, test_ping_stops_at_finish);
  return s;
}

GST_CHECK_MAIN(session_client);
