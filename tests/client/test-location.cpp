// The session ID from a Location header and the endpoint URLs
// (gst/client/location.h, spec §1 and §3.1).
#include <gst/check/gstcheck.h>

#include <optional>
#include <string>

#include "location.h"

using mediaanalytics::events_url;
using mediaanalytics::session_id_from_location;
using mediaanalytics::sessions_url;

namespace {

// §3.1's sample.
constexpr const char *kSampleId =
    "bfcca2ca597a3c71bc03b4ce357833ad02b3570d262ecd0c595fcf8f2ae4df58";

std::string id_or_none(const char *location) {
  const std::optional<std::string> sid = session_id_from_location(location);
  return sid ? *sid : "<none>";
}

void expect_id(const char *location, const std::string &expected) {
  const std::string got = id_or_none(location);
  fail_unless(got == expected, "%s: expected %s, got %s", location, expected.c_str(),
              got.c_str());
}

void expect_none(const char *location) {
  const std::optional<std::string> sid = session_id_from_location(location);
  fail_unless(!sid, "%s: expected no session ID, got %s", location ? location : "(null)",
              sid ? sid->c_str() : "");
}

}  // namespace

GST_START_TEST(test_spec_sample) {
  const std::string location = std::string("/api/v1/sessions/") + kSampleId;
  expect_id(location.c_str(), kSampleId);
}
GST_END_TEST;

GST_START_TEST(test_absolute_url) {
  const std::string https =
      std::string("https://collect.example.com/api/v1/sessions/") + kSampleId;
  expect_id(https.c_str(), kSampleId);
  expect_id("http://127.0.0.1:8080/api/v1/sessions/abc", "abc");
}
GST_END_TEST;

// The reporting pages speak of ~22 alphanumeric characters, §3.1's sample has
// 64 hex digits: any length up to the limit will do.
GST_START_TEST(test_any_length_up_to_the_limit) {
  expect_id("/api/v1/sessions/Ab3dE5gH7jK9mN1pQ3sT5v", "Ab3dE5gH7jK9mN1pQ3sT5v");
  expect_id("/api/v1/sessions/x", "x");
  const std::string longest(mediaanalytics::kMaxSessionIdLength, 'f');
  expect_id(("/api/v1/sessions/" + longest).c_str(), longest);
}
GST_END_TEST;

GST_START_TEST(test_too_long) {
  const std::string too_long(mediaanalytics::kMaxSessionIdLength + 1, 'f');
  expect_none(("/api/v1/sessions/" + too_long).c_str());
  expect_none(("/api/v1/sessions/" + std::string(100000, 'f')).c_str());
}
GST_END_TEST;

// Every unreserved character (RFC 3986 §2.3) is kept.
GST_START_TEST(test_unreserved_characters) {
  expect_id("/api/v1/sessions/AZaz09-._~", "AZaz09-._~");
  expect_id("/api/v1/sessions/...", "...");
}
GST_END_TEST;

// Characters a path would read as more than one segment's text.
GST_START_TEST(test_reserved_characters_refused) {
  const char *refused[] = {
      "/api/v1/sessions/a:b",  "/api/v1/sessions/a@b",  "/api/v1/sessions/a;b",
      "/api/v1/sessions/a=b",  "/api/v1/sessions/a+b",  "/api/v1/sessions/a&b",
      "/api/v1/sessions/a'b",  "/api/v1/sessions/a\\b", "/api/v1/sessions/a%b",
      "/api/v1/sessions/a\"b", "/api/v1/sessions/a<b>",
  };
  for (const char *location : refused) {
    expect_none(location);
  }
}
GST_END_TEST;

// "." and ".." are path segments of their own: ".../sessions/../events" is
// /api/v1/events once normalized.
GST_START_TEST(test_dot_segments_refused) {
  expect_none("/api/v1/sessions/.");
  expect_none("/api/v1/sessions/..");
  expect_none("/api/v1/sessions/%2E%2E");
  expect_none("/api/v1/sessions/.%2e");
}
GST_END_TEST;

// Escapes are decoded first: what they decode to is checked.
GST_START_TEST(test_escaped_slash_refused) {
  expect_none("/api/v1/sessions/a%2Fb");
  expect_none("/api/v1/sessions/a%2fb");
  expect_none("/api/v1/sessions/..%2F..%2Fadmin");
  expect_none("/api/v1/sessions/a%3Fx%3D1");
  expect_none("/api/v1/sessions/a%23frag");
  expect_none("/api/v1/sessions/a%25b");
}
GST_END_TEST;

GST_START_TEST(test_nul_refused) {
  expect_none("/api/v1/sessions/ab%00cd");
  expect_none("/api/v1/sessions/%00");
}
GST_END_TEST;

GST_START_TEST(test_spaces_and_controls_refused) {
  expect_none("/api/v1/sessions/a%20b");
  expect_none("/api/v1/sessions/a b");
  expect_none("/api/v1/sessions/a%09b");
  expect_none("/api/v1/sessions/a%0D%0ASet-Cookie:x");
  expect_none("/api/v1/sessions/a%7Fb");
  expect_none("/api/v1/sessions/ab\x01");
}
GST_END_TEST;

GST_START_TEST(test_non_ascii_refused) {
  expect_none("/api/v1/sessions/caf\xC3\xA9");
  expect_none("/api/v1/sessions/caf%C3%A9");
  expect_none("/api/v1/sessions/ab%FF");
  expect_none("/api/v1/sessions/ab\xFF");
}
GST_END_TEST;

