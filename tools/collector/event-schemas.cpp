// The JSON Schema (draft-04) of each Media Collection API event type.
//
// The schemas are generated from key tables transcribed from the spec
// (media-collection-api.md §2, §5, §9, §10, §11) rather than written out as JSON per
// event: a key's type, requiredness and enum is stated once, so the eighteen
// schemas cannot drift apart (e.g. playerTime differing between two events).
//
// They say only what the spec's parameter tables make validation rules. Numeric
// bounds (a negative ts, a media.length of 0, a podPosition of 0, ...) are not
// among them: the session checker reports those as value-out-of-range findings
// (session-checker.cpp) instead of the schemas rejecting them.
#include "event-schemas.h"

#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace collector {
namespace {

constexpr const char *kDraft04 = "http://json-schema.org/draft-04/schema#";

// The JSON types the spec's tables use, spelled as draft-04 spells them.
constexpr const char *kString = "string";
constexpr const char *kNumber = "number";
constexpr const char *kInteger = "integer";
constexpr const char *kBoolean = "boolean";
constexpr const char *kObject = "object";
constexpr const char *kArray = "array";

constexpr bool kRequired = true;
constexpr bool kOptional = false;

// Adds the keywords that narrow a value beyond its type (an enum, the shape of a
// nested object or array) to the schema object being built.
using Refinement = std::function<void(JsonBuilder *)>;

// One row of a parameter table: a key of a closed object.
struct Key {
  const char *name;
  const char *type;
  bool required = kOptional;
  Refinement refine = nullptr;
};

using KeyTable = std::vector<Key>;

// Adds "type" and the refinement's keywords to the schema object being built.
void describe(JsonBuilder *b, const char *type, const Refinement &refine) {
  json_builder_set_member_name(b, "type");
  json_builder_add_string_value(b, type);
  if (refine) {
    refine(b);
  }
}

// Adds the schema of one value, as a new object, at the builder's position.
void add_value_schema(JsonBuilder *b, const char *type, const Refinement &refine) {
  json_builder_begin_object(b);
  describe(b, type, refine);
  json_builder_end_object(b);
}

// draft-04 requires "required" to hold at least one name, so a table without
// required keys gets no "required" keyword at all.
void add_required(JsonBuilder *b, const KeyTable &keys) {
  bool any = false;
  for (const Key &key : keys) {
    any = any || key.required;
  }
  if (!any) {
    return;
  }
  json_builder_set_member_name(b, "required");
  json_builder_begin_array(b);
  for (const Key &key : keys) {
    if (key.required) {
      json_builder_add_string_value(b, key.name);
    }
  }
  json_builder_end_array(b);
}

// --- Refinements -------------------------------------------------------------

Refinement min_properties(gint64 count) {
  return [count](JsonBuilder *b) {
    json_builder_set_member_name(b, "minProperties");
    json_builder_add_int_value(b, count);
  };
}

Refinement one_of_strings(std::vector<std::string> values) {
  return [values = std::move(values)](JsonBuilder *b) {
    json_builder_set_member_name(b, "enum");
    json_builder_begin_array(b);
    for (const std::string &value : values) {
      json_builder_add_string_value(b, value.c_str());
    }
    json_builder_end_array(b);
  };
}

Refinement one_of_integers(std::vector<gint64> values) {
  return [values = std::move(values)](JsonBuilder *b) {
    json_builder_set_member_name(b, "enum");
    json_builder_begin_array(b);
    for (gint64 value : values) {
      json_builder_add_int_value(b, value);
    }
    json_builder_end_array(b);
  };
}

Refinement both(Refinement first, Refinement second) {
  return [first = std::move(first), second = std::move(second)](JsonBuilder *b) {
    first(b);
    second(b);
  };
}

// A closed object: only the table's keys, with their types; the back end
// rejects any key its schema does not list (§2, "How strict validation is").
Refinement closed(KeyTable keys) {
  return [keys = std::move(keys)](JsonBuilder *b) {
    json_builder_set_member_name(b, "properties");
    json_builder_begin_object(b);
    for (const Key &key : keys) {
      json_builder_set_member_name(b, key.name);
      add_value_schema(b, key.type, key.refine);
    }
    json_builder_end_object(b);
    add_required(b, keys);
    json_builder_set_member_name(b, "additionalProperties");
    json_builder_add_boolean_value(b, FALSE);
  };
}

// An object whose keys are free names and whose values all share one schema.
Refinement each_value(const char *type, Refinement refine) {
  return [type, refine = std::move(refine)](JsonBuilder *b) {
    json_builder_set_member_name(b, "additionalProperties");
    add_value_schema(b, type, refine);
  };
}

// An array whose items all share one schema.
Refinement each_item(const char *type, Refinement refine) {
  return [type, refine = std::move(refine)](JsonBuilder *b) {
    json_builder_set_member_name(b, "items");
    add_value_schema(b, type, refine);
  };
}

// A flat string → string map with restricted key names (§10).
Refinement string_map(const char *key_pattern) {
  return [key_pattern](JsonBuilder *b) {
    json_builder_set_member_name(b, "patternProperties");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, key_pattern);
    add_value_schema(b, kString, nullptr);
    json_builder_end_object(b);
    json_builder_set_member_name(b, "additionalProperties");
    json_builder_add_boolean_value(b, FALSE);
  };
}

