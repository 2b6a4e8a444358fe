// The checks on an application's event params and custom metadata
// (gst/client/event-params.h), one rule per test.
//
// Every accepted case is also built into a request body and validated against
// the collector's schema of its event type (tools/collector/event-schemas.h),
// so that what the check lets through is what the endpoint accepts.
#include <gst/check/gstcheck.h>

#include <json-glib/json-glib.h>

#include <cmath>
#include <iterator>
#include <limits>
#include <string>
#include <variant>
#include <vector>

#include "event-params.h"
#include "event-schemas.h"
#include "event.h"
#include "json-schema.h"

using mediaanalytics::CustomMetadata;
using mediaanalytics::Event;
using mediaanalytics::EventType;
using mediaanalytics::ParamProblem;
using mediaanalytics::Params;
using mediaanalytics::Value;

namespace {

const char *name_of(EventType type) {
  return mediaanalytics::event_type_name(type);
}

// The keys of `params`, comma-separated, in order.
std::string keys_of(const Params &params) {
  std::string keys;
  for (const auto &entry : params) {
    keys += (keys.empty() ? "" : ",") + entry.first;
  }
  return keys;
}

// Fails unless the body of an event of `type` with `params` and `custom`
// validates against the collector's schema.
void assert_body_valid(EventType type, const Params &params,
                       const CustomMetadata &custom = {}) {
  Event event;
  event.type = type;
  event.ts_ms = 1700000000000;
  event.playhead = 12.5;
  event.params = params;
  event.custom = custom;
  const std::string body = mediaanalytics::event_to_body(event);
  GError *error = nullptr;
  g_autoptr(JsonNode) node = json_from_string(body.c_str(), &error);
  fail_unless(node != nullptr && error == nullptr, "%s body is not JSON: %s",
              name_of(type), body.c_str());
  g_autoptr(JsonNode) schema = collector::event_schema(name_of(type));
  fail_unless(schema != nullptr, "no schema for %s", name_of(type));
  const auto found = collector::validate(schema, node);
  fail_unless(!found, "%s: %s: %s in %s", name_of(type),
              found ? found->pointer.c_str() : "", found ? found->reason.c_str() : "",
              body.c_str());
}

// The normalized params; fails when they are refused, or when their body does
// not validate.
Params accepted(EventType type, const Params &params) {
  auto result = mediaanalytics::check_event_params(type, params);
  const ParamProblem *problem = std::get_if<ParamProblem>(&result);
  fail_unless(problem == nullptr, "%s {%s} refused: %s", name_of(type),
              keys_of(params).c_str(), problem ? problem->message.c_str() : "");
  Params normalized = std::get<Params>(result);
  assert_body_valid(type, normalized);
  return normalized;
}

// The problem; fails when the params are accepted, when the problem is not
// about `key`, or when its message does not name `key` in quotes and contain
// `says`.
ParamProblem refused(EventType type, const Params &params, const std::string &key,
                     const std::string &says = "") {
  auto result = mediaanalytics::check_event_params(type, params);
  const ParamProblem *problem = std::get_if<ParamProblem>(&result);
  fail_unless(problem != nullptr, "%s {%s} accepted, expected a problem with '%s'",
              name_of(type), keys_of(params).c_str(), key.c_str());
  fail_unless(problem->key == key, "%s: problem about '%s', expected '%s': %s",
              name_of(type), problem->key.c_str(), key.c_str(), problem->message.c_str());
  fail_unless(problem->message.find("'" + key + "'") != std::string::npos,
              "the message does not name '%s': %s", key.c_str(),
              problem->message.c_str());
  fail_unless(problem->message.find(says) != std::string::npos, "expected \"%s\" in: %s",
              says.c_str(), problem->message.c_str());
  return *problem;
}

// The required keys only, of the right types.
Params minimal_ad_break() {
  return Params().set("media.ad.podIndex", 0).set("media.ad.podSecond", 0.0);
}

Params minimal_ad() {
  return Params()
      .set("media.ad.id", "001")
      .set("media.ad.length", 15.0)
      .set("media.ad.podPosition", 1)
      .set("media.ad.playerName", "Sample Player");
}

Params minimal_chapter() {
  return Params()
      .set("media.chapter.index", 1)
      .set("media.chapter.offset", 0.0)
      .set("media.chapter.length", 21.0);
}

// Every key, given in an order other than the spec table's.
Params full_ad_break() {
  return Params()
      .set("media.ad.podSecond", 22.0)
      .set("media.ad.podIndex", 1)
      .set("media.ad.podFriendlyName", "mid-roll");
}

Params full_ad() {
  return Params()
      .set("media.ad.placementId", "sample_placement")
      .set("media.ad.creativeURL", "https://example.com")
      .set("media.ad.siteId", "XYZ")
      .set("media.ad.creativeId", "42")
      .set("media.ad.campaignId", "1")
      .set("media.ad.advertiser", "Ad Guys")
      .set("media.ad.playerName", "Sample Player")
      .set("media.ad.podPosition", 2)
      .set("media.ad.length", 15.0)
      .set("media.ad.name", "Ad 1")
      .set("media.ad.id", "001");
}

Params full_chapter() {
  return Params()
      .set("media.chapter.friendlyName", "Opening")
      .set("media.chapter.length", 21.0)
      .set("media.chapter.offset", 0.0)
      .set("media.chapter.index", 1);
}

Params full_error() {
  return Params().set("media.errorSource", "external").set("media.errorId", "NET-404");
}

// `params` with `key` set to `value`, through the Params::set overload that
// pins its JSON type.
template <typename T>
Params with(Params params, const std::string &key, T value) {
  params.set(key, value);
  return params;
}

// `params` without `key`.
Params without(const Params &params, const std::string &key) {
  Params kept;
  for (const auto &[name, value] : params) {
    if (name != key) {
      kept.set(name, value);
    }
  }
  return kept;
}

struct Case {
  EventType type;
  Params params;
};

// The full params of each event with a key table.
std::vector<Case> full_cases() {
  return {{EventType::kAdBreakStart, full_ad_break()},
          {EventType::kAdStart, full_ad()},
          {EventType::kChapterStart, full_chapter()},
          {EventType::kError, full_error()}};
}

constexpr double kInf = std::numeric_limits<double>::infinity();

}  // namespace

