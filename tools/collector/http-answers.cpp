#include "http-answers.h"

#include "json-util.h"
#include "record.h"

namespace collector {

namespace {

// A 204 without Content-Length makes libsoup's server (3.2) take the answer
// as ended by EOF and close the connection after it, though RFC 9110 forbids
// a Content-Length there. The real endpoint keeps its connections alive, so
// once the headers are on the wire (without it) we declare the empty body by
// length, which is all libsoup looks at before reusing the connection.
void keep_alive_after_no_content(SoupServerMessage *msg, gpointer) {
  soup_message_headers_set_content_length(soup_server_message_get_response_headers(msg),
                                          0);
}

}  // namespace

std::string peer_of(SoupServerMessage *msg) {
  GSocketAddress *address = soup_server_message_get_remote_address(msg);
  if (!G_IS_INET_SOCKET_ADDRESS(address))
    return {};
  GInetSocketAddress *inet = G_INET_SOCKET_ADDRESS(address);
  GInetAddress *ip = g_inet_socket_address_get_address(inet);
  g_autofree char *host = g_inet_address_to_string(ip);
  std::string port = std::to_string(g_inet_socket_address_get_port(inet));
  if (g_inet_address_get_family(ip) == G_SOCKET_FAMILY_IPV6)
    return "[" + std::string(host) + "]:" + port;
  return std::string(host) + ":" + port;
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
    // As the real endpoint's 201: Content-Length 0, application/octet-stream.
    soup_server_message_set_response(msg, "application/octet-stream", SOUP_MEMORY_STATIC,
                                     "", 0);
  }
}

void answer_json(SoupServerMessage *msg, unsigned status, JsonNode *node) {
  const std::string text = json_text(node, true);
  soup_server_message_set_status(msg, status, nullptr);
  soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_COPY, text.data(),
                                   text.size());
}

void answer_error(SoupServerMessage *msg, unsigned status, const std::string &error,
                  const SchemaViolation *violation) {
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "status");
  json_builder_add_int_value(b, status);
  json_builder_set_member_name(b, "error");
  // It may quote the request's path, whose bytes need not be UTF-8 ("unknown
  // event type" of a schema): invalid ones become U+FFFD, so that the answer
  // is JSON.
  g_autofree char *valid_error =
      g_utf8_make_valid(error.data(), static_cast<gssize>(error.size()));
  json_builder_add_string_value(b, valid_error);
  if (violation) {
    json_builder_set_member_name(b, "violation");
    add_violation(b, *violation);
  }
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  answer_json(msg, status, root);
}

}  // namespace collector
