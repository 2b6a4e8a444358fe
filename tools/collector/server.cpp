#include "server.h"

#include "event-schemas.h"
#include "http-answers.h"
#include "json-util.h"
#include "request-body.h"

#include <cstring>
#include <string>
#include <utility>

namespace collector {

namespace {

constexpr char kSessionsPath[] = "/api/v1/sessions";
constexpr char kSchemasPrefix[] = "/api/v1/schemas/";
constexpr char kEventsSuffix[] = "/events";
constexpr char kArrivalKey[] = "collector-arrival";
constexpr char kSeenKey[] = "collector-seen";
// How often sessions past their limits are closed in the record (requests to
// them are answered 410 at once whatever this is), and connections whose
// client has gone are closed.
constexpr guint kTickMs = 100;
// How soon listening is tried again when the port is not free yet.
constexpr guint kRelistenRetryMs = 100;

// When the request's headers arrived: the record's time is arrival, not the
// moment the body was complete (nor, for a new connection, its accept).
struct Arrival {
  int64_t real_us;
  int64_t monotonic_us;
};

void stamp_arrival(SoupServerMessage *msg, gpointer) {
  auto *arrival = new Arrival{g_get_real_time(), g_get_monotonic_time()};
  g_object_set_data_full(G_OBJECT(msg), kArrivalKey, arrival,
                         [](gpointer p) { delete static_cast<Arrival *>(p); });
}

std::string event_type_of(JsonNode *body) {
  const char *type = string_member(as_object(body), "eventType");
  return type ? type : "";
}

std::string describe(const SchemaViolation &violation) {
  std::string where = violation.pointer.empty() ? "body" : violation.pointer;
  return where + ": " + violation.reason;
}

// The violation of an event body: unknown types have no schema to apply.
std::optional<SchemaViolation> validate_event(JsonNode *body) {
  std::string type = event_type_of(body);
  g_autoptr(JsonNode) schema = event_schema(type);
  if (!schema)
    return SchemaViolation{"/eventType", "eventType",
                           type.empty() ? "a string eventType is required"
                                        : "unknown event type \"" + type + "\""};
  return validate(schema, body);
}

}  // namespace

// One request while it is being handled.
struct Server::Request {
  explicit Request(SoupServerMessage *message) : msg(message) {}

  SoupServerMessage *msg;
  RequestEntry entry;
  Endpoint endpoint = Endpoint::kOther;
  JsonNodePtr body{nullptr, json_node_unref};
  int64_t now_us = 0;                   // arrival, monotonic
  std::optional<ClosedSession> closed;  // a sessionEnd closed its session
  int64_t index = 0;                    // how many requests arrived before it
  unsigned body_status = 0;             // why the body is unusable ...
  std::string body_error;               // ... when `body` is null
};

// A request whose answer a delay fault holds back.
struct Server::Deferred {
  Server *server;
  std::unique_ptr<Request> request;
  guint source = 0;
  gulong disconnected = 0;
};

Server::Server(const ServerOptions &options, Record &record)
    : options_(options),
      record_(record),
      store_(options.expiry, options.checks),
      faults_(options.faults) {}

Server::~Server() {
  for (auto &entry : deferred_) {
    g_source_remove(entry.second->source);
    g_signal_handler_disconnect(entry.first, entry.second->disconnected);
  }
  for (guint source : {tick_source_, disconnect_source_, relisten_source_}) {
    if (source)
      g_source_remove(source);
  }
  if (soup_) {
    stop_listening();
    g_object_unref(soup_);
  }
  g_clear_object(&certificate_);
}

// libsoup 3.2 keeps a connection open after an answer only while the server
// has a listener of its own, and the connections of the TlsAcceptor come
// through soup_server_accept_iostream(). Its own https listener cannot be
// used (tls-acceptor.h), so it gets one that nobody reaches: a Unix socket in
// the abstract namespace under a random name.
gboolean Server::listen_for_keepalive(GError **error) {
  g_autofree char *uuid = g_uuid_string_random();
  const std::string name = std::string("mediaanalytics-collector-") + uuid;
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new_with_type(
      name.c_str(), -1, G_UNIX_SOCKET_ADDRESS_ABSTRACT);
  g_autoptr(GSocket) socket = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
                                           G_SOCKET_PROTOCOL_DEFAULT, error);
  return socket && g_socket_bind(socket, address, FALSE, error) &&
         g_socket_listen(socket, error) &&
         soup_server_listen_socket(soup_, socket, static_cast<SoupServerListenOptions>(0),
                                   error);
}

