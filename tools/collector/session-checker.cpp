// Session-level findings of the collector (see session-checker.h).
//
// Finding codes. They are stable: tools and docs match on them.
//
//   event-before-session-start  An event's playerTime.ts is earlier than the
//                               sessionStart's ts.
//   session-start-repeated      A sessionStart arrived on the events endpoint;
//                               it belongs only on /api/v1/sessions, once.
//   ts-not-increasing           playerTime.ts is not strictly greater than the
//                               largest ts of the session's accepted events
//                               so far (spec §2: strictly increasing).
//   gap-too-long                The ts gap since that largest ts exceeds the
//                               ping interval in force (main or ad) plus the
//                               slack (spec §7). Not checked after
//                               sessionComplete or sessionEnd.
//   playhead-out-of-range       playhead outside [0, media.length) for VOD or
//                               [0, 86400) for live/linear content (spec §8).
//   event-between-break-and-ad  Any event (ping included) between adBreakStart
//                               and the adStart that must follow it (§6.4).
//   ad-outside-break            adStart/adComplete/adSkip/adBreakComplete with
//                               no ad break open, or adComplete/adSkip with no
//                               ad open.
//   ad-not-closed               adStart while an ad is open, or adBreakStart
//                               while a break is open.
//   chapter-overlap             chapterStart while a chapter is still open.
//   chapter-not-open            chapterComplete/chapterSkip with no chapter
//                               open.
//   play-before-preroll         A main-content play before the pre-roll's
//                               adStart (§6.2). Reported once per session.
//   left-open-at-end            sessionComplete, sessionEnd or the session's
//                               close with an ad break, ad or chapter open.
//   event-after-session-end     An event after sessionEnd; the back end drops
//                               it. A repeated sessionEnd is exempt (§4.2:
//                               it is idempotent).
//   params-on-ping              A ping that carries a params member.
//   qoe-outside-qoedata         A media.qoe.* key in params, at the top level
//                               or in customMetadata, or a bare QoE name
//                               (bitrate, ...) inside qoeData.
//   custom-metadata-invalid     customMetadata that is not an object, or one
//                               of its keys with a non-string value, a name
//                               outside ^[a-zA-Z0-9_.]+$, or a reserved
//                               prefix (a., media.). One finding per key.
//   value-out-of-range          A number of the right type whose value the
//                               spec rules out, e.g. a negative playerTime.ts,
//                               a sessionStart media.length <= 0, a
//                               podPosition or chapter index below 1, a
//                               negative QoE value (kValueRules). One finding
//                               per key. A negative playhead is
//                               playhead-out-of-range instead.
//
// The last four are the per-request checks (SessionChecker::check_request):
// they run on every request, accepted or not. The others only on accepted
// requests, because rejected ones never reach the back end.

#include "session-checker.h"

#include "json-util.h"

#include <cstdarg>
#include <cstring>

