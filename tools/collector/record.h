// The collector's record: every request it received and every session it
// closed, one JSON object per line (JSON Lines), flushed line by line so that
// tests and tools can read it while the collector runs. The format is
// documented in docs/collector.md.
#pragma once

#include "json-schema.h"
#include "session-checker.h"

#include <json-glib/json-glib.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace collector {

struct RequestEntry {
  int64_t time_us = 0;  // arrival, wall clock (µs since the Unix epoch)
  std::string peer;     // "127.0.0.1:40312": tells connections apart
  std::string method;
  std::string path;
  std::string endpoint;  // "sessions", "events", "schemas" or "other"
  std::string session;   // the session it opened or was sent to; may be empty
  unsigned status = 0;
  JsonNode *body = nullptr;  // borrowed; the parsed body when it was JSON
  std::string raw_body;      // otherwise the bytes, made valid UTF-8, truncated
  std::optional<SchemaViolation> violation;
  std::string error;  // why it was refused, when not a schema violation
  std::vector<Finding> findings;
  std::string fault;  // which injected fault shaped the answer, if any
};

struct ClosedEntry {
  int64_t time_us = 0;
  std::string session;
  std::string reason;
  std::vector<Finding> findings;
};

class Record {
 public:
  // Opens (truncates) `path`; nullptr with `error` set when it cannot.
  static std::unique_ptr<Record> open(const std::string &path, GError **error);
  ~Record();

  void write(const RequestEntry &entry);
  void write(const ClosedEntry &entry);

 private:
  explicit Record(FILE *file) : file_(file) {}
  void begin_entry(JsonBuilder *builder, const char *kind, int64_t time_us);
  void write_line(JsonBuilder *builder);

  FILE *file_;
  int64_t lines_ = 0;  // numbers the lines: "seq"
};

// Shared by the record and the error bodies the collector answers with.
void add_violation(JsonBuilder *builder, const SchemaViolation &violation);
void add_findings(JsonBuilder *builder, const std::vector<Finding> &findings);

}  // namespace collector
