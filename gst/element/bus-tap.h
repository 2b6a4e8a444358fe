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

// Watching the whole pipeline from inside an element. An element's own bus is
// its parent bin's child bus, whose handler drops every message after handing
// it to the bin, so what the application sees (ERROR, BUFFERING, the
// pipeline's STATE_CHANGED...) only reaches the top-level pipeline bus. BusTap
// listens there through the counted "sync-message" signal, which any number of
// listeners can share with the application's own watch and sync handler.

#pragma once

#include <gst/gst.h>

#include <functional>
#include <mutex>

namespace mediaanalytics {

class BusTap {
 public:
  // Called in the thread that posted the message: a streaming thread, the
  // application's thread inside gst_element_set_state() with the state lock
  // held, or any other thread. So it must only do quick, non-blocking work
  // (copy what it needs, queue it, wake a worker): no queries, no state
  // changes, no posting, no waiting, no lock that is held while posting.
  // The message is borrowed for the call only; keep copies of its fields, not
  // the message, which refs its source element.
  using Handler = std::function<void(GstMessage *message)>;

  BusTap() = default;
  ~BusTap() { detach(); }
  BusTap(const BusTap &) = delete;
  BusTap &operator=(const BusTap &) = delete;

  // Starts passing `handler` every message that reaches the bus of the
  // GstPipeline at the top of `element`'s hierarchy, except the ones that
  // `element` posted itself (its own warnings would otherwise feed back).
  // Holds a ref to that bus only, never to the pipeline or the element, so
  // the pipeline can still be freed while attached.
  //
  // Returns false when there is no pipeline above (GstHarness, a bare bin, no
  // parent yet): not an error, logged at INFO. Already attached to that same
  // bus, it does nothing (the new handler is dropped) and returns true;
  // attached elsewhere, it detaches first. Afterwards attached() is the
  // result.
  //
  // The hierarchy is read now: call it once the element is in place (at
  // NULL→READY), and again if the element moves to another pipeline.
  //
  // An application sync handler (gst_bus_set_sync_handler) keeps working and
  // runs first; a message it answers GST_BUS_DROP to never reaches the tap.
  bool attach(GstElement *element, Handler handler);

  // Stops the calls and releases the bus. Idempotent, callable from any
  // thread, including from the handler. A call already running in another
  // thread may still finish after detach() returns; the handler (and what it
  // captured) is destroyed only once the last such call is done, in whichever
  // thread that is.
  void detach();

  bool attached() const;

 private:
  void detach_locked();

  mutable std::mutex mutex_;
  GstBus *bus_ = nullptr;  // owned ref
  gulong handler_id_ = 0;
};

}  // namespace mediaanalytics