// Closes the listener and every connection (with https, the handshakes in
// progress first: see tls-acceptor.h).
void Server::stop_listening() {
  tls_.reset();
  soup_server_disconnect(soup_);
}

// The listening socket is ours, so its port is read from it: libsoup 3.2's
// soup_server_get_uris() leaks an address object per call.
gboolean Server::listen(GError **error) {
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string(options_.host.c_str());
  if (!address) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "--host=%s: not an IP address", options_.host.c_str());
    return FALSE;
  }
  g_autoptr(GSocketAddress) wanted = g_inet_socket_address_new(address, port_);
  g_autoptr(GSocket) socket =
      g_socket_new(g_inet_address_get_family(address), G_SOCKET_TYPE_STREAM,
                   G_SOCKET_PROTOCOL_TCP, error);
  if (!socket || !g_socket_bind(socket, wanted, TRUE, error) ||
      !g_socket_listen(socket, error))
    return FALSE;
  g_autoptr(GSocketAddress) bound = g_socket_get_local_address(socket, error);
  if (!bound)
    return FALSE;
  if (certificate_) {
    tls_ = TlsAcceptor::start(
        socket, certificate_,
        [this](GIOStream *tls, GSocketAddress *peer) {
          g_autoptr(GError) refused = nullptr;
          if (!serve_stream(tls, peer, &refused))
            g_printerr("mediaanalytics-collector: cannot serve a connection: %s\n",
                       refused->message);
        },
        error);
    if (!tls_ || !listen_for_keepalive(error))
      return FALSE;
  } else if (!soup_server_listen_socket(soup_, socket,
                                        static_cast<SoupServerListenOptions>(0), error)) {
    return FALSE;
  }
  port_ = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
  return TRUE;
}

gboolean Server::start(GError **error) {
  if (!options_.tls_cert_file.empty()) {
    certificate_ = g_tls_certificate_new_from_files(options_.tls_cert_file.c_str(),
                                                    options_.tls_key_file.c_str(), error);
    if (!certificate_) {
      g_prefix_error(error, "cannot load --tls-cert/--tls-key: ");
      return FALSE;
    }
  }
  soup_ = soup_server_new("server-header", "mediaanalytics-collector ", nullptr);
  g_signal_connect(soup_, "request-started", G_CALLBACK(on_request_started), this);
  g_signal_connect(soup_, "request-aborted", G_CALLBACK(on_request_aborted), this);
  soup_server_add_early_handler(soup_, nullptr, on_early, this, nullptr);
  soup_server_add_handler(soup_, nullptr, on_request, this, nullptr);
  port_ = options_.port;
  if (!listen(error))
    return FALSE;
  bool v6 = options_.host.find(':') != std::string::npos;
  url_ = std::string(certificate_ ? "https://" : "http://") +
         (v6 ? "[" + options_.host + "]" : options_.host) + ":" + std::to_string(port_);
  tick_source_ = g_timeout_add(kTickMs, on_tick, this);
  return TRUE;
}

void Server::stop() {
  while (!deferred_.empty())
    forget_deferred(deferred_.begin()->first, "the collector stopped");
  if (soup_)
    stop_listening();
  // Sessions that were due to expire did expire, whatever happens next.
  expire_sessions(g_get_monotonic_time());
  for (const ClosedSession &closed : store_.close_all(CloseReason::kShutdown))
    record_closed(closed);
}

gboolean Server::serve_stream(GIOStream *stream, GSocketAddress *peer, GError **error) {
  g_autoptr(GSocketAddress) local =
      g_inet_socket_address_new_from_string(options_.host.c_str(), port_);
  return soup_server_accept_iostream(soup_, stream, local, peer, error);
}

void Server::record_closed(const ClosedSession &closed) {
  ClosedEntry entry;
  entry.time_us = g_get_real_time();
  entry.session = closed.id;
  entry.reason = close_reason_name(closed.reason);
  entry.findings = closed.findings;
  record_.write(entry);
}

