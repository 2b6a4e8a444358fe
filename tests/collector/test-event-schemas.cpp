// The collector's event schemas against request bodies written from the spec
// (media-collection-api.md §2, §5, §9–§11, and timeline-1.md).
//
// Every example must validate. The negative cases are generated from the
// examples: each key removed, each value given a wrong JSON type, an unknown
// key added to each object. A schema that is too loose or too strict anywhere
// an example reaches fails one of these loops.
#include <gst/check/gstcheck.h>

#include <json-glib/json-glib.h>

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "event-schemas.h"
#include "json-schema.h"

namespace {

// A request body written from the spec, and the JSON Pointers of the keys the
// spec makes mandatory in it besides the four every event has.
struct Example {
  const char *label;
  const char *body;
  std::vector<std::string> required;
};

// Mandatory on every event (§2).
const std::vector<std::string> kAlwaysRequired = {"/playerTime", "/playerTime/playhead",
                                                  "/playerTime/ts", "/eventType"};

// §5: the eight params a sessionStart cannot do without.
const std::vector<std::string> kSessionRequired = {
    "/params",
    "/params/analytics.trackingServer",
    "/params/analytics.reportSuite",
    "/params/visitor.marketingCloudOrgId",
    "/params/media.id",
    "/params/media.length",
    "/params/media.contentType",
    "/params/media.playerName",
    "/params/media.channel",
};

std::vector<std::string> operator+(std::vector<std::string> a,
                                   const std::vector<std::string> &b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// The keys §2 and §9 type as integer (all others are numbers, strings,
// booleans or structures).
const std::set<std::string> kIntegerKeys = {
    "ts",
    "visitor.aamLocationHint",
    "authState",
    "media.ad.podIndex",
    "media.ad.podPosition",
    "media.chapter.index",
    "media.qoe.bitrate",
    "media.qoe.droppedFrames",
    "media.qoe.framesPerSecond",
    "media.qoe.timeToStart",
};

// ts values follow timeline 1: session start 1700000000000 plus t seconds, and
// +1 ms per request that shares a t.
const std::vector<Example> &examples() {
  static const std::vector<Example> all = {
      {"sessionStart (timeline-1 action 1)",
       R"({"playerTime": {"playhead": 0, "ts": 1700000000000},
           "eventType": "sessionStart",
           "params": {"analytics.trackingServer": "example.sc.omtrdc.net",
                      "analytics.reportSuite": "example-rsid",
                      "analytics.visitorId": "visitor-1",
                      "analytics.enableSSL": false,
                      "visitor.marketingCloudOrgId": "0123456789ABCDEF@AdobeOrg",
                      "media.id": "VA API Sample Player",
                      "media.name": "ClickMe",
                      "media.length": 60.3333333333333,
                      "media.contentType": "VOD",
                      "media.playerName": "sample-html5-api-player",
                      "media.channel": "sample-channel",
                      "media.sdkVersion": "va-api-0.0.0"}})",
       kSessionRequired},
      {"sessionStart (every §9 session key)",
       R"({"playerTime": {"playhead": 0, "ts": 1700000000000},
           "eventType": "sessionStart",
           "params": {"analytics.trackingServer": "example.sc.omtrdc.net",
                      "analytics.reportSuite": "example-rsid",
                      "analytics.enableSSL": true,
                      "analytics.visitorId": "visitor-1",
                      "analytics.aid": "aid-1",
                      "visitor.marketingCloudOrgId": "0123456789ABCDEF@AdobeOrg",
                      "visitor.marketingCloudUserId": "ecid-1",
                      "visitor.aamLocationHint": 9,
                      "visitor.customerIDs": {"crmId": {"id": "u-8812", "authState": 1},
                                              "loyalty": {"id": "L77", "authState": 0}},
                      "appInstallationId": "install-1",
                      "media.id": "content-1",
                      "media.name": "Pilot",
                      "media.length": 1800,
                      "media.contentType": "vod",
                      "media.playerName": "gst-mediaanalytics",
                      "media.channel": "app",
                      "media.resume": false,
                      "media.sdkVersion": "0.1.0",
                      "media.streamType": "video",
                      "media.downloaded": false,
                      "media.streamFormat": "HD", "media.show": "Show",
                      "media.season": "1", "media.episode": "1",
                      "media.assetId": "eidr-1", "media.genre": "Drama",
                      "media.firstAirDate": "2023-01-01",
                      "media.firstDigitalDate": "2023-01-02",
                      "media.rating": "TVPG", "media.originator": "Studio",
                      "media.network": "Network", "media.showType": "0",
                      "media.adLoad": "1", "media.pass.mvpd": "mvpd",
                      "media.pass.auth": "TRUE", "media.dayPart": "prime",
                      "media.feed": "West-HD",
                      "media.artist": "Artist", "media.album": "Album",
                      "media.label": "Label", "media.author": "Author",
                      "media.station": "Station", "media.publisher": "Publisher",
                      "analytics.optOutServerSideForwarding": false,
                      "analytics.optOutShare": true},
           "qoeData": {"media.qoe.timeToStart": 850},
           "customMetadata": {"tier": "gold", "show_id.v2": "42"}})",
       kSessionRequired +
           std::vector<std::string>{
               "/params/visitor.customerIDs/crmId/id",
               "/params/visitor.customerIDs/crmId/authState",
               "/params/visitor.customerIDs/loyalty/id",
               "/params/visitor.customerIDs/loyalty/authState",
           }},
      // §2's body, without its empty customMetadata: §10 allows that on the
      // three start events only.
      {"play (§2)",
       R"({"playerTime": {"playhead": 12.5, "ts": 1700000012500},
           "eventType": "play", "params": {},
           "qoeData": {"media.qoe.droppedFrames": 0}})",
       {}},
      {"ping (timeline-1 action 12)",
       R"({"playerTime": {"playhead": 8, "ts": 1700000030000}, "eventType": "ping"})",
       {}},
      {"bufferStart (timeline-1 action 13)",
       R"({"playerTime": {"playhead": 11, "ts": 1700000033000},
           "eventType": "bufferStart"})",
       {}},
      {"pauseStart (timeline-1 action 22)",
       R"({"playerTime": {"playhead": 31, "ts": 1700000064000},
           "eventType": "pauseStart"})",
       {}},
      {"bitrateChange (§5.1)",
       R"({"playerTime": {"playhead": 37.25, "ts": 1700000080001},
           "eventType": "bitrateChange",
           "qoeData": {"media.qoe.bitrate": 4500000, "media.qoe.droppedFrames": 3,
                       "media.qoe.framesPerSecond": 30,
                       "media.qoe.timeToStart": 850}})",
       {}},
      {"error (§9.9)",
       R"({"playerTime": {"playhead": 15, "ts": 1700000040001},
           "eventType": "error",
           "params": {"media.errorId": "NET-404", "media.errorSource": "external"}})",
       {}},
      {"adBreakStart (timeline-1 action 3)",
       R"({"playerTime": {"playhead": 0, "ts": 1700000000001},
           "eventType": "adBreakStart",
           "params": {"media.ad.podFriendlyName": "ad_pod1", "media.ad.podIndex": 0,
                      "media.ad.podSecond": 0}})",
       {"/params", "/params/media.ad.podIndex", "/params/media.ad.podSecond"}},
      // Without the podFriendlyName the timeline puts on it by mistake.
      {"adStart (timeline-1 action 4)",
       R"({"playerTime": {"playhead": 0, "ts": 1700000000002},
           "eventType": "adStart",
           "params": {"media.ad.id": "001", "media.ad.name": "Ad 1",
                      "media.ad.length": 15, "media.ad.podPosition": 1,
                      "media.ad.playerName": "Sample Player",
                      "media.ad.advertiser": "Ad Guys", "media.ad.campaignId": "1",
                      "media.ad.creativeId": "42", "media.ad.siteId": "XYZ",
                      "media.ad.creativeURL": "https://example.com",
                      "media.ad.placementId": "sample_placement"},
           "customMetadata": {"myCustomData1": "CustomData1",
                              "myCustomData2": "CustomData2"}})",
       {"/params", "/params/media.ad.id", "/params/media.ad.length",
        "/params/media.ad.podPosition", "/params/media.ad.playerName"}},
      {"adStart (§10)",
       R"({"playerTime": {"playhead": 0, "ts": 1700000000000},
           "eventType": "adStart",
           "params": {"media.ad.id": "spot-17", "media.ad.length": 20,
                      "media.ad.podPosition": 1, "media.ad.playerName": "ssai-x"},
           "customMetadata": {"campaign_code": "Q3", "skippable": "false"}})",
       {"/params", "/params/media.ad.id", "/params/media.ad.length",
        "/params/media.ad.podPosition", "/params/media.ad.playerName"}},
      {"adComplete (timeline-1 action 6)",
       R"({"playerTime": {"playhead": 0, "ts": 1700000015000},
           "eventType": "adComplete"})",
       {}},
      {"adSkip",
       R"({"playerTime": {"playhead": 21, "ts": 1700000050001}, "eventType": "adSkip"})",
       {}},
      {"adBreakComplete (timeline-1 action 10)",
       R"({"playerTime": {"playhead": 0, "ts": 1700000022001},
           "eventType": "adBreakComplete"})",
       {}},
      {"chapterStart (§9.8)",
       R"({"playerTime": {"playhead": 0, "ts": 1700000022003},
           "eventType": "chapterStart",
           "params": {"media.chapter.index": 1, "media.chapter.offset": 0,
                      "media.chapter.length": 21,
                      "media.chapter.friendlyName": "Opening"},
           "customMetadata": {"segment": "intro"}})",
       {"/params", "/params/media.chapter.index", "/params/media.chapter.offset",
        "/params/media.chapter.length"}},
      {"chapterComplete",
       R"({"playerTime": {"playhead": 21, "ts": 1700000046000},
           "eventType": "chapterComplete"})",
       {}},
      {"chapterSkip",
       R"({"playerTime": {"playhead": 40.5, "ts": 1700000070000},
           "eventType": "chapterSkip"})",
       {}},
      {"statesUpdate (§11)",
       R"({"playerTime": {"playhead": 42, "ts": 1700000042000},
           "eventType": "statesUpdate",
           "params": {"statesStart": [{"media.state.name": "fullScreen"}],
                      "statesEnd": [{"media.state.name": "mute"}]}})",
       {"/params", "/params/statesStart/0/media.state.name",
        "/params/statesEnd/0/media.state.name"}},
      {"sessionComplete (timeline-1 action 26)",
       R"({"playerTime": {"playhead": 45, "ts": 1700000088000},
           "eventType": "sessionComplete"})",
       {}},
      {"sessionEnd",
       R"({"playerTime": {"playhead": 45, "ts": 1700000090000},
           "eventType": "sessionEnd"})",
       {}},
  };
  return all;
}

