#include "timeline.h"

#include "json-util.h"

#include <json-glib/json-glib.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace collector {

namespace {

using NodePtr = std::unique_ptr<JsonNode, decltype(&json_node_unref)>;

// Indent of the lines under an event: findings, rejections, faults.
constexpr int kNoteIndent = 45;

// A JSON value as it reads in a one-line summary.
std::string brief(JsonNode *node) {
  if (const char *text = as_string(node))
    return text;
  if (JsonArray *array = as_array(node)) {
    // statesStart / statesEnd: the state names.
    std::string names;
    for (guint i = 0; i < json_array_get_length(array); i++) {
      const char *name =
          string_member(as_object(json_array_get_element(array, i)), "media.state.name");
      names += (i ? "," : "") + std::string(name ? name : "?");
    }
    return "[" + names + "]";
  }
  g_autofree char *text = json_to_string(node, FALSE);
  return text;
}

// "media.ad.podIndex" reads as "ad.podIndex": the prefix is on every key.
std::string short_key(const char *key) {
  return g_str_has_prefix(key, "media.") ? key + 6 : key;
}

void append_members(std::string &out, JsonObject *object,
                    const std::vector<std::string> &only = {}) {
  if (!object)
    return;
  g_autoptr(GList) names = json_object_get_members(object);
  for (GList *l = names; l; l = l->next) {
    const char *key = static_cast<const char *>(l->data);
    if (!only.empty() && std::find(only.begin(), only.end(), key) == only.end())
      continue;
    if (!out.empty())
      out += "  ";
    out += short_key(key) + "=" + brief(json_object_get_member(object, key));
  }
}

// The key params of an event: all of them, but for sessionStart's account
// and metadata keys.
std::string details(JsonObject *body, const char *type) {
  std::string out;
  if (g_strcmp0(type, "sessionStart") == 0)
    append_members(
        out, object_member(body, "params"),
        {"media.id", "media.name", "media.length", "media.contentType", "media.resume"});
  else
    append_members(out, object_member(body, "params"));
  append_members(out, object_member(body, "qoeData"));
  if (JsonObject *custom = object_member(body, "customMetadata"))
    out += (out.empty() ? "" : "  ") + std::string("custom{") +
           std::to_string(json_object_get_size(custom)) + "}";
  return out;
}

void print_note(FILE *out, char mark, const char *text) {
  fprintf(out, "%*s%c %s\n", kNoteIndent, "", mark, text);
}

void print_findings(FILE *out, JsonObject *entry) {
  JsonArray *findings = as_array(member(entry, "findings"));
  for (guint i = 0; findings && i < json_array_get_length(findings); i++) {
    JsonObject *finding = as_object(json_array_get_element(findings, i));
    const char *code = string_member(finding, "code");
    const char *message = string_member(finding, "message");
    std::string text = std::string(code ? code : "?") + ": " + (message ? message : "");
    print_note(out, '!', text.c_str());
  }
}

struct SessionLines {
  std::vector<JsonObject *> entries;
  // The origins of the two time columns: the session's first playerTime.ts
  // and the arrival of its first request.
  std::optional<int64_t> start_ts;
  // As read: a malformed record's number need not fit an integer.
  std::optional<double> first_arrival_us;
};

std::string seconds_since(std::optional<double> value, std::optional<double> origin,
                          double unit) {
  if (!value || !origin)
    return "-";
  char text[32];
  g_snprintf(text, sizeof text, "%.3f", (*value - *origin) / unit);
  return text;
}

void print_request(FILE *out, JsonObject *entry, SessionLines &session) {
  JsonObject *body = object_member(entry, "body");
  const char *type = string_member(body, "eventType");
  std::optional<int64_t> ts = player_time_ts(body);
  std::optional<double> playhead = player_time_playhead(body);
  std::optional<double> arrival = number_member(entry, "time_us");
  if (ts && !session.start_ts)
    session.start_ts = ts;
  if (arrival && !session.first_arrival_us)
    session.first_arrival_us = arrival;

  std::optional<double> start_ts;
  if (session.start_ts)
    start_ts = static_cast<double>(*session.start_ts);
  std::string t =
      seconds_since(ts ? std::optional<double>(static_cast<double>(*ts)) : std::nullopt,
                    start_ts, 1000.0);
  std::string arrived = seconds_since(arrival, session.first_arrival_us, 1e6);
  std::string ph = seconds_since(playhead, 0.0, 1.0);
  const char *method = string_member(entry, "method");
  std::optional<double> status = number_member(entry, "status");
  fprintf(out, "  %10s %10s %10s  %-16s %4.0f  %s\n", t.c_str(), arrived.c_str(),
          ph.c_str(), type ? type : (method ? method : "?"), status.value_or(0),
          details(body, type).c_str());
  if (const char *fault = string_member(entry, "fault"))
    print_note(out, 'x', (std::string("fault injected: ") + fault).c_str());
  if (const char *error = string_member(entry, "error")) {
    // A 4xx refused the request; status 0 means no answer went out at all.
    const char *what = status.value_or(0) >= 400 ? "rejected: " : "no answer: ";
    print_note(out, 'x', (std::string(what) + error).c_str());
  }
  print_findings(out, entry);
}

void print_session(FILE *out, const std::string &id, SessionLines &session) {
  fprintf(out, "\nSession %s\n", id.c_str());
  fprintf(out, "  %10s %10s %10s  %-16s %4s  %s\n", "t (s)", "arrived", "playhead",
          "event", "http", "details");
  for (JsonObject *entry : session.entries) {
    if (g_strcmp0(string_member(entry, "kind"), "session-closed") == 0) {
      const char *reason = string_member(entry, "reason");
      fprintf(out, "  closed: %s\n", reason ? reason : "?");
      print_findings(out, entry);
    } else {
      print_request(out, entry, session);
    }
  }
}

void print_outside(FILE *out, const std::vector<JsonObject *> &entries) {
  if (entries.empty())
    return;
  fprintf(out, "\nRequests outside any session\n");
  for (JsonObject *entry : entries) {
    const char *method = string_member(entry, "method");
    const char *path = string_member(entry, "path");
    const char *error = string_member(entry, "error");
    const char *fault = string_member(entry, "fault");
    fprintf(out, "  %-7s %-40s %4.0f  %s\n", method ? method : "?", path ? path : "?",
            number_member(entry, "status").value_or(0),
            error ? error : (fault ? fault : ""));
  }
}

}  // namespace

gboolean print_timeline(const std::string &record_path, FILE *out, GError **error) {
  g_autofree char *contents = nullptr;
  if (!g_file_get_contents(record_path.c_str(), &contents, nullptr, error))
    return FALSE;
  g_auto(GStrv) lines = g_strsplit(contents, "\n", -1);

  std::vector<NodePtr> nodes;  // keeps the entries alive while printing
  std::vector<std::string> order;
  std::map<std::string, SessionLines> sessions;
  std::vector<JsonObject *> outside;
  for (char **line = lines; *line; line++) {
    NodePtr node(**line ? json_from_string(*line, nullptr) : nullptr, json_node_unref);
    JsonObject *entry = as_object(node.get());
    if (!entry)
      continue;
    nodes.push_back(std::move(node));
    const char *session = string_member(entry, "session");
    if (!session) {
      outside.push_back(entry);
      continue;
    }
    if (sessions.count(session) == 0)
      order.push_back(session);
    sessions[session].entries.push_back(entry);
  }

  for (const std::string &id : order)
    print_session(out, id, sessions[id]);
  print_outside(out, outside);
  fflush(out);
  return TRUE;
}

}  // namespace collector
