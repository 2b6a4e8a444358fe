// One Media Collection API event as plain C++ values, and its request body.
//
// The element's streaming thread must never build JSON (it would allocate a
// tree and format numbers while holding up the pipeline), so an Event is made
// of cheap values: an enum, two numbers and small vectors. The sender's thread
// turns it into the JSON body of spec §2 later, with event_to_json() or
// event_to_body().
#pragma once

#include <json-glib/json-glib.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace mediaanalytics {

// The 18 event types of spec §5, in its order.
enum class EventType {
  kSessionStart,
  kPlay,
  kPing,
  kBufferStart,
  kPauseStart,
  kBitrateChange,
  kError,
  kAdBreakStart,
  kAdStart,
  kAdComplete,
  kAdSkip,
  kAdBreakComplete,
  kChapterStart,
  kChapterComplete,
  kChapterSkip,
  kStatesUpdate,
  kSessionComplete,
  kSessionEnd,
};

inline constexpr std::size_t kEventTypeCount = 18;

// Every EventType in §5 order, e.g. to iterate over them.
const std::vector<EventType> &all_event_types();

// The wire name ("sessionStart", "adBreakComplete", ...), as eventType holds it.
// Never null.
const char *event_type_name(EventType type);

// A params value. Each alternative has its own JSON type on the wire: the back
// end checks types exactly (§2), so media.ad.podIndex must be an int64_t
// (integer) while media.length is a double (number).
using Value = std::variant<std::string, double, int64_t, bool>;

// The params of one event: wire keys ("media.ad.id") with their values, kept in
// the order they were first set so that the body is predictable. A handful of
// keys per event, so a vector beats a map for both building and walking.
class Params {
 public:
  using Entry = std::pair<std::string, Value>;

  // Sets `key`; a key set twice keeps its first position and its last value,
  // so a body never holds a key twice. The overloads pin the JSON type: a
  // string literal stays a string (not a bool), an int becomes an integer.
  Params &set(std::string key, std::string value);
  Params &set(std::string key, const char *value);
  Params &set(std::string key, double value);
  Params &set(std::string key, int64_t value);
  Params &set(std::string key, int value);
  Params &set(std::string key, bool value);
  Params &set(std::string key, Value value);

  // The value of `key`, or nullptr.
  const Value *find(const std::string &key) const;

  bool empty() const { return entries_.empty(); }
  std::size_t size() const { return entries_.size(); }
  std::vector<Entry>::const_iterator begin() const { return entries_.begin(); }
  std::vector<Entry>::const_iterator end() const { return entries_.end(); }

 private:
  std::vector<Entry> entries_;
};

// §9.11: the quality-of-experience values, all integers. Only those set go on
// the wire.
struct QoeData {
  std::optional<int64_t> bitrate;
  std::optional<int64_t> dropped_frames;
  std::optional<int64_t> frames_per_second;
  std::optional<int64_t> time_to_start;

  bool empty() const {
    return !bitrate && !dropped_frames && !frames_per_second && !time_to_start;
  }
};

// §10: a flat string → string map, in the order given.
using CustomMetadata = std::vector<std::pair<std::string, std::string>>;

// Whether §10 accepts `key` in customMetadata (^[a-zA-Z0-9_.]+$).
bool custom_metadata_key_is_valid(const std::string &key);

struct Event {
  EventType type = EventType::kPing;
  // playerTime.ts: UTC milliseconds when the event happened (EventClock).
  int64_t ts_ms = 0;
  // playerTime.playhead: content position in seconds (§8).
  double playhead = 0.0;
  Params params;
  QoeData qoe;
  CustomMetadata custom;
  // statesUpdate only (§11): the state names entered and left. They go into
  // params as [{"media.state.name": name}, ...]; other event types ignore them.
  std::vector<std::string> states_start;
  std::vector<std::string> states_end;
};

// The request body of spec §2 for `event`, as a new JsonNode reference (the
// caller unrefs it), or as the JSON text to POST.
//
// What goes on the wire:
// * playerTime {playhead, ts} always; eventType always.
// * params only when non-empty, and never on ping (§7).
// * qoeData with the set keys only, when any is set, and never on ping.
// * customMetadata only when non-empty and only on sessionStart, adStart and
//   chapterStart (§10): the schemas of every other event reject it, so it is
//   ignored there rather than costing the whole request a 400. Keys §10 does
//   not accept are dropped for the same reason: on sessionStart one bad key
//   would lose the whole session.
// * statesUpdate: statesStart / statesEnd inside params, each when non-empty,
//   after any other params.
//
// Numbers are made safe for the wire (see wire_number()): a param whose double
// is not finite is left out, and a non-finite playhead is sent as 0, since
// playerTime.playhead is mandatory and no position is a better guess than the
// start.
//
// event_to_body() writes the wire text directly (json-writer.h); event_to_json()
// builds the same body with json-glib, and json-glib's text of it is the same
// as event_to_body()'s (the tests hold the two to that).
JsonNode *event_to_json(const Event &event);
std::string event_to_body(const Event &event);

// The value json-glib can write for a JSON number `value`, or nothing when no
// sensible number can be sent:
// * NaN and ±inf → nothing: json-glib would write "nan.0" / "inf.0", which is
//   not JSON.
// * 0 < |value| < 1e-4 → 0.0: json-glib 1.6 formats doubles with "%.17g" and
//   appends ".0" when the text has no '.', so a value printed in exponent form
//   with a one-digit mantissa (e.g. 1e-08) becomes "1e-08.0", which is not
//   JSON. Below 1e-4 "%.17g" uses exponent form; for seconds that is 0.
// * |value| ≥ 2^53 → the same whole number as an int64 (every such double is
//   whole), because "%.17g" would write 1e+17 as "1e+17.0"; beyond int64 →
//   nothing.
// Between those bounds "%.17g" writes fixed notation, which is always valid.
// The result is a double or an int64_t alternative of Value.
std::optional<Value> wire_number(double value);

}  // namespace mediaanalytics
