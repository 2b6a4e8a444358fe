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

/**
 * SECTION:element-mediaanalytics
 * @title: mediaanalytics
 *
 * Media *playback* analytics: mediaanalytics passes every buffer through
 * untouched (no copy, any caps) and tracks the playback of the pipeline it is
 * in to report it to Adobe's Streaming Media Collection API at
 * {endpoint}/api/v1/sessions, with no code in the application. It has
 * nothing to do with the machine-learning "analytics" metadata library of
 * GStreamer 1.24.
 *
 * The endpoint, tracking-server, report-suite, org-id and channel properties
 * are required: without them, or with an endpoint that is not an http(s) base
 * URI, the NULL to READY state change fails with a #GST_RESOURCE_ERROR_SETTINGS
 * error that names the property.
 *
 * The mapping: sessionStart when the pipeline goes to PLAYING with no session
 * open; play on the first buffer in PLAYING after the start, a pause,
 * buffering, a stall or a seek; pauseStart when the application pauses or
 * seeks while playing; bufferStart on a BUFFERING message below 100 % on the
 * pipeline bus while playing, or when no buffer came for stall-threshold;
 * error for each ERROR message on the pipeline bus (media.errorId from the
 * GError domain and code); sessionComplete at EOS; sessionEnd when stopped
 * before EOS; a ping every ping-interval from the sessionStart. A pause or
 * stall longer than idle-timeout ends the session, and playback that resumes
 * starts a new one with media.resume. The playhead is the stream time the
 * sinks present (a position query downstream), the UTC second of the day for
 * live content. Requests are sent from a shared worker thread, never from
 * the streaming thread. For every request the endpoint answered, the element
 * posts a "mediaanalytics-event" element message; a failing endpoint gives
 * WARNING messages, never an error.
 *
 * Ads, chapters, player states and errors the pipeline cannot know are
 * reported by the application with the action signals (ad-break-start,
 * ad-start, ad-complete, ad-skip, ad-break-complete, chapter-start,
 * chapter-complete, chapter-skip, state-start, state-end, track-error,
 * end-session), or in-band by an element upstream with custom downstream
 * events named "mediaanalytics/<signal>". Each is checked first (keys, JSON
 * types, ranges, the spec's ordering rules); a rejected one returns FALSE and
 * posts a WARNING that says why.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -e videotestsrc num-buffers=300 ! mediaanalytics \
 *     endpoint=https://collector.example.com \
 *     tracking-server=example.sc.omtrdc.net report-suite=examplersid \
 *     org-id=0123456789ABCDEF@AdobeOrg channel=web \
 *     media-id=test-pattern media-name="Test pattern" ! autovideosink
 * ]| Tracks 10 s of a test pattern as a VOD session and reports it to the
 * endpoint.
 *
 * Since: 0.1
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstmediaanalytics.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

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

GST_DEBUG_CATEGORY_STATIC(gst_media_analytics_debug);
#define GST_CAT_DEFAULT gst_media_analytics_debug

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

enum {
  PROP_0,
  PROP_ENDPOINT,
  PROP_TRACKING_SERVER,
  PROP_REPORT_SUITE,
  PROP_ORG_ID,
  PROP_VISITOR_ID,
  PROP_ECID,
  PROP_APP_INSTALLATION_ID,
  PROP_MEDIA_ID,
  PROP_MEDIA_NAME,
  PROP_MEDIA_LENGTH,
  PROP_CONTENT_TYPE,
  PROP_PLAYER_NAME,
  PROP_CHANNEL,
  PROP_ENABLE_SSL,
  PROP_PING_INTERVAL,
  PROP_AD_PING_INTERVAL,
  PROP_REQUEST_TIMEOUT,
  PROP_FLUSH_TIMEOUT,
  PROP_MAX_QUEUE,
  PROP_STALL_THRESHOLD,
  PROP_IDLE_TIMEOUT,
  PROP_PREROLL_WAIT,
  PROP_METADATA,
  PROP_CUSTOM_METADATA,
  PROP_OPT_OUT,
  PROP_TOC_CHAPTERS,
  PROP_SESSION_ID,
  PROP_STATS,
};

#define DEFAULT_PLAYER_NAME (Settings::kDefaultPlayerName)
#define DEFAULT_MEDIA_LENGTH (Settings::kDefaultMediaLength)
#define DEFAULT_ENABLE_SSL FALSE
#define DEFAULT_PING_INTERVAL (Settings::kDefaultPingInterval)
#define DEFAULT_AD_PING_INTERVAL (Settings::kDefaultAdPingInterval)
#define DEFAULT_REQUEST_TIMEOUT (Settings::kDefaultRequestTimeout)
#define DEFAULT_FLUSH_TIMEOUT (Settings::kDefaultFlushTimeout)
#define DEFAULT_MAX_QUEUE (Settings::kDefaultMaxQueue)
#define DEFAULT_STALL_THRESHOLD (Settings::kDefaultStallThreshold)
#define DEFAULT_IDLE_TIMEOUT (Settings::kDefaultIdleTimeout)
#define DEFAULT_PREROLL_WAIT (Settings::kDefaultPrerollWait)
#define MAX_PREROLL_WAIT (10 * GST_SECOND)

/* Pings under 1 s tell the Collection API nothing more; it ends a session that
 * has seen no event for 10 min, so pings stay well below that. */
#define MIN_PING_INTERVAL (1 * GST_SECOND)
#define MAX_PING_INTERVAL (300 * GST_SECOND)
#define MIN_AD_PING_INTERVAL (1 * GST_SECOND)
#define MAX_AD_PING_INTERVAL (10 * GST_SECOND)
#define MIN_REQUEST_TIMEOUT (100 * GST_MSECOND)
#define MAX_REQUEST_TIMEOUT (300 * GST_SECOND)
#define MAX_FLUSH_TIMEOUT (300 * GST_SECOND)
#define MAX_MAX_QUEUE 1000000
#define MAX_STALL_THRESHOLD (600 * GST_SECOND)
/* The back end closes a session after 30 min without playhead movement: an
 * idle-timeout beyond that would report into a closed session. */
#define MIN_IDLE_TIMEOUT (1 * GST_SECOND)
#define MAX_IDLE_TIMEOUT (30 * 60 * GST_SECOND)

/* The counters of the stats property, as the client last counted them. */
struct MediaAnalyticsStats {
  guint64 events_generated = 0;
  guint64 events_sent = 0;
  guint64 events_queued = 0;
  guint64 events_dropped = 0;
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
   * prerolled, and the position the sinks presented then. */
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
  GstBaseTransform parent;

  MediaAnalyticsPrivate *priv;
};

#define gst_media_analytics_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE(GstMediaAnalytics, gst_media_analytics, GST_TYPE_BASE_TRANSFORM,
                        GST_DEBUG_CATEGORY_INIT(gst_media_analytics_debug,
                                                "mediaanalytics", 0,
                                                "media playback analytics (Adobe "
                                                "Streaming Media Collection API)"));
GST_ELEMENT_REGISTER_DEFINE(mediaanalytics, "mediaanalytics", GST_RANK_NONE,
                            GST_TYPE_MEDIA_ANALYTICS);

static void gst_media_analytics_dispose(GObject *object);
static void gst_media_analytics_finalize(GObject *object);
static void gst_media_analytics_set_property(GObject *object, guint prop_id,
                                             const GValue *value, GParamSpec *pspec);
static void gst_media_analytics_get_property(GObject *object, guint prop_id,
                                             GValue *value, GParamSpec *pspec);
static GstStateChangeReturn gst_media_analytics_change_state(GstElement *element,
                                                             GstStateChange transition);
static gboolean gst_media_analytics_start(GstBaseTransform *trans);
static void gst_media_analytics_update_ping_interval(GstMediaAnalytics *self);
static void gst_media_analytics_ping_due(GstMediaAnalytics *self);
static void gst_media_analytics_wakeup(GstMediaAnalytics *self);
static void gst_media_analytics_to_ready(GstMediaAnalytics *self);
static gboolean gst_media_analytics_src_event(GstBaseTransform *trans, GstEvent *event);
static void gst_media_analytics_set_bus(GstElement *element, GstBus *bus);
static void gst_media_analytics_open_session(GstMediaAnalytics *self);
static bool gst_media_analytics_opted_out(GstMediaAnalytics *self);
static void gst_media_analytics_unwatch_mute(GstMediaAnalytics *self);
static gboolean on_ad_break_start(GstMediaAnalytics *self, const GstStructure *params);
static gboolean on_ad_start(GstMediaAnalytics *self, const GstStructure *params,
                            const GstStructure *custom);
static gboolean on_chapter_start(GstMediaAnalytics *self, const GstStructure *params,
                                 const GstStructure *custom);
static gboolean on_state_start(GstMediaAnalytics *self, const gchar *name);
static gboolean on_state_end(GstMediaAnalytics *self, const gchar *name);
static gboolean on_track_error(GstMediaAnalytics *self, const gchar *id,
                               const gchar *source);
static gboolean on_ad_complete(GstMediaAnalytics *self);
static gboolean on_ad_skip(GstMediaAnalytics *self);
static gboolean on_ad_break_complete(GstMediaAnalytics *self);
static gboolean on_chapter_complete(GstMediaAnalytics *self);
static gboolean on_chapter_skip(GstMediaAnalytics *self);
static gboolean on_end_session(GstMediaAnalytics *self);
static void gst_media_analytics_data_flowing(GstMediaAnalytics *self);
static void gst_media_analytics_end_of_stream(GstMediaAnalytics *self, bool pipeline);
static gboolean gst_media_analytics_sink_event(GstBaseTransform *trans, GstEvent *event);
static GstFlowReturn gst_media_analytics_transform_ip(GstBaseTransform *trans,
                                                      GstBuffer *buf);

