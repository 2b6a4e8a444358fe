// Reading request bodies safely: libsoup is told not to keep them, we keep
// what fits under the size limit, and only bodies that are JSON of a sane
// depth reach the parser.
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include <cstdint>
#include <memory>
#include <string>

namespace collector {

using JsonNodePtr = std::unique_ptr<JsonNode, decltype(&json_node_unref)>;

// Called when the request's headers are in: takes the body over from libsoup,
// keeping at most `max_bytes` of it.
void collect_body(SoupServerMessage *msg, int64_t max_bytes);

// The reason given for a 413.
std::string body_too_large(int64_t max_bytes);

struct BodyResult {
  JsonNodePtr json{nullptr, json_node_unref};  // set when the body is usable
  unsigned status = 0;                         // otherwise the 4xx to answer ...
  std::string error;                           // ... and why
  std::string raw;                             // the bytes received, for the record
};

// The body of a request whose headers went through collect_body(), checked:
// 413 when it was larger than the limit, 415 without a JSON Content-Type, 400
// when it is not JSON or nests absurdly deep.
BodyResult read_json_body(SoupServerMessage *msg, int64_t max_bytes);

}  // namespace collector
