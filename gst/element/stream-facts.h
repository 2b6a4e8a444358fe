// What the pipeline says about the stream at the start of a viewing (its
// duration, whether it is live, its URI, its title) and the sessionStart made
// of it and the properties.
#pragma once

#include <gst/gst.h>

#include <optional>
#include <string>

#include "playback-tracker.h"
#include "settings.h"

namespace mediaanalytics {

// The strings come from the media, not from the application, and are
// sanitized (sanitize.h) before they are kept here.
struct StreamFacts {
  std::optional<double> duration_s;  // known and > 0
  bool live = false;                 // upstream answered a live latency
  // Upstream's answer to the URI query, through sanitize_uri(): without
  // credentials, query or fragment, which may hold secrets.
  std::optional<std::string> uri;
  std::optional<std::string> title;  // the first title tag, sanitize_text()
};

// Asks upstream of `sinkpad` for the duration, the latency and the URI
// (`title` is left for the caller, who saw the tags). Queries only: call it
// with no lock held, never from a bus sync handler.
StreamFacts query_stream_facts(GstPad *sinkpad);

// The sessionStart's params, whether its playheads are the second of the day,
// and its media.length, from the properties first and the pipeline second:
// media.id from media-id, else the URI (without credentials, query or
// fragment), else media.name, else "unknown"; media.name from media-name, else
// the title; media.length from media-length, else the duration (86400 for
// live or unknown); media.contentType from content-type, else "Live" or "VOD".
SessionInfo make_session_info(const Settings &settings, const StreamFacts &facts);

}  // namespace mediaanalytics
