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

/* The mediaanalytics element's own parts, shared by the files it is made of
 * and included by them only: gstmediaanalytics.cpp (the GObject: properties,
 * signals, state changes, pads and the data path), element-client.cpp (the
 * client and its callbacks), element-tracking.cpp (observations turned into
 * events: sessions, pings, playhead, the pipeline bus), element-stream.cpp
 * (what flows: data, segments, gaps, tags, seeks, EOS), element-toc.cpp
 * (chapters from the TOC), element-mute.cpp (the pipeline's mute state) and
 * element-app-api.cpp (action signals and custom events). */
#pragma once

#include "gstmediaanalytics.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bus-tap.h"
#include "error-id.h"
#include "event-clock.h"
#include "event-params.h"
#include "event.h"
#include "playback-tracker.h"
#include "playhead.h"
#include "session-client.h"
#include "settings.h"
#include "stream-facts.h"
#include "structure-params.h"
#include "toc-chapters.h"

using mediaanalytics::BusTap;
using mediaanalytics::CallResult;
using mediaanalytics::ClientWarning;
using mediaanalytics::CustomMetadata;
using mediaanalytics::DataSeen;
using mediaanalytics::ErrorIdentity;
using mediaanalytics::Event;
using mediaanalytics::EventClock;
using mediaanalytics::EventType;
using mediaanalytics::Instant;
using mediaanalytics::ParamProblem;
using mediaanalytics::Params;
using mediaanalytics::PlaybackTracker;
using mediaanalytics::PlayheadInputs;
using mediaanalytics::PositionSample;
using mediaanalytics::RequestReport;
using mediaanalytics::SessionClient;
using mediaanalytics::SessionClientOptions;
using mediaanalytics::SessionInfo;
using mediaanalytics::Settings;
using mediaanalytics::StreamFacts;
using mediaanalytics::TocChapters;
using mediaanalytics::TocEntry;
using mediaanalytics::TrackerOptions;
using mediaanalytics::TrackerStep;

GST_DEBUG_CATEGORY_EXTERN(gst_media_analytics_debug);
#define GST_CAT_DEFAULT gst_media_analytics_debug

/* The counters of the stats property, as the client last counted them. */
struct MediaAnalyticsStats {
  guint64 events_generated = 0;
  guint64 events_sent = 0;
  guint64 events_queued = 0;
  guint64 events_dropped = 0;
  /* events_dropped by reason (mediaanalytics::DropReason order). */
  guint64 events_dropped_by[static_cast<int>(mediaanalytics::DropReason::kCount)] = {};
  guint64 events_retried = 0;
  guint64 sessions_started = 0;
  gint last_http_status = 0;
};

/* What the client's callbacks (on the process-wide sending thread) reach: a
 * weak reference to the element, cleared by GObject before dispose runs (and
 * by dispose itself). A callback takes a strong reference from it, posts or
 * notifies with no lock held, then drops the reference. That unref may be the
 * element's last (the application dropped the pipeline meanwhile): dispose and
 * finalize then run on the sending thread, with nothing of ours locked, so
 * they cannot deadlock against the callback. */
struct CallbackTarget {
  GWeakRef element;

  CallbackTarget() { g_weak_ref_init(&element, nullptr); }
  ~CallbackTarget() { g_weak_ref_clear(&element); }
  CallbackTarget(const CallbackTarget &) = delete;
  CallbackTarget &operator=(const CallbackTarget &) = delete;

  /* A strong reference to the element, or nullptr once it is being disposed;
   * taken and returned with no lock of the element held. */
  GstMediaAnalytics *get() {
    return static_cast<GstMediaAnalytics *>(g_weak_ref_get(&element));
  }
};

/* The calls an application can make, by the name of their signal (and of
 * their custom event, "mediaanalytics/<name>"). */
enum class AppCall {
  kAdBreakStart,
  kAdStart,
  kAdComplete,
  kAdSkip,
  kAdBreakComplete,
  kChapterStart,
  kChapterComplete,
  kChapterSkip,
  kStateStart,
  kStateEnd,
  kTrackError,
  kEndSession,
};

/* A bound on the calls waiting for a session: an application that never
 * plays must not grow them without end. */
static constexpr std::size_t kMaxPendingCalls = 256;

/* A call checked and waiting for the session to open. */
struct PendingCall {
  AppCall call;
  Params params;
  CustomMetadata custom;
  std::string state;
};

