// The request bodies the client builds from Events (gst/client/event.h).
//
// Every body is read back as JSON and validated against the collector's schema
// of its event type (tools/collector/event-schemas.h), which validates exactly
// as the server does: a body that passes here is one the endpoint accepts.
// The values follow timeline 1 (/work/shared/spec/timeline-1.md) where it has
// them.
#include <gst/check/gstcheck.h>

#include <json-glib/json-glib.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "event-schemas.h"
#include "event.h"
#include "json-schema.h"

using mediaanalytics::CustomMetadata;
using mediaanalytics::Event;
using mediaanalytics::EventType;
using mediaanalytics::Params;
using mediaanalytics::Value;

namespace {

// Timeline 1's session start; an event at t seconds has ts kT0 + t × 1000, plus
// 1 ms per earlier request at the same t.
constexpr int64_t kT0 = 1700000000000;

int64_t at(int seconds, int same_t_index = 0) {
  return kT0 + int64_t{seconds} * 1000 + same_t_index;
}

Event make(EventType type, int64_t ts, double playhead) {
  Event event;
  event.type = type;
  event.ts_ms = ts;
  event.playhead = playhead;
  return event;
}

// Timeline-1 action 1 with the 8 keys §5 requires, and optional keys of every
// JSON type a session param may have.
Event session_start() {
  Event e = make(EventType::kSessionStart, at(0), 0);
  e.params.set("analytics.trackingServer", "example.sc.omtrdc.net")
      .set("analytics.reportSuite", "example-rsid")
      .set("visitor.marketingCloudOrgId", "0123456789ABCDEF@AdobeOrg")
      .set("media.id", "VA API Sample Player")
      .set("media.length", 60.3333333333333)
      .set("media.contentType", "VOD")
      .set("media.playerName", "sample-html5-api-player")
      .set("media.channel", "sample-channel")
      .set("media.name", "ClickMe")
      .set("media.sdkVersion", "va-api-0.0.0")
      .set("analytics.visitorId", "visitor-1")
      .set("analytics.enableSSL", false)
      .set("media.resume", true)
      .set("visitor.aamLocationHint", 9);
  e.qoe.time_to_start = 850;
  e.custom = {{"tier", "gold"}, {"show_id.v2", "42"}};
  return e;
}

// Timeline-1 action 3.
Event ad_break_start() {
  Event e = make(EventType::kAdBreakStart, at(0, 1), 0);
  e.params.set("media.ad.podFriendlyName", "ad_pod1")
      .set("media.ad.podIndex", 0)
      .set("media.ad.podSecond", 0.0);
  return e;
}

// Timeline-1 action 4, without the podFriendlyName it carries by mistake.
Event ad_start() {
  Event e = make(EventType::kAdStart, at(0, 2), 0);
  e.params.set("media.ad.id", "001")
      .set("media.ad.name", "Ad 1")
      .set("media.ad.length", 15.0)
      .set("media.ad.podPosition", 1)
      .set("media.ad.playerName", "Sample Player")
      .set("media.ad.advertiser", "Ad Guys")
      .set("media.ad.campaignId", "1")
      .set("media.ad.creativeId", "42")
      .set("media.ad.siteId", "XYZ")
      .set("media.ad.creativeURL", "https://example.com")
      .set("media.ad.placementId", "sample_placement");
  e.custom = {{"myCustomData1", "CustomData1"}, {"myCustomData2", "CustomData2"}};
  return e;
}

// A chapter over the content up to timeline 1's mid-roll.
Event chapter_start() {
  Event e = make(EventType::kChapterStart, at(22, 3), 0);
  e.params.set("media.chapter.index", 1)
      .set("media.chapter.offset", 0.0)
      .set("media.chapter.length", 21.0)
      .set("media.chapter.friendlyName", "Opening");
  e.custom = {{"segment", "intro"}};
  return e;
}

Event error_event() {
  Event e = make(EventType::kError, at(40, 1), 15);
  e.params.set("media.errorId", "NET-404").set("media.errorSource", "external");
  e.qoe.dropped_frames = 3;
  return e;
}

Event states_update() {
  Event e = make(EventType::kStatesUpdate, at(42), 17);
  e.states_start = {"fullScreen"};
  e.states_end = {"mute"};
  return e;
}

Event bitrate_change() {
  Event e = make(EventType::kBitrateChange, at(80, 1), 37.25);
  e.qoe.bitrate = 4500000;
  e.qoe.dropped_frames = 3;
  e.qoe.frames_per_second = 30;
  e.qoe.time_to_start = 850;
  return e;
}

// One representative event of every type (§5 order).
std::vector<Event> representatives() {
  return {
      session_start(),
      make(EventType::kPlay, at(22, 2), 0),  // action 11
      make(EventType::kPing, at(30), 8),     // action 12
      make(EventType::kBufferStart, at(33), 11),
      make(EventType::kPauseStart, at(64), 31),
      bitrate_change(),
      error_event(),
      ad_break_start(),
      ad_start(),
      make(EventType::kAdComplete, at(15), 0),  // action 6
      make(EventType::kAdSkip, at(54), 21),
      make(EventType::kAdBreakComplete, at(22, 1), 0),  // action 10
      chapter_start(),
      make(EventType::kChapterComplete, at(46), 21),
      make(EventType::kChapterSkip, at(74, 1), 31),
      states_update(),
      make(EventType::kSessionComplete, at(88), 45),  // action 26
      make(EventType::kSessionEnd, at(90), 45),
  };
}

// The body of `event` parsed back; fails the test when it is not JSON.
JsonNode *parsed_body(const Event &event) {
  const std::string body = mediaanalytics::event_to_body(event);
  GError *error = nullptr;
  JsonNode *node = json_from_string(body.c_str(), &error);
  fail_unless(node != nullptr && error == nullptr, "%s body is not JSON (%s): %s",
              mediaanalytics::event_type_name(event.type),
              error ? error->message : "empty", body.c_str());
  return node;
}

// "" when the body of `event` validates against its event type's schema, else
// the violation.
std::string violation(const Event &event) {
  g_autoptr(JsonNode) schema =
      collector::event_schema(mediaanalytics::event_type_name(event.type));
  fail_unless(schema != nullptr, "no schema for %s",
              mediaanalytics::event_type_name(event.type));
  g_autoptr(JsonNode) body = parsed_body(event);
  const auto found = collector::validate(schema, body);
  if (!found) {
    return "";
  }
  return found->pointer + ": " + found->reason;
}

void assert_valid(const Event &event) {
  const std::string found = violation(event);
  fail_unless(found.empty(), "%s: %s in %s", mediaanalytics::event_type_name(event.type),
              found.c_str(), mediaanalytics::event_to_body(event).c_str());
}

// The names of the body's top-level members, in order.
std::vector<std::string> members(JsonNode *body) {
  std::vector<std::string> names;
  JsonObject *object = json_node_get_object(body);
  g_autoptr(GList) list = json_object_get_members(object);
  for (GList *l = list; l != nullptr; l = l->next) {
    names.emplace_back(static_cast<const char *>(l->data));
  }
  return names;
}

std::vector<std::string> member_names(JsonObject *object) {
  std::vector<std::string> names;
  g_autoptr(GList) list = json_object_get_members(object);
  for (GList *l = list; l != nullptr; l = l->next) {
    names.emplace_back(static_cast<const char *>(l->data));
  }
  return names;
}

JsonObject *object_at(JsonNode *body, const char *name) {
  JsonObject *root = json_node_get_object(body);
  return json_object_has_member(root, name) ? json_object_get_object_member(root, name)
                                            : nullptr;
}

GType value_type(JsonObject *object, const char *name) {
  JsonNode *node = json_object_get_member(object, name);
  fail_unless(node != nullptr && JSON_NODE_HOLDS_VALUE(node), "%s is not a value", name);
  return json_node_get_value_type(node);
}

std::string join(const std::vector<std::string> &names) {
  std::string text;
  for (const std::string &name : names) {
    text += (text.empty() ? "" : ",") + name;
  }
  return text;
}

}  // namespace

