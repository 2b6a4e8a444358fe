// The element's plain C++ settings (gst/element/settings.h) without GStreamer:
// defaults, which problem validate() reports first, the endpoint checks and the
// normalized endpoint that requests will use.

#include <gst/check/gstcheck.h>

#include <cmath>
#include <limits>
#include <string>

#include "settings.h"

using mediaanalytics::Settings;
using mediaanalytics::SettingsProblem;

namespace {

Settings valid() {
  Settings settings;
  settings.endpoint = "https://collector.example.com";
  settings.tracking_server = "example.sc.omtrdc.net";
  settings.report_suite = "examplersid";
  settings.org_id = "0123456789ABCDEF@AdobeOrg";
  settings.channel = "test";
  return settings;
}

// The property validate() names, "" when it finds nothing.
std::string problem_of(const Settings &settings) {
  std::optional<SettingsProblem> problem = settings.validate();
  if (!problem) {
    return "";
  }
  const std::string quoted = "property '" + problem->property + "'";
  fail_unless(problem->message.find(quoted) != std::string::npos,
              "the message does not name %s: %s", quoted.c_str(),
              problem->message.c_str());
  return problem->property;
}

// gst-check's string comparisons keep the pointer: no temporaries.
void check_problem(const Settings &settings, const char *expected) {
  const std::string got = problem_of(settings);
  fail_unless(got == expected, "validate() names '%s', expected '%s'", got.c_str(),
              expected);
}

}  // namespace

GST_START_TEST(test_defaults) {
  Settings settings;
  fail_unless(!settings.endpoint && !settings.tracking_server && !settings.report_suite &&
                  !settings.org_id && !settings.visitor_id && !settings.ecid &&
                  !settings.app_installation_id && !settings.media_id &&
                  !settings.media_name && !settings.content_type && !settings.channel,
              "a string is set by default");
  fail_unless_equals_string(settings.player_name->c_str(), "GStreamer");
  fail_unless(settings.media_length == -1, "media_length %g", settings.media_length);
  fail_unless(settings.media_length_from_pipeline(), "length not from the pipeline");
  fail_unless(settings.content_type_from_pipeline(), "content type not derived");
  fail_unless(!settings.enable_ssl, "enable_ssl");
  fail_unless_equals_uint64(settings.ping_interval, 10 * GST_SECOND);
  fail_unless_equals_uint64(settings.ad_ping_interval, GST_SECOND);
  fail_unless_equals_uint64(settings.request_timeout, 30 * GST_SECOND);
  fail_unless_equals_uint64(settings.flush_timeout, 2 * GST_SECOND);
  fail_unless_equals_int(settings.max_queue, 1000);
}
GST_END_TEST;

// Problems come in property order: the first one is reported.
GST_START_TEST(test_first_problem) {
  check_problem(Settings{}, "endpoint");
  check_problem(valid(), "");

  Settings settings = valid();
  settings.channel.reset();
  check_problem(settings, "channel");
  settings.player_name = "";
  check_problem(settings, "player-name");
  settings.media_length = std::nan("");
  check_problem(settings, "media-length");
  settings.org_id = "";
  check_problem(settings, "org-id");
  settings.report_suite.reset();
  check_problem(settings, "report-suite");
  settings.tracking_server = "";
  check_problem(settings, "tracking-server");
  settings.endpoint = "ftp://x";
  check_problem(settings, "endpoint");
}
GST_END_TEST;

// What the pipeline can supply is not required.
GST_START_TEST(test_optional_values) {
  Settings settings = valid();
  settings.media_id = "";
  settings.media_name = "";
  settings.content_type = "";
  settings.visitor_id = "";
  settings.media_length = std::numeric_limits<double>::infinity();
  check_problem(settings, "");
  fail_unless(settings.content_type_from_pipeline(), "empty content type not derived");
  settings.media_length = 0;
  fail_unless(!settings.media_length_from_pipeline(), "0 s is a length");
  settings.media_length = -0.5;
  fail_unless(settings.media_length_from_pipeline(), "-0.5 s is not a length");
}
GST_END_TEST;

GST_START_TEST(test_endpoint_checks) {
  struct Case {
    const char *endpoint;
    const char *why;  // part of the message; nullptr: valid
  };
  const Case cases[] = {
      {"http://h", nullptr},
      {"https://h:8443/base/", nullptr},
      {"HTTP://H/", nullptr},
      {"http://[::1]:9/", nullptr},
      {"http://h/a%20b", nullptr},
      {"not a uri", "not a valid base URI"},
      {"ftp://x", "scheme must be http or https, not 'ftp'"},
      {"http://", "has no host"},
      {"http:///path", "has no host"},
      {"http://h/?q=1", "has a query"},
      {"http://h?", "has a query"},
      {"http://h/#f", "has a fragment"},
      {"http://u:p@h", "user information"},
      {"http://u@h", "user information"},
  };
  for (const Case &c : cases) {
    std::optional<SettingsProblem> problem = mediaanalytics::check_endpoint(c.endpoint);
    if (!c.why) {
      fail_unless(!problem, "%s: %s", c.endpoint,
                  problem ? problem->message.c_str() : "");
      continue;
    }
    fail_unless(problem.has_value(), "%s accepted", c.endpoint);
    fail_unless_equals_string(problem->property.c_str(), "endpoint");
    fail_unless(problem->message.find(c.why) != std::string::npos, "%s: %s", c.endpoint,
                problem->message.c_str());
    fail_unless(problem->message.find("u:p") == std::string::npos,
                "credentials in the message: %s", problem->message.c_str());
  }
}
GST_END_TEST;

// Trailing slashes go; the rest of the endpoint stays as written.
GST_START_TEST(test_sessions_uri) {
  struct Case {
    const char *endpoint;
    const char *base;
  };
  const Case cases[] = {
      {"http://h", "http://h"},
      {"http://h/", "http://h"},
      {"https://h:8443/base/", "https://h:8443/base"},
      {"https://h/base//", "https://h/base"},
      {"http://[::1]:9/a%20b/", "http://[::1]:9/a%20b"},
  };
  for (const Case &c : cases) {
    Settings settings = valid();
    settings.endpoint = c.endpoint;
    check_problem(settings, "");
    const std::string base = settings.endpoint_base();
    const std::string sessions = settings.sessions_uri();
    fail_unless(base == c.base, "%s: base %s", c.endpoint, base.c_str());
    fail_unless(sessions == std::string(c.base) + "/api/v1/sessions", "%s: sessions %s",
                c.endpoint, sessions.c_str());
  }
}
GST_END_TEST;

static Suite *element_settings_suite(void) {
  Suite *s = suite_create("element-settings");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_defaults);
  tcase_add_test(tc, test_first_problem);
  tcase_add_test(tc, test_optional_values);
  tcase_add_test(tc, test_endpoint_checks);
  tcase_add_test(tc, test_sessions_uri);
  return s;
}

GST_CHECK_MAIN(element_settings);
