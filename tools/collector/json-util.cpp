#include "json-util.h"

#include <cmath>

namespace collector {

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
