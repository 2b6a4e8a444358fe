// mediaanalytics-collector as a real process, under abuse: malformed input,
// deep nesting, oversized bodies and its memory, connections clients leave
// behind, stopping on SIGTERM and SIGINT, and invalid options
// (docs/collector.md). The fixture is in collector-process.h.

#include "collector-process.h"

#include <set>
#include <string>
#include <vector>

using namespace collector_test;

// ---------------------------------------------------------------------------

GST_START_TEST(test_malformed_input) {
  Collector c;
  std::string sid = c.open_session();
  const std::string events = events_path(sid);

  // Garbage request line and a header section that never ends: an error
  // answer or a closed connection, nothing else. (libsoup's server takes the
  // end of input for the end of the headers, so a truncated head gets a 4xx.)
  RawResponse garbage = raw_exchange(c, "HELLO\x01\x02 WORLD\r\n\r\n");
  fail_unless(garbage.status >= 400 && garbage.status < 500,
              "garbage request line: expected a 4xx, got %u", garbage.status);
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
  // json-glib 1.6 would take the last of several values (and leak the others).
  Response two_values = c.post(events, event("play", kT0 + 1) + " {}");
  fail_unless(two_values.status == 400 &&
                  two_values.body.find("more than one value") != std::string::npos,
              "an event followed by a second value: expected 400 naming it, got %u: %s",
              two_values.status, two_values.body.c_str());
  // json-glib 1.6 parses white space alone into no value (found by
  // fuzz-collector-request: the collector answered 500).
  Response blank = c.post(events, " \r\n\t");
  fail_unless(blank.status == 400, "a body of white space: expected 400, got %u: %s",
              blank.status, blank.body.c_str());
  Response trailing_space = c.post(events, event("play", kT0 + 1) + " \r\n");
  fail_unless(trailing_space.status == 204,
              "an event followed by white space: got %u: %s", trailing_space.status,
              trailing_space.body.c_str());
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
static int64_t peak_rss_kb(const char *pid) {
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

// docs/collector.md: it "exits 0 on SIGINT or SIGTERM after closing every open
// session in the record (reason collector-shutdown)".
GST_START_TEST(test_sigint) {
  Collector c;
  std::set<std::string> sids = {c.open_session(), c.open_session()};
  fail_unless(c.stop(5000, SIGINT) == 0, "the collector did not exit with 0 on SIGINT");
  Lines lines = c.record();
  fail_unless(lines.size() == 4, "expected 4 record lines, got %zu", lines.size());
  std::set<std::string> closed;
  for (size_t i = 2; i < lines.size(); i++) {
    fail_unless(lines[i].is_closed() && lines[i].str("reason") == "collector-shutdown",
                "line %zu is not a session-closed line with reason collector-shutdown",
                i + 1);
    closed.insert(lines[i].str("session"));
  }
  fail_unless(closed == sids, "the shutdown did not close exactly the two sessions");
}
GST_END_TEST;

// docs/collector.md: "Invalid options exit 2 with a message naming the option".
GST_START_TEST(test_invalid_options) {
  const struct {
    const char *arg;
    const char *option;
  } cases[] = {
      {"--host=not-an-ip", "--host"},
      {"--port=65536", "--port"},
      {"--idle-timeout=inf", "--idle-timeout"},
      {"--idle-timeout=nan", "--idle-timeout"},
      {"--idle-timeout=0", "--idle-timeout"},
      {"--delay-events=-1", "--delay-events"},
      {"--fail-next=100:1", "--fail-next"},
      {"--fail-next=600:1", "--fail-next"},
      {"--fail-next=503", "--fail-next"},
      {"--fail-fraction=199:0.5", "--fail-fraction"},
      {"--refuse=x", "--refuse"},
      {"--drop=0:99999999999", "--drop"},
      {"stray-argument", "stray-argument"},
  };
  std::string record = make_run_dir() + G_DIR_SEPARATOR_S "record.jsonl";
  for (const auto &test : cases) {
    Finished f = run_to_exit({"--record", record, test.arg}, 3000);
    fail_unless(f.exited && f.status == 2, "%s: expected exit status 2, got %d%s",
                test.arg, f.status, f.exited ? "" : " (it did not exit by itself)");
    fail_unless(strstr(f.err.c_str(), test.option) != nullptr,
                "%s: the message does not name %s: %s", test.arg, test.option,
                f.err.c_str());
    fail_unless(f.out.empty(), "%s: printed on stdout: %s", test.arg, f.out.c_str());
  }
}
GST_END_TEST;

// A client that hangs up in the middle of its body got no answer: the
// record says status 0, not an error status.
GST_START_TEST(test_abandoned_request_recorded_unanswered) {
  Collector c;
  {
    g_autoptr(GSocketConnection) connection = raw_connect(c);
    fail_unless(raw_send(connection,
                         "POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\n"
                         "Content-Type: application/json\r\n"
                         "Content-Length: 100\r\n\r\n{\"pla"),
                "cannot send the partial request");
  }
  fail_unless(c.wait_for_lines(1, 3000), "the abandoned request was not recorded");
  fail_unless(c.stop() == 0, "the collector did not exit with 0");
  Lines req = requests_of(c.record());
  fail_unless(req.size() == 1, "expected 1 request line, got %zu", req.size());
  fail_unless(req[0].num("status") == 0,
              "the abandoned request has status %" G_GINT64_FORMAT, req[0].num("status"));
  fail_unless(strstr(req[0].str("error").c_str(), "closed") != nullptr,
              "the error does not say the connection closed: %s",
              req[0].str("error").c_str());
}
GST_END_TEST;

static int count_fds(const char *pid) {
  g_autofree char *path = g_strdup_printf("/proc/%s/fd", pid);
  GDir *dir = g_dir_open(path, 0, nullptr);
  fail_unless(dir != nullptr, "cannot list %s", path);
  int count = 0;
  while (g_dir_read_name(dir))
    count++;
  g_dir_close(dir);
  return count;
}

// docs/collector.md, last paragraph: libsoup 3.2's server never notices a
// client closing an idle keep-alive connection; the collector closes them, so
// a client that opens a connection per event cannot exhaust its descriptors.
GST_START_TEST(test_connections_closed_by_clients_are_released) {
  Collector c;
  std::string sid = c.open_session();
  g_autofree char *pid = g_strdup(c.pid());
  const int baseline = count_fds(pid);
  const int n = 300;
  for (int i = 1; i <= n; i++) {
    g_autoptr(GSocketConnection) connection = raw_connect(c);
    std::string body = event("ping", kT0 + i * 1000, i);
    fail_unless(
        raw_send(connection, raw_post(events_path(sid), body, "application/json", true)),
        "event %d: cannot send", i);
    RawResponse r = read_raw_response(connection);
    fail_unless(r.status == 204, "event %d: expected 204, got %u", i, r.status);
    g_io_stream_close(G_IO_STREAM(connection), nullptr, nullptr);
  }
  // The collector looks for such connections every 100 ms; a loaded machine
  // gets a little longer.
  int64_t closed_at = now_ms();
  sleep_ms(300);
  int open = count_fds(pid);
  while (open > baseline + 10 && now_ms() - closed_at < 1000) {
    sleep_ms(100);
    open = count_fds(pid);
  }
  fail_unless(open <= baseline + 10,
              "%d descriptors open after %d clients closed their keep-alive connections "
              "(%d before)",
              open, n, baseline);
  Response play = c.post(events_path(sid), event("play", kT0 + (n + 1) * 1000, n + 1));
  fail_unless(play.status == 204, "after the connections: expected 204, got %u (%s)",
              play.status, play.error());
  fail_unless(c.stop() == 0, "the collector did not exit with 0");
}
GST_END_TEST;

// docs/collector.md: "requests libsoup itself refused as malformed are
// recorded too".
GST_START_TEST(test_garbage_request_line_recorded) {
  Collector c;
  RawResponse r = raw_exchange(c, "HELLO\x01\x02 WORLD\r\n\r\n");
  fail_unless(r.status == 400, "garbage request line: expected 400, got %u", r.status);
  c.wait_for_lines(1, 1000);
  fail_unless(c.stop() == 0, "the collector did not exit with 0");
  Lines req = requests_of(c.record());
  fail_unless(req.size() == 1,
              "expected the garbage request line in the record, got %zu request lines",
              req.size());
  fail_unless(req[0].num("status") == 400, "recorded with status %" G_GINT64_FORMAT,
              req[0].num("status"));
  fail_unless(strstr(req[0].str("error").c_str(), "malformed") != nullptr,
              "recorded with error \"%s\", not naming it malformed",
              req[0].str("error").c_str());
}
GST_END_TEST;

static Suite *collector_robustness_suite(void) {
  Suite *s = suite_create("collector-robustness");
  TCase *tc = add_process_tcase(s);
  tcase_add_test(tc, test_abandoned_request_recorded_unanswered);
  tcase_add_test(tc, test_malformed_input);
  tcase_add_test(tc, test_garbage_request_line_recorded);
  tcase_add_test(tc, test_very_deep_nesting_does_not_crash);
  tcase_add_test(tc, test_oversized_body_answered_from_head);
  tcase_add_test(tc, test_oversized_body_not_kept_in_memory);
  tcase_add_test(tc, test_connections_closed_by_clients_are_released);
  tcase_add_test(tc, test_shutdown);
  tcase_add_test(tc, test_sigint);
  tcase_add_test(tc, test_invalid_options);
  return s;
}

GST_CHECK_MAIN(collector_robustness);
