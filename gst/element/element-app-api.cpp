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
void replay_pending_calls(GstMediaAnalytics *self, const Instant &now, double playhead) {
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
void post_late_rejections(GstMediaAnalytics *self) {
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

/* A call whose values come as structures (params, custom metadata). */
static gboolean structure_call(GstMediaAnalytics *self, AppCall call,
                               const GstStructure *params,
                               const GstStructure *custom = nullptr) {
  return gst_media_analytics_app_call(self, call, AppCallInput{params, custom, {}});
}

gboolean on_ad_break_start(GstMediaAnalytics *self, const GstStructure *params) {
  return structure_call(self, AppCall::kAdBreakStart, params);
}

gboolean on_ad_start(GstMediaAnalytics *self, const GstStructure *params,
                     const GstStructure *custom) {
  return structure_call(self, AppCall::kAdStart, params, custom);
}

gboolean on_chapter_start(GstMediaAnalytics *self, const GstStructure *params,
                          const GstStructure *custom) {
  return structure_call(self, AppCall::kChapterStart, params, custom);
}

static gboolean on_state(GstMediaAnalytics *self, AppCall call, const gchar *name) {
  return gst_media_analytics_app_call(self, call, {nullptr, nullptr, name ? name : ""});
}

gboolean on_state_start(GstMediaAnalytics *self, const gchar *name) {
  return on_state(self, AppCall::kStateStart, name);
}

gboolean on_state_end(GstMediaAnalytics *self, const gchar *name) {
  return on_state(self, AppCall::kStateEnd, name);
}

gboolean on_track_error(GstMediaAnalytics *self, const gchar *id, const gchar *source) {
  GstStructure *params = gst_structure_new("error", "media.errorId", G_TYPE_STRING,
                                           id ? id : "", "media.errorSource",
                                           G_TYPE_STRING, source ? source : "", nullptr);
  const gboolean accepted = structure_call(self, AppCall::kTrackError, params);
  gst_structure_free(params);
  return accepted;
}

#define NO_DATA_CALL(fn, call)                                       \
  gboolean fn(GstMediaAnalytics *self) {                             \
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
bool gst_media_analytics_custom_event(GstMediaAnalytics *self, GstEvent *event) {
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
