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

/* ---- Chapters from the table of contents. */

/* Under event_lock: the TOC's transitions as chapter events, through the
 * tracker (which keeps the rules: one chapter at a time, nothing between
 * adBreakStart and adStart). What it refuses is left out. */
void send_toc_transitions(GstMediaAnalytics *self,
                          const std::vector<TocChapters::Transition> &transitions,
                          const Instant &now, double position_s, double left_s) {
  MediaAnalyticsPrivate *priv = self->priv;
  for (const TocChapters::Transition &t : transitions) {
    CallResult result;
    switch (t.change) {
      case TocChapters::Change::kStart: {
        Params params;
        params.set("media.chapter.index", static_cast<int64_t>(t.index));
        params.set("media.chapter.offset", t.offset_s);
        params.set("media.chapter.length", t.length_s);
        if (!t.title.empty()) {
          params.set("media.chapter.friendlyName", t.title);
        }
        /* Entered at its start in playback, or landed inside by a seek. */
        result = priv->tracker.chapter_start(now, std::move(params), {},
                                             std::max(t.offset_s, position_s));
        break;
      }
      case TocChapters::Change::kComplete:
        result = priv->tracker.chapter_complete(now, t.offset_s + t.length_s);
        break;
      case TocChapters::Change::kSkip:
        result = priv->tracker.chapter_skip(now, left_s);
        break;
    }
    if (result.accepted) {
      commit(self, std::move(result.step), now);
    } else {
      GST_DEBUG_OBJECT(self, "TOC chapter %d not reported: %s", t.index,
                       result.reason.c_str());
    }
  }
  const double boundary = priv->toc.next_boundary(priv->toc_position_s);
  priv->toc_boundary_ns.store(
      boundary < 0 ? -1 : static_cast<gint64>(boundary * GST_SECOND),
      std::memory_order_relaxed);
}

/* Under event_lock: the playhead moved on in playback (data crossed the next
 * boundary, a ping); only while the viewer watches content in an open
 * session, so that a chapter never starts before the first play. */
void toc_advance(GstMediaAnalytics *self, double position_s, const Instant &now) {
  MediaAnalyticsPrivate *priv = self->priv;
  if (priv->toc.empty() || !priv->tracker.session_is_open() ||
      priv->tracker.activity() != PlaybackTracker::Activity::kPlaying) {
    return;
  }
  priv->toc_position_s = std::max(priv->toc_position_s, position_s);
  send_toc_transitions(self, priv->toc.advance(position_s), now, position_s, position_s);
}

/* A GST_EVENT_TOC: its chapters (the entries of its first edition, or its
 * top level) with their times and titles. */
void gst_media_analytics_toc(GstMediaAnalytics *self, GstEvent *event) {
  MediaAnalyticsPrivate *priv = self->priv;
  if (!priv->reporting.load(std::memory_order_relaxed)) {
    return;
  }
  {
    std::lock_guard<std::mutex> lock(priv->lock);
    if (!priv->snapshot || !priv->snapshot->toc_chapters) {
      return;
    }
  }
  GstToc *toc = nullptr;
  gst_event_parse_toc(event, &toc, nullptr);
  std::vector<TocEntry> entries;
  GList *level = gst_toc_get_entries(toc);
  if (level && gst_toc_entry_get_entry_type(static_cast<GstTocEntry *>(level->data)) ==
                   GST_TOC_ENTRY_TYPE_EDITION) {
    level = gst_toc_entry_get_sub_entries(static_cast<GstTocEntry *>(level->data));
  }
  for (GList *l = level; l; l = l->next) {
    GstTocEntry *entry = static_cast<GstTocEntry *>(l->data);
    gint64 start = -1, stop = -1;
    if (!gst_toc_entry_get_start_stop_times(entry, &start, &stop) || start < 0) {
      continue;
    }
    TocEntry chapter;
    chapter.start_s = static_cast<double>(start) / GST_SECOND;
    chapter.end_s = stop >= 0 ? static_cast<double>(stop) / GST_SECOND : -1.0;
    /* media.chapter.friendlyName: the media's text, sanitized (an empty
     * one is left out). */
    g_autofree gchar *title = nullptr;
    const GstTagList *tags = gst_toc_entry_get_tags(entry);
    if (tags && gst_tag_list_get_string(tags, GST_TAG_TITLE, &title)) {
      chapter.title = mediaanalytics::sanitize_text(title);
    }
    entries.push_back(std::move(chapter));
  }
  gst_toc_unref(toc);

  gint64 duration = -1;
  gst_pad_peer_query_duration(self->sinkpad, GST_FORMAT_TIME, &duration);
  const Instant now = instant_now();
  std::lock_guard<std::mutex> lock(priv->event_lock);
  priv->toc.set_entries(std::move(entries),
                        duration > 0 ? static_cast<double>(duration) / GST_SECOND : -1.0);
  send_toc_transitions(self, {}, now, priv->toc_position_s, priv->toc_position_s);
}
