// See location.h.
#include "location.h"

#include <glib.h>

#include <algorithm>
#include <memory>

namespace mediaanalytics {
namespace {

// §3.1's pattern, as it is written there.
constexpr const char *kLocationPattern =
    "^(?:https?://[^/]+)?/api/([^/]+)/sessions/([^/?#]+)";

constexpr const char *kApiPath = "/api/v1/sessions";

struct RegexUnref {
  void operator()(GRegex *regex) const { g_regex_unref(regex); }
};

// Compiled once; a GRegex is immutable, so every thread may match with it.
// It lives until the program exits. G_REGEX_RAW: a header value is bytes, not
// necessarily UTF-8, and the ID is opaque.
const GRegex *location_regex() {
  static const std::unique_ptr<GRegex, RegexUnref> regex(
      g_regex_new(kLocationPattern, GRegexCompileFlags(G_REGEX_RAW | G_REGEX_OPTIMIZE),
                  GRegexMatchFlags(0), nullptr));
  return regex.get();
}

// RFC 3986 §2.3: ALPHA / DIGIT / "-" / "." / "_" / "~".
bool is_unreserved(char c) {
  return g_ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

// See location.h: what may be placed in a URL path as one segment, as is.
bool is_valid_session_id(const std::string &sid) {
  if (sid.empty() || sid.size() > kMaxSessionIdLength || sid == "." || sid == "..") {
    return false;
  }
  return std::all_of(sid.begin(), sid.end(), is_unreserved);
}

std::string without_trailing_slashes(const std::string &endpoint) {
  const std::size_t end = endpoint.find_last_not_of('/');
  return end == std::string::npos ? std::string() : endpoint.substr(0, end + 1);
}

}  // namespace

std::optional<std::string> session_id_from_location(const char *location) {
  if (location == nullptr || *location == '\0') {
    return std::nullopt;
  }
  g_autoptr(GMatchInfo) match = nullptr;
  if (!g_regex_match(location_regex(), location, GRegexMatchFlags(0), &match)) {
    return std::nullopt;
  }
  g_autofree gchar *raw = g_match_info_fetch(match, 2);
  // NULL when the escapes are malformed or decode to a NUL byte.
  g_autofree gchar *decoded = g_uri_unescape_string(raw, nullptr);
  if (decoded == nullptr) {
    return std::nullopt;
  }
  std::string sid(decoded);
  if (!is_valid_session_id(sid)) {
    return std::nullopt;
  }
  return sid;
}

std::string sessions_url(const std::string &endpoint) {
  return without_trailing_slashes(endpoint) + kApiPath;
}

std::string events_url(const std::string &endpoint, const std::string &sid) {
  // No reserved characters allowed through, and non-ASCII bytes escaped too.
  g_autofree gchar *escaped = g_uri_escape_string(sid.c_str(), nullptr, FALSE);
  return sessions_url(endpoint) + "/" + escaped + "/events";
}

}  // namespace mediaanalytics
