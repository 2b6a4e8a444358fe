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

/* ---- The client's callbacks: on its worker thread, no element lock held. */

static void post_report(GstMediaAnalytics *self, const RequestReport &report) {
  MediaAnalyticsPrivate *priv = self->priv;

  /* A session the endpoint opened (a resumed one too): the new session-id. */
  if (report.type == EventType::kSessionStart && report.http_status >= 200 &&
      report.http_status < 300 && !report.session_id.empty()) {
    bool changed;
    {
      std::lock_guard<std::mutex> lock(priv->lock);
      changed = priv->session_id != report.session_id;
      priv->session_id = report.session_id;
    }
    if (changed) {
      g_object_notify_by_pspec(G_OBJECT(self), session_id_pspec);
    }
  }

  // clang-format off
  GstStructure *s = gst_structure_new("mediaanalytics-event",
      "event-type", G_TYPE_STRING, mediaanalytics::event_type_name(report.type),
      "playhead", G_TYPE_DOUBLE, report.playhead,
      "ts", G_TYPE_INT64, static_cast<gint64>(report.ts_ms),
      "session-id", G_TYPE_STRING, report.session_id.c_str(),
      "http-status", G_TYPE_UINT, report.http_status,
      "attempts", G_TYPE_UINT, report.attempts,
      "resume", G_TYPE_BOOLEAN, report.resume ? TRUE : FALSE,
      nullptr);
  // clang-format on
  gst_element_post_message(GST_ELEMENT(self),
                           gst_message_new_element(GST_OBJECT(self), s));
}

static const char *warning_kind_name(mediaanalytics::WarningKind kind) {
  using mediaanalytics::WarningKind;
  switch (kind) {
    case WarningKind::kUnreachable:
      return "endpoint-unreachable";
    case WarningKind::kBadLocation:
      return "bad-location";
    case WarningKind::kRejected:
      return "rejected";
    case WarningKind::kQueueOverflow:
      return "queue-overflow";
    case WarningKind::kNoSession:
      return "no-session";
    case WarningKind::kFlushIncomplete:
      return "flush-incomplete";
    case WarningKind::kBadCertificate:
      return "bad-certificate";
  }
  return "unknown";
}

static void post_warning(GstMediaAnalytics *self, const ClientWarning &warning) {
  GST_ELEMENT_WARNING(self, RESOURCE, WRITE, ("%s", warning.message.c_str()),
                      ("media analytics reporting: %s", warning_kind_name(warning.kind)));
}

/* Creates the client from the snapshot (NULL→READY). */
void gst_media_analytics_start_client(GstMediaAnalytics *self) {
  MediaAnalyticsPrivate *priv = self->priv;
  SessionClientOptions options;
  bool had_session_id;
  {
    std::lock_guard<std::mutex> lock(priv->lock);
    const Settings &settings = *priv->snapshot;
    options.endpoint = settings.endpoint_base();
    options.tls_trust = priv->tls_trust;
    options.max_queue = settings.max_queue;
    options.request_timeout_ms =
        static_cast<int64_t>(settings.request_timeout / mediaanalytics::kMillisecond);
    had_session_id = priv->session_id.has_value();
    priv->session_id.reset();
    priv->stats = MediaAnalyticsStats();
  }
  if (had_session_id) {
    g_object_notify_by_pspec(G_OBJECT(self), session_id_pspec);
  }

  std::shared_ptr<CallbackTarget> target = priv->target;
  /* No lock held while posting or notifying: the unref at the end may be the
   * last one and run dispose here, on the sending thread. */
  options.on_report = [target](const RequestReport &report) {
    if (GstMediaAnalytics *element = target->get()) {
      post_report(element, report);
      gst_object_unref(element);
    }
  };
  options.on_warning = [target](const ClientWarning &warning) {
    if (GstMediaAnalytics *element = target->get()) {
      post_warning(element, warning);
      gst_object_unref(element);
    }
  };
  options.on_ping_due = [target]() {
    if (GstMediaAnalytics *element = target->get()) {
      gst_media_analytics_ping_due(element);
      gst_object_unref(element);
    }
  };
  options.on_wakeup = [target]() {
    if (GstMediaAnalytics *element = target->get()) {
      gst_media_analytics_wakeup(element);
      gst_object_unref(element);
    }
  };

  auto client = std::make_shared<SessionClient>(std::move(options));
  std::lock_guard<std::mutex> lock(priv->event_lock);
  priv->client = std::move(client);
  priv->armed_deadline_ms = -1;
  priv->reporting.store(true, std::memory_order_relaxed);
}

void gst_media_analytics_stop_client(GstMediaAnalytics *self, guint64 deadline_ns) {
  MediaAnalyticsPrivate *priv = self->priv;
  std::shared_ptr<SessionClient> client;
  {
    std::lock_guard<std::mutex> lock(priv->event_lock);
    client = std::move(priv->client);
    priv->client.reset();
    priv->reporting.store(false, std::memory_order_relaxed);
    priv->armed_deadline_ms = -1;
    priv->play_pending.store(false, std::memory_order_relaxed);
  }
  if (!client) {
    return;
  }

  const gint64 deadline_ms =
      static_cast<gint64>(deadline_ns / mediaanalytics::kMillisecond);
  const gboolean delivered = client->finish(deadline_ms);
  const MediaAnalyticsStats stats = stats_of_client(*client);
  /* Its callbacks have run their course (finish() waited for the worker, or,
   * on the sending thread itself, none can be running); one that would still
   * come reaches the element only through the weak reference. A stats reader that still
   * holds the client lets it go later. */
  client.reset();
  {
    std::lock_guard<std::mutex> lock(priv->lock);
    priv->stats = stats;
  }
  GST_INFO_OBJECT(self,
                  "reporting stopped: %" G_GUINT64_FORMAT
                  " events sent, %" G_GUINT64_FORMAT " dropped%s",
                  stats.events_sent, stats.events_dropped,
                  delivered ? "" : " (flush-timeout reached)");
}
