// Element features end to end against the real collector process
// (tests/collector/collector-process.h): chapters from a table of contents
// (toc-chapters), the metadata and custom-metadata properties, and opt-out.
// Every test asserts on the collector's record (what arrived, its findings)
// and on what the application got (return values, bus messages).
//
// The chapters come from a Matroska file each test writes itself: 3 s of
// video with a TOC of three 1 s chapters ("Opening", "Middle", "Finale"),
// set on matroskamux through GstTocSetter.

#include "element-fixture.h"

#include <atomic>
#include <cmath>
#include <mutex>
#include <string>
#include <vector>

using namespace collector_test;
using namespace element_test;

namespace {

constexpr guint64 kSecond = GST_SECOND;
constexpr double kSlack = 0.15;  // seconds of playhead, for what the sink shows
const char *const kTitles[] = {"Opening", "Middle", "Finale"};

// ---------------------------------------------------------------------------
// The Matroska file with chapters.

// Writes 3 s of 64x48 Theora video (a keyframe every 0.2 s) with a TOC of
// three 1 s chapters titled kTitles into a new file; returns its path.
std::string write_chapters_file() {
  const std::string path = make_run_dir() + "/chapters.mkv";
  const std::string desc =
      "videotestsrc num-buffers=75 ! video/x-raw,width=64,height=48,framerate=25/1 ! "
      "theoraenc keyframe-force=5 ! matroskamux name=mux ! filesink location=\"" +
      path + "\"";
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch(desc.c_str(), &error);
  fail_unless(pipeline != nullptr && error == nullptr, "%s: %s", desc.c_str(),
              error ? error->message : "no pipeline");
  GstElement *mux = gst_bin_get_by_name(GST_BIN(pipeline), "mux");
  fail_unless(GST_IS_TOC_SETTER(mux), "matroskamux is no GstTocSetter");

  GstToc *toc = gst_toc_new(GST_TOC_SCOPE_GLOBAL);
  GstTocEntry *edition = gst_toc_entry_new(GST_TOC_ENTRY_TYPE_EDITION, "edition-1");
  gst_toc_entry_set_start_stop_times(edition, 0, 3 * GST_SECOND);
  for (int i = 0; i < 3; i++) {
    const std::string uid = "chapter-" + std::to_string(i + 1);
    GstTocEntry *chapter = gst_toc_entry_new(GST_TOC_ENTRY_TYPE_CHAPTER, uid.c_str());
    gst_toc_entry_set_start_stop_times(chapter, i * GST_SECOND, (i + 1) * GST_SECOND);
    gst_toc_entry_set_tags(chapter, gst_tag_list_new(GST_TAG_TITLE, kTitles[i], nullptr));
    gst_toc_entry_append_sub_entry(edition, chapter);
  }
  gst_toc_append_entry(toc, edition);
  gst_toc_setter_set_toc(GST_TOC_SETTER(mux), toc);
  gst_toc_unref(toc);
  gst_object_unref(mux);

  fail_unless(gst_element_set_state(pipeline, GST_STATE_PLAYING) !=
              GST_STATE_CHANGE_FAILURE);
  GstBus *bus = gst_element_get_bus(pipeline);
  GstMessage *m = gst_bus_timed_pop_filtered(
      bus, scaled_ms(20000) * GST_MSECOND,
      static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless(m != nullptr && GST_MESSAGE_TYPE(m) == GST_MESSAGE_EOS,
              "writing %s did not end in EOS", path.c_str());
  gst_message_unref(m);
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return path;
}

// Plays `path` (decoded, so that an accurate seek lands where asked) through
// the element, reporting to `endpoint`; `ma_props` are more properties.
std::string chapters_pipeline(const std::string &path, const char *ma_props = "") {
  return "filesrc location=\"" + path +
         "\" ! matroskademux ! theoradec ! mediaanalytics name=ma " + ma_props +
         " ! fakesink name=sink sync=true";
}

// ---------------------------------------------------------------------------
// The record (element-fixture.h), checked.

// A chapterStart's params: exactly index (an integer), offset and length
// (numbers) and, when given, the friendlyName; no customMetadata.
void check_chapter_params(const Line &line, int64_t index, double offset, double length,
                          const char *name) {
  fail_unless(line.event_type() == "chapterStart", "%s is no chapterStart",
              describe(line).c_str());
  JsonObject *params = params_of(line);
  const std::string text = describe(line);
  fail_unless(json_object_get_size(params) == (name ? 4u : 3u), "params of %s",
              text.c_str());
  JsonNode *i = json_object_get_member(params, "media.chapter.index");
  fail_unless(
      i && json_node_get_value_type(i) == G_TYPE_INT64 && json_node_get_int(i) == index,
      "%s: media.chapter.index is not %" G_GINT64_FORMAT, text.c_str(), index);
  for (const char *key : {"media.chapter.offset", "media.chapter.length"}) {
    JsonNode *n = json_object_get_member(params, key);
    fail_unless(n && JSON_NODE_HOLDS_VALUE(n) &&
                    (json_node_get_value_type(n) == G_TYPE_DOUBLE ||
                     json_node_get_value_type(n) == G_TYPE_INT64),
                "%s: %s is no number", text.c_str(), key);
    const double want = g_str_equal(key, "media.chapter.offset") ? offset : length;
    fail_unless(std::fabs(json_node_get_double(n) - want) < 0.01, "%s: %s is not %g",
                text.c_str(), key, want);
  }
  if (name)
    fail_unless(g_strcmp0(json_object_get_string_member_with_default(
                              params, "media.chapter.friendlyName", nullptr),
                          name) == 0,
                "%s: media.chapter.friendlyName is not %s", text.c_str(), name);
  fail_unless(member_json(line, "customMetadata").empty(), "%s has customMetadata %s",
              text.c_str(), member_json(line, "customMetadata").c_str());
}

// requests[i] is at playhead `at` (within kSlack).
void expect_playhead(const Lines &requests, size_t i, double at) {
  fail_unless(std::fabs(playhead_of(requests[i]) - at) < kSlack,
              "%s is not at playhead %.3f; the record: %s", describe(requests[i]).c_str(),
              at, describe_all(requests).c_str());
}

}  // namespace

// ---------------------------------------------------------------------------
// Chapters from the table of contents.

// Played to EOS: each chapter starts as the playhead enters it and completes
// at its end, with its index from 1, offset, length and title.
GST_START_TEST(test_toc_chapters_played_through) {
  const std::string path = write_chapters_file();
  Collector c(collector_args());
  Presentation presented;
  {
    Pipeline p(chapters_pipeline(path));
    presented.watch(p.element("sink"));
    p.configure(c.url(), "chapters", kSecond);
    p.set_state(GST_STATE_PLAYING);
    p.wait_eos();
    p.wait_reports("sessionComplete");
    p.set_state(GST_STATE_NULL);
    p.observed.expect_quiet();
  }
  Lines requests = check_session(
      c, {"sessionStart", "play", "chapterStart", "chapterComplete", "chapterStart",
          "chapterComplete", "chapterStart", "chapterComplete", "sessionComplete"});
  fail_unless(
      std::fabs(json_object_get_double_member(params_of(requests[0]), "media.length") -
                3.0) < 0.05,
      "media.length of %s", describe(requests[0]).c_str());
  const size_t play = index_of(requests, "play");
  expect_playhead(requests, play, 0);
  for (int k = 0; k < 3; k++) {
    const size_t started = index_of(requests, "chapterStart", k);
    const size_t completed = index_of(requests, "chapterComplete", k);
    const Line &start = requests[started];
    const Line &complete = requests[completed];
    check_chapter_params(start, k + 1, k, 1, kTitles[k]);
    // The first chapter starts with the play, where that found the stream.
    expect_playhead(requests, started, k == 0 ? playhead_of(requests[play]) : k);
    expect_playhead(requests, completed, k + 1);
    // When the sink presented the chapter's start and its end (in real time
    // from the play at 0 s, when the pipeline keeps pace).
    const int64_t from_start = ts_of(start) - presented.utc_ms_at(k);
    const int64_t from_end = ts_of(complete) - presented.utc_ms_at(k + 1);
    // Never early; late by what a slowed process (valgrind) takes to see it.
    fail_unless(from_start > -150 && from_start < scaled_ms(150),
                "chapter %d started %" G_GINT64_FORMAT " ms off the sink's %d s", k + 1,
                from_start, k);
    fail_unless(from_end > -150 && from_end < scaled_ms(150),
                "chapter %d completed %" G_GINT64_FORMAT " ms off the sink's %d s", k + 1,
                from_end, k + 1);
  }
}
GST_END_TEST;

// A seek from inside chapter 1 to inside chapter 3: chapter 1 is skipped and
// chapter 3 starts where the seek landed; chapter 2 never starts.
GST_START_TEST(test_toc_chapters_seek_skips) {
  const std::string path = write_chapters_file();
  Collector c(collector_args());
  constexpr double kFrom = 0.5, kTo = 2.4;
  Presentation presented;
  double paused_at = 0;
  {
    Pipeline p(chapters_pipeline(path));
    presented.watch(p.element("sink"));
    p.configure(c.url(), "chapters-seek", kSecond);
    p.set_state(GST_STATE_PLAYING);
    // Chapter 1 started as its first frame passed the element (the record
    // says so); its report may come later than 0.5 s of the stream when the
    // test process is slow.
    p.wait_position(kFrom);
    paused_at = presented.latest_seconds();
    fail_unless(gst_element_seek_simple(p.pipeline, GST_FORMAT_TIME,
                                        static_cast<GstSeekFlags>(GST_SEEK_FLAG_FLUSH |
                                                                  GST_SEEK_FLAG_ACCURATE),
                                        static_cast<gint64>(kTo * GST_SECOND)),
                "the seek failed");
    p.wait_eos();
    p.wait_reports("sessionComplete");
    p.set_state(GST_STATE_NULL);
    p.observed.expect_quiet();
  }
  // The skip where the seek started or where it landed; the new chapter's
  // start with the landing.
  Lines requests = check_session(
      c, {{"sessionStart", "play", "chapterStart", "chapterSkip", "pauseStart", "play",
           "chapterStart", "chapterComplete", "sessionComplete"},
          {"sessionStart", "play", "chapterStart", "pauseStart", "chapterSkip", "play",
           "chapterStart", "chapterComplete", "sessionComplete"},
          {"sessionStart", "play", "chapterStart", "pauseStart", "play", "chapterSkip",
           "chapterStart", "chapterComplete", "sessionComplete"}});
  check_chapter_params(requests[index_of(requests, "chapterStart", 0)], 1, 0, 1,
                       kTitles[0]);
  check_chapter_params(requests[index_of(requests, "chapterStart", 1)], 3, 2, 1,
                       kTitles[2]);
  const size_t landing = index_of(requests, "play", 1);
  // Where the viewer was when the seek came (kFrom natively, behind it when
  // the process is too slow to keep pace).
  expect_playhead(requests, index_of(requests, "pauseStart"), paused_at);
  expect_playhead(requests, landing, kTo);
  // The viewer left chapter 1 at 0.5 s: the skip is not at the chapter's
  // start (0 s), it is where the viewer was (from the seek's start to its
  // landing).
  const Line &skip = requests[index_of(requests, "chapterSkip")];
  fail_unless(playhead_of(skip) > kFrom - kSlack && playhead_of(skip) < kTo + kSlack,
              "%s: the viewer left chapter 1 at %.1f s and landed at %.1f s; the "
              "record: %s",
              describe(skip).c_str(), kFrom, kTo, describe_all(requests).c_str());
  // Chapter 3 starts at 2.4 s, where the viewer landed, not at its offset.
  const size_t third = index_of(requests, "chapterStart", 1);
  expect_playhead(requests, third, kTo);
  fail_unless(ts_of(requests[third]) >= ts_of(requests[landing]) - 150,
              "chapter 3 started before the landing");
  expect_playhead(requests, index_of(requests, "chapterComplete"), 3);
}
GST_END_TEST;

// toc-chapters=false: the TOC is ignored; no chapter event over a boundary.
GST_START_TEST(test_toc_chapters_off) {
  const std::string path = write_chapters_file();
  Collector c(collector_args());
  {
    Pipeline p(chapters_pipeline(path, "toc-chapters=false"));
    p.configure(c.url(), "chapters-off", kSecond);
    gboolean toc_chapters = TRUE;
    g_object_get(p.ma, "toc-chapters", &toc_chapters, nullptr);
    fail_unless(!toc_chapters, "toc-chapters did not take FALSE");
    p.set_state(GST_STATE_PLAYING);
    p.wait_reports("play");
    p.wait_position(1.3);  // over the first boundary
    p.set_state(GST_STATE_NULL);
    p.observed.expect_quiet();
  }
  check_session(c, {"sessionStart", "play", "sessionEnd"});
}
GST_END_TEST;

// The application's chapter-start while TOC chapter 1 is open: the TOC
// chapter is skipped (where the viewer is), the application's chapter starts,
// and the TOC reports nothing more, neither at its boundaries nor at EOS.
GST_START_TEST(test_toc_chapters_yield_to_application) {
  const std::string path = write_chapters_file();
  Collector c(collector_args());
  double at = 0;
  {
    Pipeline p(chapters_pipeline(path));
    p.configure(c.url(), "chapters-app", kSecond);
    p.set_state(GST_STATE_PLAYING);
    // Chapter 1 started as its first frame passed the element (the record
    // says so); its report may come later than 0.5 s of the stream when the
    // test process is slow.
    p.wait_position(0.5);
    at = p.position();
    fail_unless(chapter_start(p.ma,
                              "c, media.chapter.index=(int)7, "
                              "media.chapter.offset=(double)0.5, "
                              "media.chapter.length=(double)1.8, "
                              "media.chapter.friendlyName=(string)\"App chapter\""),
                "the application's chapter-start was rejected");
    p.wait_position(2.3);  // over two TOC boundaries
    fail_unless(closing_call(p.ma, "chapter-complete"),
                "the application's chapter-complete was rejected");
    p.wait_eos();
    p.wait_reports("sessionComplete");
    p.set_state(GST_STATE_NULL);
    p.observed.expect_quiet();
  }
  Lines requests =
      check_session(c, {"sessionStart", "play", "chapterStart", "chapterSkip",
                        "chapterStart", "chapterComplete", "sessionComplete"});
  check_chapter_params(requests[index_of(requests, "chapterStart", 0)], 1, 0, 1,
                       kTitles[0]);
  check_chapter_params(requests[index_of(requests, "chapterStart", 1)], 7, 0.5, 1.8,
                       "App chapter");
  // The TOC chapter was left at about 0.5 s, not at its start.
  expect_playhead(requests, index_of(requests, "chapterSkip"), at);
  expect_playhead(requests, index_of(requests, "chapterStart", 1), at);
}
GST_END_TEST;

// ---------------------------------------------------------------------------
// metadata and custom-metadata.

// Set in gst-launch syntax, they go out on the sessionStart: the standard
// keys in params (media.season=1 parses as an integer; the wire wants the
// string "1", spec §9.3), the CCPA flags as booleans, and customMetadata.
GST_START_TEST(test_metadata_on_session_start) {
  Collector c(collector_args());
  {
    Pipeline p(
        "videotestsrc is-live=false ! video/x-raw,width=64,height=48,framerate=25/1 ! "
        "mediaanalytics name=ma "
        "metadata=\"m,media.show=Tears,media.season=1,media.genre=Drama,"
        "analytics.optOutShare=true,analytics.optOutServerSideForwarding=false\" "
        "custom-metadata=\"m,tier=gold\" ! fakesink sync=true");
    p.configure(c.url(), "metadata", kSecond);
    p.set_state(GST_STATE_PLAYING);
    p.wait_reports("play");
    p.set_state(GST_STATE_NULL);
    p.observed.expect_quiet();
  }
  Lines requests = check_session(c, {"sessionStart", "play", "sessionEnd"});
  JsonObject *params = params_of(requests[0]);
  const std::string text = describe(requests[0]);
  const char *const strings[][2] = {
      {"media.show", "Tears"}, {"media.season", "1"}, {"media.genre", "Drama"}};
  for (const auto &kv : strings) {
    JsonNode *n = json_object_get_member(params, kv[0]);
    fail_unless(n && JSON_NODE_HOLDS_VALUE(n) &&
                    json_node_get_value_type(n) == G_TYPE_STRING &&
                    g_strcmp0(json_node_get_string(n), kv[1]) == 0,
                "%s is not the string \"%s\" in %s", kv[0], kv[1], text.c_str());
  }
  const std::pair<const char *, bool> flags[] = {
      {"analytics.optOutShare", true}, {"analytics.optOutServerSideForwarding", false}};
  for (const auto &[key, value] : flags) {
    JsonNode *n = json_object_get_member(params, key);
    fail_unless(n && JSON_NODE_HOLDS_VALUE(n) &&
                    json_node_get_value_type(n) == G_TYPE_BOOLEAN &&
                    json_node_get_boolean(n) == value,
                "%s is not %s in %s", key, value ? "true" : "false", text.c_str());
  }
  // The required params are still the properties'.
  fail_unless(
      g_strcmp0(json_object_get_string_member(params, "media.id"), "metadata") == 0,
      "media.id in %s", text.c_str());
  fail_unless(member_json(requests[0], "customMetadata") == R"({"tier":"gold"})",
              "customMetadata %s", member_json(requests[0], "customMetadata").c_str());
  // Only on the sessionStart.
  for (size_t i = 1; i < requests.size(); i++)
    fail_unless(member_json(requests[i], "customMetadata").empty(),
                "%s has customMetadata", describe(requests[i]).c_str());
}
GST_END_TEST;

// A key or type the property does not take fails NULL→READY with one ERROR
// from the element naming the property; nothing is sent.
GST_START_TEST(test_metadata_rejected) {
  Collector c(collector_args());
  struct Case {
    const char *props;
    const char *property;  // quoted as the message names it
    const char *mentions;
  };
  const Case cases[] = {
      {"metadata=\"m,media.shoe=Tears\"", "'metadata'", "media.shoe"},
      {"metadata=\"m,analytics.optOutShare=maybe\"", "'metadata'",
       "analytics.optOutShare"},
      {"custom-metadata=\"m,media.tier=gold\"", "'custom-metadata'", "media.tier"},
      {"custom-metadata=\"m,tiers=<gold,silver>\"", "'custom-metadata'", "tiers"},
  };
  for (const Case &k : cases) {
    Pipeline p(std::string("videotestsrc ! mediaanalytics name=ma ") + k.props +
               " ! fakesink");
    p.configure(c.url(), "rejected", kSecond);
    fail_unless(
        gst_element_set_state(p.pipeline, GST_STATE_READY) == GST_STATE_CHANGE_FAILURE,
        "%s: NULL→READY succeeded", k.props);
    GstState state = GST_STATE_VOID_PENDING;
    gst_element_get_state(p.ma, &state, nullptr, 0);
    fail_unless(state == GST_STATE_NULL, "%s: the element went to %s", k.props,
                gst_element_state_get_name(state));
    std::lock_guard<std::mutex> l(p.observed.lock);
    fail_unless(p.observed.errors.size() == 1, "%s: %zu ERRORs: %s", k.props,
                p.observed.errors.size(), p.observed.describe(p.observed.errors).c_str());
    const Message &e = p.observed.errors[0];
    fail_unless(e.source == "ma", "%s: the ERROR is from %s", k.props, e.source.c_str());
    fail_unless(e.text.find(std::string("property ") + k.property) != std::string::npos &&
                    e.text.find(k.mentions) != std::string::npos,
                "%s: the ERROR does not name %s and %s: %s", k.props, k.property,
                k.mentions, e.text.c_str());
    // The debug string ends with it (GStreamer puts where it came from first).
    const std::string debug =
        std::string("invalid configuration: property ") + k.property;
    fail_unless(g_str_has_suffix(e.debug.c_str(), debug.c_str()),
                "%s: debug \"%s\", expected it to end with \"%s\"", k.props,
                e.debug.c_str(), debug.c_str());
  }
  fail_unless(c.stop() == 0);
  fail_unless(requests_of(c.record()).empty(), "something was sent");
}
GST_END_TEST;

// ---------------------------------------------------------------------------
// opt-out.

struct Counted {
  std::atomic<int> buffers{0};
};

static GstPadProbeReturn count_buffer(GstPad *, GstPadProbeInfo *, gpointer data) {
  static_cast<Counted *>(data)->buffers++;
  return GST_PAD_PROBE_OK;
}

// Plays 25 buffers to EOS, paused once, through an opted-out element; returns
// how many reached the sink.
static int play_opted_out(Pipeline &p) {
  Counted counted;
  GstPad *pad = gst_element_get_static_pad(p.element("sink"), "sink");
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffer, &counted, nullptr);
  gst_object_unref(pad);
  p.set_state(GST_STATE_PLAYING);
  sleep_ms(300);
  p.set_state(GST_STATE_PAUSED);
  p.set_state(GST_STATE_PLAYING);
  // The application API is off too: FALSE, and no WARNING.
  fail_unless(!chapter_start(p.ma,
                             "c, media.chapter.index=(int)1, "
                             "media.chapter.offset=(double)0, "
                             "media.chapter.length=(double)1"),
              "chapter-start accepted");
  gboolean accepted = TRUE;
  g_signal_emit_by_name(p.ma, "track-error", "E1", "player", &accepted);
  fail_unless(!accepted, "track-error accepted");
  g_signal_emit_by_name(p.ma, "state-start", "mute", &accepted);
  fail_unless(!accepted, "state-start accepted");
  fail_unless(!closing_call(p.ma, "end-session"), "end-session accepted");
  p.wait_eos();
  p.set_state(GST_STATE_READY);
  p.set_state(GST_STATE_NULL);
  p.observed.expect_quiet();
  fail_unless(p.observed.report_count() == 0, "%zu mediaanalytics-event messages",
              p.observed.report_count());
  return counted.buffers.load();
}

