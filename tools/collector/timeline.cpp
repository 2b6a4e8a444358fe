#include "timeline.h"

#include <json-glib/json-glib.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace collector {

namespace {

using NodePtr = std::unique_ptr<JsonNode, decltype(&json_node_unref)>;

const char *string_member(JsonObject *object, const char *name) {
  JsonNode *node = object ? json_object_get_member(object, name) : nullptr;
  if (!node || !JSON_NODE_HOLDS_VALUE(node) ||
      json_node_get_value_type(node) != G_TYPE_STRING)
    return nullptr;
  return json_node_get_string(node);
}

JsonObject *object_member(JsonObject *object, const char *name) {
  JsonNode *node = object ? json_object_get_member(object, name) : nullptr;
  return node && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : nullptr;
}

// A JSON value as it reads in a one-line summary.
std::string brief(JsonNode *node) {
  if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING)
    return json_node_get_string(node);
  if (JSON_NODE_HOLDS_ARRAY(node)) {
    // statesStart / statesEnd: the state names.
    std::string names;
    JsonArray *array = json_node_get_array(node);
    for (guint i = 0; i < json_array_get_length(array); i++) {
      JsonNode *item = json_array_get_element(array, i);
      const char *name =
          JSON_NODE_HOLDS_OBJECT(item)
              ? string_member(json_node_get_object(item), "media.state.name")
              : nullptr;
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

void append_members(std::string &out, JsonObject *object, const char *prefix,
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
    out += prefix + short_key(key) + "=" + brief(json_object_get_member(object, key));
  }
}

std::string details(JsonObject *body, const std::string &type) {
  std::string out;
  if (type == "sessionStart")
    append_members(
        out, object_member(body, "params"), "",
        {"media.id", "media.name", "media.length", "media.contentType", "media.resume"});
  else
    append_members(out, object_member(body, "params"), "");
  append_members(out, object_member(body, "qoeData"), "");
  if (JsonObject *custom = object_member(body, "customMetadata"))
    out += (out.empty() ? "" : "  ") + std::string("custom{") +
           std::to_string(json_object_get_size(custom)) + "}";
  return out;
}

bool is_number(JsonNode *node) {
  if (!node || !JSON_NODE_HOLDS_VALUE(node))
    return false;
  GType type = json_node_get_value_type(node);
  return type == G_TYPE_INT64 || type == G_TYPE_DOUBLE;
}

// The event's time and playhead, when both are numbers.
bool player_time(JsonObject *body, int64_t &ts, double &playhead) {
  JsonObject *time = object_member(body, "playerTime");
  JsonNode *ts_node = time ? json_object_get_member(time, "ts") : nullptr;
  JsonNode *playhead_node = time ? json_object_get_member(time, "playhead") : nullptr;
  if (!is_number(ts_node) || !is_number(playhead_node))
    return false;
  ts = json_node_get_value_type(ts_node) == G_TYPE_INT64
           ? json_node_get_int(ts_node)
           : static_cast<int64_t>(json_node_get_double(ts_node));
  playhead = json_node_get_double(playhead_node);
  return true;
}

void print_findings(FILE *out, JsonObject *entry) {
  JsonNode *node = json_object_get_member(entry, "findings");
  if (!node || !JSON_NODE_HOLDS_ARRAY(node))
    return;
  JsonArray *findings = json_node_get_array(node);
  for (guint i = 0; i < json_array_get_length(findings); i++) {
    JsonObject *finding = json_array_get_object_element(findings, i);
    fprintf(out, "%38s! %s: %s\n", "", string_member(finding, "code"),
            string_member(finding, "message"));
  }
}

struct SessionLines {
  std::vector<JsonObject *> entries;
  bool have_start = false;
  int64_t start_ts = 0;
};

void print_request(FILE *out, JsonObject *entry, SessionLines &session) {
  JsonObject *body = object_member(entry, "body");
  const char *type = string_member(body, "eventType");
  int64_t ts = 0;
  double playhead = 0;
  char t[32] = "-", ph[32] = "-";
  if (player_time(body, ts, playhead)) {
    if (!session.have_start) {
      session.have_start = true;
      session.start_ts = ts;
    }
    g_snprintf(t, sizeof t, "%.3f", static_cast<double>(ts - session.start_ts) / 1000.0);
    g_snprintf(ph, sizeof ph, "%.3f", playhead);
  }
  const char *status_text = "";
  char status[16];
  g_snprintf(status, sizeof status, "%" G_GINT64_FORMAT,
             json_object_get_int_member_with_default(entry, "status", 0));
  status_text = status;
  std::string what =
      type ? type : json_object_get_string_member_with_default(entry, "method", "?");
  fprintf(out, "  %10s %10s  %-16s %4s  %s\n", t, ph, what.c_str(), status_text,
          details(body, type ? type : "").c_str());
  if (const char *fault = string_member(entry, "fault"))
    fprintf(out, "%38sx fault injected: %s\n", "", fault);
  if (const char *error = string_member(entry, "error"))
    fprintf(out, "%38sx rejected: %s\n", "", error);
  print_findings(out, entry);
}

void print_session(FILE *out, const std::string &id, SessionLines &session) {
  fprintf(out, "\nSession %s\n", id.c_str());
  fprintf(out, "  %10s %10s  %-16s %4s  %s\n", "t (s)", "playhead", "event", "http",
          "details");
  for (JsonObject *entry : session.entries) {
    const char *kind = string_member(entry, "kind");
    if (g_strcmp0(kind, "session-closed") == 0) {
      fprintf(out, "  closed: %s\n", string_member(entry, "reason"));
      print_findings(out, entry);
    } else {
      print_request(out, entry, session);
    }
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
  SessionLines outside;
  for (char **line = lines; *line; line++) {
    if (**line == '\0')
      continue;
    NodePtr node(json_from_string(*line, nullptr), json_node_unref);
    if (!node || !JSON_NODE_HOLDS_OBJECT(node.get()))
      continue;
    JsonObject *entry = json_node_get_object(node.get());
    nodes.push_back(std::move(node));
    const char *session = string_member(entry, "session");
    if (!session) {
      outside.entries.push_back(entry);
      continue;
    }
    if (sessions.count(session) == 0)
      order.push_back(session);
    sessions[session].entries.push_back(entry);
  }

  for (const std::string &id : order)
    print_session(out, id, sessions[id]);
  if (!outside.entries.empty()) {
    fprintf(out, "\nRequests outside any session\n");
    for (JsonObject *entry : outside.entries) {
      fprintf(out, "  %-6s %-40s %4" G_GINT64_FORMAT "  %s\n",
              json_object_get_string_member_with_default(entry, "method", "?"),
              json_object_get_string_member_with_default(entry, "path", "?"),
              json_object_get_int_member_with_default(entry, "status", 0),
              json_object_get_string_member_with_default(
                  entry, "error",
                  json_object_get_string_member_with_default(entry, "fault", "")));
    }
  }
  fflush(out);
  return TRUE;
}

}  // namespace collector
