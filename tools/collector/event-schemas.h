// The JSON Schema (draft-04) of each Media Collection API event type, written
// from the parameter tables of the spec (media-collection-api.md §2, §5, §9,
// §10, §11): closed objects, exact JSON types, required keys and the enums the
// spec states. Numeric bounds are no part of them: the session checker reports
// values out of range as findings (session-checker.h).
//
// The collector serves these at GET /api/v1/schemas/{eventType} and validates
// every request body against them, so what it publishes is what it enforces.
#pragma once

#include <json-glib/json-glib.h>

#include <string>
#include <vector>

namespace collector {

// Every event type the Collection API knows, in the spec's §5 order.
const std::vector<std::string> &event_types();

// A new reference to the (sealed, immutable) schema of `event_type`, or
// nullptr for an unknown type. The caller unrefs it.
JsonNode *event_schema(const std::string &event_type);

}  // namespace collector
