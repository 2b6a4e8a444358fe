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

static void measure_bitrate(GstMediaAnalytics *self, const Instant &now, double playhead);

/* ---- Tracking: observations of the pipeline, turned into events by the
 * tracker. Each observation takes the playhead first, with no lock held (it
 * may ask downstream), then event_lock for the tracker and the client. */

Instant instant_now() {
  Instant now;
  now.monotonic_ms = g_get_monotonic_time() / 1000;
  now.utc_ms = EventClock::now_utc_ms();
  return now;
}

/* The ping interval the element runs with, in ms (never below 1 ms). Under
 * event_lock: takes priv->lock inside it (the only nesting of the two, always
 * in this order). */
static int64_t ping_interval_ms(MediaAnalyticsPrivate *priv, bool in_ad = false) {
  std::lock_guard<std::mutex> lock(priv->lock);
  const Settings &settings = priv->snapshot ? *priv->snapshot : priv->settings;
  const guint64 interval = in_ad ? settings.ad_ping_interval : settings.ping_interval;
  const int64_t ms = static_cast<int64_t>(interval / mediaanalytics::kMillisecond);
  return ms > 0 ? ms : 1;
}

/* Under event_lock: submits what the tracker made of an observation, and
 * keeps the ping grid, the wakeup and the streaming thread's flags in line
 * with the tracker. Every tracker call ends here. */
void commit(GstMediaAnalytics *self, TrackerStep &&step, const Instant &now) {
  MediaAnalyticsPrivate *priv = self->priv;
  const PlaybackTracker &tracker = priv->tracker;

  priv->events_committed.fetch_add(step.events.size(), std::memory_order_relaxed);
  if (priv->client) {
    for (Event &event : step.events) {
      GST_DEBUG_OBJECT(self, "%s at playhead %.3f (%s, %s)",
                       mediaanalytics::event_type_name(event.type), event.playhead,
                       mediaanalytics::tracker_phase_name(tracker.phase()),
                       mediaanalytics::tracker_activity_name(tracker.activity()));
      priv->client->submit(std::move(event));
    }
    if (step.session_closed)
      priv->client->stop_pings();
    /* The main ping grid is anchored at the sessionStart; an ad's grid at
     * its adStart (spec §7), and after the ad the main grid goes on. */
    if (step.session_opened) {
      priv->ping_anchor_ms = now.monotonic_ms;
      priv->client->start_pings(now.monotonic_ms, ping_interval_ms(priv));
    }
    if (step.ping_grid == TrackerStep::PingGrid::kAd) {
      priv->client->start_pings(now.monotonic_ms, ping_interval_ms(priv, true));
    } else if (step.ping_grid == TrackerStep::PingGrid::kMain && !step.session_closed) {
      /* Back on the main grid at its next point (not at once). */
      const int64_t interval = ping_interval_ms(priv);
      const int64_t next_tick =
          std::max<int64_t>(0, now.monotonic_ms - priv->ping_anchor_ms) / interval + 1;
      priv->client->start_pings(priv->ping_anchor_ms, interval, next_tick);
    }
    int64_t deadline = tracker.next_deadline_ms();
    if (priv->open_requested && (deadline < 0 || priv->open_due_ms < deadline)) {
      deadline = priv->open_due_ms;
    }
    if (deadline != priv->armed_deadline_ms) {
      priv->client->set_wakeup(deadline);
      priv->armed_deadline_ms = deadline;
    }
  }
  priv->play_pending.store(tracker.play_due() || priv->start_deferred,
                           std::memory_order_relaxed);
  priv->advancing.store(tracker.activity() == PlaybackTracker::Activity::kPlaying,
                        std::memory_order_relaxed);
  priv->seeking.store(tracker.activity() == PlaybackTracker::Activity::kSeeking,
                      std::memory_order_relaxed);
}

/* The estimated playhead (see playhead.h), from what the element saw: no
 * query, so it may run anywhere, a bus sync handler included. */
/* The playhead held through a seek, or nothing: until its segment came, and
 * on until the data after it (the play of the landing, which asks with
 * `landing`, reports where it landed). */