static const char kOptOutPipeline[] =
    "videotestsrc num-buffers=25 is-live=false ! "
    "video/x-raw,width=64,height=48,framerate=25/1 ! mediaanalytics name=ma opt-out=true "
    "! fakesink name=sink sync=true";

// Configured for the collector but opted out: the collector receives
// nothing at all, every buffer passes. With no other property set (no
// endpoint), every state change succeeds alike.
GST_START_TEST(test_opt_out) {
  Collector c(collector_args());
  {
    Pipeline p(kOptOutPipeline);
    p.configure(c.url(), "opted-out", kSecond);
    const int passed = play_opted_out(p);
    fail_unless(passed == 25, "%d of 25 buffers reached the sink", passed);
  }
  {
    Pipeline p(kOptOutPipeline);  // no endpoint, no required property
    const int passed = play_opted_out(p);
    fail_unless(passed == 25, "%d of 25 buffers reached the sink", passed);
  }
  sleep_ms(200);
  fail_unless(c.stop() == 0, "the collector did not exit cleanly");
  const Lines record = c.record();
  fail_unless(record.empty(), "the collector recorded %zu lines, the first a %s",
              record.size(),
              record.empty()           ? ""
              : record[0].is_request() ? "request"
                                       : "non-request");
}
GST_END_TEST;

