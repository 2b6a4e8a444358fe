// libFuzzer target: any bytes as the Location header of a 201 (spec §3.1).
//
// Invariants: an ID the client accepts is 1 to kMaxSessionIdLength characters
// of the unreserved set [A-Za-z0-9-._~] and no dot segment ("." or ".."), so
// that it cannot change the URL it goes into; the events URL built with it parses, keeps
// the endpoint's host, and its path is exactly /api/v1/sessions/<id>/events; and the ID
// read back from the path form of that Location is the same ID.
#include "fuzz-support.h"
#include "location.h"

#include <glib.h>

#include <cstdint>
#include <string>

namespace {

constexpr char kEndpoint[] = "https://collector.example.com:8443/";
constexpr char kHost[] = "collector.example.com";

bool is_unreserved(char c) {
  return g_ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

void check_id(const std::string &id) {
  fuzz::require(!id.empty(), "a session ID is not empty");
  fuzz::require(id.size() <= mediaanalytics::kMaxSessionIdLength,
                "a session ID is at most kMaxSessionIdLength long", id);
  for (char c : id)
    fuzz::require(is_unreserved(c), "a session ID has unreserved characters only", id);
  fuzz::require(id != "." && id != "..", "a session ID is no dot segment", id);
}

void check_events_url(const std::string &id) {
  const std::string url = mediaanalytics::events_url(kEndpoint, id);
  g_autoptr(GUri) uri = g_uri_parse(url.c_str(), G_URI_FLAGS_ENCODED, nullptr);
  fuzz::require(uri != nullptr, "the events URL parses", url);
  fuzz::require(g_strcmp0(g_uri_get_host(uri), kHost) == 0,
                "the events URL keeps the endpoint's host", url);
  fuzz::require(g_uri_get_query(uri) == nullptr && g_uri_get_fragment(uri) == nullptr,
                "the events URL has no query nor fragment", url);
  fuzz::require(
      g_strcmp0(g_uri_get_path(uri), ("/api/v1/sessions/" + id + "/events").c_str()) == 0,
      "the events URL's path is /api/v1/sessions/<id>/events", url);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // A header value ends at its first NUL, as the client reads it.
  const std::string location(reinterpret_cast<const char *>(data), size);
  const std::optional<std::string> id =
      mediaanalytics::session_id_from_location(location.c_str());
  if (!id)
    return 0;
  check_id(*id);
  check_events_url(*id);
  const std::optional<std::string> again =
      mediaanalytics::session_id_from_location(("/api/v1/sessions/" + *id).c_str());
  fuzz::require(again && *again == *id, "the ID reads back the same from its Location",
                *id);
  return 0;
}
