// libFuzzer target: what an application hands the element as GstStructures
// (the params and custom metadata of the action signals and of the
// "mediaanalytics/<call>" custom events), through the same conversion and
// checks as gst/element/element-app-api.cpp.
//
// The input makes two structures: one parsed from its text with
// gst_structure_from_string() (with a "custom-metadata" field taken out as
// the custom event's metadata, as the element does), and one built field by
// field from raw slices of it (any bytes as names and string values, any bit
// pattern as numbers, NaN and infinities included).
//
// Invariants: no crash, undefined behaviour or leak; whatever the checks
// accept becomes a request body that is valid UTF-8, parses as JSON, and is
// the same text as json-glib writes for the same event.
#include "event-params.h"
#include "event.h"
#include "fuzz-support.h"
#include "structure-params.h"

#include <gst/gst.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <variant>

namespace {

using mediaanalytics::CustomMetadata;
using mediaanalytics::Event;
using mediaanalytics::EventType;
using mediaanalytics::Params;

// The events whose params come from the application (element-app-api.cpp).
constexpr EventType kParamEvents[] = {EventType::kAdBreakStart, EventType::kAdStart,
                                      EventType::kChapterStart, EventType::kError};

// The spec's keys, which the raw structure picks from most of the time so
// that its fields get past the unknown-key check and reach the value checks.
constexpr const char *kKnownKeys[] = {
    "media.ad.podFriendlyName",
    "media.ad.podIndex",
    "media.ad.podSecond",
    "media.ad.id",
    "media.ad.name",
    "media.ad.length",
    "media.ad.podPosition",
    "media.ad.playerName",
    "media.ad.advertiser",
    "media.ad.campaignId",
    "media.ad.creativeId",
    "media.ad.siteId",
    "media.ad.creativeURL",
    "media.ad.placementId",
    "media.chapter.index",
    "media.chapter.offset",
    "media.chapter.length",
    "media.chapter.friendlyName",
    "media.errorId",
    "media.errorSource",
};
constexpr std::size_t kKnownKeyCount = sizeof(kKnownKeys) / sizeof(kKnownKeys[0]);

struct StructureFree {
  void operator()(GstStructure *structure) const { gst_structure_free(structure); }
};
using StructurePtr = std::unique_ptr<GstStructure, StructureFree>;

void check_body(const Event &event) {
  const std::string body = mediaanalytics::event_to_body(event);
  fuzz::require(fuzz::is_utf8(body), "a body is UTF-8", body);
  std::string error;
  fuzz::require(fuzz::parses_as_json(body, &error), "a body parses as JSON",
                error + ": " + body);
  g_autoptr(JsonNode) reference = mediaanalytics::event_to_json(event);
  const std::string expected = fuzz::json_glib_text(reference);
  fuzz::require(expected == body, "a body is json-glib's text of the event",
                fuzz::first_difference(body, expected));
}

// The custom metadata the checks accept, or nothing.
std::optional<CustomMetadata> accepted_custom(const GstStructure *custom) {
  auto converted = mediaanalytics::structure_to_custom(custom);
  if (!std::holds_alternative<CustomMetadata>(converted))
    return std::nullopt;
  if (mediaanalytics::check_custom_metadata(std::get<CustomMetadata>(converted)))
    return std::nullopt;
  return std::get<CustomMetadata>(converted);
}

// Runs `params` and `custom` through every call that takes them, as
// gst_media_analytics_app_call() does, and checks each accepted body.
void check_calls(const GstStructure *params, const GstStructure *custom) {
  std::optional<CustomMetadata> metadata = accepted_custom(custom);
  if (metadata) {
    Event start;
    start.type = EventType::kSessionStart;
    start.custom = *metadata;
    check_body(start);
  }
  auto converted = mediaanalytics::structure_to_params(params);
  if (!std::holds_alternative<Params>(converted))
    return;
  for (EventType type : kParamEvents) {
    auto checked = mediaanalytics::check_event_params(type, std::get<Params>(converted));
    if (!std::holds_alternative<Params>(checked))
      continue;
    Event event;
    event.type = type;
    event.params = std::get<Params>(checked);
    if (metadata && (type == EventType::kAdStart || type == EventType::kChapterStart))
      event.custom = *metadata;
    check_body(event);
  }
}

// The structure of a custom event "mediaanalytics/<call>", read from text.
void check_parsed(const std::string &text) {
  StructurePtr parsed(gst_structure_from_string(text.c_str(), nullptr));
  if (!parsed)
    return;
  StructurePtr params(gst_structure_copy(parsed.get()));
  gst_structure_remove_field(params.get(), "custom-metadata");
  const GValue *custom = gst_structure_get_value(parsed.get(), "custom-metadata");
  const GstStructure *metadata = custom && GST_VALUE_HOLDS_STRUCTURE(custom)
                                     ? gst_value_get_structure(custom)
                                     : parsed.get();
  check_calls(params.get(), metadata);
}

template <typename T>
T raw_number(fuzz::StringCutter &cut) {
  unsigned char bytes[sizeof(T)] = {};
  for (unsigned char &byte : bytes)
    byte = cut.next_byte();
  T value;
  std::memcpy(&value, bytes, sizeof value);
  return value;
}

// One field: a selector byte (key from the list or raw, and the value's
// type), the raw name if any, then the value.
void add_raw_field(GstStructure *structure, fuzz::StringCutter &cut) {
  const uint8_t selector = cut.next_byte();
  const std::string name =
      selector & 0x80 ? cut.next() : kKnownKeys[(selector & 0x7f) % kKnownKeyCount];
  if (name.empty() || name.find('\0') != std::string::npos)
    return;  // no GstStructure field can have such a name
  GValue value = G_VALUE_INIT;
  switch ((selector >> 5) % 3 + (selector & 1) * 3) {
    case 0:
    case 3: {
      const std::string text = cut.next();
      g_value_init(&value, G_TYPE_STRING);
      g_value_set_string(&value, text.c_str());
      break;
    }
    case 1:
      g_value_init(&value, G_TYPE_INT64);
      g_value_set_int64(&value, raw_number<gint64>(cut));
      break;
    case 2:
      g_value_init(&value, G_TYPE_DOUBLE);
      g_value_set_double(&value, raw_number<double>(cut));
      break;
    case 4:
      g_value_init(&value, G_TYPE_UINT64);
      g_value_set_uint64(&value, raw_number<guint64>(cut));
      break;
    default:
      g_value_init(&value, G_TYPE_FLOAT);
      g_value_set_float(&value, raw_number<float>(cut));
      break;
  }
  gst_structure_take_value(structure, name.c_str(), &value);
}

void check_raw(const uint8_t *data, size_t size) {
  fuzz::StringCutter cut(data, size);
  StructurePtr params(gst_structure_new_empty("params"));
  StructurePtr custom(gst_structure_new_empty("custom"));
  while (!cut.empty()) {
    // Custom metadata takes string fields only: its names are raw, its
    // values any bytes.
    if (cut.next_byte() % 4 == 0) {
      const std::string key = cut.next();
      const std::string value = cut.next();
      if (!key.empty() && key.find('\0') == std::string::npos)
        gst_structure_set(custom.get(), key.c_str(), G_TYPE_STRING, value.c_str(),
                          nullptr);
    } else {
      add_raw_field(params.get(), cut);
    }
  }
  check_calls(params.get(), custom.get());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const bool initialized = [] {
    gst_init(nullptr, nullptr);
    return true;
  }();
  (void)initialized;
  check_parsed(std::string(reinterpret_cast<const char *>(data), size));
  check_raw(data, size);
  return 0;
}