namespace collector {

namespace {

// Live playheads are the second of the day (spec §8).
constexpr double kSecondsPerDay = 86400;
constexpr const char *kQoePrefix = "media.qoe.";
// The QoE keys of spec §9.11 without their media.qoe. prefix.
constexpr const char *kBareQoeNames[] = {"bitrate", "droppedFrames", "framesPerSecond",
                                         "timeToStart"};

enum OpenBits : unsigned { kOpenBreak = 1u, kOpenAd = 2u, kOpenChapter = 4u };

std::string printf_string(const char *format, ...) G_GNUC_PRINTF(1, 2);

std::string printf_string(const char *format, ...) {
  va_list args;
  va_start(args, format);
  g_autofree char *text = g_strdup_vprintf(format, args);
  va_end(args);
  return text;
}

void add(std::vector<Finding> &findings, const char *code, std::string message) {
  findings.push_back(Finding{code, std::move(message)});
}

bool starts_with(const char *text, const char *prefix) {
  return std::strncmp(text, prefix, std::strlen(prefix)) == 0;
}

bool is_bare_qoe_name(const char *key) {
  for (const char *name : kBareQoeNames) {
    if (std::strcmp(key, name) == 0)
      return true;
  }
  return false;
}

bool is_valid_metadata_key(const char *key) {
  if (*key == '\0')
    return false;
  for (const char *c = key; *c; ++c) {
    if (!g_ascii_isalnum(*c) && *c != '_' && *c != '.')
      return false;
  }
  return true;
}

// --- Per-request checks (SessionChecker::check_request): they look at one
// request alone and need no session state. ---

void check_params_on_ping(JsonObject *event, std::vector<Finding> &findings) {
  if (g_strcmp0(string_member(event, "eventType"), "ping") != 0 ||
      !member(event, "params"))
    return;
  add(findings, "params-on-ping",
      "ping carries a params member; a ping body holds only playerTime and "
      "eventType, so leave params out");
}

// QoE values only count inside qoeData; the variable pages that put them in
// params are wrong for the Collection API (spec §9.11, §16 #6).
void check_qoe_keys_in(JsonObject *object, const char *where,
                       std::vector<Finding> &findings) {
  if (!object)
    return;
  JsonObjectIter iter;
  const char *key = nullptr;
  JsonNode *value = nullptr;
  json_object_iter_init_ordered(&iter, object);
  while (json_object_iter_next_ordered(&iter, &key, &value)) {
    if (starts_with(key, kQoePrefix))
      add(findings, "qoe-outside-qoedata",
          printf_string("%s is %s; move it into the qoeData object", key, where));
  }
}

void check_qoe_placement(JsonObject *event, std::vector<Finding> &findings) {
  check_qoe_keys_in(object_member(event, "params"), "in params", findings);
  check_qoe_keys_in(event, "at the top level of the body", findings);
  check_qoe_keys_in(object_member(event, "customMetadata"), "in customMetadata",
                    findings);

  JsonObject *qoe = object_member(event, "qoeData");
  if (!qoe)
    return;
  JsonObjectIter iter;
  const char *key = nullptr;
  JsonNode *value = nullptr;
  json_object_iter_init_ordered(&iter, qoe);
  while (json_object_iter_next_ordered(&iter, &key, &value)) {
    if (is_bare_qoe_name(key))
      add(findings, "qoe-outside-qoedata",
          printf_string("qoeData key %s lacks its prefix; send it as %s%s", key,
                        kQoePrefix, key));
  }
}

// What is wrong with one customMetadata entry, as a "; "-separated list, or ""
// when nothing is.
std::string metadata_entry_problems(const char *key, JsonNode *value) {
  std::string problems;
  auto note = [&problems](const char *problem) {
    if (!problems.empty())
      problems += "; ";
    problems += problem;
  };
  if (!is_valid_metadata_key(key))
    note("the key must match ^[a-zA-Z0-9_.]+$");
  if (starts_with(key, "a."))
    note("the a. prefix is reserved for Adobe standard metadata, use another key");
  else if (starts_with(key, "media."))
    note("the media. prefix can overwrite standard media fields, use another key");
  if (!as_string(value))
    note("the value must be a string, convert numbers and booleans before sending");
  return problems;
}

void check_custom_metadata(JsonObject *event, std::vector<Finding> &findings) {
  JsonNode *metadata = member(event, "customMetadata");
  if (!metadata)
    return;
  JsonObject *entries = as_object(metadata);
  if (!entries) {
    add(findings, "custom-metadata-invalid",
        "customMetadata is not an object; send a flat object of string values");
    return;
  }
  JsonObjectIter iter;
  const char *key = nullptr;
  JsonNode *value = nullptr;
  json_object_iter_init_ordered(&iter, entries);
  while (json_object_iter_next_ordered(&iter, &key, &value)) {
    const std::string problems = metadata_entry_problems(key, value);
    if (!problems.empty())
      add(findings, "custom-metadata-invalid",
          printf_string("customMetadata key \"%s\": %s", key, problems.c_str()));
  }
}

// Bounds on numbers that the spec gives in prose, or that our choices in its
// §16 set, rather than in its parameter tables. The schemas leave them out (a
// back end following the tables accepts such values), so they are advice.
enum class Bound {
  kAtLeast,  // value >= bound
  kAbove,    // value > bound
};

struct ValueRule {
  const char *event_type;  // the eventType it applies to; nullptr: every one
  const char *object;      // the body member that holds the key
  const char *key;         // a key of `object`; "prefix*" is every key with prefix
  double bound;
  Bound kind;
  const char *why;  // completes "it must be >= 0: ..."
};

const ValueRule kValueRules[] = {
    // {event type, object, key, bound, kind, why}
    {nullptr, "playerTime", "ts", 0, Bound::kAtLeast,
     "it counts milliseconds since the Unix epoch, UTC (spec §2)"},
    {"sessionStart", "params", "media.length", 0, Bound::kAbove,
     "it is the content's real duration in seconds, 86400 for live content of "
     "unknown length (spec §8)"},
    {"adBreakStart", "params", "media.ad.podIndex", 0, Bound::kAtLeast,
     "it counts the content's ad breaks from 0, the pre-roll (spec §16 #9)"},
    {"adBreakStart", "params", "media.ad.podSecond", 0, Bound::kAtLeast,
     "it is the content second where the break sits, 0 for a pre-roll (spec §9.5)"},
    {"adStart", "params", "media.ad.length", 0, Bound::kAtLeast,
     "it is the ad's duration in seconds (spec §9.6)"},
    {"adStart", "params", "media.ad.podPosition", 1, Bound::kAtLeast,
     "it counts the ads of a break from 1 (spec §16 #8)"},
    {"chapterStart", "params", "media.chapter.index", 1, Bound::kAtLeast,
     "it counts chapters from 1 (spec §9.8)"},
    {"chapterStart", "params", "media.chapter.offset", 0, Bound::kAtLeast,
     "it is the content second where the chapter starts (spec §9.8)"},
    {"chapterStart", "params", "media.chapter.length", 0, Bound::kAtLeast,
     "it is the chapter's duration in seconds (spec §9.8)"},
    {nullptr, "qoeData", "media.qoe.*", 0, Bound::kAtLeast,
     "QoE values are bitrates, cumulative counts, rates and durations (spec §9.11)"},
};

bool within(double value, const ValueRule &rule) {
  return rule.kind == Bound::kAbove ? value > rule.bound : value >= rule.bound;
}

// A JSON number as sent: integers exactly, others to 15 significant digits.
std::string format_number(JsonNode *node) {
  if (json_node_get_value_type(node) == G_TYPE_INT64)
    return printf_string("%" G_GINT64_FORMAT, json_node_get_int(node));
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];
  return g_ascii_formatd(buffer, sizeof buffer, "%.15g", json_node_get_double(node));
}

// Values that are no numbers are left to the schema.
void check_value(const ValueRule &rule, const char *key, JsonNode *value,
                 std::vector<Finding> &findings) {
  const std::optional<double> number = as_number(value);
  if (!number || within(*number, rule))
    return;
  add(findings, "value-out-of-range",
      printf_string("%s in %s is %s, but it must be %s %g: %s", key, rule.object,
                    format_number(value).c_str(),
                    rule.kind == Bound::kAbove ? ">" : ">=", rule.bound, rule.why));
}

void check_value_rule(const ValueRule &rule, JsonObject *event,
                      std::vector<Finding> &findings) {
  if (rule.event_type &&
      g_strcmp0(string_member(event, "eventType"), rule.event_type) != 0)
    return;
  JsonObject *object = object_member(event, rule.object);
  if (!object)
    return;
  const size_t length = std::strlen(rule.key);
  if (length == 0 || rule.key[length - 1] != '*') {
    if (JsonNode *value = member(object, rule.key))
      check_value(rule, rule.key, value, findings);
    return;
  }
  const std::string prefix(rule.key, length - 1);
  JsonObjectIter iter;
  const char *key = nullptr;
  JsonNode *value = nullptr;
  json_object_iter_init_ordered(&iter, object);
  while (json_object_iter_next_ordered(&iter, &key, &value)) {
    if (starts_with(key, prefix.c_str()))
      check_value(rule, key, value, findings);
  }
}

void check_value_ranges(JsonObject *event, std::vector<Finding> &findings) {
  for (const ValueRule &rule : kValueRules)
    check_value_rule(rule, event, findings);
}

// "an ad break, an ad and a chapter" for the bits of open_mask().
std::string describe_open(unsigned mask) {
  std::vector<const char *> parts;
  if (mask & kOpenBreak)
    parts.push_back("an ad break");
  if (mask & kOpenAd)
    parts.push_back("an ad");
  if (mask & kOpenChapter)
    parts.push_back("a chapter");
  std::string text;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0)
      text += i + 1 == parts.size() ? " and " : ", ";
    text += parts[i];
  }
  return text;
}