// --- Key tables --------------------------------------------------------------

void add_optional(KeyTable &keys, const char *type,
                  std::initializer_list<const char *> names) {
  for (const char *name : names) {
    keys.push_back({name, type});
  }
}

// §2: where the event happened, on the content's clock and the wall clock.
KeyTable player_time_keys() {
  return {
      {"playhead", kNumber, kRequired},
      {"ts", kInteger, kRequired},
  };
}

// §9.11: all integers.
KeyTable qoe_keys() {
  KeyTable keys;
  add_optional(keys, kInteger,
               {"media.qoe.bitrate", "media.qoe.droppedFrames",
                "media.qoe.framesPerSecond", "media.qoe.timeToStart"});
  return keys;
}

// §9.13: one declared ID, e.g. {"id": "u-8812", "authState": 1}.
KeyTable customer_id_keys() {
  return {
      {"id", kString, kRequired},
      {"authState", kInteger, kRequired, one_of_integers({0, 1, 2})},
  };
}

// §9.1 analytics and visitor, §9.2 content core, §9.3 standard metadata, §9.4
// audio metadata, §9.12 CCPA opt-outs, §9.13 identity. The eight required keys
// are §5's.
KeyTable session_keys() {
  KeyTable keys = {
      {"analytics.trackingServer", kString, kRequired},
      {"analytics.reportSuite", kString, kRequired},
      {"analytics.enableSSL", kBoolean},
      {"analytics.visitorId", kString},
      {"analytics.aid", kString},
      {"visitor.marketingCloudOrgId", kString, kRequired},
      {"visitor.marketingCloudUserId", kString},
      {"visitor.aamLocationHint", kInteger},
      // The ID type names are the customer's own; only the entries have a shape.
      {"visitor.customerIDs", kObject, kOptional,
       each_value(kObject, closed(customer_id_keys()))},
      {"appInstallationId", kString},
      {"media.id", kString, kRequired},
      {"media.name", kString},
      {"media.length", kNumber, kRequired},
      {"media.contentType", kString, kRequired},
      {"media.playerName", kString, kRequired},
      {"media.channel", kString, kRequired},
      {"media.resume", kBoolean},
      {"media.sdkVersion", kString},
      {"media.streamType", kString, kOptional, one_of_strings({"video", "audio"})},
      {"media.downloaded", kBoolean},
  };
  add_optional(keys, kString,
               {"media.streamFormat", "media.show", "media.season", "media.episode",
                "media.assetId", "media.genre", "media.firstAirDate",
                "media.firstDigitalDate", "media.rating", "media.originator",
                "media.network", "media.showType", "media.adLoad", "media.pass.mvpd",
                "media.pass.auth", "media.dayPart", "media.feed"});
  add_optional(keys, kString,
               {"media.artist", "media.album", "media.label", "media.author",
                "media.station", "media.publisher"});
  add_optional(keys, kBoolean,
               {"analytics.optOutServerSideForwarding", "analytics.optOutShare"});
  return keys;
}

// §9.5.
KeyTable ad_break_keys() {
  return {
      {"media.ad.podFriendlyName", kString},
      {"media.ad.podIndex", kInteger, kRequired},
      {"media.ad.podSecond", kNumber, kRequired},
  };
}

// §9.6 and §9.7. podFriendlyName is left out on purpose: it belongs to
// adBreakStart (timeline-1's adStart samples carry it by mistake).
KeyTable ad_keys() {
  KeyTable keys = {
      {"media.ad.id", kString, kRequired},
      {"media.ad.name", kString},
      {"media.ad.length", kNumber, kRequired},
      {"media.ad.podPosition", kInteger, kRequired},
      {"media.ad.playerName", kString, kRequired},
  };
  add_optional(keys, kString,
               {"media.ad.advertiser", "media.ad.campaignId", "media.ad.creativeId",
                "media.ad.siteId", "media.ad.creativeURL", "media.ad.placementId"});
  return keys;
}

// §9.8.
KeyTable chapter_keys() {
  return {
      {"media.chapter.index", kInteger, kRequired},
      {"media.chapter.offset", kNumber, kRequired},
      {"media.chapter.length", kNumber, kRequired},
      {"media.chapter.friendlyName", kString},
  };
}

// §9.9: nothing is required, so an error may come without params.
KeyTable error_keys() {
  return {
      {"media.errorId", kString},
      {"media.errorSource", kString, kOptional, one_of_strings({"player", "external"})},
  };
}

