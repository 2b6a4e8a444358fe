#include "census.h"

#include <gst/check/gstcheck.h>

#include <algorithm>
#include <cstdint>
#include <iterator>

namespace soak {

std::vector<std::string> thread_names() {
  std::vector<std::string> names;
  g_autoptr(GDir) dir = g_dir_open("/proc/self/task", 0, nullptr);
  fail_unless(dir != nullptr, "cannot read /proc/self/task");
  while (const char *tid = g_dir_read_name(dir)) {
    g_autofree char *path = g_build_filename("/proc/self/task", tid, "comm", nullptr);
    g_autofree char *comm = nullptr;
    // A thread that ended meanwhile has no comm any more: not counted.
    if (g_file_get_contents(path, &comm, nullptr, nullptr))
      names.push_back(g_strstrip(comm));
  }
  return names;
}

size_t thread_count() {
  return thread_names().size();
}

bool has_thread(const char *name) {
  const std::vector<std::string> names = thread_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string describe_threads() {
  std::vector<std::string> names = thread_names();
  std::sort(names.begin(), names.end());
  std::string out;
  for (const std::string &n : names)
    out += (out.empty() ? "" : ", ") + n;
  return std::to_string(names.size()) + " threads: " + out;
}

bool wait_for_thread_count(size_t count, int64_t timeout_ms) {
  const gint64 deadline = g_get_monotonic_time() + timeout_ms * G_TIME_SPAN_MILLISECOND;
  while (true) {
    // Idle pool threads end when woken; a streaming thread that was still
    // going back to the pool is idle on the next round.
    g_thread_pool_stop_unused_threads();
    if (thread_count() <= count)
      return true;
    if (g_get_monotonic_time() >= deadline)
      return false;
    g_usleep(10 * 1000);
  }
}

size_t settled_thread_count(const std::string &path) {
  const std::string description =
      "filesrc location=\"" + path + "\" ! decodebin ! fakesink";
  g_autoptr(GError) error = nullptr;
  g_autoptr(GstElement) pipeline = gst_parse_launch(description.c_str(), &error);
  fail_unless(pipeline != nullptr && error == nullptr, "%s: %s", description.c_str(),
              error ? error->message : "no pipeline");
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  g_autoptr(GstBus) bus = gst_element_get_bus(pipeline);
  g_autoptr(GstMessage) end = gst_bus_timed_pop_filtered(
      bus, 10 * GST_SECOND,
      static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  g_autoptr(GError) failure = nullptr;
  if (end && GST_MESSAGE_TYPE(end) == GST_MESSAGE_ERROR)
    gst_message_parse_error(end, &failure, nullptr);
  fail_unless(end != nullptr && GST_MESSAGE_TYPE(end) == GST_MESSAGE_EOS,
              "the warm-up pipeline did not reach EOS: %s",
              failure ? failure->message : "no message within 10 s");
  gst_element_set_state(pipeline, GST_STATE_NULL);
  g_clear_object(&pipeline);
  // Nothing of the warm-up must stay but GLib's and GStreamer's lasting
  // helpers: give the pool threads the time to go.
  wait_for_thread_count(0, 200);
  return thread_count();
}

namespace {

GstTracer *find_leaks_tracer() {
  GList *tracers = gst_tracing_get_active_tracers();
  GstTracer *found = nullptr;
  for (GList *l = tracers; l; l = l->next) {
    if (!found && g_str_equal(G_OBJECT_TYPE_NAME(l->data), "GstLeaksTracer"))
      found = GST_TRACER(gst_object_ref(l->data));
  }
  g_list_free_full(tracers, gst_object_unref);
  return found;
}

// Applies `sign` to the net count of every entry of a checkpoint list.
void count_entries(const GstStructure *checkpoint, const char *field, int sign,
                   std::map<std::string, std::pair<std::string, int>> &net) {
  const GValue *list = gst_structure_get_value(checkpoint, field);
  fail_unless(list != nullptr && GST_VALUE_HOLDS_LIST(list),
              "the leaks tracer's checkpoint has no %s", field);
  for (guint i = 0; i < gst_value_list_get_size(list); i++) {
    const GstStructure *entry =
        gst_value_get_structure(gst_value_list_get_value(list, i));
    const char *address = gst_structure_get_string(entry, "address");
    const char *type = gst_structure_get_string(entry, "type-name");
    auto &slot = net[address ? address : "?"];
    if (sign > 0)
      slot.first = type ? type : "?";
    slot.second += sign;
  }
}

}  // namespace

LeakWatch::LeakWatch() : tracer_(find_leaks_tracer()) {
  if (tracer_)
    g_signal_emit_by_name(tracer_, "activity-start-tracking");
}

LeakWatch::~LeakWatch() {
  if (tracer_) {
    g_signal_emit_by_name(tracer_, "activity-stop-tracking");
    gst_object_unref(tracer_);
  }
}

std::vector<std::string> LeakWatch::alive() {
  std::vector<std::string> out;
  if (!tracer_)
    return out;
  GstStructure *checkpoint = nullptr;
  g_signal_emit_by_name(tracer_, "activity-get-checkpoint", &checkpoint);
  fail_unless(checkpoint != nullptr, "the leaks tracer gave no checkpoint");
  // Creations and removals are two unordered lists: per address, what was
  // created there and not removed is alive. (A removal of an object made
  // before the watch started, at an address reused by a new object that
  // stays alive, would hide that one: addresses are rarely reused so.)
  count_entries(checkpoint, "objects-created-list", +1, net_);
  count_entries(checkpoint, "objects-removed-list", -1, net_);
  gst_structure_free(checkpoint);
  for (auto it = net_.begin(); it != net_.end();) {
    if (it->second.second > 0)
      out.push_back(it->second.first + "@" + it->first);
    // Nothing alive there: forgotten, so that a long run stays small.
    it = it->second.second == 0 ? net_.erase(it) : std::next(it);
  }
  return out;
}

void enable_leaks_tracer() {
  const char *tracers = g_getenv("GST_TRACERS");
  if (tracers && strstr(tracers, "leaks"))
    return;
  const std::string value =
      tracers && *tracers ? std::string(tracers) + ";leaks" : std::string("leaks");
  g_setenv("GST_TRACERS", value.c_str(), TRUE);
}

}  // namespace soak