// Mutes and unmutes `muted_object`'s "mute" while `pipeline` plays: muted
// once the play was reported, unmuted once the mute was, stopped once the
// unmute was (not after fixed delays, which a slow start can outrun).
static void toggle_mute(GstElement *pipeline, GObject *muted_object) {
  Observed observed;
  GstBus *bus = gst_element_get_bus(pipeline);
  gst_bus_set_sync_handler(bus, on_message, &observed, nullptr);
  fail_unless(gst_element_set_state(pipeline, GST_STATE_PLAYING) !=
              GST_STATE_CHANGE_FAILURE);
  observed.wait_reports("play");
  g_object_set(muted_object, "mute", TRUE, nullptr);
  observed.wait_reports("statesUpdate");
  g_object_set(muted_object, "mute", FALSE, nullptr);
  observed.wait_reports("statesUpdate", 2);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_bus_set_sync_handler(bus, nullptr, nullptr, nullptr);
  gst_object_unref(bus);
}

// The record of a session muted and unmuted once: statesUpdate with
// statesStart, then statesEnd, of "mute" (spec §11).
static void check_muted_once(Collector &c) {
  const Lines requests = check_session(
      c, {"sessionStart", "play", "statesUpdate", "statesUpdate", "sessionEnd"});
  const size_t started = index_of(requests, "statesUpdate", 0);
  const size_t ended = index_of(requests, "statesUpdate", 1);
  fail_unless(member_json(requests[started], "params") ==
                  "{\"statesStart\":[{\"media.state.name\":\"mute\"}]}",
              "statesStart: %s", member_json(requests[started], "params").c_str());
  fail_unless(member_json(requests[ended], "params") ==
                  "{\"statesEnd\":[{\"media.state.name\":\"mute\"}]}",
              "statesEnd: %s", member_json(requests[ended], "params").c_str());
}

