// libFuzzer target: strings from the stream (tags, TOC titles, the source's
// URI: any bytes, invalid UTF-8, control characters, huge values) on their way
// into a request body.
//
// The input is a bound for sanitize_text() (its first byte: below 128 it is
// the bound in bytes, otherwise the default kMaxTextBytes), an event type
// (its second byte), then strings cut from the rest. Each string goes
// through sanitize_text() and sanitize_uri(); the results become the params
// (and custom metadata, and states) of one event, and the raw strings those
// of another.
//
// Invariants: a sanitized string is valid UTF-8 without control characters,
// within its bound, without white space at either end, and sanitizing it
// again changes nothing; a sanitized URI has no query, fragment nor
// credentials left. The body of the sanitized event is valid UTF-8, parses
// as JSON and is json-glib's text of the same event. The body of the raw
// event is valid JSON too.
#include "event.h"
#include "fuzz-support.h"
#include "sanitize.h"

#include <glib.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using mediaanalytics::Event;

// Enough to fill each part of an event at least once.
constexpr std::size_t kMaxStrings = 64;

bool is_control(gunichar c) {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F);
}

void check_text(const std::string &text, std::size_t max_bytes) {
  fuzz::require(fuzz::is_utf8(text), "sanitized text is UTF-8", text);
  fuzz::require(text.size() <= max_bytes, "sanitized text is within its bound", text);
  for (const char *c = text.c_str(); c < text.c_str() + text.size();
       c = g_utf8_next_char(c))
    fuzz::require(!is_control(g_utf8_get_char(c)),
                  "sanitized text has no control character", text);
  if (!text.empty()) {
    const gunichar first = g_utf8_get_char(text.c_str());
    const gunichar last =
        g_utf8_get_char(g_utf8_find_prev_char(text.c_str(), text.c_str() + text.size()));
    fuzz::require(!g_unichar_isspace(first) && !g_unichar_isspace(last),
                  "sanitized text is trimmed", text);
  }
  fuzz::require(mediaanalytics::sanitize_text(text, max_bytes) == text,
                "sanitizing sanitized text changes nothing", text);
}

void check_uri(const std::string &raw, const std::string &uri) {
  check_text(uri, mediaanalytics::kMaxTextBytes);
  const std::string shown = raw + " -> " + uri;
  fuzz::require(uri.find_first_of("?#") == std::string::npos,
                "a sanitized URI has no query nor fragment", shown);
  const std::size_t scheme_end = uri.find("//");
  if (scheme_end != std::string::npos && uri.find('/') == scheme_end) {
    const std::size_t authority = scheme_end + 2;
    const std::size_t path = std::min(uri.find('/', authority), uri.size());
    fuzz::require(uri.substr(authority, path - authority).find('@') == std::string::npos,
                  "a sanitized URI has no credentials", shown);
  }
}

// One event that carries every string: as param values (and one as a key),
// custom metadata pairs and state names. Which event type: `type_byte`.
Event event_of(const std::vector<std::string> &strings, uint8_t type_byte) {
  const auto &types = mediaanalytics::all_event_types();
  Event event;
  event.type = types[type_byte % types.size()];
  event.ts_ms = 1700000000000;
  event.playhead = 12.5;
  for (std::size_t i = 0; i < strings.size(); i++) {
    const std::string &s = strings[i];
    switch (i % 4) {
      case 0:
        event.params.set("tag." + std::to_string(i), s);
        break;
      case 1:
        event.params.set(s, static_cast<int64_t>(i));
        break;
      case 2:
        // The element's custom metadata never repeats a key (a GstStructure,
        // and check_custom_metadata()); with one repeated, the writer would
        // keep both and json-glib the last.
        if (std::none_of(event.custom.begin(), event.custom.end(),
                         [&s](const auto &pair) { return pair.first == s; }))
          event.custom.emplace_back(s, strings[i - 1]);
        break;
      default:
        (i % 8 == 3 ? event.states_start : event.states_end).push_back(s);
        break;
    }
  }
  return event;
}

void check_sanitized_body(const Event &event) {
  const std::string body = mediaanalytics::event_to_body(event);
  fuzz::require(fuzz::is_utf8(body), "a body of sanitized strings is UTF-8", body);
  std::string error;
  fuzz::require(fuzz::parses_as_json(body, &error), "a body of sanitized strings parses",
                error + ": " + body);
  g_autoptr(JsonNode) reference = mediaanalytics::event_to_json(event);
  const std::string expected = fuzz::json_glib_text(reference);
  fuzz::require(expected == body,
                "a body of sanitized strings is json-glib's text of the event",
                fuzz::first_difference(body, expected));
}

void check_raw_body(const Event &event) {
  const std::string body = mediaanalytics::event_to_body(event);
  std::string error;
  fuzz::require(fuzz::is_utf8(body) && fuzz::parses_as_json(body, &error),
                "a body of raw strings is valid JSON", error + ": " + body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz::StringCutter cut(data, size);
  const uint8_t bound = cut.next_byte();
  const std::size_t max_bytes = bound < 128 ? bound : mediaanalytics::kMaxTextBytes;
  const uint8_t type_byte = cut.next_byte();
  std::vector<std::string> raw;
  std::vector<std::string> sanitized;
  while (!cut.empty() && raw.size() < kMaxStrings) {
    raw.push_back(cut.next());
    const std::string text = mediaanalytics::sanitize_text(raw.back(), max_bytes);
    check_text(text, max_bytes);
    check_uri(raw.back(), mediaanalytics::sanitize_uri(raw.back()));
    sanitized.push_back(text);
  }
  check_sanitized_body(event_of(sanitized, type_byte));
  check_raw_body(event_of(raw, type_byte));
  return 0;
}