// The events that would have closed what is open, innermost first.
std::string describe_closers(unsigned mask) {
  std::string text;
  auto append = [&text](const char *closer) {
    if (!text.empty())
      text += ", then ";
    text += closer;
  };
  if (mask & kOpenAd)
    append("adComplete or adSkip");
  if (mask & kOpenBreak)
    append("adBreakComplete");
  if (mask & kOpenChapter)
    append("chapterComplete or chapterSkip");
  return text;
}

}  // namespace

SessionChecker::SessionChecker(const CheckerOptions &options) : options_(options) {}

std::vector<Finding> SessionChecker::check_request(JsonNode *body) {
  std::vector<Finding> findings;
  JsonObject *event = as_object(body);
  if (!event)
    return findings;
  check_params_on_ping(event, findings);
  check_qoe_placement(event, findings);
  check_custom_metadata(event, findings);
  check_value_ranges(event, findings);
  return findings;
}

std::vector<Finding> SessionChecker::observe(JsonNode *body, bool accepted,
                                             bool to_sessions_endpoint) {
  std::vector<Finding> findings = check_request(body);
  // Rejected requests never reached the back end: they neither break the
  // sequence nor move it on.
  JsonObject *event = as_object(body);
  if (event && accepted)
    observe_sequence(event, to_sessions_endpoint, findings);
  return findings;
}

