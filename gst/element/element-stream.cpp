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
#include "sanitize.h"

/* The first data in PLAYING since the session opened, a pause, buffering, a
 * stall or a seek: play. Asks downstream for the playhead first: the first
 * data after a resume may be behind what a queue downstream shows. */
void gst_media_analytics_data_flowing(GstMediaAnalytics *self) {
  MediaAnalyticsPrivate *priv = self->priv;
  bool deferred;
  {
    std::lock_guard<std::mutex> lock(priv->event_lock);
    deferred = priv->start_deferred;
  }
  if (deferred) {
    gst_media_analytics_open_session(self);
    post_late_rejections(self);
  }
  const double playhead = presented_playhead(self, true);
  const Instant now = instant_now();

  std::lock_guard<std::mutex> lock(priv->event_lock);
  const bool landing = priv->tracker.activity() == PlaybackTracker::Activity::kSeeking;
  /* The first data since PLAYING of a prerolled pipeline: the media flowed
   * from the state change on. */
  if (priv->playing_since && !landing) {
    const MediaAnalyticsPrivate::PlayingSince since = *priv->playing_since;
    priv->playing_since.reset();
    commit(self, priv->tracker.data_flowing(since.at, since.playhead), since.at);
  } else {
    priv->playing_since.reset();
    commit(self, priv->tracker.data_flowing(now, playhead), now);
  }
  reconcile_mute(self, now, playhead);
  if (landing && !priv->toc.empty()) {
    /* The chapter left by the seek is skipped, the one landed in starts. */
    priv->toc_position_s = playhead;
    /* Left where the seek started, entered where it landed. */
    send_toc_transitions(self, priv->toc.jump(playhead), now, playhead,
                         priv->seek_playhead.load(std::memory_order_relaxed));
  } else {
    toc_advance(self, playhead, now);
  }
}

/* A new segment: the position starts over (after a seek, at its target) and
 * the rate may have changed; the seek waiting for it has landed. */
void gst_media_analytics_segment(GstMediaAnalytics *self, GstEvent *event) {
  MediaAnalyticsPrivate *priv = self->priv;
  const GstSegment *segment = nullptr;
  gst_event_parse_segment(event, &segment);
  {
    std::lock_guard<std::mutex> lock(priv->playhead_lock);
    priv->position_sample.reset();
    priv->stream_end.reset();
    priv->segment_rate = segment->rate * segment->applied_rate;
    priv->rate = priv->segment_rate;
  }
  priv->data_start_ns.store(-1, std::memory_order_relaxed);
  priv->data_end_ns.store(-1, std::memory_order_relaxed);
  priv->in_gap.store(false, std::memory_order_relaxed);

  const Instant now = instant_now();
  std::lock_guard<std::mutex> lock(priv->event_lock);
  /* The seek's own segment: the one with its seqnum, or the first after
   * its flush (a segment already on its way when the seek started is not). */
  const bool landed = !priv->seek_flushing || priv->flush_stopped ||
                      gst_event_get_seqnum(event) == priv->seek_seqnum;
  if (priv->awaiting_segment.load(std::memory_order_relaxed) && !landed) {
    return;
  }
  priv->awaiting_segment.store(false, std::memory_order_relaxed);
  priv->tracker.seek_landed();
  commit(self, TrackerStep(), now);
}

/* An instant rate change (a trick-mode seek that needs no flush): the same
 * segment at a new speed. The estimate restarts from where it is now. */
void gst_media_analytics_instant_rate(GstMediaAnalytics *self, GstEvent *event) {
  MediaAnalyticsPrivate *priv = self->priv;
  gdouble multiplier = 1.0;
  gst_event_parse_instant_rate_change(event, &multiplier, nullptr);
  const double playhead = estimated_playhead(priv);
  std::lock_guard<std::mutex> lock(priv->playhead_lock);
  priv->position_sample = PositionSample{playhead, g_get_monotonic_time()};
  priv->rate = priv->segment_rate * multiplier;
}

/* A GAP is data too (sparse streams, live sources): time goes on. */
void gst_media_analytics_gap(GstMediaAnalytics *self, GstEvent *event) {
  MediaAnalyticsPrivate *priv = self->priv;
  GstClockTime timestamp = GST_CLOCK_TIME_NONE, duration = GST_CLOCK_TIME_NONE;
  gst_event_parse_gap(event, &timestamp, &duration);
  priv->data_at_us.store(g_get_monotonic_time(), std::memory_order_relaxed);
  priv->in_gap.store(true, std::memory_order_relaxed);
  {
    /* The latest answer of the sink is older than this GAP. */
    std::lock_guard<std::mutex> lock(priv->playhead_lock);
    priv->position_sample.reset();
  }
  if (GST_CLOCK_TIME_IS_VALID(timestamp)) {
    gst_media_analytics_note_data(priv, &self->segment, timestamp, duration);
  }
  if (priv->play_pending.load(std::memory_order_relaxed)) {
    gst_media_analytics_data_flowing(self);
  }
}