struct StructureFree {
  void operator()(GstStructure *structure) const { gst_structure_free(structure); }
};
using StructurePtr = std::unique_ptr<GstStructure, StructureFree>;

/* GObject runs no C++ constructors: instance_init creates this with new and
 * finalize deletes it. */
struct MediaAnalyticsPrivate {
  std::mutex lock;
  /* Guarded by lock: what the properties say. */
  Settings settings;
  /* Guarded by lock: the settings the element runs with, checked and copied
   * at NULL→READY and again at READY→PAUSED (so that changes made in READY
   * apply); none in NULL. The ping intervals follow the properties live. */
  std::optional<Settings> snapshot;
  /* Guarded by lock: the snapshot's tls-ca-file, loaded with it (null: the
   * system's trust only). */
  std::shared_ptr<const mediaanalytics::TlsTrust> tls_trust;
  /* Guarded by lock: the id of the latest session the endpoint opened; kept
   * after the element stops, cleared at NULL→READY. */
  std::optional<std::string> session_id;
  /* Guarded by lock: the client's counters when it was destroyed, so that
   * stats still reads them in NULL; zero from NULL→READY. */
  MediaAnalyticsStats stats;
  /* Streaming thread, no lock: buffers since READY→PAUSED. */
  std::atomic<guint64> buffers_seen{0};

  /* Guarded by lock: the metadata and custom-metadata properties as given
   * (owned copies, NULL when unset). */
  StructurePtr metadata;
  StructurePtr custom_metadata;
  /* Guarded by lock: the first title tag of this playback (media.name when
   * media-name is not set). */
  std::optional<std::string> title;

