#include "server.h"

#include "event-schemas.h"

#include <cstring>
#include <string>
#include <utility>

namespace collector {

namespace {

constexpr char kApiPrefix[] = "/api/v1/";
constexpr char kSessionsPath[] = "/api/v1/sessions";
constexpr char kBodyKey[] = "collector-body";
// How often sessions past their limits are closed in the record (requests to
// them are answered 410 at once whatever this is), and connections whose
// client has gone are closed.
constexpr guint kTickMs = 100;

// The request body as it arrives, kept by us rather than by libsoup so that
// an oversized body never sits in memory.
struct BodyBuffer {
  explicit BodyBuffer(size_t max) : limit(max) {}

  static void on_chunk(SoupServerMessage *, GBytes *chunk, gpointer self) {
    auto *body = static_cast<BodyBuffer *>(self);
    gsize size = 0;
    const char *bytes = static_cast<const char *>(g_bytes_get_data(chunk, &size));
    if (body->overflow || body->data.size() + size > body->limit) {
      // Keep reading so the connection stays usable, but keep nothing.
      body->overflow = true;
      body->data.clear();
      return;
    }
    body->data.append(bytes, size);
  }

  std::string data;
  size_t limit;
  bool overflow = false;
};

std::string peer_of(SoupServerMessage *msg) {
  GSocketAddress *address = soup_server_message_get_remote_address(msg);
  if (!G_IS_INET_SOCKET_ADDRESS(address))
    return {};
  GInetSocketAddress *inet = G_INET_SOCKET_ADDRESS(address);
  g_autofree char *host =
      g_inet_address_to_string(g_inet_socket_address_get_address(inet));
  return std::string(host) + ":" + std::to_string(g_inet_socket_address_get_port(inet));
}

// A 204 without Content-Length makes libsoup's server (3.2) treat the answer
// as EOF-terminated and close the connection after it. The real endpoint keeps
// its connections alive, so once the headers are on the wire we declare the
// empty body by length, which is what libsoup checks before reusing the
// connection.
void keep_alive_after_no_content(SoupServerMessage *msg, gpointer) {
  soup_message_headers_set_content_length(soup_server_message_get_response_headers(msg),
                                          0);
}

void set_cors_headers(SoupServerMessage *msg) {
  SoupMessageHeaders *headers = soup_server_message_get_response_headers(msg);
  soup_message_headers_replace(headers, "Access-Control-Allow-Origin", "*");
  soup_message_headers_replace(headers, "Access-Control-Allow-Methods",
                               "OPTIONS,POST,PUT");
  soup_message_headers_replace(headers, "Access-Control-Expose-Headers", "Location");
}

void answer_empty(SoupServerMessage *msg, unsigned status) {
  soup_server_message_set_status(msg, status, nullptr);
  if (status == SOUP_STATUS_NO_CONTENT) {
    soup_message_headers_replace(soup_server_message_get_response_headers(msg),
                                 "Connection", "keep-alive");
    g_signal_connect(msg, "wrote-headers", G_CALLBACK(keep_alive_after_no_content),
                     nullptr);
  } else {
    soup_server_message_set_response(msg, "application/octet-stream", SOUP_MEMORY_STATIC,
                                     "", 0);
  }
}

void answer_json(SoupServerMessage *msg, unsigned status, JsonNode *node) {
  g_autoptr(JsonGenerator) generator = json_generator_new();
  json_generator_set_pretty(generator, TRUE);
  json_generator_set_root(generator, node);
  gsize length = 0;
  char *text = json_generator_to_data(generator, &length);
  soup_server_message_set_status(msg, status, nullptr);
  soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_TAKE, text,
                                   length);
}

// The answer to a refused request: what is wrong, in words and as a pointer.
void answer_error(SoupServerMessage *msg, unsigned status, const std::string &error,
                  const SchemaViolation *violation) {
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "status");
  json_builder_add_int_value(b, status);
  json_builder_set_member_name(b, "error");
  json_builder_add_string_value(b, error.c_str());
  if (violation) {
    json_builder_set_member_name(b, "violation");
    add_violation(b, *violation);
  }
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  answer_json(msg, status, root);
}

std::string describe(const SchemaViolation &violation) {
  std::string where = violation.pointer.empty() ? "body" : violation.pointer;
  return where + ": " + violation.reason;
}

// json-glib's parser recurses once per level, so a body nested some tens of
// thousands of levels deep would overflow the stack. Event bodies nest five
// levels at most; anything far deeper is refused unparsed.
constexpr int kMaxNesting = 64;

bool nests_deeper_than(const std::string &text, int limit) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit)
        return true;
    } else if (c == ']' || c == '}') {
      depth--;
    }
  }
  return false;
}

