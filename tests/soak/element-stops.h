// The element's stats at each of its stops. mediaanalytics resets its
// counters when it starts again (NULL -> READY), and it is not only stopped
// when the application sets the pipeline to NULL: playbin's playsink also
// takes its video chain, the video-filter included, to NULL and back when
// the pipeline goes to READY. So the stats are read at every READY -> NULL
// of the element, on the thread that stopped it, before it can start again:
// from the pipeline bus's "sync-message" signal (shared with the element's
// own tap; reading the stats takes only the element's lock, never waits).
#pragma once

#include <gst/gst.h>

#include <mutex>
#include <string>

namespace soak {

struct Accounting {
  guint64 stops = 0, generated = 0, sent = 0, dropped = 0, retried = 0, sessions = 0;

  void add(const Accounting &other);
};

class ElementStops {
 public:
  ElementStops(GstElement *pipeline, GstElement *element);
  ~ElementStops();
  ElementStops(const ElementStops &) = delete;
  ElementStops &operator=(const ElementStops &) = delete;

  // The stops since the last call, summed; `unaccounted` gets the stats of
  // every stop whose events were not all sent or dropped (queued left, or
  // generated != sent + dropped), empty when none.
  Accounting take(std::string &unaccounted);

 private:
  static void on_sync_message(GstBus *bus, GstMessage *message, gpointer self);

  GstBus *bus_ = nullptr;
  GstElement *element_ = nullptr;  // not owned: the pipeline holds it
  gulong handler_ = 0;
  std::mutex lock_;  // the stopping thread adds, the test takes
  Accounting since_;
  std::string unaccounted_;
};

}  // namespace soak
