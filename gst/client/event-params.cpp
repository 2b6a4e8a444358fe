// Checks an application's event params against the spec's key tables (§9.5–
// §9.9) and its custom metadata against §10. See event-params.h.
#include "event-params.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <set>
#include <string_view>
#include <type_traits>
#include <vector>

namespace mediaanalytics {
namespace {

// The JSON types of §9's tables. None of the keys checked here is a boolean.
enum class Kind { kString, kInteger, kNumber };

// One key an event takes, as its spec table has it.
struct KeySpec {
  const char *key;
  Kind kind;
  bool required;
  // The least value of an integer or number, or the least length of a string
  // (1 for the IDs and names that mean nothing when empty).
  int64_t minimum;
  // What the key means, for messages.
  const char *meaning;
  // The only values a string may take, null-terminated; null for any string.
  const char *const *one_of = nullptr;
};

// §9.9: "These are the only two values".
constexpr const char *kErrorSources[] = {"player", "external", nullptr};

// §9.5, in its order. podIndex counts from 0: timeline 1 gives the pre-roll 0
// (§16 #9). podSecond is a content second, 0 for a pre-roll (§5.1).
constexpr KeySpec kAdBreakKeys[] = {
    {"media.ad.podFriendlyName", Kind::kString, false, 0, "the break's name"},
    {"media.ad.podIndex", Kind::kInteger, true, 0,
     "the break's index in the content, 0 for a pre-roll"},
    {"media.ad.podSecond", Kind::kNumber, true, 0,
     "the content second where the break sits, 0 for a pre-roll"},
};

// §9.6 then §9.7, in their order. podPosition counts from 1 (§16 #8). The ID
// and player name are what the reports file the ad under, so not empty.
// podFriendlyName is not here: it belongs to adBreakStart, whatever timeline
// 1's adStart samples carry.
constexpr KeySpec kAdKeys[] = {
    {"media.ad.id", Kind::kString, true, 1, "the ad's unique ID"},
    {"media.ad.name", Kind::kString, false, 0, "the ad's title"},
    {"media.ad.length", Kind::kNumber, true, 0, "the ad's length in seconds"},
    {"media.ad.podPosition", Kind::kInteger, true, 1,
     "the ad's position in its break, from 1"},
    {"media.ad.playerName", Kind::kString, true, 1,
     "the player or ad stack that rendered the ad"},
    {"media.ad.advertiser", Kind::kString, false, 0, "ad standard metadata"},
    {"media.ad.campaignId", Kind::kString, false, 0, "ad standard metadata"},
    {"media.ad.creativeId", Kind::kString, false, 0, "ad standard metadata"},
    {"media.ad.siteId", Kind::kString, false, 0, "ad standard metadata"},
    {"media.ad.creativeURL", Kind::kString, false, 0, "ad standard metadata"},
    {"media.ad.placementId", Kind::kString, false, 0, "ad standard metadata"},
};

// §9.8, in its order. The index is "usually 1-based"; we count from 1, as
// podPosition does.
constexpr KeySpec kChapterKeys[] = {
    {"media.chapter.index", Kind::kInteger, true, 1, "the chapter's position, from 1"},
    {"media.chapter.offset", Kind::kNumber, true, 0,
     "the content second where the chapter starts"},
    {"media.chapter.length", Kind::kNumber, true, 0, "the chapter's length in seconds"},
    {"media.chapter.friendlyName", Kind::kString, false, 0, "the chapter's title"},
};

// §9.9: nothing required (§5.1: an error may come without params). An empty
// ID cannot be told apart from other errors, which the back end gathers by ID.
constexpr KeySpec kErrorKeys[] = {
    {"media.errorId", Kind::kString, false, 1, "the error's code or ID"},
    {"media.errorSource", Kind::kString, false, 0, "where the error came from",
     kErrorSources},
};

struct EventKeys {
  EventType type;
  const KeySpec *keys;
  std::size_t count;
  // Where the spec lists them, for messages.
  const char *sections;
};

// The events the application gives params for; every other one takes none.
constexpr EventKeys kEventKeys[] = {
    {EventType::kAdBreakStart, kAdBreakKeys, std::size(kAdBreakKeys), "§9.5"},
    {EventType::kAdStart, kAdKeys, std::size(kAdKeys), "§9.6, §9.7"},
    {EventType::kChapterStart, kChapterKeys, std::size(kChapterKeys), "§9.8"},
    {EventType::kError, kErrorKeys, std::size(kErrorKeys), "§9.9"},
};

const EventKeys *keys_of(EventType type) {
  for (const EventKeys &entry : kEventKeys) {
    if (entry.type == type) {
      return &entry;
    }
  }
  return nullptr;
}

const KeySpec *find_spec(const EventKeys *table, const std::string &key) {
  if (table == nullptr) {
    return nullptr;
  }
  for (std::size_t i = 0; i < table->count; ++i) {
    if (key == table->keys[i].key) {
      return &table->keys[i];
    }
  }
  return nullptr;
}

// A hint is offered up to this edit distance: one typo, or two swapped letters
// and a wrong case, without suggesting a different key.
constexpr std::size_t kMaxHintDistance = 2;

char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// The optimal string alignment distance of `a` and `b`, ignoring ASCII case:
// edits, insertions, deletions and swaps of two neighbours count 1 each, so
// "lenght" is 1 away from "length".
std::size_t distance(std::string_view a, std::string_view b) {
  const std::size_t n = a.size();
  const std::size_t m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1));
  for (std::size_t i = 0; i <= n; ++i) {
    d[i][0] = i;
  }
  for (std::size_t j = 0; j <= m; ++j) {
    d[0][j] = j;
  }
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = ascii_lower(a[i - 1]) == ascii_lower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && ascii_lower(a[i - 1]) == ascii_lower(b[j - 2]) &&
          ascii_lower(a[i - 2]) == ascii_lower(b[j - 1])) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