void Server::expire_sessions(int64_t now_us) {
  for (const ClosedSession &closed : store_.expire(now_us))
    record_closed(closed);
}

gboolean Server::on_tick(gpointer self) {
  auto *server = static_cast<Server *>(self);
  server->expire_sessions(g_get_monotonic_time());
  server->reaper_.reap();
  return G_SOURCE_CONTINUE;
}

// A message is created when its connection is ready for a request; nothing
// has arrived yet.
void Server::on_request_started(SoupServer *, SoupServerMessage *msg, gpointer self) {
  // Also on the answers libsoup writes itself, like the real endpoint's.
  set_cors_headers(msg);
  g_signal_connect(msg, "got-headers", G_CALLBACK(stamp_arrival), nullptr);
  // libsoup answers a malformed request (bad request line or header) itself,
  // without calling a handler: it is recorded when that answer goes out.
  g_signal_connect(msg, "wrote-headers", G_CALLBACK(on_request_done), self);
}

// A request no handler saw, refused by libsoup as malformed: recorded when
// libsoup's answer goes out.
void Server::on_request_done(SoupServerMessage *msg, gpointer self) {
  static_cast<Server *>(self)->record_unseen(
      msg, soup_server_message_get_status(msg),
      "refused by the HTTP layer: malformed request");
}

// A request the client abandoned before it was complete: nothing answered.
void Server::on_request_aborted(SoupServer *, SoupServerMessage *msg, gpointer self) {
  static_cast<Server *>(self)->record_unseen(
      msg, 0, "connection closed before the request was complete");
}

void Server::record_unseen(SoupServerMessage *msg, unsigned status, const char *why) {
  if (g_object_get_data(G_OBJECT(msg), kSeenKey))
    return;
  const char *path = "";
  if (GUri *uri = soup_server_message_get_uri(msg))
    path = g_uri_get_path(uri);
  std::unique_ptr<Request> request = begin(msg, path);
  request->entry.status = status;
  request->entry.error = why;
  record_.write(request->entry);
}

void Server::on_early(SoupServer *, SoupServerMessage *msg, const char *path,
                      GHashTable *, gpointer self) {
  auto *server = static_cast<Server *>(self);
  collect_body(msg, server->options_.max_body_bytes);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
  if (soup_message_headers_get_encoding(headers) != SOUP_ENCODING_CONTENT_LENGTH ||
      soup_message_headers_get_content_length(headers) <= server->options_.max_body_bytes)
    return;
  // Too large by its own account: answered without waiting for the body (at
  // once for a client that waits for 100 Continue), on a connection that will
  // not be reused.
  std::unique_ptr<Request> request = server->begin(msg, path);
  soup_message_headers_replace(soup_server_message_get_response_headers(msg),
                               "Connection", "close");
  server->refuse(*request, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                 body_too_large(server->options_.max_body_bytes));
  server->finish(*request);
}

void Server::on_request(SoupServer *, SoupServerMessage *msg, const char *path,
                        GHashTable *, gpointer self) {
  auto *server = static_cast<Server *>(self);
  std::unique_ptr<Request> request = server->begin(msg, path);
  server->load_body(*request);
  if (server->drop_connection(*request)) {
    server->finish(*request);
    return;
  }
  int64_t delay = server->faults_.delay_ms(request->endpoint);
  if (delay > 0) {
    server->defer(std::move(request), delay);
    return;
  }
  server->respond(*request);
  server->finish(*request);
}

std::unique_ptr<Server::Request> Server::begin(SoupServerMessage *msg, const char *path) {
  g_object_set_data(G_OBJECT(msg), kSeenKey, GINT_TO_POINTER(1));
  auto request = std::make_unique<Request>(msg);
  auto *arrival = static_cast<Arrival *>(g_object_get_data(G_OBJECT(msg), kArrivalKey));
  request->now_us = arrival ? arrival->monotonic_us : g_get_monotonic_time();
  request->index = requests_++;
  request->entry.time_us = arrival ? arrival->real_us : g_get_real_time();
  // A request may be the first to notice an expiry; the closure goes on
  // record before the request it affects.
  expire_sessions(request->now_us);
  request->entry.peer = peer_of(msg);
  const char *method = soup_server_message_get_method(msg);
  request->entry.method = method ? method : "";
  request->entry.path = path;
  route(*request);
  return request;
}