// --- Accepted params ---------------------------------------------------------

GST_START_TEST(test_ad_break_start_minimal_and_full) {
  const Params minimal = accepted(EventType::kAdBreakStart, minimal_ad_break());
  fail_unless(keys_of(minimal) == "media.ad.podIndex,media.ad.podSecond", "%s",
              keys_of(minimal).c_str());
  // Normalized into the order of §9.5's table.
  const Params full = accepted(EventType::kAdBreakStart, full_ad_break());
  fail_unless(
      keys_of(full) == "media.ad.podFriendlyName,media.ad.podIndex,media.ad.podSecond",
      "%s", keys_of(full).c_str());
  fail_unless(std::get<int64_t>(*full.find("media.ad.podIndex")) == 1, "podIndex");
  fail_unless(std::get<double>(*full.find("media.ad.podSecond")) == 22.0, "podSecond");
  fail_unless(std::get<std::string>(*full.find("media.ad.podFriendlyName")) == "mid-roll",
              "podFriendlyName");
}
GST_END_TEST;

GST_START_TEST(test_ad_start_minimal_and_full) {
  const Params minimal = accepted(EventType::kAdStart, minimal_ad());
  fail_unless(keys_of(minimal) ==
                  "media.ad.id,media.ad.length,media.ad.podPosition,media.ad.playerName",
              "%s", keys_of(minimal).c_str());
  const Params full = accepted(EventType::kAdStart, full_ad());
  fail_unless(keys_of(full) ==
                  "media.ad.id,media.ad.name,media.ad.length,media.ad.podPosition,"
                  "media.ad.playerName,media.ad.advertiser,media.ad.campaignId,"
                  "media.ad.creativeId,media.ad.siteId,media.ad.creativeURL,"
                  "media.ad.placementId",
              "%s", keys_of(full).c_str());
}
GST_END_TEST;