std::vector<Finding> SessionChecker::close() {
  std::vector<Finding> findings;
  if (closed_)
    return findings;
  closed_ = true;
  report_left_open("the session closed", findings);
  return findings;
}

void SessionChecker::observe_sequence(JsonObject *event, bool to_sessions_endpoint,
                                      std::vector<Finding> &findings) {
  const char *type_name = string_member(event, "eventType");
  if (!type_name)
    return;  // nothing to place in the sequence (the schema rejects it anyway)
  const std::string type = type_name;

  if (ended_) {
    // The back end has dropped this; anything more about it would be noise.
    if (type != "sessionEnd")
      add(findings, "event-after-session-end",
          printf_string("%s was sent after sessionEnd, which closes the session at once, "
                        "so the back end drops it; send sessionEnd only when nothing "
                        "more will follow",
                        type.c_str()));
    return;
  }

  const std::optional<int64_t> ts = player_time_ts(event);
  const bool opens_session = type == "sessionStart" && to_sessions_endpoint;
  if (opens_session) {
    begin_session(event, ts);
  } else if (type == "sessionStart") {
    add(findings, "session-start-repeated",
        "sessionStart arrived on the events endpoint; send it once, to "
        "/api/v1/sessions, and open a new session there (media.resume: true) to "
        "continue after an expiry");
  }

  check_timing(type, opens_session, ts, findings);
  check_playhead(type, player_time_playhead(event), findings);

  const unsigned open_before = open_mask();
  apply_event(type, event, findings);
  if (open_mask() != open_before)
    left_open_reported_ = false;  // something new may be left open later
}

void SessionChecker::begin_session(JsonObject *event, std::optional<int64_t> ts) {
  started_ = true;
  start_ts_ = ts.value_or(0);
  JsonObject *params = object_member(event, "params");
  const char *content_type = string_member(params, "media.contentType");
  live_ = content_type && (g_ascii_strcasecmp(content_type, "live") == 0 ||
                           g_ascii_strcasecmp(content_type, "linear") == 0);
  media_length_ = number_member(params, "media.length");
}