static std::optional<double> held_playhead(MediaAnalyticsPrivate *priv,
                                           bool landing = false) {
  if (priv->awaiting_segment.load(std::memory_order_relaxed) ||
      (!landing && priv->seeking.load(std::memory_order_relaxed))) {
    return priv->seek_playhead.load(std::memory_order_relaxed);
  }
  return std::nullopt;
}

/* After this element's stream ended while others play on (a longer audio
 * track): the content goes on at the rate from where this stream ended; its
 * sink answers its last position, which is no longer the playhead. */
std::optional<double> after_stream_end(MediaAnalyticsPrivate *priv) {
  std::lock_guard<std::mutex> lock(priv->playhead_lock);
  if (!priv->stream_end) {
    return std::nullopt;
  }
  const double elapsed =
      static_cast<double>(g_get_monotonic_time() - priv->stream_end->at_us) / 1e6;
  return priv->stream_end->position_s + priv->rate * elapsed;
}

/* The playhead when neither the sinks nor the data say it: held through a
 * seek, or moving on after this stream ended. */
static std::optional<double> playhead_override(MediaAnalyticsPrivate *priv,
                                               bool landing) {
  if (std::optional<double> held = held_playhead(priv, landing)) {
    return held;
  }
  return after_stream_end(priv);
}

double estimated_playhead(MediaAnalyticsPrivate *priv, bool landing) {
  if (std::optional<double> known = playhead_override(priv, landing)) {
    return *known;
  }
  PlayheadInputs in;
  const gint64 start = priv->data_start_ns.load(std::memory_order_relaxed);
  if (start >= 0) {
    const gint64 end = priv->data_end_ns.load(std::memory_order_relaxed);
    in.data = DataSeen{static_cast<double>(start) / GST_SECOND,
                       static_cast<double>(std::max(end, start)) / GST_SECOND,
                       priv->data_at_us.load(std::memory_order_relaxed)};
  }
  in.advancing = priv->advancing.load(std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(priv->playhead_lock);
    in.sample = priv->position_sample;
    in.rate = priv->rate;
  }
  return mediaanalytics::estimate_playhead(in, g_get_monotonic_time());
}

/* The stream time being presented, in seconds: downstream's answer to a
 * position query (the sink knows what it shows; data that passed this element
 * may still sit in a queue), else the estimate. The query needs no lock and
 * is never made from a bus sync handler. */
double presented_playhead(GstMediaAnalytics *self, bool landing) {
  MediaAnalyticsPrivate *priv = self->priv;
  if (std::optional<double> known = playhead_override(priv, landing)) {
    return *known;
  }
  /* Only GAPs pass (a stream that paused while others play on, playbin's
   * stream synchronizer filling a shorter stream): the sink keeps answering
   * its last frame, the GAPs say where the content is. */
  if (priv->in_gap.load(std::memory_order_relaxed)) {
    return estimated_playhead(priv, landing);
  }
  gint64 position = -1;
  if (gst_pad_peer_query_position(self->srcpad, GST_FORMAT_TIME, &position) &&
      position >= 0) {
    const double seconds = static_cast<double>(position) / GST_SECOND;
    std::lock_guard<std::mutex> lock(priv->playhead_lock);
    priv->position_sample = PositionSample{seconds, g_get_monotonic_time()};
    return seconds;
  }
  return estimated_playhead(priv, landing);
}

/* The client's ping grid is due (its worker thread, no lock held). */
void gst_media_analytics_ping_due(GstMediaAnalytics *self) {
  MediaAnalyticsPrivate *priv = self->priv;
  const guint64 committed = priv->events_committed.load(std::memory_order_relaxed);
  const double queried = presented_playhead(self);
  Instant now = instant_now();

  std::lock_guard<std::mutex> lock(priv->event_lock);
  /* A seek that started since the query: its start is the playhead. */
  double playhead = held_playhead(priv).value_or(queried);
  /* An event came while this thread queried or waited for the lock (a seek
   * that landed, a pause): the ping goes after it, stamped after it, so what
   * was observed before it is stale (a ping after the play of a landed seek
   * would say where the seek started). The estimate needs no query. */
  if (priv->events_committed.load(std::memory_order_relaxed) != committed) {
    now = instant_now();
    playhead = estimated_playhead(priv);
  }
  toc_advance(self, playhead, now);
  measure_bitrate(self, now, playhead);
  commit(self, priv->tracker.ping(now, playhead), now);
}