GST_START_TEST(test_chapter_start_minimal_and_full) {
  accepted(EventType::kChapterStart, minimal_chapter());
  const Params full = accepted(EventType::kChapterStart, full_chapter());
  fail_unless(keys_of(full) ==
                  "media.chapter.index,media.chapter.offset,media.chapter.length,"
                  "media.chapter.friendlyName",
              "%s", keys_of(full).c_str());
}
GST_END_TEST;

// §5.1: no error param is required.
GST_START_TEST(test_error_minimal_and_full) {
  fail_unless(accepted(EventType::kError, Params()).empty(), "params appeared");
  accepted(EventType::kError, Params().set("media.errorId", "NET-404"));
  accepted(EventType::kError, Params().set("media.errorSource", "player"));
  const Params full = accepted(EventType::kError, full_error());
  fail_unless(keys_of(full) == "media.errorId,media.errorSource", "%s",
              keys_of(full).c_str());
}
GST_END_TEST;

// Optional strings may be empty; only IDs and names that are required may not.
GST_START_TEST(test_optional_strings_may_be_empty) {
  accepted(EventType::kAdBreakStart,
           with(minimal_ad_break(), "media.ad.podFriendlyName", std::string()));
  accepted(EventType::kAdStart, with(minimal_ad(), "media.ad.name", std::string()));
  accepted(EventType::kChapterStart,
           with(minimal_chapter(), "media.chapter.friendlyName", std::string()));
}
GST_END_TEST;

// --- Required keys -----------------------------------------------------------

GST_START_TEST(test_each_missing_required_key_is_named) {
  const Case cases[] = {{EventType::kAdBreakStart, minimal_ad_break()},
                        {EventType::kAdStart, minimal_ad()},
                        {EventType::kChapterStart, minimal_chapter()}};
  for (const Case &c : cases) {
    for (const auto &entry : c.params) {
      refused(c.type, without(c.params, entry.first), entry.first, "which is missing");
    }
  }
  const ParamProblem problem =
      refused(EventType::kAdStart, without(minimal_ad(), "media.ad.id"), "media.ad.id");
  fail_unless(problem.message ==
                  "adStart requires 'media.ad.id' (the ad's unique ID), which is missing",
              "%s", problem.message.c_str());
}
GST_END_TEST;

// The first missing key in the order of the spec's table.
GST_START_TEST(test_first_problem_in_table_order) {
  refused(EventType::kAdBreakStart, Params(), "media.ad.podIndex", "missing");
  refused(EventType::kChapterStart, Params().set("media.chapter.length", -1.0),
          "media.chapter.index", "missing");
  // podPosition comes before playerName in §9.6.
  Params two_bad = with(minimal_ad(), "media.ad.playerName", std::string());
  two_bad.set("media.ad.podPosition", 0);
  refused(EventType::kAdStart, two_bad, "media.ad.podPosition", "at least 1");
}
GST_END_TEST;

// --- JSON types --------------------------------------------------------------