bool is_json_content_type(SoupServerMessage *msg) {
  const char *type = soup_message_headers_get_content_type(
      soup_server_message_get_request_headers(msg), nullptr);
  return type && g_ascii_strcasecmp(type, "application/json") == 0;
}

std::optional<double> playhead_of(JsonNode *body) {
  JsonObject *object =
      JSON_NODE_HOLDS_OBJECT(body) ? json_node_get_object(body) : nullptr;
  JsonNode *player_time = object ? json_object_get_member(object, "playerTime") : nullptr;
  if (!player_time || !JSON_NODE_HOLDS_OBJECT(player_time))
    return std::nullopt;
  JsonNode *playhead =
      json_object_get_member(json_node_get_object(player_time), "playhead");
  if (!playhead || !JSON_NODE_HOLDS_VALUE(playhead))
    return std::nullopt;
  GType type = json_node_get_value_type(playhead);
  if (type != G_TYPE_INT64 && type != G_TYPE_DOUBLE)
    return std::nullopt;
  return json_node_get_double(playhead);
}

std::string event_type_of(JsonNode *body) {
  if (!body || !JSON_NODE_HOLDS_OBJECT(body))
    return {};
  JsonNode *type = json_object_get_member(json_node_get_object(body), "eventType");
  if (!type || !JSON_NODE_HOLDS_VALUE(type) ||
      json_node_get_value_type(type) != G_TYPE_STRING)
    return {};
  return json_node_get_string(type);
}

}  // namespace

// One request while it is being handled.
struct Server::Request {
  explicit Request(SoupServerMessage *message) : msg(message) {}
  Request(Request &&other) noexcept
      : msg(other.msg),
        entry(std::move(other.entry)),
        endpoint(other.endpoint),
        body(std::exchange(other.body, nullptr)),
        now_us(other.now_us),
        closed(std::move(other.closed)) {}

  SoupServerMessage *msg;
  RequestEntry entry;
  Endpoint endpoint = Endpoint::kOther;
  JsonNode *body = nullptr;             // owned
  int64_t now_us = 0;                   // monotonic
  std::optional<ClosedSession> closed;  // a sessionEnd closed its session

  ~Request() {
    if (body)
      json_node_unref(body);
  }
};

Server::Server(const ServerOptions &options, Record &record)
    : options_(options),
      record_(record),
      store_(options.expiry, options.checks),
      faults_(options.faults) {}

Server::~Server() {
  if (tick_source_)
    g_source_remove(tick_source_);
  if (relisten_source_)
    g_source_remove(relisten_source_);
  if (soup_) {
    soup_server_disconnect(soup_);
    g_object_unref(soup_);
  }
}

gboolean Server::listen(GError **error) {
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string(options_.host.c_str());
  if (!address) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "--host=%s: not an IP address", options_.host.c_str());
    return FALSE;
  }
  g_autoptr(GSocketAddress) socket_address = g_inet_socket_address_new(address, port_);
  if (!soup_server_listen(soup_, socket_address, static_cast<SoupServerListenOptions>(0),
                          error))
    return FALSE;
  GSList *uris = soup_server_get_uris(soup_);
  if (uris) {
    GUri *uri = static_cast<GUri *>(uris->data);
    port_ = static_cast<unsigned>(g_uri_get_port(uri));
  }
  g_slist_free_full(uris, reinterpret_cast<GDestroyNotify>(g_uri_unref));
  return TRUE;
}

gboolean Server::start(GError **error) {
  soup_ = soup_server_new("server-header", "mediaanalytics-collector ", nullptr);
  soup_server_add_early_handler(soup_, nullptr, on_early, this, nullptr);
  soup_server_add_handler(soup_, nullptr, on_request, this, nullptr);
  port_ = options_.port;
  if (!listen(error))
    return FALSE;
  bool v6 = strchr(options_.host.c_str(), ':') != nullptr;
  url_ = std::string("http://") + (v6 ? "[" + options_.host + "]" : options_.host) + ":" +
         std::to_string(port_);
  tick_source_ = g_timeout_add(kTickMs, on_tick, this);
  return TRUE;
}

void Server::stop() {
  if (soup_)
    soup_server_disconnect(soup_);
  for (const ClosedSession &closed : store_.close_all(CloseReason::kShutdown))
    record_closed(closed);
}

