/* GStreamer media analytics
 * Copyright (C) 2026 gst-mediaanalytics contributors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * This library is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Lesser General Public License for more details.
 *
 * You should have received a copy of the GNU Lesser General Public
 * License along with this library; if not, write to the
 * Free Software Foundation, Inc., 51 Franklin St, Fifth Floor,
 * Boston, MA 02110-1301, USA.
 */

#include "bus-tap.h"

#include <exception>
#include <utility>

GST_DEBUG_CATEGORY_STATIC(bus_tap_debug);
#define GST_CAT_DEFAULT bus_tap_debug

namespace mediaanalytics {

namespace {

// Lazily, so that a static library needs no init call from plugin_init.
void init_debug() {
  static gsize done = 0;
  if (g_once_init_enter(&done)) {
    GST_DEBUG_CATEGORY_INIT(bus_tap_debug, "mediaanalytics-bustap", 0,
                            "mediaanalytics: pipeline bus tap");
    g_once_init_leave(&done, 1);
  }
}

// The closure's own data, not the BusTap: GLib keeps it alive until the last
// running call returns, even if the BusTap is gone by then.
struct Subscription {
  // Compared only, never dereferenced: a call that outlives detach() may run
  // after the element is freed.
  const GstObject *self;
  BusTap::Handler handler;
};

void on_sync_message(GstBus *, GstMessage *message, gpointer data) {
  const auto *subscription = static_cast<const Subscription *>(data);
  if (GST_MESSAGE_SRC(message) == subscription->self) {
    return;
  }
  // An exception must not unwind through GLib's signal emission.
  try {
    subscription->handler(message);
  } catch (const std::exception &e) {
    GST_WARNING("bus tap handler threw on %s: %s", GST_MESSAGE_TYPE_NAME(message),
                e.what());
  } catch (...) {
    GST_WARNING("bus tap handler threw on %s", GST_MESSAGE_TYPE_NAME(message));
  }
}

void free_subscription(gpointer data, GClosure *) {
  delete static_cast<Subscription *>(data);
}

// The top of the hierarchy, with a ref.
GstObject *top_of(GstElement *element) {
  GstObject *top = GST_OBJECT(gst_object_ref(element));
  while (GstObject *parent = gst_object_get_parent(top)) {
    gst_object_unref(top);
    top = parent;
  }
  return top;
}

}  // namespace

bool BusTap::attach(GstElement *element, Handler handler) {
  g_return_val_if_fail(GST_IS_ELEMENT(element), false);
  g_return_val_if_fail(static_cast<bool>(handler), false);
  init_debug();

  GstBus *bus = nullptr;
  GstObject *top = top_of(element);
  if (GST_IS_PIPELINE(top)) {
    bus = gst_element_get_bus(GST_ELEMENT(top));
  } else {
    GST_INFO_OBJECT(element,
                    "no pipeline above (the top is %" GST_PTR_FORMAT
                    "): only in-band data is observed",
                    static_cast<gpointer>(top));
  }
  gst_object_unref(top);

  std::lock_guard<std::mutex> lock(mutex_);
  if (bus != nullptr && bus == bus_) {
    gst_object_unref(bus);
    return true;
  }
  detach_locked();
  if (bus == nullptr) {
    return false;
  }

  auto *subscription = new Subscription{GST_OBJECT(element), std::move(handler)};
  handler_id_ = g_signal_connect_data(bus, "sync-message", G_CALLBACK(on_sync_message),
                                      subscription, free_subscription,
                                      static_cast<GConnectFlags>(0));
  gst_bus_enable_sync_message_emission(bus);
  bus_ = bus;
  GST_DEBUG_OBJECT(element, "tapping %" GST_PTR_FORMAT, static_cast<gpointer>(bus));
  return true;
}

void BusTap::detach() {
  std::lock_guard<std::mutex> lock(mutex_);
  detach_locked();
}

bool BusTap::attached() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return bus_ != nullptr;
}

void BusTap::detach_locked() {
  if (bus_ == nullptr) {
    return;
  }
  g_signal_handler_disconnect(bus_, handler_id_);
  gst_bus_disable_sync_message_emission(bus_);
  GST_DEBUG("untapped %" GST_PTR_FORMAT, static_cast<gpointer>(bus_));
  handler_id_ = 0;
  gst_clear_object(&bus_);
}

}  // namespace mediaanalytics
