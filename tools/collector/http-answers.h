// How the collector answers: the headers the real endpoint sends, empty
// answers that keep the connection alive, and JSON error bodies.
#pragma once

#include "json-schema.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include <string>

namespace collector {

// "127.0.0.1:40312": tells the client's connections apart in the record.
std::string peer_of(SoupServerMessage *msg);

// The CORS headers the real endpoint puts on every answer (spec §1).
void set_cors_headers(SoupServerMessage *msg);

// An answer with no body. A 204 keeps the connection alive.
void answer_empty(SoupServerMessage *msg, unsigned status);

void answer_json(SoupServerMessage *msg, unsigned status, JsonNode *node);

// {"status": ..., "error": "...", "violation": {key, pointer, reason}}: what is
// wrong with a request, in words and as a JSON Pointer.
void answer_error(SoupServerMessage *msg, unsigned status, const std::string &error,
                  const SchemaViolation *violation = nullptr);

}  // namespace collector