// §9.10 and §11: lists of {"media.state.name": string}.
KeyTable states_keys() {
  const Refinement state_list =
      each_item(kObject, closed({{"media.state.name", kString, kRequired}}));
  return {
      {"statesStart", kArray, kOptional, state_list},
      {"statesEnd", kArray, kOptional, state_list},
  };
}

// --- params per event type ---------------------------------------------------

Refinement session_params() {
  return closed(session_keys());
}
Refinement ad_break_params() {
  return closed(ad_break_keys());
}
Refinement ad_params() {
  return closed(ad_keys());
}
Refinement chapter_params() {
  return closed(chapter_keys());
}
Refinement error_params() {
  return closed(error_keys());
}

// Both lists are optional on their own, but §5 requires "statesStart and/or
// statesEnd", so at least one of them must be present.
Refinement states_params() {
  return both(closed(states_keys()), min_properties(1));
}

// §5 gives these events no params; an empty object is tolerated because §2
// makes params optional everywhere but on ping, and its own example sends {}.
Refinement no_params() {
  return closed({});
}

enum class Params { kForbidden, kOptional, kRequired };

struct EventSpec {
  const char *name;
  Params params;
  Refinement (*params_shape)();
  bool qoe_data;
  bool custom_metadata;
};

// §5, in its order. params is required where §5 has required keys (and on
// sessionStart, §2); ping carries playerTime and eventType only (§7).
// §10 allows customMetadata on the three start events only.
const EventSpec kEvents[] = {
    // {name, params, shape of params, qoeData allowed, customMetadata allowed}
    {"sessionStart", Params::kRequired, session_params, true, true},
    {"play", Params::kOptional, no_params, true, false},
    {"ping", Params::kForbidden, nullptr, false, false},
    {"bufferStart", Params::kOptional, no_params, true, false},
    {"pauseStart", Params::kOptional, no_params, true, false},
    {"bitrateChange", Params::kOptional, no_params, true, false},
    {"error", Params::kOptional, error_params, true, false},
    {"adBreakStart", Params::kRequired, ad_break_params, true, false},
    {"adStart", Params::kRequired, ad_params, true, true},
    {"adComplete", Params::kOptional, no_params, true, false},
    {"adSkip", Params::kOptional, no_params, true, false},
    {"adBreakComplete", Params::kOptional, no_params, true, false},
    {"chapterStart", Params::kRequired, chapter_params, true, true},
    {"chapterComplete", Params::kOptional, no_params, true, false},
    {"chapterSkip", Params::kOptional, no_params, true, false},
    {"statesUpdate", Params::kRequired, states_params, true, false},
    {"sessionComplete", Params::kOptional, no_params, true, false},
    {"sessionEnd", Params::kOptional, no_params, true, false},
};

// §10: the key names customMetadata accepts.
constexpr const char *kCustomMetadataKey = "^[a-zA-Z0-9_.]+$";

// The top-level members of a request body (§2) for one event type.
KeyTable body_keys(const EventSpec &event) {
  KeyTable keys = {
      {"playerTime", kObject, kRequired, closed(player_time_keys())},
      {"eventType", kString, kRequired, one_of_strings({event.name})},
  };
  if (event.params != Params::kForbidden) {
    keys.push_back(
        {"params", kObject, event.params == Params::kRequired, event.params_shape()});
  }
  if (event.qoe_data) {
    keys.push_back({"qoeData", kObject, kOptional, closed(qoe_keys())});
  }
  if (event.custom_metadata) {
    keys.push_back(
        {"customMetadata", kObject, kOptional, string_map(kCustomMetadataKey)});
  }
  return keys;
}

JsonNode *build_schema(const EventSpec &event) {
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "$schema");
  json_builder_add_string_value(b, kDraft04);
  json_builder_set_member_name(b, "title");
  const std::string title = std::string("Media Collection API ") + event.name + " event";
  json_builder_add_string_value(b, title.c_str());
  describe(b, kObject, closed(body_keys(event)));
  json_builder_end_object(b);
  return json_builder_get_root(b);
}

}  // namespace

const std::vector<std::string> &event_types() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> all;
    for (const EventSpec &event : kEvents) {
      all.emplace_back(event.name);
    }
    return all;
  }();
  return names;
}

JsonNode *event_schema(const std::string &event_type) {
  struct NodeUnref {
    void operator()(JsonNode *node) const { json_node_unref(node); }
  };
  using NodePtr = std::unique_ptr<JsonNode, NodeUnref>;
  // Built once: the collector validates every request against one of them.
  // Sealed, so that sharing the nodes between callers is safe. The map owns
  // one reference to each, dropped when the program exits.
  static const std::map<std::string, NodePtr> schemas = [] {
    std::map<std::string, NodePtr> all;
    for (const EventSpec &event : kEvents) {
      NodePtr schema(build_schema(event));
      json_node_seal(schema.get());
      all.emplace(event.name, std::move(schema));
    }
    return all;
  }();
  auto it = schemas.find(event_type);
  return it == schemas.end() ? nullptr : json_node_ref(it->second.get());
}

}  // namespace collector
