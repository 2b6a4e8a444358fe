// Typed, null-safe reads of json-glib trees. Request bodies are untrusted: a
// member may be missing or of any JSON type, and every reader here answers
// "nothing" for both rather than warning or guessing.
#pragma once

#include <json-glib/json-glib.h>

#include <cstdint>
#include <optional>
#include <string>

namespace collector {

inline JsonObject *as_object(JsonNode *node) {
  return node && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : nullptr;
}

inline JsonArray *as_array(JsonNode *node) {
  return node && JSON_NODE_HOLDS_ARRAY(node) ? json_node_get_array(node) : nullptr;
}

inline const char *as_string(JsonNode *node) {
  if (!node || !JSON_NODE_HOLDS_VALUE(node) ||
      json_node_get_value_type(node) != G_TYPE_STRING)
    return nullptr;
  return json_node_get_string(node);
}

// json-glib keeps integer literals as int64 and the rest as double; a JSON
// number may be either.
inline std::optional<double> as_number(JsonNode *node) {
  if (!node || !JSON_NODE_HOLDS_VALUE(node))
    return std::nullopt;
  GType type = json_node_get_value_type(node);
  if (type == G_TYPE_INT64)
    return static_cast<double>(json_node_get_int(node));
  if (type == G_TYPE_DOUBLE)
    return json_node_get_double(node);
  return std::nullopt;
}

inline JsonNode *member(JsonObject *object, const char *name) {
  return object ? json_object_get_member(object, name) : nullptr;
}

inline JsonObject *object_member(JsonObject *object, const char *name) {
  return as_object(member(object, name));
}

inline const char *string_member(JsonObject *object, const char *name) {
  return as_string(member(object, name));
}

inline std::optional<double> number_member(JsonObject *object, const char *name) {
  return as_number(member(object, name));
}

// The JSON text of `node`, as json-glib writes it but for its bugs (1.6),
// which a client's body can trigger: a double whose shortest form has an
// exponent and no '.' (1e-300, 1e+22) comes out with ".0" appended
// ("1e-300.0"), which is not JSON: the ".0" is left out; a number beyond the
// doubles ("1e999") parses to infinity, written "inf.0": it is written
// "1e999"; U+001F in a string is written raw, which RFC 8259 forbids: it
// is escaped; and an escaped lone surrogate ("\ud800") in a string or member
// name comes out as bytes that are not UTF-8: they become U+FFFD.
std::string json_text(JsonNode *node, bool pretty);

// playerTime.ts in ms: an integer as sent, or a double rounded to the nearest
// millisecond when it fits.
std::optional<int64_t> player_time_ts(JsonObject *event);
std::optional<double> player_time_playhead(JsonObject *event);

}  // namespace collector