GST_START_TEST(test_event_type_names_are_those_of_section_5) {
  const auto &types = mediaanalytics::all_event_types();
  fail_unless(types.size() == mediaanalytics::kEventTypeCount,
              "expected %zu event types, got %zu", mediaanalytics::kEventTypeCount,
              types.size());
  std::vector<std::string> names;
  for (EventType type : types) {
    names.emplace_back(mediaanalytics::event_type_name(type));
  }
  // The collector's list is the server's: same names, same (§5) order.
  fail_unless(names == collector::event_types(), "names differ from the collector's: %s",
              join(names).c_str());
  fail_unless(g_str_equal(mediaanalytics::event_type_name(EventType::kAdBreakComplete),
                          "adBreakComplete"),
              "wrong name for kAdBreakComplete");
}
GST_END_TEST;

GST_START_TEST(test_every_event_type_validates) {
  std::set<EventType> covered;
  for (const Event &event : representatives()) {
    assert_valid(event);
    covered.insert(event.type);
  }
  fail_unless(covered.size() == mediaanalytics::kEventTypeCount,
              "only %zu event types have a representative", covered.size());
}
GST_END_TEST;

// The shape of three bodies in full, so that a validating but wrong body (a
// dropped optional key, say) is caught too.
GST_START_TEST(test_bodies_are_exact) {
  Event play = make(EventType::kPlay, at(22, 2), 0);
  fail_unless(mediaanalytics::event_to_body(play) ==
                  R"({"playerTime":{"playhead":0.0,"ts":1700000022002},)"
                  R"("eventType":"play"})",
              "play body: %s", mediaanalytics::event_to_body(play).c_str());

  const std::string ad_break = mediaanalytics::event_to_body(ad_break_start());
  fail_unless(ad_break == R"({"playerTime":{"playhead":0.0,"ts":1700000000001},)"
                          R"("eventType":"adBreakStart","params":{)"
                          R"("media.ad.podFriendlyName":"ad_pod1",)"
                          R"("media.ad.podIndex":0,"media.ad.podSecond":0.0}})",
              "adBreakStart body: %s", ad_break.c_str());

  const std::string states = mediaanalytics::event_to_body(states_update());
  fail_unless(states == R"({"playerTime":{"playhead":17.0,"ts":1700000042000},)"
                        R"("eventType":"statesUpdate","params":{)"
                        R"("statesStart":[{"media.state.name":"fullScreen"}],)"
                        R"("statesEnd":[{"media.state.name":"mute"}]}})",
              "statesUpdate body: %s", states.c_str());
}
GST_END_TEST;

