// error_identity() (gst/element/error-id.h): media.errorId and
// media.errorSource for GStreamer's four domains, GIO's network domains, codes
// and domains it does not know, and NULL; ids that ignore the message text and
// stay unique and well-formed over every value GStreamer defines.

#include <gst/check/gstcheck.h>

#include <gio/gio.h>

#include <set>
#include <string>

#include "error-id.h"

using mediaanalytics::error_identity;
using mediaanalytics::ErrorIdentity;

namespace {

void check(GQuark domain, int code, const char *id, const char *source) {
  GError *error = g_error_new_literal(domain, code, "some message");
  const ErrorIdentity identity = error_identity(error);
  fail_unless(identity.id == id, "%s %d gave '%s', expected '%s'",
              g_quark_to_string(domain), code, identity.id.c_str(), id);
  fail_unless(g_strcmp0(identity.source, source) == 0, "%s gave source %s, expected %s",
              id, identity.source, source);
  g_error_free(error);
}

}  // namespace

GST_START_TEST(test_core) {
  check(GST_CORE_ERROR, GST_CORE_ERROR_FAILED, "core.failed", "player");
  check(GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN, "core.missing-plugin", "player");
  check(GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION, "core.negotiation", "player");
}
GST_END_TEST;

GST_START_TEST(test_library) {
  check(GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_INIT, "library.init", "player");
  check(GST_LIBRARY_ERROR, GST_LIBRARY_ERROR_ENCODE, "library.encode", "player");
}
GST_END_TEST;

GST_START_TEST(test_resource) {
  check(GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND, "resource.not-found",
        "external");
  check(GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ, "resource.open-read",
        "external");
  check(GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_AUTHORIZED, "resource.not-authorized",
        "external");
}
GST_END_TEST;

GST_START_TEST(test_stream) {
  check(GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE, "stream.decode", "player");
  check(GST_STREAM_ERROR, GST_STREAM_ERROR_CODEC_NOT_FOUND, "stream.codec-not-found",
        "player");
  check(GST_STREAM_ERROR, GST_STREAM_ERROR_DECRYPT_NOKEY, "stream.decrypt-nokey",
        "player");
}
GST_END_TEST;

// Codes without a nick, the NUM_ERRORS sentinels included, keep their number.
GST_START_TEST(test_unknown_code) {
  check(GST_CORE_ERROR, 999, "core.999", "player");
  check(GST_STREAM_ERROR, GST_STREAM_ERROR_NUM_ERRORS, "stream.14", "player");
  check(GST_RESOURCE_ERROR, -1, "resource.-1", "external");
  check(G_IO_ERROR, 1000, "gio.1000", "external");
}
GST_END_TEST;

GST_START_TEST(test_gio_resolver_tls) {
  check(G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "gio.timed-out", "external");
  check(G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, "gio.connection-refused", "external");
  check(G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND, "resolver.not-found", "external");
  check(G_RESOLVER_ERROR, G_RESOLVER_ERROR_TEMPORARY_FAILURE,
        "resolver.temporary-failure", "external");
  check(G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE, "tls.bad-certificate", "external");
}
GST_END_TEST;

GST_START_TEST(test_unknown_domain) {
  check(g_quark_from_static_string("soup-session-error-quark"), 3,
        "soup-session-error-quark.3", "external");
  check(g_quark_from_static_string("g-file-error-quark"), 4, "g-file-error-quark.4",
        "player");
  check(g_quark_from_static_string("My_Lib.Error"), 2, "my-lib-error.2", "player");
}
GST_END_TEST;

GST_START_TEST(test_null) {
  const ErrorIdentity identity = error_identity(nullptr);
  fail_unless_equals_string(identity.id.c_str(), "unknown");
  fail_unless_equals_string(identity.source, "player");
}
GST_END_TEST;

GST_START_TEST(test_ignores_message) {
  GError *a = g_error_new_literal(GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
                                  "Could not read from resource.");
  GError *b = g_error_new(GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ,
                          "Impossible de lire depuis %s", "/tmp/f.mp4");
  const std::string id_a = error_identity(a).id;
  const std::string id_b = error_identity(b).id;
  fail_unless_equals_string(id_a.c_str(), "resource.read");
  fail_unless_equals_string(id_b.c_str(), "resource.read");
  g_error_free(a);
  g_error_free(b);
}
GST_END_TEST;

// Every error GStreamer defines gets its own id, usable as-is by the API.
GST_START_TEST(test_all_gstreamer_ids) {
  const struct {
    GQuark domain;
    GType type;
  } domains[] = {
      {GST_CORE_ERROR, GST_TYPE_CORE_ERROR},
      {GST_LIBRARY_ERROR, GST_TYPE_LIBRARY_ERROR},
      {GST_RESOURCE_ERROR, GST_TYPE_RESOURCE_ERROR},
      {GST_STREAM_ERROR, GST_TYPE_STREAM_ERROR},
  };
  GRegex *well_formed =
      g_regex_new("^[a-z0-9.-]+$", G_REGEX_DEFAULT, G_REGEX_MATCH_DEFAULT, nullptr);
  std::set<std::string> ids;
  unsigned values = 0;
  for (const auto &d : domains) {
    auto *klass = static_cast<GEnumClass *>(g_type_class_ref(d.type));
    for (guint i = 0; i < klass->n_values; i++) {
      GError *error = g_error_new_literal(d.domain, klass->values[i].value, "x");
      const std::string id = error_identity(error).id;
      g_error_free(error);
      fail_unless(g_regex_match(well_formed, id.c_str(), G_REGEX_MATCH_DEFAULT, nullptr),
                  "malformed id '%s'", id.c_str());
      fail_unless(ids.insert(id).second, "duplicate id '%s'", id.c_str());
      values++;
    }
    g_type_class_unref(klass);
  }
  fail_unless(values > 40, "only %u values", values);
  g_regex_unref(well_formed);
}
GST_END_TEST;

static Suite *element_error_id_suite(void) {
  Suite *s = suite_create("element-error-id");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_core);
  tcase_add_test(tc, test_library);
  tcase_add_test(tc, test_resource);
  tcase_add_test(tc, test_stream);
  tcase_add_test(tc, test_unknown_code);
  tcase_add_test(tc, test_gio_resolver_tls);
  tcase_add_test(tc, test_unknown_domain);
  tcase_add_test(tc, test_null);
  tcase_add_test(tc, test_ignores_message);
  tcase_add_test(tc, test_all_gstreamer_ids);
  return s;
}

GST_CHECK_MAIN(element_error_id);
