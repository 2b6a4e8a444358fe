#include "request-body.h"

#include <algorithm>

namespace collector {

namespace {

constexpr char kBodyKey[] = "collector-body";

// json-glib's parser recurses once per level, so a body nested some tens of
// thousands of levels deep would overflow the stack. Event bodies nest five
// levels at most; anything far deeper is refused unparsed.
constexpr int kMaxNesting = 64;

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

// What read_json_body() checks before the text reaches json-glib.
struct BodyShape {
  int depth = 0;  // deepest nesting of arrays and objects
  int top_level_values = 0;
};

bool is_json_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

BodyShape scan_shape(const std::string &text) {
  BodyShape shape;
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  bool in_scalar = false;  // inside a number or literal at the top level
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (is_json_space(c)) {
      in_scalar = false;
      continue;
    }
    bool structural = c == '"' || c == '[' || c == '{' || c == ']' || c == '}';
    if (depth == 0 && c != ']' && c != '}' && !(in_scalar && !structural))
      shape.top_level_values++;
    in_scalar = depth == 0 && !structural;
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      shape.depth = std::max(shape.depth, ++depth);
    } else if (c == ']' || c == '}') {
      depth--;
    }
  }
  return shape;
}

bool is_json_content_type(SoupServerMessage *msg) {
  const char *type = soup_message_headers_get_content_type(
      soup_server_message_get_request_headers(msg), nullptr);
  return type && g_ascii_strcasecmp(type, "application/json") == 0;
}

BodyResult refused(unsigned status, std::string error, std::string raw = {}) {
  BodyResult result;
  result.status = status;
  result.error = std::move(error);
  result.raw = std::move(raw);
  return result;
}

}  // namespace

std::string body_too_large(int64_t max_bytes) {
  return "request body larger than " + std::to_string(max_bytes) + " bytes";
}

void collect_body(SoupServerMessage *msg, int64_t max_bytes) {
  soup_message_body_set_accumulate(soup_server_message_get_request_body(msg), FALSE);
  auto *buffer = new BodyBuffer(static_cast<size_t>(max_bytes));
  g_object_set_data_full(G_OBJECT(msg), kBodyKey, buffer,
                         [](gpointer p) { delete static_cast<BodyBuffer *>(p); });
  g_signal_connect(msg, "got-chunk", G_CALLBACK(BodyBuffer::on_chunk), buffer);
}

BodyResult read_json_body(SoupServerMessage *msg, int64_t max_bytes) {
  auto *buffer = static_cast<BodyBuffer *>(g_object_get_data(G_OBJECT(msg), kBodyKey));
  if (buffer && buffer->overflow)
    return refused(SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, body_too_large(max_bytes));
  static const std::string kNoBody;
  const std::string &data = buffer ? buffer->data : kNoBody;
  if (!is_json_content_type(msg))
    return refused(SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
                   "Content-Type must be application/json", data);
  if (data.empty())
    return refused(SOUP_STATUS_BAD_REQUEST, "body is not JSON: the body is empty");
  BodyShape shape = scan_shape(data);
  if (shape.depth > kMaxNesting)
    return refused(SOUP_STATUS_BAD_REQUEST,
                   "body nests deeper than " + std::to_string(kMaxNesting) + " levels",
                   data);
  // json-glib 1.6 accepts "{} []", keeps the first value and leaks the
  // others; a body is one value.
  if (shape.top_level_values > 1)
    return refused(SOUP_STATUS_BAD_REQUEST,
                   "body is not JSON: more than one value at the top level", data);
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  g_autoptr(GError) error = nullptr;
  if (!json_parser_load_from_data(parser, data.data(), static_cast<gssize>(data.size()),
                                  &error))
    return refused(SOUP_STATUS_BAD_REQUEST,
                   std::string("body is not JSON: ") + error->message, data);
  BodyResult result;
  result.json.reset(json_parser_steal_root(parser));
  if (!result.json)  // json-glib takes white space alone for a document
    return refused(SOUP_STATUS_BAD_REQUEST, "body is not JSON: it holds no value", data);
  return result;
}

}  // namespace collector
