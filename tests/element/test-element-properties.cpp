// The configuration of the mediaanalytics element (gst/element): every
// property's type, default, range and flags as GParamSpec states them, what a
// missing or malformed value does to NULL→READY (an ERROR naming the property,
// in a real fakesrc ! mediaanalytics ! fakesink pipeline or on a bus of the
// element's own), and that MUTABLE_READY properties are refused in PLAYING.

#include <gst/check/gstcheck.h>

#include <cstring>
#include <string>

namespace {

// The mandatory properties and values that make NULL→READY pass.
struct Config {
  const char *name;
  const char *value;
};
constexpr Config kValid[] = {
    {"endpoint", "http://127.0.0.1:9"},
    {"tracking-server", "example.sc.omtrdc.net"},
    {"report-suite", "examplersid"},
    {"org-id", "0123456789ABCDEF@AdobeOrg"},
    {"channel", "test"},
};

constexpr GParamFlags kStaticStrings = static_cast<GParamFlags>(
    G_PARAM_STATIC_NAME | G_PARAM_STATIC_NICK | G_PARAM_STATIC_BLURB);

GstElement *make_element() {
  GstElement *element = gst_element_factory_make("mediaanalytics", "ma");
  fail_unless(element != nullptr,
              "no mediaanalytics element (GST_PLUGIN_PATH_1_0 must name the build "
              "dir of gst/element)");
  return element;
}

void configure(GstElement *element) {
  for (const Config &config : kValid) {
    g_object_set(element, config.name, config.value, nullptr);
  }
  // Nothing listens at the endpoint: going to NULL must not wait for it.
  g_object_set(element, "flush-timeout", static_cast<guint64>(0), nullptr);
}

// fakesrc num-buffers=10 ! mediaanalytics name=ma ! fakesink, configured.
GstElement *make_pipeline(GstElement **element) {
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch(
      "fakesrc num-buffers=10 ! mediaanalytics name=ma ! fakesink", &error);
  fail_unless(pipeline != nullptr, "cannot build the pipeline: %s",
              error ? error->message : "?");
  fail_unless(error == nullptr, "pipeline built with an error: %s", error->message);
  *element = gst_bin_get_by_name(GST_BIN(pipeline), "ma");
  fail_unless(*element != nullptr, "no element named ma");
  configure(*element);
  return pipeline;
}

GParamSpec *find(GstElement *element, const char *name) {
  GParamSpec *pspec = g_object_class_find_property(G_OBJECT_GET_CLASS(element), name);
  fail_unless(pspec != nullptr, "no property '%s'", name);
  return pspec;
}

// A writable property: static strings, a blurb, changeable in READY, or in
// PLAYING for `mutable_playing` (that flag implies READY; upstream sets it alone).
void check_writable_flags(GParamSpec *pspec, bool mutable_playing) {
  const char *name = g_param_spec_get_name(pspec);
  fail_unless((pspec->flags & G_PARAM_READWRITE) == G_PARAM_READWRITE,
              "'%s' is not read-write", name);
  fail_unless((pspec->flags & kStaticStrings) == kStaticStrings,
              "'%s' lacks G_PARAM_STATIC_STRINGS", name);
  const guint mutable_flag =
      mutable_playing ? GST_PARAM_MUTABLE_PLAYING : GST_PARAM_MUTABLE_READY;
  const guint all_mutable =
      GST_PARAM_MUTABLE_READY | GST_PARAM_MUTABLE_PAUSED | GST_PARAM_MUTABLE_PLAYING;
  fail_unless((pspec->flags & all_mutable) == mutable_flag,
              "'%s': the mutability flags are 0x%x, expected 0x%x", name,
              pspec->flags & all_mutable, mutable_flag);
  const char *blurb = g_param_spec_get_blurb(pspec);
  fail_unless(blurb != nullptr && blurb[0] != '\0', "'%s' has no blurb", name);
}

// Pops the ERROR message, which must come from `element` and name `property`;
// returns its text.
std::string pop_settings_error(GstBus *bus, GstElement *element, const char *property) {
  GstMessage *message = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  fail_unless(message != nullptr, "no ERROR message for '%s'", property);
  fail_unless(GST_MESSAGE_SRC(message) == GST_OBJECT(element), "the ERROR comes from %s",
              GST_MESSAGE_SRC_NAME(message));
  GError *error = nullptr;
  gchar *debug = nullptr;
  gst_message_parse_error(message, &error, &debug);
  fail_unless(error->domain == GST_RESOURCE_ERROR, "not a resource error: %s",
              g_quark_to_string(error->domain));
  fail_unless_equals_int(error->code, GST_RESOURCE_ERROR_SETTINGS);
  const std::string quoted = std::string("property '") + property + "'";
  fail_unless(std::strstr(error->message, quoted.c_str()) != nullptr,
              "the error does not name '%s': %s", property, error->message);
  std::string text = error->message;
  g_error_free(error);
  g_free(debug);
  gst_message_unref(message);
  return text;
}

// NULL→READY of the pipeline fails, with an ERROR of the element naming
// `property`; returns the error text.
std::string expect_ready_fails(GstElement *pipeline, GstElement *element,
                               const char *property) {
  fail_unless_equals_int(gst_element_set_state(pipeline, GST_STATE_READY),
                         GST_STATE_CHANGE_FAILURE);
  GstBus *bus = gst_element_get_bus(pipeline);
  std::string text = pop_settings_error(bus, element, property);
  gst_object_unref(bus);
  GstState state = GST_STATE_VOID_PENDING;
  gst_element_get_state(element, &state, nullptr, 0);
  fail_unless_equals_int(state, GST_STATE_NULL);
  return text;
}

void teardown_pipeline(GstElement *pipeline, GstElement *element) {
  fail_unless_equals_int(gst_element_set_state(pipeline, GST_STATE_NULL),
                         GST_STATE_CHANGE_SUCCESS);
  gst_object_unref(element);
  gst_object_unref(pipeline);
}

// A value of `pspec`'s type other than `current`, valid for the property.
void other_value(GParamSpec *pspec, const GValue *current, GValue *other) {
  g_value_init(other, G_PARAM_SPEC_VALUE_TYPE(pspec));
  if (G_IS_PARAM_SPEC_STRING(pspec)) {
    g_value_set_string(other, "changed-in-playing");
  } else if (G_IS_PARAM_SPEC_BOOLEAN(pspec)) {
    g_value_set_boolean(other, !g_value_get_boolean(current));
  } else if (G_IS_PARAM_SPEC_DOUBLE(pspec)) {
    g_value_set_double(other, g_value_get_double(current) + 42);
  } else if (G_IS_PARAM_SPEC_UINT64(pspec)) {
    const GParamSpecUInt64 *u = G_PARAM_SPEC_UINT64(pspec);
    const guint64 now = g_value_get_uint64(current);
    g_value_set_uint64(other, now == u->maximum ? u->minimum : u->maximum);
  } else if (G_IS_PARAM_SPEC_UINT(pspec)) {
    const GParamSpecUInt *u = G_PARAM_SPEC_UINT(pspec);
    const guint now = g_value_get_uint(current);
    g_value_set_uint(other, now == u->maximum ? u->minimum : u->maximum);
  } else if (G_PARAM_SPEC_VALUE_TYPE(pspec) == GST_TYPE_STRUCTURE) {
    // metadata and custom-metadata: unset by default; any structure differs.
    g_value_take_boxed(other, gst_structure_new_empty("changed"));
  } else {
    fail("no other value for '%s' of type %s", g_param_spec_get_name(pspec),
         g_type_name(G_PARAM_SPEC_VALUE_TYPE(pspec)));
  }
}

}  // namespace