const Example &example(const std::string &label) {
  for (const Example &e : examples()) {
    if (label == e.label) {
      return e;
    }
  }
  g_error("no example \"%s\"", label.c_str());
}

// A new node; the examples and replacements are test data, so a parse error
// is a bug in this file.
JsonNode *parse(const std::string &text) {
  g_autoptr(GError) error = nullptr;
  JsonNode *node = json_from_string(text.c_str(), &error);
  if (node == nullptr) {
    g_error("bad test JSON: %s\n%s", error->message, text.c_str());
  }
  return node;
}

std::string to_text(JsonNode *node) {
  g_autofree char *text = json_to_string(node, FALSE);
  return text;
}

std::string event_type_of(JsonNode *body) {
  return json_object_get_string_member(json_node_get_object(body), "eventType");
}

std::optional<collector::SchemaViolation> violation(const std::string &event_type,
                                                    JsonNode *instance) {
  g_autoptr(JsonNode) schema = collector::event_schema(event_type);
  return collector::validate(schema, instance);
}

std::string describe(const std::optional<collector::SchemaViolation> &v) {
  if (!v) {
    return "valid";
  }
  return "key \"" + v->key + "\" at \"" + v->pointer + "\": " + v->reason;
}

// --- Walking and editing an example ------------------------------------------

