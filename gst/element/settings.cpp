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

std::optional<SettingsProblem> Settings::validate() const {
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
  return std::nullopt;
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

std::string media_id_from_uri(const std::string &uri) {
  g_autoptr(GUri) parsed = g_uri_parse(uri.c_str(), G_URI_FLAGS_ENCODED, nullptr);
  if (!parsed) {
    // Not a URI GLib understands: keep what comes before a query or fragment.
    return uri.substr(0, uri.find_first_of("?#"));
  }
  g_autofree char *clean = g_uri_join(
      G_URI_FLAGS_ENCODED, g_uri_get_scheme(parsed), nullptr, g_uri_get_host(parsed),
      g_uri_get_port(parsed), g_uri_get_path(parsed), nullptr, nullptr);
  return clean;
}

}  // namespace mediaanalytics