// The factory's metadata: the klass, and names that say what this is (and
// what it is not).
GST_START_TEST(test_metadata) {
  GstElementFactory *factory = gst_element_factory_find("mediaanalytics");
  fail_unless(factory != nullptr, "no mediaanalytics factory");
  fail_unless_equals_string(
      gst_element_factory_get_metadata(factory, GST_ELEMENT_METADATA_KLASS),
      "Filter/Analyzer/Network");
  const char *longname =
      gst_element_factory_get_metadata(factory, GST_ELEMENT_METADATA_LONGNAME);
  fail_unless(
      std::strstr(longname, "playback analytics") != nullptr &&
          std::strstr(longname, "Adobe Streaming Media Collection API") != nullptr,
      "long-name: %s", longname);
  const char *description =
      gst_element_factory_get_metadata(factory, GST_ELEMENT_METADATA_DESCRIPTION);
  fail_unless(
      std::strstr(description, "Streaming Media Collection API") != nullptr &&
          std::strstr(description, "Not related to GStreamer's ML analytics") != nullptr,
      "description: %s", description);
  fail_unless_equals_int(gst_plugin_feature_get_rank(GST_PLUGIN_FEATURE(factory)),
                         GST_RANK_NONE);
  gst_object_unref(factory);
}
GST_END_TEST;