using Path = std::vector<std::string>;

std::string pointer(const Path &path) {
  std::string text;
  for (const std::string &segment : path) {
    text += "/" + segment;
  }
  return text;
}

// A place in a body: the path to it, its value, and whether it is an object
// member (which can be removed or retyped) or an array item.
struct Site {
  Path path;
  JsonNode *node;
  bool member;
};

void walk(JsonNode *node, Path &path, bool member, std::vector<Site> &out) {
  out.push_back({path, node, member});
  if (JSON_NODE_HOLDS_OBJECT(node)) {
    JsonObject *object = json_node_get_object(node);
    g_autoptr(GList) names = json_object_get_members(object);
    for (GList *n = names; n != nullptr; n = n->next) {
      const char *name = static_cast<const char *>(n->data);
      path.push_back(name);
      walk(json_object_get_member(object, name), path, true, out);
      path.pop_back();
    }
  } else if (JSON_NODE_HOLDS_ARRAY(node)) {
    JsonArray *array = json_node_get_array(node);
    for (guint i = 0; i < json_array_get_length(array); i++) {
      path.push_back(std::to_string(i));
      walk(json_array_get_element(array, i), path, false, out);
      path.pop_back();
    }
  }
}

// Every value in `root`, the root itself first. The nodes belong to `root`.
std::vector<Site> sites(JsonNode *root) {
  std::vector<Site> out;
  Path path;
  walk(root, path, false, out);
  return out;
}

