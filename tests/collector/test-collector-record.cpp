// mediaanalytics-collector as a real process, what its record and its
// timelines say (docs/collector.md, "Findings", "The record", "Timelines"):
// findings end to end, seq, arrival times, session-closed lines, and
// --print-timeline. The fixture is in collector-process.h.

#include "collector-process.h"

#include <glib/gstdio.h>

#include <string>
#include <vector>

using namespace collector_test;

// ---------------------------------------------------------------------------

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

GST_START_TEST(test_idle_timeout) {
  // The play must arrive within the timeout of the opening, at the test's own
  // pace.
  Collector c({"--idle-timeout=" + seconds_of(scaled_ms(500))});
  std::string sid = c.open_session();
  sleep_ms(scaled_ms(250));
  Response play = c.post(events_path(sid), event("play", kT0 + 250, 0));
  fail_unless(play.status == 204, "play after 0.25 s (scaled): expected 204, got %u",
              play.status);
  sleep_ms(scaled_ms(750));
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

GST_START_TEST(test_stall_timeout) {
  // open_session() returns, and each ping arrives, at the test's own pace.
  const int64_t stall_ms = scaled_ms(600);
  Collector c({"--stall-timeout=" + seconds_of(stall_ms)});
  std::string sid = c.open_session(kT0, 5);
  int64_t opened = now_ms();
  int64_t gone_at = -1;
  for (int i = 1; gone_at < 0 && now_ms() - opened < scaled_ms(2000); i++) {
    sleep_ms(opened + i * scaled_ms(100) - now_ms());
    Response r = c.post(events_path(sid), event("ping", kT0 + i * 100, 5));
    if (r.status == 410)
      gone_at = now_ms() - opened;
    else
      fail_unless(r.status == 204, "ping %d: expected 204 or 410, got %u", i, r.status);
  }
  fail_unless(gone_at >= 0,
              "the stalled session was still open after %" G_GINT64_FORMAT " ms",
              scaled_ms(2000));
  // The clock started when the sessionStart arrived, a little before
  // open_session() returned.
  fail_unless(gone_at >= scaled_ms(400) && gone_at <= scaled_ms(1100),
              "410 after %" G_GINT64_FORMAT " ms, expected about %" G_GINT64_FORMAT,
              gone_at, stall_ms);
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

// docs/collector.md: seq is the line number within the run, from 1, in file
// order, whatever order the requests arrived in: an event held by
// --delay-events is recorded when it is answered, after a request that
// arrived later; session-closed lines are numbered the same way.
GST_START_TEST(test_seq_is_the_line_number) {
  // The GET, at the test's own pace, must be handled within the hold.
  Collector c({"--delay-events=" + std::to_string(scaled_ms(300))});
  std::string sid = c.open_session();
  g_autoptr(GSocketConnection) held = raw_connect(c);
  fail_unless(raw_send(held, raw_post(events_path(sid), event("play", kT0 + 1000),
                                      "application/json", true)),
              "cannot send the play");
  sleep_ms(50);
  Response schema = c.get("/api/v1/schemas/ping");
  fail_unless(schema.status == 200, "GET schema: got %u", schema.status);
  RawResponse play = read_raw_response(held);
  fail_unless(play.status == 204, "play: got %u", play.status);
  fail_unless(raw_send(held, raw_post(events_path(sid), event("sessionEnd", kT0 + 2000),
                                      "application/json", true)),
              "cannot send the sessionEnd");
  RawResponse end = read_raw_response(held);
  fail_unless(end.status == 204, "sessionEnd: got %u", end.status);
  Response unknown = c.post(events_path("no-such-session"), event("play", kT0));
  fail_unless(unknown.status == 404, "unknown session: got %u", unknown.status);
  fail_unless(c.stop() == 0, "the collector did not exit with 0");

  Lines lines = c.record();
  fail_unless(lines.size() == 6, "expected 6 record lines, got %zu", lines.size());
  for (size_t i = 0; i < lines.size(); i++)
    fail_unless(lines[i].num("seq") == static_cast<int64_t>(i + 1),
                "line %zu has seq %" G_GINT64_FORMAT, i + 1, lines[i].num("seq"));
  fail_unless(lines[1].str("endpoint") == "schemas" && lines[2].event_type() == "play",
              "the GET is not recorded before the held play");
  fail_unless(lines[1].num("time_us") > lines[2].num("time_us"),
              "the held play's time_us is not before the GET's");
  fail_unless(lines[3].event_type() == "sessionEnd" && lines[4].is_closed() &&
                  lines[5].num("status") == 404,
              "lines 4-6 are not the sessionEnd, its session-closed line and the 404");
}
GST_END_TEST;

// docs/collector.md: time and time_us are the arrival of the request's
// headers, not the moment the request was complete.
GST_START_TEST(test_time_is_the_request_arrival) {
  Collector c;
  g_autoptr(GSocketConnection) connection = raw_connect(c);
  fail_unless(
      raw_send(connection, "GET /api/v1/schemas/play HTTP/1.1\r\nHost: x\r\n\r\n"),
      "cannot send the GET");
  RawResponse schema = read_raw_response(connection);
  fail_unless(schema.status == 200, "GET schema: got %u", schema.status);
  sleep_ms(300);
  // The next request on the same connection: its head, then the body later.
  std::string request = raw_post(kSessions, session_start());
  size_t head_end = request.find("\r\n\r\n") + 4;
  int64_t line_sent_us = g_get_real_time();
  fail_unless(raw_send(connection, request.substr(0, head_end)),
              "cannot send the request head");
  sleep_ms(500);
  int64_t rest_sent_us = g_get_real_time();
  fail_unless(raw_send(connection, request.substr(head_end)), "cannot send the body");
  RawResponse r = read_raw_response(connection);
  fail_unless(r.status == 201, "sessionStart: got %u", r.status);
  fail_unless(c.stop() == 0, "the collector did not exit with 0");

  Lines req = requests_of(c.record());
  fail_unless(req.size() == 2, "expected 2 request lines, got %zu", req.size());
  int64_t time_us = req[1].num("time_us");
  fail_unless(time_us >= line_sent_us && time_us < rest_sent_us,
              "time_us is %" G_GINT64_FORMAT
              " ms after the request head was sent, "
              "the body %" G_GINT64_FORMAT " ms after",
              (time_us - line_sent_us) / 1000, (rest_sent_us - line_sent_us) / 1000);
  std::string time = req[1].str("time");
  g_autoptr(GDateTime) parsed = g_date_time_new_from_iso8601(time.c_str(), nullptr);
  fail_unless(parsed != nullptr && g_str_has_suffix(time.c_str(), "Z"),
              "time \"%s\" is not ISO 8601 UTC", time.c_str());
  int64_t parsed_us =
      g_date_time_to_unix(parsed) * G_USEC_PER_SEC + g_date_time_get_microsecond(parsed);
  fail_unless(parsed_us == time_us, "time \"%s\" is not time_us %" G_GINT64_FORMAT,
              time.c_str(), time_us);
}
GST_END_TEST;

// The same for the first request on a connection: a client may connect well
// before it sends anything.
GST_START_TEST(test_time_on_a_new_connection_is_the_request_arrival) {
  Collector c;
  g_autoptr(GSocketConnection) connection = raw_connect(c);
  int64_t connected_us = g_get_real_time();
  sleep_ms(500);
  int64_t sent_us = g_get_real_time();
  fail_unless(raw_send(connection, raw_post(kSessions, session_start())),
              "cannot send the sessionStart");
  RawResponse start = read_raw_response(connection);
  fail_unless(start.status == 201, "sessionStart: got %u", start.status);
  fail_unless(c.stop() == 0, "the collector did not exit with 0");
  Lines req = requests_of(c.record());
  fail_unless(req.size() == 1, "expected 1 request line, got %zu", req.size());
  int64_t time_us = req[0].num("time_us");
  fail_unless(time_us >= sent_us,
              "time_us is %" G_GINT64_FORMAT
              " ms after the connection was made, "
              "before the request line was sent (%" G_GINT64_FORMAT " ms after)",
              (time_us - connected_us) / 1000, (sent_us - connected_us) / 1000);
}
GST_END_TEST;

// ---------------------------------------------------------------------------
// Findings, end to end: each documented finding as the record shows it.

GST_START_TEST(test_finding_params_on_ping) {
  Collector c;
  std::string sid = c.open_session();
  Response ping =
      c.post(events_path(sid), event("ping", kT0 + 1000, 0, R"("params":{})"));
  fail_unless(ping.status == 400, "ping with params: expected 400, got %u", ping.status);
  fail_unless(c.stop() == 0, "the collector did not exit with 0");
  Lines req = requests_of(c.record());
  fail_unless(req.size() == 2, "expected 2 request lines, got %zu", req.size());
  fail_unless(req[1].num("status") == 400 && req[1].has("violation"),
              "the ping line is not a 400 with its violation");
  fail_unless(req[1].findings() == "params-on-ping",
              "the ping line has findings \"%s\", expected params-on-ping",
              req[1].findings().c_str());
}
GST_END_TEST;

GST_START_TEST(test_finding_event_after_session_end) {
  Collector c;
  std::string sid = c.open_session();
  Response end = c.post(events_path(sid), event("sessionEnd", kT0 + 1000));
  fail_unless(end.status == 204, "sessionEnd: got %u", end.status);
  Response play = c.post(events_path(sid), event("play", kT0 + 2000));
  fail_unless(play.status == 410, "play after sessionEnd: expected 410, got %u",
              play.status);
  fail_unless(c.stop() == 0, "the collector did not exit with 0");
  Lines req = requests_of(c.record());
  fail_unless(req.size() == 3, "expected 3 request lines, got %zu", req.size());
  fail_unless(req[2].num("status") == 410 && req[2].str("session") == sid,
              "line 3 is not the 410 on %s", sid.c_str());
  fail_unless(req[2].findings() == "event-after-session-end",
              "the 410 line has findings \"%s\", expected event-after-session-end",
              req[2].findings().c_str());
}
GST_END_TEST;

GST_START_TEST(test_finding_value_out_of_range) {
  Collector c;
  std::string sid = c.open_session();
  Response pod =
      c.post(events_path(sid),
             event("adBreakStart", kT0 + 1000, 0,
                   R"("params":{"media.ad.podIndex":0,"media.ad.podSecond":0})"));
  fail_unless(pod.status == 204, "adBreakStart: got %u", pod.status);
  Response ad = c.post(events_path(sid),
                       event("adStart", kT0 + 1100, 0,
                             R"("params":{"media.ad.id":"ad-1","media.ad.length":15,)"
                             R"("media.ad.podPosition":0,"media.ad.playerName":"p"})"));
  fail_unless(ad.status == 204, "adStart with podPosition 0: expected 204, got %u (%s)",
              ad.status, ad.body.c_str());
  fail_unless(c.stop() == 0, "the collector did not exit with 0");
  Lines req = requests_of(c.record());
  fail_unless(req.size() == 3, "expected 3 request lines, got %zu", req.size());
  fail_unless(req[2].findings() == "value-out-of-range",
              "the adStart line has findings \"%s\", expected value-out-of-range",
              req[2].findings().c_str());
  std::string message = req[2].finding_message("value-out-of-range");
  fail_unless(strstr(message.c_str(), "media.ad.podPosition") != nullptr,
              "the finding does not name media.ad.podPosition: %s", message.c_str());
}
GST_END_TEST;

GST_START_TEST(test_finding_gap_too_long) {
  Collector c({"--main-ping=1000", "--gap-slack=0"});
  std::string sid = c.open_session();
  Response play = c.post(events_path(sid), event("play", kT0 + 1000));
  fail_unless(play.status == 204, "play: got %u", play.status);
  Response ping = c.post(events_path(sid), event("ping", kT0 + 2500, 1.5));
  fail_unless(ping.status == 204, "ping: got %u", ping.status);
  fail_unless(c.stop() == 0, "the collector did not exit with 0");
  Lines req = requests_of(c.record());
  fail_unless(req.size() == 3, "expected 3 request lines, got %zu", req.size());
  fail_unless(req[1].findings().empty(), "the play 1000 ms in has findings \"%s\"",
              req[1].findings().c_str());
  fail_unless(req[2].findings() == "gap-too-long",
              "the ping 1500 ms later has findings \"%s\", expected gap-too-long",
              req[2].findings().c_str());
}
GST_END_TEST;

// docs/collector.md: the per-request findings are checked on every request
// with a JSON body, to an open session or not.
GST_START_TEST(test_findings_on_unknown_session) {
  Collector c;
  Response r =
      c.post(events_path("no-such-session"),
             event("chapterStart", kT0, 0,
                   R"("params":{"media.chapter.index":1,"media.chapter.offset":0,)"
                   R"("media.chapter.length":60},"customMetadata":{"a.x":"1"})"));
  fail_unless(r.status == 404, "unknown session: expected 404, got %u (%s)", r.status,
              r.body.c_str());
  fail_unless(c.stop() == 0, "the collector did not exit with 0");
  Lines req = requests_of(c.record());
  fail_unless(req.size() == 1, "expected 1 request line, got %zu", req.size());
  fail_unless(req[0].num("status") == 404, "recorded with status %" G_GINT64_FORMAT,
              req[0].num("status"));
  fail_unless(req[0].findings() == "custom-metadata-invalid",
              "the 404 line has findings \"%s\", expected custom-metadata-invalid",
              req[0].findings().c_str());
}
GST_END_TEST;

// docs/collector.md: any other event than sessionStart sent to
// /api/v1/sessions is a 400 naming eventType.
GST_START_TEST(test_wrong_event_to_sessions) {
  Collector c;
  Response r = c.post(kSessions, event("play", kT0));
  fail_unless(r.status == 400, "play to %s: expected 400, got %u", kSessions, r.status);
  g_autoptr(JsonNode) body = json_from_string(r.body.c_str(), nullptr);
  JsonObject *violation =
      body && JSON_NODE_HOLDS_OBJECT(body)
          ? json_object_get_object_member(json_node_get_object(body), "violation")
          : nullptr;
  fail_unless(violation && g_strcmp0(json_object_get_string_member_with_default(
                                         violation, "key", ""),
                                     "eventType") == 0,
              "the 400 body does not name eventType: %s", r.body.c_str());
  fail_unless(c.stop() == 0, "the collector did not exit with 0");
  Lines lines = c.record();
  fail_unless(lines.size() == 1, "expected 1 record line (no session), got %zu",
              lines.size());
  fail_unless(lines[0].violation_key() == "eventType" && !lines[0].has("session"),
              "the record line names \"%s\" (session \"%s\")",
              lines[0].violation_key().c_str(), lines[0].str("session").c_str());
}
GST_END_TEST;

// ---------------------------------------------------------------------------
// --print-timeline

// The lines of `text`, and the whitespace-separated words of one line.
static std::vector<std::string> lines_of(const std::string &text) {
  std::vector<std::string> out;
  g_auto(GStrv) parts = g_strsplit(text.c_str(), "\n", -1);
  for (char **part = parts; *part; part++)
    out.emplace_back(*part);
  return out;
}

static std::vector<std::string> words_of(const std::string &line) {
  std::vector<std::string> out;
  g_auto(GStrv) parts = g_strsplit_set(line.c_str(), " ", -1);
  for (char **part = parts; *part; part++)
    if (**part)
      out.emplace_back(*part);
  return out;
}

static std::string stripped(const std::string &line) {
  size_t start = line.find_first_not_of(' ');
  return start == std::string::npos ? "" : line.substr(start);
}

// The index of the event line whose t column is `t` and event is `type`.
static size_t event_line(const std::vector<std::string> &lines, const char *t,
                         const char *type, const std::string &text) {
  for (size_t i = 0; i < lines.size(); i++) {
    std::vector<std::string> words = words_of(lines[i]);
    if (words.size() >= 5 && words[0] == t && words[3] == type)
      return i;
  }
  fail("no event line with t %s and event %s in:\n%s", t, type, text.c_str());
  return 0;
}

GST_START_TEST(test_print_timeline) {
  Collector c;
  std::string sid = c.open_session();
  fail_unless(c.post(events_path(sid), event("play", kT0 + 1000)).status == 204,
              "play: not 204");
  fail_unless(c.post(events_path(sid), event("play", kT0 + 500)).status == 204,
              "play with an earlier ts: not 204");
  fail_unless(
      c.post(events_path(sid), event("ping", kT0 + 2000, 0, R"("params":{})")).status ==
          400,
      "ping with params: not 400");
  fail_unless(c.stop() == 0, "the collector did not exit with 0");

  Finished f = run_to_exit({"--print-timeline", c.record_path()});
  fail_unless(f.exited && f.status == 0, "--print-timeline: exit status %d\n%s", f.status,
              f.err.c_str());
  fail_unless(strstr(f.err.c_str(), "CRITICAL") == nullptr, "stderr: %s", f.err.c_str());
  const std::string &text = f.out;
  std::vector<std::string> lines = lines_of(text);
  size_t session = 0;
  while (session < lines.size() && lines[session] != "Session " + sid)
    session++;
  fail_unless(session + 1 < lines.size(), "no \"Session %s\" line in:\n%s", sid.c_str(),
              text.c_str());
  const std::string &header = lines[session + 1];
  size_t at = 0;
  for (const char *column :
       {"t (s)", "arrived", "playhead", "event", "http", "details"}) {
    size_t found = header.find(column, at);
    fail_unless(found != std::string::npos,
                "the header \"%s\" lacks the column \"%s\" (in its place)",
                header.c_str(), column);
    at = found + strlen(column);
  }

  size_t first_play = event_line(lines, "1.000", "play", text);
  fail_unless(stripped(lines[first_play + 1])[0] != '!',
              "the first play is followed by a finding:\n%s", text.c_str());
  size_t late_play = event_line(lines, "0.500", "play", text);
  fail_unless(words_of(lines[late_play])[4] == "204", "the late play's http is not 204");
  fail_unless(
      g_str_has_prefix(stripped(lines[late_play + 1]).c_str(), "! ts-not-increasing: "),
      "the line after the late play is not its ts-not-increasing finding:\n%s",
      text.c_str());
  size_t ping = event_line(lines, "2.000", "ping", text);
  fail_unless(words_of(lines[ping])[4] == "400", "the ping's http is not 400");
  fail_unless(g_str_has_prefix(stripped(lines[ping + 1]).c_str(), "x rejected: "),
              "the line after the 400 is not \"x rejected: ...\":\n%s", text.c_str());
}
GST_END_TEST;

// A record that is not what the collector writes (hand-edited, truncated, from
// another version) is printed as far as it makes sense, without crashing.
GST_START_TEST(test_print_timeline_malformed_record) {
  std::string path = make_run_dir() + G_DIR_SEPARATOR_S "record.jsonl";
  const std::string record =
      "not JSON at all\n"
      R"({"seq":1,"kind":"request","session":"s1","time_us":1,"status":201,)"
      R"("body":{"eventType":"sessionStart","playerTime":{"playhead":0,"ts":1e300}},)"
      R"("findings":[42]})"
      "\n"
      R"({"seq":2,"kind":"request","session":"s1","time_us":1e300,"status":"x",)"
      R"("body":{"eventType":"play","playerTime":{"playhead":1e300,"ts":1e300}},)"
      R"("findings":[null,"a",{"code":5,"message":[]}],"error":7,"fault":{}})"
      "\n"
      "[1,2\n"
      R"({"seq":3,"kind":"session-closed","session":"s1","reason":3,"findings":7})"
      "\n"
      R"({"kind":"request","session":5,"body":"text","findings":[1]})"
      "\n"
      R"({"kind":"request","session":"s2","body":{"eventType":1,"params":[1],)"
      R"("qoeData":"q","customMetadata":{"k":{}}},"time_us":-1e300})"
      "\n"
      "\x01\xff{\n"
      R"({"seq":4})";  // no final newline
  fail_unless(g_file_set_contents(path.c_str(), record.data(),
                                  static_cast<gssize>(record.size()), nullptr),
              "cannot write %s", path.c_str());
  Finished f = run_to_exit({"--print-timeline", path});
  fail_unless(f.exited && f.status == 0, "--print-timeline: exit status %d\n%s", f.status,
              f.err.c_str());
  fail_unless(strstr(f.err.c_str(), "CRITICAL") == nullptr, "stderr: %s", f.err.c_str());
  fail_unless(strstr(f.out.c_str(), "Session s1\n") != nullptr,
              "the session s1 is not printed:\n%s", f.out.c_str());
}
GST_END_TEST;

static Suite *collector_record_suite(void) {
  Suite *s = suite_create("collector-record");
  TCase *tc = add_process_tcase(s);
  tcase_add_test(tc, test_seq_is_the_line_number);
  tcase_add_test(tc, test_time_is_the_request_arrival);
  tcase_add_test(tc, test_time_on_a_new_connection_is_the_request_arrival);
  tcase_add_test(tc, test_findings_recorded);
  tcase_add_test(tc, test_finding_params_on_ping);
  tcase_add_test(tc, test_finding_event_after_session_end);
  tcase_add_test(tc, test_finding_value_out_of_range);
  tcase_add_test(tc, test_finding_gap_too_long);
  tcase_add_test(tc, test_findings_on_unknown_session);
  tcase_add_test(tc, test_wrong_event_to_sessions);
  tcase_add_test(tc, test_idle_timeout);
  tcase_add_test(tc, test_stall_timeout);
  tcase_add_test(tc, test_expiry_noticed_by_request_is_recorded);
  tcase_add_test(tc, test_print_timeline);
  tcase_add_test(tc, test_print_timeline_malformed_record);
  return s;
}

GST_CHECK_MAIN(collector_record);
