// mediaanalytics-collector as a real process, its fault options
// (docs/collector.md, "Options": --delay-*, --fail-*, --drop, --refuse,
// --expire-after, --forget-after, --location), alone and combined. The
// fixture is in collector-process.h.

#include "collector-process.h"

#include <string>
#include <vector>

using namespace collector_test;

// ---------------------------------------------------------------------------

GST_START_TEST(test_fault_delay_sessions) {
  // The undelayed request, at the test's own pace, must take less than the hold.
  const int64_t delay_ms = scaled_ms(300);
  Collector c({"--delay-sessions=" + std::to_string(delay_ms)});
  Response start = c.post(kSessions, session_start());
  fail_unless(start.status == 201, "sessionStart: got %u", start.status);
  fail_unless(start.elapsed_ms >= delay_ms,
              "the 201 took %" G_GINT64_FORMAT " ms, not >= %" G_GINT64_FORMAT,
              start.elapsed_ms, delay_ms);
  std::string sid = sid_of_location(start.header("Location"));
  Response play = c.post(events_path(sid), event("play", kT0 + 1));
  fail_unless(play.status == 204, "play: got %u", play.status);
  fail_unless(play.elapsed_ms < delay_ms,
              "an event was delayed too (%" G_GINT64_FORMAT " ms)", play.elapsed_ms);
  fail_unless(c.stop() == 0, "the collector did not exit with 0");
  Lines req = requests_of(c.record());
  fail_unless(
      req.size() == 2 && req[0].num("status") == 201 && req[1].num("status") == 204,
      "the record does not hold the 201 and the 204");
}
GST_END_TEST;

