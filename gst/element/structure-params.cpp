#include "structure-params.h"

#include <cstring>
#include <optional>

namespace mediaanalytics {

namespace {

bool skipped(const char *name, const char *const *skip) {
  for (; skip && *skip; skip++)
    if (std::strcmp(name, *skip) == 0)
      return true;
  return false;
}

// A GValue as a params value, or nothing for a type the wire has no use for.
std::optional<Value> value_of(const GValue *value) {
  switch (G_TYPE_FUNDAMENTAL(G_VALUE_TYPE(value))) {
    case G_TYPE_STRING: {
      const gchar *s = g_value_get_string(value);
      return Value(std::string(s ? s : ""));
    }
    case G_TYPE_INT:
      return Value(static_cast<int64_t>(g_value_get_int(value)));
    case G_TYPE_UINT:
      return Value(static_cast<int64_t>(g_value_get_uint(value)));
    case G_TYPE_INT64:
      return Value(static_cast<int64_t>(g_value_get_int64(value)));
    case G_TYPE_UINT64: {
      const guint64 v = g_value_get_uint64(value);
      if (v > static_cast<guint64>(G_MAXINT64))
        return std::nullopt;
      return Value(static_cast<int64_t>(v));
    }
    case G_TYPE_LONG:
      return Value(static_cast<int64_t>(g_value_get_long(value)));
    case G_TYPE_DOUBLE:
      return Value(g_value_get_double(value));
    case G_TYPE_FLOAT:
      return Value(static_cast<double>(g_value_get_float(value)));
    case G_TYPE_BOOLEAN:
      return Value(g_value_get_boolean(value) != FALSE);
    default:
      return std::nullopt;
  }
}

ParamProblem type_problem(const char *name, const GValue *value) {
  return ParamProblem{name, std::string("'") + name + "' has the type " +
                                G_VALUE_TYPE_NAME(value) +
                                ", which is no JSON value: give a string, an integer, "
                                "a double or a boolean"};
}

}  // namespace

std::variant<Params, ParamProblem> structure_to_params(const GstStructure *structure,
                                                       const char *const *skip) {
  Params params;
  if (!structure)
    return params;
  const gint n = gst_structure_n_fields(structure);
  for (gint i = 0; i < n; i++) {
    const char *name = gst_structure_nth_field_name(structure, i);
    if (skipped(name, skip))
      continue;
    const GValue *value = gst_structure_get_value(structure, name);
    std::optional<Value> converted = value_of(value);
    if (!converted)
      return type_problem(name, value);
    params.set(name, std::move(*converted));
  }
  return params;
}

std::variant<CustomMetadata, ParamProblem> structure_to_custom(
    const GstStructure *structure) {
  CustomMetadata custom;
  if (!structure)
    return custom;
  const gint n = gst_structure_n_fields(structure);
  for (gint i = 0; i < n; i++) {
    const char *name = gst_structure_nth_field_name(structure, i);
    const GValue *value = gst_structure_get_value(structure, name);
    if (!G_VALUE_HOLDS_STRING(value))
      return ParamProblem{name, std::string("custom metadata '") + name + "' is a " +
                                    G_VALUE_TYPE_NAME(value) +
                                    ": its values must be strings (spec §10)"};
    const gchar *s = g_value_get_string(value);
    custom.emplace_back(name, s ? s : "");
  }
  return custom;
}

}  // namespace mediaanalytics