// Every string property: NULL by default but player-name, MUTABLE_READY.
GST_START_TEST(test_string_properties) {
  const Config strings[] = {
      {"endpoint", nullptr},
      {"tls-ca-file", nullptr},
      {"tracking-server", nullptr},
      {"report-suite", nullptr},
      {"org-id", nullptr},
      {"visitor-id", nullptr},
      {"ecid", nullptr},
      {"app-installation-id", nullptr},
      {"media-id", nullptr},
      {"media-name", nullptr},
      {"content-type", nullptr},
      {"player-name", "GStreamer"},
      {"channel", nullptr},
  };
  GstElement *element = make_element();
  for (const Config &prop : strings) {
    GParamSpec *pspec = find(element, prop.name);
    fail_unless(G_IS_PARAM_SPEC_STRING(pspec), "'%s' is not a string", prop.name);
    check_writable_flags(pspec, false);
    fail_unless_equals_string(G_PARAM_SPEC_STRING(pspec)->default_value, prop.value);

    gchar *value = nullptr;
    g_object_get(element, prop.name, &value, nullptr);
    fail_unless_equals_string(value, prop.value);
    g_free(value);

    // Set and read back, "" and NULL included.
    for (const char *set : {"some value", "", static_cast<const char *>(nullptr)}) {
      g_object_set(element, prop.name, set, nullptr);
      g_object_get(element, prop.name, &value, nullptr);
      fail_unless_equals_string(value, set);
      g_free(value);
    }
  }
  gst_object_unref(element);
}
GST_END_TEST;

// The numeric and boolean properties: type, range, default.
GST_START_TEST(test_numeric_properties) {
  GstElement *element = make_element();

  GParamSpec *pspec = find(element, "media-length");
  fail_unless(G_IS_PARAM_SPEC_DOUBLE(pspec), "media-length is not a double");
  check_writable_flags(pspec, false);
  fail_unless(G_PARAM_SPEC_DOUBLE(pspec)->minimum == -1, "media-length minimum");
  fail_unless(G_PARAM_SPEC_DOUBLE(pspec)->maximum == G_MAXDOUBLE, "media-length maximum");
  fail_unless(G_PARAM_SPEC_DOUBLE(pspec)->default_value == -1, "media-length default");
  gdouble length = 0;
  g_object_get(element, "media-length", &length, nullptr);
  fail_unless(length == -1, "media-length is %g", length);

  pspec = find(element, "enable-ssl");
  fail_unless(G_IS_PARAM_SPEC_BOOLEAN(pspec), "enable-ssl is not a boolean");
  check_writable_flags(pspec, false);
  fail_unless(!G_PARAM_SPEC_BOOLEAN(pspec)->default_value, "enable-ssl default");
  gboolean ssl = TRUE;
  g_object_get(element, "enable-ssl", &ssl, nullptr);
  fail_unless(!ssl, "enable-ssl is TRUE");

  struct Duration {
    const char *name;
    guint64 minimum, maximum, default_value;
    bool mutable_playing;
  };
  const Duration durations[] = {
      {"ping-interval", GST_SECOND, 300 * GST_SECOND, 10 * GST_SECOND, true},
      {"ad-ping-interval", GST_SECOND, 10 * GST_SECOND, GST_SECOND, true},
      {"request-timeout", 100 * GST_MSECOND, 300 * GST_SECOND, 30 * GST_SECOND, false},
      {"flush-timeout", 0, 300 * GST_SECOND, 2 * GST_SECOND, false},
  };
  for (const Duration &d : durations) {
    pspec = find(element, d.name);
    fail_unless(G_IS_PARAM_SPEC_UINT64(pspec), "'%s' is not a guint64", d.name);
    check_writable_flags(pspec, d.mutable_playing);
    const GParamSpecUInt64 *u = G_PARAM_SPEC_UINT64(pspec);
    fail_unless_equals_uint64(u->minimum, d.minimum);
    fail_unless_equals_uint64(u->maximum, d.maximum);
    fail_unless_equals_uint64(u->default_value, d.default_value);
    guint64 value = 0;
    g_object_get(element, d.name, &value, nullptr);
    fail_unless_equals_uint64(value, d.default_value);
  }

  pspec = find(element, "max-queue");
  fail_unless(G_IS_PARAM_SPEC_UINT(pspec), "max-queue is not a guint");
  check_writable_flags(pspec, false);
  fail_unless_equals_int(G_PARAM_SPEC_UINT(pspec)->minimum, 1);
  fail_unless_equals_int(G_PARAM_SPEC_UINT(pspec)->maximum, 1000000);
  fail_unless_equals_int(G_PARAM_SPEC_UINT(pspec)->default_value, 1000);
  guint max_queue = 0;
  g_object_get(element, "max-queue", &max_queue, nullptr);
  fail_unless_equals_int(max_queue, 1000);

  gst_object_unref(element);
}
GST_END_TEST;