JsonNode *at(JsonNode *root, const Path &path) {
  JsonNode *node = root;
  for (const std::string &segment : path) {
    node = JSON_NODE_HOLDS_ARRAY(node)
               ? json_array_get_element(json_node_get_array(node), std::stoul(segment))
               : json_object_get_member(json_node_get_object(node), segment.c_str());
  }
  return node;
}

// A deep copy of `root` with the object member at `path` set to `value`, or
// removed when `value` is null. Deep, because json_node_copy() shares objects
// and the example must stay intact for the next variation.
JsonNode *edited(JsonNode *root, const Path &path, JsonNode *value) {
  JsonNode *copy = parse(to_text(root));
  JsonObject *parent = json_node_get_object(at(copy, Path(path.begin(), path.end() - 1)));
  if (value != nullptr) {
    json_object_set_member(parent, path.back().c_str(), json_node_copy(value));
  } else {
    json_object_remove_member(parent, path.back().c_str());
  }
  return copy;
}

// JSON a careless client could send instead of `value`, never of the type the
// spec gives `key`: text as a number, numbers and booleans as text ("60",
// "false"), structures double-encoded, and a fraction where an integer is due.
std::vector<std::string> wrong_values(const std::string &key, JsonNode *value) {
  if (JSON_NODE_HOLDS_VALUE(value) && json_node_get_value_type(value) == G_TYPE_STRING) {
    return {"7"};
  }
  g_autoptr(JsonNode) as_text =
      json_node_init_string(json_node_alloc(), to_text(value).c_str());
  std::vector<std::string> wrong = {to_text(as_text)};
  if (kIntegerKeys.count(key) > 0) {
    wrong.push_back(std::to_string(json_node_get_int(value)) + ".5");
  }
  return wrong;
}

bool is_required(const Example &e, const std::string &where) {
  const std::vector<std::string> required = kAlwaysRequired + e.required;
  return std::find(required.begin(), required.end(), where) != required.end();
}

}  // namespace

// --- The list of event types -------------------------------------------------

GST_START_TEST(test_event_types_are_those_of_section_5) {
  const std::vector<std::string> expected = {"sessionStart",
                                             "play",
                                             "ping",
                                             "bufferStart",
                                             "pauseStart",
                                             "bitrateChange",
                                             "error",
                                             "adBreakStart",
                                             "adStart",
                                             "adComplete",
                                             "adSkip",
                                             "adBreakComplete",
                                             "chapterStart",
                                             "chapterComplete",
                                             "chapterSkip",
                                             "statesUpdate",
                                             "sessionComplete",
                                             "sessionEnd"};
  fail_unless(collector::event_types() == expected,
              "event_types() must list the 18 §5 names in §5 order");
}
GST_END_TEST;