void SessionChecker::check_timing(const std::string &type, bool opens_session,
                                  std::optional<int64_t> ts,
                                  std::vector<Finding> &findings) {
  if (!ts)
    return;
  if (started_ && !opens_session && *ts < start_ts_)
    add(findings, "event-before-session-start",
        printf_string("%s has playerTime.ts %" G_GINT64_FORMAT
                      ", earlier than the sessionStart's %" G_GINT64_FORMAT
                      "; nothing may precede sessionStart, and ts must be taken when "
                      "the event happens",
                      type.c_str(), *ts, start_ts_));

  if (latest_ts_ && *ts <= *latest_ts_) {
    add(findings, "ts-not-increasing",
        printf_string("%s has playerTime.ts %" G_GINT64_FORMAT
                      ", not after %" G_GINT64_FORMAT
                      ", the latest ts the session has seen; the back end orders "
                      "events by ts, so keep it strictly increasing, at least 1 ms apart",
                      type.c_str(), *ts, *latest_ts_));
    // The latest ts stays the reference: a ts from the past is no sign of life
    // that the gap to the next event could be measured from.
    return;
  }
  if (latest_ts_ && !completed_) {
    // The interval in force is the one of the state before this event: an ad
    // is playing from adStart until adComplete/adSkip.
    const int64_t interval = in_ad_ ? options_.ad_ping_ms : options_.main_ping_ms;
    const int64_t limit = interval + options_.gap_slack_ms;
    // Exact even for ts at both ends of int64 (ts > latest_ts_ here), where
    // the signed difference would overflow.
    const uint64_t gap = static_cast<uint64_t>(*ts) - static_cast<uint64_t>(*latest_ts_);
    if (limit < 0 || gap > static_cast<uint64_t>(limit))
      add(findings, "gap-too-long",
          printf_string("%" G_GUINT64_FORMAT
                        " ms passed before this %s, more than the %s "
                        "ping interval of %" G_GINT64_FORMAT " ms plus %" G_GINT64_FORMAT
                        " ms slack; keep the ping timer running, also while paused or "
                        "buffering",
                        gap, type.c_str(), in_ad_ ? "ad" : "main-content", interval,
                        options_.gap_slack_ms));
  }
  latest_ts_ = ts;
}

void SessionChecker::check_playhead(const std::string &type,
                                    std::optional<double> playhead,
                                    std::vector<Finding> &findings) const {
  if (!playhead)
    return;
  // A VOD length that is missing or not positive gives no usable upper bound.
  std::optional<double> upper;
  if (live_)
    upper = kSecondsPerDay;
  else if (media_length_ && *media_length_ > 0)
    upper = media_length_;
  if (*playhead >= 0 && (!upper || *playhead < *upper))
    return;

  const std::string range =
      upper ? printf_string("[0, %g)", *upper) : std::string("[0, ...)");
  add(findings, "playhead-out-of-range",
      printf_string("%s has playhead %g, outside %s; %s", type.c_str(), *playhead,
                    range.c_str(),
                    live_ ? "for live content send the second of the day"
                          : "send the content position in seconds, below media.length"));
}