// session-id and stats can be read, not written; stats has every counter at 0.
GST_START_TEST(test_read_only_properties) {
  GstElement *element = make_element();

  for (const char *name : {"session-id", "stats"}) {
    GParamSpec *pspec = find(element, name);
    fail_unless((pspec->flags & G_PARAM_READABLE) != 0, "'%s' not readable", name);
    fail_unless((pspec->flags & G_PARAM_WRITABLE) == 0, "'%s' writable", name);
    fail_unless((pspec->flags & kStaticStrings) == kStaticStrings,
                "'%s' lacks G_PARAM_STATIC_STRINGS", name);
    const char *blurb = g_param_spec_get_blurb(pspec);
    fail_unless(blurb != nullptr && blurb[0] != '\0', "'%s' has no blurb", name);
  }

  GParamSpec *pspec = find(element, "session-id");
  fail_unless(G_IS_PARAM_SPEC_STRING(pspec), "session-id is not a string");
  fail_unless(G_PARAM_SPEC_STRING(pspec)->default_value == nullptr, "session-id default");
  gchar *session_id = nullptr;
  g_object_get(element, "session-id", &session_id, nullptr);
  fail_unless(session_id == nullptr, "session-id is %s", session_id);

  pspec = find(element, "stats");
  fail_unless(G_PARAM_SPEC_VALUE_TYPE(pspec) == GST_TYPE_STRUCTURE,
              "stats is not a GstStructure");
  GstStructure *stats = nullptr;
  g_object_get(element, "stats", &stats, nullptr);
  fail_unless(stats != nullptr, "no stats");
  fail_unless(gst_structure_has_name(stats, "mediaanalytics-stats"), "stats named %s",
              gst_structure_get_name(stats));
  const char *counters[] = {"events-generated",
                            "events-sent",
                            "events-queued",
                            "events-dropped",
                            "events-dropped-overflow",
                            "events-dropped-rejected",
                            "events-dropped-no-session",
                            "events-dropped-flush",
                            "events-retried",
                            "sessions-started",
                            "buffers-seen"};
  for (const char *field : counters) {
    guint64 value = 1;
    fail_unless(gst_structure_get_uint64(stats, field, &value),
                "no guint64 '%s' in %" GST_PTR_FORMAT, field, stats);
    fail_unless_equals_uint64(value, 0);
  }
  gint status = 1;
  fail_unless(gst_structure_get_int(stats, "last-http-status", &status),
              "no gint last-http-status in %" GST_PTR_FORMAT, stats);
  fail_unless_equals_int(status, 0);
  fail_unless_equals_int(gst_structure_n_fields(stats), G_N_ELEMENTS(counters) + 1);
  gst_structure_free(stats);

  gst_object_unref(element);
}
GST_END_TEST;