GST_START_TEST(test_unknown_event_type_has_no_schema) {
  fail_unless(collector::event_schema("nope") == nullptr,
              "an unknown event type must have no schema");
}
GST_END_TEST;

GST_START_TEST(test_every_event_type_has_an_example) {
  std::set<std::string> covered;
  for (const Example &e : examples()) {
    g_autoptr(JsonNode) body = parse(e.body);
    covered.insert(event_type_of(body));
  }
  for (const std::string &type : collector::event_types()) {
    fail_unless(covered.count(type) == 1, "no example for %s", type.c_str());
  }
}
GST_END_TEST;

// --- The schemas themselves --------------------------------------------------

GST_START_TEST(test_schemas_are_draft04_objects) {
  for (const std::string &type : collector::event_types()) {
    g_autoptr(JsonNode) schema = collector::event_schema(type);
    fail_unless(schema != nullptr && JSON_NODE_HOLDS_OBJECT(schema),
                "schema of %s is not a JSON object", type.c_str());
    JsonObject *object = json_node_get_object(schema);
    fail_unless(
        g_strcmp0(json_object_get_string_member_with_default(object, "$schema", ""),
                  "http://json-schema.org/draft-04/schema#") == 0,
        "schema of %s does not declare draft-04", type.c_str());
    fail_unless(*json_object_get_string_member_with_default(object, "title", "") != '\0',
                "schema of %s has no title", type.c_str());
    fail_unless(g_strcmp0(json_object_get_string_member_with_default(object, "type", ""),
                          "object") == 0,
                "schema of %s does not describe an object", type.c_str());
  }
}
GST_END_TEST;

// Schemas are built once and shared, so no caller may change them.
GST_START_TEST(test_schema_is_an_immutable_reference) {
  g_autoptr(JsonNode) first = collector::event_schema("play");
  g_autoptr(JsonNode) second = collector::event_schema("play");
  fail_unless(json_node_is_immutable(first), "a shared schema must be sealed");
  fail_unless(json_node_equal(first, second), "the same type must give the same schema");
}
GST_END_TEST;

// --- Examples and variations generated from them -----------------------------

GST_START_TEST(test_examples_validate) {
  for (const Example &e : examples()) {
    g_autoptr(JsonNode) body = parse(e.body);
    const auto v = violation(event_type_of(body), body);
    fail_unless(!v, "%s must validate, got %s", e.label, describe(v).c_str());
  }
}
GST_END_TEST;

GST_START_TEST(test_missing_required_key_fails) {
  for (const Example &e : examples()) {
    g_autoptr(JsonNode) body = parse(e.body);
    for (const Site &site : sites(body)) {
      if (!site.member || !is_required(e, pointer(site.path))) {
        continue;
      }
      g_autoptr(JsonNode) variant = edited(body, site.path, nullptr);
      const auto v = violation(event_type_of(body), variant);
      fail_unless(v && v->key == site.path.back(),
                  "%s without %s must fail naming \"%s\", got %s", e.label,
                  pointer(site.path).c_str(), site.path.back().c_str(),
                  describe(v).c_str());
    }
  }
}
GST_END_TEST;

GST_START_TEST(test_missing_optional_key_passes) {
  for (const Example &e : examples()) {
    g_autoptr(JsonNode) body = parse(e.body);
    for (const Site &site : sites(body)) {
      if (!site.member || is_required(e, pointer(site.path))) {
        continue;
      }
      g_autoptr(JsonNode) variant = edited(body, site.path, nullptr);
      const auto v = violation(event_type_of(body), variant);
      fail_unless(!v, "%s without optional %s must validate, got %s", e.label,
                  pointer(site.path).c_str(), describe(v).c_str());
    }
  }
}
GST_END_TEST;

