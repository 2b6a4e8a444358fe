// BusTap (gst/element/bus-tap.h) on real pipelines: which messages reach the
// handler, where it refuses to attach, how it shares the pipeline bus with the
// application and other taps, and that neither a dropped pipeline nor a
// detach racing posting threads breaks it. "The element" is an identity.

#include <gst/check/gstcheck.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bus-tap.h"

using mediaanalytics::BusTap;

namespace {

// What a handler saw: copies, since the messages are only borrowed.
struct Seen {
  std::mutex mutex;
  std::vector<std::string> entries;  // "<type>:<source name>"

  BusTap::Handler handler() {
    return [this](GstMessage *message) {
      gchar *source = gst_object_get_name(GST_MESSAGE_SRC(message));
      std::lock_guard<std::mutex> lock(mutex);
      entries.push_back(std::string(GST_MESSAGE_TYPE_NAME(message)) + ":" + source);
      g_free(source);
    };
  }

  size_t count(const std::string &entry) {
    std::lock_guard<std::mutex> lock(mutex);
    size_t n = 0;
    for (const std::string &e : entries) {
      n += e == entry ? 1 : 0;
    }
    return n;
  }
};

GstElement *make(const char *factory, const char *name) {
  GstElement *element = gst_element_factory_make(factory, name);
  fail_unless(element != nullptr, "no %s", factory);
  return element;
}

// A pipeline holding a fakesrc "src" and an identity "tapped".
struct Fixture {
  GstElement *pipeline = gst_pipeline_new("pipeline");
  GstElement *src = make("fakesrc", "src");
  GstElement *tapped = make("identity", "tapped");

  Fixture() { gst_bin_add_many(GST_BIN(pipeline), src, tapped, nullptr); }
  ~Fixture() { gst_object_unref(pipeline); }
  Fixture(const Fixture &) = delete;
  Fixture &operator=(const Fixture &) = delete;
};

void post_buffering(GstElement *from) {
  gst_element_post_message(from, gst_message_new_buffering(GST_OBJECT(from), 50));
}

}  // namespace

GST_START_TEST(test_sees_other_elements) {
  Fixture f;
  Seen seen;
  BusTap tap;
  fail_unless(tap.attach(f.tapped, seen.handler()), "not attached in a pipeline");
  fail_unless(tap.attached(), "attached() is false");

  post_buffering(f.src);
  GError *error = g_error_new_literal(GST_STREAM_ERROR, GST_STREAM_ERROR_DECODE, "bad");
  gst_element_post_message(f.src,
                           gst_message_new_error(GST_OBJECT(f.src), error, "details"));
  g_error_free(error);

  fail_unless_equals_int(seen.count("buffering:src"), 1);
  fail_unless_equals_int(seen.count("error:src"), 1);
}
GST_END_TEST;

// The element's own bus is its bin's child bus, which the tap must look past.
GST_START_TEST(test_nested_in_bin) {
  GstElement *pipeline = gst_pipeline_new("pipeline");
  GstElement *bin = gst_bin_new("inner");
  GstElement *src = make("fakesrc", "src");
  GstElement *tapped = make("identity", "tapped");
  gst_bin_add(GST_BIN(bin), tapped);
  gst_bin_add_many(GST_BIN(pipeline), bin, src, nullptr);

  Seen seen;
  BusTap tap;
  fail_unless(tap.attach(tapped, seen.handler()), "not attached inside a bin");
  post_buffering(src);
  fail_unless_equals_int(seen.count("buffering:src"), 1);

  tap.detach();
  gst_object_unref(pipeline);
}
GST_END_TEST;

GST_START_TEST(test_ignores_own_messages) {
  Fixture f;
  Seen seen;
  BusTap tap;
  fail_unless(tap.attach(f.tapped, seen.handler()), "not attached");

  post_buffering(f.tapped);
  gst_element_post_message(
      f.tapped, gst_message_new_element(GST_OBJECT(f.tapped),
                                        gst_structure_new_empty("mediaanalytics-event")));
  post_buffering(f.src);

  std::lock_guard<std::mutex> lock(seen.mutex);
  fail_unless_equals_int(seen.entries.size(), 1);
  fail_unless_equals_string(seen.entries[0].c_str(), "buffering:src");
}
GST_END_TEST;

GST_START_TEST(test_no_pipeline) {
  Seen seen;
  BusTap tap;
  GstElement *orphan = make("identity", "orphan");
  fail_if(tap.attach(orphan, seen.handler()), "attached without a parent");
  gst_object_unref(orphan);

  GstElement *bin = gst_bin_new("bare");
  GstElement *tapped = make("identity", "tapped");
  gst_bin_add(GST_BIN(bin), tapped);
  fail_if(tap.attach(tapped, seen.handler()), "attached under a bare bin");
  fail_if(tap.attached(), "attached() is true");
  gst_object_unref(bin);
}
GST_END_TEST;