// Each key given a value of every type it does not take.
GST_START_TEST(test_each_wrong_type_is_refused) {
  const Value wrong_for_string[] = {Value(int64_t{1}), Value(1.5), Value(true)};
  const Value wrong_for_integer[] = {Value(std::string("1")), Value(1.5), Value(false)};
  const Value wrong_for_number[] = {Value(std::string("15")), Value(true)};
  for (const Case &c : full_cases()) {
    for (const auto &[key, value] : c.params) {
      if (std::holds_alternative<std::string>(value)) {
        for (const Value &wrong : wrong_for_string) {
          refused(c.type, with(c.params, key, wrong), key, "must be a string");
        }
      } else if (std::holds_alternative<int64_t>(value)) {
        for (const Value &wrong : wrong_for_integer) {
          refused(c.type, with(c.params, key, wrong), key, "must be an integer");
        }
      } else {
        for (const Value &wrong : wrong_for_number) {
          refused(c.type, with(c.params, key, wrong), key, "must be a number");
        }
      }
    }
  }
  const ParamProblem problem =
      refused(EventType::kAdStart, with(minimal_ad(), "media.ad.length", "15"),
              "media.ad.length");
  fail_unless(problem.message ==
                  "'media.ad.length' must be a number (the ad's length in seconds), "
                  "not the string \"15\"",
              "%s", problem.message.c_str());
}
GST_END_TEST;

// §2: an integer is a number; it goes out as a double.
GST_START_TEST(test_integer_for_number_is_converted) {
  const Case cases[] = {
      {EventType::kAdBreakStart, with(minimal_ad_break(), "media.ad.podSecond", 30)},
      {EventType::kAdStart, with(minimal_ad(), "media.ad.length", 30)},
      {EventType::kChapterStart, with(minimal_chapter(), "media.chapter.offset", 30)},
      {EventType::kChapterStart, with(minimal_chapter(), "media.chapter.length", 30)},
  };
  const char *keys[] = {"media.ad.podSecond", "media.ad.length", "media.chapter.offset",
                        "media.chapter.length"};
  for (std::size_t i = 0; i < std::size(cases); ++i) {
    const Params normalized = accepted(cases[i].type, cases[i].params);
    const Value *value = normalized.find(keys[i]);
    fail_unless(value != nullptr && std::holds_alternative<double>(*value) &&
                    std::get<double>(*value) == 30.0,
                "%s not converted to the double 30", keys[i]);
  }
}
GST_END_TEST;

// A whole double is still a JSON number, which the back end refuses for an
// integer key.
GST_START_TEST(test_double_for_integer_is_refused) {
  const ParamProblem problem =
      refused(EventType::kAdStart, with(minimal_ad(), "media.ad.podPosition", 1.0),
              "media.ad.podPosition", "not the number 1.0");
  fail_unless(problem.message.find("int64_t") != std::string::npos, "%s",
              problem.message.c_str());
  refused(EventType::kAdBreakStart, with(minimal_ad_break(), "media.ad.podIndex", 0.0),
          "media.ad.podIndex", "int64_t");
  refused(EventType::kChapterStart, with(minimal_chapter(), "media.chapter.index", 2.0),
          "media.chapter.index", "int64_t");
  refused(EventType::kChapterStart, with(minimal_chapter(), "media.chapter.index", 2.5),
          "media.chapter.index", "not the number 2.5");
}
GST_END_TEST;

// --- Ranges ------------------------------------------------------------------

// §16 #8: podPosition counts from 1.
GST_START_TEST(test_pod_position_from_1) {
  const ParamProblem problem =
      refused(EventType::kAdStart, with(minimal_ad(), "media.ad.podPosition", 0),
              "media.ad.podPosition");
  fail_unless(problem.message ==
                  "'media.ad.podPosition' must be an integer of at least 1 (the ad's "
                  "position in its break, from 1), not 0",
              "%s", problem.message.c_str());
  refused(EventType::kAdStart, with(minimal_ad(), "media.ad.podPosition", -3),
          "media.ad.podPosition", "not -3");
}
GST_END_TEST;

// §16 #9: the pre-roll's podIndex is 0.
GST_START_TEST(test_pod_index_from_0) {
  accepted(EventType::kAdBreakStart, with(minimal_ad_break(), "media.ad.podIndex", 0));
  refused(EventType::kAdBreakStart, with(minimal_ad_break(), "media.ad.podIndex", -1),
          "media.ad.podIndex", "at least 0");
}
GST_END_TEST;

GST_START_TEST(test_chapter_index_from_1) {
  refused(EventType::kChapterStart, with(minimal_chapter(), "media.chapter.index", 0),
          "media.chapter.index", "at least 1");
}
GST_END_TEST;