GST_START_TEST(test_event_to_json_matches_body) {
  for (const Event &event : representatives()) {
    g_autoptr(JsonNode) node = mediaanalytics::event_to_json(event);
    fail_unless(node != nullptr && JSON_NODE_HOLDS_OBJECT(node), "%s: no object",
                mediaanalytics::event_type_name(event.type));
    g_autofree gchar *text = json_to_string(node, FALSE);
    fail_unless(mediaanalytics::event_to_body(event) == text,
                "%s: event_to_body differs from event_to_json: %s",
                mediaanalytics::event_type_name(event.type), text);
  }
}
GST_END_TEST;

// Strings from the stream or the application with quotes, backslashes,
// control characters and non-ASCII text: the wire text is still json-glib's.
GST_START_TEST(test_body_with_awkward_strings_matches_json) {
  Event event = session_start();
  event.params.set("media.name", "Quote \" backslash \\ tab\t newline\n bell\x07");
  event.params.set("media.show", "Fußball – 1080p 😀 </script>");
  event.custom.emplace_back("a.key", "ctrl\x01\x02 del\x7f");
  g_autoptr(JsonNode) node = mediaanalytics::event_to_json(event);
  g_autofree gchar *text = json_to_string(node, FALSE);
  const std::string body = mediaanalytics::event_to_body(event);
  fail_unless(body == text, "event_to_body: %s\njson-glib: %s", body.c_str(), text);
  assert_valid(event);
}
GST_END_TEST;

