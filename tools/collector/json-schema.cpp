#include "json-schema.h"

#include "json-util.h"

#include <cmath>
#include <map>
#include <memory>
#include <utility>
#include <vector>

namespace collector {
namespace {

struct RegexUnref {
  void operator()(GRegex *regex) const { g_regex_unref(regex); }
};
using RegexPtr = std::unique_ptr<GRegex, RegexUnref>;

// Where a value sits in the instance. The pointer and key are for people; the
// position (member and element indices from the root) orders violations as
// they appear in the document, a parent before its children.
struct Location {
  std::string pointer;
  std::string key;
  std::vector<guint> position;
};

std::string escape_segment(const std::string &segment) {
  std::string escaped;
  for (char c : segment) {
    if (c == '~') {
      escaped += "~0";
    } else if (c == '/') {
      escaped += "~1";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

Location child_of(const Location &parent, const std::string &key, guint index) {
  Location child{parent.pointer + "/" + escape_segment(key), key, parent.position};
  child.position.push_back(index);
  return child;
}

// A violation and where it sits, to find the earliest of several.
struct Failure {
  SchemaViolation violation;
  std::vector<guint> position;
};
using Result = std::optional<Failure>;

Result violation_at(const Location &location, std::string reason) {
  return Failure{{location.pointer, location.key, std::move(reason)}, location.position};
}

// A missing key has no place in the document, so it sorts with its object.
Result violation_of_key(const Location &object, const std::string &key,
                        std::string reason) {
  return Failure{{object.pointer + "/" + escape_segment(key), key, std::move(reason)},
                 object.position};
}

// On a tie the failure already kept wins, so keywords checked first are
// reported first.
void keep_earliest(Result &earliest, Result candidate) {
  if (candidate && (!earliest || candidate->position < earliest->position)) {
    earliest = std::move(candidate);
  }
}

// ---- JSON values -----------------------------------------------------------

// as_object, as_array and as_string come from json-util.h.

JsonNode *keyword(JsonObject *schema, const char *name) {
  return json_object_get_member(schema, name);
}

bool keyword_is_true(JsonObject *schema, const char *name) {
  JsonNode *node = keyword(schema, name);
  return node && JSON_NODE_HOLDS_VALUE(node) &&
         json_node_get_value_type(node) == G_TYPE_BOOLEAN && json_node_get_boolean(node);
}

// The JSON type name as draft-04 spells it; "integer" is a number token
// json-glib read as int64, so 1.0 is a "number", as draft-04 wants.
const char *type_name(JsonNode *node) {
  switch (json_node_get_node_type(node)) {
    case JSON_NODE_OBJECT:
      return "object";
    case JSON_NODE_ARRAY:
      return "array";
    case JSON_NODE_NULL:
      return "null";
    case JSON_NODE_VALUE:
      break;
  }
  GType type = json_node_get_value_type(node);
  if (type == G_TYPE_BOOLEAN) {
    return "boolean";
  }
  if (type == G_TYPE_INT64) {
    return "integer";
  }
  if (type == G_TYPE_DOUBLE) {
    return "number";
  }
  return "string";
}

bool has_type(JsonNode *node, const std::string &type) {
  std::string actual = type_name(node);
  return type == actual || (type == "number" && actual == "integer");
}

// Integers are kept as int64 so that large ones compare exactly; doubles
// would round them above 2^53.
struct Number {
  bool is_integer;
  gint64 integer;
  double real;

  double as_double() const { return is_integer ? static_cast<double>(integer) : real; }
};

std::optional<Number> number_of(JsonNode *node) {
  if (!node || !JSON_NODE_HOLDS_VALUE(node)) {
    return std::nullopt;
  }
  GType type = json_node_get_value_type(node);
  if (type == G_TYPE_INT64) {
    return Number{true, json_node_get_int(node), 0.0};
  }
  if (type == G_TYPE_DOUBLE) {
    return Number{false, 0, json_node_get_double(node)};
  }
  return std::nullopt;
}

Number count(guint n) {
  return Number{true, static_cast<gint64>(n), 0.0};
}

int compare(const Number &a, const Number &b) {
  if (a.is_integer && b.is_integer) {
    return (a.integer > b.integer) - (a.integer < b.integer);
  }
  double x = a.as_double();
  double y = b.as_double();
  return (x > y) - (x < y);
}

std::string format_number(const Number &number) {
  if (number.is_integer) {
    return std::to_string(number.integer);
  }
  // %.15g prints 0.1 as "0.1", where json-glib's generator prints 17 digits.
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];
  return g_ascii_formatd(buffer, sizeof buffer, "%.15g", number.real);
}

std::string describe(JsonNode *node) {
  if (auto number = number_of(node)) {
    return format_number(*number);
  }
  g_autofree char *text = json_to_string(node, FALSE);
  return text;
}

bool json_equal(JsonNode *a, JsonNode *b);

bool objects_equal(JsonObject *a, JsonObject *b) {
  if (json_object_get_size(a) != json_object_get_size(b)) {
    return false;
  }
  g_autoptr(GList) names = json_object_get_members(a);
  for (GList *l = names; l; l = l->next) {
    const char *name = static_cast<const char *>(l->data);
    JsonNode *other = json_object_get_member(b, name);
    if (!other || !json_equal(json_object_get_member(a, name), other)) {
      return false;
    }
  }
  return true;
}

bool arrays_equal(JsonArray *a, JsonArray *b) {
  guint length = json_array_get_length(a);
  if (length != json_array_get_length(b)) {
    return false;
  }
  for (guint i = 0; i < length; ++i) {
    if (!json_equal(json_array_get_element(a, i), json_array_get_element(b, i))) {
      return false;
    }
  }
  return true;
}

// JSON equality as enum and uniqueItems need it: 1 equals 1.0, true is not 1,
// and member order does not matter.
bool json_equal(JsonNode *a, JsonNode *b) {
  auto number_a = number_of(a);
  auto number_b = number_of(b);
  if (number_a && number_b) {
    return compare(*number_a, *number_b) == 0;
  }
  if (std::string(type_name(a)) != type_name(b)) {
    return false;
  }
  switch (json_node_get_node_type(a)) {
    case JSON_NODE_OBJECT:
      return objects_equal(json_node_get_object(a), json_node_get_object(b));
    case JSON_NODE_ARRAY:
      return arrays_equal(json_node_get_array(a), json_node_get_array(b));
    case JSON_NODE_NULL:
      return true;
    case JSON_NODE_VALUE:
      break;
  }
  if (json_node_get_value_type(a) == G_TYPE_BOOLEAN) {
    return json_node_get_boolean(a) == json_node_get_boolean(b);
  }
  return g_strcmp0(json_node_get_string(a), json_node_get_string(b)) == 0;
}

std::string join(const std::vector<std::string> &parts, const char *separator) {
  std::string joined;
  for (const std::string &part : parts) {
    joined += joined.empty() ? part : separator + part;
  }
  return joined;
}

// ---- Validation --------------------------------------------------------------

class Validator {
 public:
  Result check(JsonNode *schema_node, JsonNode *instance, const Location &location);

 private:
  Result check_type(JsonObject *schema, JsonNode *instance, const Location &location);
  Result check_enum(JsonObject *schema, JsonNode *instance, const Location &location);
  Result check_number(JsonObject *schema, JsonNode *instance, const Location &location);
  Result check_string(JsonObject *schema, JsonNode *instance, const Location &location);
  Result check_array_size(JsonObject *schema, JsonNode *instance,
                          const Location &location);
  Result check_unique_items(JsonObject *schema, JsonNode *instance,
                            const Location &location);
  Result check_items(JsonObject *schema, JsonNode *instance, const Location &location);
  Result check_object_size(JsonObject *schema, JsonNode *instance,
                           const Location &location);
  Result check_required(JsonObject *schema, JsonNode *instance, const Location &location);
  Result check_members(JsonObject *schema, JsonNode *instance, const Location &location);
  Result check_member(JsonObject *schema, const char *name, JsonNode *value,
                      const Location &location);
  Result check_all_of(JsonObject *schema, JsonNode *instance, const Location &location);
  Result check_any_of(JsonObject *schema, JsonNode *instance, const Location &location);
  Result check_one_of(JsonObject *schema, JsonNode *instance, const Location &location);
  Result check_not(JsonObject *schema, JsonNode *instance, const Location &location);

  bool passes(JsonNode *schema, JsonNode *instance, const Location &location) {
    return !check(schema, instance, location);
  }
  Result search(const char *pattern, const char *text, const Location &location,
                bool &found);

  // Schemas reuse a handful of patterns for every member they see.
  std::map<std::string, RegexPtr> regexes_;
};

Result Validator::check(JsonNode *schema_node, JsonNode *instance,
                        const Location &location) {
  // Draft-04 schemas are objects; anything else is taken to constrain nothing.
  JsonObject *schema = as_object(schema_node);
  if (!schema) {
    return std::nullopt;
  }
  // Every keyword is checked, not just up to the first failure, because a
  // later keyword may find a violation earlier in the document.
  Result earliest;
  keep_earliest(earliest, check_type(schema, instance, location));
  keep_earliest(earliest, check_enum(schema, instance, location));
  keep_earliest(earliest, check_number(schema, instance, location));
  keep_earliest(earliest, check_string(schema, instance, location));
  keep_earliest(earliest, check_array_size(schema, instance, location));
  keep_earliest(earliest, check_unique_items(schema, instance, location));
  keep_earliest(earliest, check_items(schema, instance, location));
  keep_earliest(earliest, check_object_size(schema, instance, location));
  keep_earliest(earliest, check_required(schema, instance, location));
  keep_earliest(earliest, check_members(schema, instance, location));
  keep_earliest(earliest, check_all_of(schema, instance, location));
  keep_earliest(earliest, check_any_of(schema, instance, location));
  keep_earliest(earliest, check_one_of(schema, instance, location));
  keep_earliest(earliest, check_not(schema, instance, location));
  return earliest;
}

Result Validator::check_type(JsonObject *schema, JsonNode *instance,
                             const Location &location) {
  JsonNode *type = keyword(schema, "type");
  std::vector<std::string> allowed;
  if (const char *single = as_string(type)) {
    allowed.push_back(single);
  } else if (JsonArray *several = as_array(type)) {
    for (guint i = 0; i < json_array_get_length(several); ++i) {
      if (const char *name = as_string(json_array_get_element(several, i))) {
        allowed.push_back(name);
      }
    }
  }
  if (allowed.empty()) {
    return std::nullopt;
  }
  for (const std::string &name : allowed) {
    if (has_type(instance, name)) {
      return std::nullopt;
    }
  }
  return violation_at(
      location, "expected " + join(allowed, " or ") + ", got " + type_name(instance));
}

Result Validator::check_enum(JsonObject *schema, JsonNode *instance,
                             const Location &location) {
  JsonArray *values = as_array(keyword(schema, "enum"));
  if (!values) {
    return std::nullopt;
  }
  std::vector<std::string> choices;
  for (guint i = 0; i < json_array_get_length(values); ++i) {
    JsonNode *value = json_array_get_element(values, i);
    if (json_equal(instance, value)) {
      return std::nullopt;
    }
    choices.push_back(describe(value));
  }
  return violation_at(location, "must be one of " + join(choices, ", "));
}

Result Validator::check_number(JsonObject *schema, JsonNode *instance,
                               const Location &location) {
  auto value = number_of(instance);
  if (!value) {
    return std::nullopt;
  }
  if (auto minimum = number_of(keyword(schema, "minimum"))) {
    bool exclusive = keyword_is_true(schema, "exclusiveMinimum");
    int order = compare(*value, *minimum);
    if (order < 0 || (exclusive && order == 0)) {
      return violation_at(location, std::string("must be ") + (exclusive ? "> " : ">= ") +
                                        format_number(*minimum));
    }
  }
  if (auto maximum = number_of(keyword(schema, "maximum"))) {
    bool exclusive = keyword_is_true(schema, "exclusiveMaximum");
    int order = compare(*value, *maximum);
    if (order > 0 || (exclusive && order == 0)) {
      return violation_at(location, std::string("must be ") + (exclusive ? "< " : "<= ") +
                                        format_number(*maximum));
    }
  }
  auto divisor = number_of(keyword(schema, "multipleOf"));
  if (!divisor || divisor->as_double() <= 0) {
    return std::nullopt;
  }
  bool multiple;
  if (value->is_integer && divisor->is_integer) {
    multiple = value->integer % divisor->integer == 0;
  } else {
    // Decimal divisors such as 0.0001 are inexact in binary, so the quotient
    // of a true multiple is only nearly whole.
    double quotient = value->as_double() / divisor->as_double();
    multiple =
        std::isfinite(quotient) && std::fabs(quotient - std::nearbyint(quotient)) <=
                                       1e-9 * std::fmax(1.0, std::fabs(quotient));
  }
  if (multiple) {
    return std::nullopt;
  }
  return violation_at(location, "must be a multiple of " + format_number(*divisor));
}

Result Validator::check_string(JsonObject *schema, JsonNode *instance,
                               const Location &location) {
  const char *text = as_string(instance);
  if (!text) {
    return std::nullopt;
  }
  // Lengths count code points, not bytes, as draft-04 says.
  Number length = count(static_cast<guint>(g_utf8_strlen(text, -1)));
  auto min_length = number_of(keyword(schema, "minLength"));
  if (min_length && compare(length, *min_length) < 0) {
    return violation_at(
        location, "must be at least " + format_number(*min_length) + " characters long");
  }
  auto max_length = number_of(keyword(schema, "maxLength"));
  if (max_length && compare(length, *max_length) > 0) {
    return violation_at(
        location, "must be at most " + format_number(*max_length) + " characters long");
  }
  const char *pattern = as_string(keyword(schema, "pattern"));
  if (!pattern) {
    return std::nullopt;
  }
  bool found = false;
  Result broken = search(pattern, text, location, found);
  if (broken || found) {
    return broken;
  }
  return violation_at(location, std::string("does not match ") + pattern);
}

Result Validator::check_array_size(JsonObject *schema, JsonNode *instance,
                                   const Location &location) {
  JsonArray *array = as_array(instance);
  if (!array) {
    return std::nullopt;
  }
  Number size = count(json_array_get_length(array));
  auto min_items = number_of(keyword(schema, "minItems"));
  if (min_items && compare(size, *min_items) < 0) {
    return violation_at(location,
                        "must have at least " + format_number(*min_items) + " items");
  }
  auto max_items = number_of(keyword(schema, "maxItems"));
  if (max_items && compare(size, *max_items) > 0) {
    return violation_at(location,
                        "must have at most " + format_number(*max_items) + " items");
  }
  return std::nullopt;
}

Result Validator::check_unique_items(JsonObject *schema, JsonNode *instance,
                                     const Location &location) {
  JsonArray *array = as_array(instance);
  if (!array || !keyword_is_true(schema, "uniqueItems")) {
    return std::nullopt;
  }
  // Blame the second of two equal items: the first was fine when it appeared.
  guint length = json_array_get_length(array);
  for (guint later = 1; later < length; ++later) {
    for (guint earlier = 0; earlier < later; ++earlier) {
      if (json_equal(json_array_get_element(array, earlier),
                     json_array_get_element(array, later))) {
        return violation_at(child_of(location, std::to_string(later), later),
                            "must be unique, but equals item " + std::to_string(earlier));
      }
    }
  }
  return std::nullopt;
}

Result Validator::check_items(JsonObject *schema, JsonNode *instance,
                              const Location &location) {
  JsonArray *array = as_array(instance);
  JsonNode *items = keyword(schema, "items");
  // additionalItems only means something next to an array of items.
  if (!array || !items) {
    return std::nullopt;
  }
  JsonArray *tuple = as_array(items);
  guint tuple_length = tuple ? json_array_get_length(tuple) : 0;
  JsonNode *additional = keyword(schema, "additionalItems");
  for (guint i = 0; i < json_array_get_length(array); ++i) {
    Location at = child_of(location, std::to_string(i), i);
    JsonNode *element = json_array_get_element(array, i);
    Result found;
    if (!tuple) {
      found = check(items, element, at);
    } else if (i < tuple_length) {
      found = check(json_array_get_element(tuple, i), element, at);
    } else if (additional && JSON_NODE_HOLDS_VALUE(additional) &&
               json_node_get_value_type(additional) == G_TYPE_BOOLEAN) {
      if (!json_node_get_boolean(additional)) {
        found = violation_at(at, "is an additional item, which is not allowed here");
      }
    } else {
      found = check(additional, element, at);
    }
    // Items are visited in document order, so the first failure is the earliest.
    if (found) {
      return found;
    }
  }
  return std::nullopt;
}

Result Validator::check_object_size(JsonObject *schema, JsonNode *instance,
                                    const Location &location) {
  JsonObject *object = as_object(instance);
  if (!object) {
    return std::nullopt;
  }
  Number size = count(json_object_get_size(object));
  auto min_properties = number_of(keyword(schema, "minProperties"));
  if (min_properties && compare(size, *min_properties) < 0) {
    return violation_at(
        location, "must have at least " + format_number(*min_properties) + " properties");
  }
  auto max_properties = number_of(keyword(schema, "maxProperties"));
  if (max_properties && compare(size, *max_properties) > 0) {
    return violation_at(
        location, "must have at most " + format_number(*max_properties) + " properties");
  }
  return std::nullopt;
}

Result Validator::check_required(JsonObject *schema, JsonNode *instance,
                                 const Location &location) {
  JsonObject *object = as_object(instance);
  JsonArray *required = as_array(keyword(schema, "required"));
  if (!object || !required) {
    return std::nullopt;
  }
  for (guint i = 0; i < json_array_get_length(required); ++i) {
    const char *name = as_string(json_array_get_element(required, i));
    if (name && !json_object_has_member(object, name)) {
      return violation_of_key(location, name,
                              std::string("required key \"") + name + "\" is missing");
    }
  }
  return std::nullopt;
}

Result Validator::check_members(JsonObject *schema, JsonNode *instance,
                                const Location &location) {
  JsonObject *object = as_object(instance);
  if (!object) {
    return std::nullopt;
  }
  g_autoptr(GList) names = json_object_get_members(object);
  guint index = 0;
  for (GList *l = names; l; l = l->next, ++index) {
    const char *name = static_cast<const char *>(l->data);
    Result found = check_member(schema, name, json_object_get_member(object, name),
                                child_of(location, name, index));
    // json-glib lists members in document order, so the first failure is the
    // earliest.
    if (found) {
      return found;
    }
  }
  return std::nullopt;
}

// A member is checked against its "properties" schema and every matching
// "patternProperties" schema; only if there are none does
// "additionalProperties" apply.
Result Validator::check_member(JsonObject *schema, const char *name, JsonNode *value,
                               const Location &location) {
  Result earliest;
  bool described = false;
  JsonObject *properties = as_object(keyword(schema, "properties"));
  if (properties && json_object_has_member(properties, name)) {
    described = true;
    keep_earliest(earliest,
                  check(json_object_get_member(properties, name), value, location));
  }
  if (JsonObject *patterns = as_object(keyword(schema, "patternProperties"))) {
    g_autoptr(GList) pattern_list = json_object_get_members(patterns);
    for (GList *l = pattern_list; l; l = l->next) {
      const char *pattern = static_cast<const char *>(l->data);
      bool found = false;
      keep_earliest(earliest, search(pattern, name, location, found));
      if (found) {
        described = true;
        keep_earliest(earliest,
                      check(json_object_get_member(patterns, pattern), value, location));
      }
    }
  }
  JsonNode *additional = keyword(schema, "additionalProperties");
  if (described || !additional) {
    return earliest;
  }
  if (JSON_NODE_HOLDS_VALUE(additional) &&
      json_node_get_value_type(additional) == G_TYPE_BOOLEAN) {
    if (!json_node_get_boolean(additional)) {
      keep_earliest(earliest, violation_at(location, std::string("key \"") + name +
                                                         "\" is not allowed here"));
    }
    return earliest;
  }
  keep_earliest(earliest, check(additional, value, location));
  return earliest;
}

Result Validator::check_all_of(JsonObject *schema, JsonNode *instance,
                               const Location &location) {
  JsonArray *schemas = as_array(keyword(schema, "allOf"));
  if (!schemas) {
    return std::nullopt;
  }
  // Each branch's own violation is the most useful thing to report.
  Result earliest;
  for (guint i = 0; i < json_array_get_length(schemas); ++i) {
    keep_earliest(earliest,
                  check(json_array_get_element(schemas, i), instance, location));
  }
  return earliest;
}

Result Validator::check_any_of(JsonObject *schema, JsonNode *instance,
                               const Location &location) {
  JsonArray *schemas = as_array(keyword(schema, "anyOf"));
  if (!schemas) {
    return std::nullopt;
  }
  for (guint i = 0; i < json_array_get_length(schemas); ++i) {
    if (passes(json_array_get_element(schemas, i), instance, location)) {
      return std::nullopt;
    }
  }
  return violation_at(location, "must match at least one schema in anyOf");
}

Result Validator::check_one_of(JsonObject *schema, JsonNode *instance,
                               const Location &location) {
  JsonArray *schemas = as_array(keyword(schema, "oneOf"));
  if (!schemas) {
    return std::nullopt;
  }
  guint matches = 0;
  for (guint i = 0; i < json_array_get_length(schemas); ++i) {
    if (passes(json_array_get_element(schemas, i), instance, location)) {
      ++matches;
    }
  }
  if (matches == 1) {
    return std::nullopt;
  }
  return violation_at(location, "must match exactly one schema in oneOf, but matches " +
                                    std::to_string(matches));
}

Result Validator::check_not(JsonObject *schema, JsonNode *instance,
                            const Location &location) {
  JsonNode *forbidden = keyword(schema, "not");
  if (!forbidden || !passes(forbidden, instance, location)) {
    return std::nullopt;
  }
  return violation_at(location, "must not match the schema in \"not\"");
}

// Sets found when pattern matches anywhere in text. A pattern that does not
// compile is a violation, so that a broken schema fails instead of passing
// everything.
Result Validator::search(const char *pattern, const char *text, const Location &location,
                         bool &found) {
  auto cached = regexes_.find(pattern);
  if (cached == regexes_.end()) {
    g_autoptr(GError) error = nullptr;
    // ECMA-262's "$" matches only at the very end, never before a final newline.
    RegexPtr regex(g_regex_new(pattern, G_REGEX_DOLLAR_ENDONLY,
                               static_cast<GRegexMatchFlags>(0), &error));
    if (!regex) {
      return violation_at(location, std::string("schema pattern \"") + pattern +
                                        "\" is invalid: " + error->message);
    }
    cached = regexes_.emplace(pattern, std::move(regex)).first;
  }
  found = g_regex_match(cached->second.get(), text, static_cast<GRegexMatchFlags>(0),
                        nullptr);
  return std::nullopt;
}

}  // namespace

std::optional<SchemaViolation> validate(JsonNode *schema, JsonNode *instance) {
  Validator validator;
  Result found = validator.check(schema, instance, Location{});
  if (!found) {
    return std::nullopt;
  }
  return std::move(found->violation);
}

}  // namespace collector