void Server::route(Request &request) {
  const std::string &path = request.entry.path;
  const std::string sessions_prefix = std::string(kSessionsPath) + "/";
  const size_t suffix = strlen(kEventsSuffix);
  if (path == kSessionsPath) {
    request.endpoint = Endpoint::kSessions;
    request.entry.endpoint = "sessions";
  } else if (g_str_has_prefix(path.c_str(), sessions_prefix.c_str()) &&
             g_str_has_suffix(path.c_str(), kEventsSuffix) &&
             path.size() > sessions_prefix.size() + suffix) {
    std::string id = path.substr(sessions_prefix.size(),
                                 path.size() - sessions_prefix.size() - suffix);
    if (id.find('/') == std::string::npos) {
      request.endpoint = Endpoint::kEvents;
      request.entry.endpoint = "events";
      request.entry.session = id;
    }
  } else if (g_str_has_prefix(path.c_str(), kSchemasPrefix)) {
    request.endpoint = Endpoint::kSchemas;
    request.entry.endpoint = "schemas";
  }
  if (request.endpoint == Endpoint::kOther)
    request.entry.endpoint = "other";
}

bool Server::drop_connection(Request &request) {
  ConnectionFault fault = faults_.on_request(request.index, request.now_us);
  if (fault == ConnectionFault::kNone)
    return false;
  request.entry.fault =
      fault == ConnectionFault::kDrop ? "drop-connection" : "refuse-connections";
  g_autoptr(GIOStream) stream = soup_server_message_steal_connection(request.msg);
  g_io_stream_close(stream, nullptr, nullptr);
  if (fault == ConnectionFault::kRefuse)
    refuse_connections();
  return true;
}

void Server::respond(Request &request) {
  SoupServerMessage *msg = request.msg;
  const std::string &method = request.entry.method;
  SoupMessageHeaders *response_headers = soup_server_message_get_response_headers(msg);
  switch (request.endpoint) {
    case Endpoint::kOther:
      refuse(request, SOUP_STATUS_NOT_FOUND, "no such endpoint");
      return;
    case Endpoint::kSchemas:
      if (method != "GET" && method != "HEAD") {
        soup_message_headers_replace(response_headers, "Allow", "GET, HEAD");
        refuse(request, SOUP_STATUS_METHOD_NOT_ALLOWED, "schemas are read with GET");
        return;
      }
      handle_schema(request);
      return;
    case Endpoint::kSessions:
    case Endpoint::kEvents:
      break;
  }
  if (method == "OPTIONS") {
    request.entry.status = SOUP_STATUS_NO_CONTENT;
    answer_empty(msg, SOUP_STATUS_NO_CONTENT);
    return;
  }
  if (method != "POST") {
    soup_message_headers_replace(response_headers, "Allow", "POST, OPTIONS");
    refuse(request, SOUP_STATUS_METHOD_NOT_ALLOWED, "events are sent with POST");
    return;
  }
  if (unsigned status = faults_.injected_status(request.endpoint)) {
    request.entry.fault = "status";
    request.entry.status = status;
    answer_empty(msg, status);
    return;
  }
  if (!request.body) {
    refuse(request, request.body_status, request.body_error);
    return;
  }
  if (request.endpoint == Endpoint::kSessions)
    handle_session_start(request);
  else
    handle_event(request);
}

// The body is complete when the handler runs; it is read before any fault
// shapes the answer, so the record keeps the event a fault made the client lose.
void Server::load_body(Request &request) {
  if (request.entry.method != "POST" ||
      (request.endpoint != Endpoint::kSessions && request.endpoint != Endpoint::kEvents))
    return;
  BodyResult body = read_json_body(request.msg, options_.max_body_bytes);
  if (!body.json) {
    request.entry.raw_body = std::move(body.raw);
    request.body_status = body.status;
    request.body_error = std::move(body.error);
    return;
  }
  request.body = std::move(body.json);
  request.entry.body = request.body.get();
  request.entry.findings = SessionChecker::check_request(request.body.get());
}

