#include "record-audit.h"

#include <json-glib/json-glib.h>

#include <algorithm>
#include <vector>

using collector_test::Line;

namespace soak {

namespace {

// The record's complete lines (the collector may be writing the next one).
std::vector<std::string> complete_lines(const std::string &path) {
  g_autofree char *text = nullptr;
  gsize size = 0;
  g_autoptr(GError) error = nullptr;
  fail_unless(g_file_get_contents(path.c_str(), &text, &size, &error),
              "cannot read the record %s: %s", path.c_str(),
              error ? error->message : "?");
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t i = 0; i < size; i++) {
    if (text[i] == '\n') {
      lines.emplace_back(text + start, i - start);
      start = i + 1;
    }
  }
  return lines;
}

Line parse(const std::string &text) {
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) error = nullptr;
  fail_unless(json_parser_load_from_data(parser, text.c_str(), text.size(), &error),
              "a record line that is not JSON (%s): %s", error ? error->message : "?",
              text.c_str());
  JsonNode *root = json_parser_get_root(parser);
  fail_unless(root && JSON_NODE_HOLDS_OBJECT(root),
              "a record line that is not an object: %s", text.c_str());
  return Line(json_node_copy(root));
}

std::string text_of(const Line &line) {
  g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), line.object());
  g_autofree char *text = json_to_string(node, FALSE);
  return text;
}

// The timeline of session `sid` (the collector's --print-timeline), for a
// failure message: what the element sent before the request in question.
std::string session_timeline(const std::string &path, const std::string &sid) {
  const collector_test::Finished run =
      collector_test::run_to_exit({"--print-timeline", path}, 10000);
  const size_t start = sid.empty() ? std::string::npos : run.out.find("Session " + sid);
  if (start == std::string::npos)
    return run.out;
  size_t end = run.out.find("\nSession ", start + 1);
  const size_t outside = run.out.find("\nRequests outside", start + 1);
  end = std::min(end, outside);
  return run.out.substr(start, end == std::string::npos ? end : end - start);
}

}  // namespace

void RecordAudit::found(const Line &line, const std::string &steps, const char *what) {
  const std::string timeline = session_timeline(path_, line.str("session"));
  fail_unless(kept_ != nullptr, "%s: %s with findings: %s\n%s", steps.c_str(), what,
              text_of(line).c_str(), timeline.c_str());
  const std::string event =
      line.is_closed() ? "closure (" + line.str("reason") + ")" : line.event_type();
  kept_->push_back(steps + ": " + line.findings() + " on " + event);
  g_print("soak: %s: %s with findings: %s\n%s\n", steps.c_str(), what,
          text_of(line).c_str(), timeline.c_str());
}

void RecordAudit::check_line(const Line &line, const std::string &steps,
                             bool tail_dropped) {
  if (line.is_closed()) {
    totals_.sessions++;
    const std::string findings = line.findings();
    // A session cut short by a stop that could not deliver everything was
    // never closed by the element: what it had open stays open.
    const bool cut_short = tail_dropped && line.str("reason") == "collector-shutdown" &&
                           findings == "left-open-at-end";
    if (!findings.empty() && !cut_short)
      found(line, steps, "a session closed");
    return;
  }
  if (!line.is_request())
    return;
  totals_.requests++;
  if (!line.findings().empty())
    found(line, steps, "a request");
  if (line.has("fault")) {
    totals_.faults++;
    return;
  }
  const int64_t status = line.num("status");
  const int64_t success = line.str("endpoint") == "sessions" ? 201 : 204;
  if (status == success) {
    totals_.accepted++;
    return;
  }
  // No answer, no fault: the client closed the connection (a stop's flush
  // cancels the request in flight); the element counts it dropped.
  fail_unless(status == 0, "%s: a request answered %" G_GINT64_FORMAT ": %s",
              steps.c_str(), status, text_of(line).c_str());
  totals_.abandoned++;
}

void RecordAudit::check_new_lines(const std::string &steps) {
  const std::vector<std::string> lines = complete_lines(path_);
  for (; seen_ < lines.size(); seen_++)
    check_line(parse(lines[seen_]), steps, false);
}

void RecordAudit::check_end(const std::string &steps, bool tail_dropped) {
  const std::vector<std::string> lines = complete_lines(path_);
  for (; seen_ < lines.size(); seen_++)
    check_line(parse(lines[seen_]), steps, tail_dropped);
}

}  // namespace soak
