// Hostile strings from the stream (issue 7): a title tag with control
// characters that is longer than anything worth reporting, a source URI with
// credentials, an access token and a fragment, and a TOC chapter title with
// a terminal escape sequence. What the media says must arrive cleaned
// (gst/client/sanitize.h), in bodies the collector accepts; and an
// application's string that is not UTF-8 must still make a JSON body.
// Asserts on what arrived at the collector (tests/scenario/scenario.h).

#include "scenario.h"

#include <gst/app/gstappsrc.h>

#include <string>

using namespace scenario;

namespace {

// What no request may carry: the URI's password and token.
constexpr char kPassword[] = "hunter2";
constexpr char kToken[] = "tok3n";

// A title as a tag may bring it: controls (SOH, ESC of a colour sequence, tab,
// CR LF, DEL) and 2,000 bytes of "é" after them.
std::string hostile_title() {
  std::string title = "\x01\x1b[31mEvil\ttitle\r\nwith\x7f controls! ";
  for (int i = 0; i < 1000; i++) {
    title += "\xC3\xA9";
  }
  return title;
}

// What media.name must be: the controls removed, tab and CR LF made spaces,
// and cut at 1,024 bytes without splitting a character. The 31 bytes of text
// leave 993, room for 496 "é" (992 bytes): a 497th would be cut in half.
std::string cleaned_title() {
  std::string title = "[31mEvil title  with controls! ";
  for (int i = 0; i < 496; i++) {
    title += "\xC3\xA9";
  }
  return title;
}

// `url` (http://host:port/path) with a user, a password, a query with a token
// and a fragment.
std::string with_secrets(const std::string &url) {
  const std::string scheme = "http://";
  return scheme + "viewer:" + kPassword + "@" + url.substr(scheme.size()) +
         "?token=" + kToken + "#t=1";
}

// A quoted tag value for taginject: the title holds neither '"' nor '\'.
std::string title_tag(const std::string &title) {
  return "title=\"" + title + "\"";
}

std::string file_text(const std::string &path) {
  g_autofree gchar *text = nullptr;
  gsize length = 0;
  fail_unless(g_file_get_contents(path.c_str(), &text, &length, nullptr),
              "cannot read %s", path.c_str());
  return std::string(text, length);
}

// 2 s of video in Matroska, without a title tag.
std::string untitled_media() {
  return make_media(
      "untitled.mkv",
      "videotestsrc num-buffers=50 ! video/x-raw,width=160,height=120,framerate=25/1 "
      "! theoraenc ! matroskamux");
}

// A chapter title as a TOC may bring it: an escape sequence that would set a
// terminal's title, a tab, a line break, and 3,000 bytes more.
std::string hostile_chapter_title() {
  return "\x1b]0;pwned\x07"
         "Chapter\tone\n" +
         std::string(3000, 'x');
}

// What media.chapter.friendlyName must be: ESC and BEL removed, tab and line
// feed made spaces, 1,024 bytes in all.
std::string cleaned_chapter_title() {
  const std::string kept = "]0;pwnedChapter one ";
  return kept + std::string(1024 - kept.size(), 'x');
}

// A TOC of two 1 s chapters, the first with the hostile title.
GstEvent *hostile_toc_event() {
  GstToc *toc = gst_toc_new(GST_TOC_SCOPE_GLOBAL);
  const std::string titles[] = {hostile_chapter_title(), "Plain"};
  for (int i = 0; i < 2; i++) {
    const std::string uid = "chapter-" + std::to_string(i + 1);
    GstTocEntry *chapter = gst_toc_entry_new(GST_TOC_ENTRY_TYPE_CHAPTER, uid.c_str());
    gst_toc_entry_set_start_stop_times(chapter, i * GST_SECOND, (i + 1) * GST_SECOND);
    gst_toc_entry_set_tags(chapter,
                           gst_tag_list_new(GST_TAG_TITLE, titles[i].c_str(), nullptr));
    gst_toc_append_entry(toc, chapter);
  }
  GstEvent *event = gst_event_new_toc(toc, FALSE);
  gst_toc_unref(toc);
  return event;
}

// Queues `count` frames of 64x48 I420 at 10 fps on `src`, then EOS.
void push_frames_then_eos(GstAppSrc *src, int count) {
  const gsize size = 64 * 48 * 3 / 2;
  for (int i = 0; i < count; i++) {
    GstBuffer *frame = gst_buffer_new_allocate(nullptr, size, nullptr);
    gst_buffer_memset(frame, 0, static_cast<guint8>(10 * i), size);
    GST_BUFFER_PTS(frame) = static_cast<GstClockTime>(i) * GST_SECOND / 10;
    GST_BUFFER_DURATION(frame) = GST_SECOND / 10;
    fail_unless(gst_app_src_push_buffer(src, frame) == GST_FLOW_OK,
                "appsrc refused frame %d", i);
  }
  fail_unless(gst_app_src_end_of_stream(src) == GST_FLOW_OK, "appsrc refused EOS");
}

}  // namespace