// Seconds and lengths are never negative; 0 is fine (a pre-roll's podSecond,
// the first chapter's offset).
GST_START_TEST(test_negative_seconds_are_refused) {
  refused(EventType::kAdBreakStart, with(minimal_ad_break(), "media.ad.podSecond", -0.5),
          "media.ad.podSecond", "must be a number of at least 0");
  refused(EventType::kAdStart, with(minimal_ad(), "media.ad.length", -1.0),
          "media.ad.length", "not -1.0");
  refused(EventType::kAdStart, with(minimal_ad(), "media.ad.length", -1),
          "media.ad.length", "not -1");
  refused(EventType::kChapterStart, with(minimal_chapter(), "media.chapter.offset", -2.0),
          "media.chapter.offset", "at least 0");
  refused(EventType::kChapterStart, with(minimal_chapter(), "media.chapter.length", -2.0),
          "media.chapter.length", "at least 0");
  accepted(EventType::kAdStart, with(minimal_ad(), "media.ad.length", 0.0));
  accepted(EventType::kChapterStart, with(minimal_chapter(), "media.chapter.length", 0));
}
GST_END_TEST;

// NaN and ±inf have no JSON form (event_to_body() would leave them out, and
// the back end then refuses a missing key); neither have numbers beyond 2^63.
GST_START_TEST(test_numbers_must_be_finite) {
  const double values[] = {std::nan(""), kInf, -kInf};
  for (double value : values) {
    refused(EventType::kAdBreakStart,
            with(minimal_ad_break(), "media.ad.podSecond", value), "media.ad.podSecond",
            "must be a finite number");
    refused(EventType::kAdStart, with(minimal_ad(), "media.ad.length", value),
            "media.ad.length", "must be a finite number");
    refused(EventType::kChapterStart,
            with(minimal_chapter(), "media.chapter.offset", value),
            "media.chapter.offset", "must be a finite number");
    refused(EventType::kChapterStart,
            with(minimal_chapter(), "media.chapter.length", value),
            "media.chapter.length", "must be a finite number");
  }
  refused(EventType::kAdStart, with(minimal_ad(), "media.ad.length", 1e300),
          "media.ad.length", "below 2^63");
}
GST_END_TEST;

GST_START_TEST(test_ids_and_names_not_empty) {
  refused(EventType::kAdStart, with(minimal_ad(), "media.ad.id", ""), "media.ad.id",
          "must be a non-empty string");
  refused(EventType::kAdStart, with(minimal_ad(), "media.ad.playerName", ""),
          "media.ad.playerName", "must be a non-empty string");
  refused(EventType::kError, Params().set("media.errorId", ""), "media.errorId",
          "must be a non-empty string");
}
GST_END_TEST;

// §9.9: "player" or "external", and nothing else.
GST_START_TEST(test_error_source_values) {
  accepted(EventType::kError, with(full_error(), "media.errorSource", "player"));
  accepted(EventType::kError, with(full_error(), "media.errorSource", "external"));
  const ParamProblem problem =
      refused(EventType::kError, with(full_error(), "media.errorSource", "cdn"),
              "media.errorSource");
  fail_unless(problem.message ==
                  "'media.errorSource' must be \"player\" or \"external\" (where the "
                  "error came from), not \"cdn\"",
              "%s", problem.message.c_str());
  refused(EventType::kError, with(full_error(), "media.errorSource", "Player"),
          "media.errorSource", "not \"Player\"");
  refused(EventType::kError, with(full_error(), "media.errorSource", ""),
          "media.errorSource", "not \"\"");
}
GST_END_TEST;

// --- Unknown keys ------------------------------------------------------------