void Server::refuse(Request &request, unsigned status, const std::string &error,
                    const SchemaViolation *violation, bool with_body) {
  request.entry.status = status;
  request.entry.error = error;
  if (violation)
    request.entry.violation = *violation;
  if (with_body)
    answer_error(request.msg, status, error, violation);
  else
    answer_empty(request.msg, status);
}

void Server::handle_schema(Request &request) {
  const std::string event_type = request.entry.path.substr(strlen(kSchemasPrefix));
  g_autoptr(JsonNode) schema = event_schema(event_type);
  if (!schema) {
    refuse(request, SOUP_STATUS_NOT_FOUND, "unknown event type \"" + event_type + "\"");
    return;
  }
  request.entry.status = SOUP_STATUS_OK;
  answer_json(request.msg, SOUP_STATUS_OK, schema);
}

void Server::handle_session_start(Request &request) {
  JsonNode *body = request.body.get();
  std::string type = event_type_of(body);
  std::optional<SchemaViolation> violation;
  if (!type.empty() && type != "sessionStart")
    violation = SchemaViolation{"/eventType", "eventType",
                                "only sessionStart opens a session; send " + type +
                                    " to /api/v1/sessions/{sid}/events"};
  else
    violation = validate_event(body);
  if (violation) {
    refuse(request, SOUP_STATUS_BAD_REQUEST, describe(*violation), &*violation);
    return;
  }
  SoupMessageHeaders *headers = soup_server_message_get_response_headers(request.msg);
  switch (faults_.location_fault()) {
    case LocationFault::kMissing:
      request.entry.fault = "location-missing";
      break;
    case LocationFault::kMalformed:
      // No session id after the prefix: what a broken proxy might leave.
      request.entry.fault = "location-malformed";
      soup_message_headers_replace(headers, "Location", "/api/v1/sessions/");
      break;
    case LocationFault::kNone: {
      Session &session = store_.open(request.now_us);
      request.entry.session = session.id;
      request.entry.findings = session.checker.observe(body, true, true);
      store_.touch(session, player_time_playhead(as_object(body)), request.now_us);
      std::string location = std::string(kSessionsPath) + "/" + session.id;
      soup_message_headers_replace(headers, "Location", location.c_str());
      break;
    }
  }
  request.entry.status = SOUP_STATUS_CREATED;
  answer_empty(request.msg, SOUP_STATUS_CREATED);
}

void Server::handle_event(Request &request) {
  JsonNode *body = request.body.get();
  std::optional<SchemaViolation> violation = validate_event(body);
  Session *session = store_.find(request.entry.session);
  // The events endpoint answers with a status only (spec §3.2), except for
  // the 400 that says what is wrong.
  if (!session) {
    refuse(request, SOUP_STATUS_NOT_FOUND, "unknown session", nullptr, false);
    return;
  }
  if (session->closed) {
    // After a sessionEnd the checker still has something to say (an event
    // after the end); an expired session is only checked request by request.
    if (*session->closed == CloseReason::kSessionEnd)
      request.entry.findings = session->checker.observe(body, !violation, false);
    refuse(request, SOUP_STATUS_GONE,
           std::string("session closed (") + close_reason_name(*session->closed) + ")",
           nullptr, false);
    return;
  }
  request.entry.findings = session->checker.observe(body, !violation, false);
  if (violation) {
    refuse(request, SOUP_STATUS_BAD_REQUEST, describe(*violation), &*violation);
    return;
  }
  store_.touch(*session, player_time_playhead(as_object(body)), request.now_us);
  if (event_type_of(body) == "sessionEnd")
    request.closed = store_.close(*session, CloseReason::kSessionEnd);
  request.entry.status = SOUP_STATUS_NO_CONTENT;
  answer_empty(request.msg, SOUP_STATUS_NO_CONTENT);
}

void Server::finish(Request &request) {
  if (request.entry.status != 0)  // a dropped connection is gone already
    reaper_.watch(soup_server_message_get_socket(request.msg));
  record_.write(request.entry);
  if (request.closed)
    record_closed(*request.closed);
}