// playbin's mute property becomes the "mute" player state: statesUpdate
// with statesStart when muted, statesEnd when unmuted (spec §11).
GST_START_TEST(test_mute_from_playbin) {
  const std::string path = write_chapters_file();
  Collector c(collector_args());
  {
    g_autofree char *uri = gst_filename_to_uri(path.c_str(), nullptr);
    const std::string desc = std::string("playbin uri=") + uri +
                             " video-sink=\"fakesink sync=true\" audio-sink=fakesink "
                             "video-filter=\"mediaanalytics name=ma toc-chapters=false\"";
    GError *error = nullptr;
    GstElement *playbin = gst_parse_launch(desc.c_str(), &error);
    fail_unless(playbin != nullptr, "%s", error ? error->message : "no playbin");
    GstElement *ma = nullptr;
    g_object_get(playbin, "video-filter", &ma, nullptr);
    configure_element(ma, c.url(), "mute", kSecond);
    toggle_mute(playbin, G_OBJECT(playbin));
    gst_object_unref(ma);
    gst_object_unref(playbin);
  }
  check_muted_once(c);
}
GST_END_TEST;

// Without a pipeline mute property, a volume element's mute is followed.
GST_START_TEST(test_mute_from_volume_element) {
  Collector c(collector_args());
  {
    GError *error = nullptr;
    GstElement *pipeline = gst_parse_launch(
        "audiotestsrc is-live=true ! volume name=v ! mediaanalytics name=ma "
        "! fakesink sync=true",
        &error);
    fail_unless(pipeline != nullptr, "%s", error ? error->message : "no pipeline");
    GstElement *ma = gst_bin_get_by_name(GST_BIN(pipeline), "ma");
    GstElement *volume = gst_bin_get_by_name(GST_BIN(pipeline), "v");
    configure_element(ma, c.url(), "volume-mute", kSecond);
    toggle_mute(pipeline, G_OBJECT(volume));
    gst_object_unref(volume);
    gst_object_unref(ma);
    gst_object_unref(pipeline);
  }
  check_muted_once(c);
}
GST_END_TEST;

static Suite *element_features_suite(void) {
  Suite *s = suite_create("element-features");
  TCase *tc = add_process_tcase(s);
  tcase_add_test(tc, test_toc_chapters_played_through);
  tcase_add_test(tc, test_toc_chapters_seek_skips);
  tcase_add_test(tc, test_toc_chapters_off);
  tcase_add_test(tc, test_toc_chapters_yield_to_application);
  tcase_add_test(tc, test_metadata_on_session_start);
  tcase_add_test(tc, test_metadata_rejected);
  tcase_add_test(tc, test_opt_out);
  tcase_add_test(tc, test_mute_from_playbin);
  tcase_add_test(tc, test_mute_from_volume_element);
  return s;
}

GST_CHECK_MAIN(element_features);