static void toc_advance(GstMediaAnalytics *self, double position_s, const Instant &now);
static void measure_bitrate(GstMediaAnalytics *self, const Instant &now, double playhead);
static void apply_mute(GstMediaAnalytics *self, bool muted, const Instant &now,
                       double playhead);
static void reconcile_mute(GstMediaAnalytics *self, const Instant &now, double playhead);
static void replay_pending_calls(GstMediaAnalytics *self, const Instant &now,
                                 double playhead);
static void post_late_rejections(GstMediaAnalytics *self);

/* For g_object_notify_by_pspec() from the sending thread. */
static GParamSpec *session_id_pspec;

static constexpr GParamFlags kMutableReady = static_cast<GParamFlags>(
    G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY | G_PARAM_STATIC_STRINGS);
static constexpr GParamFlags kMutablePlaying = static_cast<GParamFlags>(
    G_PARAM_READWRITE | GST_PARAM_MUTABLE_PLAYING | G_PARAM_STATIC_STRINGS);
static constexpr GSignalFlags kActionFlags =
    static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION);
static constexpr GParamFlags kReadOnly =
    static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

static void install_string(GObjectClass *gobject_class, guint prop_id, const gchar *name,
                           const gchar *nick, const gchar *blurb,
                           const gchar *default_value = nullptr) {
  g_object_class_install_property(
      gobject_class, prop_id,
      g_param_spec_string(name, nick, blurb, default_value, kMutableReady));
}