GST_START_TEST(test_wrong_type_fails) {
  for (const Example &e : examples()) {
    g_autoptr(JsonNode) body = parse(e.body);
    for (const Site &site : sites(body)) {
      if (!site.member) {
        continue;
      }
      for (const std::string &wrong : wrong_values(site.path.back(), site.node)) {
        g_autoptr(JsonNode) value = parse(wrong);
        g_autoptr(JsonNode) variant = edited(body, site.path, value);
        const auto v = violation(event_type_of(body), variant);
        fail_unless(v && v->key == site.path.back(),
                    "%s with %s = %s must fail naming \"%s\", got %s", e.label,
                    pointer(site.path).c_str(), wrong.c_str(), site.path.back().c_str(),
                    describe(v).c_str());
      }
    }
  }
}
GST_END_TEST;

// Every object is closed: top level, playerTime, params, qoeData, the entries
// of customerIDs and of the state lists; customMetadata takes strings only.
GST_START_TEST(test_unknown_key_fails) {
  g_autoptr(JsonNode) extra = parse("true");
  for (const Example &e : examples()) {
    g_autoptr(JsonNode) body = parse(e.body);
    for (const Site &site : sites(body)) {
      if (!JSON_NODE_HOLDS_OBJECT(site.node)) {
        continue;
      }
      Path path = site.path;
      path.push_back("notInSpec");
      g_autoptr(JsonNode) variant = edited(body, path, extra);
      const auto v = violation(event_type_of(body), variant);
      fail_unless(v && v->key == "notInSpec", "%s with %s must fail, got %s", e.label,
                  pointer(path).c_str(), describe(v).c_str());
    }
  }
}
GST_END_TEST;

GST_START_TEST(test_other_event_type_name_fails) {
  g_autoptr(JsonNode) resume = parse(R"("resume")");
  for (const Example &e : examples()) {
    g_autoptr(JsonNode) body = parse(e.body);
    g_autoptr(JsonNode) variant = edited(body, {"eventType"}, resume);
    const auto v = violation(event_type_of(body), variant);
    fail_unless(v && v->key == "eventType", "%s as \"resume\" must fail, got %s", e.label,
                describe(v).c_str());
  }
}
GST_END_TEST;

// --- Single rules ------------------------------------------------------------

GST_START_TEST(test_params_on_ping_fails) {
  g_autoptr(JsonNode) body = parse(example("ping (timeline-1 action 12)").body);
  g_autoptr(JsonNode) params = parse("{}");
  g_autoptr(JsonNode) variant = edited(body, {"params"}, params);
  const auto v = violation("ping", variant);
  fail_unless(v && v->key == "params", "ping with params must fail, got %s",
              describe(v).c_str());
}
GST_END_TEST;

GST_START_TEST(test_qoe_data_on_ping_fails) {
  g_autoptr(JsonNode) body = parse(example("ping (timeline-1 action 12)").body);
  g_autoptr(JsonNode) qoe = parse(R"({"media.qoe.droppedFrames": 0})");
  g_autoptr(JsonNode) variant = edited(body, {"qoeData"}, qoe);
  const auto v = violation("ping", variant);
  fail_unless(v && v->key == "qoeData", "ping with qoeData must fail, got %s",
              describe(v).c_str());
}
GST_END_TEST;

GST_START_TEST(test_custom_metadata_only_on_start_events) {
  const std::set<std::string> allowed = {"sessionStart", "adStart", "chapterStart"};
  g_autoptr(JsonNode) metadata = parse(R"({"tier": "gold"})");
  for (const Example &e : examples()) {
    g_autoptr(JsonNode) body = parse(e.body);
    const std::string type = event_type_of(body);
    g_autoptr(JsonNode) variant = edited(body, {"customMetadata"}, metadata);
    const auto v = violation(type, variant);
    if (allowed.count(type) > 0) {
      fail_unless(!v, "%s with customMetadata must validate, got %s", e.label,
                  describe(v).c_str());
    } else {
      fail_unless(v && v->key == "customMetadata",
                  "%s with customMetadata must fail, got %s", e.label,
                  describe(v).c_str());
    }
  }
}
GST_END_TEST;

