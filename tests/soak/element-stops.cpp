#include "element-stops.h"

namespace soak {

void Accounting::add(const Accounting &other) {
  stops += other.stops;
  generated += other.generated;
  sent += other.sent;
  dropped += other.dropped;
  retried += other.retried;
  sessions += other.sessions;
}

ElementStops::ElementStops(GstElement *pipeline, GstElement *element)
    : bus_(gst_element_get_bus(pipeline)), element_(element) {
  gst_bus_enable_sync_message_emission(bus_);
  handler_ = g_signal_connect(bus_, "sync-message::state-changed",
                              G_CALLBACK(on_sync_message), this);
}

ElementStops::~ElementStops() {
  g_signal_handler_disconnect(bus_, handler_);
  gst_bus_disable_sync_message_emission(bus_);
  gst_object_unref(bus_);
}

void ElementStops::on_sync_message(GstBus *, GstMessage *message, gpointer data) {
  auto *self = static_cast<ElementStops *>(data);
  if (GST_MESSAGE_SRC(message) != GST_OBJECT(self->element_))
    return;
  GstState old_state, new_state;
  gst_message_parse_state_changed(message, &old_state, &new_state, nullptr);
  if (old_state != GST_STATE_READY || new_state != GST_STATE_NULL)
    return;
  GstStructure *s = nullptr;
  g_object_get(self->element_, "stats", &s, nullptr);
  Accounting stop;
  stop.stops = 1;
  guint64 queued = 0;
  gst_structure_get(s, "events-generated", G_TYPE_UINT64, &stop.generated, "events-sent",
                    G_TYPE_UINT64, &stop.sent, "events-queued", G_TYPE_UINT64, &queued,
                    "events-dropped", G_TYPE_UINT64, &stop.dropped, "events-retried",
                    G_TYPE_UINT64, &stop.retried, "sessions-started", G_TYPE_UINT64,
                    &stop.sessions, nullptr);
  std::string text;
  if (queued != 0 || stop.generated != stop.sent + stop.dropped) {
    g_autofree char *serialized = gst_structure_to_string(s);
    text = serialized;
  }
  gst_structure_free(s);
  std::lock_guard<std::mutex> guard(self->lock_);
  self->since_.add(stop);
  if (!text.empty())
    self->unaccounted_ += text + "\n";
}

Accounting ElementStops::take(std::string &unaccounted) {
  std::lock_guard<std::mutex> guard(lock_);
  Accounting out = since_;
  since_ = Accounting();
  unaccounted = std::move(unaccounted_);
  unaccounted_.clear();
  return out;
}

}  // namespace soak