static void gst_media_analytics_class_init(GstMediaAnalyticsClass *klass) {
  GObjectClass *gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS(klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS(klass);

  gobject_class->dispose = gst_media_analytics_dispose;
  gobject_class->finalize = gst_media_analytics_finalize;
  gobject_class->set_property = gst_media_analytics_set_property;
  gobject_class->get_property = gst_media_analytics_get_property;

  /**
   * GstMediaAnalytics:endpoint:
   *
   * Base URI of the Media Collection API, http or https, with a host and no
   * query, fragment or user information; a trailing slash is ignored.
   * sessionStart goes to {endpoint}/api/v1/sessions. Required.
   */
  install_string(gobject_class, PROP_ENDPOINT, "endpoint", "Endpoint",
                 "Base URI of the Media Collection API (http or https); requests go "
                 "to {endpoint}/api/v1/sessions. Required");

  /**
   * GstMediaAnalytics:tracking-server:
   *
   * The Adobe Analytics tracking server (analytics.trackingServer). Required.
   */
  install_string(gobject_class, PROP_TRACKING_SERVER, "tracking-server",
                 "Tracking server",
                 "Adobe Analytics tracking server (analytics.trackingServer). Required");

  /**
   * GstMediaAnalytics:report-suite:
   *
   * The Adobe report suite id (analytics.reportSuite). Required.
   */
  install_string(gobject_class, PROP_REPORT_SUITE, "report-suite", "Report suite",
                 "Adobe report suite id (analytics.reportSuite). Required");

  /**
   * GstMediaAnalytics:org-id:
   *
   * The Adobe Experience Cloud organization id, e.g. "0123456789ABCDEF@AdobeOrg"
   * (visitor.marketingCloudOrgId). Required.
   */
  install_string(gobject_class, PROP_ORG_ID, "org-id", "Organization id",
                 "Adobe Experience Cloud organization id "
                 "(visitor.marketingCloudOrgId). Required");

  /**
   * GstMediaAnalytics:visitor-id:
   *
   * A custom visitor id (analytics.visitorId), sent when set.
   */
  install_string(gobject_class, PROP_VISITOR_ID, "visitor-id", "Visitor id",
                 "Custom Adobe Analytics visitor id (analytics.visitorId); not sent "
                 "when NULL");

  /**
   * GstMediaAnalytics:ecid:
   *
   * The Experience Cloud id of the viewer (visitor.marketingCloudUserId), sent
   * when set.
   */
  install_string(gobject_class, PROP_ECID, "ecid", "Experience Cloud id",
                 "Experience Cloud id of the viewer (visitor.marketingCloudUserId); "
                 "not sent when NULL");

  /**
   * GstMediaAnalytics:app-installation-id:
   *
   * An id of this installation of the application (appInstallationId), sent
   * when set.
   */
  install_string(gobject_class, PROP_APP_INSTALLATION_ID, "app-installation-id",
                 "App installation id",
                 "Id of this installation of the application (appInstallationId); not "
                 "sent when NULL");

  /**
   * GstMediaAnalytics:media-id:
   *
   * The content id (media.id). When NULL or empty: the URI that upstream
   * answers a URI query with, without user information, query or fragment,
   * else #GstMediaAnalytics:media-name, else "unknown".
   */
  install_string(gobject_class, PROP_MEDIA_ID, "media-id", "Media id",
                 "Content id (media.id); NULL or empty: the stream's URI without "
                 "credentials, query or fragment, else media-name, else \"unknown\"");

  /**
   * GstMediaAnalytics:media-name:
   *
   * The content's friendly name (media.name). When NULL or empty: the
   * stream's first title tag seen before the sessionStart, else not sent.
   */
  install_string(gobject_class, PROP_MEDIA_NAME, "media-name", "Media name",
                 "Friendly name of the content (media.name); NULL or empty: the "
                 "stream's title tag, else not sent");

  /**
   * GstMediaAnalytics:media-length:
   *
   * The content's length in seconds (media.length). Negative: the duration is
   * found out from the pipeline.
   */
  g_object_class_install_property(
      gobject_class, PROP_MEDIA_LENGTH,
      g_param_spec_double("media-length", "Media length",
                          "Length of the content in seconds (media.length); negative: "
                          "found out from the pipeline",
                          -1, G_MAXDOUBLE, DEFAULT_MEDIA_LENGTH, kMutableReady));

  /**
   * GstMediaAnalytics:content-type:
   *
   * The stream type (media.contentType), e.g. "VOD", "Live", "Linear",
   * "Podcast", "Audiobook" or "AOD". When NULL or empty it is derived from the
   * pipeline: "Live" for a live source, "VOD" otherwise.
   */
  install_string(gobject_class, PROP_CONTENT_TYPE, "content-type", "Content type",
                 "Stream type (media.contentType), e.g. \"VOD\" or \"Live\"; NULL: "
                 "\"Live\" for a live pipeline, \"VOD\" otherwise");

  /**
   * GstMediaAnalytics:player-name:
   *
   * The name of the player (media.playerName). Must not be empty.
   */
  install_string(gobject_class, PROP_PLAYER_NAME, "player-name", "Player name",
                 "Name of the player (media.playerName); must not be empty",
                 DEFAULT_PLAYER_NAME);

  /**
   * GstMediaAnalytics:channel:
   *
   * The distribution channel of the content (media.channel). Required.
   */
  install_string(gobject_class, PROP_CHANNEL, "channel", "Channel",
                 "Distribution channel of the content (media.channel). Required");

  /**
   * GstMediaAnalytics:enable-ssl:
   *
   * Whether Adobe's backend sends its Analytics calls over https
   * (analytics.enableSSL). The scheme of #GstMediaAnalytics:endpoint decides
   * how this element talks to the endpoint.
   */
  g_object_class_install_property(
      gobject_class, PROP_ENABLE_SSL,
      g_param_spec_boolean("enable-ssl", "Enable SSL",
                           "Whether the backend sends its Analytics calls over https "
                           "(analytics.enableSSL)",
                           DEFAULT_ENABLE_SSL, kMutableReady));

  /**
   * GstMediaAnalytics:ping-interval:
   *
   * Time between pings on main content, in nanoseconds. Pings go out on a
   * fixed grid from the sessionStart (sessionStart + k × ping-interval),
   * whatever else is sent, also while paused, at the current playhead, until
   * sessionComplete or sessionEnd. Can be changed while playing: the running
   * grid keeps its current interval up to its next ping, which anchors the
   * grid with the new interval.
   */
  g_object_class_install_property(
      gobject_class, PROP_PING_INTERVAL,
      g_param_spec_uint64("ping-interval", "Ping interval",
                          "Time between pings on main content, in nanoseconds",
                          MIN_PING_INTERVAL, MAX_PING_INTERVAL, DEFAULT_PING_INTERVAL,
                          kMutablePlaying));

  /**
   * GstMediaAnalytics:ad-ping-interval:
   *
   * Time between pings inside an ad (from ad-start to ad-complete or
   * ad-skip), in nanoseconds, on a grid anchored at the adStart. A change
   * applies from the next ad.
   */
  g_object_class_install_property(
      gobject_class, PROP_AD_PING_INTERVAL,
      g_param_spec_uint64("ad-ping-interval", "Ad ping interval",
                          "Time between pings inside an ad, in nanoseconds",
                          MIN_AD_PING_INTERVAL, MAX_AD_PING_INTERVAL,
                          DEFAULT_AD_PING_INTERVAL, kMutablePlaying));

  /**
   * GstMediaAnalytics:request-timeout:
   *
   * How long one HTTP request to the endpoint may take, connection included,
   * in nanoseconds.
   */
  g_object_class_install_property(
      gobject_class, PROP_REQUEST_TIMEOUT,
      g_param_spec_uint64("request-timeout", "Request timeout",
                          "How long one HTTP request may take, connection included, in "
                          "nanoseconds",
                          MIN_REQUEST_TIMEOUT, MAX_REQUEST_TIMEOUT,
                          DEFAULT_REQUEST_TIMEOUT, kMutableReady));

  /**
   * GstMediaAnalytics:flush-timeout:
   *
   * How long the READY to NULL state change waits for queued events to be
   * sent, in nanoseconds; what is left then is dropped. 0: do not wait.
   */
  g_object_class_install_property(
      gobject_class, PROP_FLUSH_TIMEOUT,
      g_param_spec_uint64("flush-timeout", "Flush timeout",
                          "How long going to NULL waits for queued events to be sent, "
                          "in nanoseconds; 0: do not wait",
                          0, MAX_FLUSH_TIMEOUT, DEFAULT_FLUSH_TIMEOUT, kMutableReady));

  /**
   * GstMediaAnalytics:max-queue:
   *
   * How many events may wait to be sent; beyond that the oldest pings, then
   * the oldest events, are dropped and counted in #GstMediaAnalytics:stats.
   */
  g_object_class_install_property(
      gobject_class, PROP_MAX_QUEUE,
      g_param_spec_uint("max-queue", "Maximum queue",
                        "How many events may wait to be sent; beyond that events are "
                        "dropped (oldest pings first)",
                        1, MAX_MAX_QUEUE, DEFAULT_MAX_QUEUE, kMutableReady));

  /**
   * GstMediaAnalytics:stall-threshold:
   *
   * How long data may stop flowing while PLAYING (not flushing, not at EOS,
   * not after an error) before the element reports a stall as bufferStart,
   * in nanoseconds; the next data reports play. 0: no stall detection. Keep
   * it above the longest gap between two buffers of the stream.
   */
  g_object_class_install_property(
      gobject_class, PROP_STALL_THRESHOLD,
      g_param_spec_uint64("stall-threshold", "Stall threshold",
                          "How long data may stop flowing in PLAYING before it is "
                          "reported as buffering, in nanoseconds; 0: never",
                          0, MAX_STALL_THRESHOLD, DEFAULT_STALL_THRESHOLD,
                          kMutableReady));

  /**
   * GstMediaAnalytics:idle-timeout:
   *
   * How long a pause, buffering or a stall may last before the element ends
   * the session (sessionEnd), in nanoseconds, as the back end would after
   * 30 min without playhead movement. When playback resumes, a new session
   * starts with media.resume true at the current playhead.
   */
  g_object_class_install_property(
      gobject_class, PROP_IDLE_TIMEOUT,
      g_param_spec_uint64("idle-timeout", "Idle timeout",
                          "How long a pause or stall may last before the session is "
                          "ended (resumed as a new session when playback resumes), in "
                          "nanoseconds",
                          MIN_IDLE_TIMEOUT, MAX_IDLE_TIMEOUT, DEFAULT_IDLE_TIMEOUT,
                          kMutableReady));

  /**
   * GstMediaAnalytics:preroll-wait:
   *
   * How long the first play of a session waits for a pre-roll ad break that
   * the application announces at the start, in nanoseconds: no play may
   * come before the pre-roll's adStart, or the back end counts a content
   * start for a viewer who left during the pre-roll. 0: no wait.
   */
  g_object_class_install_property(
      gobject_class, PROP_PREROLL_WAIT,
      g_param_spec_uint64("preroll-wait", "Pre-roll wait",
                          "How long the first play waits for a pre-roll ad break "
                          "announced at the start, in nanoseconds; 0: no wait",
                          0, MAX_PREROLL_WAIT, DEFAULT_PREROLL_WAIT, kMutableReady));

  /**
   * GstMediaAnalytics:metadata:
   *
   * Standard metadata of the content for the sessionStart: a GstStructure
   * (any name) whose fields are the wire keys of spec §9.3 and §9.4 (strings:
   * media.show, media.season, media.episode, media.genre, media.network,
   * media.rating, media.artist, ...), media.sdkVersion, media.streamType
   * ("video" or "audio"), analytics.aid, and the CCPA booleans
   * analytics.optOutServerSideForwarding and analytics.optOutShare. Another
   * key or type fails NULL→READY naming it. From gst-launch:
   * metadata="m,media.show=Tears,media.season=1".
   */
  g_object_class_install_property(
      gobject_class, PROP_METADATA,
      g_param_spec_boxed("metadata", "Metadata",
                         "Standard content metadata for the sessionStart (spec keys "
                         "such as media.show, media.genre; CCPA booleans)",
                         GST_TYPE_STRUCTURE, kMutableReady));

  /**
   * GstMediaAnalytics:custom-metadata:
   *
   * Custom metadata of the session (customMetadata of the sessionStart): a
   * GstStructure of string fields, keys matching ^[a-zA-Z0-9_.]+$ without
   * the reserved prefixes "a." and "media.". From gst-launch:
   * custom-metadata="m,tier=gold".
   */
  g_object_class_install_property(
      gobject_class, PROP_CUSTOM_METADATA,
      g_param_spec_boxed("custom-metadata", "Custom metadata",
                         "Custom metadata of the session: string fields (keys "
                         "[a-zA-Z0-9_.], not a. or media.)",
                         GST_TYPE_STRUCTURE, kMutableReady));

  /**
   * GstMediaAnalytics:opt-out:
   *
   * The viewer opted out: the element sends nothing at all (no request, no
   * query, no bus tap) and is a pure passthrough. No other property is then
   * required.
   */
  g_object_class_install_property(
      gobject_class, PROP_OPT_OUT,
      g_param_spec_boolean("opt-out", "Opt out",
                           "Send nothing at all: a pure passthrough (the viewer opted "
                           "out)",
                           FALSE, kMutableReady));

  /**
   * GstMediaAnalytics:toc-chapters:
   *
   * Report the chapters of the stream's table of contents (a GstToc, as
   * Matroska files carry): chapterStart when the playhead enters one,
   * chapterComplete at its end, chapterSkip when a seek leaves it early. The
   * application's own chapter-start takes precedence (TOC chapters stop for
   * the session).
   */
  g_object_class_install_property(
      gobject_class, PROP_TOC_CHAPTERS,
      g_param_spec_boolean("toc-chapters", "TOC chapters",
                           "Report the chapters of the stream's table of contents", TRUE,
                           kMutableReady));

  /**
   * GstMediaAnalytics:session-id:
   *
   * The id the endpoint gave the latest session (from the Location of the
   * answer to sessionStart), NULL before the first one. It is kept after the
   * element stops and cleared when it goes from NULL to READY again. Notified
   * (from the sending thread) when it changes.
   */
  session_id_pspec = g_param_spec_string(
      "session-id", "Session id",
      "Id the endpoint gave the latest session; NULL before the "
      "first one (notified when it changes)",
      nullptr, static_cast<GParamFlags>(kReadOnly | G_PARAM_EXPLICIT_NOTIFY));
  g_object_class_install_property(gobject_class, PROP_SESSION_ID, session_id_pspec);

  /**
   * GstMediaAnalytics:stats:
   *
   * A "mediaanalytics-stats" structure with the #guint64 fields
   * events-generated, events-sent, events-queued, events-dropped,
   * events-retried, sessions-started and buffers-seen, and the #gint field
   * last-http-status (0: no response yet).
   */
  g_object_class_install_property(
      gobject_class, PROP_STATS,
      g_param_spec_boxed("stats", "Statistics",
                         "Counters: events-generated, events-sent, events-queued, "
                         "events-dropped, events-retried, sessions-started, "
                         "buffers-seen (guint64) and last-http-status (gint)",
                         GST_TYPE_STRUCTURE, kReadOnly));

  /**
   * GstMediaAnalytics::ad-break-start:
   * @element: the element
   * @params: the break: media.ad.podIndex (integer), media.ad.podSecond
   *   (number), media.ad.podFriendlyName (string, optional)
   *
   * An ad break (pod) begins. The playhead stays at the content position
   * until ad-break-complete; a break still open is closed first. Returns
   * TRUE when accepted, FALSE (with a WARNING that says why) otherwise.
   */
  g_signal_new_class_handler("ad-break-start", G_TYPE_FROM_CLASS(klass), kActionFlags,
                             G_CALLBACK(on_ad_break_start), nullptr, nullptr, nullptr,
                             G_TYPE_BOOLEAN, 1, GST_TYPE_STRUCTURE);
  /**
   * GstMediaAnalytics::ad-start:
   * @element: the element
   * @params: the ad: media.ad.id, media.ad.length, media.ad.podPosition
   *   (from 1), media.ad.playerName, and optionally media.ad.name and the ad
   *   standard metadata
   * @custom: (nullable): custom metadata of the ad, string fields
   *
   * An ad begins, inside a break; an ad still open is completed first. Pings
   * follow ad-ping-interval until the ad ends.
   */
  g_signal_new_class_handler("ad-start", G_TYPE_FROM_CLASS(klass), kActionFlags,
                             G_CALLBACK(on_ad_start), nullptr, nullptr, nullptr,
                             G_TYPE_BOOLEAN, 2, GST_TYPE_STRUCTURE, GST_TYPE_STRUCTURE);
  /**
   * GstMediaAnalytics::chapter-start:
   * @element: the element
   * @params: the chapter: media.chapter.index (from 1), media.chapter.offset,
   *   media.chapter.length, media.chapter.friendlyName (optional)
   * @custom: (nullable): custom metadata of the chapter, string fields
   *
   * A chapter begins; rejected while one is open (chapters never overlap).
   */
  g_signal_new_class_handler("chapter-start", G_TYPE_FROM_CLASS(klass), kActionFlags,
                             G_CALLBACK(on_chapter_start), nullptr, nullptr, nullptr,
                             G_TYPE_BOOLEAN, 2, GST_TYPE_STRUCTURE, GST_TYPE_STRUCTURE);
  /**
   * GstMediaAnalytics::state-start:
   * @element: the element
   * @name: the player state, e.g. "fullScreen", "mute", "closedCaptioning"
   *
   * A player state begins (statesUpdate); at most 10 distinct states per
   * session, none twice at once.
   */
  g_signal_new_class_handler("state-start", G_TYPE_FROM_CLASS(klass), kActionFlags,
                             G_CALLBACK(on_state_start), nullptr, nullptr, nullptr,
                             G_TYPE_BOOLEAN, 1, G_TYPE_STRING);
  /**
   * GstMediaAnalytics::state-end:
   * @element: the element
   * @name: an active player state
   *
   * A player state ends (statesUpdate).
   */
  g_signal_new_class_handler("state-end", G_TYPE_FROM_CLASS(klass), kActionFlags,
                             G_CALLBACK(on_state_end), nullptr, nullptr, nullptr,
                             G_TYPE_BOOLEAN, 1, G_TYPE_STRING);
  /**
   * GstMediaAnalytics::track-error:
   * @element: the element
   * @id: the error id (media.errorId)
   * @source: "player" or "external" (media.errorSource)
   *
   * An error the application saw; the session stays open.
   */
  g_signal_new_class_handler("track-error", G_TYPE_FROM_CLASS(klass), kActionFlags,
                             G_CALLBACK(on_track_error), nullptr, nullptr, nullptr,
                             G_TYPE_BOOLEAN, 2, G_TYPE_STRING, G_TYPE_STRING);
  /* ad-complete, ad-skip, ad-break-complete, chapter-complete, chapter-skip,
   * end-session: no arguments; each closes what its name says (end-session:
   * the session, after closing what is open). */
  const struct {
    const char *name;
    GCallback handler;
  } closing_calls[] = {
      {"ad-complete", G_CALLBACK(on_ad_complete)},
      {"ad-skip", G_CALLBACK(on_ad_skip)},
      {"ad-break-complete", G_CALLBACK(on_ad_break_complete)},
      {"chapter-complete", G_CALLBACK(on_chapter_complete)},
      {"chapter-skip", G_CALLBACK(on_chapter_skip)},
      {"end-session", G_CALLBACK(on_end_session)},
  };
  for (const auto &call : closing_calls) {
    g_signal_new_class_handler(call.name, G_TYPE_FROM_CLASS(klass), kActionFlags,
                               call.handler, nullptr, nullptr, nullptr, G_TYPE_BOOLEAN,
                               0);
  }

  gst_element_class_set_static_metadata(
      element_class, "Media playback analytics (Adobe Streaming Media Collection API)",
      "Filter/Analyzer/Network",
      "Passes data through untouched and reports the playback of the pipeline "
      "(session, play, pause, buffering, seeks, errors, completion, pings) to "
      "Adobe's Streaming Media Collection API. Not related to "
      "GStreamer's ML analytics metadata",
      "gst-mediaanalytics contributors");

  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_add_static_pad_template(element_class, &src_template);

  element_class->change_state = GST_DEBUG_FUNCPTR(gst_media_analytics_change_state);
  element_class->set_bus = GST_DEBUG_FUNCPTR(gst_media_analytics_set_bus);

  trans_class->start = GST_DEBUG_FUNCPTR(gst_media_analytics_start);
  trans_class->sink_event = GST_DEBUG_FUNCPTR(gst_media_analytics_sink_event);
  trans_class->src_event = GST_DEBUG_FUNCPTR(gst_media_analytics_src_event);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR(gst_media_analytics_transform_ip);
  /* Passthrough still calls transform_ip: it counts the buffers. */
  trans_class->transform_ip_on_passthrough = TRUE;
}

static void gst_media_analytics_init(GstMediaAnalytics *self) {
  self->priv = new MediaAnalyticsPrivate();
  g_weak_ref_init(&self->priv->mute_source, nullptr);
  g_weak_ref_set(&self->priv->target->element, self);

  GstBaseTransform *trans = GST_BASE_TRANSFORM(self);
  gst_base_transform_set_passthrough(trans, TRUE);
  gst_base_transform_set_gap_aware(trans, TRUE);
}

/* Finishes the client (waiting up to deadline_ns for what is queued) and
 * destroys it; its callbacks have stopped when this returns. Not under any
 * lock. */
static void gst_media_analytics_stop_client(GstMediaAnalytics *self, guint64 deadline_ns);

/* An element that was never set back to NULL: its callbacks no longer reach
 * it, then its client stops without waiting (finish(0)). It may run on the
 * sending thread (a callback dropped the last reference): it takes no lock a
 * callback holds and adds no wait of its own. */
static void gst_media_analytics_dispose(GObject *object) {
  GstMediaAnalytics *self = GST_MEDIA_ANALYTICS(object);

  /* Already cleared by GObject on a last unref; this is for an explicit
   * g_object_run_dispose(). */
  g_weak_ref_set(&self->priv->target->element, nullptr);
  self->priv->bus_tap.detach();
  gst_media_analytics_unwatch_mute(self);
  /* Still playing (the application skipped NULL): the session ends here. It
   * is sent only if the client gets to it before the finish below, which
   * does not wait; otherwise it is counted as dropped. */
  gst_media_analytics_to_ready(self);
  gst_media_analytics_stop_client(self, 0);

  G_OBJECT_CLASS(parent_class)->dispose(object);
}

static void gst_media_analytics_finalize(GObject *object) {
  GstMediaAnalytics *self = GST_MEDIA_ANALYTICS(object);

  g_weak_ref_clear(&self->priv->mute_source);
  delete self->priv;
  self->priv = nullptr;

  G_OBJECT_CLASS(parent_class)->finalize(object);
}

/* The field of a string property, nullptr for other properties. */
static std::optional<std::string> Settings::*string_field(guint prop_id) {
  switch (prop_id) {
    case PROP_ENDPOINT:
      return &Settings::endpoint;
    case PROP_TRACKING_SERVER:
      return &Settings::tracking_server;
    case PROP_REPORT_SUITE:
      return &Settings::report_suite;
    case PROP_ORG_ID:
      return &Settings::org_id;
    case PROP_VISITOR_ID:
      return &Settings::visitor_id;
    case PROP_ECID:
      return &Settings::ecid;
    case PROP_APP_INSTALLATION_ID:
      return &Settings::app_installation_id;
    case PROP_MEDIA_ID:
      return &Settings::media_id;
    case PROP_MEDIA_NAME:
      return &Settings::media_name;
    case PROP_CONTENT_TYPE:
      return &Settings::content_type;
    case PROP_PLAYER_NAME:
      return &Settings::player_name;
    case PROP_CHANNEL:
      return &Settings::channel;
    default:
      return nullptr;
  }
}

/* GST_PARAM_MUTABLE_READY only documents; this enforces it: a change once the
 * element is PAUSED or PLAYING is refused and the value stays. */
static gboolean gst_media_analytics_may_set(GstMediaAnalytics *self, GParamSpec *pspec) {
  if (pspec->flags & GST_PARAM_MUTABLE_PLAYING) {
    return TRUE;
  }
  GST_OBJECT_LOCK(self);
  GstState state = GST_STATE(self);
  GST_OBJECT_UNLOCK(self);
  if (state <= GST_STATE_READY) {
    return TRUE;
  }
  GST_WARNING_OBJECT(self,
                     "property '%s' can only be changed in the NULL or READY state, "
                     "not in %s: the value is unchanged",
                     pspec->name, gst_element_state_get_name(state));
  return FALSE;
}

/* Under priv->lock: the metadata or custom-metadata property, kept as given
 * (for reading it back) and converted into the settings; a value that does
 * not convert is reported by validate() at the next NULL→READY. */
static void set_metadata(MediaAnalyticsPrivate *priv, const void *boxed, bool custom) {
  const GstStructure *structure = static_cast<const GstStructure *>(boxed);
  StructurePtr &kept = custom ? priv->custom_metadata : priv->metadata;
  kept.reset(structure ? gst_structure_copy(structure) : nullptr);
  Settings &settings = priv->settings;
  if (custom) {
    auto converted = mediaanalytics::structure_to_custom(structure);
    settings.custom_metadata_problem.reset();
    settings.custom_metadata.clear();
    if (auto *problem = std::get_if<ParamProblem>(&converted)) {
      settings.custom_metadata_problem = problem->message;
    } else {
      settings.custom_metadata = std::move(std::get<CustomMetadata>(converted));
    }
    return;
  }
  auto converted = mediaanalytics::structure_to_params(structure);
  settings.metadata_problem.reset();
  settings.metadata = Params();
  if (auto *problem = std::get_if<ParamProblem>(&converted)) {
    settings.metadata_problem = problem->message;
  } else {
    settings.metadata = mediaanalytics::normalize_metadata(std::get<Params>(converted));
  }
}

static void gst_media_analytics_set_property(GObject *object, guint prop_id,
                                             const GValue *value, GParamSpec *pspec) {
  GstMediaAnalytics *self = GST_MEDIA_ANALYTICS(object);
  MediaAnalyticsPrivate *priv = self->priv;

  if (!gst_media_analytics_may_set(self, pspec)) {
    return;
  }

  if (prop_id == PROP_PING_INTERVAL) {
    {
      std::lock_guard<std::mutex> lock(priv->lock);
      priv->settings.ping_interval = g_value_get_uint64(value);
      if (priv->snapshot) {
        priv->snapshot->ping_interval = priv->settings.ping_interval;
      }
    }
    /* Not under priv->lock: this takes event_lock. */
    gst_media_analytics_update_ping_interval(self);
    return;
  }

  std::lock_guard<std::mutex> lock(priv->lock);
  Settings &settings = priv->settings;

  if (auto field = string_field(prop_id)) {
    const gchar *str = g_value_get_string(value);
    settings.*field = str ? std::optional<std::string>(str) : std::nullopt;
    return;
  }

  switch (prop_id) {
    case PROP_MEDIA_LENGTH:
      settings.media_length = g_value_get_double(value);
      break;
    case PROP_ENABLE_SSL:
      settings.enable_ssl = g_value_get_boolean(value);
      break;
    case PROP_AD_PING_INTERVAL:
      settings.ad_ping_interval = g_value_get_uint64(value);
      if (priv->snapshot) {
        priv->snapshot->ad_ping_interval = settings.ad_ping_interval;
      }
      break;
    case PROP_REQUEST_TIMEOUT:
      settings.request_timeout = g_value_get_uint64(value);
      break;
    case PROP_FLUSH_TIMEOUT:
      settings.flush_timeout = g_value_get_uint64(value);
      break;
    case PROP_MAX_QUEUE:
      settings.max_queue = g_value_get_uint(value);
      break;
    case PROP_STALL_THRESHOLD:
      settings.stall_threshold = g_value_get_uint64(value);
      break;
    case PROP_IDLE_TIMEOUT:
      settings.idle_timeout = g_value_get_uint64(value);
      break;
    case PROP_PREROLL_WAIT:
      settings.preroll_wait = g_value_get_uint64(value);
      break;
    case PROP_METADATA:
      set_metadata(priv, g_value_get_boxed(value), false);
      break;
    case PROP_CUSTOM_METADATA:
      set_metadata(priv, g_value_get_boxed(value), true);
      break;
    case PROP_OPT_OUT:
      settings.opt_out = g_value_get_boolean(value);
      break;
    case PROP_TOC_CHAPTERS:
      settings.toc_chapters = g_value_get_boolean(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
}

static MediaAnalyticsStats stats_of_client(const SessionClient &client) {
  const mediaanalytics::SessionClientStats c = client.stats();
  MediaAnalyticsStats stats;
  stats.events_generated = c.generated;
  stats.events_sent = c.sent;
  stats.events_queued = c.queued;
  stats.events_dropped = c.dropped;
  stats.events_retried = c.retried;
  stats.sessions_started = c.sessions_started;
  stats.last_http_status = static_cast<gint>(c.last_http_status);
  return stats;
}

static GstStructure *gst_media_analytics_make_stats(GstMediaAnalytics *self) {
  std::shared_ptr<SessionClient> client;
  {
    std::lock_guard<std::mutex> lock(self->priv->event_lock);
    client = self->priv->client;
  }
  MediaAnalyticsStats stats;
  if (client) {
    stats = stats_of_client(*client);
  } else {
    std::lock_guard<std::mutex> lock(self->priv->lock);
    stats = self->priv->stats;
  }
  const guint64 buffers_seen = self->priv->buffers_seen.load(std::memory_order_relaxed);

  // clang-format off
  return gst_structure_new("mediaanalytics-stats",
      "events-generated", G_TYPE_UINT64, stats.events_generated,
      "events-sent", G_TYPE_UINT64, stats.events_sent,
      "events-queued", G_TYPE_UINT64, stats.events_queued,
      "events-dropped", G_TYPE_UINT64, stats.events_dropped,
      "events-retried", G_TYPE_UINT64, stats.events_retried,
      "sessions-started", G_TYPE_UINT64, stats.sessions_started,
      "last-http-status", G_TYPE_INT, stats.last_http_status,
      "buffers-seen", G_TYPE_UINT64, buffers_seen,
      nullptr);
  // clang-format on
}

static void gst_media_analytics_get_property(GObject *object, guint prop_id,
                                             GValue *value, GParamSpec *pspec) {
  GstMediaAnalytics *self = GST_MEDIA_ANALYTICS(object);
  MediaAnalyticsPrivate *priv = self->priv;

  if (prop_id == PROP_STATS) {
    g_value_take_boxed(value, gst_media_analytics_make_stats(self));
    return;
  }

  std::lock_guard<std::mutex> lock(priv->lock);
  const Settings &settings = priv->settings;

  if (auto field = string_field(prop_id)) {
    const std::optional<std::string> &str = settings.*field;
    g_value_set_string(value, str ? str->c_str() : nullptr);
    return;
  }

  switch (prop_id) {
    case PROP_MEDIA_LENGTH:
      g_value_set_double(value, settings.media_length);
      break;
    case PROP_ENABLE_SSL:
      g_value_set_boolean(value, settings.enable_ssl);
      break;
    case PROP_PING_INTERVAL:
      g_value_set_uint64(value, settings.ping_interval);
      break;
    case PROP_AD_PING_INTERVAL:
      g_value_set_uint64(value, settings.ad_ping_interval);
      break;
    case PROP_REQUEST_TIMEOUT:
      g_value_set_uint64(value, settings.request_timeout);
      break;
    case PROP_FLUSH_TIMEOUT:
      g_value_set_uint64(value, settings.flush_timeout);
      break;
    case PROP_MAX_QUEUE:
      g_value_set_uint(value, settings.max_queue);
      break;
    case PROP_STALL_THRESHOLD:
      g_value_set_uint64(value, settings.stall_threshold);
      break;
    case PROP_IDLE_TIMEOUT:
      g_value_set_uint64(value, settings.idle_timeout);
      break;
    case PROP_PREROLL_WAIT:
      g_value_set_uint64(value, settings.preroll_wait);
      break;
    case PROP_METADATA:
      g_value_set_boxed(value, priv->metadata.get());
      break;
    case PROP_CUSTOM_METADATA:
      g_value_set_boxed(value, priv->custom_metadata.get());
      break;
    case PROP_OPT_OUT:
      g_value_set_boolean(value, settings.opt_out);
      break;
    case PROP_TOC_CHAPTERS:
      g_value_set_boolean(value, settings.toc_chapters);
      break;
    case PROP_SESSION_ID:
      g_value_set_string(value, priv->session_id ? priv->session_id->c_str() : nullptr);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
}

/* Checks the properties and makes them the settings the element runs with.
 * A problem fails the state change with an ERROR message naming the property. */
static gboolean gst_media_analytics_take_snapshot(GstMediaAnalytics *self) {
  MediaAnalyticsPrivate *priv = self->priv;
  Settings settings;
  {
    std::lock_guard<std::mutex> lock(priv->lock);
    settings = priv->settings;
  }

  /* Posting takes the object lock and runs bus handlers: not under priv->lock. */
  if (auto problem = settings.validate()) {
    GST_ELEMENT_ERROR(
        self, RESOURCE, SETTINGS, ("%s", problem->message.c_str()),
        ("invalid configuration: property '%s'", problem->property.c_str()));
    return FALSE;
  }

  GST_INFO_OBJECT(self, "configured: sessions go to %s", settings.sessions_uri().c_str());
  std::lock_guard<std::mutex> lock(priv->lock);
  priv->snapshot = std::move(settings);
  return TRUE;
}

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
  }
  return "unknown";
}

static void post_warning(GstMediaAnalytics *self, const ClientWarning &warning) {
  GST_ELEMENT_WARNING(self, RESOURCE, WRITE, ("%s", warning.message.c_str()),
                      ("media analytics reporting: %s", warning_kind_name(warning.kind)));
}

/* Creates the client from the snapshot (NULL→READY). */
static void gst_media_analytics_start_client(GstMediaAnalytics *self) {
  MediaAnalyticsPrivate *priv = self->priv;
  SessionClientOptions options;
  bool had_session_id;
  {
    std::lock_guard<std::mutex> lock(priv->lock);
    const Settings &settings = *priv->snapshot;
    options.endpoint = settings.endpoint_base();
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

static void gst_media_analytics_stop_client(GstMediaAnalytics *self,
                                            guint64 deadline_ns) {
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

/* ---- Tracking: observations of the pipeline, turned into events by the
 * tracker. Each observation takes the playhead first, with no lock held (it
 * may ask downstream), then event_lock for the tracker and the client. */

static Instant instant_now() {
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
static void commit(GstMediaAnalytics *self, TrackerStep &&step, const Instant &now) {
  MediaAnalyticsPrivate *priv = self->priv;
  const PlaybackTracker &tracker = priv->tracker;

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
static std::optional<double> after_stream_end(MediaAnalyticsPrivate *priv) {
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

static double estimated_playhead(MediaAnalyticsPrivate *priv, bool landing = false) {
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
static double presented_playhead(GstMediaAnalytics *self, bool landing = false) {
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
  if (gst_pad_peer_query_position(GST_BASE_TRANSFORM_SRC_PAD(self), GST_FORMAT_TIME,
                                  &position) &&
      position >= 0) {
    const double seconds = static_cast<double>(position) / GST_SECOND;
    std::lock_guard<std::mutex> lock(priv->playhead_lock);
    priv->position_sample = PositionSample{seconds, g_get_monotonic_time()};
    return seconds;
  }
  return estimated_playhead(priv, landing);
}

/* The client's ping grid is due (its worker thread, no lock held). */
static void gst_media_analytics_ping_due(GstMediaAnalytics *self) {
  MediaAnalyticsPrivate *priv = self->priv;
  const double queried = presented_playhead(self);
  const Instant now = instant_now();

  std::lock_guard<std::mutex> lock(priv->event_lock);
  /* A seek that started since the query: its start is the playhead. */
  const double playhead = held_playhead(priv).value_or(queried);
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
static void gst_media_analytics_wakeup(GstMediaAnalytics *self) {
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
  const double queried = presented_playhead(self);
  const Instant now = instant_now();
  const int64_t last_data_ms = priv->data_at_us.load(std::memory_order_relaxed) / 1000;

  std::lock_guard<std::mutex> lock(priv->event_lock);
  const double playhead = held_playhead(priv).value_or(queried);
  priv->armed_deadline_ms = -1;
  commit(self, priv->tracker.deadline_reached(now, last_data_ms, playhead), now);
}

/* ping-interval changed: a running grid takes it from its next tick on (that
 * tick anchors the new grid). */
static void gst_media_analytics_update_ping_interval(GstMediaAnalytics *self) {
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
static void gst_media_analytics_open_session(GstMediaAnalytics *self) {
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
  StreamFacts facts =
      mediaanalytics::query_stream_facts(GST_BASE_TRANSFORM_SINK_PAD(self));
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

/* PAUSED→PLAYING: the intent to play. It opens the session when none is
 * open (the first time, or after a stop); the next data reports play. */
static void gst_media_analytics_to_playing(GstMediaAnalytics *self) {
  MediaAnalyticsPrivate *priv = self->priv;
  gst_media_analytics_open_session(self);
  post_late_rejections(self);
  /* Prerolled (data came in PAUSED): the sinks present it the moment they
   * are PLAYING, which they are now (bins change sinks first), although the
   * next data may pass this element only a frame later. */
  const bool prerolled = priv->buffers_seen.load(std::memory_order_relaxed) > 0;
  const double playhead = prerolled ? presented_playhead(self) : 0.0;
  const Instant now = instant_now();

  std::lock_guard<std::mutex> lock(priv->event_lock);
  priv->tracker.entered_playing();
  if (prerolled) {
    priv->playing_since = MediaAnalyticsPrivate::PlayingSince{now, playhead};
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
static void gst_media_analytics_to_paused(GstMediaAnalytics *self) {
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
static void gst_media_analytics_to_ready(GstMediaAnalytics *self) {
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
static void gst_media_analytics_reset_playback(GstMediaAnalytics *self) {
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
static void gst_media_analytics_attach_bus_tap(GstMediaAnalytics *self) {
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

/* A bin gives its children its bus when they are added and takes it back
 * (NULL) when they are removed: a removed element stops listening to the
 * pipeline it left at once, so that it reports nothing of that pipeline's
 * messages any more. The bin holds its object lock here: nothing of the
 * hierarchy is read (the tap is attached again at the next NULL→READY or
 * READY→PAUSED). */
static void gst_media_analytics_set_bus(GstElement *element, GstBus *bus) {
  GST_ELEMENT_CLASS(parent_class)->set_bus(element, bus);
  if (!bus) {
    GST_MEDIA_ANALYTICS(element)->priv->bus_tap.detach();
  }
}

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
static void reconcile_mute(GstMediaAnalytics *self, const Instant &now, double playhead) {
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

static void gst_media_analytics_watch_mute(GstMediaAnalytics *self) {
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

static void gst_media_analytics_unwatch_mute(GstMediaAnalytics *self) {
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

static bool gst_media_analytics_opted_out(GstMediaAnalytics *self) {
  std::lock_guard<std::mutex> lock(self->priv->lock);
  return self->priv->snapshot && self->priv->snapshot->opt_out;
}

static GstStateChangeReturn gst_media_analytics_change_state(GstElement *element,
                                                             GstStateChange transition) {
  GstMediaAnalytics *self = GST_MEDIA_ANALYTICS(element);
  MediaAnalyticsPrivate *priv = self->priv;

  switch (transition) {
    case GST_STATE_CHANGE_NULL_TO_READY:
      if (!gst_media_analytics_take_snapshot(self)) {
        return GST_STATE_CHANGE_FAILURE;
      }
      /* Opted out: no client, no tap, no query; a passthrough. */
      if (!gst_media_analytics_opted_out(self)) {
        gst_media_analytics_start_client(self);
        gst_media_analytics_attach_bus_tap(self);
        gst_media_analytics_watch_mute(self);
      }
      break;
    case GST_STATE_CHANGE_READY_TO_PAUSED:
      if (!gst_media_analytics_take_snapshot(self)) {
        return GST_STATE_CHANGE_FAILURE;
      }
      /* opt-out changed in READY: the client follows it now. */
      if (gst_media_analytics_opted_out(self)) {
        if (priv->reporting.load(std::memory_order_relaxed)) {
          priv->bus_tap.detach();
          gst_media_analytics_unwatch_mute(self);
          gst_media_analytics_stop_client(self, 0);
        }
      } else if (!priv->reporting.load(std::memory_order_relaxed)) {
        gst_media_analytics_start_client(self);
        gst_media_analytics_watch_mute(self);
      }
      if (priv->reporting.load(std::memory_order_relaxed)) {
        gst_media_analytics_attach_bus_tap(self);
      }
      gst_media_analytics_reset_playback(self);
      break;
    case GST_STATE_CHANGE_PAUSED_TO_PLAYING:
      gst_media_analytics_to_playing(self);
      break;
    case GST_STATE_CHANGE_PLAYING_TO_PAUSED:
      gst_media_analytics_to_paused(self);
      break;
    default:
      break;
  }

  GstStateChangeReturn ret =
      GST_ELEMENT_CLASS(parent_class)->change_state(element, transition);
  if (ret == GST_STATE_CHANGE_FAILURE) {
    if (transition == GST_STATE_CHANGE_NULL_TO_READY) {
      priv->bus_tap.detach();
      gst_media_analytics_unwatch_mute(self);
      gst_media_analytics_stop_client(self, 0);
    }
    return ret;
  }

  switch (transition) {
    case GST_STATE_CHANGE_PAUSED_TO_READY:
      gst_media_analytics_to_ready(self);
      break;
    case GST_STATE_CHANGE_READY_TO_NULL: {
      priv->bus_tap.detach();
      gst_media_analytics_unwatch_mute(self);
      guint64 flush_timeout = 0;
      {
        std::lock_guard<std::mutex> lock(priv->lock);
        if (priv->snapshot) {
          flush_timeout = priv->snapshot->flush_timeout;
        }
        priv->snapshot.reset();
      }
      gst_media_analytics_stop_client(self, flush_timeout);
      break;
    }
    default:
      break;
  }

  return ret;
}

static gboolean gst_media_analytics_start(GstBaseTransform *trans) {
  GstMediaAnalytics *self = GST_MEDIA_ANALYTICS(trans);

  self->priv->buffers_seen.store(0, std::memory_order_relaxed);
  return TRUE;
}

/* Where the latest data is, in stream time (start and end), for the
 * playhead estimate. Streaming thread: atomic stores only. */
static void gst_media_analytics_note_data(MediaAnalyticsPrivate *priv,
                                          const GstSegment *segment, GstClockTime pts,
                                          GstClockTime duration) {
  if (segment->format != GST_FORMAT_TIME) {
    return;
  }
  const guint64 start = gst_segment_to_stream_time(segment, GST_FORMAT_TIME, pts);
  if (!GST_CLOCK_TIME_IS_VALID(start)) {
    return;
  }
  guint64 end = start;
  if (GST_CLOCK_TIME_IS_VALID(duration)) {
    const guint64 stop =
        gst_segment_to_stream_time(segment, GST_FORMAT_TIME, pts + duration);
    if (GST_CLOCK_TIME_IS_VALID(stop)) {
      end = stop;
    }
  }
  priv->data_start_ns.store(static_cast<gint64>(start), std::memory_order_relaxed);
  priv->data_end_ns.store(static_cast<gint64>(end), std::memory_order_relaxed);
}

/* ---- Chapters from the table of contents. */

/* Under event_lock: the TOC's transitions as chapter events, through the
 * tracker (which keeps the rules: one chapter at a time, nothing between
 * adBreakStart and adStart). What it refuses is left out. */
static void send_toc_transitions(GstMediaAnalytics *self,
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
static void toc_advance(GstMediaAnalytics *self, double position_s, const Instant &now) {
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
static void gst_media_analytics_toc(GstMediaAnalytics *self, GstEvent *event) {
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
    gchar *title = nullptr;
    const GstTagList *tags = gst_toc_entry_get_tags(entry);
    if (tags && gst_tag_list_get_string(tags, GST_TAG_TITLE, &title)) {
      chapter.title = title;
    }
    g_free(title);
    entries.push_back(std::move(chapter));
  }
  gst_toc_unref(toc);

  gint64 duration = -1;
  gst_pad_peer_query_duration(GST_BASE_TRANSFORM_SINK_PAD(self), GST_FORMAT_TIME,
                              &duration);
  const Instant now = instant_now();
  std::lock_guard<std::mutex> lock(priv->event_lock);
  priv->toc.set_entries(std::move(entries),
                        duration > 0 ? static_cast<double>(duration) / GST_SECOND : -1.0);
  send_toc_transitions(self, {}, now, priv->toc_position_s, priv->toc_position_s);
}

/* The streaming thread's cheap check: the data reached the TOC's next
 * boundary (an atomic compare per buffer; the lock only at a boundary). */
static void gst_media_analytics_toc_data(GstMediaAnalytics *self, gint64 start_ns) {
  MediaAnalyticsPrivate *priv = self->priv;
  const gint64 boundary = priv->toc_boundary_ns.load(std::memory_order_relaxed);
  if (G_LIKELY(boundary < 0 || start_ns < boundary)) {
    return;
  }
  /* Not watching content (preroll, a pre-roll, buffering): the pings and the
   * play catch up; no lock per buffer meanwhile. */
  if (!priv->advancing.load(std::memory_order_relaxed)) {
    return;
  }
  const Instant now = instant_now();
  std::lock_guard<std::mutex> lock(priv->event_lock);
  toc_advance(self, static_cast<double>(start_ns) / GST_SECOND, now);
}

/* The first data in PLAYING since the session opened, a pause, buffering, a
 * stall or a seek: play. Asks downstream for the playhead first: the first
 * data after a resume may be behind what a queue downstream shows. */
static void gst_media_analytics_data_flowing(GstMediaAnalytics *self) {
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

/* The data path: passthrough, so buf is the buffer that goes downstream, not
 * writable and never touched. Atomic stores of where and when the data is,
 * and a relaxed look at play_pending: no lock, no allocation. Only the buffer
 * that finds a play due takes event_lock and submits it (a queue push). */
static GstFlowReturn gst_media_analytics_transform_ip(GstBaseTransform *trans,
                                                      GstBuffer *buf) {
  GstMediaAnalytics *self = GST_MEDIA_ANALYTICS(trans);
  MediaAnalyticsPrivate *priv = self->priv;

  priv->buffers_seen.fetch_add(1, std::memory_order_relaxed);
  if (priv->compressed.load(std::memory_order_relaxed)) {
    priv->bytes_seen.fetch_add(gst_buffer_get_size(buf), std::memory_order_relaxed);
  }
  priv->data_at_us.store(g_get_monotonic_time(), std::memory_order_relaxed);
  if (G_UNLIKELY(priv->in_gap.load(std::memory_order_relaxed))) {
    priv->in_gap.store(false, std::memory_order_relaxed);
  }

  /* trans->segment is the streaming thread's, kept by the base class. */
  const GstClockTime pts = GST_BUFFER_PTS(buf);
  if (GST_CLOCK_TIME_IS_VALID(pts)) {
    gst_media_analytics_note_data(priv, &trans->segment, pts, GST_BUFFER_DURATION(buf));
    gst_media_analytics_toc_data(self,
                                 priv->data_start_ns.load(std::memory_order_relaxed));
  }

  if (G_UNLIKELY(priv->play_pending.load(std::memory_order_relaxed))) {
    gst_media_analytics_data_flowing(self);
  }
  return GST_FLOW_OK;
}

/* A new segment: the position starts over (after a seek, at its target) and
 * the rate may have changed; the seek waiting for it has landed. */
static void gst_media_analytics_segment(GstMediaAnalytics *self, GstEvent *event) {
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
static void gst_media_analytics_instant_rate(GstMediaAnalytics *self, GstEvent *event) {
  MediaAnalyticsPrivate *priv = self->priv;
  gdouble multiplier = 1.0;
  gst_event_parse_instant_rate_change(event, &multiplier, nullptr);
  const double playhead = estimated_playhead(priv);
  std::lock_guard<std::mutex> lock(priv->playhead_lock);
  priv->position_sample = PositionSample{playhead, g_get_monotonic_time()};
  priv->rate = priv->segment_rate * multiplier;
}

/* A GAP is data too (sparse streams, live sources): time goes on. */
static void gst_media_analytics_gap(GstMediaAnalytics *self, GstEvent *event) {
  MediaAnalyticsPrivate *priv = self->priv;
  GstBaseTransform *trans = GST_BASE_TRANSFORM(self);
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
    gst_media_analytics_note_data(priv, &trans->segment, timestamp, duration);
  }
  if (priv->play_pending.load(std::memory_order_relaxed)) {
    gst_media_analytics_data_flowing(self);
  }
}

/* The first title tag of the stream names the media when media-name is not
 * set (a title after the sessionStart is too late, and does not delay it). */
static void gst_media_analytics_tags(GstMediaAnalytics *self, GstEvent *event) {
  MediaAnalyticsPrivate *priv = self->priv;
  GstTagList *tags = nullptr;
  gst_event_parse_tag(event, &tags);
  gchar *title = nullptr;
  if (tags && gst_tag_list_get_string(tags, GST_TAG_TITLE, &title) && title && *title) {
    std::lock_guard<std::mutex> lock(priv->lock);
    if (!priv->title) {
      priv->title = title;
    }
  }
  g_free(title);

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
static void gst_media_analytics_seek_started(GstMediaAnalytics *self, guint32 seqnum,
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

/* ---- The application API: action signals and in-band custom events. */

struct AppCallInfo {
  AppCall call;
  const char *name;
  /* The event whose params the structure holds (checked with
   * check_event_params()); kPing: the call takes none. */
  EventType params_of;
  bool takes_custom;
};

static const AppCallInfo kAppCalls[] = {
    {AppCall::kAdBreakStart, "ad-break-start", EventType::kAdBreakStart, false},
    {AppCall::kAdStart, "ad-start", EventType::kAdStart, true},
    {AppCall::kAdComplete, "ad-complete", EventType::kPing, false},
    {AppCall::kAdSkip, "ad-skip", EventType::kPing, false},
    {AppCall::kAdBreakComplete, "ad-break-complete", EventType::kPing, false},
    {AppCall::kChapterStart, "chapter-start", EventType::kChapterStart, true},
    {AppCall::kChapterComplete, "chapter-complete", EventType::kPing, false},
    {AppCall::kChapterSkip, "chapter-skip", EventType::kPing, false},
    {AppCall::kStateStart, "state-start", EventType::kPing, false},
    {AppCall::kStateEnd, "state-end", EventType::kPing, false},
    {AppCall::kTrackError, "track-error", EventType::kError, false},
    {AppCall::kEndSession, "end-session", EventType::kPing, false},
};

static const AppCallInfo &app_call_info(AppCall call) {
  return kAppCalls[static_cast<int>(call)];
}

/* What one call brings: its params and custom metadata as given, and the
 * state name for the state calls. */
struct AppCallInput {
  const GstStructure *params = nullptr;
  const GstStructure *custom = nullptr;
  std::string state;
};

/* A rejected call: a WARNING on the bus that names the call and says why,
 * posted with no lock held. */
static gboolean gst_media_analytics_reject(GstMediaAnalytics *self,
                                           const AppCallInfo &info,
                                           const std::string &why) {
  GST_ELEMENT_WARNING(self, LIBRARY, SETTINGS,
                      ("%s rejected: %s", info.name, why.c_str()),
                      ("media analytics: the application's %s was not sent", info.name));
  return FALSE;
}

static CallResult run_app_call(PlaybackTracker &tracker, AppCall call, const Instant &now,
                               Params params, CustomMetadata custom,
                               const std::string &state, double playhead) {
  switch (call) {
    case AppCall::kAdBreakStart:
      return tracker.ad_break_start(now, std::move(params), playhead);
    case AppCall::kAdStart:
      return tracker.ad_start(now, std::move(params), std::move(custom), playhead);
    case AppCall::kAdComplete:
      return tracker.ad_complete(now, playhead);
    case AppCall::kAdSkip:
      return tracker.ad_skip(now, playhead);
    case AppCall::kAdBreakComplete:
      return tracker.ad_break_complete(now, playhead);
    case AppCall::kChapterStart:
      return tracker.chapter_start(now, std::move(params), std::move(custom), playhead);
    case AppCall::kChapterComplete:
      return tracker.chapter_complete(now, playhead);
    case AppCall::kChapterSkip:
      return tracker.chapter_skip(now, playhead);
    case AppCall::kStateStart:
      return tracker.state_start(now, state, playhead);
    case AppCall::kStateEnd:
      return tracker.state_end(now, state, playhead);
    case AppCall::kTrackError: {
      const auto *id = std::get_if<std::string>(params.find("media.errorId"));
      const auto *source = std::get_if<std::string>(params.find("media.errorSource"));
      return tracker.track_error(now, id ? *id : "", source ? *source : "player",
                                 playhead);
    }
    case AppCall::kEndSession:
      return tracker.end_session(now, playhead);
  }
  return CallResult();
}

/* One call of the application, from an action signal (its thread) or a
 * custom event (the streaming thread): the values are checked, then the
 * tracker decides on the sequence. TRUE when accepted; otherwise nothing is
 * sent and a WARNING says why. */
static gboolean gst_media_analytics_app_call(GstMediaAnalytics *self, AppCall call,
                                             const AppCallInput &input) {
  MediaAnalyticsPrivate *priv = self->priv;
  const AppCallInfo &info = app_call_info(call);
  /* Opted out: nothing is sent, and nothing to warn about. */
  if (gst_media_analytics_opted_out(self)) {
    GST_DEBUG_OBJECT(self, "%s not sent: opted out", info.name);
    return FALSE;
  }

  Params params;
  if (info.params_of != EventType::kPing) {
    auto converted = mediaanalytics::structure_to_params(input.params);
    if (auto *problem = std::get_if<ParamProblem>(&converted)) {
      return gst_media_analytics_reject(self, info, problem->message);
    }
    auto checked =
        mediaanalytics::check_event_params(info.params_of, std::get<Params>(converted));
    if (auto *problem = std::get_if<ParamProblem>(&checked)) {
      return gst_media_analytics_reject(self, info, problem->message);
    }
    params = std::move(std::get<Params>(checked));
  }
  CustomMetadata custom;
  if (info.takes_custom) {
    auto converted = mediaanalytics::structure_to_custom(input.custom);
    if (auto *problem = std::get_if<ParamProblem>(&converted)) {
      return gst_media_analytics_reject(self, info, problem->message);
    }
    custom = std::move(std::get<CustomMetadata>(converted));
    if (auto problem = mediaanalytics::check_custom_metadata(custom)) {
      return gst_media_analytics_reject(self, info, problem->message);
    }
  }

  const double playhead = presented_playhead(self);
  const Instant now = instant_now();
  CallResult result;
  {
    std::lock_guard<std::mutex> lock(priv->event_lock);
    if (!priv->client || priv->tracker.phase() == PlaybackTracker::Phase::kNone) {
      /* Before the session of this playback opened (a pre-roll announced
       * right after set_state(PLAYING), while playbin has not even set up
       * its video-filter, or marked in-band ahead of the first frame):
       * checked now, made once the sessionStart is sent. */
      if (priv->pending_calls.size() >= kMaxPendingCalls) {
        result.accepted = false;
        result.reason = "too many calls before the session opened";
      } else {
        priv->pending_calls.push_back(
            PendingCall{call, std::move(params), std::move(custom), input.state});
        return TRUE;
      }
    } else {
      /* The application's chapters take precedence: TOC tracking stops. */
      if (call == AppCall::kChapterStart && !priv->toc.empty()) {
        send_toc_transitions(self, priv->toc.yield_to_application(), now, playhead,
                             playhead);
      }
      result = run_app_call(priv->tracker, call, now, std::move(params),
                            std::move(custom), input.state, playhead);
      if (result.accepted) {
        commit(self, std::move(result.step), now);
        if (call == AppCall::kAdStart) {
          reconcile_mute(self, now, playhead);
        }
      }
    }
  }
  if (!result.accepted) {
    return gst_media_analytics_reject(self, info, result.reason);
  }
  return TRUE;
}

/* Under event_lock, once the session opened: the calls that came before it,
 * in their order (their values were checked when they came). */
static void replay_pending_calls(GstMediaAnalytics *self, const Instant &now,
                                 double playhead) {
  MediaAnalyticsPrivate *priv = self->priv;
  std::vector<PendingCall> pending = std::move(priv->pending_calls);
  priv->pending_calls.clear();
  for (PendingCall &call : pending) {
    CallResult result =
        run_app_call(priv->tracker, call.call, now, std::move(call.params),
                     std::move(call.custom), call.state, playhead);
    if (result.accepted) {
      commit(self, std::move(result.step), now);
    } else {
      /* Posted once event_lock is released (post_late_rejections()). */
      priv->late_rejections.push_back(
          std::string(app_call_info(call.call).name) +
          " rejected when the session opened: " + result.reason);
    }
  }
}

/* The WARNINGs of early calls the sequence rules refused when the session
 * opened; with no lock held (posting may run the application's sync
 * handler). */
static void post_late_rejections(GstMediaAnalytics *self) {
  std::vector<std::string> rejections;
  {
    std::lock_guard<std::mutex> lock(self->priv->event_lock);
    rejections.swap(self->priv->late_rejections);
  }
  for (const std::string &why : rejections) {
    GST_ELEMENT_WARNING(self, LIBRARY, SETTINGS, ("%s", why.c_str()),
                        ("media analytics: an application call made before the "
                         "session opened was not sent"));
  }
}

static gboolean on_ad_break_start(GstMediaAnalytics *self, const GstStructure *params) {
  AppCallInput input;
  input.params = params;
  return gst_media_analytics_app_call(self, AppCall::kAdBreakStart, input);
}

static gboolean on_ad_start(GstMediaAnalytics *self, const GstStructure *params,
                            const GstStructure *custom) {
  AppCallInput input;
  input.params = params;
  input.custom = custom;
  return gst_media_analytics_app_call(self, AppCall::kAdStart, input);
}

static gboolean on_chapter_start(GstMediaAnalytics *self, const GstStructure *params,
                                 const GstStructure *custom) {
  AppCallInput input;
  input.params = params;
  input.custom = custom;
  return gst_media_analytics_app_call(self, AppCall::kChapterStart, input);
}

static gboolean on_state(GstMediaAnalytics *self, AppCall call, const gchar *name) {
  AppCallInput input;
  input.state = name ? name : "";
  return gst_media_analytics_app_call(self, call, input);
}

static gboolean on_state_start(GstMediaAnalytics *self, const gchar *name) {
  return on_state(self, AppCall::kStateStart, name);
}

static gboolean on_state_end(GstMediaAnalytics *self, const gchar *name) {
  return on_state(self, AppCall::kStateEnd, name);
}

static gboolean on_track_error(GstMediaAnalytics *self, const gchar *id,
                               const gchar *source) {
  GstStructure *params = gst_structure_new("error", "media.errorId", G_TYPE_STRING,
                                           id ? id : "", "media.errorSource",
                                           G_TYPE_STRING, source ? source : "", nullptr);
  AppCallInput input;
  input.params = params;
  const gboolean accepted =
      gst_media_analytics_app_call(self, AppCall::kTrackError, input);
  gst_structure_free(params);
  return accepted;
}

#define NO_DATA_CALL(fn, call)                                       \
  static gboolean fn(GstMediaAnalytics *self) {                      \
    return gst_media_analytics_app_call(self, call, AppCallInput()); \
  }
NO_DATA_CALL(on_ad_complete, AppCall::kAdComplete)
NO_DATA_CALL(on_ad_skip, AppCall::kAdSkip)
NO_DATA_CALL(on_ad_break_complete, AppCall::kAdBreakComplete)
NO_DATA_CALL(on_chapter_complete, AppCall::kChapterComplete)
NO_DATA_CALL(on_chapter_skip, AppCall::kChapterSkip)
NO_DATA_CALL(on_end_session, AppCall::kEndSession)
#undef NO_DATA_CALL

/* A custom downstream event "mediaanalytics/<call>" from an element upstream
 * (an ad inserter, an appsrc application): the call, in sync with the
 * media. Its fields are the wire keys; ad-start and chapter-start take their
 * custom metadata in a "custom-metadata" GstStructure field, the state calls
 * their name in "media.state.name". Returns false for other events. */
static bool gst_media_analytics_custom_event(GstMediaAnalytics *self, GstEvent *event) {
  const GstStructure *structure = gst_event_get_structure(event);
  if (!structure ||
      !g_str_has_prefix(gst_structure_get_name(structure), "mediaanalytics/")) {
    return false;
  }
  const char *name = gst_structure_get_name(structure) + strlen("mediaanalytics/");
  for (const AppCallInfo &info : kAppCalls) {
    if (g_strcmp0(info.name, name) != 0) {
      continue;
    }
    AppCallInput input;
    GstStructure *params = gst_structure_copy(structure);
    gst_structure_remove_field(params, "custom-metadata");
    input.params = params;
    const GValue *custom = gst_structure_get_value(structure, "custom-metadata");
    if (custom && GST_VALUE_HOLDS_STRUCTURE(custom)) {
      input.custom = gst_value_get_structure(custom);
    }
    const gchar *state = gst_structure_get_string(structure, "media.state.name");
    input.state = state ? state : "";
    gst_media_analytics_app_call(self, info.call, input);
    gst_structure_free(params);
    return true;
  }
  GST_ELEMENT_WARNING(self, LIBRARY, SETTINGS,
                      ("unknown call '%s' in a mediaanalytics/ custom event", name),
                      ("the event is passed on and ignored"));
  return true;
}

/* The end of the content: EOS of the whole pipeline (its EOS message, once
 * every sink is at the end), or of this element's stream when it tracks no
 * pipeline bus. This stream's own EOS (with a bus) only says that no stall is
 * coming: another stream (the longer audio) may still play. The playhead is
 * the end of the latest data. Nothing waits: EOS goes on at once. */
static void gst_media_analytics_end_of_stream(GstMediaAnalytics *self, bool pipeline) {
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

static gboolean gst_media_analytics_sink_event(GstBaseTransform *trans, GstEvent *event) {
  GstMediaAnalytics *self = GST_MEDIA_ANALYTICS(trans);
  MediaAnalyticsPrivate *priv = self->priv;

  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_EOS:
      gst_media_analytics_end_of_stream(self, false);
      break;
    case GST_EVENT_FLUSH_START:
      gst_media_analytics_seek_started(self, GST_SEQNUM_INVALID, true);
      break;
    case GST_EVENT_FLUSH_STOP: {
      std::lock_guard<std::mutex> lock(priv->event_lock);
      if (priv->awaiting_segment.load(std::memory_order_relaxed)) {
        priv->flush_stopped = true;
      }
      break;
    }
    case GST_EVENT_GAP:
      gst_media_analytics_gap(self, event);
      break;
    case GST_EVENT_INSTANT_RATE_CHANGE:
      gst_media_analytics_instant_rate(self, event);
      break;
    case GST_EVENT_CUSTOM_DOWNSTREAM:
      gst_media_analytics_custom_event(self, event);
      break;
    case GST_EVENT_TOC:
      gst_media_analytics_toc(self, event);
      break;
    case GST_EVENT_CAPS: {
      /* media.qoe.framesPerSecond, from the stream's frame rate. */
      GstCaps *caps = nullptr;
      gst_event_parse_caps(event, &caps);
      const GstStructure *structure = caps ? gst_caps_get_structure(caps, 0) : nullptr;
      /* Compressed data: its rate through the element is the bitrate (of
       * raw data it would be meaningless). */
      priv->compressed.store(
          structure && !g_str_has_suffix(gst_structure_get_name(structure), "/x-raw"),
          std::memory_order_relaxed);
      gint num = 0, den = 1;
      if (structure && gst_structure_get_fraction(structure, "framerate", &num, &den) &&
          num > 0 && den > 0) {
        std::lock_guard<std::mutex> lock(priv->event_lock);
        priv->tracker.set_frames_per_second((num + den / 2) / den);
      }
      break;
    }
    case GST_EVENT_SEGMENT:
      gst_media_analytics_segment(self, event);
      break;
    case GST_EVENT_TAG:
      gst_media_analytics_tags(self, event);
      break;
    default:
      break;
  }

  return GST_BASE_TRANSFORM_CLASS(parent_class)->sink_event(trans, event);
}

/* A SEEK on its way upstream: the viewer seeks. When upstream refuses it the
 * old segment plays on, and the next data ends the seek. */
static gboolean gst_media_analytics_src_event(GstBaseTransform *trans, GstEvent *event) {
  GstMediaAnalytics *self = GST_MEDIA_ANALYTICS(trans);
  MediaAnalyticsPrivate *priv = self->priv;

  if (GST_EVENT_TYPE(event) != GST_EVENT_SEEK) {
    return GST_BASE_TRANSFORM_CLASS(parent_class)->src_event(trans, event);
  }
  GstSeekFlags flags = GST_SEEK_FLAG_NONE;
  gst_event_parse_seek(event, nullptr, nullptr, &flags, nullptr, nullptr, nullptr,
                       nullptr);
  /* An instant rate change moves nothing: playback goes on at another speed
   * (GST_EVENT_INSTANT_RATE_CHANGE follows in-band). */
  if (flags & GST_SEEK_FLAG_INSTANT_RATE_CHANGE) {
    return GST_BASE_TRANSFORM_CLASS(parent_class)->src_event(trans, event);
  }
  gst_media_analytics_seek_started(self, gst_event_get_seqnum(event),
                                   (flags & GST_SEEK_FLAG_FLUSH) != 0);
  const gboolean handled =
      GST_BASE_TRANSFORM_CLASS(parent_class)->src_event(trans, event);
  if (!handled) {
    const Instant now = instant_now();
    std::lock_guard<std::mutex> lock(priv->event_lock);
    priv->awaiting_segment.store(false, std::memory_order_relaxed);
    priv->tracker.seek_landed();
    commit(self, TrackerStep(), now);
  }
  return handled;
}