// Bytes that are not UTF-8 (a stray byte, a character cut short) in a value
// the application gave: the body is still JSON, each such byte is U+FFFD, and
// json-glib's text is the same.
GST_START_TEST(test_body_with_invalid_utf8_is_json) {
  Event event = session_start();
  event.params.set("media.name", "latin-1 caf\xE9 and a cut \xE2\x82");
  event.custom.emplace_back("a.key", "\xFF\xFE");
  g_autoptr(JsonNode) node = mediaanalytics::event_to_json(event);
  g_autofree gchar *text = json_to_string(node, FALSE);
  const std::string body = mediaanalytics::event_to_body(event);
  fail_unless(body == text, "event_to_body: %s\njson-glib: %s", body.c_str(), text);
  assert_valid(event);
  g_autoptr(JsonNode) parsed = parsed_body(event);
  JsonObject *params =
      json_object_get_object_member(json_node_get_object(parsed), "params");
  fail_unless_equals_string(json_object_get_string_member(params, "media.name"),
                            "latin-1 caf\uFFFD and a cut \uFFFD\uFFFD");
}
GST_END_TEST;

GST_START_TEST(test_ping_has_only_player_time_and_event_type) {
  Event ping = make(EventType::kPing, at(30), 8);
  ping.params.set("media.ad.podIndex", 1);
  ping.qoe.bitrate = 1000;
  ping.qoe.dropped_frames = 2;
  ping.custom = {{"tier", "gold"}};
  ping.states_start = {"mute"};
  assert_valid(ping);
  g_autoptr(JsonNode) body = parsed_body(ping);
  const std::string names = join(members(body));
  fail_unless(names == "playerTime,eventType", "ping members: %s", names.c_str());
}
GST_END_TEST;

// params and qoeData left empty are left out, never sent as {}.
GST_START_TEST(test_empty_sections_are_left_out) {
  for (EventType type : mediaanalytics::all_event_types()) {
    if (type == EventType::kSessionStart || type == EventType::kAdBreakStart ||
        type == EventType::kAdStart || type == EventType::kChapterStart ||
        type == EventType::kStatesUpdate) {
      continue;  // their params are required
    }
    Event event = make(type, at(1), 1);
    assert_valid(event);
    g_autoptr(JsonNode) body = parsed_body(event);
    const std::string names = join(members(body));
    fail_unless(names == "playerTime,eventType", "%s members: %s",
                mediaanalytics::event_type_name(type), names.c_str());
  }
  // Only qoeData set: params stays out.
  Event play = make(EventType::kPlay, at(22), 0);
  play.qoe.dropped_frames = 0;
  assert_valid(play);
  g_autoptr(JsonNode) body = parsed_body(play);
  const std::string names = join(members(body));
  fail_unless(names == "playerTime,eventType,qoeData", "play members: %s", names.c_str());
  const std::string qoe = join(member_names(object_at(body, "qoeData")));
  fail_unless(qoe == "media.qoe.droppedFrames", "qoeData members: %s", qoe.c_str());
}
GST_END_TEST;