/* Under event_lock, at each ping: the bitrate of compressed data through the
 * element since the last ping, in bps, unless the stream's tags tell it. */
static void measure_bitrate(GstMediaAnalytics *self, const Instant &now,
                            double playhead) {
  MediaAnalyticsPrivate *priv = self->priv;
  const guint64 bytes = priv->bytes_seen.load(std::memory_order_relaxed);
  const int64_t elapsed_ms = now.monotonic_ms - priv->bitrate_since_ms;
  const guint64 delta = bytes - priv->bytes_at_last_ping;
  priv->bytes_at_last_ping = bytes;
  priv->bitrate_since_ms = now.monotonic_ms;
  /* Only a window watched from end to end: one with a pause, a seek or
   * buffering in it reads low. */
  const bool advancing = priv->advancing.load(std::memory_order_relaxed);
  const bool whole_window = advancing && priv->bitrate_window_advancing;
  priv->bitrate_window_advancing = advancing;
  if (priv->bitrate_from_tags || delta == 0 || elapsed_ms < 500 || !whole_window) {
    return;
  }
  const int64_t bps =
      static_cast<int64_t>(delta * 8 * 1000 / static_cast<guint64>(elapsed_ms));
  commit(self, priv->tracker.bitrate_changed(now, bps, playhead), now);
}

/* The tracker's deadline (a possible stall or idle expiry) has come (the
 * worker thread, no lock held). */
void gst_media_analytics_wakeup(GstMediaAnalytics *self) {
  MediaAnalyticsPrivate *priv = self->priv;
  bool open;
  {
    std::lock_guard<std::mutex> lock(priv->event_lock);
    open = priv->open_requested;
    priv->open_requested = false;
  }
  if (open) {
    gst_media_analytics_open_session(self);
    post_late_rejections(self);
  }
  const int64_t last_data_ms = priv->data_at_us.load(std::memory_order_relaxed) / 1000;
  {
    /* Data came since the wakeup was set (the usual case of the stall
     * timer): only a later deadline is left, armed again without asking
     * downstream for the position. */
    const Instant now = instant_now();
    std::lock_guard<std::mutex> lock(priv->event_lock);
    if (!priv->tracker.deadline_due(now, last_data_ms)) {
      priv->armed_deadline_ms = -1;
      commit(self, TrackerStep(), now);
      return;
    }
  }
  const double queried = presented_playhead(self);
  const Instant now = instant_now();

  std::lock_guard<std::mutex> lock(priv->event_lock);
  const double playhead = held_playhead(priv).value_or(queried);
  priv->armed_deadline_ms = -1;
  commit(self, priv->tracker.deadline_reached(now, last_data_ms, playhead), now);
}

/* ping-interval changed: a running grid takes it from its next tick on (that
 * tick anchors the new grid). */
void gst_media_analytics_update_ping_interval(GstMediaAnalytics *self) {
  MediaAnalyticsPrivate *priv = self->priv;

  std::lock_guard<std::mutex> lock(priv->event_lock);
  if (priv->client && priv->tracker.phase() == PlaybackTracker::Phase::kOpen) {
    priv->client->set_ping_interval(ping_interval_ms(priv));
  }
}

/* The intent to play with no session open: the stream facts (queries
 * upstream, no lock held), then the sessionStart, stamped when the intent
 * was. From the element's PAUSED→PLAYING, from the sending thread when the
 * pipeline prerolled on its way to PLAYING, or from the first data of a live
 * pipeline. Nothing came through yet (a live pipeline does not preroll): its
 * source answers the latency query (live or not) only once it has
 * negotiated, i.e. with its first data, which opens the session then. */