  /* The event side. event_lock orders the tracker's observations and the
   * submitting of their events between the application's, the streaming,
   * the bus posting and the client's worker threads (so that wire order is
   * ts order). It is never held while posting, notifying, querying or
   * waiting: under it there are only the tracker and the client's hand-overs
   * (submit(), start_pings(), set_wakeup(), ...), which never wait for the
   * worker. The worker takes it only in its callbacks, where it holds no
   * client lock. The streaming thread takes it only for a play that is due,
   * EOS, a segment or a flush. It may be held while taking priv->lock
   * (ping_interval_ms()), never the other way round. */
  std::mutex event_lock;
  /* Written under event_lock: how many events were submitted, so that an
   * observation made without the lock sees whether one came in between. */
  std::atomic<guint64> events_committed{0};
  /* Guarded by event_lock: from NULL→READY to READY→NULL. */
  std::shared_ptr<SessionClient> client;
  /* Guarded by event_lock: the session state machine, new at READY→PAUSED. */
  PlaybackTracker tracker;
  /* Guarded by event_lock: PLAYING was reached with no data yet (a live
   * pipeline); the first data opens the session. */
  bool start_deferred = false;
  /* Guarded by event_lock: when the application asked the pipeline for
   * PLAYING while no session was open (the sessionStart's time), and whether
   * the sending thread is to open the session (the pipeline prerolled). */
  std::optional<Instant> intent;
  bool open_requested = false;
  int64_t open_due_ms = 0;
  /* Guarded by event_lock: counts playbacks (raised at READY→PAUSED and
   * PAUSED→READY), so that work begun in one is dropped in the next. */
  guint64 playback = 0;
  /* The playhead when a seek started, reported until it lands (the sinks
   * answer the flushed position meanwhile); `seeking` mirrors the tracker. */
  std::atomic<bool> seeking{false};
  std::atomic<double> seek_playhead{0.0};
  /* From a seek's start to its new segment (or its refusal), whatever the
   * tracker makes of the seek (one while paused is no tracker seek). */
  std::atomic<bool> awaiting_segment{false};
  /* Guarded by event_lock: the seek being waited for (GST_SEQNUM_INVALID:
   * seen as a flush), whether it flushes, and whether its flush ended. */
  guint32 seek_seqnum = GST_SEQNUM_INVALID;
  bool seek_flushing = false;
  bool flush_stopped = false;
  /* Guarded by event_lock: when the element went to PLAYING with data
   * prerolled, when and where the sinks started presenting it. */
  struct PlayingSince {
    Instant at;
    double playhead;
  };
  std::optional<PlayingSince> playing_since;
  /* Guarded by event_lock: calls that came before the session opened, in
   * order (cleared at each new playback). */
  std::vector<PendingCall> pending_calls;
  /* Guarded by event_lock: why early calls were refused at the session's
   * opening, to be posted as WARNINGs without the lock. */
  std::vector<std::string> late_rejections;
  /* Guarded by event_lock: the latest dropped count each element reported
   * in its QOS messages (the pointer is a key only, never dereferenced). */
  std::vector<std::pair<const void *, int64_t>> dropped_by_element;
  /* Guarded by event_lock: the chapters of the stream's table of contents,
   * and the latest position they were advanced to. */
  TocChapters toc;
  double toc_position_s = 0.0;
  /* The TOC's next boundary in stream time (ns; -1: none), for the
   * streaming thread's cheap check; written under event_lock. */
  std::atomic<gint64> toc_boundary_ns{-1};
  /* Guarded by event_lock: the tracker deadline the client's wakeup is set
   * for (-1: none). */
  int64_t armed_deadline_ms = -1;
  /* Guarded by event_lock: the sessionStart's time, the main grid's anchor. */
  int64_t ping_anchor_ms = 0;
  /* Copies of the tracker's play_due() and "playing" for the threads that
   * read them without event_lock (the streaming thread, the estimate);
   * written under it. */
  std::atomic<bool> play_pending{false};
  std::atomic<bool> advancing{false};
  /* Written by the streaming thread only: the latest data's stream time
   * (start and end, ns; -1: none in this segment) and when it passed
   * (monotonic µs), for the playhead estimate and the stall timer. */
  std::atomic<gint64> data_start_ns{-1};
  std::atomic<gint64> data_end_ns{-1};
  std::atomic<gint64> data_at_us{0};
  /* Streaming thread: the data is compressed (caps not x-raw), and the bytes
   * of it that passed, for the measured bitrate. */
  std::atomic<bool> compressed{false};
  std::atomic<guint64> bytes_seen{0};
  /* Guarded by event_lock: the measurement's last point, and whether the
   * stream's tags give the bitrate instead. */
  guint64 bytes_at_last_ping = 0;
  int64_t bitrate_since_ms = 0;
  bool bitrate_from_tags = false;
  bool bitrate_window_advancing = false;  // watching when the window began
  /* Streaming thread: the latest data was a GAP, not a buffer. */
  std::atomic<bool> in_gap{false};
  /* A leaf lock (nothing is taken or called under it): the latest position
   * downstream answered in this segment, and the segment's rate. */
  std::mutex playhead_lock;
  std::optional<PositionSample> position_sample;
  /* Where and when this element's stream reached its EOS while the pipeline
   * plays on (other streams are longer); reset by a segment. */
  std::optional<PositionSample> stream_end;
  double segment_rate = 1.0;  // rate × applied rate of the segment
  double rate = 1.0;          // segment_rate × an instant rate change
  /* The pipeline bus: attached at NULL→READY, detached at READY→NULL and in
   * dispose (it is thread-safe itself). */
  BusTap bus_tap;
  /* Whether a client runs (not opted out, READY or above): without one the
   * element makes no query and sends nothing. */
  std::atomic<bool> reporting{false};
  /* The pipeline whose "mute" property is followed (weak: it holds this
   * element) and the handler; set at NULL→READY, cleared at READY→NULL. */
  GWeakRef mute_source;
  gulong mute_handler = 0;
  /* Guarded by event_lock: the pipeline is muted. */
  bool muted = false;
  /* Shared with the client's callbacks. */
  std::shared_ptr<CallbackTarget> target = std::make_shared<CallbackTarget>();
};

struct _GstMediaAnalytics {
  GstElement parent;

  GstPad *sinkpad;
  GstPad *srcpad;
  /* The streaming thread's: the segment of the data that flows. */
  GstSegment segment;

  MediaAnalyticsPrivate *priv;
};

/* ---- gstmediaanalytics.cpp: the GObject, its pads and data path. */
/* For g_object_notify_by_pspec() from the sending thread. */
extern GParamSpec *session_id_pspec;
MediaAnalyticsStats stats_of_client(const SessionClient &client);
bool gst_media_analytics_opted_out(GstMediaAnalytics *self);
gint64 gst_media_analytics_note_data(MediaAnalyticsPrivate *priv,
                                     const GstSegment *segment, GstClockTime pts,
                                     GstClockTime duration);

