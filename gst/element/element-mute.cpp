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

#include "element-private.h"

/* ---- The mute state, from the pipeline (playbin and playbin3 have a
 * "mute" property). */

/* Under event_lock: the mute state as a player state (spec §11), when a
 * session is open; otherwise it is sent when one opens. */
static void apply_mute(GstMediaAnalytics *self, bool muted, const Instant &now,
                       double playhead) {
  MediaAnalyticsPrivate *priv = self->priv;
  priv->muted = muted;
  if (!priv->tracker.session_is_open()) {
    return;
  }
  const bool active = std::find(priv->tracker.markers().active_states().begin(),
                                priv->tracker.markers().active_states().end(),
                                "mute") != priv->tracker.markers().active_states().end();
  if (muted == active) {
    return;
  }
  CallResult result = muted ? priv->tracker.state_start(now, "mute", playhead)
                            : priv->tracker.state_end(now, "mute", playhead);
  if (result.accepted) {
    commit(self, std::move(result.step), now);
  }
}

/* Under event_lock: the mute state sent when it differs from what the
 * session was told (a change refused between adBreakStart and adStart, or
 * made while no session was open, goes out at the next chance). */
void reconcile_mute(GstMediaAnalytics *self, const Instant &now, double playhead) {
  /* Only with a mute property followed: otherwise "mute" is the
   * application's state alone. */
  if (self->priv->mute_handler != 0) {
    apply_mute(self, self->priv->muted, now, playhead);
  }
}

static void on_pipeline_mute(GObject *pipeline, GParamSpec *, gpointer data) {
  auto *target = static_cast<std::shared_ptr<CallbackTarget> *>(data);
  GstMediaAnalytics *self = (*target)->get();
  if (!self) {
    return;
  }
  gboolean muted = FALSE;
  g_object_get(pipeline, "mute", &muted, nullptr);
  const double playhead = estimated_playhead(self->priv);
  const Instant now = instant_now();
  {
    std::lock_guard<std::mutex> lock(self->priv->event_lock);
    apply_mute(self, muted, now, playhead);
  }
  gst_object_unref(self);
}

static void free_mute_target(gpointer data, GClosure *) {
  delete static_cast<std::shared_ptr<CallbackTarget> *>(data);
}

/* At NULL→READY: follows the "mute" property of the top-level pipeline or of
 * a volume element in it. Holds a weak reference only (the pipeline holds
 * this element). */
static bool has_mute(GObject *object) {
  GParamSpec *pspec = g_object_class_find_property(G_OBJECT_GET_CLASS(object), "mute");
  return pspec && G_PARAM_SPEC_VALUE_TYPE(pspec) == G_TYPE_BOOLEAN &&
         (pspec->flags & G_PARAM_READABLE);
}

void gst_media_analytics_watch_mute(GstMediaAnalytics *self) {
  MediaAnalyticsPrivate *priv = self->priv;
  GstObject *top = GST_OBJECT(gst_object_ref(self));
  while (GstObject *parent = gst_object_get_parent(top)) {
    gst_object_unref(top);
    top = parent;
  }
  /* The pipeline itself (playbin), else the first element in it with a
   * boolean "mute" (a volume element). */
  GObject *source = nullptr;
  if (GST_IS_PIPELINE(top)) {
    if (has_mute(G_OBJECT(top))) {
      source = G_OBJECT(gst_object_ref(top));
    } else {
      GstIterator *it = gst_bin_iterate_recurse(GST_BIN(top));
      GValue item = G_VALUE_INIT;
      while (!source && gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
        GObject *element = G_OBJECT(g_value_get_object(&item));
        if (element != G_OBJECT(self) && has_mute(element)) {
          source = G_OBJECT(gst_object_ref(element));
        }
        g_value_reset(&item);
      }
      g_value_unset(&item);
      gst_iterator_free(it);
    }
  }
  gst_object_unref(top);
  if (!source) {
    return;
  }
  priv->mute_handler =
      g_signal_connect_data(source, "notify::mute", G_CALLBACK(on_pipeline_mute),
                            new std::shared_ptr<CallbackTarget>(priv->target),
                            free_mute_target, static_cast<GConnectFlags>(0));
  g_weak_ref_set(&priv->mute_source, source);
  gboolean muted = FALSE;
  g_object_get(source, "mute", &muted, nullptr);
  g_object_unref(source);
  std::lock_guard<std::mutex> lock(priv->event_lock);
  priv->muted = muted;
}

void gst_media_analytics_unwatch_mute(GstMediaAnalytics *self) {
  MediaAnalyticsPrivate *priv = self->priv;
  if (GObject *source = static_cast<GObject *>(g_weak_ref_get(&priv->mute_source))) {
    if (priv->mute_handler != 0) {
      g_signal_handler_disconnect(source, priv->mute_handler);
    }
    g_object_unref(source);
  }
  priv->mute_handler = 0;
  g_weak_ref_set(&priv->mute_source, nullptr);
}