GST_START_TEST(test_same_bus_twice) {
  Fixture f;
  Seen seen;
  Seen ignored;
  BusTap tap;
  fail_unless(tap.attach(f.tapped, seen.handler()), "not attached");
  fail_unless(tap.attach(f.tapped, ignored.handler()), "second attach failed");
  post_buffering(f.src);
  fail_unless_equals_int(seen.count("buffering:src"), 1);
  std::lock_guard<std::mutex> lock(ignored.mutex);
  fail_unless_equals_int(ignored.entries.size(), 0);
}
GST_END_TEST;

// Moved to another pipeline, the element is re-attached to the new bus only.
GST_START_TEST(test_moved_to_other_pipeline) {
  Fixture f;
  Seen seen;
  BusTap tap;
  fail_unless(tap.attach(f.tapped, seen.handler()), "not attached");

  GstElement *other = gst_pipeline_new("other");
  GstElement *other_src = make("fakesrc", "other-src");
  gst_object_ref(f.tapped);
  gst_bin_remove(GST_BIN(f.pipeline), f.tapped);
  gst_bin_add_many(GST_BIN(other), f.tapped, other_src, nullptr);
  gst_object_unref(f.tapped);
  fail_unless(tap.attach(f.tapped, seen.handler()), "not attached to the new pipeline");

  post_buffering(f.src);
  post_buffering(other_src);
  fail_unless_equals_int(seen.count("buffering:src"), 0);
  fail_unless_equals_int(seen.count("buffering:other-src"), 1);

  tap.detach();
  gst_object_unref(other);
}
GST_END_TEST;

struct AppHandler {
  std::atomic<int> calls{0};
  GstBusSyncReply reply = GST_BUS_PASS;

  static GstBusSyncReply on_message(GstBus *, GstMessage *message, gpointer data) {
    auto *self = static_cast<AppHandler *>(data);
    if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_BUFFERING) {
      self->calls++;
    }
    if (self->reply == GST_BUS_DROP) {
      gst_message_unref(message);  // dropping takes the message
    }
    return self->reply;
  }
};

GST_START_TEST(test_with_app_sync_handler) {
  Fixture f;
  AppHandler app;
  GstBus *bus = gst_element_get_bus(f.pipeline);
  gst_bus_set_sync_handler(bus, AppHandler::on_message, &app, nullptr);

  Seen seen;
  BusTap tap;
  fail_unless(tap.attach(f.tapped, seen.handler()), "not attached");
  post_buffering(f.src);
  fail_unless_equals_int(app.calls.load(), 1);
  fail_unless_equals_int(seen.count("buffering:src"), 1);

  tap.detach();
  post_buffering(f.src);
  fail_unless_equals_int(app.calls.load(), 2);
  fail_unless_equals_int(seen.count("buffering:src"), 1);

  gst_bus_set_sync_handler(bus, nullptr, nullptr, nullptr);
  gst_object_unref(bus);
}
GST_END_TEST;

// A documented limit: what the application drops, the tap never sees.
GST_START_TEST(test_app_drop_hides_message) {
  Fixture f;
  AppHandler app;
  app.reply = GST_BUS_DROP;
  GstBus *bus = gst_element_get_bus(f.pipeline);
  gst_bus_set_sync_handler(bus, AppHandler::on_message, &app, nullptr);

  Seen seen;
  BusTap tap;
  fail_unless(tap.attach(f.tapped, seen.handler()), "not attached");
  post_buffering(f.src);
  fail_unless_equals_int(app.calls.load(), 1);
  fail_unless_equals_int(seen.count("buffering:src"), 0);

  tap.detach();
  gst_bus_set_sync_handler(bus, nullptr, nullptr, nullptr);
  gst_object_unref(bus);
}
GST_END_TEST;

GST_START_TEST(test_detach_stops_delivery) {
  Fixture f;
  Seen seen;
  BusTap tap;
  fail_unless(tap.attach(f.tapped, seen.handler()), "not attached");
  post_buffering(f.src);
  tap.detach();
  fail_if(tap.attached(), "attached() after detach()");
  post_buffering(f.src);
  tap.detach();
  fail_unless_equals_int(seen.count("buffering:src"), 1);
}
GST_END_TEST;

