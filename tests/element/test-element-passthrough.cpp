// The data path of the mediaanalytics element (gst/element): a passthrough
// element on ANY caps whose pads proxy caps and allocation, in push mode. Each
// test runs a configured element in a GstHarness (or a pipeline) and checks
// that buffers and events come out exactly as they went in, without a copy.

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include <glib/gstdio.h>
#include <unistd.h>

#include <cstring>

namespace {

// An element that passes NULL→READY: the mandatory properties set.
GstElement *make_element() {
  GstElement *element = gst_element_factory_make("mediaanalytics", nullptr);
  fail_unless(element != nullptr,
              "no mediaanalytics element (GST_PLUGIN_PATH_1_0 must name the build "
              "dir of gst/element)");
  g_object_set(element, "endpoint", "http://127.0.0.1:9", "tracking-server",
               "example.sc.omtrdc.net", "report-suite", "examplersid", "org-id",
               "0123456789ABCDEF@AdobeOrg", "channel", "test", nullptr);
  // Nothing listens at the endpoint: going to NULL must not wait for it.
  g_object_set(element, "flush-timeout", static_cast<guint64>(0), nullptr);
  return element;
}

// A playing harness around a configured element, its source caps set.
GstHarness *make_harness(const char *caps) {
  GstElement *element = make_element();
  GstHarness *h = gst_harness_new_with_element(element, "sink", "src");
  gst_object_unref(element);
  gst_harness_set_src_caps_str(h, caps);
  return h;
}

constexpr guint8 kData[] = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02, 0x03};

GstBuffer *make_buffer(GstClockTime pts) {
  GstBuffer *buffer = gst_buffer_new_memdup(kData, sizeof(kData));
  GST_BUFFER_PTS(buffer) = pts;
  GST_BUFFER_DTS(buffer) = pts - 5 * GST_MSECOND;
  GST_BUFFER_DURATION(buffer) = 40 * GST_MSECOND;
  GST_BUFFER_OFFSET(buffer) = 7;
  GST_BUFFER_OFFSET_END(buffer) = 8;
  GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_DISCONT);
  GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_DELTA_UNIT);
  GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_GAP);
  return buffer;
}

void check_untouched(GstBuffer *buffer, GstClockTime pts) {
  fail_unless_equals_uint64(GST_BUFFER_PTS(buffer), pts);
  fail_unless_equals_uint64(GST_BUFFER_DTS(buffer), pts - 5 * GST_MSECOND);
  fail_unless_equals_uint64(GST_BUFFER_DURATION(buffer), 40 * GST_MSECOND);
  fail_unless_equals_uint64(GST_BUFFER_OFFSET(buffer), 7);
  fail_unless_equals_uint64(GST_BUFFER_OFFSET_END(buffer), 8);
  const GstBufferFlags expected = static_cast<GstBufferFlags>(
      GST_BUFFER_FLAG_DISCONT | GST_BUFFER_FLAG_DELTA_UNIT | GST_BUFFER_FLAG_GAP);
  fail_unless_equals_int(GST_BUFFER_FLAGS(buffer), expected);
  fail_unless_equals_int(gst_buffer_n_memory(buffer), 1);
  fail_unless(gst_buffer_memcmp(buffer, 0, kData, sizeof(kData)) == 0,
              "buffer data changed");
  fail_unless_equals_uint64(gst_buffer_get_size(buffer), sizeof(kData));
}

guint64 buffers_seen(GstHarness *h) {
  GstStructure *stats = nullptr;
  g_object_get(h->element, "stats", &stats, nullptr);
  fail_unless(stats != nullptr, "no stats");
  guint64 seen = 0;
  fail_unless(gst_structure_get_uint64(stats, "buffers-seen", &seen),
              "stats have no buffers-seen: %" GST_PTR_FORMAT, stats);
  gst_structure_free(stats);
  return seen;
}

// Pulls events until one of `type` comes; fails if none is queued.
GstEvent *pull_event_of_type(GstHarness *h, GstEventType type) {
  while (GstEvent *event = gst_harness_try_pull_event(h)) {
    if (GST_EVENT_TYPE(event) == type) {
      return event;
    }
    gst_event_unref(event);
  }
  fail("no %s event came out", gst_event_type_get_name(type));
  return nullptr;
}

}  // namespace

