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

#include "element-private.h"

GST_DEBUG_CATEGORY(gst_media_analytics_debug);

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

enum {
  PROP_0,
  PROP_ENDPOINT,
  PROP_TLS_CA_FILE,
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

#define gst_media_analytics_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE(GstMediaAnalytics, gst_media_analytics, GST_TYPE_ELEMENT,
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
static void gst_media_analytics_set_bus(GstElement *element, GstBus *bus);
static gboolean gst_media_analytics_sink_event(GstPad *pad, GstObject *parent,
                                               GstEvent *event);
static gboolean gst_media_analytics_src_event(GstPad *pad, GstObject *parent,
                                              GstEvent *event);
static GstFlowReturn gst_media_analytics_chain(GstPad *pad, GstObject *parent,
                                               GstBuffer *buf);
static GstFlowReturn gst_media_analytics_chain_list(GstPad *pad, GstObject *parent,
                                                    GstBufferList *list);

GParamSpec *session_id_pspec;

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
   * GstMediaAnalytics:tls-ca-file:
   *
   * Path of a PEM file with one or more CA certificates, for an https
   * endpoint whose certificate a private certificate authority signed: a
   * certificate the system's trust refuses is accepted when it chains to one
   * of them and names the endpoint's host. Anything else stays refused.
   * NULL (the default): the system's trust only. The file is read at the
   * NULL to READY state change, which fails with a
   * #GST_RESOURCE_ERROR_SETTINGS error naming this property when the file
   * cannot be read or holds no certificate. A refused certificate gives a
   * WARNING message saying why; the events are retried as for an
   * unreachable endpoint.
   */
  install_string(gobject_class, PROP_TLS_CA_FILE, "tls-ca-file", "TLS CA file",
                 "PEM file of CA certificates the https endpoint's certificate may "
                 "chain to, besides the system's trust (NULL: the system's only)");

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
   * in nanoseconds. A request abandoned at its timeout is sent again (after
   * the backoff), so a timeout shorter than the time the server takes to
   * answer can make the server handle one request twice: a second session
   * for one sessionStart, an event counted twice. The default (30 s) is well
   * above what a healthy endpoint takes.
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
   * events-dropped-overflow, events-dropped-rejected,
   * events-dropped-no-session, events-dropped-flush (events-dropped by
   * reason), events-retried, sessions-started and buffers-seen, and the
   * #gint field last-http-status (0: no response yet).
   */
  g_object_class_install_property(
      gobject_class, PROP_STATS,
      g_param_spec_boxed(
          "stats", "Statistics",
          "Counters: events-generated, events-sent, events-queued, "
          "events-dropped (and by reason: events-dropped-overflow, -rejected, "
          "-no-session, -flush), events-retried, sessions-started, "
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
}

static void gst_media_analytics_init(GstMediaAnalytics *self) {
  self->priv = new MediaAnalyticsPrivate();
  g_weak_ref_init(&self->priv->mute_source, nullptr);
  g_weak_ref_set(&self->priv->target->element, self);

  /* Two pads that proxy caps and allocation: the element is not there as
   * far as negotiation is concerned, and its data path is a look at the
   * buffer and a push (no base class in between). Push mode only: an element
   * after it that would pull (a demuxer) is pushed to. */
  self->sinkpad = gst_pad_new_from_static_template(&sink_template, "sink");
  gst_pad_set_chain_function(self->sinkpad, GST_DEBUG_FUNCPTR(gst_media_analytics_chain));
  gst_pad_set_chain_list_function(self->sinkpad,
                                  GST_DEBUG_FUNCPTR(gst_media_analytics_chain_list));
  gst_pad_set_event_function(self->sinkpad,
                             GST_DEBUG_FUNCPTR(gst_media_analytics_sink_event));
  GST_PAD_SET_PROXY_CAPS(self->sinkpad);
  GST_PAD_SET_PROXY_ALLOCATION(self->sinkpad);
  gst_element_add_pad(GST_ELEMENT(self), self->sinkpad);

  self->srcpad = gst_pad_new_from_static_template(&src_template, "src");
  gst_pad_set_event_function(self->srcpad,
                             GST_DEBUG_FUNCPTR(gst_media_analytics_src_event));
  GST_PAD_SET_PROXY_CAPS(self->srcpad);
  GST_PAD_SET_PROXY_ALLOCATION(self->srcpad);
  gst_element_add_pad(GST_ELEMENT(self), self->srcpad);

  gst_segment_init(&self->segment, GST_FORMAT_UNDEFINED);
}

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
    case PROP_TLS_CA_FILE:
      return &Settings::tls_ca_file;
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

MediaAnalyticsStats stats_of_client(const SessionClient &client) {
  const mediaanalytics::SessionClientStats c = client.stats();
  MediaAnalyticsStats stats;
  stats.events_generated = c.generated;
  stats.events_sent = c.sent;
  stats.events_queued = c.queued;
  stats.events_dropped = c.dropped;
  for (int i = 0; i < static_cast<int>(mediaanalytics::DropReason::kCount); i++)
    stats.events_dropped_by[i] = c.dropped_by[i];
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
  constexpr int kDropOverflow = static_cast<int>(mediaanalytics::DropReason::kOverflow);
  constexpr int kDropRejected = static_cast<int>(mediaanalytics::DropReason::kRejected);
  constexpr int kDropNoSession = static_cast<int>(mediaanalytics::DropReason::kNoSession);
  constexpr int kDropFlush = static_cast<int>(mediaanalytics::DropReason::kFlush);

  // clang-format off
  return gst_structure_new("mediaanalytics-stats",
      "events-generated", G_TYPE_UINT64, stats.events_generated,
      "events-sent", G_TYPE_UINT64, stats.events_sent,
      "events-queued", G_TYPE_UINT64, stats.events_queued,
      "events-dropped", G_TYPE_UINT64, stats.events_dropped,
      "events-dropped-overflow", G_TYPE_UINT64, stats.events_dropped_by[kDropOverflow],
      "events-dropped-rejected", G_TYPE_UINT64, stats.events_dropped_by[kDropRejected],
      "events-dropped-no-session", G_TYPE_UINT64, stats.events_dropped_by[kDropNoSession],
      "events-dropped-flush", G_TYPE_UINT64, stats.events_dropped_by[kDropFlush],
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

  /* Read here, once per state change, not per request; an opted-out element
   * sends nothing and needs none. */
  std::shared_ptr<const mediaanalytics::TlsTrust> tls_trust;
  std::optional<mediaanalytics::SettingsProblem> problem = settings.validate();
  if (!problem && !settings.opt_out) {
    problem = mediaanalytics::load_tls_trust(settings, tls_trust);
  }

  /* Posting takes the object lock and runs bus handlers: not under priv->lock. */
  if (problem) {
    GST_ELEMENT_ERROR(
        self, RESOURCE, SETTINGS, ("%s", problem->message.c_str()),
        ("invalid configuration: property '%s'", problem->property.c_str()));
    return FALSE;
  }

  GST_INFO_OBJECT(self, "configured: sessions go to %s", settings.sessions_uri().c_str());
  std::lock_guard<std::mutex> lock(priv->lock);
  priv->snapshot = std::move(settings);
  priv->tls_trust = std::move(tls_trust);
  return TRUE;
}

bool gst_media_analytics_opted_out(GstMediaAnalytics *self) {
  std::lock_guard<std::mutex> lock(self->priv->lock);
  return self->priv->snapshot && self->priv->snapshot->opt_out;
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
      /* The pads are not active yet: nothing streams. */
      priv->buffers_seen.store(0, std::memory_order_relaxed);
      gst_segment_init(&self->segment, GST_FORMAT_UNDEFINED);
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

/* Where the latest data is, in stream time (start and end), for the
 * playhead estimate; returns the start (ns), or -1 when the segment gives
 * none. Streaming thread: atomic stores only. */
gint64 gst_media_analytics_note_data(MediaAnalyticsPrivate *priv,
                                     const GstSegment *segment, GstClockTime pts,
                                     GstClockTime duration) {
  if (segment->format != GST_FORMAT_TIME) {
    return -1;
  }
  const guint64 start = gst_segment_to_stream_time(segment, GST_FORMAT_TIME, pts);
  if (!GST_CLOCK_TIME_IS_VALID(start)) {
    return -1;
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
  return static_cast<gint64>(start);
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

/* The data path: `count` buffers of `bytes` in all (counted only for
 * compressed data), `last` the latest. Only the streaming thread writes these
 * counters, so a load and a store do (no locked instruction); the rest are
 * relaxed atomic stores of where and when the data is and a relaxed look at
 * play_pending: no lock, no allocation. Only the buffer that finds a play due
 * takes event_lock and submits it (a queue push). */
static inline void gst_media_analytics_see_data(GstMediaAnalytics *self, GstBuffer *last,
                                                guint64 count, guint64 bytes) {
  MediaAnalyticsPrivate *priv = self->priv;

  priv->buffers_seen.store(priv->buffers_seen.load(std::memory_order_relaxed) + count,
                           std::memory_order_relaxed);
  if (bytes > 0) {
    priv->bytes_seen.store(priv->bytes_seen.load(std::memory_order_relaxed) + bytes,
                           std::memory_order_relaxed);
  }
  priv->data_at_us.store(g_get_monotonic_time(), std::memory_order_relaxed);
  if (G_UNLIKELY(priv->in_gap.load(std::memory_order_relaxed))) {
    priv->in_gap.store(false, std::memory_order_relaxed);
  }

  const GstClockTime pts = GST_BUFFER_PTS(last);
  if (GST_CLOCK_TIME_IS_VALID(pts)) {
    const gint64 start_ns = gst_media_analytics_note_data(priv, &self->segment, pts,
                                                          GST_BUFFER_DURATION(last));
    if (start_ns >= 0) {
      gst_media_analytics_toc_data(self, start_ns);
    }
  }

  if (G_UNLIKELY(priv->play_pending.load(std::memory_order_relaxed))) {
    gst_media_analytics_data_flowing(self);
  }
}

/* The pads' parent is this element by construction: a checked cast (a type
 * lookup) would cost as much as the rest of the data path. */
#define GST_MEDIA_ANALYTICS_CAST(obj) (reinterpret_cast<GstMediaAnalytics *>(obj))

static GstFlowReturn gst_media_analytics_chain(GstPad *, GstObject *parent,
                                               GstBuffer *buf) {
  GstMediaAnalytics *self = GST_MEDIA_ANALYTICS_CAST(parent);
  const bool compressed = self->priv->compressed.load(std::memory_order_relaxed);
  gst_media_analytics_see_data(self, buf, 1, compressed ? gst_buffer_get_size(buf) : 0);
  return gst_pad_push(self->srcpad, buf);
}

/* A list goes on as a list: its length is counted, its latest timestamped
 * buffer says where the data is. */
static GstFlowReturn gst_media_analytics_chain_list(GstPad *, GstObject *parent,
                                                    GstBufferList *list) {
  GstMediaAnalytics *self = GST_MEDIA_ANALYTICS_CAST(parent);
  const guint length = gst_buffer_list_length(list);
  if (length > 0) {
    /* The latest buffer with a timestamp (muxers and payloaders often stamp
     * only the first of a list). */
    guint latest = length - 1;
    while (latest > 0 &&
           !GST_CLOCK_TIME_IS_VALID(GST_BUFFER_PTS(gst_buffer_list_get(list, latest)))) {
      latest--;
    }
    const bool compressed = self->priv->compressed.load(std::memory_order_relaxed);
    gst_media_analytics_see_data(self, gst_buffer_list_get(list, latest), length,
                                 compressed ? gst_buffer_list_calculate_size(list) : 0);
  }
  return gst_pad_push_list(self->srcpad, list);
}

static gboolean gst_media_analytics_sink_event(GstPad *pad, GstObject *parent,
                                               GstEvent *event) {
  GstMediaAnalytics *self = GST_MEDIA_ANALYTICS(parent);
  MediaAnalyticsPrivate *priv = self->priv;

  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_EOS:
      gst_media_analytics_end_of_stream(self, false);
      break;
    case GST_EVENT_FLUSH_START:
      gst_media_analytics_seek_started(self, GST_SEQNUM_INVALID, true);
      break;
    case GST_EVENT_FLUSH_STOP: {
      gst_segment_init(&self->segment, GST_FORMAT_UNDEFINED);
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
      gst_event_copy_segment(event, &self->segment);
      gst_media_analytics_segment(self, event);
      break;
    case GST_EVENT_TAG:
      gst_media_analytics_tags(self, event);
      break;
    default:
      break;
  }

  return gst_pad_event_default(pad, parent, event);
}

/* A SEEK on its way upstream: the viewer seeks. When upstream refuses it the
 * old segment plays on, and the next data ends the seek. */
static gboolean gst_media_analytics_src_event(GstPad *pad, GstObject *parent,
                                              GstEvent *event) {
  GstMediaAnalytics *self = GST_MEDIA_ANALYTICS(parent);
  MediaAnalyticsPrivate *priv = self->priv;

  if (GST_EVENT_TYPE(event) != GST_EVENT_SEEK) {
    return gst_pad_event_default(pad, parent, event);
  }
  GstSeekFlags flags = GST_SEEK_FLAG_NONE;
  gst_event_parse_seek(event, nullptr, nullptr, &flags, nullptr, nullptr, nullptr,
                       nullptr);
  /* An instant rate change moves nothing: playback goes on at another speed
   * (GST_EVENT_INSTANT_RATE_CHANGE follows in-band). */
  if (flags & GST_SEEK_FLAG_INSTANT_RATE_CHANGE) {
    return gst_pad_event_default(pad, parent, event);
  }
  gst_media_analytics_seek_started(self, gst_event_get_seqnum(event),
                                   (flags & GST_SEEK_FLAG_FLUSH) != 0);
  const gboolean handled = gst_pad_event_default(pad, parent, event);
  if (!handled) {
    const Instant now = instant_now();
    std::lock_guard<std::mutex> lock(priv->event_lock);
    priv->awaiting_segment.store(false, std::memory_order_relaxed);
    priv->tracker.seek_landed();
    commit(self, TrackerStep(), now);
  }
  return handled;
}