// A typo is named as such, before the required key it misses.
GST_START_TEST(test_unknown_key_with_did_you_mean) {
  Params typo = without(minimal_ad(), "media.ad.length");
  typo.set("media.ad.lenght", 15.0);
  const ParamProblem problem = refused(EventType::kAdStart, typo, "media.ad.lenght");
  fail_unless(problem.message ==
                  "'media.ad.lenght' is not a key adStart takes; did you mean "
                  "'media.ad.length'?",
              "%s", problem.message.c_str());
  refused(EventType::kChapterStart, with(minimal_chapter(), "media.chapter.Index", 1),
          "media.chapter.Index", "did you mean 'media.chapter.index'?");
  refused(EventType::kError, with(full_error(), "media.errorSorce", "player"),
          "media.errorSorce", "did you mean 'media.errorSource'?");
}
GST_END_TEST;

GST_START_TEST(test_unknown_key_without_did_you_mean) {
  const ParamProblem problem =
      refused(EventType::kAdStart, with(minimal_ad(), "media.ad.skippable", "no"),
              "media.ad.skippable", "the back end refuses unknown keys");
  fail_unless(problem.message.find("did you mean") == std::string::npos, "%s",
              problem.message.c_str());
  refused(EventType::kError, with(full_error(), "", "x"), "", "is not a key error takes");
}
GST_END_TEST;

// Timeline 1's adStart samples carry the break's name by mistake.
GST_START_TEST(test_key_of_another_event) {
  refused(EventType::kAdStart, with(minimal_ad(), "media.ad.podFriendlyName", "ad_pod1"),
          "media.ad.podFriendlyName", "it belongs on adBreakStart");
  refused(EventType::kChapterStart, with(minimal_chapter(), "media.ad.length", 15.0),
          "media.ad.length", "it belongs on adStart");
}
GST_END_TEST;

// --- Events without params ---------------------------------------------------

GST_START_TEST(test_params_on_other_event_types) {
  for (EventType type : mediaanalytics::all_event_types()) {
    if (type == EventType::kAdBreakStart || type == EventType::kAdStart ||
        type == EventType::kChapterStart || type == EventType::kError) {
      continue;
    }
    auto empty = mediaanalytics::check_event_params(type, Params());
    fail_unless(std::holds_alternative<Params>(empty) && std::get<Params>(empty).empty(),
                "%s refused empty params", name_of(type));
    if (type != EventType::kSessionStart && type != EventType::kStatesUpdate) {
      assert_body_valid(type, std::get<Params>(empty));
    }
    // The first key is named.
    refused(type, Params().set("media.x", 1).set("media.y", 2), "media.x",
            std::string("cannot be given on ") + name_of(type));
  }
  refused(EventType::kPlay, Params().set("media.x", 1), "media.x", "play has no params");
  refused(EventType::kAdComplete, Params().set("media.ad.id", "001"), "media.ad.id",
          "it belongs on adStart");
  refused(EventType::kStatesUpdate, Params().set("statesStart", "mute"), "statesStart",
          "state names");
}
GST_END_TEST;

// --- Custom metadata ---------------------------------------------------------

GST_START_TEST(test_custom_metadata_accepted) {
  const CustomMetadata custom = {
      {"tier", "gold"}, {"show_id.v2", "42"}, {"ad", ""}, {"mediax", "1"}, {"A9", "x"}};
  fail_unless(!mediaanalytics::check_custom_metadata({}), "empty refused");
  const auto problem = mediaanalytics::check_custom_metadata(custom);
  fail_unless(!problem, "refused: %s", problem ? problem->message.c_str() : "");
  assert_body_valid(EventType::kAdStart, minimal_ad(), custom);
  assert_body_valid(EventType::kChapterStart, minimal_chapter(), custom);
}
GST_END_TEST;