// §2: the back end checks JSON types exactly.
GST_START_TEST(test_integers_and_numbers_on_the_wire) {
  g_autoptr(JsonNode) start = parsed_body(session_start());
  JsonObject *player_time = object_at(start, "playerTime");
  fail_unless(value_type(player_time, "ts") == G_TYPE_INT64, "ts is not an integer");
  fail_unless(value_type(player_time, "playhead") == G_TYPE_DOUBLE,
              "playhead is not a number");
  JsonObject *params = object_at(start, "params");
  fail_unless(value_type(params, "media.length") == G_TYPE_DOUBLE,
              "media.length is not a number");
  fail_unless(json_object_get_double_member(params, "media.length") == 60.3333333333333,
              "media.length lost precision");
  fail_unless(value_type(params, "visitor.aamLocationHint") == G_TYPE_INT64,
              "visitor.aamLocationHint is not an integer");
  fail_unless(value_type(params, "analytics.enableSSL") == G_TYPE_BOOLEAN,
              "analytics.enableSSL is not a boolean");
  fail_unless(value_type(params, "media.id") == G_TYPE_STRING,
              "media.id is not a string");
  fail_unless(
      value_type(object_at(start, "qoeData"), "media.qoe.timeToStart") == G_TYPE_INT64,
      "timeToStart is not an integer");

  g_autoptr(JsonNode) ad_break = parsed_body(ad_break_start());
  JsonObject *pod = object_at(ad_break, "params");
  fail_unless(value_type(pod, "media.ad.podIndex") == G_TYPE_INT64,
              "media.ad.podIndex is not an integer");
  // A whole double stays a number: 0.0 on the wire.
  fail_unless(value_type(pod, "media.ad.podSecond") == G_TYPE_DOUBLE,
              "media.ad.podSecond is not a number");

  // The schema check bites on the type: a podIndex given as a double fails.
  Event wrong = ad_break_start();
  wrong.params.set("media.ad.podIndex", 0.0);
  fail_unless(violation(wrong).find("media.ad.podIndex") != std::string::npos,
              "a double podIndex validated: %s", violation(wrong).c_str());
  // And an int64_t length is an integer, which "number" accepts.
  Event whole = session_start();
  whole.params.set("media.length", int64_t{60});
  assert_valid(whole);
}
GST_END_TEST;

// The Params overloads pin the JSON type of what the caller passes.
GST_START_TEST(test_params_set_types) {
  Params params;
  params.set("s", "text")
      .set("t", std::string("more"))
      .set("i", 7)
      .set("l", int64_t{1} << 40)
      .set("d", 7.0)
      .set("b", true)
      .set("v", Value(int64_t{3}));
  fail_unless(params.size() == 7, "expected 7 params, got %zu", params.size());
  fail_unless(std::holds_alternative<std::string>(*params.find("s")), "s: not a string");
  fail_unless(std::holds_alternative<std::string>(*params.find("t")), "t: not a string");
  fail_unless(std::holds_alternative<int64_t>(*params.find("i")), "i: not an integer");
  fail_unless(std::get<int64_t>(*params.find("l")) == (int64_t{1} << 40),
              "l: wrong value");
  fail_unless(std::holds_alternative<double>(*params.find("d")), "d: not a double");
  fail_unless(std::holds_alternative<bool>(*params.find("b")), "b: not a boolean");
  fail_unless(std::holds_alternative<int64_t>(*params.find("v")), "v: not an integer");
  fail_unless(params.find("missing") == nullptr, "found a key never set");
}
GST_END_TEST;

GST_START_TEST(test_params_set_twice_keeps_position_and_last_value) {
  Event e = ad_break_start();
  e.params.set("media.ad.podIndex", 4);
  fail_unless(e.params.size() == 3, "a key set twice was added twice");
  g_autoptr(JsonNode) body = parsed_body(e);
  JsonObject *params = object_at(body, "params");
  const std::string names = join(member_names(params));
  fail_unless(names == "media.ad.podFriendlyName,media.ad.podIndex,media.ad.podSecond",
              "params order: %s", names.c_str());
  fail_unless(json_object_get_int_member(params, "media.ad.podIndex") == 4,
              "the last value did not win");
}
GST_END_TEST;

