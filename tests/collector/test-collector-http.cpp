// mediaanalytics-collector as a real process, its HTTP face: the URL it
// prints, the schemas it serves, a session's life, validation statuses, CORS,
// --host/--port, and keep-alive (docs/collector.md, "Endpoints" and
// "Connections"). The fixture is in collector-process.h.

#include "collector-process.h"
#include "event-schemas.h"

#include <set>
#include <string>
#include <vector>

using namespace collector_test;

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
  const int n = 2000;
  for (int i = 1; i <= n; i++) {
    std::string body = event("ping", kT0 + i * 1000, i);
    fail_unless(
        raw_send(connection, raw_post(events_path(sid), body, "application/json", true)),
        "event %d: the collector closed the connection", i);
    RawResponse r = read_raw_response(connection);
    fail_unless(r.status == 204, "event %d: expected 204, got %u", i, r.status);
  }
  fail_unless(c.stop() == 0, "the collector did not exit with 0");

  std::set<std::string> peers;
  Lines req = requests_of(c.record());
  fail_unless(req.size() == 1 + n, "expected %d request lines, got %zu", 1 + n,
              req.size());
  for (size_t i = 1; i < req.size(); i++)
    peers.insert(req[i].str("peer"));
  fail_unless(peers.size() == 1, "the events came over %zu connections, expected 1",
              peers.size());
}
GST_END_TEST;

// docs/collector.md, "Endpoints": on the events endpoint a 404 (session never
// opened) and a 410 (session closed) have no body; a 400 says why in JSON.
GST_START_TEST(test_events_error_bodies) {
  Collector c;
  std::string sid = c.open_session();
  Response unknown = c.post(events_path("no-such-session"), event("play", kT0 + 1));
  fail_unless(unknown.status == 404, "unknown session: expected 404, got %u (%s)",
              unknown.status, unknown.error());
  fail_unless(unknown.body.empty(), "the 404 has a body: %s", unknown.body.c_str());

  Response bad = c.post(events_path(sid), event("play", kT0 + 1, 0, R"("nope":1)"));
  fail_unless(bad.status == 400, "unknown key: expected 400, got %u", bad.status);
  g_autoptr(JsonNode) error_body = json_from_string(bad.body.c_str(), nullptr);
  fail_unless(error_body && JSON_NODE_HOLDS_OBJECT(error_body),
              "the 400 body is not a JSON object: \"%s\"", bad.body.c_str());
  JsonObject *error = json_node_get_object(error_body);
  fail_unless(json_object_get_int_member_with_default(error, "status", 0) == 400 &&
                  *json_object_get_string_member_with_default(error, "error", "") &&
                  json_object_get_object_member(error, "violation") != nullptr,
              "the 400 body lacks status, error or violation: %s", bad.body.c_str());

  Response end = c.post(events_path(sid), event("sessionEnd", kT0 + 2));
  fail_unless(end.status == 204, "sessionEnd: expected 204, got %u", end.status);
  Response gone = c.post(events_path(sid), event("ping", kT0 + 3));
  fail_unless(gone.status == 410, "event after sessionEnd: expected 410, got %u",
              gone.status);
  fail_unless(gone.body.empty(), "the 410 has a body: %s", gone.body.c_str());
  for (const Response *r : {&unknown, &gone})
    fail_unless(r->header("Content-Length").empty() || r->header("Content-Length") == "0",
                "a %u has Content-Length %s", r->status,
                r->header("Content-Length").c_str());
  fail_unless(c.stop() == 0, "the collector did not exit with 0");
}
GST_END_TEST;