// souphttpsrc on a URI with credentials and a token, a local HTTP server
// serving a 2 s file without a title, and taginject giving it the hostile
// title: one session to the end, whose sessionStart has the URI without its
// secrets as media.id and the cleaned title as media.name. finish() checks
// that every request was accepted (201/204, valid JSON, no findings), and no
// request anywhere in the record holds the password or the token.
GST_START_TEST(test_stream_strings_arrive_sanitized) {
  HttpServer server(untitled_media(), HttpPlan{{{1.0, 0}}});
  Collector c(collector_args());
  {
    Player p("souphttpsrc name=src ! decodebin ! taginject name=inject ! " +
             element_description(c) + " ! fakesink sync=true");
    g_object_set(p.element("src"), "location", with_secrets(server.url()).c_str(),
                 nullptr);
    g_object_set(p.element("inject"), "tags", title_tag(hostile_title()).c_str(),
                 nullptr);
    p.play();
    p.run_until_eos();
    p.stop();
  }
  const std::string record = file_text(c.record_path());
  const std::vector<Session> sessions = finish(c);
  const Session &s = single(sessions);
  check_sequence(s, {"sessionStart", "play", "sessionComplete"});
  const Event &start = s.nth("sessionStart");
  fail_unless(start.str_param("media.id") == server.url(),
              "media.id is \"%s\", expected the URI without its secrets, %s",
              start.str_param("media.id").c_str(), server.url().c_str());
  const std::string name = start.str_param("media.name");
  fail_unless(name == cleaned_title(),
              "media.name is \"%s\" (%zu bytes), expected \"%s\"", name.c_str(),
              name.size(), cleaned_title().c_str());
  fail_unless(record.find(kPassword) == std::string::npos,
              "the password reached the collector:\n%s", record.c_str());
  fail_unless(record.find(kToken) == std::string::npos,
              "the token reached the collector:\n%s", record.c_str());
}
GST_END_TEST;

// The application's own strings are its choice and go as they are, but bytes
// that are not UTF-8 (a Latin-1 name) must not make a body that is not JSON:
// the collector would refuse the sessionStart, and the whole session with
// it. Each such byte arrives as U+FFFD.
GST_START_TEST(test_application_invalid_utf8_arrives_as_json) {
  Collector c(collector_args());
  {
    Player p("filesrc name=src ! decodebin ! " + element_description(c) +
             " ! fakesink sync=true");
    g_object_set(p.element("src"), "location", untitled_media().c_str(), nullptr);
    g_object_set(p.element("ma"), "media-name", "Caf\xE9 \xFF\xFE", nullptr);
    p.play();
    p.run_until_eos();
    p.stop();
  }
  const std::vector<Session> sessions = finish(c);
  const Session &s = single(sessions);
  check_sequence(s, {"sessionStart", "play", "sessionComplete"});
  const std::string name = s.nth("sessionStart").str_param("media.name");
  fail_unless(name == "Caf\uFFFD \uFFFD\uFFFD", "media.name is \"%s\"", name.c_str());
}
GST_END_TEST;

// A TOC whose chapter title holds controls and is too long: the chapterStart
// carries it cleaned, the other chapter's title as it is. The TOC goes
// through appsrc, which sends it in order with the frames, as a demuxer does.
GST_START_TEST(test_toc_chapter_title_arrives_sanitized) {
  Collector c(collector_args());
  {
    Player p(
        "appsrc name=src format=time caps=\"video/x-raw,format=I420,width=64,"
        "height=48,framerate=10/1\" ! " +
        element_description(c) + " ! fakesink sync=true");
    GstElement *src = p.element("src");
    g_object_set(src, "duration", static_cast<guint64>(2 * GST_SECOND), nullptr);
    fail_unless(gst_element_send_event(src, hostile_toc_event()),
                "appsrc refused the TOC");
    push_frames_then_eos(GST_APP_SRC(src), 20);
    p.play();
    p.run_until_eos();
    p.stop();
  }
  const std::vector<Session> sessions = finish(c);
  const Session &s = single(sessions);
  const std::string first =
      s.nth("chapterStart", 0).str_param("media.chapter.friendlyName");
  fail_unless(first == cleaned_chapter_title(),
              "the first chapter's friendlyName is \"%s\" (%zu bytes)", first.c_str(),
              first.size());
  const std::string second =
      s.nth("chapterStart", 1).str_param("media.chapter.friendlyName");
  fail_unless(second == "Plain", "the second chapter's friendlyName is \"%s\"",
              second.c_str());
}
GST_END_TEST;

static Suite *scenario_hostile_suite(void) {
  Suite *s = suite_create("scenario-hostile");
  // The temporary directory only: these tests make their own media, not the
  // scenario clip (which has a title tag).
  TCase *tc = collector_test::add_process_tcase(s, "scenario");
  tcase_add_test(tc, test_stream_strings_arrive_sanitized);
  tcase_add_test(tc, test_application_invalid_utf8_arrives_as_json);
  tcase_add_test(tc, test_toc_chapter_title_arrives_sanitized);
  return s;
}

GST_CHECK_MAIN(scenario_hostile);