// Sync emission is counted: one tap leaving does not turn it off for another.
GST_START_TEST(test_two_taps) {
  Fixture f;
  GstElement *second = make("identity", "second");
  gst_bin_add(GST_BIN(f.pipeline), second);
  Seen seen_first;
  Seen seen_second;
  BusTap first_tap;
  BusTap second_tap;
  fail_unless(first_tap.attach(f.tapped, seen_first.handler()), "first not attached");
  fail_unless(second_tap.attach(second, seen_second.handler()), "second not attached");

  post_buffering(f.src);
  fail_unless_equals_int(seen_first.count("buffering:src"), 1);
  fail_unless_equals_int(seen_second.count("buffering:src"), 1);

  first_tap.detach();
  post_buffering(f.src);
  fail_unless_equals_int(seen_first.count("buffering:src"), 1);
  fail_unless_equals_int(seen_second.count("buffering:src"), 2);
}
GST_END_TEST;

// The tap keeps the bus alive, never the pipeline or the element.
GST_START_TEST(test_pipeline_dropped_while_attached) {
  GstElement *pipeline = gst_pipeline_new("pipeline");
  GstElement *src = make("fakesrc", "src");
  GstElement *tapped = make("identity", "tapped");
  gst_bin_add_many(GST_BIN(pipeline), src, tapped, nullptr);
  GstBus *bus = gst_element_get_bus(pipeline);
  gpointer pipeline_alive = pipeline;
  gpointer tapped_alive = tapped;
  gpointer bus_alive = bus;
  g_object_add_weak_pointer(G_OBJECT(pipeline), &pipeline_alive);
  g_object_add_weak_pointer(G_OBJECT(tapped), &tapped_alive);
  g_object_add_weak_pointer(G_OBJECT(bus), &bus_alive);
  gst_object_unref(bus);

  Seen seen;
  BusTap tap;
  fail_unless(tap.attach(tapped, seen.handler()), "not attached");
  post_buffering(src);
  gst_bus_set_flushing(bus, TRUE);  // the queued message refs src
  gst_object_unref(pipeline);
  fail_unless(pipeline_alive == nullptr, "the pipeline outlived its last ref");
  fail_unless(tapped_alive == nullptr, "the element outlived its pipeline");
  fail_unless(bus_alive != nullptr, "the tap holds no ref to the bus");
  fail_unless(tap.attached(), "no longer attached");

  tap.detach();
  fail_unless(bus_alive == nullptr, "the bus outlived the tap");
}
GST_END_TEST;

// Posting threads keep the handler running while taps come and go: a call
// that outlives detach() must only touch what the handler owns.
GST_START_TEST(test_detach_while_posting) {
  Fixture f;
  GstBus *bus = gst_element_get_bus(f.pipeline);
  std::atomic<bool> stop{false};
  auto calls = std::make_shared<std::atomic<int>>(0);
  std::vector<std::thread> posters;
  for (int i = 0; i < 4; i++) {
    posters.emplace_back([&f, &stop] {
      while (!stop.load()) {
        post_buffering(f.src);
      }
    });
  }

  for (int i = 0; i < 200; i++) {
    auto tap = std::make_unique<BusTap>();
    fail_unless(tap->attach(f.tapped,
                            [calls](GstMessage *) {
                              calls->fetch_add(1);
                              g_thread_yield();
                            }),
                "not attached");
    g_usleep(100);
    if (i % 2 == 0) {
      tap->detach();
    }
    tap.reset();  // the other half through the destructor
    gst_bus_set_flushing(bus, TRUE);
    gst_bus_set_flushing(bus, FALSE);
  }
  stop = true;
  for (std::thread &poster : posters) {
    poster.join();
  }
  fail_unless(calls->load() > 0, "the handler never ran");

  gst_bus_set_flushing(bus, TRUE);
  gst_object_unref(bus);
}
GST_END_TEST;

static Suite *element_bus_tap_suite(void) {
  Suite *s = suite_create("element-bus-tap");
  TCase *tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_sees_other_elements);
  tcase_add_test(tc, test_nested_in_bin);
  tcase_add_test(tc, test_ignores_own_messages);
  tcase_add_test(tc, test_no_pipeline);
  tcase_add_test(tc, test_same_bus_twice);
  tcase_add_test(tc, test_moved_to_other_pipeline);
  tcase_add_test(tc, test_with_app_sync_handler);
  tcase_add_test(tc, test_app_drop_hides_message);
  tcase_add_test(tc, test_detach_stops_delivery);
  tcase_add_test(tc, test_two_taps);
  tcase_add_test(tc, test_pipeline_dropped_while_attached);
  tcase_add_test(tc, test_detach_while_posting);
  return s;
}

GST_CHECK_MAIN(element_bus_tap);