GST_START_TEST(test_keys_keep_their_order) {
  g_autoptr(JsonNode) start = parsed_body(session_start());
  const std::string top = join(members(start));
  fail_unless(top == "playerTime,eventType,params,qoeData,customMetadata",
              "top-level order: %s", top.c_str());
  const std::string player_time = join(member_names(object_at(start, "playerTime")));
  fail_unless(player_time == "playhead,ts", "playerTime order: %s", player_time.c_str());
  std::vector<std::string> expected;
  for (const auto &entry : session_start().params) {
    expected.push_back(entry.first);
  }
  const std::string params = join(member_names(object_at(start, "params")));
  fail_unless(params == join(expected), "params order: %s", params.c_str());
  const std::string custom = join(member_names(object_at(start, "customMetadata")));
  fail_unless(custom == "tier,show_id.v2", "customMetadata order: %s", custom.c_str());

  // Reversed insertion gives reversed output: the order is the caller's.
  Event reversed = ad_break_start();
  reversed.params = Params();
  reversed.params.set("media.ad.podSecond", 0.0)
      .set("media.ad.podIndex", 0)
      .set("media.ad.podFriendlyName", "ad_pod1");
  assert_valid(reversed);
  g_autoptr(JsonNode) body = parsed_body(reversed);
  const std::string names = join(member_names(object_at(body, "params")));
  fail_unless(names == "media.ad.podSecond,media.ad.podIndex,media.ad.podFriendlyName",
              "reversed params order: %s", names.c_str());

  g_autoptr(JsonNode) qoe_body = parsed_body(bitrate_change());
  const std::string qoe = join(member_names(object_at(qoe_body, "qoeData")));
  fail_unless(qoe ==
                  "media.qoe.bitrate,media.qoe.droppedFrames,media.qoe.framesPerSecond,"
                  "media.qoe.timeToStart",
              "qoeData order: %s", qoe.c_str());
}
GST_END_TEST;

GST_START_TEST(test_custom_metadata_only_on_start_events) {
  const CustomMetadata custom = {{"tier", "gold"}};
  for (EventType type : mediaanalytics::all_event_types()) {
    Event event;
    switch (type) {
      case EventType::kSessionStart:
        event = session_start();
        break;
      case EventType::kAdBreakStart:
        event = ad_break_start();
        break;
      case EventType::kAdStart:
        event = ad_start();
        break;
      case EventType::kChapterStart:
        event = chapter_start();
        break;
      case EventType::kStatesUpdate:
        event = states_update();
        break;
      default:
        event = make(type, at(5), 5);
        break;
    }
    event.custom = custom;
    assert_valid(event);
    g_autoptr(JsonNode) body = parsed_body(event);
    const bool expected = type == EventType::kSessionStart ||
                          type == EventType::kAdStart || type == EventType::kChapterStart;
    fail_unless((object_at(body, "customMetadata") != nullptr) == expected,
                "%s: customMetadata %s", mediaanalytics::event_type_name(type),
                expected ? "missing" : "sent");
  }
}
GST_END_TEST;

// §10 key names only; a bad key would cost the whole sessionStart a 400.
GST_START_TEST(test_custom_metadata_invalid_keys_are_dropped) {
  Event start = session_start();
  start.custom = {{"ok_key.1", "a"}, {"bad key", "b"},     {"a-b", "c"},
                  {"", "d"},         {"caf\xc3\xa9", "e"}, {"Z9", "f"}};
  assert_valid(start);
  g_autoptr(JsonNode) body = parsed_body(start);
  const std::string names = join(member_names(object_at(body, "customMetadata")));
  fail_unless(names == "ok_key.1,Z9", "customMetadata keys: %s", names.c_str());

  start.custom = {{"bad key", "b"}};
  assert_valid(start);
  g_autoptr(JsonNode) none = parsed_body(start);
  fail_unless(object_at(none, "customMetadata") == nullptr,
              "customMetadata sent with no valid key");
}
GST_END_TEST;