GST_START_TEST(test_trailing_query_and_fragment) {
  expect_id("/api/v1/sessions/abc123?x=1&y=2", "abc123");
  expect_id("https://h/api/v1/sessions/abc123#frag", "abc123");
  expect_id("/api/v1/sessions/abc123/", "abc123");
  // Another API version is still a session (group 1 of the pattern).
  expect_id("/api/v2/sessions/abc123", "abc123");
}
GST_END_TEST;

GST_START_TEST(test_missing_id) {
  expect_none("/api/v1/sessions/");
  expect_none("/api/v1/sessions");
  expect_none("/api/v1/sessions/?x=1");
  expect_none("https://h/api/v1/sessions/#x");
  expect_none("/api//sessions/abc");
}
GST_END_TEST;

GST_START_TEST(test_wrong_path) {
  expect_none("/api/v1/schemas/sessionStart");
  expect_none("/api/v1/downloaded");
  expect_none("/v1/sessions/abc");
  expect_none("/prefix/api/v1/sessions/abc");
  expect_none("https://h/prefix/api/v1/sessions/abc");
  expect_none("api/v1/sessions/abc");
  expect_none("ftp://h/api/v1/sessions/abc");
  expect_none("/api/v1/Sessions/abc");
}
GST_END_TEST;

GST_START_TEST(test_null_and_empty) {
  expect_none(nullptr);
  expect_none("");
}
GST_END_TEST;

GST_START_TEST(test_garbage) {
  expect_none("garbage");
  expect_none("/");
  expect_none("   /api/v1/sessions/abc");
  expect_none("https://");
  expect_none("\xff\xfe/api/v1/sessions/abc");
  // Escapes that do not decode are no ID.
  expect_none("/api/v1/sessions/%zz");
}
GST_END_TEST;

// An escaped unreserved character is the character itself (RFC 3986 §2.3).
GST_START_TEST(test_escaped_unreserved_decoded) {
  expect_id("/api/v1/sessions/%41b%7Ec", "Ab~c");
  const std::string url =
      events_url("https://h", id_or_none("/api/v1/sessions/%41b%7Ec"));
  fail_unless(url == "https://h/api/v1/sessions/Ab~c/events", "url: %s", url.c_str());
}
GST_END_TEST;

GST_START_TEST(test_sessions_url) {
  const char *expected = "https://collect.example.com/api/v1/sessions";
  fail_unless(sessions_url("https://collect.example.com") == expected,
              "without a slash: %s", sessions_url("https://collect.example.com").c_str());
  fail_unless(sessions_url("https://collect.example.com/") == expected,
              "with a slash: %s", sessions_url("https://collect.example.com/").c_str());
  fail_unless(sessions_url("https://collect.example.com//") == expected,
              "with two slashes: %s",
              sessions_url("https://collect.example.com//").c_str());
  fail_unless(
      sessions_url("http://127.0.0.1:8080/") == "http://127.0.0.1:8080/api/v1/sessions",
      "local collector: %s", sessions_url("http://127.0.0.1:8080/").c_str());
}
GST_END_TEST;

GST_START_TEST(test_events_url) {
  const std::string expected =
      std::string("https://collect.example.com/api/v1/sessions/") + kSampleId + "/events";
  fail_unless(events_url("https://collect.example.com", kSampleId) == expected,
              "without a slash: %s",
              events_url("https://collect.example.com", kSampleId).c_str());
  fail_unless(events_url("https://collect.example.com/", kSampleId) == expected,
              "with a slash: %s",
              events_url("https://collect.example.com/", kSampleId).c_str());
  // Unreserved characters stay as they are.
  fail_unless(
      events_url("https://h", "A-z_0.9~") == "https://h/api/v1/sessions/A-z_0.9~/events",
      "unreserved escaped: %s", events_url("https://h", "A-z_0.9~").c_str());
}
GST_END_TEST;

// An ID with reserved characters cannot change the path or add a query.
GST_START_TEST(test_events_url_escapes_the_id) {
  const std::string url = events_url("https://h", "a/b?c#d e%f\xc3\xa9");
  fail_unless(url == "https://h/api/v1/sessions/a%2Fb%3Fc%23d%20e%25f%C3%A9/events",
              "url: %s", url.c_str());
  fail_unless(events_url("https://h", "..") == "https://h/api/v1/sessions/../events",
              "dots: %s", events_url("https://h", "..").c_str());
}
GST_END_TEST;

static Suite *location_suite(void) {
  Suite *s = suite_create("client-location");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_spec_sample);
  tcase_add_test(tc, test_absolute_url);
  tcase_add_test(tc, test_any_length_up_to_the_limit);
  tcase_add_test(tc, test_too_long);
  tcase_add_test(tc, test_unreserved_characters);
  tcase_add_test(tc, test_reserved_characters_refused);
  tcase_add_test(tc, test_dot_segments_refused);
  tcase_add_test(tc, test_escaped_slash_refused);
  tcase_add_test(tc, test_nul_refused);
  tcase_add_test(tc, test_spaces_and_controls_refused);
  tcase_add_test(tc, test_non_ascii_refused);
  tcase_add_test(tc, test_trailing_query_and_fragment);
  tcase_add_test(tc, test_missing_id);
  tcase_add_test(tc, test_wrong_path);
  tcase_add_test(tc, test_null_and_empty);
  tcase_add_test(tc, test_garbage);
  tcase_add_test(tc, test_escaped_unreserved_decoded);
  tcase_add_test(tc, test_sessions_url);
  tcase_add_test(tc, test_events_url);
  tcase_add_test(tc, test_events_url_escapes_the_id);
  return s;
}

GST_CHECK_MAIN(location);