/* The first title tag of the stream names the media when media-name is not
 * set (a title after the sessionStart is too late, and does not delay it).
 * Whoever made the media chose it: it is sanitized before it is kept (valid
 * UTF-8, no control characters, at most kMaxTextBytes), and a title left
 * empty by that names nothing. */
void gst_media_analytics_tags(GstMediaAnalytics *self, GstEvent *event) {
  MediaAnalyticsPrivate *priv = self->priv;
  GstTagList *tags = nullptr;
  gst_event_parse_tag(event, &tags);
  g_autofree gchar *title = nullptr;
  if (tags && gst_tag_list_get_string(tags, GST_TAG_TITLE, &title) && title) {
    std::string clean = mediaanalytics::sanitize_text(title);
    std::lock_guard<std::mutex> lock(priv->lock);
    if (!priv->title && !clean.empty()) {
      priv->title = std::move(clean);
    }
  }

  /* media.qoe.bitrate in bps: the stream's bitrate, else its nominal one (a
   * new variant's tags bring a new value: bitrateChange). */
  guint bitrate = 0;
  if (tags &&
      (gst_tag_list_get_uint(tags, GST_TAG_BITRATE, &bitrate) ||
       gst_tag_list_get_uint(tags, GST_TAG_NOMINAL_BITRATE, &bitrate)) &&
      bitrate > 0) {
    const double playhead = estimated_playhead(priv);
    const Instant now = instant_now();
    std::lock_guard<std::mutex> lock(priv->event_lock);
    priv->bitrate_from_tags = true;
    commit(self, priv->tracker.bitrate_changed(now, bitrate, playhead), now);
  }
}

/* A seek started: asked through this element (a SEEK from downstream, with
 * its seqnum and whether it flushes), or made elsewhere and seen as a flush
 * (no seqnum known). */
void gst_media_analytics_seek_started(GstMediaAnalytics *self, guint32 seqnum,
                                      bool flushing) {
  MediaAnalyticsPrivate *priv = self->priv;
  const double playhead = estimated_playhead(priv);
  const Instant now = instant_now();

  std::lock_guard<std::mutex> lock(priv->event_lock);
  if (priv->tracker.activity() != PlaybackTracker::Activity::kSeeking &&
      !priv->awaiting_segment.load(std::memory_order_relaxed)) {
    priv->seek_seqnum = seqnum;
    priv->seek_flushing = flushing;
    priv->flush_stopped = false;
    priv->seek_playhead.store(playhead, std::memory_order_relaxed);
    priv->awaiting_segment.store(true, std::memory_order_relaxed);
    /* A chapter that reached its end completes rather than being skipped. */
    toc_advance(self, playhead, now);
    commit(self, priv->tracker.seek_started(now, playhead), now);
  }
}

/* The end of the content: EOS of the whole pipeline (its EOS message, once
 * every sink is at the end), or of this element's stream when it tracks no
 * pipeline bus. This stream's own EOS (with a bus) only says that no stall is
 * coming: another stream (the longer audio) may still play. The playhead is
 * the end of the latest data. Nothing waits: EOS goes on at once. */
void gst_media_analytics_end_of_stream(GstMediaAnalytics *self, bool pipeline) {
  MediaAnalyticsPrivate *priv = self->priv;
  const gint64 end = priv->data_end_ns.load(std::memory_order_relaxed);
  double playhead =
      end >= 0 ? static_cast<double>(end) / GST_SECOND : estimated_playhead(priv);
  if (pipeline) {
    if (std::optional<double> beyond = after_stream_end(priv)) {
      playhead = *beyond;
    }
  }
  const Instant now = instant_now();

  std::lock_guard<std::mutex> lock(priv->event_lock);
  if (!pipeline && priv->bus_tap.attached()) {
    {
      std::lock_guard<std::mutex> playhead_lock(priv->playhead_lock);
      priv->stream_end = PositionSample{playhead, g_get_monotonic_time()};
    }
    priv->tracker.stream_ended();
    commit(self, TrackerStep(), now);
    return;
  }
  /* The tracker completes an open chapter with the session. */
  priv->toc.finish(true);
  priv->toc_boundary_ns.store(-1, std::memory_order_relaxed);
  commit(self, priv->tracker.end_of_stream(now, playhead), now);
}