void gst_media_analytics_open_session(GstMediaAnalytics *self) {
  MediaAnalyticsPrivate *priv = self->priv;
  if (!priv->reporting.load(std::memory_order_relaxed)) {
    return;
  }
  guint64 playback;
  {
    std::lock_guard<std::mutex> lock(priv->event_lock);
    if (!priv->tracker.wants_session()) {
      return;
    }
    if (priv->buffers_seen.load(std::memory_order_relaxed) == 0) {
      priv->start_deferred = true;
      commit(self, TrackerStep(), instant_now());
      return;
    }
    playback = priv->playback;
  }
  std::optional<Settings> settings;
  std::optional<std::string> title;
  {
    std::lock_guard<std::mutex> lock(priv->lock);
    settings = priv->snapshot;
    title = priv->title;
  }
  if (!settings) {
    return; /* gone to NULL meanwhile */
  }
  StreamFacts facts = mediaanalytics::query_stream_facts(self->sinkpad);
  facts.title = std::move(title);
  const SessionInfo info = mediaanalytics::make_session_info(*settings, facts);
  const double playhead = presented_playhead(self);

  const Instant now = instant_now();
  std::lock_guard<std::mutex> lock(priv->event_lock);
  /* Stopped (and maybe started again) while the queries ran: that intent
   * is gone with its playback. */
  if (priv->playback != playback) {
    return;
  }
  Instant at = priv->intent.value_or(now);
  /* An intent older than the idle timeout would open an expired session. */
  if (now.monotonic_ms - at.monotonic_ms >=
      static_cast<int64_t>(settings->idle_timeout / mediaanalytics::kMillisecond)) {
    at = now;
  }
  priv->start_deferred = false;
  priv->intent.reset();
  TrackerStep step = priv->tracker.session_requested(at, info, playhead);
  if (!step.session_opened) {
    commit(self, std::move(step), at);
    replay_pending_calls(self, now, playhead);
    return;
  }
  /* Opened after the intent (the initial load held the pipeline in PAUSED):
   * the pings of the grid from the intent up to now, at the start position,
   * as if the session had been open since; the grid goes on from the next
   * point, even if that one is late by the time the sending thread starts
   * it. */
  const int64_t interval = ping_interval_ms(priv);
  int64_t tick = 1;
  for (; at.monotonic_ms + tick * interval <= now.monotonic_ms; tick++) {
    const Instant due{at.monotonic_ms + tick * interval, at.utc_ms + tick * interval};
    for (Event &ping : priv->tracker.ping(due, playhead).events) {
      step.events.push_back(std::move(ping));
    }
  }
  step.session_opened = false;
  commit(self, std::move(step), at);
  /* The main grid first: an early ad-start replayed below switches to the
   * ad grid from there. */
  if (priv->client) {
    priv->ping_anchor_ms = at.monotonic_ms;
    priv->client->start_pings(at.monotonic_ms, interval, tick);
  }
  replay_pending_calls(self, now, playhead);
  reconcile_mute(self, now, playhead);
}

/* How long the pipeline has been PLAYING, in ms, as this element follows it
 * there: the running time of its clock now less the one at which it
 * started (the start time), as the bin set them on this element. 0 when
 * unknown (no clock yet, not set by a bin). */
static int64_t playing_for_ms(GstMediaAnalytics *self) {
  GstElement *element = GST_ELEMENT(self);
  GstClock *clock = gst_element_get_clock(element);
  if (!clock) {
    return 0;
  }
  const GstClockTime clock_now = gst_clock_get_time(clock);
  gst_object_unref(clock);
  const GstClockTime base = gst_element_get_base_time(element);
  const GstClockTime start = gst_element_get_start_time(element);
  if (!GST_CLOCK_TIME_IS_VALID(clock_now) || !GST_CLOCK_TIME_IS_VALID(base) ||
      !GST_CLOCK_TIME_IS_VALID(start) || clock_now < base + start) {
    return 0;
  }
  return static_cast<int64_t>((clock_now - base - start) / GST_MSECOND);
}

/* PAUSED→PLAYING: the intent to play. It opens the session when none is
 * open (the first time, or after a stop); the next data reports play. */