// The request is handled when the delay is over, so the record and the
// sessions say what the client was eventually told; if the connection goes
// first, the record says so and nothing else happens.
void Server::defer(std::unique_ptr<Request> request, int64_t ms) {
  SoupServerMessage *msg = request->msg;
  soup_server_message_pause(msg);
  auto deferred = std::make_unique<Deferred>();
  deferred->server = this;
  deferred->request = std::move(request);
  deferred->source =
      g_timeout_add(static_cast<guint>(ms), on_deferred_due, deferred.get());
  deferred->disconnected =
      g_signal_connect(msg, "disconnected", G_CALLBACK(on_deferred_lost), deferred.get());
  deferred_.emplace(msg, std::move(deferred));
}

gboolean Server::on_deferred_due(gpointer data) {
  auto *deferred = static_cast<Deferred *>(data);
  Server *server = deferred->server;
  SoupServerMessage *msg = deferred->request->msg;
  deferred->source = 0;
  // libsoup does not watch a paused message's connection, so a client that
  // gave up is only noticed now.
  if (peer_has_closed(soup_server_message_get_socket(msg))) {
    server->forget_deferred(msg,
                            "the client closed the connection while the answer "
                            "was held back");
    return G_SOURCE_REMOVE;
  }
  g_signal_handler_disconnect(msg, deferred->disconnected);
  // Sessions see the request when it is handled: a session it opens starts
  // its clocks now, not at arrival.
  Request &request = *deferred->request;
  request.now_us = g_get_monotonic_time();
  server->expire_sessions(request.now_us);
  server->respond(request);
  server->finish(request);
  soup_server_message_unpause(msg);
  server->deferred_.erase(msg);  // frees `deferred`
  return G_SOURCE_REMOVE;
}

void Server::on_deferred_lost(SoupServerMessage *msg, gpointer data) {
  static_cast<Deferred *>(data)->server->forget_deferred(
      msg, "the connection closed while the answer was held back");
}

void Server::forget_deferred(SoupServerMessage *msg, const char *why, const char *fault) {
  auto it = deferred_.find(msg);
  if (it == deferred_.end())
    return;
  Deferred &deferred = *it->second;
  if (deferred.source)
    g_source_remove(deferred.source);
  g_signal_handler_disconnect(msg, deferred.disconnected);
  deferred.request->entry.error = why;
  if (fault)
    deferred.request->entry.fault = fault;
  record_.write(deferred.request->entry);
  // No answer will go out: release the connection rather than leave the
  // message paused forever.
  if (!soup_server_message_get_socket(msg) ||
      !g_socket_is_closed(soup_server_message_get_socket(msg))) {
    g_autoptr(GIOStream) stream = soup_server_message_steal_connection(msg);
    if (stream)
      g_io_stream_close(stream, nullptr, nullptr);
  }
  deferred_.erase(it);
}

void Server::refuse_connections() {
  // Closing the listener (and every connection) from inside a request's
  // handler would pull the connection out from under libsoup; do it next.
  if (!disconnect_source_)
    disconnect_source_ = g_idle_add(on_disconnect, this);
  int64_t ms = (faults_.refuse_until_us() - g_get_monotonic_time()) / 1000;
  if (relisten_source_)
    g_source_remove(relisten_source_);
  relisten_source_ =
      g_timeout_add(static_cast<guint>(ms > 0 ? ms : 0), on_relisten, this);
}

gboolean Server::on_disconnect(gpointer self) {
  auto *server = static_cast<Server *>(self);
  server->disconnect_source_ = 0;
  while (!server->deferred_.empty())
    server->forget_deferred(
        server->deferred_.begin()->first,
        "the collector stopped listening while the answer was held back",
        "refuse-connections");
  server->stop_listening();
  return G_SOURCE_REMOVE;
}

gboolean Server::on_relisten(gpointer self) {
  auto *server = static_cast<Server *>(self);
  server->relisten_source_ = 0;
  g_autoptr(GError) error = nullptr;
  if (!server->listen(&error)) {
    g_printerr("mediaanalytics-collector: cannot listen again on port %u: %s; retrying\n",
               server->port_, error->message);
    server->relisten_source_ = g_timeout_add(kRelistenRetryMs, on_relisten, server);
  }
  return G_SOURCE_REMOVE;
}

}  // namespace collector
