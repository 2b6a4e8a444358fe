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

// What the mediaanalytics element's properties say, as a plain C++ value: no
// GObject code, so it can be copied (snapshotted at NULL→READY), handed to the
// client and unit-tested on its own. Every field is named after its property.

#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "event.h"
#include "tls-trust.h"

namespace mediaanalytics {

// GstClockTime-style durations, in nanoseconds.
inline constexpr uint64_t kSecond = 1000000000;
inline constexpr uint64_t kMillisecond = 1000000;

// The first thing wrong with a configuration.
struct SettingsProblem {
  std::string property;  // the property name, e.g. "report-suite"
  std::string message;   // a sentence that names the property in quotes
};

struct Settings {
  static constexpr const char *kDefaultPlayerName = "GStreamer";
  static constexpr double kDefaultMediaLength = -1;
  static constexpr uint64_t kDefaultPingInterval = 10 * kSecond;
  static constexpr uint64_t kDefaultAdPingInterval = 1 * kSecond;
  // Long: a request abandoned at its timeout is sent again, and one a slow
  // server was still handling then counts twice (a second session).
  static constexpr uint64_t kDefaultRequestTimeout = 30 * kSecond;
  static constexpr uint64_t kDefaultFlushTimeout = 2 * kSecond;
  static constexpr unsigned kDefaultMaxQueue = 1000;
  static constexpr uint64_t kDefaultStallThreshold = 3 * kSecond;
  static constexpr uint64_t kDefaultIdleTimeout = 30 * 60 * kSecond;
  static constexpr uint64_t kDefaultPrerollWait = 250 * kMillisecond;

  // std::nullopt is the property's NULL; an empty string is kept as set (so
  // that it reads back as "") but counts as missing where a value is required.
  std::optional<std::string> endpoint;
  // A PEM file of CA certificates an https endpoint may chain to, besides
  // the system's trust; unset or empty: the system's trust only.
  std::optional<std::string> tls_ca_file;
  std::optional<std::string> tracking_server;
  std::optional<std::string> report_suite;
  std::optional<std::string> org_id;
  std::optional<std::string> visitor_id;
  std::optional<std::string> ecid;
  std::optional<std::string> app_installation_id;
  std::optional<std::string> media_id;
  std::optional<std::string> media_name;
  double media_length = kDefaultMediaLength;  // seconds; negative: from the pipeline
  std::optional<std::string> content_type;    // unset or empty: "VOD" or "Live"
  std::optional<std::string> player_name = std::string(kDefaultPlayerName);
  std::optional<std::string> channel;
  bool enable_ssl = false;
  uint64_t ping_interval = kDefaultPingInterval;
  uint64_t ad_ping_interval = kDefaultAdPingInterval;
  uint64_t request_timeout = kDefaultRequestTimeout;
  uint64_t flush_timeout = kDefaultFlushTimeout;
  unsigned max_queue = kDefaultMaxQueue;
  uint64_t stall_threshold = kDefaultStallThreshold;  // 0: no stall detection
  uint64_t idle_timeout = kDefaultIdleTimeout;
  uint64_t preroll_wait = kDefaultPrerollWait;  // 0: the first play does not wait
  // The metadata property: standard keys of the sessionStart (spec §9.3,
  // §9.4, §9.12 and a few of §9.1/§9.2), as converted from its GstStructure.
  Params metadata;
  // The custom-metadata property (spec §10).
  CustomMetadata custom_metadata;
  // A value of those two that could not be converted (set_property cannot
  // fail, so validate() reports it): the sentence that says why.
  std::optional<std::string> metadata_problem;
  std::optional<std::string> custom_metadata_problem;
  // Send nothing at all: a pure passthrough (spec §14).
  bool opt_out = false;
  // Chapters from the stream's table of contents.
  bool toc_chapters = true;

  // The first problem, in property order: a value the pipeline cannot supply is
  // missing (endpoint, tracking-server, report-suite, org-id, player-name,
  // channel), the endpoint is not an http(s) base URI, media-length is NaN,
  // metadata holds a key that is no standard sessionStart key or a value of
  // the wrong type, or custom-metadata breaks spec §10. With opt-out set
  // nothing is required: nothing is sent.
  std::optional<SettingsProblem> validate() const;

  // The endpoint without trailing slashes, e.g. "https://h/base". Only
  // meaningful once validate() found nothing.
  std::string endpoint_base() const;
  // Where sessionStart goes: endpoint_base() + "/api/v1/sessions".
  std::string sessions_uri() const;

  // Whether the media-length property asks the pipeline for the duration.
  bool media_length_from_pipeline() const { return media_length < 0; }
  // Whether content-type asks for "VOD" or "Live" to be derived.
  bool content_type_from_pipeline() const {
    return !content_type || content_type->empty();
  }
};

// The metadata property's values as the wire wants them: a number given for
// a key the spec types as a string (gst-launch reads media.season=1 as an
// integer) becomes its decimal text. Other values are left for validate().
Params normalize_metadata(Params metadata);

// Loads the CA file of tls-ca-file into `trust` (null when it is unset or
// empty), or returns the problem naming the property: a file that cannot be
// read or holds no PEM certificate.
std::optional<SettingsProblem> load_tls_trust(const Settings &settings,
                                              std::shared_ptr<const TlsTrust> &trust);

// The problem with `endpoint` as a base URI of the Media Collection API, or
// std::nullopt when it is fine.
std::optional<SettingsProblem> check_endpoint(const std::string &endpoint);

}  // namespace mediaanalytics