// docs/collector.md: OPTIONS on the two POST paths is a CORS preflight (204),
// and every answer carries Access-Control-Allow-Origin: *.
GST_START_TEST(test_cors) {
  Collector c;
  Response preflight = c.request("OPTIONS", kSessions);
  fail_unless(preflight.status == 204, "OPTIONS %s: expected 204, got %u (%s)", kSessions,
              preflight.status, preflight.error());
  fail_unless(strstr(preflight.header("Access-Control-Expose-Headers").c_str(),
                     "Location") != nullptr,
              "the preflight's Access-Control-Expose-Headers is \"%s\"",
              preflight.header("Access-Control-Expose-Headers").c_str());

  Response start = c.post(kSessions, session_start());
  fail_unless(start.status == 201, "sessionStart: got %u", start.status);
  std::string sid = sid_of_location(start.header("Location"));
  Response events_preflight = c.request("OPTIONS", events_path(sid));
  fail_unless(events_preflight.status == 204, "OPTIONS on events: expected 204, got %u",
              events_preflight.status);
  Response play = c.post(events_path(sid), event("play", kT0 + 1));
  fail_unless(play.status == 204, "play: got %u", play.status);
  Response bad = c.post(events_path(sid), "{");
  fail_unless(bad.status == 400, "bad JSON: got %u", bad.status);

  const Response *answers[] = {&preflight, &start, &events_preflight, &play, &bad};
  for (const Response *r : answers)
    fail_unless(r->header("Access-Control-Allow-Origin") == "*",
                "a %u answer has Access-Control-Allow-Origin \"%s\"", r->status,
                r->header("Access-Control-Allow-Origin").c_str());
  fail_unless(c.stop() == 0, "the collector did not exit with 0");

  Lines req = requests_of(c.record());
  fail_unless(req.size() == 5, "expected 5 request lines, got %zu", req.size());
  fail_unless(req[0].str("method") == "OPTIONS" && req[0].num("status") == 204,
              "line 1 is not the 204 to OPTIONS");
}
GST_END_TEST;

// A port free on `host` right now (nothing is listening on it).
static guint16 free_port(const char *host) {
  g_autoptr(GError) error = nullptr;
  g_autoptr(GSocket) socket = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                           G_SOCKET_PROTOCOL_TCP, &error);
  fail_unless(socket != nullptr, "cannot make a socket: %s", error->message);
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string(host);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new(address, 0);
  fail_unless(g_socket_bind(socket, any, FALSE, &error), "cannot bind %s: %s", host,
              error->message);
  g_autoptr(GSocketAddress) bound = g_socket_get_local_address(socket, &error);
  fail_unless(bound != nullptr, "no local address: %s", error ? error->message : "?");
  guint16 port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
  g_socket_close(socket, nullptr);
  return port;
}

GST_START_TEST(test_host_and_port) {
  const char *host = "127.0.0.2";
  guint16 port = free_port(host);
  Collector c({std::string("--host=") + host, "--port=" + std::to_string(port)});
  std::string expected = std::string("http://") + host + ":" + std::to_string(port);
  fail_unless(c.url() == expected, "the first line is \"%s\", expected %s",
              c.url().c_str(), expected.c_str());
  std::string sid = c.open_session();
  Response play = c.post(events_path(sid), event("play", kT0 + 1));
  fail_unless(play.status == 204, "play on %s: expected 204, got %u (%s)",
              expected.c_str(), play.status, play.error());
  fail_unless(c.stop() == 0, "the collector did not exit with 0");
  Lines req = requests_of(c.record());
  fail_unless(
      req.size() == 2 && req[0].num("status") == 201 && req[1].num("status") == 204,
      "the record does not hold the 201 and the 204");
}
GST_END_TEST;

static Suite *collector_http_suite(void) {
  Suite *s = suite_create("collector-http");
  TCase *tc = add_process_tcase(s);
  tcase_add_test(tc, test_url_and_schemas);
  tcase_add_test(tc, test_session_lifecycle);
  tcase_add_test(tc, test_events_error_bodies);
  tcase_add_test(tc, test_validation);
  tcase_add_test(tc, test_refused_events_name_their_session);
  tcase_add_test(tc, test_cors);
  tcase_add_test(tc, test_host_and_port);
  tcase_add_test(tc, test_keep_alive);
  tcase_add_test(tc, test_keep_alive_raw_connection);
  return s;
}

GST_CHECK_MAIN(collector_http);
