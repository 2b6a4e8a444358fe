#include "record.h"

#include "json-util.h"

#include <glib/gstdio.h>

#include <cerrno>
#include <cstring>

namespace collector {

namespace {

// Raw bodies are kept for diagnosis only; a huge one must not bloat the record.
constexpr size_t kRawBodyLimit = 4096;

void add_time(JsonBuilder *builder, int64_t time_us) {
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(time_us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) precise =
      g_date_time_add(t, time_us % G_USEC_PER_SEC);  // keep the microseconds
  g_autofree char *iso = g_date_time_format_iso8601(precise);
  json_builder_set_member_name(builder, "time");
  json_builder_add_string_value(builder, iso);
  json_builder_set_member_name(builder, "time_us");
  json_builder_add_int_value(builder, time_us);
}

// A request's path (and the session ID taken from it) holds the bytes the
// client sent, which need not be UTF-8; a record line must be: invalid bytes
// become U+FFFD.
void add_string(JsonBuilder *builder, const char *name, const std::string &value) {
  if (value.empty())
    return;
  g_autofree char *valid =
      g_utf8_make_valid(value.data(), static_cast<gssize>(value.size()));
  json_builder_set_member_name(builder, name);
  json_builder_add_string_value(builder, valid);
}

}  // namespace

void add_violation(JsonBuilder *builder, const SchemaViolation &violation) {
  json_builder_begin_object(builder);
  json_builder_set_member_name(builder, "key");
  json_builder_add_string_value(builder, violation.key.c_str());
  json_builder_set_member_name(builder, "pointer");
  json_builder_add_string_value(builder, violation.pointer.c_str());
  json_builder_set_member_name(builder, "reason");
  json_builder_add_string_value(builder, violation.reason.c_str());
  json_builder_end_object(builder);
}

void add_findings(JsonBuilder *builder, const std::vector<Finding> &findings) {
  json_builder_begin_array(builder);
  for (const Finding &finding : findings) {
    json_builder_begin_object(builder);
    json_builder_set_member_name(builder, "code");
    json_builder_add_string_value(builder, finding.code.c_str());
    json_builder_set_member_name(builder, "message");
    json_builder_add_string_value(builder, finding.message.c_str());
    json_builder_end_object(builder);
  }
  json_builder_end_array(builder);
}

std::unique_ptr<Record> Record::open(const std::string &path, GError **error) {
  FILE *file = g_fopen(path.c_str(), "w");
  if (!file) {
    int saved = errno;
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
                "cannot open record %s: %s", path.c_str(), g_strerror(saved));
    return nullptr;
  }
  return std::unique_ptr<Record>(new Record(file));
}

Record::~Record() {
  fclose(file_);
}

// Opens an entry's object with the members every line starts with.
void Record::begin_entry(JsonBuilder *builder, const char *kind, int64_t time_us) {
  json_builder_begin_object(builder);
  json_builder_set_member_name(builder, "seq");
  json_builder_add_int_value(builder, ++lines_);
  json_builder_set_member_name(builder, "kind");
  json_builder_add_string_value(builder, kind);
  add_time(builder, time_us);
}

void Record::write_line(JsonBuilder *builder) {
  g_autoptr(JsonNode) root = json_builder_get_root(builder);
  const std::string line = json_text(root, false);
  fputs(line.c_str(), file_);
  fputc('\n', file_);
  fflush(file_);
}

void Record::write(const RequestEntry &entry) {
  g_autoptr(JsonBuilder) b = json_builder_new();
  begin_entry(b, "request", entry.time_us);
  add_string(b, "peer", entry.peer);
  add_string(b, "method", entry.method);
  add_string(b, "path", entry.path);
  add_string(b, "endpoint", entry.endpoint);
  add_string(b, "session", entry.session);
  json_builder_set_member_name(b, "status");
  json_builder_add_int_value(b, entry.status);
  if (entry.body) {
    json_builder_set_member_name(b, "body");
    json_builder_add_value(b, json_node_copy(entry.body));
  } else if (!entry.raw_body.empty()) {
    std::string cut = entry.raw_body.substr(0, kRawBodyLimit);
    // A NUL would end the JSON string early: keep its place visibly.
    std::string no_nul;
    for (char c : cut)
      no_nul += c ? std::string(1, c) : "\xEF\xBF\xBD";  // U+FFFD
    g_autofree char *valid = g_utf8_make_valid(no_nul.data(), no_nul.size());
    add_string(b, "raw_body", valid);
  }
  if (entry.violation) {
    json_builder_set_member_name(b, "violation");
    add_violation(b, *entry.violation);
  }
  add_string(b, "error", entry.error);
  add_string(b, "fault", entry.fault);
  json_builder_set_member_name(b, "findings");
  add_findings(b, entry.findings);
  json_builder_end_object(b);
  write_line(b);
}

void Record::write(const ClosedEntry &entry) {
  g_autoptr(JsonBuilder) b = json_builder_new();
  begin_entry(b, "session-closed", entry.time_us);
  add_string(b, "session", entry.session);
  add_string(b, "reason", entry.reason);
  json_builder_set_member_name(b, "findings");
  add_findings(b, entry.findings);
  json_builder_end_object(b);
  write_line(b);
}

}  // namespace collector
