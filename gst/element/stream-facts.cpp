#include "stream-facts.h"

#include <glib.h>

#include "sanitize.h"

namespace mediaanalytics {

namespace {

// media.length when the pipeline cannot tell (unknown duration, live): the day
// that the Collection API takes for live content.
constexpr double kUnknownMediaLength = 86400.0;

const std::string *given(const std::optional<std::string> &value) {
  return value && !value->empty() ? &*value : nullptr;
}

// Live and linear content report the second of the day as playhead (spec §8).
bool is_live_content_type(const std::string &content_type) {
  return g_ascii_strcasecmp(content_type.c_str(), "Live") == 0 ||
         g_ascii_strcasecmp(content_type.c_str(), "Linear") == 0;
}

}  // namespace

StreamFacts query_stream_facts(GstPad *sinkpad) {
  StreamFacts facts;

  gint64 duration = -1;
  if (gst_pad_peer_query_duration(sinkpad, GST_FORMAT_TIME, &duration) && duration > 0)
    facts.duration_s = static_cast<double>(duration) / static_cast<double>(GST_SECOND);

  GstQuery *query = gst_query_new_latency();
  if (gst_pad_peer_query(sinkpad, query)) {
    gboolean live = FALSE;
    gst_query_parse_latency(query, &live, nullptr, nullptr);
    facts.live = live;
  }
  gst_query_unref(query);

  query = gst_query_new_uri();
  if (gst_pad_peer_query(sinkpad, query)) {
    g_autofree gchar *uri = nullptr;
    gst_query_parse_uri(query, &uri);
    if (uri) {
      std::string clean = sanitize_uri(uri);
      if (!clean.empty())
        facts.uri = std::move(clean);
    }
  }
  gst_query_unref(query);
  return facts;
}

SessionInfo make_session_info(const Settings &settings, const StreamFacts &facts) {
  SessionInfo info;
  Params &params = info.params;
  params.set("analytics.trackingServer", *settings.tracking_server);
  params.set("analytics.reportSuite", *settings.report_suite);
  params.set("visitor.marketingCloudOrgId", *settings.org_id);
  if (const std::string *v = given(settings.visitor_id))
    params.set("analytics.visitorId", *v);
  if (const std::string *v = given(settings.ecid))
    params.set("visitor.marketingCloudUserId", *v);
  if (const std::string *v = given(settings.app_installation_id))
    params.set("appInstallationId", *v);

  const std::string *name = given(settings.media_name);
  if (!name)
    name = given(facts.title);
  std::string media_id = "unknown";
  if (const std::string *id = given(settings.media_id))
    media_id = *id;
  else if (facts.uri)
    media_id = *facts.uri;
  else if (name)
    media_id = *name;
  params.set("media.id", media_id);
  if (name)
    params.set("media.name", *name);

  info.length = kUnknownMediaLength;
  if (!settings.media_length_from_pipeline())
    info.length = settings.media_length;
  else if (!facts.live && facts.duration_s)
    info.length = *facts.duration_s;
  params.set("media.length", info.length);

  const std::string content_type = settings.content_type_from_pipeline()
                                       ? std::string(facts.live ? "Live" : "VOD")
                                       : *settings.content_type;
  info.live = is_live_content_type(content_type);
  params.set("media.contentType", content_type);
  params.set("media.playerName", *settings.player_name);
  params.set("media.channel", *settings.channel);
  params.set("analytics.enableSSL", settings.enable_ssl);
  for (const auto &[key, value] : settings.metadata)
    params.set(key, value);
  info.custom = settings.custom_metadata;
  return info;
}

}  // namespace mediaanalytics