// The key of `table` closest to `key`, if one is close enough; the first in
// table order on a tie.
const char *closest_key(const EventKeys &table, const std::string &key) {
  const char *best = nullptr;
  std::size_t best_distance = kMaxHintDistance + 1;
  for (std::size_t i = 0; i < table.count; ++i) {
    const std::string_view known = table.keys[i].key;
    // The distance is at least the difference in length: skip the work (and
    // bound it, whatever the length of `key`).
    const std::size_t gap =
        key.size() > known.size() ? key.size() - known.size() : known.size() - key.size();
    if (gap >= best_distance) {
      continue;
    }
    const std::size_t found = distance(key, known);
    if (found < best_distance) {
      best = table.keys[i].key;
      best_distance = found;
    }
  }
  return best;
}

// The event whose table has `key`, if any.
const char *owner_of(const std::string &key) {
  for (const EventKeys &entry : kEventKeys) {
    if (find_spec(&entry, key) != nullptr) {
      return event_type_name(entry.type);
    }
  }
  return nullptr;
}

// Why an event with no key table takes no params from the application.
std::string no_params_reason(EventType type) {
  const std::string name = event_type_name(type);
  switch (type) {
    case EventType::kSessionStart:
      return "the element builds sessionStart's params itself, from its properties "
             "(§9.1–§9.4)";
    case EventType::kStatesUpdate:
      return "statesUpdate carries state names (§11), not params";
    default:
      return name + " has no params (§5)";
  }
}

std::string quoted(const std::string &key) {
  return "'" + key + "'";
}

// A value of the caller's for a message: at most this many bytes of it.
constexpr std::size_t kShownBytes = 40;

std::string shown_string(const std::string &value) {
  if (value.size() <= kShownBytes) {
    return "\"" + value + "\"";
  }
  // Cut on a UTF-8 character boundary, so that the message stays valid text.
  std::size_t cut = kShownBytes;
  while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  return "\"" + value.substr(0, cut) + "…\"";
}

// The shortest text that reads back as `value`; whole values keep a ".0" so
// that they read as the doubles they are.
std::string shown_double(double value) {
  char text[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(text, sizeof text, "%.*g", precision, value);
    if (!std::isfinite(value) || std::strtod(text, nullptr) == value) {
      break;
    }
  }
  std::string shown = text;
  if (std::isfinite(value) && shown.find_first_of(".e") == std::string::npos) {
    shown += ".0";
  }
  return shown;
}