// The buffer that comes out is the one pushed: same pointer, same data, flags
// and timestamps. The test keeps a ref, so any copy-on-write would show.
GST_START_TEST(test_same_buffer_out) {
  GstHarness *h = make_harness("video/x-raw");
  GstBuffer *in = make_buffer(GST_SECOND);

  fail_unless_equals_int(gst_harness_push(h, gst_buffer_ref(in)), GST_FLOW_OK);
  GstBuffer *out = gst_harness_pull(h);

  fail_unless(out == in, "passthrough gave a different buffer (%p, pushed %p)",
              static_cast<void *>(out), static_cast<void *>(in));
  check_untouched(out, GST_SECOND);
  fail_unless_equals_int(GST_MINI_OBJECT_REFCOUNT_VALUE(in), 2);

  gst_buffer_unref(out);
  gst_buffer_unref(in);
  gst_harness_teardown(h);
}
GST_END_TEST;

// Two buffers come out as two buffers, in order, each itself.
GST_START_TEST(test_buffers_not_merged) {
  GstHarness *h = make_harness("application/x-foo");
  GstBuffer *buf1 = make_buffer(GST_SECOND);
  GstBuffer *buf2 = make_buffer(2 * GST_SECOND);

  fail_unless_equals_int(gst_harness_push(h, gst_buffer_ref(buf1)), GST_FLOW_OK);
  fail_unless_equals_int(gst_harness_push(h, gst_buffer_ref(buf2)), GST_FLOW_OK);
  fail_unless_equals_int(gst_harness_buffers_received(h), 2);

  GstBuffer *out1 = gst_harness_pull(h);
  GstBuffer *out2 = gst_harness_pull(h);
  fail_unless(out1 == buf1, "the first buffer out is not the first pushed");
  fail_unless(out2 == buf2, "the second buffer out is not the second pushed");
  check_untouched(out1, GST_SECOND);
  check_untouched(out2, 2 * GST_SECOND);
  fail_unless(gst_harness_try_pull(h) == nullptr, "a third buffer came out");

  gst_buffer_unref(out1);
  gst_buffer_unref(out2);
  gst_buffer_unref(buf1);
  gst_buffer_unref(buf2);
  gst_harness_teardown(h);
}
GST_END_TEST;

// A buffer list goes on as one list (not split into buffers), and each of
// its buffers is counted.
GST_START_TEST(test_buffer_list_stays_a_list) {
  GstHarness *h = make_harness("video/x-raw");
  GstBufferList *list = gst_buffer_list_new();
  for (int i = 1; i <= 3; i++) {
    gst_buffer_list_add(list, make_buffer(i * GST_SECOND));
  }
  // What leaves the element's source pad: [0] lists, [1] single buffers.
  guint counts[2] = {0, 0};
  GstPad *element_src = gst_element_get_static_pad(h->element, "src");
  gst_pad_add_probe(
      element_src,
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER |
                                   GST_PAD_PROBE_TYPE_BUFFER_LIST),
      [](GstPad *, GstPadProbeInfo *info, gpointer data) -> GstPadProbeReturn {
        guint *n = static_cast<guint *>(data);
        n[(info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) ? 0 : 1]++;
        return GST_PAD_PROBE_OK;
      },
      counts, nullptr);

  fail_unless_equals_int(gst_pad_push_list(h->srcpad, list), GST_FLOW_OK);

  fail_unless_equals_int(counts[0], 1);
  fail_unless_equals_int(counts[1], 0);
  fail_unless_equals_int(gst_harness_buffers_received(h), 3);
  fail_unless_equals_uint64(buffers_seen(h), 3);
  gst_object_unref(element_src);
  gst_harness_teardown(h);
}
GST_END_TEST;