GST_START_TEST(test_custom_metadata_value_must_be_string) {
  g_autoptr(JsonNode) body = parse(example("adStart (§10)").body);
  g_autoptr(JsonNode) number = parse("1");
  g_autoptr(JsonNode) variant = edited(body, {"customMetadata", "skippable"}, number);
  const auto v = violation("adStart", variant);
  fail_unless(v && v->key == "skippable",
              "a customMetadata number must fail naming its key, got %s",
              describe(v).c_str());
}
GST_END_TEST;

GST_START_TEST(test_custom_metadata_key_pattern) {
  g_autoptr(JsonNode) body = parse(example("adStart (§10)").body);
  g_autoptr(JsonNode) text = parse(R"("Q3")");
  g_autoptr(JsonNode) variant = edited(body, {"customMetadata", "campaign-code"}, text);
  const auto v = violation("adStart", variant);
  fail_unless(v && v->key == "campaign-code",
              "a key outside ^[a-zA-Z0-9_.]+$ must fail, got %s", describe(v).c_str());
}
GST_END_TEST;

// timeline-1 puts the break's name on adStart by mistake; the schema must not
// follow it.
GST_START_TEST(test_pod_friendly_name_not_on_ad_start) {
  g_autoptr(JsonNode) body = parse(example("adStart (timeline-1 action 4)").body);
  g_autoptr(JsonNode) name = parse(R"("ad_pod1")");
  g_autoptr(JsonNode) variant =
      edited(body, {"params", "media.ad.podFriendlyName"}, name);
  const auto v = violation("adStart", variant);
  fail_unless(v && v->key == "media.ad.podFriendlyName",
              "adStart with media.ad.podFriendlyName must fail, got %s",
              describe(v).c_str());
}
GST_END_TEST;

// A value of `example` replaced, and the JSON put in its place.
struct Replacement {
  const char *example;
  Path path;
  const char *value;
};

// Values of the right type that lie outside what the spec states as a value
// set: its enums, and §5's "statesStart and/or statesEnd".
GST_START_TEST(test_values_outside_the_spec_enums_fail) {
  const Replacement cases[] = {
      {"sessionStart (every §9 session key)", {"params", "media.streamType"}, R"("tv")"},
      {"sessionStart (every §9 session key)",
       {"params", "visitor.customerIDs", "crmId", "authState"},
       "3"},
      {"sessionStart (every §9 session key)",
       {"params", "visitor.customerIDs", "crmId", "authState"},
       "-1"},
      {"error (§9.9)", {"params", "media.errorSource"}, R"("cdn")"},
      {"error (§9.9)", {"params", "media.errorSource"}, R"("Player")"},
      {"statesUpdate (§11)", {"params"}, "{}"},
  };
  for (const Replacement &c : cases) {
    g_autoptr(JsonNode) body = parse(example(c.example).body);
    g_autoptr(JsonNode) value = parse(c.value);
    g_autoptr(JsonNode) variant = edited(body, c.path, value);
    const auto v = violation(event_type_of(body), variant);
    fail_unless(v && v->key == c.path.back(), "%s with %s = %s must fail, got %s",
                c.example, pointer(c.path).c_str(), c.value, describe(v).c_str());
  }
}
GST_END_TEST;