// "the string \"15\"", "the number 1.5", ...: what the caller gave instead.
std::string shown_value(const Value &value) {
  return std::visit(
      [](const auto &v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return "the string " + shown_string(v);
        } else if constexpr (std::is_same_v<T, double>) {
          return "the number " + shown_double(v);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          return "the integer " + std::to_string(v);
        } else {
          return std::string("the boolean ") + (v ? "true" : "false");
        }
      },
      value);
}

const char *kind_name(Kind kind) {
  switch (kind) {
    case Kind::kString:
      return "a string";
    case Kind::kInteger:
      return "an integer";
    case Kind::kNumber:
      return "a number";
  }
  return "a value";
}

ParamProblem problem(const KeySpec &spec, const std::string &requirement,
                     const std::string &tail) {
  return {spec.key, quoted(spec.key) + " must be " + requirement + " (" + spec.meaning +
                        ")" + tail};
}

std::string at_least(Kind kind, int64_t minimum) {
  return std::string(kind_name(kind)) + " of at least " + std::to_string(minimum);
}

// Checks the string `value` of `spec`.
std::optional<ParamProblem> check_string(const KeySpec &spec, const std::string &value) {
  // The least length is 0 or 1.
  if (value.size() < static_cast<std::size_t>(spec.minimum)) {
    return problem(spec, "a non-empty string", "");
  }
  if (spec.one_of == nullptr) {
    return std::nullopt;
  }
  std::string choices;
  for (const char *const *choice = spec.one_of; *choice != nullptr; ++choice) {
    if (value == *choice) {
      return std::nullopt;
    }
    choices += choices.empty() ? "" : (choice[1] == nullptr ? " or " : ", ");
    choices += std::string("\"") + *choice + "\"";
  }
  return problem(spec, choices, ", not " + shown_string(value));
}

// Checks the number `value` of `spec` (an int64_t already made a double);
// `shown` is the value as the caller gave it.
std::optional<ParamProblem> check_number(const KeySpec &spec, double value,
                                         const std::string &shown) {
  if (!std::isfinite(value)) {
    return problem(spec, "a finite number", ", not " + shown);
  }
  if (value < static_cast<double>(spec.minimum)) {
    return problem(spec, at_least(spec.kind, spec.minimum), ", not " + shown);
  }
  // event_to_body() would leave such a value out (see wire_number()).
  if (!wire_number(value)) {
    return problem(spec, "a number below 2^63",
                   ", not " + shown + ", which the request body cannot carry");
  }
  return std::nullopt;
}

// Checks `value` for `spec`; on success sets `normalized` to what goes on the
// wire.
std::optional<ParamProblem> check_value(const KeySpec &spec, const Value &value,
                                        Value &normalized) {
  const std::string wrong_type = ", not " + shown_value(value);
  switch (spec.kind) {
    case Kind::kString:
      if (const std::string *s = std::get_if<std::string>(&value)) {
        normalized = *s;
        return check_string(spec, *s);
      }
      return problem(spec, kind_name(spec.kind), wrong_type);
    case Kind::kInteger:
      if (const int64_t *i = std::get_if<int64_t>(&value)) {
        if (*i < spec.minimum) {
          return problem(spec, at_least(spec.kind, spec.minimum),
                         ", not " + std::to_string(*i));
        }
        normalized = *i;
        return std::nullopt;
      }
      if (const double *d = std::get_if<double>(&value);
          d != nullptr && std::isfinite(*d) && std::trunc(*d) == *d) {
        // A whole double is still a JSON number, which an integer key refuses.
        return problem(spec, kind_name(spec.kind),
                       wrong_type +
                           ": the back end checks JSON types exactly (§2), so give an "
                           "int64_t");
      }
      return problem(spec, kind_name(spec.kind), wrong_type);
    case Kind::kNumber:
      if (const double *d = std::get_if<double>(&value)) {
        normalized = *d;
        return check_number(spec, *d, shown_double(*d));
      }
      if (const int64_t *i = std::get_if<int64_t>(&value)) {
        // An integer is a number too (§2); it goes out as a double, like the
        // rest of the key's values.
        normalized = static_cast<double>(*i);
        return check_number(spec, static_cast<double>(*i), std::to_string(*i));
      }
      return problem(spec, kind_name(spec.kind), wrong_type);
  }
  return problem(spec, kind_name(spec.kind), wrong_type);
}