void SessionChecker::apply_event(const std::string &type, JsonObject *event,
                                 std::vector<Finding> &findings) {
  // adBreakComplete ends an empty pod, and session ends are reported as
  // left-open-at-end; everything else must wait for the adStart.
  if (break_awaits_ad_ && type != "adStart" && type != "adBreakComplete" &&
      type != "sessionComplete" && type != "sessionEnd")
    add(findings, "event-between-break-and-ad",
        printf_string("%s was sent between adBreakStart and its adStart; send adStart "
                      "straight after adBreakStart, with nothing (not even a ping) "
                      "in between",
                      type.c_str()));

  if (type == "play") {
    // A play inside an ad resumes the ad (e.g. after buffering); any other
    // play is meant for the main content and counts as its start.
    if (!in_ad_)
      content_played_ = true;
  } else if (type == "adBreakStart") {
    const std::optional<double> pod_second =
        number_member(object_member(event, "params"), "media.ad.podSecond");
    if (in_break_)
      add(findings, "ad-not-closed",
          "adBreakStart while the previous ad break is still open; close it with "
          "adBreakComplete first, so that every break comes in a pair");
    // A pre-roll is the session's first break, sitting at content second 0.
    preroll_awaits_ad_ = !had_break_ && pod_second && *pod_second == 0;
    had_break_ = true;
    in_break_ = true;
    break_awaits_ad_ = true;
    if (preroll_awaits_ad_)
      check_play_before_preroll(type, findings);
  } else if (type == "adStart") {
    if (!in_break_)
      add(findings, "ad-outside-break",
          "adStart with no ad break open; the back end ignores ads outside "
          "adBreakStart ... adBreakComplete and books their time as main content, so "
          "send adBreakStart first, even for a single ad");
    else if (in_ad_)
      add(findings, "ad-not-closed",
          "adStart while the previous ad is still open; close each ad with adComplete "
          "or adSkip before the next adStart");
    if (preroll_awaits_ad_) {
      check_play_before_preroll(type, findings);
      preroll_awaits_ad_ = false;
    }
    break_awaits_ad_ = false;
    in_ad_ = true;
  } else if (type == "adComplete" || type == "adSkip") {
    if (!in_break_)
      add(findings, "ad-outside-break",
          printf_string("%s with no ad break open; ads must sit between adBreakStart "
                        "and adBreakComplete",
                        type.c_str()));
    else if (!in_ad_)
      add(findings, "ad-outside-break",
          printf_string("%s with no ad open; close each ad exactly once, with adComplete "
                        "or adSkip, after its adStart",
                        type.c_str()));
    in_ad_ = false;
  } else if (type == "adBreakComplete") {
    if (!in_break_)
      add(findings, "ad-outside-break",
          "adBreakComplete with no ad break open; adBreakStart and adBreakComplete "
          "come in pairs");
    // The break takes any unclosed ad with it: the player is back on content.
    in_break_ = false;
    break_awaits_ad_ = false;
    preroll_awaits_ad_ = false;
    in_ad_ = false;
  } else if (type == "chapterStart") {
    if (in_chapter_)
      add(findings, "chapter-overlap",
          "chapterStart while the previous chapter is still open; chapters never "
          "overlap, so close it with chapterComplete or chapterSkip first");
    in_chapter_ = true;
  } else if (type == "chapterComplete" || type == "chapterSkip") {
    if (!in_chapter_)
      add(findings, "chapter-not-open",
          printf_string("%s with no chapter open; send it once per chapter, after its "
                        "chapterStart",
                        type.c_str()));
    in_chapter_ = false;
  } else if (type == "sessionComplete") {
    report_left_open("sessionComplete arrived", findings);
    completed_ = true;
  } else if (type == "sessionEnd") {
    report_left_open("sessionEnd arrived", findings);
    ended_ = true;
  }
}

void SessionChecker::check_play_before_preroll(const std::string &type,
                                               std::vector<Finding> &findings) {
  if (!content_played_ || preroll_reported_)
    return;
  preroll_reported_ = true;
  add(findings, "play-before-preroll",
      printf_string("a main-content play came before this pre-roll %s; the back end "
                    "counts a content start even if the viewer leaves during the "
                    "pre-roll, so send the first play only after the pre-roll's "
                    "adBreakComplete",
                    type.c_str()));
}

void SessionChecker::report_left_open(const std::string &when,
                                      std::vector<Finding> &findings) {
  const unsigned open = open_mask();
  if (open == 0 || left_open_reported_)
    return;
  left_open_reported_ = true;
  add(findings, "left-open-at-end",
      printf_string("%s with %s still open; send %s before ending the session",
                    when.c_str(), describe_open(open).c_str(),
                    describe_closers(open).c_str()));
}

unsigned SessionChecker::open_mask() const {
  return (in_break_ ? kOpenBreak : 0u) | (in_ad_ ? kOpenAd : 0u) |
         (in_chapter_ ? kOpenChapter : 0u);
}

}  // namespace collector