GST_START_TEST(test_states_update_arrays) {
  Event only_start = states_update();
  only_start.states_end.clear();
  only_start.states_start = {"fullScreen", "closedCaptioning"};
  assert_valid(only_start);
  g_autoptr(JsonNode) body = parsed_body(only_start);
  JsonObject *params = object_at(body, "params");
  const std::string names = join(member_names(params));
  fail_unless(names == "statesStart", "params: %s", names.c_str());
  JsonArray *states = json_object_get_array_member(params, "statesStart");
  fail_unless(json_array_get_length(states) == 2, "expected 2 states");
  JsonObject *second = json_array_get_object_element(states, 1);
  fail_unless(g_str_equal(json_object_get_string_member(second, "media.state.name"),
                          "closedCaptioning"),
              "wrong second state");

  Event only_end = states_update();
  only_end.states_start.clear();
  assert_valid(only_end);
  g_autoptr(JsonNode) end_body = parsed_body(only_end);
  const std::string end_names = join(member_names(object_at(end_body, "params")));
  fail_unless(end_names == "statesEnd", "params: %s", end_names.c_str());

  // Other events ignore the state lists.
  Event play = make(EventType::kPlay, at(22), 0);
  play.states_start = {"mute"};
  assert_valid(play);
  g_autoptr(JsonNode) play_body = parsed_body(play);
  fail_unless(object_at(play_body, "params") == nullptr, "play carries states");
}
GST_END_TEST;

// Strings are escaped by json-glib and read back unchanged.
GST_START_TEST(test_strings_round_trip) {
  const char *tricky = "quote\" backslash\\ newline\n tab\t unicode \xc3\xa9\xe2\x82\xac";
  Event start = session_start();
  start.params.set("media.name", tricky);
  start.custom = {{"title", tricky}};
  assert_valid(start);
  g_autoptr(JsonNode) body = parsed_body(start);
  fail_unless(
      g_str_equal(json_object_get_string_member(object_at(body, "params"), "media.name"),
                  tricky),
      "media.name changed on the way");
  fail_unless(g_str_equal(json_object_get_string_member(object_at(body, "customMetadata"),
                                                        "title"),
                          tricky),
              "customMetadata value changed on the way");
}
GST_END_TEST;

// NaN and ±inf never reach the wire: json-glib would write "nan.0".
GST_START_TEST(test_non_finite_playhead_is_sent_as_zero) {
  const double values[] = {std::nan(""), std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity()};
  for (double value : values) {
    Event play = make(EventType::kPlay, at(22), value);
    assert_valid(play);
    g_autoptr(JsonNode) body = parsed_body(play);
    const double playhead =
        json_object_get_double_member(object_at(body, "playerTime"), "playhead");
    fail_unless(playhead == 0.0, "playhead %g sent as %g", value, playhead);
  }
}
GST_END_TEST;

GST_START_TEST(test_non_finite_param_is_left_out) {
  Event ad_break = ad_break_start();
  ad_break.params.set("media.ad.podSecond", std::numeric_limits<double>::infinity());
  const std::string text = mediaanalytics::event_to_body(ad_break);
  fail_unless(text.find("inf") == std::string::npos, "inf on the wire: %s", text.c_str());
  g_autoptr(JsonNode) body = parsed_body(ad_break);
  JsonObject *params = object_at(body, "params");
  fail_unless(!json_object_has_member(params, "media.ad.podSecond"),
              "a non-finite podSecond was sent");
  fail_unless(json_object_has_member(params, "media.ad.podIndex"),
              "the other params were lost");
  // podSecond is required, so the server rejects the request by name rather
  // than failing to parse it.
  fail_unless(violation(ad_break).find("media.ad.podSecond") != std::string::npos,
              "expected a missing podSecond, got: %s", violation(ad_break).c_str());

  Event chapter = chapter_start();
  chapter.params.set("media.chapter.length", std::nan(""));
  const std::string chapter_text = mediaanalytics::event_to_body(chapter);
  fail_unless(chapter_text.find("nan") == std::string::npos, "NaN on the wire: %s",
              chapter_text.c_str());
  g_autoptr(JsonNode) chapter_body = parsed_body(chapter);
  fail_unless(
      !json_object_has_member(object_at(chapter_body, "params"), "media.chapter.length"),
      "a NaN chapter length was sent");
}
GST_END_TEST;