void gst_media_analytics_to_playing(GstMediaAnalytics *self) {
  MediaAnalyticsPrivate *priv = self->priv;
  /* Where the sinks were in PAUSED (prerolled, or paused), as last asked
   * there (before the queries below, which the sinks now answer playing). */
  std::optional<PositionSample> paused;
  {
    std::lock_guard<std::mutex> lock(priv->playhead_lock);
    paused = priv->position_sample;
  }
  gst_media_analytics_open_session(self);
  post_late_rejections(self);
  /* Prerolled (data came in PAUSED): the sinks present it from the moment
   * they are PLAYING (bins change sinks first), although the next data may
   * pass this element only a frame later. This element gets there after
   * them, later still on a loaded machine: the play is where and when they
   * started (where they were in PAUSED, at most as long ago as the pipeline
   * plays), not where they are by now. Not asked in PAUSED: where they are. */
  const bool prerolled = priv->buffers_seen.load(std::memory_order_relaxed) > 0;
  const double playhead = prerolled ? presented_playhead(self) : 0.0;
  const int64_t playing_ms = prerolled ? playing_for_ms(self) : 0;
  const Instant now = instant_now();
  double rate;
  {
    std::lock_guard<std::mutex> lock(priv->playhead_lock);
    rate = priv->rate;
  }
  double started_at = playhead;
  if (paused && rate > 0) {
    const double earliest = std::min(
        playhead,
        std::max(0.0, playhead - rate * static_cast<double>(playing_ms) / 1000.0));
    started_at = std::clamp(paused->position_s, earliest, playhead);
  }
  const auto back_ms =
      rate > 0 ? static_cast<int64_t>((playhead - started_at) / rate * 1000.0) : 0;

  std::lock_guard<std::mutex> lock(priv->event_lock);
  priv->tracker.entered_playing();
  if (prerolled) {
    const Instant started{now.monotonic_ms - back_ms, now.utc_ms - back_ms};
    priv->playing_since = MediaAnalyticsPrivate::PlayingSince{started, started_at};
  }
  commit(self, TrackerStep(), now);
}

/* Whether the element or a bin above it is heading for READY or NULL, so that
 * PLAYING→PAUSED is the first step of stopping rather than a pause. */
static gboolean gst_media_analytics_is_stopping(GstMediaAnalytics *self) {
  GstObject *object = GST_OBJECT(gst_object_ref(self));
  gboolean stopping = FALSE;
  while (object && !stopping) {
    GST_OBJECT_LOCK(object);
    if (GST_IS_ELEMENT(object)) {
      stopping = GST_STATE_TARGET(object) <= GST_STATE_READY;
    }
    GST_OBJECT_UNLOCK(object);
    GstObject *parent = gst_object_get_parent(object);
    gst_object_unref(object);
    object = parent;
  }
  if (object) {
    gst_object_unref(object);
  }
  return stopping;
}

/* PLAYING→PAUSED: the application pauses, unless the element is on its way
 * to stop (then PAUSED→READY ends the session). */
void gst_media_analytics_to_paused(GstMediaAnalytics *self) {
  MediaAnalyticsPrivate *priv = self->priv;
  {
    std::lock_guard<std::mutex> lock(priv->event_lock);
    priv->start_deferred = false;
    priv->playing_since.reset();
  }
  if (!priv->reporting.load(std::memory_order_relaxed) ||
      gst_media_analytics_is_stopping(self)) {
    return;
  }
  /* The sinks changed state first: they answer the paused position. */
  const double playhead = presented_playhead(self);
  const Instant now = instant_now();

  std::lock_guard<std::mutex> lock(priv->event_lock);
  commit(self, priv->tracker.paused(now, playhead), now);
}

/* PAUSED→READY, dispose: sessionEnd when the session did not complete. The
 * sinks stopped already, so the playhead is the estimate. */
void gst_media_analytics_to_ready(GstMediaAnalytics *self) {
  MediaAnalyticsPrivate *priv = self->priv;
  const double playhead = estimated_playhead(priv);
  const Instant now = instant_now();

  std::lock_guard<std::mutex> lock(priv->event_lock);
  priv->playback++;
  priv->start_deferred = false;
  priv->open_requested = false;
  priv->intent.reset();
  priv->pending_calls.clear();
  priv->awaiting_segment.store(false, std::memory_order_relaxed);
  commit(self, priv->tracker.stopped(now, playhead), now);
}