// Numbers the spec rules out in prose or by our §16 choices, not in its
// parameter tables: the schemas accept them, and the session checker reports
// them (value-out-of-range, playhead-out-of-range). Empty state lists too,
// as long as the other list or the key itself is there.
GST_START_TEST(test_values_out_of_range_validate) {
  const Replacement cases[] = {
      {"play (§2)", {"playerTime", "playhead"}, "-1"},
      {"play (§2)", {"playerTime", "ts"}, "-1"},
      {"play (§2)", {"qoeData", "media.qoe.droppedFrames"}, "-1"},
      {"bitrateChange (§5.1)", {"qoeData", "media.qoe.bitrate"}, "-4500000"},
      {"bitrateChange (§5.1)", {"qoeData", "media.qoe.framesPerSecond"}, "-30"},
      {"bitrateChange (§5.1)", {"qoeData", "media.qoe.timeToStart"}, "-850"},
      {"sessionStart (every §9 session key)", {"params", "media.length"}, "-0.5"},
      {"sessionStart (every §9 session key)", {"params", "media.length"}, "0"},
      {"adBreakStart (timeline-1 action 3)", {"params", "media.ad.podIndex"}, "-1"},
      {"adBreakStart (timeline-1 action 3)", {"params", "media.ad.podSecond"}, "-21"},
      {"adStart (§10)", {"params", "media.ad.podPosition"}, "0"},
      {"adStart (§10)", {"params", "media.ad.length"}, "-20"},
      {"chapterStart (§9.8)", {"params", "media.chapter.index"}, "0"},
      {"chapterStart (§9.8)", {"params", "media.chapter.offset"}, "-1"},
      {"chapterStart (§9.8)", {"params", "media.chapter.length"}, "-1"},
      {"statesUpdate (§11)", {"params", "statesStart"}, "[]"},
      {"statesUpdate (§11)", {"params", "statesEnd"}, "[]"},
  };
  for (const Replacement &c : cases) {
    g_autoptr(JsonNode) body = parse(example(c.example).body);
    g_autoptr(JsonNode) value = parse(c.value);
    g_autoptr(JsonNode) variant = edited(body, c.path, value);
    const auto v = violation(event_type_of(body), variant);
    fail_unless(!v, "%s with %s = %s must validate, got %s", c.example,
                pointer(c.path).c_str(), c.value, describe(v).c_str());
  }
}
GST_END_TEST;

// The spec's tables state no numeric bounds or sizes, so no schema may.
GST_START_TEST(test_schemas_state_no_bounds) {
  const std::set<std::string> bounds = {
      "minimum",   "maximum",   "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
      "minLength", "maxLength", "minItems",         "maxItems",
  };
  for (const std::string &type : collector::event_types()) {
    g_autoptr(JsonNode) schema = collector::event_schema(type);
    for (const Site &site : sites(schema)) {
      // A member of "properties" is a key name, not a keyword.
      const bool keyword =
          site.member &&
          (site.path.size() < 2 || site.path[site.path.size() - 2] != "properties");
      fail_if(keyword && bounds.count(site.path.back()) > 0, "schema of %s has %s",
              type.c_str(), pointer(site.path).c_str());
    }
  }
}
GST_END_TEST;

static Suite *event_schemas_suite(void) {
  Suite *s = suite_create("event-schemas");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_event_types_are_those_of_section_5);
  tcase_add_test(tc, test_unknown_event_type_has_no_schema);
  tcase_add_test(tc, test_every_event_type_has_an_example);
  tcase_add_test(tc, test_schemas_are_draft04_objects);
  tcase_add_test(tc, test_schema_is_an_immutable_reference);
  tcase_add_test(tc, test_examples_validate);
  tcase_add_test(tc, test_missing_required_key_fails);
  tcase_add_test(tc, test_missing_optional_key_passes);
  tcase_add_test(tc, test_wrong_type_fails);
  tcase_add_test(tc, test_unknown_key_fails);
  tcase_add_test(tc, test_other_event_type_name_fails);
  tcase_add_test(tc, test_params_on_ping_fails);
  tcase_add_test(tc, test_qoe_data_on_ping_fails);
  tcase_add_test(tc, test_custom_metadata_only_on_start_events);
  tcase_add_test(tc, test_custom_metadata_value_must_be_string);
  tcase_add_test(tc, test_custom_metadata_key_pattern);
  tcase_add_test(tc, test_pod_friendly_name_not_on_ad_start);
  tcase_add_test(tc, test_values_outside_the_spec_enums_fail);
  tcase_add_test(tc, test_values_out_of_range_validate);
  tcase_add_test(tc, test_schemas_state_no_bounds);
  return s;
}

GST_CHECK_MAIN(event_schemas);