// Every property the element adds is one of the 29 above: none undocumented.
GST_START_TEST(test_no_other_properties) {
  GstElement *element = make_element();
  const char *known[] = {
      "endpoint",
      "tls-ca-file",
      "tracking-server",
      "report-suite",
      "org-id",
      "visitor-id",
      "ecid",
      "app-installation-id",
      "media-id",
      "media-name",
      "media-length",
      "content-type",
      "player-name",
      "channel",
      "enable-ssl",
      "ping-interval",
      "ad-ping-interval",
      "request-timeout",
      "flush-timeout",
      "max-queue",
      "stall-threshold",
      "idle-timeout",
      "preroll-wait",
      "metadata",
      "custom-metadata",
      "opt-out",
      "toc-chapters",
      "session-id",
      "stats",
  };
  guint n = 0;
  GParamSpec **pspecs = g_object_class_list_properties(G_OBJECT_GET_CLASS(element), &n);
  guint own = 0;
  for (guint i = 0; i < n; ++i) {
    if (pspecs[i]->owner_type != G_OBJECT_TYPE(element)) {
      continue;
    }
    ++own;
    bool found = false;
    for (const char *name : known) {
      found = found || g_strcmp0(name, pspecs[i]->name) == 0;
    }
    fail_unless(found, "unexpected property '%s'", pspecs[i]->name);
  }
  g_free(pspecs);
  fail_unless_equals_int(own, G_N_ELEMENTS(known));
  gst_object_unref(element);
}
GST_END_TEST;

// Each mandatory property, unset or empty, makes NULL→READY fail with an ERROR
// naming it; so does an emptied player-name.
GST_START_TEST(test_mandatory_missing) {
  const char *mandatory[] = {"endpoint", "tracking-server", "report-suite",
                             "org-id",   "player-name",     "channel"};
  for (const char *property : mandatory) {
    for (const char *missing : {static_cast<const char *>(nullptr), ""}) {
      GstElement *element = nullptr;
      GstElement *pipeline = make_pipeline(&element);
      g_object_set(element, property, missing, nullptr);

      const std::string text = expect_ready_fails(pipeline, element, property);
      const std::string prefix = std::string("property '") + property + "' is required: ";
      fail_unless(text.rfind(prefix, 0) == 0, "'%s' %s: %s", property,
                  missing ? "empty" : "unset", text.c_str());
      teardown_pipeline(pipeline, element);
    }
  }
}
GST_END_TEST;

// The message of a missing report suite, word for word.
GST_START_TEST(test_report_suite_message) {
  GstElement *element = nullptr;
  GstElement *pipeline = make_pipeline(&element);
  g_object_set(element, "report-suite", nullptr, nullptr);
  const std::string text = expect_ready_fails(pipeline, element, "report-suite");
  fail_unless(text ==
                  "property 'report-suite' is required: the Adobe report suite id "
                  "(analytics.reportSuite)",
              "%s", text.c_str());
  teardown_pipeline(pipeline, element);
}
GST_END_TEST;

// Endpoints that are not an http(s) base URI fail naming 'endpoint'. The
// element sits alone here, with a bus of its own.
GST_START_TEST(test_malformed_endpoint) {
  const char *malformed[] = {
      "not a uri",      "ftp://x",
      "http://",        "https://",
      "http://h/?q=1",  "http://h/path?",
      "http://h/#top",  "http://u:p@h",
      "http://user@h/", "mailto:a@example.com",
      "//h/path",       "/api",
      "http://h:port/",
  };
  for (const char *endpoint : malformed) {
    GstElement *element = make_element();
    configure(element);
    GstBus *bus = gst_bus_new();
    gst_element_set_bus(element, bus);
    g_object_set(element, "endpoint", endpoint, nullptr);

    fail_unless_equals_int(gst_element_set_state(element, GST_STATE_READY),
                           GST_STATE_CHANGE_FAILURE);
    const std::string text = pop_settings_error(bus, element, "endpoint");
    fail_unless(text.find("not a valid base URI") != std::string::npos, "%s: %s",
                endpoint, text.c_str());
    // Credentials are not repeated in the message.
    fail_unless(text.find("u:p") == std::string::npos, "%s", text.c_str());
    fail_unless(gst_bus_pop(bus) == nullptr, "%s: more than one message", endpoint);

    gst_element_set_bus(element, nullptr);
    gst_object_unref(bus);
    gst_element_set_state(element, GST_STATE_NULL);
    gst_object_unref(element);
  }
}
GST_END_TEST;