static TrackerOptions tracker_options(const Settings &settings) {
  TrackerOptions options;
  options.stall_threshold_ms =
      static_cast<int64_t>(settings.stall_threshold / mediaanalytics::kMillisecond);
  options.idle_timeout_ms =
      static_cast<int64_t>(settings.idle_timeout / mediaanalytics::kMillisecond);
  options.preroll_wait_ms =
      static_cast<int64_t>(settings.preroll_wait / mediaanalytics::kMillisecond);
  return options;
}

/* READY→PAUSED: a new playback, with a fresh picture of the stream and the
 * tracker options as the properties say now. */
void gst_media_analytics_reset_playback(GstMediaAnalytics *self) {
  MediaAnalyticsPrivate *priv = self->priv;
  TrackerOptions options;
  {
    std::lock_guard<std::mutex> lock(priv->lock);
    priv->title.reset();
    options = tracker_options(*priv->snapshot);
  }
  {
    std::lock_guard<std::mutex> lock(priv->playhead_lock);
    priv->position_sample.reset();
    priv->stream_end.reset();
    priv->segment_rate = 1.0;
    priv->rate = 1.0;
  }
  priv->data_start_ns.store(-1, std::memory_order_relaxed);
  priv->data_end_ns.store(-1, std::memory_order_relaxed);
  priv->in_gap.store(false, std::memory_order_relaxed);
  priv->data_at_us.store(0, std::memory_order_relaxed);

  const Instant now = instant_now();
  std::lock_guard<std::mutex> lock(priv->event_lock);
  priv->playback++;
  priv->tracker.set_options(options);
  priv->tracker.new_playback();
  priv->toc = TocChapters();
  priv->dropped_by_element.clear();
  priv->bitrate_from_tags = false;
  priv->bytes_at_last_ping = priv->bytes_seen.load(std::memory_order_relaxed);
  priv->bitrate_since_ms = now.monotonic_ms;
  priv->toc_position_s = 0.0;
  priv->toc_boundary_ns.store(-1, std::memory_order_relaxed);
  commit(self, TrackerStep(), now);
}

/* The top-level pipeline's state changes tell the intent to play: the
 * application asked for PLAYING (the pending or new state), also when it
 * then holds the pipeline in PAUSED for the initial load (gst-play, GstPlay
 * and most playbin applications pause for buffering), which keeps this
 * element out of PLAYING. The intent's time is kept for the sessionStart;
 * once the pipeline prerolled on its way to PLAYING the facts are known and
 * the sending thread opens the session (no query here). */
static void gst_media_analytics_pipeline_state(GstMediaAnalytics *self,
                                               GstMessage *message) {
  MediaAnalyticsPrivate *priv = self->priv;
  if (!GST_IS_PIPELINE(GST_MESSAGE_SRC(message))) {
    return;
  }
  GstState old_state, new_state, pending;
  gst_message_parse_state_changed(message, &old_state, &new_state, &pending);
  const bool asked_to_play =
      pending == GST_STATE_PLAYING || new_state == GST_STATE_PLAYING;
  const Instant now = instant_now();

  std::lock_guard<std::mutex> lock(priv->event_lock);
  if (!priv->client || !priv->tracker.wants_session()) {
    return;
  }
  if (asked_to_play && !priv->intent) {
    priv->intent = now;
  }
  /* Prerolled after the intent, whatever the application asks now (it may
   * already hold the pipeline in PAUSED for buffering). */
  if (priv->intent && new_state == GST_STATE_PAUSED && !priv->open_requested) {
    priv->open_requested = true;
    priv->open_due_ms = now.monotonic_ms;
    commit(self, TrackerStep(), now);
  }
}

/* The pipeline bus (through the tap): BUFFERING and ERROR messages, in the
 * posting thread. Only copies, the estimate and the tracker: no query, no
 * posting, nothing that waits. */