// The problem with `key` when `table` (null: no params at all) does not have
// it.
std::optional<ParamProblem> check_known(EventType type, const EventKeys *table,
                                        const std::string &key) {
  if (find_spec(table, key) != nullptr) {
    return std::nullopt;
  }
  const std::string name = event_type_name(type);
  const char *owner = owner_of(key);
  if (table == nullptr) {
    std::string message =
        quoted(key) + " cannot be given on " + name + ": " + no_params_reason(type);
    if (owner != nullptr) {
      message += "; it belongs on " + std::string(owner);
    }
    return ParamProblem{key, message};
  }
  std::string message = quoted(key) + " is not a key " + name + " takes";
  const char *hint = closest_key(*table, key);
  if (owner != nullptr) {
    message += ": it belongs on " + std::string(owner);
  } else if (hint != nullptr) {
    message += "; did you mean " + quoted(hint) + "?";
  } else {
    message += " (" + std::string(table->sections) +
               "), and the back end refuses unknown keys (§17)";
  }
  return ParamProblem{key, message};
}

}  // namespace

std::variant<Params, ParamProblem> check_event_params(EventType type,
                                                      const Params &params) {
  const EventKeys *table = keys_of(type);
  // Unknown keys first: a mistyped required key is then named as the typo it
  // is, not as a missing key.
  for (const auto &entry : params) {
    if (auto found = check_known(type, table, entry.first)) {
      return *found;
    }
  }
  Params normalized;
  if (table == nullptr) {
    return normalized;
  }
  for (std::size_t i = 0; i < table->count; ++i) {
    const KeySpec &spec = table->keys[i];
    const Value *value = params.find(spec.key);
    if (value == nullptr) {
      if (spec.required) {
        return ParamProblem{spec.key, std::string(event_type_name(type)) + " requires " +
                                          quoted(spec.key) + " (" + spec.meaning +
                                          "), which is missing"};
      }
      continue;
    }
    Value wire;
    if (auto found = check_value(spec, *value, wire)) {
      return *found;
    }
    normalized.set(spec.key, std::move(wire));
  }
  return normalized;
}

std::optional<ParamProblem> check_custom_metadata(const CustomMetadata &custom) {
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < custom.size(); ++i) {
    const std::string &key = custom[i].first;
    if (i == kMaxCustomMetadataKeys) {
      return ParamProblem{key, quoted(key) + " would be customMetadata key " +
                                   std::to_string(i + 1) + ", beyond the limit of " +
                                   std::to_string(kMaxCustomMetadataKeys) + " keys"};
    }
    if (!custom_metadata_key_is_valid(key)) {
      return ParamProblem{key, quoted(key) +
                                   " is not a valid customMetadata key: keys must "
                                   "match ^[a-zA-Z0-9_.]+$ (§10)"};
    }
    if (key.compare(0, 2, "a.") == 0) {
      return ParamProblem{key, quoted(key) +
                                   " starts with 'a.', the prefix reserved for Adobe's "
                                   "standard metadata (§10)"};
    }
    if (key.compare(0, 6, "media.") == 0) {
      return ParamProblem{key, quoted(key) +
                                   " starts with 'media.', which could overwrite "
                                   "standard media fields in reports (§10)"};
    }
    // A JSON object holds a key once: one of the two values would be lost.
    if (!seen.insert(key).second) {
      return ParamProblem{key, quoted(key) +
                                   " is given twice in customMetadata, and a "
                                   "key takes one value"};
    }
  }
  return std::nullopt;
}

}  // namespace mediaanalytics
