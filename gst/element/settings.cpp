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

#include "settings.h"

#include <glib.h>

#include <cmath>
#include <variant>

#include "event-params.h"

namespace mediaanalytics {

namespace {

bool missing(const std::optional<std::string> &value) {
  return !value || value->empty();
}

SettingsProblem required(const char *property, const char *what) {
  return {property, std::string("property '") + property + "' is required: " + what};
}

SettingsProblem bad_endpoint(const std::string &why) {
  return {"endpoint", "property 'endpoint' is not a valid base URI: " + why};
}

// The sessionStart keys the metadata property may set, and whether each is a
// boolean (else a string): the content standard metadata (§9.3), the audio
// metadata (§9.4), CCPA (§9.12), and the optional ids of §9.1/§9.2 that no
// other property sets. The rest of sessionStart comes from the other
// properties and the pipeline.
struct MetadataKey {
  const char *key;
  bool boolean;
};

constexpr MetadataKey kMetadataKeys[] = {
    {"media.streamFormat", false},
    {"media.show", false},
    {"media.season", false},
    {"media.episode", false},
    {"media.assetId", false},
    {"media.genre", false},
    {"media.firstAirDate", false},
    {"media.firstDigitalDate", false},
    {"media.rating", false},
    {"media.originator", false},
    {"media.network", false},
    {"media.showType", false},
    {"media.adLoad", false},
    {"media.pass.mvpd", false},
    {"media.pass.auth", false},
    {"media.dayPart", false},
    {"media.feed", false},
    {"media.artist", false},
    {"media.album", false},
    {"media.label", false},
    {"media.author", false},
    {"media.station", false},
    {"media.publisher", false},
    {"media.sdkVersion", false},
    {"media.streamType", false},
    {"analytics.aid", false},
    {"analytics.optOutServerSideForwarding", true},
    {"analytics.optOutShare", true},
};

const MetadataKey *metadata_key(const std::string &key) {
  for (const MetadataKey &candidate : kMetadataKeys)
    if (key == candidate.key)
      return &candidate;
  return nullptr;
}

std::optional<SettingsProblem> check_metadata(const Params &metadata) {
  for (const auto &[key, value] : metadata) {
    const MetadataKey *known = metadata_key(key);
    if (!known)
      return SettingsProblem{"metadata",
                             "property 'metadata': '" + key +
                                 "' is no standard sessionStart metadata key (spec §9.3, "
                                 "§9.4, §9.12); put your own keys in custom-metadata"};
    const bool ok = known->boolean ? std::holds_alternative<bool>(value)
                                   : std::holds_alternative<std::string>(value);
    if (!ok)
      return SettingsProblem{"metadata", "property 'metadata': '" + key + "' must be " +
                                             (known->boolean ? "a boolean" : "a string")};
    if (key == "media.streamType" && std::get<std::string>(value) != "video" &&
        std::get<std::string>(value) != "audio")
      return SettingsProblem{
          "metadata",
          "property 'metadata': 'media.streamType' must be \"video\" or "
          "\"audio\""};
  }
  return std::nullopt;
}

}  // namespace

std::optional<SettingsProblem> check_endpoint(const std::string &endpoint) {
  g_autoptr(GError) error = nullptr;
  g_autoptr(GUri) uri = g_uri_parse(endpoint.c_str(), G_URI_FLAGS_NONE, &error);
  if (!uri) {
    return bad_endpoint(error->message);
  }
  const char *scheme = g_uri_get_scheme(uri);
  if (g_ascii_strcasecmp(scheme, "http") != 0 &&
      g_ascii_strcasecmp(scheme, "https") != 0) {
    return bad_endpoint("the scheme must be http or https, not '" + std::string(scheme) +
                        "'");
  }
  // Before the host: "http://u:p@" has no host either, and the message must
  // not repeat the credentials.
  if (g_uri_get_userinfo(uri) != nullptr) {
    return bad_endpoint("it must not carry user information (user:password@)");
  }
  const char *host = g_uri_get_host(uri);
  if (host == nullptr || host[0] == '\0') {
    return bad_endpoint("'" + endpoint + "' has no host");
  }
  if (g_uri_get_query(uri) != nullptr) {
    return bad_endpoint("'" + endpoint + "' has a query; requests go to " +
                        "{endpoint}/api/v1/sessions");
  }
  if (g_uri_get_fragment(uri) != nullptr) {
    return bad_endpoint("'" + endpoint + "' has a fragment");
  }
  return std::nullopt;
}

std::optional<SettingsProblem> load_tls_trust(const Settings &settings,
                                              std::shared_ptr<const TlsTrust> &trust) {
  trust.reset();
  if (missing(settings.tls_ca_file)) {
    return std::nullopt;
  }
  std::string why;
  trust = TlsTrust::load(*settings.tls_ca_file, why);
  if (!trust) {
    return SettingsProblem{"tls-ca-file", "property 'tls-ca-file': " + why};
  }
  return std::nullopt;
}

std::optional<SettingsProblem> Settings::validate() const {
  if (opt_out) {
    return std::nullopt;
  }
  if (missing(endpoint)) {
    return required("endpoint",
                    "the base URI of the Media Collection API, e.g. "
                    "https://collector.example.com (requests go to "
                    "{endpoint}/api/v1/sessions)");
  }
  if (auto problem = check_endpoint(*endpoint)) {
    return problem;
  }
  if (missing(tracking_server)) {
    return required("tracking-server",
                    "the Adobe Analytics tracking server (analytics.trackingServer)");
  }
  if (missing(report_suite)) {
    return required("report-suite", "the Adobe report suite id (analytics.reportSuite)");
  }
  if (missing(org_id)) {
    return required("org-id",
                    "the Adobe Experience Cloud organization id "
                    "(visitor.marketingCloudOrgId)");
  }
  if (std::isnan(media_length)) {
    return SettingsProblem{"media-length",
                           "property 'media-length' must be a number of seconds, or "
                           "negative to take the duration from the pipeline"};
  }
  if (missing(player_name)) {
    return required("player-name", "the name of the player (media.playerName)");
  }
  if (missing(channel)) {
    return required("channel", "the distribution channel of the content (media.channel)");
  }
  if (metadata_problem) {
    return SettingsProblem{"metadata", "property 'metadata': " + *metadata_problem};
  }
  if (auto problem = check_metadata(metadata)) {
    return problem;
  }
  if (custom_metadata_problem) {
    return SettingsProblem{"custom-metadata",
                           "property 'custom-metadata': " + *custom_metadata_problem};
  }
  if (auto problem = check_custom_metadata(custom_metadata)) {
    return SettingsProblem{"custom-metadata",
                           "property 'custom-metadata': " + problem->message};
  }
  return std::nullopt;
}

Params normalize_metadata(Params metadata) {
  Params out;
  for (auto &[key, value] : metadata) {
    const MetadataKey *known = metadata_key(key);
    if (known && !known->boolean) {
      if (const int64_t *number = std::get_if<int64_t>(&value)) {
        out.set(key, std::to_string(*number));
        continue;
      }
    }
    out.set(key, std::move(value));
  }
  return out;
}

std::string Settings::endpoint_base() const {
  std::string base = endpoint.value_or("");
  // validate() refused a query and a fragment, so the path ends the string.
  while (!base.empty() && base.back() == '/') {
    base.pop_back();
  }
  return base;
}

std::string Settings::sessions_uri() const {
  return endpoint_base() + "/api/v1/sessions";
}

}  // namespace mediaanalytics
