// Builds the §2 request body of an Event on the sender's thread. See event.h
// for what goes on the wire and why. One description of the body
// (write_event()) drives two writers: JsonWriter for the wire, a JsonBuilder
// for event_to_json().
#include "event.h"

#include <glib.h>

#include "json-writer.h"

#include <cmath>
#include <iterator>
#include <type_traits>

namespace mediaanalytics {
namespace {

struct TypeName {
  EventType type;
  const char *name;
};

// §5, in its order; all_event_types() and event_type_name() both read it, so
// the two cannot disagree.
constexpr TypeName kTypeNames[] = {
    {EventType::kSessionStart, "sessionStart"},
    {EventType::kPlay, "play"},
    {EventType::kPing, "ping"},
    {EventType::kBufferStart, "bufferStart"},
    {EventType::kPauseStart, "pauseStart"},
    {EventType::kBitrateChange, "bitrateChange"},
    {EventType::kError, "error"},
    {EventType::kAdBreakStart, "adBreakStart"},
    {EventType::kAdStart, "adStart"},
    {EventType::kAdComplete, "adComplete"},
    {EventType::kAdSkip, "adSkip"},
    {EventType::kAdBreakComplete, "adBreakComplete"},
    {EventType::kChapterStart, "chapterStart"},
    {EventType::kChapterComplete, "chapterComplete"},
    {EventType::kChapterSkip, "chapterSkip"},
    {EventType::kStatesUpdate, "statesUpdate"},
    {EventType::kSessionComplete, "sessionComplete"},
    {EventType::kSessionEnd, "sessionEnd"},
};

static_assert(std::size(kTypeNames) == kEventTypeCount, "one name per event type");

// Below this magnitude "%.17g" switches to exponent form (see wire_number()).
constexpr double kSmallestFixed = 1e-4;
// 2^53: from here on every double is a whole number, and from 1e17 on "%.17g"
// switches to exponent form.
constexpr double kLargestFractional = 9007199254740992.0;
// 2^63, the first double an int64_t cannot hold.
constexpr double kInt64Limit = 9223372036854775808.0;

// §10 allows customMetadata on these three events only.
bool carries_custom_metadata(EventType type) {
  return type == EventType::kSessionStart || type == EventType::kAdStart ||
         type == EventType::kChapterStart;
}

// The JsonWriter interface over a JsonBuilder.
class BuilderWriter {
 public:
  explicit BuilderWriter(JsonBuilder *builder) : b_(builder) {}
  void begin_object() { json_builder_begin_object(b_); }
  void end_object() { json_builder_end_object(b_); }
  void begin_array() { json_builder_begin_array(b_); }
  void end_array() { json_builder_end_array(b_); }
  void key(const std::string &name) { json_builder_set_member_name(b_, name.c_str()); }
  void string_value(const std::string &value) {
    // Invalid UTF-8 made valid as JsonWriter does (json-writer.h): json-glib
    // would copy it into a text that no JSON parser accepts.
    g_autofree gchar *valid = g_utf8_make_valid(value.c_str(), -1);
    json_builder_add_string_value(b_, valid);
  }
  void int_value(int64_t value) { json_builder_add_int_value(b_, value); }
  void double_value(double value) { json_builder_add_double_value(b_, value); }
  void boolean_value(bool value) { json_builder_add_boolean_value(b_, value); }