// The caps event goes downstream unchanged, and so does a custom downstream
// event, as the same event.
GST_START_TEST(test_events_pass) {
  GstHarness *h = make_harness("video/x-raw, width=(int)320, height=(int)240");

  GstEvent *caps_event = pull_event_of_type(h, GST_EVENT_CAPS);
  GstCaps *caps = nullptr;
  gst_event_parse_caps(caps_event, &caps);
  GstCaps *expected =
      gst_caps_from_string("video/x-raw, width=(int)320, height=(int)240");
  fail_unless(gst_caps_is_equal(caps, expected), "caps changed: %" GST_PTR_FORMAT, caps);
  gst_caps_unref(expected);
  gst_event_unref(caps_event);

  GstEvent *custom = gst_event_new_custom(
      GST_EVENT_CUSTOM_DOWNSTREAM,
      gst_structure_new("x-test-marker", "n", G_TYPE_INT, 42, nullptr));
  fail_unless(gst_harness_push_event(h, gst_event_ref(custom)), "custom event refused");
  GstEvent *out = pull_event_of_type(h, GST_EVENT_CUSTOM_DOWNSTREAM);
  fail_unless(out == custom, "the custom event was replaced");
  fail_unless(gst_structure_has_name(gst_event_get_structure(out), "x-test-marker"),
              "custom event structure changed");

  gst_event_unref(out);
  gst_event_unref(custom);
  gst_harness_teardown(h);
}
GST_END_TEST;

// Upstream events pass too (the app's seeks will come this way).
GST_START_TEST(test_upstream_event_passes) {
  GstHarness *h = make_harness("video/x-raw");

  GstEvent *custom = gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM,
                                          gst_structure_new_empty("x-test-upstream"));
  fail_unless(gst_harness_push_upstream_event(h, gst_event_ref(custom)),
              "upstream event refused");
  GstEvent *out = nullptr;
  while ((out = gst_harness_try_pull_upstream_event(h)) != nullptr &&
         GST_EVENT_TYPE(out) != GST_EVENT_CUSTOM_UPSTREAM) {
    gst_event_unref(out);
  }
  fail_unless(out == custom, "the upstream event did not come out as itself");

  gst_event_unref(out);
  gst_event_unref(custom);
  gst_harness_teardown(h);
}
GST_END_TEST;

// Whatever the caps, the element accepts them and passes buffers through.
GST_START_TEST(test_any_caps) {
  const char *const all_caps[] = {
      "video/x-raw",
      "application/x-foo",
      "audio/x-raw, format=(string)S16LE, rate=(int)48000, channels=(int)2",
      "video/x-h264, stream-format=(string)byte-stream, alignment=(string)au",
      "text/x-raw, format=(string)utf8",
  };
  for (const char *caps_str : all_caps) {
    GstHarness *h = make_harness(caps_str);
    GstBuffer *in = make_buffer(GST_SECOND);

    fail_unless_equals_int(gst_harness_push(h, gst_buffer_ref(in)), GST_FLOW_OK);
    GstBuffer *out = gst_harness_pull(h);
    fail_unless(out == in, "%s: not passed through", caps_str);
    check_untouched(out, GST_SECOND);

    GstCaps *expected = gst_caps_from_string(caps_str);
    GstPad *srcpad = gst_element_get_static_pad(h->element, "src");
    GstCaps *current = gst_pad_get_current_caps(srcpad);
    fail_unless(current != nullptr && gst_caps_is_equal(current, expected),
                "%s: src caps are %" GST_PTR_FORMAT, caps_str, current);

    gst_caps_unref(current);
    gst_object_unref(srcpad);
    gst_caps_unref(expected);
    gst_buffer_unref(out);
    gst_buffer_unref(in);
    gst_harness_teardown(h);
  }
}
GST_END_TEST;

// Both pads are ALWAYS pads with ANY caps.
GST_START_TEST(test_pad_templates) {
  GstElementFactory *factory = gst_element_factory_find("mediaanalytics");
  fail_unless(factory != nullptr, "no mediaanalytics factory");
  fail_unless_equals_int(gst_element_factory_get_num_pad_templates(factory), 2);
  for (const GList *l = gst_element_factory_get_static_pad_templates(factory); l;
       l = l->next) {
    auto *templ = static_cast<GstStaticPadTemplate *>(l->data);
    fail_unless_equals_int(templ->presence, GST_PAD_ALWAYS);
    GstCaps *caps = gst_static_caps_get(&templ->static_caps);
    fail_unless(gst_caps_is_any(caps), "%s template caps are %" GST_PTR_FORMAT,
                templ->name_template, caps);
    gst_caps_unref(caps);
  }
  gst_object_unref(factory);
}
GST_END_TEST;

