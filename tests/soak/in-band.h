// In-band calls and tags, as an element upstream of mediaanalytics sends
// them: events the test queues are sent into the element's sink pad from
// the streaming thread, just before the next buffer, so they are
// serialized with the media as an upstream element's would be.
#pragma once

#include <gst/gst.h>

#include <mutex>
#include <vector>

namespace soak {

class InBand {
 public:
  // Watches `element`'s sink pad.
  explicit InBand(GstElement *element);
  ~InBand();
  InBand(const InBand &) = delete;
  InBand &operator=(const InBand &) = delete;

  // Queues `event` (takes it) for the next buffer. Events still queued when
  // the pipeline flushes or stops wait for the next buffer after it.
  void push(GstEvent *event);
  // How many queued events reached the element so far.
  size_t delivered() const;

 private:
  static GstPadProbeReturn on_buffer(GstPad *pad, GstPadProbeInfo *info, gpointer self);

  GstPad *pad_ = nullptr;
  gulong probe_ = 0;
  mutable std::mutex lock_;  // the streaming thread takes the queue
  std::vector<GstEvent *> queued_;
  size_t delivered_ = 0;
};

}  // namespace soak