// Fails unless `custom` is refused about `key`, with `says` in the message.
static void assert_custom_refused(const CustomMetadata &custom, const std::string &key,
                                  const std::string &says) {
  const auto problem = mediaanalytics::check_custom_metadata(custom);
  fail_unless(problem.has_value(), "accepted, expected a problem with '%s'", key.c_str());
  fail_unless(problem->key == key, "problem about '%s', expected '%s': %s",
              problem->key.c_str(), key.c_str(), problem->message.c_str());
  fail_unless(problem->message.find("'" + key + "'") != std::string::npos &&
                  problem->message.find(says) != std::string::npos,
              "expected '%s' and \"%s\" in: %s", key.c_str(), says.c_str(),
              problem->message.c_str());
}

GST_START_TEST(test_custom_metadata_key_pattern) {
  for (const char *key : {"bad key", "a-b", "", "caf\xc3\xa9", "x/y"}) {
    assert_custom_refused({{"tier", "gold"}, {key, "v"}}, key, "^[a-zA-Z0-9_.]+$");
  }
}
GST_END_TEST;

GST_START_TEST(test_custom_metadata_reserved_prefixes) {
  assert_custom_refused({{"a.media.name", "x"}}, "a.media.name", "reserved");
  assert_custom_refused({{"media.show", "x"}}, "media.show", "overwrite");
}
GST_END_TEST;

GST_START_TEST(test_custom_metadata_key_given_twice) {
  assert_custom_refused({{"tier", "gold"}, {"x", "1"}, {"tier", "silver"}}, "tier",
                        "twice");
}
GST_END_TEST;

// A bound against runaway input, not a spec rule.
GST_START_TEST(test_custom_metadata_at_most_100_keys) {
  CustomMetadata custom;
  for (int i = 0; i < 100; ++i) {
    custom.emplace_back("k" + std::to_string(i), "v");
  }
  fail_unless(!mediaanalytics::check_custom_metadata(custom), "100 keys refused");
  custom.emplace_back("k100", "v");
  assert_custom_refused(custom, "k100", "beyond the limit of 100 keys");
}
GST_END_TEST;

GST_START_TEST(test_custom_metadata_first_problem) {
  assert_custom_refused({{"ok", "1"}, {"media.x", "2"}, {"bad key", "3"}}, "media.x",
                        "media.");
}
GST_END_TEST;

static Suite *event_params_suite(void) {
  Suite *s = suite_create("client-event-params");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_ad_break_start_minimal_and_full);
  tcase_add_test(tc, test_ad_start_minimal_and_full);
  tcase_add_test(tc, test_chapter_start_minimal_and_full);
  tcase_add_test(tc, test_error_minimal_and_full);
  tcase_add_test(tc, test_optional_strings_may_be_empty);
  tcase_add_test(tc, test_each_missing_required_key_is_named);
  tcase_add_test(tc, test_first_problem_in_table_order);
  tcase_add_test(tc, test_each_wrong_type_is_refused);
  tcase_add_test(tc, test_integer_for_number_is_converted);
  tcase_add_test(tc, test_double_for_integer_is_refused);
  tcase_add_test(tc, test_pod_position_from_1);
  tcase_add_test(tc, test_pod_index_from_0);
  tcase_add_test(tc, test_chapter_index_from_1);
  tcase_add_test(tc, test_negative_seconds_are_refused);
  tcase_add_test(tc, test_numbers_must_be_finite);
  tcase_add_test(tc, test_ids_and_names_not_empty);
  tcase_add_test(tc, test_error_source_values);
  tcase_add_test(tc, test_unknown_key_with_did_you_mean);
  tcase_add_test(tc, test_unknown_key_without_did_you_mean);
  tcase_add_test(tc, test_key_of_another_event);
  tcase_add_test(tc, test_params_on_other_event_types);
  tcase_add_test(tc, test_custom_metadata_accepted);
  tcase_add_test(tc, test_custom_metadata_key_pattern);
  tcase_add_test(tc, test_custom_metadata_reserved_prefixes);
  tcase_add_test(tc, test_custom_metadata_key_given_twice);
  tcase_add_test(tc, test_custom_metadata_at_most_100_keys);
  tcase_add_test(tc, test_custom_metadata_first_problem);
  return s;
}

GST_CHECK_MAIN(event_params);
