#include "in-band.h"

#include <gst/check/gstcheck.h>

namespace soak {

InBand::InBand(GstElement *element) {
  pad_ = gst_element_get_static_pad(element, "sink");
  fail_unless(pad_ != nullptr, "%s has no sink pad", GST_OBJECT_NAME(element));
  probe_ = gst_pad_add_probe(pad_,
                             static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER |
                                                          GST_PAD_PROBE_TYPE_BUFFER_LIST),
                             on_buffer, this, nullptr);
}

InBand::~InBand() {
  gst_pad_remove_probe(pad_, probe_);
  gst_object_unref(pad_);
  for (GstEvent *event : queued_)
    gst_event_unref(event);
}

void InBand::push(GstEvent *event) {
  std::lock_guard<std::mutex> guard(lock_);
  queued_.push_back(event);
}

size_t InBand::delivered() const {
  std::lock_guard<std::mutex> guard(lock_);
  return delivered_;
}

GstPadProbeReturn InBand::on_buffer(GstPad *pad, GstPadProbeInfo *, gpointer data) {
  auto *self = static_cast<InBand *>(data);
  std::vector<GstEvent *> events;
  {
    std::lock_guard<std::mutex> guard(self->lock_);
    events.swap(self->queued_);
    self->delivered_ += events.size();
  }
  // On the streaming thread, which holds the pad's stream lock: the events
  // go in ahead of this buffer, as if the peer had pushed them first.
  for (GstEvent *event : events)
    gst_pad_send_event(pad, event);
  return GST_PAD_PROBE_OK;
}

}  // namespace soak