GST_START_TEST(test_fault_delay_events) {
  // The undelayed request, at the test's own pace, must take less than the hold.
  const int64_t delay_ms = scaled_ms(300);
  Collector c({"--delay-events=" + std::to_string(delay_ms)});
  Response start = c.post(kSessions, session_start());
  fail_unless(start.status == 201, "sessionStart: got %u", start.status);
  fail_unless(start.elapsed_ms < delay_ms,
              "the sessionStart was delayed too (%" G_GINT64_FORMAT " ms)",
              start.elapsed_ms);
  std::string sid = sid_of_location(start.header("Location"));
  for (int i = 1; i <= 2; i++) {
    Response play = c.post(events_path(sid), event("play", kT0 + i));
    fail_unless(play.status == 204, "event %d: got %u", i, play.status);
    fail_unless(play.elapsed_ms >= delay_ms,
                "event %d took %" G_GINT64_FORMAT " ms, not >= %" G_GINT64_FORMAT, i,
                play.elapsed_ms, delay_ms);
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
    fail_unless(r.body.empty(), "the 503 has a body: %s", r.body.c_str());
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
    // The record keeps the event the fault made the client lose.
    fail_unless(req[i].event_type() == "sessionStart",
                "line %zu has no sessionStart body", i + 1);
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
static std::vector<unsigned> fail_fraction_run() {
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
  // Request 4 must come within the window: it follows request 3 at the test's
  // own pace.
  const int64_t window_ms = scaled_ms(500);
  Collector c({"--drop=2:" + std::to_string(window_ms)});
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

  // The window opens when request 3 arrives, at most a loaded scheduler's
  // delay after t3: wait well past it (twice its length).
  sleep_ms(t3 + 2 * window_ms - now_ms());
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
  // Refused connections must be seen within the window, at the test's own
  // pace.
  const int64_t window_ms = scaled_ms(700);
  Collector c({"--refuse=2:" + std::to_string(window_ms)});
  std::string sid = c.open_session();
  Response play = c.post(events_path(sid), event("play", kT0 + 1));
  fail_unless(play.status == 204, "request 2: expected 204, got %u", play.status);

  int64_t t3 = now_ms();
  Response third = c.post(events_path(sid), event("ping", kT0 + 2));
  fail_unless(third.status == 0, "request 3: expected no answer, got %u", third.status);

  // New connections until one is served: refused first, accepted after the
  // window.
  bool refused = false;
  int64_t served_at = -1;
  for (int i = 3; served_at < 0 && now_ms() - t3 < scaled_ms(3000); i++) {
    Response r = c.post(events_path(sid), event("ping", kT0 + i), "application/json",
                        SOUP_MESSAGE_NEW_CONNECTION);
    if (r.status == 204)
      served_at = now_ms() - t3;
    else if (r.status == 0 && r.error_domain == G_IO_ERROR &&
             r.error_code == G_IO_ERROR_CONNECTION_REFUSED)
      refused = true;
    else
      fail_unless(r.status == 0, "during the refusal: got HTTP %u", r.status);
    sleep_ms(scaled_ms(25));
  }
  fail_unless(refused, "no connection was refused after request 3");
  fail_unless(served_at >= 0,
              "connections were still refused %" G_GINT64_FORMAT " ms later",
              scaled_ms(3000));
  fail_unless(served_at >= scaled_ms(650),
              "served again after %" G_GINT64_FORMAT " ms, before %" G_GINT64_FORMAT,
              served_at, window_ms);
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

// The session lifetime the tests ask of the collector (--expire-after,
// --forget-after): the play that follows the opening at the test's own pace
// must come within it.
static int64_t session_lifetime_ms() {
  return scaled_ms(500);
}

// Plays at once (204) on a session just opened, then pings 0.7 s (scaled)
// after the opening: the status of that ping.
static unsigned ping_after_700_ms(Collector &c, const std::string &sid) {
  int64_t opened = now_ms();
  Response play = c.post(events_path(sid), event("play", kT0 + 1));
  fail_unless(play.status == 204, "play at once: expected 204, got %u", play.status);
  sleep_ms(opened + scaled_ms(700) - now_ms());
  return c.post(events_path(sid), event("ping", kT0 + 700, 0.7)).status;
}

GST_START_TEST(test_fault_expire_after) {
  Collector c({"--expire-after=" + seconds_of(session_lifetime_ms())});
  std::string sid = c.open_session();
  unsigned late = ping_after_700_ms(c, sid);
  fail_unless(late == 410, "event after 0.7 s: expected 410, got %u", late);
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

// A restarted server that lost the session: 404 (unknown), not 410 (closed).
GST_START_TEST(test_fault_forget_after) {
  Collector c({"--forget-after=" + seconds_of(session_lifetime_ms())});
  std::string sid = c.open_session();
  unsigned late = ping_after_700_ms(c, sid);
  fail_unless(late == 404, "event after 0.7 s: expected 404, got %u", late);
  Response other = c.post(kSessions, session_start(kT0 + 701, 0.7));
  fail_unless(other.status == 201, "a new session after the loss: expected 201, got %u",
              other.status);
  fail_unless(c.stop() == 0, "the collector did not exit with 0");

  Lines lines = c.record();
  std::optional<Line> closed = closed_line(lines, sid);
  fail_unless(closed.has_value(), "no session-closed line for %s", sid.c_str());
  fail_unless(closed->str("reason") == "forgotten", "closed with reason \"%s\"",
              closed->str("reason").c_str());
  Lines req = requests_of(lines);
  fail_unless(
      req.size() == 4 && req[2].num("status") == 404 && req[2].str("session") == sid,
      "the record does not hold the 404");
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

// docs/collector.md: a delayed request is held *before* it is handled. A
// request that arrives meanwhile is handled, and recorded, first; the held one
// keeps its arrival time in the record.
GST_START_TEST(test_fault_delay_sessions_holds_before_handling) {
  // The GET, at the test's own pace, must be answered within the hold.
  const int64_t delay_ms = scaled_ms(500);
  Collector c({"--delay-sessions=" + std::to_string(delay_ms)});
  int64_t sent_us = g_get_real_time();
  int64_t sent_ms = now_ms();
  g_autoptr(GSocketConnection) held = raw_connect(c);
  fail_unless(raw_send(held, raw_post(kSessions, session_start())),
              "cannot send the sessionStart");
  sleep_ms(50);
  Response schema = c.get("/api/v1/schemas/play");
  fail_unless(schema.status == 200, "GET schema during the hold: got %u", schema.status);
  fail_unless(now_ms() - sent_ms < delay_ms,
              "the GET was answered %" G_GINT64_FORMAT " ms in, after the hold",
              now_ms() - sent_ms);
  RawResponse start = read_raw_response(held);
  int64_t answered_ms = now_ms() - sent_ms;
  fail_unless(start.status == 201, "held sessionStart: expected 201, got %u",
              start.status);
  fail_unless(answered_ms >= delay_ms,
              "the 201 came after %" G_GINT64_FORMAT " ms, not >= %" G_GINT64_FORMAT,
              answered_ms, delay_ms);
  fail_unless(c.stop() == 0, "the collector did not exit with 0");

  Lines lines = c.record();
  fail_unless(lines.size() == 3, "expected 3 record lines, got %zu", lines.size());
  fail_unless(lines[0].str("endpoint") == "schemas" && lines[0].num("status") == 200,
              "line 1 is not the GET that arrived during the hold");
  const Line &held_line = lines[1];
  fail_unless(held_line.str("endpoint") == "sessions" && held_line.num("status") == 201 &&
                  !held_line.str("session").empty(),
              "line 2 is not the held sessionStart's 201 with its session");
  int64_t arrival = held_line.num("time_us");
  // Connecting and sending, at the test's own pace, take well under half the
  // hold.
  fail_unless(arrival >= sent_us && arrival < sent_us + scaled_ms(250) * 1000,
              "the held request's time_us is %" G_GINT64_FORMAT
              " µs after it was sent, not its arrival",
              arrival - sent_us);
  fail_unless(lines[0].num("time_us") > arrival,
              "the GET's time_us is not after the held request's arrival");
}
GST_END_TEST;

// The session of a held sessionStart opens when the request is handled (the
// 201), so its clocks (--expire-after here) start then, not at the request's
// arrival.
GST_START_TEST(test_fault_delay_sessions_session_opens_when_handled) {
  // The play after the 201, at the test's own pace, must come within the
  // session's lifetime.
  const int64_t delay_ms = scaled_ms(600);
  const int64_t lifetime_ms = scaled_ms(500);
  Collector c({"--delay-sessions=" + std::to_string(delay_ms),
               "--expire-after=" + seconds_of(lifetime_ms)});
  Response start = c.post(kSessions, session_start());
  int64_t answered_us = g_get_real_time();
  fail_unless(start.status == 201, "sessionStart: got %u", start.status);
  fail_unless(start.elapsed_ms >= delay_ms,
              "the 201 took %" G_GINT64_FORMAT " ms, not >= %" G_GINT64_FORMAT,
              start.elapsed_ms, delay_ms);
  std::string sid = sid_of_location(start.header("Location"));
  Response play = c.post(events_path(sid), event("play", kT0 + 1));
  fail_unless(play.status == 204,
              "play at once after the 201 (--expire-after=%s): expected 204, got %u; "
              "the session's clock started at the request's arrival, not at the 201",
              seconds_of(lifetime_ms).c_str(), play.status);
  sleep_ms(answered_us / 1000 + scaled_ms(700) - g_get_real_time() / 1000);
  fail_unless(c.stop() == 0, "the collector did not exit with 0");
  std::optional<Line> closed = closed_line(c.record(), sid);
  fail_unless(closed.has_value(), "no session-closed line for %s", sid.c_str());
  fail_unless(closed->str("reason") == "expired-forced", "closed with reason \"%s\"",
              closed->str("reason").c_str());
  fail_unless(closed->num("time_us") >= answered_us + scaled_ms(350) * 1000,
              "the session expired %" G_GINT64_FORMAT
              " ms after its 201, not ~%" G_GINT64_FORMAT,
              (closed->num("time_us") - answered_us) / 1000, lifetime_ms);
}
GST_END_TEST;

// docs/collector.md: "a client that gives up meanwhile is recorded with
// status 0".
GST_START_TEST(test_fault_delay_client_gone) {
  Collector c({"--delay-events=1000"});
  std::string sid = c.open_session();
  {
    g_autoptr(GSocketConnection) connection = raw_connect(c);
    fail_unless(raw_send(connection, raw_post(events_path(sid), event("play", kT0 + 1))),
                "cannot send the event");
    sleep_ms(100);
    g_io_stream_close(G_IO_STREAM(connection), nullptr, nullptr);
  }
  sleep_ms(1300);  // past the end of the hold
  fail_unless(c.stop() == 0, "the collector did not exit with 0");

  Lines req = requests_of(c.record());
  fail_unless(req.size() == 2, "expected 2 request lines, got %zu", req.size());
  fail_unless(req[1].num("status") == 0,
              "the event whose client left during the hold is recorded with status "
              "%" G_GINT64_FORMAT ", not 0 (no answer went out)",
              req[1].num("status"));
  fail_unless(strstr(req[1].str("error").c_str(), "connection") != nullptr,
              "its error \"%s\" does not mention the connection",
              req[1].str("error").c_str());
}
GST_END_TEST;

// The same on a keep-alive connection that an earlier request was answered
// on (as a libsoup client's): the collector's reaper closes such a
// connection once its peer left, and the held request must still count as
// unanswered, not be handled (status 204) on a closed socket.
GST_START_TEST(test_fault_delay_client_gone_keep_alive) {
  Collector c({"--delay-events=1500"});
  std::string sid = c.open_session();
  {
    g_autoptr(GSocketConnection) connection = raw_connect(c);
    const std::string ping = event("ping", kT0 + 1);
    fail_unless(
        raw_send(connection, raw_post(events_path(sid), ping, "application/json", true)),
        "cannot send the first event");
    fail_unless(read_raw_response(connection).status == 204,
                "the first event was not answered 204");
    fail_unless(raw_send(connection, raw_post(events_path(sid), event("play", kT0 + 2),
                                              "application/json", true)),
                "cannot send the second event");
    sleep_ms(100);
    g_io_stream_close(G_IO_STREAM(connection), nullptr, nullptr);
  }
  sleep_ms(1500 + 500);  // past the end of the second hold, and a reaper tick
  fail_unless(c.stop() == 0, "the collector did not exit with 0");

  Lines req = requests_of(c.record());
  fail_unless(req.size() == 3, "expected 3 request lines, got %zu", req.size());
  fail_unless(req[2].event_type() == "play" && req[2].num("status") == 0,
              "the %s whose client left during the hold is recorded with status "
              "%" G_GINT64_FORMAT ", not 0 (no answer went out)",
              req[2].event_type().c_str(), req[2].num("status"));
}
GST_END_TEST;

GST_START_TEST(test_fault_fail_next_status_range) {
  for (unsigned status : {200u, 599u}) {
    Collector c({"--fail-next=" + std::to_string(status) + ":1"});
    Response r = c.post(kSessions, session_start());
    fail_unless(r.status == status, "--fail-next=%u:1: got %u (%s)", status, r.status,
                r.error());
    fail_unless(r.body.empty() && !r.has_header("Location"),
                "the injected %u has a body or a Location", status);
    c.open_session();
    fail_unless(c.stop() == 0, "the collector did not exit with 0");
    Lines req = requests_of(c.record());
    fail_unless(req.size() == 2, "expected 2 request lines, got %zu", req.size());
    fail_unless(req[0].num("status") == status && req[0].str("fault") == "status" &&
                    !req[0].has("session"),
                "line 1 is not the injected %u without a session", status);
  }
}
GST_END_TEST;

GST_START_TEST(test_fault_fail_scope_sessions) {
  Collector c({"--fail-next=503:1", "--fail-scope=sessions"});
  Response early = c.post(events_path("no-such-session"), event("play", kT0 + 1));
  fail_unless(early.status == 404, "event out of scope: expected 404, got %u",
              early.status);
  Response first = c.post(kSessions, session_start());
  fail_unless(first.status == 503, "first sessionStart: expected 503, got %u",
              first.status);
  std::string sid = c.open_session();
  Response play = c.post(events_path(sid), event("play", kT0 + 1));
  fail_unless(play.status == 204, "event out of scope: expected 204, got %u",
              play.status);
  fail_unless(c.stop() == 0, "the collector did not exit with 0");

  Lines req = requests_of(c.record());
  const int64_t expect[] = {404, 503, 201, 204};
  fail_unless(req.size() == G_N_ELEMENTS(expect), "expected %zu request lines, got %zu",
              G_N_ELEMENTS(expect), req.size());
  for (size_t i = 0; i < req.size(); i++) {
    fail_unless(req[i].num("status") == expect[i],
                "line %zu: status %" G_GINT64_FORMAT ", expected %" G_GINT64_FORMAT,
                i + 1, req[i].num("status"), expect[i]);
    fail_unless((expect[i] == 503) == (req[i].str("fault") == "status"),
                "line %zu: fault \"%s\"", i + 1, req[i].str("fault").c_str());
  }
}
GST_END_TEST;

// Two faults together: the 2nd request trips --refuse=1:MS, and it is one
// that --delay-sessions would hold. Its connection is closed; nothing claims
// a 201 for it and no session opens.
GST_START_TEST(test_fault_refuse_trips_on_delayed_request) {
  Collector c({"--delay-sessions=1000", "--refuse=1:500"});
  Response schema = c.get("/api/v1/schemas/play");
  fail_unless(schema.status == 200, "request 1: expected 200, got %u", schema.status);
  g_autoptr(GSocketConnection) connection = raw_connect(c);
  fail_unless(raw_send(connection, raw_post(kSessions, session_start())),
              "cannot send the sessionStart");
  RawResponse lost = read_raw_response(connection);
  fail_unless(lost.status == 0, "the request that tripped --refuse got %u", lost.status);
  sleep_ms(700);  // listening again
  // G_DEBUG=fatal-criticals: a critical would have killed the collector.
  fail_unless(c.stop() == 0, "the collector did not exit with 0");

  Lines lines = c.record();
  fail_unless(lines.size() == 2, "expected 2 record lines (no session), got %zu",
              lines.size());
  const Line &l = lines[1];
  fail_unless(l.str("endpoint") == "sessions" && l.num("status") == 0 &&
                  !l.has("session") && (l.has("error") || l.has("fault")),
              "line 2 is not the lost sessionStart: status %" G_GINT64_FORMAT
              ", session \"%s\", no error or fault",
              l.num("status"), l.str("session").c_str());
}
GST_END_TEST;

// A sessionStart held by --delay-sessions when the 2nd request trips
// --refuse: the listener and every connection close, the held request is lost.
GST_START_TEST(test_fault_refuse_loses_held_request) {
  // The hold must outlast the test's own steps up to request 2.
  Collector c({"--delay-sessions=" + std::to_string(scaled_ms(1000)), "--refuse=1:500"});
  g_autoptr(GSocketConnection) held = raw_connect(c);
  fail_unless(raw_send(held, raw_post(kSessions, session_start())),
              "cannot send the sessionStart");
  sleep_ms(200);
  g_autoptr(GSocketConnection) second = raw_connect(c);
  fail_unless(
      raw_send(second, "GET /api/v1/schemas/play HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
      "cannot send request 2");
  RawResponse tripped = read_raw_response(second);
  fail_unless(tripped.status == 0, "the request that tripped --refuse got %u",
              tripped.status);
  RawResponse lost = read_raw_response(held);
  fail_unless(lost.status == 0, "the held sessionStart got %u after the listener closed",
              lost.status);
  sleep_ms(700);  // listening again
  Response schema = c.get("/api/v1/schemas/play");
  fail_unless(schema.status == 200, "after the refusal: expected 200, got %u (%s)",
              schema.status, schema.error());
  // G_DEBUG=fatal-criticals: a critical would have killed the collector.
  fail_unless(c.stop() == 0, "the collector did not exit with 0");

  Lines lines = c.record();
  int sessions_lines = 0;
  for (const Line &l : lines) {
    fail_unless(!l.is_closed(), "a session was opened (and closed: %s)",
                l.str("reason").c_str());
    if (l.str("endpoint") != "sessions")
      continue;
    sessions_lines++;
    fail_unless(l.num("status") == 0 && !l.str("error").empty() && !l.has("session"),
                "the lost sessionStart is recorded with status %" G_GINT64_FORMAT
                ", error \"%s\", session \"%s\"",
                l.num("status"), l.str("error").c_str(), l.str("session").c_str());
  }
  fail_unless(sessions_lines == 1, "%d record lines for the sessionStart, expected 1",
              sessions_lines);
}
GST_END_TEST;

static Suite *collector_faults_suite(void) {
  Suite *s = suite_create("collector-faults");
  TCase *tc = add_process_tcase(s);
  tcase_add_test(tc, test_fault_delay_sessions);
  tcase_add_test(tc, test_fault_delay_sessions_holds_before_handling);
  tcase_add_test(tc, test_fault_delay_sessions_session_opens_when_handled);
  tcase_add_test(tc, test_fault_delay_events);
  tcase_add_test(tc, test_fault_delay_client_gone);
  tcase_add_test(tc, test_fault_delay_client_gone_keep_alive);
  tcase_add_test(tc, test_fault_fail_next);
  tcase_add_test(tc, test_fault_fail_next_status_range);
  tcase_add_test(tc, test_fault_fail_scope_events);
  tcase_add_test(tc, test_fault_fail_scope_sessions);
  tcase_add_test(tc, test_fault_fail_fraction);
  tcase_add_test(tc, test_fault_drop);
  tcase_add_test(tc, test_fault_refuse);
  tcase_add_test(tc, test_fault_refuse_trips_on_delayed_request);
  tcase_add_test(tc, test_fault_refuse_loses_held_request);
  tcase_add_test(tc, test_fault_expire_after);
  tcase_add_test(tc, test_fault_forget_after);
  tcase_add_test(tc, test_fault_location_missing);
  tcase_add_test(tc, test_fault_location_malformed);
  return s;
}

GST_CHECK_MAIN(collector_faults);