static void gst_media_analytics_bus_message(GstMediaAnalytics *self,
                                            GstMessage *message) {
  MediaAnalyticsPrivate *priv = self->priv;

  switch (GST_MESSAGE_TYPE(message)) {
    case GST_MESSAGE_BUFFERING: {
      GstBufferingMode mode = GST_BUFFERING_STREAM;
      gst_message_parse_buffering_stats(message, &mode, nullptr, nullptr, nullptr);
      /* A live source's buffering is its latency, not a wait (design doc
       * buffering.md): the pipeline plays on. */
      if (mode == GST_BUFFERING_LIVE) {
        return;
      }
      gint percent = 100;
      gst_message_parse_buffering(message, &percent);
      const double playhead = estimated_playhead(priv);
      const Instant now = instant_now();
      std::lock_guard<std::mutex> lock(priv->event_lock);
      commit(self, priv->tracker.buffering(now, percent, playhead), now);
      break;
    }
    case GST_MESSAGE_STATE_CHANGED:
      gst_media_analytics_pipeline_state(self, message);
      break;
    case GST_MESSAGE_QOS: {
      /* A sink dropped (or an element skipped) buffers: the counts are
       * cumulative per element, so the total is the sum of each one's
       * latest. Only buffer counts (video frames, audio buffers). */
      GstFormat format = GST_FORMAT_UNDEFINED;
      guint64 dropped = 0;
      gst_message_parse_qos_stats(message, &format, nullptr, &dropped);
      if (format != GST_FORMAT_BUFFERS || dropped == static_cast<guint64>(-1)) {
        break;
      }
      std::lock_guard<std::mutex> lock(priv->event_lock);
      const void *source = GST_MESSAGE_SRC(message);
      int64_t total = 0;
      bool found = false;
      for (auto &[element, count] : priv->dropped_by_element) {
        if (element == source) {
          count = static_cast<int64_t>(dropped);
          found = true;
        }
        total += count;
      }
      if (!found) {
        priv->dropped_by_element.emplace_back(source, static_cast<int64_t>(dropped));
        total += static_cast<int64_t>(dropped);
      }
      priv->tracker.set_dropped_frames(total);
      break;
    }
    case GST_MESSAGE_EOS:
      /* Posted by the top-level pipeline once all its sinks are at EOS. */
      if (GST_IS_PIPELINE(GST_MESSAGE_SRC(message))) {
        gst_media_analytics_end_of_stream(self, true);
      }
      break;
    case GST_MESSAGE_ERROR: {
      GError *error = nullptr;
      gst_message_parse_error(message, &error, nullptr);
      const ErrorIdentity identity = mediaanalytics::error_identity(error);
      /* basesrc and demuxers follow a failure with their generic "Internal
       * data stream error" (the flow error they got back): the failure was
       * reported already, with its real cause and source. */
      const bool follow_up =
          g_error_matches(error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED);
      g_clear_error(&error);
      const double playhead = estimated_playhead(priv);
      const Instant now = instant_now();
      std::lock_guard<std::mutex> lock(priv->event_lock);
      if (follow_up && priv->tracker.errored()) {
        GST_DEBUG_OBJECT(self, "not reporting %s after the error it follows",
                         identity.id.c_str());
        break;
      }
      commit(self, priv->tracker.error(now, playhead, identity.id, identity.source), now);
      break;
    }
    default:
      break;
  }
}

/* Taps the pipeline's bus once the element has its place in it (NULL→READY,
 * or READY→PAUSED for an element added to a pipeline after it went READY). */
void gst_media_analytics_attach_bus_tap(GstMediaAnalytics *self) {
  MediaAnalyticsPrivate *priv = self->priv;
  if (priv->bus_tap.attached()) {
    return;
  }
  std::shared_ptr<CallbackTarget> target = priv->target;
  const gboolean attached =
      priv->bus_tap.attach(GST_ELEMENT(self), [target](GstMessage *message) {
        const GstMessageType type = GST_MESSAGE_TYPE(message);
        if (type != GST_MESSAGE_BUFFERING && type != GST_MESSAGE_ERROR &&
            type != GST_MESSAGE_STATE_CHANGED && type != GST_MESSAGE_EOS &&
            type != GST_MESSAGE_QOS) {
          return;
        }
        if (GstMediaAnalytics *element = target->get()) {
          gst_media_analytics_bus_message(element, message);
          gst_object_unref(element);
        }
      });
  if (!attached) {
    GST_INFO_OBJECT(self,
                    "no pipeline above: buffering and errors are not tracked, "
                    "everything in-band is");
  }
}