// Valid configurations reach READY (no message), and the pipeline plays to EOS
// with every buffer seen.
GST_START_TEST(test_valid_configuration) {
  const char *endpoints[] = {
      "http://127.0.0.1:9",
      "http://h/",
      "https://collector.example.com:8443/base/",
      "HTTPS://Collector.Example.COM",
      "http://[::1]:8080/a/b//",
  };
  for (const char *endpoint : endpoints) {
    GstElement *element = nullptr;
    GstElement *pipeline = make_pipeline(&element);
    g_object_set(element, "endpoint", endpoint, nullptr);
    fail_unless_equals_int(gst_element_set_state(pipeline, GST_STATE_READY),
                           GST_STATE_CHANGE_SUCCESS);
    GstBus *bus = gst_element_get_bus(pipeline);
    GstMessage *error = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
    fail_unless(error == nullptr, "%s: an ERROR in READY", endpoint);
    gst_object_unref(bus);
    teardown_pipeline(pipeline, element);
  }

  GstElement *element = nullptr;
  GstElement *pipeline = make_pipeline(&element);
  // The optional ones too.
  g_object_set(element, "visitor-id", "v", "ecid", "e", "app-installation-id", "a",
               "media-id", "m", "media-name", "n", "media-length", 60.0, "content-type",
               "VOD", "enable-ssl", TRUE, nullptr);
  fail_unless_equals_int(gst_element_set_state(pipeline, GST_STATE_PLAYING),
                         GST_STATE_CHANGE_ASYNC);
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *message = gst_bus_timed_pop_filtered(
      bus, 10 * GST_SECOND,
      static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless(message != nullptr && GST_MESSAGE_TYPE(message) == GST_MESSAGE_EOS,
              "no EOS: %" GST_PTR_FORMAT, message);
  gst_message_unref(message);
  gst_object_unref(bus);

  GstStructure *stats = nullptr;
  g_object_get(element, "stats", &stats, nullptr);
  guint64 seen = 0;
  fail_unless(gst_structure_get_uint64(stats, "buffers-seen", &seen), "no buffers-seen");
  fail_unless_equals_uint64(seen, 10);
  gst_structure_free(stats);
  teardown_pipeline(pipeline, element);
}
GST_END_TEST;

// A failed NULL→READY leaves the element in NULL, where it can be fixed and
// started again.
GST_START_TEST(test_fix_and_retry) {
  GstElement *element = nullptr;
  GstElement *pipeline = make_pipeline(&element);
  g_object_set(element, "org-id", "", nullptr);
  expect_ready_fails(pipeline, element, "org-id");

  g_object_set(element, "org-id", "0123456789ABCDEF@AdobeOrg", nullptr);
  fail_unless_equals_int(gst_element_set_state(pipeline, GST_STATE_READY),
                         GST_STATE_CHANGE_SUCCESS);
  teardown_pipeline(pipeline, element);
}
GST_END_TEST;

// Changes made in READY are accepted and checked again at READY→PAUSED.
GST_START_TEST(test_changed_in_ready) {
  GstElement *element = nullptr;
  GstElement *pipeline = make_pipeline(&element);
  fail_unless_equals_int(gst_element_set_state(pipeline, GST_STATE_READY),
                         GST_STATE_CHANGE_SUCCESS);

  g_object_set(element, "report-suite", "", nullptr);
  gchar *value = nullptr;
  g_object_get(element, "report-suite", &value, nullptr);
  fail_unless_equals_string(value, "");
  g_free(value);

  fail_unless_equals_int(gst_element_set_state(pipeline, GST_STATE_PAUSED),
                         GST_STATE_CHANGE_FAILURE);
  GstBus *bus = gst_element_get_bus(pipeline);
  pop_settings_error(bus, element, "report-suite");
  gst_object_unref(bus);

  g_object_set(element, "report-suite", "otherrsid", nullptr);
  fail_unless(
      gst_element_set_state(pipeline, GST_STATE_PAUSED) != GST_STATE_CHANGE_FAILURE,
      "PAUSED refused after the fix");
  fail_unless_equals_int(
      gst_element_get_state(pipeline, nullptr, nullptr, 10 * GST_SECOND),
      GST_STATE_CHANGE_SUCCESS);
  teardown_pipeline(pipeline, element);
}
GST_END_TEST;

// In PLAYING, every MUTABLE_READY property refuses a change and keeps its
// value; the ping intervals (MUTABLE_PLAYING) take it.
GST_START_TEST(test_mutable_ready_in_playing) {
  GstElement *element = nullptr;
  GstElement *pipeline = make_pipeline(&element);
  fail_unless(
      gst_element_set_state(pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE,
      "cannot play");
  fail_unless_equals_int(
      gst_element_get_state(pipeline, nullptr, nullptr, 10 * GST_SECOND),
      GST_STATE_CHANGE_SUCCESS);

  guint n = 0;
  GParamSpec **pspecs = g_object_class_list_properties(G_OBJECT_GET_CLASS(element), &n);
  guint refused = 0, taken = 0;
  for (guint i = 0; i < n; ++i) {
    GParamSpec *pspec = pspecs[i];
    if (pspec->owner_type != G_OBJECT_TYPE(element) ||
        (pspec->flags & G_PARAM_WRITABLE) == 0) {
      continue;
    }
    GValue before = G_VALUE_INIT, other = G_VALUE_INIT, after = G_VALUE_INIT;
    g_value_init(&before, G_PARAM_SPEC_VALUE_TYPE(pspec));
    g_object_get_property(G_OBJECT(element), pspec->name, &before);
    other_value(pspec, &before, &other);
    fail_unless(g_param_values_cmp(pspec, &before, &other) != 0, "'%s': no other value",
                pspec->name);

    g_object_set_property(G_OBJECT(element), pspec->name, &other);
    g_value_init(&after, G_PARAM_SPEC_VALUE_TYPE(pspec));
    g_object_get_property(G_OBJECT(element), pspec->name, &after);

    if (pspec->flags & GST_PARAM_MUTABLE_PLAYING) {
      fail_unless(g_param_values_cmp(pspec, &after, &other) == 0,
                  "'%s' refused a change in PLAYING", pspec->name);
      ++taken;
    } else {
      fail_unless(g_param_values_cmp(pspec, &after, &before) == 0,
                  "'%s' changed in PLAYING", pspec->name);
      ++refused;
    }
    g_value_unset(&before);
    g_value_unset(&other);
    g_value_unset(&after);
  }
  g_free(pspecs);
  fail_unless_equals_int(taken, 2);
  fail_unless_equals_int(refused, 25);

  teardown_pipeline(pipeline, element);
}
GST_END_TEST;

static Suite *element_properties_suite(void) {
  Suite *s = suite_create("element-properties");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_metadata);
  tcase_add_test(tc, test_string_properties);
  tcase_add_test(tc, test_numeric_properties);
  tcase_add_test(tc, test_read_only_properties);
  tcase_add_test(tc, test_no_other_properties);
  tcase_add_test(tc, test_mandatory_missing);
  tcase_add_test(tc, test_report_suite_message);
  tcase_add_test(tc, test_malformed_endpoint);
  tcase_add_test(tc, test_valid_configuration);
  tcase_add_test(tc, test_fix_and_retry);
  tcase_add_test(tc, test_changed_in_ready);
  tcase_add_test(tc, test_mutable_ready_in_playing);
  return s;
}

GST_CHECK_MAIN(element_properties);