void Server::record_closed(const ClosedSession &closed) {
  ClosedEntry entry;
  entry.seq = ++seq_;
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

void Server::on_early(SoupServer *, SoupServerMessage *msg, const char *path,
                      GHashTable *, gpointer self) {
  auto *server = static_cast<Server *>(self);
  // The body is never kept by libsoup: we keep what fits, or nothing.
  soup_message_body_set_accumulate(soup_server_message_get_request_body(msg), FALSE);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);
  if (soup_message_headers_get_encoding(headers) == SOUP_ENCODING_CONTENT_LENGTH &&
      soup_message_headers_get_content_length(headers) >
          server->options_.max_body_bytes) {
    // The answer goes out once the body has been read past (or at once for a
    // client that waits for 100 Continue); the connection is not reused.
    Request request = server->begin(msg, path);
    soup_message_headers_replace(soup_server_message_get_response_headers(msg),
                                 "Connection", "close");
    server->refuse(request, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                   "request body larger than " +
                       std::to_string(server->options_.max_body_bytes) + " bytes");
    server->finish(request);
    return;
  }
  auto *buffer = new BodyBuffer(static_cast<size_t>(server->options_.max_body_bytes));
  g_object_set_data_full(G_OBJECT(msg), kBodyKey, buffer,
                         [](gpointer p) { delete static_cast<BodyBuffer *>(p); });
  g_signal_connect(msg, "got-chunk", G_CALLBACK(BodyBuffer::on_chunk), buffer);
}

void Server::on_request(SoupServer *, SoupServerMessage *msg, const char *path,
                        GHashTable *, gpointer self) {
  auto *server = static_cast<Server *>(self);
  Request request = server->begin(msg, path);
  server->handle(request);
  server->finish(request);
}

Server::Request Server::begin(SoupServerMessage *msg, const char *path) {
  Request request(msg);
  request.now_us = g_get_monotonic_time();
  // A request may be the first to notice an expiry; the closure goes on
  // record before the request it affects.
  expire_sessions(request.now_us);
  request.entry.seq = ++seq_;
  request.entry.time_us = g_get_real_time();
  request.entry.peer = peer_of(msg);
  request.entry.method = soup_server_message_get_method(msg);
  request.entry.path = path;
  route(request);
  set_cors_headers(msg);
  return request;
}

void Server::refuse(Request &request, unsigned status, const std::string &error,
                    const SchemaViolation *violation) {
  request.entry.status = status;
  request.entry.error = error;
  if (violation)
    request.entry.violation = *violation;
  answer_error(request.msg, status, error, violation);
}

void Server::route(Request &request) {
  const std::string &path = request.entry.path;
  const std::string sessions_prefix = std::string(kSessionsPath) + "/";
  const std::string schemas_prefix = std::string(kApiPrefix) + "schemas/";
  constexpr char kEventsSuffix[] = "/events";
  if (path == kSessionsPath) {
    request.endpoint = Endpoint::kSessions;
    request.entry.endpoint = "sessions";
  } else if (g_str_has_prefix(path.c_str(), sessions_prefix.c_str()) &&
             g_str_has_suffix(path.c_str(), kEventsSuffix) &&
             path.size() > sessions_prefix.size() + strlen(kEventsSuffix)) {
    std::string id =
        path.substr(sessions_prefix.size(),
                    path.size() - sessions_prefix.size() - strlen(kEventsSuffix));
    if (id.find('/') == std::string::npos) {
      request.endpoint = Endpoint::kEvents;
      request.entry.endpoint = "events";
      request.entry.session = id;
    }
  } else if (g_str_has_prefix(path.c_str(), schemas_prefix.c_str())) {
    request.endpoint = Endpoint::kSchemas;
    request.entry.endpoint = "schemas";
  }
  if (request.endpoint == Endpoint::kOther)
    request.entry.endpoint = "other";
}

void Server::handle(Request &request) {
  SoupServerMessage *msg = request.msg;
  ConnectionFault connection = faults_.on_request(requests_++, request.now_us);
  if (connection != ConnectionFault::kNone) {
    request.entry.fault =
        connection == ConnectionFault::kDrop ? "drop-connection" : "refuse-connections";
    g_autoptr(GIOStream) stream = soup_server_message_steal_connection(msg);
    g_io_stream_close(stream, nullptr, nullptr);
    if (connection == ConnectionFault::kRefuse)
      refuse_connections();
    return;
  }

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
    answer_empty(msg, SOUP_STATUS_NO_CONTENT);
    request.entry.status = SOUP_STATUS_NO_CONTENT;
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
  if (!read_json_body(request))
    return;
  if (request.endpoint == Endpoint::kSessions)
    handle_session_start(request);
  else
    handle_event(request);
}

