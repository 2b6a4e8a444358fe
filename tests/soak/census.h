// What a test process holds, counted from outside the code under test: its
// threads (/proc/self/task) and the GstObjects and GstMiniObjects created
// since a point in time (GStreamer's leaks tracer). The soak and the
// disposal tests use them to check that nothing is left behind.
#pragma once

#include <gst/gst.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace soak {

// The name of the process-wide sending thread (gst/client/sender.cpp).
inline constexpr char kSenderThreadName[] = "mediaanalytics";

// The threads of this process now, as their names (/proc/self/task/*/comm).
std::vector<std::string> thread_names();
// How many threads this process has now.
size_t thread_count();
// Whether a thread named `name` runs now.
bool has_thread(const char *name);
// The names, sorted and joined, for failure messages.
std::string describe_threads();

// Asks GLib to end its idle pool threads (GStreamer's streaming threads go
// back to GLib's shared pool when a pipeline stops, and idle there for a
// while), then waits up to `timeout_ms` for the process to have at most
// `count` threads. True when it does.
bool wait_for_thread_count(size_t count, int64_t timeout_ms);

// The process's threads once GStreamer's own lasting helpers have started:
// plays a short pipeline without mediaanalytics (filesrc ! decodebin !
// fakesink, on `path`) to its end, so that GLib's pool spawner and the like
// exist before the count is taken, and returns the count with idle pool
// threads ended.
size_t settled_thread_count(const std::string &path);

// The GstObjects and GstMiniObjects created after construction and still
// alive when alive() is called, from GStreamer's leaks tracer. It needs the
// tracer (GST_TRACERS=leaks, which enable_leaks_tracer() sets before
// gst_init); without it, available() is false.
class LeakWatch {
 public:
  LeakWatch();
  ~LeakWatch();
  LeakWatch(const LeakWatch &) = delete;
  LeakWatch &operator=(const LeakWatch &) = delete;

  bool available() const { return tracer_ != nullptr; }
  // "TYPE@ADDRESS" of every object created since construction that is
  // still alive; empty when none. Each call also empties the tracer's
  // lists, so calling it now and then keeps a long run's memory bounded.
  std::vector<std::string> alive();

 private:
  GstTracer *tracer_ = nullptr;
  // Per address: the type created there last, and creations minus
  // removals since construction.
  std::map<std::string, std::pair<std::string, int>> net_;
};

// Adds the leaks tracer to GST_TRACERS; call before gst_init (in main).
void enable_leaks_tracer();

}  // namespace soak