/* ---- element-client.cpp: the client and its callbacks. */
void gst_media_analytics_start_client(GstMediaAnalytics *self);
/* Finishes the client (waiting up to deadline_ns for what is queued) and
 * destroys it; its callbacks have stopped when this returns. Not under any
 * lock. */
void gst_media_analytics_stop_client(GstMediaAnalytics *self, guint64 deadline_ns);

/* ---- element-tracking.cpp: observations turned into events (under
 * event_lock where the definitions say so), the playhead, pings, wakeups,
 * the session's opening, state changes and the pipeline bus. */
Instant instant_now();
void commit(GstMediaAnalytics *self, TrackerStep &&step, const Instant &now);
std::optional<double> after_stream_end(MediaAnalyticsPrivate *priv);
double estimated_playhead(MediaAnalyticsPrivate *priv, bool landing = false);
double presented_playhead(GstMediaAnalytics *self, bool landing = false);
void gst_media_analytics_ping_due(GstMediaAnalytics *self);
void gst_media_analytics_wakeup(GstMediaAnalytics *self);
void gst_media_analytics_update_ping_interval(GstMediaAnalytics *self);
void gst_media_analytics_open_session(GstMediaAnalytics *self);
void gst_media_analytics_to_playing(GstMediaAnalytics *self);
void gst_media_analytics_to_paused(GstMediaAnalytics *self);
void gst_media_analytics_to_ready(GstMediaAnalytics *self);
void gst_media_analytics_reset_playback(GstMediaAnalytics *self);
void gst_media_analytics_attach_bus_tap(GstMediaAnalytics *self);

/* ---- element-stream.cpp: what flows through the pads (first data,
 * segments, rate changes, gaps, tags, seeks, EOS). */
void gst_media_analytics_data_flowing(GstMediaAnalytics *self);
void gst_media_analytics_segment(GstMediaAnalytics *self, GstEvent *event);
void gst_media_analytics_instant_rate(GstMediaAnalytics *self, GstEvent *event);
void gst_media_analytics_gap(GstMediaAnalytics *self, GstEvent *event);
void gst_media_analytics_tags(GstMediaAnalytics *self, GstEvent *event);
void gst_media_analytics_seek_started(GstMediaAnalytics *self, guint32 seqnum,
                                      bool flushing);
void gst_media_analytics_end_of_stream(GstMediaAnalytics *self, bool pipeline);

/* ---- element-toc.cpp: chapters from the table of contents. */
void send_toc_transitions(GstMediaAnalytics *self,
                          const std::vector<TocChapters::Transition> &transitions,
                          const Instant &now, double position_s, double left_s);
void toc_advance(GstMediaAnalytics *self, double position_s, const Instant &now);
void gst_media_analytics_toc(GstMediaAnalytics *self, GstEvent *event);

/* ---- element-mute.cpp: the mute state of the pipeline or a volume element. */
void reconcile_mute(GstMediaAnalytics *self, const Instant &now, double playhead);
void gst_media_analytics_watch_mute(GstMediaAnalytics *self);
void gst_media_analytics_unwatch_mute(GstMediaAnalytics *self);

/* ---- element-app-api.cpp: action signals and in-band custom events. */
void replay_pending_calls(GstMediaAnalytics *self, const Instant &now, double playhead);
void post_late_rejections(GstMediaAnalytics *self);
gboolean on_ad_break_start(GstMediaAnalytics *self, const GstStructure *params);
gboolean on_ad_start(GstMediaAnalytics *self, const GstStructure *params,
                     const GstStructure *custom);
gboolean on_chapter_start(GstMediaAnalytics *self, const GstStructure *params,
                          const GstStructure *custom);
gboolean on_state_start(GstMediaAnalytics *self, const gchar *name);
gboolean on_state_end(GstMediaAnalytics *self, const gchar *name);
gboolean on_ad_complete(GstMediaAnalytics *self);
gboolean on_ad_skip(GstMediaAnalytics *self);
gboolean on_ad_break_complete(GstMediaAnalytics *self);
gboolean on_chapter_complete(GstMediaAnalytics *self);
gboolean on_chapter_skip(GstMediaAnalytics *self);
gboolean on_end_session(GstMediaAnalytics *self);
gboolean on_track_error(GstMediaAnalytics *self, const gchar *id, const gchar *source);
bool gst_media_analytics_custom_event(GstMediaAnalytics *self, GstEvent *event);
