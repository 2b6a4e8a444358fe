#include "json-util.h"

#include <cmath>
#include <cstring>

namespace collector {

std::string json_text(JsonNode *node, bool pretty) {
  g_autoptr(JsonGenerator) generator = json_generator_new();
  json_generator_set_pretty(generator, pretty);
  json_generator_set_root(generator, node);
  g_autofree char *written = json_generator_to_data(generator, nullptr);
  // json-glib's parser takes an escaped lone surrogate ("\ud800") into its
  // strings and member names as bytes that are not UTF-8, and its
  // generator writes them as they are: U+FFFD instead, inside the string.
  g_autofree char *generated = g_utf8_make_valid(written, -1);
  std::string text;
  bool in_string = false;
  bool escaped = false;
  bool in_exponent = false;  // after the 'e' of a number, outside strings
  for (const char *c = generated; *c; c++) {
    if (in_string && *c == '\x1f') {
      text += "\\u001f";  // escaped as RFC 8259 requires
      continue;
    }
    if (in_string) {
      in_string = escaped || *c != '"';
      escaped = !escaped && *c == '\\';
    } else if (*c == '"') {
      in_string = true;
    } else if (in_exponent && c[0] == '.' && c[1] == '0') {
      c++;  // the ".0" json-glib appended: not part of the number
      continue;
    } else if (std::strncmp(c, "inf.0", 5) == 0) {
      // A number too large for a double ("1e999") parses to infinity, which
      // json-glib writes "inf.0": written as a number that overflows alike.
      text += "1e999";
      c += 4;
      continue;
    } else {
      in_exponent = *c == 'e' || *c == 'E' ||
                    (in_exponent && (g_ascii_isdigit(*c) || *c == '+' || *c == '-'));
    }
    text.push_back(*c);
  }
  return text;
}

std::optional<int64_t> player_time_ts(JsonObject *event) {
  JsonNode *node = member(object_member(event, "playerTime"), "ts");
  if (node && JSON_NODE_HOLDS_VALUE(node) &&
      json_node_get_value_type(node) == G_TYPE_INT64)
    return json_node_get_int(node);
  std::optional<double> value = as_number(node);
  // Beyond ±9e18 the double does not fit an int64 (and is no time anyway).
  if (!value || !std::isfinite(*value) || std::fabs(*value) > 9.0e18)
    return std::nullopt;
  return std::llround(*value);
}

std::optional<double> player_time_playhead(JsonObject *event) {
  return number_member(object_member(event, "playerTime"), "playhead");
}

}  // namespace collector