// Every buffer is counted; READY→PAUSED starts the count again.
GST_START_TEST(test_buffers_counted) {
  GstHarness *h = make_harness("application/x-foo");
  fail_unless_equals_uint64(buffers_seen(h), 0);

  for (int i = 0; i < 5; ++i) {
    fail_unless_equals_int(gst_harness_push(h, make_buffer(i * GST_SECOND)), GST_FLOW_OK);
    gst_buffer_unref(gst_harness_pull(h));
  }
  fail_unless_equals_uint64(buffers_seen(h), 5);

  // READY→PAUSED starts counting again.
  fail_unless_equals_int(gst_element_set_state(h->element, GST_STATE_READY),
                         GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_uint64(buffers_seen(h), 5);
  fail_unless_equals_int(gst_element_set_state(h->element, GST_STATE_PLAYING),
                         GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_uint64(buffers_seen(h), 0);

  gst_harness_teardown(h);
}
GST_END_TEST;

// Before an element that pulls when it can (wavparse), the element makes it
// push: upstream's random access does not pass through it, and the file
// plays to its end.
GST_START_TEST(test_pull_mode_upstream_pushes) {
  // A WAV file: 44-byte header and 0.1 s of silence, 8 kHz mono 16-bit.
  constexpr guint32 kDataBytes = 1600;
  guint8 wav[44 + kDataBytes] = {};
  auto put32 = [&wav](size_t at, guint32 v) { GST_WRITE_UINT32_LE(wav + at, v); };
  auto put16 = [&wav](size_t at, guint16 v) { GST_WRITE_UINT16_LE(wav + at, v); };
  memcpy(wav, "RIFF", 4);
  put32(4, 36 + kDataBytes);
  memcpy(wav + 8, "WAVEfmt ", 8);
  put32(16, 16);
  put16(20, 1);  // PCM
  put16(22, 1);  // mono
  put32(24, 8000);
  put32(28, 16000);
  put16(32, 2);
  put16(34, 16);
  memcpy(wav + 36, "data", 4);
  put32(40, kDataBytes);
  gchar *path = nullptr;
  gint fd = g_file_open_tmp("passthrough-XXXXXX.wav", &path, nullptr);
  fail_unless(fd >= 0, "cannot make a temporary file");
  close(fd);
  fail_unless(g_file_set_contents(path, reinterpret_cast<const gchar *>(wav), sizeof wav,
                                  nullptr));

  GstElement *pipeline = gst_pipeline_new(nullptr);
  GstElement *src = gst_element_factory_make("filesrc", nullptr);
  GstElement *element = make_element();
  GstElement *parse = gst_element_factory_make("wavparse", nullptr);
  GstElement *sink = gst_element_factory_make("fakesink", nullptr);
  fail_unless(src && parse && sink, "filesrc, wavparse or fakesink missing");
  g_object_set(src, "location", path, nullptr);
  gst_bin_add_many(GST_BIN(pipeline), src, element, parse, sink, nullptr);
  fail_unless(gst_element_link_many(src, element, parse, sink, nullptr));

  fail_if(gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  GstMessage *msg = gst_bus_timed_pop_filtered(
      GST_ELEMENT_BUS(pipeline), 10 * GST_SECOND,
      static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless(msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS, "no EOS: %" GST_PTR_FORMAT,
              msg);
  GstPad *element_sink = gst_element_get_static_pad(element, "sink");
  fail_unless_equals_int(GST_PAD_MODE(element_sink), GST_PAD_MODE_PUSH);
  gst_object_unref(element_sink);

  gst_message_unref(msg);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  g_unlink(path);
  g_free(path);
}
GST_END_TEST;

static Suite *element_passthrough_suite(void) {
  Suite *s = suite_create("element-passthrough");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_same_buffer_out);
  tcase_add_test(tc, test_buffers_not_merged);
  tcase_add_test(tc, test_buffer_list_stays_a_list);
  tcase_add_test(tc, test_events_pass);
  tcase_add_test(tc, test_upstream_event_passes);
  tcase_add_test(tc, test_any_caps);
  tcase_add_test(tc, test_pad_templates);
  tcase_add_test(tc, test_buffers_counted);
  tcase_add_test(tc, test_pull_mode_upstream_pushes);
  return s;
}

GST_CHECK_MAIN(element_passthrough);