// json-glib 1.6 writes 1e-08 as "1e-08.0" and 1e17 as "1e+17.0": wire_number()
// keeps such values off the wire.
GST_START_TEST(test_wire_number_keeps_json_valid) {
  using mediaanalytics::wire_number;
  fail_unless(!wire_number(std::nan("")), "NaN has a wire form");
  fail_unless(!wire_number(std::numeric_limits<double>::infinity()),
              "inf has a wire form");
  fail_unless(!wire_number(1e300), "1e300 has a wire form");
  fail_unless(std::get<double>(*wire_number(60.5)) == 60.5, "60.5 changed");
  fail_unless(std::get<double>(*wire_number(-3.25)) == -3.25, "-3.25 changed");
  fail_unless(std::get<double>(*wire_number(1e-8)) == 0.0, "1e-8 not sent as 0");
  fail_unless(std::get<double>(*wire_number(0.0001)) == 0.0001, "1e-4 changed");
  fail_unless(std::get<int64_t>(*wire_number(1e17)) == 100000000000000000,
              "1e17 not sent as an integer");
  fail_unless(std::get<int64_t>(*wire_number(-1e17)) == -100000000000000000,
              "-1e17 not sent as an integer");

  const double awkward[] = {
      1e-8, 2e-8, 3e-9, 1e-300, 5e-324, 1e17, 1e21, -1e18, 9007199254740992.0, 9.2e18};
  for (double value : awkward) {
    Event start = session_start();
    start.playhead = value;
    start.params.set("media.length", value);
    // parsed_body() fails on invalid JSON.
    g_autoptr(JsonNode) body = parsed_body(start);
    if (wire_number(value)) {
      assert_valid(start);
    } else {
      // 1e21 fits no int64: like NaN, the param stays out, the playhead is 0.
      fail_unless(!json_object_has_member(object_at(body, "params"), "media.length"),
                  "%g sent as media.length", value);
      fail_unless(
          json_object_get_double_member(object_at(body, "playerTime"), "playhead") == 0.0,
          "playhead %g not sent as 0", value);
    }
  }
}
GST_END_TEST;

static Suite *event_suite(void) {
  Suite *s = suite_create("client-event");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_event_type_names_are_those_of_section_5);
  tcase_add_test(tc, test_every_event_type_validates);
  tcase_add_test(tc, test_bodies_are_exact);
  tcase_add_test(tc, test_event_to_json_matches_body);
  tcase_add_test(tc, test_body_with_awkward_strings_matches_json);
  tcase_add_test(tc, test_body_with_invalid_utf8_is_json);
  tcase_add_test(tc, test_ping_has_only_player_time_and_event_type);
  tcase_add_test(tc, test_empty_sections_are_left_out);
  tcase_add_test(tc, test_integers_and_numbers_on_the_wire);
  tcase_add_test(tc, test_params_set_types);
  tcase_add_test(tc, test_params_set_twice_keeps_position_and_last_value);
  tcase_add_test(tc, test_keys_keep_their_order);
  tcase_add_test(tc, test_custom_metadata_only_on_start_events);
  tcase_add_test(tc, test_custom_metadata_invalid_keys_are_dropped);
  tcase_add_test(tc, test_states_update_arrays);
  tcase_add_test(tc, test_strings_round_trip);
  tcase_add_test(tc, test_non_finite_playhead_is_sent_as_zero);
  tcase_add_test(tc, test_non_finite_param_is_left_out);
  tcase_add_test(tc, test_wire_number_keeps_json_valid);
  return s;
}

GST_CHECK_MAIN(event);
