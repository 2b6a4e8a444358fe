// A JSON Schema (draft-04) validator over json-glib nodes.
//
// It implements the keywords the collector's event schemas use, and is proven
// against the official JSON-Schema-Test-Suite for those keywords
// (tests/collector/test-json-schema.cpp).
#pragma once

#include <json-glib/json-glib.h>

#include <optional>
#include <string>

namespace collector {

// Why an instance failed its schema.
struct SchemaViolation {
  // JSON Pointer (RFC 6901) of the offending value, e.g. "/params/media.length";
  // "" is the document itself.
  std::string pointer;
  // The key the violation is about: the last pointer segment, or the missing or
  // unexpected key for "required" and "additionalProperties".
  std::string key;
  // A sentence a developer understands: "expected number, got string".
  std::string reason;
};

// Supported keywords: type, enum, properties, required, additionalProperties
// (boolean or schema), patternProperties, items (schema or array),
// additionalItems, minItems, maxItems, uniqueItems, minimum, maximum,
// exclusiveMinimum, exclusiveMaximum, multipleOf, minLength, maxLength,
// pattern, minProperties, maxProperties, allOf, anyOf, oneOf, not.
// Unknown keywords are ignored, as draft-04 says; so is a schema that is not an
// object. A "pattern" or "patternProperties" regex that does not compile is
// reported as a violation, so that a broken schema fails rather than passes.
//
// Returns the first violation in document order, or nothing when the instance
// is valid. A value's own violations (its type, size, enum, a missing required
// key) come before those of its members and items, which come in the order
// they appear in the instance. Both arguments must be non-null.
std::optional<SchemaViolation> validate(JsonNode *schema, JsonNode *instance);

}  // namespace collector
