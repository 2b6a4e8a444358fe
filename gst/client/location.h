// The session ID from a Sessions response, and the URLs of the two endpoints
// the client posts to (spec §1, §3.1).
#pragma once

#include <optional>
#include <string>

namespace mediaanalytics {

// The session ID in the Location header of a 201 (§3.1): it matches
// ^(?:https?://[^/]+)?/api/([^/]+)/sessions/([^/?#]+), so both the path form
// ("/api/v1/sessions/{sid}") and an absolute URL are accepted, and a trailing
// query or fragment is not part of the ID. The ID is opaque, of any length.
//
// The ID is returned percent-decoded, so that events_url() can escape it again
// without doubling the escapes ("a%2Fb" → "a/b" → "a%2Fb").
//
// Nothing for NULL, "", another path, a missing ID, or an ID whose escapes
// do not decode (e.g. "%zz", or "%00"): §3.1 counts a 201 without a usable
// Location as a failure.
std::optional<std::string> session_id_from_location(const char *location);

// {endpoint}/api/v1/sessions. `endpoint` is the collection host URL ({uri} in
// §1); trailing slashes on it are ignored.
std::string sessions_url(const std::string &endpoint);

// {endpoint}/api/v1/sessions/{sid}/events, with every character of `sid` other
// than the unreserved ones (RFC 3986: letters, digits, "-._~") percent-escaped,
// so that no ID can change the path.
std::string events_url(const std::string &endpoint, const std::string &sid);

}  // namespace mediaanalytics