 private:
  JsonBuilder *b_;
};

template <typename Writer>
void add_number(Writer &w, const Value &number) {
  if (const double *d = std::get_if<double>(&number)) {
    w.double_value(*d);
  } else {
    w.int_value(std::get<int64_t>(number));
  }
}

// Adds `key: value`; a double with no wire form leaves the key out.
template <typename Writer>
void add_param(Writer &w, const std::string &key, const Value &value) {
  std::optional<Value> number;
  if (const double *d = std::get_if<double>(&value)) {
    number = wire_number(*d);
    if (!number) {
      return;
    }
  }
  w.key(key);
  std::visit(
      [&](const auto &v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          w.string_value(v);
        } else if constexpr (std::is_same_v<T, double>) {
          add_number(w, *number);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          w.int_value(v);
        } else {
          w.boolean_value(v);
        }
      },
      value);
}

// §11: [{"media.state.name": name}, ...].
template <typename Writer>
void add_states(Writer &w, const char *key, const std::vector<std::string> &names) {
  if (names.empty()) {
    return;
  }
  w.key(key);
  w.begin_array();
  for (const std::string &name : names) {
    w.begin_object();
    w.key("media.state.name");
    w.string_value(name);
    w.end_object();
  }
  w.end_array();
}

template <typename Writer>
void add_player_time(Writer &w, const Event &event) {
  w.key("playerTime");
  w.begin_object();
  w.key("playhead");
  // Mandatory, so a position with no wire form is sent as the start.
  add_number(w, wire_number(event.playhead).value_or(Value(0.0)));
  w.key("ts");
  w.int_value(event.ts_ms);
  w.end_object();
}

template <typename Writer>
void add_params(Writer &w, const Event &event) {
  const bool states = event.type == EventType::kStatesUpdate;
  const bool any = !event.params.empty() ||
                   (states && (!event.states_start.empty() || !event.states_end.empty()));
  // §7: a ping is playerTime and eventType only, whatever the caller set.
  if (event.type == EventType::kPing || !any) {
    return;
  }
  w.key("params");
  w.begin_object();
  for (const auto &[key, value] : event.params) {
    add_param(w, key, value);
  }
  if (states) {
    add_states(w, "statesStart", event.states_start);
    add_states(w, "statesEnd", event.states_end);
  }
  w.end_object();
}

template <typename Writer>
void add_qoe_member(Writer &w, const char *key, const std::optional<int64_t> &v) {
  if (v) {
    w.key(key);
    w.int_value(*v);
  }
}

template <typename Writer>
void add_qoe_data(Writer &w, const Event &event) {
  // The ping schema has no qoeData either (§7).
  if (event.type == EventType::kPing || event.qoe.empty()) {
    return;
  }
  w.key("qoeData");
  w.begin_object();
  add_qoe_member(w, "media.qoe.bitrate", event.qoe.bitrate);
  add_qoe_member(w, "media.qoe.droppedFrames", event.qoe.dropped_frames);
  add_qoe_member(w, "media.qoe.framesPerSecond", event.qoe.frames_per_second);
  add_qoe_member(w, "media.qoe.timeToStart", event.qoe.time_to_start);
  w.end_object();
}

template <typename Writer>
void add_custom_metadata(Writer &w, const Event &event) {
  // Elsewhere the schemas reject customMetadata, and a 400 would lose the
  // event; so it is ignored there (event.h).
  if (!carries_custom_metadata(event.type)) {
    return;
  }
  bool open = false;
  for (const auto &[key, value] : event.custom) {
    // A key §10 refuses would get the whole request a 400; drop just the key.
    if (!custom_metadata_key_is_valid(key)) {
      continue;
    }
    if (!open) {
      w.key("customMetadata");
      w.begin_object();
      open = true;
    }
    w.key(key);
    w.string_value(value);
  }
  if (open) {
    w.end_object();
  }
}

template <typename Writer>
void write_event(Writer &w, const Event &event) {
  w.begin_object();
  add_player_time(w, event);
  w.key("eventType");
  w.string_value(event_type_name(event.type));
  add_params(w, event);
  add_qoe_data(w, event);
  add_custom_metadata(w, event);
  w.end_object();
}

}  // namespace

const std::vector<EventType> &all_event_types() {
  static const std::vector<EventType> types = [] {
    std::vector<EventType> all;
    for (const TypeName &entry : kTypeNames) {
      all.push_back(entry.type);
    }
    return all;
  }();
  return types;
}

const char *event_type_name(EventType type) {
  for (const TypeName &entry : kTypeNames) {
    if (entry.type == type) {
      return entry.name;
    }
  }
  // Only reachable through a cast of an out-of-range integer.
  return "unknown";
}

Params &Params::set(std::string key, Value value) {
  for (Entry &entry : entries_) {
    if (entry.first == key) {
      entry.second = std::move(value);
      return *this;
    }
  }
  entries_.emplace_back(std::move(key), std::move(value));
  return *this;
}

Params &Params::set(std::string key, std::string value) {
  return set(std::move(key), Value(std::in_place_type<std::string>, std::move(value)));
}

Params &Params::set(std::string key, const char *value) {
  return set(std::move(key), Value(std::in_place_type<std::string>, value ? value : ""));
}

Params &Params::set(std::string key, double value) {
  return set(std::move(key), Value(std::in_place_type<double>, value));
}

Params &Params::set(std::string key, int64_t value) {
  return set(std::move(key), Value(std::in_place_type<int64_t>, value));
}

Params &Params::set(std::string key, int value) {
  return set(std::move(key), Value(std::in_place_type<int64_t>, value));
}

Params &Params::set(std::string key, bool value) {
  return set(std::move(key), Value(std::in_place_type<bool>, value));
}

const Value *Params::find(const std::string &key) const {
  for (const Entry &entry : entries_) {
    if (entry.first == key) {
      return &entry.second;
    }
  }
  return nullptr;
}

bool custom_metadata_key_is_valid(const std::string &key) {
  if (key.empty()) {
    return false;
  }
  for (char c : key) {
    // ASCII only: g_ascii_isalnum() ignores the locale.
    if (!g_ascii_isalnum(c) && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

std::optional<Value> wire_number(double value) {
  if (!std::isfinite(value)) {
    return std::nullopt;
  }
  const double magnitude = std::fabs(value);
  if (magnitude < kSmallestFixed) {
    return Value(0.0);
  }
  if (magnitude < kLargestFractional) {
    return Value(value);
  }
  if (magnitude < kInt64Limit) {
    return Value(static_cast<int64_t>(value));
  }
  return std::nullopt;
}

JsonNode *event_to_json(const Event &event) {
  g_autoptr(JsonBuilder) builder = json_builder_new();
  BuilderWriter writer(builder);
  write_event(writer, event);
  return json_builder_get_root(builder);
}

std::string event_to_body(const Event &event) {
  JsonWriter writer;
  write_event(writer, event);
  return writer.take();
}

}  // namespace mediaanalytics