bool Server::read_json_body(Request &request) {
  auto *buffer =
      static_cast<BodyBuffer *>(g_object_get_data(G_OBJECT(request.msg), kBodyKey));
  if (buffer && buffer->overflow) {
    refuse(
        request, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
        "request body larger than " + std::to_string(options_.max_body_bytes) + " bytes");
    return false;
  }
  const std::string empty;
  const std::string &data = buffer ? buffer->data : empty;
  if (!is_json_content_type(request.msg)) {
    request.entry.raw_body = data;
    refuse(request, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
           "Content-Type must be application/json");
    return false;
  }
  if (nests_deeper_than(data, kMaxNesting)) {
    request.entry.raw_body = data;
    refuse(request, SOUP_STATUS_BAD_REQUEST,
           "body nests deeper than " + std::to_string(kMaxNesting) + " levels");
    return false;
  }
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  g_autoptr(GError) error = nullptr;
  if (data.empty() ||
      !json_parser_load_from_data(parser, data.data(), static_cast<gssize>(data.size()),
                                  &error)) {
    request.entry.raw_body = data;
    refuse(request, SOUP_STATUS_BAD_REQUEST,
           std::string("body is not JSON: ") + (error ? error->message : "empty body"));
    return false;
  }
  request.body = json_parser_steal_root(parser);
  request.entry.body = request.body;
  return true;
}

void Server::handle_schema(Request &request) {
  const std::string event_type =
      request.entry.path.substr(strlen(kApiPrefix) + strlen("schemas/"));
  g_autoptr(JsonNode) schema = event_schema(event_type);
  if (!schema) {
    refuse(request, SOUP_STATUS_NOT_FOUND, "unknown event type \"" + event_type + "\"");
    return;
  }
  request.entry.status = SOUP_STATUS_OK;
  answer_json(request.msg, SOUP_STATUS_OK, schema);
}

void Server::handle_session_start(Request &request) {
  g_autoptr(JsonNode) schema = event_schema("sessionStart");
  if (auto violation = validate(schema, request.body)) {
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
      request.entry.findings = session.checker.observe(request.body, true, true);
      store_.touch(session, playhead_of(request.body), request.now_us);
      std::string location = std::string(kSessionsPath) + "/" + session.id;
      soup_message_headers_replace(headers, "Location", location.c_str());
      break;
    }
  }
  request.entry.status = SOUP_STATUS_CREATED;
  answer_empty(request.msg, SOUP_STATUS_CREATED);
}

void Server::handle_event(Request &request) {
  Session *session = store_.find(request.entry.session);
  if (!session) {
    refuse(request, SOUP_STATUS_NOT_FOUND, "unknown session");
    return;
  }
  if (session->closed) {
    refuse(request, SOUP_STATUS_GONE,
           std::string("session closed (") + close_reason_name(*session->closed) + ")");
    return;
  }
  std::string type = event_type_of(request.body);
  g_autoptr(JsonNode) schema = event_schema(type);
  std::optional<SchemaViolation> violation;
  if (!schema) {
    violation = SchemaViolation{"/eventType", "eventType",
                                type.empty() ? "a string eventType is required"
                                             : "unknown event type \"" + type + "\""};
  } else {
    violation = validate(schema, request.body);
  }
  request.entry.findings = session->checker.observe(request.body, !violation, false);
  if (violation) {
    refuse(request, SOUP_STATUS_BAD_REQUEST, describe(*violation), &*violation);
    return;
  }
  store_.touch(*session, playhead_of(request.body), request.now_us);
  if (type == "sessionEnd")
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
  int64_t delay = faults_.delay_ms(request.endpoint);
  if (delay <= 0 || request.entry.status == 0)
    return;
  // Hold the answer back; the message keeps its own reference meanwhile.
  soup_server_message_pause(request.msg);
  g_timeout_add_full(
      G_PRIORITY_DEFAULT, static_cast<guint>(delay),
      [](gpointer msg) -> gboolean {
        soup_server_message_unpause(static_cast<SoupServerMessage *>(msg));
        return G_SOURCE_REMOVE;
      },
      g_object_ref(request.msg), g_object_unref);
}

void Server::refuse_connections() {
  // Closing the listener (and every connection) from inside a request's
  // handler would pull the connection out from under libsoup; do it next.
  g_idle_add(
      [](gpointer self) -> gboolean {
        soup_server_disconnect(static_cast<Server *>(self)->soup_);
        return G_SOURCE_REMOVE;
      },
      this);
  int64_t ms = (faults_.refuse_until_us() - g_get_monotonic_time()) / 1000;
  relisten_source_ =
      g_timeout_add(static_cast<guint>(ms > 0 ? ms : 0), on_relisten, this);
}

gboolean Server::on_relisten(gpointer self) {
  auto *server = static_cast<Server *>(self);
  g_autoptr(GError) error = nullptr;
  if (!server->listen(&error)) {
    g_warning("cannot listen again on port %u: %s; retrying", server->port_,
              error->message);
    return G_SOURCE_CONTINUE;
  }
  server->relisten_source_ = 0;
  return G_SOURCE_REMOVE;
}

}  // namespace collector
