// The session ID from a Sessions response, and the URLs of the two endpoints
// the client posts to (spec §1, §3.1).
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace mediaanalytics {

// The longest session ID accepted, in characters. Adobe's IDs are 64 hex
// digits (§3.1's sample) and its reporting pages speak of ~22 characters;
// four times the longest leaves room for a server that prefixes its IDs or
// moves to a longer format, while a hostile or broken server cannot make
// every events URL of the session (the ID is in each) kilobytes long.
inline constexpr std::size_t kMaxSessionIdLength = 256;

// The session ID in the Location header of a 201 (§3.1): it matches
// ^(?:https?://[^/]+)?/api/([^/]+)/sessions/([^/?#]+), so both the path form
// ("/api/v1/sessions/{sid}") and an absolute URL are accepted, and a trailing
// query or fragment is not part of the ID.
//
// The ID is percent-decoded ("%41" is "A"), then validated before it can be
// placed in a URL path: 1 to kMaxSessionIdLength characters, all from the
// RFC 3986 unreserved set [A-Za-z0-9-._~], and not the dot segments "." or
// ".." (a URL with them would name another path once normalized). So no ID
// can change the events URL's path, add a query, or break its text, whatever
// the server (or someone between it and us) sends.
//
// Nothing for NULL, "", another path, a missing ID, an ID whose escapes do
// not decode (e.g. "%zz"), and an ID that is not valid as above (e.g. "a%2Fb",
// "a b", "%00", non-ASCII): §3.1 counts a 201 without a usable Location as a
// failure.
std::optional<std::string> session_id_from_location(const char *location);

// {endpoint}/api/v1/sessions. `endpoint` is the collection host URL ({uri} in
// §1); trailing slashes on it are ignored.
std::string sessions_url(const std::string &endpoint);

// {endpoint}/api/v1/sessions/{sid}/events, with every character of `sid` other
// than the unreserved ones (RFC 3986: letters, digits, "-._~") percent-escaped:
// session_id_from_location() lets no such character through, and this is the
// second line of defence, so that no ID can change the path.
std::string events_url(const std::string &endpoint, const std::string &sid);

}  // namespace mediaanalytics
